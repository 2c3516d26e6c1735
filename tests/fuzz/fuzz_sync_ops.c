/* tests/fuzz/fuzz_sync_ops.c: the interpreter of fuzz_sync: each actor fiber runs
 * its lane's operations on the shared primitives, checks every return code
 * against the calls' documented ones, keeps the shadow state (who holds what),
 * and finally releases everything it holds and joins its children.
 *
 * Checks made on every call, whatever the interleaving:
 *   - the code is one the header documents for that call and situation;
 *   - misuse is reported exactly: -EDEADLK (re-lock of a mutex, rwlock writer,
 *     non-reentrant limiter), -EPERM (unlock without owning, condition calls
 *     without the lock), -EPIPE (put after shutdown);
 *   - -ECANCELED only for a cancelled caller, never from a try or inside a
 *     shield; a WEFT_FOREVER call of a caller cancelled beforehand returns
 *     -ECANCELED (or an error that takes precedence); -ETIMEDOUT never for
 *     WEFT_FOREVER;
 *   - on one worker without exploration, a try lets no other fiber run (tries
 *     never yield; exploration yields at its marked points on purpose);
 *   - mutual exclusion (mutex, rmutex, rwlock writer vs anyone), limiter
 *     holders never above the largest total, a semaphore's value never above
 *     its bound and its permits never made up (value + held <= initial +
 *     released, on one worker), queue items taken at most once and only if
 *     their put did not fail, barrier indices in range, a predicate holds when
 *     wait_for returns it, the lock is held again after a condition wait and
 *     an rmutex gets its depth back. */
#include "fuzz_sync.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

enum { DL_TRY, DL_FOREVER, DL_FINITE };

#define PREC_END  INT_MIN
#define PREC(...) ((const int[]){__VA_ARGS__, PREC_END})
#define NOPREC    ((const int *)NULL)

/* One blocking call in progress. */
struct call {
    const char *what;
    int64_t deadline;
    int kind, shield, cancelled_before;
    uint_fast64_t steps_before;
};

static void step(void) {
    atomic_fetch_add(&g.steps, 1);
}

static void call_begin(struct call *c, const char *what, uint8_t arg) {
    static const int kinds[4] = {DL_TRY, DL_FOREVER, DL_FINITE, DL_TRY};
    c->what = what;
    c->kind = kinds[arg & 3];
    c->shield = (arg & 4) && c->kind != DL_FOREVER;
    if (c->shield) weft_shield_begin();
    c->cancelled_before = weft_cancelled();
    if (c->kind == DL_FINITE) atomic_fetch_add(&g.timed, 1);
    switch (arg & 3) {
    case 0:
        c->deadline = WEFT_NOWAIT;
        break;
    case 1:
        c->deadline = WEFT_FOREVER;
        break;
    case 2:
        c->deadline = weft_after(WEFT_USEC(1 + (arg >> 3) % 16));
        break;
    default:
        c->deadline = weft_after(-1);
        break;
    }
    c->steps_before = atomic_load(&g.steps);
}

/* Checks shared by every blocking call. `prec` lists codes that may come
 * instead of -ECANCELED for a caller cancelled beforehand (errors of higher
 * precedence, or a success the call reports first); terminated by PREC_END. */
static void call_end(struct call *c, int r, const int *prec) {
    if (c->kind == DL_FINITE) atomic_fetch_sub(&g.timed, 1);
    int cancelled_after = weft_cancelled();
    if (c->shield) weft_shield_end();
    if (r == -ECANCELED) {
        FZ_CHECK(cancelled_after, "%s: -ECANCELED for a fiber never cancelled", c->what);
        FZ_CHECK(!c->shield, "%s: -ECANCELED inside a shield", c->what);
        FZ_CHECK(c->kind != DL_TRY, "%s: -ECANCELED from a try", c->what);
    }
    FZ_CHECK(!(r == -ETIMEDOUT && c->kind == DL_FOREVER), "%s: -ETIMEDOUT for FOREVER",
             c->what);
    if (c->kind == DL_FOREVER && c->cancelled_before && r != -ECANCELED) {
        int ok = 0;
        for (const int *p = prec; p && *p != PREC_END; p++)
            ok |= *p == r;
        FZ_CHECK(ok, "%s: cancelled caller got %d instead of -ECANCELED", c->what, r);
    }
    /* Under exploration the marked points may yield even in a try. */
    if (c->kind == DL_TRY && !g.two_workers && g.seed == 0)
        FZ_CHECK(atomic_load(&g.steps) == c->steps_before,
                 "%s: a try let other fibers run (returned %d)", c->what, r);
}

