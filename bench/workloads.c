/* bench/workloads.c: the weft (and raw baseline) workloads of weft_bench.
 *
 *   fcontext      raw jump_fcontext ping-pong between two contexts: ns per round
 *                 trip (two switches), the floor any fiber yield can approach
 *   yield         two fibers on one worker yield to each other: ns per round trip
 *   spawn         one fiber spawns and joins an empty fiber n times: ns per pair
 *   pthread_spawn pthread_create + pthread_join of an empty thread: ns per pair
 *   skynet        1M-leaf skynet tree, each node spawns 10 and joins them: total ns
 *   parked        n fibers parked at once (sleeping until cancelled): resident
 *                 bytes per parked fiber, measured from VmRSS before and after
 *
 * Synchronization (the "sync" section of the table):
 *   mutex_fiber   uncontended weft_mutex_lock(FOREVER)+unlock from a fiber: ns/pair
 *   mutex_thread  the same from a plain thread (no runtime): ns per pair
 *   pthread_mutex the same on a default pthread_mutex_t (baseline): ns per pair
 *   mutex4        4 fibers on one weft_mutex_t, each n/4 times {lock; weft_yield();
 *                 unlock}, on `workers` workers: ns per acquisition
 *   pingpong_*    A: {release s1; acquire s2}, B: {acquire s1; release s2} on two
 *                 weft_sem_t, n times: ns per round trip. _ff1: two fibers on one
 *                 worker; _ff2: two fibers of one 2-worker runtime, started on
 *                 different workers (B is spawned while its spawner busy-spins,
 *                 so the idle worker steals it; where they run afterwards is the
 *                 scheduler's choice); _ff2rt: two fibers on two 1-worker
 *                 runtimes (always on different threads); _ft: a fiber and a
 *                 plain thread; _tt: two plain threads; _posix: two plain
 *                 threads on two POSIX sem_t (baseline). The note reports the
 *                 share of hand-offs that crossed threads (B's thread differs
 *                 from the thread A released s1 on).
 *   fairness      8 contenders (4 fibers of a 2-worker runtime + 4 plain threads)
 *                 loop {lock; count++; ~300 ns of work; unlock; ~100 ns of work}
 *                 on one weft_mutex_t: Jain's index of the per-contender counts
 *                 over a 0.5 s window (n ms if given) that opens 50 ms after every
 *                 contender is in the loop; the RSS field holds the total count
 *                 and the note the range per kind of contender
 *   fairness_pthread  the same with 8 plain threads on a pthread_mutex_t
 *   queue_*       2 producers + 2 consumers pass n distinct integers (as void *)
 *                 through one bounded FIFO weft_queue_t (maxsize 64): ns per item,
 *                 from before the four start to after all are joined. _fibers:
 *                 four fibers of a 2-worker runtime; _threads: four plain threads;
 *                 _mixed: a producer and a consumer fiber of a 2-worker runtime
 *                 plus a producer and a consumer thread. The consumers' sum must
 *                 equal the producers' (else exit 1). The workers argument is
 *                 ignored (always 2).
 *   queue_pthread the same 2+2 threads on a 64-slot ring under a pthread_mutex_t
 *                 with two pthread_cond_t (not_full, not_empty): the baseline
 *   broadcast_*   W waiters block, then one wake-all; the setter spins (yielding)
 *                 until every waiter has returned (they count an atomic down):
 *                 ns PER WAITER from just before the wake-all call. _event: 10000
 *                 fibers of a 2-worker runtime on a weft_event_t, the setter a
 *                 fiber of the same runtime; _event_threads: 1000 plain threads on
 *                 a weft_event_t; _pthread: 1000 plain threads on a pthread_cond_t
 *                 and pthread_cond_broadcast (baseline). n overrides W. The event
 *                 has no waiter count: waiters count their arrival before the wait,
 *                 and the setter yields until all have arrived plus a settle loop
 *                 of yields, so a late arrival may find the event already set and
 *                 return at once; that only makes weft's figure pessimistic (its
 *                 wake-up cost is spread over fewer blocked waiters). The note
 *                 counts waiters that saw the event set just before waiting (a
 *                 lower bound of the late ones). The pthread waiters arrive under
 *                 the mutex, so all of them are in pthread_cond_wait at broadcast.
 *
 * Every weft call's result is checked: a failure prints the call and its error and
 * exits 1 (a hang is cut short by weft_bench's alarm), so a misbehaving primitive
 * shows up as "n/a" in the table and a message on stderr, never as a figure. */
