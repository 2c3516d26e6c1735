/* bench/peers/http_threads.c: peer_http_threads, the thread-per-connection
 * HTTP/1.1 server that weft's http_server example is compared with in the
 * "servers" section of weft_bench.
 *
 *   peer_http_threads [--port P] [--host H]    (P 0 = the kernel picks one)
 *
 * Prints "http_threads: listening on <host>:<port>" to stderr once the socket
 * listens, then accepts forever; SIGTERM or SIGINT exits with status 0.
 *
 * Model: blocking sockets, one detached pthread per accepted connection, the
 * classic design the fiber server must beat. Every request, whatever its
 * method or path, gets the same response as the weft example's `GET /`, the
 * same fields in the same order: HTTP/1.1 200 OK, Date (formatted at most once
 * a second per thread, as the example does per worker), Content-Type:
 * text/plain; charset=utf-8, Content-Length: 14, body Hello, World!\n
 * Parsing is minimal but keeps the stream in sync: a request is its head (up to
 * the first "\r\n\r\n", at most HEAD_MAX bytes) plus a Content-Length body that
 * is skipped. Pipelined requests are answered in order, and the answers to all
 * requests that arrived in one read go out in one write (the same batching a
 * fiber server gets for free). "Connection: close", or HTTP/1.0 without
 * "Connection: keep-alive", closes after the answer (with "Connection: close");
 * an HTTP/1.0 request that asks for keep-alive gets "Connection: keep-alive".
 * Anything unparseable (an oversized head, chunked bodies) closes the
 * connection without an answer. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 8192
#define BODY     "Hello, World!\n"
/* The fields around the Date, in the example's order. */
#define STATUS "HTTP/1.1 200 OK\r\nDate: "
#define FIELDS "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n"
#define KA     "\r\n" BODY
#define CL     "Connection: close\r\n\r\n" BODY
/* HTTP/1.0 keeps a connection only when the answer says so. */
#define KA10 "Connection: keep-alive\r\n\r\n" BODY

/* Up to this many pipelined answers are gathered before a write. */
#define OUT_MAX 16384

typedef struct conn {
    int fd;
    char in[HEAD_MAX];
    size_t have; /* bytes in `in` not yet consumed */
    size_t skip; /* body bytes still to discard before the next head */
    char out[OUT_MAX];
    size_t out_n;
} conn_t;

/* The Date value (RFC 9110 IMF-fixdate), formatted again only when the second
 * changes: per thread, so no lock. */
static const char *date_now(void) {
    static _Thread_local time_t shown = -1;
    static _Thread_local char date[32];
    time_t t = time(NULL);
    if (t != shown) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        shown = t;
    }
    return date;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Finds header `name` (case-insensitive) in head[0, len); the value with
 * leading blanks removed, its length in *vlen, or NULL. The request line is
 * skipped because names are only matched at the start of a line. */
static const char *header(const char *head, size_t len, const char *name, size_t *vlen) {
    size_t nl = strlen(name);
    const char *end = head + len;
    const char *p = memchr(head, '\n', len);
    while (p && p + 1 < end) {
        const char *line = p + 1;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) break;
        if ((size_t)(eol - line) > nl && line[nl] == ':' &&
            !strncasecmp(line, name, nl)) {
            const char *v = line + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol;
    }
    return NULL;
}

static int has_token(const char *v, size_t n, const char *tok) {
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= n; i++)
        if (!strncasecmp(v + i, tok, tl)) return 1;
    return 0;
}

/* Handles one complete head of `len` bytes: queues the answer. Returns 1 to
 * keep the connection, 0 to close after flushing, -1 to drop it now. */
