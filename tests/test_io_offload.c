/* tests/test_io_offload.c: the offload pool (weft/offload.h) and
 * weft_getaddrinfo.
 *
 * Invariants checked:
 *   - weft_offload returns fn's result, computed on a pool thread (never the
 *     calling worker); from a plain thread fn runs inline on the caller;
 *   - the pool starts on demand and never has more than offload_threads
 *     threads, however many calls wait (a flood of 200 calls that all time out
 *     against a bound of 4), and excess calls run in FIFO order;
 *   - a call that times out or is cancelled returns at once; with
 *     weft_offload_ex, on_abandon is called exactly once per abandoned call:
 *     ran = 1 with fn's result when fn had started (once fn returns), ran = 0
 *     with NULL when it was withdrawn (before the call returns), and a
 *     withdrawn fn never runs; tries and cancelled callers never run fn;
 *     nothing leaks (each call's argument is heap memory that only on_abandon
 *     frees: ASan reports a missed call, a second call is a double free);
 *     weft_runtime_destroy joins the pool (every on_abandon has run when it
 *     returns);
 *   - weft_getaddrinfo resolves names and services, reports -ENOENT with the
 *     EAI_* code for a name that cannot resolve, and the documented -EINVAL
 *     cases; the same from a fiber (on the pool) and from a thread (inline). */
#include "harness.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "weft/event.h"
#include "weft/offload.h"

#define LONG weft_after(WT_PATIENCE)

static weft_runtime_t *create_with_pool(int workers, int offload_threads) {
    weft_runtime_opts_t o = {0};
    o.workers = workers;
    o.offload_threads = offload_threads;
    weft_runtime_t *rt = NULL;
    assert_int_equal(weft_runtime_create(&rt, &o), 0);
    return rt;
}

/* Runs fn(arg) as a fiber of rt, joined from this (main) thread. */
static void *run_fiber(weft_runtime_t *rt, void *(*fn)(void *), void *arg) {
    weft_fiber_t *f = NULL;
    void *r = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, fn, arg), 0);
    assert_int_equal(weft_join(f, &r, WEFT_FOREVER), 0);
    return r;
}

/* --- a blocking function and its abandonment record --- */

/* One call's argument: heap memory owned by whoever holds it (the caller after
 * a 0 return, else on_abandon, which frees it). */
typedef struct ticket {
    int index;
} ticket_t;

#define MAX_CALLS 256

static weft_event_t g_release;    /* set from the main thread: blocked fns return */
static _Atomic int g_started;     /* fns that began */
static _Atomic int g_running;     /* fns running now */
static _Atomic int g_max_running; /* the most at once */
static _Atomic int g_abandon[MAX_CALLS];
static _Atomic int g_abandon_ran[MAX_CALLS];
static _Atomic int g_ran1, g_ran0;
static _Atomic int g_order_next;
static int g_order[MAX_CALLS];

static void reset_records(void) {
    weft_event_init(&g_release);
    atomic_store(&g_started, 0);
    atomic_store(&g_running, 0);
    atomic_store(&g_max_running, 0);
    atomic_store(&g_ran1, 0);
    atomic_store(&g_ran0, 0);
    atomic_store(&g_order_next, 0);
    for (int i = 0; i < MAX_CALLS; i++) {
        atomic_store(&g_abandon[i], 0);
        atomic_store(&g_abandon_ran[i], -1);
        g_order[i] = -1;
    }
}

static void note_running(int delta) {
    int now = atomic_fetch_add(&g_running, delta) + delta;
    int max = atomic_load(&g_max_running);
    while (now > max && !atomic_compare_exchange_weak(&g_max_running, &max, now)) {
    }
}

/* Blocks its pool thread until g_release is set (our primitives work from
 * plain threads); returns its argument. Records the order in which fns start. */
static void *block_fn(void *arg) {
    ticket_t *t = arg;
    atomic_fetch_add(&g_started, 1);
    g_order[atomic_fetch_add(&g_order_next, 1)] = t->index;
    note_running(1);
    WT_CHECK_EQ(weft_event_wait(&g_release, WEFT_FOREVER), 0);
    note_running(-1);
    return t;
}

static void on_abandon(void *arg, void *result, int ran) {
    ticket_t *t = arg;
    WT_CHECK(t->index >= 0 && t->index < MAX_CALLS);
    WT_CHECK(ran == 0 || ran == 1);
    WT_CHECK(ran ? result == arg : result == NULL);
    atomic_fetch_add(&g_abandon[t->index], 1);
    atomic_store(&g_abandon_ran[t->index], ran);
    atomic_fetch_add(ran ? &g_ran1 : &g_ran0, 1);
    free(t);
}

