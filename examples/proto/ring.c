/* examples/proto/ring.c: the double-ended queue of byte strings (see ring.h). */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 8

void ring_init(struct ring *r) {
    *r = (struct ring){0};
}

static size_t slots(const struct ring *r) {
    return r->items ? r->mask + 1 : 0;
}

void ring_free(struct ring *r) {
    for (size_t i = 0; i < r->count; i++)
        free(r->items[(r->head + i) & r->mask].ptr);
    free(r->items);
    ring_init(r);
}

/* Copies the items, in order, to the front of a new array of n slots. */
static bool relocate(struct ring *r, size_t n) {
    struct ring_item *fresh = malloc(n * sizeof *fresh);
    if (!fresh) return false;
    for (size_t i = 0; i < r->count; i++)
        fresh[i] = *ring_at(r, i);
    free(r->items);
    r->items = fresh;
    r->head = 0;
    r->mask = n - 1;
    return true;
}

static int push(struct ring *r, const void *p, size_t n, bool front) {
    if (r->count == slots(r) && !relocate(r, r->count ? r->count * 2 : MIN_SLOTS))
        return -ENOMEM;
    char *copy = malloc(n ? n : 1);
    if (!copy) return -ENOMEM;
    if (n) memcpy(copy, p, n);
    if (front) {
        r->head = (r->head - 1) & r->mask;
        r->items[r->head] = (struct ring_item){copy, n};
    } else {
        r->items[(r->head + r->count) & r->mask] = (struct ring_item){copy, n};
    }
    r->count++;
    return 0;
}

int ring_push_front(struct ring *r, const void *p, size_t n) {
    return push(r, p, n, true);
}
int ring_push_back(struct ring *r, const void *p, size_t n) {
    return push(r, p, n, false);
}

static void after_pop(struct ring *r) {
    size_t n = slots(r);
    if (r->count == 0) {
        free(r->items);
        ring_init(r);
    } else if (n > MIN_SLOTS && r->count * 8 < n) {
        relocate(r, n / 2); /* on failure the array just stays larger */
    }
}

bool ring_pop_front(struct ring *r, struct ring_item *out) {
    if (r->count == 0) return false;
    *out = r->items[r->head];
    r->head = (r->head + 1) & r->mask;
    r->count--;
    after_pop(r);
    return true;
}

bool ring_pop_back(struct ring *r, struct ring_item *out) {
    if (r->count == 0) return false;
    *out = *ring_at(r, r->count - 1);
    r->count--;
    after_pop(r);
    return true;
}
