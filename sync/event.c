/* sync/event.c: weft_event_t, a one-time event (see weft/event.h).
 *
 * `set` goes 0 -> 1 once, by an atomic exchange outside the lock; waiters check
 * it again under the lock before they queue, and the setter takes the lock after
 * its exchange, so a waiter either sees the event set or is queued before the
 * setter drains the queue. */
#include "weft/event.h"
#include "runtime/explore.h"

#include <errno.h>

#include "sync/waitq.h"

int weft_event_init(weft_event_t *e) {
    if (!e) return -EINVAL;
    *e = (weft_event_t)WEFT_EVENT_INIT;
    return 0;
}

int weft_event_destroy(weft_event_t *e) {
    if (!e) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&e->wl);
    weft__spin_lock(lock);
    int busy = !weft__waitq_empty(weft__wl_queue(&e->wl));
    weft__spin_unlock(lock);
    return busy ? -EBUSY : 0;
}

int weft_event_is_set(const weft_event_t *e) {
    return e && __atomic_load_n(&e->set, __ATOMIC_ACQUIRE);
}

int weft_event_set(weft_event_t *e) {
    if (!e) return -EINVAL;
    if (__atomic_exchange_n(&e->set, 1, __ATOMIC_ACQ_REL)) return 0;
    weft__spin_t *lock = weft__wl_lock(&e->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    weft__waiter_t *won = weft__waitq_grant_all(weft__wl_queue(&e->wl));
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return 1;
}

int weft_event_wait(weft_event_t *e, int64_t deadline) {
    if (!e) return -EINVAL;
    return weft__wl_wait_flag(&e->wl, &e->set, deadline, "event", e);
}
