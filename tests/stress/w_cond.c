/* tests/stress/w_cond.c: the workloads "cond" (a condition over a weft_mutex_t)
 * and "cond_rmutex" (over a weft_rmutex_t held two deep while waiting).
 *
 * A bounded buffer of 4 items under the lock with two conditions, not_full and
 * not_empty. Even participants produce items (producer, seq), seq = 0, 1, ...;
 * odd ones consume. Waits use weft_cond_wait_for with predicates (evaluated by
 * the notifier under the lock), and sometimes a plain weft_cond_wait in a loop.
 * Every lock and wait takes a random deadline kind; victims are cancelled. The
 * last producer to finish sets `done` and notifies every consumer.
 * Invariants:
 *  - a positive wait_for return means its predicate holds now: a producer finds
 *    room (count < 4), a consumer finds an item or `done`: the buffer never
 *    over- or underflows;
 *  - the lock is held again after every wait, whatever its outcome (is_owned,
 *    or the full recursion count 2 for the rmutex);
 *  - every produced item is consumed exactly once and in order: the items of a
 *    producer leave the buffer with seq = last + 1;
 *  - every failed lock or wait is allowed by its deadline kind;
 *  - notify returns how many it notified (0..1 for notify(1));
 *  - at the end: the buffer is empty, every producer's items were all consumed,
 *    no waiter is queued on either condition or the lock, destroys return 0. */
#include "stress.h"

#include <stdio.h>

#include "sync/waitq.h"

#define CAP 4

static weft_mutex_t g_m;
static weft_rmutex_t g_rm;
static int g_re; /* the rmutex variant */
static weft_cond_t g_not_full, g_not_empty;
/* Guarded by the lock: */
static void *g_buf[CAP];
static int g_head, g_count, g_done, g_prod_done, g_nprod;
static int64_t g_last[ST_MAX_PARTS];
static uint64_t g_consumed;

static void setup(st_crew_t *c, int re) {
    g_re = re;
    if (re) {
        ST_CREW_CHECK_EQ(c, weft_rmutex_init(&g_rm), 0);
        ST_CREW_CHECK_EQ(c, weft_cond_init_rmutex(&g_not_full, &g_rm), 0);
        ST_CREW_CHECK_EQ(c, weft_cond_init_rmutex(&g_not_empty, &g_rm), 0);
    } else {
        ST_CREW_CHECK_EQ(c, weft_mutex_init(&g_m), 0);
        ST_CREW_CHECK_EQ(c, weft_cond_init_mutex(&g_not_full, &g_m), 0);
        ST_CREW_CHECK_EQ(c, weft_cond_init_mutex(&g_not_empty, &g_m), 0);
    }
    g_head = g_count = g_done = g_prod_done = 0;
    g_nprod = (c->nparts + 1) / 2;
    g_consumed = 0;
    for (int i = 0; i < ST_MAX_PARTS; i++)
        g_last[i] = -1;
    /* Consumers run until `done` and make about as many calls as producers:
     * producers get half of the share, plus 5% so that it is met. */
    for (int i = 0; i < c->nparts; i++)
        c->parts[i].budget =
            i % 2 == 0 ? c->budget * 21 / (uint64_t)(40 * g_nprod) : UINT64_MAX;
}
static void mutex_setup(st_crew_t *c) {
    setup(c, 0);
}
static void rmutex_setup(st_crew_t *c) {
    setup(c, 1);
}

static int pred_not_full(void *arg) {
    (void)arg;
    return g_count < CAP;
}
static int pred_not_empty(void *arg) {
    (void)arg;
    return g_count > 0 || g_done ? 1 : 0;
}

/* Locks with a random deadline kind, or WEFT_FOREVER (two deep for the rmutex:
 * the second lock is a re-entry try, which cannot fail). Returns 0 or the failed
 * wait's code (checked). */
static int lock(st_part_t *p, int forever) {
    enum st_dl kind = ST_FOREVER;
    int64_t dl = forever ? WEFT_FOREVER : st_deadline(p, 20, 20, 200, &kind);
    st_call_begin(p, "lock", kind);
    int r = g_re ? weft_rmutex_lock(&g_rm, dl) : weft_mutex_lock(&g_m, dl);
    st_call_end(p, r);
    if (r != 0) {
        ST_FAILED_WAIT(p, r, kind, 0);
        return r;
    }
    if (g_re) {
        ST_CHECK_EQ(p, weft_rmutex_lock(&g_rm, WEFT_NOWAIT), 0);
        st_op(p);
    }
    return 0;
}

static void check_held(st_part_t *p) {
    if (g_re)
        ST_CHECK_EQ(p, weft_rmutex_count(&g_rm), 2);
    else
        ST_CHECK_EQ(p, weft_mutex_is_owned(&g_m), 1);
}

static void unlock(st_part_t *p) {
    check_held(p);
    for (int i = 0; i < (g_re ? 2 : 1); i++) {
        ST_CHECK_EQ(p, g_re ? weft_rmutex_unlock(&g_rm) : weft_mutex_unlock(&g_m), 0);
        st_op(p);
    }
}

/* Waits on c for pred with a random deadline kind; returns > 0 if pred holds. */
static int wait_pred(st_part_t *p, weft_cond_t *c, int (*pred)(void *),
                     const char *what) {
    enum st_dl kind;
    int64_t dl = st_deadline(p, 15, 25, 300, &kind);
    if (st_chance(p, 20)) { /* a plain wait in a loop */
        int r = 0;
        while (!pred(NULL)) {
            st_call_begin(p, "weft_cond_wait", kind);
            r = weft_cond_wait(c, dl);
            st_call_end(p, r);
            check_held(p);
            if (r != 0) break;
        }
        if (r != 0) ST_FAILED_WAIT(p, r, kind, 0);
        return pred(NULL);
    }
    st_call_begin(p, what, kind);
    int r = weft_cond_wait_for(c, pred, NULL, dl);
    st_call_end(p, r);
    check_held(p);
    if (r > 0)
        ST_CHECK(p, pred(NULL)); /* a positive return means the predicate holds now */
    else
        ST_FAILED_WAIT(p, r, kind, 0);
    return r > 0;
}

