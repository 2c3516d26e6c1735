/* examples/proto/kv.h: the in-memory key-value store behind resp_server: strings,
 * lists, sets and hashes, and the Redis commands that use them.
 *
 * Shared by fibers on every worker (and plain threads): the key space is split
 * into shards, each a hash table under its own weft_mutex_t; a key lives in the
 * shard its hash picks. A single-key command holds one shard lock; a multi-key
 * command (MSET, MGET, DEL, EXISTS) takes its shards' locks in ascending order,
 * FLUSHALL/FLUSHDB all of them, so no two commands can deadlock. No lock is held
 * across anything that blocks except taking the next shard lock. Replies follow
 * Redis 7 in RESP2, error texts included. */
#ifndef PROTO_KV_H
#define PROTO_KV_H

#include <stddef.h>

#include "buf.h"

struct kv_store;

/* 0, or -ENOMEM. */
int kv_create(struct kv_store **kv);

/* Frees every key and value and the store; nobody may be using it. */
void kv_destroy(struct kv_store *kv);

enum kv_status {
    KV_OK,    /* the reply is in out; carry on */
    KV_CLOSE, /* QUIT: send the reply, then close the connection */
};

/* Runs one command (argc >= 1; argv[0] is its name, any case) and appends its
 * RESP2 reply to out; a failed command appends an error reply. If out ran out
 * of memory, out->oom is set and the reply is incomplete. */
enum kv_status kv_exec(struct kv_store *kv, size_t argc, const struct span *argv,
                       struct buf *out);

/* Keys in the store (read shard by shard: exact only when nobody writes). */
size_t kv_key_count(struct kv_store *kv);

#endif
