/* tests/test_proto_http.c: the HTTP/1.1 request parser of the example servers
 * (examples/proto/http.c): complete requests, the same bytes fed one at a time
 * through a buffer that moves between calls, pipelining, keep-alive, bodies,
 * every error status and the limits at their exact boundaries; the path decoder
 * against traversal; MIME types, dates and response heads byte for byte. */
#include "harness.h"

#include <string.h>

#include "http.h"

#define MAX_BODY 4096

static long parse_once(const char *s, size_t n, struct http_request *req) {
    struct http_parser p;
    http_parser_init(&p, MAX_BODY);
    return http_parse(&p, s, n, req);
}

static long parse_str(const char *s, struct http_request *req) {
    return parse_once(s, strlen(s), req);
}

static bool span_is(struct span s, const char *lit) {
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/* Feeds s one byte more per call, copying the prefix into a fresh allocation
 * each time (so nothing may point into an earlier one: ASan would see it).
 * Every call before the last must ask for more. Returns the last result and
 * leaves *keep holding the buffer req points into (free it). */
static long parse_bytewise(const char *s, size_t n, struct http_request *req,
                           char **keep) {
    struct http_parser p;
    http_parser_init(&p, MAX_BODY);
    char *prev = NULL;
    long r = 0;
    for (size_t i = 1; i <= n; i++) {
        char *b = malloc(i);
        assert_non_null(b);
        memcpy(b, s, i);
        free(prev);
        prev = b;
        r = http_parse(&p, b, i, req);
        if (r != 0) {
            assert_int_equal(i, r < 0 ? i : n); /* complete only at the end */
            break;
        }
    }
    *keep = prev;
    return r;
}

/* The status either way of feeding must be the same. */
static long status_both_ways(const char *s, size_t n) {
    struct http_request req;
    long once = parse_once(s, n, &req);
    char *keep;
    long bytewise = parse_bytewise(s, n, &req, &keep);
    free(keep);
    assert_int_equal(once, bytewise);
    return once;
}

static long status_of(const char *s) {
    return status_both_ways(s, strlen(s));
}

/* ------------------------------------------------------------------------- */

static const char GET_REQ[] = "GET /index.html?x=1 HTTP/1.1\r\n"
                              "Host: example.com\r\n"
                              "User-Agent:   test/1.0  \r\n"
                              "Accept: */*\r\n"
                              "\r\n";

static void check_get(const struct http_request *req) {
    assert_int_equal(req->method, HTTP_GET);
    assert_true(span_is(req->method_name, "GET"));
    assert_true(span_is(req->target, "/index.html?x=1"));
    assert_int_equal(req->minor, 1);
    assert_int_equal(req->nheaders, 3);
    assert_true(span_is(req->headers[0].name, "Host"));
    assert_true(span_is(req->headers[0].value, "example.com"));
    assert_true(span_is(req->headers[1].value, "test/1.0")); /* OWS trimmed */
    assert_true(req->keep_alive);
    assert_int_equal(req->content_length, 0);
    assert_int_equal(req->body.len, 0);
}

static void simple_get(void **state) {
    (void)state;
    struct http_request req;
    assert_int_equal(parse_str(GET_REQ, &req), strlen(GET_REQ));
    check_get(&req);
    const struct span *ua = http_find_header(&req, "user-AGENT");
    assert_non_null(ua);
    assert_true(span_is(*ua, "test/1.0"));
    assert_null(http_find_header(&req, "Cookie"));
}

static void bytewise_get(void **state) {
    (void)state;
    struct http_request req;
    char *keep;
    assert_int_equal(parse_bytewise(GET_REQ, strlen(GET_REQ), &req, &keep),
                     strlen(GET_REQ));
    check_get(&req);
    assert_true(req.target.ptr >= keep && req.target.ptr < keep + strlen(GET_REQ));
    free(keep);
}

static void bytewise_post_body(void **state) {
    (void)state;
    const char s[] = "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n"
                     "hello world";
    struct http_request req;
    char *keep;
    assert_int_equal(parse_bytewise(s, strlen(s), &req, &keep), strlen(s));
    assert_int_equal(req.method, HTTP_POST);
    assert_int_equal(req.content_length, 11);
    assert_true(span_is(req.body, "hello world"));
    assert_true(req.body.ptr == keep + strlen(s) - 11);
    free(keep);
}

/* Three requests back to back, then half of a fourth. */
static void pipelining(void **state) {
    (void)state;
    const char s[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                     "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
                     "HEAD /c HTTP/1.1\r\nHost: h\r\n\r\n"
                     "GET /d HTTP/1.1\r\nHo";
    const char *targets[] = {"/a", "/b", "/c"};
    struct http_parser p;
    http_parser_init(&p, MAX_BODY);
    struct http_request req;
    size_t at = 0, len = strlen(s);
    for (int i = 0; i < 3; i++) {
        long r = http_parse(&p, s + at, len - at, &req);
        assert_true(r > 0);
        assert_true(span_is(req.target, targets[i]));
        if (i == 1) assert_true(span_is(req.body, "xyz"));
        at += (size_t)r;
    }
    assert_int_equal(http_parse(&p, s + at, len - at, &req), HTTP_NEED_MORE);
    assert_int_equal(at, len - strlen("GET /d HTTP/1.1\r\nHo"));
}

/* Pipelined requests byte by byte: each completes exactly at its last byte. */
static void pipelining_bytewise(void **state) {
    (void)state;
    const char r1[] = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n",
               r2[] = "PUT /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok",
               r3[] = "GET /3 HTTP/1.0\r\n\r\n";
    char s[256];
    snprintf(s, sizeof s, "%s%s%s", r1, r2, r3);
    const size_t ends[] = {strlen(r1), strlen(r1) + strlen(r2), strlen(s)};
    struct http_parser p;
    http_parser_init(&p, MAX_BODY);
    struct http_request req;
    size_t start = 0;
    int done = 0;
    for (size_t i = 1; i <= strlen(s); i++) {
        long r = http_parse(&p, s + start, i - start, &req);
        if (r == 0) continue;
        assert_true(r > 0);
        assert_int_equal(start + (size_t)r, ends[done]);
        assert_int_equal(i, ends[done]);
        start += (size_t)r;
        done++;
    }
    assert_int_equal(done, 3);
}

static bool keep_alive_of(const char *s) {
    struct http_request req;
    assert_true(parse_str(s, &req) > 0);
    return req.keep_alive;
}

static void keep_alive(void **state) {
    (void)state;
    assert_true(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.0\r\n\r\n"));
    assert_true(keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    assert_true(
        keep_alive_of("GET / HTTP/1.0\r\nConnection: Upgrade, Keep-Alive\r\n\r\n"));
    assert_false(
        keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n"
                               "Connection: close\r\n\r\n"));
    /* a token that merely contains "close" is not "close" */
    assert_true(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n"));
}

static void methods_and_versions(void **state) {
    (void)state;
    struct http_request req;
    assert_true(parse_str("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_int_equal(req.method, HTTP_HEAD);
    assert_true(parse_str("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_int_equal(req.method, HTTP_DELETE);
    assert_true(parse_str("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_int_equal(req.method, HTTP_OTHER);
    assert_true(span_is(req.method_name, "BREW"));
    assert_true(parse_str("get / HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_int_equal(req.method, HTTP_OTHER); /* methods are case-sensitive */
    assert_true(parse_str("GET / HTTP/1.0\r\n\r\n", &req) > 0); /* no Host: fine */
    assert_int_equal(req.minor, 0);
    assert_true(parse_str("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_true(span_is(req.target, "*"));
}

static void leading_empty_lines(void **state) {
    (void)state;
    const char s[] = "\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n";
    struct http_request req;
    assert_int_equal(status_of(s), strlen(s));
    assert_int_equal(parse_str(s, &req), strlen(s));
    assert_true(span_is(req.target, "/x"));
}

static void content_length(void **state) {
    (void)state;
    struct http_request req;
    const char ok[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n"
                      "content-length: 5\r\n\r\nabcdeGET";
    assert_int_equal(parse_str(ok, &req), strlen(ok) - 3);
    assert_true(span_is(req.body, "abcde"));
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"),
                     strlen("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"));

    static const char *const bad[] = {
        "Content-Length: 5\r\nContent-Length: 6\r\n", /* conflicting */
        "Content-Length: 5, 6\r\n",
        "Content-Length: abc\r\n",
        "Content-Length: -1\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: 5 5\r\n",
        "Content-Length: \r\n",
        "Content-Length: 0x10\r\n",
        "Content-Length: 5,\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char s[256];
        snprintf(s, sizeof s, "POST / HTTP/1.1\r\nHost: h\r\n%s\r\nabcde", bad[i]);
        assert_int_equal(status_of(s), -400);
    }
}

static void body_limit(void **state) {
    (void)state;
    char s[MAX_BODY + 200];
    int n = snprintf(s, sizeof s,
                     "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", MAX_BODY);
    memset(s + n, 'b', MAX_BODY);
    struct http_request req;
    assert_int_equal(parse_once(s, (size_t)n + MAX_BODY, &req), n + MAX_BODY);
    assert_int_equal(req.body.len, MAX_BODY);
    /* one more byte: refused as soon as the head is complete */
    n = snprintf(s, sizeof s, "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n",
                 MAX_BODY + 1);
    assert_int_equal(status_both_ways(s, (size_t)n), -413);
    assert_int_equal(status_of("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: "
                               "99999999999999999999999\r\n\r\n"),
                     -413);
}

static void transfer_encoding(void **state) {
    (void)state;
    assert_int_equal(
        status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"),
        -501);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                               "Transfer-Encoding: chunked\r\n\r\nabc"),
                     -501);
    assert_int_equal(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n"),
                     -501);
}

static void malformed_400(void **state) {
    (void)state;
    static const char *const bad[] = {
        "GET / HTTP/1.1\nHost: h\r\n\r\n",    /* bare LF ends the request line */
        "GET / HTTP/1.1\r\nHost: h\n\r\n",    /* bare LF ends a field */
        "GET / HTTP/1.1\r\nHost: h\r\n\n",    /* bare LF as the blank line */
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", /* two spaces */
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", /* trailing space */
        "GET /\r\nHost: h\r\n\r\n",           /* no version (HTTP/0.9) */
        "GET / http/1.1\r\nHost: h\r\n\r\n",  /* version is case-sensitive */
        "GET / HTTP/1.10\r\nHost: h\r\n\r\n",
        "GET / HTTP/1\r\nHost: h\r\n\r\n",
        " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "G@T / HTTP/1.1\r\nHost: h\r\n\r\n",            /* not a token */
        "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",       /* control byte in the target */
        "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",    /* raw non-ASCII target */
        "GET / HTTP/1.1\r\nHost h\r\n\r\n",             /* no colon */
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",           /* space before the colon */
        "GET / HTTP/1.1\r\n: h\r\nHost: h\r\n\r\n",     /* empty name */
        "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", /* obs-fold */
        "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", /* CR inside a value */
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n", /* HTTP/1.1 without Host */
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (status_of(bad[i]) != -400) fail_msg("case %zu: %ld", i, status_of(bad[i]));
    }
    /* A NUL inside a value (a C string literal could not carry it). */
    const char nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
    assert_int_equal(status_both_ways(nul, sizeof nul - 1), -400);
}

/* A broken request line is refused when it is complete, before any blank line. */
static void early_refusal(void **state) {
    (void)state;
    struct http_request req;
    assert_int_equal(parse_str("\x16\x03\x01 junk\r\n", &req), -400);
    assert_int_equal(parse_str("GET / HTTP/2.0\r\n", &req), -505);
}

static void version_505(void **state) {
    (void)state;
    assert_int_equal(status_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), -505);
    assert_int_equal(status_of("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), -505);
    assert_int_equal(status_of("GET / HTTP/0.9\r\nHost: h\r\n\r\n"), -505);
    assert_int_equal(status_of("GET / HTTP/3.1\r\nHost: h\r\n\r\n"), -505);
}

/* A request line of exactly `len` bytes before its CRLF. */
static char *request_line_of(size_t len, size_t *total) {
    const char head[] = "GET /", tail[] = " HTTP/1.1\r\nHost: h\r\n\r\n";
    size_t fill = len - (sizeof head - 1) - strlen(" HTTP/1.1");
    char *s = malloc(len + 64);
    assert_non_null(s);
    memcpy(s, head, sizeof head - 1);
    memset(s + sizeof head - 1, 'a', fill);
    memcpy(s + sizeof head - 1 + fill, tail, sizeof tail);
    *total = strlen(s);
    return s;
}

static void request_line_limit(void **state) {
    (void)state;
    size_t n;
    char *s = request_line_of(HTTP_MAX_REQUEST_LINE, &n);
    assert_int_equal(status_both_ways(s, n), (long)n);
    free(s);
    s = request_line_of(HTTP_MAX_REQUEST_LINE + 1, &n);
    assert_int_equal(status_both_ways(s, n), -414);
    /* Refused without waiting for the line to end. */
    struct http_request req;
    assert_int_equal(parse_once(s, HTTP_MAX_REQUEST_LINE + 2, &req), -414);
    assert_int_equal(parse_once(s, HTTP_MAX_REQUEST_LINE + 1, &req), HTTP_NEED_MORE);
    free(s);
}

/* A head whose field lines (with their CRLFs) take exactly `bytes`. */
static char *fields_of(size_t bytes, size_t *total) {
    const char line[] = "GET / HTTP/1.1\r\n", host[] = "Host: h\r\n";
    char *s = malloc(bytes + 64);
    assert_non_null(s);
    size_t n = 0;
    memcpy(s, line, sizeof line - 1);
    n += sizeof line - 1;
    memcpy(s + n, host, sizeof host - 1);
    n += sizeof host - 1;
    size_t fill = bytes - (sizeof host - 1) - strlen("X: \r\n");
    memcpy(s + n, "X: ", 3);
    memset(s + n + 3, 'v', fill);
    n += 3 + fill;
    memcpy(s + n, "\r\n\r\n", 5);
    *total = n + 4;
    return s;
}

static void header_bytes_limit(void **state) {
    (void)state;
    size_t n;
    char *s = fields_of(HTTP_MAX_HEADER_BYTES, &n);
    assert_int_equal(status_both_ways(s, n), (long)n);
    free(s);
    s = fields_of(HTTP_MAX_HEADER_BYTES + 1, &n);
    assert_int_equal(status_both_ways(s, n), -431);
    free(s);
    /* an endless field is refused once past the limit */
    size_t big = 3 * HTTP_MAX_HEADER_BYTES;
    char *endless = malloc(big);
    assert_non_null(endless);
    int k = snprintf(endless, big, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
    memset(endless + k, 'v', big - (size_t)k);
    struct http_request req;
    assert_int_equal(parse_once(endless, big, &req), -431);
    free(endless);
}

static char *n_fields(int fields, size_t *total) {
    char *s = malloc(64 + (size_t)fields * 16);
    assert_non_null(s);
    size_t n = (size_t)sprintf(s, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 1; i < fields; i++)
        n += (size_t)sprintf(s + n, "X%d: %d\r\n", i, i);
    n += (size_t)sprintf(s + n, "\r\n");
    *total = n;
    return s;
}

static void header_count_limit(void **state) {
    (void)state;
    size_t n;
    char *s = n_fields(HTTP_MAX_HEADERS, &n);
    struct http_request req;
    assert_int_equal(parse_once(s, n, &req), (long)n);
    assert_int_equal(req.nheaders, HTTP_MAX_HEADERS);
    assert_true(span_is(req.headers[HTTP_MAX_HEADERS - 1].value, "99"));
    assert_int_equal(status_both_ways(s, n), (long)n);
    free(s);
    s = n_fields(HTTP_MAX_HEADERS + 1, &n);
    assert_int_equal(status_both_ways(s, n), -431);
    free(s);
}

/* ------------------------------------------------------------------------- */
/* paths */

static enum http_path_result decode(const char *t, char *out, size_t cap) {
    size_t n = 999;
    enum http_path_result r = http_decode_path(t, strlen(t), out, cap, &n);
    if (r == HTTP_PATH_OK) assert_int_equal(n, strlen(out));
    return r;
}

static void path_decoding(void **state) {
    (void)state;
    char out[256];
    static const struct {
        const char *target, *path;
    } ok[] = {
        {"/", "/"},
        {"/index.html", "/index.html"},
        {"/a/b/c.txt?x=1&y=../../etc", "/a/b/c.txt"},
        {"/a%20b", "/a b"},
        {"/%41%62%63", "/Abc"},
        {"/page#frag", "/page"},
        {"/a..b/...", "/a..b/..."},
        {"/./x", "/./x"},
        {"/.hidden", "/.hidden"},
        {"/%2e/x", "/./x"},
        {"/a%2Fb", "/a/b"},
        {"http://example.com/a/b", "/a/b"},
        {"HTTP://example.com", "/"},
        {"https://example.com?q", "/"},
        {"/%3f", "/?"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (decode(ok[i].target, out, sizeof out) != HTTP_PATH_OK)
            fail_msg("%s refused", ok[i].target);
        assert_string_equal(out, ok[i].path);
    }
}

static void path_traversal(void **state) {
    (void)state;
    char out[256];
    static const char *const refused[] = {
        "/../etc/passwd",
        "/%2e%2e/",
        "/%2E%2E/etc/passwd",
        "/a/../../b",
        "/a/..",
        "/..",
        "/.%2e/x",
        "/%2e./x",
        "/..%2fetc%2fpasswd",
        "/a%2f..%2f..%2fb",
        "/a%00.html",
        "/%00",
        "/a\\b",
        "/a%5c..%5cb",
        "/..\\x",
        "http://h/../x",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (decode(refused[i], out, sizeof out) != HTTP_PATH_REFUSED)
            fail_msg("%s not refused", refused[i]);
    static const char *const bad[] = {
        "", "*", "a/b", "/%", "/%2", "/%zz", "/%2g", "/a%%", "ftp://h/x", "/%2?x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (decode(bad[i], out, sizeof out) != HTTP_PATH_BAD)
            fail_msg("'%s' not bad", bad[i]);
    /* the output buffer must hold the target */
    assert_int_equal(decode("/abc", out, 5), HTTP_PATH_BAD);
    assert_int_equal(decode("/abc", out, 6), HTTP_PATH_OK);
}

/* ------------------------------------------------------------------------- */
/* responses */

static void mime_types(void **state) {
    (void)state;
    static const struct {
        const char *name, *type;
    } cases[] = {
        {"/index.html", "text/html; charset=utf-8"},
        {"/INDEX.HTM", "text/html; charset=utf-8"},
        {"/s.css", "text/css; charset=utf-8"},
        {"/app.js", "text/javascript; charset=utf-8"},
        {"/d.json", "application/json"},
        {"/r.txt", "text/plain; charset=utf-8"},
        {"/i.png", "image/png"},
        {"/i.jpg", "image/jpeg"},
        {"/i.JPEG", "image/jpeg"},
        {"/i.gif", "image/gif"},
        {"/i.svg", "image/svg+xml"},
        {"/favicon.ico", "image/x-icon"},
        {"/m.wasm", "application/wasm"},
        {"/archive.tar.gz", "application/octet-stream"},
        {"/noext", "application/octet-stream"},
        {"/dir.html/file", "application/octet-stream"},
        {"/trailing.", "application/octet-stream"},
        {"/.html", "text/html; charset=utf-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(http_mime_type(cases[i].name, strlen(cases[i].name)),
                            cases[i].type);
}

static void dates(void **state) {
    (void)state;
    char d[30];
    http_format_date(d, 784111777);
    assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
    http_format_date(d, 0);
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
    http_format_date(d, 951782400); /* a leap day */
    assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 GMT");
}

static void expect_head(const struct http_response_head *h, const char *expected) {
    struct buf b;
    buf_init(&b);
    http_write_head(&b, h);
    assert_false(b.oom);
    assert_int_equal(b.len, strlen(expected));
    assert_memory_equal(b.data, expected, b.len);
    buf_free(&b);
}

static void response_heads(void **state) {
    (void)state;
    expect_head(
        &(struct http_response_head){
            .status = 200, .content_type = "text/plain", .content_length = 14},
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\n");
    expect_head(&(struct http_response_head){.status = 404,
                                             .content_length = 0,
                                             .connection = HTTP_CONN_CLOSE,
                                             .date = "Sun, 06 Nov 1994 08:49:37 GMT"},
                "HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n");
    expect_head(
        &(struct http_response_head){.status = 405,
                                     .content_length = 18446744073709551615u,
                                     .connection = HTTP_CONN_KEEP_ALIVE,
                                     .extra = "Allow: GET, HEAD\r\n"},
        "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 18446744073709551615\r\n"
        "Connection: keep-alive\r\nAllow: GET, HEAD\r\n\r\n");
    assert_string_equal(http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(http_reason(505), "HTTP Version Not Supported");
    assert_string_equal(http_reason(299), "Unknown");
    assert_int_equal(http_connection_for(1, true), HTTP_CONN_DEFAULT);
    assert_int_equal(http_connection_for(0, true), HTTP_CONN_KEEP_ALIVE);
    assert_int_equal(http_connection_for(1, false), HTTP_CONN_CLOSE);
    assert_int_equal(http_connection_for(0, false), HTTP_CONN_CLOSE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(simple_get),
        WT_TEST(bytewise_get),
        WT_TEST(bytewise_post_body),
        WT_TEST(pipelining),
        WT_TEST(pipelining_bytewise),
        WT_TEST(keep_alive),
        WT_TEST(methods_and_versions),
        WT_TEST(leading_empty_lines),
        WT_TEST(content_length),
        WT_TEST(body_limit),
        WT_TEST(transfer_encoding),
        WT_TEST(malformed_400),
        WT_TEST(early_refusal),
        WT_TEST(version_505),
        WT_TEST(request_line_limit),
        WT_TEST(header_bytes_limit),
        WT_TEST(header_count_limit),
        WT_TEST(path_decoding),
        WT_TEST(path_traversal),
        WT_TEST(mime_types),
        WT_TEST(dates),
        WT_TEST(response_heads),
    };
    return WT_RUN_TESTS(tests);
}
