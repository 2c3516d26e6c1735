/* tests/test_io_calls.c: the calls of weft/io.h and weft/net.h one by one, each
 * from a fiber (on a one-worker runtime made by weft_run and on a two-worker
 * runtime made by weft_runtime_create) AND from a plain thread, with the same
 * expectations. Cancellation, and weft_close waking a waiter, exist only for
 * fibers (a thread cannot be cancelled; the kernel does not wake a thread's
 * poll(2) when another thread closes the descriptor).
 *
 * Invariants checked:
 *   - a finite deadline ends a wait with -ETIMEDOUT, never before the deadline
 *     (weft_now() >= deadline once the call has returned); a try (WEFT_NOWAIT)
 *     that finds nothing ready returns -ETIMEDOUT without yielding, and one that
 *     finds data returns it; EAGAIN never reaches the caller;
 *   - a plain thread's call with a finite deadline never blocks past it, also
 *     on a blocking socket or pipe (a write there is partial, or -ETIMEDOUT);
 *   - a call with n == 0 returns 0 at once (or the descriptor's error), with
 *     nothing to read, on a full socket, right after a short read;
 *   - an end of file is seen also when it arrives with the last bytes, in the
 *     same readiness edge;
 *   - after a short read from a stream, a fiber's next read waits for the
 *     poller's report instead of asking the kernel (docs/io.md, "After a short
 *     read"): bytes that came in between are delivered at the poller's next
 *     turn, at most 61 picks later, also next to a fiber that only yields; a
 *     fiber yielding alone on its worker lets the poller run;
 *   - a cancelled fiber's call returns -ECANCELED, also when data is ready and
 *     nothing is consumed, except a try, which still tries; a cancelled or
 *     timed-out wait leaves the descriptor usable;
 *   - weft_close (and weft_fd_forget) wakes every fiber waiting on the
 *     descriptor with -EBADF;
 *   - a write may be partial; weft_write_all/weft_read_exact move every byte,
 *     intact and in order; readv/writev scatter and gather; recv/send pass flags;
 *   - a peer reset is -ECONNRESET once, then end of file / -EPIPE; no write call
 *     (weft_write, weft_writev, weft_send, weft_write_all) to a socket whose
 *     peer is gone raises SIGPIPE (SIGPIPE keeps its default action, which
 *     would kill the test);
 *   - TCP over IPv4 and IPv6, Unix sockets (stale file replaced, any other
 *     file refused), the documented argument errors;
 *   - regular files go through the offload pool from a fiber and return the
 *     file's bytes; a try on a file reads or writes at once;
 *   - with the checkpoints option a call that did not have to wait yields
 *     exactly once (never without it), also when the readiness it used had
 *     been reported before it asked;
 *   - fibers of two runtimes can wait on one descriptor, and it keeps working
 *     once the runtime that registered it is destroyed. */
#include "pairs.h"

#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "weft/io.h"
#include "weft/net.h"
#include "weft/offload.h"

/* How long a step that must succeed may take before the test reports it: a
 * deadlock detector, not a timing assertion. */
#define LONG     weft_after(WT_PATIENCE)
#define SHORT_NS WEFT_MSEC(30)
/* A fresh short deadline: a call that should not wait and does returns
 * -ETIMEDOUT instead of its count. */
#define SOON weft_after(SHORT_NS)

#define BIG_WRITE ((size_t)1 << 20)         /* one weft_write on a small buffer */
#define STREAM    WT_SCALE((size_t)6 << 20) /* weft_write_all through small buffers */

/* --- running a body from a fiber and from a thread --- */

static void *thread_body_trampoline(void *p) {
    void **fa = p;
    void *(*fn)(void *) = (void *(*)(void *))fa[0];
    return fn(fa[1]);
}

static void on_thread(void *(*fn)(void *), void *arg) {
    pthread_t t;
    void *fa[2] = {(void *)fn, arg};
    assert_int_equal(pthread_create(&t, NULL, thread_body_trampoline, fa), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    wt_assert_clean();
}

/* Two cmocka tests per body: body(arg) as a fiber (one worker via weft_run, then
 * two workers via weft_runtime_create), and body(arg) on a plain thread. */
#define BOTH(body, arg)                                                                  \
    static void body##_fiber(void **s) {                                                 \
        (void)s;                                                                         \
        wt_in_runtime(WT_RUN, 1, body, arg);                                             \
        wt_in_runtime(WT_CREATE, 2, body, arg);                                          \
    }                                                                                    \
    static void body##_thread(void **s) {                                                \
        (void)s;                                                                         \
        on_thread(body, arg);                                                            \
    }
#define BOTH_TESTS(body) WT_TEST(body##_fiber), WT_TEST(body##_thread)

/* Fiber-only tests: one and two workers. */
#define FIBER(body, arg)                                                                 \
    static void body##_test(void **s) {                                                  \
        (void)s;                                                                         \
        wt_in_runtime(WT_RUN, 1, body, arg);                                             \
        wt_in_runtime(WT_CREATE, 2, body, arg);                                          \
    }

/* A helper party: a fiber of the caller's runtime when the caller is a fiber and
 * `thread` is 0, else a plain thread. */
typedef struct party {
    weft_fiber_t *f;
    pthread_t t;
    int is_thread;
} party_t;

static void party_start(party_t *p, int thread, void *(*fn)(void *), void *arg) {
    p->is_thread = thread || !weft_self();
    p->f = NULL;
    if (p->is_thread)
        WT_CHECK_EQ(pthread_create(&p->t, NULL, fn, arg), 0);
    else
        WT_CHECK_EQ(weft_spawn(&p->f, fn, arg), 0);
}

static void *party_join(party_t *p) {
    void *r = NULL;
    if (p->is_thread)
        WT_CHECK_EQ(pthread_join(p->t, &r), 0);
    else
        WT_CHECK_EQ(weft_join(p->f, &r, WEFT_FOREVER), 0);
    return r;
}

/* --- descriptors --- */

/* A connected Unix stream pair (blocking unless nonblock; weft makes a
 * descriptor non-blocking itself once a fiber waits on it). */
static void mkpair(int sv[2], int nonblock) {
    int r = socketpair(
        AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0, sv);
    WT_CHECK_EQ(r, 0);
}

static void small_buffers(int writer, int reader) {
    int small = 4096;
    WT_CHECK_EQ(setsockopt(writer, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
    WT_CHECK_EQ(setsockopt(reader, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
}

/* A connected TCP pair over 127.0.0.1: *c dialed, *a accepted. */
static void tcp_pair(int *c, int *a) {
    int l = weft_listen_tcp("127.0.0.1", 0, 0);
    WT_CHECK(l >= 0);
    *c = weft_dial_tcp("127.0.0.1", weft_local_port(l), LONG);
    WT_CHECK(*c >= 0);
    *a = weft_accept(l, NULL, NULL, LONG);
    WT_CHECK(*a >= 0);
    WT_CHECK_EQ(weft_close(l), 0);
}

/* A descriptor number that is certainly not open (nothing in these tests opens
 * descriptors this high while it is used). */
static int closed_fd(void) {
    struct rlimit rl;
    int base = 900;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= (rlim_t)base + 1)
        base = (int)rl.rlim_cur / 2;
    int fd = fcntl(0, F_DUPFD_CLOEXEC, base);
    WT_CHECK(fd >= base);
    WT_CHECK_EQ(close(fd), 0);
    return fd;
}

/* Byte i of stream `seed`: depends on the whole position, so reordered or
 * repeated chunks are caught, not only corrupted bytes. */
static unsigned char pat(uint64_t i, uint32_t seed) {
    uint64_t x = i + (uint64_t)seed * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return (unsigned char)x;
}

static void fill(unsigned char *b, size_t n, uint64_t from, uint32_t seed) {
    for (size_t i = 0; i < n; i++)
        b[i] = pat(from + i, seed);
}

static int matches(const unsigned char *b, size_t n, uint64_t from, uint32_t seed) {
    for (size_t i = 0; i < n; i++)
        if (b[i] != pat(from + i, seed)) return 0;
    return 1;
}

/* Writes "p" to fd, once wait_for is parked (blocked in its call). */
struct delayed_write {
    int fd;
    weft_fiber_t *wait_for; /* write once this fiber is parked (NULL: at once) */
};

static void *delayed_write(void *arg) {
    struct delayed_write *d = arg;
    if (d->wait_for) WT_CHECK_EQ(wt_wait_state(d->wait_for, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_write(d->fd, "p", 1, LONG), 1);
    return NULL;
}

/* =========================================================================
 * Deadlines and tries
 * ========================================================================= */

static void *read_deadline(void *arg) {
    (void)arg;
    char b[64];
    int sv[2], p[2];
    mkpair(sv, 0);
    WT_CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    int64_t d = weft_after(SHORT_NS);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, d), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);
    d = weft_after(SHORT_NS);
    WT_CHECK_EQ(weft_read(p[0], b, sizeof b, d), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);
    d = weft_after(SHORT_NS);
    WT_CHECK_EQ(weft_recv(sv[0], b, sizeof b, 0, d), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);
    d = weft_after(SHORT_NS);
    WT_CHECK_EQ(weft_read_exact(sv[0], b, sizeof b, d), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);

    /* Tries: nothing there is -ETIMEDOUT (never -EAGAIN), for a deadline of 0
     * and for any deadline already past. */
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_read(p[0], b, sizeof b, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, weft_after(-1)), -ETIMEDOUT);

    /* The descriptors still work after timing out; a try finds ready data. */
    WT_CHECK_EQ(write(sv[1], "abc", 3), 3);
    WT_CHECK_EQ(write(p[1], "de", 2), 2);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, WEFT_NOWAIT), 3);
    WT_CHECK(memcmp(b, "abc", 3) == 0);
    WT_CHECK_EQ(weft_read(p[0], b, sizeof b, LONG), 2);
    WT_CHECK(memcmp(b, "de", 2) == 0);

    /* The peer gone: end of file, not a timeout, for a try too. */
    WT_CHECK_EQ(weft_close(sv[1]), 0);
    WT_CHECK_EQ(weft_close(p[1]), 0);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_read(p[0], b, sizeof b, LONG), 0);
    WT_CHECK_EQ(weft_close(sv[0]), 0);
    WT_CHECK_EQ(weft_close(p[0]), 0);
    return NULL;
}
BOTH(read_deadline, NULL)

