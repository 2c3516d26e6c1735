/* tests/stress/w_event.c: the round-based workloads "event" (one-time event)
 * and "latch".
 *
 * Both run in rounds: every participant meets at the crew's rendezvous, does
 * its part of the round, meets again; then the round's leader checks the round
 * and makes a fresh primitive for the next one (nobody touches it before the
 * next rendezvous).
 *
 * event: the round's setter pauses a little, publishes `pub`, sets the event
 * and publishes `set_done`; the others wait 1..3 times with random deadline
 * kinds (victims cancelled in FOREVER waits).
 * Invariants:
 *  - no waiter misses the set: right after weft_event_set returns nobody is
 *    queued (every queued waiter was released; a wait on a set event does not
 *    queue), and a FOREVER wait returns 0 unless its fiber is cancelled;
 *  - no release without a set: a wait that returns 0 finds `pub` set;
 *  - a wait that starts after set_done returns 0 (a try too), or -ECANCELED
 *    for a cancelled fiber's non-try wait, never -ETIMEDOUT;
 *  - set returns 1 once and 0 afterwards; at the round's end nobody is queued
 *    and destroy returns 0.
 *
 * latch: each round a latch of 10 parties; each participant arrives once with
 * a random deadline kind (a try that is not the last arrival, a deadline or a
 * cancel breaks it), or now and then aborts it instead.
 * Invariants: the round is all or nothing: either every party returned 0 (and
 * nobody failed, the latch is not broken) or none did (at least one own
 * failure or abort, everyone else -ENOTRECOVERABLE, the latch broken); nobody
 * is queued at the end of a round; destroy returns 0. */
#include "stress.h"

#include <stdio.h>

#include "sync/waitq.h"

static uint64_t g_rounds;
static int leader(st_part_t *p) {
    return (int)(p->u[0] % (uint64_t)p->crew->nparts) == p->index;
}

/* --- event --- */

static weft_event_t g_e;
static _Atomic int g_pub, g_set_done;

static void event_setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_event_init(&g_e), 0);
    atomic_store(&g_pub, 0);
    atomic_store(&g_set_done, 0);
    /* A round makes 4 calls per participant on average (2 rendezvous, 1..3
     * waits or 2 sets): rounds for the share plus 10%. */
    g_rounds = c->budget * 10 / (uint64_t)(36 * c->nparts) + 1;
}

static void event_set(st_part_t *p) {
    for (unsigned n = st_below(p, 4); n > 0; n--)
        st_pause(p);
    atomic_store(&g_pub, 1);
    ST_CHECK_EQ(p, weft_event_set(&g_e), 1);
    st_op(p);
    ST_CHECK_EQ(p, weft__wl_count(&g_e.wl), 0); /* every queued waiter was released */
    ST_CHECK_EQ(p, weft_event_is_set(&g_e), 1);
    atomic_store(&g_set_done, 1);
    ST_CHECK_EQ(p, weft_event_set(&g_e), 0);
    st_op(p);
}

static void event_waits(st_part_t *p) {
    for (unsigned n = 1 + st_below(p, 3); n > 0; n--) {
        int after_set = atomic_load(&g_set_done);
        enum st_dl kind;
        int64_t dl = st_deadline(p, 20, 30, 300, &kind);
        st_call_begin(p, "weft_event_wait", kind);
        int r = weft_event_wait(&g_e, dl);
        st_call_end(p, r);
        if (r == 0) {
            ST_CHECK_EQ(p, atomic_load(&g_pub), 1);
            ST_CHECK_EQ(p, weft_event_is_set(&g_e), 1);
        } else {
            ST_FAILED_WAIT(p, r, kind, 0);
            ST_CHECKV(p, !after_set || r == -ECANCELED, r, kind);
        }
    }
}

static int event_step(st_part_t *p) {
    st_rendezvous(p);
    if (leader(p))
        event_set(p);
    else
        event_waits(p);
    st_rendezvous(p);
    if (leader(p)) { /* every wait of the round has returned */
        ST_CHECK_EQ(p, weft__wl_count(&g_e.wl), 0);
        ST_CHECK_EQ(p, weft_event_destroy(&g_e), 0);
        ST_CHECK_EQ(p, weft_event_init(&g_e), 0);
        atomic_store(&g_pub, 0);
        atomic_store(&g_set_done, 0);
    }
    return ++p->u[0] >= g_rounds ? ST_DONE : ST_MORE;
}

static void event_finish(st_crew_t *c) {
    for (int i = 0; i < c->nparts; i++)
        ST_CREW_CHECK_EQ(c, c->parts[i].u[0], g_rounds);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_e.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_event_destroy(&g_e), 0);
}

