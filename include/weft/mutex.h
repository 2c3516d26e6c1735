/* weft/mutex.h: an ownable lock shared by fibers (of any runtime) and threads.
 *
 * Fairness: waiters are served in arrival order, fibers and threads alike, by
 * direct hand-off: unlock makes the oldest live waiter the owner before it wakes
 * it, so nobody can barge in between. Uncontended lock and unlock are one
 * atomic compare-and-swap each. Ownership belongs to the calling fiber, or to
 * the calling thread when it is not running a fiber. */
#ifndef WEFT_MUTEX_H
#define WEFT_MUTEX_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_mutex {
    uintptr_t owner; /* private */
    struct weft__wl wl;
} weft_mutex_t;

#define WEFT_MUTEX_INIT                                                                  \
    { 0, WEFT__WL_INIT }

/* 0, or -EINVAL for NULL. */
WEFT_API int weft_mutex_init(weft_mutex_t *m);
/* 0; -EBUSY while locked or waited on (the mutex is untouched); -EINVAL. */
WEFT_API int weft_mutex_destroy(weft_mutex_t *m);

/* Locks m before the absolute deadline. Fiber or thread. Returns 0 (the caller
 * owns m); -EDEADLK if the caller already owns it; -ETIMEDOUT (a try, or the
 * deadline passed while queued); -ECANCELED (the calling fiber is cancelled;
 * a try still tries); -EINVAL (NULL). A free mutex is taken without yielding
 * (unless the runtime's checkpoints option is on); a busy one parks the caller
 * once, and it wakes up owning the lock. */
WEFT_API int weft_mutex_lock(weft_mutex_t *m, int64_t deadline);

/* Unlocks m, handing it to the oldest waiter if any. Never blocks. Returns 0;
 * -EPERM if the caller does not own it (the mutex is untouched); -EINVAL. */
WEFT_API int weft_mutex_unlock(weft_mutex_t *m);

/* 1 if m is locked (by anyone), else 0. */
WEFT_API int weft_mutex_is_locked(const weft_mutex_t *m);
/* 1 if the caller owns m, else 0. */
WEFT_API int weft_mutex_is_owned(const weft_mutex_t *m);

#ifdef __cplusplus
}
#endif
#endif
