/* tests/test_explore.c: seeded schedule exploration (runtime/explore.h).
 * Each scenario runs on one worker under many seeds; a seed fixes the order in
 * which fibers are picked and where they yield inside the primitives, so each
 * seed is a different interleaving and a failure names the seed that replays
 * it (WEFT_EXPLORE_SEED=<seed> with WT_TEST_FILTER=<test>). Invariants:
 *   mutex:   mutual exclusion, and each contender's acquisitions all happen;
 *   sem:     permits conserved through cancels racing grants;
 *   queue:   every item delivered exactly once, in per-producer order;
 *   cond:    a bounded buffer over a condition never over- or under-flows;
 *   barrier: every party of a generation sees the same generation;
 *   rwlock:  never a writer together with anyone else.
 * And the mode itself: the same seed replays the same trace, and different
 * seeds give different traces (the exploration does explore).
 * WEFT_EXPLORE_SEEDS=<n> in the environment runs n seeds per scenario instead
 * of the default. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "weft/barrier.h"
#include "weft/cond.h"
#include "weft/mutex.h"
#include "weft/queue.h"
#include "weft/rwlock.h"
#include "weft/sem.h"

static int seeds(void) {
    const char *s = getenv("WEFT_EXPLORE_SEEDS");
    return s ? atoi(s) : WT_SANITIZED ? 30 : 300;
}

/* --- a trace of who did what, to compare interleavings --- */
#define TRACE_MAX 4096
static int g_trace[TRACE_MAX], g_trace_len;

static void trace(int ev) {
    if (g_trace_len < TRACE_MAX) g_trace[g_trace_len++] = ev;
}

/* Runs body on a 1-worker runtime explored with `seed`. */
static void explore(uint64_t seed, void *(*body)(void *), const char *name) {
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)seed);
    setenv("WEFT_EXPLORE_SEED", buf, 1);
    g_trace_len = 0;
    weft_runtime_opts_t o = {.workers = 1};
    int r = weft_run(&o, body, NULL, NULL);
    unsetenv("WEFT_EXPLORE_SEED");
    assert_int_equal(r, 0);
    if (atomic_load(&wt_nfail))
        fail_msg("%s: seed %llu: %s (replay: WEFT_EXPLORE_SEED=%llu)", name,
                 (unsigned long long)seed, wt_first_failure, (unsigned long long)seed);
}

static void explore_many(void *(*body)(void *), const char *name) {
    const char *one = getenv("WEFT_EXPLORE_SEED");
    if (one) { /* replaying one seed */
        uint64_t s = strtoull(one, NULL, 0);
        explore(s, body, name);
        return;
    }
    for (int s = 1; s <= seeds(); s++)
        explore((uint64_t)s, body, name);
}

/* Spawns n copies of fn(i) and joins them. */
static void run_n(int n, void *(*fn)(void *)) {
    weft_fiber_t *f[16];
    for (int i = 0; i < n; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], fn, WT_PTR(i)), 0);
    for (int i = 0; i < n; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
}

/* --- mutex --- */
static weft_mutex_t g_m;
static int g_inside, g_count[4];

static void *mutex_party(void *arg) {
    int me = WT_INT(arg);
    for (int i = 0; i < 20; i++) {
        WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
        WT_CHECK_EQ(g_inside++, 0);
        trace(me);
        if (i % 3 == 0) weft_yield();
        g_inside--;
        g_count[me]++;
        WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    }
    return NULL;
}

static void *mutex_body(void *arg) {
    (void)arg;
    weft_mutex_init(&g_m);
    memset(g_count, 0, sizeof g_count);
    run_n(4, mutex_party);
    for (int i = 0; i < 4; i++)
        WT_CHECK_EQ(g_count[i], 20);
    WT_CHECK_EQ(weft_mutex_destroy(&g_m), 0);
    return NULL;
}

static void explore_mutex(void **state) {
    (void)state;
    explore_many(mutex_body, "mutex");
}

/* --- semaphore: permits conserved while cancels race grants --- */
static weft_sem_t g_s;
static int g_held;

static void *sem_taker(void *arg) {
    (void)arg;
    for (;;) {
        int r = weft_sem_acquire(&g_s, WEFT_FOREVER);
        if (r == -ECANCELED) return NULL;
        WT_CHECK_EQ(r, 0);
        g_held++;
        weft_yield();
        g_held--;
        WT_CHECK_EQ(weft_sem_release(&g_s, 1), 0);
    }
}

