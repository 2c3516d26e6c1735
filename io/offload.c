/* io/offload.c: each runtime's bounded pool of blocking-work threads
 * (weft/offload.h).
 *
 * Jobs go through one unbounded weft_queue_t (FIFO) to at most `max` plain
 * threads, started when a job is queued and no started thread is idle. A job
 * is shared by its caller and the pool (two references; the last frees it) and
 * moves QUEUED -> RUNNING -> DONE, or to ABANDONED from QUEUED (withdrawn: the
 * pool drops it unrun) or from RUNNING (the pool hands the result to
 * on_abandon). Each transition is one compare-and-swap, so a caller giving up
 * and the pool starting or finishing the job never both win.
 * The pool is an extension of its runtime (runtime/ext.h), installed by the
 * first offload call: the watchdog asks it whether jobs are queued or running,
 * and the runtime destroys it (joining its threads) when it is freed. */
#include "weft/offload.h"
#include "runtime/fault.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io_internal.h"
#include "runtime/ext.h"
#include "runtime/park.h"
#include "runtime/spin.h"
#include "runtime/worker.h"
#include "weft/event.h"
#include "weft/fiber.h"
#include "weft/queue.h"

#define DEFAULT_THREADS 16
#define BOUNCE_MAX      ((size_t)1 << 20)

enum { QUEUED, RUNNING, DONE, ABANDONED };

typedef struct job {
    void *(*fn)(void *);
    void *arg;
    void *result;
    void (*on_abandon)(void *, void *, int);
    atomic_int state;
    atomic_int refs;
    weft_event_t done;
} job_t;

struct weft__pool {
    weft__ext_t ext; /* first: the runtime's handle on the pool */
    weft_queue_t jobs;
    weft__spin_t lock; /* guards nthreads and threads[] */
    int max, nthreads;
    atomic_int idle;
    pthread_t *threads;
};

static void job_unref(job_t *j) {
    if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) == 1) {
        weft_event_destroy(&j->done);
        free(j);
    }
}

static void run_job(job_t *j) {
    int s = QUEUED;
    if (!atomic_compare_exchange_strong(&j->state, &s, RUNNING)) {
        job_unref(j); /* withdrawn before it started */
        return;
    }
    void *res = j->fn(j->arg);
    j->result = res;
    s = RUNNING;
    if (atomic_compare_exchange_strong(&j->state, &s, DONE))
        weft_event_set(&j->done);
    else if (j->on_abandon)
        j->on_abandon(j->arg, res, 1);
    job_unref(j);
}

static void *pool_thread(void *p) {
    struct weft__pool *pool = p;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are for the program's threads */
    for (;;) {
        void *item;
        atomic_fetch_add(&pool->idle, 1);
        int r = weft_queue_get(&pool->jobs, &item, WEFT_FOREVER);
        atomic_fetch_sub(&pool->idle, 1);
        if (r) break; /* -EPIPE: shut down and drained */
        run_job(item);
    }
    return NULL;
}

static int pool_busy(weft__ext_t *e);
static void pool_destroy(weft__ext_t *e);
static const weft__ext_ops_t pool_ops = {pool_busy, pool_destroy};

/* ext is the pool's first member. */
static struct weft__pool *pool_from(weft__ext_t *e) {
    return (struct weft__pool *)e;
}

static struct weft__pool *pool_of(weft_runtime_t *rt) {
    weft__ext_t *e = weft__ext_find(rt, &pool_ops);
    if (e) return pool_from(e);
    struct weft__pool *p = weft__calloc(1, sizeof *p);
    if (!p) return NULL;
    p->ext.ops = &pool_ops;
    p->max = rt->offload_max > 0 ? rt->offload_max : DEFAULT_THREADS;
    p->threads = weft__calloc((size_t)p->max, sizeof *p->threads);
    p->lock = (weft__spin_t)WEFT__SPIN_INIT;
    if (!p->threads || weft_queue_init(&p->jobs, WEFT_FIFO, 0, NULL) != 0) {
        free(p->threads);
        free(p);
        return NULL;
    }
    e = weft__ext_install(rt, &p->ext);
    if (e != &p->ext) { /* another fiber's pool was installed first */
        weft_queue_destroy(&p->jobs);
        free(p->threads);
        free(p);
        return e ? pool_from(e) : NULL;
    }
    return p;
}

/* Starts a thread if queued jobs outnumber idle threads and the bound allows.
 * Returns the number of threads (0: none could ever be started). */
static int maybe_grow(struct weft__pool *p) {
    weft__spin_lock(&p->lock);
    if (p->nthreads < p->max && weft_queue_len(&p->jobs) > atomic_load(&p->idle) &&
        weft__pthread_create(&p->threads[p->nthreads], NULL, pool_thread, p) == 0)
        p->nthreads++;
    int n = p->nthreads;
    weft__spin_unlock(&p->lock);
    return n;
}

/* Non-zero while jobs are queued or running: the watchdog thread asks. */
static int pool_busy(weft__ext_t *e) {
    struct weft__pool *p = pool_from(e);
    weft__spin_lock(&p->lock);
    int n = p->nthreads;
    weft__spin_unlock(&p->lock);
    return weft_queue_len(&p->jobs) > 0 || atomic_load(&p->idle) < n;
}

/* As the runtime is freed: shuts the pool down and joins its threads. */
static void pool_destroy(weft__ext_t *e) {
    struct weft__pool *p = pool_from(e);
    weft_queue_shutdown(&p->jobs, 0);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    void *item; /* jobs no thread could take (thread creation failed): withdrawn */
    while (weft_queue_get(&p->jobs, &item, WEFT_NOWAIT) == 0)
        job_unref(item);
    weft_queue_destroy(&p->jobs);
    free(p->threads);
    free(p);
}