static ticket_t *ticket(int index) {
    ticket_t *t = malloc(sizeof *t);
    t->index = index;
    return t;
}

/* =========================================================================
 * Results and threads
 * ========================================================================= */

struct where {
    pthread_t caller, ran_on;
    int value;
};

static void *record_thread(void *arg) {
    struct where *w = arg;
    w->ran_on = pthread_self();
    return WT_PTR(w->value + 1);
}

static void *never_fn(void *arg) {
    (void)arg;
    atomic_fetch_add(&g_started, 1);
    return NULL;
}

static void *offload_result_main(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_offload_threads(), 0); /* started on demand */
    struct where w = {.caller = pthread_self(), .value = 41};
    void *r = NULL;
    WT_CHECK_EQ(weft_offload(record_thread, &w, &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(r), 42);
    /* One worker: the caller's thread is the worker, and fn ran elsewhere. */
    WT_CHECK(pthread_equal(w.caller, pthread_self()));
    WT_CHECK(!pthread_equal(w.ran_on, w.caller));
    WT_CHECK_EQ(weft_offload_threads(), 1);
    /* A finite deadline, and no result pointer. */
    w.value = 6;
    WT_CHECK_EQ(weft_offload(record_thread, &w, NULL, LONG), 0);
    WT_CHECK(!pthread_equal(w.ran_on, w.caller));
    r = NULL;
    WT_CHECK_EQ(weft_offload_ex(record_thread, &w, &r, LONG, on_abandon), 0);
    WT_CHECK_EQ(WT_INT(r), 7);
    WT_CHECK_EQ(atomic_load(&g_ran0) + atomic_load(&g_ran1), 0); /* not abandoned */

    /* -EINVAL; a try never runs fn: -ETIMEDOUT, and on_abandon(ran = 0) once,
     * before the call returns. */
    WT_CHECK_EQ(weft_offload(NULL, NULL, NULL, LONG), -EINVAL);
    WT_CHECK_EQ(weft_offload(never_fn, NULL, &r, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_offload_ex(never_fn, ticket(0), NULL, weft_after(-1), on_abandon),
                -ETIMEDOUT);
    WT_CHECK_EQ(atomic_load(&g_abandon[0]), 1);
    WT_CHECK_EQ(atomic_load(&g_abandon_ran[0]), 0);
    WT_CHECK_EQ(atomic_load(&g_started), 0);
    return NULL;
}

static void offload_result(void **s) {
    (void)s;
    reset_records();
    wt_in_runtime(WT_RUN, 1, offload_result_main, NULL);
    assert_int_equal(atomic_load(&g_started), 0);
}

/* Many fibers on two workers offload at once: every result is the caller's,
 * and no more than the bound run at once. */
#define MANY WT_SCALE(400)

static void *count_fn(void *arg) {
    note_running(1);
    for (int i = 0; i < 3; i++)
        sched_yield(); /* let others overlap */
    note_running(-1);
    return WT_PTR(WT_INT(arg) * 2 + 1);
}

static void *many_caller(void *arg) {
    void *r = NULL;
    WT_CHECK_EQ(weft_offload(count_fn, arg, &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(r), WT_INT(arg) * 2 + 1);
    int n = weft_offload_threads();
    WT_CHECK(n >= 1 && n <= 3);
    return NULL;
}

static void *many_main(void *arg) {
    (void)arg;
    weft_fiber_t **f = calloc(MANY, sizeof *f);
    for (int i = 0; i < MANY; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], many_caller, WT_PTR(i)), 0);
    for (int i = 0; i < MANY; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    free(f);
    return NULL;
}

static void offload_many(void **s) {
    (void)s;
    reset_records();
    weft_runtime_t *rt = create_with_pool(2, 3);
    run_fiber(rt, many_main, NULL);
    wt_destroy(rt);
    wt_assert_clean();
    assert_true(atomic_load(&g_max_running) >= 1);
    assert_true(atomic_load(&g_max_running) <= 3);
}

/* From a plain thread fn runs inline, on the caller. */
static void *offload_thread_body(void *arg) {
    (void)arg;
    struct where w = {.caller = pthread_self(), .value = 1};
    void *r = NULL;
    WT_CHECK_EQ(weft_offload(record_thread, &w, &r, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(r), 2);
    WT_CHECK(pthread_equal(w.ran_on, w.caller));
    w.value = 2;
    WT_CHECK_EQ(weft_offload_ex(record_thread, &w, &r, LONG, on_abandon), 0);
    WT_CHECK_EQ(WT_INT(r), 3);
    WT_CHECK(pthread_equal(w.ran_on, w.caller));
    WT_CHECK_EQ(weft_offload(NULL, NULL, NULL, LONG), -EINVAL);
    /* A deadline already past: -ETIMEDOUT, fn not run, on_abandon(ran = 0). */
    WT_CHECK_EQ(weft_offload(never_fn, NULL, &r, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_offload_ex(never_fn, ticket(1), NULL, WEFT_NOWAIT, on_abandon),
                -ETIMEDOUT);
    WT_CHECK_EQ(atomic_load(&g_abandon[1]), 1);
    WT_CHECK_EQ(atomic_load(&g_abandon_ran[1]), 0);
    WT_CHECK_EQ(atomic_load(&g_started), 0);
    WT_CHECK_EQ(weft_offload_threads(), -EPERM);
    return NULL;
}

static void offload_thread(void **s) {
    (void)s;
    reset_records();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, offload_thread_body, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    wt_assert_clean();
}

/* =========================================================================
 * The bound under a flood of timed-out calls
 * ========================================================================= */

#define FLOOD       200
#define FLOOD_BOUND 4

static _Atomic int g_flood_done, g_max_threads;

static void note_threads(void) {
    int n = weft_offload_threads();
    WT_CHECK(n >= 0 && n <= FLOOD_BOUND);
    int max = atomic_load(&g_max_threads);
    while (n > max && !atomic_compare_exchange_weak(&g_max_threads, &max, n)) {
    }
}

static void *flood_caller(void *arg) {
    int i = WT_INT(arg);
    int64_t d = weft_after(WEFT_MSEC(50));
    WT_CHECK_EQ(weft_offload_ex(block_fn, ticket(i), NULL, d, on_abandon), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);
    note_threads();
    atomic_fetch_add(&g_flood_done, 1);
    return NULL;
}

/* Samples the pool's size while the flood runs. */
static void *flood_monitor(void *arg) {
    (void)arg;
    while (atomic_load(&g_flood_done) < FLOOD) {
        note_threads();
        WT_CHECK_EQ(weft_sleep_until(weft_after(WEFT_MSEC(1))),
                    0); /* a sampling period */
    }
    return NULL;
}

static void offload_flood(void **s) {
    (void)s;
    reset_records();
    atomic_store(&g_flood_done, 0);
    atomic_store(&g_max_threads, 0);
    weft_runtime_t *rt = create_with_pool(2, FLOOD_BOUND);
    weft_fiber_t *f[FLOOD + 1];
    assert_int_equal(weft_spawn_on(rt, &f[FLOOD], flood_monitor, NULL), 0);
    for (int i = 0; i < FLOOD; i++)
        assert_int_equal(weft_spawn_on(rt, &f[i], flood_caller, WT_PTR(i)), 0);
    for (int i = 0; i <= FLOOD; i++)
        assert_int_equal(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    wt_assert_clean();
    /* Every call has returned; the fns that started still block their threads
     * (at most the bound); the withdrawn calls' on_abandon has run. */
    assert_int_equal(atomic_load(&g_ran1), 0);
    assert_true(atomic_load(&g_ran0) >= FLOOD - FLOOD_BOUND);
    assert_true(atomic_load(&g_max_threads) >= 1);
    assert_true(atomic_load(&g_max_threads) <= FLOOD_BOUND);
    assert_true(atomic_load(&g_max_running) <= FLOOD_BOUND);
    /* Release them; destroy joins the pool, so each on_abandon(ran = 1) is done
     * when it returns. */
    assert_int_equal(weft_event_set(&g_release), 1);
    wt_destroy(rt);
    wt_assert_clean();
    int started = atomic_load(&g_started);
    assert_true(started <= FLOOD_BOUND);
    assert_int_equal(atomic_load(&g_ran1), started); /* withdrawn ones never ran */
    assert_int_equal(atomic_load(&g_ran1) + atomic_load(&g_ran0), FLOOD);
    for (int i = 0; i < FLOOD; i++)
        assert_int_equal(atomic_load(&g_abandon[i]), 1);
    assert_int_equal(weft_event_destroy(&g_release), 0);
}

/* =========================================================================
 * FIFO order, cancellation
 * ========================================================================= */

static void *queued_caller(void *arg) {
    int i = WT_INT(arg);
    ticket_t *t = ticket(i);
    void *r = NULL;
    WT_CHECK_EQ(weft_offload_ex(block_fn, t, &r, WEFT_FOREVER, on_abandon), 0);
    WT_CHECK(r == t);
    free(t); /* a 0 return: still ours */
    return NULL;
}

/* One pool thread, occupied; ten calls queue in a known order, then run in it. */
static void offload_fifo(void **s) {
    (void)s;
    enum { N = 10 };
    reset_records();
    weft_runtime_t *rt = create_with_pool(2, 1);
    weft_fiber_t *f[N + 1];
    assert_int_equal(weft_spawn_on(rt, &f[N], queued_caller, WT_PTR(N)), 0);
    assert_int_equal(wt_wait_flag(&g_started, 1), 0); /* the thread is taken */
    for (int i = 0; i < N; i++) {
        assert_int_equal(weft_spawn_on(rt, &f[i], queued_caller, WT_PTR(i)), 0);
        assert_int_equal(wt_wait_state(f[i], WEFT__FIBER_PARKED), 0); /* queued */
    }
    assert_int_equal(atomic_load(&g_started), 1);
    assert_int_equal(weft_event_set(&g_release), 1);
    for (int i = 0; i <= N; i++)
        assert_int_equal(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    wt_destroy(rt);
    wt_assert_clean();
    assert_int_equal(g_order[0], N);
    for (int i = 0; i < N; i++)
        assert_int_equal(g_order[i + 1], i);
    assert_int_equal(atomic_load(&g_ran0) + atomic_load(&g_ran1), 0);
    assert_int_equal(atomic_load(&g_max_running), 1);
    weft_event_destroy(&g_release);
}

static void *cancel_caller(void *arg) {
    int i = WT_INT(arg);
    int r = weft_offload_ex(block_fn, ticket(i), NULL, WEFT_FOREVER, on_abandon);
    /* A withdrawn call's on_abandon has run by now; a running one's has not
     * (its fn still blocks). */
    WT_CHECK_EQ(atomic_load(&g_abandon[i]), i == 0 ? 0 : 1);
    return WT_PTR(r);
}

static void *cancelled_caller(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_cancel(weft_self()), 0);
    WT_CHECK_EQ(weft_offload_ex(never_fn, ticket(2), NULL, LONG, on_abandon), -ECANCELED);
    WT_CHECK_EQ(atomic_load(&g_abandon[2]), 1);
    WT_CHECK_EQ(atomic_load(&g_abandon_ran[2]), 0);
    void *r = NULL;
    WT_CHECK_EQ(weft_offload(never_fn, NULL, &r, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_offload(never_fn, NULL, &r, WEFT_NOWAIT), -ETIMEDOUT); /* a try */
    return NULL;
}

/* Call 0 runs (the only pool thread), call 1 is queued behind it; cancel both
 * while they wait: -ECANCELED at once; call 1 is withdrawn (ran = 0, at once,
 * its fn never runs), call 0 is abandoned (ran = 1 once its fn returns). A fiber
 * already cancelled never runs fn. */
static void offload_cancel(void **s) {
    (void)s;
    reset_records();
    weft_runtime_t *rt = create_with_pool(1, 1);
    weft_fiber_t *f0, *f1;
    void *r0 = NULL, *r1 = NULL;
    assert_int_equal(weft_spawn_on(rt, &f0, cancel_caller, WT_PTR(0)), 0);
    assert_int_equal(wt_wait_flag(&g_started, 1), 0);
    assert_int_equal(wt_wait_state(f0, WEFT__FIBER_PARKED), 0);
    assert_int_equal(weft_spawn_on(rt, &f1, cancel_caller, WT_PTR(1)), 0);
    assert_int_equal(wt_wait_state(f1, WEFT__FIBER_PARKED), 0);
    assert_int_equal(weft_cancel(f1), 0);
    assert_int_equal(weft_join(f1, &r1, WEFT_FOREVER), 0);
    assert_int_equal(WT_INT(r1), -ECANCELED);
    assert_int_equal(weft_cancel(f0), 0);
    assert_int_equal(weft_join(f0, &r0, WEFT_FOREVER), 0);
    assert_int_equal(WT_INT(r0), -ECANCELED);
    run_fiber(rt, cancelled_caller, NULL);
    wt_assert_clean();
    assert_int_equal(atomic_load(&g_abandon[1]), 1);
    assert_int_equal(atomic_load(&g_abandon_ran[1]), 0);
    assert_int_equal(atomic_load(&g_abandon[0]), 0); /* fn 0 still blocks */
    assert_int_equal(weft_event_set(&g_release), 1);
    wt_destroy(rt); /* joins the pool */
    wt_assert_clean();
    assert_int_equal(atomic_load(&g_abandon[0]), 1);
    assert_int_equal(atomic_load(&g_abandon_ran[0]), 1);
    assert_int_equal(atomic_load(&g_started), 1); /* fn 1 and never_fn never ran */
    weft_event_destroy(&g_release);
}

/* Calls that time out: whether a call's fn had started by its deadline is up to
 * the scheduling (so is which call's), but the outcome must match it: withdrawn (fn never
 * runs, on_abandon(ran = 0) before the call returns) or abandoned (fn runs on,
 * on_abandon(ran = 1) only once fn returns, after the call returned). The
 * callers return at their deadline, not before. One pool thread: at most one
 * fn starts. */
#define TIMEOUTS 4

static _Atomic int g_abandoned_at_return[TIMEOUTS];

static void *timeout_caller(void *arg) {
    int i = WT_INT(arg);
    int64_t d = weft_after(WEFT_MSEC(20));
    WT_CHECK_EQ(weft_offload_ex(block_fn, ticket(i), NULL, d, on_abandon), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);
    atomic_store(&g_abandoned_at_return[i], atomic_load(&g_abandon[i]));
    return NULL;
}

static int fn_started(int index) {
    int n = atomic_load(&g_order_next);
    for (int k = 0; k < n; k++)
        if (g_order[k] == index) return 1;
    return 0;
}

static void offload_timeout(void **s) {
    (void)s;
    reset_records();
    weft_runtime_t *rt = create_with_pool(1, 1);
    weft_fiber_t *f[TIMEOUTS];
    for (int i = 0; i < TIMEOUTS; i++)
        assert_int_equal(weft_spawn_on(rt, &f[i], timeout_caller, WT_PTR(i)), 0);
    for (int i = 0; i < TIMEOUTS; i++)
        assert_int_equal(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    wt_assert_clean();
    assert_int_equal(atomic_load(&g_ran1), 0); /* a started fn still blocks */
    assert_int_equal(weft_event_set(&g_release), 1);
    wt_destroy(rt); /* joins the pool: every fn and on_abandon is done */
    wt_assert_clean();
    assert_true(atomic_load(&g_started) <= 1);
    for (int i = 0; i < TIMEOUTS; i++) {
        assert_int_equal(atomic_load(&g_abandon[i]), 1);
        assert_int_equal(atomic_load(&g_abandon_ran[i]), fn_started(i));
        assert_int_equal(atomic_load(&g_abandoned_at_return[i]), !fn_started(i));
    }
    weft_event_destroy(&g_release);
}

/* =========================================================================
 * weft_getaddrinfo
 * ========================================================================= */

static int is_loopback(const struct addrinfo *ai) {
    if (ai->ai_family == AF_INET)
        return ((const struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr ==
               htonl(INADDR_LOOPBACK);
    if (ai->ai_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(
            &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
    return 0;
}

static int port_of(const struct addrinfo *ai) {
    if (ai->ai_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ai->ai_addr)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)ai->ai_addr)->sin6_port);
}

static void *resolve_body(void *arg) {
    (void)arg;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gai = -1;

    /* A name. */
    WT_CHECK_EQ(weft_getaddrinfo("localhost", "80", &hints, &res, LONG, &gai), 0);
    WT_CHECK_EQ(gai, 0);
    WT_CHECK(res != NULL);
    int loop = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        WT_CHECK(ai->ai_family == AF_INET || ai->ai_family == AF_INET6);
        WT_CHECK_EQ(ai->ai_socktype, SOCK_STREAM);
        WT_CHECK_EQ(port_of(ai), 80);
        loop += is_loopback(ai);
    }
    WT_CHECK(loop >= 1);
    freeaddrinfo(res);

    /* A numeric host without a service, a service without a host, no hints. */
    res = NULL;
    WT_CHECK_EQ(weft_getaddrinfo("127.0.0.1", NULL, NULL, &res, LONG, NULL), 0);
    WT_CHECK(res != NULL && res->ai_family == AF_INET && is_loopback(res));
    freeaddrinfo(res);
    struct addrinfo passive = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    res = NULL;
    WT_CHECK_EQ(weft_getaddrinfo(NULL, "8080", &passive, &res, LONG, &gai), 0);
    WT_CHECK(res != NULL);
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        WT_CHECK_EQ(port_of(ai), 8080);
    freeaddrinfo(res);

    /* Names that cannot resolve: -ENOENT with the EAI code (the .invalid TLD
     * never resolves; without a resolver it fails at once too). */
    gai = 0;
    res = NULL;
    WT_CHECK_EQ(weft_getaddrinfo("nonexistent.invalid", "80", &hints, &res, LONG, &gai),
                -ENOENT);
    WT_CHECK(gai == EAI_NONAME || gai == EAI_AGAIN || gai == EAI_FAIL
#ifdef EAI_NODATA
             || gai == EAI_NODATA
#endif
    );
    WT_CHECK(res == NULL);
    WT_CHECK_EQ(weft_getaddrinfo("nonexistent.invalid", "80", &hints, &res, LONG, NULL),
                -ENOENT);
    struct addrinfo numeric = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    WT_CHECK_EQ(weft_getaddrinfo("localhost", "80", &numeric, &res, LONG, &gai), -ENOENT);
    WT_CHECK_EQ(gai, EAI_NONAME);

    /* -EINVAL, with *gai_error cleared. */
    gai = 7;
    WT_CHECK_EQ(weft_getaddrinfo("localhost", "80", &hints, NULL, LONG, &gai), -EINVAL);
    WT_CHECK_EQ(gai, 0);
    gai = 7;
    WT_CHECK_EQ(weft_getaddrinfo(NULL, NULL, &hints, &res, LONG, &gai), -EINVAL);
    WT_CHECK_EQ(gai, 0);

    /* A try: nothing runs (the deadline check comes first, fiber or thread). */
    WT_CHECK_EQ(weft_getaddrinfo("localhost", "80", &hints, &res, WEFT_NOWAIT, &gai),
                -ETIMEDOUT);
    if (weft_self()) WT_CHECK(weft_offload_threads() >= 1);
    return NULL;
}

static void resolve_fiber(void **s) {
    (void)s;
    wt_in_runtime(WT_RUN, 1, resolve_body, NULL);
    wt_in_runtime(WT_CREATE, 2, resolve_body, NULL);
}

static void resolve_thread(void **s) {
    (void)s;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, resolve_body, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    wt_assert_clean();
}

/* A lookup queued behind a busy pool times out (withdrawn, nothing leaks); a
 * cancelled caller's lookup returns -ECANCELED. The caller's strings may be
 * reused at once. */
static void *resolve_busy_body(void *arg) {
    (void)arg;
    char node[32];
    strcpy(node, "localhost");
    struct addrinfo *res = NULL;
    int gai = -1;
    int64_t d = weft_after(WEFT_MSEC(20));
    WT_CHECK_EQ(weft_getaddrinfo(node, "80", NULL, &res, d, &gai), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);
    memset(node, 'x', sizeof node - 1); /* the pool has its own copy */
    WT_CHECK_EQ(weft_cancel(weft_self()), 0);
    WT_CHECK_EQ(weft_getaddrinfo("localhost", "80", NULL, &res, LONG, &gai), -ECANCELED);
    return NULL;
}

static void resolve_busy(void **s) {
    (void)s;
    reset_records();
    weft_runtime_t *rt = create_with_pool(1, 1);
    weft_fiber_t *f0;
    assert_int_equal(weft_spawn_on(rt, &f0, queued_caller, WT_PTR(0)), 0);
    assert_int_equal(wt_wait_flag(&g_started, 1), 0); /* the only thread is busy */
    run_fiber(rt, resolve_busy_body, NULL);
    assert_int_equal(weft_event_set(&g_release), 1);
    assert_int_equal(weft_join(f0, NULL, WEFT_FOREVER), 0);
    wt_destroy(rt);
    wt_assert_clean();
    weft_event_destroy(&g_release);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(offload_result),  WT_TEST(offload_many),  WT_TEST(offload_thread),
        WT_TEST(offload_flood),   WT_TEST(offload_fifo),  WT_TEST(offload_cancel),
        WT_TEST(offload_timeout), WT_TEST(resolve_fiber), WT_TEST(resolve_thread),
        WT_TEST(resolve_busy),
    };
    return WT_RUN_TESTS(tests);
}
