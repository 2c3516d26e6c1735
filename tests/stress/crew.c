/* tests/stress/crew.c: running one workload: its participants (fibers of runtime
 * A, fibers of runtime B, plain threads), the supervisors that restart cancelled
 * fibers, the canceller, the hang monitor and the checks every workload ends
 * with.
 *
 * Invariants checked here for every workload:
 *  - every participant is joined (its supervisor or thread returns);
 *  - nothing stays parked: the rendezvous barrier has no waiter and destroys;
 *    the workload's own finish() checks its primitives the same way;
 *  - no fiber is left alive: fibers_live of both runtimes drops to 0, and both
 *    runtimes (made for this workload) are destroyed.
 * Hangs: the monitor thread aborts the run with a dump when no participant has
 * completed an operation for ST_HANG_SECONDS (a deadlock or a lost wake-up; never
 * a timing assertion: the limit is far above any honest stall).
 *
 * Cancellation protocol: a victim marks its WEFT_FOREVER calls (st_call_begin);
 * the canceller picks a random victim and cancels its current incarnation when
 * it is marked and its fiber is PARKED. The incarnation publishes itself in
 * p->cur under p->slot_lock from its first instruction to its last, so the
 * canceller never touches a joined handle. */
#include "stress.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/fiber_impl.h"
#include "sync/waitq.h"

#define ST_HANG_SECONDS 120

static const char *const kind_short[] = {"A", "B", "thread"};

/* --- participants --- */

static void publish(st_part_t *p, weft_fiber_t *f) {
    pthread_mutex_lock(&p->slot_lock);
    p->cur = f;
    pthread_mutex_unlock(&p->slot_lock);
}

/* One incarnation: steps until done or cancelled. Returns non-NULL if it ended
 * because it was cancelled (the supervisor then starts the next one). */
static void *incarnation(void *arg) {
    st_part_t *p = arg;
    publish(p, weft_self());
    int cancelled = 0;
    while (!p->done && !cancelled) {
        if (p->crew->w->step(p) == ST_DONE)
            p->done = 1;
        else
            cancelled = weft_cancelled();
    }
    publish(p, NULL);
    return cancelled ? p : NULL;
}

static void *supervisor(void *arg) {
    st_part_t *p = arg;
    for (;;) {
        weft_fiber_t *f = NULL;
        int r = weft_spawn(&f, incarnation, p);
        ST_CREW_CHECK_EQ(p->crew, r, 0);
        void *again = NULL;
        r = weft_join(f, &again, WEFT_FOREVER);
        ST_CREW_CHECK_EQ(p->crew, r, 0);
        if (!again) break;
        p->incarnations++;
    }
    return NULL;
}

static void *thread_main(void *arg) {
    st_part_t *p = arg;
    while (!p->done)
        if (p->crew->w->step(p) == ST_DONE) p->done = 1;
    return NULL;
}

int st_rendezvous(st_part_t *p) {
    st_shield_begin(p);
    st_call_begin(p, "rendezvous", ST_FOREVER);
    int r = weft_barrier_wait(&p->crew->rv, WEFT_FOREVER);
    st_call_end(p, r);
    ST_CHECKV(p, r >= 0 && r < p->crew->nparts, r, p->crew->nparts);
    st_shield_end(p);
    return r;
}

/* --- the canceller --- */

