/* runtime/runq.c: the local run queue (see runq.h for the synchronization table). */
#include "runtime/runq.h"

#include <string.h>

#define MASK (WEFT__RUNQ_SIZE - 1)

void weft__runq_init(weft__runq_t *q) {
    memset(q, 0, sizeof *q);
}

uint32_t weft__runq_pop_batch(weft__runq_t *q, weft_fiber_t **out, uint32_t max) {
    for (;;) {
        uint32_t h = atomic_load_explicit(&q->head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
        uint32_t n = t - h;
        if (n > max) n = max;
        if (n == 0) return 0;
        for (uint32_t i = 0; i < n; i++)
            out[i] =
                atomic_load_explicit(&q->slots[(h + i) & MASK], memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(
                &q->head, &h, h + n, memory_order_acq_rel, memory_order_relaxed))
            return n;
    }
}

weft_fiber_t *weft__runq_steal(weft__runq_t *victim, weft__runq_t *into, int take_next) {
    uint32_t tt = atomic_load_explicit(&into->tail, memory_order_relaxed);
    for (;;) {
        uint32_t h = atomic_load_explicit(&victim->head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&victim->tail, memory_order_acquire);
        uint32_t n = t - h;
        if (n > WEFT__RUNQ_SIZE) continue; /* read head and tail at different moments */
        n -= n / 2;
        if (n == 0) {
            if (!take_next) return NULL;
            weft_fiber_t *nx = atomic_load_explicit(&victim->next, memory_order_acquire);
            if (!nx) return NULL;
            if (atomic_compare_exchange_strong_explicit(
                    &victim->next, &nx, NULL, memory_order_acq_rel, memory_order_relaxed))
                return nx;
            continue;
        }
        for (uint32_t i = 0; i < n; i++) {
            weft_fiber_t *f = atomic_load_explicit(&victim->slots[(h + i) & MASK],
                                                   memory_order_relaxed);
            atomic_store_explicit(&into->slots[(tt + i) & MASK], f, memory_order_relaxed);
        }
        if (atomic_compare_exchange_weak_explicit(
                &victim->head, &h, h + n, memory_order_acq_rel, memory_order_relaxed)) {
            /* Run the last one stolen; publish the others in our ring. */
            n--;
            weft_fiber_t *run =
                atomic_load_explicit(&into->slots[(tt + n) & MASK], memory_order_relaxed);
            if (n) atomic_store_explicit(&into->tail, tt + n, memory_order_release);
            return run;
        }
    }
}