#include "workloads.h"

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runtime/fcontext.h"
#include "runtime/spin.h"
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

/* --- synchronization --- */
#define CHECK(call)                                                                      \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (rc_ != 0) {                                                                  \
            fprintf(stderr, "%s:%d: %s returned %d\n", __FILE__, __LINE__, #call, rc_);  \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

/* Busy work for `ns` nanoseconds (wall time), never yielding. */
static void work_ns(int64_t ns) {
    int64_t until = weft_now() + ns;
    while (weft_now() < until)
        weft__cpu_relax();
}

/* Uncontended mutexes: the same loop for a fiber, a thread and pthread. */
static int64_t weft_mutex_pairs(long n) {
    weft_mutex_t m = WEFT_MUTEX_INIT;
    int64_t t0 = 0;
    long warm = n / 10;
    for (long i = 0; i < warm + n; i++) {
        if (i == warm) t0 = weft_now();
        CHECK(weft_mutex_lock(&m, WEFT_FOREVER));
        CHECK(weft_mutex_unlock(&m));
    }
    int64_t t = weft_now() - t0;
    CHECK(weft_mutex_destroy(&m));
    return t;
}

/* Until a process first creates a thread, glibc drops the lock prefix from its
 * mutex's atomic instructions (a 2.5x difference on the reference VM). Every
 * program that needs a mutex has threads, so both thread rows run after one. */
static void *noop_thread(void *p) {
    return p;
}
static void become_multithreaded(void) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, noop_thread, NULL));
    CHECK(pthread_join(t, NULL));
}

static int64_t pthread_mutex_pairs(long n) {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    int64_t t0 = 0;
    long warm = n / 10;
    for (long i = 0; i < warm + n; i++) {
        if (i == warm) t0 = weft_now();
        CHECK(pthread_mutex_lock(&m));
        CHECK(pthread_mutex_unlock(&m));
    }
    int64_t t = weft_now() - t0;
    pthread_mutex_destroy(&m);
    return t;
}

static void *mutex_fiber_main(void *p) {
    return (void *)(intptr_t)weft_mutex_pairs(*(long *)p);
}

/* mutex4: 4 fibers, each {lock; yield; unlock} per times. */
struct m4 {
    weft_mutex_t m;
    long per;
    long count; /* guarded by m */
};

static void *m4_body(void *p) {
    struct m4 *a = p;
    for (long i = 0; i < a->per; i++) {
        CHECK(weft_mutex_lock(&a->m, WEFT_FOREVER));
        a->count++;
        CHECK(weft_yield());
        CHECK(weft_mutex_unlock(&a->m));
    }
    return NULL;
}

static int64_t m4_round(long per) {
    struct m4 a = {WEFT_MUTEX_INIT, per, 0};
    weft_fiber_t *f[4];
    int64_t t0 = weft_now();
    for (int i = 0; i < 4; i++)
        CHECK(weft_spawn(&f[i], m4_body, &a));
    for (int i = 0; i < 4; i++)
        CHECK(weft_join(f[i], NULL, WEFT_FOREVER));
    int64_t t = weft_now() - t0;
    if (a.count != 4 * per) {
        fprintf(stderr, "mutex4: %ld acquisitions counted, %ld expected\n", a.count,
                4 * per);
        exit(1);
    }
    CHECK(weft_mutex_destroy(&a.m));
    return t;
}