static void *canceller(void *arg) {
    st_crew_t *c = arg;
    uint64_t x = c->seed ^ 0xc0ffee;
    uint64_t rng[2] = {st_splitmix(&x), st_splitmix(&x)};
    int victims[ST_MAX_PARTS], nv = 0;
    for (int i = 0; i < c->nparts; i++)
        if (c->parts[i].victim) victims[nv++] = i;
    while (!atomic_load(&c->stop) && nv > 0) {
        /* Pacing only (how often a cancel is attempted), not synchronization. */
        unsigned mean = c->w->cancel_pause_us ? c->w->cancel_pause_us : 200;
        weft_sleep_until(weft_after(WEFT_USEC(st_rand(rng) % (2 * mean + 1))));
        unsigned start = (unsigned)(st_rand(rng) % (unsigned)nv);
        for (int k = 0; k < nv; k++) {
            st_part_t *p = &c->parts[victims[(start + (unsigned)k) % (unsigned)nv]];
            pthread_mutex_lock(&p->slot_lock);
            weft_fiber_t *f = p->cur;
            int hit = f && atomic_load(&p->in_forever) &&
                      atomic_load(&f->state) == WEFT__FIBER_PARKED;
            if (hit) {
                if (weft_cancel(f) != 0) {
                    fprintf(stderr, "weft_stress: weft_cancel failed\n");
                    abort();
                }
                atomic_fetch_add(&c->cancels, 1);
            }
            pthread_mutex_unlock(&p->slot_lock);
            if (hit) break;
        }
    }
    return NULL;
}

/* --- the hang monitor --- */

static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mon_cond = PTHREAD_COND_INITIALIZER;
static int mon_done;

static const char *state_name(int s) {
    static const char *const n[] = {"new", "runnable", "running", "parked", "done"};
    return s >= 0 && s <= 4 ? n[s] : "none";
}

static void hang_report(st_crew_t *c) {
    fprintf(stderr,
            "\nweft_stress: HANG in workload %s (seed %llu): no operation completed "
            "for %d s (a deadlock or a lost wake-up)\n",
            c->w->name, (unsigned long long)c->seed, ST_HANG_SECONDS);
    for (int i = 0; i < c->nparts; i++) {
        st_part_t *p = &c->parts[i];
        const char *doing = atomic_load(&p->doing);
        pthread_mutex_lock(&p->slot_lock);
        int st = p->cur ? atomic_load(&p->cur->state) : -1;
        pthread_mutex_unlock(&p->slot_lock);
        fprintf(stderr, "  participant %2d (%s): %llu ops, %s, in %s%s, fiber %s\n", i,
                kind_short[p->kind], (unsigned long long)atomic_load(&p->ops),
                p->done ? "done" : "running", doing ? doing : "-",
                atomic_load(&p->in_forever) ? " (forever)" : "",
                p->kind == ST_THREAD ? "-" : state_name(st));
    }
    if (c->w->dump) c->w->dump(c);
    fprintf(stderr, "  repeat: weft_stress --only %s --seed %llu\n", c->w->name,
            (unsigned long long)c->seed);
    fflush(stderr);
    abort();
}

static void *monitor(void *arg) {
    st_crew_t *c = arg;
    uint64_t last = UINT64_MAX;
    int64_t since = weft_now();
    pthread_mutex_lock(&mon_lock);
    while (!mon_done) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&mon_cond, &mon_lock, &ts);
        if (mon_done) break;
        uint64_t ops = 0;
        for (int i = 0; i < c->nparts; i++)
            ops += atomic_load_explicit(&c->parts[i].ops, memory_order_relaxed);
        if (ops != last) {
            last = ops;
            since = weft_now();
        } else if (weft_now() - since >= WEFT_SEC(ST_HANG_SECONDS)) {
            hang_report(c);
        }
    }
    pthread_mutex_unlock(&mon_lock);
    return NULL;
}

/* --- one workload --- */

static uint64_t name_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Waits (patiently: fibers_live drops a moment after the final switch) until
 * runtime rt has no fiber alive, then checks it. */
static void check_no_fiber_left(st_crew_t *c, weft_runtime_t *rt) {
    weft_runtime_stats_t st;
    int64_t limit = weft_after(WEFT_SEC(ST_HANG_SECONDS));
    for (;;) {
        ST_CREW_CHECK_EQ(c, weft_runtime_stats(rt, &st), 0);
        if (st.fibers_live == 0 || weft_now() > limit) break;
        sched_yield();
    }
    ST_CREW_CHECK_EQ(c, st.fibers_live, 0);
}