/* r must be one of the listed codes. */
#define EXPECT_ONE_OF(what, r, ...)                                                      \
    do {                                                                                 \
        static const int allowed_[] = {__VA_ARGS__};                                     \
        int ok_ = 0;                                                                     \
        for (size_t i_ = 0; i_ < sizeof allowed_ / sizeof allowed_[0]; i_++)             \
            ok_ |= allowed_[i_] == (r);                                                  \
        FZ_CHECK(ok_, "%s returned %d, not a documented code here", (what), (r));        \
    } while (0)

#define EXPECT_EQ(what, r, want)                                                         \
    do {                                                                                 \
        int got_ = (r), want_ = (want);                                                  \
        FZ_CHECK(got_ == want_, "%s returned %d, expected %d", (what), got_, want_);     \
    } while (0)

/* --- mutex and its condition --- */

static void enter_mutex(void) {
    FZ_CHECK(atomic_fetch_add(&g.in_mutex, 1) == 0, "mutex: two owners at once");
}

static void leave_mutex(void) {
    FZ_CHECK(atomic_fetch_sub(&g.in_mutex, 1) == 1, "mutex: owner count broken");
}

static void mutex_lock(struct fz_actor *a, uint8_t arg) {
    FZ_CHECK(weft_mutex_is_owned(&g.mutex) == a->mutex_held, "mutex: is_owned wrong");
    struct call c;
    call_begin(&c, "mutex_lock", arg);
    int r = weft_mutex_lock(&g.mutex, c.deadline);
    call_end(&c, r, PREC(-EDEADLK));
    if (a->mutex_held) {
        EXPECT_EQ("mutex_lock by its owner", r, -EDEADLK);
        return;
    }
    EXPECT_ONE_OF("mutex_lock", r, 0, -ETIMEDOUT, -ECANCELED);
    if (r == 0) {
        a->mutex_held = 1;
        enter_mutex();
    }
}

static void mutex_unlock(struct fz_actor *a) {
    if (!a->mutex_held) {
        EXPECT_EQ("mutex_unlock by a non-owner", weft_mutex_unlock(&g.mutex), -EPERM);
        return;
    }
    leave_mutex();
    a->mutex_held = 0;
    EXPECT_EQ("mutex_unlock", weft_mutex_unlock(&g.mutex), 0);
}

struct pred_arg {
    int target;
};

static int pred(void *p) {
    const struct pred_arg *pa = p;
    FZ_CHECK(weft_mutex_is_owned(&g.mutex), "predicate run without holding the lock");
    return g.cond_state >= pa->target;
}

static void cond_wait(struct fz_actor *a, uint8_t arg) {
    int with_pred = arg >> 3 & 1;
    struct pred_arg pa = {0};
    struct call c;
    if (!a->mutex_held) {
        call_begin(&c, "cond_wait without the lock", arg);
        int r = with_pred ? weft_cond_wait_for(&g.cond, pred, &pa, c.deadline)
                          : weft_cond_wait(&g.cond, c.deadline);
        call_end(&c, r, PREC(-EPERM));
        EXPECT_EQ("cond_wait without the lock", r, -EPERM);
        return;
    }
    pa.target = g.cond_state + (arg >> 4) % 3;
    leave_mutex();
    call_begin(&c, with_pred ? "cond_wait_for" : "cond_wait", arg);
    int r = with_pred ? weft_cond_wait_for(&g.cond, pred, &pa, c.deadline)
                      : weft_cond_wait(&g.cond, c.deadline);
    call_end(&c, r, with_pred ? PREC(1) : NOPREC);
    FZ_CHECK(weft_mutex_is_owned(&g.mutex), "cond_wait returned %d without the lock", r);
    enter_mutex();
    if (with_pred) {
        EXPECT_ONE_OF("cond_wait_for", r, 1, -ETIMEDOUT, -ECANCELED);
        if (r == 1)
            FZ_CHECK(g.cond_state >= pa.target,
                     "cond_wait_for: predicate false on return");
    } else {
        EXPECT_ONE_OF("cond_wait", r, 0, -ETIMEDOUT, -ECANCELED);
    }
}

static void cond_notify(struct fz_actor *a, uint8_t arg) {
    int count = (arg >> 4) % 4, r;
    if (!a->mutex_held) {
        r = count == 3 ? weft_cond_notify_all(&g.cond) : weft_cond_notify(&g.cond, count);
        EXPECT_EQ("cond_notify without the lock", r, -EPERM);
        return;
    }
    /* The state may go down too: a waiter notified while its predicate held
     * must re-check it once it has the lock back. */
    g.cond_state += (arg >> 3 & 1) - (arg >> 7 & 1);
    r = count == 3 ? weft_cond_notify_all(&g.cond) : weft_cond_notify(&g.cond, count);
    FZ_CHECK(r >= 0 && r <= FZ_ACTORS && (count == 3 || r <= count),
             "cond_notify(%d) returned %d", count, r);
}