/* Tries never yield, whatever they find; a call that does not have to wait
 * yields exactly once with the checkpoints option, never without it. Run as the
 * main fiber of a one-worker runtime next to the probe fiber (tests/pairs.h). */
static void *try_no_yield(void *arg) {
    int expect = *(int *)arg;
    weft_fiber_t *probe;
    WT_CHECK_EQ(weft_spawn(&probe, wt_probe, NULL), 0);
    weft_yield(); /* the probe runs its loop from now on */
    char b[16];
    int sv[2];
    mkpair(sv, 0);
    int l = weft_listen_tcp("127.0.0.1", 0, 0);
    WT_CHECK(l >= 0);

    int before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_accept(l, NULL, NULL, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_write(sv[1], "x", 1, WEFT_NOWAIT), 1);
    /* Exactly the bytes there, not a short read: after a short read the next
     * read would wait for the poller's report (docs/io.md, "After a short
     * read"; tested in short_read_then_ready), and the "one yield with
     * checkpoints" below is about a call that finds its data at once. */
    WT_CHECK_EQ(weft_read(sv[0], b, 1, WEFT_NOWAIT), 1);
    WT_CHECK_EQ(weft_poll(sv[0], POLLOUT, WEFT_NOWAIT), POLLOUT);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, 0);

    /* Ready at once, with a deadline: no wait; one yield with checkpoints. */
    WT_CHECK_EQ(weft_write(sv[1], "y", 1, WEFT_FOREVER), 1);
    before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_read(sv[0], b, 1, WEFT_FOREVER), 1);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, expect);
    before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_write(sv[1], "z", 1, WEFT_FOREVER), 1);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, expect);

    atomic_store(&wt_probe_stop, 1);
    WT_CHECK_EQ(weft_join(probe, NULL, WEFT_FOREVER), 0);
    weft_close(sv[0]);
    weft_close(sv[1]);
    weft_close(l);
    return NULL;
}

static void try_no_yield_test(void **s) {
    (void)s;
    wt_run_checkpoint_modes(try_no_yield);
}

/* Zero-length calls never wait: 0 at once with nothing to read (also right
 * after a short read, which makes a fiber's next read wait for the poller) and
 * on a full socket; the descriptor's error for a bad one. */
static void *zero_length(void *arg) {
    (void)arg;
    char b[8];
    int sv[2], p[2];
    mkpair(sv, 0);
    WT_CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    int rd[2] = {sv[0], p[0]}, wr[2] = {sv[1], p[1]};
    for (int i = 0; i < 2; i++) {
        WT_CHECK_EQ(weft_read(rd[i], b, 0, WEFT_NOWAIT), 0);
        WT_CHECK_EQ(weft_read(rd[i], b, 0, SOON), 0);
        WT_CHECK_EQ(weft_read_exact(rd[i], b, 0, SOON), 0);
        /* A short read of a byte written while the reader waited: no
         * readiness is left over, so a fiber's next read would wait. */
        struct delayed_write dw = {.fd = wr[i], .wait_for = weft_self()};
        party_t p;
        party_start(&p, 0, delayed_write, &dw);
        WT_CHECK_EQ(weft_read(rd[i], b, sizeof b, LONG), 1);
        WT_CHECK_EQ(weft_read(rd[i], b, 0, SOON), 0);
        WT_CHECK_EQ(weft_read(rd[i], b, 0, WEFT_NOWAIT), 0);
        party_join(&p);
    }
    /* A full socket: a zero-length write is 0, not a wait for room. */
    int full[2];
    mkpair(full, 1);
    small_buffers(full[1], full[0]);
    static unsigned char fill_buf[1 << 16];
    while (weft_write(full[1], fill_buf, sizeof fill_buf, WEFT_NOWAIT) > 0) {
    }
    WT_CHECK_EQ(weft_poll(full[1], POLLOUT, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_write(full[1], b, 0, SOON), 0);
    WT_CHECK_EQ(weft_send(full[1], b, 0, 0, SOON), 0);
    WT_CHECK_EQ(weft_write_all(full[1], b, 0, SOON), 0);
    WT_CHECK_EQ(weft_write(full[1], b, 0, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_close(full[0]), 0);
    WT_CHECK_EQ(weft_close(full[1]), 0);
    /* A bad descriptor is still reported. */
    int bad = closed_fd();
    WT_CHECK_EQ(weft_read(bad, b, 0, SOON), -EBADF);
    WT_CHECK_EQ(weft_write(bad, b, 0, SOON), -EBADF);
    for (int i = 0; i < 2; i++) {
        WT_CHECK_EQ(weft_close(rd[i]), 0);
        WT_CHECK_EQ(weft_close(wr[i]), 0);
    }
    return NULL;
}
BOTH(zero_length, NULL)

/* A plain thread's writes with a finite deadline on BLOCKING descriptors (a
 * socket and a pipe) never block past the deadline: partial, then -ETIMEDOUT
 * once full, a try included. Runs in the child that blocking_writes_test forks. */
static void blocking_writes(void) {
    static unsigned char big[1 << 20];
    struct iovec iov[2] = {{big, 1000}, {big, sizeof big}};
    int sv[2], p[2];
    mkpair(sv, 0);
    WT_CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    WT_CHECK(fcntl(p[1], F_SETPIPE_SZ, 4096) > 0);
    int wr[2] = {sv[0], p[1]}, rd[2] = {sv[1], p[0]};
    for (int i = 0; i < 2; i++) {
        WT_CHECK(!(fcntl(wr[i], F_GETFL) & O_NONBLOCK));
        ssize_t n = weft_write(wr[i], big, sizeof big, SOON);
        WT_CHECK(n > 0 && (size_t)n < sizeof big);
        while (weft_write(wr[i], big, sizeof big, WEFT_NOWAIT) > 0) {
        }
        WT_CHECK_EQ(weft_write(wr[i], big, sizeof big, WEFT_NOWAIT), -ETIMEDOUT);
        int64_t d = SOON;
        WT_CHECK_EQ(weft_write(wr[i], big, sizeof big, d), -ETIMEDOUT);
        WT_CHECK(weft_now() >= d);
        d = SOON;
        WT_CHECK_EQ(weft_writev(wr[i], iov, 2, d), -ETIMEDOUT);
        WT_CHECK(weft_now() >= d);
        d = SOON;
        WT_CHECK_EQ(weft_write_all(wr[i], big, sizeof big, d), -ETIMEDOUT);
        WT_CHECK(weft_now() >= d);
        if (i == 0) {
            d = SOON;
            WT_CHECK_EQ(weft_send(wr[i], big, sizeof big, 0, d), -ETIMEDOUT);
            WT_CHECK(weft_now() >= d);
        }
        /* Room for some again: partial at once (a pipe takes PIPE_BUF at most). */
        unsigned char *in = malloc(sizeof big);
        ssize_t got = weft_read(rd[i], in, sizeof big, LONG);
        WT_CHECK(got > 0);
        n = weft_writev(wr[i], iov, 2, SOON);
        WT_CHECK(n > 0);
        free(in);
        WT_CHECK(!(fcntl(wr[i], F_GETFL) & O_NONBLOCK)); /* the caller's mode kept */
        close(wr[i]);
        close(rd[i]);
    }
}

static void blocking_writes_test(void **s) {
    (void)s;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGALRM, SIG_DFL); /* a call that blocks: killed, reported below */
        alarm(WT_WATCHDOG_SECONDS / 2);
        blocking_writes();
        if (atomic_load(&wt_nfail)) fprintf(stderr, "%s\n", wt_first_failure);
        _exit(atomic_load(&wt_nfail) ? 1 : 0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st))
        fail_msg("a thread's write blocked past its deadline (killed by signal %d)",
                 WTERMSIG(st));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* =========================================================================
 * End of file and the short-read shortcut (fibers)
 * ========================================================================= */

static int g_fds[2]; /* [0] read end, [1] write end */

static void *eof_reader(void *arg) {
    (void)arg;
    char b[16];
    WT_CHECK_EQ(weft_read(g_fds[0], b, sizeof b, LONG), 3); /* waited; short */
    WT_CHECK(memcmp(b, "abc", 3) == 0);
    WT_CHECK_EQ(weft_read(g_fds[0], b, sizeof b, LONG), 0);
    return NULL;
}

/* An end of file arriving in the same edge as the last bytes is seen by the
 * read after the short one (no edge ever comes again). On one worker this is
 * certain: the writer writes and closes without yielding while the reader
 * waits; a socket pair, then a pipe. */
static void *eof_with_last_bytes(void *arg) {
    (void)arg;
    for (int kind = 0; kind < 2; kind++) {
        if (kind == 0)
            WT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_fds), 0);
        else
            WT_CHECK_EQ(pipe2(g_fds, O_CLOEXEC), 0);
        weft_fiber_t *f;
        WT_CHECK_EQ(weft_spawn(&f, eof_reader, NULL), 0);
        WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
        WT_CHECK_EQ(weft_write(g_fds[1], "abc", 3, LONG), 3); /* one edge: data + EOF */
        WT_CHECK_EQ(weft_close(g_fds[1]), 0);
        WT_CHECK_EQ(weft_join(f, NULL, WEFT_FOREVER), 0);
        WT_CHECK_EQ(weft_close(g_fds[0]), 0);
    }
    return NULL;
}
FIBER(eof_with_last_bytes, NULL)

