/* tests/test_queues.c: the scheduler's lock-free queues under real concurrency,
 * each checked for exactly-once delivery: the run ring (owner push/pop against a
 * thief's half-steals), the spawn deque (owner LIFO against a thief), the
 * injection queue (several producers, per-producer FIFO order); and the
 * topology's steal order (a permutation of the other workers). Items are fake
 * fiber pointers: the queues only store them, never dereference them. */
#include "harness.h"

#include <pthread.h>
#include <string.h>

#include "runtime/deque.h"
#include "runtime/mpsc.h"
#include "runtime/runq.h"
#include "runtime/topology.h"

#define ITEMS WT_SCALE(400000)

static weft_fiber_t *fake(long i) {
    return (weft_fiber_t *)(uintptr_t)((i + 1) * 16);
}
static long unfake(weft_fiber_t *f) {
    return (long)((uintptr_t)f / 16) - 1;
}

static _Atomic unsigned char *g_seen;
static atomic_int g_owner_done;

static void seen(weft_fiber_t *f) {
    long i = unfake(f);
    WT_CHECK(i >= 0 && i < ITEMS);
    if (i >= 0 && i < ITEMS) WT_CHECK_EQ(atomic_fetch_add(&g_seen[i], 1), 0);
}

/* --- ring --- */
static weft__runq_t g_ring, g_thief_ring;

static void *ring_thief(void *arg) {
    (void)arg;
    for (;;) {
        int done = atomic_load(&g_owner_done);
        weft_fiber_t *f = weft__runq_steal(&g_ring, &g_thief_ring, 1);
        if (f) {
            seen(f);
            while ((f = weft__runq_pop(&g_thief_ring)))
                seen(f);
        } else if (done) {
            return NULL;
        }
    }
}

static void test_ring_exactly_once(void **state) {
    (void)state;
    g_seen = calloc((size_t)ITEMS, 1);
    atomic_store(&g_owner_done, 0);
    weft__runq_init(&g_ring);
    weft__runq_init(&g_thief_ring);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, ring_thief, NULL), 0);
    long next = 0;
    while (next < ITEMS) {
        /* Bursts of pushes, some through the run-next slot, then a few pops. */
        for (int k = 0; k < 7 && next < ITEMS; k++) {
            if (next % 5 == 0) {
                weft_fiber_t *old = weft__runq_next_swap(&g_ring, fake(next++));
                if (old && weft__runq_push(&g_ring, old) != 0) seen(old);
            } else if (weft__runq_push(&g_ring, fake(next)) == 0) {
                next++;
            } else {
                break;
            }
        }
        for (int k = 0; k < 3; k++) {
            weft_fiber_t *f = weft__runq_next_take(&g_ring);
            if (!f) f = weft__runq_pop(&g_ring);
            if (f) seen(f);
        }
    }
    weft_fiber_t *f;
    while ((f = weft__runq_next_take(&g_ring)) || (f = weft__runq_pop(&g_ring)))
        seen(f);
    atomic_store(&g_owner_done, 1);
    pthread_join(t, NULL);
    wt_assert_clean();
    for (long i = 0; i < ITEMS; i++)
        assert_int_equal(atomic_load(&g_seen[i]), 1);
    free((void *)g_seen);
}

/* --- spawn deque --- */
static weft__deque_t g_deque;

static void *deque_thief(void *arg) {
    (void)arg;
    for (;;) {
        int done = atomic_load(&g_owner_done);
        weft_fiber_t *f = weft__deque_steal(&g_deque);
        if (f)
            seen(f);
        else if (done && !weft__deque_has_work(&g_deque))
            return NULL;
    }
}

