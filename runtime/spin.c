/* runtime/spin.c: the contended path of weft__spin_t.
 *
 * Holders never switch or sleep, so a waiter spins with pause and, after a while,
 * gives its core away with sched_yield (the holder may have been preempted by the
 * kernel, which on 2 cores is the common cause of a long wait). */
#include "runtime/spin.h"

#include <sched.h>

void weft__spin_lock_slow(weft__spin_t *s) {
    for (unsigned spins = 0;; spins++) {
        if (atomic_load_explicit(&s->locked, memory_order_relaxed) == 0 &&
            !atomic_exchange_explicit(&s->locked, 1, memory_order_acquire))
            return;
        if (spins < 128)
            weft__cpu_relax();
        else
            sched_yield();
    }
}

void weft__spin_unlock_cb(void *arg) {
    weft__spin_unlock((weft__spin_t *)arg);
}
