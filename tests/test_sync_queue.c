/* tests/test_sync_queue.c: weft_queue_t. Order by kind (FIFO, LIFO, priority);
 * bounded hand-off; producers and consumers over every fiber/thread pairing with
 * the invariant "every item delivered exactly once, in per-producer order";
 * shutdown (drain, immediate, blocked callers woken with -EPIPE); timeouts and
 * cancellation losing nothing; misuse errors. */
#include "pairs.h"

#include <string.h>

#include "weft/queue.h"

#define ITEMS WT_SCALE(5000)

static void *P(intptr_t v) {
    return (void *)v;
}
static intptr_t V(void *p) {
    return (intptr_t)p;
}

static int cmp_int(const void *a, const void *b) {
    intptr_t x = V((void *)a), y = V((void *)b);
    return (x > y) - (x < y);
}

static void order_by_kind(void **state) {
    (void)state;
    weft_queue_t q;
    void *it;
    const intptr_t in[] = {5, 1, 4, 2, 3};
    const intptr_t fifo[] = {5, 1, 4, 2, 3}, lifo[] = {3, 2, 4, 1, 5},
                   prio[] = {1, 2, 3, 4, 5};
    const intptr_t *want[] = {fifo, lifo, prio};
    for (int kind = WEFT_FIFO; kind <= WEFT_PRIORITY; kind++) {
        for (size_t maxsize = 0; maxsize <= 5; maxsize += 5) {
            assert_int_equal(weft_queue_init(&q, kind, maxsize, cmp_int), 0);
            /* Unbounded: enough puts to grow the array several times. */
            for (int rep = 0; rep < (maxsize ? 1 : 20); rep++)
                for (int i = 0; i < 5; i++)
                    assert_int_equal(weft_queue_put(&q, P(in[i]), 0), 0);
            if (maxsize)
                assert_int_equal(weft_queue_put(&q, P(9), WEFT_NOWAIT), -ETIMEDOUT);
            if (!maxsize) { /* drain all but the last five in, then check those */
                for (int i = 0; i < 95; i++)
                    assert_int_equal(weft_queue_get(&q, &it, 0), 0);
                assert_int_equal(weft_queue_len(&q), 5);
                if (kind != WEFT_FIFO) {
                    assert_int_equal(weft_queue_destroy(&q), 0);
                    continue;
                }
            }
            for (int i = 0; i < 5; i++) {
                assert_int_equal(weft_queue_get(&q, &it, WEFT_NOWAIT), 0);
                assert_int_equal(V(it), want[kind][i]);
            }
            assert_int_equal(weft_queue_get(&q, &it, WEFT_NOWAIT), -ETIMEDOUT);
            assert_int_equal(weft_queue_destroy(&q), 0);
        }
    }
}

/* --- producers and consumers --- */
static weft_queue_t g_q;
static _Atomic int g_producers_left;
static _Atomic long g_received;
static int g_next[2];