static void test_deque_exactly_once_and_lifo(void **state) {
    (void)state;
    g_seen = calloc((size_t)ITEMS, 1);
    atomic_store(&g_owner_done, 0);
    weft__deque_init(&g_deque);
    /* Single-threaded: the owner sees its own pushes newest first. */
    for (long i = 0; i < 3; i++)
        assert_int_equal(weft__deque_push(&g_deque, fake(i)), 0);
    for (long i = 2; i >= 0; i--)
        assert_ptr_equal(weft__deque_pop(&g_deque), fake(i));
    assert_null(weft__deque_pop(&g_deque));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, deque_thief, NULL), 0);
    long next = 0;
    while (next < ITEMS) {
        for (int k = 0; k < 5 && next < ITEMS; k++)
            if (weft__deque_push(&g_deque, fake(next)) == 0) next++;
        for (int k = 0; k < 3; k++) {
            weft_fiber_t *f = weft__deque_pop(&g_deque);
            if (f) seen(f);
        }
    }
    weft_fiber_t *f;
    while ((f = weft__deque_pop(&g_deque)))
        seen(f);
    atomic_store(&g_owner_done, 1);
    pthread_join(t, NULL);
    wt_assert_clean();
    for (long i = 0; i < ITEMS; i++)
        assert_int_equal(atomic_load(&g_seen[i]), 1);
    free((void *)g_seen);
}

/* --- injection queue --- */
#define PRODUCERS 3
struct item {
    weft__mpsc_node_t node;
    int producer;
    long seq;
};
static weft__mpsc_t g_mpsc;
static struct item *g_items;

static void *producer(void *arg) {
    int p = (int)(intptr_t)arg;
    long per = ITEMS / PRODUCERS;
    for (long i = 0; i < per; i++) {
        struct item *it = &g_items[p * per + i];
        it->producer = p;
        it->seq = i;
        weft__mpsc_push(&g_mpsc, &it->node);
    }
    return NULL;
}

static void test_mpsc_exactly_once_in_order(void **state) {
    (void)state;
    long per = ITEMS / PRODUCERS, total = per * PRODUCERS;
    g_items = calloc((size_t)total, sizeof *g_items);
    weft__mpsc_init(&g_mpsc);
    pthread_t t[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(pthread_create(&t[p], NULL, producer, (void *)(intptr_t)p), 0);
    long next_seq[PRODUCERS] = {0}, got = 0;
    int in_order = 1;
    assert_true(weft__mpsc_try_consume(&g_mpsc));
    assert_false(weft__mpsc_try_consume(&g_mpsc)); /* one consumer at a time */
    while (got < total) {
        weft__mpsc_node_t *n = weft__mpsc_pop(&g_mpsc);
        if (!n) continue; /* empty for now, or a producer is mid-push */
        struct item *it = (struct item *)n;
        if (it->seq != next_seq[it->producer]) in_order = 0;
        next_seq[it->producer] = it->seq + 1;
        got++;
    }
    weft__mpsc_end_consume(&g_mpsc);
    for (int p = 0; p < PRODUCERS; p++)
        pthread_join(t[p], NULL);
    assert_true(in_order);
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(next_seq[p], per);
    assert_int_equal(weft__mpsc_len(&g_mpsc), 0);
    free(g_items);
}

/* --- topology --- */
static void test_steal_order_is_a_permutation(void **state) {
    (void)state;
    assert_true(weft__topology_cores() >= 1);
    for (int n = 1; n <= 9; n++) {
        for (int w = 0; w < n; w++) {
            int order[16], count[16] = {0};
            weft__topology_steal_order(n, w, order);
            for (int i = 0; i < n - 1; i++) {
                assert_true(order[i] >= 0 && order[i] < n);
                assert_int_not_equal(order[i], w);
                count[order[i]]++;
            }
            for (int v = 0; v < n; v++)
                assert_int_equal(count[v], v == w ? 0 : 1);
        }
    }
}

/* Run a second time by ctest with hwloc's discovery disabled
 * (HWLOC_COMPONENTS=-linux,-x86): the topology must fall back to sysconf cores,
 * refuse pinning, and a default runtime must still work. */
static void *hello(void *arg) {
    return arg;
}

static void topology_fallback(void **state) {
    (void)state;
    if (!getenv("WEFT_EXPECT_TOPOLOGY_FALLBACK")) skip();
    assert_int_equal(weft__topology_pin(0), -ENOTSUP);
    assert_true(weft__topology_cores() >= 1);
    void *r = NULL;
    weft_runtime_opts_t o = {0}; /* workers 0: one per core, from the fallback */
    assert_int_equal(weft_run(&o, hello, (void *)&o, &r), 0);
    assert_ptr_equal(r, &o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_exactly_once),
        cmocka_unit_test(test_deque_exactly_once_and_lifo),
        cmocka_unit_test(test_mpsc_exactly_once_in_order),
        cmocka_unit_test(test_steal_order_is_a_permutation),
        cmocka_unit_test(topology_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
