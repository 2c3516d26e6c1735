/* io/io.c: weft/io.h. Each call is one system call retried around readiness
 * waits: from a fiber, weft__fd_wait (io/fdtab.h) parks it until the
 * poller reports an edge; from a plain thread, ppoll(2) bounded by the deadline.
 * Invariants: a call never blocks its worker thread (descriptors are
 * non-blocking once registered; ones the poller cannot watch go through the
 * offload pool); errno is read right after the system call, before any switch;
 * data a call has transferred is always reported (a checkpoint or a cancel that
 * arrives after a successful transfer does not turn it into an error). */
#include "weft/io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/fdtab.h"
#include "io/io_internal.h"
#include "runtime/park.h"
#include "weft/fiber.h"
#include "weft/time.h"

typedef struct op {
    ssize_t (*call)(struct op *);
    int fd;
    void *buf;
    size_t n;
    const struct iovec *iov;
    int iovcnt;
    int flags;
    struct sockaddr *addr;
    socklen_t *alen;
    int is_write;  /* for descriptors the poller cannot watch: the offload pool */
    int is_stream; /* a read whose short count means the buffer is empty */
    int sock;      /* 1 a socket, -1 not one, 0 not known yet */
    int bounded;   /* a plain thread with a finite deadline on a maybe-blocking fd */
} op_t;

/* Writes on a socket go through send/sendmsg with MSG_NOSIGNAL (a vanished
 * peer is -EPIPE, never a SIGPIPE that kills the process) and, for a thread
 * with a deadline, MSG_DONTWAIT (a blocking socket must not sleep past it).
 * Other descriptors use write(2); for a bounded thread at most PIPE_BUF bytes,
 * which a pipe that polled writable takes without blocking. */
static int write_flags(const op_t *o) {
    return MSG_NOSIGNAL | (o->bounded ? MSG_DONTWAIT : 0);
}

static size_t write_len(const op_t *o, size_t n) {
    return o->bounded && n > PIPE_BUF ? PIPE_BUF : n;
}