static _Atomic int g_got;
static weft_fiber_t *g_reader;

static void *spun_reader(void *arg) {
    (void)arg;
    char b[8];
    atomic_store(&g_got, (int)weft_read(g_fds[0], b, sizeof b, WEFT_FOREVER));
    return NULL;
}

/* A compute loop that yields: with nobody else runnable on its worker. */
static void *yield_spinner(void *arg) {
    (void)arg;
    int64_t limit = LONG;
    while (!atomic_load(&g_got) && weft_now() < limit)
        weft_yield();
    WT_CHECK_EQ(atomic_load(&g_got), 3);
    return NULL;
}

static void *spun_writer(void *arg) {
    (void)arg;
    WT_CHECK_EQ(wt_wait_state(g_reader, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(write(g_fds[1], "abc", 3), 3);
    return NULL;
}

/* A fiber looping on weft_yield alone on its one worker still lets the poller
 * run: the reader next to it is woken when a thread writes. */
static void *yield_spinner_main(void *arg) {
    (void)arg;
    atomic_store(&g_got, 0);
    mkpair(g_fds, 0);
    pthread_t t;
    weft_fiber_t *sp;
    WT_CHECK_EQ(weft_spawn(&g_reader, spun_reader, NULL), 0);
    WT_CHECK_EQ(pthread_create(&t, NULL, spun_writer, NULL), 0);
    WT_CHECK_EQ(weft_spawn(&sp, yield_spinner, NULL), 0);
    WT_CHECK_EQ(weft_join(sp, NULL, WEFT_FOREVER), 0);
    WT_CHECK_EQ(pthread_join(t, NULL), 0);
    WT_CHECK_EQ(weft_close(g_fds[1]), 0); /* lets the reader finish either way */
    WT_CHECK_EQ(weft_join(g_reader, NULL, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_close(g_fds[0]), 0);
    return NULL;
}

static void yield_spinner_test(void **s) {
    (void)s;
    wt_in_runtime(WT_RUN, 1, yield_spinner_main, NULL);
}

/* Readiness edges without a reader waiting: a helper fiber waits on a second
 * pair; once a byte written to that pair after everything else has woken it,
 * the poller has taken the earlier edges too (epoll reports in arrival order). */
static void *edge_helper(void *arg) {
    char b[1];
    WT_CHECK_EQ(weft_read(WT_INT(arg), b, 1, LONG), 1);
    return NULL;
}

static void poller_catch_up(int helper_fd, int helper_peer) {
    weft_fiber_t *h;
    WT_CHECK_EQ(weft_spawn(&h, edge_helper, WT_PTR(helper_fd)), 0);
    WT_CHECK_EQ(wt_wait_state(h, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(write(helper_peer, "h", 1), 1);
    WT_CHECK_EQ(weft_join(h, NULL, WEFT_FOREVER), 0);
}

/* After a short read, the next read from a fiber waits for the poller's report
 * (docs/io.md, "After a short read"): data already there is still delivered,
 * with the right bytes, at the poller's next turn, at most 61 picks later,
 * although the only other fiber on the worker (the probe) just yields. And a
 * read whose readiness was reported before it asked did not wait: with
 * checkpoints it yields exactly once. */
static void *short_read_then_ready(void *arg) {
    int expect = *(int *)arg;
    weft_fiber_t *probe;
    WT_CHECK_EQ(weft_spawn(&probe, wt_probe, NULL), 0);
    weft_yield();
    int sv[2], hp[2];
    mkpair(sv, 0);
    mkpair(hp, 0);
    char b[16];
    /* (A try on the empty socket first, which uses up the readiness of a new
     * registration.) */
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_write(sv[1], "x", 1, WEFT_NOWAIT), 1);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, WEFT_NOWAIT), 1); /* short */
    WT_CHECK_EQ(weft_write(sv[1], "y", 1, WEFT_NOWAIT), 1);
    int before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, LONG), 1);
    WT_CHECK_EQ(b[0], 'y');
    int ran = atomic_load(&wt_probe_runs) - before;
    WT_CHECK(ran >= 1 && ran <= 61); /* it waited for the poller's next turn */

    /* Short again ("y"); then "z" arrives and the poller reports it while
     * nobody waits: the next read finds that report and reads at once. */
    WT_CHECK_EQ(weft_write(sv[1], "z", 1, WEFT_NOWAIT), 1);
    poller_catch_up(hp[0], hp[1]);
    before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, LONG), 1);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, expect);
    WT_CHECK_EQ(b[0], 'z');

    atomic_store(&wt_probe_stop, 1);
    WT_CHECK_EQ(weft_join(probe, NULL, WEFT_FOREVER), 0);
    for (int i = 0; i < 2; i++) {
        WT_CHECK_EQ(weft_close(sv[i]), 0);
        WT_CHECK_EQ(weft_close(hp[i]), 0);
    }
    return NULL;
}

static void short_read_then_ready_test(void **s) {
    (void)s;
    wt_run_checkpoint_modes(short_read_then_ready);
}

/* =========================================================================
 * Cancellation (fibers only)
 * ========================================================================= */

static void *blocked_read(void *arg) {
    char b[8];
    return WT_PTR(weft_read(WT_INT(arg), b, sizeof b, WEFT_FOREVER));
}

static void *blocked_accept(void *arg) {
    return WT_PTR(weft_accept(WT_INT(arg), NULL, NULL, WEFT_FOREVER));
}

static void *blocked_poll(void *arg) {
    return WT_PTR(weft_poll(WT_INT(arg), POLLIN, WEFT_FOREVER));
}

/* Spawns fn(fd), waits until it is parked (blocked in its call), cancels it:
 * the call returns -ECANCELED. */
static void cancel_blocked(void *(*fn)(void *), int fd) {
    weft_fiber_t *f;
    void *r = NULL;
    WT_CHECK_EQ(weft_spawn(&f, fn, WT_PTR(fd)), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &r, LONG), 0);
    WT_CHECK_EQ(WT_INT(r), -ECANCELED);
}

static void *cancel_waiters(void *arg) {
    (void)arg;
    char b[8];
    int sv[2];
    mkpair(sv, 0);
    cancel_blocked(blocked_read, sv[0]);
    cancel_blocked(blocked_poll, sv[0]);
    /* The descriptor is still usable, and its waiter lists hold nobody. */
    WT_CHECK_EQ(weft_write(sv[1], "hi", 2, LONG), 2);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, LONG), 2);

    int l = weft_listen_tcp("127.0.0.1", 0, 0);
    WT_CHECK(l >= 0);
    cancel_blocked(blocked_accept, l);
    int c = weft_dial_tcp("127.0.0.1", weft_local_port(l), LONG);
    WT_CHECK(c >= 0);
    int a = weft_accept(l, NULL, NULL, LONG);
    WT_CHECK(a >= 0);
    weft_close(a);
    weft_close(c);
    weft_close(l);
    weft_close(sv[0]);
    weft_close(sv[1]);
    return NULL;
}
FIBER(cancel_waiters, NULL)

/* A cancelled fiber: every call that could wait returns -ECANCELED at once,
 * even with data, room or a connection ready, and consumes nothing; a try still
 * tries. */
