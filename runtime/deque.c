/* runtime/deque.c: Chase-Lev work-stealing deque with a fixed array, with the
 * C11 memory orders of Le, Pop, Cohen and Zappa Nardelli (PPoPP 2013). The
 * array never grows: when it is full the caller puts the fiber elsewhere. */
#include "runtime/deque.h"

#include <string.h>

#define MASK (WEFT__DEQUE_SIZE - 1)

void weft__deque_init(weft__deque_t *d) {
    memset(d, 0, sizeof *d);
}

int weft__deque_push(weft__deque_t *d, weft_fiber_t *f) {
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    if (b - t >= WEFT__DEQUE_SIZE) return -1;
    atomic_store_explicit(&d->slots[b & MASK], f, memory_order_relaxed);
    /* A release store rather than a release fence: same cost on x86 and ARMv8,
     * and TSan understands it. */
    atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
    return 0;
}

weft_fiber_t *weft__deque_pop(weft__deque_t *d) {
    /* Cheap emptiness test first: top only grows, so bottom <= a stale top means
     * empty, and the full fence below is paid only when there is an item. */
    if (atomic_load_explicit(&d->bottom, memory_order_relaxed) <=
        atomic_load_explicit(&d->top, memory_order_relaxed))
        return NULL;
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed) - 1;
    atomic_store_explicit(&d->bottom, b, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    if (t > b) { /* empty */
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
        return NULL;
    }
    weft_fiber_t *f = atomic_load_explicit(&d->slots[b & MASK], memory_order_relaxed);
    if (t == b) { /* the last item: race the thieves for it */
        if (!atomic_compare_exchange_strong_explicit(
                &d->top, &t, t + 1, memory_order_seq_cst, memory_order_relaxed))
            f = NULL;
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
    }
    return f;
}

weft_fiber_t *weft__deque_steal(weft__deque_t *d) {
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_acquire);
    if (t >= b) return NULL;
    weft_fiber_t *f = atomic_load_explicit(&d->slots[t & MASK], memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return NULL;
    return f;
}