static ssize_t sys_read(op_t *o) {
    return read(o->fd, o->buf, o->n);
}
static ssize_t sys_write(op_t *o) {
    if (o->sock >= 0) {
        ssize_t n = send(o->fd, o->buf, o->n, write_flags(o));
        if (n >= 0 || errno != ENOTSOCK) return n;
        o->sock = -1;
    }
    return write(o->fd, o->buf, write_len(o, o->n));
}
static ssize_t sys_readv(op_t *o) {
    return readv(o->fd, o->iov, o->iovcnt);
}
static ssize_t sys_writev(op_t *o) {
    if (o->sock >= 0) {
        struct msghdr m = {.msg_iov = (struct iovec *)o->iov,
                           .msg_iovlen = (size_t)o->iovcnt};
        ssize_t n = sendmsg(o->fd, &m, write_flags(o));
        if (n >= 0 || errno != ENOTSOCK) return n;
        o->sock = -1;
    }
    if (!o->bounded) return writev(o->fd, o->iov, o->iovcnt);
    for (int i = 0; i < o->iovcnt; i++) /* the first buffer: a legal short write */
        if (o->iov[i].iov_len)
            return write(o->fd, o->iov[i].iov_base, write_len(o, o->iov[i].iov_len));
    return 0;
}
static ssize_t sys_recv(op_t *o) {
    return recv(o->fd, o->buf, o->n, o->flags);
}
static ssize_t sys_send(op_t *o) {
    return send(o->fd, o->buf, o->n, o->flags | write_flags(o));
}
static ssize_t sys_accept(op_t *o) {
    return accept4(o->fd, o->addr, o->alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int weft__io_thread_wait(int fd, short events, int64_t deadline) {
    struct pollfd p = {.fd = fd, .events = events};
    deadline = weft__deadline_norm(deadline);
    /* On a worker between fibers (only a signal handler runs weft calls there)
     * a wait would stall every fiber of the worker: look, but never wait. */
    int in_scheduler = weft__in_scheduler();
    if (in_scheduler) deadline = 0;
    for (;;) {
        struct timespec ts, *tp = NULL;
        if (deadline >= 0) {
            int64_t left = deadline - weft_now();
            if (left < 0) left = 0;
            ts.tv_sec = left / 1000000000;
            ts.tv_nsec = left % 1000000000;
            tp = &ts;
        }
        int r = ppoll(&p, 1, tp, NULL);
        if (r > 0) return p.revents & POLLNVAL ? -EBADF : p.revents;
        if (r == 0 && weft__deadline_passed(deadline))
            return in_scheduler ? -EPERM : -ETIMEDOUT;
        if (r < 0 && errno != EINTR) return -errno;
    }
}

/* Calls the operation once, retrying EINTR: a count or a negative errno. */
static ssize_t call_once(op_t *o) {
    ssize_t n;
    do
        n = o->call(o);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

/* A plain thread: the blocking behaviour, never past a finite deadline. */
static ssize_t run_thread(op_t *o, short events, int64_t deadline) {
    int wait_first = deadline != WEFT_FOREVER; /* the descriptor may be blocking */
    o->bounded = wait_first;
    for (;;) {
        if (wait_first) {
            int r = weft__io_thread_wait(o->fd, events, deadline);
            if (r < 0) return r;
        }
        ssize_t n = o->call(o);
        if (n >= 0) return n;
        int e = errno;
        if (e == EINTR) continue;
        if (e != EAGAIN && e != EWOULDBLOCK) return -e;
        wait_first = 1;
    }
}

/* A descriptor the poller cannot watch (a regular file): reads and writes go
 * through the offload pool; anything else cannot block for long on it. */
static ssize_t run_unpollable(op_t *o, int64_t deadline) {
    /* A file is always ready: a try reads or writes it right here. */
    if (weft__deadline_passed(deadline)) return call_once(o);
    if (o->call == sys_read || o->call == sys_write)
        return weft__offload_rw(o->fd, o->buf, o->n, -1, o->is_write, deadline);
    if (o->call == sys_readv || o->call == sys_writev) {
        for (int i = 0; i < o->iovcnt; i++)
            if (o->iov[i].iov_len) /* the first buffer only: a legal short transfer */
                return weft__offload_rw(o->fd, o->iov[i].iov_base, o->iov[i].iov_len, -1,
                                        o->is_write, deadline);
        return 0;
    }
    return call_once(o);
}

static size_t transfer_len(const op_t *o) {
    if (!o->iov) return o->n;
    size_t n = 0;
    for (int i = 0; i < o->iovcnt; i++)
        n += o->iov[i].iov_len;
    return n;
}

static ssize_t run(op_t *o, int dir, int64_t deadline) {
    if (o->fd < 0) return -EBADF;
    /* Nothing to transfer: nothing to wait for. Not even a system call on the
     * descriptor (recv(2) of 0 bytes waits for data on a blocking socket): 0 if
     * it is open, else -EBADF. */
    if (o->call != sys_accept && transfer_len(o) == 0)
        return fcntl(o->fd, F_GETFD) < 0 ? -errno : 0;
    if (!weft_self())
        return run_thread(o, dir == WEFT__DIR_IN ? POLLIN : POLLOUT, deadline);
    int r = weft__cancel_check(deadline);
    if (r) return r;
    uint32_t gen;
    weft__fdesc_t *d = weft__fd_get(o->fd, &gen, &r);
    if (!d) return r == -EPERM ? run_unpollable(o, deadline) : r;
    o->sock = weft__fd_is_socket(d) ? 1 : -1;
    /* A read right after a short one would say EAGAIN: wait first (fdtab.h). */
    int skip = o->is_stream && weft__fd_drained(d) && !weft__deadline_passed(deadline);
    for (int waited = 0;;) {
        ssize_t n = skip ? (errno = EAGAIN, -1) : o->call(o);
        skip = 0;
        if (n >= 0) {
            if (o->is_stream) weft__fd_set_drained(d, n > 0 && (size_t)n < o->n);
            if (!waited) (void)weft__checkpoint(deadline); /* the data counts */
            return n;
        }
        int e = errno;
        if (e == EINTR) continue;
        if (e != EAGAIN && e != EWOULDBLOCK) return -e;
        r = weft__fd_wait(d, gen, dir, deadline);
        if (r == -EAGAIN) { /* its runtime went away: register with ours */
            d = weft__fd_get(o->fd, &gen, &r);
            if (!d) return r;
            continue;
        }
        if (r < 0) return r;
        waited |= r == 0; /* 1: an edge was pending, no switch happened */
    }
}

static int bad_buf(const void *buf, size_t n) {
    return !buf && n > 0;
}

ssize_t weft_read(int fd, void *buf, size_t n, int64_t deadline) {
    if (bad_buf(buf, n)) return -EINVAL;
    op_t o = {.call = sys_read, .fd = fd, .buf = buf, .n = n, .is_stream = 1};
    return run(&o, WEFT__DIR_IN, deadline);
}

ssize_t weft_write(int fd, const void *buf, size_t n, int64_t deadline) {
    if (bad_buf(buf, n)) return -EINVAL;
    op_t o = {.call = sys_write, .fd = fd, .buf = (void *)buf, .n = n, .is_write = 1};
    return run(&o, WEFT__DIR_OUT, deadline);
}

ssize_t weft_readv(int fd, const struct iovec *iov, int iovcnt, int64_t deadline) {
    if ((!iov && iovcnt) || iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
    op_t o = {.call = sys_readv, .fd = fd, .iov = iov, .iovcnt = iovcnt};
    return run(&o, WEFT__DIR_IN, deadline);
}

ssize_t weft_writev(int fd, const struct iovec *iov, int iovcnt, int64_t deadline) {
    if ((!iov && iovcnt) || iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
    op_t o = {.call = sys_writev, .fd = fd, .iov = iov, .iovcnt = iovcnt, .is_write = 1};
    return run(&o, WEFT__DIR_OUT, deadline);
}

ssize_t weft_recv(int fd, void *buf, size_t n, int flags, int64_t deadline) {
    if (bad_buf(buf, n)) return -EINVAL;
    op_t o = {.call = sys_recv,
              .fd = fd,
              .buf = buf,
              .n = n,
              .flags = flags,
              .is_stream = !(flags & (MSG_PEEK | MSG_OOB))};
    return run(&o, WEFT__DIR_IN, deadline);
}

ssize_t weft_send(int fd, const void *buf, size_t n, int flags, int64_t deadline) {
    if (bad_buf(buf, n)) return -EINVAL;
    op_t o = {.call = sys_send, .fd = fd, .buf = (void *)buf, .n = n, .flags = flags};
    return run(&o, WEFT__DIR_OUT, deadline);
}

ssize_t weft_read_exact(int fd, void *buf, size_t n, int64_t deadline) {
    if (bad_buf(buf, n)) return -EINVAL;
    size_t done = 0;
    while (done < n) {
        ssize_t r = weft_read(fd, (char *)buf + done, n - done, deadline);
        if (r < 0) return r;
        if (r == 0) break; /* the peer closed: the short count tells */
        done += (size_t)r;
    }
    return (ssize_t)done;
}

/* Sockets get MSG_NOSIGNAL (a closed peer is -EPIPE, not a signal). */
ssize_t weft_write_all(int fd, const void *buf, size_t n, int64_t deadline) {
    if (bad_buf(buf, n)) return -EINVAL;
    int sock = 1;
    size_t done = 0;
    while (done < n) {
        ssize_t r = sock ? weft_send(fd, (const char *)buf + done, n - done, 0, deadline)
                         : weft_write(fd, (const char *)buf + done, n - done, deadline);
        if (r == -ENOTSOCK && sock) {
            sock = 0;
            continue;
        }
        if (r < 0) return r;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

int weft_accept(int fd, struct sockaddr *addr, socklen_t *len, int64_t deadline) {
    if (addr && !len) return -EINVAL;
    op_t o = {.call = sys_accept, .fd = fd, .addr = addr, .alen = len};
    ssize_t r = run(&o, WEFT__DIR_IN, deadline);
    if (r >= 0) weft__fd_drop((int)r, 1); /* a new number: forget any old registration */
    return (int)r;
}

static int so_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return -errno;
    return -err;
}

/* A plain thread: a non-blocking connect bounded by the deadline, the flags
 * restored afterwards (the caller's descriptor stays as it was). */
static int connect_thread(int fd, const struct sockaddr *addr, socklen_t len,
                          int64_t deadline) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return -errno;
    if (deadline != WEFT_FOREVER && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int r = connect(fd, addr, len) == 0 ? 0 : -errno;
    if (r == -EINPROGRESS || r == -EINTR || r == -EAGAIN) {
        r = weft__io_thread_wait(fd, POLLOUT, deadline);
        if (r >= 0) r = so_error(fd);
    }
    if (deadline != WEFT_FOREVER && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl);
    return r;
}

int weft_connect(int fd, const struct sockaddr *addr, socklen_t len, int64_t deadline) {
    if (fd < 0) return -EBADF;
    if (!addr) return -EINVAL;
    if (!weft_self()) return connect_thread(fd, addr, len, deadline);
    int r = weft__cancel_check(deadline);
    if (r) return r;
    uint32_t gen;
    weft__fdesc_t *d = weft__fd_get(fd, &gen, &r);
    if (!d) return r == -EPERM ? -ENOTSOCK : r;
    r = connect(fd, addr, len) == 0 ? 0 : -errno;
    if (r != -EINPROGRESS && r != -EINTR && r != -EAGAIN) return r;
    for (;;) {
        r = weft__fd_wait(d, gen, WEFT__DIR_OUT, deadline);
        if (r == -EAGAIN) {
            d = weft__fd_get(fd, &gen, &r);
            if (!d) return r;
            continue;
        }
        if (r < 0) return r;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, 0) == 1) return so_error(fd); /* finished: how? */
    }
}

int weft_poll(int fd, int events, int64_t deadline) {
    if (fd < 0) return -EBADF;
    events &= POLLIN | POLLOUT | POLLPRI | POLLRDHUP;
    if (!events) return -EINVAL;
    if (!weft_self()) {
        int is_try = weft__deadline_passed(deadline);
        int r = weft__io_thread_wait(fd, (short)events, deadline);
        return r == -ETIMEDOUT && is_try ? 0 : r;
    }
    int r = weft__cancel_check(deadline);
    if (r) return r;
    uint32_t gen;
    weft__fdesc_t *d = weft__fd_get(fd, &gen, &r);
    int dir = (events & POLLOUT) ? ((events & ~POLLOUT) ? WEFT__DIR_ANY : WEFT__DIR_OUT)
                                 : WEFT__DIR_IN;
    for (int waited = 0;;) {
        struct pollfd p = {.fd = fd, .events = (short)events};
        int n = poll(&p, 1, 0);
        if (n > 0) {
            if (p.revents & POLLNVAL) return -EBADF;
            if (!waited) (void)weft__checkpoint(deadline);
            return p.revents;
        }
        if (n < 0 && errno != EINTR) return -errno;
        if (n < 0) continue;
        if (!d) return r; /* not pollable, yet poll(2) says not ready */
        if (weft__deadline_passed(deadline)) return waited ? -ETIMEDOUT : 0;
        r = weft__fd_wait(d, gen, dir, deadline);
        if (r == -EAGAIN) {
            d = weft__fd_get(fd, &gen, &r);
            continue;
        }
        if (r < 0) return r;
        waited |= r == 0;
    }
}

int weft_fd_forget(int fd) {
    if (fd < 0) return -EINVAL;
    weft__fd_drop(fd, 0);
    return 0;
}

int weft_close(int fd) {
    if (fd < 0) return -EBADF;
    weft__fd_drop(fd, 0);
    /* Linux releases the descriptor even when close reports EINTR. */
    if (close(fd) != 0 && errno != EINTR) return -errno;
    return 0;
}