static void *cancelled_calls(void *arg) {
    int *fds = arg; /* sv[0], sv[1], listener, dialed client */
    char b[8];
    WT_CHECK_EQ(weft_cancel(weft_self()), 0);
    WT_CHECK_EQ(weft_read(fds[0], b, sizeof b, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_read(fds[0], b, sizeof b, LONG), -ECANCELED);
    WT_CHECK_EQ(weft_recv(fds[0], b, sizeof b, 0, LONG), -ECANCELED);
    WT_CHECK_EQ(weft_read_exact(fds[0], b, 2, LONG), -ECANCELED);
    WT_CHECK_EQ(weft_poll(fds[0], POLLIN, LONG), -ECANCELED);
    WT_CHECK_EQ(weft_write(fds[1], "z", 1, LONG), -ECANCELED);
    WT_CHECK_EQ(weft_send(fds[1], "z", 1, 0, LONG), -ECANCELED);
    WT_CHECK_EQ(weft_write_all(fds[1], "z", 1, LONG), -ECANCELED);
    WT_CHECK_EQ(weft_accept(fds[2], NULL, NULL, LONG), -ECANCELED);
    /* Tries: the data is all still there. */
    WT_CHECK_EQ(weft_poll(fds[0], POLLIN, WEFT_NOWAIT) & POLLIN, POLLIN);
    WT_CHECK_EQ(weft_read(fds[0], b, sizeof b, WEFT_NOWAIT), 2);
    WT_CHECK(memcmp(b, "ok", 2) == 0);
    WT_CHECK_EQ(weft_read(fds[0], b, sizeof b, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_write(fds[1], "w", 1, WEFT_NOWAIT), 1);
    int a = weft_accept(fds[2], NULL, NULL, WEFT_NOWAIT);
    WT_CHECK(a >= 0);
    /* A shield defers the cancel: the calls work (and wait) again. */
    weft_shield_begin();
    WT_CHECK_EQ(weft_read(fds[0], b, sizeof b, LONG), 1);
    WT_CHECK_EQ(weft_write_all(a, "s", 1, LONG), 1);
    WT_CHECK_EQ(weft_read(fds[3], b, sizeof b, LONG), 1); /* waits for it */
    weft_shield_end();
    WT_CHECK_EQ(weft_close(a), 0);
    return NULL;
}

static void *cancelled_main(void *arg) {
    (void)arg;
    int fds[4];
    mkpair(fds, 0);
    fds[2] = weft_listen_tcp("127.0.0.1", 0, 0);
    WT_CHECK(fds[2] >= 0);
    fds[3] = weft_dial_tcp("127.0.0.1", weft_local_port(fds[2]), LONG);
    WT_CHECK(fds[3] >= 0);
    WT_CHECK_EQ(write(fds[1], "ok", 2), 2);
    /* the connection is in the backlog once dial returned: accept is ready */
    WT_CHECK_EQ(weft_poll(fds[2], POLLIN, LONG) & POLLIN, POLLIN);
    weft_fiber_t *f;
    WT_CHECK_EQ(weft_spawn(&f, cancelled_calls, fds), 0);
    WT_CHECK_EQ(weft_join(f, NULL, WEFT_FOREVER), 0);
    for (int i = 0; i < 4; i++)
        WT_CHECK_EQ(weft_close(fds[i]), 0);
    return NULL;
}
FIBER(cancelled_main, NULL)

/* =========================================================================
 * Partial writes and long streams
 * ========================================================================= */

/* A write to a full socket or pipe w (read end r) is partial, then times out. */
static void partial_write_on(int w, int r) {
    unsigned char *out = malloc(BIG_WRITE), *in = malloc(BIG_WRITE);
    fill(out, BIG_WRITE, 0, 7);
    ssize_t n = weft_write(w, out, BIG_WRITE, WEFT_NOWAIT);
    WT_CHECK(n > 0 && (size_t)n < BIG_WRITE);
    /* Full: a try and a short deadline both time out, writing nothing. */
    WT_CHECK_EQ(weft_write(w, out + n, BIG_WRITE - (size_t)n, WEFT_NOWAIT), -ETIMEDOUT);
    int64_t d = SOON;
    WT_CHECK_EQ(weft_write(w, out + n, BIG_WRITE - (size_t)n, d), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);
    d = SOON;
    WT_CHECK_EQ(weft_write_all(w, out + n, BIG_WRITE - (size_t)n, d), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);
    WT_CHECK_EQ(weft_poll(w, POLLOUT, WEFT_NOWAIT), 0);
    /* A short deadline with room for some: partial again, at once. */
    WT_CHECK_EQ(weft_read_exact(r, in, (size_t)n, LONG), n);
    WT_CHECK(matches(in, (size_t)n, 0, 7));
    ssize_t m = weft_write(w, out + n, BIG_WRITE - (size_t)n, SOON);
    WT_CHECK(m > 0 && (size_t)(n + m) < BIG_WRITE);
    WT_CHECK_EQ(weft_read_exact(r, in, (size_t)m, LONG), m);
    WT_CHECK(matches(in, (size_t)m, (uint64_t)n, 7));
    WT_CHECK_EQ(weft_read(r, in, BIG_WRITE, WEFT_NOWAIT), -ETIMEDOUT);
    free(out);
    free(in);
    WT_CHECK_EQ(weft_close(w), 0);
    WT_CHECK_EQ(weft_close(r), 0);
}

/* Blocking and non-blocking socket pairs, and a blocking pipe: from a plain
 * thread, no call on the blocking ones sleeps in the kernel past its deadline. */
static void *partial_write(void *arg) {
    (void)arg;
    for (int nb = 0; nb < 2; nb++) {
        int sv[2];
        mkpair(sv, nb);
        small_buffers(sv[0], sv[1]);
        partial_write_on(sv[0], sv[1]);
    }
    int p[2];
    WT_CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    WT_CHECK(fcntl(p[1], F_SETPIPE_SZ, 4096) > 0);
    partial_write_on(p[1], p[0]);
    return NULL;
}
BOTH(partial_write, NULL)

struct slow_reader {
    int fd;
    size_t total; /* bytes to read (0: until end of file) */
    int check;    /* compare with pat(position, seed) */
    uint32_t seed;
    size_t got;
    int bad;
};

/* Reads in small odd-sized pieces, letting others run between them. */
static void *slow_reader(void *arg) {
    struct slow_reader *r = arg;
    unsigned char b[997];
    while (!r->total || r->got < r->total) {
        size_t want = sizeof b;
        if (r->total && r->total - r->got < want) want = r->total - r->got;
        ssize_t n = weft_read(r->fd, b, want, LONG);
        WT_CHECK(n >= 0);
        if (n <= 0) break;
        if (r->check && !matches(b, (size_t)n, r->got, r->seed)) r->bad++;
        r->got += (size_t)n;
        wt_pause();
    }
    return NULL;
}

/* weft_write_all of several MiB through 4 KiB buffers to a slow reader (a fiber
 * or a thread, WT_INT(arg)): every byte arrives, in order. A unix socket pair
 * and a pipe (the write(2) path of weft_write_all). */
static void *write_all_stream(void *arg) {
    int reader_thread = WT_INT(arg);
    unsigned char *out = malloc(STREAM);
    fill(out, STREAM, 0, 11);
    for (int kind = 0; kind < 2; kind++) {
        int sv[2];
        if (kind == 0) {
            mkpair(sv, 0);
            small_buffers(sv[0], sv[1]);
        } else {
            int p[2];
            WT_CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
            WT_CHECK(fcntl(p[1], F_SETPIPE_SZ, 4096) > 0);
            sv[0] = p[1];
            sv[1] = p[0];
        }
        /* The reader reads until end of file, which the writer's close sends
         * right behind the last bytes: exactly STREAM bytes, no extra one. */
        struct slow_reader r = {.fd = sv[1], .check = 1, .seed = 11};
        party_t p;
        party_start(&p, reader_thread, slow_reader, &r);
        WT_CHECK_EQ(weft_write_all(sv[0], out, STREAM, LONG), (ssize_t)STREAM);
        WT_CHECK_EQ(weft_close(sv[0]), 0);
        party_join(&p);
        WT_CHECK_EQ(r.got, STREAM);
        WT_CHECK_EQ(r.bad, 0);
        WT_CHECK_EQ(weft_close(sv[1]), 0);
    }
    free(out);
    return NULL;
}
BOTH(write_all_stream, WT_PTR(0))

static void write_all_stream_reader_thread_test(void **s) {
    (void)s;
    wt_in_runtime(WT_RUN, 1, write_all_stream, WT_PTR(1));
    wt_in_runtime(WT_CREATE, 2, write_all_stream, WT_PTR(1));
}

/* =========================================================================
 * Peer reset and SIGPIPE
 * ========================================================================= */

struct resetter {
    int fd;
    size_t expect; /* bytes to read before resetting */
};

/* Reads the request, then closes with SO_LINGER {1, 0}: an RST, not a FIN. */
static void *reset_peer(void *arg) {
    struct resetter *r = arg;
    char b[64];
    WT_CHECK_EQ(weft_read_exact(r->fd, b, r->expect, LONG), (ssize_t)r->expect);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    WT_CHECK_EQ(setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    WT_CHECK_EQ(weft_close(r->fd), 0);
    return NULL;
}

/* What Linux reports, in order: the pending -ECONNRESET goes to whichever call
 * comes first (a read or a write); after it, reads see end of file and writes
 * -EPIPE. */
static void *peer_reset(void *arg) {
    int peer_thread = WT_INT(arg);
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE kills the test */
    char b[64];

    /* 1. A reader blocked for the answer to its request. */
    int c, a;
    tcp_pair(&c, &a);
    struct resetter r = {.fd = a, .expect = 4};
    party_t p;
    party_start(&p, peer_thread, reset_peer, &r);
    WT_CHECK_EQ(weft_write_all(c, "GET ", 4, LONG), 4);
    WT_CHECK_EQ(weft_read(c, b, sizeof b, LONG), -ECONNRESET);
    party_join(&p);
    WT_CHECK_EQ(weft_read(c, b, sizeof b, LONG), 0);
    WT_CHECK_EQ(weft_write_all(c, "more", 4, LONG), -EPIPE);
    WT_CHECK_EQ(weft_send(c, "more", 4, 0, LONG), -EPIPE);
    WT_CHECK_EQ(weft_write(c, "more", 4, LONG), -EPIPE);
    struct iovec iov[2] = {{"mo", 2}, {"re", 2}};
    WT_CHECK_EQ(weft_writev(c, iov, 2, LONG), -EPIPE);
    WT_CHECK_EQ(weft_close(c), 0);

    /* 2. A writer blocked in weft_write_all (small buffers, a peer that reads only
     * the first bytes): the reset ends it with -ECONNRESET, then -EPIPE. */
    tcp_pair(&c, &a);
    int small = 4096;
    WT_CHECK_EQ(setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
    WT_CHECK_EQ(setsockopt(a, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    size_t big = (size_t)8 << 20;
    unsigned char *out = calloc(1, big);
    r = (struct resetter){.fd = a, .expect = 16};
    party_start(&p, peer_thread, reset_peer, &r);
    WT_CHECK_EQ(weft_write_all(c, out, big, LONG), -ECONNRESET);
    party_join(&p);
    WT_CHECK_EQ(weft_write_all(c, out, 1, LONG), -EPIPE);
    WT_CHECK_EQ(weft_send(c, out, 1, MSG_DONTWAIT, LONG), -EPIPE);
    WT_CHECK_EQ(weft_write(c, out, 1, WEFT_NOWAIT), -EPIPE);
    WT_CHECK_EQ(weft_writev(c, iov, 2, WEFT_FOREVER), -EPIPE);
    WT_CHECK_EQ(weft_read(c, b, sizeof b, LONG), 0);
    WT_CHECK_EQ(weft_poll(c, POLLIN, WEFT_NOWAIT) & (POLLIN | POLLHUP), POLLIN | POLLHUP);
    WT_CHECK_EQ(weft_close(c), 0);
    free(out);
    return NULL;
}
BOTH(peer_reset, WT_PTR(0))

static void peer_reset_peer_thread_test(void **s) {
    (void)s;
    wt_in_runtime(WT_RUN, 1, peer_reset, WT_PTR(1));
}

/* Every write call to a socket whose peer is gone returns -EPIPE (-ECONNRESET
 * when a reset came first) and never raises SIGPIPE: a try, a deadline and no
 * deadline, on blocking and non-blocking Unix sockets whose peer was closed,
 * and on TCP once the peer's reset has come back. */
static void *write_peer_gone(void *arg) {
    (void)arg;
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE kills the test */
    char b[4] = "abc";
    struct iovec iov[2] = {{b, 1}, {b + 1, 2}};
    int64_t dl[3] = {WEFT_NOWAIT, LONG, WEFT_FOREVER};
    for (int nb = 0; nb < 2; nb++) {
        int sv[2];
        mkpair(sv, nb);
        WT_CHECK_EQ(weft_close(sv[1]), 0);
        for (int i = 0; i < 3; i++) {
            WT_CHECK_EQ(weft_write(sv[0], b, 3, dl[i]), -EPIPE);
            WT_CHECK_EQ(weft_writev(sv[0], iov, 2, dl[i]), -EPIPE);
            WT_CHECK_EQ(weft_send(sv[0], b, 3, 0, dl[i]), -EPIPE);
            WT_CHECK_EQ(weft_write_all(sv[0], b, 3, dl[i]), -EPIPE);
        }
        WT_CHECK_EQ(weft_close(sv[0]), 0);
    }
    /* TCP, the peer closed: the first writes are accepted (the peer answers
     * them with a reset), then every write call fails. */
    for (int call = 0; call < 2; call++) {
        int c, a;
        tcp_pair(&c, &a);
        WT_CHECK_EQ(weft_close(a), 0);
        ssize_t r = 1;
        for (int64_t limit = LONG; r > 0 && weft_now() < limit; wt_pause())
            r = call ? weft_writev(c, iov, 2, LONG) : weft_write(c, b, 3, LONG);
        WT_CHECK(r == -EPIPE || r == -ECONNRESET);
        WT_CHECK_EQ(weft_write(c, b, 3, LONG), -EPIPE);
        WT_CHECK_EQ(weft_writev(c, iov, 2, WEFT_FOREVER), -EPIPE);
        WT_CHECK_EQ(weft_close(c), 0);
    }
    return NULL;
}
BOTH(write_peer_gone, NULL)

/* =========================================================================
 * weft_close wakes waiters; closed and bad descriptors; bad arguments
 * ========================================================================= */

static void *blocked_write_all(void *arg) {
    static unsigned char big[1 << 20];
    return WT_PTR(weft_write_all(WT_INT(arg), big, sizeof big, WEFT_FOREVER));
}

static void *closer_thread(void *arg) {
    WT_CHECK_EQ(weft_close(WT_INT(arg)), 0);
    return NULL;
}

/* Two fibers wait on one descriptor (a read and a poll; or an accept; or a
 * write_all on a full socket); weft_close from a fiber or a thread (by_thread)
 * wakes them all with -EBADF. With forget, weft_fd_forget does it instead, and
 * close(2) follows. */
static void close_wakes(void *(*fn1)(void *), void *(*fn2)(void *), int fd, int by_thread,
                        int forget) {
    weft_fiber_t *f1, *f2;
    void *r1 = NULL, *r2 = NULL;
    WT_CHECK_EQ(weft_spawn(&f1, fn1, WT_PTR(fd)), 0);
    WT_CHECK_EQ(weft_spawn(&f2, fn2, WT_PTR(fd)), 0);
    WT_CHECK_EQ(wt_wait_state(f1, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(wt_wait_state(f2, WEFT__FIBER_PARKED), 0);
    if (forget) {
        WT_CHECK_EQ(weft_fd_forget(fd), 0);
    } else if (by_thread) {
        pthread_t t;
        WT_CHECK_EQ(pthread_create(&t, NULL, closer_thread, WT_PTR(fd)), 0);
        WT_CHECK_EQ(pthread_join(t, NULL), 0);
    } else {
        WT_CHECK_EQ(weft_close(fd), 0);
    }
    WT_CHECK_EQ(weft_join(f1, &r1, LONG), 0);
    WT_CHECK_EQ(weft_join(f2, &r2, LONG), 0);
    WT_CHECK_EQ(WT_INT(r1), -EBADF);
    WT_CHECK_EQ(WT_INT(r2), -EBADF);
    if (forget) WT_CHECK_EQ(close(fd), 0);
}

static void *close_wakes_main(void *arg) {
    (void)arg;
    for (int how = 0; how < 3; how++) {
        int sv[2];
        mkpair(sv, 0);
        close_wakes(blocked_read, blocked_poll, sv[0], how == 1, how == 2);
        WT_CHECK_EQ(weft_close(sv[1]), 0);

        int l = weft_listen_tcp("127.0.0.1", 0, 0);
        WT_CHECK(l >= 0);
        close_wakes(blocked_accept, blocked_accept, l, how == 1, how == 2);

        mkpair(sv, 0);
        small_buffers(sv[0], sv[1]);
        close_wakes(blocked_write_all, blocked_write_all, sv[0], how == 1, how == 2);
        WT_CHECK_EQ(weft_close(sv[1]), 0);
    }
    return NULL;
}
FIBER(close_wakes_main, NULL)

static void *bad_descriptors(void *arg) {
    (void)arg;
    char b[8];
    struct iovec iov = {.iov_base = b, .iov_len = sizeof b};
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    int bad[2] = {-1, closed_fd()};
    for (int i = 0; i < 2; i++) {
        int fd = bad[i];
        WT_CHECK_EQ(weft_read(fd, b, sizeof b, LONG), -EBADF);
        WT_CHECK_EQ(weft_read(fd, b, sizeof b, WEFT_NOWAIT), -EBADF);
        WT_CHECK_EQ(weft_read(fd, b, sizeof b, WEFT_FOREVER), -EBADF);
        WT_CHECK_EQ(weft_write(fd, b, sizeof b, LONG), -EBADF);
        WT_CHECK_EQ(weft_readv(fd, &iov, 1, LONG), -EBADF);
        WT_CHECK_EQ(weft_writev(fd, &iov, 1, LONG), -EBADF);
        WT_CHECK_EQ(weft_recv(fd, b, sizeof b, 0, LONG), -EBADF);
        WT_CHECK_EQ(weft_send(fd, b, sizeof b, 0, LONG), -EBADF);
        WT_CHECK_EQ(weft_read_exact(fd, b, sizeof b, LONG), -EBADF);
        WT_CHECK_EQ(weft_write_all(fd, b, sizeof b, LONG), -EBADF);
        WT_CHECK_EQ(weft_accept(fd, NULL, NULL, LONG), -EBADF);
        WT_CHECK_EQ(weft_connect(fd, (struct sockaddr *)&sa, sizeof sa, LONG), -EBADF);
        WT_CHECK_EQ(weft_poll(fd, POLLIN, LONG), -EBADF);
        WT_CHECK_EQ(weft_poll(fd, POLLIN, WEFT_NOWAIT), -EBADF);
        WT_CHECK_EQ(weft_close(fd), -EBADF);
        WT_CHECK_EQ(weft_local_port(fd), -EBADF);
    }
    WT_CHECK_EQ(weft_fd_forget(-1), -EINVAL);
    WT_CHECK_EQ(weft_fd_forget(bad[1]), 0); /* nothing registered: nothing to do */

    /* A descriptor closed by weft_close is -EBADF afterwards (its registration is
     * gone too, for a fiber). */
    int sv[2];
    mkpair(sv, 0);
    WT_CHECK_EQ(weft_write(sv[1], "x", 1, LONG), 1);
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, LONG), 1);
    int gone = sv[0];
    WT_CHECK_EQ(weft_close(gone), 0);
    WT_CHECK_EQ(weft_read(gone, b, sizeof b, LONG), -EBADF);
    WT_CHECK_EQ(weft_poll(gone, POLLIN, LONG), -EBADF);

    WT_CHECK_EQ(weft_close(sv[1]), 0);

    /* Bad arguments on a good descriptor. */
    mkpair(sv, 0);
    int fd = sv[1];
    WT_CHECK_EQ(weft_read(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_write(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_recv(fd, NULL, 1, 0, LONG), -EINVAL);
    WT_CHECK_EQ(weft_send(fd, NULL, 1, 0, LONG), -EINVAL);
    WT_CHECK_EQ(weft_read_exact(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_write_all(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_readv(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_writev(fd, NULL, 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_readv(fd, &iov, -1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_writev(fd, &iov, IOV_MAX + 1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_accept(fd, (struct sockaddr *)&sa, NULL, LONG), -EINVAL);
    WT_CHECK_EQ(weft_connect(fd, NULL, len, LONG), -EINVAL);
    WT_CHECK_EQ(weft_poll(fd, 0, LONG), -EINVAL);
    WT_CHECK_EQ(weft_poll(fd, POLLERR | POLLHUP, LONG), -EINVAL);
    /* n == 0 with a NULL buffer is not an error. */
    WT_CHECK_EQ(weft_write(fd, NULL, 0, LONG), 0);
    WT_CHECK_EQ(weft_read_exact(fd, NULL, 0, LONG), 0);
    WT_CHECK_EQ(weft_write_all(fd, NULL, 0, LONG), 0);
    /* Socket calls on a (ready) pipe report the system's error. */
    int p[2];
    WT_CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    WT_CHECK_EQ(write(p[1], "x", 1), 1);
    WT_CHECK_EQ(weft_recv(p[0], b, 1, 0, WEFT_NOWAIT), -ENOTSOCK);
    WT_CHECK_EQ(weft_send(p[1], b, 1, 0, WEFT_NOWAIT), -ENOTSOCK);
    WT_CHECK_EQ(weft_accept(p[0], NULL, NULL, WEFT_NOWAIT), -ENOTSOCK);
    WT_CHECK_EQ(weft_local_port(p[0]), -ENOTSOCK);
    WT_CHECK_EQ(weft_local_port(fd), -EAFNOSUPPORT); /* a unix socket has no port */
    weft_close(p[0]);
    weft_close(p[1]);
    weft_close(sv[0]);
    weft_close(sv[1]);
    return NULL;
}
BOTH(bad_descriptors, NULL)

/* =========================================================================
 * weft_poll
 * ========================================================================= */

static void *poll_calls(void *arg) {
    (void)arg;
    char b[4096];
    memset(b, 0, sizeof b);
    int sv[2];
    mkpair(sv, 1);
    /* Nothing to read: a try is 0, a deadline -ETIMEDOUT (not early). */
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN, WEFT_NOWAIT), 0);
    int64_t d = weft_after(SHORT_NS);
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN, d), -ETIMEDOUT);
    WT_CHECK(weft_now() >= d);
    /* Writable at once. */
    WT_CHECK_EQ(weft_poll(sv[0], POLLOUT, LONG), POLLOUT);
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN | POLLOUT, LONG), POLLOUT);

    /* POLLIN once the peer writes (while the poller waits, for a fiber). */
    struct delayed_write dw = {.fd = sv[1], .wait_for = weft_self()};
    party_t p;
    party_start(&p, 0, delayed_write, &dw);
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN, LONG), POLLIN);
    party_join(&p);
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN, WEFT_NOWAIT), POLLIN); /* level: still there */
    WT_CHECK_EQ(weft_read(sv[0], b, sizeof b, LONG), 1);
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN, WEFT_NOWAIT), 0);

    /* POLLOUT once a full socket is drained (while the poller waits). */
    small_buffers(sv[1], sv[0]);
    size_t queued = 0;
    for (ssize_t n; (n = weft_write(sv[1], b, sizeof b, WEFT_NOWAIT)) > 0;)
        queued += (size_t)n;
    WT_CHECK_EQ(weft_poll(sv[1], POLLOUT, WEFT_NOWAIT), 0);
    struct slow_reader r = {.fd = sv[0], .total = queued};
    party_start(&p, 0, slow_reader, &r);
    WT_CHECK_EQ(weft_poll(sv[1], POLLOUT, LONG) & POLLOUT, POLLOUT);
    party_join(&p);
    WT_CHECK_EQ(r.got, queued);
    WT_CHECK_EQ(shutdown(sv[1], SHUT_WR), 0);

    /* The peer shuts its side: POLLRDHUP when asked; closed: POLLHUP too. */
    WT_CHECK_EQ(weft_poll(sv[0], POLLRDHUP, LONG), POLLRDHUP);
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN | POLLRDHUP, LONG), POLLIN | POLLRDHUP);
    WT_CHECK_EQ(weft_close(sv[1]), 0);
    WT_CHECK_EQ(weft_poll(sv[0], POLLIN, LONG) & (POLLIN | POLLHUP), POLLIN | POLLHUP);
    WT_CHECK_EQ(weft_close(sv[0]), 0);
    return NULL;
}
BOTH(poll_calls, NULL)

