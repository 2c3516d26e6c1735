/* io/net.c: weft/net.h, listening and connected sockets. Every descriptor is
 * created non-blocking and close-on-exec, and its number's stale registration
 * (if any) is forgotten before it is handed out (io/fdtab.h). */
#include "weft/net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "io/fdtab.h"
#include "weft/fiber.h"
#include "weft/io.h"
#include "weft/offload.h"
#include "weft/time.h"

static int new_socket(int family) {
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    weft__fd_drop(fd, 1);
    return fd;
}

static int fail_close(int fd, int err) {
    weft_close(fd);
    return err;
}

static int listen_on(const struct sockaddr *sa, socklen_t len, int backlog, int dual) {
    int fd = new_socket(sa->sa_family);
    if (fd < 0) return fd;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (dual) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, sa, len) != 0 || listen(fd, backlog) != 0) return fail_close(fd, -errno);
    return fd;
}

/* Host and port to addresses: numeric hosts parsed here, names through the
 * offload pool from a fiber (getaddrinfo directly from a thread). */
static int resolve(const char *host, int port, int passive, int64_t deadline,
                   struct addrinfo **res) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)};
    hints.ai_flags |= AI_NUMERICHOST;
    if (getaddrinfo(host, service, &hints, res) == 0) return 0;
    hints.ai_flags &= ~AI_NUMERICHOST;
    return weft_getaddrinfo(host, service, &hints, res, deadline, NULL);
}

int weft_listen_tcp(const char *host, int port, int backlog) {
    if (port < 0 || port > 65535) return -EINVAL;
    if (backlog <= 0) backlog = SOMAXCONN;
    if (!host || !*host || !strcmp(host, "*")) {
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
                                  .sin6_port = htons((uint16_t)port),
                                  .sin6_addr = in6addr_any};
        int fd = listen_on((struct sockaddr *)&a6, sizeof a6, backlog, 1);
        if (fd != -EAFNOSUPPORT && fd != -EADDRNOTAVAIL) return fd;
        struct sockaddr_in a4 = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_ANY)};
        return listen_on((struct sockaddr *)&a4, sizeof a4, backlog, 0);
    }
    struct addrinfo *res;
    int r = resolve(host, port, 1, WEFT_FOREVER, &res);
    if (r) return r;
    r = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        r = listen_on(ai->ai_addr, ai->ai_addrlen, backlog, 0);
        if (r >= 0) break;
    }
    freeaddrinfo(res);
    return r;
}

static int unix_addr(const char *path, struct sockaddr_un *a) {
    if (!path || !*path) return -EINVAL;
    if (strlen(path) >= sizeof a->sun_path) return -ENAMETOOLONG;
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return 0;
}

int weft_listen_unix(const char *path, int backlog) {
    struct sockaddr_un a;
    int r = unix_addr(path, &a);
    if (r) return r;
    if (backlog <= 0) backlog = SOMAXCONN;
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) return -EADDRINUSE;
        /* A socket file nobody listens on (a previous run's) is replaced. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) return -errno;
        int live = connect(probe, (struct sockaddr *)&a, sizeof a) == 0;
        close(probe);
        if (live) return -EADDRINUSE;
        unlink(path);
    }
    return listen_on((struct sockaddr *)&a, sizeof a, backlog, 0);
}

int weft_dial_tcp(const char *host, int port, int64_t deadline) {
    if (!host || port <= 0 || port > 65535) return -EINVAL;
    struct addrinfo *res;
    int r = resolve(host, port, 0, deadline, &res);
    if (r) return r;
    r = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = new_socket(ai->ai_family);
        if (fd < 0) {
            r = fd;
            continue;
        }
        r = weft_connect(fd, ai->ai_addr, ai->ai_addrlen, deadline);
        if (r == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            r = fd;
            break;
        }
        weft_close(fd);
        if (r == -ETIMEDOUT || r == -ECANCELED) break;
    }
    freeaddrinfo(res);
    return r;
}

int weft_dial_unix(const char *path, int64_t deadline) {
    struct sockaddr_un a;
    int r = unix_addr(path, &a);
    if (r) return r;
    int fd = new_socket(AF_UNIX);
    if (fd < 0) return fd;
    r = weft_connect(fd, (struct sockaddr *)&a, sizeof a, deadline);
    return r ? fail_close(fd, r) : fd;
}

int weft_local_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -errno;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}
