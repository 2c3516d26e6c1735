/* tests/fuzz/fuzz_http.c: libFuzzer target for the HTTP/1.1 request parser of
 * the example servers (examples/proto/http.c).
 *
 * The input is a byte stream from a client (pipelined requests are parsed one
 * after another, as the server does). It is parsed three ways: whole, one byte
 * more per call, and in two reads split at a point derived from the input; the
 * pieces are fresh allocations of exactly their size, so a read past the bytes
 * given, or a span into an earlier buffer, is an ASan report. The max_body limit
 * is also derived from the input (0, 8, 4096 or unlimited).
 * Invariants:
 *   - the three ways give the same complete requests (same length, same fields
 *     at the same offsets) and the same end: more data needed, or the same
 *     error, except that an incremental parse may refuse an over-long line
 *     (414/431) before it ends, where the whole parse sees a bare LF (400);
 *   - fed one byte at a time, a request completes exactly at its last byte;
 *   - statuses are the documented ones (400, 413, 414, 431, 501, 505);
 *   - a complete request: 0 < length <= bytes given; head ends in CRLF CRLF;
 *     every span lies in the head (the body right after it, content_length
 *     long, <= max_body); method is a token and matches the enum, target is
 *     visible ASCII, version HTTP/1.0 or 1.1; fields are tokens with trimmed
 *     values free of control bytes, as many as the head's lines; exactly one
 *     Host for 1.1 (at most one for 1.0), no Transfer-Encoding; content_length
 *     and keep_alive recomputed here from the fields agree;
 *   - the target's decoded path (when OK) starts with '/', holds no NUL, '\\'
 *     or ".." segment and fits the documented capacity; every status has a
 *     reason phrase; a response head for the request is well-formed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz_http"
#include "feed.h"
#include "http.h"

#define MAX_RECORDS 256

/* A request as offsets from its first byte, to compare the ways of parsing. */
struct rec {
    long r;
    int method, minor, nheaders;
    size_t method_at, method_len, target_at, target_len;
    size_t field[HTTP_MAX_HEADERS][4];
    uint64_t content_length;
    int keep_alive;
};

struct result {
    struct rec rec[MAX_RECORDS];
    int n;
    long end; /* HTTP_NEED_MORE, or -status */
};

static size_t g_max_body;

/* --- checks on one complete request --- */

static int is_tchar(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int ieq(struct span s, const char *lit) {
    size_t n = strlen(lit);
    if (s.len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s.ptr[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c | 0x20);
        if (c != lit[i]) return 0;
    }
    return 1;
}

static void check_span(struct span s, const char *lo, const char *hi, const char *what) {
    CHECK(s.ptr >= lo && s.len <= (size_t)(hi - lo) && s.ptr + s.len <= hi,
          "%s span outside its part of the buffer", what);
}

static int is_ows(char c) {
    return c == ' ' || c == '\t';
}

/* Splits v at commas, trimming; calls fn on each element (empty ones too). */
static void each(struct span v, void (*fn)(struct span, void *), void *ctx) {
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < v.len && v.ptr[j] != ',')
            j++;
        size_t a = i, b = j;
        while (a < b && is_ows(v.ptr[a]))
            a++;
        while (b > a && is_ows(v.ptr[b - 1]))
            b--;
        fn((struct span){v.ptr + a, b - a}, ctx);
        if (j >= v.len) break;
        i = j + 1;
    }
}

struct length {
    int seen, bad;
    uint64_t v;
};

