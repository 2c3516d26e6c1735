/* tests/test_bad_input.c: the rows of the bad-input table (docs/reliability.md,
 * "Bad input and misuse") that no other test covers, and a few that others
 * cover without showing the object usable afterwards. Each check asserts the
 * exact documented return value, then that the object is still usable (DESIGN.md
 * 2: "misuse that can be detected returns an error; it never crashes and never
 * corrupts state"): after a refused unlock the owner still unlocks and another
 * caller can lock; after a refused destroy the waiter is still served and the
 * destroy then succeeds; after a refused call on a descriptor it still carries
 * data.
 *
 * Ownership is per fiber, not per thread: several checks run two fibers on ONE
 * worker, so that the non-owner shares the owner's thread.
 *
 * White-box checks: a recursion depth at UINT_MAX (rmutex) or INT_MAX (reentrant
 * limiter) cannot be reached by calling lock that often, so those checks set the
 * private count directly, and -ESHUTDOWN needs a runtime that is being destroyed
 * yet still reachable, which only the first half of weft_runtime_destroy
 * (weft__runtime_close) gives. */
#include "harness.h"
#include "runtime/worker.h"
#include "sync/waitq.h"

#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "runtime/worker.h"
#include "sync/waitq.h"
#include "weft.h"

void weft__runtime_close(weft_runtime_t *rt); /* runtime/sched.c */

#define LONG weft_after(WEFT_SEC(10))

static void *ret_arg(void *arg) {
    return arg;
}

/* Runs fn(arg) on a new plain thread; returns its int result. Main thread. */
static int on_thread(void *(*fn)(void *), void *arg) {
    pthread_t t;
    void *r = NULL;
    assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    return WT_INT(r);
}

/* The same from a fiber (blocks its worker for the thread's short life). */
static int on_thread_from_fiber(void *(*fn)(void *), void *arg) {
    pthread_t t;
    void *r = NULL;
    if (pthread_create(&t, NULL, fn, arg) != 0) return INT_MIN;
    if (pthread_join(t, &r) != 0) return INT_MIN;
    return WT_INT(r);
}

/* Spawns fn(arg) on the caller's runtime and joins it: fn's int result. */
static int in_child(void *(*fn)(void *), void *arg) {
    weft_fiber_t *f = NULL;
    void *r = WT_PTR(INT_MIN);
    WT_CHECK_EQ(weft_spawn(&f, fn, arg), 0);
    WT_CHECK_EQ(weft_join(f, &r, WEFT_FOREVER), 0);
    return WT_INT(r);
}

/* Spins until wl has n queued waiters (a deadlock detector, not a timing
 * assertion). */
static int wait_queued(struct weft__wl *wl, int n) {
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft__wl_count(wl) < n) {
        if (weft_now() > limit) return -ETIMEDOUT;
        wt_pause();
    }
    return 0;
}

/* =========================================================================
 * runtime.h
 * ========================================================================= */

static void runtime_options(void **state) {
    (void)state;
    weft_runtime_t *rt = (weft_runtime_t *)WT_PTR(1);
    weft_runtime_opts_t o = {.workers = 1};
    /* offload_threads outside 0..WEFT_MAX_OFFLOAD_THREADS */
    o.offload_threads = -1;
    assert_int_equal(weft_runtime_create(&rt, &o), -EINVAL);
    assert_int_equal(weft_run(&o, ret_arg, NULL, NULL), -EINVAL);
    o.offload_threads = WEFT_MAX_OFFLOAD_THREADS + 1;
    assert_int_equal(weft_runtime_create(&rt, &o), -EINVAL);
    assert_int_equal(weft_run(&o, ret_arg, NULL, NULL), -EINVAL);
    o.offload_threads = 0;
    /* watchdog < 0 (also from weft_run) */
    o.watchdog = -1;
    assert_int_equal(weft_runtime_create(&rt, &o), -EINVAL);
    assert_int_equal(weft_run(&o, ret_arg, NULL, NULL), -EINVAL);
    o.watchdog = 0;
    /* stack_guard other than 0 or -1 */
    o.stack_guard = 1;
    assert_int_equal(weft_runtime_create(&rt, &o), -EINVAL);
    o.stack_guard = -2;
    assert_int_equal(weft_runtime_create(&rt, &o), -EINVAL);
    o.stack_guard = 0;
    assert_ptr_equal(rt, WT_PTR(1)); /* untouched by every refusal */

    /* The bounds themselves are accepted; a tiny stack_size is raised to the
     * library's minimum (not an error). */
    o.offload_threads = WEFT_MAX_OFFLOAD_THREADS;
    o.stack_size = 1;
    assert_int_equal(weft_runtime_create(&rt, &o), 0);
    assert_int_equal(weft_runtime_stats(rt, NULL), -EINVAL);
    weft_runtime_stats_t st;
    assert_int_equal(weft_runtime_stats(rt, &st), 0);
    weft_fiber_t *f = NULL;
    void *r = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, ret_arg, WT_PTR(6)), 0);
    assert_int_equal(weft_join(f, &r, WEFT_FOREVER), 0);
    assert_int_equal(WT_INT(r), 6);
    wt_destroy(rt);
    assert_int_equal(weft_run(&o, ret_arg, WT_PTR(7), &r), 0);
    assert_int_equal(WT_INT(r), 7);
}

/* weft_runtime_destroy on weft_run's runtime, from a plain thread: -EPERM, and
 * the runtime keeps running its fibers. */
static void *destroy_run_rt(void *arg) {
    return WT_PTR(weft_runtime_destroy((weft_runtime_t *)arg));
}

static void *destroy_run_main(void *arg) {
    (void)arg;
    weft_runtime_t *rt = weft_current_runtime();
    WT_CHECK_EQ(on_thread_from_fiber(destroy_run_rt, rt), -EPERM);
    WT_CHECK_EQ(in_child(ret_arg, WT_PTR(5)), 5);
    return WT_PTR(11);
}

static void runtime_destroy_run_from_thread(void **state) {
    (void)state;
    void *r = NULL;
    assert_int_equal(weft_run(NULL, destroy_run_main, NULL, &r), 0);
    wt_assert_clean();
    assert_int_equal(WT_INT(r), 11);
}

/* =========================================================================
 * fiber.h
 * ========================================================================= */

static void spawn_errors(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(1);
    weft_fiber_t *f = (weft_fiber_t *)WT_PTR(1);
    assert_int_equal(weft_spawn_on(rt, &f, NULL, NULL), -EINVAL);
    assert_int_equal(weft_spawn_on(rt, NULL, NULL, NULL), -EINVAL);
    assert_ptr_equal(f, WT_PTR(1));
    /* still usable */
    void *r = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, ret_arg, WT_PTR(3)), 0);
    assert_int_equal(weft_join(f, &r, WEFT_FOREVER), 0);
    assert_int_equal(WT_INT(r), 3);
    wt_destroy(rt);

    /* A runtime being destroyed, with no fiber left: -ESHUTDOWN; the destroy
     * then completes. */
    rt = wt_create(1);
    weft__runtime_close(rt);
    f = (weft_fiber_t *)WT_PTR(1);
    assert_int_equal(weft_spawn_on(rt, &f, ret_arg, NULL), -ESHUTDOWN);
    assert_int_equal(weft_spawn_on(rt, NULL, ret_arg, NULL), -ESHUTDOWN);
    assert_ptr_equal(f, WT_PTR(1));
    assert_int_equal(weft_runtime_destroy(rt), 0);
}

