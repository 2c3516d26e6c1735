/* tests/stress/w_sem.c: the workloads "sem" (a bounded semaphore) and "limiter"
 * (capacity limiters, plain and reentrant).
 *
 * sem: ten participants take one permit (sometimes a second one by a try) of a
 * semaphore bounded at K = 3 permits, hold them for a while, and give them back
 * with one release(n).
 * Invariants: the permits held (counted by the holders) never exceed K; the
 * banked value never exceeds K; no release fails (a bounded semaphore reports
 * -EOVERFLOW when a permit was duplicated); at the end the value is K again,
 * nobody waits, destroy returns 0, permits acquired == released.
 *
 * limiter: ten participants borrow, mostly from a non-reentrant limiter whose
 * total participant 0 moves between 3 and 6 (set_total: raising it lends new
 * tokens to queued callers), else from a reentrant limiter of 2 tokens, 1..3
 * deep.
 * Invariants: holders never exceed the largest total (6, and 2); the caller's
 * count is exact (1, or its depth); a second acquire of the non-reentrant one is
 * -EDEADLK; a release without a token is -EPERM; at the end nothing is
 * borrowed, nobody waits, available == total, destroy returns 0. */
#include "stress.h"

#include <stdio.h>

#include "sync/waitq.h"

#define SEM_K  3
#define LIM_LO 3 /* the plain limiter's total moves between these */
#define LIM_HI 6 /* (above WEFT__LIMITER_INLINE borrowers: its table grows) */
#define RLIM   2

static weft_sem_t g_s;
static weft_limiter_t g_l, g_rl;
static _Atomic int g_held, g_rheld;
static _Atomic uint64_t g_acq, g_rel;

static void sem_setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_sem_init(&g_s, SEM_K, SEM_K), 0);
    atomic_store(&g_held, 0);
    atomic_store(&g_acq, 0);
    atomic_store(&g_rel, 0);
}

static int sem_step(st_part_t *p) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 30, 30, 200, &kind);
    st_call_begin(p, "weft_sem_acquire", kind);
    int r = weft_sem_acquire(&g_s, dl);
    st_call_end(p, r);
    if (r != 0) {
        ST_FAILED_WAIT(p, r, kind, 0);
        return st_budget_spent(p) ? ST_DONE : ST_MORE;
    }
    int n = 1;
    ST_CHECKV(p, atomic_fetch_add(&g_held, 1) + 1 <= SEM_K, atomic_load(&g_held), SEM_K);
    if (st_chance(p, 15)) {
        r = weft_sem_acquire(&g_s, WEFT_NOWAIT);
        st_op(p);
        if (r == 0) {
            n = 2;
            ST_CHECKV(p, atomic_fetch_add(&g_held, 1) + 1 <= SEM_K, atomic_load(&g_held),
                      SEM_K);
        } else {
            ST_FAILED_WAIT(p, r, ST_TRY, 0);
        }
    }
    atomic_fetch_add(&g_acq, (uint64_t)n);
    ST_CHECKV(p, weft_sem_value(&g_s) <= SEM_K, weft_sem_value(&g_s), SEM_K);
    if (st_chance(p, 20)) st_pause(p);
    atomic_fetch_sub(&g_held, n);
    atomic_fetch_add(&g_rel, (uint64_t)n);
    ST_CHECK_EQ(p, weft_sem_release(&g_s, (unsigned)n), 0);
    st_op(p);
    if (st_chance(p, 5)) {
        ST_CHECK_EQ(p, weft_sem_release(&g_s, 0), 0);
        st_op(p);
    }
    return st_budget_spent(p) ? ST_DONE : ST_MORE;
}

static void sem_finish(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, atomic_load(&g_held), 0);
    ST_CREW_CHECK_EQ(c, atomic_load(&g_acq), atomic_load(&g_rel));
    ST_CREW_CHECK_EQ(c, weft_sem_value(&g_s), SEM_K);
    ST_CREW_CHECK_EQ(c, weft_sem_waiting(&g_s), 0);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_s.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_sem_destroy(&g_s), 0);
}

static void sem_dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr, "  sem: value %d, waiting %d, queued %d, held %d\n",
            weft_sem_value(&g_s), weft_sem_waiting(&g_s), weft__wl_count(&g_s.wl),
            atomic_load(&g_held));
}

static void lim_setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_limiter_init(&g_l, LIM_LO, 0), 0);
    ST_CREW_CHECK_EQ(c, weft_limiter_init(&g_rl, RLIM, 1), 0);
    atomic_store(&g_held, 0);
    atomic_store(&g_rheld, 0);
    atomic_store(&g_acq, 0);
    atomic_store(&g_rel, 0);
}

