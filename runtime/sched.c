/* runtime/sched.c: finding work, work stealing, and parking idle workers.
 *
 * Vocabulary: a worker is RUNNING fibers, SPINNING (looking for work to steal,
 * counted in rt->nspinning), or IDLE (on rt's idle list, asleep on its futex
 * w->park_word).
 *
 * The problem: a worker must not sleep while work it could run exists, and a
 * producer of work (a spawn, a wake-up, a timer) must not pay a system call to
 * wake a worker when another is already awake and looking. Rejected designs:
 *   (a) one global queue under a lock, with a condvar: every spawn and wake-up
 *       contends on one lock, and every producer signals;
 *   (b) waking an idle worker on every submission: a ping-pong between two
 *       fibers then costs a futex wake per message, and woken workers find the
 *       work already taken (thrash, cf. Go issue 13527);
 *   (c) idle workers polling with a timeout: burns CPU when idle and adds latency.
 *
 * The protocol (as Go's scheduler): at most one worker is woken to spin for a
 * given burst of work, and spinning workers are responsible for waking the next.
 *   Submission (weft__ready, weft__wakeup):
 *     S1. publish the fiber (run queue, run-next slot or injection queue);
 *     S2. full fence (A);
 *     S3. if nspinning == 0 and nidle > 0, CAS nspinning 0 -> 1 and wake one idle
 *         worker, which starts out spinning (the waker counted it).
 *   A spinning worker that finds work:
 *     F1. stops spinning: nspinning -= 1; if it was the last spinner, it wakes
 *         another idle worker (more work may follow the piece it found).
 *   A worker that finds nothing (after spinning a bounded time):
 *     P1. stops spinning (nspinning -= 1), puts itself on the idle list
 *         (nidle += 1), then full fence (B);
 *     P2. re-checks every queue (injection queue, every worker's run queue and
 *         run-next slot, its own timers); if it finds work, it takes itself off
 *         the idle list (or, if a waker already took it off, accepts that wake)
 *         and looks again;
 *     P3. else sleeps until woken or until its earliest timer: in epoll_wait if
 *         fibers wait for I/O and no other worker polls (poller.h), else on
 *         its futex.
 *   Fences (A) and (B) pair: either the submitter sees the idle worker in S3, or
 *   the worker sees the published fiber in P2. No wake-up is lost.
 * Timers: an idle worker sleeps no later than its earliest timer; a spinning
 * worker also fires other workers' due timers (a busy worker fires its own only
 * between fibers, every 61 picks).
 * I/O: while fibers wait for I/O, a worker looking for work also polls the
 * runtime's epoll set without blocking (once before spinning, then on every
 * spin round), and a busy worker does so every 61 picks (switch.c).
 * Stealing order: victims nearest first (runtime/topology.c); from each, the
 * oldest fiber of its spawn deque (the root of its largest pending subtree),
 * else half of its ring. A victim's run-next fiber, and the lone spawn of a
 * victim with nothing else queued, are taken only on the last of 4 passes,
 * after a 3 us pause: they are what the victim is about to run, and taking them
 * would move a spawn-then-join or a hand-off pair across cores for nothing.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "runtime/fiber_impl.h"
#include "runtime/futex.h"
#include "runtime/worker.h"

#define SPIN_NS            50000 /* how long a worker looks for work before it sleeps */
#define LAST_PASS_PAUSE_NS 3000  /* before a steal of a victim's next fiber */

static void pause_ns(int64_t ns) {
    int64_t until = weft_now() + ns;
    while (weft_now() < until)
        weft__cpu_relax();
}

void weft__wakeup(weft_runtime_t *rt) {
    atomic_thread_fence(memory_order_seq_cst); /* (A) */
    if (atomic_load_explicit(&rt->nspinning, memory_order_relaxed) != 0 ||
        atomic_load_explicit(&rt->nidle, memory_order_relaxed) == 0)
        return;
    int zero = 0;
    if (!atomic_compare_exchange_strong(&rt->nspinning, &zero, 1)) return;
    weft__worker_t *w = NULL;
    weft__spin_lock(&rt->idle_lock);
    int n = atomic_load_explicit(&rt->nidle, memory_order_relaxed);
    if (n > 0) {
        w = rt->workers[rt->idle[n - 1]];
        w->idle_listed = 0;
        atomic_store_explicit(&rt->nidle, n - 1, memory_order_relaxed);
    }
    weft__spin_unlock(&rt->idle_lock);
    if (!w) {
        atomic_fetch_sub(&rt->nspinning, 1);
        return;
    }
    atomic_store_explicit(&w->park_word, 1, memory_order_seq_cst);
    weft__futex_wake(&w->park_word, 1);
    weft__poller_kick_if(&rt->poller, w);
}

