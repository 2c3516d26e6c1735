/* weft/event.h: a one-time event shared by fibers and threads.
 *
 * Once set it stays set. weft_event_set wakes every waiter in one pass (O(n)
 * settles under the internal lock, then the wake-ups outside it), fibers and
 * threads alike, in arrival order. */
#ifndef WEFT_EVENT_H
#define WEFT_EVENT_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_event {
    int set; /* private */
    struct weft__wl wl;
} weft_event_t;

#define WEFT_EVENT_INIT                                                                  \
    { 0, WEFT__WL_INIT }

WEFT_API int weft_event_init(weft_event_t *e);    /* 0 or -EINVAL */
WEFT_API int weft_event_destroy(weft_event_t *e); /* 0, -EBUSY with waiters, -EINVAL */

/* Sets the event and wakes every waiter. Never blocks; callable from anywhere.
 * Returns 1 if this call set it, 0 if it was already set; -EINVAL. */
WEFT_API int weft_event_set(weft_event_t *e);
/* 1 if set, else 0. */
WEFT_API int weft_event_is_set(const weft_event_t *e);

/* Waits until the event is set. Fiber or thread. 0 (set); -ETIMEDOUT;
 * -ECANCELED (calling fiber cancelled; a try still reports a set event);
 * -EINVAL. A set event returns at once without yielding (unless checkpoints). */
WEFT_API int weft_event_wait(weft_event_t *e, int64_t deadline);

#ifdef __cplusplus
}
#endif
#endif
