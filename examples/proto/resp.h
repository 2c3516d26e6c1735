/* examples/proto/resp.h: an incremental RESP2 request parser and the reply
 * encoders.
 *
 * A request is either an array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`,
 * what clients and redis-benchmark send, pipelined or not) or an inline command
 * (`PING\r\n`: arguments separated by spaces or tabs, no quoting; a bare LF ends
 * the line too). An empty array (`*0`, `*-1`) or an empty inline line is a
 * command with no arguments: the server skips it without a reply.
 *
 * As with the HTTP parser, the caller's buffer holds the current request from
 * its first byte; it may move between calls that return RESP_NEED_MORE, as long
 * as the bytes stay. Elements already parsed are remembered as offsets, so a
 * command arriving in many pieces is parsed in linear time.
 * After an error the stream cannot be resynchronised: the server answers
 * `-ERR Protocol error: <resp_error_text>` and closes. */
#ifndef PROTO_RESP_H
#define PROTO_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RESP_MAX_BULK_HARD     ((size_t)512 << 20) /* the protocol's ceiling */
#define RESP_DEFAULT_MAX_BULK  ((size_t)64 << 20)
#define RESP_DEFAULT_MAX_QUERY ((size_t)256 << 20) /* one whole command */
#define RESP_MAX_ARGS          (1024 * 1024)
#define RESP_MAX_INLINE        (64 * 1024) /* an inline command, LF excluded */
#define RESP_MAX_LENGTH_LINE   32          /* a '*' or '$' line, CRLF excluded */

enum resp_error {
    RESP_ERR_MULTIBULK_LENGTH = 1, /* '*' count not an integer, > RESP_MAX_ARGS,
                                      or its line not ended by CRLF in time */
    RESP_ERR_BULK_LENGTH,          /* '$' length likewise, or < 0 or > max_bulk */
    RESP_ERR_EXPECTED_DOLLAR,      /* an array element that is not a bulk string */
    RESP_ERR_INLINE_TOO_BIG,       /* no LF within RESP_MAX_INLINE bytes */
    RESP_ERR_BULK_CRLF,            /* bulk data not followed by CRLF */
    RESP_ERR_QUERY_TOO_BIG,        /* the command would exceed max_query */
    RESP_ERR_NOMEM,
};

struct resp_command {
    size_t argc;
    const struct span *argv; /* into the caller's buffer; valid as in http.h */
};

struct resp_arg {
    size_t at, len;
};

struct resp_parser {
    size_t max_bulk, max_query;
    /* the command in progress */
    size_t pos;       /* next element header; inline: bytes searched for LF */
    long long expect; /* elements announced by '*'; -1 before the header */
    size_t nargs;     /* elements parsed */
    struct resp_arg *args;
    struct span *argv;
    size_t cap;    /* of args and argv */
    char bad_byte; /* for RESP_ERR_EXPECTED_DOLLAR */
};

/* max_bulk 0 means RESP_DEFAULT_MAX_BULK (it is capped at RESP_MAX_BULK_HARD);
 * max_query 0 means RESP_DEFAULT_MAX_QUERY. */
void resp_parser_init(struct resp_parser *p, size_t max_bulk, size_t max_query);
void resp_parser_free(struct resp_parser *p);

enum { RESP_NEED_MORE = 0 };

/* Parses one command at buf[0..len). Returns > 0 (complete: that many bytes
 * belong to *cmd, whose argv stays valid until the next call), RESP_NEED_MORE,
 * or -enum resp_error. */
long resp_parse(struct resp_parser *p, const char *buf, size_t len,
                struct resp_command *cmd);

/* Redis's strict integer syntax (as in lengths, INCR, indexes): an optional '-'
 * and digits without leading zeros, within int64_t; "-0", "+1", " 1" are not. */
bool resp_parse_i64(const char *s, size_t n, int64_t *out);

/* The text after "Protocol error: " for an error code (the byte that was found
 * instead of '$' is taken from the parser). */
void resp_error_text(const struct resp_parser *p, int err, struct buf *out);

/* --- replies (RESP2) --- */
void resp_simple(struct buf *out, const char *s);  /* +s (no CR/LF in s) */
void resp_error(struct buf *out, const char *msg); /* -msg; CR/LF become spaces */
void resp_error_span(struct buf *out, struct span msg);
void resp_integer(struct buf *out, long long v);
void resp_bulk(struct buf *out, const void *p, size_t n);
void resp_null(struct buf *out); /* $-1: the null bulk string */
void resp_array(struct buf *out, size_t n);
void resp_null_array(struct buf *out); /* *-1 */

#endif
