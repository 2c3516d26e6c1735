/* weft/server.h: a serve loop that runs one fiber per connection.
 *
 * The server's acceptor fiber accepts connections on a listening socket and
 * spawns a handler fiber for each, at most `max_conns` at once (the acceptor
 * takes a slot before each accept and the handler returns it when it ends:
 * further connections wait in the kernel's backlog meanwhile).
 * A handler reads and writes through weft_conn_* calls, which apply the
 * per-connection idle deadline: a read or write that makes no progress for
 * `idle_timeout` nanoseconds fails with -ETIMEDOUT.
 * Graceful shutdown (weft_server_shutdown): stop accepting (the listening
 * socket stays open and owned by the caller), let connections finish until a
 * deadline, then cancel the remaining handlers (their blocking calls return
 * -ECANCELED) and wait for them. The server closes every connection it accepted
 * once its handler returns. */
#ifndef WEFT_SERVER_H
#define WEFT_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_server weft_server_t; /* opaque */

typedef struct weft_conn {
    int fd;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    weft_server_t *server;
    void *user; /* the server's opts.user */
} weft_conn_t;

typedef struct weft_server_opts {
    /* Runs on its own fiber per connection; the server closes c->fd afterwards. */
    void (*handler)(weft_conn_t *c);
    void *user;
    int max_conns;        /* 0: 10000 */
    int64_t idle_timeout; /* ns; 0: no idle deadline (WEFT_FOREVER per call) */
} weft_server_opts_t;

/* Starts serving listen_fd from the caller's runtime (the caller must be a
 * fiber: -EPERM otherwise). 0; -EINVAL (NULL, no handler, max_conns < 0,
 * idle_timeout < 0, listen_fd negative, not a socket or not listening);
 * -ENOMEM. */
WEFT_API int weft_server_start(weft_server_t **s, int listen_fd,
                               const weft_server_opts_t *opts);

/* Stops accepting, waits for the connections in flight until `deadline`, then
 * cancels the rest and waits for them to finish; frees the server. Callable
 * once, from any fiber or thread. Returns how many handlers had to be
 * cancelled (>= 0), -EINVAL (NULL), or -EDEADLK when called from one of the
 * server's own handlers (it would wait for itself; the server keeps running). */
WEFT_API int weft_server_shutdown(weft_server_t *s, int64_t deadline);

/* Connections being handled now. */
WEFT_API int weft_server_active(const weft_server_t *s);
/* Connections accepted since start. */
WEFT_API uint64_t weft_server_accepted(const weft_server_t *s);

/* weft_read / weft_write_all with the connection's idle deadline. */
WEFT_API ssize_t weft_conn_read(weft_conn_t *c, void *buf, size_t n);
WEFT_API ssize_t weft_conn_write_all(weft_conn_t *c, const void *buf, size_t n);
/* The absolute deadline for the next operation (WEFT_FOREVER without idle
 * timeout), for handlers calling weft/io.h directly. */
WEFT_API int64_t weft_conn_deadline(const weft_conn_t *c);

#ifdef __cplusplus
}
#endif
#endif
