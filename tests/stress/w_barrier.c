/* tests/stress/w_barrier.c: the workload "barrier".
 *
 * Seven participants are the parties of one cyclic weft_barrier_t and go
 * through G generations together. Each arrival takes a random deadline kind
 * (mostly WEFT_FOREVER; a try or a finite deadline breaks the generation unless
 * it completes it); victims are cancelled in their FOREVER waits (which breaks
 * it too); now and then a party aborts the barrier instead of arriving.
 * Each generation g uses the slot g % 4 of a few counters: `arrived` (parties
 * that called wait), `mask` (the arrival indices returned), `passed`, `failed`,
 * `aborted`.
 * Invariants:
 *  - generations intact: a party released from g got an index in [0, 7) that
 *    no other party of g got, and saw all 7 parties arrive at g; when it is
 *    released from g+1, the indices of g are exactly 0..6;
 *  - all or nothing: a generation is released for every party or for none: a
 *    party that passes sees no failure of its generation, and after a break
 *    every party reports a failure (its own -ETIMEDOUT/-ECANCELED or
 *    -ENOTRECOVERABLE) and none passed;
 *  - abort and reset, in a controlled phase: after a broken generation every
 *    party meets at the crew's rendezvous (shielded), one checks the counts and
 *    that the barrier is broken with nobody queued, resets it (is_broken 0),
 *    and only then do the parties go on to the next generation;
 *  - every failed wait is allowed by its deadline kind;
 *  - at the end: nobody queued, destroy returns 0. */
#include "stress.h"

#include <stdio.h>

#include "sync/waitq.h"

#define PARTIES 7
#define SLOTS   4

static weft_barrier_t g_b;
static uint64_t g_gens;
static _Atomic int g_arrived[SLOTS], g_passed[SLOTS], g_failed[SLOTS], g_aborted[SLOTS];
static _Atomic uint32_t g_mask[SLOTS];
static _Atomic uint64_t g_breaks, g_released;

static void clear_slot(int s) {
    atomic_store(&g_arrived[s], 0);
    atomic_store(&g_passed[s], 0);
    atomic_store(&g_failed[s], 0);
    atomic_store(&g_aborted[s], 0);
    atomic_store(&g_mask[s], 0);
}

static void setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, c->nparts, PARTIES);
    ST_CREW_CHECK_EQ(c, weft_barrier_init(&g_b, PARTIES), 0);
    g_gens = c->budget / PARTIES + 1; /* at least one call per party and generation */
    for (int s = 0; s < SLOTS; s++)
        clear_slot(s);
    atomic_store(&g_breaks, 0);
    atomic_store(&g_released, 0);
}

/* After a broken generation g: every party meets, one checks and resets. */
static void recover(st_part_t *p, int s) {
    if (st_rendezvous(p) == 0) { /* every party has recorded its outcome for g */
        ST_CHECKV(p, atomic_load(&g_passed[s]) == 0, atomic_load(&g_passed[s]),
                  atomic_load(&g_failed[s]));
        ST_CHECKV(p, atomic_load(&g_failed[s]) + atomic_load(&g_aborted[s]) == PARTIES,
                  atomic_load(&g_failed[s]), atomic_load(&g_aborted[s]));
        ST_CHECKV(p, atomic_load(&g_arrived[s]) + atomic_load(&g_aborted[s]) == PARTIES,
                  atomic_load(&g_arrived[s]), atomic_load(&g_aborted[s]));
        ST_CHECK_EQ(p, weft_barrier_is_broken(&g_b), 1);
        ST_CHECK_EQ(p, weft__wl_count(&g_b.wl), 0);
        ST_CHECK_EQ(p, weft_barrier_reset(&g_b), 0);
        st_op(p);
        ST_CHECK_EQ(p, weft_barrier_is_broken(&g_b), 0);
        for (int k = 0; k < SLOTS; k++)
            clear_slot(k);
        atomic_fetch_add(&g_breaks, 1);
    }
    st_rendezvous(p); /* nobody arrives before the reset */
}

/* u[0]: this party's generation; u[1]: the previous one was released. */
static int step(st_part_t *p) {
    uint64_t g = p->u[0];
    int s = (int)(g % SLOTS);
    int failed = 1;
    if (st_below(p, 1000) < 5) {
        atomic_fetch_add(&g_aborted[s], 1);
        ST_CHECK_EQ(p, weft_barrier_abort(&g_b), 0);
        st_op(p);
    } else {
        atomic_fetch_add(&g_arrived[s], 1);
        enum st_dl kind;
        int64_t dl = st_deadline(p, 1, 2, 3000, &kind);
        st_call_begin(p, "weft_barrier_wait", kind);
        int r = weft_barrier_wait(&g_b, dl);
        st_call_end(p, r);
        if (r >= 0) {
            failed = 0;
            ST_CHECKV(p, r < PARTIES, r, PARTIES);
            ST_CHECK_EQ(p, atomic_load(&g_arrived[s]), PARTIES);
            uint32_t bit = 1u << r;
            ST_CHECKV(p, (atomic_fetch_or(&g_mask[s], bit) & bit) == 0, r, g);
            atomic_fetch_add(&g_passed[s], 1);
            ST_CHECKV(p, atomic_load(&g_failed[s]) + atomic_load(&g_aborted[s]) == 0,
                      atomic_load(&g_failed[s]), atomic_load(&g_aborted[s]));
            if (p->u[1])
                ST_CHECK_EQ(p, atomic_load(&g_mask[(g + SLOTS - 1) % SLOTS]),
                            (1u << PARTIES) - 1);
            if (r == 0) { /* nobody touches g+2 before every party passed g+1 */
                clear_slot((int)((g + 2) % SLOTS));
                atomic_fetch_add(&g_released, 1);
            }
        } else {
            ST_FAILED_WAIT(p, r, kind, -ENOTRECOVERABLE);
            atomic_fetch_add(&g_failed[s], 1);
        }
    }
    if (failed) recover(p, s);
    p->u[1] = !failed;
    p->u[0] = g + 1;
    return p->u[0] >= g_gens ? ST_DONE : ST_MORE;
}

static void finish(st_crew_t *c) {
    for (int i = 0; i < c->nparts; i++)
        ST_CREW_CHECK_EQ(c, c->parts[i].u[0], g_gens);
    ST_CREW_CHECK_EQ(c, atomic_load(&g_released) + atomic_load(&g_breaks), g_gens);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_b.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_barrier_destroy(&g_b), 0);
}

static void dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr,
            "  barrier: broken %d, queued %d; slots (arrived passed failed "
            "aborted mask):",
            weft_barrier_is_broken(&g_b), weft__wl_count(&g_b.wl));
    for (int s = 0; s < SLOTS; s++)
        fprintf(stderr, " [%d %d %d %d %#x]", atomic_load(&g_arrived[s]),
                atomic_load(&g_passed[s]), atomic_load(&g_failed[s]),
                atomic_load(&g_aborted[s]), atomic_load(&g_mask[s]));
    fprintf(stderr, "\n");
}

const st_workload_t st_w_barrier = {
    .name = "barrier",
    .invariants =
        "generations intact (indices 0..6 once each, all arrived), "
        "all-or-nothing release, abort/reset recovery, nothing queued at the end",
    .weight = 6,
    .nparts = PARTIES,
    .cancel = 1,
    .setup = setup,
    .step = step,
    .finish = finish,
    .dump = dump,
    .cancel_pause_us = 3000,
};
