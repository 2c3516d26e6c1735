/* runtime/switch.c: every context switch of weft, and the after-switch actions.
 *
 * weft switches directly from fiber to fiber when the worker has local work, and
 * to the worker's scheduler context (its thread stack) only when it has none, so
 * a yield or a hand-off costs one jump_fcontext, not two.
 *
 * The switch protocol (one worker thread, sequential):
 *   1. the leaving side records in w->after what must happen to it once its
 *      registers are saved (requeue, run a park action, release it after exit),
 *      sets w->save_slot to where its context must be stored and w->current to
 *      the fiber it resumes (NULL for the scheduler context);
 *   2. jump_fcontext saves the leaving side's registers on its own stack and
 *      returns, on the resumed side, the leaving side's context;
 *   3. the resumed side (weft__switch_finish) stores that context in *save_slot
 *      and only then runs the after action.
 * Step 3's order is the invariant that lets any other thread resume a parked or
 * requeued fiber as soon as it is published: it is published only after its
 * context is stored. The worker pointer travels in the transfer's data, so the
 * resumed side never trusts a worker pointer it held before the switch. */
#include <stdio.h>
#include <stdlib.h>

#include "runtime/fiber_impl.h"
#include "runtime/fls.h"
#include "runtime/overflow.h"
#include "runtime/switch.h"
#include "runtime/explore.h"
#include "runtime/worker.h"

__attribute__((noinline)) static void push_ring_full(weft__worker_t *w, weft_fiber_t *f);

static inline void push_ring(weft__worker_t *w, weft_fiber_t *f) {
    if (__builtin_expect(weft__runq_push(&w->runq, f) != 0, 0)) push_ring_full(w, f);
}

static void run_after(weft__worker_t *w) {
    weft_fiber_t *f = w->after.fiber;
    switch (w->after.kind) {
    case WEFT__AFTER_NONE:
        return;
    case WEFT__AFTER_REQUEUE:
        atomic_store_explicit(&f->state, WEFT__FIBER_RUNNABLE, memory_order_relaxed);
        push_ring(w, f);
        break;
    case WEFT__AFTER_PARK:
        /* The action first: once PARKED is visible the fiber may be resumed
         * elsewhere, and the action may touch what it then frees (the lock
         * of a joined fiber). Release: the context stored above goes with it. */
        if (w->after.fn) w->after.fn(w->after.arg);
        atomic_store_explicit(&f->state, WEFT__FIBER_PARKED, memory_order_release);
        atomic_signal_fence(memory_order_seq_cst); /* a handler's wake: park.c */
        if (__builtin_expect(w->after.wake != 0, 0)) {
            int as_next = w->after.wake == 2;
            w->after.wake = 0;
            weft__ready(f, as_next);
        }
        break;
    case WEFT__AFTER_EXIT: {
        weft_runtime_t *rt = f->rt;
        weft__fiber_unref(f);
        weft__live_dec(rt);
        break;
    }
    }
    w->after.kind = WEFT__AFTER_NONE;
}

