/* tests/test_sync_rwlock.c: weft_rwlock_t. Writers exclude everyone and readers
 * share, over every fiber/thread pairing (invariant checked inside the critical
 * sections); a queued writer is not overtaken by later readers; readers behind a
 * writer enter together after it; a writer that gives up leaves the lock usable;
 * misuse errors. */
#include "pairs.h"

#include "sync/waitq.h"
#include "weft/rwlock.h"

#define ITERS WT_SCALE(3000)

static weft_rwlock_t g_l;
static long g_a, g_b;
static _Atomic int g_readers_in, g_max_readers;

static void *rw_party(void *arg) {
    int writer = *(int *)arg;
    for (int i = 0; i < ITERS; i++) {
        if (writer) {
            WT_CHECK_EQ(weft_rwlock_wrlock(&g_l, WEFT_FOREVER), 0);
            WT_CHECK_EQ(atomic_load(&g_readers_in), 0);
            WT_CHECK(weft_rwlock_is_write_locked(&g_l));
            g_a++;
            if (i % 8 == 0) wt_pause();
            g_b++;
            WT_CHECK_EQ(weft_rwlock_wrunlock(&g_l), 0);
        } else {
            WT_CHECK_EQ(weft_rwlock_rdlock(&g_l, WEFT_FOREVER), 0);
            int in = atomic_fetch_add(&g_readers_in, 1) + 1;
            int mx = atomic_load(&g_max_readers);
            while (in > mx && !atomic_compare_exchange_weak(&g_max_readers, &mx, in)) {
            }
            WT_CHECK_EQ(g_a, g_b); /* never a half-done write */
            if (i % 8 == 0) wt_pause();
            atomic_fetch_sub(&g_readers_in, 1);
            WT_CHECK_EQ(weft_rwlock_rdunlock(&g_l), 0);
        }
    }
    return NULL;
}

static void rw_exclusion(enum wt_pair p) {
    weft_rwlock_init(&g_l);
    g_a = g_b = 0;
    atomic_store(&g_readers_in, 0);
    atomic_store(&g_max_readers, 0);
    int roles[4] = {1, 0, 1, 0};
    void *args[4] = {&roles[0], &roles[1], &roles[2], &roles[3]};
    wt_run_parties(p, 4, rw_party, args);
    assert_int_equal(g_a, 2L * ITERS);
    assert_int_equal(g_b, 2L * ITERS);
    assert_int_equal(weft_rwlock_readers(&g_l), 0);
    assert_int_equal(weft_rwlock_destroy(&g_l), 0);
}
WT_PAIRS(rw_exclusion)

/* --- a queued writer is not overtaken; readers behind it enter together --- */
static _Atomic int g_order, g_writer_at, g_r2_at, g_r3_at;

static void *late_writer(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_rwlock_wrlock(&g_l, WEFT_FOREVER), 0);
    atomic_store(&g_writer_at, atomic_fetch_add(&g_order, 1));
    WT_CHECK_EQ(weft_rwlock_wrunlock(&g_l), 0);
    return NULL;
}

static void *late_reader(void *arg) {
    _Atomic int *at = arg;
    WT_CHECK_EQ(weft_rwlock_rdlock(&g_l, WEFT_FOREVER), 0);
    atomic_store(at, atomic_fetch_add(&g_order, 1));
    WT_CHECK_EQ(weft_rwlock_rdunlock(&g_l), 0);
    return NULL;
}