/* =========================================================================
 * Sockets: connect, TCP over IPv4/IPv6, Unix
 * ========================================================================= */

/* ping one way, pong the other, on a connected pair. */
static void round_trip(int c, int a) {
    char b[8];
    WT_CHECK_EQ(weft_write_all(c, "ping", 4, LONG), 4);
    WT_CHECK_EQ(weft_read_exact(a, b, 4, LONG), 4);
    WT_CHECK(memcmp(b, "ping", 4) == 0);
    WT_CHECK_EQ(weft_write_all(a, "pong", 4, LONG), 4);
    WT_CHECK_EQ(weft_read_exact(c, b, 4, LONG), 4);
    WT_CHECK(memcmp(b, "pong", 4) == 0);
}

/* Non-blocking and close-on-exec, as net.h promises. */
static void check_flags(int fd) {
    WT_CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    WT_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void *connect_refused(void *arg) {
    (void)arg;
    /* A bound socket that does not listen: connecting to it is refused. */
    int hold = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    WT_CHECK_EQ(bind(hold, (struct sockaddr *)&sa, sizeof sa), 0);
    int port = weft_local_port(hold);
    WT_CHECK(port > 0);
    sa.sin_port = htons((uint16_t)port);
    for (int nb = 0; nb < 2; nb++) {
        for (int fin = 0; fin < 2; fin++) {
            int s =
                socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nb ? SOCK_NONBLOCK : 0), 0);
            WT_CHECK(s >= 0);
            WT_CHECK_EQ(weft_connect(s, (struct sockaddr *)&sa, sizeof sa,
                                     fin ? LONG : WEFT_FOREVER),
                        -ECONNREFUSED);
            /* a plain thread's descriptor keeps its blocking mode */
            if (!weft_self()) WT_CHECK_EQ(!!(fcntl(s, F_GETFL) & O_NONBLOCK), nb);
            WT_CHECK_EQ(weft_close(s), 0);
        }
    }
    WT_CHECK_EQ(weft_dial_tcp("127.0.0.1", port, LONG), -ECONNREFUSED);
    close(hold);

    /* A connect that succeeds, on a socket made by hand. */
    int l = weft_listen_tcp("127.0.0.1", 0, 0);
    WT_CHECK(l >= 0);
    sa.sin_port = htons((uint16_t)weft_local_port(l));
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    WT_CHECK_EQ(weft_connect(s, (struct sockaddr *)&sa, sizeof sa, LONG), 0);
    int a = weft_accept(l, NULL, NULL, LONG);
    WT_CHECK(a >= 0);
    round_trip(s, a);
    weft_close(a);
    weft_close(s);
    weft_close(l);
    return NULL;
}
BOTH(connect_refused, NULL)

