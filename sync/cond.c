/* sync/cond.c: weft_cond_t with wait-morphing and delegated predicates (see
 * weft/cond.h).
 *
 * A waiter queues a `struct cond_waiter` (a weft__waiter_t plus its predicate)
 * on the condition's own waitlist, THEN releases the user's lock and parks; so a
 * notifier, which must hold the user's lock, always finds it queued.
 * A notifier pops the oldest node, evaluates its predicate with the condition's
 * spinlock released (user code never runs under an internal lock), then settles
 * the node as granted and moves it to the user lock's queue (already settled:
 * the lock's next release only wakes it, owning the lock).
 * Why the popped node stays valid while the predicate runs: its waiter can only
 * return from a wait after re-acquiring the user's lock, which the notifier
 * holds. A waiter that gives up (deadline, cancel) first finds its node
 * unqueued or unqueues it, then re-acquires the lock ignoring its deadline.
 * A predicate that is false puts the node back at the tail, unless the waiter
 * gave up meanwhile (its parker word no longer shows this wait). */
#include "weft/cond.h"

#include <errno.h>
#include <limits.h>

#include "sync/ownlock.h"

struct cond_waiter {
    weft__waiter_t w; /* first: the queue holds &w */
    int (*pred)(void *);
    void *arg;
    int result;
};

static int init(weft_cond_t *c, void *lock, int reentrant) {
    if (!c || !lock) return -EINVAL;
    c->lock = lock;
    c->reentrant = reentrant;
    c->notifying = 0;
    c->wl = (struct weft__wl)WEFT__WL_INIT;
    return 0;
}

int weft_cond_init_mutex(weft_cond_t *c, weft_mutex_t *m) {
    return init(c, m, 0);
}
int weft_cond_init_rmutex(weft_cond_t *c, weft_rmutex_t *m) {
    return init(c, m, 1);
}

int weft_cond_destroy(weft_cond_t *c) {
    if (!c) return -EINVAL;
    return weft__wl_count(&c->wl) ? -EBUSY : 0;
}

static uintptr_t *lock_owner(weft_cond_t *c) {
    return c->reentrant ? &((weft_rmutex_t *)c->lock)->owner
                        : &((weft_mutex_t *)c->lock)->owner;
}

static struct weft__wl *lock_wl(weft_cond_t *c) {
    return c->reentrant ? &((weft_rmutex_t *)c->lock)->wl
                        : &((weft_mutex_t *)c->lock)->wl;
}

static int holds_lock(weft_cond_t *c) {
    return (weft__own_load(lock_owner(c)) & ~WEFT__OWN_WAITERS) == weft__self_id();
}

/* Releases the user's lock completely, handing it over if someone waits. */
static void release_lock(weft_cond_t *c) {
    if (c->reentrant) ((weft_rmutex_t *)c->lock)->count = 0;
    weft__waiter_t *w = weft__own_release(lock_owner(c), lock_wl(c));
    if (!w) return;
    if (c->reentrant) ((weft_rmutex_t *)c->lock)->count = (unsigned)w->data;
    weft__waitq_wake(w);
}

/* Takes the user's lock back after a wait that was not notified. */
static void reacquire(weft_cond_t *c, unsigned count) {
    int r = weft__own_lock(lock_owner(c), lock_wl(c), weft__self_id(), WEFT_FOREVER,
                           count, 1);
    /* Handed over (1): the releaser restored the count from our node's data. */
    if (r == 0 && c->reentrant) ((weft_rmutex_t *)c->lock)->count = count;
}

