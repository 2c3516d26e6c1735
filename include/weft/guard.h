/* weft/guard.h: a non-blocking "in use" marker for a resource (aiologic
 * ResourceGuard).
 *
 * weft_guard_enter marks the resource in use or fails at once with -EBUSY if it
 * already is; weft_guard_exit marks it free again. It never waits: it turns a
 * concurrent use that would be a bug (two fibers reading one socket, a
 * re-entered callback) into an error instead of a silent race. Both calls are
 * one atomic instruction on one word: wait-free, never block or yield,
 * async-signal-safe, callable from a fiber, a thread or a signal handler.
 *
 * Not a lock: the guard records no owner (as in aiologic), so exit does not
 * check who entered; code that needs ownership and waiting uses weft_mutex_t.
 * Fairness: nobody waits; among racing enters exactly one wins. */
#ifndef WEFT_GUARD_H
#define WEFT_GUARD_H

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_guard {
    int busy; /* private: 0 free, 1 in use */
} weft_guard_t;

/* A free guard. A zero-filled weft_guard_t is free too. */
#define WEFT_GUARD_INIT                                                                  \
    { 0 }

/* Makes g free. 0, or -EINVAL for NULL. */
WEFT_API int weft_guard_init(weft_guard_t *g);
/* 0; -EBUSY while g is in use (g untouched); -EINVAL for NULL. */
WEFT_API int weft_guard_destroy(weft_guard_t *g);

/* Marks g in use. Anywhere; never blocks or yields (not a cancellation point).
 * Returns 0 if this call entered it; -EBUSY if it is already in use (nothing
 * changed); -EINVAL for NULL. */
WEFT_API int weft_guard_enter(weft_guard_t *g);

/* Marks g free again. Anywhere; never blocks or yields. Returns 0; -EPERM if g is
 * not in use (nothing changed); -EINVAL for NULL. */
WEFT_API int weft_guard_exit(weft_guard_t *g);

/* 1 if g is in use, else 0 (also for NULL). Anywhere. */
WEFT_API int weft_guard_in_use(const weft_guard_t *g);

#ifdef __cplusplus
}
#endif
#endif
