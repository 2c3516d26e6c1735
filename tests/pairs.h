/* tests/pairs.h: the generic harness that runs one scenario over every pairing of
 * waiter kinds weft promises to serve alike:
 *   WT_SAME_WORKER    fibers of one runtime with one worker
 *   WT_CROSS_WORKER   fibers of one runtime with two workers (they spread by
 *                     stealing; nothing pins them)
 *   WT_CROSS_RUNTIME  fibers of two one-worker runtimes, alternating
 *   WT_FIBER_THREAD   parties alternate: fiber of a one-worker runtime, plain thread
 *   WT_THREADS        plain threads only
 * A scenario is a party function `void *party(void *arg)` run n times at once with
 * its own argument; the harness waits for all of them (join / pthread_join) on
 * the test's main thread, then the test asserts. */
#ifndef WEFT_TESTS_PAIRS_H
#define WEFT_TESTS_PAIRS_H

#include <pthread.h>

#include "harness.h"

enum wt_pair {
    WT_SAME_WORKER,
    WT_CROSS_WORKER,
    WT_CROSS_RUNTIME,
    WT_FIBER_THREAD,
    WT_THREADS,
    WT_NPAIRS
};

static const char *const wt_pair_name[WT_NPAIRS] = {
    "fiber-fiber same worker", "fiber-fiber across workers",
    "fiber-fiber across runtimes", "fiber-thread", "thread-thread"};

#define WT_MAX_PARTIES 16

/* Whether party i of pairing p runs on a plain thread. */
static inline int wt_party_is_thread(enum wt_pair p, int i) {
    return p == WT_THREADS || (p == WT_FIBER_THREAD && (i % 2) == 1);
}

static inline void wt_run_parties(enum wt_pair p, int n, void *(*party)(void *),
                                  void **args) {
    assert_true(n > 0 && n <= WT_MAX_PARTIES);
    weft_runtime_t *rt[2] = {NULL, NULL};
    int nrt = p == WT_THREADS ? 0 : p == WT_CROSS_RUNTIME ? 2 : 1;
    for (int r = 0; r < nrt; r++)
        rt[r] = wt_create(p == WT_CROSS_WORKER ? 2 : 1);
    weft_fiber_t *f[WT_MAX_PARTIES] = {0};
    pthread_t t[WT_MAX_PARTIES];
    for (int i = 0; i < n; i++) {
        if (wt_party_is_thread(p, i))
            assert_int_equal(pthread_create(&t[i], NULL, party, args[i]), 0);
        else
            assert_int_equal(
                weft_spawn_on(rt[nrt == 2 ? i % 2 : 0], &f[i], party, args[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        if (wt_party_is_thread(p, i))
            assert_int_equal(pthread_join(t[i], NULL), 0);
        else
            assert_int_equal(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    }
    for (int r = 0; r < nrt; r++)
        wt_destroy(rt[r]);
    wt_assert_clean();
}

/* The checkpoint probe: a fiber that counts how often it gets to run, to check
 * that a call yielded exactly as often as it should (spawn it on the caller's
 * one-worker runtime, yield once so it starts, compare wt_probe_runs around the
 * call, then set wt_probe_stop and join it). */
static _Atomic int wt_probe_runs, wt_probe_stop;

static inline void *wt_probe(void *arg) {
    (void)arg;
    while (!atomic_load(&wt_probe_stop)) {
        atomic_fetch_add(&wt_probe_runs, 1);
        weft_yield();
    }
    return NULL;
}

/* Runs body(&expect) as the main fiber of a one-worker runtime, without and then
 * with the checkpoints option; expect is how often each non-waiting blocking
 * call should let the probe run (0, then 1). */
static inline void wt_run_checkpoint_modes(void *(*body)(void *)) {
    for (int on = 0; on <= 1; on++) {
        atomic_store(&wt_probe_runs, 0);
        atomic_store(&wt_probe_stop, 0);
        weft_runtime_opts_t o = {0};
        o.workers = 1;
        o.checkpoints = on;
        assert_int_equal(weft_run(&o, body, &on, NULL), 0);
        wt_assert_clean();
    }
}

/* Defines one cmocka test per pairing calling scenario(p). */
#define WT_PAIRS(scenario)                                                               \
    static void scenario##_same_worker(void **s) {                                       \
        (void)s;                                                                         \
        scenario(WT_SAME_WORKER);                                                        \
    }                                                                                    \
    static void scenario##_cross_worker(void **s) {                                      \
        (void)s;                                                                         \
        scenario(WT_CROSS_WORKER);                                                       \
    }                                                                                    \
    static void scenario##_cross_runtime(void **s) {                                     \
        (void)s;                                                                         \
        scenario(WT_CROSS_RUNTIME);                                                      \
    }                                                                                    \
    static void scenario##_fiber_thread(void **s) {                                      \
        (void)s;                                                                         \
        scenario(WT_FIBER_THREAD);                                                       \
    }                                                                                    \
    static void scenario##_threads(void **s) {                                           \
        (void)s;                                                                         \
        scenario(WT_THREADS);                                                            \
    }

#define WT_PAIRS_TESTS(scenario)                                                         \
    WT_TEST(scenario##_same_worker), WT_TEST(scenario##_cross_worker),                   \
        WT_TEST(scenario##_cross_runtime), WT_TEST(scenario##_fiber_thread),             \
        WT_TEST(scenario##_threads)

#endif
