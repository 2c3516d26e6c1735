/* tests/stress/w_queue.c: the workloads "queue_fifo" (bounded, 4 slots),
 * "queue_lifo" (unbounded: its array grows) and "queue_prio" (priority,
 * bounded, 8 slots).
 *
 * Even participants produce, odd ones consume. A producer puts its items
 * (producer, seq) with seq = 0, 1, 2, ... in order; a put that times out or is
 * cancelled put nothing, so the same item is put again later (by the next
 * incarnation if the fiber was cancelled). The last producer to finish shuts
 * the queue down (with the drain); consumers get until -EPIPE.
 * Invariants:
 *  - every item is delivered exactly once: a per-item delivery counter goes
 *    from 0 to 1 on its get, and at the end it is 1 for every item a producer
 *    put (put returned 0) and 0 for every other: nothing lost to a cancelled or
 *    timed-out put or get, nothing duplicated;
 *  - FIFO: each consumer sees each producer's items in increasing seq order;
 *  - a consumer's -EPIPE comes only after every producer finished and the
 *    queue is drained; a put after the shutdown is -EPIPE;
 *  - every failed wait is allowed by its deadline kind;
 *  - at the end: length 0, no caller queued, destroy returns 0. */
#include "stress.h"

#include <stdio.h>
#include <stdlib.h>

#include "sync/waitq.h"

static weft_queue_t g_q;
static int g_kind, g_unbounded;
static int g_nprod;
static uint64_t g_cap; /* items a producer may make at most */
static _Atomic unsigned char *g_deliv[ST_MAX_PARTS];
static int64_t g_last[ST_MAX_PARTS][ST_MAX_PARTS]; /* [consumer][producer] */
static _Atomic int g_prod_done;
static _Atomic uint64_t g_consumed;

static void *encode(int pid, uint64_t seq) {
    return (void *)(uintptr_t)((((uint64_t)pid << 40) | seq) + 1);
}
static void decode(void *item, int *pid, uint64_t *seq) {
    uint64_t v = (uint64_t)(uintptr_t)item - 1;
    *pid = (int)(v >> 40);
    *seq = v & ((1ull << 40) - 1);
}

/* Priority: a hash of the item, so that items of one producer come out of
 * order; equal priorities in any order. */
static unsigned prio(const void *item) {
    uint64_t v = (uint64_t)(uintptr_t)item * 0x9e3779b97f4a7c15ull;
    return (unsigned)(v >> 61);
}
static int prio_cmp(const void *a, const void *b) {
    unsigned x = prio(a), y = prio(b);
    return x < y ? -1 : x > y;
}

static void setup(st_crew_t *c, int kind, size_t maxsize) {
    g_kind = kind;
    g_unbounded = maxsize == 0;
    ST_CREW_CHECK_EQ(
        c, weft_queue_init(&g_q, kind, maxsize, kind == WEFT_PRIORITY ? prio_cmp : NULL),
        0);
    g_nprod = (c->nparts + 1) / 2;
    /* Consumers make about as many calls as producers: producers get half of
     * the share, plus 5% so that it is met. */
    g_cap = c->budget * 21 / (uint64_t)(40 * g_nprod) + 2;
    for (int i = 0; i < c->nparts; i++) {
        st_part_t *p = &c->parts[i];
        if (i % 2 == 0) {
            p->budget = g_cap - 2;
            g_deliv[i] = calloc(g_cap, 1);
            if (!g_deliv[i]) abort();
        } else {
            p->budget = UINT64_MAX; /* a consumer runs until -EPIPE */
        }
        for (int j = 0; j < ST_MAX_PARTS; j++)
            g_last[i][j] = -1;
    }
    atomic_store(&g_prod_done, 0);
    atomic_store(&g_consumed, 0);
}
static void fifo_setup(st_crew_t *c) {
    setup(c, WEFT_FIFO, 4);
}
static void lifo_setup(st_crew_t *c) {
    setup(c, WEFT_LIFO, 0);
}
static void prio_setup(st_crew_t *c) {
    setup(c, WEFT_PRIORITY, 8);
}

