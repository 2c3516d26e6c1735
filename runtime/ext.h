/* runtime/ext.h: a runtime's extensions, the per-runtime objects of layers
 * above the runtime (today the offload pool of io/offload.c) that the runtime
 * must consult and free without knowing what they are.
 *
 * An extension embeds a weft__ext_t as its first member (so its owner can cast
 * back), whose `ops` are its kind: a runtime holds at most one extension of a
 * kind. The runtime keeps them in WEFT__EXT_MAX slots, filled in order and
 * never emptied before the runtime is freed, so an extension found once stays
 * valid for the runtime's life.
 *
 * The contract:
 *   weft__ext_install: any thread, while the runtime lives (in practice a
 *     fiber of the runtime, on first use). Lock-free; when two threads race to
 *     install the same kind, the first wins and both get its object.
 *   busy(e): on the watchdog thread (a plain thread), at any moment and
 *     concurrently with the extension's own use. Non-zero while work the
 *     extension owns could still wake a fiber of the runtime from outside its
 *     workers (an offload job queued or running), so that the watchdog does not
 *     call the runtime deadlocked. A racy snapshot is fine; it must not block
 *     for long, park, or call into the runtime. NULL: never busy.
 *   destroy(e): once, as the runtime is freed, on the thread freeing it: after
 *     its workers have stopped and its watchdog is joined (no fiber of the
 *     runtime lives, busy is not called again), before its poller's
 *     registrations are forgotten and its epoll set is closed. It may block
 *     (join its threads). Extensions go in the reverse order of installation. */
#ifndef WEFT_RUNTIME_EXT_H
#define WEFT_RUNTIME_EXT_H

#include "weft/runtime.h"

#define WEFT__EXT_MAX 4 /* kinds of extension a runtime can hold */

typedef struct weft__ext weft__ext_t;

typedef struct weft__ext_ops {
    int (*busy)(weft__ext_t *e);
    void (*destroy)(weft__ext_t *e);
} weft__ext_ops_t;

struct weft__ext {
    const weft__ext_ops_t *ops; /* also the extension's kind */
};

/* rt's extension of kind `ops`, or NULL if none is installed. */
weft__ext_t *weft__ext_find(weft_runtime_t *rt, const weft__ext_ops_t *ops);

/* Installs e (e->ops set) unless rt holds one of its kind already. Returns e,
 * or the extension of that kind installed first (the caller frees e), or NULL
 * when every slot holds another kind. */
weft__ext_t *weft__ext_install(weft_runtime_t *rt, weft__ext_t *e);

/* Non-zero if any of rt's extensions is busy (the watchdog's question). */
int weft__ext_busy(weft_runtime_t *rt);

/* Destroys rt's extensions (runtime_free only). */
void weft__ext_destroy_all(weft_runtime_t *rt);

#endif