int weft_offload_ex(void *(*fn)(void *), void *arg, void **result, int64_t deadline,
                    void (*on_abandon)(void *arg, void *result, int ran)) {
    if (!fn) return -EINVAL;
    weft_runtime_t *rt = weft_current_runtime();
    if (!rt) { /* a plain thread may block: run it here */
        if (weft__deadline_passed(deadline)) {
            if (on_abandon) on_abandon(arg, NULL, 0);
            return -ETIMEDOUT;
        }
        void *r = fn(arg);
        if (result) *result = r;
        return 0;
    }
    int r = weft__cancel_check(deadline);
    if (!r && weft__deadline_passed(deadline)) r = -ETIMEDOUT;
    if (r) {
        if (on_abandon) on_abandon(arg, NULL, 0);
        return r;
    }
    struct weft__pool *p = pool_of(rt);
    job_t *j = p ? weft__malloc(sizeof *j) : NULL;
    if (!j) return -ENOMEM;
    *j = (job_t){.fn = fn, .arg = arg, .on_abandon = on_abandon};
    atomic_init(&j->state, QUEUED);
    atomic_init(&j->refs, 2);
    weft_event_init(&j->done);
    if (weft_queue_put(&p->jobs, j, WEFT_FOREVER) != 0) {
        weft_event_destroy(&j->done);
        free(j);
        return -ENOMEM;
    }
    r = maybe_grow(p) == 0 ? -EAGAIN : weft_event_wait(&j->done, deadline);
    if (r) {
        int s = QUEUED;
        if (atomic_compare_exchange_strong(&j->state, &s, ABANDONED)) {
            /* withdrawn: it never runs (-EAGAIN: the caller keeps arg) */
            if (on_abandon && r != -EAGAIN) on_abandon(arg, NULL, 0);
        } else if (s == RUNNING &&
                   atomic_compare_exchange_strong(&j->state, &s, ABANDONED)) {
            /* the pool thread calls on_abandon when fn returns */
        } else {
            r = 0; /* it finished just as we gave up: the result is ours */
        }
    }
    if (r == 0 && result) *result = j->result;
    job_unref(j);
    return r;
}

int weft_offload(void *(*fn)(void *), void *arg, void **result, int64_t deadline) {
    return weft_offload_ex(fn, arg, result, deadline, NULL);
}

int weft_offload_threads(void) {
    weft_runtime_t *rt = weft_current_runtime();
    if (!rt) return -EPERM;
    weft__ext_t *e = weft__ext_find(rt, &pool_ops);
    if (!e) return 0;
    struct weft__pool *p = pool_from(e);
    weft__spin_lock(&p->lock);
    int n = p->nthreads;
    weft__spin_unlock(&p->lock);
    return n;
}

/* --- file I/O through a pool-owned buffer --- */
struct rw {
    int fd, is_write;
    off_t offset; /* < 0: read/write at the file position */
    size_t n;
    ssize_t got;
    char data[];
};

static void *rw_fn(void *p) {
    struct rw *a = p;
    ssize_t r;
    do {
        if (a->is_write)
            r = a->offset < 0 ? write(a->fd, a->data, a->n)
                              : pwrite(a->fd, a->data, a->n, a->offset);
        else
            r = a->offset < 0 ? read(a->fd, a->data, a->n)
                              : pread(a->fd, a->data, a->n, a->offset);
    } while (r < 0 && errno == EINTR);
    a->got = r < 0 ? -errno : r;
    return NULL;
}

static void rw_abandon(void *p, void *result, int ran) {
    (void)result;
    (void)ran;
    free(p);
}

ssize_t weft__offload_rw(int fd, void *buf, size_t n, off_t offset, int is_write,
                         int64_t deadline) {
    if (n > BOUNCE_MAX) n = BOUNCE_MAX;
    struct rw *a = weft__malloc(sizeof *a + n);
    if (!a) return -ENOMEM;
    *a = (struct rw){.fd = fd, .is_write = is_write, .offset = offset, .n = n};
    if (is_write) memcpy(a->data, buf, n);
    int r = weft_offload_ex(rw_fn, a, NULL, deadline, rw_abandon);
    if (r) return r; /* a belongs to the pool now */
    ssize_t got = a->got;
    if (!is_write && got > 0) memcpy(buf, a->data, (size_t)got);
    free(a);
    return got;
}

ssize_t weft_pread(int fd, void *buf, size_t n, off_t offset, int64_t deadline) {
    if (fd < 0) return -EBADF;
    if ((!buf && n) || offset < 0) return -EINVAL;
    /* A plain thread, or a try (a file is always ready): right here. */
    if (!weft_current_runtime() || weft__deadline_passed(deadline)) {
        ssize_t r;
        do
            r = pread(fd, buf, n, offset);
        while (r < 0 && errno == EINTR);
        return r < 0 ? -errno : r;
    }
    return weft__offload_rw(fd, buf, n, offset, 0, deadline);
}

ssize_t weft_pwrite(int fd, const void *buf, size_t n, off_t offset, int64_t deadline) {
    if (fd < 0) return -EBADF;
    if ((!buf && n) || offset < 0) return -EINVAL;
    if (!weft_current_runtime() || weft__deadline_passed(deadline)) {
        ssize_t r;
        do
            r = pwrite(fd, buf, n, offset);
        while (r < 0 && errno == EINTR);
        return r < 0 ? -errno : r;
    }
    return weft__offload_rw(fd, (void *)buf, n, offset, 1, deadline);
}
