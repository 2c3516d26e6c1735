/* examples/no_thread_leak.c: the contrast with run_in_executor. In asyncio, a
 * blocking semaphore wait pushed to a thread pool and abandoned on timeout keeps
 * its thread blocked forever: every timed-out wait leaks a thread, and the
 * program cannot exit while they wait. Here 10 000 fibers each wait on a
 * weft_sem_t with a 10 ms deadline; every wait times out, the waiters are
 * simply gone, the process's thread count is the same before and after, and the
 * program exits at once.
 *
 *   no_thread_leak [fibers]      (default 10000) */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

static weft_sem_t sem = WEFT_SEM_INIT(0, 0);
static int timed_out;

static int threads_now(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static void *waiter(void *arg) {
    (void)arg;
    if (weft_sem_acquire(&sem, weft_after(WEFT_MSEC(10))) == -ETIMEDOUT)
        __atomic_fetch_add(&timed_out, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void *main_fiber(void *arg) {
    int n = *(int *)arg;
    for (int i = 0; i < n; i++)
        if (weft_spawn(NULL, waiter, NULL) != 0) abort(); /* detached */
    return NULL; /* weft_run waits for the detached fibers too */
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    weft_runtime_opts_t opts = {0};
    opts.workers = 2;
    int before = threads_now();
    int64_t t0 = weft_now();
    if (weft_run(&opts, main_fiber, &n, NULL) != 0) return 1;
    int after = threads_now();
    printf("%d fibers waited on an empty semaphore with a 10 ms deadline\n", n);
    printf("timed out: %d   threads before: %d   after: %d   waiting: %d   %.1f ms\n",
           timed_out, before, after, weft_sem_waiting(&sem), (weft_now() - t0) / 1e6);
    printf("%s\n", timed_out == n && before == after && weft_sem_waiting(&sem) == 0
                       ? "no thread leaked; exiting cleanly"
                       : "UNEXPECTED");
    return timed_out == n && before == after ? 0 : 1;
}
