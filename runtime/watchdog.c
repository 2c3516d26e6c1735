/* runtime/watchdog.c: deadlock and hang reports (see watchdog.h).
 * The watchdog reads scheduler state racily (relaxed loads of counters and of
 * fibers' state and wait notes): a report can be a moment stale, never unsafe.
 * The live-fiber list is guarded by rt->fibers_lock; a fiber leaves it in
 * weft__fiber_complete, before its shell can be reused, so the dump never
 * touches a recycled fiber. */
#include "runtime/watchdog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ext.h"
#include "runtime/fault.h"
#include "runtime/fiber_impl.h"
#include "runtime/futex.h"
#include "runtime/worker.h"

void weft__watchdog_fiber_add(weft_fiber_t *f) {
    weft_runtime_t *rt = f->rt;
    weft__spin_lock(&rt->fibers_lock);
    f->live_prev = NULL;
    f->live_next = rt->fibers;
    if (rt->fibers) rt->fibers->live_prev = f;
    rt->fibers = f;
    weft__spin_unlock(&rt->fibers_lock);
}

void weft__watchdog_fiber_remove(weft_fiber_t *f) {
    weft_runtime_t *rt = f->rt;
    weft__spin_lock(&rt->fibers_lock);
    if (f->live_prev)
        f->live_prev->live_next = f->live_next;
    else
        rt->fibers = f->live_next;
    if (f->live_next) f->live_next->live_prev = f->live_prev;
    weft__spin_unlock(&rt->fibers_lock);
}

static void emit(weft_runtime_t *rt, const char *text) {
    if (rt->report)
        rt->report(rt->report_arg, text);
    else
        fputs(text, stderr);
}

/* A growable text buffer for one report (reports are rare: malloc is fine). */
typedef struct text {
    char *s;
    size_t len, cap;
} text_t;

static void put(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text_t *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = t->s ? vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap) : -1;
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        if (n >= 0 && ncap < t->len + (size_t)n + 1) ncap = t->len + (size_t)n + 1;
        char *ns = realloc(t->s, ncap);
        if (!ns) return; /* out of memory: the report is cut short */
        t->s = ns;
        t->cap = ncap;
    }
}

static const char *state_name(int s) {
    switch (s) {
    case WEFT__FIBER_NEW:
        return "new";
    case WEFT__FIBER_RUNNABLE:
        return "runnable";
    case WEFT__FIBER_RUNNING:
        return "running";
    case WEFT__FIBER_PARKED:
        return "parked";
    default:
        return "done";
    }
}

static void dump_fibers(weft_runtime_t *rt, text_t *t) {
    weft__spin_lock(&rt->fibers_lock);
    for (weft_fiber_t *f = rt->fibers; f; f = f->live_next) {
        int st = atomic_load_explicit(&f->state, memory_order_relaxed);
        put(t, "  fiber %llu: %s", (unsigned long long)f->id, state_name(st));
        const char *what =
            atomic_load_explicit(&f->parker.wait_what, memory_order_acquire);
        const void *obj = atomic_load_explicit(&f->parker.wait_obj, memory_order_relaxed);
        if (st == WEFT__FIBER_PARKED && what) {
            if (!strcmp(what, "join"))
                put(t, ", joining fiber %llu",
                    (unsigned long long)((const weft_fiber_t *)obj)->id);
            else if (!strncmp(what, "descriptor", 10))
                put(t, ", waiting on %s %d", what, (int)(intptr_t)obj);
            else if (!strcmp(what, "sleep"))
                put(t, ", sleeping");
            else
                put(t, ", waiting on %s %p", what, obj);
        }
        put(t, "\n");
    }
    weft__spin_unlock(&rt->fibers_lock);
}

