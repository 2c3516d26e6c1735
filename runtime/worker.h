/* runtime/worker.h: the runtime object and its workers (one OS thread each).
 *
 * All scheduler state hangs off the runtime handle; the only thread-local is
 * "which worker am I" (tls.c), read through non-inlined accessors so that no
 * compiler keeps a thread-local address across a switch. A fiber may resume on
 * another worker after any switch: code re-reads the worker after every switch. */
#ifndef WEFT_RUNTIME_WORKER_H
#define WEFT_RUNTIME_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "runtime/deque.h"
#include "runtime/ext.h"
#include "runtime/fcontext.h"
#include "runtime/mpsc.h"
#include "runtime/poller.h"
#include "runtime/runq.h"
#include "runtime/sanitize.h"
#include "runtime/spin.h"
#include "runtime/stack.h"
#include "runtime/timer.h"
#include "weft/runtime.h"

/* What the context we switch to must do for the one we left, once the latter's
 * registers are saved (see switch.c). */
enum weft__after_kind {
    WEFT__AFTER_NONE,
    WEFT__AFTER_REQUEUE, /* yield: put the previous fiber at the ring's tail */
    WEFT__AFTER_PARK,    /* park: run the park's action, then store PARKED */
    WEFT__AFTER_EXIT,    /* exit: drop the finished fiber's running reference */
};

typedef struct weft__worker {
    /* --- owned by this worker's thread --- */
    weft_runtime_t *rt;
    int id;
    weft_fiber_t *current;   /* running fiber, NULL in the scheduler context */
    weft__fctx_t sched_fctx; /* the scheduler loop's saved context */
    weft__san_ctx_t sched_san;
    weft__fctx_t *save_slot;     /* where the resumed side stores the context we left */
    weft__san_ctx_t *resume_san; /* sanitizer state of the context being resumed */
    struct {
        int kind;
        weft_fiber_t *fiber;
        void (*fn)(void *);
        void *arg;
        /* A winning settle made on this very thread while the parking fiber
         * was still switching out (its own timer fired by the pick, or a
         * signal handler): 1 ring tail, 2 run-next; the after action enqueues
         * it once PARKED is stored. Never reset by a park's setup. */
        int wake;
    } after;
    uint32_t tick_left;   /* picks until the fairness turn (every 61st pick) */
    uint32_t next_streak; /* consecutive picks from the run-next slot */
    int poll_due;         /* poll without blocking once the current switch is done */
    uint32_t rng;
    uint64_t explore_rng;      /* schedule exploration (explore.h) */
    int explore_off;           /* > 0: no exploration yields here (inside a switch) */
    int explore_on;            /* rt->explore != 0, kept here for the pick's test */
    _Atomic uint64_t switches; /* fibers resumed here (the watchdog's progress mark) */
    uint64_t id_next, id_end;  /* a block of fiber ids taken from the global counter */
    _Atomic uint64_t spawned;  /* written only by this worker (no locked add) */
    int spinning;              /* counted in rt->nspinning */
    weft__stack_cache_t stacks;
    int *steal_order; /* the other workers, nearest first */
    pthread_t thread;
    int own_thread; /* 0 for worker 0 of weft_run (the caller's thread) */
    void *altstack;

    /* --- shared --- */
    weft__runq_t runq;
    weft__deque_t spawns;
    weft__timers_t timers;
    _Atomic uint32_t park_word; /* futex: 1 once woken from the idle list */
    int idle_listed;            /* guarded by rt->idle_lock */
} weft__worker_t;

#define WEFT__CLOSING ((uint64_t)1 << 63)

struct weft_runtime {
    int nworkers;
    int checkpoints;
    uint64_t explore; /* the exploration seed, 0: off (explore.h) */
    int pin;
    int made_by_run; /* created by weft_run, destroyed by it */
    weft__worker_t **workers;
    weft__stack_pool_t stacks;
    weft__mpsc_t inject;
    weft__poller_t poller;
    weft__ext_t *_Atomic ext[WEFT__EXT_MAX]; /* extensions (ext.h), made on first use */
    int offload_max; /* weft_runtime_opts_t.offload_threads, for the offload pool */

    /* live fibers, with WEFT__CLOSING set once the runtime may stop at zero */
    _Atomic uint64_t live;
    _Atomic int stopping;

    /* idle workers: a stack of ids; nidle mirrors its size for lock-free reads */
    weft__spin_t idle_lock;
    int *idle;
    atomic_int nidle;
    atomic_int nspinning;

    /* threads outside the runtime between injecting a fiber and finishing their
     * wake-up of a worker (switch.c); the runtime is freed only at zero */
    _Atomic int foreign_wakers;

    /* watchdog (runtime/watchdog.h) */
    int64_t watchdog; /* ns, 0: off */
    void (*report)(void *, const char *);
    void *report_arg;
    pthread_t watchdog_thread;
    int watchdog_running;
    _Atomic uint32_t watchdog_stop;
    weft__spin_t fibers_lock;
    weft_fiber_t *fibers; /* live fibers, while the watchdog is on */

    /* stats */
    _Atomic uint64_t spawned, steals, parks;
};

/* The calling thread's worker (any runtime), or NULL. Never cached across a switch. */
weft__worker_t *weft__worker_self(void);
void weft__worker_set(weft__worker_t *w);

/* Makes a RUNNABLE (or NEW) fiber runnable: on the caller's run-next slot when the
 * caller is a worker of f's runtime (`as_next`), its ring otherwise, or through the
 * injection queue from anywhere else; wakes an idle worker if needed. */
void weft__ready(weft_fiber_t *f, int as_next);

/* Makes a NEW fiber runnable: on the caller's spawn deque when the caller is a
 * worker of f's runtime, else through the injection queue. */
void weft__ready_spawn(weft_fiber_t *f);

/* Wakes one idle worker to spin if none is spinning (see sched.c). */
void weft__wakeup(weft_runtime_t *rt);

/* live-fiber accounting; the decrement that reaches zero on a closing runtime
 * stops it. */
int weft__live_inc(weft_runtime_t *rt);
void weft__live_dec(weft_runtime_t *rt);

/* The scheduler loop of worker w on the calling thread; returns when the runtime stops.
 */
void weft__worker_loop(weft__worker_t *w);

/* The next fiber from w's own queues, or NULL. Order: every 61st pick the
 * timers, the injection queue and the ring (so they are never starved); else the
 * run-next slot (at most 3 times in a row while other work waits), the spawn
 * deque (newest first), the ring (oldest first). */
weft_fiber_t *weft__pick_local(weft__worker_t *w);

/* A fair share of the injection queue moved into w's ring; returns one to run. */
weft_fiber_t *weft__inject_take(weft__worker_t *w);

/* From the scheduler context: runs f until some fiber switches back to it. */
void weft__run_from_scheduler(weft__worker_t *w, weft_fiber_t *f);

/* Entry point of every new fiber's first context (never returns). */
void weft__fiber_entry(weft__transfer_t t);

#endif