/* --- rmutex and its condition --- */

static void rm_take(struct fz_actor *a) {
    int me = a->id + 1, zero = 0;
    if (a->rm_depth == 0)
        FZ_CHECK(atomic_compare_exchange_strong(&g.rm_owner, &zero, me),
                 "rmutex: granted while actor %d owns it", zero - 1);
    else
        FZ_CHECK(atomic_load(&g.rm_owner) == me, "rmutex: re-lock by a non-owner");
}

static void rmutex_lock(struct fz_actor *a, uint8_t arg) {
    struct call c;
    call_begin(&c, "rmutex_lock", arg);
    int r = weft_rmutex_lock(&g.rmutex, c.deadline);
    call_end(&c, r, NOPREC);
    if (a->rm_depth > 0) {
        EXPECT_ONE_OF("rmutex re-lock", r, 0, -ECANCELED);
    } else {
        EXPECT_ONE_OF("rmutex_lock", r, 0, -ETIMEDOUT, -ECANCELED);
    }
    if (r == 0) {
        rm_take(a);
        a->rm_depth++;
    }
    FZ_CHECK(weft_rmutex_count(&g.rmutex) == a->rm_depth, "rmutex: depth %d, expected %d",
             weft_rmutex_count(&g.rmutex), a->rm_depth);
}

static void rmutex_unlock(struct fz_actor *a) {
    if (a->rm_depth == 0) {
        EXPECT_EQ("rmutex_unlock by a non-owner", weft_rmutex_unlock(&g.rmutex), -EPERM);
        return;
    }
    if (a->rm_depth == 1) atomic_store(&g.rm_owner, 0);
    a->rm_depth--;
    EXPECT_EQ("rmutex_unlock", weft_rmutex_unlock(&g.rmutex), 0);
}

static void rcond(struct fz_actor *a, uint8_t arg) {
    if (arg >> 3 & 1) {
        int r = weft_cond_notify(&g.rcond, 1 + (arg >> 4) % 2);
        if (a->rm_depth == 0)
            EXPECT_EQ("rmutex cond_notify without the lock", r, -EPERM);
        else
            FZ_CHECK(r >= 0 && r <= 2, "rmutex cond_notify returned %d", r);
        return;
    }
    struct call c;
    if (a->rm_depth == 0) {
        call_begin(&c, "rmutex cond_wait without the lock", arg);
        int r = weft_cond_wait(&g.rcond, c.deadline);
        call_end(&c, r, PREC(-EPERM));
        EXPECT_EQ("rmutex cond_wait without the lock", r, -EPERM);
        return;
    }
    int depth = a->rm_depth;
    atomic_store(&g.rm_owner, 0);
    a->rm_depth = 0;
    call_begin(&c, "rmutex cond_wait", arg);
    int r = weft_cond_wait(&g.rcond, c.deadline);
    call_end(&c, r, NOPREC);
    EXPECT_ONE_OF("rmutex cond_wait", r, 0, -ETIMEDOUT, -ECANCELED);
    rm_take(a);
    a->rm_depth = depth;
    FZ_CHECK(weft_rmutex_count(&g.rmutex) == depth,
             "rmutex cond_wait: depth %d restored as %d", depth,
             weft_rmutex_count(&g.rmutex));
}

/* --- semaphore --- */

static void sem_check(void) {
    int v = weft_sem_value(&g.sem);
    FZ_CHECK(v >= 0 && (g.sem_max == 0 || (unsigned)v <= g.sem_max),
             "semaphore: value %d outside [0, %u]", v, g.sem_max);
    if (g.two_workers) return; /* the sum below is a snapshot only on one worker */
    int held = atomic_load(&g.sem_held), extra = atomic_load(&g.sem_extra),
        unsure = atomic_load(&g.sem_or_unsure);
    FZ_CHECK(v + held <= (int)g.sem_initial + extra + unsure,
             "semaphore: value %d + held %d > initial %u + released %d (+%d unsure)", v,
             held, g.sem_initial, extra, unsure);
}

static void sem_acquire(struct fz_actor *a, uint8_t arg) {
    struct call c;
    call_begin(&c, "sem_acquire", arg);
    int r = weft_sem_acquire(&g.sem, c.deadline);
    call_end(&c, r, NOPREC);
    EXPECT_ONE_OF("sem_acquire", r, 0, -ETIMEDOUT, -ECANCELED);
    if (r == 0) {
        a->sem_held++;
        atomic_fetch_add(&g.sem_held, 1);
    }
    sem_check();
}

static int sem_extras(void) {
    return atomic_load(&g.sem_extra) + atomic_load(&g.sem_or_unsure);
}

