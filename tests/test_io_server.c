/* tests/test_io_server.c: the serve loop (weft/server.h). The server runs on a
 * runtime made by weft_runtime_create; the test's main thread drives clients
 * (its own blocking weft calls, plain threads, fibers) and calls
 * weft_server_shutdown, which is callable from any thread.
 *
 * Invariants checked:
 *   - graceful shutdown: handlers still running at the deadline are cancelled
 *     (their blocking call returns -ECANCELED) and counted in the result;
 *     handlers that finish before the deadline are not (the result is 0), and
 *     keep serving meanwhile; every accepted connection is closed once its
 *     handler returns (the client sees end of file); the listening socket stays
 *     open and the caller's (connections after shutdown are never served);
 *   - at most max_conns handlers run at once, the others wait in the backlog,
 *     and every connection is eventually served;
 *   - a connection idle for idle_timeout fails its weft_conn_read with
 *     -ETIMEDOUT, never before the idle deadline;
 *   - a handler reading until end of file sees it also when the client's last
 *     request and its FIN reach the poller as one readiness edge;
 *   - hundreds of clients at once, fibers and plain threads together, against
 *     one server on two workers: each client's stream reaches its handler
 *     exactly once, complete and in order (a per-client checksum), and each
 *     client gets its own answer. */
#include "harness.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include "weft/event.h"
#include "weft/io.h"
#include "weft/net.h"
#include "weft/sem.h"
#include "weft/server.h"

#define LONG weft_after(WT_PATIENCE)

/* --- a server on its own runtime, driven from the main thread --- */

typedef struct srv {
    weft_runtime_t *rt;
    int lfd, port;
    weft_server_t *s;
    weft_server_opts_t o;
} srv_t;

static void *start_fiber(void *arg) {
    srv_t *v = arg;
    WT_CHECK_EQ(weft_server_start(&v->s, v->lfd, &v->o), 0);
    return NULL;
}

/* Listens on 127.0.0.1 (the server is started separately: srv_start). */
static void srv_listen(srv_t *v, int workers) {
    v->rt = wt_create(workers);
    v->lfd = weft_listen_tcp("127.0.0.1", 0, 0);
    assert_true(v->lfd >= 0);
    v->port = weft_local_port(v->lfd);
    assert_true(v->port > 0);
}

static void srv_start(srv_t *v) {
    weft_fiber_t *f;
    assert_int_equal(weft_spawn_on(v->rt, &f, start_fiber, v), 0);
    assert_int_equal(weft_join(f, NULL, WEFT_FOREVER), 0);
    wt_assert_clean();
    assert_non_null(v->s);
}

static void srv_end(srv_t *v) {
    assert_int_equal(weft_close(v->lfd), 0); /* still ours after shutdown */
    wt_destroy(v->rt);
    wt_assert_clean();
}

static int dial(int port) {
    int fd = weft_dial_tcp("127.0.0.1", port, LONG);
    WT_CHECK(fd >= 0);
    return fd;
}

static _Atomic int g_entered, g_cancelled, g_other, g_ok;

static void reset_counts(void) {
    atomic_store(&g_entered, 0);
    atomic_store(&g_cancelled, 0);
    atomic_store(&g_other, 0);
    atomic_store(&g_ok, 0);
}

/* =========================================================================
 * Graceful shutdown
 * ========================================================================= */

#define INFLIGHT 8

/* Waits for a request that never comes. */
static void stuck_handler(weft_conn_t *c) {
    char b[16];
    atomic_fetch_add(&g_entered, 1);
    ssize_t r = weft_conn_read(c, b, sizeof b);
    atomic_fetch_add(r == -ECANCELED ? &g_cancelled : &g_other, 1);
}

