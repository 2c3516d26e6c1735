/* tests/stress/w_once.c: the round-based workload "once" (weft_once_t, with
 * weft_flag_t and weft_guard_t under the same contention).
 *
 * Each round every participant, released together by the crew's rendezvous:
 * races to set a fresh flag to its own value; calls weft_once on a fresh once
 * (victims may be cancelled while they wait for it: weft_once waits anyway and
 * returns 0); reads the flag; enters and leaves a guard a few times. At the
 * next rendezvous the round's leader checks the round and makes fresh ones.
 * Invariants:
 *  - once runs its function exactly once per round, whoever calls it: every
 *    caller returns 0 (never -ECANCELED) only after the function returned: it
 *    sees runs == 1 and the plain value the function wrote; weft_once on the
 *    running once from inside its function is -EDEADLK; once_done is 1;
 *  - flag: exactly one set returns 1 per round, and every participant reads the
 *    winner's value; clear reports 1 then 0;
 *  - guard: an enter that returns 0 finds nobody inside (in-use counter 0, then
 *    1); a failed enter is -EBUSY; enters == exits; free at the round's end;
 *  - destroys return 0 at the round's end (nobody left waiting on the once). */
#include "stress.h"

#include <stdio.h>

#include "sync/waitq.h"

static uint64_t g_rounds;
static weft_once_t g_o;
static _Atomic int g_runs;
static uint64_t g_value; /* plain: written by the once's function */
static weft_flag_t g_f;
static _Atomic int g_winners, g_winner;
static _Atomic(void *) g_got[ST_MAX_PARTS];
static weft_guard_t g_g;
static _Atomic int g_inside;
static _Atomic uint64_t g_enters, g_exits;

static void setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_once_init(&g_o), 0);
    ST_CREW_CHECK_EQ(c, weft_flag_init(&g_f), 0);
    ST_CREW_CHECK_EQ(c, weft_guard_init(&g_g), 0);
    atomic_store(&g_runs, 0);
    atomic_store(&g_winners, 0);
    atomic_store(&g_inside, 0);
    atomic_store(&g_enters, 0);
    atomic_store(&g_exits, 0);
    g_value = 0;
    g_rounds = c->budget / (uint64_t)(8 * c->nparts) + 1; /* about 8 calls per party */
}

static void nothing(void *arg) {
    (void)arg;
}

/* The once's function: runs on the first caller; lets the others queue. */
static void once_fn(void *arg) {
    st_part_t *p = arg;
    ST_CHECK_EQ(p, atomic_fetch_add(&g_runs, 1), 0);
    ST_CHECK_EQ(p, weft_once(&g_o, nothing, NULL), -EDEADLK);
    st_op(p);
    for (unsigned n = st_below(p, 4); n > 0; n--)
        st_pause(p);
    g_value = p->u[0] + 1;
}

static void guard_uses(st_part_t *p) {
    for (unsigned n = 1 + st_below(p, 4); n > 0; n--) {
        int r = weft_guard_enter(&g_g);
        st_op(p);
        if (r != 0) {
            ST_CHECK_EQ(p, r, -EBUSY);
            continue;
        }
        atomic_fetch_add(&g_enters, 1);
        ST_CHECK_EQ(p, atomic_fetch_add(&g_inside, 1), 0);
        if (st_chance(p, 30)) st_pause(p);
        ST_CHECK_EQ(p, atomic_fetch_sub(&g_inside, 1), 1);
        atomic_fetch_add(&g_exits, 1);
        ST_CHECK_EQ(p, weft_guard_exit(&g_g), 0);
        st_op(p);
    }
}

static void check_round(st_part_t *p) {
    ST_CHECK_EQ(p, atomic_load(&g_runs), 1);
    ST_CHECK_EQ(p, atomic_load(&g_winners), 1);
    void *win = (void *)(uintptr_t)atomic_load(&g_winner);
    for (int i = 0; i < p->crew->nparts; i++)
        ST_CHECKV(p, atomic_load(&g_got[i]) == win, i, (intptr_t)win);
    ST_CHECK_EQ(p, weft_flag_clear(&g_f), 1);
    ST_CHECK_EQ(p, weft_flag_clear(&g_f), 0);
    ST_CHECK_EQ(p, weft_flag_is_set(&g_f), 0);
    ST_CHECK_EQ(p, weft__wl_count(&g_o.wl), 0);
    ST_CHECK_EQ(p, weft_once_destroy(&g_o), 0);
    ST_CHECK_EQ(p, weft_once_init(&g_o), 0);
    ST_CHECK_EQ(p, weft_guard_in_use(&g_g), 0);
    ST_CHECK_EQ(p, weft_guard_destroy(&g_g), 0);
    ST_CHECK_EQ(p, weft_guard_init(&g_g), 0);
    for (int i = 0; i < 6; i++)
        st_op(p);
    atomic_store(&g_runs, 0);
    atomic_store(&g_winners, 0);
}

static int step(st_part_t *p) {
    st_rendezvous(p);
    void *mine = (void *)(uintptr_t)(p->index + 1);
    int r = weft_flag_set(&g_f, mine);
    st_op(p);
    ST_CHECKV(p, r == 0 || r == 1, r, 0);
    if (r == 1) {
        atomic_fetch_add(&g_winners, 1);
        atomic_store(&g_winner, p->index + 1);
    }
    st_call_begin(p, "weft_once", ST_FOREVER);
    r = weft_once(&g_o, once_fn, p);
    st_call_end(p, r);
    ST_CHECK_EQ(p, r, 0); /* never -ECANCELED */
    ST_CHECK_EQ(p, atomic_load(&g_runs), 1);
    ST_CHECK_EQ(p, g_value, p->u[0] + 1); /* everything fn wrote is visible */
    ST_CHECK_EQ(p, weft_once_done(&g_o), 1);
    void *v = NULL;
    ST_CHECK_EQ(p, weft_flag_get(&g_f, &v), 0);
    st_op(p);
    atomic_store(&g_got[p->index], v);
    guard_uses(p);
    st_rendezvous(p);
    if ((int)(p->u[0] % (uint64_t)p->crew->nparts) == p->index) check_round(p);
    return ++p->u[0] >= g_rounds ? ST_DONE : ST_MORE;
}

static void finish(st_crew_t *c) {
    for (int i = 0; i < c->nparts; i++)
        ST_CREW_CHECK_EQ(c, c->parts[i].u[0], g_rounds);
    ST_CREW_CHECK_EQ(c, atomic_load(&g_enters), atomic_load(&g_exits));
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_o.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_once_destroy(&g_o), 0);
    ST_CREW_CHECK_EQ(c, weft_guard_destroy(&g_g), 0);
    ST_CREW_CHECK_EQ(c, weft_flag_destroy(&g_f), 0);
}

static void dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr, "  once: done %d, runs %d, queued %d; flag set %d; guard in use %d\n",
            weft_once_done(&g_o), atomic_load(&g_runs), weft__wl_count(&g_o.wl),
            weft_flag_is_set(&g_f), weft_guard_in_use(&g_g));
}

const st_workload_t st_w_once = {
    .name = "once",
    .invariants =
        "once runs exactly once per round and its writes are visible to every "
        "caller (never -ECANCELED), one flag winner seen by all, guard exclusive",
    .weight = 5,
    .nparts = 10,
    .cancel = 1,
    .setup = setup,
    .step = step,
    .finish = finish,
    .dump = dump,
};
