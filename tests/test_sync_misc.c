/* tests/test_sync_misc.c: weft_flag_t, weft_guard_t, weft_once_t and
 * weft_limiter_t over every pairing of fibers and threads (tests/pairs.h): one
 * winner per flag, guard exclusion, once runs fn exactly once and nobody returns
 * before it finished, the limiter never lends more than total tokens, serves in
 * arrival order, counts re-entries, grants on set_total, conserves tokens under
 * racing deadlines and cancellation, plus misuse errors and checkpoints. */
#include "pairs.h"

#include <limits.h>
#include <string.h>

#include "sync/waitq.h"
#include "weft/event.h"
#include "weft/flag.h"
#include "weft/guard.h"
#include "weft/limiter.h"
#include "weft/once.h"
#include "weft/sem.h"

#define K WT_SCALE(4000)

static void max_update(_Atomic int *mx, int v) {
    int m = atomic_load(mx);
    while (v > m && !atomic_compare_exchange_weak(mx, &m, v)) {
    }
}

/* ------------------------------------------------------------------------- */
/* flag: among racing setters of one flag exactly one wins, and its value sticks */

#define NFLAGS WT_SCALE(2000)
static weft_flag_t g_flags[2000];
static _Atomic int g_flag_wins[2000];
static int g_flag_marker[WT_MAX_PARTIES];

static void *flag_set_party(void *arg) {
    int me = *(int *)arg;
    /* Party 0 sets NULL, to check that NULL is a value like any other. */
    void *mine = me == 0 ? NULL : &g_flag_marker[me];
    for (int i = 0; i < NFLAGS; i++) {
        int r = weft_flag_set(&g_flags[i], mine);
        WT_CHECK(r == 0 || r == 1);
        void *v = &g_flag_marker[0];
        WT_CHECK_EQ(weft_flag_get(&g_flags[i], &v), 0); /* set by someone by now */
        if (r == 1) {
            atomic_fetch_add(&g_flag_wins[i], 1);
            WT_CHECK(v == mine);
        } else {
            WT_CHECK(v != mine);
        }
        if (i % 64 == 0) wt_pause();
    }
    return NULL;
}

static void flag_race(enum wt_pair p) {
    enum { N = 4 };
    for (int i = 0; i < NFLAGS; i++) {
        assert_int_equal(weft_flag_init(&g_flags[i]), 0);
        atomic_store(&g_flag_wins[i], 0);
    }
    int ids[N];
    void *args[N];
    for (int i = 0; i < N; i++) {
        ids[i] = i;
        args[i] = &ids[i];
    }
    wt_run_parties(p, N, flag_set_party, args);
    for (int i = 0; i < NFLAGS; i++) {
        assert_int_equal(atomic_load(&g_flag_wins[i]), 1);
        assert_int_equal(weft_flag_is_set(&g_flags[i]), 1);
        assert_int_equal(weft_flag_destroy(&g_flags[i]), 0);
    }
}
WT_PAIRS(flag_race)

/* flag as a try-lock: the winner alone clears it, so while it holds the flag its
 * value is its own and nobody else's set wins. */
static weft_flag_t g_flag;
static _Atomic int g_inside, g_max_inside, g_wins;

static void *flag_clear_party(void *arg) {
    int me = *(int *)arg;
    for (int i = 0; i < K; i++) {
        if (weft_flag_set(&g_flag, &g_flag_marker[me]) != 1) {
            if (i % 4 == 0) wt_pause();
            continue;
        }
        max_update(&g_max_inside, atomic_fetch_add(&g_inside, 1) + 1);
        atomic_fetch_add(&g_wins, 1);
        if (i % 8 == 0) wt_pause();
        void *v = NULL;
        WT_CHECK_EQ(weft_flag_get(&g_flag, &v), 0);
        WT_CHECK(v == &g_flag_marker[me]);
        WT_CHECK_EQ(weft_flag_set(&g_flag, NULL), 0);
        atomic_fetch_sub(&g_inside, 1);
        WT_CHECK_EQ(weft_flag_clear(&g_flag), 1);
    }
    return NULL;
}

static void flag_clear(enum wt_pair p) {
    enum { N = 4 };
    weft_flag_t init = WEFT_FLAG_INIT;
    g_flag = init;
    atomic_store(&g_inside, 0);
    atomic_store(&g_max_inside, 0);
    atomic_store(&g_wins, 0);
    int ids[N];
    void *args[N];
    for (int i = 0; i < N; i++) {
        ids[i] = i;
        args[i] = &ids[i];
    }
    wt_run_parties(p, N, flag_clear_party, args);
    assert_int_equal(atomic_load(&g_max_inside), 1);
    assert_true(atomic_load(&g_wins) > 0);
    assert_int_equal(weft_flag_get(&g_flag, NULL), -ENOENT);
    assert_int_equal(weft_flag_clear(&g_flag), 0);
}
WT_PAIRS(flag_clear)

/* ------------------------------------------------------------------------- */
/* guard: never two inside; refused enters change nothing */

static weft_guard_t g_guard;
static _Atomic int g_busy;

static void *guard_party(void *arg) {
    (void)arg;
    for (int i = 0; i < K; i++) {
        int r = weft_guard_enter(&g_guard);
        if (r == -EBUSY) {
            atomic_fetch_add(&g_busy, 1);
            if (i % 4 == 0) wt_pause();
            continue;
        }
        WT_CHECK_EQ(r, 0);
        max_update(&g_max_inside, atomic_fetch_add(&g_inside, 1) + 1);
        atomic_fetch_add(&g_wins, 1);
        WT_CHECK(weft_guard_in_use(&g_guard));
        if (i % 8 == 0) wt_pause();
        atomic_fetch_sub(&g_inside, 1);
        WT_CHECK_EQ(weft_guard_exit(&g_guard), 0);
    }
    return NULL;
}

