/* tests/test_sync_basic.c: weft_mutex_t, weft_sem_t and weft_event_t over every
 * pairing of fibers and threads (tests/pairs.h): mutual exclusion, arrival-order
 * hand-off, permits conserved under racing deadlines, broadcast, timeouts,
 * cancellation, checkpoints and the documented misuse errors. */
#include "pairs.h"

#include <string.h>

#include "sync/waitq.h"
#include "weft/event.h"
#include "weft/mutex.h"
#include "weft/sem.h"

#define K WT_SCALE(4000)

/* --- mutual exclusion --- */
static weft_mutex_t g_m;
static long g_counter;

static void *exclusion_party(void *arg) {
    (void)arg;
    for (int i = 0; i < K; i++) {
        WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
        WT_CHECK(weft_mutex_is_owned(&g_m));
        long x = g_counter;
        if (i % 8 == 0) wt_pause(); /* switch while holding it */
        g_counter = x + 1;
        WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    }
    return NULL;
}

static void mutex_exclusion(enum wt_pair p) {
    assert_int_equal(weft_mutex_init(&g_m), 0);
    g_counter = 0;
    void *args[4] = {0};
    wt_run_parties(p, 4, exclusion_party, args);
    assert_int_equal(g_counter, 4L * K);
    assert_int_equal(weft_mutex_is_locked(&g_m), 0);
    assert_int_equal(weft_mutex_destroy(&g_m), 0);
}
WT_PAIRS(mutex_exclusion)

/* --- arrival order: the holder releases, waiters get it in the order they came --- */
struct order {
    _Atomic int next, released;
    int got[WT_MAX_PARTIES];
};
static struct order g_order;
static weft_sem_t g_s;

struct fifo_arg {
    int index, n, sem;
};

static void *fifo_party(void *arg) {
    struct fifo_arg *a = arg;
    if (a->index == 0) {
        /* The holder: wait until all others are queued, then let them go. */
        if (!a->sem) WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
        int64_t limit = weft_after(WT_PATIENCE);
        while ((a->sem ? weft_sem_waiting(&g_s) : weft__wl_count(&g_m.wl)) < a->n - 1 &&
               weft_now() < limit)
            wt_pause();
        if (a->sem) {
            for (int i = 1; i < a->n; i++) {
                WT_CHECK_EQ(weft_sem_release(&g_s, 1), 0);
                WT_CHECK_EQ(wt_wait_flag(&g_order.released, i), 0);
            }
        } else {
            WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
        }
        return NULL;
    }
    /* Queue only once the previous party is queued: arrival order = index. */
    int64_t limit = weft_after(WT_PATIENCE);
    if (!a->sem)
        while (weft__wl_count(&g_m.wl) < a->index - 1 || !weft_mutex_is_locked(&g_m)) {
            if (weft_now() > limit) break;
            wt_pause();
        }
    else
        while (weft_sem_waiting(&g_s) < a->index - 1 && weft_now() < limit)
            wt_pause();
    if (a->sem) {
        WT_CHECK_EQ(weft_sem_acquire(&g_s, WEFT_FOREVER), 0);
        g_order.got[atomic_fetch_add(&g_order.next, 1)] = a->index;
        atomic_fetch_add(&g_order.released, 1);
    } else {
        WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
        g_order.got[atomic_fetch_add(&g_order.next, 1)] = a->index;
        WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    }
    return NULL;
}

static void fifo(enum wt_pair p, int sem) {
    enum { N = 5 };
    memset(&g_order, 0, sizeof g_order);
    weft_mutex_init(&g_m);
    weft_sem_init(&g_s, 0, 0);
    struct fifo_arg a[N];
    void *args[N];
    for (int i = 0; i < N; i++) {
        a[i] = (struct fifo_arg){i, N, sem};
        args[i] = &a[i];
    }
    wt_run_parties(p, N, fifo_party, args);
    assert_int_equal(atomic_load(&g_order.next), N - 1);
    for (int i = 0; i < N - 1; i++)
        assert_int_equal(g_order.got[i], i + 1);
}

static void mutex_fifo(enum wt_pair p) {
    fifo(p, 0);
}
static void sem_fifo(enum wt_pair p) {
    fifo(p, 1);
}
WT_PAIRS(mutex_fifo)
WT_PAIRS(sem_fifo)

/* --- semaphore: never more than `max` inside, permits conserved --- */
static _Atomic int g_inside, g_max_inside;

