/* bench/workloads.c: the weft (and raw baseline) workloads of weft_bench.
 *
 *   fcontext      raw jump_fcontext ping-pong between two contexts: ns per round
 *                 trip (two switches), the floor any fiber yield can approach
 *   yield         two fibers on one worker yield to each other: ns per round trip
 *   spawn         one fiber spawns and joins an empty fiber n times: ns per pair
 *   pthread_spawn pthread_create + pthread_join of an empty thread: ns per pair
 *   skynet        1M-leaf skynet tree, each node spawns 10 and joins them: total ns
 *   parked        n fibers parked at once (sleeping until cancelled): resident
 *                 bytes per parked fiber, measured from VmRSS before and after */
#include "workloads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "runtime/fcontext.h"
#include "weft.h"

static long peak_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static long current_rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

/* --- raw fcontext --- */
static weft__fctx_t g_main_ctx;
static long g_fc_n;

static void fc_entry(weft__transfer_t t) {
    for (;;)
        t = jump_fcontext(t.fctx, NULL);
}

static double bench_fcontext(long n) {
    size_t sz = 64 * 1024;
    char *stack =
        mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    weft__fctx_t c = make_fcontext(stack + sz, sz, fc_entry);
    for (long i = 0; i < 1000; i++)
        c = jump_fcontext(c, NULL).fctx;
    int64_t t0 = weft_now();
    for (long i = 0; i < n; i++)
        c = jump_fcontext(c, NULL).fctx;
    int64_t t1 = weft_now();
    (void)g_main_ctx;
    (void)g_fc_n;
    munmap(stack, sz);
    return (double)(t1 - t0) / (double)n;
}

/* --- yield --- */
struct yield_arg {
    long n;
};

static void *yielder(void *p) {
    struct yield_arg *a = p;
    for (long i = 0; i < a->n; i++)
        weft_yield();
    return NULL;
}

static void *yield_main(void *p) {
    struct yield_arg *a = p;
    weft_fiber_t *x, *y;
    struct yield_arg warm = {10000};
    weft_spawn(&x, yielder, &warm);
    weft_spawn(&y, yielder, &warm);
    weft_join(x, NULL, WEFT_FOREVER);
    weft_join(y, NULL, WEFT_FOREVER);
    int64_t t0 = weft_now();
    weft_spawn(&x, yielder, a);
    weft_spawn(&y, yielder, a);
    weft_join(x, NULL, WEFT_FOREVER);
    weft_join(y, NULL, WEFT_FOREVER);
    return (void *)(intptr_t)(weft_now() - t0);
}

/* --- spawn + join --- */
static void *empty(void *p) {
    return p;
}

static void *spawn_main(void *p) {
    long n = *(long *)p;
    for (long i = 0; i < 10000; i++) {
        weft_fiber_t *f;
        weft_spawn(&f, empty, NULL);
        weft_join(f, NULL, WEFT_FOREVER);
    }
    int64_t t0 = weft_now();
    for (long i = 0; i < n; i++) {
        weft_fiber_t *f;
        if (weft_spawn(&f, empty, NULL) != 0) abort();
        weft_join(f, NULL, WEFT_FOREVER);
    }
    return (void *)(intptr_t)(weft_now() - t0);
}

static void *thread_empty(void *p) {
    return p;
}

static double bench_pthread_spawn(long n) {
    int64_t t0 = weft_now();
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, thread_empty, NULL) != 0) abort();
        pthread_join(t, NULL);
    }
    return (double)(weft_now() - t0) / (double)n;
}

/* --- skynet --- */
struct node {
    int64_t num, size;
};

static void *skynet(void *p) {
    struct node *nd = p;
    if (nd->size == 1) return (void *)(intptr_t)nd->num;
    weft_fiber_t *kids[10];
    struct node args[10];
    int64_t step = nd->size / 10;
    for (int i = 0; i < 10; i++) {
        args[i].num = nd->num + i * step;
        args[i].size = step;
        if (weft_spawn(&kids[i], skynet, &args[i]) != 0) abort();
    }
    int64_t sum = 0;
    for (int i = 0; i < 10; i++) {
        void *r;
        weft_join(kids[i], &r, WEFT_FOREVER);
        sum += (int64_t)(intptr_t)r;
    }
    return (void *)(intptr_t)sum;
}

/* --- parked fibers --- */
static atomic_long g_parked;

static void *parker(void *p) {
    atomic_fetch_add(&g_parked, 1);
    weft_sleep_until(WEFT_FOREVER); /* until cancelled */
    return p;
}

struct parked_arg {
    long n;
    double bytes_per_fiber;
};

static void *parked_main(void *p) {
    struct parked_arg *a = p;
    weft_fiber_t **fs = malloc(sizeof *fs * (size_t)a->n);
    if (!fs) abort();
    long before = current_rss_kib();
    for (long i = 0; i < a->n; i++)
        if (weft_spawn(&fs[i], parker, NULL) != 0) abort();
    while (atomic_load(&g_parked) < a->n)
        weft_yield();
    weft_yield();
    long after = current_rss_kib();
    /* The handle array is not per-fiber memory of the runtime. */
    double handles = (double)(sizeof *fs) * (double)a->n / 1024.0;
    a->bytes_per_fiber = ((double)(after - before) - handles) * 1024.0 / (double)a->n;
    for (long i = 0; i < a->n; i++)
        weft_cancel(fs[i]);
    for (long i = 0; i < a->n; i++)
        weft_join(fs[i], NULL, WEFT_FOREVER);
    free(fs);
    return NULL;
}

int bench_run_one(const char *name, int workers, long n, bench_result_t *out) {
    weft_runtime_opts_t o;
    memset(&o, 0, sizeof o);
    o.workers = workers > 0 ? workers : 1;
    void *r = NULL;
    if (!strcmp(name, "fcontext")) {
        out->ns_per_op = bench_fcontext(n > 0 ? n : 20000000);
    } else if (!strcmp(name, "yield")) {
        struct yield_arg a = {n > 0 ? n : 5000000};
        o.workers = 1;
        weft_run(&o, yield_main, &a, &r);
        out->ns_per_op = (double)(intptr_t)r / (double)a.n;
    } else if (!strcmp(name, "spawn")) {
        long cnt = n > 0 ? n : 1000000;
        weft_run(&o, spawn_main, &cnt, &r);
        out->ns_per_op = (double)(intptr_t)r / (double)cnt;
    } else if (!strcmp(name, "pthread_spawn")) {
        out->ns_per_op = bench_pthread_spawn(n > 0 ? n : 20000);
    } else if (!strcmp(name, "skynet")) {
        struct node root = {0, 1000000};
        int64_t t0 = weft_now();
        weft_run(&o, skynet, &root, &r);
        out->ns_per_op = (double)(weft_now() - t0);
        if ((int64_t)(intptr_t)r != 499999500000LL) {
            fprintf(stderr, "skynet: wrong sum\n");
            exit(1);
        }
    } else if (!strcmp(name, "parked")) {
        struct parked_arg a = {n > 0 ? n : 1000000, 0};
        weft_run(&o, parked_main, &a, NULL);
        out->ns_per_op = a.bytes_per_fiber;
    } else {
        return -1;
    }
    out->peak_rss_kib = peak_rss_kib();
    return 0;
}