static void *m4_main(void *p) {
    long n = *(long *)p;
    m4_round(n / 40 > 1 ? n / 40 : 1); /* warm-up: n/10 acquisitions */
    return (void *)(intptr_t)m4_round(n / 4);
}

/* Ping-pong over two semaphores. */
struct pp {
    weft_sem_t s1, s2;
    sem_t p1, p2; /* pingpong_posix */
    long warm, n;
    int64_t t0, t1;
    _Atomic uintptr_t a_thread; /* the thread A released s1 on */
    long cross;                 /* hand-offs B received on another thread */
    atomic_int b_started;
};

static void pp_side_a(struct pp *p) {
    for (long i = 0; i < p->warm + p->n; i++) {
        if (i == p->warm) p->t0 = weft_now();
        atomic_store_explicit(&p->a_thread, (uintptr_t)pthread_self(),
                              memory_order_relaxed);
        CHECK(weft_sem_release(&p->s1, 1));
        CHECK(weft_sem_acquire(&p->s2, WEFT_FOREVER));
    }
    p->t1 = weft_now();
}

static void pp_side_b(struct pp *p) {
    for (long i = 0; i < p->warm + p->n; i++) {
        CHECK(weft_sem_acquire(&p->s1, WEFT_FOREVER));
        if (atomic_load_explicit(&p->a_thread, memory_order_relaxed) !=
            (uintptr_t)pthread_self())
            p->cross++;
        CHECK(weft_sem_release(&p->s2, 1));
    }
}

static void *pp_fiber_a(void *p) {
    pp_side_a(p);
    return NULL;
}

static void *pp_fiber_b(void *p) {
    struct pp *a = p;
    atomic_store(&a->b_started, 1);
    pp_side_b(a);
    return NULL;
}

static void *pp_thread_b(void *p) {
    pp_side_b(p);
    return NULL;
}

static void *pp_posix_b(void *p) {
    struct pp *a = p;
    for (long i = 0; i < a->warm + a->n; i++) {
        CHECK(sem_wait(&a->p1));
        CHECK(sem_post(&a->p2));
    }
    return NULL;
}

static void pp_posix_a(struct pp *a) {
    for (long i = 0; i < a->warm + a->n; i++) {
        if (i == a->warm) a->t0 = weft_now();
        CHECK(sem_post(&a->p1));
        CHECK(sem_wait(&a->p2));
    }
    a->t1 = weft_now();
}

/* ff1 / ff2: the main fiber spawns B and busy-spins (no yield) until B runs, so
 * on 2 workers B starts on the other worker (stolen); then it is A. */
static void *pp_ff_main(void *p) {
    struct pp *a = p;
    weft_fiber_t *b;
    CHECK(weft_spawn(&b, pp_fiber_b, a));
    if (weft_runtime_workers(weft_current_runtime()) > 1) {
        while (!atomic_load(&a->b_started))
            weft__cpu_relax();
    }
    pp_side_a(a);
    CHECK(weft_join(b, NULL, WEFT_FOREVER));
    return NULL;
}

static void pp_init(struct pp *a, long n) {
    memset(a, 0, sizeof *a);
    CHECK(weft_sem_init(&a->s1, 0, 0));
    CHECK(weft_sem_init(&a->s2, 0, 0));
    a->n = n;
    a->warm = n / 10 > 0 ? n / 10 : 1;
}

