/* sync/latch.c: weft_latch_t, a single-use latch (see weft/latch.h).
 *
 * Owns: `state` (WAITING -> RELEASED or BROKEN; RELEASED -> BROKEN only by
 * abort; BROKEN is final), the `arrived` count and the waiter queue.
 *
 * Invariants (under the waitlist lock):
 *  - `state` and `arrived` change only under the lock; `state` is also read
 *    without it for the fast paths (RELEASED and BROKEN are stable enough: a
 *    reader that sees either may answer from it).
 *  - The queue is non-empty only while WAITING: the release and every break
 *    drain it in the critical section that changes the state, writing each
 *    granted node's outcome into node.data (0 or -ENOTRECOVERABLE) before the
 *    wake-up.
 *  - Exactly one outcome per party. A queued party whose deadline or cancel
 *    settles its node first (a lost settle for the releaser) has given up: if
 *    it is still queued when it retakes the lock, it breaks the latch itself;
 *    if the last arriver unlinked it first, the last arriver sees the lost
 *    settle and breaks the latch instead of releasing it (the give-up came
 *    first), so nobody returns 0 while a party of the same rendezvous failed. */
#include "weft/latch.h"
#include "runtime/explore.h"

#include <errno.h>
#include <limits.h>

#include "sync/waitq.h"

enum { WAITING = 0, RELEASED = 1, BROKEN = 2 };

static int load_state(const weft_latch_t *l) {
    return __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);
}

/* Under the lock: grants every queued node, stamping each winner with `code`;
 * *lost (if not NULL) counts the nodes whose waiter had already given up. */
static weft__waiter_t *settle_all(weft__waitq_t *q, int code, int *lost) {
    weft__waiter_t *won = weft__waitq_grant_all_counted(q, lost);
    weft__waitq_chain_set_data(won, (uintptr_t)(intptr_t)code);
    return won;
}

/* Under the lock: breaks the latch; returns the waiters to wake. */
static weft__waiter_t *break_locked(weft_latch_t *l) {
    __atomic_store_n(&l->state, BROKEN, __ATOMIC_RELEASE);
    return settle_all(weft__wl_queue(&l->wl), -ENOTRECOVERABLE, NULL);
}

int weft_latch_init(weft_latch_t *l, unsigned parties) {
    if (!l || parties > INT_MAX) return -EINVAL;
    *l = (weft_latch_t)WEFT_LATCH_INIT(parties);
    return 0;
}

int weft_latch_destroy(weft_latch_t *l) {
    if (!l) return -EINVAL;
    return weft__wl_count(&l->wl) ? -EBUSY : 0;
}

int weft_latch_is_broken(const weft_latch_t *l) {
    return l && load_state(l) == BROKEN;
}

int weft_latch_abort(weft_latch_t *l) {
    if (!l) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    weft__waiter_t *won = break_locked(l);
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return 0;
}

/* A released latch: 0 at once, or the caller's cancellation. */
static int passed(int cancelled, int64_t deadline) {
    if (cancelled) return cancelled;
    weft__checkpoint(deadline);
    return 0;
}

int weft_latch_wait(weft_latch_t *l, int64_t deadline) {
    if (!l) return -EINVAL;
    int st = load_state(l);
    if (st == BROKEN) return -ENOTRECOVERABLE;
    int cancelled = weft__cancel_check(deadline);
    if (st == RELEASED) return passed(cancelled, deadline);
    int is_try = weft__deadline_passed(deadline);

    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__waitq_t *q = weft__wl_queue(&l->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    st = load_state(l);
    if (st != WAITING) {
        weft__spin_unlock(lock);
        return st == BROKEN ? -ENOTRECOVERABLE : passed(cancelled, deadline);
    }
    weft__waiter_t *won;
    if (cancelled) { /* a party that gives up breaks the rendezvous */
        won = break_locked(l);
        weft__spin_unlock(lock);
        weft__waitq_wake_all(won);
        return cancelled;
    }
    if (l->parties && ++l->arrived >= l->parties) {
        /* The last arrival releases everyone, unless a queued party already
         * gave up: then that failure came first and the latch is broken. */
        int lost;
        won = settle_all(q, 0, &lost);
        int r = 0;
        if (lost) {
            weft__waitq_chain_set_data(won, (uintptr_t)(intptr_t)-ENOTRECOVERABLE);
            r = -ENOTRECOVERABLE;
        }
        __atomic_store_n(&l->state, lost ? BROKEN : RELEASED, __ATOMIC_RELEASE);
        weft__spin_unlock(lock);
        weft__waitq_wake_all(won);
        if (r == 0) weft__checkpoint(deadline);
        return r;
    }
    if (is_try) {
        won = break_locked(l);
        weft__spin_unlock(lock);
        weft__waitq_wake_all(won);
        return -ETIMEDOUT;
    }
    weft__waiter_t w = {.parker = weft__parker_self()};
    int r = weft__waitq_wait(lock, q, &w, deadline, "latch", l);
    if (r == 0) return (int)(intptr_t)w.data; /* 0 or -ENOTRECOVERABLE */
    /* Gave up. Still queued: the latch is still waiting, break it. Unlinked by
     * someone whose settle lost: that release or break already accounted for
     * this failure. */
    won = NULL;
    if (w.queued) {
        weft__waitq_remove(q, &w);
        won = break_locked(l);
    }
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return r;
}