static void event_dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr, "  event: set %d, queued %d, pub %d, set_done %d\n",
            weft_event_is_set(&g_e), weft__wl_count(&g_e.wl), atomic_load(&g_pub),
            atomic_load(&g_set_done));
}

const st_workload_t st_w_event = {
    .name = "event",
    .invariants = "no waiter misses the set (nobody queued after set), no release "
                  "before it, waits after it succeed, nothing queued at round end",
    .weight = 5,
    .nparts = 10,
    .cancel = 1,
    .setup = event_setup,
    .step = event_step,
    .finish = event_finish,
    .dump = event_dump,
};

/* --- latch --- */

static weft_latch_t g_l;
static _Atomic int g_zero, g_own, g_broken, g_aborts;
static _Atomic uint64_t g_released_rounds, g_broken_rounds;

static void latch_clear_counts(void) {
    atomic_store(&g_zero, 0);
    atomic_store(&g_own, 0);
    atomic_store(&g_broken, 0);
    atomic_store(&g_aborts, 0);
}

static void latch_setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_latch_init(&g_l, (unsigned)c->nparts), 0);
    latch_clear_counts();
    atomic_store(&g_released_rounds, 0);
    atomic_store(&g_broken_rounds, 0);
    g_rounds = c->budget / (uint64_t)(3 * c->nparts) + 1; /* 3 calls per party */
}

static void latch_check_round(st_part_t *p) {
    int n = p->crew->nparts;
    int zero = atomic_load(&g_zero), own = atomic_load(&g_own);
    int broken = atomic_load(&g_broken), aborts = atomic_load(&g_aborts);
    ST_CHECKV(p, zero == 0 || zero == n, zero, n); /* all or nothing */
    if (zero == n) {
        ST_CHECKV(p, own + broken + aborts == 0, own, broken);
        ST_CHECK_EQ(p, weft_latch_is_broken(&g_l), 0);
        atomic_fetch_add(&g_released_rounds, 1);
    } else {
        ST_CHECKV(p, own + aborts >= 1, own, aborts);
        ST_CHECKV(p, own + broken + aborts == n, own + aborts, broken);
        ST_CHECK_EQ(p, weft_latch_is_broken(&g_l), 1);
        atomic_fetch_add(&g_broken_rounds, 1);
    }
    ST_CHECK_EQ(p, weft__wl_count(&g_l.wl), 0);
    ST_CHECK_EQ(p, weft_latch_destroy(&g_l), 0);
    ST_CHECK_EQ(p, weft_latch_init(&g_l, (unsigned)n), 0);
    latch_clear_counts();
}

static int latch_step(st_part_t *p) {
    st_rendezvous(p);
    if (leader(p) && st_chance(p, 3)) {
        atomic_fetch_add(&g_aborts, 1);
        ST_CHECK_EQ(p, weft_latch_abort(&g_l), 0);
        st_op(p);
    } else {
        enum st_dl kind;
        int64_t dl = st_deadline(p, 1, 2, 3000, &kind);
        st_call_begin(p, "weft_latch_wait", kind);
        int r = weft_latch_wait(&g_l, dl);
        st_call_end(p, r);
        if (r == 0) {
            atomic_fetch_add(&g_zero, 1);
        } else if (r == -ENOTRECOVERABLE) {
            st_count_check(p);
            atomic_fetch_add(&g_broken, 1);
        } else {
            ST_FAILED_WAIT(p, r, kind, 0);
            atomic_fetch_add(&g_own, 1);
        }
    }
    st_rendezvous(p);
    if (leader(p)) latch_check_round(p);
    return ++p->u[0] >= g_rounds ? ST_DONE : ST_MORE;
}

static void latch_finish(st_crew_t *c) {
    for (int i = 0; i < c->nparts; i++)
        ST_CREW_CHECK_EQ(c, c->parts[i].u[0], g_rounds);
    ST_CREW_CHECK_EQ(c, atomic_load(&g_released_rounds) + atomic_load(&g_broken_rounds),
                     g_rounds);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_l.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_latch_destroy(&g_l), 0);
}

static void latch_dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr,
            "  latch: broken %d, queued %d; round: %d zero, %d own, %d broken, %d "
            "aborts\n",
            weft_latch_is_broken(&g_l), weft__wl_count(&g_l.wl), atomic_load(&g_zero),
            atomic_load(&g_own), atomic_load(&g_broken), atomic_load(&g_aborts));
}

const st_workload_t st_w_latch = {
    .name = "latch",
    .invariants = "each round all or nothing (all 0, or a failure/abort and the rest "
                  "-ENOTRECOVERABLE, broken), nothing queued at round end",
    .weight = 4,
    .nparts = 10,
    .cancel = 1,
    .setup = latch_setup,
    .step = latch_step,
    .finish = latch_finish,
    .dump = latch_dump,
    .cancel_pause_us = 2000,
};
