/* sync/countdown.c: weft_countdown_t (see weft/countdown.h).
 *
 * Owns: the `value` word (0 .. INT_MAX) and the waiter queue.
 *
 * Invariants:
 *  - The value reaches 0 only under the waitlist lock (the down() from 1, or
 *    clear), in the same critical section that drains the queue. Every other
 *    change (up, from 0 included; a down() from 2 or more) is a lock-free
 *    compare-and-swap that cannot produce 0.
 *  - A waiter queues only under the lock after seeing a non-zero value there.
 * So a queued waiter is released by the first transition to 0 after it queued,
 * never by an earlier one, and no transition to 0 can miss a queued waiter. */
#include "weft/countdown.h"
#include "runtime/explore.h"

#include <errno.h>
#include <limits.h>

#include "sync/waitq.h"

static int load_value(const weft_countdown_t *c) {
    return __atomic_load_n(&c->value, __ATOMIC_ACQUIRE);
}

static int cas_value(weft_countdown_t *c, int *expect, int desired) {
    return __atomic_compare_exchange_n(&c->value, expect, desired, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

int weft_countdown_init(weft_countdown_t *c, unsigned initial) {
    if (!c || initial > INT_MAX) return -EINVAL;
    *c = (weft_countdown_t)WEFT_COUNTDOWN_INIT(initial);
    return 0;
}

int weft_countdown_destroy(weft_countdown_t *c) {
    if (!c) return -EINVAL;
    return weft__wl_count(&c->wl) ? -EBUSY : 0;
}

int weft_countdown_value(const weft_countdown_t *c) {
    return c ? load_value(c) : -EINVAL;
}

int weft_countdown_up(weft_countdown_t *c, unsigned n) {
    if (!c) return -EINVAL;
    if (n == 0) return 0;
    if (n > INT_MAX) return -EOVERFLOW;
    int v = load_value(c);
    do {
        if ((unsigned)v + n > INT_MAX) return -EOVERFLOW;
    } while (!cas_value(c, &v, v + (int)n));
    return 0;
}

int weft_countdown_down(weft_countdown_t *c) {
    if (!c) return -EINVAL;
    int v = load_value(c);
    while (v >= 2)
        if (cas_value(c, &v, v - 1)) return 0;
    if (v == 0) return -ERANGE;

    /* Possibly the last one: reach 0 under the lock and drain. */
    weft__spin_t *lock = weft__wl_lock(&c->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    v = load_value(c);
    for (;;) {
        if (v == 0) {
            weft__spin_unlock(lock);
            return -ERANGE;
        }
        if (cas_value(c, &v, v - 1)) break;
    }
    weft__waiter_t *won = NULL;
    if (v == 1) won = weft__waitq_grant_all(weft__wl_queue(&c->wl));
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return 0;
}

int weft_countdown_clear(weft_countdown_t *c) {
    if (!c) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&c->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    __atomic_store_n(&c->value, 0, __ATOMIC_RELEASE);
    weft__waiter_t *won = weft__waitq_grant_all(weft__wl_queue(&c->wl));
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return 0;
}

int weft_countdown_wait(weft_countdown_t *c, int64_t deadline) {
    if (!c) return -EINVAL;
    int r = weft__cancel_check(deadline);
    if (r) return r;
    if (load_value(c) == 0) {
        weft__checkpoint(deadline);
        return 0;
    }
    if (weft__deadline_passed(deadline)) return -ETIMEDOUT;
    weft__spin_t *lock = weft__wl_lock(&c->wl);
    weft__waitq_t *q = weft__wl_queue(&c->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    if (load_value(c) == 0) {
        weft__spin_unlock(lock);
        weft__checkpoint(deadline);
        return 0;
    }
    weft__waiter_t w = {.parker = weft__parker_self()};
    r = weft__waitq_wait(lock, q, &w, deadline, "countdown", c);
    if (r == 0) return 0; /* a transition to 0 released us */
    if (w.queued) weft__waitq_remove(q, &w);
    weft__spin_unlock(lock);
    return r;
}
