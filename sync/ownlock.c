/* sync/ownlock.c: the ownable-lock core (see ownlock.h for state and invariants). */
#include "sync/ownlock.h"

#include <errno.h>

#include "weft/fiber.h"

#define WAITERS WEFT__OWN_WAITERS

static int cas_owner(uintptr_t *owner, uintptr_t *expect, uintptr_t desired) {
    return __atomic_compare_exchange_n(owner, expect, desired, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

int weft__own_lock(uintptr_t *owner, struct weft__wl *wl, uintptr_t me, int64_t deadline,
                   uintptr_t data_in, int shielded) {
    uintptr_t o = weft__own_load(owner);
    if (o == 0 && cas_owner(owner, &o, me)) return 0;
    if (!shielded && weft__deadline_passed(deadline)) return -ETIMEDOUT;

    weft__explore_point(); /* between the failed fast path and the slow one */
    weft__spin_t *lock = weft__wl_lock(wl);
    weft__waitq_t *q = weft__wl_queue(wl);
    /* `me` is the caller's parker (its identity): no second thread-local lookup. */
    weft__waiter_t w = {.parker = (weft__parker_t *)me, .data = data_in};
    if (shielded) weft_shield_begin(); /* before the prepare: not cancellable */
    weft__waitq_prepare(&w, "lock", owner);
    weft__spin_lock(lock);
    for (o = weft__own_load(owner);;) {
        if (o == 0) {
            if (cas_owner(owner, &o, me)) {
                weft__spin_unlock(lock);
                weft__waitq_abandon(&w);
                if (shielded) weft_shield_end();
                return 0;
            }
        } else if ((o & WAITERS) || cas_owner(owner, &o, o | WAITERS)) {
            break;
        }
    }
    int r =
        weft__waitq_wait(lock, q, &w, shielded ? WEFT_FOREVER : deadline, "lock", owner);
    if (shielded) weft_shield_end();
    if (r == 0) return 1; /* the releaser made us the owner */
    if (w.queued) weft__waitq_remove(q, &w);
    weft__spin_unlock(lock);
    return r;
}

weft__waiter_t *weft__own_release(uintptr_t *owner, struct weft__wl *wl) {
    uintptr_t o = weft__own_load(owner);
    if (!(o & WAITERS) && cas_owner(owner, &o, 0)) return NULL;
    weft__explore_point();
    weft__spin_t *lock = weft__wl_lock(wl);
    weft__waitq_t *q = weft__wl_queue(wl);
    weft__spin_lock(lock);
    weft__waiter_t *w = weft__waitq_grant(q);
    uintptr_t next = 0;
    if (w) next = (uintptr_t)w->parker | (weft__waitq_empty(q) ? 0 : WAITERS);
    __atomic_store_n(owner, next, __ATOMIC_RELEASE);
    weft__spin_unlock(lock);
    return w;
}

void weft__own_enqueue_granted(uintptr_t *owner, struct weft__wl *wl, weft__waiter_t *w) {
    weft__spin_t *lock = weft__wl_lock(wl);
    weft__spin_lock(lock);
    /* The caller owns the lock, so only WAITERS can change under us. */
    __atomic_fetch_or(owner, WAITERS, __ATOMIC_ACQ_REL);
    w->presettled = 1;
    weft__waitq_push(weft__wl_queue(wl), w);
    weft__spin_unlock(lock);
}