void st_run_workload(const st_workload_t *w, uint64_t budget, uint64_t seed,
                     st_result_t *out) {
    st_crew_t c;
    memset(&c, 0, sizeof c);
    c.w = w;
    c.seed = seed;
    c.budget = budget;
    c.nparts = w->nparts;
    c.parts = aligned_alloc(64, sizeof(st_part_t) * ST_MAX_PARTS);
    if (!c.parts || c.nparts < 1 || c.nparts > ST_MAX_PARTS) abort();
    memset(c.parts, 0, sizeof(st_part_t) * ST_MAX_PARTS);
    uint64_t x = seed ^ name_hash(w->name);
    for (int i = 0; i < c.nparts; i++) {
        st_part_t *p = &c.parts[i];
        p->crew = &c;
        p->index = i;
        p->kind = (enum st_kind)(i % 3);
        p->victim = w->cancel && p->kind != ST_THREAD;
        p->rng[0] = st_splitmix(&x);
        p->rng[1] = st_splitmix(&x) | 1;
        p->budget = budget / (uint64_t)c.nparts + 1;
        pthread_mutex_init(&p->slot_lock, NULL);
    }
    /* A fresh pair of runtimes per workload: nothing carries over. */
    weft_runtime_opts_t oa = {0}, ob = {0};
    oa.workers = 2;
    ob.workers = 1;
    ST_CREW_CHECK_EQ(&c, weft_runtime_create(&c.rt[0], &oa), 0);
    ST_CREW_CHECK_EQ(&c, weft_runtime_create(&c.rt[1], &ob), 0);
    ST_CREW_CHECK_EQ(&c, weft_barrier_init(&c.rv, (unsigned)c.nparts), 0);
    w->setup(&c);

    int64_t t0 = weft_now();
    mon_done = 0;
    pthread_t mon, can, th[ST_MAX_PARTS];
    weft_fiber_t *sup[ST_MAX_PARTS] = {0};
    if (pthread_create(&mon, NULL, monitor, &c) != 0) abort();
    if (w->cancel && pthread_create(&can, NULL, canceller, &c) != 0) abort();
    for (int i = 0; i < c.nparts; i++) {
        st_part_t *p = &c.parts[i];
        if (p->kind == ST_THREAD) {
            if (pthread_create(&th[i], NULL, thread_main, p) != 0) abort();
        } else {
            ST_CREW_CHECK_EQ(&c, weft_spawn_on(c.rt[p->kind], &sup[i], supervisor, p), 0);
        }
    }
    for (int i = 0; i < c.nparts; i++) {
        if (c.parts[i].kind == ST_THREAD)
            ST_CREW_CHECK_EQ(&c, pthread_join(th[i], NULL), 0);
        else
            ST_CREW_CHECK_EQ(&c, weft_join(sup[i], NULL, WEFT_FOREVER), 0);
        ST_CREW_CHECK_EQ(&c, c.parts[i].done, 1);
    }
    atomic_store(&c.stop, 1);
    if (w->cancel) pthread_join(can, NULL);
    pthread_mutex_lock(&mon_lock);
    mon_done = 1;
    pthread_cond_signal(&mon_cond);
    pthread_mutex_unlock(&mon_lock);
    pthread_join(mon, NULL);
    int64_t t1 = weft_now();

    w->finish(&c);
    ST_CREW_CHECK_EQ(&c, weft__wl_count(&c.rv.wl), 0);
    ST_CREW_CHECK_EQ(&c, weft_barrier_destroy(&c.rv), 0);
    for (int r = 0; r < 2; r++) {
        check_no_fiber_left(&c, c.rt[r]);
        ST_CREW_CHECK_EQ(&c, weft_runtime_destroy(c.rt[r]), 0);
    }

    memset(out, 0, sizeof *out);
    out->checks = atomic_load(&c.checks);
    for (int i = 0; i < c.nparts; i++) {
        st_part_t *p = &c.parts[i];
        out->ops += atomic_load(&p->ops);
        out->checks += atomic_load(&p->checks);
        out->timeouts += p->timeouts;
        out->cancels += p->cancels;
        out->kept += p->kept;
        out->incarnations += p->incarnations;
        pthread_mutex_destroy(&p->slot_lock);
    }
    out->seconds = (double)(t1 - t0) / 1e9;
    free(c.parts);
}
