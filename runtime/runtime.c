/* runtime/runtime.c: creating, running and destroying runtimes.
 *
 * Lifetime: a runtime is OPEN (fibers may be spawned), then CLOSING (set by
 * weft_runtime_destroy, or by weft_run right after it spawns main_fn): spawns
 * still succeed while a fiber of the runtime lives, and the first moment the
 * live count reaches zero the runtime stops (sched.c): workers leave their loops
 * and are joined, then everything is freed. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/explore.h"
#include "runtime/ext.h"
#include "runtime/fault.h"
#include "runtime/fiber_impl.h"
#include "runtime/overflow.h"
#include "runtime/topology.h"
#include "runtime/watchdog.h"
#include "runtime/worker.h"

void weft__runtime_close(weft_runtime_t *rt); /* sched.c */

#define MAX_STACK ((size_t)1 << 30)

static void *worker_thread(void *arg) {
    weft__worker_t *w = arg;
    void *alt = weft__altstack_add();
    if (w->rt->pin) weft__topology_pin(w->id);
    weft__worker_loop(w);
    weft__altstack_remove(alt);
    return NULL;
}

static void free_workers(weft_runtime_t *rt, int n) {
    for (int i = 0; i < n; i++) {
        weft__worker_t *w = rt->workers[i];
        weft__stack_cache_drain(&rt->stacks, &w->stacks);
        weft__timers_free(&w->timers);
        free(w->steal_order);
        free(w);
    }
}

static void runtime_free(weft_runtime_t *rt) {
    /* A foreign waker may still be inside weft__wakeup(rt) (switch.c). */
    while (atomic_load_explicit(&rt->foreign_wakers, memory_order_acquire) != 0)
        sched_yield();
    weft__watchdog_stop(rt);
    free_workers(rt, rt->nworkers);
    weft__stack_pool_destroy(&rt->stacks);
    weft__ext_destroy_all(rt);
    weft__poller_runtime_gone(rt);
    weft__poller_fini(&rt->poller);
    free(rt->workers);
    free(rt->idle);
    free(rt);
}

static int runtime_alloc(weft_runtime_t **out, const weft_runtime_opts_t *opts) {
    weft_runtime_opts_t o;
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    if (o.workers < 0 || o.workers > WEFT_MAX_WORKERS || o.stack_size > MAX_STACK ||
        o.stack_guard < -1 || o.stack_guard > 0 || o.offload_threads < 0 ||
        o.offload_threads > WEFT_MAX_OFFLOAD_THREADS || o.watchdog < 0)
        return -EINVAL;
    int n = o.workers ? o.workers : weft__topology_cores();
    if (n > WEFT_MAX_WORKERS) n = WEFT_MAX_WORKERS;
    size_t stack =
        o.stack_size ? o.stack_size : WEFT_DEFAULT_STACK_SIZE * WEFT__SAN_STACK_FACTOR;
    if (stack < 16384) stack = 16384;

    weft__overflow_install();
    weft_runtime_t *rt = weft__calloc(1, sizeof *rt);
    if (!rt) return -ENOMEM;
    rt->nworkers = n;
    rt->checkpoints = o.checkpoints != 0;
    rt->pin = o.pin_workers != 0;
    rt->offload_max = o.offload_threads;
    rt->watchdog = o.watchdog;
    rt->report = o.report;
    rt->report_arg = o.report_arg;
    rt->fibers_lock = (weft__spin_t)WEFT__SPIN_INIT;
    rt->explore = weft__explore_seed();
    rt->workers = weft__calloc((size_t)n, sizeof *rt->workers);
    rt->idle = weft__calloc((size_t)n, sizeof *rt->idle);
    if (!rt->workers || !rt->idle) {
        free(rt->workers);
        free(rt->idle);
        free(rt);
        return -ENOMEM;
    }
    int perr = weft__poller_init(&rt->poller);
    if (perr) {
        free(rt->workers);
        free(rt->idle);
        free(rt);
        return perr;
    }
    weft__stack_pool_init(&rt->stacks, stack, o.stack_guard == 0);
    weft__mpsc_init(&rt->inject);
    rt->idle_lock = (weft__spin_t)WEFT__SPIN_INIT;
    for (int i = 0; i < n; i++) {
        weft__worker_t *w = weft__aligned_alloc(64, (sizeof *w + 63) / 64 * 64);
        int *order = weft__malloc(sizeof(int) * (size_t)(n > 1 ? n - 1 : 1));
        if (!w || !order) {
            free(w);
            free(order);
            rt->nworkers = i;
            runtime_free(rt);
            return -ENOMEM;
        }
        memset(w, 0, sizeof *w);
        w->rt = rt;
        w->id = i;
        w->rng = 0x9e3779b9u * (uint32_t)(i + 1);
        w->explore_rng = rt->explore ^ ((uint64_t)i << 32);
        w->explore_on = rt->explore != 0;
        w->tick_left = 61;
        w->steal_order = order;
        weft__topology_steal_order(n, i, order);
        weft__runq_init(&w->runq);
        w->runq.solo = n == 1;
        weft__deque_init(&w->spawns);
        weft__timers_init(&w->timers);
        rt->workers[i] = w;
    }
    *out = rt;
    return 0;
}

