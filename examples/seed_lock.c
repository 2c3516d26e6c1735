/* examples/seed_lock.c: weft's headline example. Two threads each run their own
 * runtime (weft_run) with two fibers; all four contend on ONE weft_mutex_t that
 * each holds for a while. The timeline shows the lock passing fairly between
 * fibers of different threads, in arrival order, with no thread blocked: while
 * a fiber waits for the lock, its thread keeps running its other fiber.
 *
 *   seed_lock [hold_ms]      (default 1000: each holder keeps the lock 1 s)
 *
 * Expected: four "start" lines at 0 s, then one "stop" per second, alternating
 * between the two threads: the lock is handed over in arrival order whichever
 * thread (and runtime) the waiting fiber belongs to. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

static weft_mutex_t lock = WEFT_MUTEX_INIT;
static int64_t start, hold;
static int thread_no[2] = {1, 2};
static weft_mutex_t print_lock = WEFT_MUTEX_INIT; /* keeps output lines whole */

static void say(int thread, const char *what) {
    weft_mutex_lock(&print_lock, WEFT_FOREVER);
    printf("%.0f: thread=%d fiber=%" PRIu64 " %s\n", (double)(weft_now() - start) / 1e9,
           thread, weft_fiber_id(weft_self()), what);
    fflush(stdout);
    weft_mutex_unlock(&print_lock);
}

struct who {
    int thread, index;
};

static void *func(void *arg) {
    struct who *w = arg;
    int thread = w->thread;
    /* Stagger arrivals by 10 ms so they alternate between the two threads:
     * thread 1 fiber 0, thread 2 fiber 0, thread 1 fiber 1, thread 2 fiber 1. */
    weft_sleep_until(start + WEFT_MSEC(10) * (2 * w->index + thread - 1));
    say(thread, "start");
    if (weft_mutex_lock(&lock, WEFT_FOREVER) != 0) abort();
    weft_sleep_until(weft_after(hold)); /* parks this fiber only */
    weft_mutex_unlock(&lock);
    say(thread, "stop");
    return NULL;
}

static void *main_fiber(void *arg) {
    weft_fiber_t *f[2];
    struct who w[2];
    for (int i = 0; i < 2; i++) {
        w[i].thread = *(int *)arg;
        w[i].index = i;
        if (weft_spawn(&f[i], func, &w[i]) != 0) abort();
    }
    for (int i = 0; i < 2; i++) weft_join(f[i], NULL, WEFT_FOREVER);
    return NULL;
}

static void *thread_main(void *arg) {
    weft_runtime_opts_t opts = {0};
    opts.workers = 1; /* each thread is its own one-worker runtime, like anyio.run */
    if (weft_run(&opts, main_fiber, arg, NULL) != 0) abort();
    return NULL;
}

int main(int argc, char **argv) {
    hold = WEFT_MSEC(argc > 1 ? atoi(argv[1]) : 1000);
    start = weft_now();
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, thread_main, &thread_no[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    return 0;
}