/* Gives back k held permits (unaccounted before the call, so that the shadow
 * never counts a permit twice). -EOVERFLOW is possible only once permits were
 * released on top of the initial ones; some of the k may then have gone to
 * waiters (sem.h), so the caller drops them all and the end check allows for
 * them (sem_gb_unsure). */
static void sem_give_back(struct fz_actor *a, int k) {
    int extras_before = sem_extras();
    a->sem_held -= k;
    atomic_fetch_sub(&g.sem_held, k);
    int r = weft_sem_release(&g.sem, (unsigned)k);
    if (r == -EOVERFLOW) {
        FZ_CHECK(g.sem_max != 0 && (extras_before > 0 || sem_extras() > 0),
                 "sem_release(%d) of held permits overflowed (max %u)", k, g.sem_max);
        atomic_fetch_add(&g.sem_gb_unsure, k);
    } else {
        EXPECT_EQ("sem_release of held permits", r, 0);
    }
}

/* Releases k permits on top of those in circulation; on -EOVERFLOW some may
 * still have gone to waiters (sem_or_unsure keeps them). */
static void sem_over_release(int k) {
    atomic_fetch_add(&g.sem_or_unsure, k);
    int r = weft_sem_release(&g.sem, (unsigned)k);
    if (g.sem_max == 0)
        EXPECT_EQ("sem_release (unbounded)", r, 0);
    else
        EXPECT_ONE_OF("sem_release (bounded)", r, 0, -EOVERFLOW);
    if (r == 0) {
        atomic_fetch_add(&g.sem_extra, k);
        atomic_fetch_sub(&g.sem_or_unsure, k);
    }
}

static void sem_release(struct fz_actor *a, uint8_t arg) {
    int k = 1 + (arg >> 3) % 2;
    if (a->sem_held > 0 && !(arg >> 4 & 1))
        sem_give_back(a, k < a->sem_held ? k : a->sem_held);
    else
        sem_over_release(k);
    sem_check();
}

/* --- events --- */

static void event_set(void) {
    int r = weft_event_set(&g.event);
    EXPECT_ONE_OF("event_set", r, 0, 1);
    if (r == 1) FZ_CHECK(atomic_fetch_add(&g.event_ones, 1) == 0, "event set twice");
    FZ_CHECK(weft_event_is_set(&g.event), "event not set after event_set");
}

static void event_wait(uint8_t arg) {
    int set_before = weft_event_is_set(&g.event);
    struct call c;
    call_begin(&c, "event_wait", arg);
    int r = weft_event_wait(&g.event, c.deadline);
    call_end(&c, r, NOPREC);
    EXPECT_ONE_OF("event_wait", r, 0, -ETIMEDOUT, -ECANCELED);
    if (r == 0) FZ_CHECK(weft_event_is_set(&g.event), "event_wait: 0 on a clear event");
    if (set_before) {
        FZ_CHECK(r != -ETIMEDOUT, "event_wait: -ETIMEDOUT on a set event");
        if (c.kind == DL_TRY || !weft_cancelled())
            EXPECT_EQ("event_wait on a set event", r, 0);
    } else if (c.kind == DL_TRY && !g.two_workers) {
        EXPECT_EQ("event_wait try on a clear event", r, -ETIMEDOUT);
    }
}

static void revent_op(int op, uint8_t arg) {
    if (op == OP_REVENT_SET) {
        int r = weft_revent_set(&g.revent);
        EXPECT_ONE_OF("revent_set", r, 0, 1);
        if (r == 1) atomic_fetch_add(&g.rev_set1, 1);
        return;
    }
    if (op == OP_REVENT_CLEAR) {
        int r = weft_revent_clear(&g.revent);
        EXPECT_ONE_OF("revent_clear", r, 0, 1);
        if (r == 1) atomic_fetch_add(&g.rev_clear1, 1);
        return;
    }
    int set_before = weft_revent_is_set(&g.revent);
    struct call c;
    call_begin(&c, "revent_wait", arg);
    int r = weft_revent_wait(&g.revent, c.deadline);
    call_end(&c, r, NOPREC);
    EXPECT_ONE_OF("revent_wait", r, 0, -ETIMEDOUT, -ECANCELED);
    if (c.kind == DL_TRY && !g.two_workers)
        EXPECT_EQ("revent_wait try", r, set_before ? 0 : -ETIMEDOUT);
}

/* --- countdown --- */

