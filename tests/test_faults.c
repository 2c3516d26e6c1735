/* tests/test_faults.c: every resource acquisition of the library made to fail
 * in turn (runtime/fault.h): runtime creation, spawn and stack pool growth,
 * timers, fiber-local storage, queue growth, limiter growth, poller
 * registration, the offload pool, the resolver and the serve loop.
 * For each scenario the number of injection points P it reaches is counted
 * first; then, for k = 1..P, the k-th point fails. Invariants checked each
 * time: the scenario's calls return 0 or one of their documented errors
 * (never a crash or a hang), the scenario run again without injection
 * succeeds (the library is still usable), and the ASan build's leak checker
 * finds nothing at exit. Points reached by worker threads make P vary a
 * little from run to run; every k is still a real failure somewhere. */
#include "harness.h"

#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "runtime/fault.h"
#include "weft/fiber.h"
#include "weft/io.h"
#include "weft/limiter.h"
#include "weft/net.h"
#include "weft/offload.h"
#include "weft/queue.h"
#include "weft/server.h"

/* 0 or a documented resource error; anything else is recorded as a failure. */
static int resource_error(int r) {
    return r == -ENOMEM || r == -EAGAIN || r == -EMFILE;
}

#define EXPECT_OK_OR_RESOURCE(r)                                                         \
    do {                                                                                 \
        int r_ = (r);                                                                    \
        if (r_ != 0 && !resource_error(r_)) WT_CHECK_EQ(r_, 0);                          \
    } while (0)

typedef int (*scenario_t)(void);

static long g_points_total, g_failures_total;

static void inject_each(const char *name, scenario_t s) {
    atomic_store(&weft__fault_hits, 0);
    atomic_store(&weft__fault_countdown, LONG_MAX);
    int r = s();
    atomic_store(&weft__fault_countdown, -1);
    assert_int_equal(r, 0);
    long points = atomic_load(&weft__fault_hits);
    assert_true(points > 0);
    for (long k = 1; k <= points; k++) {
        atomic_store(&weft__fault_countdown, k);
        r = s();
        atomic_store(&weft__fault_countdown, -1);
        if (r != 0 && !resource_error(r))
            fail_msg("%s: point %ld: returned %d", name, k, r);
        wt_assert_clean();
        assert_int_equal(s(), 0); /* still usable */
        wt_assert_clean();
    }
    g_points_total += points;
    g_failures_total += points;
    print_message("%s: %ld injection points, each failed once\n", name, points);
}

/* --- scenarios --- */

/* A small tree of fibers; a failed spawn is an allowed outcome, returned. */
static void *tree(void *arg) {
    int depth = WT_INT(arg), err = 0;
    if (depth == 0) return NULL;
    weft_fiber_t *kid[2];
    int n = 0;
    for (; n < 2; n++)
        if ((err = weft_spawn(&kid[n], tree, WT_PTR(depth - 1)))) break;
    EXPECT_OK_OR_RESOURCE(err);
    for (int i = 0; i < n; i++) {
        void *res;
        WT_CHECK_EQ(weft_join(kid[i], &res, WEFT_FOREVER), 0);
        if (res) err = WT_INT(res);
    }
    return WT_PTR(err);
}

static int runtime_create_destroy(void) {
    weft_runtime_t *rt;
    weft_runtime_opts_t o = {.workers = 2};
    int r = weft_runtime_create(&rt, &o);
    if (r) return r;
    weft_fiber_t *f;
    r = weft_spawn_on(rt, &f, tree, WT_PTR(4));
    if (r == 0) {
        void *res;
        WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
        r = WT_INT(res);
    }
    weft_runtime_destroy(rt);
    return r;
}

/* Many fibers at once: stack slabs, timer heaps, fiber-local storage. */
#define MANY WT_SCALE(300)
static weft_fls_key_t g_key;

