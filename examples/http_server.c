/* examples/http_server.c: an HTTP/1.1 server on the serve loop (one fiber per
 * connection), built for keep-alive load: GET / and GET /hello answer
 * "Hello, World!\n"; with --root DIR other paths are static files under DIR.
 *
 *   http_server [--port 8080] [--root DIR] [--host H] [--workers N]
 *               [--max-conns N] [--idle-timeout S] [--quiet]
 *
 * Per connection: one input buffer and one output buffer. Each read is parsed
 * into as many requests as it holds (pipelining); their responses are
 * appended to the output buffer and sent with one write, unless a file too big
 * to buffer is streamed. Files are opened (openat2 RESOLVE_BENEATH where the
 * kernel has it) and read through the runtime's offload pool, so a slow disk
 * never stalls a worker. A malformed request gets its 4xx/5xx with
 * "Connection: close", then the connection is closed. See docs/servers.md. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "serve.h"
#include "weft.h"

#define READ_MIN    (16 * 1024)   /* free input space wanted before a read */
#define FLUSH_AT    (64 * 1024)   /* send pipelined responses once this much waits */
#define MAX_BODY    (1024 * 1024) /* request bodies (read and discarded) */
#define INLINE_FILE (256 * 1024)  /* files up to this size go through the buffer */
#define CHUNK       (256 * 1024)  /* bigger ones are streamed in chunks this size */
#define LINGER      WEFT_SEC(1)   /* draining input before closing after an error */

static const char HELLO[] = "Hello, World!\n";
static const char TEXT[] = "text/plain; charset=utf-8";

static int root_fd = -1; /* --root, opened once; -1 without */

struct http_conn {
    weft_conn_t *c;
    struct buf in, out;
    struct http_parser parser;
    struct http_request req;
    char path[HTTP_MAX_REQUEST_LINE + 32]; /* decoded path, maybe + "index.html" */
};

/* The Date value, formatted once per second per worker thread. Used at once,
 * without blocking in between, so the fiber cannot change threads meanwhile. */
static const char *date_now(void) {
    static _Thread_local time_t shown = -1;
    static _Thread_local char date[30];
    time_t t = time(NULL);
    if (t != shown) {
        http_format_date(date, t);
        shown = t;
    }
    return date;
}

static bool flush(struct http_conn *h) {
    if (h->out.oom) return false;
    ssize_t r = h->out.len ? weft_conn_write_all(h->c, h->out.data, h->out.len) : 0;
    buf_clear(&h->out);
    return r >= 0;
}

static void head_for(struct http_conn *h, int status, const char *type, uint64_t length,
                     bool keep, const char *extra) {
    struct http_response_head head = {
        .status = status,
        .content_type = type,
        .content_length = length,
        .connection = http_connection_for(h->req.minor, keep),
        .date = date_now(),
        .extra = extra,
    };
    http_write_head(&h->out, &head);
}

/* A status with a one-line text body ("404 Not Found\n"). */
static void reply_status(struct http_conn *h, int status, bool head_only, bool keep,
                         const char *extra) {
    char body[64];
    int n = snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
    head_for(h, status, TEXT, (uint64_t)n, keep, extra);
    if (!head_only) buf_append(&h->out, body, (size_t)n);
}

/* --- files --- */

struct open_job {
    int dir, fd, err;
    struct stat st;
    char path[];
};

static int open_beneath(int dir, const char *path) {
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                           .resolve = RESOLVE_BENEATH};
    long fd = syscall(SYS_openat2, dir, path, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return (int)fd;
    /* Older kernels: ".." is refused already; symlinks are followed. */
    return openat(dir, path, (int)how.flags);
}

/* On a pool thread: open and fstat, which may wait for the disk. */
static void *open_file(void *arg) {
    struct open_job *j = arg;
    j->fd = open_beneath(j->dir, j->path);
    if (j->fd < 0) {
        j->err = errno;
    } else if (fstat(j->fd, &j->st) != 0) {
        j->err = errno;
        close(j->fd);
        j->fd = -1;
    }
    return NULL;
}

/* A timed-out or cancelled open finishes on the pool: release what it made. */
static void drop_open_job(void *arg, void *result, int ran) {
    (void)result;
    struct open_job *j = arg;
    if (ran && j->fd >= 0) close(j->fd);
    free(j);
}