static void pp_run(const char *name, long n, bench_result_t *out) {
    struct pp a;
    pp_init(&a, n);
    weft_runtime_opts_t o;
    memset(&o, 0, sizeof o);
    o.workers = 1;
    pthread_t th;
    if (!strcmp(name, "pingpong_ff1") || !strcmp(name, "pingpong_ff2")) {
        o.workers = name[11] == '2' ? 2 : 1;
        CHECK(weft_run(&o, pp_ff_main, &a, NULL));
    } else if (!strcmp(name, "pingpong_ff2rt")) {
        weft_runtime_t *r1, *r2;
        weft_fiber_t *fa, *fb;
        CHECK(weft_runtime_create(&r1, &o));
        CHECK(weft_runtime_create(&r2, &o));
        CHECK(weft_spawn_on(r2, &fb, pp_fiber_b, &a));
        CHECK(weft_spawn_on(r1, &fa, pp_fiber_a, &a));
        CHECK(weft_join(fa, NULL, WEFT_FOREVER));
        CHECK(weft_join(fb, NULL, WEFT_FOREVER));
        CHECK(weft_runtime_destroy(r1));
        CHECK(weft_runtime_destroy(r2));
    } else if (!strcmp(name, "pingpong_ft")) {
        weft_runtime_t *rt;
        weft_fiber_t *fa;
        CHECK(weft_runtime_create(&rt, &o));
        CHECK(weft_spawn_on(rt, &fa, pp_fiber_a, &a));
        pp_side_b(&a); /* this thread is B */
        CHECK(weft_join(fa, NULL, WEFT_FOREVER));
        CHECK(weft_runtime_destroy(rt));
    } else if (!strcmp(name, "pingpong_tt")) {
        CHECK(pthread_create(&th, NULL, pp_thread_b, &a));
        pp_side_a(&a);
        CHECK(pthread_join(th, NULL));
    } else { /* pingpong_posix */
        CHECK(sem_init(&a.p1, 0, 0));
        CHECK(sem_init(&a.p2, 0, 0));
        CHECK(pthread_create(&th, NULL, pp_posix_b, &a));
        pp_posix_a(&a);
        CHECK(pthread_join(th, NULL));
        sem_destroy(&a.p1);
        sem_destroy(&a.p2);
    }
    if (strcmp(name, "pingpong_posix")) {
        if (weft_sem_value(&a.s1) != 0 || weft_sem_value(&a.s2) != 0) {
            fprintf(stderr, "%s: permits left over (%d, %d)\n", name,
                    weft_sem_value(&a.s1), weft_sem_value(&a.s2));
            exit(1);
        }
        CHECK(weft_sem_destroy(&a.s1));
        CHECK(weft_sem_destroy(&a.s2));
        snprintf(out->note, sizeof out->note, "x-thread %.0f%%",
                 100.0 * (double)a.cross / (double)(a.warm + a.n));
    }
    out->ns_per_op = (double)(a.t1 - a.t0) / (double)a.n;
}

/* Fairness: 8 contenders on one lock for a fixed wall time. */
#define FAIR_N      8
#define FAIR_CS_NS  300
#define FAIR_OUT_NS 100

struct fair {
    weft_mutex_t m;
    pthread_mutex_t pm; /* fairness_pthread */
    int use_pthread;
    weft_event_t start;
    atomic_int started, stop;
    long count[FAIR_N]; /* each guarded by the lock */
};

struct fair_who {
    struct fair *f;
    int i;
};

static void lock_fair(struct fair *f) {
    if (f->use_pthread)
        CHECK(pthread_mutex_lock(&f->pm));
    else
        CHECK(weft_mutex_lock(&f->m, WEFT_FOREVER));
}

static void unlock_fair(struct fair *f) {
    if (f->use_pthread)
        CHECK(pthread_mutex_unlock(&f->pm));
    else
        CHECK(weft_mutex_unlock(&f->m));
}

static void *fair_body(void *p) {
    struct fair_who *w = p;
    struct fair *f = w->f;
    CHECK(weft_event_wait(&f->start, WEFT_FOREVER));
    atomic_fetch_add(&f->started, 1);
    while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
        lock_fair(f);
        f->count[w->i]++;
        work_ns(FAIR_CS_NS);
        unlock_fair(f);
        work_ns(FAIR_OUT_NS);
    }
    return NULL;
}

