/* runtime/explore.h: seeded schedule exploration, a test-only mode.
 *
 * With WEFT_EXPLORE_SEED=<n> (n != 0) in the environment when a runtime is
 * created, that runtime's workers pick the next runnable fiber among their
 * queues with a PRNG seeded from n, and fibers yield at random at the marked
 * points of the synchronization code (weft__explore_point: between a fast path
 * and its slow path, between a grant and its wake-up). On one worker, with no
 * timers or plain threads involved, a seed fixes the whole interleaving, so an
 * order-dependent failure replays from its seed. Off (the default), a point
 * costs one load of a process-wide flag.
 * A point must be placed where the calling fiber holds no internal spinlock:
 * a fiber that yielded holding one would be waited for by a spinning worker.
 * A point inside a wait (between its prepare and its park) never yields: the
 * wait's settler waits for the park (park.c). */
#ifndef WEFT_RUNTIME_EXPLORE_H
#define WEFT_RUNTIME_EXPLORE_H

#include <stdint.h>

struct weft__worker;

/* The seed for a new runtime: WEFT_EXPLORE_SEED, or 0 (off). */
uint64_t weft__explore_seed(void);

/* A pseudo-random number from worker w's exploration stream. */
uint64_t weft__explore_next(struct weft__worker *w);

/* Nonzero once any runtime of the process was created with exploration on; it
 * is never cleared (exploration is a test-only mode, runtimes of a test process
 * come and go). Off, a point costs one load and a branch, no call. */
extern int weft__explore_any;

/* Yields the calling fiber now and then, when its runtime explores. */
void weft__explore_point_slow(void);

static inline void weft__explore_point(void) {
    if (__builtin_expect(__atomic_load_n(&weft__explore_any, __ATOMIC_RELAXED), 0))
        weft__explore_point_slow();
}

#endif
