/* tests/stress/w_revent.c: the controller-driven workloads "revent" (reusable
 * event) and "countdown".
 *
 * Participant 2 (a plain thread) is the controller; the others (fibers of both
 * runtimes, a thread) wait with random deadline kinds (victims cancelled in FOREVER
 * waits) until their budget is spent; the controller cycles until they all are done.
 *
 * revent: the controller cycles set; [pause]; clear. It counts sets_begun
 * before each set and clears_done after each clear.
 * Invariants:
 *  - no waiter misses a set: right after set returns nobody is queued (the set
 *    released every queued waiter; waits on a set event do not queue), and a
 *    FOREVER wait returns 0 unless its fiber is cancelled;
 *  - generations respected: a wait that returns 0 was released by a set that
 *    began before it returned and was not cleared before it began:
 *    sets_begun (read after the wait) > clears_done (read before it);
 *  - set and clear report 1 when they change the state (only the controller
 *    sets and clears); at the end nobody is queued and destroy returns 0.
 *
 * countdown: each cycle the controller raises the value by n (1..9) and offers
 * up to n "down tokens"; a participant that takes a token calls down once (it never
 * fails: the value is at least the tokens still out), the others wait for 0.
 * The controller takes the tokens kept and left, brings them down itself (or, when no
 * other down is in flight, clears the value instead), waits for 0 and checks.
 * Invariants:
 *  - no waiter misses the transition to 0: once the controller's wait returns
 *    nobody is queued, the value is 0, and a down at 0 is -ERANGE (nothing
 *    changes); a FOREVER wait returns 0 unless cancelled;
 *  - no release without a 0: a wait that returns 0 saw a moment at 0: the downs
 *    begun before it returned (a clear counts as the downs it replaced) are at
 *    least the ups completed before it began;
 *  - at the end the value is 0, nobody is queued, destroy returns 0. */
#include "stress.h"

#include <sched.h>
#include <stdio.h>

#include "sync/waitq.h"

static _Atomic int g_waiters_done;
static _Atomic uint64_t g_cycles;

/* The controller is a plain thread: fibers whose waits return at once do not
 * switch, and would starve a controller fiber sharing their worker. */
#define CONTROLLER 2

static void controller_setup(st_crew_t *c) {
    atomic_store(&g_waiters_done, 0);
    atomic_store(&g_cycles, 0);
    ST_CREW_CHECK_EQ(c, c->parts[CONTROLLER].kind, ST_THREAD);
    c->parts[CONTROLLER].budget = UINT64_MAX;
    /* The waiters make the share; the controller's calls (a fifth to a half
     * as many, depending on the load) come on top. */
    for (int i = 0; i < c->nparts; i++)
        if (i != CONTROLLER)
            c->parts[i].budget = c->budget / (uint64_t)(c->nparts - 1) + 1;
}

/* A waiter's step ends here. While the event is set (the value is 0) a wait
 * returns at once, without a switch: so that the waiters do not rush through
 * their budgets on one set state, a waiter pauses while `set` says so, at most 8
 * times (a shaping of the load, nothing depends on it); a fiber also lets the
 * others of its worker run now and then. */
static int waiter_done(st_part_t *p, int (*set)(void)) {
    for (int k = 0; k < 8 && set(); k++) {
        st_pause(p);
        if (p->kind != ST_THREAD) sched_yield(); /* the controller is a thread */
    }
    if (st_chance(p, 25)) st_pause(p);
    if (!st_budget_spent(p)) return ST_MORE;
    atomic_fetch_add(&g_waiters_done, 1);
    return ST_DONE;
}

static int all_waiters_done(st_part_t *p) {
    return atomic_load(&g_waiters_done) == p->crew->nparts - 1;
}

/* The controller lets the waiters run and queue: it pauses until a random
 * number of them (1..half) are queued on wl, or 16 pauses have passed (a
 * shaping of the load, nothing depends on it). */
static void controller_pause(st_part_t *p, struct weft__wl *wl) {
    int want = 1 + (int)st_below(p, (unsigned)(p->crew->nparts - 1) / 2);
    for (int k = 0; k < 16 && weft__wl_count(wl) < want; k++)
        st_pause(p);
}

/* --- revent --- */

