/* examples/proto/buf.h: a growable byte buffer and a borrowed byte span, shared
 * by the protocol modules and the example servers.
 *
 * Invariants: data[0..len) holds the bytes, len <= cap; a buffer whose growth
 * failed is marked `oom` and ignores further appends, so a caller can append a
 * whole reply and check once before sending it. */
#ifndef PROTO_BUF_H
#define PROTO_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes owned by someone else (binary-safe: not NUL-terminated). */
struct span {
    const char *ptr;
    size_t len;
};

struct buf {
    char *data;
    size_t len, cap;
    bool oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);

/* Makes room for `extra` more bytes after len: 0, or -ENOMEM (and sets oom). */
int buf_reserve(struct buf *b, size_t extra);

void buf_append(struct buf *b, const void *p, size_t n);
void buf_append_str(struct buf *b, const char *s);
void buf_append_char(struct buf *b, char c);
void buf_append_u64(struct buf *b, uint64_t v);
void buf_append_i64(struct buf *b, int64_t v);

/* Drops the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);

/* Empties the buffer, keeping its memory (and clearing oom). */
void buf_clear(struct buf *b);

/* Decimal digits of v into out (at least 20 bytes); returns the count. */
size_t fmt_u64(char *out, uint64_t v);

#endif
