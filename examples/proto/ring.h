/* examples/proto/ring.h: a double-ended queue of owned byte strings (the list
 * type of kv.c): push and pop at both ends in O(1) amortised, indexing in O(1).
 *
 * A circular array of power-of-two capacity: item i lives at
 * items[(head + i) & mask]. It doubles when full and halves when under 1/8 full
 * (not under 8 slots), so memory follows the length. Not thread-safe. */
#ifndef PROTO_RING_H
#define PROTO_RING_H

#include <stdbool.h>
#include <stddef.h>

struct ring_item {
    char *ptr; /* owned; non-NULL even when len is 0 */
    size_t len;
};

struct ring {
    struct ring_item *items;
    size_t head, count, mask;
};

void ring_init(struct ring *r);
/* Frees every item and the array. */
void ring_free(struct ring *r);

/* Copies p[0..n) in at the front or back: 0, or -ENOMEM (nothing changed). */
int ring_push_front(struct ring *r, const void *p, size_t n);
int ring_push_back(struct ring *r, const void *p, size_t n);

/* Takes the item out (the caller frees out->ptr): false when empty. */
bool ring_pop_front(struct ring *r, struct ring_item *out);
bool ring_pop_back(struct ring *r, struct ring_item *out);

/* Item i counted from the front (i < count). */
static inline const struct ring_item *ring_at(const struct ring *r, size_t i) {
    return &r->items[(r->head + i) & r->mask];
}

static inline size_t ring_count(const struct ring *r) {
    return r->count;
}

#endif
