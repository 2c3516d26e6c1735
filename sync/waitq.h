/* sync/waitq.h: the waiter core every primitive of sync/ is built on.
 *
 * One intrusive FIFO of waiter nodes per primitive, guarded by the primitive's
 * spinlock. A node lives on the waiting caller's stack and names the caller's
 * parker (runtime/park.h): a fiber of any runtime or a plain thread, the
 * primitive never knows which. There is never a second list: fibers and threads
 * queue together, so arrival order is served exactly.
 *
 * Protocol (lock = the primitive's weft__spin_t):
 *   waiter:  lock; [fast checks]; weft__waitq_wait(lock, q, &node, deadline)
 *            -> the node is queued, the lock is released once the waiter can no
 *               longer miss a grant, the caller sleeps.
 *               0: the node was granted and unlinked by the granter; the lock is
 *                  NOT held.
 *               -ETIMEDOUT / -ECANCELED / -EDEADLK (the caller's parker was
                  already waiting: a blocking call from a signal handler that
                  interrupted a wait; weft__parker_busy):
                  the node received nothing; the lock IS
 *                  held again, so the primitive can repair its state; the node
 *                  is still queued iff node.queued (a granter whose settle lost
 *                  unlinks it, else the caller must: weft__waitq_remove).
 *   granter: lock; n = weft__waitq_grant(q); [record the grant in the primitive];
 *            unlock; if (n) weft__waitq_wake(n);
 *            weft__waitq_grant pops head nodes until one settles as granted: a
 *            node whose waiter already timed out or was cancelled is dropped and
 *            the grant goes to the next one (nothing is lost).
 *
 * Synchronization table (all under the primitive's lock, except wake):
 *   push/remove/grant/grant_all   lock held; O(1) each (grant_all O(n))
 *   weft__waitq_wake              no lock; only after a winning grant, once
 * Lifetime: a granter touches a node only under the lock while it is queued, and
 * its parker once more in weft__waitq_wake; the waiter cannot return before that
 * wake, and a waiter that gave up unlinks its node under the lock before its
 * frame ends. The winner's `data` field is written by the granter under the lock
 * before the wake, so the waiter reads it after waking without a race. */
#ifndef WEFT_SYNC_WAITQ_H
#define WEFT_SYNC_WAITQ_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/explore.h"
#include "runtime/park.h"
#include "runtime/spin.h"
#include "weft/waitlist.h"

typedef struct weft__waiter {
    struct weft__waiter *prev, *next;
    weft__parker_t *parker; /* also the waiter's identity (owner of a lock) */
    uint64_t token;
    uintptr_t data; /* primitive-specific, in both directions */
    int queued;
    int presettled; /* already settled as granted by someone else (a condition's
                       notify moving it to a lock's queue): a grant only wakes it */
    int prepared;   /* weft__waitq_prepare ran: the wait is already started */
} weft__waiter_t;

typedef struct weft__waitq {
    weft__waiter_t *head, *tail;
} weft__waitq_t;

/* The public primitives embed a `struct weft__wl` (weft/waitlist.h) with plain
 * types; these views give its lock word and its queue their internal types. */
_Static_assert(sizeof(atomic_int) == sizeof(int), "spinlock word");
_Static_assert(offsetof(struct weft__wl, tail) - offsetof(struct weft__wl, head) ==
                   offsetof(weft__waitq_t, tail),
               "queue layout");

static inline weft__spin_t *weft__wl_lock(struct weft__wl *wl) {
    return (weft__spin_t *)(void *)&wl->lock;
}
static inline weft__waitq_t *weft__wl_queue(struct weft__wl *wl) {
    return (weft__waitq_t *)(void *)&wl->head;
}

static inline int weft__waitq_empty(const weft__waitq_t *q) {
    return q->head == NULL;
}

void weft__waitq_push(weft__waitq_t *q, weft__waiter_t *w);
void weft__waitq_remove(weft__waitq_t *q, weft__waiter_t *w);

/* Optional first step of a wait, BEFORE the caller takes the primitive's lock:
 * starts the wait of w's parker with a plain store, which the lock's atomic
 * exchange then orders before the park's look at the cancel flag (saving the
 * locked store of weft__parker_prepare). No switch may happen between this
 * call and the wait: no exploration point, no yield. A caller that, holding
 * the lock, finds it need not wait after all must unlock, then call
 * weft__waitq_abandon. A caller refused by weft__parker_check is left
 * unprepared: weft__waitq_wait refuses it again, with the usual repair. */
void weft__waitq_prepare(weft__waiter_t *w, const char *what, const void *obj);

/* Ends a prepared wait that was never queued (call without the lock). If a
 * cancel settled it meanwhile, waits for that cancel's wake-up (one switch),
 * which the canceller is owed: the caller's outcome is unchanged. */
void weft__waitq_abandon(weft__waiter_t *w);

/* Queues `w` (its parker and data set by the caller), releases `lock` and sleeps
 * until granted, the deadline, or cancellation; see the protocol above for
 * whether the lock is held on return. `what` and `obj` name the wait in the
 * watchdog's dumps (runtime/watchdog.h). */
int weft__waitq_wait(weft__spin_t *lock, weft__waitq_t *q, weft__waiter_t *w,
                     int64_t deadline, const char *what, const void *obj);

/* Pops and settles head nodes until one is granted; NULL if none could be. */
weft__waiter_t *weft__waitq_grant(weft__waitq_t *q);

/* Settles every queued node, empties the queue and returns the granted ones
 * chained through `next` (for weft__waitq_wake_all, after unlocking). */
weft__waiter_t *weft__waitq_grant_all(weft__waitq_t *q);

/* As weft__waitq_grant_all; *lost receives how many nodes were dropped because
 * their waiter had already given up (a barrier treats that as a break). */
weft__waiter_t *weft__waitq_grant_all_counted(weft__waitq_t *q, int *lost);

/* Stores `data` in every node of a granted chain (lock held, before the wake). */
void weft__waitq_chain_set_data(weft__waiter_t *chain, uintptr_t data);

/* Resumes a granted waiter; call without the lock. */
static inline void weft__waitq_wake(weft__waiter_t *w) {
    weft__explore_point(); /* the window between a grant and its wake-up */
    weft__parker_unpark(w->parker);
}

/* Resumes a chain returned by weft__waitq_grant_all; call without the lock. */
void weft__waitq_wake_all(weft__waiter_t *chain);

/* The whole wait of an event-like primitive: returns 0 as soon as *flag is
 * nonzero (without blocking if it already is), else queues on wl and waits to
 * be granted (the primitive's set raises the flag under wl's lock, then grants
 * every node), the deadline or cancellation. Cancellation and checkpoints are
 * handled here; returns 0, -ETIMEDOUT, -ECANCELED, or the refusals of
 * weft__waitq_wait. `what` and `obj` name the wait in the watchdog's dumps. */
int weft__wl_wait_flag(struct weft__wl *wl, const int *flag, int64_t deadline,
                       const char *what, const void *obj);

/* Number of queued waiters, counted under the lock (tests, dumps, destroy). */
int weft__wl_count(struct weft__wl *wl);

/* Identity of the caller: its fiber's parker, or its thread's. */
static inline uintptr_t weft__self_id(void) {
    return (uintptr_t)weft__parker_self();
}

#endif