static void cd_op(int op, uint8_t arg) {
    if (op == OP_CD_UP) {
        unsigned n = (arg >> 3) % 3;
        EXPECT_EQ("countdown_up", weft_countdown_up(&g.cd, n), 0);
        atomic_fetch_add(&g.cd_ups, (int)n);
    } else if (op == OP_CD_DOWN && (arg >> 3 & 1)) {
        atomic_fetch_add(&g.cd_clears, 1);
        EXPECT_EQ("countdown_clear", weft_countdown_clear(&g.cd), 0);
    } else if (op == OP_CD_DOWN) {
        int r = weft_countdown_down(&g.cd);
        EXPECT_ONE_OF("countdown_down", r, 0, -ERANGE);
        if (r == 0) atomic_fetch_add(&g.cd_downs, 1);
    } else {
        int zero_before = weft_countdown_value(&g.cd) == 0;
        struct call c;
        call_begin(&c, "countdown_wait", arg);
        int r = weft_countdown_wait(&g.cd, c.deadline);
        call_end(&c, r, NOPREC);
        EXPECT_ONE_OF("countdown_wait", r, 0, -ETIMEDOUT, -ECANCELED);
        if (c.kind == DL_TRY && !g.two_workers)
            EXPECT_EQ("countdown_wait try", r, zero_before ? 0 : -ETIMEDOUT);
    }
    FZ_CHECK(weft_countdown_value(&g.cd) >= 0, "countdown: negative value");
}

/* --- queue --- */

static void queue_check(void) {
    int n = weft_queue_len(&g.queue);
    FZ_CHECK(n >= 0 && (g.q_max == 0 || (unsigned)n <= g.q_max),
             "queue: length %d outside [0, %u]", n, g.q_max);
}

static void queue_put(struct fz_actor *a, uint8_t arg) {
    int token = atomic_fetch_add(&g.q_next, 1) + 1;
    FZ_CHECK(token <= FZ_MAX_OPS, "more puts than operations");
    g.q_producer[token] = (unsigned char)a->id;
    atomic_store(&g.q_state[token], QS_ATTEMPT);
    int shut_before = atomic_load(&g.q_shut);
    struct call c;
    call_begin(&c, "queue_put", arg);
    int r = weft_queue_put(&g.queue, (void *)(uintptr_t)token, c.deadline);
    call_end(&c, r, PREC(-EPIPE));
    EXPECT_ONE_OF("queue_put", r, 0, -ETIMEDOUT, -EPIPE, -ECANCELED, -ENOMEM);
    if (shut_before) EXPECT_EQ("queue_put after shutdown", r, -EPIPE);
    if (r == -EPIPE)
        FZ_CHECK(atomic_load(&g.q_shut_started), "queue_put: -EPIPE without a shutdown");
    if (g.q_max == 0)
        FZ_CHECK(r != -ETIMEDOUT, "queue_put: -ETIMEDOUT on an unbounded queue");
    if (r == 0) {
        atomic_store(&g.q_state[token], QS_OK);
    } else {
        atomic_store(&g.q_state[token], QS_FAILED);
        FZ_CHECK(atomic_load(&g.q_got[token]) == 0,
                 "queue: item %d taken although its put returned %d", token, r);
    }
    queue_check();
}

/* Records that `item` came out of the queue: once, and only a put item. */
void fz_queue_took(void *item) {
    uintptr_t token = (uintptr_t)item;
    FZ_CHECK(token >= 1 && token <= (uintptr_t)atomic_load(&g.q_next),
             "queue: got an item never put (%lu)", (unsigned long)token);
    int st = atomic_load(&g.q_state[token]);
    FZ_CHECK(st == QS_ATTEMPT || st == QS_OK, "queue: got item %lu whose put state is %d",
             (unsigned long)token, st);
    FZ_CHECK(atomic_fetch_add(&g.q_got[token], 1) == 0, "queue: item %lu delivered twice",
             (unsigned long)token);
}

static void queue_get(uint8_t arg) {
    struct call c;
    void *item = NULL;
    call_begin(&c, "queue_get", arg);
    int r = weft_queue_get(&g.queue, &item, c.deadline);
    call_end(&c, r, PREC(-EPIPE));
    EXPECT_ONE_OF("queue_get", r, 0, -ETIMEDOUT, -EPIPE, -ECANCELED);
    if (r == 0) fz_queue_took(item);
    if (r == -EPIPE)
        FZ_CHECK(atomic_load(&g.q_shut_started), "queue_get: -EPIPE without a shutdown");
    queue_check();
}

static void queue_shutdown(uint8_t arg) {
    int operand = arg >> 3;
    if (operand < 0x1e) return; /* rare: a shut queue stays shut */
    int immediate = operand & 1;
    atomic_store(&g.q_shut_started, 1);
    if (immediate) atomic_store(&g.q_immediate, 1);
    EXPECT_EQ("queue_shutdown", weft_queue_shutdown(&g.queue, immediate), 0);
    atomic_store(&g.q_shut, 1);
}

/* --- barrier --- */

