/* weft/once.h: one-time initialization shared by fibers (of any runtime) and
 * threads (like pthread_once, aiologic-style fairness).
 *
 * weft_once(o, fn, arg) runs fn(arg) exactly once per weft_once_t, on the first
 * caller, whatever mix of fibers and threads calls it. Every other caller that
 * arrives while fn runs waits (a fiber parks on its scheduler, a thread sleeps on
 * a futex; nobody spins) and returns only after fn has returned; later callers
 * return at once. Everything fn wrote before it returned is visible to every
 * caller after its weft_once returns.
 *
 * Cancellation (decided here, an exception to DESIGN.md 4a): weft_once never
 * returns -ECANCELED. A cancelled fiber that must wait for another caller's fn
 * waits anyway, shielded, because weft_once must not return before fn has run
 * and callers rely on that without checking; its cancellation stays pending and
 * hits its next blocking call. A cancelled fiber that is the first caller runs
 * fn itself (fn's own blocking calls see the cancellation unless fn shields).
 * Fairness: all waiters are released together by one O(n) broadcast, in arrival
 * order. */
#ifndef WEFT_ONCE_H
#define WEFT_ONCE_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_once {
    int state;        /* private: 0 not run, 1 running, 2 done */
    uintptr_t runner; /* private: identity of the caller running fn */
    struct weft__wl wl;
} weft_once_t;

/* A once that has not run. */
#define WEFT_ONCE_INIT                                                                   \
    { 0, 0, WEFT__WL_INIT }

/* Makes o "not run". 0, or -EINVAL for NULL. Never while o is in use. */
WEFT_API int weft_once_init(weft_once_t *o);
/* 0; -EBUSY while fn is running or callers wait (o untouched); -EINVAL for NULL. */
WEFT_API int weft_once_destroy(weft_once_t *o);

/* Runs fn(arg) if no call on o has run it yet, else waits until it has run.
 * Fiber or thread. Returns 0 once fn has run to completion (by this caller or
 * another); -EDEADLK if fn is running on the calling fiber (or thread) itself,
 * i.e. fn called weft_once on its own once (deadlocks through other objects are
 * not detected); -EINVAL for NULL o or fn. Never -ETIMEDOUT (no deadline) and
 * never -ECANCELED (see above). A call that finds fn done returns without
 * yielding, also with the runtime's checkpoints option (it is a read); a call
 * that must wait parks once. fn must return normally: leaving it by longjmp
 * leaves o "running" forever. */
WEFT_API int weft_once(weft_once_t *o, void (*fn)(void *), void *arg);

/* 1 if fn has run to completion on o, else 0 (also for NULL). Anywhere. */
WEFT_API int weft_once_done(const weft_once_t *o);

#ifdef __cplusplus
}
#endif
#endif