static void *permit_party(void *arg) {
    (void)arg;
    for (int i = 0; i < K; i++) {
        WT_CHECK_EQ(weft_sem_acquire(&g_s, WEFT_FOREVER), 0);
        int in = atomic_fetch_add(&g_inside, 1) + 1;
        int mx = atomic_load(&g_max_inside);
        while (in > mx && !atomic_compare_exchange_weak(&g_max_inside, &mx, in)) {
        }
        if (i % 8 == 0) wt_pause();
        atomic_fetch_sub(&g_inside, 1);
        WT_CHECK_EQ(weft_sem_release(&g_s, 1), 0);
    }
    return NULL;
}

static void sem_permits(enum wt_pair p) {
    assert_int_equal(weft_sem_init(&g_s, 2, 2), 0);
    atomic_store(&g_inside, 0);
    atomic_store(&g_max_inside, 0);
    void *args[4] = {0};
    wt_run_parties(p, 4, permit_party, args);
    assert_true(atomic_load(&g_max_inside) <= 2);
    assert_int_equal(weft_sem_value(&g_s), 2);
    assert_int_equal(weft_sem_waiting(&g_s), 0);
    assert_int_equal(weft_sem_destroy(&g_s), 0);
}
WT_PAIRS(sem_permits)

/* --- grants racing deadlines: every permit is either taken or still banked --- */
struct race {
    _Atomic int done;
    long taken;
};
static struct race g_race;

static void *race_party(void *arg) {
    int releaser = *(int *)arg;
    if (releaser) {
        for (int i = 0; i < K; i++) {
            WT_CHECK_EQ(weft_sem_release(&g_s, 1), 0);
            if (i % 4 == 0) wt_pause();
        }
        atomic_store(&g_race.done, 1);
        return NULL;
    }
    unsigned seed = 99;
    long taken = 0;
    while (!atomic_load(&g_race.done) || weft_sem_value(&g_s) > 0) {
        seed = seed * 1103515245u + 12345u;
        int r = weft_sem_acquire(&g_s, weft_after((seed >> 16) % 30000));
        WT_CHECK(r == 0 || r == -ETIMEDOUT);
        if (r == 0) taken++;
    }
    g_race.taken = taken;
    return NULL;
}

static void sem_race(enum wt_pair p) {
    assert_int_equal(weft_sem_init(&g_s, 0, 0), 0);
    memset(&g_race, 0, sizeof g_race);
    int roles[2] = {0, 1};
    void *args[2] = {&roles[0], &roles[1]};
    wt_run_parties(p, 2, race_party, args);
    /* Exactly K permits were released; none lost, none duplicated. */
    assert_int_equal(g_race.taken + weft_sem_value(&g_s), K);
    assert_int_equal(weft_sem_waiting(&g_s), 0);
}
WT_PAIRS(sem_race)

/* --- event: one set wakes every waiter --- */
static weft_event_t g_e;
static _Atomic int g_arrived;

static void *event_party(void *arg) {
    int setter = *(int *)arg;
    if (setter) {
        WT_CHECK_EQ(wt_wait_flag(&g_arrived, 4), 0);
        WT_CHECK_EQ(weft_event_set(&g_e), 1);
        WT_CHECK_EQ(weft_event_set(&g_e), 0);
        return NULL;
    }
    atomic_fetch_add(&g_arrived, 1);
    WT_CHECK_EQ(weft_event_wait(&g_e, WEFT_FOREVER), 0);
    WT_CHECK(weft_event_is_set(&g_e));
    WT_CHECK_EQ(weft_event_wait(&g_e, WEFT_NOWAIT), 0);
    return NULL;
}

static void event_broadcast(enum wt_pair p) {
    assert_int_equal(weft_event_init(&g_e), 0);
    atomic_store(&g_arrived, 0);
    int roles[5] = {1, 0, 0, 0, 0};
    void *args[5];
    for (int i = 0; i < 5; i++)
        args[i] = &roles[i];
    wt_run_parties(p, 5, event_party, args);
    assert_int_equal(weft_event_destroy(&g_e), 0);
}
WT_PAIRS(event_broadcast)

/* --- a broadcast wakes waiters in the order they arrived --- */
static _Atomic int g_arrive_seq, g_wake_seq;
static int g_arrived_as[8], g_woke_as[8];

static void *ordered_waiter(void *arg) {
    int i = (int)(intptr_t)arg;
    g_arrived_as[i] = atomic_fetch_add(&g_arrive_seq, 1);
    WT_CHECK_EQ(weft_event_wait(&g_e, WEFT_FOREVER), 0);
    g_woke_as[i] = atomic_fetch_add(&g_wake_seq, 1);
    return NULL;
}