static void *sleeper(void *arg) {
    int r = weft_fls_set(g_key, arg);
    WT_CHECK(r == 0 || r == -ENOMEM);
    WT_CHECK_EQ(weft_sleep_until(weft_after(WEFT_MSEC(1))), 0);
    WT_CHECK_EQ(weft_yield(), 0);
    return r == 0 ? NULL : WT_PTR(r);
}

static void *many_main(void *arg) {
    (void)arg;
    weft_fiber_t *f[MANY];
    int n = 0, err = 0;
    for (; n < MANY; n++) {
        int r = weft_spawn(&f[n], sleeper, WT_PTR(n + 1));
        if (r) {
            EXPECT_OK_OR_RESOURCE(r);
            err = r;
            break;
        }
    }
    for (int i = 0; i < n; i++) {
        void *res;
        WT_CHECK_EQ(weft_join(f[i], &res, WEFT_FOREVER), 0);
        if (res) err = WT_INT(res);
    }
    return WT_PTR(err);
}

static int run_many(void) {
    weft_runtime_opts_t o = {.workers = 2};
    void *res = NULL;
    int r = weft_run(&o, many_main, NULL, &res);
    return r ? r : WT_INT(res);
}

static int queue_growth(void) {
    weft_queue_t q;
    int r = weft_queue_init(&q, WEFT_FIFO, 0, NULL);
    if (r) return r;
    int put = 0;
    for (; put < 5000; put++) {
        r = weft_queue_put(&q, WT_PTR(put + 1), WEFT_NOWAIT);
        if (r) break;
    }
    WT_CHECK_EQ(weft_queue_len(&q), put); /* a failed put added nothing */
    for (int i = 0; i < put; i++) {
        void *item;
        WT_CHECK_EQ(weft_queue_get(&q, &item, WEFT_NOWAIT), 0);
        WT_CHECK_EQ(WT_INT(item), i + 1);
    }
    WT_CHECK_EQ(weft_queue_destroy(&q), 0);
    return r;
}

#define HOLDERS 12
static weft_limiter_t g_lim;

static void *holder(void *arg) {
    (void)arg;
    int r = weft_limiter_acquire(&g_lim, WEFT_FOREVER);
    if (r) return WT_PTR(r);
    WT_CHECK_EQ(weft_yield(), 0);
    WT_CHECK_EQ(weft_limiter_release(&g_lim), 0);
    return NULL;
}

static void *limiter_main(void *arg) {
    (void)arg;
    weft_fiber_t *f[HOLDERS];
    int n = 0, err = 0;
    for (; n < HOLDERS; n++)
        if ((err = weft_spawn(&f[n], holder, NULL))) break;
    for (int i = 0; i < n; i++) {
        void *res;
        WT_CHECK_EQ(weft_join(f[i], &res, WEFT_FOREVER), 0);
        if (res) err = WT_INT(res);
    }
    return WT_PTR(err);
}

static int limiter_growth(void) {
    int r = weft_limiter_init(&g_lim, HOLDERS, 0);
    if (r) return r;
    weft_runtime_opts_t o = {.workers = 1};
    void *res = NULL;
    r = weft_run(&o, limiter_main, NULL, &res);
    WT_CHECK_EQ(weft_limiter_borrowed(&g_lim), 0);
    WT_CHECK_EQ(weft_limiter_destroy(&g_lim), 0);
    return r ? r : WT_INT(res);
}

/* Poller registration, the offload pool and the resolver. */
static void *work(void *arg) {
    return arg;
}