/* Listens on host, dials dial_host, round trip; the accepted peer's family is
 * `family`. Returns 0, or the listen error (to skip a missing IPv6). */
static int tcp_round_trip(const char *host, const char *dial_host, int family) {
    int l = weft_listen_tcp(host, 0, 0);
    if (l < 0) return l;
    check_flags(l);
    int port = weft_local_port(l);
    WT_CHECK(port > 0 && port <= 65535);
    int c = weft_dial_tcp(dial_host, port, LONG);
    WT_CHECK(c >= 0);
    if (c < 0) return 0;
    check_flags(c);
    int one = 0;
    socklen_t ol = sizeof one;
    WT_CHECK_EQ(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, &ol), 0);
    WT_CHECK(one != 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int a = weft_accept(l, (struct sockaddr *)&ss, &len, LONG);
    WT_CHECK(a >= 0);
    check_flags(a);
    WT_CHECK_EQ(ss.ss_family, family);
    WT_CHECK_EQ(weft_local_port(a), port);
    round_trip(c, a);
    weft_close(a);
    weft_close(c);
    weft_close(l);
    return 0;
}

static int has_ipv6(void) {
    int l = weft_listen_tcp("::1", 0, 0);
    if (l == -EADDRNOTAVAIL || l == -EAFNOSUPPORT) return 0;
    WT_CHECK(l >= 0);
    weft_close(l);
    return 1;
}

