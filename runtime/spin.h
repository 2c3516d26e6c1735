/* runtime/spin.h: a test-and-test-and-set spinlock for internal O(1)/O(log n)
 * critical sections that never switch and never sleep while held.
 *
 * Invariant: no code holds a weft__spin_t across a context switch, a futex wait
 * or a futex wake; the only exception is a park's after-switch action, which
 * RELEASES the lock once the parking fiber's registers are saved. */
#ifndef WEFT_RUNTIME_SPIN_H
#define WEFT_RUNTIME_SPIN_H

#include <stdatomic.h>

typedef struct weft__spin {
    atomic_int locked;
} weft__spin_t;

#define WEFT__SPIN_INIT                                                                  \
    { 0 }

static inline void weft__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

void weft__spin_lock_slow(weft__spin_t *s);

static inline void weft__spin_lock(weft__spin_t *s) {
    if (!atomic_exchange_explicit(&s->locked, 1, memory_order_acquire)) return;
    weft__spin_lock_slow(s);
}

static inline int weft__spin_trylock(weft__spin_t *s) {
    return atomic_load_explicit(&s->locked, memory_order_relaxed) == 0 &&
           !atomic_exchange_explicit(&s->locked, 1, memory_order_acquire);
}

static inline void weft__spin_unlock(weft__spin_t *s) {
    atomic_store_explicit(&s->locked, 0, memory_order_release);
}

/* Shape of a park's after-switch action: releases the spinlock `arg`. */
void weft__spin_unlock_cb(void *arg);

#endif