/* Appends the file's bytes to out (small files); false if it could not read
 * them all. */
static bool read_into_out(struct http_conn *h, int fd, size_t size) {
    if (buf_reserve(&h->out, size) != 0) return false;
    for (size_t done = 0; done < size;) {
        ssize_t n = weft_pread(fd, h->out.data + h->out.len, size - done, (off_t)done,
                               weft_conn_deadline(h->c));
        if (n <= 0) return false; /* error, or the file shrank */
        h->out.len += (size_t)n;
        done += (size_t)n;
    }
    return true;
}

/* Sends the file's bytes after what out holds (big files); false on any
 * failure, after which the connection must close: the length is promised. */
static bool stream(struct http_conn *h, int fd, size_t size) {
    if (!flush(h)) return false;
    char *chunk = malloc(size < CHUNK ? size : CHUNK);
    bool ok = chunk != NULL;
    for (size_t done = 0; ok && done < size;) {
        size_t want = size - done < CHUNK ? size - done : CHUNK;
        ssize_t n = weft_pread(fd, chunk, want, (off_t)done, weft_conn_deadline(h->c));
        ok = n > 0 && weft_conn_write_all(h->c, chunk, (size_t)n) >= 0;
        done += n > 0 ? (size_t)n : 0;
    }
    free(chunk);
    return ok;
}

/* Answers a GET or HEAD for h->path (decoded, `len` bytes) from the root
 * directory. Returns whether the connection may carry on. */
static bool serve_file(struct http_conn *h, size_t len, bool head_only, bool keep) {
    bool dir_request = h->path[len - 1] == '/';
    if (dir_request) memcpy(h->path + len, "index.html", sizeof "index.html");
    const char *rel = h->path;
    while (*rel == '/')
        rel++; /* relative to the root, never absolute */
    size_t rel_len = strlen(rel);
    struct open_job *job = malloc(sizeof *job + rel_len + 1);
    if (!job) {
        reply_status(h, 500, head_only, false, NULL);
        return false;
    }
    *job = (struct open_job){.dir = root_fd, .fd = -1};
    memcpy(job->path, rel, rel_len + 1);
    int r =
        weft_offload_ex(open_file, job, NULL, weft_conn_deadline(h->c), drop_open_job);
    if (r == -ETIMEDOUT || r == -ECANCELED) return false; /* the pool owns job now */
    if (r != 0) {
        free(job);
        reply_status(h, 503, head_only, false, NULL);
        return false;
    }
    int fd = job->fd, err = job->err;
    struct stat st = job->st;
    free(job);
    if (fd < 0) {
        int status = err == EACCES ? 403
                     : err == ENOENT || err == ENOTDIR || err == ELOOP || err == EXDEV ||
                             err == ENAMETOOLONG
                         ? 404
                         : 500;
        reply_status(h, status, head_only, keep, NULL);
        return keep;
    }
    bool ok = true;
    if (S_ISDIR(st.st_mode) && !dir_request) {
        /* "/dir" -> "/dir/": the raw target's path is visible ASCII, safe to echo */
        struct span t = h->req.target;
        size_t path_len = 0;
        while (path_len < t.len && t.ptr[path_len] != '?' && t.ptr[path_len] != '#')
            path_len++;
        char *location = malloc(path_len + 16);
        if (location) {
            memcpy(location, "Location: ", 10);
            memcpy(location + 10, t.ptr, path_len);
            memcpy(location + 10 + path_len, "/\r\n", 4);
        }
        reply_status(h, location ? 301 : 500, head_only, keep, location);
        free(location);
    } else if (!S_ISREG(st.st_mode)) {
        reply_status(h, 404, head_only, keep, NULL);
    } else {
        size_t size = (size_t)st.st_size, mark = h->out.len;
        head_for(h, 200, http_mime_type(rel, rel_len), size, keep, NULL);
        if (!head_only && size <= INLINE_FILE) {
            if (!read_into_out(h, fd, size)) {
                h->out.len = mark; /* take the head back */
                reply_status(h, 500, head_only, false, NULL);
                ok = false;
            }
        } else if (!head_only) {
            ok = stream(h, fd, size);
        }
    }
    weft_close(fd);
    return ok && keep;
}

/* --- requests --- */

/* Appends the response to h->req (or streams it). Returns whether the
 * connection may carry another request. */