static int on_request(conn_t *c, const char *head, size_t len) {
    size_t vl;
    const char *v = header(head, len, "Transfer-Encoding", &vl);
    if (v && !(vl == 8 && !strncasecmp(v, "identity", 8))) return -1;
    v = header(head, len, "Content-Length", &vl);
    if (v) {
        char num[24];
        if (vl == 0 || vl >= sizeof num) return -1;
        memcpy(num, v, vl);
        num[vl] = 0;
        char *e;
        long long cl = strtoll(num, &e, 10);
        if (*e || cl < 0) return -1;
        c->skip = (size_t)cl;
    }
    const char *eol = memchr(head, '\r', len);
    int http10 = eol && eol - head >= 8 && !memcmp(eol - 8, "HTTP/1.0", 8);
    v = header(head, len, "Connection", &vl);
    int keep = http10 ? (v && has_token(v, vl, "keep-alive"))
                      : !(v && has_token(v, vl, "close"));
    const char *tail = !keep ? CL : http10 ? KA10 : KA;
    const char *date = date_now();
    size_t tn = strlen(tail), dn = strlen(date);
    size_t rn = sizeof STATUS - 1 + dn + sizeof FIELDS - 1 + tn;
    if (c->out_n + rn > sizeof c->out) {
        if (write_all(c->fd, c->out, c->out_n) != 0) return -1;
        c->out_n = 0;
    }
    char *o = c->out + c->out_n;
    memcpy(o, STATUS, sizeof STATUS - 1);
    o += sizeof STATUS - 1;
    memcpy(o, date, dn);
    o += dn;
    memcpy(o, FIELDS, sizeof FIELDS - 1);
    o += sizeof FIELDS - 1;
    memcpy(o, tail, tn);
    c->out_n += rn;
    return keep;
}

/* Consumes every complete request in c->in; returns as on_request. */
static int drain(conn_t *c) {
    size_t pos = 0;
    int keep = 1;
    while (keep > 0) {
        size_t left = c->have - pos;
        if (c->skip) {
            size_t k = c->skip < left ? c->skip : left;
            c->skip -= k;
            pos += k;
            if (c->skip) break;
            continue;
        }
        char *start = c->in + pos;
        char *end = memmem(start, left, "\r\n\r\n", 4);
        if (!end) break;
        size_t len = (size_t)(end - start) + 4;
        keep = on_request(c, start, len);
        pos += len;
    }
    memmove(c->in, c->in + pos, c->have - pos);
    c->have -= pos;
    if (keep > 0 && c->have == sizeof c->in && !c->skip) return -1; /* head too big */
    return keep;
}

static void *serve(void *arg) {
    conn_t *c = arg;
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->have, sizeof c->in - c->have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        c->have += (size_t)n;
        int keep = drain(c);
        if (keep < 0) break;
        if (c->out_n && write_all(c->fd, c->out, c->out_n) != 0) break;
        c->out_n = 0;
        if (!keep) break;
    }
    close(c->fd);
    free(c);
    return NULL;
}

static void *acceptor(void *arg) {
    int lfd = *(int *)arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            /* EMFILE and the like: back off instead of spinning. */
            perror("http_threads: accept");
            usleep(10000);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_t *c = malloc(sizeof *c);
        pthread_t t;
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->have = c->skip = c->out_n = 0;
        if (pthread_create(&t, &attr, serve, c) != 0) {
            close(fd);
            free(c);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host") && i + 1 < argc)
            host = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--port P] [--host H]\n", argv[0]);
            return 2;
        }
    }
    /* Signals are taken by sigwait in main, so every other thread (they
     * inherit this mask) keeps running its blocking calls undisturbed. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "http_threads: bad IPv4 host %s\n", host);
        return 2;
    }
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    socklen_t al = sizeof a;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4096) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
        perror("http_threads: listen");
        return 1;
    }
    fprintf(stderr, "http_threads: listening on %s:%d\n", host, ntohs(a.sin_port));
    pthread_t t;
    if (pthread_create(&t, NULL, acceptor, &lfd) != 0) {
        fprintf(stderr, "http_threads: cannot start the acceptor\n");
        return 1;
    }
    int sig;
    sigwait(&set, &sig);
    /* exit(3) ends the connection threads with the process; nothing to flush. */
    return 0;
}
