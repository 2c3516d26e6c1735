/* weft/runtime.h: creating, running and destroying a runtime (an M:N scheduler).
 *
 * A runtime owns N worker threads, each with its own run queue, timer heap and
 * stack cache. Fibers never move between runtimes; they may move between the
 * workers of their runtime (work stealing). Several runtimes may exist in one
 * process at once; each is independent (no process-global scheduler state). */
#ifndef WEFT_RUNTIME_H
#define WEFT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_runtime weft_runtime_t; /* opaque */

/* Zero-initialised (or a NULL pointer) means "all defaults". Fields may be added
 * at the end in later versions; always zero-initialise the whole struct. */
typedef struct weft_runtime_opts {
    int workers;         /* 0: one per physical core (hwloc); at most WEFT_MAX_WORKERS */
    size_t stack_size;   /* usable bytes per fiber stack; 0: WEFT_DEFAULT_STACK_SIZE */
    int pin_workers;     /* non-zero: bind worker i to core i (hwloc order) */
    int checkpoints;     /* non-zero: every blocking call yields exactly once */
    int stack_guard;     /* 0: guard page under each stack while the process stays
                            well below vm.max_map_count, then canary-checked stacks;
                            -1: never map guard pages (canary only) */
    int offload_threads; /* bound of the offload pool (weft/offload.h); 0: 16 */
    /* Deadlock and hang reports; 0: off. When > 0 (nanoseconds), a watchdog
     * thread reports (a) a fiber that has held its worker this long without
     * switching, and (b) a runtime whose fibers have all been asleep this long
     * with no timer, I/O or offload work that could wake them (a deadlock,
     * unless a plain thread or another runtime wakes one), with a dump of every
     * fiber and what it waits on. Each is reported once per occurrence. Costs
     * a list insertion per spawn and exit while on. */
    int64_t watchdog;
    /* Receives each report (lines ending in a newline) on the watchdog thread;
     * NULL: written to stderr. Must not block for long. */
    void (*report)(void *arg, const char *text);
    void *report_arg;
} weft_runtime_opts_t;

#define WEFT_MAX_WORKERS         256
#define WEFT_DEFAULT_STACK_SIZE  ((size_t)64 * 1024)
#define WEFT_MAX_OFFLOAD_THREADS 1024

/* Creates a runtime whose workers are all new threads. Errors: -EINVAL (workers
 * < 0 or > WEFT_MAX_WORKERS, stack_size above 1 GiB,
 * offload_threads outside 0..WEFT_MAX_OFFLOAD_THREADS, watchdog < 0), -ENOMEM, -EAGAIN
 * (thread creation failed). Callable from anywhere. */
WEFT_API int weft_runtime_create(weft_runtime_t **rt, const weft_runtime_opts_t *opts);

/* Waits until every fiber of the runtime has finished (detached ones included),
 * stops and joins the workers and frees the runtime. Fiber handles of the runtime
 * that were never joined become invalid. Errors: -EINVAL (NULL), -EDEADLK (called
 * from a fiber or a worker of this runtime), -EPERM (rt was made by weft_run).
 * Callable from a plain thread; from a fiber of another runtime it works but
 * blocks that fiber's worker thread until the runtime is gone. */
WEFT_API int weft_runtime_destroy(weft_runtime_t *rt);

/* Like anyio.run: main_fn runs as a fiber of a new runtime whose worker 0 is the
 * calling thread; returns when main_fn and every fiber spawned on the runtime have
 * finished, then destroys the runtime. *result (if result is not NULL) receives
 * main_fn's return value. Several threads may each be inside weft_run at once.
 * Errors: as weft_runtime_create, plus -EINVAL (main_fn NULL) and -EDEADLK (the
 * caller is itself a worker of a runtime). */
WEFT_API int weft_run(const weft_runtime_opts_t *opts, void *(*main_fn)(void *),
                      void *arg, void **result);

/* The runtime of the calling fiber, or NULL on a plain thread. */
WEFT_API weft_runtime_t *weft_current_runtime(void);

/* Number of workers of rt (>= 1), or -EINVAL. */
WEFT_API int weft_runtime_workers(const weft_runtime_t *rt);

/* Counters of a runtime, for tests, benchmarks and monitoring. Read racily: each
 * field is exact on its own, the set is not a snapshot. */
typedef struct weft_runtime_stats {
    uint64_t fibers_live;    /* spawned, not yet finished (drops just after the
                                fiber's final switch, a moment after its join) */
    uint64_t fibers_spawned; /* since creation */
    uint64_t steals;         /* fibers moved by work stealing */
    uint64_t parks;          /* times a worker slept on its futex */
    uint64_t stacks_mapped;  /* stacks ever mapped (pooled ones are reused) */
    uint64_t stacks_guarded; /* of which with a guard page */
} weft_runtime_stats_t;

WEFT_API int weft_runtime_stats(const weft_runtime_t *rt, weft_runtime_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif
