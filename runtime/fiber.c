/* runtime/fiber.c: the public fiber API: spawn, join, detach, cancel, shield,
 * yield, sleep, identity (the state machine is in fiber_impl.h). */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "runtime/watchdog.h"
#include "runtime/fiber_impl.h"
#include "runtime/fls.h"
#include "runtime/futex.h"
#include "runtime/switch.h"
#include "runtime/worker.h"

enum { HANDLE_FREE, HANDLE_JOINING, HANDLE_TAKEN }; /* f->join_state */

static _Atomic uint64_t g_next_id = 1;
#define ID_BLOCK 1024

static uint64_t next_id(weft__worker_t *w) {
    if (!w) return atomic_fetch_add_explicit(&g_next_id, 1, memory_order_relaxed);
    if (w->id_next == w->id_end) {
        w->id_next =
            atomic_fetch_add_explicit(&g_next_id, ID_BLOCK, memory_order_relaxed);
        w->id_end = w->id_next + ID_BLOCK;
    }
    return w->id_next++;
}

static weft_fiber_t *current_fiber(void) {
    weft__worker_t *w = weft__worker_self();
    return w ? w->current : NULL;
}

static int spawn_common(weft_runtime_t *rt, weft__worker_t *w, weft_fiber_t **out,
                        void *(*fn)(void *), void *arg) {
    if (!rt || !fn) return -EINVAL;
    if (weft__live_inc(rt) != 0) return -ESHUTDOWN;
    if (w && w->rt != rt) w = NULL; /* a worker of another runtime: a foreign spawn */
    weft_fiber_t *f = weft__shell_get(&rt->stacks, w ? &w->stacks : NULL);
    if (!f) {
        weft__live_dec(rt);
        return -ENOMEM;
    }
    /* Every field but the stack's, explicitly: a recycled shell holds the values
     * of its previous fiber (cheaper than zeroing the object). */
    atomic_store_explicit(&f->inject.next, NULL, memory_order_relaxed);
    f->rt = rt;
    atomic_store_explicit(&f->state, WEFT__FIBER_NEW, memory_order_relaxed);
    atomic_store_explicit(&f->parker.word, WEFT__PARK_WOKEN, memory_order_relaxed);
    atomic_store_explicit(&f->parker.signal, 0, memory_order_relaxed);
    f->parker.fiber = f;
    f->shield = 0;
    atomic_store_explicit(&f->cancelled, 0, memory_order_relaxed);
    f->fn = fn;
    f->arg = arg;
    f->result = NULL;
    f->id = next_id(w);
    atomic_store_explicit(&f->refs, out ? 2u : 1u, memory_order_relaxed);
    f->join_lock = (weft__spin_t)WEFT__SPIN_INIT;
    atomic_store_explicit(&f->done, 0, memory_order_relaxed);
    atomic_store_explicit(&f->join_state, HANDLE_FREE, memory_order_relaxed);
    f->joiner = NULL;
    f->joiner_token = 0;
    atomic_store_explicit(&f->timer_owner, NULL, memory_order_relaxed);
    f->timer_deadline = 0;
    f->timer_index = WEFT__TIMER_NONE;
    f->timer_token = 0;
    f->fls = NULL;
    f->pool_next = NULL;
    weft__parker_note(&f->parker, NULL, NULL);
    if (rt->watchdog) weft__watchdog_fiber_add(f);
    weft__san_fiber_create(&f->san, f->stack_lo, f->stack_size);
    f->ctx = make_fcontext((char *)f, f->stack_size, weft__fiber_entry);
    if (w)
        atomic_store_explicit(&w->spawned,
                              atomic_load_explicit(&w->spawned, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&rt->spawned, 1, memory_order_relaxed);
    if (out) *out = f;
    weft__ready_spawn(f);
    return 0;
}

int weft_spawn(weft_fiber_t **f, void *(*fn)(void *), void *arg) {
    weft__worker_t *w = weft__worker_self();
    if (!fn) return -EINVAL;
    if (!w || !w->current) return -EPERM;
    return spawn_common(w->rt, w, f, fn, arg);
}

int weft_spawn_on(weft_runtime_t *rt, weft_fiber_t **f, void *(*fn)(void *), void *arg) {
    return spawn_common(rt, weft__worker_self(), f, fn, arg);
}

void weft__fiber_unref(weft_fiber_t *f) {
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
    weft_runtime_t *rt = f->rt;
    weft__worker_t *w = weft__worker_self();
    weft__shell_put(&rt->stacks, w && w->rt == rt ? &w->stacks : NULL, f);
}

void weft__fiber_complete(weft_fiber_t *f) {
    if (f->rt->watchdog) weft__watchdog_fiber_remove(f);
    weft__spin_lock(&f->join_lock);
    atomic_store_explicit(&f->done, 1, memory_order_release);
    weft__parker_t *j = f->joiner;
    int won = j && weft__parker_settle(j, f->joiner_token);
    weft__spin_unlock(&f->join_lock);
    atomic_store_explicit(&f->state, WEFT__FIBER_DONE, memory_order_release);
    if (won) weft__parker_unpark(j);
}

/* Moves the handle from FREE to `to`; 0, or -EBUSY if a join has it or took it. */
static int handle_claim(weft_fiber_t *f, int to) {
    int expect = HANDLE_FREE;
    return atomic_compare_exchange_strong_explicit(
               &f->join_state, &expect, to, memory_order_acq_rel, memory_order_relaxed)
               ? 0
               : -EBUSY;
}

/* Consumes a claimed handle of a finished fiber. */
static int handle_consume(weft_fiber_t *f, void **result) {
    if (result) *result = f->result;
    weft__fiber_unref(f);
    return 0;
}

int weft_join(weft_fiber_t *f, void **result, int64_t deadline) {
    if (!f) return -EINVAL;
    weft_fiber_t *self = current_fiber();
    if (f == self) return -EINVAL;
    if (atomic_load_explicit(&f->done, memory_order_acquire)) {
        /* Finished: nothing to wait for; the claim makes a racing second join
         * fail instead of releasing the handle twice. */
        int r = handle_claim(f, HANDLE_TAKEN);
        return r ? r : handle_consume(f, result);
    }
    weft__spin_lock(&f->join_lock);
    if (handle_claim(f, HANDLE_JOINING) != 0) {
        weft__spin_unlock(&f->join_lock);
        return -EBUSY;
    }
    if (!atomic_load_explicit(&f->done, memory_order_relaxed)) {
        int r = weft__cancel_check(deadline);
        if (r == 0 && weft__deadline_passed(deadline)) r = -ETIMEDOUT;
        if (r != 0) {
            atomic_store_explicit(&f->join_state, HANDLE_FREE, memory_order_release);
            weft__spin_unlock(&f->join_lock);
            return r;
        }
        weft__parker_t *p = weft__parker_self();
        int bad = weft__parker_check(p); /* a signal handler */
        if (bad) {
            atomic_store_explicit(&f->join_state, HANDLE_FREE, memory_order_release);
            weft__spin_unlock(&f->join_lock);
            return bad;
        }
        uint64_t tok = weft__parker_prepare(p);
        f->joiner = p;
        f->joiner_token = tok;
        weft__parker_note(p, "join", f);
        r = weft__park(p, tok, deadline, weft__spin_unlock_cb, &f->join_lock);
        if (r == 0) {
            /* Granted: f is done and its exit no longer touches the join fields;
             * this join holds the handle (JOINING), so nobody else can take it. */
            atomic_store_explicit(&f->join_state, HANDLE_TAKEN, memory_order_relaxed);
            return handle_consume(f, result);
        }
        /* Settled by deadline or cancel: this join received nothing. Unpublish. */
        weft__spin_lock(&f->join_lock);
        f->joiner = NULL;
        atomic_store_explicit(&f->join_state, HANDLE_FREE, memory_order_release);
        weft__spin_unlock(&f->join_lock);
        return r;
    }
    atomic_store_explicit(&f->join_state, HANDLE_TAKEN, memory_order_relaxed);
    weft__spin_unlock(&f->join_lock);
    return handle_consume(f, result);
}

int weft_detach(weft_fiber_t *f) {
    if (!f) return -EINVAL;
    int r = handle_claim(f, HANDLE_TAKEN);
    if (r) return r;
    weft__fiber_unref(f);
    return 0;
}

int weft_cancel(weft_fiber_t *f) {
    if (!f) return -EINVAL;
    /* seq_cst store then load: pairs with weft__parker_prepare's seq_cst store of a
     * new wait then its load of `cancelled` (in weft__park), so either we see the
     * wait and settle it, or the fiber sees the flag before it blocks. */
    atomic_store_explicit(&f->cancelled, 1, memory_order_seq_cst);
    uint64_t w = atomic_load_explicit(&f->parker.word, memory_order_seq_cst);
    if ((w & WEFT__PARK_STATE_MASK) == WEFT__PARK_WAITING &&
        (w & WEFT__PARK_CANCELLABLE) &&
        atomic_compare_exchange_strong_explicit(
            &f->parker.word, &w, (w & ~WEFT__PARK_STATE_MASK) | WEFT__PARK_CANCELLED,
            memory_order_acq_rel, memory_order_acquire))
        weft__parker_unpark(&f->parker);
    return 0;
}

void weft_shield_begin(void) {
    weft_fiber_t *f = current_fiber();
    if (f) f->shield++;
}

void weft_shield_end(void) {
    weft_fiber_t *f = current_fiber();
    if (f && f->shield > 0) f->shield--;
}

int weft_cancelled(void) {
    weft_fiber_t *f = current_fiber();
    return f ? atomic_load_explicit(&f->cancelled, memory_order_acquire) : 0;
}

int weft_yield(void) {
    weft__worker_t *w = weft__worker_self();
    weft_fiber_t *f = w ? w->current : NULL;
    if (!f) {
        sched_yield();
        return 0;
    }
    if (f->shield == 0 && atomic_load_explicit(&f->cancelled, memory_order_acquire))
        return -ECANCELED;
    /* The common yield with nothing else to run here (a lock holder yielding
     * while every other fiber waits for its lock) skips the full pick. */
    weft_fiber_t *next = NULL;
    if (atomic_load_explicit(&w->runq.next, memory_order_relaxed) ||
        weft__runq_len(&w->runq) != 0 || weft__deque_has_work(&w->spawns) ||
        weft__mpsc_len(&w->rt->inject) != 0 || __builtin_expect(w->explore_on, 0) ||
        w->tick_left <= 1) { /* the pick's fairness turn is due: timers, poller */
        next = weft__pick_local(w);
        if (!next) next = weft__inject_take(w);
    } else {
        w->tick_left--; /* counted as a pick */
    }
    if (!next && weft__timers_next(&w->timers) != INT64_MAX &&
        weft__timers_next(&w->timers) <= weft_now() && weft__timers_run(w, weft_now()))
        next = weft__pick_local(w);
    if (!next && w->poll_due) {
        /* A fiber yielding with nothing else runnable never switches, so the
         * poller's turn (normally taken after a switch) is taken here, or a
         * busy-yielding fiber would keep I/O waiters from ever waking. */
        w->poll_due = 0;
        if (weft__poller_poll(w, 0) > 0) next = weft__pick_local(w);
    }
    if (!next) { /* nobody else to run here; still progress for the watchdog */
        atomic_store_explicit(
            &w->switches, atomic_load_explicit(&w->switches, memory_order_relaxed) + 1,
            memory_order_relaxed);
        return 0;
    }
    w->after.kind = WEFT__AFTER_REQUEUE;
    w->after.fiber = f;
    weft__fiber_check_canary(f);
    weft__jump_to(w, &f->ctx, &f->san, next, 0);
    return 0;
}

static void thread_sleep_until(int64_t deadline) {
    if (deadline < 0) {
        static _Atomic uint32_t never;
        for (;;)
            weft__futex_wait(&never, 0, WEFT_FOREVER);
    }
    struct timespec ts = {deadline / 1000000000, deadline % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

int weft_sleep_until(int64_t deadline) {
    if (weft__deadline_passed(deadline)) return 0;
    weft_fiber_t *f = current_fiber();
    if (!f) {
        if (weft__in_scheduler()) return -EPERM; /* a signal handler on a worker */
        thread_sleep_until(deadline);
        return 0;
    }
    int r = weft__cancel_check(deadline);
    if (r) return r;
    if (weft__parker_busy(&f->parker)) return -EDEADLK; /* nested (signal handler) */
    uint64_t tok = weft__parker_prepare(&f->parker);
    weft__parker_note(&f->parker, "sleep", NULL);
    r = weft__park(&f->parker, tok, deadline, NULL, NULL);
    return r == -ECANCELED ? -ECANCELED : 0;
}

weft_fiber_t *weft_self(void) {
    return current_fiber();
}

uint64_t weft_fiber_id(const weft_fiber_t *f) {
    return f ? f->id : 0;
}
