/* weft/rmutex.h: a reentrant lock shared by fibers and threads.
 *
 * The owner may lock again; each lock needs its unlock. When the owner's count
 * drops to zero the lock is handed to the oldest waiter, fibers and threads in
 * arrival order, exactly like weft_mutex_t; a condition's hand-off (weft/cond.h)
 * restores the waiter's full recursion count with the lock. */
#ifndef WEFT_RMUTEX_H
#define WEFT_RMUTEX_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_rmutex {
    uintptr_t owner; /* private */
    unsigned count;  /* private: the owner's recursion depth */
    struct weft__wl wl;
} weft_rmutex_t;

#define WEFT_RMUTEX_INIT                                                                 \
    { 0, 0, WEFT__WL_INIT }

WEFT_API int weft_rmutex_init(weft_rmutex_t *m);    /* 0 or -EINVAL */
WEFT_API int weft_rmutex_destroy(weft_rmutex_t *m); /* 0, -EBUSY while held, -EINVAL */

/* Locks m (again, if the caller owns it). Fiber or thread. 0; -ETIMEDOUT;
 * -ECANCELED (calling fiber cancelled, also for a re-lock; tries still try);
 * -EOVERFLOW (recursion depth at UINT_MAX); -EINVAL. */
WEFT_API int weft_rmutex_lock(weft_rmutex_t *m, int64_t deadline);

/* Undoes one lock; at depth zero hands m to the oldest waiter. Never blocks.
 * 0; -EPERM if the caller does not own m; -EINVAL. */
WEFT_API int weft_rmutex_unlock(weft_rmutex_t *m);

/* The caller's recursion depth (0 if it does not own m). */
WEFT_API int weft_rmutex_count(const weft_rmutex_t *m);
WEFT_API int weft_rmutex_is_locked(const weft_rmutex_t *m);

#ifdef __cplusplus
}
#endif
#endif
