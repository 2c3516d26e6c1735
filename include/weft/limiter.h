/* weft/limiter.h: a capacity limiter shared by fibers (of any runtime) and
 * threads (aiologic CapacityLimiter and, with `reentrant`, RCapacityLimiter).
 *
 * A limiter lends at most `total` tokens at a time, at most one per caller. A
 * token belongs to the caller that acquired it, identified as the calling fiber,
 * or the calling thread when it is not running a fiber; only that caller may
 * release it. In a reentrant limiter the holder may acquire again without
 * blocking: its count grows, each release decrements it and the token is given
 * back when it reaches 0. `total` may be changed at any time: raising it lends the
 * new tokens to queued callers at once; lowering it never takes back a borrowed
 * token (available stays 0 until enough are returned).
 *
 * Fairness: callers are served in arrival order, fibers and threads alike, by
 * direct hand-off: a returned token goes straight to the oldest waiting caller,
 * which wakes up already holding it, so a newcomer never takes a token while
 * anyone is queued. A wait that ends by deadline or cancellation took nothing and
 * leaves nothing behind.
 *
 * Memory: the record of who holds what lives in the limiter: inline for up to
 * WEFT__LIMITER_INLINE borrowers at a time, else in a table that weft_limiter_init
 * and weft_limiter_set_total size for min(total, WEFT__LIMITER_PRESIZE)
 * borrowers. So acquire and release never allocate, except that an acquire that
 * makes the number of simultaneous borrowers exceed that size (only possible with
 * total > WEFT__LIMITER_PRESIZE, or with a statically initialized limiter whose
 * total exceeds WEFT__LIMITER_INLINE, or after an init or set_total whose table
 * allocation failed, which they tolerate) doubles the table once (-ENOMEM if that
 * fails). Destroy releases the table. */
#ifndef WEFT_LIMITER_H
#define WEFT_LIMITER_H

#include <stddef.h>
#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT__LIMITER_INLINE  4
#define WEFT__LIMITER_PRESIZE 1024
/* The largest total. */
#define WEFT_LIMITER_MAX 0x7fffffffu

struct weft__limiter_slot {
    uintptr_t id;   /* private: a borrower's identity, 0 for a free slot */
    unsigned count; /* private: its acquire count */
};

typedef struct weft_limiter {
    uint64_t state;                   /* private: total << 32 | borrowed */
    int reentrant;                    /* private */
    size_t cap;                       /* private: slots of `table` */
    struct weft__limiter_slot *table; /* private: NULL while `inl` is used */
    struct weft__limiter_slot inl[WEFT__LIMITER_INLINE]; /* private */
    struct weft__wl wl;
} weft_limiter_t;

/* A limiter of `total` (<= WEFT_LIMITER_MAX) tokens, reentrant if non-zero. It
 * needs weft_limiter_destroy once it has allocated a table: after more than
 * WEFT__LIMITER_INLINE borrowers at once, or a weft_limiter_set_total above
 * WEFT__LIMITER_INLINE (see Memory above). Destroying it is always correct. */
#define WEFT_LIMITER_INIT(total, reentrant)                                              \
    { (uint64_t)(total) << 32, (reentrant) != 0, 0, NULL, {{0, 0}}, WEFT__WL_INIT }

/* Initializes l with `total` tokens (0 is allowed: every acquire waits until
 * set_total raises it); `reentrant` non-zero makes it an RCapacityLimiter.
 * Returns 0; -EINVAL (NULL, total > WEFT_LIMITER_MAX); -ENOMEM (no memory for the
 * borrower table of a total above WEFT__LIMITER_INLINE: l is still initialised
 * and usable, with the inline table, growing it later as described above). */
WEFT_API int weft_limiter_init(weft_limiter_t *l, unsigned total, int reentrant);

/* Releases l's memory. Returns 0; -EBUSY while a token is borrowed or a caller
 * waits (l is untouched); -EINVAL for NULL. */
WEFT_API int weft_limiter_destroy(weft_limiter_t *l);

/* Borrows a token before the absolute deadline. Fiber or thread. Returns 0 (the
 * caller holds a token; in a reentrant limiter, its count is one higher).
 * Errors, in this order of precedence:
 *   -EINVAL     l is NULL;
 *   -EDEADLK    non-reentrant limiter and the caller already holds a token;
 *   -EOVERFLOW  reentrant limiter and the caller's count is already INT_MAX
 *               (as weft_rmutex_lock);
 *   -ECANCELED  the calling fiber is cancelled (outside a shield), also when a
 *               token is free or the caller re-enters; a try still tries;
 *   -ENOMEM     a token was free but the borrower table could not grow (see
 *               Memory above; nothing taken);
 *   -ETIMEDOUT  a try (deadline already passed) found no free token, or the
 *               deadline passed while queued (nothing taken).
 * A re-entry, or a free token with nobody queued, returns without yielding
 * (unless the runtime's checkpoints option is on: then it yields once); else the
 * caller queues behind earlier callers and parks once, waking up holding the
 * token. A re-entry never blocks, even when others are queued. */
WEFT_API int weft_limiter_acquire(weft_limiter_t *l, int64_t deadline);

/* Gives back the caller's token (reentrant: decrements its count and gives the
 * token back when the count reaches 0). A given-back token goes straight to the
 * oldest queued caller if total allows. Never blocks or yields; callable from any
 * fiber or thread that holds a token. Returns 0; -EPERM if the caller holds none
 * (nothing changes); -EINVAL for NULL. */
WEFT_API int weft_limiter_release(weft_limiter_t *l);

/* Sets the number of tokens. Raising it lends the new tokens to the oldest queued
 * callers at once (FIFO, one each); lowering it takes nothing back. Never blocks
 * or yields; fiber or thread. Returns 0; -EINVAL (NULL, total >
 * WEFT_LIMITER_MAX); -ENOMEM if the borrower table had to grow for the callers
 * being granted and could not (nothing changes). */
WEFT_API int weft_limiter_set_total(weft_limiter_t *l, unsigned total);

/* Tokens currently borrowed (= callers holding one). Anywhere; a snapshot. */
WEFT_API int weft_limiter_borrowed(const weft_limiter_t *l);
/* Tokens free to borrow: total - borrowed, or 0 when total was lowered below
 * borrowed. Anywhere; a snapshot. */
WEFT_API int weft_limiter_available(const weft_limiter_t *l);
/* The current total. Anywhere. */
WEFT_API int weft_limiter_total(const weft_limiter_t *l);
/* Callers queued and not yet granted. Fiber or thread (takes the internal lock). */
WEFT_API int weft_limiter_waiting(const weft_limiter_t *l);
/* The caller's count: 0 if it holds no token, else 1 (non-reentrant) or its
 * acquire depth (reentrant). Fiber or thread. */
WEFT_API int weft_limiter_count(const weft_limiter_t *l);

/* All of the above return -EINVAL for a NULL l. */

#ifdef __cplusplus
}
#endif
#endif
