/* runtime/deque.h: a worker's spawn deque (Chase-Lev): newly spawned fibers.
 *
 * The owner pushes and pops at the bottom (last in, first out), thieves take
 * from the top (oldest first). LIFO for the owner runs a fork-join tree depth
 * first, so a tree of a million fibers keeps only about depth x fan-out of them
 * alive on a worker; thieves take the oldest spawn, the root of the largest
 * remaining subtree, so one steal moves a big piece of work. Fairness for
 * everything else (wake-ups, yields) comes from the FIFO ring (runq.h), which is
 * served first on every 61st pick.
 *
 * Synchronization table:
 *               push (owner)   pop (owner)       steal (thief)
 *   push        -              owner only        safe
 *   pop         owner only     -                 safe: CAS on top for the last item
 *   steal       safe           safe              safe: CAS on top
 * Invariant: top <= bottom + 1 transiently during a pop; items [top, bottom) live. */
#ifndef WEFT_RUNTIME_DEQUE_H
#define WEFT_RUNTIME_DEQUE_H

#include <stdatomic.h>
#include <stdint.h>

#include "weft/fiber.h"

#define WEFT__DEQUE_SIZE 1024

typedef struct weft__deque {
    _Atomic int64_t top;
    char pad0[56];
    _Atomic int64_t bottom;
    char pad1[56];
    weft_fiber_t *_Atomic slots[WEFT__DEQUE_SIZE];
} weft__deque_t;

void weft__deque_init(weft__deque_t *d);
/* Owner: 0, or -1 when full (f not added). */
int weft__deque_push(weft__deque_t *d, weft_fiber_t *f);
/* Owner: the newest fiber, or NULL. */
weft_fiber_t *weft__deque_pop(weft__deque_t *d);
/* Thief: the oldest fiber, or NULL (empty, or lost a race). */
weft_fiber_t *weft__deque_steal(weft__deque_t *d);

/* Items in the deque (approximate when read by another thread). */
static inline int64_t weft__deque_len(weft__deque_t *d) {
    return atomic_load_explicit(&d->bottom, memory_order_acquire) -
           atomic_load_explicit(&d->top, memory_order_acquire);
}

static inline int weft__deque_has_work(weft__deque_t *d) {
    return atomic_load_explicit(&d->bottom, memory_order_acquire) >
           atomic_load_explicit(&d->top, memory_order_acquire);
}

#endif
