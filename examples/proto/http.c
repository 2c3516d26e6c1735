/* examples/proto/http.c: the HTTP/1.1 request parser, path decoding, response
 * heads and MIME types (see http.h for what is accepted).
 *
 * The parser scans for line ends once: each call resumes at `scanned`. The
 * request line is checked as soon as it is complete, so garbage is refused
 * without waiting for a whole head. When the blank line arrives the head is
 * parsed in full (fields, Content-Length, Host, Connection); if the body is
 * still incomplete, the head is parsed once more when it is, because the
 * request's spans must point into the buffer of that last call. */
#include "http.h"

#include <string.h>

void http_parser_init(struct http_parser *p, size_t max_body) {
    *p = (struct http_parser){0};
    p->max_body = max_body;
}

/* --- character classes (RFC 9110 5.6.2, 5.5) --- */

static bool is_tchar(unsigned char c) {
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
    if (c >= '0' && c <= '9') return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Visible ASCII, space, tab, and obs-text; never CR, LF, NUL or DEL. */
static bool is_field_char(unsigned char c) {
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_target_char(unsigned char c) {
    return c > 0x20 && c < 0x7f;
}

static bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

static char lower(char c) {
    return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

static bool ieq(const char *p, size_t n, const char *lit) {
    size_t m = strlen(lit);
    if (n != m) return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != lower(lit[i])) return false;
    return true;
}

/* --- request line --- */

static enum http_method method_of(const char *p, size_t n) {
    static const char *const names[] = {"GET",     "HEAD",  "POST",  "PUT",    "DELETE",
                                        "OPTIONS", "PATCH", "TRACE", "CONNECT"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && memcmp(names[i], p, n) == 0)
            return (enum http_method)i;
    return HTTP_OTHER;
}

/* s[0..n) is the request line without its CRLF; req may be NULL to only check. */
static long parse_request_line(const char *s, size_t n, struct http_request *req) {
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i == n || s[i] != ' ') return -400;
    size_t method_len = i++;
    size_t target_at = i;
    while (i < n && is_target_char((unsigned char)s[i]))
        i++;
    if (i == target_at || i == n || s[i] != ' ') return -400;
    size_t target_len = i++ - target_at;
    const char *v = s + i;
    if (n - i != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
        v[6] != '.' || v[7] < '0' || v[7] > '9')
        return -400;
    if (v[5] != '1' || v[7] > '1') return -505;
    if (req) {
        req->method_name = (struct span){s, method_len};
        req->method = method_of(s, method_len);
        req->target = (struct span){s + target_at, target_len};
        req->minor = v[7] - '0';
    }
    return 0;
}

/* --- scanning for the end of the head --- */

/* 1 once the blank line is seen, 0 for more bytes, or -status. */
static long scan_head(struct http_parser *p, const char *buf, size_t len) {
    while (p->scanned < len) {
        const char *nl = memchr(buf + p->scanned, '\n', len - p->scanned);
        if (!nl) {
            p->scanned = len;
            break;
        }
        size_t lf = (size_t)(nl - buf);
        p->scanned = lf + 1;
        if (lf == p->line_start || buf[lf - 1] != '\r') return -400; /* bare LF */
        size_t content = lf - 1 - p->line_start;
        if (p->fields_at == 0) {
            /* Measured from the first byte, so skipped empty lines count too. */
            if (lf - 1 > HTTP_MAX_REQUEST_LINE) return -414;
            if (content > 0) {
                long r = parse_request_line(buf + p->line_start, content, NULL);
                if (r < 0) return r;
                p->request_at = p->line_start;
                p->fields_at = p->scanned;
            }
        } else if (content == 0) {
            p->head_len = p->scanned;
            return 1;
        } else if (++p->fields > HTTP_MAX_HEADERS ||
                   p->scanned - p->fields_at > HTTP_MAX_HEADER_BYTES) {
            return -431;
        }
        p->line_start = p->scanned;
    }
    /* The line still open may end in a CR whose LF has not arrived. */
    if (p->fields_at == 0) {
        if (len > HTTP_MAX_REQUEST_LINE + 1) return -414;
    } else if (len - p->fields_at > HTTP_MAX_HEADER_BYTES + 1) {
        return -431;
    }
    return 0;
}

/* --- the head's fields --- */

static long parse_field(const char *s, size_t n, struct http_header *h) {
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    /* A leading space (obs-fold) or one before the colon lands here too. */
    if (i == 0 || i == n || s[i] != ':') return -400;
    h->name = (struct span){s, i};
    i++;
    while (i < n && is_ows(s[i]))
        i++;
    size_t end = n;
    while (end > i && is_ows(s[end - 1]))
        end--;
    for (size_t k = i; k < end; k++)
        if (!is_field_char((unsigned char)s[k])) return -400;
    h->value = (struct span){s + i, end - i};
    return 0;
}

/* Calls fn on each comma-separated element of a field value, trimmed. */
static long each_element(struct span v, long (*fn)(const char *, size_t, void *),
                         void *ctx) {
    size_t i = 0;
    while (i <= v.len) {
        size_t j = i;
        while (j < v.len && v.ptr[j] != ',')
            j++;
        size_t a = i, b = j;
        while (a < b && is_ows(v.ptr[a]))
            a++;
        while (b > a && is_ows(v.ptr[b - 1]))
            b--;
        long r = fn(v.ptr + a, b - a, ctx);
        if (r < 0) return r;
        i = j + 1;
    }
    return 0;
}

struct length_state {
    bool seen;
    uint64_t value;
};

/* One Content-Length element: digits, saturating at UINT64_MAX (then 413). */
static long length_element(const char *s, size_t n, void *ctx) {
    struct length_state *st = ctx;
    if (n == 0) return -400;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -400;
        unsigned d = (unsigned)(s[i] - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    if (st->seen && st->value != v) return -400;
    st->seen = true;
    st->value = v;
    return 0;
}

struct connection_state {
    bool close, keep_alive;
};

static long connection_element(const char *s, size_t n, void *ctx) {
    struct connection_state *st = ctx;
    if (ieq(s, n, "close")) st->close = true;
    if (ieq(s, n, "keep-alive")) st->keep_alive = true;
    return 0;
}

/* Fills req from the complete head; 0 or -status. */
static long parse_head(struct http_parser *p, const char *buf, struct http_request *req) {
    size_t line_len = p->fields_at - 2 - p->request_at;
    long r = parse_request_line(buf + p->request_at, line_len, req);
    if (r < 0) return r;
    req->nheaders = 0;
    int hosts = 0;
    bool chunked_or_other = false;
    struct length_state length = {0};
    struct connection_state conn = {0};
    for (size_t at = p->fields_at; at < p->head_len - 2;) {
        const char *nl = memchr(buf + at, '\n', p->head_len - at);
        size_t end = (size_t)(nl - buf) - 1; /* at the CR */
        struct http_header *h = &req->headers[req->nheaders++];
        r = parse_field(buf + at, end - at, h);
        if (r < 0) return r;
        at = end + 2;
        if (ieq(h->name.ptr, h->name.len, "host")) {
            hosts++;
        } else if (ieq(h->name.ptr, h->name.len, "content-length")) {
            r = each_element(h->value, length_element, &length);
            if (r < 0) return r;
        } else if (ieq(h->name.ptr, h->name.len, "transfer-encoding")) {
            chunked_or_other = true;
        } else if (ieq(h->name.ptr, h->name.len, "connection")) {
            each_element(h->value, connection_element, &conn);
        }
    }
    if (hosts > 1 || (req->minor == 1 && hosts == 0)) return -400;
    if (chunked_or_other) return -501;
    if (length.value > p->max_body) return -413;
    p->content_length = length.value;
    req->content_length = length.value;
    req->keep_alive = req->minor == 1 ? !conn.close : conn.keep_alive && !conn.close;
    return 0;
}

long http_parse(struct http_parser *p, const char *buf, size_t len,
                struct http_request *req) {
    bool parsed = false;
    if (p->head_len == 0) {
        long r = scan_head(p, buf, len);
        if (r <= 0) return r;
        r = parse_head(p, buf, req);
        if (r < 0) return r;
        parsed = true;
    }
    if (len - p->head_len < p->content_length) return HTTP_NEED_MORE;
    if (!parsed) parse_head(p, buf, req); /* cannot fail: it did not before */
    req->body = (struct span){buf + p->head_len, p->content_length};
    size_t total = p->head_len + p->content_length;
    http_parser_init(p, p->max_body);
    return (long)total;
}

const struct span *http_find_header(const struct http_request *req, const char *name) {
    for (int i = 0; i < req->nheaders; i++)
        if (ieq(req->headers[i].name.ptr, req->headers[i].name.len, name))
            return &req->headers[i].value;
    return NULL;
}

/* --- paths --- */

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Where the path starts in an absolute-form target, or -1 if t is not one. */
static long skip_scheme_and_authority(const char *t, size_t n) {
    size_t i;
    if (n >= 7 && ieq(t, 7, "http://"))
        i = 7;
    else if (n >= 8 && ieq(t, 8, "https://"))
        i = 8;
    else
        return -1;
    while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#')
        i++;
    return (long)i;
}

static bool has_dotdot_segment(const char *p, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') return true;
        i = j + 1;
    }
    return false;
}

enum http_path_result http_decode_path(const char *t, size_t n, char *out, size_t cap,
                                       size_t *out_len) {
    size_t i = 0, o = 0;
    if (cap < n + 2) return HTTP_PATH_BAD;
    if (n == 0) return HTTP_PATH_BAD;
    if (t[0] != '/') {
        long at = skip_scheme_and_authority(t, n);
        if (at < 0) return HTTP_PATH_BAD;
        i = (size_t)at;
        if (i == n || t[i] != '/') out[o++] = '/'; /* "http://host" means "/" */
    }
    for (; i < n && t[i] != '?' && t[i] != '#'; i++) {
        char c = t[i];
        if (c == '%') {
            int hi = i + 2 < n ? hex_value(t[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(t[i + 2]) : -1;
            if (lo < 0) return HTTP_PATH_BAD;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0' || c == '\\') return HTTP_PATH_REFUSED;
        out[o++] = c;
    }
    out[o] = '\0';
    if (has_dotdot_segment(out, o)) return HTTP_PATH_REFUSED;
    *out_len = o;
    return HTTP_PATH_OK;
}

/* --- responses --- */

const char *http_reason(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

const char *http_mime_type(const char *name, size_t len) {
    static const struct {
        const char *ext, *type;
    } types[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"svg", "image/svg+xml"},
        {"ico", "image/x-icon"},
        {"wasm", "application/wasm"},
    };
    size_t dot = len;
    for (size_t i = len; i > 0 && name[i - 1] != '/'; i--) {
        if (name[i - 1] == '.') {
            dot = i - 1;
            break;
        }
    }
    if (dot < len) {
        const char *ext = name + dot + 1;
        size_t n = len - dot - 1;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (ieq(ext, n, types[i].ext)) return types[i].type;
    }
    return "application/octet-stream";
}

static char *two_digits(char *p, int v) {
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

void http_format_date(char out[30], time_t t) {
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm;
    gmtime_r(&t, &tm);
    int year = (tm.tm_year + 1900) % 10000;
    char *p = out;
    memcpy(p, days + 3 * (tm.tm_wday % 7), 3);
    p = memcpy(p + 3, ", ", 2);
    p = two_digits(p + 2, tm.tm_mday);
    *p++ = ' ';
    memcpy(p, months + 3 * (tm.tm_mon % 12), 3);
    p[3] = ' ';
    p = two_digits(two_digits(p + 4, year / 100), year % 100);
    *p++ = ' ';
    p = two_digits(p, tm.tm_hour);
    *p++ = ':';
    p = two_digits(p, tm.tm_min);
    *p++ = ':';
    p = two_digits(p, tm.tm_sec);
    memcpy(p, " GMT", 5); /* with the NUL */
}

enum http_connection http_connection_for(int minor, bool keep_alive) {
    if (!keep_alive) return HTTP_CONN_CLOSE;
    return minor == 0 ? HTTP_CONN_KEEP_ALIVE : HTTP_CONN_DEFAULT;
}

static void append_field(struct buf *out, const char *name, const char *value) {
    buf_append_str(out, name);
    buf_append(out, ": ", 2);
    buf_append_str(out, value);
    buf_append(out, "\r\n", 2);
}

void http_write_head(struct buf *out, const struct http_response_head *h) {
    buf_reserve(out, 160); /* the usual head in one growth at most */
    buf_append(out, "HTTP/1.1 ", 9);
    buf_append_u64(out, (uint64_t)h->status);
    buf_append_char(out, ' ');
    buf_append_str(out, http_reason(h->status));
    buf_append(out, "\r\n", 2);
    if (h->date) append_field(out, "Date", h->date);
    if (h->content_type) append_field(out, "Content-Type", h->content_type);
    buf_append_str(out, "Content-Length: ");
    buf_append_u64(out, h->content_length);
    buf_append(out, "\r\n", 2);
    if (h->connection == HTTP_CONN_KEEP_ALIVE)
        buf_append_str(out, "Connection: keep-alive\r\n");
    if (h->connection == HTTP_CONN_CLOSE) buf_append_str(out, "Connection: close\r\n");
    if (h->extra) buf_append_str(out, h->extra);
    buf_append(out, "\r\n", 2);
}
