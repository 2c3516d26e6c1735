/* sync/once.c: weft_once_t (see weft/once.h).
 *
 * Owns: `state` (NOT_RUN -> RUNNING -> DONE, each step once), `runner` (the
 * identity, weft__self_id(), of the caller running fn; meaningful only while
 * RUNNING) and a FIFO of callers waiting for fn to finish.
 * Invariants (under the waitlist lock): RUNNING is entered and left under the
 * lock; a waiter queues only after it saw RUNNING under the lock, and the runner
 * stores DONE and drains the queue in the same critical section, so no waiter can
 * queue after the drain (it sees DONE) and none is left behind. The queue is
 * empty whenever state != RUNNING. fn itself runs with the lock released.
 * Fast path: one acquire load of `state`; DONE is stored with release after fn
 * returned, so fn's writes are visible to whoever sees DONE. Waiters are woken
 * by a winning settle (acquire/release on their parker), which orders fn's
 * writes before their return as well.
 * Waiters wait with WEFT_FOREVER inside a shield, so no wait can end by deadline
 * or cancellation: every wait ends by the runner's broadcast. */
#include "weft/once.h"
#include "runtime/explore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sync/waitq.h"
#include "weft/fiber.h"

enum { NOT_RUN = 0, RUNNING = 1, DONE = 2 };

int weft_once_init(weft_once_t *o) {
    if (!o) return -EINVAL;
    *o = (weft_once_t)WEFT_ONCE_INIT;
    return 0;
}

int weft_once_destroy(weft_once_t *o) {
    if (!o) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&o->wl);
    weft__spin_lock(lock);
    int busy = __atomic_load_n(&o->state, __ATOMIC_RELAXED) == RUNNING ||
               !weft__waitq_empty(weft__wl_queue(&o->wl));
    weft__spin_unlock(lock);
    return busy ? -EBUSY : 0;
}

int weft_once_done(const weft_once_t *o) {
    return o && __atomic_load_n(&o->state, __ATOMIC_ACQUIRE) == DONE;
}

int weft_once(weft_once_t *o, void (*fn)(void *), void *arg) {
    if (!o || !fn) return -EINVAL;
    if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) == DONE) return 0;

    uintptr_t me = weft__self_id();
    weft__spin_t *lock = weft__wl_lock(&o->wl);
    weft__waitq_t *q = weft__wl_queue(&o->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    int s = __atomic_load_n(&o->state, __ATOMIC_ACQUIRE);
    if (s == DONE) {
        weft__spin_unlock(lock);
        return 0;
    }
    if (s == NOT_RUN) {
        o->runner = me;
        __atomic_store_n(&o->state, RUNNING, __ATOMIC_RELAXED);
        weft__spin_unlock(lock);
        fn(arg);
        weft__spin_lock(lock);
        o->runner = 0;
        __atomic_store_n(&o->state, DONE, __ATOMIC_RELEASE);
        weft__waiter_t *won = weft__waitq_grant_all(q);
        weft__spin_unlock(lock);
        weft__waitq_wake_all(won);
        return 0;
    }
    if (o->runner == me) {
        weft__spin_unlock(lock);
        return -EDEADLK;
    }
    /* Shielded before the wait is prepared, so it cannot be settled by cancel. */
    weft_shield_begin();
    weft__waiter_t w = {.parker = weft__parker_self()};
    int r = weft__waitq_wait(lock, q, &w, WEFT_FOREVER, "once", o);
    weft_shield_end();
    if (r == -EDEADLK || r == -EPERM) { /* from a signal handler */
        if (w.queued) weft__waitq_remove(q, &w);
        weft__spin_unlock(lock);
        return r;
    }
    if (r != 0) {
        /* Impossible: no deadline, and the wait was prepared inside a shield. */
        fprintf(stderr, "weft: weft_once: shielded wait ended with %d\n", r);
        abort();
    }
    return 0;
}
