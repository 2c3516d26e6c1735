/* examples/proto/kv.c: the sharded store and its commands (see kv.h).
 *
 * Invariants: a key's hash picks both its shard (top bits) and its slot in the
 * shard's table (low bits), so it is computed once per key and command. Every
 * key holds a value of exactly one type (the entry's tag); a list, set or hash
 * that becomes empty is deleted with its key, as in Redis, so "missing" and
 * "empty" never differ. Shard locks are taken in ascending shard order. */
#include "kv.h"

#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "htab.h"
#include "resp.h"
#include "ring.h"
#include "weft/mutex.h"
#include "weft/time.h"

#define SHARD_BITS 6
#define SHARDS     (1u << SHARD_BITS) /* one bit each in a uint64_t mask */
#define ALL_SHARDS UINT64_MAX

enum type { T_STRING = 1, T_LIST, T_SET, T_HASH };

struct shard {
    alignas(64) weft_mutex_t lock; /* one cache line per shard's hot part */
    struct htab keys;
    uint64_t rng; /* xorshift state for SPOP, under the lock */
};

struct kv_store {
    struct shard shards[SHARDS];
    uint64_t seed;
};

static const char WRONGTYPE[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
static const char NOT_INTEGER[] = "ERR value is not an integer or out of range";
static const char NOT_POSITIVE[] = "ERR value is out of range, must be positive";
static const char SYNTAX[] = "ERR syntax error";
static const char NO_MEMORY[] = "ERR out of memory";

/* One command being run. */
struct call {
    struct kv_store *kv;
    size_t argc;
    const struct span *argv;
    struct buf *out;
    const char *name; /* lower case, for error messages */
};

static bool ieq(struct span s, const char *lit) {
    size_t n = strlen(lit);
    if (s.len != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s.ptr[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c | 0x20);
        if (c != lit[i]) return false;
    }
    return true;
}

/* --- creation and values --- */

static uint64_t random_seed(void) {
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)&s;
    }
    return s;
}

int kv_create(struct kv_store **out) {
    struct kv_store *kv = aligned_alloc(alignof(struct kv_store), sizeof *kv);
    if (!kv) return -ENOMEM;
    kv->seed = random_seed();
    for (unsigned i = 0; i < SHARDS; i++) {
        struct shard *s = &kv->shards[i];
        weft_mutex_init(&s->lock);
        htab_init(&s->keys, kv->seed);
        s->rng = (kv->seed ^ (0x9e3779b97f4a7c15ULL * (i + 1))) | 1; /* never 0 */
    }
    *out = kv;
    return 0;
}

static void free_field(struct htab_entry *e) {
    free(e->val);
}

static void free_value(struct htab_entry *e) {
    switch (e->tag) {
    case T_STRING:
        free(e->val);
        break;
    case T_LIST:
        ring_free(e->val);
        break;
    case T_SET:
        htab_clear(e->val, NULL);
        break;
    case T_HASH:
        htab_clear(e->val, free_field);
        break;
    }
    if (e->tag != T_STRING) free(e->val);
    e->val = NULL;
}

void kv_destroy(struct kv_store *kv) {
    if (!kv) return;
    for (unsigned i = 0; i < SHARDS; i++) {
        htab_clear(&kv->shards[i].keys, free_value);
        weft_mutex_destroy(&kv->shards[i].lock);
    }
    free(kv);
}

static void delete_entry(struct shard *s, struct htab_entry *e) {
    free_value(e);
    htab_remove(&s->keys, e);
}

static char *copy_bytes(struct span v) {
    char *p = malloc(v.len ? v.len : 1);
    if (p && v.len) memcpy(p, v.ptr, v.len);
    return p;
}

/* Makes key a string holding v, whatever it held: 0 or -ENOMEM (unchanged). */
static int set_string(struct shard *s, struct span key, uint64_t hash, struct span v) {
    char *copy = copy_bytes(v);
    if (!copy) return -ENOMEM;
    bool created;
    struct htab_entry *e = htab_upsert_hashed(&s->keys, key.ptr, key.len, hash, &created);
    if (!e) {
        free(copy);
        return -ENOMEM;
    }
    if (!created) free_value(e);
    e->tag = T_STRING;
    e->val = copy;
    e->vlen = v.len;
    return 0;
}

/* --- locking --- */

static uint64_t key_hash(const struct kv_store *kv, struct span key) {
    return htab_hash(key.ptr, key.len, kv->seed);
}

