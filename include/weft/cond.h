/* weft/cond.h: a condition variable over a weft_mutex_t or weft_rmutex_t, shared
 * by fibers and threads.
 *
 * Wait-morphing: a notified waiter is moved from the condition's queue to the
 * lock's queue instead of being woken; it wakes exactly once, already owning the
 * lock (an rmutex with its full recursion count restored), so a notify never
 * causes a stampede on the lock. Waiters are notified in arrival order. There
 * are no spurious wake-ups: 0 means notified.
 *
 * Predicates (weft_cond_wait_for) are evaluated by the NOTIFIER while it holds
 * the lock (delegation): a waiter whose predicate is false stays asleep and
 * moves to the back of the queue, so it is woken only when it can proceed. */
#ifndef WEFT_COND_H
#define WEFT_COND_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/mutex.h"
#include "weft/rmutex.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_cond {
    void *lock;    /* private: the weft_mutex_t or weft_rmutex_t */
    int reentrant; /* private */
    int notifying; /* private: a notify is running (guarded by the lock) */
    struct weft__wl wl;
} weft_cond_t;

/* 0; -EINVAL (NULL). The condition is tied to this lock for its lifetime. */
WEFT_API int weft_cond_init_mutex(weft_cond_t *c, weft_mutex_t *m);
WEFT_API int weft_cond_init_rmutex(weft_cond_t *c, weft_rmutex_t *m);
/* 0; -EBUSY while waiters are queued; -EINVAL. */
WEFT_API int weft_cond_destroy(weft_cond_t *c);

/* Releases the lock (fully, for an rmutex), waits to be notified, and returns
 * holding the lock again in every case. Fiber or thread. 0 (notified);
 * -ETIMEDOUT (a try returns at once without releasing the lock); -ECANCELED
 * (calling fiber cancelled); -EPERM (the caller does not hold the lock);
 * -EBUSY (called from inside a predicate during a notify); -EINVAL. A notified waiter
 * re-acquires the lock ignoring its deadline and cancellation: it was granted and returns
 * 0. */
WEFT_API int weft_cond_wait(weft_cond_t *c, int64_t deadline);

/* Waits until pred(arg) is non-zero and returns that value, holding the lock.
 * pred is first evaluated by the caller; if it is false, later evaluations are
 * done by notifiers under the lock, and a notified caller checks it once more
 * when it owns the lock again (holders queued on the lock ahead of it may have
 * changed the state in between): a positive return means pred holds now. A
 * false re-check waits again with the same deadline. Errors as weft_cond_wait
 * (-ETIMEDOUT and -ECANCELED are returned while holding the lock). pred must
 * not block. */
WEFT_API int weft_cond_wait_for(weft_cond_t *c, int (*pred)(void *), void *arg,
                                int64_t deadline);

/* Notifies up to `count` waiters (those with a predicate only if it is true now),
 * oldest first; returns how many were notified. The caller must hold the lock
 * (-EPERM). -EBUSY if called from inside a predicate during a notify. Never
 * blocks. */
WEFT_API int weft_cond_notify(weft_cond_t *c, int count);
/* Notifies every waiter (predicates permitting); returns how many. */
WEFT_API int weft_cond_notify_all(weft_cond_t *c);

#ifdef __cplusplus
}
#endif
#endif
