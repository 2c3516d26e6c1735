/* runtime/tls.c: the one thread-local of the runtime: the calling thread's worker.
 *
 * The accessors are never inlined, and the compiler cannot see through them, so no
 * caller can keep the address of this thread-local (or its value) in a register
 * across a context switch, after which the fiber may run on another thread. */
#include "runtime/worker.h"

static _Thread_local weft__worker_t *tls_worker;

__attribute__((noinline)) weft__worker_t *weft__worker_self(void) {
    weft__worker_t *w = tls_worker;
    __asm__ __volatile__("" ::: "memory");
    return w;
}

__attribute__((noinline)) void weft__worker_set(weft__worker_t *w) {
    tls_worker = w;
    __asm__ __volatile__("" ::: "memory");
}
