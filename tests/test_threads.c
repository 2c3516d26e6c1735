/* tests/test_threads.c: fibers and plain threads together: several pthreads spawn
 * onto one created runtime and join from outside it with deadlines; two runtimes
 * run at once in two threads (each inside weft_run); a fiber of one runtime joins
 * a fiber of another and vice versa. */
#include "harness.h"

#include <pthread.h>

/* Yields and sleeps a little, then returns 3 * arg. */
static void *triple(void *arg) {
    int v = WT_INT(arg);
    WT_CHECK_EQ(weft_yield(), 0);
    if (v % 4 == 0) WT_CHECK_EQ(weft_sleep_until(weft_after(WEFT_USEC(200))), 0);
    WT_CHECK_EQ(weft_yield(), 0);
    return WT_PTR(3 * v);
}

/* --- spawns and joins from plain threads --- */

enum { THREADS = 4 };

struct spawner {
    weft_runtime_t *rt;
    int id, per_thread;
};

static void *spawner_thread(void *arg) {
    struct spawner *s = arg;
    weft_fiber_t *f[256];
    WT_CHECK(weft_self() == NULL);
    for (int j = 0; j < s->per_thread; j++)
        WT_CHECK_EQ(weft_spawn_on(s->rt, &f[j], triple, WT_PTR(s->id * 1000 + j)), 0);
    for (int j = 0; j < s->per_thread; j++) {
        void *res = NULL;
        WT_CHECK_EQ(weft_join(f[j], &res, weft_after(WT_PATIENCE)), 0);
        WT_CHECK_EQ(WT_INT(res), 3 * (s->id * 1000 + j));
    }
    return NULL;
}

static void spawn_and_join_from_threads(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(2);
    pthread_t th[THREADS];
    struct spawner s[THREADS];
    for (int rounds = 0; rounds < WT_SCALE(20); rounds++) {
        for (int i = 0; i < THREADS; i++) {
            s[i] = (struct spawner){rt, i, 64};
            assert_int_equal(pthread_create(&th[i], NULL, spawner_thread, &s[i]), 0);
        }
        for (int i = 0; i < THREADS; i++)
            assert_int_equal(pthread_join(th[i], NULL), 0);
        wt_assert_clean();
    }
    weft_runtime_stats_t st;
    assert_int_equal(weft_runtime_stats(rt, &st), 0);
    assert_int_equal(st.fibers_spawned, (uint64_t)WT_SCALE(20) * THREADS * 64);
    wt_destroy(rt);
}

/* --- two runtimes in two threads at once --- */

static _Atomic int g_mains_started;

static void *runtime_main(void *arg) {
    weft_runtime_t *mine = weft_current_runtime();
    WT_CHECK(mine != NULL);
    /* Both runtimes are up before either does its work. */
    atomic_fetch_add(&g_mains_started, 1);
    WT_CHECK_EQ(wt_wait_flag(&g_mains_started, 2), 0);
    int sum = 0;
    for (int i = 0; i < WT_SCALE(20); i++) {
        void *nodes = NULL;
        weft_fiber_t *f = NULL;
        WT_CHECK_EQ(weft_spawn(&f, wt_tree, WT_PTR(7)), 0);
        WT_CHECK_EQ(weft_join(f, &nodes, WEFT_FOREVER), 0);
        sum += WT_INT(nodes);
    }
    WT_CHECK(weft_current_runtime() == mine);
    return WT_PTR(sum + WT_INT(arg));
}

struct run_thread {
    int id, rc;
    void *result;
};

static void *run_thread(void *arg) {
    struct run_thread *t = arg;
    weft_runtime_opts_t o = {0};
    o.workers = 2;
    t->rc = weft_run(&o, runtime_main, WT_PTR(t->id), &t->result);
    return NULL;
}

