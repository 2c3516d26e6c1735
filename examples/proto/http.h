/* examples/proto/http.h: an incremental HTTP/1.1 request parser, the target-path
 * decoder that refuses traversal, the response-head builder and MIME types.
 *
 * Parsing works on the caller's byte buffer, which holds the current request from
 * its first byte (plus possibly more data behind it). Between calls that return
 * HTTP_NEED_MORE the caller may move the buffer (realloc, compaction) but must
 * keep the bytes it passed and append new ones: the parser keeps offsets, never
 * pointers, and rescans nothing it has already scanned.
 *
 * What is accepted (RFC 9112, strictly):
 *   - request line `METHOD SP target SP HTTP/1.x CRLF`, single spaces, target of
 *     visible ASCII; HTTP/1.0 and HTTP/1.1 (another well-formed version: 505);
 *     empty lines before it are skipped (they count towards its limit);
 *   - lines end in CRLF (a bare LF or CR: 400); no obs-fold (400);
 *   - limits: request line 8 KiB (414), header lines 8 KiB in total and 100
 *     fields (431), body max_body bytes (413);
 *   - bodies by Content-Length only: Transfer-Encoding of any kind is answered
 *     with 501 (chunked request bodies are not supported); repeated
 *     Content-Length values must agree and be plain digits (else 400);
 *   - HTTP/1.1 requires exactly one Host field (400), HTTP/1.0 at most one.
 * After any error the connection cannot be resynchronised: answer and close. */
#ifndef PROTO_HTTP_H
#define PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define HTTP_MAX_REQUEST_LINE 8192 /* bytes before its CRLF */
#define HTTP_MAX_HEADER_BYTES 8192 /* field lines with their CRLFs */
#define HTTP_MAX_HEADERS      100

enum http_method {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_OPTIONS,
    HTTP_PATCH,
    HTTP_TRACE,
    HTTP_CONNECT,
    HTTP_OTHER /* a syntactically valid method this module does not know */
};

struct http_header {
    struct span name, value; /* value without surrounding whitespace */
};

/* A parsed request. Its spans point into the buffer given to http_parse and
 * stay valid until the caller changes or moves those bytes. */
struct http_request {
    enum http_method method;
    struct span method_name;
    struct span target;
    int minor; /* HTTP/1.<minor>: 0 or 1 */
    struct http_header headers[HTTP_MAX_HEADERS];
    int nheaders;
    uint64_t content_length;
    struct span body;
    bool keep_alive; /* the connection may carry another request after this one */
};

/* Progress through the current request; offsets count from its first byte. */
struct http_parser {
    size_t max_body;
    size_t scanned;    /* bytes searched for line ends */
    size_t line_start; /* start of the line being received */
    size_t request_at; /* start of the request line (after skipped empty lines) */
    size_t fields_at;  /* first byte after the request line; 0 until it is seen */
    size_t head_len;   /* through the blank line; 0 until it is seen */
    int fields;        /* field lines seen */
    uint64_t content_length;
};

enum { HTTP_NEED_MORE = 0 };

void http_parser_init(struct http_parser *p, size_t max_body);

/* Parses the request at buf[0..len). Returns:
 *   > 0              complete: *req is filled and that many bytes (head and body)
 *                    belong to it; the parser is ready for the next request;
 *   HTTP_NEED_MORE   call again with more bytes;
 *   < 0              -status to answer with (400, 413, 414, 431, 501, 505).
 * After an error the parser must be re-initialised before reuse. */
long http_parse(struct http_parser *p, const char *buf, size_t len,
                struct http_request *req);

/* The value of the first field named `name` (case-insensitive), or NULL. */
const struct span *http_find_header(const struct http_request *req, const char *name);

/* Results of http_decode_path. */
enum http_path_result {
    HTTP_PATH_OK = 0,
    HTTP_PATH_BAD = -400,     /* not a path, or broken percent-encoding */
    HTTP_PATH_REFUSED = -404, /* a `..` segment, NUL or backslash, once decoded */
};

/* Decodes the path of a request target (origin-form, or absolute-form whose
 * scheme and authority are skipped): drops the query and fragment,
 * percent-decodes, and refuses anything that could leave the document root.
 * out receives the NUL-terminated path, which starts with '/'; cap must be at
 * least target_len + 2. The path never holds "..", NUL or '\\' as a result. */
enum http_path_result http_decode_path(const char *target, size_t target_len, char *out,
                                       size_t cap, size_t *out_len);

/* The reason phrase of a status code ("Unknown" for codes not listed). */
const char *http_reason(int status);

/* Content-Type for a file name, by its extension (case-insensitive). */
const char *http_mime_type(const char *name, size_t len);

/* Formats t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"): 29 bytes and a
 * NUL into out. */
void http_format_date(char out[30], time_t t);

enum http_connection {
    HTTP_CONN_DEFAULT,    /* no Connection field: the version's default holds */
    HTTP_CONN_KEEP_ALIVE, /* needed by HTTP/1.0 clients to keep the connection */
    HTTP_CONN_CLOSE,
};

/* The Connection field a response to `req` needs, given whether the server
 * keeps the connection (an HTTP/1.1 client keeps it by default, 1.0 does not). */
enum http_connection http_connection_for(int minor, bool keep_alive);

struct http_response_head {
    int status;
    const char *content_type; /* NULL: no Content-Type */
    uint64_t content_length;
    enum http_connection connection;
    const char *date;  /* NULL: no Date */
    const char *extra; /* NULL, or complete field lines, each ending in CRLF */
};

/* Appends an HTTP/1.1 status line and the fields, through the blank line. */
void http_write_head(struct buf *out, const struct http_response_head *h);

#endif
