/* tests/test_sync_cond.c: weft_rmutex_t and weft_cond_t. Reentrancy and the
 * count that travels with a hand-off; a bounded buffer built on a condition over
 * every fiber/thread pairing (each item delivered once, in per-producer order);
 * wait-morphing (a notified waiter wakes owning the lock, even if cancelled after
 * the notify); notify counts; delegated predicates; timeouts, tries and
 * cancellation returning with the lock held; misuse errors. */
#include "pairs.h"

#include <string.h>

#include "sync/waitq.h"
#include "weft/cond.h"

#define ITEMS WT_SCALE(3000)

/* --- rmutex --- */
static weft_rmutex_t g_rm;
static long g_counter;

static void *rm_party(void *arg) {
    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        WT_CHECK_EQ(weft_rmutex_lock(&g_rm, WEFT_FOREVER), 0);
        WT_CHECK_EQ(weft_rmutex_lock(&g_rm, WEFT_NOWAIT), 0);
        WT_CHECK_EQ(weft_rmutex_count(&g_rm), 2);
        long x = g_counter;
        if (i % 8 == 0) wt_pause();
        g_counter = x + 1;
        WT_CHECK_EQ(weft_rmutex_unlock(&g_rm), 0);
        WT_CHECK_EQ(weft_rmutex_count(&g_rm), 1);
        WT_CHECK_EQ(weft_rmutex_unlock(&g_rm), 0);
        WT_CHECK_EQ(weft_rmutex_count(&g_rm), 0);
    }
    return NULL;
}

static void rmutex_exclusion(enum wt_pair p) {
    weft_rmutex_init(&g_rm);
    g_counter = 0;
    void *args[3] = {0};
    wt_run_parties(p, 3, rm_party, args);
    assert_int_equal(g_counter, 3L * ITEMS);
    assert_int_equal(weft_rmutex_is_locked(&g_rm), 0);
    assert_int_equal(weft_rmutex_destroy(&g_rm), 0);
}
WT_PAIRS(rmutex_exclusion)

/* --- bounded buffer on mutex + condition --- */
#define CAP 4
static weft_mutex_t g_m;
static weft_cond_t g_not_full, g_not_empty;
static int g_buf[CAP], g_head, g_len;
static int g_next_seq[2], g_consumed;

static void *bb_party(void *arg) {
    int role = *(int *)arg; /* 0,1 producers; 2,3 consumers */
    if (role < 2) {
        for (int i = 0; i < ITEMS; i++) {
            WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
            while (g_len == CAP)
                WT_CHECK_EQ(weft_cond_wait(&g_not_full, WEFT_FOREVER), 0);
            WT_CHECK(weft_mutex_is_owned(&g_m));
            g_buf[(g_head + g_len++) % CAP] = role << 24 | i;
            weft_cond_notify(&g_not_empty, 1);
            WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
        }
        return NULL;
    }
    for (;;) {
        WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
        while (g_len == 0 && g_consumed < 2 * ITEMS)
            WT_CHECK_EQ(weft_cond_wait(&g_not_empty, WEFT_FOREVER), 0);
        if (g_consumed == 2 * ITEMS) {
            weft_cond_notify_all(&g_not_empty); /* let the other consumer out */
            WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
            return NULL;
        }
        int item = g_buf[g_head];
        g_head = (g_head + 1) % CAP;
        g_len--;
        int producer = item >> 24, seq = item & 0xffffff;
        WT_CHECK_EQ(seq, g_next_seq[producer]); /* per-producer order, no loss */
        g_next_seq[producer] = seq + 1;
        if (++g_consumed == 2 * ITEMS) weft_cond_notify_all(&g_not_empty);
        weft_cond_notify(&g_not_full, 1);
        WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    }
}

static void bounded_buffer(enum wt_pair p) {
    weft_mutex_init(&g_m);
    weft_cond_init_mutex(&g_not_full, &g_m);
    weft_cond_init_mutex(&g_not_empty, &g_m);
    g_head = g_len = g_consumed = 0;
    memset(g_next_seq, 0, sizeof g_next_seq);
    int roles[4] = {0, 2, 1, 3};
    void *args[4] = {&roles[0], &roles[1], &roles[2], &roles[3]};
    wt_run_parties(p, 4, bb_party, args);
    assert_int_equal(g_consumed, 2 * ITEMS);
    assert_int_equal(g_next_seq[0], ITEMS);
    assert_int_equal(g_next_seq[1], ITEMS);
    assert_int_equal(weft_cond_destroy(&g_not_full), 0);
    assert_int_equal(weft_cond_destroy(&g_not_empty), 0);
}
WT_PAIRS(bounded_buffer)

/* --- wait-morphing, counts, forwarding past a cancel --- */
static weft_cond_t g_c;
static _Atomic int g_woken;

