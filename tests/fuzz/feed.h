/* tests/fuzz/feed.h: what the parser fuzzers (fuzz_http, fuzz_resp) share: the
 * failure macros, the input hash that picks limits and split points, and the
 * three ways of feeding one message to an incremental parser, whose results
 * must agree:
 *   WHOLE     every byte at once;
 *   BYTEWISE  a prefix one byte longer per call, each in a fresh buffer of its
 *             exact length (so a read past the bytes given is an ASan error),
 *             or in one buffer past FEED_FRESH_LIMIT bytes;
 *   SPLIT     two reads: up to the split point, then the rest.
 * The including file defines FUZZ_NAME (a string) first. */
#ifndef WEFT_TESTS_FUZZ_FEED_H
#define WEFT_TESTS_FUZZ_FEED_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                                        \
    do {                                                                                 \
        fprintf(stderr, FUZZ_NAME ": ");                                                 \
        fprintf(stderr, __VA_ARGS__);                                                    \
        fputc('\n', stderr);                                                             \
        abort();                                                                         \
    } while (0)
#define CHECK(c, ...)                                                                    \
    do {                                                                                 \
        if (!(c)) FAIL(__VA_ARGS__);                                                     \
    } while (0)

#define FEED_FRESH_LIMIT 1024 /* byte-at-a-time copies each prefix up to this size */

enum way { WHOLE, BYTEWISE, SPLIT };

static inline char *feed_copy(const uint8_t *p, size_t n) {
    char *b = malloc(n ? n : 1);
    CHECK(b, "out of memory");
    memcpy(b, p, n);
    return b;
}

static inline uint64_t feed_hash(const uint8_t *d, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 1099511628211ull;
    return h;
}

/* One parse step: the parser's return for buf[0..n) (> 0: a message of that
 * many bytes, 0: needs more, < 0: an error). */
typedef long (*feed_parse_fn)(void *ctx, const char *buf, size_t n);

/* Feeds s[0..rest) to parse the given way; `first` is the length of SPLIT's
 * first read. Returns the parser's result; *avail is how many bytes the last
 * call saw, and *owned the buffer those bytes are in (NULL: s itself), which
 * the caller frees once it has read the message. */
static inline long feed(enum way way, const uint8_t *s, size_t rest, size_t first,
                        feed_parse_fn parse, void *ctx, size_t *avail, char **owned) {
    char *b = NULL;
    long r = 0;
    size_t n = 0;
    if (way == WHOLE) {
        n = rest;
        r = parse(ctx, (const char *)s, rest);
    } else if (way == BYTEWISE && rest > FEED_FRESH_LIMIT) {
        b = feed_copy(s, rest); /* one buffer: too long to copy every prefix */
        for (n = 1; n <= rest && r == 0; n++)
            r = parse(ctx, b, n);
        n--;
    } else if (way == BYTEWISE) {
        for (n = 1; n <= rest && r == 0; n++) {
            char *nb = feed_copy(s, n);
            free(b);
            b = nb;
            r = parse(ctx, b, n);
        }
        n--;
    } else {
        n = first;
        b = feed_copy(s, n);
        r = parse(ctx, b, n);
        if (r == 0 && n < rest) {
            char *nb = feed_copy(s, rest);
            free(b);
            b = nb;
            n = rest;
            r = parse(ctx, b, n);
        }
    }
    *avail = n;
    *owned = b;
    return r;
}

#endif