static void *order_main(void *arg) {
    (void)arg;
    weft_fiber_t *f[8];
    for (int i = 0; i < 8; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], ordered_waiter, (void *)(intptr_t)i), 0);
    while (weft__wl_count(&g_e.wl) < 8)
        wt_pause(); /* one worker: they queue in arrival order */
    WT_CHECK_EQ(weft_event_set(&g_e), 1);
    for (int i = 0; i < 8; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void broadcast_order(void **state) {
    (void)state;
    weft_event_init(&g_e);
    atomic_store(&g_arrive_seq, 0);
    atomic_store(&g_wake_seq, 0);
    wt_in_runtime(WT_RUN, 1, order_main, NULL);
    for (int i = 0; i < 8; i++)
        assert_int_equal(g_woke_as[i], g_arrived_as[i]);
}

/* --- timeouts leave the object usable --- */
static _Atomic int g_step;

static void *timeout_party(void *arg) {
    int holder = *(int *)arg;
    if (holder) {
        WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
        atomic_store(&g_step, 1);
        WT_CHECK_EQ(wt_wait_flag(&g_step, 2), 0);
        WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
        return NULL;
    }
    WT_CHECK_EQ(wt_wait_flag(&g_step, 1), 0);
    int64_t deadline = weft_after(WEFT_MSEC(2));
    WT_CHECK_EQ(weft_mutex_lock(&g_m, deadline), -ETIMEDOUT);
    WT_CHECK(weft_now() >= deadline);
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_sem_acquire(&g_s, weft_after(WEFT_MSEC(1))), -ETIMEDOUT);
    WT_CHECK_EQ(weft_event_wait(&g_e, weft_after(WEFT_MSEC(1))), -ETIMEDOUT);
    atomic_store(&g_step, 2);
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0); /* still works */
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    return NULL;
}

static void timeouts(enum wt_pair p) {
    weft_mutex_init(&g_m);
    weft_sem_init(&g_s, 0, 0);
    weft_event_init(&g_e);
    atomic_store(&g_step, 0);
    int roles[2] = {1, 0};
    void *args[2] = {&roles[0], &roles[1]};
    wt_run_parties(p, 2, timeout_party, args);
    assert_int_equal(weft__wl_count(&g_m.wl), 0);
    assert_int_equal(weft_sem_waiting(&g_s), 0);
    assert_int_equal(weft_mutex_destroy(&g_m), 0);
}
WT_PAIRS(timeouts)

/* --- cancellation of a queued fiber --- */
static void *cancel_victim(void *arg) {
    int which = *(int *)arg;
    if (which == 0) return (void *)(intptr_t)weft_mutex_lock(&g_m, WEFT_FOREVER);
    if (which == 1) return (void *)(intptr_t)weft_sem_acquire(&g_s, WEFT_FOREVER);
    return (void *)(intptr_t)weft_event_wait(&g_e, WEFT_FOREVER);
}