static void fair_run(int use_pthread, long ms, bench_result_t *out) {
    static struct fair f;
    memset(&f, 0, sizeof f);
    f.m = (weft_mutex_t)WEFT_MUTEX_INIT;
    f.pm = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    f.use_pthread = use_pthread;
    CHECK(weft_event_init(&f.start));
    struct fair_who who[FAIR_N];
    pthread_t th[FAIR_N];
    weft_fiber_t *fib[FAIR_N / 2];
    weft_runtime_t *rt = NULL;
    int nfib = use_pthread ? 0 : FAIR_N / 2;
    if (nfib) {
        weft_runtime_opts_t o;
        memset(&o, 0, sizeof o);
        o.workers = 2;
        CHECK(weft_runtime_create(&rt, &o));
    }
    for (int i = 0; i < FAIR_N; i++) {
        who[i].f = &f;
        who[i].i = i;
        if (i < nfib)
            CHECK(weft_spawn_on(rt, &fib[i], fair_body, &who[i]));
        else
            CHECK(pthread_create(&th[i], NULL, fair_body, &who[i]));
    }
    usleep(20000); /* let every contender reach the start line */
    CHECK(weft_event_set(&f.start) == 1 ? 0 : -1);
    /* Count only once every contender is in the loop: the first ones to wake up
     * otherwise run alone for a millisecond or two (on 2 cores the woken threads
     * wait for a CPU), which measures the OS's wake-up, not the lock. This thread
     * takes the lock twice to read the counts (a 9th contender, queued FIFO). */
    while (atomic_load(&f.started) < FAIR_N)
        usleep(1000);
    usleep(50000);
    long c0[FAIR_N];
    lock_fair(&f);
    memcpy(c0, f.count, sizeof c0);
    unlock_fair(&f);
    weft_sleep_until(weft_after(WEFT_MSEC(ms)));
    lock_fair(&f);
    for (int i = 0; i < FAIR_N; i++)
        c0[i] = f.count[i] - c0[i];
    atomic_store(&f.stop, 1);
    unlock_fair(&f);
    for (int i = 0; i < FAIR_N; i++) {
        if (i < nfib)
            CHECK(weft_join(fib[i], NULL, WEFT_FOREVER));
        else
            CHECK(pthread_join(th[i], NULL));
    }
    if (rt) CHECK(weft_runtime_destroy(rt));
    if (!use_pthread) CHECK(weft_mutex_destroy(&f.m));
    CHECK(weft_event_destroy(&f.start));
    double sum = 0, sq = 0;
    long lo[2] = {-1, -1}, hi[2] = {-1, -1}; /* [0] fibers, [1] threads */
    for (int i = 0; i < FAIR_N; i++) {
        long c = c0[i];
        int k = i >= nfib;
        sum += (double)c;
        sq += (double)c * (double)c;
        if (lo[k] < 0 || c < lo[k]) lo[k] = c;
        if (c > hi[k]) hi[k] = c;
    }
    out->ns_per_op = sq > 0 ? sum * sum / (FAIR_N * sq) : 0;
    out->peak_rss_kib = (long)sum;
    if (nfib)
        snprintf(out->note, sizeof out->note, "%.0f acq; fibers %ld-%ld, threads %ld-%ld",
                 sum, lo[0], hi[0], lo[1], hi[1]);
    else
        snprintf(out->note, sizeof out->note, "%.0f acq; threads %ld-%ld", sum, lo[1],
                 hi[1]);
}

/* Queue throughput: 2 producers + 2 consumers through one bounded queue. */
#define Q_MAX 64

struct qb {
    weft_queue_t q;
    /* queue_pthread: a ring of Q_MAX under a mutex and two conditions */
    pthread_mutex_t m;
    pthread_cond_t not_full, not_empty;
    void *ring[Q_MAX];
    size_t head, len;
    int use_pthread;
    long per;            /* items per producer and per consumer */
    _Atomic int64_t got; /* the consumers' sum */
};

struct qb_who {
    struct qb *b;
    int i; /* producer index (0 or 1), or -1 for a consumer */
};

static void qb_put(struct qb *b, void *it) {
    if (!b->use_pthread) {
        CHECK(weft_queue_put(&b->q, it, WEFT_FOREVER));
        return;
    }
    CHECK(pthread_mutex_lock(&b->m));
    while (b->len == Q_MAX)
        CHECK(pthread_cond_wait(&b->not_full, &b->m));
    b->ring[(b->head + b->len++) % Q_MAX] = it;
    CHECK(pthread_cond_signal(&b->not_empty));
    CHECK(pthread_mutex_unlock(&b->m));
}

