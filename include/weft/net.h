/* weft/net.h: creating listening and connected sockets (TCP over IPv4/IPv6, and
 * Unix stream sockets). Every descriptor returned is non-blocking and
 * close-on-exec, ready for weft/io.h; close it with weft_close.
 * Host names go through weft_getaddrinfo (the offload pool) from a fiber;
 * numeric addresses are parsed without it. Return: the descriptor, or a negative
 * errno (-ENOENT when the host does not resolve). */
#ifndef WEFT_NET_H
#define WEFT_NET_H

#include <stdint.h>

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Listens on host:port with SO_REUSEADDR. host NULL or "" or "*" means every
 * address: IPv6 "::" accepting IPv4 too where the system allows, else 0.0.0.0.
 * port 0 picks a free port (read it back with weft_local_port). backlog <= 0
 * means SOMAXCONN. -EINVAL for a port outside 0..65535. */
WEFT_API int weft_listen_tcp(const char *host, int port, int backlog);

/* Listens on a Unix stream socket at path, replacing a stale socket file left
 * there (but never any other kind of file: -EADDRINUSE). -ENAMETOOLONG when path
 * does not fit sockaddr_un. */
WEFT_API int weft_listen_unix(const char *path, int backlog);

/* Connects to host:port (every resolved address in turn) before the deadline,
 * with TCP_NODELAY set. */
WEFT_API int weft_dial_tcp(const char *host, int port, int64_t deadline);

/* Connects to the Unix stream socket at path before the deadline. */
WEFT_API int weft_dial_unix(const char *path, int64_t deadline);

/* The local port of a bound socket, or a negative errno. */
WEFT_API int weft_local_port(int fd);

#ifdef __cplusplus
}
#endif
#endif