/* u[0]: the next seq to put. */
static int produce(st_part_t *p) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 25, 25, 200, &kind);
    st_call_begin(p, "weft_queue_put", kind);
    int r = weft_queue_put(&g_q, encode(p->index, p->u[0]), dl);
    st_call_end(p, r);
    if (r == 0) {
        p->u[0]++;
        /* An unbounded queue never stops a producer: let the consumers run, so
         * that they keep up and sometimes wait for items. */
        if (g_unbounded && st_chance(p, 50)) st_pause(p);
    } else {
        ST_FAILED_WAIT(p, r, kind, 0);
    }
    if (!st_budget_spent(p) && p->u[0] < g_cap - 2) return ST_MORE;
    if (atomic_fetch_add(&g_prod_done, 1) + 1 == g_nprod) {
        ST_CHECK_EQ(p, weft_queue_shutdown(&g_q, 0), 0);
        st_op(p);
        ST_CHECK_EQ(p, weft_queue_put(&g_q, encode(p->index, g_cap - 1), WEFT_NOWAIT),
                    -EPIPE);
        st_op(p);
    }
    return ST_DONE;
}

static int consume(st_part_t *p) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 25, 25, 200, &kind);
    void *item = NULL;
    st_call_begin(p, "weft_queue_get", kind);
    int r = weft_queue_get(&g_q, &item, dl);
    st_call_end(p, r);
    if (r == -EPIPE) {
        ST_CHECK_EQ(p, atomic_load(&g_prod_done), g_nprod);
        ST_CHECK_EQ(p, weft_queue_len(&g_q), 0);
        return ST_DONE;
    }
    if (r != 0) {
        ST_FAILED_WAIT(p, r, kind, 0);
        return ST_MORE;
    }
    int pid;
    uint64_t seq;
    decode(item, &pid, &seq);
    ST_CHECKV(p, pid >= 0 && pid < p->crew->nparts && pid % 2 == 0, pid, seq);
    ST_CHECKV(p, seq < g_cap - 2, seq, g_cap);
    ST_CHECKV(p, atomic_fetch_add(&g_deliv[pid][seq], 1) == 0, pid,
              seq); /* exactly once */
    if (g_kind == WEFT_FIFO) {
        ST_CHECKV(p, (int64_t)seq > g_last[p->index][pid], (int64_t)seq,
                  g_last[p->index][pid]);
        g_last[p->index][pid] = (int64_t)seq;
    }
    atomic_fetch_add(&g_consumed, 1);
    return ST_MORE;
}

static int step(st_part_t *p) {
    return p->index % 2 == 0 ? produce(p) : consume(p);
}

static void finish(st_crew_t *c) {
    uint64_t produced = 0;
    for (int i = 0; i < c->nparts; i += 2) {
        uint64_t n = c->parts[i].u[0];
        produced += n;
        for (uint64_t s = 0; s < g_cap; s++) /* delivered exactly once, or never put */
            ST_CREW_CHECKV(c, atomic_load(&g_deliv[i][s]) == (s < n), i, s);
        free((void *)g_deliv[i]);
        g_deliv[i] = NULL;
    }
    ST_CREW_CHECK_EQ(c, atomic_load(&g_consumed), produced);
    ST_CREW_CHECK_EQ(c, weft_queue_len(&g_q), 0);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_q.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_queue_destroy(&g_q), 0);
}

static void dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr, "  queue: len %d, getters queued %d, producers done %d of %d\n",
            weft_queue_len(&g_q), weft__wl_count(&g_q.wl), atomic_load(&g_prod_done),
            g_nprod);
}

#define QUEUE_INVARIANTS                                                                 \
    "every item delivered exactly once (none lost to cancelled/timed-out puts or "       \
    "gets), -EPIPE only after the shutdown and the drain, empty and unqueued at the end"

const st_workload_t st_w_queue_fifo = {
    .name = "queue_fifo",
    .invariants = QUEUE_INVARIANTS ", per-producer order seen by each consumer",
    .weight = 8,
    .nparts = 10,
    .cancel = 1,
    .setup = fifo_setup,
    .step = step,
    .finish = finish,
    .dump = dump,
};
const st_workload_t st_w_queue_lifo = {
    .name = "queue_lifo",
    .invariants = QUEUE_INVARIANTS,
    .weight = 5,
    .nparts = 10,
    .cancel = 1,
    .setup = lifo_setup,
    .step = step,
    .finish = finish,
    .dump = dump,
};
const st_workload_t st_w_queue_prio = {
    .name = "queue_prio",
    .invariants = QUEUE_INVARIANTS,
    .weight = 5,
    .nparts = 10,
    .cancel = 1,
    .setup = prio_setup,
    .step = step,
    .finish = finish,
    .dump = dump,
};
