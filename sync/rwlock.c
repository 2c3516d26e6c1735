/* sync/rwlock.c: weft_rwlock_t (see weft/rwlock.h).
 *
 * State word: readers << 2 | WRITER (bit 0) | WAITERS (bit 1). Invariants under
 * the waitlist lock: WRITER and readers > 0 never hold together; a non-empty
 * queue implies WAITERS, and then nobody enters on a fast path (the fast paths
 * require WAITERS clear), which is what keeps the queue's order. A waiter that
 * gives up and leaves the queue empty clears WAITERS, so the lock is not left on
 * its slow paths.
 * Each node's `data` says what it waits for (1 writer, 0 reader). A release that
 * leaves the lock free grants the head: one writer (the lock passes to it
 * directly), or every reader at the head in one pass. */
#include "weft/rwlock.h"
#include "runtime/explore.h"

#include <errno.h>

#include "sync/waitq.h"

#define WRITER  ((uint64_t)1)
#define WAITERS ((uint64_t)2)
#define READER  ((uint64_t)4)

static uint64_t load(const weft_rwlock_t *l) {
    return __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);
}

static int cas(weft_rwlock_t *l, uint64_t *expect, uint64_t desired) {
    return __atomic_compare_exchange_n(&l->state, expect, desired, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

int weft_rwlock_init(weft_rwlock_t *l) {
    if (!l) return -EINVAL;
    *l = (weft_rwlock_t)WEFT_RWLOCK_INIT;
    return 0;
}

int weft_rwlock_destroy(weft_rwlock_t *l) {
    if (!l) return -EINVAL;
    return load(l) != 0 ? -EBUSY : 0;
}

static int can_enter(uint64_t s, int writer) {
    if (s & (WRITER | WAITERS)) return 0;
    return writer ? s == 0 : 1;
}

static uint64_t entered(uint64_t s, int writer) {
    return writer ? s | WRITER : s + READER;
}

static int lock_common(weft_rwlock_t *l, int writer, int64_t deadline) {
    if (!l) return -EINVAL;
    uintptr_t me = weft__self_id();
    uint64_t s = load(l);
    if ((s & WRITER) && __atomic_load_n(&l->writer, __ATOMIC_RELAXED) == me)
        return -EDEADLK;
    int r = weft__cancel_check(deadline);
    if (r) return r;
    while (can_enter(s, writer))
        if (cas(l, &s, entered(s, writer))) goto acquired;

    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__waitq_t *q = weft__wl_queue(&l->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    for (s = load(l);;) {
        /* Under the lock an empty queue means a stale WAITERS bit can be ignored. */
        uint64_t eff = weft__waitq_empty(q) ? s & ~WAITERS : s;
        if (can_enter(eff, writer)) {
            if (cas(l, &s, entered(eff, writer))) {
                weft__spin_unlock(lock);
                goto acquired;
            }
        } else if (weft__deadline_passed(deadline)) {
            weft__spin_unlock(lock);
            return -ETIMEDOUT;
        } else if ((s & WAITERS) || cas(l, &s, s | WAITERS)) {
            break;
        }
    }
    weft__waiter_t w = {.parker = weft__parker_self(), .data = (uintptr_t)writer};
    r = weft__waitq_wait(lock, q, &w, deadline, "rwlock", l);
    if (r == 0) goto granted;
    if (w.queued) weft__waitq_remove(q, &w);
    if (weft__waitq_empty(q)) __atomic_fetch_and(&l->state, ~WAITERS, __ATOMIC_ACQ_REL);
    weft__spin_unlock(lock);
    return r;
acquired:
    if (writer) __atomic_store_n(&l->writer, me, __ATOMIC_RELAXED);
    weft__checkpoint(deadline);
    return 0;
granted:
    /* The releaser set the state (and, for a writer, the writer identity). */
    return 0;
}

int weft_rwlock_rdlock(weft_rwlock_t *l, int64_t deadline) {
    return lock_common(l, 0, deadline);
}
int weft_rwlock_wrlock(weft_rwlock_t *l, int64_t deadline) {
    return lock_common(l, 1, deadline);
}

/* The lock just became free (lock held, state has no holder): grant the head.
 * Returns the granted chain, to be woken after unlocking. */
static weft__waiter_t *grant_head(weft_rwlock_t *l, weft__waitq_t *q) {
    weft__waiter_t *won = NULL, **tail = &won;
    uint64_t readers = 0;
    int writer = 0;
    while (q->head && !writer) {
        weft__waiter_t *w = q->head;
        if (w->data && readers) break; /* a writer after readers waits its turn */
        weft__waitq_remove(q, w);
        if (!weft__parker_settle(w->parker, w->token)) continue;
        if (w->data) {
            writer = 1;
            __atomic_store_n(&l->writer, (uintptr_t)w->parker, __ATOMIC_RELAXED);
        } else {
            readers++;
        }
        *tail = w;
        tail = &w->next;
    }
    *tail = NULL;
    uint64_t s =
        (writer ? WRITER : readers * READER) | (weft__waitq_empty(q) ? 0 : WAITERS);
    __atomic_store_n(&l->state, s, __ATOMIC_RELEASE);
    return won;
}

int weft_rwlock_rdunlock(weft_rwlock_t *l) {
    if (!l) return -EINVAL;
    uint64_t s = load(l);
    for (;;) {
        if ((s & WRITER) || s < READER) return -EPERM;
        if ((s & WAITERS) && s < 2 * READER) break; /* the last reader, with waiters */
        if (cas(l, &s, s - READER)) return 0;
    }
    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    s = __atomic_sub_fetch(&l->state, READER, __ATOMIC_ACQ_REL);
    weft__waiter_t *won = NULL;
    if (s < READER) won = grant_head(l, weft__wl_queue(&l->wl));
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return 0;
}

int weft_rwlock_wrunlock(weft_rwlock_t *l) {
    if (!l) return -EINVAL;
    uint64_t s = load(l);
    if (!(s & WRITER) || __atomic_load_n(&l->writer, __ATOMIC_RELAXED) != weft__self_id())
        return -EPERM;
    __atomic_store_n(&l->writer, 0, __ATOMIC_RELAXED);
    if (!(s & WAITERS) && cas(l, &s, 0)) return 0;
    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    weft__waiter_t *won = grant_head(l, weft__wl_queue(&l->wl));
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return 0;
}

int weft_rwlock_readers(const weft_rwlock_t *l) {
    return l ? (int)(load(l) / READER) : -EINVAL;
}

int weft_rwlock_is_write_locked(const weft_rwlock_t *l) {
    return l && (load(l) & WRITER);
}