static void *qb_get(struct qb *b) {
    void *it;
    if (!b->use_pthread) {
        CHECK(weft_queue_get(&b->q, &it, WEFT_FOREVER));
        return it;
    }
    CHECK(pthread_mutex_lock(&b->m));
    while (b->len == 0)
        CHECK(pthread_cond_wait(&b->not_empty, &b->m));
    it = b->ring[b->head];
    b->head = (b->head + 1) % Q_MAX;
    b->len--;
    CHECK(pthread_cond_signal(&b->not_full));
    CHECK(pthread_mutex_unlock(&b->m));
    return it;
}

/* Producer i puts 2k+i+1 for k < per (distinct, never NULL). */
static void *qb_body(void *p) {
    struct qb_who *w = p;
    struct qb *b = w->b;
    if (w->i >= 0) {
        for (long k = 0; k < b->per; k++)
            qb_put(b, (void *)(intptr_t)(2 * k + w->i + 1));
    } else {
        int64_t sum = 0;
        for (long k = 0; k < b->per; k++)
            sum += (int64_t)(intptr_t)qb_get(b);
        atomic_fetch_add(&b->got, sum);
    }
    return NULL;
}

static void queue_run(const char *name, long n, bench_result_t *out) {
    static struct qb b;
    memset(&b, 0, sizeof b);
    const char *kind = name + 6; /* fibers, threads, mixed or pthread */
    b.use_pthread = !strcmp(kind, "pthread");
    b.per = n / 2 > 0 ? n / 2 : 1;
    n = 2 * b.per;
    if (b.use_pthread) {
        CHECK(pthread_mutex_init(&b.m, NULL));
        CHECK(pthread_cond_init(&b.not_full, NULL));
        CHECK(pthread_cond_init(&b.not_empty, NULL));
    } else {
        CHECK(weft_queue_init(&b.q, WEFT_FIFO, Q_MAX, NULL));
    }
    /* Who is a fiber: [0] producer 0, [1] producer 1, [2] and [3] consumers. */
    int fiber[4] = {0, 0, 0, 0};
    if (!strcmp(kind, "fibers")) fiber[0] = fiber[1] = fiber[2] = fiber[3] = 1;
    if (!strcmp(kind, "mixed")) fiber[0] = fiber[2] = 1;
    weft_runtime_t *rt = NULL;
    if (fiber[0]) {
        weft_runtime_opts_t o;
        memset(&o, 0, sizeof o);
        o.workers = 2;
        CHECK(weft_runtime_create(&rt, &o));
    }
    struct qb_who who[4] = {{&b, 0}, {&b, 1}, {&b, -1}, {&b, -1}};
    weft_fiber_t *f[4];
    pthread_t th[4];
    int64_t t0 = weft_now();
    for (int i = 0; i < 4; i++) {
        if (fiber[i])
            CHECK(weft_spawn_on(rt, &f[i], qb_body, &who[i]));
        else
            CHECK(pthread_create(&th[i], NULL, qb_body, &who[i]));
    }
    for (int i = 0; i < 4; i++) {
        if (fiber[i])
            CHECK(weft_join(f[i], NULL, WEFT_FOREVER));
        else
            CHECK(pthread_join(th[i], NULL));
    }
    int64_t t = weft_now() - t0;
    if (rt) CHECK(weft_runtime_destroy(rt));
    /* Producer i put the sum over k < per of 2k+i+1 = per(per-1) + (i+1)per. */
    int64_t want = 0;
    for (int i = 0; i < 2; i++)
        want += b.per * (b.per - 1) + (int64_t)(i + 1) * b.per;
    int64_t got = atomic_load(&b.got);
    if (got != want) {
        fprintf(stderr, "%s: consumers received a sum of %lld, producers put %lld\n",
                name, (long long)got, (long long)want);
        exit(1);
    }
    if (b.use_pthread) {
        if (b.len != 0) {
            fprintf(stderr, "%s: %zu items left over\n", name, b.len);
            exit(1);
        }
        pthread_cond_destroy(&b.not_full);
        pthread_cond_destroy(&b.not_empty);
        pthread_mutex_destroy(&b.m);
    } else {
        if (weft_queue_len(&b.q) != 0) {
            fprintf(stderr, "%s: %d items left over\n", name, weft_queue_len(&b.q));
            exit(1);
        }
        CHECK(weft_queue_destroy(&b.q));
    }
    out->ns_per_op = (double)t / (double)n;
}