static void *sem_body(void *arg) {
    (void)arg;
    weft_sem_init(&g_s, 2, 0);
    g_held = 0;
    weft_fiber_t *f[5];
    for (int i = 0; i < 5; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], sem_taker, NULL), 0);
    for (int i = 0; i < 10; i++) {
        WT_CHECK(g_held <= 2);
        weft_yield();
    }
    for (int i = 0; i < 5; i++)
        WT_CHECK_EQ(weft_cancel(f[i]), 0);
    for (int i = 0; i < 5; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    WT_CHECK_EQ(g_held, 0);
    WT_CHECK_EQ(weft_sem_value(&g_s), 2); /* nothing lost, nothing made up */
    WT_CHECK_EQ(weft_sem_destroy(&g_s), 0);
    return NULL;
}

static void explore_sem(void **state) {
    (void)state;
    explore_many(sem_body, "sem");
}

/* --- queue: exactly once, per-producer order --- */
#define ITEMS 30
static weft_queue_t g_q;
static int g_seen[2][ITEMS], g_last[2][2]; /* [consumer][producer] */

static void *producer(void *arg) {
    int me = WT_INT(arg);
    for (int i = 0; i < ITEMS; i++)
        WT_CHECK_EQ(weft_queue_put(&g_q, WT_PTR(me * 1000 + i + 1), WEFT_FOREVER), 0);
    return NULL;
}

/* Each consumer sees each producer's items in increasing order: FIFO dequeue
 * order, observed per consumer (two consumers may record out of dequeue order). */
static void *consumer(void *arg) {
    int me = WT_INT(arg);
    for (;;) {
        void *item;
        int r = weft_queue_get(&g_q, &item, WEFT_FOREVER);
        if (r == -EPIPE) return NULL;
        WT_CHECK_EQ(r, 0);
        int v = WT_INT(item) - 1, p = v / 1000, i = v % 1000;
        trace(v);
        WT_CHECK(i >= g_last[me][p]);
        g_last[me][p] = i + 1;
        g_seen[p][i]++;
    }
}