static bool respond(struct http_conn *h) {
    const struct http_request *req = &h->req;
    bool keep = req->keep_alive && !serve_draining();
    bool head_only = req->method == HTTP_HEAD;
    if (req->method != HTTP_GET && !head_only) {
        bool known = req->method != HTTP_OTHER;
        reply_status(h, known ? 405 : 501, false, keep,
                     known ? "Allow: GET, HEAD\r\n" : NULL);
        return keep;
    }
    size_t len;
    enum http_path_result pr = http_decode_path(req->target.ptr, req->target.len, h->path,
                                                sizeof h->path - 16, &len);
    if (pr != HTTP_PATH_OK) {
        reply_status(h, pr == HTTP_PATH_BAD ? 400 : 404, head_only, keep, NULL);
        return keep;
    }
    if (strcmp(h->path, "/") == 0 || strcmp(h->path, "/hello") == 0) {
        head_for(h, 200, TEXT, sizeof HELLO - 1, keep, NULL);
        if (!head_only) buf_append(&h->out, HELLO, sizeof HELLO - 1);
        return keep;
    }
    if (root_fd < 0) {
        reply_status(h, 404, head_only, keep, NULL);
        return keep;
    }
    return serve_file(h, len, head_only, keep);
}

/* After answering an error with bytes still unread, close gently: stop
 * sending, then read and drop what the client still sends for a moment, so
 * that the kernel does not answer those bytes with a reset that could destroy
 * the response before the client reads it. */
static void linger(struct http_conn *h) {
    shutdown(h->c->fd, SHUT_WR);
    int64_t until = weft_after(LINGER);
    for (size_t total = 0; total < MAX_BODY;) {
        ssize_t n = weft_read(h->c->fd, h->in.data, h->in.cap, until);
        if (n <= 0) break;
        total += (size_t)n;
    }
}

static void handle(weft_conn_t *c) {
    struct http_conn *h = malloc(sizeof *h);
    if (!h) return;
    h->c = c;
    buf_init(&h->in);
    buf_init(&h->out);
    http_parser_init(&h->parser, MAX_BODY);
    bool gentle_close = false;
    for (bool open = true; open;) {
        size_t used = 0;
        for (;;) {
            long r = http_parse(&h->parser, h->in.data + used, h->in.len - used, &h->req);
            if (r == HTTP_NEED_MORE) break;
            if (r < 0) {
                h->req.minor = 1;
                reply_status(h, (int)-r, false, false, NULL);
                open = false;
                gentle_close = true;
                break;
            }
            used += (size_t)r;
            if (!respond(h)) {
                open = false;
                gentle_close = used < h->in.len; /* pipelined requests left over */
                break;
            }
            if (h->out.len >= FLUSH_AT && !flush(h)) goto done;
        }
        buf_consume(&h->in, used);
        if (!flush(h)) goto done;
        if (!open) break;
        if (h->in.cap - h->in.len < READ_MIN && buf_reserve(&h->in, READ_MIN) != 0) break;
        ssize_t n = weft_conn_read(c, h->in.data + h->in.len, h->in.cap - h->in.len);
        if (n <= 0) break;
        h->in.len += (size_t)n;
    }
    if (gentle_close && h->in.cap > 0) linger(h);
done:
    buf_free(&h->in);
    buf_free(&h->out);
    free(h);
}

int main(int argc, char **argv) {
    struct serve_config cfg;
    serve_defaults(&cfg, "http_server", 8080);
    cfg.handler = handle;
    const char *root = NULL, *v;
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf(
                "usage: http_server [flags]\n"
                "HTTP/1.1 with keep-alive and pipelining. GET / and GET /hello answer\n"
                "\"Hello, World!\\n\"; other paths are files under --root (GET, HEAD).\n"
                "  --root DIR           serve static files from DIR (default: none)\n");
            serve_usage(stdout, &cfg);
            return 0;
        }
        if ((v = serve_flag_value("--root", argc, argv, &i))) {
            root = v;
            continue;
        }
        int r = serve_parse_flag(&cfg, argc, argv, &i);
        if (r < 0) return 2;
        if (r == 0) {
            fprintf(stderr, "http_server: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (root) {
        root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
            fprintf(stderr, "http_server: --root %s: %s\n", root, strerror(errno));
            return 2;
        }
    }
    int r = serve_run(&cfg);
    if (root_fd >= 0) close(root_fd);
    return r;
}
