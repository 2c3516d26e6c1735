/* tests/stress/w_rwlock.c: the workload "rwlock".
 *
 * Even participants read, odd ones write (each role has fibers of both runtimes
 * and threads), with random deadline kinds; victims are cancelled in FOREVER
 * waits; holders sometimes switch while holding.
 * Invariants:
 *  - never a writer with anyone else: a writer inside sees no other writer and
 *    no reader inside (our counters, and weft_rwlock_readers == 0), a reader
 *    inside sees no writer; writers increment a plain counter that readers
 *    read, so a broken exclusion is also a data race for TSan;
 *  - -EDEADLK for a writer that locks again (read or write);
 *  - neither side starves: a FOREVER wait returns 0 unless its fiber is
 *    cancelled (a starved one hangs, and the monitor reports it), and every
 *    reader and every writer (of 100 calls or more) got the lock;
 *  - at the end: no reader, no writer, nobody queued, destroy returns 0,
 *    the plain counter == the write sections. */
#include "stress.h"

#include <stdio.h>

#include "sync/waitq.h"

static weft_rwlock_t g_l;
static _Atomic int g_readers_in, g_writers_in;
static uint64_t g_plain; /* written under the write lock, read under the read lock */
static _Atomic uint64_t g_writes;

static void setup(st_crew_t *c) {
    ST_CREW_CHECK_EQ(c, weft_rwlock_init(&g_l), 0);
    atomic_store(&g_readers_in, 0);
    atomic_store(&g_writers_in, 0);
    atomic_store(&g_writes, 0);
    g_plain = 0;
}

/* u[0]: the times this participant got the lock. */
static void reader(st_part_t *p) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 30, 30, 200, &kind);
    st_call_begin(p, "weft_rwlock_rdlock", kind);
    int r = weft_rwlock_rdlock(&g_l, dl);
    st_call_end(p, r);
    if (r != 0) {
        ST_FAILED_WAIT(p, r, kind, 0);
        return;
    }
    p->u[0]++;
    atomic_fetch_add(&g_readers_in, 1);
    ST_CHECK_EQ(p, atomic_load(&g_writers_in), 0);
    ST_CHECK_EQ(p, weft_rwlock_is_write_locked(&g_l), 0);
    ST_CHECKV(p, weft_rwlock_readers(&g_l) >= 1, weft_rwlock_readers(&g_l), 1);
    uint64_t seen = g_plain;
    if (st_chance(p, 20)) st_pause(p);
    ST_CHECK_EQ(p, g_plain, seen); /* no writer in between */
    ST_CHECK_EQ(p, atomic_load(&g_writers_in), 0);
    atomic_fetch_sub(&g_readers_in, 1);
    ST_CHECK_EQ(p, weft_rwlock_rdunlock(&g_l), 0);
    st_op(p);
}

static void writer(st_part_t *p) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 30, 30, 200, &kind);
    st_call_begin(p, "weft_rwlock_wrlock", kind);
    int r = weft_rwlock_wrlock(&g_l, dl);
    st_call_end(p, r);
    if (r != 0) {
        ST_FAILED_WAIT(p, r, kind, 0);
        return;
    }
    p->u[0]++;
    ST_CHECK_EQ(p, atomic_fetch_add(&g_writers_in, 1), 0);
    ST_CHECK_EQ(p, atomic_load(&g_readers_in), 0);
    ST_CHECK_EQ(p, weft_rwlock_readers(&g_l), 0);
    ST_CHECK_EQ(p, weft_rwlock_is_write_locked(&g_l), 1);
    g_plain++;
    atomic_fetch_add(&g_writes, 1);
    if (st_chance(p, 10)) {
        ST_CHECK_EQ(p, weft_rwlock_wrlock(&g_l, WEFT_NOWAIT), -EDEADLK);
        ST_CHECK_EQ(p, weft_rwlock_rdlock(&g_l, WEFT_NOWAIT), -EDEADLK);
        st_op(p);
        st_op(p);
    }
    if (st_chance(p, 20)) st_pause(p);
    ST_CHECK_EQ(p, atomic_load(&g_readers_in), 0);
    ST_CHECK_EQ(p, atomic_fetch_sub(&g_writers_in, 1), 1);
    ST_CHECK_EQ(p, weft_rwlock_wrunlock(&g_l), 0);
    st_op(p);
}

static int step(st_part_t *p) {
    if (p->index % 2 == 0)
        reader(p);
    else
        writer(p);
    return st_budget_spent(p) ? ST_DONE : ST_MORE;
}

static void finish(st_crew_t *c) {
    /* Each reader and writer made progress (checked for those that made 100
     * calls or more: a few calls could all be tries that failed). */
    for (int i = 0; i < c->nparts; i++)
        if (atomic_load(&c->parts[i].ops) >= 100)
            ST_CREW_CHECKV(c, c->parts[i].u[0] > 0, i, c->parts[i].u[0]);
    ST_CREW_CHECK_EQ(c, g_plain, atomic_load(&g_writes));
    ST_CREW_CHECK_EQ(c, weft_rwlock_readers(&g_l), 0);
    ST_CREW_CHECK_EQ(c, weft_rwlock_is_write_locked(&g_l), 0);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_l.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_rwlock_destroy(&g_l), 0);
}

static void dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr, "  rwlock: readers %d, write locked %d, queued %d\n",
            weft_rwlock_readers(&g_l), weft_rwlock_is_write_locked(&g_l),
            weft__wl_count(&g_l.wl));
}

const st_workload_t st_w_rwlock = {
    .name = "rwlock",
    .invariants = "never a writer with anyone else, -EDEADLK, every reader and writer "
                  "progresses (no starvation), free and unqueued at the end",
    .weight = 10,
    .nparts = 10,
    .cancel = 1,
    .setup = setup,
    .step = step,
    .finish = finish,
    .dump = dump,
};