static unsigned shard_of(uint64_t hash) {
    return (unsigned)(hash >> (64 - SHARD_BITS));
}

static void unlock_shards(struct kv_store *kv, uint64_t mask) {
    for (unsigned i = 0; i < SHARDS; i++)
        if (mask >> i & 1) weft_mutex_unlock(&kv->shards[i].lock);
}

/* Locks the shards in mask, lowest first; false (nothing held, an error
 * replied) if the calling fiber is cancelled while waiting. */
static bool lock_shards(struct call *c, uint64_t mask) {
    for (unsigned i = 0; i < SHARDS; i++) {
        if (!(mask >> i & 1)) continue;
        if (weft_mutex_lock(&c->kv->shards[i].lock, WEFT_FOREVER) != 0) {
            unlock_shards(c->kv, mask & ((UINT64_C(1) << i) - 1));
            resp_error(c->out, "ERR interrupted");
            return false;
        }
    }
    return true;
}

/* Locks the shard of argv[i]: the shard (and *hash), or NULL as lock_shards. */
static struct shard *lock_key(struct call *c, size_t i, uint64_t *hash) {
    *hash = key_hash(c->kv, c->argv[i]);
    unsigned n = shard_of(*hash);
    return lock_shards(c, UINT64_C(1) << n) ? &c->kv->shards[n] : NULL;
}

static struct htab_entry *find(struct shard *s, struct span key, uint64_t hash) {
    return htab_find_hashed(&s->keys, key.ptr, key.len, hash);
}

/* The hashes of the keys argv[first], argv[first + step], ... and the mask of
 * their shards. */
struct keys {
    uint64_t *hash;
    uint64_t mask;
    uint64_t small[16];
};

static bool hash_keys(struct call *c, size_t first, size_t step, struct keys *k) {
    size_t n = (c->argc - first + step - 1) / step;
    k->hash = n <= 16 ? k->small : malloc(n * sizeof *k->hash);
    if (!k->hash) {
        resp_error(c->out, NO_MEMORY);
        return false;
    }
    k->mask = 0;
    for (size_t i = 0; i < n; i++) {
        k->hash[i] = key_hash(c->kv, c->argv[first + i * step]);
        k->mask |= UINT64_C(1) << shard_of(k->hash[i]);
    }
    return true;
}

static void free_keys(struct keys *k) {
    if (k->hash != k->small) free(k->hash);
}

/* --- replies shared by several commands --- */

static void reply_arity(struct call *c) {
    buf_append_str(c->out, "-ERR wrong number of arguments for '");
    buf_append_str(c->out, c->name);
    buf_append_str(c->out, "' command\r\n");
}

static void reply_unknown_subcommand(struct call *c, const char *upper) {
    struct buf msg;
    buf_init(&msg);
    buf_append_str(&msg, "ERR unknown subcommand '");
    buf_append(&msg, c->argv[1].ptr, c->argv[1].len < 128 ? c->argv[1].len : 128);
    buf_append_str(&msg, "'. Try ");
    buf_append_str(&msg, upper);
    buf_append_str(&msg, " HELP.");
    if (msg.oom)
        c->out->oom = true;
    else
        resp_error_span(c->out, (struct span){msg.data, msg.len});
    buf_free(&msg);
}

static void reply_unknown_command(struct call *c) {
    struct buf msg;
    buf_init(&msg);
    buf_append_str(&msg, "ERR unknown command '");
    buf_append(&msg, c->argv[0].ptr, c->argv[0].len < 128 ? c->argv[0].len : 128);
    buf_append_str(&msg, "', with args beginning with: ");
    size_t args = 0; /* as Redis: quote each argument until 128 bytes are shown */
    for (size_t i = 1; i < c->argc && args < 128; i++) {
        size_t take = c->argv[i].len < 128 - args ? c->argv[i].len : 128 - args;
        buf_append_char(&msg, '\'');
        buf_append(&msg, c->argv[i].ptr, take);
        buf_append_str(&msg, "' ");
        args += take + 3;
    }
    if (msg.oom)
        c->out->oom = true;
    else
        resp_error_span(c->out, (struct span){msg.data, msg.len});
    buf_free(&msg);
}

