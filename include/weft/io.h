/* weft/io.h: descriptor I/O that parks the calling fiber instead of its worker.
 *
 * Every call takes an absolute deadline (WEFT_FOREVER, or <= weft_now() to try
 * once without waiting) and returns a count or a negative errno; nothing sets
 * errno. Calling contexts:
 *   - from a fiber: the call tries the operation; if the descriptor is not ready
 *     it parks the fiber (never the worker) until the runtime's poller reports
 *     readiness, the deadline passes (-ETIMEDOUT) or the fiber is cancelled
 *     (-ECANCELED). The first wait on a descriptor registers it with the poller
 *     (once: the registration is kept across calls) and sets O_NONBLOCK on it,
 *     which the open file description keeps.
 *   - from a plain thread: the plain blocking behaviour, bounded by the same
 *     deadline (poll(2) is used to wait).
 *   - from a signal handler running on a worker between fibers: a ready
 *     descriptor is served, a wait is refused with -EPERM (it would stall
 *     every fiber of the worker).
 * Descriptors the poller cannot watch (regular files, block devices) are read and
 * written through the runtime's offload pool (weft/offload.h) from a fiber, so a
 * slow disk never stalls a worker.
 * Errors common to all: -EBADF (negative or not an open descriptor, or closed
 * with weft_close while the call waited), -EINVAL (NULL buffer with n > 0),
 * -ETIMEDOUT, -ECANCELED, -ENOMEM (no memory to register the descriptor),
 * and whatever the system call itself reports (e.g. -ECONNRESET, -EPIPE). Writes
 * to a socket never raise SIGPIPE (they use MSG_NOSIGNAL: a vanished peer is
 * -EPIPE); a write to a pipe with no reader raises it as write(2) does.
 * EINTR is retried internally; EAGAIN is never returned: a try (a deadline
 * already past) that finds the descriptor not ready returns -ETIMEDOUT.
 * Descriptors waited on from fibers must be closed with weft_close (or
 * forgotten with weft_fd_forget before close(2)), so that a later descriptor
 * with the same number is not mistaken for the old one. */
#ifndef WEFT_IO_H
#define WEFT_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads up to n bytes: the count (0 at end of file, or for n == 0, which never
 * waits). After a short read from a stream socket or pipe, the next read from a
 * fiber waits for the poller to report new data instead of asking the kernel
 * first (one system call fewer per request; data that came in between is
 * delivered at the poller's next turn, at most 61 fiber switches later). */
WEFT_API ssize_t weft_read(int fd, void *buf, size_t n, int64_t deadline);

/* Writes up to n bytes: the count written, which may be less than n (a partial
 * write: the caller continues, or uses weft_write_all). */
WEFT_API ssize_t weft_write(int fd, const void *buf, size_t n, int64_t deadline);

WEFT_API ssize_t weft_readv(int fd, const struct iovec *iov, int iovcnt,
                            int64_t deadline);
WEFT_API ssize_t weft_writev(int fd, const struct iovec *iov, int iovcnt,
                             int64_t deadline);

/* recv(2)/send(2) with flags; send always adds MSG_NOSIGNAL. */
WEFT_API ssize_t weft_recv(int fd, void *buf, size_t n, int flags, int64_t deadline);
WEFT_API ssize_t weft_send(int fd, const void *buf, size_t n, int flags,
                           int64_t deadline);

/* Reads exactly n bytes, continuing after short reads. n on success; if the
 * peer closes first, the bytes read so far (a short count, possibly 0); a
 * negative errno if an error or the deadline comes first (bytes already read
 * are then lost to the caller: use weft_read to keep them). */
WEFT_API ssize_t weft_read_exact(int fd, void *buf, size_t n, int64_t deadline);

/* Writes all n bytes, continuing after partial writes. n on success, else a
 * negative errno (how much was written before the error is not reported; the
 * stream is then unusable for framing anyway). */
WEFT_API ssize_t weft_write_all(int fd, const void *buf, size_t n, int64_t deadline);

/* accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC: the new descriptor, or a
 * negative errno. addr and len may be NULL. */
WEFT_API int weft_accept(int fd, struct sockaddr *addr, socklen_t *len, int64_t deadline);

/* Connects a socket: 0 once connected, or a negative errno (-ECONNREFUSED,
 * -ETIMEDOUT, ...). After a timeout or cancel the socket is in an unspecified
 * state: close it. */
WEFT_API int weft_connect(int fd, const struct sockaddr *addr, socklen_t len,
                          int64_t deadline);

/* Waits until fd is ready for `events` (POLLIN, POLLOUT, POLLPRI, POLLRDHUP):
 * the revents that hold (which may include POLLHUP, POLLERR), or a negative
 * errno (-ETIMEDOUT when a finite deadline passes, -EINVAL when events has none
 * of those bits). A try returns 0 when nothing is ready. */
WEFT_API int weft_poll(int fd, int events, int64_t deadline);

/* Closes fd: wakes every fiber waiting on it (their calls return -EBADF), drops
 * its registration, then close(2). 0 or a negative errno from close. */
WEFT_API int weft_close(int fd);

/* Drops fd's registration without closing it (for descriptors closed by other
 * code). Waiting fibers are woken and see -EBADF. 0, or -EINVAL. */
WEFT_API int weft_fd_forget(int fd);

#ifdef __cplusplus
}
#endif
#endif