static weft_revent_t g_e;
static _Atomic uint64_t g_sets_begun, g_clears_done;

static void revent_setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_revent_init(&g_e), 0);
    atomic_store(&g_sets_begun, 0);
    atomic_store(&g_clears_done, 0);
    controller_setup(c);
}

static int revent_controller(st_part_t *p) {
    if (all_waiters_done(p)) return ST_DONE;
    controller_pause(p, &g_e.wl);
    atomic_fetch_add(&g_sets_begun, 1);
    ST_CHECK_EQ(p, weft_revent_set(&g_e), 1);
    st_op(p);
    ST_CHECK_EQ(p, weft__wl_count(&g_e.wl), 0); /* every queued waiter was released */
    ST_CHECK_EQ(p, weft_revent_is_set(&g_e), 1);
    if (st_chance(p, 5)) st_pause(p); /* mostly: set, then clear at once */
    if (st_chance(p, 10)) {
        ST_CHECK_EQ(p, weft_revent_set(&g_e), 0);
        st_op(p);
    }
    ST_CHECK_EQ(p, weft_revent_clear(&g_e), 1);
    st_op(p);
    atomic_fetch_add(&g_clears_done, 1);
    if (st_chance(p, 10)) {
        ST_CHECK_EQ(p, weft_revent_clear(&g_e), 0);
        st_op(p);
    }
    atomic_fetch_add(&g_cycles, 1);
    return ST_MORE;
}

static int revent_is_set(void) {
    return weft_revent_is_set(&g_e);
}

static int revent_waiter(st_part_t *p) {
    uint64_t c0 = atomic_load(&g_clears_done);
    enum st_dl kind;
    int64_t dl = st_deadline(p, 20, 30, 300, &kind);
    st_call_begin(p, "weft_revent_wait", kind);
    int r = weft_revent_wait(&g_e, dl);
    st_call_end(p, r);
    if (r == 0) {
        uint64_t s1 = atomic_load(&g_sets_begun);
        ST_CHECKV(p, s1 > c0, s1, c0); /* released by a set of its own generation */
    } else {
        ST_FAILED_WAIT(p, r, kind, 0);
    }
    return waiter_done(p, revent_is_set);
}

static int revent_step(st_part_t *p) {
    return p->index == CONTROLLER ? revent_controller(p) : revent_waiter(p);
}

static void revent_finish(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, atomic_load(&g_sets_begun), atomic_load(&g_cycles));
    ST_CREW_CHECK_EQ(c, atomic_load(&g_clears_done), atomic_load(&g_cycles));
    ST_CREW_CHECK_EQ(c, weft_revent_is_set(&g_e), 0);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_e.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_revent_destroy(&g_e), 0);
}

static void revent_dump(st_crew_t *c) {
    (void)c;
    fprintf(
        stderr, "  revent: set %d, queued %d, sets %llu, clears %llu, waiters done %d\n",
        weft_revent_is_set(&g_e), weft__wl_count(&g_e.wl),
        (unsigned long long)atomic_load(&g_sets_begun),
        (unsigned long long)atomic_load(&g_clears_done), atomic_load(&g_waiters_done));
}

const st_workload_t st_w_revent = {
    .name = "revent",
    .invariants = "no waiter misses a set (nobody queued after set), released only by "
                  "a set of its generation (sets_begun > clears_done at start)",
    .weight = 4,
    .nparts = 10,
    .cancel = 1,
    .setup = revent_setup,
    .step = revent_step,
    .finish = revent_finish,
    .dump = revent_dump,
};

/* --- countdown --- */

static weft_countdown_t g_cd;
static _Atomic int g_tokens;
static _Atomic uint64_t g_ups_total, g_downs_begun;

static void countdown_setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_countdown_init(&g_cd, 0), 0);
    atomic_store(&g_tokens, 0);
    atomic_store(&g_ups_total, 0);
    atomic_store(&g_downs_begun, 0);
    controller_setup(c);
}

static int take_token(void) {
    int t = atomic_load(&g_tokens);
    while (t > 0)
        if (atomic_compare_exchange_weak(&g_tokens, &t, t - 1)) return 1;
    return 0;
}

static void down(st_part_t *p) {
    atomic_fetch_add(&g_downs_begun, 1);
    ST_CHECK_EQ(p, weft_countdown_down(&g_cd), 0);
    st_op(p);
}