/* Parses argv[i] as a count >= 0 (LPOP/SPOP); false with the error replied. */
static bool parse_count(struct call *c, size_t i, int64_t *count) {
    if (!resp_parse_i64(c->argv[i].ptr, c->argv[i].len, count)) {
        resp_error(c->out, NOT_INTEGER);
        return false;
    }
    if (*count < 0) {
        resp_error(c->out, NOT_POSITIVE);
        return false;
    }
    return true;
}

/* --- connection and server commands --- */

static enum kv_status cmd_ping(struct call *c) {
    if (c->argc > 2)
        reply_arity(c);
    else if (c->argc == 2)
        resp_bulk(c->out, c->argv[1].ptr, c->argv[1].len);
    else
        resp_simple(c->out, "PONG");
    return KV_OK;
}

static enum kv_status cmd_echo(struct call *c) {
    resp_bulk(c->out, c->argv[1].ptr, c->argv[1].len);
    return KV_OK;
}

static enum kv_status cmd_quit(struct call *c) {
    resp_simple(c->out, "OK");
    return KV_CLOSE;
}

static enum kv_status cmd_select(struct call *c) {
    int64_t db;
    if (!resp_parse_i64(c->argv[1].ptr, c->argv[1].len, &db))
        resp_error(c->out, NOT_INTEGER);
    else if (db != 0)
        resp_error(c->out, "ERR DB index is out of range");
    else
        resp_simple(c->out, "OK");
    return KV_OK;
}

/* CONFIG GET answers that nothing is configured: enough for redis-benchmark. */
static enum kv_status cmd_config(struct call *c) {
    if (!ieq(c->argv[1], "get")) {
        reply_unknown_subcommand(c, "CONFIG");
    } else if (c->argc < 3) {
        c->name = "config|get";
        reply_arity(c);
    } else {
        resp_array(c->out, 0);
    }
    return KV_OK;
}

/* No command metadata: clients (redis-cli) then fall back to plain behaviour. */
static enum kv_status cmd_command(struct call *c) {
    if (c->argc == 1 || ieq(c->argv[1], "docs"))
        resp_array(c->out, 0);
    else
        reply_unknown_subcommand(c, "COMMAND");
    return KV_OK;
}

static enum kv_status cmd_flushall(struct call *c) {
    if (c->argc > 2 ||
        (c->argc == 2 && !ieq(c->argv[1], "async") && !ieq(c->argv[1], "sync"))) {
        resp_error(c->out, SYNTAX);
        return KV_OK;
    }
    if (!lock_shards(c, ALL_SHARDS)) return KV_OK;
    for (unsigned i = 0; i < SHARDS; i++)
        htab_clear(&c->kv->shards[i].keys, free_value);
    unlock_shards(c->kv, ALL_SHARDS);
    resp_simple(c->out, "OK");
    return KV_OK;
}

static enum kv_status cmd_dbsize(struct call *c) {
    resp_integer(c->out, (long long)kv_key_count(c->kv));
    return KV_OK;
}

/* --- strings --- */

static enum kv_status cmd_set(struct call *c) {
    if (c->argc != 3) { /* options (EX, NX, ...) are not supported */
        resp_error(c->out, SYNTAX);
        return KV_OK;
    }
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    int r = set_string(s, c->argv[1], h, c->argv[2]);
    weft_mutex_unlock(&s->lock);
    if (r == 0)
        resp_simple(c->out, "OK");
    else
        resp_error(c->out, NO_MEMORY);
    return KV_OK;
}

