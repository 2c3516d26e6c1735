/* weft/barrier.h: a cyclic barrier shared by fibers (of any runtime) and threads
 * (aiologic Barrier / RBarrier).
 *
 * Each GENERATION gathers `parties` waits; the last arrival releases them all
 * at once and the next wait starts a new generation. Each wait of a released
 * generation returns its arrival index: the indices of one generation are
 * exactly 0 .. parties-1, the last arriver's being parties-1.
 *
 * Breaking: weft_barrier_abort, or any failed wait (a deadline, a try that
 * cannot complete, a cancellation), breaks the barrier: the failing party
 * returns its own reason (-ETIMEDOUT, -ECANCELED), the other waiters of the
 * generation and every later wait return -ENOTRECOVERABLE, until
 * weft_barrier_reset. Reset breaks only the current generation (its waiters get
 * -ENOTRECOVERABLE) and makes the barrier usable again for the next.
 *
 * Fairness: a release (or a break) wakes every waiter of the generation in one
 * pass (O(n) settles under the internal lock, wake-ups outside it), fibers and
 * threads alike, in arrival order. Every party gets exactly one outcome: a party
 * whose deadline or cancel wins against the last arrival breaks the barrier,
 * and the last arriver then reports the generation broken instead of
 * releasing it. */
#ifndef WEFT_BARRIER_H
#define WEFT_BARRIER_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_barrier {
    int broken;       /* private */
    unsigned parties; /* private */
    unsigned arrived; /* private: arrivals of the current generation */
    struct weft__wl wl;
} weft_barrier_t;

/* parties must be >= 1 (a barrier with 0 parties reports -EINVAL on wait). */
#define WEFT_BARRIER_INIT(parties)                                                       \
    { 0, (parties), 0, WEFT__WL_INIT }

/* Initialises b for `parties` waits per generation. Anywhere. 0; -EINVAL for
 * NULL, parties 0 or parties > INT_MAX. */
WEFT_API int weft_barrier_init(weft_barrier_t *b, unsigned parties);
/* Anywhere. 0; -EBUSY while waiters are queued (b is untouched); -EINVAL. */
WEFT_API int weft_barrier_destroy(weft_barrier_t *b);

/* Arrives in the current generation and waits for its other parties. Fiber or
 * thread. Returns
 *   index >= 0        the generation was released: this call's arrival index
 *                     in [0, parties);
 *   -ENOTRECOVERABLE  the barrier is or became broken (abort, reset of this
 *                     generation, or another party's failed wait); reported
 *                     before any -ETIMEDOUT/-ECANCELED, tries included;
 *   -ETIMEDOUT        a try that could not complete at once, or the deadline
 *                     passed while queued: this call breaks the barrier;
 *   -ECANCELED        the calling fiber is cancelled (outside a shield; tries
 *                     still try): this call breaks the barrier;
 *   -EINVAL           NULL, or a statically initialised barrier with 0 or more
 *                     than INT_MAX parties.
 * The last arrival does not yield unless the runtime's checkpoints option is
 * on; any other parks the caller once. A released waiter returns its index
 * even if its deadline or a cancel comes a moment later. */
WEFT_API int weft_barrier_wait(weft_barrier_t *b, int64_t deadline);

/* Breaks the barrier until weft_barrier_reset: the current waiters and every
 * later wait return -ENOTRECOVERABLE. Never blocks, never yields; callable from
 * anywhere. 0; -EINVAL for NULL. */
WEFT_API int weft_barrier_abort(weft_barrier_t *b);

/* Ends the current generation as broken (its waiters return -ENOTRECOVERABLE)
 * and makes the barrier unbroken and empty, ready for the next generation.
 * Never blocks, never yields; callable from anywhere. 0; -EINVAL for NULL. */
WEFT_API int weft_barrier_reset(weft_barrier_t *b);

/* 1 if broken, else 0 (also for NULL). Anywhere. */
WEFT_API int weft_barrier_is_broken(const weft_barrier_t *b);

#ifdef __cplusplus
}
#endif
#endif