static int countdown_controller(st_part_t *p) {
    if (all_waiters_done(p)) return ST_DONE;
    int n = 1 + (int)st_below(p, (unsigned)p->crew->nparts - 1);
    ST_CHECK_EQ(p, weft_countdown_up(&g_cd, (unsigned)n), 0);
    st_op(p);
    atomic_fetch_add(&g_ups_total, (uint64_t)n);
    if (st_chance(p, 5)) {
        ST_CHECK_EQ(p, weft_countdown_up(&g_cd, 0), 0);
        st_op(p);
    }
    /* Offer 0..n tokens; what the controller keeps holds the value above 0
     * while the waiters queue. */
    int left = n - (int)st_below(p, (unsigned)n + 1);
    atomic_store(&g_tokens, n - left);
    controller_pause(p, &g_cd.wl);
    while (take_token())
        left++;
    /* value == left: no other down is in flight, a clear may replace ours. */
    if (left > 0 && st_chance(p, 25) && weft_countdown_value(&g_cd) == left) {
        atomic_fetch_add(&g_downs_begun, (uint64_t)left);
        ST_CHECK_EQ(p, weft_countdown_clear(&g_cd), 0);
        st_op(p);
    } else {
        for (int i = 0; i < left; i++)
            down(p);
    }
    st_call_begin(p, "weft_countdown_wait (controller)", ST_FOREVER);
    int r = weft_countdown_wait(&g_cd, WEFT_FOREVER);
    st_call_end(p, r);
    ST_CHECK_EQ(p, r, 0);
    ST_CHECK_EQ(p, weft_countdown_value(&g_cd), 0);
    ST_CHECK_EQ(p, weft__wl_count(&g_cd.wl), 0); /* every waiter was released */
    ST_CHECK_EQ(p, weft_countdown_down(&g_cd), -ERANGE);
    st_op(p);
    atomic_fetch_add(&g_cycles, 1);
    return ST_MORE;
}

static int countdown_zero(void) {
    return weft_countdown_value(&g_cd) == 0;
}

static int countdown_waiter(st_part_t *p) {
    if (take_token()) {
        down(p);
        return waiter_done(p, countdown_zero);
    }
    uint64_t u0 = atomic_load(&g_ups_total);
    enum st_dl kind;
    int64_t dl = st_deadline(p, 20, 30, 300, &kind);
    st_call_begin(p, "weft_countdown_wait", kind);
    int r = weft_countdown_wait(&g_cd, dl);
    st_call_end(p, r);
    if (r == 0) {
        uint64_t d1 = atomic_load(&g_downs_begun);
        ST_CHECKV(p, d1 >= u0, d1, u0); /* the value was 0 at some moment */
    } else {
        ST_FAILED_WAIT(p, r, kind, 0);
    }
    return waiter_done(p, countdown_zero);
}

static int countdown_step(st_part_t *p) {
    return p->index == CONTROLLER ? countdown_controller(p) : countdown_waiter(p);
}

static void countdown_finish(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, atomic_load(&g_tokens), 0);
    ST_CREW_CHECK_EQ(c, atomic_load(&g_ups_total), atomic_load(&g_downs_begun));
    ST_CREW_CHECK_EQ(c, weft_countdown_value(&g_cd), 0);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_cd.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_countdown_destroy(&g_cd), 0);
}

static void countdown_dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr,
            "  countdown: value %d, queued %d, tokens %d, ups %llu, downs %llu, waiters "
            "done %d\n",
            weft_countdown_value(&g_cd), weft__wl_count(&g_cd.wl), atomic_load(&g_tokens),
            (unsigned long long)atomic_load(&g_ups_total),
            (unsigned long long)atomic_load(&g_downs_begun),
            atomic_load(&g_waiters_done));
}

const st_workload_t st_w_countdown = {
    .name = "countdown",
    .invariants = "no waiter misses the 0 (nobody queued, value 0, down -ERANGE), "
                  "released only after a 0 (downs begun >= ups done at start)",
    .weight = 4,
    .nparts = 10,
    .cancel = 1,
    .setup = countdown_setup,
    .step = countdown_step,
    .finish = countdown_finish,
    .dump = countdown_dump,
};
