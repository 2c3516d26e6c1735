/* tests/stress/w_mutex.c: the workloads "mutex" and "rmutex".
 *
 * Ten participants lock one lock with random deadline kinds (try, a finite
 * deadline of up to 200 us, WEFT_FOREVER), sometimes switching while they hold
 * it; victims are cancelled in their FOREVER waits.
 * Invariants:
 *  - mutual exclusion: the in-critical-section counter is 0 on entry and 1
 *    inside; a plain (non-atomic) counter is incremented inside, so a broken
 *    exclusion is also a data race for TSan; the holder is_owned/count says so;
 *  - relocking a held mutex is -EDEADLK; unlocking a lock one does not hold is
 *    -EPERM (the lock is untouched);
 *  - rmutex: the recursion count follows every lock and unlock (1..3 deep; a
 *    re-lock never blocks, a cancelled fiber's is -ECANCELED);
 *  - every failed wait is allowed by its deadline kind (stress.h);
 *  - at the end: locks == unlocks == the plain counter, the lock is free, no
 *    waiter is queued, destroy returns 0. */
#include "stress.h"

#include <stdio.h>

#include "sync/waitq.h"

static weft_mutex_t g_m;
static weft_rmutex_t g_rm;
static _Atomic int g_in_cs;
static uint64_t g_plain; /* guarded by the lock under test */
static _Atomic uint64_t g_locks, g_unlocks, g_sections;

static void setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_mutex_init(&g_m), 0);
    ST_CREW_CHECK_EQ(c, weft_rmutex_init(&g_rm), 0);
    atomic_store(&g_in_cs, 0);
    atomic_store(&g_locks, 0);
    atomic_store(&g_unlocks, 0);
    atomic_store(&g_sections, 0);
    g_plain = 0;
}

/* Inside the critical section: exclusion, the plain counter, sometimes a switch. */
static void critical(st_part_t *p) {
    ST_CHECK_EQ(p, atomic_fetch_add(&g_in_cs, 1), 0);
    g_plain++;
    atomic_fetch_add(&g_sections, 1);
    if (st_chance(p, 20)) st_pause(p);
    ST_CHECK_EQ(p, atomic_fetch_sub(&g_in_cs, 1), 1);
}

static int mutex_step(st_part_t *p) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 30, 30, 200, &kind);
    st_call_begin(p, "weft_mutex_lock", kind);
    int r = weft_mutex_lock(&g_m, dl);
    st_call_end(p, r);
    if (r == 0) {
        atomic_fetch_add(&g_locks, 1);
        ST_CHECK_EQ(p, weft_mutex_is_owned(&g_m), 1);
        critical(p);
        if (st_chance(p, 10)) {
            ST_CHECK_EQ(p, weft_mutex_lock(&g_m, WEFT_NOWAIT), -EDEADLK);
            st_op(p);
        }
        ST_CHECK_EQ(p, weft_mutex_unlock(&g_m), 0);
        st_op(p);
        atomic_fetch_add(&g_unlocks, 1);
    } else {
        ST_FAILED_WAIT(p, r, kind, 0);
        if (st_chance(p, 10)) {
            ST_CHECK_EQ(p, weft_mutex_unlock(&g_m), -EPERM);
            st_op(p);
        }
    }
    return st_budget_spent(p) ? ST_DONE : ST_MORE;
}

static int rmutex_step(st_part_t *p) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 30, 30, 200, &kind);
    st_call_begin(p, "weft_rmutex_lock", kind);
    int r = weft_rmutex_lock(&g_rm, dl);
    st_call_end(p, r);
    if (r != 0) {
        ST_FAILED_WAIT(p, r, kind, 0);
        if (st_chance(p, 10)) {
            ST_CHECK_EQ(p, weft_rmutex_unlock(&g_rm), -EPERM);
            st_op(p);
        }
        return st_budget_spent(p) ? ST_DONE : ST_MORE;
    }
    atomic_fetch_add(&g_locks, 1);
    int depth = 1;
    ST_CHECK_EQ(p, weft_rmutex_count(&g_rm), 1);
    int want = 1 + (int)st_below(p, 3);
    while (depth < want) { /* re-locks: never block */
        dl = st_deadline(p, 30, 30, 200, &kind);
        st_call_begin(p, "weft_rmutex_lock (again)", kind);
        r = weft_rmutex_lock(&g_rm, dl);
        st_call_end(p, r);
        if (r != 0) {
            ST_FAILED_WAIT(p, r, kind, 0);
            ST_CHECK_EQ(p, r, -ECANCELED); /* never a timeout: the owner re-enters */
            break;
        }
        atomic_fetch_add(&g_locks, 1);
        depth++;
        ST_CHECK_EQ(p, weft_rmutex_count(&g_rm), depth);
    }
    critical(p);
    while (depth > 0) {
        ST_CHECK_EQ(p, weft_rmutex_unlock(&g_rm), 0);
        st_op(p);
        atomic_fetch_add(&g_unlocks, 1);
        depth--;
        ST_CHECK_EQ(p, weft_rmutex_count(&g_rm), depth);
    }
    return st_budget_spent(p) ? ST_DONE : ST_MORE;
}

static void finish_common(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, atomic_load(&g_locks), atomic_load(&g_unlocks));
    ST_CREW_CHECK_EQ(c, atomic_load(&g_in_cs), 0);
    ST_CREW_CHECK_EQ(c, g_plain, atomic_load(&g_sections));
}

static void mutex_finish(st_crew_t *c) {
    finish_common(c);
    ST_CREW_CHECK_EQ(c, g_sections, atomic_load(&g_locks)); /* one per lock */
    ST_CREW_CHECK_EQ(c, weft_mutex_is_locked(&g_m), 0);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_m.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_mutex_destroy(&g_m), 0);
    ST_CREW_CHECK_EQ(c, weft_rmutex_destroy(&g_rm), 0);
}

static void rmutex_finish(st_crew_t *c) {
    finish_common(c);
    ST_CREW_CHECK(c, g_sections <= atomic_load(&g_locks)); /* one per outer lock */
    ST_CREW_CHECK_EQ(c, weft_rmutex_is_locked(&g_rm), 0);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_rm.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_rmutex_destroy(&g_rm), 0);
    ST_CREW_CHECK_EQ(c, weft_mutex_destroy(&g_m), 0);
}

static void dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr, "  mutex: locked %d, queued %d; rmutex: locked %d, queued %d\n",
            weft_mutex_is_locked(&g_m), weft__wl_count(&g_m.wl),
            weft_rmutex_is_locked(&g_rm), weft__wl_count(&g_rm.wl));
}

const st_workload_t st_w_mutex = {
    .name = "mutex",
    .invariants = "mutual exclusion (in-section count, plain counter), -EDEADLK/-EPERM, "
                  "locks == unlocks, free and unqueued at the end",
    .weight = 10,
    .nparts = 10,
    .cancel = 1,
    .setup = setup,
    .step = mutex_step,
    .finish = mutex_finish,
    .dump = dump,
};

const st_workload_t st_w_rmutex = {
    .name = "rmutex",
    .invariants = "mutual exclusion, recursion counts through 1..3 deep locks, -EPERM, "
                  "locks == unlocks, free and unqueued at the end",
    .weight = 10,
    .nparts = 10,
    .cancel = 1,
    .setup = setup,
    .step = rmutex_step,
    .finish = rmutex_finish,
    .dump = dump,
};