static void barrier_wait(uint8_t arg) {
    struct call c;
    call_begin(&c, "barrier_wait", arg);
    int r = weft_barrier_wait(&g.barrier, c.deadline);
    call_end(&c, r, PREC(-ENOTRECOVERABLE));
    if (r >= 0) {
        FZ_CHECK((unsigned)r < g.bar_parties, "barrier_wait: index %d of %u parties", r,
                 g.bar_parties);
        atomic_fetch_add(&g.bar_index[r], 1);
    } else {
        EXPECT_ONE_OF("barrier_wait", r, -ENOTRECOVERABLE, -ETIMEDOUT, -ECANCELED);
    }
}

static void barrier_break(uint8_t arg) {
    if (arg >> 3 & 1)
        EXPECT_EQ("barrier_reset", weft_barrier_reset(&g.barrier), 0);
    else
        EXPECT_EQ("barrier_abort", weft_barrier_abort(&g.barrier), 0);
}

/* --- rwlock --- */

static void rw_check(struct fz_actor *a) {
    if (a->rw_wr)
        FZ_CHECK(weft_rwlock_is_write_locked(&g.rwlock), "rwlock: writer lost its lock");
    FZ_CHECK(weft_rwlock_readers(&g.rwlock) >= a->rw_rd, "rwlock: fewer readers than %d",
             a->rw_rd);
}

static void rw_unlock(struct fz_actor *a) {
    if (a->rw_wr) {
        atomic_store(&g.rw_writer, 0);
        a->rw_wr = 0;
        EXPECT_EQ("rwlock_wrunlock", weft_rwlock_wrunlock(&g.rwlock), 0);
    } else if (a->rw_rd > 0) {
        atomic_fetch_sub(&g.rw_readers, 1);
        a->rw_rd--;
        EXPECT_EQ("rwlock_rdunlock", weft_rwlock_rdunlock(&g.rwlock), 0);
    } else {
        EXPECT_EQ("rwlock_wrunlock by a non-writer", weft_rwlock_wrunlock(&g.rwlock),
                  -EPERM);
    }
}

static void rw_rdlock(struct fz_actor *a, uint8_t arg) {
    if (a->rw_rd >= 2) {
        rw_unlock(a);
        return;
    }
    struct call c;
    call_begin(&c, "rwlock_rdlock", arg);
    int r = weft_rwlock_rdlock(&g.rwlock, c.deadline);
    call_end(&c, r, PREC(-EDEADLK));
    if (a->rw_wr) {
        EXPECT_EQ("rwlock_rdlock by the writer", r, -EDEADLK);
        return;
    }
    EXPECT_ONE_OF("rwlock_rdlock", r, 0, -ETIMEDOUT, -ECANCELED);
    if (r == 0) {
        FZ_CHECK(atomic_load(&g.rw_writer) == 0,
                 "rwlock: a reader entered with a writer");
        atomic_fetch_add(&g.rw_readers, 1);
        a->rw_rd++;
    }
    rw_check(a);
}

static void rw_wrlock(struct fz_actor *a, uint8_t arg) {
    struct call c;
    call_begin(&c, "rwlock_wrlock", arg);
    int r = weft_rwlock_wrlock(&g.rwlock, c.deadline);
    call_end(&c, r, PREC(-EDEADLK));
    if (a->rw_wr) {
        EXPECT_EQ("rwlock_wrlock by the writer", r, -EDEADLK);
        return;
    }
    EXPECT_ONE_OF("rwlock_wrlock", r, 0, -ETIMEDOUT, -ECANCELED);
    if (r == 0) {
        int zero = 0;
        FZ_CHECK(a->rw_rd == 0, "rwlock: write lock granted to a reader");
        FZ_CHECK(atomic_load(&g.rw_readers) == 0,
                 "rwlock: a writer entered with readers");
        FZ_CHECK(atomic_compare_exchange_strong(&g.rw_writer, &zero, 1),
                 "rwlock: two writers");
        a->rw_wr = 1;
    }
    rw_check(a);
}

/* --- limiter --- */

static void lim_release(struct fz_actor *a) {
    if (a->lim_count == 0) {
        EXPECT_EQ("limiter_release without a token", weft_limiter_release(&g.limiter),
                  -EPERM);
        return;
    }
    if (a->lim_count == 1) atomic_fetch_sub(&g.lim_holders, 1);
    a->lim_count--;
    EXPECT_EQ("limiter_release", weft_limiter_release(&g.limiter), 0);
    FZ_CHECK(weft_limiter_count(&g.limiter) == a->lim_count, "limiter: count wrong");
}

