/* sync/mutex.c: weft_mutex_t (see weft/mutex.h).
 *
 * State: `owner` is 0 (unlocked) or the owner's identity (its parker's address,
 * 8-aligned) with bit 0 (WAITERS) set while the queue may be non-empty.
 * Invariants (under the waitlist lock): a non-empty queue implies WAITERS is set
 * and owner != 0, because unlock with waiters hands ownership over instead of
 * clearing it; so the fast path CAS(0 -> me) can never overtake a queued waiter.
 * WAITERS may be set with an empty queue (a waiter gave up); the next unlock
 * then takes the slow path and clears it. */
#include "weft/mutex.h"

#include <errno.h>

#include "sync/waitq.h"

#define WAITERS ((uintptr_t)1)

static uintptr_t load_owner(const weft_mutex_t *m) {
    return __atomic_load_n(&m->owner, __ATOMIC_ACQUIRE);
}

static int cas_owner(weft_mutex_t *m, uintptr_t *expect, uintptr_t desired) {
    return __atomic_compare_exchange_n(&m->owner, expect, desired, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

int weft_mutex_init(weft_mutex_t *m) {
    if (!m) return -EINVAL;
    *m = (weft_mutex_t)WEFT_MUTEX_INIT;
    return 0;
}

int weft_mutex_destroy(weft_mutex_t *m) {
    if (!m) return -EINVAL;
    return load_owner(m) != 0 ? -EBUSY : 0;
}

int weft_mutex_lock(weft_mutex_t *m, int64_t deadline) {
    if (!m) return -EINVAL;
    uintptr_t me = weft__self_id();
    uintptr_t o = load_owner(m);
    if ((o & ~WAITERS) == me) return -EDEADLK;
    int r = weft__cancel_check(deadline);
    if (r) return r;
    if (o == 0 && cas_owner(m, &o, me)) {
        weft__checkpoint(deadline);
        return 0;
    }
    if (weft__deadline_passed(deadline)) return -ETIMEDOUT;

    weft__spin_t *lock = weft__wl_lock(&m->wl);
    weft__waitq_t *q = weft__wl_queue(&m->wl);
    weft__spin_lock(lock);
    for (o = load_owner(m);;) {
        if (o == 0) {
            if (cas_owner(m, &o, me)) {
                weft__spin_unlock(lock);
                weft__checkpoint(deadline);
                return 0;
            }
        } else if ((o & WAITERS) || cas_owner(m, &o, o | WAITERS)) {
            break;
        }
    }
    weft__waiter_t w = {.parker = weft__parker_self()};
    r = weft__waitq_wait(lock, q, &w, deadline);
    if (r == 0) return 0; /* the unlocker made us the owner */
    if (w.queued) weft__waitq_remove(q, &w);
    weft__spin_unlock(lock);
    return r;
}

int weft_mutex_unlock(weft_mutex_t *m) {
    if (!m) return -EINVAL;
    uintptr_t me = weft__self_id();
    uintptr_t o = load_owner(m);
    if ((o & ~WAITERS) != me) return -EPERM;
    if (o == me && cas_owner(m, &o, 0)) return 0;

    weft__spin_t *lock = weft__wl_lock(&m->wl);
    weft__waitq_t *q = weft__wl_queue(&m->wl);
    weft__spin_lock(lock);
    weft__waiter_t *w = weft__waitq_grant(q);
    uintptr_t next = 0;
    if (w) next = (uintptr_t)w->parker | (weft__waitq_empty(q) ? 0 : WAITERS);
    __atomic_store_n(&m->owner, next, __ATOMIC_RELEASE);
    weft__spin_unlock(lock);
    if (w) weft__waitq_wake(w);
    return 0;
}

int weft_mutex_is_locked(const weft_mutex_t *m) {
    return m && load_owner(m) != 0;
}

int weft_mutex_is_owned(const weft_mutex_t *m) {
    return m && (load_owner(m) & ~WAITERS) == weft__self_id();
}
