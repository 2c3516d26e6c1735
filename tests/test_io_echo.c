/* tests/test_io_echo.c: the serve loop and fiber I/O end to end: echo round
 * trips with hundreds of concurrent clients driven from fibers (same runtime
 * and another runtime) and from plain threads. Invariant: every client gets
 * back exactly the bytes it sent, in order, and the server ends with no
 * connection left. */
#include "harness.h"

#include <pthread.h>
#include <string.h>

#include "weft/io.h"
#include "weft/net.h"
#include "weft/server.h"

#define CLIENTS WT_SCALE(200)
#define ROUNDS  20

static void echo_handler(weft_conn_t *c) {
    char buf[4096];
    for (;;) {
        ssize_t n = weft_conn_read(c, buf, sizeof buf);
        if (n <= 0) return;
        if (weft_conn_write_all(c, buf, (size_t)n) != n) return;
    }
}

static _Atomic int g_port;
static _Atomic int g_clients_ok;

/* One client: ROUNDS messages of varying sizes, each echoed back whole. */
static void client_session(void) {
    int fd = weft_dial_tcp("127.0.0.1", atomic_load(&g_port), weft_after(WEFT_SEC(10)));
    WT_CHECK(fd >= 0);
    if (fd < 0) return;
    char out[3000], in[3000];
    for (int r = 0; r < ROUNDS; r++) {
        size_t len = 1 + (size_t)(r * 149 + fd * 7) % sizeof out;
        for (size_t i = 0; i < len; i++)
            out[i] = (char)(i * 31 + r + fd);
        WT_CHECK_EQ(weft_write_all(fd, out, len, WEFT_FOREVER), (ssize_t)len);
        WT_CHECK_EQ(weft_read_exact(fd, in, len, weft_after(WEFT_SEC(10))), (ssize_t)len);
        WT_CHECK(memcmp(in, out, len) == 0);
    }
    WT_CHECK_EQ(weft_close(fd), 0);
    atomic_fetch_add(&g_clients_ok, 1);
}

static void *client_fiber(void *arg) {
    (void)arg;
    client_session();
    return NULL;
}

static void *client_thread(void *arg) {
    (void)arg;
    client_session();
    return NULL;
}

struct echo_run {
    int thread_clients;    /* clients on plain threads instead of fibers */
    weft_runtime_t *other; /* fibers of another runtime, when set */
};

static void *echo_main(void *arg) {
    struct echo_run *er = arg;
    int lfd = weft_listen_tcp("127.0.0.1", 0, 0);
    WT_CHECK(lfd >= 0);
    atomic_store(&g_port, weft_local_port(lfd));
    weft_server_t *s = NULL;
    weft_server_opts_t o = {.handler = echo_handler, .idle_timeout = WEFT_SEC(30)};
    WT_CHECK_EQ(weft_server_start(&s, lfd, &o), 0);
    atomic_store(&g_clients_ok, 0);
    if (er->thread_clients) {
        int n = CLIENTS / 4 > 0 ? CLIENTS / 4 : 1;
        pthread_t *t = calloc((size_t)n, sizeof *t);
        for (int i = 0; i < n; i++)
            WT_CHECK_EQ(pthread_create(&t[i], NULL, client_thread, NULL), 0);
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL); /* blocks this worker: the others serve */
        free(t);
        WT_CHECK_EQ(atomic_load(&g_clients_ok), n);
    } else {
        weft_fiber_t **f = calloc(CLIENTS, sizeof *f);
        for (int i = 0; i < CLIENTS; i++) {
            if (er->other)
                WT_CHECK_EQ(weft_spawn_on(er->other, &f[i], client_fiber, NULL), 0);
            else
                WT_CHECK_EQ(weft_spawn(&f[i], client_fiber, NULL), 0);
        }
        for (int i = 0; i < CLIENTS; i++)
            WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
        free(f);
        WT_CHECK_EQ(atomic_load(&g_clients_ok), CLIENTS);
    }
    WT_CHECK_EQ(weft_server_accepted(s), (uint64_t)atomic_load(&g_clients_ok));
    WT_CHECK_EQ(weft_server_shutdown(s, weft_after(WEFT_SEC(10))), 0);
    WT_CHECK_EQ(weft_close(lfd), 0);
    return NULL;
}

static void echo_fibers(void **state) {
    (void)state;
    struct echo_run er = {0};
    for (int w = 1; w <= 2; w++)
        wt_in_runtime(WT_RUN, w, echo_main, &er);
}

static void echo_other_runtime(void **state) {
    (void)state;
    struct echo_run er = {.other = wt_create(2)};
    wt_in_runtime(WT_RUN, 1, echo_main, &er);
    wt_destroy(er.other);
}

static void echo_threads(void **state) {
    (void)state;
    struct echo_run er = {.thread_clients = 1};
    wt_in_runtime(WT_RUN, 2, echo_main, &er);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(echo_fibers),
        WT_TEST(echo_other_runtime),
        WT_TEST(echo_threads),
    };
    return WT_RUN_TESTS(tests);
}