/* Nothing inside the runtime can wake a fiber (see watchdog.h). */
static int all_asleep(weft_runtime_t *rt) {
    uint64_t live = atomic_load(&rt->live) & ~WEFT__CLOSING;
    if (live == 0 || atomic_load(&rt->nidle) != rt->nworkers) return 0;
    if (atomic_load(&rt->poller.waiters) != 0 || weft__mpsc_len(&rt->inject) != 0)
        return 0;
    if (weft__ext_busy(rt)) return 0; /* e.g. an offload job may still wake one */
    for (int i = 0; i < rt->nworkers; i++)
        if (weft__timers_next(&rt->workers[i]->timers) != INT64_MAX ||
            weft__runq_has_work(&rt->workers[i]->runq) ||
            weft__deque_has_work(&rt->workers[i]->spawns))
            return 0;
    return 1;
}

static void *watchdog_main(void *arg) {
    weft_runtime_t *rt = arg;
    int64_t period = rt->watchdog / 4 > 1000000 ? rt->watchdog / 4 : 1000000;
    int n = rt->nworkers;
    uint64_t *seen = calloc((size_t)n, sizeof *seen);
    int64_t *since = calloc((size_t)n, sizeof *since);
    int *reported = calloc((size_t)n, sizeof *reported);
    uint64_t asleep_switches = 0;
    int64_t asleep_since = -1;
    int asleep_reported = 0;
    while (!atomic_load_explicit(&rt->watchdog_stop, memory_order_acquire)) {
        weft__futex_wait(&rt->watchdog_stop, 0, weft_after(period));
        int64_t now = weft_now();
        uint64_t total = 0;
        for (int i = 0; i < n && seen; i++) {
            weft__worker_t *w = rt->workers[i];
            uint64_t sw = atomic_load_explicit(&w->switches, memory_order_relaxed);
            weft_fiber_t *cur = __atomic_load_n(&w->current, __ATOMIC_ACQUIRE);
            total += sw;
            if (sw != seen[i] || !cur) {
                seen[i] = sw;
                since[i] = now;
                reported[i] = 0;
                continue;
            }
            if (!reported[i] && now - since[i] >= rt->watchdog) {
                reported[i] = 1;
                char buf[256];
                snprintf(
                    buf, sizeof buf,
                    "weft: watchdog: fiber %llu has held worker %d for %lld ms without "
                    "switching (a loop without weft_yield, or a blocking call?)\n",
                    (unsigned long long)cur->id, i,
                    (long long)((now - since[i]) / 1000000));
                emit(rt, buf);
            }
        }
        if (!all_asleep(rt) || total != asleep_switches) {
            asleep_switches = total;
            asleep_since = -1;
            asleep_reported = 0;
            continue;
        }
        if (asleep_since < 0) asleep_since = now;
        if (asleep_reported || now - asleep_since < rt->watchdog) continue;
        asleep_reported = 1;
        text_t t = {0};
        put(&t,
            "weft: watchdog: all %llu fibers of runtime %p are asleep, with no timer, no "
            "I/O and no offload work to wake them: a deadlock, unless a plain thread or "
            "another runtime wakes one\n",
            (unsigned long long)(atomic_load(&rt->live) & ~WEFT__CLOSING), (void *)rt);
        dump_fibers(rt, &t);
        if (t.s) emit(rt, t.s);
        free(t.s);
    }
    free(seen);
    free(since);
    free(reported);
    return NULL;
}

int weft__watchdog_start(weft_runtime_t *rt) {
    if (rt->watchdog <= 0) return 0;
    if (weft__pthread_create(&rt->watchdog_thread, NULL, watchdog_main, rt) != 0)
        return -EAGAIN;
    rt->watchdog_running = 1;
    return 0;
}

void weft__watchdog_stop(weft_runtime_t *rt) {
    if (!rt->watchdog_running) return;
    atomic_store_explicit(&rt->watchdog_stop, 1, memory_order_release);
    weft__futex_wake(&rt->watchdog_stop, 1);
    pthread_join(rt->watchdog_thread, NULL);
    rt->watchdog_running = 0;
}