/* Starts the threads of workers [first, n); stops at the first failure (the
 * workers started so far keep running). */
static int start_threads(weft_runtime_t *rt, int first) {
    for (int i = first; i < rt->nworkers; i++) {
        weft__worker_t *w = rt->workers[i];
        if (weft__pthread_create(&w->thread, NULL, worker_thread, w) != 0) return -EAGAIN;
        w->own_thread = 1;
    }
    return 0;
}

static void join_threads(weft_runtime_t *rt) {
    for (int i = 0; i < rt->nworkers; i++)
        if (rt->workers[i]->own_thread) pthread_join(rt->workers[i]->thread, NULL);
}

int weft_runtime_create(weft_runtime_t **out, const weft_runtime_opts_t *opts) {
    if (!out) return -EINVAL;
    weft_runtime_t *rt;
    int r = runtime_alloc(&rt, opts);
    if (r) return r;
    r = start_threads(rt, 0);
    if (r == 0) r = weft__watchdog_start(rt);
    if (r) {
        weft__runtime_close(rt); /* no fibers yet: stops the started workers */
        join_threads(rt);
        runtime_free(rt);
        return r;
    }
    *out = rt;
    return 0;
}

int weft_runtime_destroy(weft_runtime_t *rt) {
    if (!rt) return -EINVAL;
    if (rt->made_by_run) return -EPERM;
    weft__worker_t *w = weft__worker_self();
    if (w && w->rt == rt) return -EDEADLK;
    weft__runtime_close(rt);
    join_threads(rt);
    runtime_free(rt);
    return 0;
}

struct run_main {
    void *(*fn)(void *);
    void *arg;
    void *result;
};

static void *run_main_trampoline(void *p) {
    struct run_main *m = p;
    m->result = m->fn(m->arg);
    return NULL;
}

int weft_run(const weft_runtime_opts_t *opts, void *(*main_fn)(void *), void *arg,
             void **result) {
    if (!main_fn) return -EINVAL;
    if (weft__worker_self()) return -EDEADLK;
    weft_runtime_t *rt;
    int r = runtime_alloc(&rt, opts);
    if (r) return r;
    rt->made_by_run = 1;
    struct run_main m = {main_fn, arg, NULL};
    r = weft_spawn_on(rt, NULL, run_main_trampoline, &m);
    if (r) {
        runtime_free(rt);
        return r;
    }
    weft__runtime_close(rt);
    (void)weft__watchdog_start(rt); /* without it the program still runs */
    /* If some threads cannot be created, the ones that could (at least this one)
     * still run every fiber to completion. */
    (void)start_threads(rt, 1);
    void *alt = weft__altstack_add();
    if (rt->pin) weft__topology_pin(0);
    weft__worker_loop(rt->workers[0]);
    weft__altstack_remove(alt);
    join_threads(rt);
    runtime_free(rt);
    if (result) *result = m.result;
    return 0;
}

weft_runtime_t *weft_current_runtime(void) {
    weft__worker_t *w = weft__worker_self();
    return w && w->current ? w->rt : NULL;
}

int weft_runtime_workers(const weft_runtime_t *rt) {
    return rt ? rt->nworkers : -EINVAL;
}

int weft_runtime_stats(const weft_runtime_t *rt, weft_runtime_stats_t *out) {
    if (!rt || !out) return -EINVAL;
    weft_runtime_t *m = (weft_runtime_t *)rt;
    out->fibers_live = atomic_load(&m->live) & ~WEFT__CLOSING;
    out->fibers_spawned = atomic_load(&m->spawned);
    for (int i = 0; i < m->nworkers; i++)
        out->fibers_spawned +=
            atomic_load_explicit(&m->workers[i]->spawned, memory_order_relaxed);
    out->steals = atomic_load(&m->steals);
    out->parks = atomic_load(&m->parks);
    out->stacks_mapped = atomic_load(&m->stacks.mapped);
    out->stacks_guarded = atomic_load(&m->stacks.guarded);
    return 0;
}
