/* runtime/park.c: parking and unparking fibers and threads (see park.h for the
 * protocol a primitive follows).
 *
 * Fiber hand-shake: only the winner of a wait's settle enqueues the fiber (so
 * never twice), and only once the park's after-switch action, which runs after
 * the registers are saved and the park's action (the primitive's unlock) ran,
 * stored state PARKED (release; the winner loads it with acquire, so it sees
 * the saved context). A winner that comes early waits:
 *  - a granter that found the node under the primitive's lock: the action is
 *    that lock's release, so at most the few instructions up to the store;
 *  - a deadline or a cancel, which need no lock: up to the rest of the switch;
 *  - one on the thread that is running the switch (the fiber's own timer,
 *    fired by the pick inside the switch; a signal handler): it cannot wait
 *    for itself, so it leaves w->after.wake, and the after action enqueues
 *    the fiber right after its store (a compiler fence orders the two for a
 *    handler on the same thread).
 * The waiter's side thus costs one plain store, where a two-party counter cost
 * a locked read-modify-write per wait.
 *
 * Thread signal word: 0 = parked and awake, 2 = asleep in the futex, 1 =
 * unparked. The unparker exchanges in 1 and issues a futex wake only if it saw 2,
 * so a thread that is still spinning costs its waker no system call. */
#include "runtime/park.h"

#include <errno.h>
#include <sched.h>

#include "runtime/fiber_impl.h"
#include "runtime/futex.h"
#include "runtime/switch.h"
#include "runtime/worker.h"

static uint64_t prepare_with(weft__parker_t *p, memory_order order) {
    uint64_t old = atomic_load_explicit(&p->word, memory_order_relaxed);
    uint64_t tok = (old & ~(WEFT__PARK_SEQ_ONE - 1)) + WEFT__PARK_SEQ_ONE;
    if (p->fiber) {
        if (p->fiber->shield == 0) tok |= WEFT__PARK_CANCELLABLE;
    } else {
        atomic_store_explicit(&p->signal, 0, memory_order_relaxed);
    }
    atomic_store_explicit(&p->word, tok | WEFT__PARK_WAITING, order);
    return tok;
}

uint64_t weft__parker_prepare(weft__parker_t *p) {
    /* seq_cst: pairs with weft_cancel's store of `cancelled` then load of `word`. */
    return prepare_with(p, memory_order_seq_cst);
}

uint64_t weft__parker_prepare_early(weft__parker_t *p) {
    return prepare_with(p, memory_order_release); /* the caller's lock fences it */
}

static int settle_as(weft__parker_t *p, uint64_t token, uint64_t outcome) {
    uint64_t expect = token;
    return atomic_compare_exchange_strong_explicit(
        &p->word, &expect, (token & ~WEFT__PARK_STATE_MASK) | outcome,
        memory_order_acq_rel, memory_order_acquire);
}

int weft__parker_settle(weft__parker_t *p, uint64_t token) {
    return settle_as(p, token, WEFT__PARK_WOKEN);
}

static int outcome_of(weft__parker_t *p) {
    switch (atomic_load_explicit(&p->word, memory_order_acquire) &
            WEFT__PARK_STATE_MASK) {
    case WEFT__PARK_TIMED_OUT:
        return -ETIMEDOUT;
    case WEFT__PARK_CANCELLED:
        return -ECANCELED;
    default:
        return 0;
    }
}

/* 1 if f is switching out on the calling thread (a signal handler may also
 * interrupt f itself before its switch): its after action has not run yet and
 * cannot run while we wait for it. */
static int switching_here(weft_fiber_t *f) {
    weft__worker_t *w = weft__worker_self();
    return w && (w->current == f ||
                 (w->after.kind == WEFT__AFTER_PARK && w->after.fiber == f));
}

void weft__fiber_unpark(weft_fiber_t *f, int as_next) {
    if (__builtin_expect(atomic_load_explicit(&f->state, memory_order_acquire) !=
                             WEFT__FIBER_PARKED,
                         0)) {
        if (switching_here(f)) {
            weft__worker_self()->after.wake = as_next ? 2 : 1;
            return;
        }
        for (unsigned i = 0;
             atomic_load_explicit(&f->state, memory_order_acquire) != WEFT__FIBER_PARKED;
             i++) {
            if (i < 128)
                weft__cpu_relax();
            else
                sched_yield(); /* its worker thread was preempted mid-switch */
        }
    }
    weft__ready(f, as_next);
}

