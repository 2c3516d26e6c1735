/* weft/revent.h: a reusable event shared by fibers (of any runtime) and threads.
 *
 * Like weft_event_t, plus weft_revent_clear. A waiter is released only by a set
 * that happens after it began waiting and before the next clear: a set wakes
 * exactly the waiters queued at that moment, so `set(); clear();` releases every
 * current waiter, while a wait that starts after that pair blocks until the
 * next set. A wait on an event that is set returns at once.
 *
 * Fairness: a set wakes every waiter in one pass (O(n) settles under the
 * internal lock, the wake-ups outside it), fibers and threads alike, in arrival
 * order; nobody re-contends for anything afterwards. */
#ifndef WEFT_REVENT_H
#define WEFT_REVENT_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_revent {
    int set; /* private */
    struct weft__wl wl;
} weft_revent_t;

#define WEFT_REVENT_INIT                                                                 \
    { 0, WEFT__WL_INIT }

/* Initialises e as clear. Anywhere. 0, or -EINVAL for NULL. */
WEFT_API int weft_revent_init(weft_revent_t *e);
/* Anywhere. 0; -EBUSY while waiters are queued (e is untouched); -EINVAL. */
WEFT_API int weft_revent_destroy(weft_revent_t *e);

/* Sets the event and wakes every waiter queued at this moment. Never blocks,
 * never yields; callable from anywhere. Returns 1 if this call set it, 0 if it
 * was already set (a no-op); -EINVAL for NULL. */
WEFT_API int weft_revent_set(weft_revent_t *e);

/* Clears the event: later waits block until the next set. Waiters already
 * released by an earlier set stay released. Never blocks, never yields;
 * callable from anywhere. Returns 1 if this call cleared it, 0 if it was
 * already clear (a no-op); -EINVAL for NULL. */
WEFT_API int weft_revent_clear(weft_revent_t *e);

/* 1 if set, else 0 (also for NULL). Anywhere. */
WEFT_API int weft_revent_is_set(const weft_revent_t *e);

/* Waits until a set that happens after this call began (or returns at once if
 * the event is set now). Fiber or thread. Returns 0 (released by a set, or the
 * event was set); -ETIMEDOUT (a try on a clear event, or the deadline passed
 * while queued); -ECANCELED (the calling fiber is cancelled, outside a shield;
 * a try still reports a set event); -EINVAL (NULL). A set event returns without
 * yielding (unless the runtime's checkpoints option is on); otherwise the caller
 * parks once. A waiter released by a set returns 0 even if a clear, its
 * deadline or a cancel comes a moment later. */
WEFT_API int weft_revent_wait(weft_revent_t *e, int64_t deadline);

#ifdef __cplusplus
}
#endif
#endif