static void length_elem(struct span e, void *ctx) {
    struct length *l = ctx;
    uint64_t v = 0;
    if (e.len == 0) l->bad = 1;
    for (size_t i = 0; i < e.len; i++) {
        if (e.ptr[i] < '0' || e.ptr[i] > '9') {
            l->bad = 1;
            return;
        }
        unsigned d = (unsigned)(e.ptr[i] - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    if (l->seen && l->v != v) l->bad = 1;
    l->seen = 1;
    l->v = v;
}

struct conn {
    int close, keep;
};

static void conn_elem(struct span e, void *ctx) {
    struct conn *c = ctx;
    if (ieq(e, "close")) c->close = 1;
    if (ieq(e, "keep-alive")) c->keep = 1;
}

static void check_path(struct span target) {
    size_t cap = target.len + 2, len = 0;
    char *out = malloc(cap);
    CHECK(out, "out of memory");
    enum http_path_result pr = http_decode_path(target.ptr, target.len, out, cap, &len);
    CHECK(pr == HTTP_PATH_OK || pr == HTTP_PATH_BAD || pr == HTTP_PATH_REFUSED,
          "http_decode_path returned %d", (int)pr);
    if (pr == HTTP_PATH_OK) {
        CHECK(len < cap && out[len] == '\0' && strlen(out) == len, "decoded path length");
        CHECK(out[0] == '/', "decoded path does not start with '/'");
        CHECK(!memchr(out, '\\', len), "decoded path holds a backslash");
        for (size_t i = 0; i < len;) {
            size_t j = i;
            while (j < len && out[j] != '/')
                j++;
            CHECK(!(j - i == 2 && out[i] == '.' && out[i + 1] == '.'),
                  "decoded path holds a '..' segment");
            i = j + 1;
        }
        CHECK(http_mime_type(out, len) != NULL, "no MIME type");
    }
    free(out);
}

static void check_response_head(const struct http_request *req) {
    struct buf out;
    buf_init(&out);
    struct http_response_head h = {
        .status = 200,
        .content_type = http_mime_type(req->target.ptr, req->target.len),
        .content_length = req->content_length,
        .connection = http_connection_for(req->minor, req->keep_alive),
    };
    http_write_head(&out, &h);
    CHECK(!out.oom, "out of memory");
    static const char start[] = "HTTP/1.1 200 OK\r\n";
    CHECK(out.len > sizeof start && memcmp(out.data, start, sizeof start - 1) == 0 &&
              memcmp(out.data + out.len - 4, "\r\n\r\n", 4) == 0,
          "malformed response head");
    CHECK(!memchr(out.data, '\0', out.len), "NUL in a response head");
    buf_free(&out);
}

/* Checks a complete request parsed from b[0..avail) and records it. */
static void check_request(const char *b, size_t avail, long r,
                          const struct http_request *req, struct rec *rec) {
    CHECK(r > 0 && (size_t)r <= avail, "request of %ld bytes from %zu", r, avail);
    uint64_t cl = req->content_length;
    CHECK(cl <= g_max_body && cl <= (uint64_t)r, "content_length %llu",
          (unsigned long long)cl);
    const char *end = b + r, *head_end = end - cl;
    CHECK(req->body.ptr == head_end && req->body.len == cl, "body span");
    CHECK(head_end - b >= 4 && memcmp(head_end - 4, "\r\n\r\n", 4) == 0,
          "head does not end in CRLF CRLF");

    /* request line, after skipped empty lines */
    check_span(req->method_name, b, head_end, "method");
    check_span(req->target, b, head_end, "target");
    size_t at = (size_t)(req->method_name.ptr - b);
    CHECK(at % 2 == 0, "odd bytes before the request line");
    for (size_t i = 0; i < at; i += 2)
        CHECK(b[i] == '\r' && b[i + 1] == '\n', "skipped bytes are not empty lines");
    CHECK(req->method_name.len > 0, "empty method");
    for (size_t i = 0; i < req->method_name.len; i++)
        CHECK(is_tchar((unsigned char)req->method_name.ptr[i]), "method not a token");
    static const char *const names[] = {"GET",     "HEAD",  "POST",  "PUT",    "DELETE",
                                        "OPTIONS", "PATCH", "TRACE", "CONNECT"};
    int want = HTTP_OTHER;
    for (int i = 0; i < 9; i++)
        if (strlen(names[i]) == req->method_name.len &&
            memcmp(names[i], req->method_name.ptr, req->method_name.len) == 0)
            want = i;
    CHECK((int)req->method == want, "method enum %d for its name", (int)req->method);
    CHECK(req->target.ptr == req->method_name.ptr + req->method_name.len + 1 &&
              req->method_name.ptr[req->method_name.len] == ' ',
          "target does not follow the method and one space");
    CHECK(req->target.len > 0, "empty target");
    for (size_t i = 0; i < req->target.len; i++) {
        unsigned char c = (unsigned char)req->target.ptr[i];
        CHECK(c > 0x20 && c < 0x7f, "target byte 0x%02x", c);
    }
    const char *v = req->target.ptr + req->target.len;
    CHECK(head_end - v >= 11 && memcmp(v, " HTTP/1.", 8) == 0 &&
              v[8] == '0' + req->minor && v[9] == '\r' && v[10] == '\n',
          "version");
    CHECK(req->minor == 0 || req->minor == 1, "minor %d", req->minor);

    /* fields */
    const char *line = v + 11;
    int lines = 0;
    for (const char *p = line; p < head_end - 2; p++)
        lines += *p == '\n';
    CHECK(req->nheaders == lines && lines <= HTTP_MAX_HEADERS, "%d fields for %d lines",
          req->nheaders, lines);
    int hosts = 0;
    struct length len = {0};
    struct conn conn = {0};
    for (int i = 0; i < req->nheaders; i++) {
        const struct http_header *h = &req->headers[i];
        check_span(h->name, line, head_end, "field name");
        check_span(h->value, line, head_end, "field value");
        CHECK(h->name.len > 0, "empty field name");
        for (size_t k = 0; k < h->name.len; k++)
            CHECK(is_tchar((unsigned char)h->name.ptr[k]), "field name not a token");
        for (size_t k = 0; k < h->value.len; k++) {
            unsigned char c = (unsigned char)h->value.ptr[k];
            CHECK(c == '\t' || (c >= 0x20 && c != 0x7f), "field value byte 0x%02x", c);
        }
        if (h->value.len)
            CHECK(!is_ows(h->value.ptr[0]) && !is_ows(h->value.ptr[h->value.len - 1]),
                  "field value not trimmed");
        if (ieq(h->name, "host")) hosts++;
        if (ieq(h->name, "content-length")) each(h->value, length_elem, &len);
        if (ieq(h->name, "connection")) each(h->value, conn_elem, &conn);
        CHECK(!ieq(h->name, "transfer-encoding"), "Transfer-Encoding accepted");
    }
    CHECK(req->minor == 1 ? hosts == 1 : hosts <= 1, "%d Host fields in HTTP/1.%d", hosts,
          req->minor);
    CHECK(!len.bad && (len.seen ? len.v : 0) == cl,
          "Content-Length %llu accepted as %llu", (unsigned long long)len.v,
          (unsigned long long)cl);
    int ka = req->minor == 1 ? !conn.close : conn.keep && !conn.close;
    CHECK(req->keep_alive == ka, "keep_alive %d, fields say %d", req->keep_alive, ka);
    const struct span *host = http_find_header(req, "Host");
    CHECK((host != NULL) == (hosts > 0), "http_find_header(Host)");

    check_path(req->target);
    check_response_head(req);

    memset(rec, 0, sizeof *rec); /* padding too: records are compared bytewise */
    rec->r = r;
    rec->method = (int)req->method;
    rec->minor = req->minor;
    rec->nheaders = req->nheaders;
    rec->method_at = at;
    rec->method_len = req->method_name.len;
    rec->target_at = (size_t)(req->target.ptr - b);
    rec->target_len = req->target.len;
    rec->content_length = cl;
    rec->keep_alive = req->keep_alive;
    for (int i = 0; i < req->nheaders; i++) {
        const struct http_header *h = &req->headers[i];
        rec->field[i][0] = (size_t)(h->name.ptr - b);
        rec->field[i][1] = h->name.len;
        rec->field[i][2] = (size_t)(h->value.ptr - b);
        rec->field[i][3] = h->value.len;
    }
}

static void check_status(long r) {
    CHECK(r == -400 || r == -413 || r == -414 || r == -431 || r == -501 || r == -505,
          "undocumented status %ld", -r);
    CHECK(strcmp(http_reason((int)-r), "Unknown") != 0, "no reason for %ld", -r);
}

/* --- the three ways --- */

struct http_step {
    struct http_parser *p;
    struct http_request *req;
};

static long http_step(void *ctx, const char *buf, size_t n) {
    struct http_step *st = ctx;
    return http_parse(st->p, buf, n, st->req);
}

/* Parses data[0..size) the given way into res. */
static void parse_all(enum way way, const uint8_t *data, size_t size, size_t split,
                      struct result *res) {
    static struct http_request req;
    size_t off = 0;
    res->n = 0;
    res->end = HTTP_NEED_MORE;
    while (off < size && res->n < MAX_RECORDS) {
        const uint8_t *s = data + off;
        size_t rest = size - off, avail = 0;
        struct http_parser p;
        http_parser_init(&p, g_max_body);
        struct http_step step = {&p, &req};
        char *b = NULL;
        size_t first = split > off && split < size ? split - off : rest;
        long r = feed(way, s, rest, first, http_step, &step, &avail, &b);
        const char *buf = b ? b : (const char *)s;
        if (r > 0) {
            if (way == BYTEWISE)
                CHECK((size_t)r == avail,
                      "byte-wise: complete at %zu of a %ld-byte request", avail, r);
            check_request(buf, avail, r, &req, &res->rec[res->n++]);
            off += (size_t)r;
        } else {
            if (r < 0) check_status(r);
            res->end = r;
            free(b);
            break;
        }
        free(b);
    }
}

static void compare(const struct result *a, const struct result *b, const char *way) {
    for (int i = 0; i < a->n && i < b->n; i++)
        CHECK(memcmp(&a->rec[i], &b->rec[i], sizeof a->rec[i]) == 0,
              "%s: request %d differs from the whole parse (%ld vs %ld bytes)", way, i,
              b->rec[i].r, a->rec[i].r);
    CHECK(a->n == b->n, "%s: %d requests, whole parse %d", way, b->n, a->n);
    int same = a->end == b->end || ((b->end == -414 || b->end == -431) && a->end == -400);
    CHECK(same, "%s: ends with %ld, whole parse with %ld", way, b->end, a->end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct result whole, other;
    static const size_t bodies[4] = {0, 8, 4096, SIZE_MAX};
    uint64_t h = feed_hash(data, size);
    g_max_body = bodies[h & 3];
    size_t split = size ? (size_t)(h >> 8) % (size + 1) : 0;
    memset(&whole, 0, sizeof whole);
    parse_all(WHOLE, data, size, 0, &whole);
    memset(&other, 0, sizeof other);
    parse_all(BYTEWISE, data, size, 0, &other);
    compare(&whole, &other, "byte-wise");
    memset(&other, 0, sizeof other);
    parse_all(SPLIT, data, size, split, &other);
    compare(&whole, &other, "split");
    return 0;
}