static void guard_exclusion(enum wt_pair p) {
    assert_int_equal(weft_guard_init(&g_guard), 0);
    atomic_store(&g_inside, 0);
    atomic_store(&g_max_inside, 0);
    atomic_store(&g_wins, 0);
    atomic_store(&g_busy, 0);
    void *args[4] = {0};
    wt_run_parties(p, 4, guard_party, args);
    assert_int_equal(atomic_load(&g_max_inside), 1);
    /* Every attempt either entered or was refused; none got lost. */
    assert_int_equal(atomic_load(&g_wins) + atomic_load(&g_busy), 4 * K);
    assert_int_equal(weft_guard_in_use(&g_guard), 0);
    assert_int_equal(weft_guard_exit(&g_guard), -EPERM);
    assert_int_equal(weft_guard_destroy(&g_guard), 0);
}
WT_PAIRS(guard_exclusion)

/* ------------------------------------------------------------------------- */
/* once: fn runs exactly once per object; every caller returns after it finished */

#define NONCE WT_SCALE(300)
static weft_once_t g_once[300];
static _Atomic int g_once_runs[300], g_once_done[300];

static void once_fn(void *arg) {
    int i = (int)(intptr_t)arg;
    atomic_fetch_add(&g_once_runs[i], 1);
    for (int k = 0; k < 3; k++)
        wt_pause(); /* let the other callers arrive and wait */
    atomic_store(&g_once_done[i], 1);
}

static void *once_party(void *arg) {
    (void)arg;
    for (int i = 0; i < NONCE; i++) {
        WT_CHECK_EQ(weft_once(&g_once[i], once_fn, WT_PTR(i)), 0);
        WT_CHECK_EQ(atomic_load(&g_once_done[i]), 1);
        WT_CHECK(weft_once_done(&g_once[i]));
    }
    return NULL;
}

static void once_exactly(enum wt_pair p) {
    for (int i = 0; i < NONCE; i++) {
        assert_int_equal(weft_once_init(&g_once[i]), 0);
        atomic_store(&g_once_runs[i], 0);
        atomic_store(&g_once_done[i], 0);
    }
    void *args[4] = {0};
    wt_run_parties(p, 4, once_party, args);
    for (int i = 0; i < NONCE; i++) {
        assert_int_equal(atomic_load(&g_once_runs[i]), 1);
        assert_int_equal(weft_once_destroy(&g_once[i]), 0);
        /* Later calls return at once and run nothing. */
        assert_int_equal(weft_once(&g_once[i], once_fn, WT_PTR(i)), 0);
        assert_int_equal(atomic_load(&g_once_runs[i]), 1);
    }
}
WT_PAIRS(once_exactly)

/* A recursive call from fn on the same caller is -EDEADLK (fiber and thread). */
static weft_once_t g_rec;
static int g_rec_inner;

static void rec_fn(void *arg) {
    (void)arg;
    g_rec_inner = weft_once(&g_rec, rec_fn, NULL);
}

static void *once_recursive_body(void *arg) {
    (void)arg;
    weft_once_t init = WEFT_ONCE_INIT;
    g_rec = init;
    g_rec_inner = 1;
    WT_CHECK_EQ(weft_once(&g_rec, rec_fn, NULL), 0);
    WT_CHECK_EQ(g_rec_inner, -EDEADLK);
    WT_CHECK(weft_once_done(&g_rec));
    return NULL;
}

static void once_recursive(void **state) {
    (void)state;
    wt_in_runtime(WT_RUN, 1, once_recursive_body, NULL); /* on a fiber */
    once_recursive_body(NULL);                           /* on this thread */
    wt_assert_clean();
    assert_int_equal(weft_once(NULL, rec_fn, NULL), -EINVAL);
    assert_int_equal(weft_once(&g_rec, NULL, NULL), -EINVAL);
}

/* Cancellation: a cancelled waiter keeps waiting (shielded) until fn has run and
 * returns 0; its cancellation then hits its next blocking call. A cancelled
 * first caller runs fn. */
static weft_once_t g_co;
static weft_event_t g_co_gate;
static _Atomic int g_co_fn_done, g_co_started;

static void co_fn(void *arg) {
    (void)arg;
    atomic_store(&g_co_started, 1);
    WT_CHECK_EQ(weft_event_wait(&g_co_gate, WEFT_FOREVER), 0);
    atomic_store(&g_co_fn_done, 1);
}

static void *co_runner(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_once(&g_co, co_fn, NULL), 0);
    return NULL;
}

static void *co_waiter(void *arg) {
    (void)arg;
    int r = weft_once(&g_co, co_fn, NULL);
    WT_CHECK_EQ(atomic_load(&g_co_fn_done), 1); /* never before fn finished */
    WT_CHECK(weft_cancelled());
    WT_CHECK_EQ(weft_sleep_until(WEFT_FOREVER), -ECANCELED); /* next call hits */
    return WT_PTR(r);
}

static void co_count(void *arg) {
    ++*(int *)arg;
    WT_CHECK(weft_cancelled()); /* fn runs on the cancelled first caller */
}