static void wake_all(weft_runtime_t *rt) {
    for (int i = 0; i < rt->nworkers; i++) {
        weft__worker_t *w = rt->workers[i];
        atomic_store_explicit(&w->park_word, 1, memory_order_seq_cst);
        weft__futex_wake(&w->park_word, 1);
        weft__poller_kick_if(&rt->poller, w);
    }
}

int weft__live_inc(weft_runtime_t *rt) {
    uint64_t v = atomic_load_explicit(&rt->live, memory_order_relaxed);
    for (;;) {
        if (v == WEFT__CLOSING) return -ESHUTDOWN; /* closing and nothing left */
        if (atomic_compare_exchange_weak_explicit(
                &rt->live, &v, v + 1, memory_order_acq_rel, memory_order_relaxed))
            return 0;
    }
}

static void stop(weft_runtime_t *rt) {
    atomic_store_explicit(&rt->stopping, 1, memory_order_seq_cst);
    wake_all(rt);
}

void weft__live_dec(weft_runtime_t *rt) {
    if (atomic_fetch_sub_explicit(&rt->live, 1, memory_order_acq_rel) - 1 ==
        WEFT__CLOSING)
        stop(rt);
}

void weft__runtime_close(weft_runtime_t *rt) {
    if (atomic_fetch_or_explicit(&rt->live, WEFT__CLOSING, memory_order_acq_rel) == 0)
        stop(rt);
}

/* One pass over the victims. `last` is the fourth pass: only then does a thief
 * take a victim's run-next fiber or the single spawn of a victim that has
 * nothing else queued. Such a lone fiber is most likely the one its worker is
 * about to run (a spawn followed by a join, a hand-off), and taking it would
 * only move both fibers across cores; the caller pauses briefly before the last
 * pass to give the victim that chance (as Go does for its run-next slot). */
static weft_fiber_t *steal_pass(weft__worker_t *w, int last) {
    weft_runtime_t *rt = w->rt;
    int64_t now = -1;
    for (int i = 0; i < rt->nworkers - 1; i++) {
        weft__worker_t *v = rt->workers[w->steal_order[i]];
        weft_fiber_t *f = NULL;
        if (last || weft__deque_len(&v->spawns) > 1 || weft__runq_len(&v->runq) > 0)
            f = weft__deque_steal(&v->spawns);
        if (!f) f = weft__runq_steal(&v->runq, &w->runq, last);
        if (f) {
            atomic_fetch_add_explicit(&rt->steals, 1, memory_order_relaxed);
            return f;
        }
        if (weft__timers_next(&v->timers) != INT64_MAX) {
            if (now < 0) now = weft_now();
            if (weft__timers_run(v, now)) {
                f = weft__pick_local(w);
                if (f) return f;
            }
        }
    }
    return NULL;
}

static int work_visible(weft__worker_t *w) {
    weft_runtime_t *rt = w->rt;
    if (weft__mpsc_len(&rt->inject) != 0) return 1;
    for (int i = 0; i < rt->nworkers; i++)
        if (weft__runq_has_work(&rt->workers[i]->runq) ||
            weft__deque_has_work(&rt->workers[i]->spawns))
            return 1;
    return weft__timers_next(&w->timers) <= weft_now();
}

static void idle_push(weft__worker_t *w) {
    weft_runtime_t *rt = w->rt;
    weft__spin_lock(&rt->idle_lock);
    int n = atomic_load_explicit(&rt->nidle, memory_order_relaxed);
    rt->idle[n] = w->id;
    w->idle_listed = 1;
    atomic_store_explicit(&rt->nidle, n + 1, memory_order_relaxed);
    weft__spin_unlock(&rt->idle_lock);
}

/* Takes w off the idle list. 1 if it was still listed; 0 if a waker took it off
 * (and then counted it as spinning). */
static int idle_remove(weft__worker_t *w) {
    weft_runtime_t *rt = w->rt;
    int was = 0;
    weft__spin_lock(&rt->idle_lock);
    if (w->idle_listed) {
        int n = atomic_load_explicit(&rt->nidle, memory_order_relaxed);
        for (int i = 0; i < n; i++) {
            if (rt->idle[i] == w->id) {
                rt->idle[i] = rt->idle[n - 1];
                break;
            }
        }
        atomic_store_explicit(&rt->nidle, n - 1, memory_order_relaxed);
        w->idle_listed = 0;
        was = 1;
    }
    weft__spin_unlock(&rt->idle_lock);
    return was;
}

