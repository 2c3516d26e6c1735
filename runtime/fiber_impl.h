/* runtime/fiber_impl.h: the fiber object and its state machine.
 *
 * Memory: a fiber object lives at the TOP of its own stack (the stack grows down
 * below it), so a spawn allocates nothing when the worker's shell cache has a
 * stack, and a parked fiber's object and live frames share its hottest page.
 * A "shell" is a fiber object + stack not in use; shells are pooled (stack.c).
 *
 * States (where the fiber is, who may move it):
 *   NEW       queued, never run: in a run queue or the injection queue; when
 *             first switched to, it runs its function unless it was cancelled
 *             by then, in which case it finishes at once (result NULL).
 *   RUNNABLE  registers saved; in exactly one run queue / run-next slot /
 *             injection queue; any worker of its runtime may pick or steal it.
 *   RUNNING   on exactly one worker (w->current == f).
 *   PARKED    registers saved, in no queue; made RUNNABLE only by the winning
 *             settler of its wait (park.c), once the park's after-switch action
 *             stored PARKED (the hand-shake that replaces a two-party count).
 *   DONE      finished; its stack is released once both references are gone.
 * References: one held by the running fiber until its last switch completes, one
 * by the handle until join or detach. The object is recycled when both are gone.
 */
#ifndef WEFT_RUNTIME_FIBER_IMPL_H
#define WEFT_RUNTIME_FIBER_IMPL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/fcontext.h"
#include "runtime/mpsc.h"
#include "runtime/park.h"
#include "runtime/sanitize.h"
#include "runtime/spin.h"
#include "weft/fiber.h"

enum weft__fiber_state {
    WEFT__FIBER_NEW,
    WEFT__FIBER_RUNNABLE,
    WEFT__FIBER_RUNNING,
    WEFT__FIBER_PARKED,
    WEFT__FIBER_DONE,
};

struct weft__worker;
struct weft__slab;

#define WEFT__TIMER_NONE ((size_t)-1)
#define WEFT__TIMER_LIST ((size_t)-2) /* on the owner's overflow list (timer.h) */
/* The canary is the lowest word of an unguarded stack, which must stay zero:
 * fresh anonymous memory reads as zero, and reading an untouched page maps the
 * kernel's shared zero page, so checking it costs no resident memory (writing a
 * non-zero pattern there would cost a page per fiber). Only an overflow writes it. */

struct weft_fiber {
    /* --- scheduling (hot) --- */
    weft__fctx_t ctx;         /* saved registers while not RUNNING */
    weft__mpsc_node_t inject; /* link while in the injection queue */
    weft_runtime_t *rt;
    /* enum weft__fiber_state. PARKED is stored (release) by the park's
     * after-switch action once the registers are saved and the park's action
     * ran; the winner of the wait's settle waits for it before enqueueing. */
    _Atomic int state;
    weft__parker_t parker;
    int shield;            /* nesting depth; touched only by the fiber itself */
    _Atomic int cancelled; /* set once by weft_cancel */

    /* --- body --- */
    void *(*fn)(void *);
    void *arg;
    void *result;
    uint64_t id;
    _Atomic uint32_t refs;

    /* --- join: guarded by join_lock --- */
    weft__spin_t join_lock;
    atomic_int done; /* written under join_lock; read without it by join's fast path */
    /* The handle: FREE, JOINING (one join parked) or TAKEN (consumed by a join
     * or a detach). Changed by compare-and-swap, so two joins of a finished
     * fiber cannot both release the handle: one of them gets -EBUSY. */
    _Atomic int join_state;
    weft__parker_t *joiner;
    uint64_t joiner_token;

    /* --- timer of the current timed park: guarded by timer_owner's heap lock --- */
    struct weft__worker *_Atomic timer_owner; /* NULL: no timer armed */
    int64_t timer_deadline;
    size_t timer_index; /* position in the owner's heap, WEFT__TIMER_NONE if not in it */
    weft_fiber_t *timer_prev, *timer_next; /* links on the overflow list */
    uint64_t timer_token;                  /* the wait the timer settles */

    /* --- for the watchdog's dumps (watchdog.h) --- */
    struct weft_fiber *live_prev, *live_next; /* rt->fibers, under rt->fibers_lock */

    /* --- fiber-local storage (fls.c): allocated on first set --- */
    struct weft__fls *fls;

    /* --- stack --- */
    char *stack_lo;    /* lowest usable byte; holds the canary */
    size_t stack_size; /* usable bytes below this object */
    int stack_guarded; /* a PROT_NONE page sits below stack_lo */
    unsigned valgrind_id;
    struct weft__slab *slab;
    struct weft_fiber *pool_next; /* link while a shell is pooled */
    weft__san_ctx_t san;
};

_Noreturn void weft__overflow_report(const weft_fiber_t *f, const char *how,
                                     const void *addr);

/* Aborts with a report if an unguarded stack's canary was overwritten. */
static inline void weft__fiber_check_canary(const weft_fiber_t *f) {
    if (!f->stack_guarded &&
        __builtin_expect(*(const volatile uint64_t *)f->stack_lo != 0, 0))
        weft__overflow_report(f, "stack canary overwritten, detected at a switch", NULL);
}

/* Enqueues a fiber whose wait the caller settled (won), as soon as its park's
 * after-switch action has run (park.c). as_next: the run-next slot, else the
 * ring's tail. */
void weft__fiber_unpark(weft_fiber_t *f, int as_next);

/* Releases one reference; the last one returns the shell to a pool. */
void weft__fiber_unref(weft_fiber_t *f);

/* Completes a fiber (result stored, FLS destructors run): marks it DONE and
 * wakes the joiner. Runs on the fiber's own stack. */
void weft__fiber_complete(weft_fiber_t *f);

#endif
