/* examples/offload_bound.c: blocking work that times out does not leak threads.
 * asyncio's run_in_executor hands a blocking call to a thread pool; when the
 * awaiting task times out, the call keeps its thread, and with an unbounded
 * executor (or one thread per call) a flood of stuck calls becomes a flood of
 * threads. Here `calls` fibers each offload a call that blocks on a pipe (it
 * stands for a hung DNS lookup or NFS read) with a 50 ms deadline, through
 * weft_offload_ex on a pool bounded to 8 threads. Every call times out at once,
 * the process never has more than workers + 8 + 1 threads, and once the pipe is
 * written the abandoned calls finish and hand their results to on_abandon.
 * For contrast, the same calls on one plain thread each are measured too.
 *
 *   offload_bound [calls]      (default 500) */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "weft.h"

#define POOL 8

static int pipefd[2];
static atomic_int timed_out, ran_abandoned, withdrawn, peak_threads;

static int threads_now(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static void note_peak(void) {
    int n = threads_now(), p = atomic_load(&peak_threads);
    while (n > p && !atomic_compare_exchange_weak(&peak_threads, &p, n)) {
    }
}

/* The blocking call: one byte from the pipe (a plain blocking read). */
static void *stuck_call(void *arg) {
    char c;
    ssize_t r = read(pipefd[0], &c, 1);
    (void)arg;
    return (void *)(intptr_t)r;
}

static void abandoned(void *arg, void *result, int ran) {
    (void)arg;
    (void)result;
    atomic_fetch_add(ran ? &ran_abandoned : &withdrawn, 1);
}

static void *caller(void *arg) {
    (void)arg;
    int r = weft_offload_ex(stuck_call, NULL, NULL, weft_after(WEFT_MSEC(50)), abandoned);
    if (r == -ETIMEDOUT) atomic_fetch_add(&timed_out, 1);
    note_peak();
    return NULL;
}

static void *main_fiber(void *arg) {
    int calls = *(int *)arg;
    weft_fiber_t **f = calloc((size_t)calls, sizeof *f);
    for (int i = 0; i < calls; i++)
        weft_spawn(&f[i], caller, NULL);
    for (int i = 0; i < calls; i++)
        weft_join(f[i], NULL, WEFT_FOREVER);
    free(f);
    printf("weft:  %d offloaded calls, %d timed out; threads at peak %d "
           "(2 workers + pool bound %d + main), pool threads %d\n",
           calls, atomic_load(&timed_out), atomic_load(&peak_threads), POOL,
           weft_offload_threads());
    /* Unblock the calls that started; the withdrawn ones never run. */
    int started = weft_offload_threads();
    for (int i = 0; i < started; i++)
        if (write(pipefd[1], "x", 1) != 1) return NULL;
    return NULL;
}

static void *thread_per_call(void *arg) {
    (void)arg;
    stuck_call(NULL);
    return NULL;
}

int main(int argc, char **argv) {
    int calls = argc > 1 ? atoi(argv[1]) : 500;
    if (calls < 1 || pipe(pipefd) != 0) {
        fprintf(stderr, "usage: offload_bound [calls >= 1]\n");
        return 2;
    }
    int before = threads_now();
    weft_runtime_opts_t o = {.workers = 2, .offload_threads = POOL};
    int r = weft_run(&o, main_fiber, &calls, NULL);
    if (r) {
        fprintf(stderr, "weft_run: %d\n", r);
        return 1;
    }
    printf("weft:  after the runtime: %d thread(s) (before: %d); abandoned calls that "
           "ran %d, withdrawn unrun %d\n",
           threads_now(), before, atomic_load(&ran_abandoned), atomic_load(&withdrawn));

    /* The contrast: a thread per blocking call, as an unbounded executor does. */
    pthread_t *t = calloc((size_t)calls, sizeof *t);
    int made = 0;
    for (; made < calls; made++)
        if (pthread_create(&t[made], NULL, thread_per_call, NULL) != 0) break;
    printf("naive: %d blocking calls on a thread each: %d threads while they wait\n",
           made, threads_now());
    for (int i = 0; i < made; i++)
        if (write(pipefd[1], "x", 1) != 1) break;
    for (int i = 0; i < made; i++)
        pthread_join(t[i], NULL);
    free(t);
    int ok = atomic_load(&timed_out) == calls &&
             atomic_load(&ran_abandoned) + atomic_load(&withdrawn) == calls &&
             atomic_load(&peak_threads) <= before + 2 + POOL;
    printf("%s\n", ok ? "ok: the pool never grew past its bound" : "UNEXPECTED");
    return ok ? 0 : 1;
}