static void *queue_body(void *arg) {
    (void)arg;
    weft_queue_init(&g_q, WEFT_FIFO, 2, NULL);
    memset(g_seen, 0, sizeof g_seen);
    memset(g_last, 0, sizeof g_last);
    weft_fiber_t *p[2], *c[2];
    for (int i = 0; i < 2; i++) {
        WT_CHECK_EQ(weft_spawn(&c[i], consumer, WT_PTR(i)), 0);
        WT_CHECK_EQ(weft_spawn(&p[i], producer, WT_PTR(i)), 0);
    }
    for (int i = 0; i < 2; i++)
        WT_CHECK_EQ(weft_join(p[i], NULL, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_queue_shutdown(&g_q, 0), 0);
    for (int i = 0; i < 2; i++)
        WT_CHECK_EQ(weft_join(c[i], NULL, WEFT_FOREVER), 0);
    for (int p2 = 0; p2 < 2; p2++)
        for (int i = 0; i < ITEMS; i++)
            WT_CHECK_EQ(g_seen[p2][i], 1);
    WT_CHECK_EQ(weft_queue_destroy(&g_q), 0);
    return NULL;
}

static void explore_queue(void **state) {
    (void)state;
    explore_many(queue_body, "queue");
}

/* --- condition: a 2-slot bounded buffer --- */
static weft_mutex_t g_cm;
static weft_cond_t g_cv;
static int g_fill, g_taken;

static int has_room(void *arg) {
    (void)arg;
    return g_fill < 2;
}

static int has_item(void *arg) {
    (void)arg;
    return g_fill > 0;
}

static void *cond_producer(void *arg) {
    (void)arg;
    for (int i = 0; i < 15; i++) {
        WT_CHECK_EQ(weft_mutex_lock(&g_cm, WEFT_FOREVER), 0);
        WT_CHECK(weft_cond_wait_for(&g_cv, has_room, NULL, WEFT_FOREVER) > 0);
        WT_CHECK(g_fill < 2);
        g_fill++;
        weft_cond_notify_all(&g_cv);
        WT_CHECK_EQ(weft_mutex_unlock(&g_cm), 0);
    }
    return NULL;
}

static void *cond_consumer(void *arg) {
    (void)arg;
    for (int i = 0; i < 15; i++) {
        WT_CHECK_EQ(weft_mutex_lock(&g_cm, WEFT_FOREVER), 0);
        WT_CHECK(weft_cond_wait_for(&g_cv, has_item, NULL, WEFT_FOREVER) > 0);
        WT_CHECK(g_fill > 0);
        g_fill--;
        g_taken++;
        weft_cond_notify_all(&g_cv);
        WT_CHECK_EQ(weft_mutex_unlock(&g_cm), 0);
    }
    return NULL;
}

static void *cond_body(void *arg) {
    (void)arg;
    weft_mutex_init(&g_cm);
    weft_cond_init_mutex(&g_cv, &g_cm);
    g_fill = g_taken = 0;
    weft_fiber_t *f[4];
    for (int i = 0; i < 2; i++) {
        WT_CHECK_EQ(weft_spawn(&f[2 * i], cond_producer, NULL), 0);
        WT_CHECK_EQ(weft_spawn(&f[2 * i + 1], cond_consumer, NULL), 0);
    }
    for (int i = 0; i < 4; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    WT_CHECK_EQ(g_taken, 30);
    WT_CHECK_EQ(g_fill, 0);
    return NULL;
}

static void explore_cond(void **state) {
    (void)state;
    explore_many(cond_body, "cond");
}

/* --- barrier: generations intact --- */
static weft_barrier_t g_b;
static int g_gen_arrivals[10];

static void *barrier_party(void *arg) {
    (void)arg;
    for (int gen = 0; gen < 10; gen++) {
        g_gen_arrivals[gen]++;
        int r = weft_barrier_wait(&g_b, WEFT_FOREVER);
        WT_CHECK(r >= 0 && r < 3);
        /* Past the barrier of generation gen, everyone has arrived at it. */
        WT_CHECK_EQ(g_gen_arrivals[gen], 3);
    }
    return NULL;
}

static void *barrier_body(void *arg) {
    (void)arg;
    memset(g_gen_arrivals, 0, sizeof g_gen_arrivals);
    weft_barrier_init(&g_b, 3);
    run_n(3, barrier_party);
    WT_CHECK_EQ(weft_barrier_destroy(&g_b), 0);
    return NULL;
}

static void explore_barrier(void **state) {
    (void)state;
    explore_many(barrier_body, "barrier");
}

/* --- rwlock --- */
static weft_rwlock_t g_rw;
static int g_readers, g_writers;

static void *rw_party(void *arg) {
    int writer = WT_INT(arg) % 2;
    for (int i = 0; i < 10; i++) {
        if (writer) {
            WT_CHECK_EQ(weft_rwlock_wrlock(&g_rw, WEFT_FOREVER), 0);
            WT_CHECK(g_readers == 0 && g_writers == 0);
            g_writers++;
            weft_yield();
            g_writers--;
            WT_CHECK_EQ(weft_rwlock_wrunlock(&g_rw), 0);
        } else {
            WT_CHECK_EQ(weft_rwlock_rdlock(&g_rw, WEFT_FOREVER), 0);
            WT_CHECK_EQ(g_writers, 0);
            g_readers++;
            weft_yield();
            g_readers--;
            WT_CHECK_EQ(weft_rwlock_rdunlock(&g_rw), 0);
        }
    }
    return NULL;
}

static void *rw_body(void *arg) {
    (void)arg;
    weft_rwlock_init(&g_rw);
    run_n(4, rw_party);
    WT_CHECK_EQ(weft_rwlock_destroy(&g_rw), 0);
    return NULL;
}

static void explore_rwlock(void **state) {
    (void)state;
    explore_many(rw_body, "rwlock");
}

/* --- the mode itself --- */
static void replay_and_variety(void **state) {
    (void)state;
    int first[TRACE_MAX], first_len;
    explore(7, mutex_body, "mutex");
    memcpy(first, g_trace, sizeof first);
    first_len = g_trace_len;
    explore(7, mutex_body, "mutex");
    assert_int_equal(g_trace_len, first_len);
    assert_memory_equal(g_trace, first, sizeof(int) * (size_t)first_len);
    int different = 0;
    for (uint64_t s = 8; s < 18; s++) {
        explore(s, mutex_body, "mutex");
        different += g_trace_len != first_len ||
                     memcmp(g_trace, first, sizeof(int) * (size_t)first_len) != 0;
    }
    assert_true(different >= 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(replay_and_variety), WT_TEST(explore_mutex), WT_TEST(explore_sem),
        WT_TEST(explore_queue),      WT_TEST(explore_cond),  WT_TEST(explore_barrier),
        WT_TEST(explore_rwlock),
    };
    return WT_RUN_TESTS(tests);
}