static void two_runtimes_in_two_threads(void **state) {
    (void)state;
    atomic_store(&g_mains_started, 0);
    struct run_thread t[2] = {{1, -1, NULL}, {2, -1, NULL}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, run_thread, &t[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    wt_assert_clean();
    for (int i = 0; i < 2; i++) {
        assert_int_equal(t[i].rc, 0);
        assert_int_equal(WT_INT(t[i].result), WT_SCALE(20) * 255 + t[i].id);
    }
}

/* --- cross-runtime joins --- */

struct cross {
    weft_runtime_t *b;
    weft_fiber_t *a_child;
    weft_runtime_t *a;
};

static void *returns_seven_later(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_sleep_until(weft_after(WEFT_MSEC(2))), 0);
    return WT_PTR(7);
}

/* A fiber of runtime B that joins a fiber of runtime A. */
static void *b_joins_a(void *arg) {
    struct cross *c = arg;
    WT_CHECK(weft_current_runtime() == c->b);
    void *res = NULL;
    WT_CHECK_EQ(weft_join(c->a_child, &res, WEFT_FOREVER), 0);
    return WT_PTR(WT_INT(res) + 1);
}

static void *main_a(void *arg) {
    struct cross *c = arg;
    c->a = weft_current_runtime();
    WT_CHECK(c->a != NULL && c->a != c->b);
    weft_fiber_t *bf = NULL, *bf2 = NULL;
    void *res = NULL;
    for (int i = 0; i < WT_SCALE(50); i++) {
        /* A fiber of A joins a fiber of B (a blocking join, then with a deadline). */
        WT_CHECK_EQ(weft_spawn_on(c->b, &bf2, returns_seven_later, NULL), 0);
        WT_CHECK_EQ(weft_join(bf2, &res, weft_after(WT_PATIENCE)), 0);
        WT_CHECK_EQ(WT_INT(res), 7);
        /* A fiber of B joins a fiber of A, and A joins that fiber of B. */
        WT_CHECK_EQ(weft_spawn(&c->a_child, returns_seven_later, NULL), 0);
        WT_CHECK_EQ(weft_spawn_on(c->b, &bf, b_joins_a, c), 0);
        WT_CHECK_EQ(weft_join(bf, &res, WEFT_FOREVER), 0);
        WT_CHECK_EQ(WT_INT(res), 8);
        /* A fiber of B that is already running when A joins it. */
        WT_CHECK_EQ(weft_spawn_on(c->b, &bf, triple, WT_PTR(i)), 0);
        WT_CHECK_EQ(weft_yield(), 0);
        WT_CHECK_EQ(weft_join(bf, &res, WEFT_FOREVER), 0);
        WT_CHECK_EQ(WT_INT(res), 3 * i);
    }
    return NULL;
}

static void cross_runtime_join(void **state) {
    (void)state;
    for (int workers = 1; workers <= 2; workers++) {
        struct cross c = {wt_create(2), NULL, NULL};
        weft_runtime_opts_t o = {0};
        o.workers = workers;
        assert_int_equal(weft_run(&o, main_a, &c, NULL), 0);
        wt_assert_clean();
        wt_destroy(c.b);
    }
}

/* The last thing a weft_run main fiber does is wait for a fiber of another
 * runtime: the wake-up comes from B's worker, and weft_run may return (and free
 * runtime A) the moment main_a is runnable. Many short runs make that window
 * likely to be hit; a waker still touching A after publishing main_a is a
 * use-after-free that ASan/TSan report. */
static void *quick(void *arg) {
    WT_CHECK_EQ(weft_yield(), 0);
    return arg;
}

static void *main_joins_b_last(void *arg) {
    weft_runtime_t *b = arg;
    weft_fiber_t *f = NULL;
    void *res = NULL;
    WT_CHECK_EQ(weft_spawn_on(b, &f, quick, WT_PTR(5)), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), 5);
    return NULL;
}

static void cross_runtime_wake_then_exit(void **state) {
    (void)state;
    weft_runtime_t *b = wt_create(2);
    weft_runtime_opts_t o = {0};
    o.workers = 2;
    /* Not scaled down under sanitizers: they are what sees the window. */
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(weft_run(&o, main_joins_b_last, b, NULL), 0);
        wt_assert_clean();
    }
    wt_destroy(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(spawn_and_join_from_threads),
        WT_TEST(two_runtimes_in_two_threads),
        WT_TEST(cross_runtime_join),
        WT_TEST(cross_runtime_wake_then_exit),
    };
    return WT_RUN_TESTS(tests);
}