static void *pc_party(void *arg) {
    int role = *(int *)arg; /* 0, 1 producers; 2, 3 consumers */
    if (role < 2) {
        for (intptr_t i = 0; i < ITEMS; i++)
            WT_CHECK_EQ(weft_queue_put(&g_q, P(role << 24 | i), WEFT_FOREVER), 0);
        if (atomic_fetch_sub(&g_producers_left, 1) == 1)
            WT_CHECK_EQ(weft_queue_shutdown(&g_q, 0), 0);
        return NULL;
    }
    int last[2] = {-1, -1};
    for (;;) {
        void *it;
        int r = weft_queue_get(&g_q, &it, WEFT_FOREVER);
        if (r == -EPIPE) break;
        WT_CHECK_EQ(r, 0);
        int producer = (int)(V(it) >> 24), seq = (int)(V(it) & 0xffffff);
        WT_CHECK(producer == 0 || producer == 1);
        if (producer != 0 && producer != 1) break;
        WT_CHECK(seq > last[producer]); /* per-producer order, as seen by this consumer */
        last[producer] = seq;
        atomic_fetch_add(&g_received, 1);
        __atomic_fetch_add(&g_next[producer], 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void producers_consumers(enum wt_pair p) {
    for (size_t maxsize = 0; maxsize <= 4; maxsize += 4) {
        assert_int_equal(weft_queue_init(&g_q, WEFT_FIFO, maxsize, NULL), 0);
        atomic_store(&g_producers_left, 2);
        atomic_store(&g_received, 0);
        memset(g_next, 0, sizeof g_next);
        int roles[4] = {0, 2, 1, 3};
        void *args[4] = {&roles[0], &roles[1], &roles[2], &roles[3]};
        wt_run_parties(p, 4, pc_party, args);
        /* Every item exactly once: counts per producer, and nothing left. */
        assert_int_equal(atomic_load(&g_received), 2L * ITEMS);
        assert_int_equal(g_next[0], ITEMS);
        assert_int_equal(g_next[1], ITEMS);
        assert_int_equal(weft_queue_len(&g_q), 0);
        assert_int_equal(weft_queue_destroy(&g_q), 0);
    }
}
WT_PAIRS(producers_consumers)

/* --- shutdown wakes everyone; cancellation loses nothing --- */
static void *blocked_get(void *arg) {
    void *it = NULL;
    int r = weft_queue_get((weft_queue_t *)arg, &it, WEFT_FOREVER);
    return r == 0 ? it : P(r);
}

static void *blocked_put(void *arg) {
    return P(weft_queue_put((weft_queue_t *)arg, P(77), WEFT_FOREVER));
}

static void *shutdown_main(void *arg) {
    (void)arg;
    weft_queue_t q, b;
    WT_CHECK_EQ(weft_queue_init(&q, WEFT_FIFO, 0, NULL), 0);
    WT_CHECK_EQ(weft_queue_init(&b, WEFT_FIFO, 1, NULL), 0);
    WT_CHECK_EQ(weft_queue_put(&b, P(1), 0), 0);
    weft_fiber_t *g[2], *pu;
    for (int i = 0; i < 2; i++)
        WT_CHECK_EQ(weft_spawn(&g[i], blocked_get, &q), 0);
    WT_CHECK_EQ(weft_spawn(&pu, blocked_put, &b), 0);
    for (int i = 0; i < 2; i++)
        WT_CHECK_EQ(wt_wait_state(g[i], WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(wt_wait_state(pu, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_queue_destroy(&q), -EBUSY);
    /* Cancel one getter: it takes nothing; the next put reaches the other one. */
    void *r;
    WT_CHECK_EQ(weft_cancel(g[0]), 0);
    WT_CHECK_EQ(weft_join(g[0], &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ(V(r), -ECANCELED);
    WT_CHECK_EQ(weft_queue_put(&q, P(42), 0), 0);
    WT_CHECK_EQ(weft_join(g[1], &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ(V(r), 42);
    /* Shutdown: a blocked getter and a blocked putter are woken with -EPIPE. */
    WT_CHECK_EQ(weft_spawn(&g[0], blocked_get, &q), 0);
    WT_CHECK_EQ(wt_wait_state(g[0], WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_queue_shutdown(&q, 0), 0);
    WT_CHECK_EQ(weft_queue_shutdown(&b, 0), 0);
    WT_CHECK_EQ(weft_join(g[0], &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ(V(r), -EPIPE);
    WT_CHECK_EQ(weft_join(pu, &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ(V(r), -EPIPE);
    WT_CHECK_EQ(weft_queue_put(&q, P(1), WEFT_FOREVER), -EPIPE);
    /* A graceful shutdown still drains what was stored. */
    void *it;
    WT_CHECK_EQ(weft_queue_get(&b, &it, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(V(it), 1);
    WT_CHECK_EQ(weft_queue_get(&b, &it, WEFT_FOREVER), -EPIPE);
    WT_CHECK_EQ(weft_queue_destroy(&q), 0);
    WT_CHECK_EQ(weft_queue_destroy(&b), 0);
    /* Immediate shutdown drops what is left. */
    WT_CHECK_EQ(weft_queue_init(&q, WEFT_LIFO, 0, NULL), 0);
    WT_CHECK_EQ(weft_queue_put(&q, P(1), 0), 0);
    WT_CHECK_EQ(weft_queue_shutdown(&q, 1), 0);
    WT_CHECK_EQ(weft_queue_len(&q), 0);
    WT_CHECK_EQ(weft_queue_get(&q, &it, 0), -EPIPE);
    WT_CHECK_EQ(weft_queue_destroy(&q), 0);
    return NULL;
}

static void shutdown_and_cancel(void **state) {
    (void)state;
    for (int workers = 1; workers <= 2; workers++)
        wt_in_runtime(WT_RUN, workers, shutdown_main, NULL);
}

static void errors(void **state) {
    (void)state;
    weft_queue_t q;
    void *it;
    assert_int_equal(weft_queue_init(NULL, WEFT_FIFO, 0, NULL), -EINVAL);
    assert_int_equal(weft_queue_init(&q, 7, 0, NULL), -EINVAL);
    assert_int_equal(weft_queue_init(&q, WEFT_PRIORITY, 0, NULL), -EINVAL);
    assert_int_equal(weft_queue_init(&q, WEFT_FIFO, 2, NULL), 0);
    assert_int_equal(weft_queue_get(&q, NULL, 0), -EINVAL);
    int64_t deadline = weft_after(WEFT_MSEC(2));
    assert_int_equal(weft_queue_get(&q, &it, deadline), -ETIMEDOUT);
    assert_true(weft_now() >= deadline);
    assert_int_equal(weft_queue_destroy(&q), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(order_by_kind),
        WT_PAIRS_TESTS(producers_consumers),
        WT_TEST(shutdown_and_cancel),
        WT_TEST(errors),
    };
    return WT_RUN_TESTS(tests);
}