static void plain_borrower(st_part_t *p) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 30, 30, 200, &kind);
    st_call_begin(p, "weft_limiter_acquire", kind);
    int r = weft_limiter_acquire(&g_l, dl);
    st_call_end(p, r);
    if (r != 0) {
        ST_FAILED_WAIT(p, r, kind, 0);
        if (st_chance(p, 10)) {
            ST_CHECK_EQ(p, weft_limiter_release(&g_l), -EPERM);
            st_op(p);
        }
        return;
    }
    atomic_fetch_add(&g_acq, 1);
    ST_CHECKV(p, atomic_fetch_add(&g_held, 1) + 1 <= LIM_HI, atomic_load(&g_held),
              LIM_HI);
    ST_CHECK_EQ(p, weft_limiter_count(&g_l), 1);
    ST_CHECKV(p, weft_limiter_borrowed(&g_l) <= LIM_HI, weft_limiter_borrowed(&g_l),
              LIM_HI);
    if (st_chance(p, 10)) {
        ST_CHECK_EQ(p, weft_limiter_acquire(&g_l, WEFT_NOWAIT), -EDEADLK);
        st_op(p);
    }
    if (st_chance(p, 20)) st_pause(p);
    atomic_fetch_sub(&g_held, 1);
    atomic_fetch_add(&g_rel, 1);
    ST_CHECK_EQ(p, weft_limiter_release(&g_l), 0);
    st_op(p);
    ST_CHECK_EQ(p, weft_limiter_count(&g_l), 0);
}

static void reentrant_borrower(st_part_t *p) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 30, 30, 200, &kind);
    st_call_begin(p, "weft_limiter_acquire (reentrant)", kind);
    int r = weft_limiter_acquire(&g_rl, dl);
    st_call_end(p, r);
    if (r != 0) {
        ST_FAILED_WAIT(p, r, kind, 0);
        return;
    }
    atomic_fetch_add(&g_acq, 1);
    ST_CHECKV(p, atomic_fetch_add(&g_rheld, 1) + 1 <= RLIM, atomic_load(&g_rheld), RLIM);
    int depth = 1, want = 1 + (int)st_below(p, 3);
    while (depth < want) { /* re-entry never blocks */
        dl = st_deadline(p, 30, 30, 200, &kind);
        st_call_begin(p, "weft_limiter_acquire (re-entry)", kind);
        r = weft_limiter_acquire(&g_rl, dl);
        st_call_end(p, r);
        if (r != 0) {
            ST_FAILED_WAIT(p, r, kind, 0);
            ST_CHECK_EQ(p, r, -ECANCELED);
            break;
        }
        atomic_fetch_add(&g_acq, 1);
        depth++;
        ST_CHECK_EQ(p, weft_limiter_count(&g_rl), depth);
    }
    if (st_chance(p, 20)) st_pause(p);
    while (depth > 0) {
        if (depth == 1) atomic_fetch_sub(&g_rheld, 1);
        atomic_fetch_add(&g_rel, 1);
        ST_CHECK_EQ(p, weft_limiter_release(&g_rl), 0);
        st_op(p);
        depth--;
        ST_CHECK_EQ(p, weft_limiter_count(&g_rl), depth);
    }
}

static int lim_step(st_part_t *p) {
    if (st_chance(p, 70))
        plain_borrower(p);
    else
        reentrant_borrower(p);
    if (p->index == 0 && st_chance(p, 10)) {
        unsigned t = weft_limiter_total(&g_l) == LIM_LO ? LIM_HI : LIM_LO;
        ST_CHECK_EQ(p, weft_limiter_set_total(&g_l, t), 0);
        st_op(p);
    }
    return st_budget_spent(p) ? ST_DONE : ST_MORE;
}

static void lim_finish(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_limiter_set_total(&g_l, LIM_LO), 0);
    ST_CREW_CHECK_EQ(c, atomic_load(&g_acq), atomic_load(&g_rel));
    ST_CREW_CHECK_EQ(c, atomic_load(&g_held) + atomic_load(&g_rheld), 0);
    weft_limiter_t *ls[2] = {&g_l, &g_rl};
    int totals[2] = {LIM_LO, RLIM};
    for (int i = 0; i < 2; i++) {
        ST_CREW_CHECK_EQ(c, weft_limiter_borrowed(ls[i]), 0);
        ST_CREW_CHECK_EQ(c, weft_limiter_waiting(ls[i]), 0);
        ST_CREW_CHECK_EQ(c, weft_limiter_available(ls[i]), totals[i]);
        ST_CREW_CHECK_EQ(c, weft__wl_count(&ls[i]->wl), 0);
        ST_CREW_CHECK_EQ(c, weft_limiter_destroy(ls[i]), 0);
    }
}

static void lim_dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr,
            "  limiter: total %d borrowed %d waiting %d; reentrant: borrowed %d waiting "
            "%d\n",
            weft_limiter_total(&g_l), weft_limiter_borrowed(&g_l),
            weft_limiter_waiting(&g_l), weft_limiter_borrowed(&g_rl),
            weft_limiter_waiting(&g_rl));
}

const st_workload_t st_w_sem = {
    .name = "sem",
    .invariants = "permits held <= 3 = max, value <= max, no release fails (-EOVERFLOW), "
                  "value == 3 and nobody queued at the end",
    .weight = 10,
    .nparts = 10,
    .cancel = 1,
    .setup = sem_setup,
    .step = sem_step,
    .finish = sem_finish,
    .dump = sem_dump,
};

const st_workload_t st_w_limiter = {
    .name = "limiter",
    .invariants = "holders <= total (set_total 3<->6; reentrant 2), exact counts, "
                  "-EDEADLK/-EPERM, nothing borrowed and nobody queued at the end",
    .weight = 10,
    .nparts = 10,
    .cancel = 1,
    .setup = lim_setup,
    .step = lim_step,
    .finish = lim_finish,
    .dump = lim_dump,
};