static void *io_main(void *arg) {
    (void)arg;
    int sv[2], err = 0;
    WT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    char c = 'x';
    ssize_t n = weft_write(sv[0], &c, 1, WEFT_FOREVER);
    if (n < 0)
        err = (int)n;
    else {
        n = weft_read(sv[1], &c, 1, WEFT_FOREVER);
        if (n < 0)
            err = (int)n;
        else
            WT_CHECK(n == 1 && c == 'x');
    }
    weft_close(sv[0]);
    weft_close(sv[1]);
    void *res = NULL;
    int r = weft_offload(work, WT_PTR(7), &res, WEFT_FOREVER);
    if (r == 0)
        WT_CHECK_EQ(WT_INT(res), 7);
    else
        err = r;
    struct addrinfo *ai = NULL,
                    hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    r = weft_getaddrinfo("127.0.0.1", "80", &hints, &ai, WEFT_FOREVER, NULL);
    if (r == 0)
        freeaddrinfo(ai);
    else
        err = r;
    return WT_PTR(err);
}

static int io_and_offload(void) {
    weft_runtime_opts_t o = {.workers = 1, .offload_threads = 2};
    void *res = NULL;
    int r = weft_run(&o, io_main, NULL, &res);
    return r ? r : WT_INT(res);
}

/* The serve loop: start, one echoed connection, shutdown. */
static void echo_once(weft_conn_t *c) {
    char b[16];
    ssize_t n = weft_conn_read(c, b, sizeof b);
    if (n > 0) weft_conn_write_all(c, b, (size_t)n);
}

static void *server_main(void *arg) {
    (void)arg;
    int lfd = weft_listen_tcp("127.0.0.1", 0, 0);
    if (lfd < 0) return WT_PTR(lfd);
    weft_server_t *s;
    weft_server_opts_t o = {.handler = echo_once};
    int err = weft_server_start(&s, lfd, &o);
    if (err == 0) {
        int fd = weft_dial_tcp("127.0.0.1", weft_local_port(lfd), WEFT_FOREVER);
        if (fd < 0)
            err = fd;
        else {
            char b[4];
            ssize_t n = weft_write_all(fd, "ping", 4, WEFT_FOREVER);
            if (n == 4) n = weft_read_exact(fd, b, 4, weft_after(WEFT_SEC(10)));
            /* A server that could not spawn the handler drops the connection:
             * the client sees a reset or an early end, which is the right
             * answer under memory exhaustion (counted as a resource error). */
            if (n == -ECONNRESET || n == -EPIPE || (n >= 0 && n < 4))
                err = -EAGAIN;
            else if (n < 0)
                err = (int)n;
            else
                WT_CHECK(memcmp(b, "ping", 4) == 0);
            weft_close(fd);
        }
        WT_CHECK_EQ(weft_server_shutdown(s, weft_after(WEFT_SEC(10))), 0);
    }
    weft_close(lfd);
    return WT_PTR(err);
}

static int serve(void) {
    weft_runtime_opts_t o = {.workers = 2};
    void *res = NULL;
    int r = weft_run(&o, server_main, NULL, &res);
    return r ? r : WT_INT(res);
}

static void faults_runtime(void **state) {
    (void)state;
    inject_each("runtime create/destroy", runtime_create_destroy);
}

static void faults_spawn_timers_fls(void **state) {
    (void)state;
    assert_int_equal(weft_fls_key_create(&g_key, NULL), 0);
    inject_each("spawn, stacks, timers, fls", run_many);
    assert_int_equal(weft_fls_key_delete(g_key), 0);
}

static void faults_queue(void **state) {
    (void)state;
    inject_each("queue growth", queue_growth);
}

static void faults_limiter(void **state) {
    (void)state;
    inject_each("limiter growth", limiter_growth);
}

static void faults_io(void **state) {
    (void)state;
    inject_each("poller, offload, resolver", io_and_offload);
}

static void faults_server(void **state) {
    (void)state;
    inject_each("serve loop", serve);
    print_message("total: %ld injection points, %ld injected failures\n", g_points_total,
                  g_failures_total);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(faults_runtime), WT_TEST(faults_spawn_timers_fls),
        WT_TEST(faults_queue),   WT_TEST(faults_limiter),
        WT_TEST(faults_io),      WT_TEST(faults_server),
    };
    return WT_RUN_TESTS(tests);
}