static void shutdown_cancels(void **s) {
    (void)s;
    reset_counts();
    srv_t v = {.o = {.handler = stuck_handler}};
    srv_listen(&v, 2);
    srv_start(&v);
    int c[INFLIGHT];
    for (int i = 0; i < INFLIGHT; i++)
        c[i] = dial(v.port);
    assert_int_equal(wt_wait_flag(&g_entered, INFLIGHT), 0);
    assert_int_equal(weft_server_active(v.s), INFLIGHT);
    assert_int_equal(weft_server_accepted(v.s), INFLIGHT);
    int64_t d = weft_after(WEFT_MSEC(20));
    assert_int_equal(weft_server_shutdown(v.s, d), INFLIGHT);
    assert_true(weft_now() >= d); /* they were given until the deadline */
    /* Shutdown waited for them: every handler has returned. */
    assert_int_equal(atomic_load(&g_cancelled), INFLIGHT);
    assert_int_equal(atomic_load(&g_other), 0);
    char b[4];
    for (int i = 0; i < INFLIGHT; i++) {
        assert_int_equal(weft_read(c[i], b, sizeof b, LONG), 0); /* closed */
        assert_int_equal(weft_close(c[i]), 0);
    }
    srv_end(&v);
}

/* Serves one ping with a pong, then returns. */
static void ping_handler(weft_conn_t *c) {
    char b[4];
    atomic_fetch_add(&g_entered, 1);
    ssize_t r = weft_read_exact(c->fd, b, 4, weft_conn_deadline(c));
    if (r == 4 && memcmp(b, "ping", 4) == 0 && weft_conn_write_all(c, "pong", 4) == 4)
        atomic_fetch_add(&g_ok, 1);
    else
        atomic_fetch_add(r == -ECANCELED ? &g_cancelled : &g_other, 1);
}

static _Atomic int g_go;

/* A client connected before shutdown, whose request comes once shutdown is
 * under way (or about to be). */
static void *late_client(void *arg) {
    int fd = WT_INT(arg);
    WT_CHECK_EQ(wt_wait_flag(&g_go, 1), 0);
    char b[4];
    WT_CHECK_EQ(weft_write_all(fd, "ping", 4, LONG), 4);
    WT_CHECK_EQ(weft_read_exact(fd, b, 4, LONG), 4);
    WT_CHECK(memcmp(b, "pong", 4) == 0);
    WT_CHECK_EQ(weft_read(fd, b, sizeof b, LONG), 0); /* closed after its handler */
    WT_CHECK_EQ(weft_close(fd), 0);
    return NULL;
}