static void stop_spinning(weft__worker_t *w, int found_work) {
    if (!w->spinning) return;
    w->spinning = 0;
    if (atomic_fetch_sub(&w->rt->nspinning, 1) == 1 && found_work) weft__wakeup(w->rt);
}

/* Blocks until there is a fiber for w to run; NULL once the runtime stops. */
static weft_fiber_t *find_runnable(weft__worker_t *w) {
    weft_runtime_t *rt = w->rt;
    for (;;) {
        if (atomic_load_explicit(&rt->stopping, memory_order_acquire)) {
            stop_spinning(w, 0);
            return NULL;
        }
        weft__timers_run(w, weft_now());
        weft_fiber_t *f = weft__pick_local(w);
        if (!f) f = weft__inject_take(w);
        if (!f && weft__poller_wanted(&rt->poller) && weft__poller_poll(w, 0) > 0)
            f = weft__pick_local(w);
        if (f) {
            stop_spinning(w, 1);
            return f;
        }
        /* Spin only if few others do: at most half of the busy workers. A lone
         * worker spins too (polling the injection queue), so a wake-up from a
         * plain thread that arrives within the spin costs no futex wake. */
        if (!w->spinning) {
            int busy = rt->nworkers - atomic_load(&rt->nidle);
            if (2 * atomic_load(&rt->nspinning) < busy) {
                w->spinning = 1;
                atomic_fetch_add(&rt->nspinning, 1);
            }
        }
        if (w->spinning) {
            int64_t until = weft_now() + SPIN_NS, now;
            do {
                for (int pass = 0; pass < 4 && !f && rt->nworkers > 1; pass++) {
                    if (pass == 3) pause_ns(LAST_PASS_PAUSE_NS);
                    f = steal_pass(w, pass == 3);
                }
                if (!f) f = weft__inject_take(w);
                /* I/O that became ready while we spin is work too. */
                if (!f && weft__poller_wanted(&rt->poller) && weft__poller_poll(w, 0) > 0)
                    f = weft__pick_local(w);
                if (f) {
                    stop_spinning(w, 1);
                    return f;
                }
                /* Give the core away if anything else wants it: the client of a
                 * server on the same machine, another process. Spinning is a
                 * bet that work comes soon; it must not take the CPU that work
                 * would come from. On an otherwise idle core this returns at
                 * once. (Measured: redis-benchmark against the RESP example on
                 * 2 shared cores, about 0.85x redis-server without, 1.0-1.1x
                 * with; wrk and the sync benchmarks unchanged.) */
                sched_yield();
                now = weft_now();
            } while (now < until && weft__timers_next(&w->timers) > now &&
                     !atomic_load_explicit(&rt->stopping, memory_order_relaxed));
        }
        /* P1 */
        stop_spinning(w, 0);
        atomic_store_explicit(&w->park_word, 0, memory_order_relaxed);
        idle_push(w);
        atomic_thread_fence(memory_order_seq_cst); /* (B) */
        /* P2 */
        if (work_visible(w) || atomic_load(&rt->stopping)) {
            if (!idle_remove(w)) w->spinning = 1; /* a waker counted us as spinning */
            continue;
        }
        /* P3 */
        int64_t deadline = weft__timers_next(&w->timers);
        if (deadline == INT64_MAX) deadline = WEFT_FOREVER;
        atomic_fetch_add_explicit(&rt->parks, 1, memory_order_relaxed);
        /* With fibers waiting for I/O, one idle worker sleeps in epoll_wait. */
        if (!weft__poller_wanted(&rt->poller) ||
            weft__poller_poll(w, deadline) == -EBUSY) {
            while (atomic_load_explicit(&w->park_word, memory_order_acquire) == 0) {
                if (weft__futex_wait(&w->park_word, 0, deadline) == -ETIMEDOUT) break;
            }
        }
        if (!idle_remove(w)) w->spinning = 1;
    }
}

void weft__worker_loop(weft__worker_t *w) {
    weft__worker_set(w);
    weft__san_thread_ctx(&w->sched_san);
    for (;;) {
        weft_fiber_t *f = find_runnable(w);
        if (!f) break;
        weft__run_from_scheduler(w, f);
    }
    weft__worker_set(NULL);
}