static void lim_acquire(struct fz_actor *a, uint8_t arg) {
    if (a->lim_count >= 3) {
        lim_release(a);
        return;
    }
    struct call c;
    call_begin(&c, "limiter_acquire", arg);
    int r = weft_limiter_acquire(&g.limiter, c.deadline);
    call_end(&c, r, PREC(-EDEADLK));
    if (a->lim_count > 0 && !g.lim_reentrant) {
        EXPECT_EQ("limiter_acquire by a holder", r, -EDEADLK);
        return;
    }
    if (a->lim_count > 0)
        EXPECT_ONE_OF("limiter re-entry", r, 0, -ECANCELED);
    else
        EXPECT_ONE_OF("limiter_acquire", r, 0, -ETIMEDOUT, -ECANCELED);
    if (r == 0) {
        if (a->lim_count++ == 0) {
            int holders = atomic_fetch_add(&g.lim_holders, 1) + 1;
            FZ_CHECK(holders <= atomic_load(&g.lim_max_total),
                     "limiter: %d holders, total never above %d", holders,
                     atomic_load(&g.lim_max_total));
        }
    }
    FZ_CHECK(weft_limiter_count(&g.limiter) == a->lim_count, "limiter: count %d, not %d",
             weft_limiter_count(&g.limiter), a->lim_count);
}

static void lim_set_total(uint8_t arg) {
    int total = (arg >> 3) % 4, seen = atomic_load(&g.lim_max_total);
    while (total > seen && !atomic_compare_exchange_weak(&g.lim_max_total, &seen, total))
        ;
    EXPECT_EQ("limiter_set_total", weft_limiter_set_total(&g.limiter, (unsigned)total),
              0);
}

/* --- fibers --- */

static void yield_or_sleep(uint8_t arg) {
    if (arg >> 3 & 1) {
        struct call c;
        call_begin(&c, "sleep_until", arg);
        int r = weft_sleep_until(c.deadline);
        call_end(&c, r, NOPREC);
        EXPECT_ONE_OF("sleep_until", r, 0, -ECANCELED);
        if (c.kind == DL_TRY) EXPECT_EQ("sleep_until a past deadline", r, 0);
        return;
    }
    int shield = arg >> 2 & 1;
    if (shield) weft_shield_begin();
    int before = weft_cancelled();
    int r = weft_yield();
    int after = weft_cancelled(); /* a cancel may land during the call */
    if (shield) weft_shield_end();
    EXPECT_ONE_OF("weft_yield", r, 0, -ECANCELED);
    if (before && !shield) EXPECT_EQ("weft_yield of a cancelled fiber", r, -ECANCELED);
    if (r == -ECANCELED)
        FZ_CHECK(after && !shield, "weft_yield: -ECANCELED, not cancelled or shielded");
}

static void cancel_op(struct fz_actor *a, uint8_t arg) {
    int target = (arg >> 3) % (g.nfibers + 1);
    if (target == g.nfibers) {
        EXPECT_EQ("cancel self", weft_cancel(weft_self()), 0);
        FZ_CHECK(weft_cancelled(), "weft_cancelled() is 0 after cancelling oneself");
        return;
    }
    (void)a;
    /* Not yet spawned (on two workers a fiber may start before the main fiber
     * has spawned the next), or already being joined: nothing to cancel. */
    pthread_mutex_lock(&g.top_lock);
    if (g.cancel_open && g.top[target])
        EXPECT_EQ("weft_cancel", weft_cancel(g.top[target]), 0);
    pthread_mutex_unlock(&g.top_lock);
}

static void spawn_op(struct fz_actor *a, uint8_t arg) {
    if (a->id >= FZ_TOP || a->nkids == FZ_KIDS_EACH) return;
    int n = atomic_fetch_add(&g.nchildren, 1);
    if (n >= FZ_MAX_CHILDREN) {
        atomic_fetch_sub(&g.nchildren, 1);
        return;
    }
    struct fz_actor *kid = &g.actor[FZ_TOP + n];
    int lane = 4 + (arg >> 3) % 4;
    kid->id = FZ_TOP + n;
    kid->ops = g.lane[lane];
    kid->nops = g.lane_len[lane];
    int k = a->nkids++;
    a->kid_actor[k] = kid->id;
    a->kid_joined[k] = 0;
    EXPECT_EQ("weft_spawn", weft_spawn(&a->kid[k], fz_actor_main, kid), 0);
}

static void check_result(int actor, void *res) {
    if (res == NULL)
        FZ_CHECK(!atomic_load(&g.actor[actor].started),
                 "actor %d ran but its join gave NULL", actor);
    else
        FZ_CHECK(res == (void *)(uintptr_t)(actor + 1), "actor %d returned %p", actor,
                 res);
}

static void join_op(struct fz_actor *a, uint8_t arg) {
    int k = a->nkids - 1;
    while (k >= 0 && a->kid_joined[k])
        k--;
    if (k < 0) return;
    if (arg >> 3 & 1) {
        EXPECT_EQ("weft_cancel child", weft_cancel(a->kid[k]), 0);
        return;
    }
    void *res = NULL;
    struct call c;
    call_begin(&c, "weft_join", arg);
    int r = weft_join(a->kid[k], &res, c.deadline);
    call_end(&c, r, PREC(0)); /* a finished fiber is joined even by a cancelled one */
    EXPECT_ONE_OF("weft_join", r, 0, -ETIMEDOUT, -ECANCELED);
    if (r == 0) {
        a->kid_joined[k] = 1;
        check_result(a->kid_actor[k], res);
    }
}