static void shutdown_drains(void **s) {
    (void)s;
    reset_counts();
    atomic_store(&g_go, 0);
    srv_t v = {.o = {.handler = ping_handler}};
    srv_listen(&v, 2);
    srv_start(&v);
    pthread_t t[INFLIGHT];
    for (int i = 0; i < INFLIGHT; i++)
        assert_int_equal(pthread_create(&t[i], NULL, late_client, WT_PTR(dial(v.port))),
                         0);
    assert_int_equal(wt_wait_flag(&g_entered, INFLIGHT), 0);
    assert_int_equal(weft_server_active(v.s), INFLIGHT);
    atomic_store(&g_go, 1);
    assert_int_equal(weft_server_shutdown(v.s, LONG), 0);
    for (int i = 0; i < INFLIGHT; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    wt_assert_clean();
    assert_int_equal(atomic_load(&g_ok), INFLIGHT);
    assert_int_equal(atomic_load(&g_cancelled) + atomic_load(&g_other), 0);

    /* After shutdown nothing is accepted: the kernel completes the handshake
     * into the backlog, but no handler ever answers. */
    int late = dial(v.port);
    char b[4];
    assert_int_equal(weft_write_all(late, "ping", 4, LONG), 4);
    int64_t d = weft_after(WEFT_MSEC(30));
    assert_int_equal(weft_read(late, b, sizeof b, d), -ETIMEDOUT);
    assert_int_equal(atomic_load(&g_entered), INFLIGHT);
    assert_int_equal(weft_close(late), 0);
    srv_end(&v);
}

/* Shutdown with nothing in flight, from a fiber of the server's runtime. */
static void *shutdown_idle_fiber(void *arg) {
    srv_t *v = arg;
    WT_CHECK_EQ(weft_server_start(&v->s, v->lfd, &v->o), 0);
    WT_CHECK_EQ(weft_server_active(v->s), 0);
    WT_CHECK_EQ(weft_server_accepted(v->s), 0);
    WT_CHECK_EQ(weft_server_shutdown(v->s, WEFT_NOWAIT), 0);
    return NULL;
}

static void shutdown_idle(void **s) {
    (void)s;
    srv_t v = {.o = {.handler = ping_handler}};
    srv_listen(&v, 1);
    weft_fiber_t *f;
    assert_int_equal(weft_spawn_on(v.rt, &f, shutdown_idle_fiber, &v), 0);
    assert_int_equal(weft_join(f, NULL, WEFT_FOREVER), 0);
    wt_assert_clean();
    /* Misuse. */
    weft_server_t *x = NULL;
    assert_int_equal(weft_server_start(&x, v.lfd, &v.o), -EPERM); /* not a fiber */
    assert_int_equal(weft_server_shutdown(NULL, LONG), -EINVAL);
    assert_int_equal(weft_server_active(NULL), -EINVAL);
    assert_int_equal(weft_conn_read(NULL, NULL, 0), -EINVAL);
    assert_int_equal(weft_conn_write_all(NULL, NULL, 0), -EINVAL);
    assert_int_equal(weft_conn_deadline(NULL), WEFT_FOREVER);
    srv_end(&v);
}

static void *bad_start_fiber(void *arg) {
    int lfd = WT_INT(arg);
    weft_server_t *x = NULL;
    weft_server_opts_t o = {.handler = ping_handler};
    WT_CHECK_EQ(weft_server_start(NULL, lfd, &o), -EINVAL);
    WT_CHECK_EQ(weft_server_start(&x, lfd, NULL), -EINVAL);
    WT_CHECK_EQ(weft_server_start(&x, -1, &o), -EINVAL);
    o.max_conns = -1;
    WT_CHECK_EQ(weft_server_start(&x, lfd, &o), -EINVAL);
    o.max_conns = 0;
    o.idle_timeout = -1;
    WT_CHECK_EQ(weft_server_start(&x, lfd, &o), -EINVAL);
    o = (weft_server_opts_t){0};
    WT_CHECK_EQ(weft_server_start(&x, lfd, &o), -EINVAL);
    WT_CHECK(x == NULL);
    return NULL;
}

static void start_errors(void **s) {
    (void)s;
    srv_t v = {0};
    srv_listen(&v, 1);
    weft_fiber_t *f;
    assert_int_equal(weft_spawn_on(v.rt, &f, bad_start_fiber, WT_PTR(v.lfd)), 0);
    assert_int_equal(weft_join(f, NULL, WEFT_FOREVER), 0);
    srv_end(&v);
}

/* =========================================================================
 * Connection limit
 * ========================================================================= */

#define LIMIT   2
#define CLIENTS 5

static _Atomic int g_active, g_max_active, g_finished;
static weft_sem_t g_gate; /* one permit per handler allowed to finish */

/* Counts itself active, then waits at the gate before serving its byte. */
static void gated_handler(weft_conn_t *c) {
    int now = atomic_fetch_add(&g_active, 1) + 1;
    int max = atomic_load(&g_max_active);
    while (now > max && !atomic_compare_exchange_weak(&g_max_active, &max, now)) {
    }
    atomic_fetch_add(&g_entered, 1);
    WT_CHECK_EQ(weft_sem_acquire(&g_gate, WEFT_FOREVER), 0);
    char b;
    if (weft_conn_read(c, &b, 1) == 1 && weft_conn_write_all(c, &b, 1) == 1)
        atomic_fetch_add(&g_ok, 1);
    atomic_fetch_sub(&g_active, 1);
    atomic_fetch_add(&g_finished, 1);
}

/* Connections completed by the kernel but not accepted yet (TCP_INFO on a
 * listening socket reports its accept queue in tcpi_unacked). */
static int backlog_len(int lfd) {
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return -1;
    return (int)ti.tcpi_unacked;
}

static int wait_backlog(int lfd, int n) {
    int64_t limit = weft_after(WT_PATIENCE);
    while (backlog_len(lfd) != n) {
        if (weft_now() > limit) return -ETIMEDOUT;
        wt_pause();
    }
    return 0;
}

static void conn_limit(void **s) {
    (void)s;
    reset_counts();
    atomic_store(&g_active, 0);
    atomic_store(&g_max_active, 0);
    atomic_store(&g_finished, 0);
    assert_int_equal(weft_sem_init(&g_gate, 0, 0), 0);
    srv_t v = {.o = {.handler = gated_handler, .max_conns = LIMIT}};
    srv_listen(&v, 2);
    srv_start(&v);
    int c[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        c[i] = dial(v.port);
        char b = (char)('a' + i);
        assert_int_equal(weft_write_all(c[i], &b, 1, LONG), 1);
    }
    /* Two handlers in; the other three wait in the kernel's backlog (a server
     * ignoring its limit would have accepted them by now). */
    assert_int_equal(wt_wait_flag(&g_entered, LIMIT), 0);
    assert_int_equal(wait_backlog(v.lfd, CLIENTS - LIMIT), 0);
    assert_int_equal(atomic_load(&g_entered), LIMIT);
    assert_int_equal(weft_server_active(v.s), LIMIT);
    /* Let them through one at a time: each finish admits the next. */
    for (int k = 1; k <= CLIENTS; k++) {
        assert_int_equal(weft_sem_release(&g_gate, 1), 0);
        assert_int_equal(wt_wait_flag(&g_finished, k), 0);
        int expect = k + LIMIT < CLIENTS ? k + LIMIT : CLIENTS;
        assert_int_equal(wt_wait_flag(&g_entered, expect), 0);
        assert_true(weft_server_active(v.s) <= LIMIT);
        assert_true(atomic_load(&g_active) <= LIMIT);
    }
    for (int i = 0; i < CLIENTS; i++) {
        char b = 0;
        assert_int_equal(weft_read_exact(c[i], &b, 1, LONG), 1);
        assert_int_equal(b, 'a' + i);
        assert_int_equal(weft_close(c[i]), 0);
    }
    assert_int_equal(atomic_load(&g_ok), CLIENTS);
    assert_int_equal(atomic_load(&g_max_active), LIMIT);
    assert_int_equal(weft_server_accepted(v.s), CLIENTS);
    assert_int_equal(weft_server_shutdown(v.s, LONG), 0);
    assert_int_equal(weft_sem_destroy(&g_gate), 0);
    srv_end(&v);
}

/* =========================================================================
 * Idle timeout
 * ========================================================================= */

#define IDLE WEFT_MSEC(50)

/* Reads the byte sent up front (progress), then waits for more: the idle
 * deadline, counted from that call, ends the wait. */
static void idle_handler(weft_conn_t *c) {
    char b[8];
    atomic_fetch_add(&g_entered, 1);
    int64_t before = weft_now();
    int64_t d = weft_conn_deadline(c);
    WT_CHECK(d >= before + IDLE);
    WT_CHECK_EQ(weft_conn_read(c, b, 1), 1);
    int64_t t0 = weft_now();
    ssize_t r = weft_conn_read(c, b, sizeof b);
    WT_CHECK_EQ(r, -ETIMEDOUT);
    WT_CHECK(weft_now() >= t0 + IDLE); /* never before the idle deadline */
    if (r == -ETIMEDOUT) atomic_fetch_add(&g_ok, 1);
}

static void idle_timeout(void **s) {
    (void)s;
    reset_counts();
    srv_t v = {.o = {.handler = idle_handler, .idle_timeout = IDLE}};
    srv_listen(&v, 1);
    /* Connected and its byte sent before the server even starts: the first
     * read finds it whatever the scheduling. */
    int c = dial(v.port);
    assert_int_equal(weft_write_all(c, "x", 1, LONG), 1);
    srv_start(&v);
    char b[4];
    assert_int_equal(weft_read(c, b, sizeof b, LONG), 0); /* disconnected */
    assert_int_equal(atomic_load(&g_ok), 1);
    assert_int_equal(weft_close(c), 0);
    assert_int_equal(weft_server_shutdown(v.s, LONG), 0);
    srv_end(&v);
}

/* =========================================================================
 * The last request with its FIN
 * ========================================================================= */

static int tcp_state(int fd) {
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 ? ti.tcpi_state : -1;
}

/* Echoes until end of file. Made certain on one worker: after the first
 * request (a short read) and a try (which takes the readiness left from the
 * registration), it holds its worker, so that the poller cannot run, until the
 * second request and the FIN behind it have both arrived; they then reach the
 * poller as one edge. The read after the short read of "two" must still see
 * the end of file. */
static void echo_until_eof(weft_conn_t *c) {
    char b[64];
    ssize_t n = weft_read(c->fd, b, sizeof b, LONG);
    WT_CHECK_EQ(n, 3);
    WT_CHECK_EQ(weft_read(c->fd, b, sizeof b, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_write_all(c->fd, b, 3, LONG), 3);
    int64_t limit = LONG;
    while (tcp_state(c->fd) != TCP_CLOSE_WAIT && weft_now() < limit)
        sched_yield(); /* not weft_yield: the worker stays busy */
    WT_CHECK_EQ(tcp_state(c->fd), TCP_CLOSE_WAIT);
    while ((n = weft_read(c->fd, b, sizeof b, LONG)) > 0)
        WT_CHECK_EQ(weft_write_all(c->fd, b, (size_t)n, LONG), n);
    WT_CHECK_EQ(n, 0);
    atomic_fetch_add(&g_ok, 1);
}

static void request_with_fin(void **s) {
    (void)s;
    reset_counts();
    srv_t v = {.o = {.handler = echo_until_eof}};
    srv_listen(&v, 1);
    srv_start(&v);
    int c = dial(v.port);
    char b[8];
    assert_int_equal(weft_write_all(c, "one", 3, LONG), 3);
    assert_int_equal(weft_read_exact(c, b, 3, LONG), 3);
    assert_memory_equal(b, "one", 3);
    assert_int_equal(weft_write_all(c, "two", 3, LONG), 3); /* the last request... */
    assert_int_equal(shutdown(c, SHUT_WR), 0);              /* ...and the FIN */
    assert_int_equal(weft_read_exact(c, b, 3, LONG), 3);
    assert_memory_equal(b, "two", 3);
    assert_int_equal(weft_read(c, b, sizeof b, LONG), 0); /* the handler returned */
    assert_int_equal(weft_close(c), 0);
    assert_int_equal(weft_server_shutdown(v.s, LONG), 0);
    wt_assert_clean();
    assert_int_equal(atomic_load(&g_ok), 1);
    srv_end(&v);
}

/* =========================================================================
 * Hundreds of clients, fibers and threads at once
 * ========================================================================= */

#define FIBER_CLIENTS  WT_SCALE(300)
#define THREAD_CLIENTS WT_SCALE(100)
#define ALL_CLIENTS    (FIBER_CLIENTS + THREAD_CLIENTS)

static _Atomic int g_served[ALL_CLIENTS];
static weft_event_t g_start;
static int g_port;

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ull

static unsigned char byte_of(uint32_t id, size_t i) {
    uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull + id;
    x ^= x >> 31;
    return (unsigned char)(x * 0xBF58476D1CE4E5B9ull >> 56);
}

static size_t len_of(uint32_t id) {
    return 1 + (size_t)(id * 7919u) % 48000;
}

struct head {
    uint32_t id, len;
};
struct answer {
    uint32_t id, len;
    uint64_t hash;
};

/* Reads a header, then exactly len bytes in whatever pieces arrive, hashing
 * them in order; answers with the hash. The length, not end of file, ends the
 * request. */
static void sum_handler(weft_conn_t *c) {
    struct head h;
    if (weft_read_exact(c->fd, &h, sizeof h, weft_conn_deadline(c)) != sizeof h) {
        atomic_fetch_add(&g_other, 1);
        return;
    }
    WT_CHECK(h.id < ALL_CLIENTS);
    WT_CHECK_EQ(h.len, len_of(h.id));
    if (h.id >= ALL_CLIENTS) return;
    uint64_t hash = FNV_INIT;
    size_t got = 0;
    unsigned char b[1500];
    while (got < h.len) {
        size_t want = h.len - got < sizeof b ? h.len - got : sizeof b;
        ssize_t n = weft_conn_read(c, b, want);
        WT_CHECK(n > 0);
        if (n <= 0) return;
        hash = fnv(hash, b, (size_t)n);
        got += (size_t)n;
    }
    atomic_fetch_add(&g_served[h.id], 1);
    struct answer a = {.id = h.id, .len = h.len, .hash = hash};
    WT_CHECK_EQ(weft_conn_write_all(c, &a, sizeof a), (ssize_t)sizeof a);
}

/* One client: its stream in pieces of varying sizes, then the answer. */
static void sum_client(uint32_t id) {
    WT_CHECK_EQ(weft_event_wait(&g_start, LONG), 0); /* everyone at once */
    int fd = weft_dial_tcp("127.0.0.1", g_port, LONG);
    WT_CHECK(fd >= 0);
    if (fd < 0) return;
    size_t len = len_of(id);
    unsigned char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = byte_of(id, i);
    uint64_t hash = fnv(FNV_INIT, data, len);
    struct head h = {.id = id, .len = (uint32_t)len};
    WT_CHECK_EQ(weft_write_all(fd, &h, sizeof h, LONG), (ssize_t)sizeof h);
    uint32_t rng = id * 2654435761u + 1;
    for (size_t off = 0; off < len;) {
        rng = rng * 1103515245u + 12345u;
        size_t piece = 1 + (rng >> 8) % 4096;
        if (piece > len - off) piece = len - off;
        WT_CHECK_EQ(weft_write_all(fd, data + off, piece, LONG), (ssize_t)piece);
        off += piece;
    }
    struct answer a = {0};
    WT_CHECK_EQ(weft_read_exact(fd, &a, sizeof a, LONG), (ssize_t)sizeof a);
    WT_CHECK_EQ(a.id, id);
    WT_CHECK_EQ(a.len, len);
    WT_CHECK(a.hash == hash);
    if (a.id == id && a.hash == hash) atomic_fetch_add(&g_ok, 1);
    WT_CHECK_EQ(weft_close(fd), 0);
    free(data);
}

static void *sum_client_fn(void *arg) {
    sum_client((uint32_t)WT_INT(arg));
    return NULL;
}

static void many_clients(void **s) {
    (void)s;
    reset_counts();
    for (int i = 0; i < ALL_CLIENTS; i++)
        atomic_store(&g_served[i], 0);
    assert_int_equal(weft_event_init(&g_start), 0);
    srv_t v = {.o = {.handler = sum_handler}};
    srv_listen(&v, 2);
    g_port = v.port;
    srv_start(&v);
    weft_fiber_t **f = calloc(FIBER_CLIENTS, sizeof *f);
    pthread_t *t = calloc(THREAD_CLIENTS, sizeof *t);
    for (int i = 0; i < FIBER_CLIENTS; i++)
        assert_int_equal(weft_spawn_on(v.rt, &f[i], sum_client_fn, WT_PTR(i)), 0);
    for (int i = 0; i < THREAD_CLIENTS; i++)
        assert_int_equal(
            pthread_create(&t[i], NULL, sum_client_fn, WT_PTR(FIBER_CLIENTS + i)), 0);
    assert_int_equal(weft_event_set(&g_start), 1);
    for (int i = 0; i < FIBER_CLIENTS; i++)
        assert_int_equal(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    for (int i = 0; i < THREAD_CLIENTS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    wt_assert_clean();
    assert_int_equal(atomic_load(&g_ok), ALL_CLIENTS);
    assert_int_equal(weft_server_accepted(v.s), ALL_CLIENTS);
    assert_int_equal(weft_server_shutdown(v.s, LONG), 0);
    wt_assert_clean();
    for (int i = 0; i < ALL_CLIENTS; i++)
        assert_int_equal(atomic_load(&g_served[i]), 1);
    assert_int_equal(atomic_load(&g_other), 0);
    free(f);
    free(t);
    assert_int_equal(weft_event_destroy(&g_start), 0);
    srv_end(&v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(shutdown_cancels), WT_TEST(shutdown_drains), WT_TEST(shutdown_idle),
        WT_TEST(start_errors),     WT_TEST(conn_limit),      WT_TEST(idle_timeout),
        WT_TEST(request_with_fin), WT_TEST(many_clients),
    };
    return WT_RUN_TESTS(tests);
}