static void *rm_waiter(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_rmutex_lock(&g_rm, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_rmutex_lock(&g_rm, WEFT_FOREVER), 0);
    int r = weft_cond_wait(&g_c, WEFT_FOREVER);
    /* Woken once, owning the lock with the full count. */
    WT_CHECK_EQ(weft_rmutex_count(&g_rm), 2);
    atomic_fetch_add(&g_woken, 1);
    WT_CHECK_EQ(weft_rmutex_unlock(&g_rm), 0);
    WT_CHECK_EQ(weft_rmutex_unlock(&g_rm), 0);
    return (void *)(intptr_t)r;
}

static void *morph_main(void *arg) {
    (void)arg;
    weft_fiber_t *f[3];
    for (int i = 0; i < 3; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], rm_waiter, NULL), 0);
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft__wl_count(&g_c.wl) < 3 && weft_now() < limit)
        wt_pause();
    WT_CHECK_EQ(weft_cond_notify(&g_c, 1), -EPERM); /* lock not held */
    WT_CHECK_EQ(weft_rmutex_lock(&g_rm, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_cond_notify(&g_c, 2), 2);
    /* Cancel all three: the two notified ones keep their grant (DESIGN 4a) and
     * return 0; the third was still waiting and returns -ECANCELED. */
    for (int i = 0; i < 3; i++)
        WT_CHECK_EQ(weft_cancel(f[i]), 0);
    WT_CHECK_EQ(atomic_load(&g_woken), 0); /* nobody runs before we unlock */
    wt_pause();
    WT_CHECK_EQ(atomic_load(&g_woken), 0);
    WT_CHECK_EQ(weft_cond_notify_all(&g_c), 0);
    WT_CHECK_EQ(weft_rmutex_unlock(&g_rm), 0);
    int zero = 0, cancelled = 0;
    for (int i = 0; i < 3; i++) {
        void *r;
        WT_CHECK_EQ(weft_join(f[i], &r, WEFT_FOREVER), 0);
        if ((int)(intptr_t)r == 0) zero++;
        if ((int)(intptr_t)r == -ECANCELED) cancelled++;
    }
    WT_CHECK_EQ(zero, 2);
    WT_CHECK_EQ(cancelled, 1);
    WT_CHECK_EQ(atomic_load(&g_woken), 3);
    return NULL;
}

static void wait_morphing(void **state) {
    (void)state;
    for (int workers = 1; workers <= 2; workers++) {
        weft_rmutex_init(&g_rm);
        weft_cond_init_rmutex(&g_c, &g_rm);
        atomic_store(&g_woken, 0);
        wt_in_runtime(WT_RUN, workers, morph_main, NULL);
        assert_int_equal(weft_rmutex_is_locked(&g_rm), 0);
    }
}

/* --- predicates are evaluated by the notifier --- */
static int g_x;
static _Atomic int g_pred_calls;

static int x_at_least_5(void *arg) {
    (void)arg;
    atomic_fetch_add(&g_pred_calls, 1);
    return g_x >= 5 ? g_x : 0;
}

static void *pred_waiter(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
    int v = weft_cond_wait_for(&g_c, x_at_least_5, NULL, WEFT_FOREVER);
    WT_CHECK(weft_mutex_is_owned(&g_m));
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    return (void *)(intptr_t)v;
}

static void delegated_predicate(enum wt_pair p);
static void *pred_party(void *arg) {
    int notifier = *(int *)arg;
    if (!notifier) return pred_waiter(NULL);
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft__wl_count(&g_c.wl) < 1 && weft_now() < limit)
        wt_pause();
    for (int i = 0; i < 7; i++) {
        WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
        g_x++;
        int n = weft_cond_notify_all(&g_c);
        WT_CHECK_EQ(n, g_x == 5 ? 1 : 0); /* notified only once it holds */
        WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    }
    return NULL;
}

static void delegated_predicate(enum wt_pair p) {
    weft_mutex_init(&g_m);
    weft_cond_init_mutex(&g_c, &g_m);
    g_x = 0;
    atomic_store(&g_pred_calls, 0);
    int roles[2] = {0, 1};
    void *args[2] = {&roles[0], &roles[1]};
    wt_run_parties(p, 2, pred_party, args);
    /* Once by the waiter itself, then once per notify until true, then once
     * more by the woken waiter, holding the lock. */
    assert_int_equal(atomic_load(&g_pred_calls), 1 + 5 + 1);
}
WT_PAIRS(delegated_predicate)

/* --- a notified predicate that a lock holder queued ahead falsifies ---
 * The waiter W is notified (pred true) and moved to the lock's queue behind C,
 * who was already waiting for the lock; C makes the predicate false again. W
 * must not return a true value for a false state: it re-checks and waits on,
 * and returns only after the next notify, with the predicate true. */
static int x_positive(void *arg) {
    (void)arg;
    return g_x > 0 ? g_x : 0;
}

static void *stale_waiter(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
    int v = weft_cond_wait_for(&g_c, x_positive, NULL, WEFT_FOREVER);
    WT_CHECK_EQ(v, 2);
    WT_CHECK_EQ(g_x, 2); /* true when it returns, not only when notified */
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    return NULL;
}

