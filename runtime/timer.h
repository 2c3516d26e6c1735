/* runtime/timer.h: per-worker timer heaps for timed parks (sleep, timed waits).
 *
 * Each worker owns a binary min-heap of fibers ordered by deadline, guarded by a
 * spinlock (O(log n) work under it). A fiber arms its timer on the worker it runs
 * on; it may be resumed on another worker and then disarms it there, which is the
 * only cross-thread access and the reason for the lock. Each fiber has at most
 * one timer (one park at a time), stored in the fiber object: no allocation.
 * `next_deadline` mirrors the heap's minimum (INT64_MAX when empty) so idle and
 * stealing workers can peek without the lock.
 * When the heap cannot grow (out of memory), the timer goes on the worker's
 * unsorted overflow list instead (linked through the fiber: no allocation), so
 * arming never fails; the list is scanned in O(n) only while it is non-empty.
 * Invariant: f->timer_index != WEFT__TIMER_NONE  <=>  f is in f->timer_owner's
 * heap (at that index) or on its overflow list (WEFT__TIMER_LIST). */
#ifndef WEFT_RUNTIME_TIMER_H
#define WEFT_RUNTIME_TIMER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/spin.h"
#include "weft/fiber.h"

typedef struct weft__timers {
    weft__spin_t lock;
    _Atomic int64_t next_deadline;
    weft_fiber_t **heap;
    size_t len, cap;
    weft_fiber_t *overflow; /* timers that did not fit the heap */
} weft__timers_t;

struct weft__worker;

void weft__timers_init(weft__timers_t *t);
void weft__timers_free(weft__timers_t *t);

/* Arms f's timer on worker w for the wait `token`. Never fails. */
void weft__timer_arm(struct weft__worker *w, weft_fiber_t *f, int64_t deadline,
                     uint64_t token);

/* Removes f's timer wherever it is (no-op if it already fired). Any thread. */
void weft__timer_disarm(weft_fiber_t *f);

/* Fires every timer of w due at `now`: settles each wait as timed out and makes
 * the winners runnable (on the calling worker's queue). Any worker of w's runtime
 * may do this for w (timer stealing). Returns how many fibers it made runnable. */
int weft__timers_run(struct weft__worker *w, int64_t now);

static inline int64_t weft__timers_next(weft__timers_t *t) {
    return atomic_load_explicit(&t->next_deadline, memory_order_acquire);
}

#endif