static void *once_cancel_body(void *arg) {
    (void)arg;
    weft_fiber_t *runner, *waiter;
    WT_CHECK_EQ(weft_spawn(&runner, co_runner, NULL), 0);
    WT_CHECK_EQ(wt_wait_flag(&g_co_started, 1), 0);
    WT_CHECK_EQ(weft_spawn(&waiter, co_waiter, NULL), 0);
    WT_CHECK_EQ(wt_wait_state(waiter, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft__wl_count(&g_co.wl), 1);
    WT_CHECK_EQ(weft_once_destroy(&g_co), -EBUSY);
    WT_CHECK_EQ(weft_cancel(waiter), 0);
    /* The shielded wait was not ended by the cancel. */
    WT_CHECK_EQ(atomic_load(&waiter->state), WEFT__FIBER_PARKED);
    WT_CHECK_EQ(weft__wl_count(&g_co.wl), 1);
    WT_CHECK_EQ(weft_event_set(&g_co_gate), 1);
    void *res = WT_PTR(1);
    WT_CHECK_EQ(weft_join(waiter, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), 0);
    WT_CHECK_EQ(weft_join(runner, NULL, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_once_destroy(&g_co), 0);

    /* A cancelled first caller runs fn itself and returns 0. */
    weft_once_t o = WEFT_ONCE_INIT;
    int runs = 0;
    weft_cancel(weft_self());
    WT_CHECK_EQ(weft_once(&o, co_count, &runs), 0);
    WT_CHECK_EQ(runs, 1);
    WT_CHECK_EQ(weft_once(&o, co_count, &runs), 0);
    WT_CHECK_EQ(runs, 1);
    return NULL;
}

static void once_cancel(void **state) {
    (void)state;
    for (int workers = 1; workers <= 2; workers++) {
        weft_once_t o = WEFT_ONCE_INIT;
        g_co = o;
        weft_event_init(&g_co_gate);
        atomic_store(&g_co_fn_done, 0);
        atomic_store(&g_co_started, 0);
        wt_in_runtime(WT_RUN, workers, once_cancel_body, NULL);
    }
}

/* ------------------------------------------------------------------------- */
/* limiter: never more than total borrowers; counts; tokens conserved */

static weft_limiter_t g_l;

static void *limiter_party(void *arg) {
    int reentrant = *(int *)arg;
    for (int i = 0; i < K; i++) {
        WT_CHECK_EQ(weft_limiter_acquire(&g_l, WEFT_FOREVER), 0);
        max_update(&g_max_inside, atomic_fetch_add(&g_inside, 1) + 1);
        WT_CHECK_EQ(weft_limiter_count(&g_l), 1);
        if (reentrant) {
            WT_CHECK_EQ(weft_limiter_acquire(&g_l, WEFT_NOWAIT), 0); /* never blocks */
            WT_CHECK_EQ(weft_limiter_count(&g_l), 2);
            if (i % 8 == 0) wt_pause();
            WT_CHECK_EQ(weft_limiter_release(&g_l), 0);
            WT_CHECK_EQ(weft_limiter_count(&g_l), 1);
        } else {
            WT_CHECK_EQ(weft_limiter_acquire(&g_l, WEFT_FOREVER), -EDEADLK);
            if (i % 8 == 0) wt_pause();
        }
        WT_CHECK(weft_limiter_borrowed(&g_l) <= 2);
        atomic_fetch_sub(&g_inside, 1);
        WT_CHECK_EQ(weft_limiter_release(&g_l), 0);
        WT_CHECK_EQ(weft_limiter_count(&g_l), 0);
        WT_CHECK_EQ(weft_limiter_release(&g_l), -EPERM);
    }
    return NULL;
}

static void limiter_total(enum wt_pair p, int reentrant) {
    assert_int_equal(weft_limiter_init(&g_l, 2, reentrant), 0);
    atomic_store(&g_inside, 0);
    atomic_store(&g_max_inside, 0);
    int flags[4] = {reentrant, reentrant, reentrant, reentrant};
    void *args[4] = {&flags[0], &flags[1], &flags[2], &flags[3]};
    wt_run_parties(p, 4, limiter_party, args);
    assert_true(atomic_load(&g_max_inside) <= 2);
    assert_int_equal(weft_limiter_borrowed(&g_l), 0);
    assert_int_equal(weft_limiter_available(&g_l), 2);
    assert_int_equal(weft_limiter_waiting(&g_l), 0);
    assert_int_equal(weft_limiter_destroy(&g_l), 0);
}

static void limiter_bound(enum wt_pair p) {
    limiter_total(p, 0);
}
static void rlimiter_bound(enum wt_pair p) {
    limiter_total(p, 1);
}
WT_PAIRS(limiter_bound)
WT_PAIRS(rlimiter_bound)

/* --- arrival order: a returned token goes to the oldest waiter --- */
static struct {
    _Atomic int next;
    int got[WT_MAX_PARTIES];
} g_order;

struct idx_arg {
    int index, n;
};

static void *limiter_fifo_party(void *arg) {
    struct idx_arg *a = arg;
    int64_t limit = weft_after(WT_PATIENCE);
    if (a->index == 0) {
        WT_CHECK_EQ(weft_limiter_acquire(&g_l, WEFT_FOREVER), 0);
        while (weft_limiter_waiting(&g_l) < a->n - 1 && weft_now() < limit)
            wt_pause();
        WT_CHECK_EQ(weft_limiter_release(&g_l), 0);
        return NULL;
    }
    /* Queue only once the previous party is queued: arrival order = index. */
    while (
        (weft_limiter_waiting(&g_l) < a->index - 1 || weft_limiter_borrowed(&g_l) == 0) &&
        weft_now() < limit)
        wt_pause();
    WT_CHECK_EQ(weft_limiter_acquire(&g_l, WEFT_FOREVER), 0);
    g_order.got[atomic_fetch_add(&g_order.next, 1)] = a->index;
    WT_CHECK_EQ(weft_limiter_release(&g_l), 0);
    return NULL;
}

static void limiter_fifo(enum wt_pair p) {
    enum { N = 6 };
    memset(&g_order, 0, sizeof g_order);
    assert_int_equal(weft_limiter_init(&g_l, 1, 0), 0);
    struct idx_arg a[N];
    void *args[N];
    for (int i = 0; i < N; i++) {
        a[i] = (struct idx_arg){i, N};
        args[i] = &a[i];
    }
    wt_run_parties(p, N, limiter_fifo_party, args);
    assert_int_equal(atomic_load(&g_order.next), N - 1);
    for (int i = 0; i < N - 1; i++)
        assert_int_equal(g_order.got[i], i + 1);
    assert_int_equal(weft_limiter_available(&g_l), 1);
    assert_int_equal(weft_limiter_destroy(&g_l), 0);
}
WT_PAIRS(limiter_fifo)

/* --- set_total: raising grants queued callers in arrival order at once;
 *     lowering revokes nothing --- */
static _Atomic int g_phase, g_granted, g_release_go;
static int g_got_phase[WT_MAX_PARTIES];

static void *set_total_party(void *arg) {
    struct idx_arg *a = arg;
    int64_t limit = weft_after(WT_PATIENCE);
    if (a->index == 0) {
        int waiters = a->n - 1;
        while (weft_limiter_waiting(&g_l) < waiters && weft_now() < limit)
            wt_pause();
        WT_CHECK_EQ(weft_limiter_borrowed(&g_l), 0);
        atomic_store(&g_phase, 1);
        WT_CHECK_EQ(weft_limiter_set_total(&g_l, 2), 0); /* grants the first two */
        WT_CHECK_EQ(wt_wait_flag(&g_granted, 2), 0);
        WT_CHECK_EQ(weft_limiter_borrowed(&g_l), 2);
        WT_CHECK_EQ(weft_limiter_available(&g_l), 0);
        WT_CHECK_EQ(weft_limiter_waiting(&g_l), waiters - 2);
        atomic_store(&g_phase, 2);
        WT_CHECK_EQ(weft_limiter_set_total(&g_l, (unsigned)waiters + 1), 0);
        WT_CHECK_EQ(wt_wait_flag(&g_granted, waiters), 0);
        WT_CHECK_EQ(weft_limiter_borrowed(&g_l), waiters);
        WT_CHECK_EQ(weft_limiter_available(&g_l), 1);
        /* Lowering takes nothing back. */
        WT_CHECK_EQ(weft_limiter_set_total(&g_l, 1), 0);
        WT_CHECK_EQ(weft_limiter_borrowed(&g_l), waiters);
        WT_CHECK_EQ(weft_limiter_available(&g_l), 0);
        WT_CHECK_EQ(weft_limiter_acquire(&g_l, WEFT_NOWAIT), -ETIMEDOUT);
        atomic_store(&g_release_go, 1);
        return NULL;
    }
    while (weft_limiter_waiting(&g_l) < a->index - 1 && weft_now() < limit)
        wt_pause();
    WT_CHECK_EQ(weft_limiter_acquire(&g_l, WEFT_FOREVER), 0);
    g_got_phase[a->index] = atomic_load(&g_phase);
    atomic_fetch_add(&g_granted, 1);
    WT_CHECK_EQ(wt_wait_flag(&g_release_go, 1), 0);
    WT_CHECK_EQ(weft_limiter_release(&g_l), 0);
    return NULL;
}

static void limiter_set_total(enum wt_pair p) {
    enum { N = 5 };
    atomic_store(&g_phase, 0);
    atomic_store(&g_granted, 0);
    atomic_store(&g_release_go, 0);
    memset(g_got_phase, 0, sizeof g_got_phase);
    assert_int_equal(weft_limiter_init(&g_l, 0, 0), 0);
    struct idx_arg a[N];
    void *args[N];
    for (int i = 0; i < N; i++) {
        a[i] = (struct idx_arg){i, N};
        args[i] = &a[i];
    }
    wt_run_parties(p, N, set_total_party, args);
    assert_int_equal(g_got_phase[1], 1);
    assert_int_equal(g_got_phase[2], 1);
    for (int i = 3; i < N; i++)
        assert_int_equal(g_got_phase[i], 2);
    assert_int_equal(weft_limiter_borrowed(&g_l), 0);
    assert_int_equal(weft_limiter_available(&g_l), 1);
    assert_int_equal(weft_limiter_total(&g_l), 1);
    assert_int_equal(weft_limiter_destroy(&g_l), 0);
}
WT_PAIRS(limiter_set_total)

/* --- racing deadlines: every token is either held or free, never lost --- */
static _Atomic long g_taken;

static void *limiter_race_party(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 17u;
    long taken = 0;
    for (int i = 0; i < K; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned x = (seed >> 16) % 40;
        /* Tries, short deadlines and (rarely) unbounded waits. */
        int64_t deadline = x < 8    ? WEFT_NOWAIT
                           : x < 39 ? weft_after((int64_t)(seed >> 8) % 30000)
                                    : WEFT_FOREVER;
        int r = weft_limiter_acquire(&g_l, deadline);
        WT_CHECK(r == 0 || r == -ETIMEDOUT);
        if (r != 0) continue;
        taken++;
        max_update(&g_max_inside, atomic_fetch_add(&g_inside, 1) + 1);
        if (i % 3 == 0) wt_pause();
        atomic_fetch_sub(&g_inside, 1);
        WT_CHECK_EQ(weft_limiter_release(&g_l), 0);
    }
    atomic_fetch_add(&g_taken, taken);
    return NULL;
}

static void limiter_race(enum wt_pair p) {
    assert_int_equal(weft_limiter_init(&g_l, 2, 0), 0);
    atomic_store(&g_inside, 0);
    atomic_store(&g_max_inside, 0);
    atomic_store(&g_taken, 0);
    void *args[4] = {WT_PTR(1), WT_PTR(2), WT_PTR(3), WT_PTR(4)};
    wt_run_parties(p, 4, limiter_race_party, args);
    assert_true(atomic_load(&g_max_inside) <= 2);
    assert_true(atomic_load(&g_taken) > 0);
    assert_int_equal(weft_limiter_borrowed(&g_l), 0);
    assert_int_equal(weft_limiter_borrowed(&g_l) + weft_limiter_available(&g_l), 2);
    assert_int_equal(weft_limiter_waiting(&g_l), 0);
    assert_int_equal(weft_limiter_destroy(&g_l), 0);
}
WT_PAIRS(limiter_race)

/* --- a grant racing a cancel from another thread: exactly one wins; a victim
 *     that was granted holds the token, one that was cancelled took nothing --- */
static weft_fiber_t *_Atomic g_target;
static _Atomic int g_outcome[2];
static weft_sem_t g_go;

/* A plain thread that cancels g_target each time it is signalled (NULL: quit). */
static void *canceller(void *arg) {
    (void)arg;
    for (;;) {
        WT_CHECK_EQ(weft_sem_acquire(&g_go, WEFT_FOREVER), 0);
        weft_fiber_t *f = atomic_load(&g_target);
        if (!f) return NULL;
        weft_cancel(f);
        atomic_store(&g_target, NULL);
    }
}

static void *victim(void *arg) {
    int r = weft_limiter_acquire(&g_l, WEFT_FOREVER);
    WT_CHECK(r == 0 || r == -ECANCELED);
    if (r == 0) {
        WT_CHECK_EQ(weft_limiter_count(&g_l), 1);
        WT_CHECK_EQ(weft_limiter_release(&g_l), 0); /* release is no cancel point */
    }
    return WT_PTR(r);
}

static void *cancel_race_body(void *arg) {
    (void)arg;
    int rounds = WT_SCALE(400);
    for (int i = 0; i < rounds; i++) {
        WT_CHECK_EQ(weft_limiter_acquire(&g_l, WEFT_FOREVER), 0);
        weft_fiber_t *f;
        WT_CHECK_EQ(weft_spawn(&f, victim, NULL), 0);
        WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
        WT_CHECK_EQ(weft_limiter_waiting(&g_l), 1);
        atomic_store(&g_target, f);
        /* Vary who comes first: the grant, a true race, or the cancel. */
        if (i % 3 == 0) WT_CHECK_EQ(weft_limiter_release(&g_l), 0);
        WT_CHECK_EQ(weft_sem_release(&g_go, 1), 0);
        if (i % 3 == 1) WT_CHECK_EQ(weft_limiter_release(&g_l), 0);
        int64_t limit = weft_after(WT_PATIENCE);
        while (atomic_load(&g_target) && weft_now() < limit)
            wt_pause(); /* the handle must outlive the cancel */
        if (i % 3 == 2) WT_CHECK_EQ(weft_limiter_release(&g_l), 0);
        void *res;
        WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
        atomic_fetch_add(&g_outcome[WT_INT(res) == 0 ? 0 : 1], 1);
        WT_CHECK_EQ(weft_limiter_borrowed(&g_l), 0);
        WT_CHECK_EQ(weft_limiter_available(&g_l), 1);
        WT_CHECK_EQ(weft_limiter_waiting(&g_l), 0);
    }
    return NULL;
}

static void limiter_cancel_race(void **state) {
    (void)state;
    assert_int_equal(weft_limiter_init(&g_l, 1, 0), 0);
    atomic_store(&g_target, NULL);
    assert_int_equal(weft_sem_init(&g_go, 0, 0), 0);
    atomic_store(&g_outcome[0], 0);
    atomic_store(&g_outcome[1], 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, canceller, NULL), 0);
    for (int workers = 1; workers <= 2; workers++)
        wt_in_runtime(WT_RUN, workers, cancel_race_body, NULL);
    atomic_store(&g_target, NULL);
    assert_int_equal(weft_sem_release(&g_go, 1), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    wt_assert_clean();
    /* Both outcomes occur: the i % 3 == 2 rounds are always cancelled, the
     * i % 3 == 0 rounds always granted. */
    assert_true(atomic_load(&g_outcome[0]) > 0 && atomic_load(&g_outcome[1]) > 0);
    assert_int_equal(atomic_load(&g_outcome[0]) + atomic_load(&g_outcome[1]),
                     2 * WT_SCALE(400));
    assert_int_equal(weft_limiter_borrowed(&g_l), 0);
    assert_int_equal(weft_limiter_available(&g_l), 1);
    assert_int_equal(weft_limiter_destroy(&g_l), 0);
}

/* --- cancelling a queued fiber, and a cancelled fiber's calls --- */
static void *limiter_waiter(void *arg) {
    return WT_PTR(weft_limiter_acquire((weft_limiter_t *)arg, WEFT_FOREVER));
}

static void *limiter_cancel_body(void *arg) {
    (void)arg;
    weft_limiter_t l, rl;
    WT_CHECK_EQ(weft_limiter_init(&l, 1, 0), 0);
    WT_CHECK_EQ(weft_limiter_init(&rl, 1, 1), 0);
    WT_CHECK_EQ(weft_limiter_acquire(&l, WEFT_FOREVER), 0);
    weft_fiber_t *f;
    void *res;
    WT_CHECK_EQ(weft_spawn(&f, limiter_waiter, &l), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_limiter_destroy(&l), -EBUSY);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED);
    WT_CHECK_EQ(weft_limiter_waiting(&l), 0);
    WT_CHECK_EQ(weft_limiter_borrowed(&l), 1); /* still ours; the victim took none */
    WT_CHECK_EQ(weft_limiter_release(&l), 0);
    WT_CHECK_EQ(weft_limiter_available(&l), 1);

    WT_CHECK_EQ(weft_limiter_acquire(&rl, WEFT_FOREVER), 0);
    weft_cancel(weft_self());
    /* Misuse first, then cancellation (also when a token is free or the caller
     * re-enters); tries behave normally; release is no cancellation point. */
    WT_CHECK_EQ(weft_limiter_acquire(&l, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_limiter_acquire(&l, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_limiter_acquire(&l, WEFT_FOREVER), -EDEADLK);
    WT_CHECK_EQ(weft_limiter_release(&l), 0);
    WT_CHECK_EQ(weft_limiter_acquire(&rl, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_limiter_count(&rl), 1);
    WT_CHECK_EQ(weft_limiter_acquire(&rl, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_limiter_count(&rl), 2);
    WT_CHECK_EQ(weft_limiter_release(&rl), 0);
    WT_CHECK_EQ(weft_limiter_release(&rl), 0);
    WT_CHECK_EQ(weft_limiter_release(&rl), -EPERM);
    weft_shield_begin();
    WT_CHECK_EQ(weft_limiter_acquire(&l, WEFT_FOREVER), 0); /* shielded: works */
    WT_CHECK_EQ(weft_limiter_release(&l), 0);
    weft_shield_end();
    WT_CHECK_EQ(weft_limiter_destroy(&l), 0);
    WT_CHECK_EQ(weft_limiter_destroy(&rl), 0);
    return NULL;
}

static void limiter_cancel(void **state) {
    (void)state;
    for (int workers = 1; workers <= 2; workers++)
        wt_in_runtime(WT_RUN, workers, limiter_cancel_body, NULL);
}

/* --- reentrant counts: a re-entry never blocks, even with others queued; the
 *     token moves on only when the count reaches 0 --- */
static void *thread_acquire(void *arg) {
    weft_limiter_t *l = arg;
    int r = weft_limiter_acquire(l, WEFT_FOREVER);
    if (r) return WT_PTR(r);
    int c = weft_limiter_count(l);
    weft_limiter_release(l);
    return WT_PTR(c == 1 ? 0 : -1000 - c);
}

static void *thread_try(void *arg) {
    return WT_PTR(weft_limiter_acquire((weft_limiter_t *)arg, WEFT_NOWAIT));
}

static void *thread_release(void *arg) {
    return WT_PTR(weft_limiter_release((weft_limiter_t *)arg));
}

static int run_thread(void *(*fn)(void *), void *arg) {
    pthread_t t;
    void *r;
    assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    return WT_INT(r);
}

static void reentrant_counts(void **state) {
    (void)state;
    weft_limiter_t l = WEFT_LIMITER_INIT(1, 1);
    assert_int_equal(weft_limiter_count(&l), 0);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(weft_limiter_acquire(&l, WEFT_FOREVER), 0);
        assert_int_equal(weft_limiter_count(&l), i);
        assert_int_equal(weft_limiter_borrowed(&l),
                         1); /* one token, whatever the count */
    }
    assert_int_equal(run_thread(thread_try, &l), -ETIMEDOUT);
    assert_int_equal(run_thread(thread_release, &l), -EPERM); /* not its token */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, thread_acquire, &l), 0);
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft_limiter_waiting(&l) < 1 && weft_now() < limit)
        sched_yield();
    assert_int_equal(weft_limiter_waiting(&l), 1);
    assert_int_equal(weft_limiter_acquire(&l, WEFT_FOREVER),
                     0); /* re-entry, queue or not */
    assert_int_equal(weft_limiter_count(&l), 4);
    for (int i = 3; i >= 1; i--) {
        assert_int_equal(weft_limiter_release(&l), 0);
        assert_int_equal(weft_limiter_count(&l), i);
        assert_int_equal(weft_limiter_waiting(&l), 1); /* not handed on yet */
        assert_int_equal(weft_limiter_borrowed(&l), 1);
    }
    assert_int_equal(weft_limiter_release(&l), 0); /* count 0: the waiter gets it */
    void *r;
    assert_int_equal(pthread_join(t, &r), 0);
    assert_int_equal(WT_INT(r), 0);
    assert_int_equal(weft_limiter_count(&l), 0);
    assert_int_equal(weft_limiter_release(&l), -EPERM);
    assert_int_equal(weft_limiter_available(&l), 1);
    assert_int_equal(weft_limiter_destroy(&l), 0);
}

/* --- many borrowers at once: the borrower table (inline, presized, grown by
 *     acquire for a statically initialized limiter) keeps exact counts --- */
#define MANY 48

static void *many_party(void *arg) {
    weft_limiter_t *l = arg;
    int reentrant = weft_limiter_total(l) % 2; /* odd totals below are reentrant */
    for (int i = 0; i < WT_SCALE(200); i++) {
        WT_CHECK_EQ(weft_limiter_acquire(l, WEFT_FOREVER), 0);
        max_update(&g_max_inside, atomic_fetch_add(&g_inside, 1) + 1);
        if (reentrant) WT_CHECK_EQ(weft_limiter_acquire(l, WEFT_FOREVER), 0);
        WT_CHECK_EQ(weft_limiter_count(l), reentrant ? 2 : 1);
        if (i % 3 == 0) wt_pause();
        WT_CHECK_EQ(weft_limiter_count(l), reentrant ? 2 : 1);
        atomic_fetch_sub(&g_inside, 1);
        if (reentrant) WT_CHECK_EQ(weft_limiter_release(l), 0);
        WT_CHECK_EQ(weft_limiter_release(l), 0);
        WT_CHECK_EQ(weft_limiter_count(l), 0);
    }
    return NULL;
}

static void *many_body(void *arg) {
    weft_limiter_t *l = arg;
    weft_fiber_t *f[MANY];
    for (int i = 0; i < MANY; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], many_party, l), 0);
    for (int i = 0; i < MANY; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void many_borrowers(void **state) {
    (void)state;
    weft_limiter_t stat_l = WEFT_LIMITER_INIT(40, 0); /* grows from the inline table */
    weft_limiter_t stat_rl = WEFT_LIMITER_INIT(41, 1);
    weft_limiter_t init_l;
    assert_int_equal(weft_limiter_init(&init_l, 30, 0), 0); /* presized */
    weft_limiter_t small = WEFT_LIMITER_INIT(4, 0);         /* the inline table, full */
    weft_limiter_t *ls[4] = {&stat_l, &stat_rl, &init_l, &small};
    for (int k = 0; k < 4; k++) {
        for (int workers = 1; workers <= 2; workers++) {
            atomic_store(&g_inside, 0);
            atomic_store(&g_max_inside, 0);
            wt_in_runtime(WT_CREATE, workers, many_body, ls[k]);
            assert_true(atomic_load(&g_max_inside) <= weft_limiter_total(ls[k]));
            assert_int_equal(weft_limiter_borrowed(ls[k]), 0);
            assert_int_equal(weft_limiter_available(ls[k]), weft_limiter_total(ls[k]));
            assert_int_equal(weft_limiter_waiting(ls[k]), 0);
        }
        /* Lower, then raise past everything: still exact. */
        assert_int_equal(weft_limiter_set_total(ls[k], 3), 0);
        assert_int_equal(weft_limiter_set_total(ls[k], 2000), 0);
        assert_int_equal(weft_limiter_available(ls[k]), 2000);
        assert_int_equal(weft_limiter_destroy(ls[k]), 0); /* frees the table (ASan) */
    }
}

/* --- misuse errors and their precedence --- */
static void limiter_errors(void **state) {
    (void)state;
    weft_limiter_t l;
    assert_int_equal(weft_limiter_init(NULL, 1, 0), -EINVAL);
    assert_int_equal(weft_limiter_init(&l, WEFT_LIMITER_MAX + 1u, 0), -EINVAL);
    assert_int_equal(weft_limiter_init(&l, 1, 0), 0);
    assert_int_equal(weft_limiter_set_total(&l, WEFT_LIMITER_MAX + 1u), -EINVAL);
    assert_int_equal(weft_limiter_total(&l), 1);
    assert_int_equal(weft_limiter_release(&l), -EPERM);
    assert_int_equal(weft_limiter_acquire(&l, WEFT_NOWAIT), 0);
    assert_int_equal(weft_limiter_acquire(&l, WEFT_FOREVER), -EDEADLK);
    assert_int_equal(weft_limiter_acquire(&l, WEFT_NOWAIT),
                     -EDEADLK); /* before -ETIMEDOUT */
    assert_int_equal(weft_limiter_count(&l), 1);
    assert_int_equal(weft_limiter_destroy(&l), -EBUSY);
    assert_int_equal(weft_limiter_borrowed(&l), 1); /* untouched */
    assert_int_equal(run_thread(thread_try, &l), -ETIMEDOUT);
    assert_int_equal(run_thread(thread_release, &l), -EPERM);
    pthread_t t;
    assert_int_equal(weft_limiter_release(&l), 0);
    assert_int_equal(weft_limiter_release(&l), -EPERM);
    assert_int_equal(weft_limiter_destroy(&l), 0);

    /* A limiter of 0 tokens: every acquire waits until set_total. */
    assert_int_equal(weft_limiter_init(&l, 0, 0), 0);
    assert_int_equal(weft_limiter_acquire(&l, WEFT_NOWAIT), -ETIMEDOUT);
    int64_t deadline = weft_after(WEFT_MSEC(2));
    assert_int_equal(weft_limiter_acquire(&l, deadline), -ETIMEDOUT);
    assert_true(weft_now() >= deadline);
    assert_int_equal(weft_limiter_waiting(&l), 0);
    assert_int_equal(weft_limiter_available(&l), 0);
    assert_int_equal(weft_limiter_destroy(&l), 0);

    /* Destroy with a queued waiter: -EBUSY, the waiter stays queued. */
    assert_int_equal(weft_limiter_init(&l, 0, 1), 0);
    assert_int_equal(pthread_create(&t, NULL, thread_acquire, &l), 0);
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft_limiter_waiting(&l) < 1 && weft_now() < limit)
        sched_yield();
    assert_int_equal(weft_limiter_destroy(&l), -EBUSY);
    assert_int_equal(weft_limiter_waiting(&l), 1);
    assert_int_equal(weft_limiter_set_total(&l, 1), 0);
    void *r;
    assert_int_equal(pthread_join(t, &r), 0);
    assert_int_equal(WT_INT(r), 0);
    assert_int_equal(weft_limiter_destroy(&l), 0);

    assert_int_equal(weft_limiter_acquire(NULL, 0), -EINVAL);
    assert_int_equal(weft_limiter_release(NULL), -EINVAL);
    assert_int_equal(weft_limiter_set_total(NULL, 1), -EINVAL);
    assert_int_equal(weft_limiter_borrowed(NULL), -EINVAL);
    assert_int_equal(weft_limiter_available(NULL), -EINVAL);
    assert_int_equal(weft_limiter_destroy(NULL), -EINVAL);
}

