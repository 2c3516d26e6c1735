/* examples/proto/htab.c: the open-addressing hash table (see htab.h). */
#include "htab.h"

#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 8

static uint64_t rotl(uint64_t x, int r) {
    return x << r | x >> (64 - r);
}

/* A final avalanche so that the low bits (the slot) depend on every input bit. */
static uint64_t finish(uint64_t h) {
    h ^= h >> 31;
    h *= 0x7fb5d329728ea185ULL;
    h ^= h >> 27;
    h *= 0x81dadef4bc2dd44dULL;
    h ^= h >> 33;
    return h;
}

uint64_t htab_hash(const void *key, size_t n, uint64_t seed) {
    const unsigned char *p = key;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = rotl(h ^ (w * 0xc2b2ae3d27d4eb4fULL), 31) * 0x9e3779b97f4a7c15ULL;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    h = rotl(h ^ (w * 0xc2b2ae3d27d4eb4fULL), 31) * 0x9e3779b97f4a7c15ULL;
    return finish(h);
}

void htab_init(struct htab *t, uint64_t seed) {
    *t = (struct htab){.seed = seed};
}

void htab_clear(struct htab *t, void (*free_val)(struct htab_entry *)) {
    if (t->slots) {
        for (size_t i = 0; i <= t->mask; i++) {
            struct htab_entry *e = &t->slots[i];
            if (!e->key) continue;
            if (free_val) free_val(e);
            free(e->key);
        }
    }
    free(t->slots);
    htab_init(t, t->seed);
}

static size_t slot_count(const struct htab *t) {
    return t->slots ? t->mask + 1 : 0;
}

struct htab_entry *htab_find_hashed(const struct htab *t, const void *key, size_t n,
                                    uint64_t hash) {
    if (!t->slots) return NULL;
    for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        struct htab_entry *e = &t->slots[i];
        if (!e->key) return NULL;
        if (e->hash == hash && e->klen == n && memcmp(e->key, key, n) == 0) return e;
    }
}

struct htab_entry *htab_find(const struct htab *t, const void *key, size_t n) {
    return htab_find_hashed(t, key, n, htab_hash(key, n, t->seed));
}

/* Moves every entry into a table of `slots` slots; false if out of memory. */
static bool resize(struct htab *t, size_t slots) {
    struct htab_entry *fresh = calloc(slots, sizeof *fresh);
    if (!fresh) return false;
    size_t mask = slots - 1;
    for (size_t i = 0; i < slot_count(t); i++) {
        struct htab_entry *e = &t->slots[i];
        if (!e->key) continue;
        size_t j = e->hash & mask;
        while (fresh[j].key)
            j = (j + 1) & mask;
        fresh[j] = *e;
    }
    free(t->slots);
    t->slots = fresh;
    t->mask = mask;
    return true;
}

struct htab_entry *htab_upsert_hashed(struct htab *t, const void *key, size_t n,
                                      uint64_t hash, bool *created) {
    struct htab_entry *e = htab_find_hashed(t, key, n, hash);
    if (e) {
        *created = false;
        return e;
    }
    size_t slots = slot_count(t);
    if ((t->count + 1) * 4 > slots * 3 && !resize(t, slots ? slots * 2 : MIN_SLOTS))
        return NULL;
    char *copy = malloc(n ? n : 1); /* non-NULL even for the empty key */
    if (!copy) return NULL;
    if (n) memcpy(copy, key, n);
    size_t i = hash & t->mask;
    while (t->slots[i].key)
        i = (i + 1) & t->mask;
    e = &t->slots[i];
    *e = (struct htab_entry){.hash = hash, .key = copy, .klen = n};
    t->count++;
    *created = true;
    return e;
}

struct htab_entry *htab_upsert(struct htab *t, const void *key, size_t n, bool *created) {
    return htab_upsert_hashed(t, key, n, htab_hash(key, n, t->seed), created);
}

void htab_remove(struct htab *t, struct htab_entry *e) {
    free(e->key);
    size_t hole = (size_t)(e - t->slots);
    /* Backward shift: pull later entries of the run into the hole whenever the
     * hole lies on their probe path (between their home slot and them). */
    for (size_t i = (hole + 1) & t->mask;; i = (i + 1) & t->mask) {
        struct htab_entry *next = &t->slots[i];
        if (!next->key) break;
        size_t home = next->hash & t->mask;
        if (((i - home) & t->mask) >= ((i - hole) & t->mask)) {
            t->slots[hole] = *next;
            hole = i;
        }
    }
    t->slots[hole] = (struct htab_entry){0};
    t->count--;
    size_t slots = slot_count(t);
    if (t->count == 0) {
        free(t->slots);
        htab_init(t, t->seed);
    } else if (slots > MIN_SLOTS && t->count * 8 < slots) {
        resize(t, slots / 2); /* on failure the table just stays larger */
    }
}

struct htab_entry *htab_random(const struct htab *t, uint64_t *rng) {
    if (t->count == 0) return NULL;
    uint64_t x = *rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    for (size_t i = x & t->mask;; i = (i + 1) & t->mask)
        if (t->slots[i].key) return &t->slots[i];
}