/* Step 3 of the protocol; returns the worker now running us. */
weft__worker_t *weft__switch_finish(weft__transfer_t t) {
    weft__worker_t *w = t.data;
    *w->save_slot = t.fctx;
    weft__san_after_switch(w->current ? &w->current->san : &w->sched_san);
    run_after(w);
    atomic_store_explicit(&w->switches,
                          atomic_load_explicit(&w->switches, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    if (__builtin_expect(w->poll_due, 0)) {
        /* A busy worker's look at the poller (every 61st pick), so that I/O is
         * noticed even when no worker is idle to block in epoll_wait. */
        w->poll_due = 0;
        w->explore_off++;
        weft__poller_poll(w, 0);
        w->explore_off--;
    }
    return w;
}

__attribute__((noinline)) static void push_ring_full(weft__worker_t *w, weft_fiber_t *f) {
    /* Ring full: move half of it to the injection queue, oldest first, where any
     * worker can take them; then f fits. */
    weft_fiber_t *batch[WEFT__RUNQ_SIZE / 2];
    uint32_t n = weft__runq_pop_batch(&w->runq, batch, WEFT__RUNQ_SIZE / 2);
    for (uint32_t i = 0; i < n; i++)
        weft__mpsc_push(&w->rt->inject, &batch[i]->inject);
    if (weft__runq_push(&w->runq, f) != 0) weft__mpsc_push(&w->rt->inject, &f->inject);
}

/* From outside the runtime (a plain thread, a worker of another runtime): once
 * f is in the injection queue it may run, finish, and let the runtime stop and
 * be freed while this thread still calls weft__wakeup(rt). The runtime waits for
 * `foreign_wakers` to drain before it frees itself (runtime.c), and f, still
 * parked or new when the count is raised, keeps the runtime alive until then. */
static void inject_foreign(weft_runtime_t *rt, weft_fiber_t *f) {
    atomic_fetch_add_explicit(&rt->foreign_wakers, 1, memory_order_relaxed);
    weft__mpsc_push(&rt->inject, &f->inject);
    weft__wakeup(rt);
    atomic_fetch_sub_explicit(&rt->foreign_wakers, 1, memory_order_release);
}

void weft__ready(weft_fiber_t *f, int as_next) {
    weft_runtime_t *rt = f->rt;
    weft__worker_t *w = weft__worker_self();
    if (w && w->rt == rt) {
        if (as_next) {
            weft_fiber_t *old = weft__runq_next_swap(&w->runq, f);
            if (old) push_ring(w, old);
        } else {
            push_ring(w, f);
        }
        if (rt->nworkers > 1) weft__wakeup(rt);
        return;
    }
    inject_foreign(rt, f);
}

void weft__ready_spawn(weft_fiber_t *f) {
    weft_runtime_t *rt = f->rt;
    weft__worker_t *w = weft__worker_self();
    if (w && w->rt == rt) {
        if (weft__deque_push(&w->spawns, f) != 0) push_ring(w, f);
        if (rt->nworkers > 1) weft__wakeup(rt);
        return;
    }
    inject_foreign(rt, f);
}

/* Takes up to a fair share of the injection queue into the local ring; returns
 * the first fiber, or NULL. */
weft_fiber_t *weft__inject_take(weft__worker_t *w) {
    weft_runtime_t *rt = w->rt;
    size_t len = weft__mpsc_len(&rt->inject);
    if (len == 0 || !weft__mpsc_try_consume(&rt->inject)) return NULL;
    size_t share = len / (size_t)rt->nworkers + 1;
    if (share > WEFT__RUNQ_SIZE / 2) share = WEFT__RUNQ_SIZE / 2;
    weft_fiber_t *first = NULL;
    for (size_t i = 0; i < share; i++) {
        weft__mpsc_node_t *n = weft__mpsc_pop(&rt->inject);
        if (!n) break;
        weft_fiber_t *f =
            (weft_fiber_t *)((char *)n - offsetof(struct weft_fiber, inject));
        if (!first)
            first = f;
        else if (weft__runq_push(&w->runq, f) != 0) {
            weft__mpsc_end_consume(&rt->inject);
            weft__mpsc_push(&rt->inject, &f->inject);
            return first;
        }
    }
    weft__mpsc_end_consume(&rt->inject);
    return first;
}

/* The next fiber from this worker's own queues, or NULL. Fibers cancelled before
 * they started are finished here instead of being run. */
/* Exploration: the next fiber from a source chosen at random (explore.h). */
static weft_fiber_t *pick_explore(weft__worker_t *w) {
    unsigned first = (unsigned)(weft__explore_next(w) % 4);
    for (unsigned i = 0; i < 4; i++) {
        weft_fiber_t *f = NULL;
        switch ((first + i) % 4) {
        case 0:
            f = weft__runq_next_take(&w->runq);
            break;
        case 1:
            f = weft__deque_pop(&w->spawns);
            break;
        case 2:
            f = weft__runq_pop(&w->runq);
            break;
        case 3:
            f = weft__inject_take(w);
            break;
        }
        if (f) return f;
    }
    return NULL;
}

/* Every 61st pick: the timers, the injection queue and the ring get a turn even
 * when newer local work never runs out. */
__attribute__((noinline)) static weft_fiber_t *fairness_turn(weft__worker_t *w) {
    w->tick_left = 61;
    weft__timers_run(w, weft_now());
    /* Not here: the fiber switching out may still hold the lock its park
     * releases after the switch. Once the switch is finished. */
    if (weft__poller_wanted(&w->rt->poller)) w->poll_due = 1;
    weft_fiber_t *f = weft__inject_take(w);
    return f ? f : weft__runq_pop(&w->runq);
}

weft_fiber_t *weft__pick_local(weft__worker_t *w) {
    if (__builtin_expect(w->explore_on, 0)) return pick_explore(w);
    weft_fiber_t *f = NULL;
    if (__builtin_expect(--w->tick_left == 0, 0)) f = fairness_turn(w);
    if (!f) {
        if (w->next_streak < 3 ||
            (weft__runq_len(&w->runq) == 0 && !weft__deque_has_work(&w->spawns))) {
            f = weft__runq_next_take(&w->runq);
            if (f) w->next_streak++;
        }
        if (!f) {
            w->next_streak = 0;
            f = weft__deque_pop(&w->spawns);
            if (!f) f = weft__runq_pop(&w->runq);
        }
    }
    return f;
}

/* A fiber's life up to its final switch, in frames that all return (under
 * TSan they are instrumented, so their entries and exits must balance; see
 * sanitize.c): its function unless it was cancelled before it started, its
 * completion, and step 1 of its final switch. Returns the worker running it;
 * w->current is the context to resume. */
__attribute__((noinline)) static weft__worker_t *fiber_life(weft__transfer_t t) {
    weft__worker_t *w = weft__switch_finish(t);
    weft_fiber_t *f = w->current;
    /* A fiber cancelled before it started never runs its function. It is
     * finished here, on its own stack, rather than by whoever picked it: the
     * picker may be a fiber parking with a lock held (joining this very fiber,
     * say), which only the after-switch action above has now released. */
    if (!atomic_load_explicit(&f->cancelled, memory_order_acquire)) {
        void *result = f->fn(f->arg);
        weft__fls_exit(f);
        f->result = result;
    }
    weft__fiber_complete(f);
    /* The fiber may have moved while it ran: ask again which worker runs it. */
    w = weft__worker_self();
    weft__fiber_check_canary(f);
    w->after.kind = WEFT__AFTER_EXIT;
    w->after.fiber = f;
    weft__switch_begin(w, &f->ctx, weft__pick_local(w));
    return w;
}

/* The first frame of every fiber. Frameless under TSan: the final jump leaves
 * from here, and a frame TSan recorded here would never be exited. Besides
 * calls, it only reads what step 1 left in w (not seen by TSan, which is fine
 * for reads by the thread that just wrote them). */
WEFT__SAN_FRAMELESS void weft__fiber_entry(weft__transfer_t t) {
    weft__worker_t *w = fiber_life(t);
    weft_fiber_t *next = w->current;
    weft__san_before_switch(NULL, next ? &next->san : &w->sched_san, 1);
    jump_fcontext(next ? next->ctx : w->sched_fctx, w);
    fprintf(stderr, "weft: internal error: a finished fiber was resumed\n");
    abort();
}

void weft__run_from_scheduler(weft__worker_t *w, weft_fiber_t *f) {
    weft__jump_to(w, &w->sched_fctx, &w->sched_san, f, 0);
}
