/* tests/harness.h: what every runtime-core test shares: sanitizer scaling,
 * failure recording off the main thread, runtime set-up/tear-down with the leak
 * checks, the run-on-1/2/4-workers matrix, and waiting for a fiber state.
 *
 * The rule these helpers enforce: cmocka asserts ONLY on the test's main thread.
 * Fibers and other threads record failures with WT_CHECK / WT_CHECK_EQ; the main
 * thread calls wt_assert_clean() once it has joined them (weft_run returned, a
 * join returned, pthread_join returned), which publishes what they recorded. */
#ifndef WEFT_TESTS_HARNESS_H
#define WEFT_TESTS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/fiber_impl.h"
#include "weft/fiber.h"
#include "weft/runtime.h"
#include "weft/time.h"

/* --- sanitizers: iteration counts shrink tenfold under ASan/TSan --- */
#if defined(WEFT_TEST_SANITIZER) || defined(__SANITIZE_ADDRESS__) ||                     \
    defined(__SANITIZE_THREAD__)
#define WT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WT_SANITIZED 1
#endif
#endif
#ifndef WT_SANITIZED
#define WT_SANITIZED 0
#endif

#if defined(WEFT_TEST_TSAN) || defined(__SANITIZE_THREAD__)
#define WT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WT_TSAN 1
#endif
#endif
#ifndef WT_TSAN
#define WT_TSAN 0
#endif

#define WT_SCALE(n) (WT_SANITIZED ? ((n) / 10 > 0 ? (n) / 10 : 1) : (n))

/* How long a helper spins for a condition that must come true before it gives up
 * and reports a failure: a deadlock detector, never a timing assertion. */
#define WT_PATIENCE WEFT_SEC(10)

/* Every test runs under a watchdog: a test still running after this many seconds
 * is deadlocked; the process aborts at once with a message, instead of idling
 * until ctest's TIMEOUT, so one hang does not stall the whole suite. */
#define WT_WATCHDOG_SECONDS 20

/* --- failure recording (any thread, any fiber) --- */
static _Atomic int wt_nfail;
static char wt_first_failure[512]; /* written only by the first failure */

static inline void wt_fail(const char *file, int line, const char *what, int has_values,
                           long long a, long long b) {
    if (atomic_fetch_add(&wt_nfail, 1) != 0) return;
    if (has_values)
        snprintf(wt_first_failure, sizeof wt_first_failure, "%s:%d: %s (%lld vs %lld)",
                 file, line, what, a, b);
    else
        snprintf(wt_first_failure, sizeof wt_first_failure, "%s:%d: %s", file, line,
                 what);
}

