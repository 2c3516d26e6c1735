/* weft/latch.h: a single-use latch shared by fibers (of any runtime) and threads
 * (aiologic Latch, C++ std::latch).
 *
 * `parties` waiters rendezvous: once that many have called weft_latch_wait, all
 * of them are released at once and every later wait returns 0 at once. The
 * latch can instead BREAK, permanently: by weft_latch_abort, or by any failed
 * wait (a deadline, a try that cannot complete, a cancellation), since a party
 * that gives up means the rendezvous can no longer happen. The failing party
 * returns its own reason (-ETIMEDOUT, -ECANCELED); every other current and
 * future wait returns -ENOTRECOVERABLE. With parties 0 the latch is never
 * released: only a break (abort, or a failed wait) ends the waits.
 *
 * Fairness: the release (or the break) wakes every waiter in one pass (O(n)
 * settles under the internal lock, wake-ups outside it), fibers and threads
 * alike, in arrival order. Every party gets exactly one outcome: a party whose
 * deadline or cancel wins against the last arrival breaks the latch, and the
 * last arriver then reports the latch broken instead of releasing it. */
#ifndef WEFT_LATCH_H
#define WEFT_LATCH_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_latch {
    int state;        /* private: 0 waiting, 1 released, 2 broken */
    unsigned parties; /* private */
    unsigned arrived; /* private */
    struct weft__wl wl;
} weft_latch_t;

#define WEFT_LATCH_INIT(parties)                                                         \
    { 0, (parties), 0, WEFT__WL_INIT }

/* Initialises l for `parties` waiters (0: only abort ends the waits).
 * Anywhere. 0; -EINVAL for NULL or parties > INT_MAX. */
WEFT_API int weft_latch_init(weft_latch_t *l, unsigned parties);
/* Anywhere. 0; -EBUSY while waiters are queued (l is untouched); -EINVAL. */
WEFT_API int weft_latch_destroy(weft_latch_t *l);

/* Arrives and waits for the other parties. Fiber or thread. Returns
 *   0                 the latch was released (by this arrival, an earlier
 *                     one, or while queued);
 *   -ENOTRECOVERABLE  the latch is or became broken (abort, or another party's
 *                     failed wait); reported before any -ETIMEDOUT/-ECANCELED,
 *                     tries included;
 *   -ETIMEDOUT        a try that could not complete at once, or the deadline
 *                     passed while queued: this call breaks the latch;
 *   -ECANCELED        the calling fiber is cancelled (outside a shield; tries
 *                     still try): on a latch still waiting for parties this
 *                     call breaks it; on a released latch it changes nothing;
 *   -EINVAL           NULL.
 * A call that completes at once (the latch is released, or this is the last
 * arrival) does not yield unless the runtime's checkpoints option is on;
 * otherwise the caller parks once. A released waiter returns 0 even if its
 * deadline or a cancel comes a moment later. */
WEFT_API int weft_latch_wait(weft_latch_t *l, int64_t deadline);

/* Breaks the latch: every current and future wait returns -ENOTRECOVERABLE
 * (also after a release). Never blocks, never yields; callable from anywhere.
 * 0; -EINVAL for NULL. */
WEFT_API int weft_latch_abort(weft_latch_t *l);

/* 1 if broken, else 0 (also for NULL). Anywhere. */
WEFT_API int weft_latch_is_broken(const weft_latch_t *l);

#ifdef __cplusplus
}
#endif
#endif