static void *falsifier(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
    g_x = 0;
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    return NULL;
}

static void *stale_main(void *arg) {
    (void)arg;
    weft_fiber_t *w, *c;
    g_x = 0;
    WT_CHECK_EQ(weft_spawn(&w, stale_waiter, NULL), 0);
    while (weft__wl_count(&g_c.wl) < 1)
        weft_yield();
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_spawn(&c, falsifier, NULL), 0);
    while (weft__wl_count(&g_m.wl) < 1) /* C queues on the lock first */
        weft_yield();
    g_x = 1;
    WT_CHECK_EQ(weft_cond_notify_all(&g_c), 1); /* W: behind C on the lock */
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    WT_CHECK_EQ(weft_join(c, NULL, WEFT_FOREVER), 0);
    while (weft__wl_count(&g_c.wl) < 1) /* W re-checked, found 0, waits again */
        weft_yield();
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
    g_x = 2;
    WT_CHECK_EQ(weft_cond_notify_all(&g_c), 1);
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    WT_CHECK_EQ(weft_join(w, NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void predicate_rechecked(void **state) {
    (void)state;
    weft_mutex_init(&g_m);
    weft_cond_init_mutex(&g_c, &g_m);
    for (int workers = 1; workers <= 2; workers++)
        wt_in_runtime(WT_RUN, workers, stale_main, NULL);
}

/* --- timeouts, tries, cancellation: always back with the lock --- */
static void *cancel_waiter(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
    int r = weft_cond_wait(&g_c, WEFT_FOREVER);
    WT_CHECK(weft_mutex_is_owned(&g_m));
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    return (void *)(intptr_t)r;
}

static void *edge_main(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_cond_wait(&g_c, WEFT_FOREVER), -EPERM);
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_cond_wait(&g_c, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK(weft_mutex_is_owned(&g_m));
    int64_t deadline = weft_after(WEFT_MSEC(2));
    WT_CHECK_EQ(weft_cond_wait(&g_c, deadline), -ETIMEDOUT);
    WT_CHECK(weft_now() >= deadline);
    WT_CHECK(weft_mutex_is_owned(&g_m));
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);

    weft_fiber_t *f;
    void *r;
    WT_CHECK_EQ(weft_spawn(&f, cancel_waiter, NULL), 0);
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft__wl_count(&g_c.wl) < 1 && weft_now() < limit)
        wt_pause();
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ((int)(intptr_t)r, -ECANCELED);
    WT_CHECK_EQ(weft__wl_count(&g_c.wl), 0);
    WT_CHECK_EQ(weft_mutex_is_locked(&g_m), 0);
    return NULL;
}

static void timeouts_and_cancel(void **state) {
    (void)state;
    weft_mutex_init(&g_m);
    weft_cond_init_mutex(&g_c, &g_m);
    wt_in_runtime(WT_RUN, 2, edge_main, NULL);
    assert_int_equal(weft_cond_destroy(&g_c), 0);
}

static void errors(void **state) {
    (void)state;
    weft_rmutex_t rm = WEFT_RMUTEX_INIT;
    assert_int_equal(weft_rmutex_unlock(&rm), -EPERM);
    assert_int_equal(weft_rmutex_lock(&rm, WEFT_NOWAIT), 0);
    assert_int_equal(weft_rmutex_destroy(&rm), -EBUSY);
    assert_int_equal(weft_rmutex_unlock(&rm), 0);
    assert_int_equal(weft_rmutex_unlock(&rm), -EPERM);
    assert_int_equal(weft_rmutex_destroy(&rm), 0);
    weft_cond_t c;
    assert_int_equal(weft_cond_init_mutex(&c, NULL), -EINVAL);
    assert_int_equal(weft_cond_init_mutex(NULL, &g_m), -EINVAL);
    weft_mutex_t m = WEFT_MUTEX_INIT;
    assert_int_equal(weft_cond_init_mutex(&c, &m), 0);
    assert_int_equal(weft_cond_notify(&c, 1), -EPERM);
    assert_int_equal(weft_mutex_lock(&m, WEFT_FOREVER), 0);
    assert_int_equal(weft_cond_notify(&c, 1), 0);
    assert_int_equal(weft_cond_wait_for(&c, NULL, NULL, 0), -EINVAL);
    assert_int_equal(weft_mutex_unlock(&m), 0);
    assert_int_equal(weft_cond_destroy(&c), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_PAIRS_TESTS(rmutex_exclusion),
        WT_PAIRS_TESTS(bounded_buffer),
        WT_PAIRS_TESTS(delegated_predicate),
        WT_TEST(predicate_rechecked),
        WT_TEST(wait_morphing),
        WT_TEST(timeouts_and_cancel),
        WT_TEST(errors),
    };
    return WT_RUN_TESTS(tests);
}