static enum kv_status cmd_get(struct call *c) {
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e = find(s, c->argv[1], h);
    if (!e)
        resp_null(c->out);
    else if (e->tag != T_STRING)
        resp_error(c->out, WRONGTYPE);
    else
        resp_bulk(c->out, e->val, e->vlen);
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

static enum kv_status cmd_incr(struct call *c) {
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e = find(s, c->argv[1], h);
    int64_t v = 0;
    if (e && e->tag != T_STRING) {
        resp_error(c->out, WRONGTYPE);
    } else if (e && !resp_parse_i64(e->val, e->vlen, &v)) {
        resp_error(c->out, NOT_INTEGER);
    } else if (v == INT64_MAX) {
        resp_error(c->out, "ERR increment or decrement would overflow");
    } else {
        v++;
        char digits[21];
        size_t n = 0;
        if (v < 0) digits[n++] = '-';
        n += fmt_u64(digits + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
        if (set_string(s, c->argv[1], h, (struct span){digits, n}) == 0)
            resp_integer(c->out, v);
        else
            resp_error(c->out, NO_MEMORY);
    }
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

static enum kv_status cmd_mset(struct call *c) {
    if (c->argc % 2 == 0) {
        reply_arity(c);
        return KV_OK;
    }
    struct keys k;
    if (!hash_keys(c, 1, 2, &k)) return KV_OK;
    if (lock_shards(c, k.mask)) {
        int r = 0;
        for (size_t i = 1; i < c->argc && r == 0; i += 2) {
            uint64_t h = k.hash[i / 2];
            r = set_string(&c->kv->shards[shard_of(h)], c->argv[i], h, c->argv[i + 1]);
        }
        unlock_shards(c->kv, k.mask);
        if (r == 0)
            resp_simple(c->out, "OK");
        else
            resp_error(c->out, NO_MEMORY);
    }
    free_keys(&k);
    return KV_OK;
}

static enum kv_status cmd_mget(struct call *c) {
    struct keys k;
    if (!hash_keys(c, 1, 1, &k)) return KV_OK;
    if (lock_shards(c, k.mask)) {
        resp_array(c->out, c->argc - 1);
        for (size_t i = 1; i < c->argc; i++) {
            uint64_t h = k.hash[i - 1];
            struct htab_entry *e = find(&c->kv->shards[shard_of(h)], c->argv[i], h);
            if (e && e->tag == T_STRING)
                resp_bulk(c->out, e->val, e->vlen);
            else
                resp_null(c->out); /* missing, or not a string */
        }
        unlock_shards(c->kv, k.mask);
    }
    free_keys(&k);
    return KV_OK;
}

/* --- keys --- */

/* DEL (remove = true) counts keys removed; EXISTS counts keys present, a key
 * named twice counting twice. */
static enum kv_status count_keys(struct call *c, bool remove) {
    struct keys k;
    if (!hash_keys(c, 1, 1, &k)) return KV_OK;
    if (lock_shards(c, k.mask)) {
        long long n = 0;
        for (size_t i = 1; i < c->argc; i++) {
            uint64_t h = k.hash[i - 1];
            struct shard *s = &c->kv->shards[shard_of(h)];
            struct htab_entry *e = find(s, c->argv[i], h);
            if (!e) continue;
            n++;
            if (remove) delete_entry(s, e);
        }
        unlock_shards(c->kv, k.mask);
        resp_integer(c->out, n);
    }
    free_keys(&k);
    return KV_OK;
}

static enum kv_status cmd_del(struct call *c) {
    return count_keys(c, true);
}
static enum kv_status cmd_exists(struct call *c) {
    return count_keys(c, false);
}

/* --- containers --- */

enum found { MISSING, FOUND, WRONG_TYPE };

/* Looks argv[1] up as a value of `type`; WRONG_TYPE has been replied. */
static enum found lookup(struct call *c, struct shard *s, uint64_t h, int type,
                         struct htab_entry **e) {
    *e = find(s, c->argv[1], h);
    if (!*e) return MISSING;
    if ((*e)->tag == type) return FOUND;
    resp_error(c->out, WRONGTYPE);
    return WRONG_TYPE;
}

/* argv[1]'s list, set or hash, created empty if missing: NULL with the error
 * replied (WRONGTYPE, out of memory). */
static struct htab_entry *container(struct call *c, struct shard *s, uint64_t h,
                                    int type) {
    struct htab_entry *e;
    enum found f = lookup(c, s, h, type, &e);
    if (f != MISSING) return f == FOUND ? e : NULL;
    void *val =
        type == T_LIST ? malloc(sizeof(struct ring)) : malloc(sizeof(struct htab));
    bool created;
    struct span key = c->argv[1];
    e = val ? htab_upsert_hashed(&s->keys, key.ptr, key.len, h, &created) : NULL;
    if (!e) {
        free(val);
        resp_error(c->out, NO_MEMORY);
        return NULL;
    }
    if (type == T_LIST)
        ring_init(val);
    else
        htab_init(val, c->kv->seed ^ 0x5bd1e9955bd1e995ULL);
    e->tag = type;
    e->val = val;
    return e;
}

/* Deletes the key of e if its container is empty. */
static void drop_if_empty(struct shard *s, struct htab_entry *e) {
    size_t n = e->tag == T_LIST ? ring_count(e->val) : htab_count(e->val);
    if (n == 0) delete_entry(s, e);
}

static enum kv_status push(struct call *c, bool front) {
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e = container(c, s, h, T_LIST);
    if (e) {
        struct ring *list = e->val;
        int r = 0;
        for (size_t i = 2; i < c->argc && r == 0; i++)
            r = front ? ring_push_front(list, c->argv[i].ptr, c->argv[i].len)
                      : ring_push_back(list, c->argv[i].ptr, c->argv[i].len);
        if (r == 0)
            resp_integer(c->out, (long long)ring_count(list));
        else
            resp_error(c->out, NO_MEMORY);
        drop_if_empty(s, e);
    }
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

static enum kv_status cmd_lpush(struct call *c) {
    return push(c, true);
}
static enum kv_status cmd_rpush(struct call *c) {
    return push(c, false);
}

static enum kv_status pop(struct call *c, bool front) {
    if (c->argc > 3) {
        reply_arity(c);
        return KV_OK;
    }
    bool counted = c->argc == 3;
    int64_t count = 0;
    if (counted && !parse_count(c, 2, &count)) return KV_OK;
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e;
    enum found f = lookup(c, s, h, T_LIST, &e);
    if (f == MISSING) {
        if (counted)
            resp_null_array(c->out);
        else
            resp_null(c->out);
    } else if (f == FOUND) {
        size_t n = ring_count(e->val);
        if (counted && (uint64_t)count < n) n = (size_t)count;
        if (!counted)
            n = 1;
        else
            resp_array(c->out, n);
        for (size_t i = 0; i < n; i++) {
            struct ring_item it;
            if (front)
                ring_pop_front(e->val, &it);
            else
                ring_pop_back(e->val, &it);
            resp_bulk(c->out, it.ptr, it.len);
            free(it.ptr);
        }
        drop_if_empty(s, e);
    }
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

static enum kv_status cmd_lpop(struct call *c) {
    return pop(c, true);
}
static enum kv_status cmd_rpop(struct call *c) {
    return pop(c, false);
}

static enum kv_status cmd_llen(struct call *c) {
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e;
    enum found f = lookup(c, s, h, T_LIST, &e);
    if (f != WRONG_TYPE)
        resp_integer(c->out, f == FOUND ? (long long)ring_count(e->val) : 0);
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

static enum kv_status cmd_lrange(struct call *c) {
    int64_t start, stop;
    if (!resp_parse_i64(c->argv[2].ptr, c->argv[2].len, &start) ||
        !resp_parse_i64(c->argv[3].ptr, c->argv[3].len, &stop)) {
        resp_error(c->out, NOT_INTEGER);
        return KV_OK;
    }
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e;
    enum found f = lookup(c, s, h, T_LIST, &e);
    if (f == MISSING) {
        resp_array(c->out, 0);
    } else if (f == FOUND) {
        const struct ring *list = e->val;
        int64_t len = (int64_t)ring_count(list);
        /* Redis's rule: negative counts from the end, then clamp. */
        if (start < 0) start += len;
        if (stop < 0) stop += len;
        if (start < 0) start = 0;
        if (start > stop || start >= len) {
            resp_array(c->out, 0);
        } else {
            if (stop >= len) stop = len - 1;
            resp_array(c->out, (size_t)(stop - start + 1));
            for (int64_t i = start; i <= stop; i++) {
                const struct ring_item *it = ring_at(list, (size_t)i);
                resp_bulk(c->out, it->ptr, it->len);
            }
        }
    }
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

static enum kv_status cmd_sadd(struct call *c) {
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e = container(c, s, h, T_SET);
    if (e) {
        long long added = 0;
        bool created, failed = false;
        for (size_t i = 2; i < c->argc && !failed; i++) {
            failed = !htab_upsert(e->val, c->argv[i].ptr, c->argv[i].len, &created);
            added += !failed && created;
        }
        if (failed)
            resp_error(c->out, NO_MEMORY);
        else
            resp_integer(c->out, added);
        drop_if_empty(s, e);
    }
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

static enum kv_status cmd_spop(struct call *c) {
    if (c->argc > 3) {
        resp_error(c->out, SYNTAX);
        return KV_OK;
    }
    bool counted = c->argc == 3;
    int64_t count = 1;
    if (counted && !parse_count(c, 2, &count)) return KV_OK;
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e;
    enum found f = lookup(c, s, h, T_SET, &e);
    if (f == MISSING) {
        if (counted)
            resp_array(c->out, 0);
        else
            resp_null(c->out);
    } else if (f == FOUND) {
        struct htab *set = e->val;
        size_t n = htab_count(set);
        if ((uint64_t)count < n) n = (size_t)count;
        if (counted) resp_array(c->out, n);
        for (size_t i = 0; i < n; i++) {
            struct htab_entry *m = htab_random(set, &s->rng);
            resp_bulk(c->out, m->key, m->klen);
            htab_remove(set, m);
        }
        drop_if_empty(s, e);
    }
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

static enum kv_status cmd_hset(struct call *c) {
    if (c->argc % 2 == 1) {
        reply_arity(c);
        return KV_OK;
    }
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e = container(c, s, h, T_HASH);
    if (e) {
        long long added = 0;
        bool failed = false;
        for (size_t i = 2; i < c->argc && !failed; i += 2) {
            char *v = copy_bytes(c->argv[i + 1]);
            bool created;
            struct htab_entry *f =
                v ? htab_upsert(e->val, c->argv[i].ptr, c->argv[i].len, &created) : NULL;
            if (!f) {
                free(v);
                failed = true;
                break;
            }
            if (!created) free(f->val);
            f->val = v;
            f->vlen = c->argv[i + 1].len;
            added += created;
        }
        if (failed)
            resp_error(c->out, NO_MEMORY);
        else
            resp_integer(c->out, added);
        drop_if_empty(s, e);
    }
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

static enum kv_status cmd_hget(struct call *c) {
    uint64_t h;
    struct shard *s = lock_key(c, 1, &h);
    if (!s) return KV_OK;
    struct htab_entry *e, *field = NULL;
    enum found f = lookup(c, s, h, T_HASH, &e);
    if (f == FOUND) field = htab_find(e->val, c->argv[2].ptr, c->argv[2].len);
    if (field)
        resp_bulk(c->out, field->val, field->vlen);
    else if (f != WRONG_TYPE)
        resp_null(c->out);
    weft_mutex_unlock(&s->lock);
    return KV_OK;
}

/* --- dispatch --- */

struct command {
    const char *name;
    int arity; /* Redis's convention: n exactly, or -n for at least n */
    enum kv_status (*run)(struct call *c);
};

static const struct command commands[] = {
    {"get", 2, cmd_get},
    {"set", -3, cmd_set},
    {"incr", 2, cmd_incr},
    {"lpush", -3, cmd_lpush},
    {"rpush", -3, cmd_rpush},
    {"lpop", -2, cmd_lpop},
    {"rpop", -2, cmd_rpop},
    {"sadd", -3, cmd_sadd},
    {"spop", -2, cmd_spop},
    {"hset", -4, cmd_hset},
    {"hget", 3, cmd_hget},
    {"lrange", 4, cmd_lrange},
    {"llen", 2, cmd_llen},
    {"mset", -3, cmd_mset},
    {"mget", -2, cmd_mget},
    {"del", -2, cmd_del},
    {"exists", -2, cmd_exists},
    {"ping", -1, cmd_ping},
    {"echo", 2, cmd_echo},
    {"config", -2, cmd_config},
    {"command", -1, cmd_command},
    {"select", 2, cmd_select},
    {"flushall", -1, cmd_flushall},
    {"flushdb", -1, cmd_flushall},
    {"dbsize", 1, cmd_dbsize},
    {"quit", -1, cmd_quit},
};

enum kv_status kv_exec(struct kv_store *kv, size_t argc, const struct span *argv,
                       struct buf *out) {
    struct call c = {kv, argc, argv, out, NULL};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct command *cmd = &commands[i];
        if (!ieq(argv[0], cmd->name)) continue;
        c.name = cmd->name;
        if (cmd->arity > 0 ? argc != (size_t)cmd->arity : argc < (size_t)-cmd->arity) {
            reply_arity(&c);
            return KV_OK;
        }
        return cmd->run(&c);
    }
    reply_unknown_command(&c);
    return KV_OK;
}

size_t kv_key_count(struct kv_store *kv) {
    size_t n = 0;
    for (unsigned i = 0; i < SHARDS; i++) {
        struct shard *s = &kv->shards[i];
        if (weft_mutex_lock(&s->lock, WEFT_FOREVER) != 0) continue;
        n += htab_count(&s->keys);
        weft_mutex_unlock(&s->lock);
    }
    return n;
}