static void *tcp_calls(void *arg) {
    (void)arg;
    WT_CHECK_EQ(tcp_round_trip("127.0.0.1", "127.0.0.1", AF_INET), 0);
    /* a name: through weft_getaddrinfo (the offload pool from a fiber); each
     * address in turn until one accepts (localhost may be ::1 first) */
    WT_CHECK_EQ(tcp_round_trip("127.0.0.1", "localhost", AF_INET), 0);
    if (has_ipv6()) {
        WT_CHECK_EQ(tcp_round_trip("::1", "::1", AF_INET6), 0);
        /* every address: "::" takes IPv4 too (as a mapped address) */
        WT_CHECK_EQ(tcp_round_trip(NULL, "127.0.0.1", AF_INET6), 0);
        WT_CHECK_EQ(tcp_round_trip("*", "::1", AF_INET6), 0);
    } else {
        print_message("IPv6 loopback unavailable: IPv6 cases skipped\n");
        WT_CHECK_EQ(tcp_round_trip(NULL, "127.0.0.1", AF_INET), 0);
    }
    WT_CHECK_EQ(weft_listen_tcp("127.0.0.1", -1, 0), -EINVAL);
    WT_CHECK_EQ(weft_listen_tcp("127.0.0.1", 65536, 0), -EINVAL);
    WT_CHECK_EQ(weft_dial_tcp(NULL, 80, LONG), -EINVAL);
    WT_CHECK_EQ(weft_dial_tcp("127.0.0.1", 0, LONG), -EINVAL);
    WT_CHECK_EQ(weft_dial_tcp("127.0.0.1", 65536, LONG), -EINVAL);
    WT_CHECK_EQ(weft_dial_tcp("nonexistent.invalid", 80, LONG), -ENOENT);
    /* A port in use (no SO_REUSEPORT): the bind error. */
    int l = weft_listen_tcp("127.0.0.1", 0, 0);
    WT_CHECK(l >= 0);
    WT_CHECK_EQ(weft_listen_tcp("127.0.0.1", weft_local_port(l), 0), -EADDRINUSE);
    weft_close(l);
    return NULL;
}
BOTH(tcp_calls, NULL)

static void *unix_calls(void *arg) {
    (void)arg;
    char dir[] = "/tmp/weft-io-calls-XXXXXX";
    WT_CHECK(mkdtemp(dir) != NULL);
    char path[128], file[128];
    snprintf(path, sizeof path, "%s/sock", dir);
    snprintf(file, sizeof file, "%s/file", dir);

    int l = weft_listen_unix(path, 0);
    WT_CHECK(l >= 0);
    check_flags(l);
    WT_CHECK_EQ(weft_local_port(l), -EAFNOSUPPORT);
    int c = weft_dial_unix(path, LONG);
    WT_CHECK(c >= 0);
    check_flags(c);
    int a = weft_accept(l, NULL, NULL, LONG);
    WT_CHECK(a >= 0);
    round_trip(c, a);
    /* Someone listens there: not replaced. */
    WT_CHECK_EQ(weft_listen_unix(path, 0), -EADDRINUSE);
    weft_close(a);
    weft_close(c);
    weft_close(l);

    /* The file stays behind: dialing it is refused; listening replaces it. */
    struct stat st;
    WT_CHECK_EQ(lstat(path, &st), 0);
    WT_CHECK(S_ISSOCK(st.st_mode));
    WT_CHECK_EQ(weft_dial_unix(path, LONG), -ECONNREFUSED);
    l = weft_listen_unix(path, 0);
    WT_CHECK(l >= 0);
    c = weft_dial_unix(path, LONG);
    WT_CHECK(c >= 0);
    a = weft_accept(l, NULL, NULL, LONG);
    WT_CHECK(a >= 0);
    round_trip(c, a);
    weft_close(a);
    weft_close(c);
    weft_close(l);

    /* Any other kind of file is never replaced. */
    int f = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    WT_CHECK(f >= 0);
    WT_CHECK_EQ(write(f, "keep", 4), 4);
    close(f);
    WT_CHECK_EQ(weft_listen_unix(file, 0), -EADDRINUSE);
    WT_CHECK_EQ(lstat(file, &st), 0);
    WT_CHECK(S_ISREG(st.st_mode) && st.st_size == 4);
    WT_CHECK_EQ(weft_listen_unix(dir, 0), -EADDRINUSE); /* a directory */

    /* Names. */
    char lng[200];
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = 0;
    WT_CHECK_EQ(weft_listen_unix(lng, 0), -ENAMETOOLONG);
    WT_CHECK_EQ(weft_dial_unix(lng, LONG), -ENAMETOOLONG);
    WT_CHECK_EQ(weft_listen_unix(NULL, 0), -EINVAL);
    WT_CHECK_EQ(weft_listen_unix("", 0), -EINVAL);
    WT_CHECK_EQ(weft_dial_unix(NULL, LONG), -EINVAL);
    snprintf(lng, sizeof lng, "%s/none", dir);
    WT_CHECK_EQ(weft_dial_unix(lng, LONG), -ENOENT);

    WT_CHECK_EQ(unlink(path), 0);
    WT_CHECK_EQ(unlink(file), 0);
    WT_CHECK_EQ(rmdir(dir), 0);
    return NULL;
}
BOTH(unix_calls, NULL)

/* =========================================================================
 * Vectors, flags, exact counts
 * ========================================================================= */

struct trickle {
    int fd;
    const char *data;
    size_t n;
    int close_after;      /* 1: close fd right after the last byte; 2: once the
                           * reader has taken every byte and waits for more */
    int reader_fd;        /* the reader's end */
    weft_fiber_t *reader; /* the reader, if a fiber */
};

/* Writes one byte at a time, letting others run between bytes; may close. */
static void *trickle(void *arg) {
    struct trickle *t = arg;
    for (size_t i = 0; i < t->n; i++) {
        WT_CHECK_EQ(weft_write(t->fd, t->data + i, 1, LONG), 1);
        wt_pause();
    }
    if (t->close_after == 2) {
        /* The reader (on this fiber's worker, maybe) must be woken while this
         * loop yields: the end of file then comes with an edge of its own. */
        int64_t limit = LONG;
        int queued = 1;
        while ((ioctl(t->reader_fd, FIONREAD, &queued) != 0 || queued > 0 ||
                (t->reader && atomic_load(&t->reader->state) != WEFT__FIBER_PARKED)) &&
               weft_now() < limit)
            wt_pause();
        WT_CHECK_EQ(queued, 0);
    }
    if (t->close_after) WT_CHECK_EQ(weft_close(t->fd), 0);
    return NULL;
}

