/* weft/fiber.h: fibers: spawn, join, detach, cancel, yield, sleep, identity.
 *
 * A fiber is a function running on its own stack, scheduled cooperatively by the
 * workers of one runtime. It switches only at weft calls (blocking calls, yield);
 * between two such calls it may have moved to another worker thread, so never
 * keep a pointer to a thread-local (or errno) across a blocking call. */
#ifndef WEFT_FIBER_H
#define WEFT_FIBER_H

#include <stdint.h>
#include "weft/common.h"
#include "weft/runtime.h"
#include "weft/time.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_fiber weft_fiber_t; /* opaque */

/* Spawns fn(arg) on the caller's runtime. The caller must be a fiber (-EPERM
 * otherwise; use weft_spawn_on from plain threads). If f is NULL the fiber is
 * detached. The new fiber runs next on this worker once the caller blocks or
 * yields (it takes the worker's run-next slot), unless it is stolen first.
 * Errors: -EINVAL (fn NULL), -EPERM, -ENOMEM (no memory for a stack),
 * -ESHUTDOWN (the runtime is being destroyed). Never blocks, never yields. */
WEFT_API int weft_spawn(weft_fiber_t **f, void *(*fn)(void *), void *arg);

/* Spawns fn(arg) on runtime rt from anywhere: a plain thread, a fiber of rt, or a
 * fiber of another runtime. Errors as weft_spawn (never -EPERM). */
WEFT_API int weft_spawn_on(weft_runtime_t *rt, weft_fiber_t **f, void *(*fn)(void *),
                           void *arg);

/* Waits until f has finished and stores its result (NULL for a fiber cancelled
 * before it ran). The handle is released on success. Callable from a fiber of any
 * runtime or from a plain thread. Errors: -EINVAL (NULL, or f is the caller),
 * -EBUSY (another join of f is in progress, or took the handle first: of two
 * joins racing on a finished fiber, one gets the result), -ETIMEDOUT,
 * -ECANCELED (the JOINING fiber was cancelled), and from a signal handler:
 * -EDEADLK if it interrupted a wait of the same thread or fiber, -EPERM on a
 * worker between fibers. At most one join at a time per handle. */
WEFT_API int weft_join(weft_fiber_t *f, void **result, int64_t deadline);

/* Releases the handle: the fiber's memory is reclaimed when it finishes. The
 * fiber keeps running. Errors: -EINVAL (NULL), -EBUSY (a join is in progress). */
WEFT_API int weft_detach(weft_fiber_t *f);

/* Requests cancellation of f: its current blocking call and every later one
 * return -ECANCELED (except tries, and except inside a shield); a fiber cancelled
 * before it started never runs. Returns 0 (also for a finished, unjoined fiber);
 * -EINVAL for NULL. Callable from anywhere; never blocks. */
WEFT_API int weft_cancel(weft_fiber_t *f);

/* Defers cancellation of the calling fiber until the matching weft_shield_end, so
 * cleanup code can lock, join and wait. Nestable. No-op on a plain thread. */
WEFT_API void weft_shield_begin(void);
WEFT_API void weft_shield_end(void);

/* Non-zero if the calling fiber has been cancelled (shield or not). 0 on threads. */
WEFT_API int weft_cancelled(void);

/* Lets the other runnable fibers of this worker run, then continues. Returns 0,
 * or -ECANCELED without yielding if the calling fiber is cancelled (outside a
 * shield), which makes it a cancellation point for compute loops. On a plain
 * thread it calls sched_yield() and returns 0. */
WEFT_API int weft_yield(void);

/* Sleeps until the deadline (absolute, weft_now() clock). Returns 0 when the
 * deadline is reached, -ECANCELED if the calling fiber is cancelled; from a
 * signal handler, -EDEADLK (it interrupted a wait of the same fiber) or -EPERM
 * (on a worker between fibers). A fiber parks on its worker's timer heap; a
 * plain thread sleeps in the kernel.
 * WEFT_FOREVER sleeps until cancelled (a thread: forever). */
WEFT_API int weft_sleep_until(int64_t deadline);

/* The calling fiber, or NULL on a plain thread (or a worker between fibers). */
WEFT_API weft_fiber_t *weft_self(void);

/* A process-unique id of f (never 0), or 0 for NULL. */
WEFT_API uint64_t weft_fiber_id(const weft_fiber_t *f);

/* Fiber-local storage: the C11 _Thread_local is per worker THREAD, which a fiber
 * may leave at any switch; these keys are per fiber. At most WEFT_FLS_KEYS keys
 * exist at once in a process. The destructor (may be NULL) runs at fiber exit for
 * every non-NULL value, on the exiting fiber. */
#define WEFT_FLS_KEYS 128
typedef struct weft_fls_key {
    uint32_t index;
    uint32_t generation;
} weft_fls_key_t;

/* Errors: -EINVAL (key NULL), -EAGAIN (all keys in use). */
WEFT_API int weft_fls_key_create(weft_fls_key_t *key, void (*destructor)(void *));
/* Values still set are not destroyed (as pthread_key_delete). -EINVAL if the key
 * was not created or is already deleted. */
WEFT_API int weft_fls_key_delete(weft_fls_key_t key);
/* Sets the calling fiber's value. -EPERM on a plain thread, -EINVAL for a deleted
 * key, -ENOMEM. */
WEFT_API int weft_fls_set(weft_fls_key_t key, void *value);
/* The calling fiber's value, or NULL (unset, deleted key, plain thread). */
WEFT_API void *weft_fls_get(weft_fls_key_t key);

#ifdef __cplusplus
}
#endif
#endif