/* --- flag and guard misuse; values round-trip --- */
static void flag_guard_errors(void **state) {
    (void)state;
    weft_flag_t f = WEFT_FLAG_INIT;
    void *v = &v;
    assert_int_equal(weft_flag_get(&f, &v), -ENOENT);
    assert_true(v == &v); /* untouched */
    assert_int_equal(weft_flag_clear(&f), 0);
    assert_int_equal(weft_flag_set(&f, NULL), 1);
    assert_int_equal(weft_flag_get(&f, &v), 0);
    assert_null(v);
    assert_int_equal(weft_flag_set(&f, &f), 0);
    assert_int_equal(weft_flag_get(&f, &v), 0);
    assert_null(v); /* unchanged by the losing set */
    assert_int_equal(weft_flag_clear(&f), 1);
    assert_int_equal(weft_flag_is_set(&f), 0);
    assert_int_equal(weft_flag_set(&f, &f), 1);
    assert_int_equal(weft_flag_get(&f, NULL), 0);
    assert_int_equal(weft_flag_get(&f, &v), 0);
    assert_ptr_equal(v, &f);
    assert_int_equal(weft_flag_set(NULL, NULL), -EINVAL);
    assert_int_equal(weft_flag_get(NULL, &v), -EINVAL);
    assert_int_equal(weft_flag_clear(NULL), -EINVAL);
    assert_int_equal(weft_flag_init(&f), 0);
    assert_int_equal(weft_flag_is_set(&f), 0);

    weft_guard_t g = WEFT_GUARD_INIT;
    assert_int_equal(weft_guard_exit(&g), -EPERM);
    assert_int_equal(weft_guard_enter(&g), 0);
    assert_int_equal(weft_guard_enter(&g), -EBUSY);
    assert_int_equal(weft_guard_destroy(&g), -EBUSY);
    assert_int_equal(weft_guard_in_use(&g), 1);
    assert_int_equal(weft_guard_exit(&g), 0);
    assert_int_equal(weft_guard_exit(&g), -EPERM);
    assert_int_equal(weft_guard_destroy(&g), 0);
    assert_int_equal(weft_guard_enter(NULL), -EINVAL);
    assert_int_equal(weft_guard_exit(NULL), -EINVAL);
}

