/* runtime/sanitize.c: sanitizer and valgrind annotations (see sanitize.h).
 * In a build without sanitizers every function here is a no-op or one valgrind
 * client request (a few instructions when not running under valgrind).
 *
 * TSan's shadow stacks. TSan keeps, per TSan fiber, a shadow call stack fed by
 * the __tsan_func_entry / __tsan_func_exit calls the compiler puts in every
 * instrumented function. It is bounded: past 64Ki frames TSan crashes (a SEGV
 * in its runtime, or "CHECK failed: sanitizer_stackdepot.cpp:83" when it
 * records a stack). A shell (a pooled stack, stack.c) keeps one TSan fiber for
 * all the weft fibers it hosts, because creating one is a large zeroed
 * allocation and a thread slot. That is sound only if every hosted fiber leaves
 * the shadow stack as it found it: empty. Two things used to break that:
 *   - weft__fiber_entry never returns (a finished fiber jumps away for good),
 *     so its frame and that of the final switch stayed on the shadow stack: two
 *     frames per finished fiber, and TSan crashed after some 30000 fibers on one
 *     stack;
 *   - weft__san_before_switch, instrumented, was entered on the leaving TSan
 *     fiber and, after __tsan_switch_to_fiber, left on the resumed one: one
 *     frame pushed on one shadow stack and popped from another at every switch
 *     (it evened out over a fiber's life, but a fresh TSan fiber was popped
 *     below empty, and reports showed the frames of earlier fibers).
 * The fix makes each shadow stack mirror the frames live on its machine stack:
 * weft__san_before_switch and weft__fiber_entry are WEFT__SAN_FRAMELESS (TSan
 * records no frame for them), and the fiber's life (its function, its
 * completion, step 1 of its final switch) runs in an instrumented function that
 * returns to weft__fiber_entry before the final jump (switch.c). So a fiber
 * ends with an empty shadow stack, and the next one on the shell starts there.
 * Rejected alternatives: a fresh TSan fiber per hosted fiber (a big allocation
 * and a TSan thread per spawn, and the old one can only be destroyed once it is
 * no longer current); explicit __tsan_func_exit calls before the final jump
 * (an internal entry point, and how many frames are open depends on the
 * compiler and the optimisation level). tests/test_churn.c is the regression
 * test: 60000 fibers one after another on one shell, three ways of ending.
 *
 * ASan has no such state: a dying fiber's switch passes a NULL fake-stack save,
 * which makes ASan free that fiber's fake stack, and the next fiber on the
 * shell starts without one (ASan makes one lazily if it needs it). */
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
     * across the fibers it hosts (destroyed with the shell's slab); each of them
     * leaves its shadow stack empty (see the top of this file). */
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
/* Frameless under TSan: it is entered on one TSan fiber and left on another. */
WEFT__SAN_FRAMELESS void weft__san_before_switch(weft__san_ctx_t *from,
                                                 weft__san_ctx_t *to, int from_dies) {
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
