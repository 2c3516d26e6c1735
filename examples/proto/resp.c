/* examples/proto/resp.c: the RESP2 request parser and reply encoders.
 *
 * Invariant of the parser between calls: elements [0, nargs) of the array in
 * progress are complete and recorded as offsets in args; pos is where the next
 * element's '$' line starts. Only the element at pos is ever re-examined, and a
 * length line is at most RESP_MAX_LENGTH_LINE bytes, so feeding a command in
 * pieces costs time linear in its size. */
#include "resp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void resp_parser_init(struct resp_parser *p, size_t max_bulk, size_t max_query) {
    *p = (struct resp_parser){0};
    p->max_bulk = max_bulk == 0                   ? RESP_DEFAULT_MAX_BULK
                  : max_bulk > RESP_MAX_BULK_HARD ? RESP_MAX_BULK_HARD
                                                  : max_bulk;
    p->max_query = max_query ? max_query : RESP_DEFAULT_MAX_QUERY;
    p->expect = -1;
}

void resp_parser_free(struct resp_parser *p) {
    free(p->args);
    free(p->argv);
    p->args = NULL;
    p->argv = NULL;
    p->cap = 0;
}

static void next_command(struct resp_parser *p) {
    p->pos = 0;
    p->expect = -1;
    p->nargs = 0;
}

bool resp_parse_i64(const char *s, size_t n, int64_t *out) {
    size_t i = 0;
    bool negative = n > 0 && s[0] == '-';
    i = negative;
    if (i == n || n - i > 19) return false;
    if (s[i] == '0' && n - i > 1) return false; /* leading zero */
    if (s[i] == '0' && negative) return false;  /* "-0" */
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits cannot wrap */
    }
    if (negative) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)v;
    }
    return true;
}

static int push_arg(struct resp_parser *p, size_t at, size_t len) {
    if (p->nargs == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct resp_arg *args = realloc(p->args, cap * sizeof *args);
        if (!args) return -ENOMEM;
        p->args = args;
        struct span *argv = realloc(p->argv, cap * sizeof *argv);
        if (!argv) return -ENOMEM;
        p->argv = argv;
        p->cap = cap;
    }
    p->args[p->nargs++] = (struct resp_arg){at, len};
    return 0;
}

static long complete(struct resp_parser *p, const char *buf, size_t consumed,
                     struct resp_command *cmd) {
    for (size_t i = 0; i < p->nargs; i++)
        p->argv[i] = (struct span){buf + p->args[i].at, p->args[i].len};
    cmd->argc = p->nargs;
    cmd->argv = p->argv;
    next_command(p);
    return (long)consumed;
}

/* The number on the '*' or '$' line at `at`: 1 with *v and *next (the byte after
 * its CRLF), 0 when the line is incomplete, or -err. */
static long length_line(const char *buf, size_t len, size_t at, int err, int64_t *v,
                        size_t *next) {
    size_t avail = len - at, limit = RESP_MAX_LENGTH_LINE + 3; /* type, CR, LF */
    const char *nl = memchr(buf + at, '\n', avail < limit ? avail : limit);
    if (!nl) return avail < limit ? 0 : -err;
    size_t lf = (size_t)(nl - buf);
    if (lf < at + 2 || buf[lf - 1] != '\r') return -err;
    if (!resp_parse_i64(buf + at + 1, lf - 1 - (at + 1), v)) return -err;
    *next = lf + 1;
    return 1;
}

static long parse_inline(struct resp_parser *p, const char *buf, size_t len,
                         struct resp_command *cmd) {
    const char *nl = memchr(buf + p->pos, '\n', len - p->pos);
    if (!nl) {
        p->pos = len;
        return len > RESP_MAX_INLINE ? -RESP_ERR_INLINE_TOO_BIG : RESP_NEED_MORE;
    }
    size_t lf = (size_t)(nl - buf), end = lf;
    if (lf > RESP_MAX_INLINE) return -RESP_ERR_INLINE_TOO_BIG;
    if (end > 0 && buf[end - 1] == '\r') end--;
    for (size_t i = 0; i < end;) {
        while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        size_t start = i;
        while (i < end && buf[i] != ' ' && buf[i] != '\t')
            i++;
        if (i > start && push_arg(p, start, i - start) != 0) return -RESP_ERR_NOMEM;
    }
    return complete(p, buf, lf + 1, cmd);
}