#define WT_CHECK(cond)                                                                   \
    do {                                                                                 \
        if (!(cond)) wt_fail(__FILE__, __LINE__, #cond, 0, 0, 0);                        \
    } while (0)

#define WT_CHECK_EQ(x, y)                                                                \
    do {                                                                                 \
        long long wt_x_ = (long long)(x), wt_y_ = (long long)(y);                        \
        if (wt_x_ != wt_y_) wt_fail(__FILE__, __LINE__, #x " == " #y, 1, wt_x_, wt_y_);  \
    } while (0)

/* Main thread only, after every recorder has been joined. */
#define wt_assert_clean()                                                                \
    do {                                                                                 \
        int wt_n_ = atomic_load(&wt_nfail);                                              \
        if (wt_n_)                                                                       \
            fail_msg("%d failure(s) recorded off the main thread; first: %s", wt_n_,     \
                     wt_first_failure);                                                  \
    } while (0)

static inline void wt_watchdog_fired(int sig) {
    (void)sig;
    static const char msg[] = "\nweft tests: watchdog: the running test did not finish "
                              "in time (deadlock?); aborting\n";
    ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)r;
    signal(SIGABRT, SIG_DFL);
    abort();
}

/* cmocka setup of every test: clears the failure record, arms the watchdog. */
static inline int wt_reset(void **state) {
    (void)state;
    atomic_store(&wt_nfail, 0);
    wt_first_failure[0] = 0;
    signal(SIGALRM, wt_watchdog_fired);
    alarm(WT_WATCHDOG_SECONDS);
    return 0;
}

static inline int wt_disarm(void **state) {
    (void)state;
    alarm(0);
    return 0;
}

#define WT_TEST(f) cmocka_unit_test_setup_teardown(f, wt_reset, wt_disarm)

/* Runs a group of tests; the environment variables WT_TEST_FILTER and
 * WT_SKIP_FILTER (cmocka patterns, '*' and '?') select tests by name. */
#define WT_RUN_TESTS(tests)                                                              \
    (getenv("WT_TEST_FILTER") ? cmocka_set_test_filter(getenv("WT_TEST_FILTER"))         \
                              : (void)0,                                                 \
     getenv("WT_SKIP_FILTER") ? cmocka_set_skip_filter(getenv("WT_SKIP_FILTER"))         \
                              : (void)0,                                                 \
     cmocka_run_group_tests(tests, NULL, NULL))

/* --- waiting for an interleaving --- */

/* One step of a spin-wait: lets the other fibers of this worker run, and gives
 * the CPU to other threads too, so a wait for another thread does not burn its
 * time slice when the machine is oversubscribed. */
static inline void wt_pause(void) {
    weft_yield(); /* on a plain thread: sched_yield() */
    if (weft_self()) sched_yield();
}

/* Spins (wt_pause) until f's internal state (fiber_impl.h) is `state`, e.g. PARKED
 * to know a fiber really is blocked before cancelling it, or DONE to know it has
 * finished without joining it. Returns 0, or -ETIMEDOUT after WT_PATIENCE (the
 * caller records a failure). */
static inline int wt_wait_state(weft_fiber_t *f, int state) {
    int64_t limit = weft_after(WT_PATIENCE);
    while (atomic_load_explicit(&f->state, memory_order_acquire) != state) {
        if (weft_now() > limit) return -ETIMEDOUT;
        wt_pause();
    }
    return 0;
}

/* Spins likewise until *flag >= value. Returns 0 or -ETIMEDOUT. */
static inline int wt_wait_flag(_Atomic int *flag, int value) {
    int64_t limit = weft_after(WT_PATIENCE);
    while (atomic_load_explicit(flag, memory_order_acquire) < value) {
        if (weft_now() > limit) return -ETIMEDOUT;
        wt_pause();
    }
    return 0;
}

/* --- runtimes (main thread only) --- */

static inline weft_runtime_t *wt_create(int workers) {
    weft_runtime_opts_t o = {0};
    o.workers = workers;
    weft_runtime_t *rt = NULL;
    assert_int_equal(weft_runtime_create(&rt, &o), 0);
    assert_non_null(rt);
    assert_int_equal(weft_runtime_workers(rt), workers);
    return rt;
}

/* Leak check, then destroy. Every fiber of rt must have been joined or detached;
 * detached ones (and a just-joined fiber, whose last switch may still be on its
 * way) are given WT_PATIENCE to finish, then fibers_live must be 0. */
static inline void wt_destroy(weft_runtime_t *rt) {
    weft_runtime_stats_t st;
    int64_t limit = weft_after(WT_PATIENCE);
    for (;;) {
        assert_int_equal(weft_runtime_stats(rt, &st), 0);
        if (st.fibers_live == 0 || weft_now() > limit) break;
        sched_yield();
    }
    assert_int_equal(st.fibers_live, 0);
    assert_int_equal(weft_runtime_destroy(rt), 0);
}

/* How a body fiber is run: as weft_run's main fiber, or spawned with
 * weft_spawn_on onto a runtime made by weft_runtime_create and joined from this
 * plain thread. */
enum wt_mode { WT_RUN, WT_CREATE };

/* Runs fn(arg) as a fiber of a fresh `workers`-worker runtime, waits for every
 * fiber of that runtime, checks the off-thread failures, returns fn's result. */
static inline void *wt_in_runtime(enum wt_mode mode, int workers, void *(*fn)(void *),
                                  void *arg) {
    void *result = NULL;
    if (mode == WT_RUN) {
        weft_runtime_opts_t o = {0};
        o.workers = workers;
        assert_int_equal(weft_run(&o, fn, arg, &result), 0);
    } else {
        weft_runtime_t *rt = wt_create(workers);
        weft_fiber_t *f = NULL;
        assert_int_equal(weft_spawn_on(rt, &f, fn, arg), 0);
        assert_int_equal(weft_join(f, &result, WEFT_FOREVER), 0);
        wt_destroy(rt);
    }
    wt_assert_clean();
    return result;
}

/* The matrix: WT_MATRIX(t) defines six cmocka tests calling t(mode, workers) for
 * both modes on 1, 2 and 4 workers; WT_MATRIX_TESTS(t) lists them. */
#define WT_MATRIX_ONE(t, mode, m, n)                                                     \
    static void t##_##m##_w##n(void **state) {                                           \
        (void)state;                                                                     \
        t(mode, n);                                                                      \
    }
#define WT_MATRIX(t)                                                                     \
    WT_MATRIX_ONE(t, WT_RUN, run, 1)                                                     \
    WT_MATRIX_ONE(t, WT_RUN, run, 2)                                                     \
    WT_MATRIX_ONE(t, WT_RUN, run, 4)                                                     \
    WT_MATRIX_ONE(t, WT_CREATE, create, 1)                                               \
    WT_MATRIX_ONE(t, WT_CREATE, create, 2)                                               \
    WT_MATRIX_ONE(t, WT_CREATE, create, 4)
#define WT_MATRIX_TESTS(t)                                                               \
    WT_TEST(t##_run_w1), WT_TEST(t##_run_w2), WT_TEST(t##_run_w4),                       \
        WT_TEST(t##_create_w1), WT_TEST(t##_create_w2), WT_TEST(t##_create_w4)

/* Small integers carried in a fiber's void * argument or result. */
#define WT_INT(p) ((int)(intptr_t)(p))
#define WT_PTR(i) ((void *)(intptr_t)(i))

/* A binary tree of fibers of the given depth (spawn two, join two); returns its
 * node count. Run it as a fiber. */
static inline void *wt_tree(void *arg) {
    int depth = WT_INT(arg);
    if (depth == 0) return WT_PTR(1);
    weft_fiber_t *l = NULL, *r = NULL;
    void *lr = NULL, *rr = NULL;
    WT_CHECK_EQ(weft_spawn(&l, wt_tree, WT_PTR(depth - 1)), 0);
    WT_CHECK_EQ(weft_spawn(&r, wt_tree, WT_PTR(depth - 1)), 0);
    WT_CHECK_EQ(weft_join(l, &lr, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_join(r, &rr, WEFT_FOREVER), 0);
    return WT_PTR(WT_INT(lr) + WT_INT(rr) + 1);
}

#endif
