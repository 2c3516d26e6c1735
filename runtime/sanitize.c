/* runtime/sanitize.c: sanitizer and valgrind annotations (see sanitize.h).
 * In a build without sanitizers every function here is a no-op or one valgrind
 * client request (a few instructions when not running under valgrind). */
#include "runtime/sanitize.h"

#include <pthread.h>

#if defined(WEFT_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(WEFT_TSAN)
#include <sanitizer/tsan_interface.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define WEFT_VALGRIND 1
#endif
#endif

void weft__san_thread_ctx(weft__san_ctx_t *c) {
    c->asan_fake_stack = NULL;
    c->tsan_fiber = NULL;
    c->stack_lo = NULL;
    c->stack_size = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *lo;
        size_t size;
        if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
            c->stack_lo = lo;
            c->stack_size = size;
        }
        pthread_attr_destroy(&attr);
    }
#if defined(WEFT_TSAN)
    c->tsan_fiber = __tsan_get_current_fiber();
#endif
}

void weft__san_fiber_create(weft__san_ctx_t *c, void *lo, size_t size) {
    c->stack_lo = lo;
    c->stack_size = size;
    c->asan_fake_stack = NULL;
#if defined(WEFT_ASAN)
    /* A recycled stack still carries the redzone poison of its previous fiber's
     * frames, which never returned: clear it before new frames land there. */
    __asan_unpoison_memory_region(lo, size);
#endif
#if defined(WEFT_TSAN)
    /* A TSan fiber costs a large zeroed allocation, so a shell keeps its one
     * across the fibers it hosts (destroyed with the shell's slab). */
    if (!c->tsan_fiber) c->tsan_fiber = __tsan_create_fiber(0);
#endif
}

void weft__san_fiber_destroy(weft__san_ctx_t *c) {
#if defined(WEFT_TSAN)
    if (c->tsan_fiber) __tsan_destroy_fiber(c->tsan_fiber);
#endif
    c->tsan_fiber = NULL;
}

#if defined(WEFT_ASAN) || defined(WEFT_TSAN)
void weft__san_before_switch(weft__san_ctx_t *from, weft__san_ctx_t *to, int from_dies) {
#if defined(WEFT_ASAN)
    __sanitizer_start_switch_fiber(from_dies ? NULL : &from->asan_fake_stack,
                                   to->stack_lo, to->stack_size);
#else
    (void)from;
    (void)from_dies;
#endif
#if defined(WEFT_TSAN)
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#else
    (void)to;
#endif
}

void weft__san_after_switch(weft__san_ctx_t *resumed) {
#if defined(WEFT_ASAN)
    __sanitizer_finish_switch_fiber(resumed->asan_fake_stack, NULL, NULL);
#else
    (void)resumed;
#endif
}

#endif

unsigned weft__san_stack_register(void *lo, void *hi) {
#if defined(WEFT_VALGRIND)
    return VALGRIND_STACK_REGISTER(lo, hi);
#else
    (void)lo;
    (void)hi;
    return 0;
#endif
}

void weft__san_stack_deregister(unsigned id) {
#if defined(WEFT_VALGRIND)
    VALGRIND_STACK_DEREGISTER(id);
#else
    (void)id;
#endif
}