void weft__parker_unpark(weft__parker_t *p) {
    weft_fiber_t *f = p->fiber;
    if (f) {
        weft__fiber_unpark(f, 1);
        return;
    }
    if (atomic_exchange_explicit(&p->signal, 1, memory_order_acq_rel) == 2)
        weft__futex_wake(&p->signal, 1);
}

void weft__parker_unpark_fifo(weft__parker_t *p) {
    weft_fiber_t *f = p->fiber;
    if (f) {
        weft__fiber_unpark(f, 0);
        return;
    }
    weft__parker_unpark(p);
}

static int park_thread(weft__parker_t *p, uint64_t token, int64_t deadline) {
    /* A short spin catches a wake that is already on its way (a ping-pong
     * partner on another core) without two system calls. */
    for (int i = 0; i < 200; i++) {
        if (atomic_load_explicit(&p->signal, memory_order_acquire) == 1)
            return outcome_of(p);
        weft__cpu_relax();
    }
    for (;;) {
        uint32_t s = atomic_load_explicit(&p->signal, memory_order_acquire);
        if (s == 1) return outcome_of(p);
        if (s == 0 && !atomic_compare_exchange_strong_explicit(
                          &p->signal, &s, 2, memory_order_acq_rel, memory_order_acquire))
            continue;
        if (weft__futex_wait(&p->signal, 2, deadline) == -ETIMEDOUT && deadline >= 0) {
            if (settle_as(p, token, WEFT__PARK_TIMED_OUT)) return -ETIMEDOUT;
            /* A waker won the settle first; its unpark is on the way. */
            deadline = -1;
        }
    }
}

int weft__park(weft__parker_t *p, uint64_t token, int64_t deadline, void (*after)(void *),
               void *arg) {
    deadline = weft__deadline_norm(deadline);
    weft_fiber_t *f = p->fiber;
    if (!f) {
        if (after) after(arg);
        return park_thread(p, token, deadline);
    }
    weft__worker_t *w = weft__worker_self();
    /* Outcomes this fiber can decide itself, without switching away. */
    if ((deadline >= 0 && deadline <= weft_now() &&
         settle_as(p, token, WEFT__PARK_TIMED_OUT)) ||
        ((token & WEFT__PARK_CANCELLABLE) &&
         atomic_load_explicit(&f->cancelled, memory_order_seq_cst) &&
         settle_as(p, token, WEFT__PARK_CANCELLED))) {
        if (after) after(arg);
        return outcome_of(p);
    }
    if (deadline >= 0) weft__timer_arm(w, f, deadline, token);
    w->after.kind = WEFT__AFTER_PARK;
    w->after.fiber = f;
    w->after.fn = after;
    w->after.arg = arg;
    weft__switch_out(w, f);
    if (deadline >= 0) weft__timer_disarm(f);
    return outcome_of(p);
}

int weft__in_scheduler(void) {
    weft__worker_t *w = weft__worker_self();
    return w && !w->current;
}

int weft__cancel_check(int64_t deadline) {
    weft__worker_t *w = weft__worker_self();
    weft_fiber_t *f = w ? w->current : NULL;
    if (!f || f->shield || !atomic_load_explicit(&f->cancelled, memory_order_acquire))
        return 0;
    if (weft__deadline_passed(deadline)) return 0;
    return -ECANCELED;
}

int weft__checkpoint(int64_t deadline) {
    weft__worker_t *w = weft__worker_self();
    weft_fiber_t *f = w ? w->current : NULL;
    if (!f || !w->rt->checkpoints || weft__deadline_passed(deadline)) return 0;
    w->after.kind = WEFT__AFTER_REQUEUE;
    w->after.fiber = f;
    weft__switch_out(w, f);
    return weft__cancel_check(WEFT_FOREVER);
}