static int produce(st_part_t *p) {
    if (st_budget_spent(p)) { /* the last producer wakes every consumer */
        st_shield_begin(p);
        ST_CHECK_EQ(p, lock(p, 1), 0);
        if (++g_prod_done == g_nprod) {
            g_done = 1;
            ST_CHECKV(p, weft_cond_notify_all(&g_not_empty) >= 0, 0, 0);
            st_op(p);
        }
        unlock(p);
        st_shield_end(p);
        return ST_DONE;
    }
    if (lock(p, 0) != 0) return ST_MORE;
    if (wait_pred(p, &g_not_full, pred_not_full, "weft_cond_wait_for (not full)")) {
        ST_CHECKV(p, g_count < CAP, g_count, CAP);
        g_buf[(g_head + g_count) % CAP] =
            (void *)(uintptr_t)(((uint64_t)p->index << 40) | p->u[0]);
        g_count++;
        p->u[0]++;
        int n = st_chance(p, 10) ? weft_cond_notify_all(&g_not_empty)
                                 : weft_cond_notify(&g_not_empty, 1);
        st_op(p);
        ST_CHECKV(p, n >= 0 && n <= p->crew->nparts, n, 0);
    }
    unlock(p);
    return ST_MORE;
}

static int consume(st_part_t *p) {
    if (lock(p, 0) != 0) return ST_MORE;
    int finished = 0;
    if (wait_pred(p, &g_not_empty, pred_not_empty, "weft_cond_wait_for (not empty)")) {
        if (g_count > 0) {
            uint64_t v = (uint64_t)(uintptr_t)g_buf[g_head];
            g_head = (g_head + 1) % CAP;
            g_count--;
            int pid = (int)(v >> 40);
            int64_t seq = (int64_t)(v & ((1ull << 40) - 1));
            ST_CHECKV(p, pid >= 0 && pid < p->crew->nparts && pid % 2 == 0, pid, seq);
            ST_CHECKV(p, seq == g_last[pid] + 1, seq, g_last[pid]); /* once, in order */
            g_last[pid] = seq;
            g_consumed++;
            int n = weft_cond_notify(&g_not_full, 1);
            st_op(p);
            ST_CHECKV(p, n == 0 || n == 1, n, 1);
        } else {
            ST_CHECK_EQ(p, g_done, 1);
            finished = 1;
        }
    }
    unlock(p);
    return finished ? ST_DONE : ST_MORE;
}

static int step(st_part_t *p) {
    return p->index % 2 == 0 ? produce(p) : consume(p);
}

static void finish(st_crew_t *c) {
    uint64_t produced = 0;
    ST_CREW_CHECK_EQ(c, g_count, 0);
    ST_CREW_CHECK_EQ(c, g_done, 1);
    for (int i = 0; i < c->nparts; i += 2) {
        produced += c->parts[i].u[0];
        ST_CREW_CHECK_EQ(c, g_last[i] + 1, (int64_t)c->parts[i].u[0]);
    }
    ST_CREW_CHECK_EQ(c, g_consumed, produced);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_not_full.wl), 0);
    ST_CREW_CHECK_EQ(c, weft__wl_count(&g_not_empty.wl), 0);
    ST_CREW_CHECK_EQ(c, weft_cond_destroy(&g_not_full), 0);
    ST_CREW_CHECK_EQ(c, weft_cond_destroy(&g_not_empty), 0);
    if (g_re) {
        ST_CREW_CHECK_EQ(c, weft_rmutex_is_locked(&g_rm), 0);
        ST_CREW_CHECK_EQ(c, weft__wl_count(&g_rm.wl), 0);
        ST_CREW_CHECK_EQ(c, weft_rmutex_destroy(&g_rm), 0);
    } else {
        ST_CREW_CHECK_EQ(c, weft_mutex_is_locked(&g_m), 0);
        ST_CREW_CHECK_EQ(c, weft__wl_count(&g_m.wl), 0);
        ST_CREW_CHECK_EQ(c, weft_mutex_destroy(&g_m), 0);
    }
}

static void dump(st_crew_t *c) {
    (void)c;
    fprintf(stderr,
            "  cond: count %d (racy), done %d, not_full queued %d, not_empty queued %d, "
            "lock queued %d\n",
            g_count, g_done, weft__wl_count(&g_not_full.wl),
            weft__wl_count(&g_not_empty.wl),
            g_re ? weft__wl_count(&g_rm.wl) : weft__wl_count(&g_m.wl));
}

#define COND_INVARIANTS                                                                  \
    "bounded buffer never over/underflows, predicate holds on a positive return, lock "  \
    "held after every wait, every item consumed once and in order, nothing queued at "   \
    "the end"

const st_workload_t st_w_cond = {
    .name = "cond",
    .invariants = COND_INVARIANTS,
    .weight = 8,
    .nparts = 10,
    .cancel = 1,
    .setup = mutex_setup,
    .step = step,
    .finish = finish,
    .dump = dump,
};
const st_workload_t st_w_cond_rmutex = {
    .name = "cond_rmutex",
    .invariants = COND_INVARIANTS ", rmutex count 2 restored",
    .weight = 6,
    .nparts = 10,
    .cancel = 1,
    .setup = rmutex_setup,
    .step = step,
    .finish = finish,
    .dump = dump,
};