static void *cancel_main(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
    for (int which = 0; which < 3; which++) {
        weft_fiber_t *f;
        void *res;
        WT_CHECK_EQ(weft_spawn(&f, cancel_victim, &which), 0);
        WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
        WT_CHECK_EQ(weft_cancel(f), 0);
        WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
        WT_CHECK_EQ((int)(intptr_t)res, -ECANCELED);
    }
    WT_CHECK_EQ(weft__wl_count(&g_m.wl), 0);
    WT_CHECK_EQ(weft_sem_waiting(&g_s), 0);
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    WT_CHECK_EQ(weft_mutex_is_locked(&g_m), 0); /* nothing was handed to the victim */
    /* A cancelled fiber: blocking calls fail even when they could succeed; tries
     * behave normally. */
    weft_cancel(weft_self());
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    weft_sem_release(&g_s, 1);
    WT_CHECK_EQ(weft_sem_acquire(&g_s, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_sem_acquire(&g_s, WEFT_NOWAIT), 0);
    return NULL;
}

static void cancel_queued(void **state) {
    (void)state;
    weft_mutex_init(&g_m);
    weft_sem_init(&g_s, 0, 0);
    weft_event_init(&g_e);
    for (int workers = 1; workers <= 2; workers++)
        wt_in_runtime(WT_RUN, workers, cancel_main, NULL);
}

/* --- checkpoints: a fast path yields exactly once with the option, never without --- */
static void *checkpoint_main(void *arg) {
    int expect = *(int *)arg;
    weft_fiber_t *f;
    WT_CHECK_EQ(weft_spawn(&f, wt_probe, NULL), 0);
    weft_yield(); /* the probe is now running its loop */
    weft_mutex_t m = WEFT_MUTEX_INIT;
    weft_sem_t s = WEFT_SEM_INIT(1, 0);
    weft_event_t e = WEFT_EVENT_INIT;
    weft_event_set(&e);
    int before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_mutex_lock(&m, WEFT_FOREVER), 0);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, expect);
    before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_mutex_unlock(&m), 0); /* never a checkpoint */
    WT_CHECK_EQ(weft_sem_acquire(&s, WEFT_FOREVER), 0);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, expect);
    before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_event_wait(&e, WEFT_FOREVER), 0);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, expect);
    before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_sem_release(&s, 1), 0);
    WT_CHECK_EQ(weft_sem_acquire(&s, WEFT_NOWAIT), 0); /* a try never yields */
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, 0);
    atomic_store(&wt_probe_stop, 1);
    WT_CHECK_EQ(weft_join(f, NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void checkpoints(void **state) {
    (void)state;
    wt_run_checkpoint_modes(checkpoint_main);
}

/* --- misuse errors leave the objects usable --- */
static void *unlock_other(void *arg) {
    return (void *)(intptr_t)weft_mutex_unlock((weft_mutex_t *)arg);
}

static void errors(void **state) {
    (void)state;
    weft_mutex_t m = WEFT_MUTEX_INIT;
    assert_int_equal(weft_mutex_unlock(&m), -EPERM);
    assert_int_equal(weft_mutex_lock(&m, WEFT_FOREVER), 0);
    assert_int_equal(weft_mutex_lock(&m, WEFT_FOREVER), -EDEADLK);
    assert_int_equal(weft_mutex_lock(&m, WEFT_NOWAIT), -EDEADLK); /* before -ETIMEDOUT */
    pthread_t t;
    void *r;
    assert_int_equal(pthread_create(&t, NULL, unlock_other, &m), 0);
    pthread_join(t, &r);
    assert_int_equal((int)(intptr_t)r, -EPERM);
    assert_int_equal(weft_mutex_destroy(&m), -EBUSY);
    assert_true(weft_mutex_is_owned(&m));
    assert_int_equal(weft_mutex_unlock(&m), 0);
    assert_int_equal(weft_mutex_destroy(&m), 0);
    assert_int_equal(weft_mutex_lock(NULL, 0), -EINVAL);
    assert_int_equal(weft_mutex_init(NULL), -EINVAL);

    weft_sem_t s;
    assert_int_equal(weft_sem_init(&s, 2, 1), -EINVAL);
    assert_int_equal(weft_sem_init(NULL, 0, 0), -EINVAL);
    assert_int_equal(weft_sem_init(&s, 1, 2), 0);
    assert_int_equal(weft_sem_release(&s, 0), 0);
    assert_int_equal(weft_sem_release(&s, 2), -EOVERFLOW);
    assert_int_equal(weft_sem_value(&s), 1); /* nothing released */
    assert_int_equal(weft_sem_release(&s, 1), 0);
    assert_int_equal(weft_sem_release(&s, 1), -EOVERFLOW);
    assert_int_equal(weft_sem_value(&s), 2);
    assert_int_equal(weft_sem_acquire(&s, WEFT_NOWAIT), 0);
    assert_int_equal(weft_sem_acquire(&s, WEFT_NOWAIT), 0);
    assert_int_equal(weft_sem_acquire(&s, WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_sem_destroy(&s), 0);

    weft_event_t e = WEFT_EVENT_INIT;
    assert_int_equal(weft_event_is_set(&e), 0);
    assert_int_equal(weft_event_wait(&e, WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_event_set(&e), 1);
    assert_int_equal(weft_event_wait(&e, WEFT_NOWAIT), 0);
    assert_int_equal(weft_event_set(NULL), -EINVAL);
}

/* Destroy with a queued waiter reports -EBUSY and leaves the waiter queued. */
static void *sem_waiter(void *arg) {
    return (void *)(intptr_t)weft_sem_acquire((weft_sem_t *)arg, WEFT_FOREVER);
}

static void destroy_busy(void **state) {
    (void)state;
    weft_sem_t s = WEFT_SEM_INIT(0, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, sem_waiter, &s), 0);
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft_sem_waiting(&s) < 1 && weft_now() < limit)
        sched_yield();
    assert_int_equal(weft_sem_destroy(&s), -EBUSY);
    assert_int_equal(weft_sem_release(&s, 1), 0);
    void *r;
    pthread_join(t, &r);
    assert_int_equal((int)(intptr_t)r, 0);
    assert_int_equal(weft_sem_destroy(&s), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_PAIRS_TESTS(mutex_exclusion),
        WT_PAIRS_TESTS(mutex_fifo),
        WT_PAIRS_TESTS(sem_fifo),
        WT_PAIRS_TESTS(sem_permits),
        WT_PAIRS_TESTS(sem_race),
        WT_PAIRS_TESTS(event_broadcast),
        WT_PAIRS_TESTS(timeouts),
        WT_TEST(broadcast_order),
        WT_TEST(cancel_queued),
        WT_TEST(checkpoints),
        WT_TEST(errors),
        WT_TEST(destroy_busy),
    };
    return WT_RUN_TESTS(tests);
}
