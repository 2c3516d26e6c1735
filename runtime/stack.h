/* runtime/stack.h: fiber shells (a fiber object on top of its stack) and their pools.
 *
 * Stacks are carved from slabs mapped with MAP_NORESERVE (memory is committed
 * page by page on first touch) and MADV_NOHUGEPAGE (a 2 MiB huge page would turn
 * a 4 KiB parked fiber into 2 MiB). Layout of one slot, low to high addresses:
 *     [guard page (PROT_NONE) | stack, zero canary at its lowest word ... | fiber object]
 * Each guard page splits the mapping, costing two kernel VMAs per stack; Linux
 * caps a process at vm.max_map_count VMAs (65530 by default). So guard pages are
 * used while the process stays within a budget derived from that limit (half of
 * it, process-wide); beyond it, slots come from unguarded slabs of many stacks
 * (one VMA per slab) and overflow is caught by the canary, checked at every
 * switch out of the fiber, instead of by the guard page. This is how a million
 * fibers fit.
 *
 * Pools: each worker keeps a lock-free (owner-only) cache of free shells; a
 * runtime-wide pool under a spinlock takes the overflow, shells freed by foreign
 * threads, and refills workers in batches. Slabs are unmapped when the runtime is
 * destroyed. Invariant: every shell is in exactly one of {a worker cache, the
 * runtime pool, use by a live or unreleased fiber}. */
#ifndef WEFT_RUNTIME_STACK_H
#define WEFT_RUNTIME_STACK_H

#include <stddef.h>

#include "runtime/spin.h"
#include "weft/fiber.h"

struct weft__worker;

typedef struct weft__slab {
    struct weft__slab *next;
    void *base;
    size_t bytes;
    int guarded;
    unsigned nslots;
} weft__slab_t;

typedef struct weft__stack_pool {
    weft__spin_t lock; /* guards everything below */
    weft_fiber_t *free;
    size_t nfree;
    weft__slab_t *slabs;
    size_t stack_size; /* usable bytes per stack, page multiple */
    size_t slot_size;  /* guard + stack + object, page multiple */
    int allow_guard;
    _Atomic unsigned long mapped, guarded; /* stacks ever mapped; with guard pages */
} weft__stack_pool_t;

typedef struct weft__stack_cache {
    weft_fiber_t *free;
    unsigned nfree;
} weft__stack_cache_t;

int weft__stack_pool_init(weft__stack_pool_t *p, size_t stack_size, int allow_guard);
void weft__stack_pool_destroy(weft__stack_pool_t *p);

/* A shell with its stack fields and canary ready (the caller initialises every
 * other field), from the
 * worker cache `c` when not NULL, else from the pool. NULL when out of memory. */
weft_fiber_t *weft__shell_get(weft__stack_pool_t *p, weft__stack_cache_t *c);

/* Returns a shell to the cache `c` (if not NULL) or to the pool. */
void weft__shell_put(weft__stack_pool_t *p, weft__stack_cache_t *c, weft_fiber_t *f);

/* Moves the cache's shells back to the pool (worker exit). */
void weft__stack_cache_drain(weft__stack_pool_t *p, weft__stack_cache_t *c);

/* Bytes of one page. */
size_t weft__page_size(void);

#endif
