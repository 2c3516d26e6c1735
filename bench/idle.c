/* bench/idle.c: what a runtime with nothing to do costs: the process's CPU time
 * (getrusage RUSAGE_SELF, user + system) over an idle interval, as % of one core.
 *
 *   idle_cpu        a runtime of `workers` workers, no fiber at all
 *   idle_cpu_sleep  the same with one fiber asleep on a timer an hour away (the
 *                   timer heap is not empty, so a worker must sleep until a
 *                   deadline instead of indefinitely)
 *   idle_cpu_read   the same with one fiber blocked in weft_read on an empty
 *                   pipe (the poller has a descriptor to watch); a byte written
 *                   after the interval wakes it, and it must have read that byte
 *
 * n is the interval in ms (default 2000). The interval starts 100 ms after the
 * runtime was created (and the fiber spawned), so the figure is the steady
 * state, not the workers' start-up and the brief spinning a worker does before
 * it sleeps. The note says how long the interval really was. */
#include "idle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "weft.h"

#define CHECK(call)                                                                      \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (rc_ != 0) {                                                                  \
            fprintf(stderr, "%s:%d: %s returned %d\n", __FILE__, __LINE__, #call, rc_);  \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

static int64_t cpu_ns(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static void sleep_ns(int64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void *sleeper(void *arg) {
    (void)arg;
    /* -ECANCELED at the end of the measurement is the expected outcome. */
    weft_sleep_until(weft_after(WEFT_SEC(3600)));
    return NULL;
}

static void *reader(void *arg) {
    char c;
    ssize_t n = weft_read(*(int *)arg, &c, 1, WEFT_FOREVER);
    return (void *)(intptr_t)n;
}

static long peak_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int idle_run_one(const char *name, int workers, long n, bench_result_t *out) {
    void *(*fn)(void *);
    int fds[2] = {-1, -1};
    if (!strcmp(name, "idle_cpu"))
        fn = NULL;
    else if (!strcmp(name, "idle_cpu_sleep"))
        fn = sleeper;
    else if (!strcmp(name, "idle_cpu_read"))
        fn = reader;
    else
        return -1;
    weft_runtime_opts_t o;
    memset(&o, 0, sizeof o);
    o.workers = workers > 0 ? workers : 2;
    weft_runtime_t *rt;
    weft_fiber_t *f = NULL;
    CHECK(weft_runtime_create(&rt, &o));
    if (fn == reader && pipe(fds) != 0) CHECK(-1);
    if (fn) CHECK(weft_spawn_on(rt, &f, fn, &fds[0]));
    sleep_ns(WEFT_MSEC(100));

    int64_t c0 = cpu_ns(), t0 = weft_now();
    sleep_ns(WEFT_MSEC(n > 0 ? n : 2000));
    int64_t c1 = cpu_ns(), t1 = weft_now();

    if (fn == sleeper) CHECK(weft_cancel(f));
    if (fn == reader && write(fds[1], "x", 1) != 1) CHECK(-1);
    if (f) {
        void *res;
        CHECK(weft_join(f, &res, WEFT_FOREVER));
        if (fn == reader) CHECK((intptr_t)res == 1 ? 0 : (int)(intptr_t)res);
    }
    if (fds[0] >= 0) {
        CHECK(weft_close(fds[0]));
        close(fds[1]);
    }
    CHECK(weft_runtime_destroy(rt));
    out->ns_per_op = 100.0 * (double)(c1 - c0) / (double)(t1 - t0);
    out->peak_rss_kib = peak_rss_kib();
    snprintf(out->note, sizeof out->note, "%d workers, %.0f ms", o.workers,
             (double)(t1 - t0) / 1e6);
    return 0;
}
