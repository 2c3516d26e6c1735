/* runtime/runq.h: a worker's local run queue: a 256-slot ring plus a run-next slot.
 *
 * Synchronization table (owner = the worker the queue belongs to):
 *               push (owner)   pop (owner)   steal (thief)   next_swap (owner)
 *   push        -              owner only    safe            owner only
 *   pop         owner only     -             safe (CAS head) owner only
 *   steal       safe           safe          safe            safe (CAS on next)
 * `tail` is written only by the owner (release); `head` advances by CAS from the
 * owner's pop and from thieves, so a slot is consumed exactly once. A thief copies
 * slots BEFORE its CAS on head; if the CAS fails the copies are discarded, which
 * is why the slots are atomics (a slot may be rewritten by the owner meanwhile).
 * Invariant: 0 <= tail - head <= WEFT__RUNQ_SIZE.
 * A SOLO queue belongs to the only worker of its runtime: no thief exists (other
 * threads reach a runtime through its injection queue, never a worker's ring),
 * so the owner pops and swaps with plain loads and stores instead of
 * read-modify-writes; that is two atomic instructions less per switch. */
#ifndef WEFT_RUNTIME_RUNQ_H
#define WEFT_RUNTIME_RUNQ_H

#include <stdatomic.h>
#include <stdint.h>

#include "weft/fiber.h"

#define WEFT__RUNQ_SIZE 256u

typedef struct weft__runq {
    _Atomic uint32_t head;
    char pad0[60];
    _Atomic uint32_t tail;
    char pad1[60];
    weft_fiber_t *_Atomic next; /* run-next slot */
    int solo;                   /* no thief can exist (set before any use) */
    char pad2[52];
    weft_fiber_t *_Atomic slots[WEFT__RUNQ_SIZE];
} weft__runq_t;

void weft__runq_init(weft__runq_t *q);

/* Owner: appends f; returns 0, or -1 when the ring is full (f not added). */
static inline int weft__runq_push(weft__runq_t *q, weft_fiber_t *f) {
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    uint32_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    if (t - h >= WEFT__RUNQ_SIZE) return -1;
    atomic_store_explicit(&q->slots[t & (WEFT__RUNQ_SIZE - 1)], f, memory_order_relaxed);
    atomic_store_explicit(&q->tail, t + 1, memory_order_release);
    return 0;
}

/* Owner: removes up to `max` oldest fibers into out[] (to move them elsewhere when
 * the ring is full). Returns how many. */
uint32_t weft__runq_pop_batch(weft__runq_t *q, weft_fiber_t **out, uint32_t max);

/* Owner: the oldest fiber of the ring, or NULL. */
static inline weft_fiber_t *weft__runq_pop(weft__runq_t *q) {
    for (;;) {
        uint32_t h = atomic_load_explicit(&q->head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
        if (t == h) return NULL;
        weft_fiber_t *f = atomic_load_explicit(&q->slots[h & (WEFT__RUNQ_SIZE - 1)],
                                               memory_order_relaxed);
        if (q->solo) {
            atomic_store_explicit(&q->head, h + 1, memory_order_relaxed);
            return f;
        }
        if (atomic_compare_exchange_weak_explicit(
                &q->head, &h, h + 1, memory_order_acq_rel, memory_order_relaxed))
            return f;
    }
}

/* Owner: puts f into the run-next slot and returns the fiber it displaced. Only
 * the owner stores a fiber there (thieves only take one out), so an empty slot
 * can be filled with a plain release store. */
static inline weft_fiber_t *weft__runq_next_swap(weft__runq_t *q, weft_fiber_t *f) {
    if (!atomic_load_explicit(&q->next, memory_order_relaxed)) {
        atomic_store_explicit(&q->next, f, memory_order_release);
        return NULL;
    }
    if (q->solo) {
        weft_fiber_t *old = atomic_load_explicit(&q->next, memory_order_relaxed);
        atomic_store_explicit(&q->next, f, memory_order_relaxed);
        return old;
    }
    return atomic_exchange_explicit(&q->next, f, memory_order_acq_rel);
}

/* Owner: takes the run-next fiber, or NULL. */
static inline weft_fiber_t *weft__runq_next_take(weft__runq_t *q) {
    weft_fiber_t *f = atomic_load_explicit(&q->next, memory_order_relaxed);
    if (!f) return NULL;
    if (q->solo) {
        atomic_store_explicit(&q->next, NULL, memory_order_relaxed);
        return f;
    }
    return atomic_exchange_explicit(&q->next, NULL, memory_order_acq_rel);
}

/* Number of fibers in the ring (approximate when read by another thread). */
static inline uint32_t weft__runq_len(weft__runq_t *q) {
    uint32_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    return t - h;
}

static inline int weft__runq_has_work(weft__runq_t *q) {
    return weft__runq_len(q) != 0 || atomic_load_explicit(&q->next, memory_order_acquire);
}

/* Thief: moves about half of victim's ring into `into` (owned by the thief, which
 * must be empty) and returns one fiber to run, or NULL. With take_next, also
 * takes the victim's run-next slot when its ring is empty. */
weft_fiber_t *weft__runq_steal(weft__runq_t *victim, weft__runq_t *into, int take_next);

#endif