static int wait_common(weft_cond_t *c, int (*pred)(void *), void *arg, int64_t deadline) {
    if (!c) return -EINVAL;
    if (!holds_lock(c)) return -EPERM;
    if (c->notifying)
        return -EBUSY; /* from a predicate: it would drop the lock mid-notify */
    if (pred) {
        int v = pred(arg);
        if (v) {
            weft__checkpoint(deadline);
            return v;
        }
    }
    if (weft__deadline_passed(deadline)) return -ETIMEDOUT;
    int r = weft__cancel_check(deadline);
    if (r) return r;

    unsigned count = c->reentrant ? ((weft_rmutex_t *)c->lock)->count : 1;
    weft__spin_t *clock = weft__wl_lock(&c->wl);
    weft__waitq_t *q = weft__wl_queue(&c->wl);
    for (;;) {
        struct cond_waiter cw = {.w = {.parker = weft__parker_self(), .data = count},
                                 .pred = pred,
                                 .arg = arg};
        weft__explore_point();
        weft__spin_lock(clock);
        int bad = weft__parker_check(cw.w.parker); /* a signal handler */
        if (bad) {
            weft__spin_unlock(clock);
            return bad; /* the lock is still held, as on every error */
        }
        cw.w.token = weft__parker_prepare(cw.w.parker);
        weft__waitq_push(q, &cw.w);
        weft__spin_unlock(clock);
        release_lock(c);
        weft__parker_note(cw.w.parker, "condition", c);
        r = weft__park(cw.w.parker, cw.w.token, deadline, NULL, NULL);
        if (r == 0 && !pred) return 0; /* notified: we own the lock again */
        if (r == 0) {
            /* The notifier saw pred true, but lock waiters queued ahead of us
             * may have run since: it must still hold now that we own the lock. */
            int v = pred(arg);
            if (v) return v;
            if (weft__deadline_passed(deadline)) return -ETIMEDOUT;
            r = weft__cancel_check(deadline);
            if (r) return r;
            continue; /* wait again, holding the lock as on entry */
        }
        weft__spin_lock(clock);
        if (cw.w.queued) weft__waitq_remove(q, &cw.w);
        weft__spin_unlock(clock);
        reacquire(c, count);
        return r;
    }
}

int weft_cond_wait(weft_cond_t *c, int64_t deadline) {
    return wait_common(c, NULL, NULL, deadline);
}

int weft_cond_wait_for(weft_cond_t *c, int (*pred)(void *), void *arg, int64_t deadline) {
    if (!pred) return -EINVAL;
    return wait_common(c, pred, arg, deadline);
}

int weft_cond_notify(weft_cond_t *c, int count) {
    if (!c) return -EINVAL;
    if (!holds_lock(c)) return -EPERM;
    if (c->notifying) return -EBUSY;
    if (count <= 0) return 0;
    c->notifying = 1;
    weft__spin_t *clock = weft__wl_lock(&c->wl);
    weft__waitq_t *q = weft__wl_queue(&c->wl);
    /* Look at each node present now at most once (false predicates go back to
     * the tail and must not be evaluated again by this call). */
    int budget = weft__wl_count(&c->wl), notified = 0;
    while (budget-- > 0 && notified < count) {
        weft__explore_point();
        weft__spin_lock(clock);
        weft__waiter_t *w = q->head;
        if (w) weft__waitq_remove(q, w);
        weft__spin_unlock(clock);
        if (!w) break;
        struct cond_waiter *cw = (struct cond_waiter *)w;
        if (cw->pred) {
            int v = cw->pred(cw->arg);
            if (!v) {
                weft__spin_lock(clock);
                uint64_t word =
                    atomic_load_explicit(&w->parker->word, memory_order_acquire);
                if (word == (w->token | WEFT__PARK_WAITING)) weft__waitq_push(q, w);
                weft__spin_unlock(clock);
                continue;
            }
            cw->result = v;
        }
        if (!weft__parker_settle(w->parker, w->token)) continue; /* it gave up */
        weft__own_enqueue_granted(lock_owner(c), lock_wl(c), w);
        notified++;
    }
    c->notifying = 0;
    return notified;
}

int weft_cond_notify_all(weft_cond_t *c) {
    return weft_cond_notify(c, INT_MAX);
}
