/* weft/sem.h: a counting semaphore shared by fibers and threads.
 *
 * `max_value` 0 makes it unbounded; otherwise releases beyond max_value fail
 * (a bounded semaphore; initial and max 1 is a binary one). Any caller may
 * release. Fairness: acquirers are served in arrival order; a release hands its
 * permits straight to the oldest waiters and banks only what is left, so a late
 * acquirer never takes a permit from a queued one. Uncontended acquire and
 * release are one atomic compare-and-swap each. */
#ifndef WEFT_SEM_H
#define WEFT_SEM_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_sem {
    uint64_t state; /* private: permits << 32 | queued waiters */
    unsigned max;   /* private */
    struct weft__wl wl;
} weft_sem_t;

#define WEFT_SEM_INIT(initial, max_value)                                                \
    { (uint64_t)(initial) << 32, (max_value), WEFT__WL_INIT }

/* 0; -EINVAL for NULL, initial > max_value (bounded), or values >= 2^31. */
WEFT_API int weft_sem_init(weft_sem_t *s, unsigned initial, unsigned max_value);
/* 0; -EBUSY while waiters are queued; -EINVAL. */
WEFT_API int weft_sem_destroy(weft_sem_t *s);

/* Takes one permit before the deadline. Fiber or thread. 0; -ETIMEDOUT;
 * -ECANCELED (calling fiber cancelled; tries still try); -EINVAL. */
WEFT_API int weft_sem_acquire(weft_sem_t *s, int64_t deadline);

/* Adds `count` permits: up to `count` waiters get one each, oldest first, and the
 * rest are banked. release(0) does nothing. Never blocks; callable from anywhere.
 * 0; -EOVERFLOW if the banked value would exceed max_value: nothing is banked
 * (and nothing released at all, unless waiters gave up at that very moment:
 * the permits this call had already handed to other waiters stay theirs);
 * -EINVAL. */
WEFT_API int weft_sem_release(weft_sem_t *s, unsigned count);

/* Banked permits (may stay 0 after a release that went straight to a waiter). */
WEFT_API int weft_sem_value(const weft_sem_t *s);
/* Waiters queued and not yet granted. */
WEFT_API int weft_sem_waiting(const weft_sem_t *s);

#ifdef __cplusplus
}
#endif
#endif
