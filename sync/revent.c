/* sync/revent.c: weft_revent_t, a reusable event (see weft/revent.h).
 *
 * Owns: the `set` flag and the waiter queue of the event.
 *
 * Invariants:
 *  - `set` goes 0 -> 1 only under the waitlist lock, in the same critical
 *    section that drains the queue (grant_all); it goes 1 -> 0 by an atomic
 *    exchange anywhere (clear).
 *  - A waiter queues only under the lock after seeing `set` == 0 there.
 * So the "generation" of a waiter is exactly the queue: a set releases the
 * nodes queued before its critical section, all of which began waiting before
 * it, and no clear can sit between their arrival and that set (a clear after
 * an earlier set is irrelevant: that set found the queue without them). A node
 * queued after a set/clear pair waits for the next set. No marker or counter is
 * needed because the drain is atomic with respect to queueing. */
#include "weft/revent.h"
#include "runtime/explore.h"

#include <errno.h>

#include "sync/waitq.h"

int weft_revent_init(weft_revent_t *e) {
    if (!e) return -EINVAL;
    *e = (weft_revent_t)WEFT_REVENT_INIT;
    return 0;
}

int weft_revent_destroy(weft_revent_t *e) {
    if (!e) return -EINVAL;
    return weft__wl_count(&e->wl) ? -EBUSY : 0;
}

int weft_revent_is_set(const weft_revent_t *e) {
    return e && __atomic_load_n(&e->set, __ATOMIC_ACQUIRE);
}

int weft_revent_set(weft_revent_t *e) {
    if (!e) return -EINVAL;
    if (weft_revent_is_set(e)) return 0;
    weft__spin_t *lock = weft__wl_lock(&e->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    if (__atomic_load_n(&e->set, __ATOMIC_RELAXED)) {
        weft__spin_unlock(lock);
        return 0;
    }
    __atomic_store_n(&e->set, 1, __ATOMIC_RELEASE);
    weft__waiter_t *won = weft__waitq_grant_all(weft__wl_queue(&e->wl));
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return 1;
}

int weft_revent_clear(weft_revent_t *e) {
    if (!e) return -EINVAL;
    return __atomic_exchange_n(&e->set, 0, __ATOMIC_ACQ_REL) ? 1 : 0;
}

int weft_revent_wait(weft_revent_t *e, int64_t deadline) {
    if (!e) return -EINVAL;
    return weft__wl_wait_flag(&e->wl, &e->set, deadline, "reusable event", e);
}