static void *vector_calls(void *arg) {
    (void)arg;
    int sv[2];
    mkpair(sv, 0);
    char b[64];

    /* writev gathers (empty buffers included), readv scatters. */
    struct iovec out[3] = {{"abc", 3}, {NULL, 0}, {"defgh", 5}};
    WT_CHECK_EQ(weft_writev(sv[0], out, 3, LONG), 8);
    char x[3], y[10];
    memset(y, 0, sizeof y);
    struct iovec in[2] = {{x, sizeof x}, {y, sizeof y}};
    WT_CHECK_EQ(weft_readv(sv[1], in, 2, LONG), 8);
    WT_CHECK(memcmp(x, "abc", 3) == 0 && memcmp(y, "defgh", 5) == 0);
    WT_CHECK_EQ(weft_readv(sv[1], in, 2, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_writev(sv[0], out, 0, LONG), 0);

    /* send/recv pass their flags: a peek leaves the data for the next recv. */
    WT_CHECK_EQ(weft_send(sv[0], "peek", 4, MSG_DONTWAIT, LONG), 4);
    WT_CHECK_EQ(weft_recv(sv[1], b, sizeof b, MSG_PEEK, LONG), 4);
    WT_CHECK(memcmp(b, "peek", 4) == 0);
    memset(b, 0, sizeof b);
    WT_CHECK_EQ(weft_recv(sv[1], b, 2, 0, LONG), 2);
    WT_CHECK(memcmp(b, "pe", 2) == 0);
    WT_CHECK_EQ(weft_recv(sv[1], b, sizeof b, MSG_DONTWAIT, LONG), 2);
    WT_CHECK(memcmp(b, "ek", 2) == 0);
    WT_CHECK_EQ(weft_recv(sv[1], b, sizeof b, 0, WEFT_NOWAIT), -ETIMEDOUT);

    /* read_exact across many short reads. */
    static const char msg[] = "exactly-thirty-two-bytes-of-text";
    struct trickle t = {.fd = sv[0], .data = msg, .n = 32};
    party_t p;
    party_start(&p, 0, trickle, &t);
    memset(b, 0, sizeof b);
    WT_CHECK_EQ(weft_read_exact(sv[1], b, 32, LONG), 32);
    WT_CHECK(memcmp(b, msg, 32) == 0);
    party_join(&p);
    WT_CHECK_EQ(weft_close(sv[0]), 0);
    WT_CHECK_EQ(weft_close(sv[1]), 0);

    /* The peer closes early: the short count, then end of file; the end of
     * file right behind the last byte, then after the reader took it. The
     * writer is a fiber of the reader's runtime (a thread for a thread). */
    for (int how = 1; how <= 2; how++) {
        mkpair(sv, 0);
        t = (struct trickle){.fd = sv[0],
                             .data = msg,
                             .n = 10,
                             .close_after = how,
                             .reader_fd = sv[1],
                             .reader = weft_self()};
        party_start(&p, 0, trickle, &t);
        memset(b, 0, sizeof b);
        WT_CHECK_EQ(weft_read_exact(sv[1], b, sizeof b, LONG), 10);
        WT_CHECK(memcmp(b, msg, 10) == 0);
        party_join(&p);
        WT_CHECK_EQ(weft_read_exact(sv[1], b, sizeof b, LONG), 0);
        WT_CHECK_EQ(weft_read(sv[1], b, sizeof b, LONG), 0);
        WT_CHECK_EQ(weft_close(sv[1]), 0);
    }
    return NULL;
}
BOTH(vector_calls, NULL)

/* =========================================================================
 * Regular files (the offload pool from a fiber)
 * ========================================================================= */

#define FILE_SIZE ((size_t)(3 << 20) + 17) /* beyond one pool transfer */

static void *file_calls(void *arg) {
    (void)arg;
    char path[] = "/tmp/weft-io-file-XXXXXX";
    int fd = mkostemp(path, O_CLOEXEC);
    WT_CHECK(fd >= 0);
    WT_CHECK_EQ(unlink(path), 0);
    unsigned char *data = malloc(FILE_SIZE), *got = malloc(FILE_SIZE);
    fill(data, FILE_SIZE, 0, 3);
    /* Written with weft_write_all (the file: write(2) through the pool). */
    WT_CHECK_EQ(weft_write_all(fd, data, FILE_SIZE, LONG), (ssize_t)FILE_SIZE);
    WT_CHECK_EQ(lseek(fd, 0, SEEK_CUR), (off_t)FILE_SIZE);
    WT_CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);

    /* weft_read at the file position, which advances. */
    WT_CHECK_EQ(weft_read(fd, got, 4000, LONG), 4000);
    WT_CHECK(matches(got, 4000, 0, 3));
    WT_CHECK_EQ(weft_read(fd, got, 1000, LONG), 1000);
    WT_CHECK(matches(got, 1000, 4000, 3));
    WT_CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5000);
    /* readv: a legal count, the bytes in order across the buffers. */
    unsigned char v1[10], v2[20];
    struct iovec iov[3] = {{NULL, 0}, {v1, sizeof v1}, {v2, sizeof v2}};
    ssize_t n = weft_readv(fd, iov, 3, LONG);
    WT_CHECK(n >= 10 && n <= 30);
    WT_CHECK(matches(v1, 10, 5000, 3));
    if (n > 10) WT_CHECK(matches(v2, (size_t)n - 10, 5010, 3));
    /* The rest with read_exact (several short transfers), then end of file. */
    WT_CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    WT_CHECK_EQ(weft_read_exact(fd, got, FILE_SIZE, LONG), (ssize_t)FILE_SIZE);
    WT_CHECK(memcmp(got, data, FILE_SIZE) == 0);
    WT_CHECK_EQ(weft_read(fd, got, 10, LONG), 0);
    WT_CHECK_EQ(weft_poll(fd, POLLIN | POLLOUT, WEFT_NOWAIT), POLLIN | POLLOUT);

    /* pread/pwrite at offsets, the position untouched. */
    WT_CHECK_EQ(weft_pread(fd, got, 100, 123456, LONG), 100);
    WT_CHECK(matches(got, 100, 123456, 3));
    WT_CHECK_EQ(weft_pread(fd, got, 100, (off_t)FILE_SIZE - 40, LONG), 40);
    WT_CHECK_EQ(weft_pread(fd, got, 100, (off_t)FILE_SIZE, LONG), 0);
    WT_CHECK_EQ(weft_pwrite(fd, "WEFT", 4, 10, LONG), 4);
    WT_CHECK_EQ(weft_pread(fd, got, 6, 9, LONG), 6);
    WT_CHECK_EQ(got[0], data[9]);
    WT_CHECK(memcmp(got + 1, "WEFT", 4) == 0);
    WT_CHECK_EQ(got[5], data[14]);
    WT_CHECK_EQ(lseek(fd, 0, SEEK_CUR), (off_t)FILE_SIZE);
    WT_CHECK_EQ(weft_pread(fd, got, 1, -1, LONG), -EINVAL);
    WT_CHECK_EQ(weft_pread(fd, NULL, 1, 0, LONG), -EINVAL);
    WT_CHECK_EQ(weft_pwrite(fd, NULL, 1, 0, LONG), -EINVAL);
    WT_CHECK_EQ(weft_pread(-1, got, 1, 0, LONG), -EBADF);
    WT_CHECK_EQ(weft_pwrite(-1, got, 1, 0, LONG), -EBADF);
    WT_CHECK_EQ(weft_pread(closed_fd(), got, 1, 0, LONG), -EBADF);

    /* A fiber's file I/O went through its runtime's pool. */
    if (weft_self())
        WT_CHECK(weft_offload_threads() >= 1);
    else
        WT_CHECK_EQ(weft_offload_threads(), -EPERM);
    WT_CHECK_EQ(weft_close(fd), 0);
    free(data);
    free(got);
    return NULL;
}
BOTH(file_calls, NULL)

/* A try on a regular file reads and writes at once (a file is always ready),
 * from a fiber as from a thread: read, write, readv, writev. */
static void *file_try(void *arg) {
    (void)arg;
    char path[] = "/tmp/weft-io-try-XXXXXX";
    int fd = mkostemp(path, O_CLOEXEC);
    WT_CHECK(fd >= 0);
    WT_CHECK_EQ(unlink(path), 0);
    WT_CHECK_EQ(write(fd, "hello", 5), 5);
    WT_CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    char b[16];
    memset(b, 0, sizeof b);
    WT_CHECK_EQ(weft_read(fd, b, sizeof b, WEFT_NOWAIT), 5);
    WT_CHECK(memcmp(b, "hello", 5) == 0);
    WT_CHECK_EQ(weft_write(fd, "!", 1, WEFT_NOWAIT), 1);
    WT_CHECK_EQ(weft_read(fd, b, sizeof b, WEFT_NOWAIT), 0); /* end of file */
    struct iovec out[2] = {{NULL, 0}, {"?", 1}};
    WT_CHECK_EQ(weft_writev(fd, out, 2, WEFT_NOWAIT), 1);
    WT_CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    memset(b, 0, sizeof b);
    struct iovec in[2] = {{b, 4}, {b + 4, 8}};
    ssize_t n = weft_readv(fd, in, 2, WEFT_NOWAIT);
    WT_CHECK(n >= 4 && n <= 7); /* the first buffer at least */
    WT_CHECK(memcmp(b, "hello!?", (size_t)n) == 0);
    WT_CHECK_EQ(weft_close(fd), 0);
    return NULL;
}
BOTH(file_try, NULL)

/* Another runtime's fibers waiting on the same descriptor as ours; a
 * descriptor registered by a runtime that is then destroyed keeps working for
 * the fibers of another one and for threads. */
static void *wait_read(void *arg) {
    char b[8];
    return WT_PTR(weft_read(WT_INT(arg), b, sizeof b, LONG));
}

static void cross_runtime(void **s) {
    (void)s;
    weft_runtime_t *a = wt_create(1), *b = wt_create(1);
    int sv[2];
    mkpair(sv, 0);
    weft_fiber_t *fa, *fb;
    void *ra = NULL, *rb = NULL;
    assert_int_equal(weft_spawn_on(a, &fa, wait_read, WT_PTR(sv[0])), 0);
    assert_int_equal(wt_wait_state(fa, WEFT__FIBER_PARKED), 0);
    assert_int_equal(weft_spawn_on(b, &fb, wait_read, WT_PTR(sv[0])), 0);
    assert_int_equal(wt_wait_state(fb, WEFT__FIBER_PARKED), 0);
    assert_int_equal(write(sv[1], "1", 1), 1);
    /* One byte, two readers: one gets it; the other waits for the next. */
    int64_t limit = weft_after(WT_PATIENCE);
    while (atomic_load(&fa->state) != WEFT__FIBER_DONE &&
           atomic_load(&fb->state) != WEFT__FIBER_DONE && weft_now() < limit)
        wt_pause();
    assert_int_equal(write(sv[1], "2", 1), 1);
    assert_int_equal(weft_join(fa, &ra, WEFT_FOREVER), 0);
    assert_int_equal(weft_join(fb, &rb, WEFT_FOREVER), 0);
    assert_int_equal(WT_INT(ra), 1);
    assert_int_equal(WT_INT(rb), 1);
    /* a's registration moves to b when a goes away. */
    wt_destroy(a);
    assert_int_equal(weft_spawn_on(b, &fb, wait_read, WT_PTR(sv[0])), 0);
    assert_int_equal(wt_wait_state(fb, WEFT__FIBER_PARKED), 0);
    assert_int_equal(write(sv[1], "3", 1), 1);
    assert_int_equal(weft_join(fb, &rb, WEFT_FOREVER), 0);
    assert_int_equal(WT_INT(rb), 1);
    wt_destroy(b);
    char c;
    assert_int_equal(write(sv[1], "4", 1), 1);
    assert_int_equal(weft_read(sv[0], &c, 1, LONG), 1);
    assert_int_equal(c, '4');
    weft_close(sv[0]);
    weft_close(sv[1]);
    wt_assert_clean();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        BOTH_TESTS(read_deadline),
        WT_TEST(try_no_yield_test),
        BOTH_TESTS(zero_length),
        WT_TEST(blocking_writes_test),
        WT_TEST(eof_with_last_bytes_test),
        WT_TEST(yield_spinner_test),
        WT_TEST(short_read_then_ready_test),
        WT_TEST(cancel_waiters_test),
        WT_TEST(cancelled_main_test),
        BOTH_TESTS(partial_write),
        BOTH_TESTS(write_all_stream),
        WT_TEST(write_all_stream_reader_thread_test),
        BOTH_TESTS(peer_reset),
        WT_TEST(peer_reset_peer_thread_test),
        BOTH_TESTS(write_peer_gone),
        WT_TEST(close_wakes_main_test),
        BOTH_TESTS(bad_descriptors),
        BOTH_TESTS(poll_calls),
        BOTH_TESTS(connect_refused),
        BOTH_TESTS(tcp_calls),
        BOTH_TESTS(unix_calls),
        BOTH_TESTS(vector_calls),
        BOTH_TESTS(file_calls),
        BOTH_TESTS(file_try),
        WT_TEST(cross_runtime),
    };
    return WT_RUN_TESTS(tests);
}