/* --- the actor --- */

static void run_op(struct fz_actor *a, struct fz_op op) {
    int code = op.code & 31;
    uint8_t arg = op.arg;
    switch (code) {
    case OP_YIELD:
        yield_or_sleep(arg);
        break;
    case OP_MUTEX_LOCK:
        mutex_lock(a, arg);
        break;
    case OP_MUTEX_UNLOCK:
        mutex_unlock(a);
        break;
    case OP_RMUTEX_LOCK:
        if (a->rm_depth >= 4)
            rmutex_unlock(a);
        else
            rmutex_lock(a, arg);
        break;
    case OP_RMUTEX_UNLOCK:
        rmutex_unlock(a);
        break;
    case OP_SEM_ACQUIRE:
        sem_acquire(a, arg);
        break;
    case OP_SEM_RELEASE:
        sem_release(a, arg);
        break;
    case OP_EVENT_SET:
        event_set();
        break;
    case OP_EVENT_WAIT:
        event_wait(arg);
        break;
    case OP_REVENT_SET:
    case OP_REVENT_CLEAR:
    case OP_REVENT_WAIT:
        revent_op(code, arg);
        break;
    case OP_CD_UP:
    case OP_CD_DOWN:
    case OP_CD_WAIT:
        cd_op(code, arg);
        break;
    case OP_Q_PUT:
        queue_put(a, arg);
        break;
    case OP_Q_GET:
        queue_get(arg);
        break;
    case OP_Q_SHUTDOWN:
        queue_shutdown(arg);
        break;
    case OP_BAR_WAIT:
        barrier_wait(arg);
        break;
    case OP_BAR_BREAK:
        barrier_break(arg);
        break;
    case OP_RW_RDLOCK:
        rw_rdlock(a, arg);
        break;
    case OP_RW_WRLOCK:
        rw_wrlock(a, arg);
        break;
    case OP_RW_UNLOCK:
        rw_unlock(a);
        break;
    case OP_LIM_ACQUIRE:
        lim_acquire(a, arg);
        break;
    case OP_LIM_RELEASE:
        lim_release(a);
        break;
    case OP_LIM_SET_TOTAL:
        lim_set_total(arg);
        break;
    case OP_COND_WAIT:
        cond_wait(a, arg);
        break;
    case OP_COND_NOTIFY:
        cond_notify(a, arg);
        break;
    case OP_RCOND:
        rcond(a, arg);
        break;
    case OP_CANCEL:
        cancel_op(a, arg);
        break;
    case OP_SPAWN:
        spawn_op(a, arg);
        break;
    case OP_JOIN:
        join_op(a, arg);
        break;
    }
}

/* Releases everything a finished program still holds (never blocks). */
static void release_all(struct fz_actor *a) {
    if (a->mutex_held) mutex_unlock(a);
    while (a->rm_depth > 0)
        rmutex_unlock(a);
    while (a->rw_wr || a->rw_rd > 0)
        rw_unlock(a);
    while (a->lim_count > 0)
        lim_release(a);
    if (a->sem_held > 0) sem_give_back(a, a->sem_held);
}

/* Joins the children: unshielded first (the main fiber may cancel us to end a
 * stall), then cancelled and shielded, which always ends. */
static void join_kids(struct fz_actor *a) {
    for (int k = 0; k < a->nkids; k++) {
        if (a->kid_joined[k]) continue;
        void *res = NULL;
        int r = weft_join(a->kid[k], &res, WEFT_FOREVER);
        if (r == -ECANCELED) {
            EXPECT_EQ("weft_cancel child", weft_cancel(a->kid[k]), 0);
            weft_shield_begin();
            r = weft_join(a->kid[k], &res, WEFT_FOREVER);
            weft_shield_end();
        }
        EXPECT_EQ("weft_join child at exit", r, 0);
        a->kid_joined[k] = 1;
        check_result(a->kid_actor[k], res);
    }
}

void *fz_actor_main(void *arg) {
    struct fz_actor *a = arg;
    atomic_store(&a->started, 1);
    step();
    for (int i = 0; i < a->nops; i++) {
        step();
        run_op(a, a->ops[i]);
        step();
    }
    release_all(a);
    step();
    join_kids(a);
    step();
    if (a->id < FZ_TOP) atomic_fetch_add(&g.done, 1);
    return (void *)(uintptr_t)(a->id + 1);
}
