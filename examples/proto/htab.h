/* examples/proto/htab.h: an open-addressing hash table of binary-safe keys, the
 * one table type behind the key space, sets and hashes of kv.c.
 *
 * Linear probing with backward-shift deletion (no tombstones): a lookup stops at
 * the first empty slot, so every key sits between its home slot and the next
 * empty one. The table keeps at most 3/4 of its slots full, doubles when it
 * would pass that and halves when it falls below 1/8 (not under 8 slots).
 * The hash is seeded per table owner, so crafted keys cannot be aimed at one
 * probe run. Not thread-safe: its owner serialises access. */
#ifndef PROTO_HTAB_H
#define PROTO_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct htab_entry {
    uint64_t hash;
    char *key; /* owned copy; NULL marks an empty slot */
    size_t klen;
    void *val; /* the owner's: a value, or bytes of length vlen */
    size_t vlen;
    int tag; /* the owner's: e.g. the value's type */
};

struct htab {
    struct htab_entry *slots;
    size_t mask; /* slots - 1; slots is 0 or a power of two */
    size_t count;
    uint64_t seed;
};

uint64_t htab_hash(const void *key, size_t n, uint64_t seed);

void htab_init(struct htab *t, uint64_t seed);

/* Frees the table and every key; free_val (if not NULL) is called on each
 * entry first, to release what val holds. */
void htab_clear(struct htab *t, void (*free_val)(struct htab_entry *));

struct htab_entry *htab_find(const struct htab *t, const void *key, size_t n);
struct htab_entry *htab_find_hashed(const struct htab *t, const void *key, size_t n,
                                    uint64_t hash);

/* Finds key or adds it (copying the key, val NULL, vlen and tag 0): the entry,
 * with *created telling which; NULL when memory runs out (nothing changed).
 * Any insert may move entries: earlier entry pointers become invalid. */
struct htab_entry *htab_upsert(struct htab *t, const void *key, size_t n, bool *created);
struct htab_entry *htab_upsert_hashed(struct htab *t, const void *key, size_t n,
                                      uint64_t hash, bool *created);

/* Removes e (an entry of t) and frees its key; the caller released val. Entry
 * pointers into t become invalid. */
void htab_remove(struct htab *t, struct htab_entry *e);

/* An entry chosen by *rng (a non-zero xorshift state the caller keeps), or NULL
 * when the table is empty. Roughly uniform: the first full slot at or after a
 * random one. */
struct htab_entry *htab_random(const struct htab *t, uint64_t *rng);

static inline size_t htab_count(const struct htab *t) {
    return t->count;
}

#endif
