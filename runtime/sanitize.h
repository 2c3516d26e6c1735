/* runtime/sanitize.h: the ONE place that tells ASan, TSan and valgrind about
 * fiber stacks and switches. Every context switch of weft goes through
 * weft__switch (runtime/switch.c), which calls the hooks below in this order:
 *
 *   weft__san_before_switch(from, to, from_dies)   ASan start_switch_fiber,
 *                                                   TSan switch_to_fiber
 *   jump_fcontext(...)
 *   weft__san_after_switch(resumed)                ASan finish_switch_fiber
 *
 * A fiber's final switch passes from_dies = 1 so ASan frees its fake stack.
 *
 * TSan keeps a shadow call stack per TSan fiber (function entries and exits of
 * instrumented code). It must mirror the frames really live on that fiber's
 * stack, so no instrumented frame may be open across a TSan switch: the hook
 * that switches TSan fibers is WEFT__SAN_FRAMELESS, and so is the first frame of
 * every fiber, weft__fiber_entry (sanitize.c explains why). */
#ifndef WEFT_RUNTIME_SANITIZE_H
#define WEFT_RUNTIME_SANITIZE_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

/* A function TSan records no frame for: no function entry or exit, and none of
 * its own memory accesses or atomics checked either, so keep such functions to
 * calls and plain reads. Only TSan builds need it: ASan's bookkeeping does not
 * depend on frames. */
#if defined(WEFT_TSAN) && defined(__clang__)
#if __has_attribute(disable_sanitizer_instrumentation)
#define WEFT__SAN_FRAMELESS __attribute__((disable_sanitizer_instrumentation))
#else
/* no_sanitize("thread") would still emit the function entry and exit */
#error                                                                                   \
    "a TSan build with clang needs clang 14 or later (disable_sanitizer_instrumentation)"
#endif
#elif defined(WEFT_TSAN)
#define WEFT__SAN_FRAMELESS __attribute__((no_sanitize_thread))
#else
#define WEFT__SAN_FRAMELESS
#endif

/* What the sanitizers need to know of a switchable context. */
typedef struct weft__san_ctx {
    const void *stack_lo; /* lowest address of the stack */
    size_t stack_size;
    void *asan_fake_stack; /* ASan's fake-stack handle while switched out */
    void *tsan_fiber;      /* TSan's fiber object */
} weft__san_ctx_t;

/* Sanitizer builds run fibers on larger stacks: instrumented frames are bigger. */
#if defined(WEFT_ASAN) || defined(WEFT_TSAN)
#define WEFT__SAN_STACK_FACTOR 4
#else
#define WEFT__SAN_STACK_FACTOR 1
#endif

void weft__san_thread_ctx(weft__san_ctx_t *c); /* the calling thread's own stack */
/* A fiber starts on a shell's stack / the shell is unmapped (stack.c). */
void weft__san_fiber_create(weft__san_ctx_t *c, void *lo, size_t size);
void weft__san_fiber_destroy(weft__san_ctx_t *c);
#if defined(WEFT_ASAN) || defined(WEFT_TSAN)
/* `from` is not read when from_dies is 1 (it may be NULL then). */
WEFT__SAN_FRAMELESS void weft__san_before_switch(weft__san_ctx_t *from,
                                                 weft__san_ctx_t *to, int from_dies);
void weft__san_after_switch(weft__san_ctx_t *resumed);
#else
/* Without sanitizers a switch pays nothing for these. */
static inline void weft__san_before_switch(weft__san_ctx_t *from, weft__san_ctx_t *to,
                                           int from_dies) {
    (void)from;
    (void)to;
    (void)from_dies;
}
static inline void weft__san_after_switch(weft__san_ctx_t *resumed) {
    (void)resumed;
}
#endif

/* valgrind: register/deregister a stack range; returns/takes valgrind's id. */
unsigned weft__san_stack_register(void *lo, void *hi);
void weft__san_stack_deregister(unsigned id);

#endif
