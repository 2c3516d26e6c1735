/* weft/countdown.h: a countdown event shared by fibers (of any runtime) and
 * threads (aiologic CountdownEvent).
 *
 * The event is "set" while its value is 0 (the default). up() raises the value,
 * down() lowers it by one, and every waiter is released when the value reaches
 * 0, by the down() or clear() that brings it there. The documented use is a
 * join: m waiters on n workers cost O(m + n) in all. Values are limited to
 * INT_MAX.
 *
 * Fairness: the transition to 0 wakes every waiter queued at that moment in one
 * pass (O(n) settles under the internal lock, wake-ups outside it), fibers and
 * threads alike, in arrival order. A waiter that starts while the value is
 * non-zero is released only by a later transition to 0. up() and a down() that
 * does not reach 0 are one atomic compare-and-swap each. */
#ifndef WEFT_COUNTDOWN_H
#define WEFT_COUNTDOWN_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_countdown {
    int value; /* private */
    struct weft__wl wl;
} weft_countdown_t;

#define WEFT_COUNTDOWN_INIT(initial)                                                     \
    { (int)(initial), WEFT__WL_INIT }

/* Initialises c with value `initial`. Anywhere. 0; -EINVAL for NULL or
 * initial > INT_MAX. */
WEFT_API int weft_countdown_init(weft_countdown_t *c, unsigned initial);
/* Anywhere. 0; -EBUSY while waiters are queued (c is untouched); -EINVAL. */
WEFT_API int weft_countdown_destroy(weft_countdown_t *c);

/* Adds n to the value (n may be 0: nothing happens). Never blocks, never
 * yields; callable from anywhere. 0; -EOVERFLOW if the value would exceed
 * INT_MAX (nothing is added); -EINVAL for NULL. */
WEFT_API int weft_countdown_up(weft_countdown_t *c, unsigned n);

/* Subtracts one; the down() that reaches 0 wakes every waiter. Never blocks,
 * never yields; callable from anywhere. 0; -ERANGE if the value is already 0
 * (nothing changes); -EINVAL for NULL. */
WEFT_API int weft_countdown_down(weft_countdown_t *c);

/* Sets the value to 0 and wakes every waiter. Never blocks, never yields;
 * callable from anywhere. 0; -EINVAL for NULL. */
WEFT_API int weft_countdown_clear(weft_countdown_t *c);

/* The current value (>= 0); -EINVAL for NULL. Anywhere. */
WEFT_API int weft_countdown_value(const weft_countdown_t *c);

/* Waits until the value is 0. Fiber or thread. Returns 0 (the value was 0, or
 * a transition to 0 released the caller); -ETIMEDOUT (a try on a non-zero
 * value, or the deadline passed while queued); -ECANCELED (the calling fiber is
 * cancelled, outside a shield; a try still reports a zero value); -EINVAL
 * (NULL). At 0 it returns without yielding (unless the runtime's checkpoints
 * option is on); otherwise the caller parks once. A released waiter returns 0
 * even if an up(), its deadline or a cancel comes a moment later. */
WEFT_API int weft_countdown_wait(weft_countdown_t *c, int64_t deadline);

#ifdef __cplusplus
}
#endif
#endif
