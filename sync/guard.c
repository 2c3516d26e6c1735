/* sync/guard.c: weft_guard_t (see weft/guard.h).
 *
 * Owns: one int, 0 (free) or 1 (in use). Enter is a compare-and-swap 0 -> 1,
 * exit one 1 -> 0; a failed compare-and-swap changes nothing, so a refused enter
 * or exit leaves the guard exactly as it was. No lock, no thread-local, no
 * allocation: wait-free and async-signal-safe. Memory order: enter acquires and
 * exit releases, so the uses of the resource inside successive enter/exit
 * brackets are ordered like critical sections. */
#include "weft/guard.h"

#include <errno.h>

_Static_assert(__atomic_always_lock_free(sizeof(int), 0),
               "weft_guard_t needs a lock-free int");

static int cas_busy(weft_guard_t *g, int from, int to) {
    return __atomic_compare_exchange_n(&g->busy, &from, to, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

int weft_guard_init(weft_guard_t *g) {
    if (!g) return -EINVAL;
    __atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
    return 0;
}

int weft_guard_destroy(weft_guard_t *g) {
    if (!g) return -EINVAL;
    return __atomic_load_n(&g->busy, __ATOMIC_ACQUIRE) ? -EBUSY : 0;
}

int weft_guard_enter(weft_guard_t *g) {
    if (!g) return -EINVAL;
    return cas_busy(g, 0, 1) ? 0 : -EBUSY;
}

int weft_guard_exit(weft_guard_t *g) {
    if (!g) return -EINVAL;
    return cas_busy(g, 1, 0) ? 0 : -EPERM;
}

int weft_guard_in_use(const weft_guard_t *g) {
    return g && __atomic_load_n(&g->busy, __ATOMIC_ACQUIRE);
}
