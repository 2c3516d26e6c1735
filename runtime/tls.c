/* runtime/tls.c: the runtime's thread-locals: the calling thread's worker, and
 * the parker a plain thread blocks on (park.h).
 *
 * The accessors are never inlined, and the compiler cannot see through them, so no
 * caller can keep the address of a thread-local (or its value) in a register
 * across a context switch, after which the fiber may run on another thread. Each
 * reads its thread-locals directly, once: these are on every blocking call's
 * fast path. */
#include "runtime/fiber_impl.h"
#include "runtime/worker.h"

/* Initial-exec: in a shared library the default model calls __tls_get_addr on
 * every access; these few bytes fit the static TLS surplus glibc reserves for
 * libraries, so a dlopen'ed libweft still loads. */
#define WEFT__TLS _Thread_local __attribute__((tls_model("initial-exec")))

static WEFT__TLS weft__worker_t *tls_worker;

__attribute__((noinline)) weft__worker_t *weft__worker_self(void) {
    weft__worker_t *w = tls_worker;
    __asm__ __volatile__("" ::: "memory");
    return w;
}

__attribute__((noinline)) void weft__worker_set(weft__worker_t *w) {
    tls_worker = w;
    __asm__ __volatile__("" ::: "memory");
}

static WEFT__TLS weft__parker_t tls_parker;

__attribute__((noinline)) weft__parker_t *weft__parker_self(void) {
    weft__worker_t *w = tls_worker;
    weft__parker_t *p = w && w->current ? &w->current->parker : &tls_parker;
    __asm__ __volatile__("" ::: "memory");
    return p;
}

__attribute__((noinline)) void weft__caller(weft__caller_t *c) {
    weft__worker_t *w = tls_worker;
    weft_fiber_t *f = w ? w->current : NULL;
    if (f) {
        c->parker = &f->parker;
        c->cancelled =
            !f->shield && atomic_load_explicit(&f->cancelled, memory_order_acquire);
        c->checkpoints = w->rt->checkpoints;
    } else {
        c->parker = &tls_parker;
        c->cancelled = 0;
        c->checkpoints = 0;
    }
    __asm__ __volatile__("" ::: "memory");
}
