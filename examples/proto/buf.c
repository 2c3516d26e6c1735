/* examples/proto/buf.c: the growable byte buffer. Growth doubles the capacity,
 * so appending n bytes in any pieces costs O(n) amortised. */
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b) {
    *b = (struct buf){0};
}

void buf_free(struct buf *b) {
    free(b->data);
    *b = (struct buf){0};
}

int buf_reserve(struct buf *b, size_t extra) {
    if (b->oom) return -ENOMEM;
    if (b->cap - b->len >= extra) return 0;
    if (extra > SIZE_MAX / 2 - b->len) goto fail;
    size_t need = b->len + extra, cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) goto fail;
    b->data = d;
    b->cap = cap;
    return 0;
fail:
    b->oom = true;
    return -ENOMEM;
}

void buf_append(struct buf *b, const void *p, size_t n) {
    if (n == 0 || buf_reserve(b, n) != 0) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_append_str(struct buf *b, const char *s) {
    buf_append(b, s, strlen(s));
}

void buf_append_char(struct buf *b, char c) {
    buf_append(b, &c, 1);
}

size_t fmt_u64(char *out, uint64_t v) {
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

void buf_append_u64(struct buf *b, uint64_t v) {
    char d[20];
    buf_append(b, d, fmt_u64(d, v));
}

void buf_append_i64(struct buf *b, int64_t v) {
    if (v < 0) {
        buf_append_char(b, '-');
        /* -(v + 1) + 1 stays representable for INT64_MIN */
        buf_append_u64(b, (uint64_t)(-(v + 1)) + 1);
    } else {
        buf_append_u64(b, (uint64_t)v);
    }
}

void buf_consume(struct buf *b, size_t n) {
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_clear(struct buf *b) {
    b->len = 0;
    b->oom = false;
}