/* Broadcast: W waiters block, one wake-all, time until the last has returned. */
struct bc {
    weft_event_t e;
    pthread_mutex_t m; /* broadcast_pthread */
    pthread_cond_t c;
    int flag; /* guarded by m */
    int use_pthread;
    long w;
    atomic_long arrived, remaining, late;
    int64_t set_ns; /* the wake-all call alone */
};

static void *bc_waiter(void *p) {
    struct bc *b = p;
    if (b->use_pthread) {
        CHECK(pthread_mutex_lock(&b->m));
        atomic_fetch_add(&b->arrived, 1);
        while (!b->flag)
            CHECK(pthread_cond_wait(&b->c, &b->m));
        CHECK(pthread_mutex_unlock(&b->m));
    } else {
        atomic_fetch_add(&b->arrived, 1);
        if (weft_event_is_set(&b->e)) atomic_fetch_add(&b->late, 1);
        CHECK(weft_event_wait(&b->e, WEFT_FOREVER));
    }
    atomic_fetch_sub(&b->remaining, 1);
    return NULL;
}

/* Waits for every arrival, settles, wakes all and returns the ns until the last
 * waiter has returned. weft_yield on a plain thread is sched_yield. */
static int64_t bc_set_and_time(struct bc *b) {
    while (atomic_load(&b->arrived) < b->w)
        CHECK(weft_yield());
    for (int i = 0; i < 1000; i++)
        CHECK(weft_yield());
    int64_t t0;
    if (b->use_pthread) {
        CHECK(pthread_mutex_lock(&b->m));
        b->flag = 1;
        t0 = weft_now();
        CHECK(pthread_cond_broadcast(&b->c));
        CHECK(pthread_mutex_unlock(&b->m));
    } else {
        t0 = weft_now();
        CHECK(weft_event_set(&b->e) == 1 ? 0 : -1);
    }
    b->set_ns = weft_now() - t0;
    while (atomic_load(&b->remaining) > 0)
        CHECK(weft_yield());
    return weft_now() - t0;
}

static void *bc_fiber_main(void *p) {
    struct bc *b = p;
    weft_fiber_t **fs = malloc(sizeof *fs * (size_t)b->w);
    if (!fs) abort();
    for (long i = 0; i < b->w; i++)
        CHECK(weft_spawn(&fs[i], bc_waiter, b));
    int64_t t = bc_set_and_time(b);
    for (long i = 0; i < b->w; i++)
        CHECK(weft_join(fs[i], NULL, WEFT_FOREVER));
    free(fs);
    return (void *)(intptr_t)t;
}

