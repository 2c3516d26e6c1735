/* runtime/switch.h: the switch itself, inlined into every place a fiber blocks.
 *
 * Why inline: Boost.Context's jump_fcontext leaves by an indirect jump, not a
 * `ret`, so the CPU's return-stack predictor is off by one after every switch
 * and each `ret` that unwinds past the switch point mispredicts. Inlining the
 * switch into its callers (weft_yield, weft__park) keeps that to one frame.
 * The protocol is described at the top of switch.c. */
#ifndef WEFT_RUNTIME_SWITCH_H
#define WEFT_RUNTIME_SWITCH_H

#include "runtime/fiber_impl.h"
#include "runtime/worker.h"

/* Step 3 of the switch protocol (switch.c); returns the worker now running us. */
weft__worker_t *weft__switch_finish(weft__transfer_t t);

/* Step 1's bookkeeping for a switch to `next` (NULL: the scheduler context)
 * from the running context, whose context is to be saved at `save`. */
static inline __attribute__((always_inline)) void
weft__switch_begin(weft__worker_t *w, weft__fctx_t *save, weft_fiber_t *next) {
    w->save_slot = save;
    /* atomic (a plain mov on x86): the watchdog thread samples it (watchdog.c) */
    __atomic_store_n(&w->current, next, __ATOMIC_RELEASE);
    if (next)
        atomic_store_explicit(&next->state, WEFT__FIBER_RUNNING, memory_order_relaxed);
}

static inline __attribute__((always_inline)) weft__worker_t *
weft__jump_to(weft__worker_t *w, weft__fctx_t *save, weft__san_ctx_t *from,
              weft_fiber_t *next, int from_dies) {
    weft__switch_begin(w, save, next);
    weft__san_ctx_t *to_san = next ? &next->san : &w->sched_san;
    weft__fctx_t to = next ? next->ctx : w->sched_fctx;
    weft__san_before_switch(from, to_san, from_dies);
    weft__transfer_t t = jump_fcontext(to, w);
    return weft__switch_finish(t);
}

/* Switches from the running fiber `self` to the next runnable one (or to the
 * scheduler context), after the caller arranged w->after. Returns when self is
 * resumed, possibly on another worker: callers re-read the worker afterwards. */
static inline __attribute__((always_inline)) void weft__switch_out(weft__worker_t *w,
                                                                   weft_fiber_t *self) {
    weft__fiber_check_canary(self);
    weft_fiber_t *next = weft__pick_local(w);
    weft__jump_to(w, &self->ctx, &self->san, next, 0);
}

#endif