/* Unbalanced shields and shields on plain threads are ignored. */
static void *shield_main(void *arg) {
    (void)arg;
    weft_mutex_t m = WEFT_MUTEX_INIT;
    weft_shield_end(); /* no matching begin: ignored */
    weft_shield_end();
    WT_CHECK_EQ(weft_cancel(weft_self()), 0);
    WT_CHECK_EQ(weft_mutex_lock(&m, WEFT_FOREVER), -ECANCELED); /* not shielded */
    weft_shield_begin();
    WT_CHECK_EQ(weft_mutex_lock(&m, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_mutex_unlock(&m), 0);
    weft_shield_end();
    WT_CHECK_EQ(weft_mutex_lock(&m, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_mutex_is_locked(&m), 0);
    return NULL;
}

static void shield_misuse(void **state) {
    (void)state;
    weft_shield_end();
    weft_shield_begin();
    weft_shield_end();
    weft_shield_end();
    assert_int_equal(weft_cancelled(), 0);
    weft_mutex_t m = WEFT_MUTEX_INIT;
    assert_int_equal(weft_mutex_lock(&m, WEFT_NOWAIT), 0);
    assert_int_equal(weft_mutex_unlock(&m), 0);
    wt_in_runtime(WT_RUN, 1, shield_main, NULL);
}

/* Fiber-local storage: keys never created, out of range, all keys in use. */
static void *fls_main(void *arg) {
    (void)arg;
    weft_fls_key_t bad = {WEFT_FLS_KEYS, 1};
    int v = 0;
    WT_CHECK_EQ(weft_fls_set(bad, &v), -EINVAL);
    WT_CHECK(weft_fls_get(bad) == NULL);
    weft_fls_key_t k;
    WT_CHECK_EQ(weft_fls_key_create(&k, NULL), 0);
    WT_CHECK_EQ(weft_fls_set(k, &v), 0);
    WT_CHECK(weft_fls_get(k) == &v);
    WT_CHECK_EQ(weft_fls_key_delete(k), 0);
    return NULL;
}

static void fls_errors(void **state) {
    (void)state;
    weft_fls_key_t never = {0, 0}, out = {WEFT_FLS_KEYS, 1};
    assert_int_equal(weft_fls_key_delete(never), -EINVAL);
    assert_int_equal(weft_fls_key_delete(out), -EINVAL);
    /* Every key in use: -EAGAIN; freeing one makes room again. */
    static weft_fls_key_t keys[WEFT_FLS_KEYS + 1];
    int n, r = 0;
    for (n = 0; n <= WEFT_FLS_KEYS; n++)
        if ((r = weft_fls_key_create(&keys[n], NULL)) != 0) break;
    assert_int_equal(r, -EAGAIN);
    assert_true(n > 0 && n <= WEFT_FLS_KEYS);
    assert_int_equal(weft_fls_key_create(&keys[n], NULL), -EAGAIN);
    assert_int_equal(weft_fls_key_delete(keys[n - 1]), 0);
    assert_int_equal(weft_fls_key_create(&keys[n - 1], NULL), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(weft_fls_key_delete(keys[i]), 0);
    wt_in_runtime(WT_RUN, 1, fls_main, NULL);
}

/* =========================================================================
 * mutex.h
 * ========================================================================= */

static weft_mutex_t g_m;

static void *mutex_unlock_fn(void *arg) {
    (void)arg;
    return WT_PTR(weft_mutex_unlock(&g_m));
}

static void *mutex_try_fn(void *arg) {
    (void)arg;
    return WT_PTR(weft_mutex_lock(&g_m, WEFT_NOWAIT));
}

static void *mutex_cycle_fn(void *arg) {
    (void)arg;
    int r = weft_mutex_lock(&g_m, WEFT_FOREVER);
    if (r) return WT_PTR(r);
    return WT_PTR(weft_mutex_unlock(&g_m));
}

/* One worker: the non-owner fibers run on the owner's thread. */
static void *mutex_main(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_mutex_init(&g_m), 0);
    WT_CHECK_EQ(weft_mutex_lock(&g_m, WEFT_FOREVER), 0);
    WT_CHECK_EQ(in_child(mutex_unlock_fn, NULL), -EPERM);
    WT_CHECK_EQ(in_child(mutex_try_fn, NULL), -ETIMEDOUT);
    WT_CHECK(weft_mutex_is_owned(&g_m));
    /* A queued waiter: destroy is refused and the waiter is still served. */
    weft_fiber_t *w = NULL;
    void *r = WT_PTR(INT_MIN);
    WT_CHECK_EQ(weft_spawn(&w, mutex_cycle_fn, NULL), 0);
    WT_CHECK_EQ(wt_wait_state(w, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_mutex_destroy(&g_m), -EBUSY);
    WT_CHECK_EQ(weft_mutex_unlock(&g_m), 0);
    WT_CHECK_EQ(weft_join(w, &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(r), 0);
    WT_CHECK_EQ(in_child(mutex_cycle_fn, NULL), 0); /* another can lock */
    WT_CHECK_EQ(weft_mutex_destroy(&g_m), 0);
    return NULL;
}

static void mutex_misuse(void **state) {
    (void)state;
    assert_int_equal(weft_mutex_destroy(NULL), -EINVAL);
    assert_int_equal(weft_mutex_unlock(NULL), -EINVAL);
    assert_int_equal(weft_mutex_is_locked(NULL), 0);
    assert_int_equal(weft_mutex_is_owned(NULL), 0);
    wt_in_runtime(WT_RUN, 1, mutex_main, NULL);
    /* threads: after a non-owner's -EPERM, another thread can lock */
    assert_int_equal(weft_mutex_init(&g_m), 0);
    assert_int_equal(weft_mutex_lock(&g_m, WEFT_NOWAIT), 0);
    assert_int_equal(on_thread(mutex_unlock_fn, NULL), -EPERM);
    assert_int_equal(weft_mutex_unlock(&g_m), 0);
    assert_int_equal(on_thread(mutex_cycle_fn, NULL), 0);
    assert_int_equal(weft_mutex_destroy(&g_m), 0);
}

/* =========================================================================
 * rmutex.h
 * ========================================================================= */

static weft_rmutex_t g_rm;

static void *rmutex_unlock_fn(void *arg) {
    (void)arg;
    int r = weft_rmutex_unlock(&g_rm);
    return WT_PTR(r ? r : 1000 + weft_rmutex_count(&g_rm));
}

static void *rmutex_cycle_fn(void *arg) {
    (void)arg;
    int r = weft_rmutex_lock(&g_rm, WEFT_NOWAIT);
    if (r) return WT_PTR(r);
    return WT_PTR(weft_rmutex_unlock(&g_rm));
}

static void *rmutex_main(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_rmutex_init(&g_rm), 0);
    WT_CHECK_EQ(weft_rmutex_lock(&g_rm, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_rmutex_lock(&g_rm, WEFT_FOREVER), 0);
    WT_CHECK_EQ(in_child(rmutex_unlock_fn, NULL), -EPERM);
    WT_CHECK_EQ(weft_rmutex_count(&g_rm), 2);
    WT_CHECK_EQ(weft_rmutex_unlock(&g_rm), 0);
    WT_CHECK_EQ(weft_rmutex_unlock(&g_rm), 0);
    WT_CHECK_EQ(in_child(rmutex_cycle_fn, NULL), 0);
    return NULL;
}

static void rmutex_misuse(void **state) {
    (void)state;
    assert_int_equal(weft_rmutex_init(NULL), -EINVAL);
    assert_int_equal(weft_rmutex_destroy(NULL), -EINVAL);
    assert_int_equal(weft_rmutex_lock(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_rmutex_unlock(NULL), -EINVAL);
    assert_int_equal(weft_rmutex_count(NULL), 0);
    assert_int_equal(weft_rmutex_is_locked(NULL), 0);
    wt_in_runtime(WT_RUN, 1, rmutex_main, NULL);

    /* A thread that does not hold it: -EPERM; the owner's depth is intact. */
    assert_int_equal(weft_rmutex_lock(&g_rm, WEFT_FOREVER), 0);
    assert_int_equal(weft_rmutex_lock(&g_rm, WEFT_FOREVER), 0);
    assert_int_equal(on_thread(rmutex_unlock_fn, NULL), -EPERM);
    assert_int_equal(weft_rmutex_count(&g_rm), 2);
    /* Depth at UINT_MAX (white-box: set, not reached): -EOVERFLOW. */
    g_rm.count = UINT_MAX;
    assert_int_equal(weft_rmutex_lock(&g_rm, WEFT_FOREVER), -EOVERFLOW);
    assert_int_equal(weft_rmutex_lock(&g_rm, WEFT_NOWAIT), -EOVERFLOW);
    assert_true(g_rm.count == UINT_MAX); /* nothing changed */
    g_rm.count = 2;
    assert_int_equal(weft_rmutex_unlock(&g_rm), 0);
    assert_int_equal(weft_rmutex_unlock(&g_rm), 0);
    assert_int_equal(weft_rmutex_is_locked(&g_rm), 0);
    assert_int_equal(on_thread(rmutex_cycle_fn, NULL), 0);
    assert_int_equal(weft_rmutex_destroy(&g_rm), 0);
}

/* =========================================================================
 * rwlock.h
 * ========================================================================= */

static weft_rwlock_t g_rw;

static void *rw_wrunlock_fn(void *arg) {
    (void)arg;
    return WT_PTR(weft_rwlock_wrunlock(&g_rw));
}

static void *rw_rdunlock_fn(void *arg) {
    (void)arg;
    return WT_PTR(weft_rwlock_rdunlock(&g_rw));
}

static void *rw_wrcycle_fn(void *arg) {
    int64_t deadline = arg ? WEFT_FOREVER : WEFT_NOWAIT;
    int r = weft_rwlock_wrlock(&g_rw, deadline);
    if (r) return WT_PTR(r);
    return WT_PTR(weft_rwlock_wrunlock(&g_rw));
}

static void *rw_main(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_rwlock_init(&g_rw), 0);
    WT_CHECK_EQ(weft_rwlock_wrlock(&g_rw, WEFT_FOREVER), 0);
    WT_CHECK_EQ(in_child(rw_wrunlock_fn, NULL), -EPERM);
    WT_CHECK_EQ(in_child(rw_rdunlock_fn, NULL), -EPERM);
    WT_CHECK_EQ(in_child(rw_wrcycle_fn, NULL), -ETIMEDOUT);
    WT_CHECK_EQ(weft_rwlock_is_write_locked(&g_rw), 1);
    WT_CHECK_EQ(weft_rwlock_wrunlock(&g_rw), 0);
    WT_CHECK_EQ(in_child(rw_wrcycle_fn, NULL), 0);
    /* A queued writer: destroy is refused, the writer still gets the lock. */
    WT_CHECK_EQ(weft_rwlock_rdlock(&g_rw, WEFT_FOREVER), 0);
    weft_fiber_t *w = NULL;
    void *r = WT_PTR(INT_MIN);
    WT_CHECK_EQ(weft_spawn(&w, rw_wrcycle_fn, WT_PTR(1)), 0);
    WT_CHECK_EQ(wt_wait_state(w, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_rwlock_destroy(&g_rw), -EBUSY);
    WT_CHECK_EQ(weft_rwlock_rdunlock(&g_rw), 0);
    WT_CHECK_EQ(weft_join(w, &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(r), 0);
    WT_CHECK_EQ(weft_rwlock_destroy(&g_rw), 0);
    return NULL;
}

static void rwlock_misuse(void **state) {
    (void)state;
    assert_int_equal(weft_rwlock_destroy(NULL), -EINVAL);
    assert_int_equal(weft_rwlock_rdlock(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_rwlock_wrlock(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_rwlock_rdunlock(NULL), -EINVAL);
    assert_int_equal(weft_rwlock_wrunlock(NULL), -EINVAL);
    assert_int_equal(weft_rwlock_readers(NULL), -EINVAL);
    assert_int_equal(weft_rwlock_is_write_locked(NULL), 0);
    wt_in_runtime(WT_RUN, 1, rw_main, NULL);
    /* threads */
    assert_int_equal(weft_rwlock_init(&g_rw), 0);
    assert_int_equal(weft_rwlock_wrlock(&g_rw, WEFT_NOWAIT), 0);
    assert_int_equal(on_thread(rw_wrunlock_fn, NULL), -EPERM);
    assert_int_equal(weft_rwlock_wrunlock(&g_rw), 0);
    assert_int_equal(on_thread(rw_wrcycle_fn, NULL), 0);
    assert_int_equal(weft_rwlock_destroy(&g_rw), 0);
}

/* =========================================================================
 * sem.h
 * ========================================================================= */

static void sem_misuse(void **state) {
    (void)state;
    assert_int_equal(weft_sem_destroy(NULL), -EINVAL);
    assert_int_equal(weft_sem_acquire(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_sem_release(NULL, 1), -EINVAL);
    assert_int_equal(weft_sem_value(NULL), -EINVAL);
    assert_int_equal(weft_sem_waiting(NULL), -EINVAL);
    weft_sem_t s;
    assert_int_equal(weft_sem_init(&s, 0x80000000u, 0), -EINVAL);
    assert_int_equal(weft_sem_init(&s, 0, 0x80000000u), -EINVAL);
    assert_int_equal(weft_sem_init(&s, 2, 1), -EINVAL);
    /* Unbounded: the banked value stops at 2^31 - 1. */
    assert_int_equal(weft_sem_init(&s, 0, 0), 0);
    assert_int_equal(weft_sem_release(&s, 0x80000000u), -EOVERFLOW);
    assert_int_equal(weft_sem_value(&s), 0);
    assert_int_equal(weft_sem_init(&s, 0x7fffffffu, 0), 0);
    assert_int_equal(weft_sem_release(&s, 1), -EOVERFLOW);
    assert_int_equal(weft_sem_value(&s), 0x7fffffff); /* nothing released */
    assert_int_equal(weft_sem_acquire(&s, WEFT_NOWAIT), 0);
    assert_int_equal(weft_sem_release(&s, 1), 0);
    assert_int_equal(weft_sem_value(&s), 0x7fffffff);
    assert_int_equal(weft_sem_destroy(&s), 0);
}

/* =========================================================================
 * cond.h
 * ========================================================================= */

static weft_mutex_t c_m;
static weft_cond_t c_c;
static _Atomic int c_armed, c_calls, c_inner_rc, c_inner_wait_rc;

static void *cond_wait_fn(void *arg) {
    (void)arg;
    if (weft_mutex_lock(&c_m, WEFT_FOREVER) != 0) return WT_PTR(INT_MIN);
    int r = weft_cond_wait(&c_c, WEFT_FOREVER);
    WT_CHECK(weft_mutex_is_owned(&c_m));
    weft_mutex_unlock(&c_m);
    return WT_PTR(r);
}

static void *cond_notify_fn(void *arg) {
    (void)arg;
    return WT_PTR(weft_cond_notify(&c_c, 1));
}

/* Evaluated first by the waiter (not armed yet: false), then by the notifier
 * during its notify, where a notify is refused with -EBUSY. */
static int notifying_pred(void *arg) {
    (void)arg;
    if (!atomic_load(&c_armed)) return 0;
    if (atomic_fetch_add(&c_calls, 1) == 0) {
        atomic_store(&c_inner_rc, weft_cond_notify(&c_c, 1));
        /* and a wait, which would release the lock in the middle of the notify */
        atomic_store(&c_inner_wait_rc, weft_cond_wait(&c_c, WEFT_FOREVER));
    }
    return 1;
}

static void *cond_pred_fn(void *arg) {
    (void)arg;
    if (weft_mutex_lock(&c_m, WEFT_FOREVER) != 0) return WT_PTR(INT_MIN);
    int r = weft_cond_wait_for(&c_c, notifying_pred, NULL, WEFT_FOREVER);
    WT_CHECK(weft_mutex_is_owned(&c_m));
    weft_mutex_unlock(&c_m);
    return WT_PTR(r);
}

static void cond_misuse(void **state) {
    (void)state;
    weft_cond_t c;
    weft_rmutex_t rm = WEFT_RMUTEX_INIT;
    assert_int_equal(weft_cond_init_rmutex(NULL, &rm), -EINVAL);
    assert_int_equal(weft_cond_init_rmutex(&c, NULL), -EINVAL);
    assert_int_equal(weft_cond_destroy(NULL), -EINVAL);
    assert_int_equal(weft_cond_wait(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_cond_wait_for(NULL, notifying_pred, NULL, WEFT_NOWAIT),
                     -EINVAL);
    assert_int_equal(weft_cond_notify(NULL, 1), -EINVAL);
    assert_int_equal(weft_cond_notify_all(NULL), -EINVAL);

    /* An rmutex condition: wait and notify_all without the lock. */
    assert_int_equal(weft_cond_init_rmutex(&c, &rm), 0);
    assert_int_equal(weft_cond_wait(&c, WEFT_FOREVER), -EPERM);
    assert_int_equal(weft_cond_notify_all(&c), -EPERM);
    assert_int_equal(weft_rmutex_lock(&rm, WEFT_FOREVER), 0);
    assert_int_equal(weft_rmutex_lock(&rm, WEFT_FOREVER), 0);
    assert_int_equal(weft_cond_wait(&c, WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_rmutex_count(&rm), 2); /* still held, full depth */
    assert_int_equal(weft_cond_notify_all(&c), 0);
    assert_int_equal(weft_rmutex_unlock(&rm), 0);
    assert_int_equal(weft_rmutex_unlock(&rm), 0);
    assert_int_equal(weft_cond_destroy(&c), 0);

    /* A queued waiter: destroy is refused; a notify by a thread that does not
     * hold the lock (while this one does) is refused; a negative count notifies
     * nobody; the waiter is then notified normally. */
    assert_int_equal(weft_mutex_init(&c_m), 0);
    assert_int_equal(weft_cond_init_mutex(&c_c, &c_m), 0);
    pthread_t t;
    void *r = WT_PTR(INT_MIN);
    assert_int_equal(pthread_create(&t, NULL, cond_wait_fn, NULL), 0);
    assert_int_equal(wait_queued(&c_c.wl, 1), 0);
    assert_int_equal(weft_cond_destroy(&c_c), -EBUSY);
    assert_int_equal(weft_mutex_lock(&c_m, WEFT_FOREVER), 0);
    assert_int_equal(on_thread(cond_notify_fn, NULL), -EPERM);
    assert_int_equal(weft_cond_notify(&c_c, -1), 0);
    assert_int_equal(weft_cond_notify(&c_c, 0), 0);
    assert_int_equal(weft__wl_count(&c_c.wl), 1);
    assert_int_equal(weft_cond_notify(&c_c, 1), 1);
    assert_int_equal(weft_mutex_unlock(&c_m), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    assert_int_equal(WT_INT(r), 0);
    wt_assert_clean();
    assert_int_equal(weft_cond_destroy(&c_c), 0);

    /* A notify from inside a predicate, during a notify: -EBUSY; the outer
     * notify completes and the waiter returns the predicate's value. */
    atomic_store(&c_armed, 0);
    atomic_store(&c_calls, 0);
    atomic_store(&c_inner_rc, INT_MIN);
    assert_int_equal(weft_cond_init_mutex(&c_c, &c_m), 0);
    assert_int_equal(pthread_create(&t, NULL, cond_pred_fn, NULL), 0);
    assert_int_equal(wait_queued(&c_c.wl, 1), 0);
    assert_int_equal(weft_mutex_lock(&c_m, WEFT_FOREVER), 0);
    atomic_store(&c_armed, 1);
    assert_int_equal(weft_cond_notify(&c_c, 1), 1);
    assert_int_equal(atomic_load(&c_inner_rc), -EBUSY);
    assert_int_equal(atomic_load(&c_inner_wait_rc), -EBUSY);
    assert_int_equal(weft_mutex_unlock(&c_m), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    assert_int_equal(WT_INT(r), 1);
    wt_assert_clean();
    /* usable afterwards: a plain notify works again */
    assert_int_equal(weft_mutex_lock(&c_m, WEFT_FOREVER), 0);
    assert_int_equal(weft_cond_notify(&c_c, 1), 0);
    assert_int_equal(weft_mutex_unlock(&c_m), 0);
    assert_int_equal(weft_cond_destroy(&c_c), 0);
    assert_int_equal(weft_mutex_destroy(&c_m), 0);
}

/* =========================================================================
 * event.h, countdown.h, latch.h
 * ========================================================================= */

static weft_event_t g_ev;

static void *event_wait_fn(void *arg) {
    (void)arg;
    return WT_PTR(weft_event_wait(&g_ev, WEFT_FOREVER));
}

static void event_misuse(void **state) {
    (void)state;
    assert_int_equal(weft_event_init(NULL), -EINVAL);
    assert_int_equal(weft_event_destroy(NULL), -EINVAL);
    assert_int_equal(weft_event_wait(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_event_is_set(NULL), 0);
    assert_int_equal(weft_event_init(&g_ev), 0);
    pthread_t t;
    void *r = WT_PTR(INT_MIN);
    assert_int_equal(pthread_create(&t, NULL, event_wait_fn, NULL), 0);
    assert_int_equal(wait_queued(&g_ev.wl, 1), 0);
    assert_int_equal(weft_event_destroy(&g_ev), -EBUSY);
    assert_int_equal(weft_event_set(&g_ev), 1);
    assert_int_equal(pthread_join(t, &r), 0);
    assert_int_equal(WT_INT(r), 0);
    assert_int_equal(weft_event_destroy(&g_ev), 0);

    assert_int_equal(weft_countdown_destroy(NULL), -EINVAL);
    assert_int_equal(weft_latch_destroy(NULL), -EINVAL);
}

/* =========================================================================
 * queue.h
 * ========================================================================= */

static void queue_misuse(void **state) {
    (void)state;
    weft_queue_t q;
    void *it = NULL;
    assert_int_equal(weft_queue_init(&q, -1, 0, NULL), -EINVAL);
    assert_int_equal(weft_queue_put(NULL, NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_queue_get(NULL, &it, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_queue_len(NULL), -EINVAL);
    assert_int_equal(weft_queue_shutdown(NULL, 0), -EINVAL);
    assert_int_equal(weft_queue_destroy(NULL), -EINVAL);

    /* After shutdown: -EPIPE before -ETIMEDOUT (a full queue, a try), the
     * stored items still drain, a second shutdown is harmless. */
    assert_int_equal(weft_queue_init(&q, WEFT_FIFO, 1, NULL), 0);
    assert_int_equal(weft_queue_put(&q, WT_PTR(1), WEFT_NOWAIT), 0);
    assert_int_equal(weft_queue_put(&q, WT_PTR(2), WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_queue_shutdown(&q, 0), 0);
    assert_int_equal(weft_queue_put(&q, WT_PTR(2), WEFT_NOWAIT), -EPIPE);
    assert_int_equal(weft_queue_put(&q, WT_PTR(2), WEFT_FOREVER), -EPIPE);
    assert_int_equal(weft_queue_shutdown(&q, 0), 0);
    assert_int_equal(weft_queue_len(&q), 1);
    assert_int_equal(weft_queue_get(&q, &it, WEFT_NOWAIT), 0);
    assert_int_equal(WT_INT(it), 1);
    assert_int_equal(weft_queue_get(&q, &it, WEFT_NOWAIT), -EPIPE);
    assert_int_equal(weft_queue_destroy(&q), 0);

    /* Use after destroy (an open queue, items still in it): -EPIPE from put and
     * get, length 0, a second destroy 0. It used to write through the freed
     * array (SIGSEGV). */
    for (int kind = WEFT_FIFO; kind <= WEFT_LIFO; kind++) {
        assert_int_equal(weft_queue_init(&q, kind, 0, NULL), 0);
        assert_int_equal(weft_queue_put(&q, WT_PTR(1), WEFT_NOWAIT), 0);
        assert_int_equal(weft_queue_destroy(&q), 0);
        assert_int_equal(weft_queue_put(&q, WT_PTR(2), WEFT_NOWAIT), -EPIPE);
        assert_int_equal(weft_queue_put(&q, WT_PTR(2), WEFT_FOREVER), -EPIPE);
        assert_int_equal(weft_queue_get(&q, &it, WEFT_NOWAIT), -EPIPE);
        assert_int_equal(weft_queue_get(&q, &it, WEFT_FOREVER), -EPIPE);
        assert_int_equal(weft_queue_len(&q), 0);
        assert_int_equal(weft_queue_shutdown(&q, 1), 0);
        assert_int_equal(weft_queue_destroy(&q), 0);
    }

    /* A maxsize whose array size would wrap: -ENOMEM, nothing allocated. */
    assert_int_equal(weft_queue_init(&q, WEFT_FIFO, SIZE_MAX / sizeof(void *) + 2, NULL),
                     -ENOMEM);
}

/* The serve loop: a socket that does not listen, and shutdown from a handler. */
static weft_server_t *g_srv;
static _Atomic int g_shutdown_from_handler = 1;

static void self_shutdown_handler(weft_conn_t *c) {
    atomic_store(&g_shutdown_from_handler, weft_server_shutdown(g_srv, WEFT_FOREVER));
    (void)weft_conn_write_all(c, "k", 1);
}

static void *server_misuse_main(void *arg) {
    (void)arg;
    weft_server_opts_t o = {.handler = self_shutdown_handler};
    int sv[2];
    WT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    WT_CHECK_EQ(weft_server_start(&g_srv, sv[0], &o), -EINVAL); /* not listening */
    int p[2];
    WT_CHECK_EQ(pipe(p), 0);
    WT_CHECK_EQ(weft_server_start(&g_srv, p[0], &o), -EINVAL); /* not a socket */
    close(p[0]);
    close(p[1]);
    weft_close(sv[0]);
    weft_close(sv[1]);
    int lfd = weft_listen_tcp("127.0.0.1", 0, 0);
    WT_CHECK(lfd >= 0);
    WT_CHECK_EQ(weft_server_start(&g_srv, lfd, &o), 0);
    int fd = weft_dial_tcp("127.0.0.1", weft_local_port(lfd), WEFT_FOREVER);
    WT_CHECK(fd >= 0);
    char b;
    WT_CHECK_EQ(weft_read(fd, &b, 1, WEFT_FOREVER), 1); /* served: still running */
    WT_CHECK_EQ(atomic_load(&g_shutdown_from_handler), -EDEADLK);
    weft_close(fd);
    WT_CHECK_EQ(weft_server_shutdown(g_srv, WEFT_FOREVER), 0);
    weft_close(lfd);
    return NULL;
}

static void server_misuse(void **state) {
    (void)state;
    wt_in_runtime(WT_RUN, 2, server_misuse_main, NULL);
}

/* A cancelled fiber on a shut-down, drained queue: -EPIPE before -ECANCELED. */
static weft_queue_t g_shut_q;

static void *cancelled_get(void *arg) {
    (void)arg;
    void *it;
    weft_cancel(weft_self());
    WT_CHECK_EQ(weft_queue_get(&g_shut_q, &it, WEFT_FOREVER), -EPIPE);
    WT_CHECK_EQ(weft_queue_put(&g_shut_q, it, WEFT_FOREVER), -EPIPE);
    return NULL;
}

static void queue_shutdown_before_cancel(void **state) {
    (void)state;
    assert_int_equal(weft_queue_init(&g_shut_q, WEFT_FIFO, 0, NULL), 0);
    assert_int_equal(weft_queue_shutdown(&g_shut_q, 0), 0);
    wt_in_runtime(WT_RUN, 1, cancelled_get, NULL);
    assert_int_equal(weft_queue_destroy(&g_shut_q), 0);
}

/* Deadlines below WEFT_FOREVER are in the past: tries, never waits without
 * limit, from a fiber and from a thread. */
static void *negative_deadlines(void *arg) {
    (void)arg;
    weft_sem_t s;
    WT_CHECK_EQ(weft_sem_init(&s, 0, 0), 0);
    WT_CHECK_EQ(weft_sem_acquire(&s, -2), -ETIMEDOUT);
    WT_CHECK_EQ(weft_sem_acquire(&s, INT64_MIN), -ETIMEDOUT);
    WT_CHECK_EQ(weft_sleep_until(-2), 0);
    int sv[2];
    WT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    char c;
    WT_CHECK_EQ(weft_read(sv[0], &c, 1, INT64_MIN), -ETIMEDOUT);
    WT_CHECK_EQ(weft_close(sv[0]), 0);
    WT_CHECK_EQ(weft_close(sv[1]), 0);
    WT_CHECK_EQ(weft_sem_release(&s, 1), 0); /* still usable */
    WT_CHECK_EQ(weft_sem_acquire(&s, -5), 0);
    WT_CHECK_EQ(weft_sem_destroy(&s), 0);
    return NULL;
}

static void deadlines_below_forever(void **state) {
    (void)state;
    negative_deadlines(NULL);
    wt_assert_clean();
    wt_in_runtime(WT_RUN, 1, negative_deadlines, NULL);
}

/* =========================================================================
 * flag.h, guard.h, once.h, limiter.h
 * ========================================================================= */

static void helpers_null(void **state) {
    (void)state;
    assert_int_equal(weft_flag_init(NULL), -EINVAL);
    assert_int_equal(weft_flag_destroy(NULL), -EINVAL);
    assert_int_equal(weft_flag_is_set(NULL), 0);
    assert_int_equal(weft_guard_init(NULL), -EINVAL);
    assert_int_equal(weft_guard_destroy(NULL), -EINVAL);
    assert_int_equal(weft_guard_in_use(NULL), 0);
    assert_int_equal(weft_once_init(NULL), -EINVAL);
    assert_int_equal(weft_once_destroy(NULL), -EINVAL);
    assert_int_equal(weft_once_done(NULL), 0);
    assert_int_equal(weft_limiter_total(NULL), -EINVAL);
    assert_int_equal(weft_limiter_waiting(NULL), -EINVAL);
    assert_int_equal(weft_limiter_count(NULL), -EINVAL);
}

static weft_limiter_t g_lim;

static void *limiter_cycle_fn(void *arg) {
    (void)arg;
    int r = weft_limiter_acquire(&g_lim, WEFT_NOWAIT);
    if (r) return WT_PTR(r);
    return WT_PTR(weft_limiter_release(&g_lim));
}

/* The caller's slot in the holder table (white-box; the inline table). */
static struct weft__limiter_slot *my_slot(weft_limiter_t *l) {
    for (int i = 0; i < WEFT__LIMITER_INLINE; i++)
        if (l->inl[i].id == weft__self_id()) return &l->inl[i];
    return NULL;
}

/* A reentrant depth at INT_MAX: -EOVERFLOW, before -ECANCELED. */
static void *limiter_main(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_limiter_init(&g_lim, 1, 1), 0);
    WT_CHECK_EQ(weft_limiter_acquire(&g_lim, WEFT_FOREVER), 0);
    struct weft__limiter_slot *s = my_slot(&g_lim);
    WT_CHECK(s != NULL);
    if (!s) return NULL;
    s->count = INT_MAX;
    WT_CHECK_EQ(weft_limiter_acquire(&g_lim, WEFT_FOREVER), -EOVERFLOW);
    WT_CHECK_EQ(weft_limiter_acquire(&g_lim, WEFT_NOWAIT), -EOVERFLOW);
    WT_CHECK_EQ(weft_cancel(weft_self()), 0);
    WT_CHECK_EQ(weft_limiter_acquire(&g_lim, WEFT_FOREVER), -EOVERFLOW);
    WT_CHECK_EQ(weft_limiter_count(&g_lim), INT_MAX);
    WT_CHECK_EQ(weft_limiter_borrowed(&g_lim), 1);
    s->count = 1;
    WT_CHECK_EQ(weft_limiter_release(&g_lim), 0);
    WT_CHECK_EQ(weft_limiter_borrowed(&g_lim), 0);
    WT_CHECK_EQ(weft_limiter_acquire(&g_lim, WEFT_NOWAIT), 0); /* a try still tries */
    WT_CHECK_EQ(weft_limiter_release(&g_lim), 0);
    return NULL;
}

static void limiter_overflow(void **state) {
    (void)state;
    wt_in_runtime(WT_RUN, 1, limiter_main, NULL);
    assert_int_equal(on_thread(limiter_cycle_fn, NULL), 0);
    assert_int_equal(weft_limiter_destroy(&g_lim), 0);
}

/* =========================================================================
 * Precedence for a cancelled fiber: misuse and state errors come before
 * -ECANCELED (DESIGN.md 4a), and the objects stay usable.
 * ========================================================================= */

static void *cancelled_main(void *arg) {
    (void)arg;
    weft_mutex_t m = WEFT_MUTEX_INIT, other = WEFT_MUTEX_INIT;
    weft_rwlock_t rw = WEFT_RWLOCK_INIT;
    weft_cond_t c;
    weft_queue_t q;
    weft_sem_t s = WEFT_SEM_INIT(0, 0);
    WT_CHECK_EQ(weft_cond_init_mutex(&c, &other), 0);
    WT_CHECK_EQ(weft_queue_init(&q, WEFT_FIFO, 0, NULL), 0);
    WT_CHECK_EQ(weft_mutex_lock(&m, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_rwlock_wrlock(&rw, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_queue_shutdown(&q, 0), 0);

    WT_CHECK_EQ(weft_cancel(weft_self()), 0);
    WT_CHECK_EQ(weft_mutex_lock(&m, WEFT_FOREVER), -EDEADLK);
    WT_CHECK_EQ(weft_rwlock_wrlock(&rw, WEFT_FOREVER), -EDEADLK);
    WT_CHECK_EQ(weft_rwlock_rdlock(&rw, WEFT_FOREVER), -EDEADLK);
    WT_CHECK_EQ(weft_cond_wait(&c, WEFT_FOREVER), -EPERM);
    WT_CHECK_EQ(weft_queue_put(&q, NULL, WEFT_FOREVER), -EPIPE);
    WT_CHECK_EQ(weft_join(weft_self(), NULL, WEFT_FOREVER), -EINVAL);
    WT_CHECK_EQ(weft_join(NULL, NULL, WEFT_FOREVER), -EINVAL);
    WT_CHECK_EQ(weft_sem_acquire(NULL, WEFT_FOREVER), -EINVAL);
    WT_CHECK_EQ(weft_sem_acquire(&s, WEFT_FOREVER), -ECANCELED); /* no misuse */

    weft_shield_begin();
    WT_CHECK_EQ(weft_mutex_unlock(&m), 0);
    WT_CHECK_EQ(weft_mutex_lock(&m, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_mutex_unlock(&m), 0);
    WT_CHECK_EQ(weft_rwlock_wrunlock(&rw), 0);
    WT_CHECK_EQ(weft_rwlock_rdlock(&rw, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_rwlock_rdunlock(&rw), 0);
    WT_CHECK_EQ(weft_mutex_lock(&other, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_cond_wait(&c, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_mutex_unlock(&other), 0);
    weft_shield_end();
    WT_CHECK_EQ(weft_cond_destroy(&c), 0);
    WT_CHECK_EQ(weft_queue_destroy(&q), 0);
    WT_CHECK_EQ(weft_rwlock_destroy(&rw), 0);
    WT_CHECK_EQ(weft_mutex_destroy(&m), 0);
    return NULL;
}

static void cancelled_precedence(void **state) {
    (void)state;
    wt_in_runtime(WT_RUN, 1, cancelled_main, NULL);
    wt_in_runtime(WT_CREATE, 2, cancelled_main, NULL);
}

/* =========================================================================
 * io.h, offload.h, net.h, server.h: refused arguments leave the descriptor
 * usable (fiber and thread).
 * ========================================================================= */

static void *io_body(void *arg) {
    (void)arg;
    int sv[2];
    WT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    char b[8] = {0};
    struct iovec iov = {.iov_base = b, .iov_len = sizeof b};
    struct sockaddr_un sa;
    int fd = sv[0];
    WT_CHECK_EQ(weft_read(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_write(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_recv(fd, NULL, 1, 0, LONG), -EINVAL);
    WT_CHECK_EQ(weft_send(fd, NULL, 1, 0, LONG), -EINVAL);
    WT_CHECK_EQ(weft_read_exact(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_write_all(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_readv(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_writev(fd, &iov, -1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_readv(fd, &iov, IOV_MAX + 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_accept(fd, (struct sockaddr *)&sa, NULL, LONG), -EINVAL);
    WT_CHECK_EQ(weft_connect(fd, NULL, sizeof sa, LONG), -EINVAL);
    WT_CHECK_EQ(weft_poll(fd, 0, LONG), -EINVAL);
    WT_CHECK_EQ(weft_poll(fd, POLLERR | POLLHUP | POLLNVAL, LONG), -EINVAL);
    /* A bad descriptor is reported before a bad argument. */
    WT_CHECK_EQ(weft_poll(-1, 0, LONG), -EBADF);
    WT_CHECK_EQ(weft_connect(-1, NULL, 0, LONG), -EBADF);
    WT_CHECK_EQ(weft_pread(-1, NULL, 1, -1, LONG), -EBADF);
    WT_CHECK_EQ(weft_pwrite(fd, b, 1, -1, LONG), -EINVAL);
    /* The same descriptor still carries data, both ways. */
    WT_CHECK_EQ(weft_write_all(sv[0], "ping", 4, LONG), 4);
    WT_CHECK_EQ(weft_read_exact(sv[1], b, 4, LONG), 4);
    WT_CHECK(memcmp(b, "ping", 4) == 0);
    WT_CHECK_EQ(weft_write_all(sv[1], "pong", 4, LONG), 4);
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN, LONG) & POLLIN, POLLIN);
    WT_CHECK_EQ(weft_read_exact(sv[0], b, 4, LONG), 4);
    WT_CHECK(memcmp(b, "pong", 4) == 0);

    /* weft_conn_* on a connection record: the same argument check. */
    weft_conn_t c = {.fd = sv[0]};
    WT_CHECK_EQ(weft_conn_read(&c, NULL, 1), -EINVAL);
    WT_CHECK_EQ(weft_conn_write_all(&c, NULL, 1), -EINVAL);
    WT_CHECK_EQ(weft_conn_write_all(&c, "x", 1), 1);
    WT_CHECK_EQ(weft_read(sv[1], b, 1, LONG), 1);
    WT_CHECK_EQ(weft_server_accepted(NULL), 0);
    WT_CHECK_EQ(weft_close(sv[0]), 0);
    WT_CHECK_EQ(weft_close(sv[1]), 0);
    return NULL;
}

static void io_bad_args(void **state) {
    (void)state;
    wt_in_runtime(WT_RUN, 1, io_body, NULL);
    wt_in_runtime(WT_CREATE, 2, io_body, NULL);
    assert_int_equal(on_thread(io_body, NULL), 0);
    wt_assert_clean();
}

/* on_abandon is never called for -EINVAL; the pool works afterwards. */
static _Atomic int g_abandoned;

static void count_abandon(void *arg, void *result, int ran) {
    (void)arg;
    (void)result;
    (void)ran;
    atomic_fetch_add(&g_abandoned, 1);
}

static void *offload_body(void *arg) {
    (void)arg;
    void *r = WT_PTR(INT_MIN);
    WT_CHECK_EQ(weft_offload_ex(NULL, WT_PTR(1), &r, LONG, count_abandon), -EINVAL);
    WT_CHECK_EQ(WT_INT(r), INT_MIN); /* untouched */
    WT_CHECK_EQ(weft_offload(ret_arg, WT_PTR(9), &r, LONG), 0);
    WT_CHECK_EQ(WT_INT(r), 9);
    /* getaddrinfo: no result pointer, or neither node nor service: -EINVAL
     * with *gai_error cleared. */
    struct addrinfo *res = NULL;
    int gai = 7;
    WT_CHECK_EQ(weft_getaddrinfo("127.0.0.1", "80", NULL, NULL, LONG, &gai), -EINVAL);
    WT_CHECK_EQ(gai, 0);
    gai = 7;
    WT_CHECK_EQ(weft_getaddrinfo(NULL, NULL, NULL, &res, LONG, &gai), -EINVAL);
    WT_CHECK_EQ(gai, 0);
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    WT_CHECK_EQ(weft_getaddrinfo("127.0.0.1", "80", &hints, &res, LONG, &gai), 0);
    WT_CHECK(res != NULL);
    if (res) freeaddrinfo(res);
    /* A fiber-only call from a plain thread. */
    if (!weft_self()) WT_CHECK_EQ(weft_offload_threads(), -EPERM);
    return NULL;
}

static void offload_einval(void **state) {
    (void)state;
    atomic_store(&g_abandoned, 0);
    wt_in_runtime(WT_RUN, 1, offload_body, NULL);
    assert_int_equal(on_thread(offload_body, NULL), 0);
    wt_assert_clean();
    assert_int_equal(atomic_load(&g_abandoned), 0);
}

/* backlog <= 0 means SOMAXCONN (not an error); an empty Unix path is -EINVAL. */
static void *net_body(void *arg) {
    (void)arg;
    int l = weft_listen_tcp("127.0.0.1", 0, -5);
    WT_CHECK(l >= 0);
    if (l < 0) return NULL;
    int port = weft_local_port(l);
    WT_CHECK(port > 0);
    int c = weft_dial_tcp("127.0.0.1", port, LONG);
    WT_CHECK(c >= 0);
    int a = weft_accept(l, NULL, NULL, LONG);
    WT_CHECK(a >= 0);
    char b = 0;
    WT_CHECK_EQ(weft_write_all(c, "z", 1, LONG), 1);
    WT_CHECK_EQ(weft_read_exact(a, &b, 1, LONG), 1);
    WT_CHECK_EQ(b, 'z');
    weft_close(a);
    weft_close(c);
    weft_close(l);
    WT_CHECK_EQ(weft_dial_unix("", LONG), -EINVAL);
    return NULL;
}

static void net_args(void **state) {
    (void)state;
    wt_in_runtime(WT_RUN, 1, net_body, NULL);
    assert_int_equal(on_thread(net_body, NULL), 0);
    wt_assert_clean();
}

/* --- a blocking call from a signal handler that interrupted a wait --- */

/* A plain thread has one parker. A handler that interrupts its wait and blocks
 * again would overwrite the interrupted wait, which then never returned (not at
 * its deadline, not when released). Such a nested call now gets -EDEADLK at
 * once, leaves its object as it was, and the interrupted wait goes on. */
static struct {
    weft_sem_t outer, inner;
    weft_mutex_t held;
    _Atomic int in_handler, handled, outer_done;
    int sem_r, mutex_r, outer_r;
} nest;

static void nested_handler(int sig) {
    (void)sig;
    atomic_store(&nest.in_handler, 1);
    nest.sem_r = weft_sem_acquire(&nest.inner, weft_after(WEFT_SEC(5)));
    nest.mutex_r = weft_mutex_lock(&nest.held, weft_after(WEFT_SEC(5)));
    atomic_store(&nest.handled, 1);
}

static void *nested_waiter(void *arg) {
    (void)arg;
    nest.outer_r = weft_sem_acquire(&nest.outer, weft_after(WEFT_SEC(30)));
    atomic_store(&nest.outer_done, 1);
    return NULL;
}

static void signal_nested_wait(void **state) {
    (void)state;
    /* TSan defers an asynchronous signal that arrives in an uninstrumented
     * system call (the thread's futex wait is a raw syscall) until the thread
     * is back in instrumented code, which here is after the outer wait ends:
     * the nested case cannot be staged. Debug and ASan builds run it. */
    if (WT_TSAN) skip();
    memset(&nest, 0, sizeof nest);
    assert_int_equal(weft_sem_init(&nest.outer, 0, 0), 0);
    assert_int_equal(weft_sem_init(&nest.inner, 0, 0), 0);
    assert_int_equal(weft_mutex_init(&nest.held), 0);
    assert_int_equal(weft_mutex_lock(&nest.held, WEFT_FOREVER), 0); /* main holds it */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nested_handler;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, nested_waiter, NULL), 0);
    /* A node in the waiter queue means the wait is prepared (the count of
     * weft_sem_waiting goes up before that). */
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft__wl_count(&nest.outer.wl) != 1 && weft_now() < limit)
        sched_yield();
    assert_int_equal(weft__wl_count(&nest.outer.wl), 1);
    assert_int_equal(pthread_kill(th, SIGUSR1), 0);
    assert_int_equal(wt_wait_flag(&nest.handled, 1), 0);
    assert_int_equal(nest.sem_r, -EDEADLK);
    assert_int_equal(nest.mutex_r, -EDEADLK);
    /* Both objects as they were: nothing queued, nothing taken. */
    assert_int_equal(weft_sem_waiting(&nest.inner), 0);
    assert_int_equal(weft_sem_value(&nest.inner), 0);
    assert_int_equal(weft_mutex_unlock(&nest.held), 0);
    assert_int_equal(weft_mutex_destroy(&nest.held), 0);
    /* The interrupted wait is intact: a release reaches it. */
    assert_int_equal(atomic_load(&nest.outer_done), 0);
    assert_int_equal(weft_sem_release(&nest.outer, 1), 0);
    assert_int_equal(wt_wait_flag(&nest.outer_done, 1), 0);
    assert_int_equal(nest.outer_r, 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    assert_int_equal(weft_sem_destroy(&nest.outer), 0);
    assert_int_equal(weft_sem_destroy(&nest.inner), 0);
    wt_assert_clean();
}

/* --- a blocking call from a signal handler on a worker between fibers --- */

/* There the caller is no fiber, so it would block as a plain thread does, and
 * stall every fiber of the worker (the worker may even be inside the
 * scheduler's own critical sections). Refused with -EPERM. */
static struct {
    weft_sem_t sem;
    weft_mutex_t held;
    _Atomic int handled;
    int sem_r, mutex_r, sleep_r, self_null;
    int empty[2], full[2]; /* pipes: nothing to read / one byte */
    ssize_t read_empty, read_full;
} sched_ctx;

static void scheduler_handler(int sig) {
    (void)sig;
    sched_ctx.self_null = weft_self() == NULL;
    sched_ctx.sem_r = weft_sem_acquire(&sched_ctx.sem, weft_after(WEFT_SEC(5)));
    sched_ctx.mutex_r = weft_mutex_lock(&sched_ctx.held, weft_after(WEFT_SEC(5)));
    sched_ctx.sleep_r = weft_sleep_until(weft_after(WEFT_SEC(5)));
    char c;
    sched_ctx.read_empty = weft_read(sched_ctx.empty[0], &c, 1, weft_after(WEFT_SEC(5)));
    sched_ctx.read_full = weft_read(sched_ctx.full[0], &c, 1, weft_after(WEFT_SEC(5)));
    atomic_store(&sched_ctx.handled, 1);
}

static void *return_seven(void *arg) {
    (void)arg;
    return WT_PTR(7);
}

static void signal_in_scheduler(void **state) {
    (void)state;
    /* Same TSan limitation as signal_nested_wait: an idle worker sleeps in a
     * raw futex or epoll system call, where TSan holds the signal back. */
    if (WT_TSAN) skip();
    memset(&sched_ctx, 0, sizeof sched_ctx);
    assert_int_equal(weft_sem_init(&sched_ctx.sem, 0, 0), 0);
    assert_int_equal(weft_mutex_init(&sched_ctx.held), 0);
    assert_int_equal(weft_mutex_lock(&sched_ctx.held, WEFT_FOREVER), 0);
    assert_int_equal(pipe(sched_ctx.empty), 0);
    assert_int_equal(pipe(sched_ctx.full), 0);
    assert_int_equal(write(sched_ctx.full[1], "x", 1), 1);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = scheduler_handler;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    weft_runtime_t *rt = wt_create(1);
    /* Idle: no fiber at all, so once on the idle list the worker is between
     * fibers (asleep). Before that it may not even be a worker yet, and a
     * signal then would meet a plain thread, where blocking is allowed. */
    int64_t limit = weft_after(WT_PATIENCE);
    while (atomic_load(&rt->nidle) != 1 && weft_now() < limit)
        sched_yield();
    assert_int_equal(atomic_load(&rt->nidle), 1);
    assert_int_equal(pthread_kill(rt->workers[0]->thread, SIGUSR1), 0);
    assert_int_equal(wt_wait_flag(&sched_ctx.handled, 1), 0);
    assert_int_equal(sched_ctx.self_null, 1);
    assert_int_equal(sched_ctx.sem_r, -EPERM);
    assert_int_equal(sched_ctx.mutex_r, -EPERM);
    assert_int_equal(sched_ctx.sleep_r, -EPERM);
    /* I/O: what is ready is done, what would wait is refused. */
    assert_int_equal(sched_ctx.read_empty, -EPERM);
    assert_int_equal(sched_ctx.read_full, 1);
    assert_int_equal(weft_sem_waiting(&sched_ctx.sem), 0);
    assert_int_equal(weft_sem_value(&sched_ctx.sem), 0);
    /* The worker still runs fibers. */
    weft_fiber_t *f = NULL;
    void *res = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, return_seven, NULL), 0);
    assert_int_equal(weft_join(f, &res, WEFT_FOREVER), 0);
    assert_int_equal(WT_INT(res), 7);
    wt_destroy(rt);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    assert_int_equal(weft_mutex_unlock(&sched_ctx.held), 0);
    assert_int_equal(weft_mutex_destroy(&sched_ctx.held), 0);
    assert_int_equal(weft_sem_destroy(&sched_ctx.sem), 0);
    for (int i = 0; i < 2; i++) {
        close(sched_ctx.empty[i]);
        close(sched_ctx.full[i]);
    }
    wt_assert_clean();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(runtime_options),
        WT_TEST(runtime_destroy_run_from_thread),
        WT_TEST(spawn_errors),
        WT_TEST(shield_misuse),
        WT_TEST(fls_errors),
        WT_TEST(mutex_misuse),
        WT_TEST(rmutex_misuse),
        WT_TEST(rwlock_misuse),
        WT_TEST(sem_misuse),
        WT_TEST(cond_misuse),
        WT_TEST(event_misuse),
        WT_TEST(queue_misuse),
        WT_TEST(queue_shutdown_before_cancel),
        WT_TEST(server_misuse),
        WT_TEST(deadlines_below_forever),
        WT_TEST(helpers_null),
        WT_TEST(limiter_overflow),
        WT_TEST(cancelled_precedence),
        WT_TEST(io_bad_args),
        WT_TEST(offload_einval),
        WT_TEST(net_args),
        WT_TEST(signal_nested_wait),
        WT_TEST(signal_in_scheduler),
    };
    return WT_RUN_TESTS(tests);
}