static void broadcast_run(const char *name, long n, bench_result_t *out) {
    static struct bc b;
    memset(&b, 0, sizeof b);
    int fibers = !strcmp(name, "broadcast_event");
    b.use_pthread = !strcmp(name, "broadcast_pthread");
    b.w = n > 0 ? n : fibers ? 10000 : 1000;
    atomic_store(&b.remaining, b.w);
    CHECK(weft_event_init(&b.e));
    CHECK(pthread_mutex_init(&b.m, NULL));
    CHECK(pthread_cond_init(&b.c, NULL));
    int64_t t;
    if (fibers) {
        weft_runtime_opts_t o;
        memset(&o, 0, sizeof o);
        o.workers = 2;
        void *r;
        CHECK(weft_run(&o, bc_fiber_main, &b, &r));
        t = (int64_t)(intptr_t)r;
    } else {
        pthread_t *th = malloc(sizeof *th * (size_t)b.w);
        pthread_attr_t at;
        if (!th) abort();
        CHECK(pthread_attr_init(&at));
        CHECK(pthread_attr_setstacksize(&at, 64 * 1024));
        for (long i = 0; i < b.w; i++)
            CHECK(pthread_create(&th[i], &at, bc_waiter, &b));
        t = bc_set_and_time(&b);
        for (long i = 0; i < b.w; i++)
            CHECK(pthread_join(th[i], NULL));
        pthread_attr_destroy(&at);
        free(th);
    }
    CHECK(weft_event_destroy(&b.e));
    pthread_cond_destroy(&b.c);
    pthread_mutex_destroy(&b.m);
    out->ns_per_op = (double)t / (double)b.w;
    if (b.use_pthread)
        snprintf(out->note, sizeof out->note, "%ld waiters, %.2f ms (wake-all call %.2f)",
                 b.w, (double)t / 1e6, (double)b.set_ns / 1e6);
    else
        snprintf(out->note, sizeof out->note, "%ld waiters, %.2f ms (set %.2f), late %ld",
                 b.w, (double)t / 1e6, (double)b.set_ns / 1e6, atomic_load(&b.late));
}

int bench_run_one(const char *name, int workers, long n, bench_result_t *out) {
    weft_runtime_opts_t o;
    memset(&o, 0, sizeof o);
    o.workers = workers > 0 ? workers : 1;
    void *r = NULL;
    out->note[0] = 0;
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
    } else if (!strcmp(name, "mutex_fiber")) {
        long cnt = n > 0 ? n : 10000000;
        o.workers = 1;
        CHECK(weft_run(&o, mutex_fiber_main, &cnt, &r));
        out->ns_per_op = (double)(intptr_t)r / (double)cnt;
    } else if (!strcmp(name, "mutex_thread")) {
        long cnt = n > 0 ? n : 10000000;
        become_multithreaded();
        out->ns_per_op = (double)weft_mutex_pairs(cnt) / (double)cnt;
    } else if (!strcmp(name, "pthread_mutex")) {
        long cnt = n > 0 ? n : 10000000;
        become_multithreaded();
        out->ns_per_op = (double)pthread_mutex_pairs(cnt) / (double)cnt;
    } else if (!strcmp(name, "mutex4")) {
        long cnt = n > 0 ? n : 1000000;
        cnt -= cnt % 4;
        if (cnt < 4) cnt = 4;
        CHECK(weft_run(&o, m4_main, &cnt, &r));
        out->ns_per_op = (double)(intptr_t)r / (double)cnt;
    } else if (!strcmp(name, "pingpong_ff1") || !strcmp(name, "pingpong_ff2") ||
               !strcmp(name, "pingpong_ff2rt") || !strcmp(name, "pingpong_ft") ||
               !strcmp(name, "pingpong_tt") || !strcmp(name, "pingpong_posix")) {
        pp_run(name, n > 0 ? n : 200000, out);
    } else if (!strcmp(name, "fairness") || !strcmp(name, "fairness_pthread")) {
        fair_run(name[8] == '_', n > 0 ? n : 500, out);
        return 0; /* the RSS field holds the acquisitions */
    } else if (!strcmp(name, "queue_fibers") || !strcmp(name, "queue_threads") ||
               !strcmp(name, "queue_mixed") || !strcmp(name, "queue_pthread")) {
        queue_run(name, n > 0 ? n : 1000000, out);
    } else if (!strcmp(name, "broadcast_event") ||
               !strcmp(name, "broadcast_event_threads") ||
               !strcmp(name, "broadcast_pthread")) {
        broadcast_run(name, n, out);
    } else {
        return -1;
    }
    out->peak_rss_kib = peak_rss_kib();
    return 0;
}