/* --- checkpoints: a limiter fast path (and a re-entry) yields exactly once with
 *     the option and never without; release, flag, guard, done once never --- */
static void noop(void *arg) {
    (void)arg;
}

static void *checkpoint_main(void *arg) {
    int expect = *(int *)arg;
    weft_fiber_t *f;
    WT_CHECK_EQ(weft_spawn(&f, wt_probe, NULL), 0);
    weft_yield(); /* the probe is now running its loop */
    weft_limiter_t l = WEFT_LIMITER_INIT(1, 1);
    weft_flag_t fl = WEFT_FLAG_INIT;
    weft_guard_t g = WEFT_GUARD_INIT;
    weft_once_t o = WEFT_ONCE_INIT;
    int before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_limiter_acquire(&l, WEFT_FOREVER), 0);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, expect);
    before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_limiter_acquire(&l, WEFT_FOREVER), 0); /* re-entry */
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, expect);
    before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_limiter_acquire(&l, WEFT_NOWAIT), 0); /* a try never yields */
    WT_CHECK_EQ(weft_limiter_release(&l), 0);
    WT_CHECK_EQ(weft_limiter_release(&l), 0);
    WT_CHECK_EQ(weft_limiter_release(&l), 0);
    WT_CHECK_EQ(weft_flag_set(&fl, NULL), 1);
    WT_CHECK_EQ(weft_flag_get(&fl, NULL), 0);
    WT_CHECK_EQ(weft_flag_clear(&fl), 1);
    WT_CHECK_EQ(weft_guard_enter(&g), 0);
    WT_CHECK_EQ(weft_guard_exit(&g), 0);
    WT_CHECK_EQ(weft_once(&o, noop, NULL), 0);
    WT_CHECK_EQ(weft_once(&o, noop, NULL), 0);
    WT_CHECK_EQ(weft_limiter_set_total(&l, 3), 0);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, 0);
    atomic_store(&wt_probe_stop, 1);
    WT_CHECK_EQ(weft_join(f, NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void checkpoints(void **state) {
    (void)state;
    wt_run_checkpoint_modes(checkpoint_main);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_PAIRS_TESTS(flag_race),       WT_PAIRS_TESTS(flag_clear),
        WT_PAIRS_TESTS(guard_exclusion), WT_PAIRS_TESTS(once_exactly),
        WT_TEST(once_recursive),         WT_TEST(once_cancel),
        WT_PAIRS_TESTS(limiter_bound),   WT_PAIRS_TESTS(rlimiter_bound),
        WT_PAIRS_TESTS(limiter_fifo),    WT_PAIRS_TESTS(limiter_set_total),
        WT_PAIRS_TESTS(limiter_race),    WT_TEST(limiter_cancel_race),
        WT_TEST(limiter_cancel),         WT_TEST(reentrant_counts),
        WT_TEST(many_borrowers),         WT_TEST(limiter_errors),
        WT_TEST(flag_guard_errors),      WT_TEST(checkpoints),
    };
    return WT_RUN_TESTS(tests);
}