static void writer_not_starved(void **state) {
    (void)state;
    weft_rwlock_init(&g_l);
    atomic_store(&g_order, 0);
    /* This thread reads; a writer queues; two later readers must queue behind it. */
    assert_int_equal(weft_rwlock_rdlock(&g_l, WEFT_FOREVER), 0);
    pthread_t w, r2, r3;
    assert_int_equal(pthread_create(&w, NULL, late_writer, NULL), 0);
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft__wl_count(&g_l.wl) < 1 && weft_now() < limit)
        sched_yield();
    assert_int_equal(weft_rwlock_rdlock(&g_l, WEFT_NOWAIT),
                     -ETIMEDOUT); /* no overtaking */
    assert_int_equal(pthread_create(&r2, NULL, late_reader, (void *)&g_r2_at), 0);
    while (weft__wl_count(&g_l.wl) < 2 && weft_now() < limit)
        sched_yield();
    assert_int_equal(pthread_create(&r3, NULL, late_reader, (void *)&g_r3_at), 0);
    while (weft__wl_count(&g_l.wl) < 3 && weft_now() < limit)
        sched_yield();
    assert_int_equal(weft_rwlock_rdunlock(&g_l), 0);
    pthread_join(w, NULL);
    pthread_join(r2, NULL);
    pthread_join(r3, NULL);
    assert_int_equal(atomic_load(&g_writer_at), 0);
    assert_true(atomic_load(&g_r2_at) >= 1 && atomic_load(&g_r3_at) >= 1);
    assert_int_equal(weft_rwlock_destroy(&g_l), 0);
}

/* --- a writer that gives up leaves the lock usable by readers --- */
static void *cancelled_writer(void *arg) {
    (void)arg;
    return (void *)(intptr_t)weft_rwlock_wrlock(&g_l, WEFT_FOREVER);
}

static void *give_up_main2(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_rwlock_rdlock(&g_l, WEFT_FOREVER), 0);
    weft_fiber_t *f;
    void *r;
    WT_CHECK_EQ(weft_spawn(&f, cancelled_writer, NULL), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ((int)(intptr_t)r, -ECANCELED);
    WT_CHECK_EQ(weft_rwlock_rdlock(&g_l, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_rwlock_readers(&g_l), 2);
    WT_CHECK_EQ(weft_rwlock_rdunlock(&g_l), 0);
    WT_CHECK_EQ(weft_rwlock_rdunlock(&g_l), 0);
    WT_CHECK_EQ(weft_rwlock_wrlock(&g_l, weft_after(WEFT_MSEC(1))), 0);
    WT_CHECK_EQ(weft_rwlock_rdlock(&g_l, WEFT_NOWAIT), -EDEADLK);
    WT_CHECK_EQ(weft_rwlock_wrlock(&g_l, WEFT_NOWAIT), -EDEADLK);
    WT_CHECK_EQ(weft_rwlock_wrunlock(&g_l), 0);
    return NULL;
}

static void give_up(void **state) {
    (void)state;
    weft_rwlock_init(&g_l);
    wt_in_runtime(WT_RUN, 2, give_up_main2, NULL);
    assert_int_equal(weft_rwlock_destroy(&g_l), 0);
}

static void errors(void **state) {
    (void)state;
    weft_rwlock_t l = WEFT_RWLOCK_INIT;
    assert_int_equal(weft_rwlock_rdunlock(&l), -EPERM);
    assert_int_equal(weft_rwlock_wrunlock(&l), -EPERM);
    assert_int_equal(weft_rwlock_rdlock(&l, 0), 0);
    assert_int_equal(weft_rwlock_wrunlock(&l), -EPERM);
    assert_int_equal(weft_rwlock_destroy(&l), -EBUSY);
    int64_t deadline = weft_after(WEFT_MSEC(2));
    assert_int_equal(weft_rwlock_wrlock(&l, deadline), -ETIMEDOUT);
    assert_true(weft_now() >= deadline);
    assert_int_equal(weft_rwlock_rdunlock(&l), 0);
    assert_int_equal(weft_rwlock_wrlock(&l, 0), 0);
    assert_int_equal(weft_rwlock_rdunlock(&l), -EPERM);
    assert_int_equal(weft_rwlock_wrunlock(&l), 0);
    assert_int_equal(weft_rwlock_destroy(&l), 0);
    assert_int_equal(weft_rwlock_init(NULL), -EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_PAIRS_TESTS(rw_exclusion),
        WT_TEST(writer_not_starved),
        WT_TEST(give_up),
        WT_TEST(errors),
    };
    return WT_RUN_TESTS(tests);
}
