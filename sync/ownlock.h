/* sync/ownlock.h: the ownable-lock core shared by weft_mutex_t, weft_rmutex_t and
 * the condition's wait-morphing.
 *
 * State: `*owner` is 0 (unlocked) or the owner's identity (its parker's address,
 * 8-aligned) with bit 0 (WAITERS) set while the queue may be non-empty.
 * Invariants (under the waitlist lock): a non-empty queue implies WAITERS is set
 * and the owner is not 0, because a release with waiters hands ownership to the
 * oldest one instead of clearing it; so the fast path CAS(0 -> me) can never
 * overtake a queued waiter. WAITERS may be set with an empty queue (a waiter gave
 * up); the next release then takes the slow path and clears it.
 * Each queued node carries in `data` the value its owner needs once it owns the
 * lock (the recursion count of an rmutex); the releaser hands it over. */
#ifndef WEFT_SYNC_OWNLOCK_H
#define WEFT_SYNC_OWNLOCK_H

#include "sync/waitq.h"

#define WEFT__OWN_WAITERS ((uintptr_t)1)

static inline uintptr_t weft__own_load(const uintptr_t *owner) {
    return __atomic_load_n(owner, __ATOMIC_ACQUIRE);
}

/* Locks for the caller `me` (its parker, as weft__self_id gives). Returns 0 (taken free),
 * 1 (handed over by a releaser, who then also handed over the node's `data_in`, e.g. by
 * writing the rmutex count), -ETIMEDOUT or -ECANCELED. With `shielded`, waits ignoring
 * the deadline and cancellation (the condition's re-acquire). The caller has done its
 * misuse and cancellation checks. */
int weft__own_lock(uintptr_t *owner, struct weft__wl *wl, uintptr_t me, int64_t deadline,
                   uintptr_t data_in, int shielded);

/* Releases a lock the caller owns: hands it to the oldest live waiter (returned,
 * still to be woken with weft__waitq_wake once the caller has recorded its data)
 * or clears it (NULL). */
weft__waiter_t *weft__own_release(uintptr_t *owner, struct weft__wl *wl);

/* Queues an already-granted node (a notified condition waiter) on a lock the
 * caller owns, behind the current waiters: it will be woken owning the lock. */
void weft__own_enqueue_granted(uintptr_t *owner, struct weft__wl *wl, weft__waiter_t *w);

#endif