long resp_parse(struct resp_parser *p, const char *buf, size_t len,
                struct resp_command *cmd) {
    if (p->expect < 0) {
        if (len == 0) return RESP_NEED_MORE;
        if (buf[0] != '*') return parse_inline(p, buf, len, cmd);
        int64_t n;
        size_t next;
        long r = length_line(buf, len, 0, RESP_ERR_MULTIBULK_LENGTH, &n, &next);
        if (r <= 0) return r;
        if (n > RESP_MAX_ARGS) return -RESP_ERR_MULTIBULK_LENGTH;
        if (n <= 0) return complete(p, buf, next, cmd); /* nothing to run */
        p->expect = n;
        p->pos = next;
    }
    while (p->nargs < (size_t)p->expect) {
        if (p->pos >= len) return RESP_NEED_MORE;
        if (buf[p->pos] != '$') {
            p->bad_byte = buf[p->pos];
            return -RESP_ERR_EXPECTED_DOLLAR;
        }
        int64_t n;
        size_t at;
        long r = length_line(buf, len, p->pos, RESP_ERR_BULK_LENGTH, &n, &at);
        if (r <= 0) return r;
        if (n < 0 || (uint64_t)n > p->max_bulk) return -RESP_ERR_BULK_LENGTH;
        size_t size = (size_t)n;
        if (size + 2 > p->max_query - (at < p->max_query ? at : p->max_query))
            return -RESP_ERR_QUERY_TOO_BIG;
        if (len - at < size + 2) return RESP_NEED_MORE;
        if (buf[at + size] != '\r' || buf[at + size + 1] != '\n')
            return -RESP_ERR_BULK_CRLF;
        if (push_arg(p, at, size) != 0) return -RESP_ERR_NOMEM;
        p->pos = at + size + 2;
    }
    return complete(p, buf, p->pos, cmd);
}

void resp_error_text(const struct resp_parser *p, int err, struct buf *out) {
    switch (err) {
    case RESP_ERR_MULTIBULK_LENGTH:
        buf_append_str(out, "invalid multibulk length");
        break;
    case RESP_ERR_BULK_LENGTH:
        buf_append_str(out, "invalid bulk length");
        break;
    case RESP_ERR_EXPECTED_DOLLAR:
        buf_append_str(out, "expected '$', got '");
        buf_append_char(out, p->bad_byte);
        buf_append_char(out, '\'');
        break;
    case RESP_ERR_INLINE_TOO_BIG:
        buf_append_str(out, "too big inline request");
        break;
    case RESP_ERR_BULK_CRLF:
        buf_append_str(out, "bulk data not followed by CRLF");
        break;
    case RESP_ERR_QUERY_TOO_BIG:
        buf_append_str(out, "too big request");
        break;
    case RESP_ERR_NOMEM:
        buf_append_str(out, "out of memory");
        break;
    default:
        buf_append_str(out, "unknown error");
        break;
    }
}

/* --- replies --- */

static void crlf(struct buf *out) {
    buf_append(out, "\r\n", 2);
}

void resp_simple(struct buf *out, const char *s) {
    buf_append_char(out, '+');
    buf_append_str(out, s);
    crlf(out);
}

void resp_error_span(struct buf *out, struct span msg) {
    if (buf_reserve(out, msg.len + 3) != 0) return;
    char *d = out->data + out->len;
    d[0] = '-';
    for (size_t i = 0; i < msg.len; i++) {
        char c = msg.ptr[i];
        d[1 + i] = c == '\r' || c == '\n' ? ' ' : c; /* keep the reply one line */
    }
    d[1 + msg.len] = '\r';
    d[2 + msg.len] = '\n';
    out->len += msg.len + 3;
}

void resp_error(struct buf *out, const char *msg) {
    resp_error_span(out, (struct span){msg, strlen(msg)});
}

void resp_integer(struct buf *out, long long v) {
    buf_append_char(out, ':');
    buf_append_i64(out, v);
    crlf(out);
}

void resp_bulk(struct buf *out, const void *p, size_t n) {
    if (buf_reserve(out, n + 32) != 0) return;
    buf_append_char(out, '$');
    buf_append_u64(out, n);
    crlf(out);
    buf_append(out, p, n);
    crlf(out);
}

void resp_null(struct buf *out) {
    buf_append(out, "$-1\r\n", 5);
}

void resp_array(struct buf *out, size_t n) {
    buf_append_char(out, '*');
    buf_append_u64(out, n);
    crlf(out);
}

void resp_null_array(struct buf *out) {
    buf_append(out, "*-1\r\n", 5);
}
