/* sync/barrier.c: weft_barrier_t, a cyclic barrier (see weft/barrier.h).
 *
 * Owns: the `broken` flag, the `arrived` count of the current generation and
 * the waiter queue (the current generation's waiters, in arrival order).
 *
 * Invariants (under the waitlist lock):
 *  - `broken`, `arrived` and the queue change only under the lock; `broken` is
 *    also read without it for the fast path.
 *  - The queue holds exactly the waiters of the current generation, and
 *    `arrived` counts the arrivals of that generation (queued or given up):
 *    arrived < parties, and arrived == 0 while broken. A generation ends in one
 *    critical section that drains the whole queue, writing each granted node's
 *    outcome into node.data (0 released, -ENOTRECOVERABLE broken) before the
 *    wake-up, and resets `arrived` to 0: by the last arrival (release), by a
 *    failed wait or abort (break, `broken` stays set until reset), or by reset
 *    (break of this generation only, `broken` cleared).
 *  - A waiter's arrival index is `arrived` before its own increment; it keeps
 *    it on its stack, so the indices of a released generation are exactly
 *    0 .. parties-1.
 *  - Exactly one outcome per party. A queued party whose deadline or cancel
 *    settles its node first has given up: if it is still queued when it
 *    retakes the lock, its generation is still current and it breaks the
 *    barrier; if the generation's end unlinked it first, that release saw the
 *    lost settle and broke the barrier instead (the give-up came first), or
 *    that break or reset already covered it. So no generation is released
 *    while one of its parties fails. */
#include "weft/barrier.h"
#include "runtime/explore.h"

#include <errno.h>
#include <limits.h>

#include "sync/waitq.h"

/* Under the lock: grants every queued node, stamping each winner with `code`;
 * *lost (if not NULL) counts the nodes whose waiter had already given up. */
static weft__waiter_t *settle_all(weft__waitq_t *q, int code, int *lost) {
    weft__waiter_t *won = weft__waitq_grant_all_counted(q, lost);
    weft__waitq_chain_set_data(won, (uintptr_t)(intptr_t)code);
    return won;
}

/* Under the lock: ends the current generation as broken and sets the barrier
 * broken (`stay` 1) or ready for a new generation (`stay` 0, reset). Returns
 * the waiters to wake. */
static weft__waiter_t *break_locked(weft_barrier_t *b, int stay) {
    __atomic_store_n(&b->broken, stay, __ATOMIC_RELEASE);
    b->arrived = 0;
    return settle_all(weft__wl_queue(&b->wl), -ENOTRECOVERABLE, NULL);
}

static int valid(const weft_barrier_t *b) {
    return b && b->parties >= 1 && b->parties <= INT_MAX;
}

int weft_barrier_init(weft_barrier_t *b, unsigned parties) {
    if (!b || parties == 0 || parties > INT_MAX) return -EINVAL;
    *b = (weft_barrier_t)WEFT_BARRIER_INIT(parties);
    return 0;
}

int weft_barrier_destroy(weft_barrier_t *b) {
    if (!b) return -EINVAL;
    return weft__wl_count(&b->wl) ? -EBUSY : 0;
}

int weft_barrier_is_broken(const weft_barrier_t *b) {
    return b && __atomic_load_n(&b->broken, __ATOMIC_ACQUIRE);
}

static int end_generation(weft_barrier_t *b, int stay) {
    if (!b) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&b->wl);
    weft__spin_lock(lock);
    weft__waiter_t *won = break_locked(b, stay);
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return 0;
}

int weft_barrier_abort(weft_barrier_t *b) {
    return end_generation(b, 1);
}

int weft_barrier_reset(weft_barrier_t *b) {
    return end_generation(b, 0);
}

int weft_barrier_wait(weft_barrier_t *b, int64_t deadline) {
    if (!valid(b)) return -EINVAL;
    if (weft_barrier_is_broken(b)) return -ENOTRECOVERABLE;
    int r = weft__cancel_check(deadline);
    int is_try = weft__deadline_passed(deadline);

    weft__spin_t *lock = weft__wl_lock(&b->wl);
    weft__waitq_t *q = weft__wl_queue(&b->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    if (b->broken) {
        weft__spin_unlock(lock);
        return -ENOTRECOVERABLE;
    }
    weft__waiter_t *won;
    if (r) { /* a cancelled party gives up: the generation cannot complete */
        won = break_locked(b, 1);
        weft__spin_unlock(lock);
        weft__waitq_wake_all(won);
        return r;
    }
    int index = (int)b->arrived++;
    if (b->arrived == b->parties) {
        /* The last arrival releases the generation, unless one of its queued
         * parties already gave up: that failure came first, the barrier is
         * broken. */
        int lost;
        won = settle_all(q, 0, &lost);
        b->arrived = 0;
        r = index;
        if (lost) {
            __atomic_store_n(&b->broken, 1, __ATOMIC_RELEASE);
            weft__waitq_chain_set_data(won, (uintptr_t)(intptr_t)-ENOTRECOVERABLE);
            r = -ENOTRECOVERABLE;
        }
        weft__spin_unlock(lock);
        weft__waitq_wake_all(won);
        if (r >= 0) weft__checkpoint(deadline);
        return r;
    }
    if (is_try) {
        won = break_locked(b, 1);
        weft__spin_unlock(lock);
        weft__waitq_wake_all(won);
        return -ETIMEDOUT;
    }
    weft__waiter_t w = {.parker = weft__parker_self()};
    r = weft__waitq_wait(lock, q, &w, deadline, "barrier", b);
    if (r == 0) {
        int code = (int)(intptr_t)w.data; /* 0 or -ENOTRECOVERABLE */
        return code ? code : index;
    }
    /* Gave up. Still queued: this generation is current and unbroken, break
     * it. Unlinked by someone whose settle lost: that generation's end already
     * accounted for this failure. */
    won = NULL;
    if (w.queued) {
        weft__waitq_remove(q, &w);
        won = break_locked(b, 1);
    }
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return r;
}
