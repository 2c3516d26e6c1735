/* runtime/ext.c: the runtime's extension slots (see ext.h for the contract).
 * A slot goes from NULL to an extension once, by compare-and-swap, and slots
 * fill in order: a NULL slot ends every search. */
#include "runtime/ext.h"

#include <stdatomic.h>

#include "runtime/worker.h"

weft__ext_t *weft__ext_find(weft_runtime_t *rt, const weft__ext_ops_t *ops) {
    for (int i = 0; i < WEFT__EXT_MAX; i++) {
        weft__ext_t *e = atomic_load_explicit(&rt->ext[i], memory_order_acquire);
        if (!e || e->ops == ops) return e;
    }
    return NULL;
}

weft__ext_t *weft__ext_install(weft_runtime_t *rt, weft__ext_t *e) {
    for (int i = 0; i < WEFT__EXT_MAX; i++) {
        weft__ext_t *cur = NULL;
        if (atomic_compare_exchange_strong(&rt->ext[i], &cur, e)) return e;
        if (cur->ops == e->ops) return cur; /* another thread installed the kind */
    }
    return NULL;
}

int weft__ext_busy(weft_runtime_t *rt) {
    for (int i = 0; i < WEFT__EXT_MAX; i++) {
        weft__ext_t *e = atomic_load(&rt->ext[i]);
        if (!e) break;
        if (e->ops->busy && e->ops->busy(e)) return 1;
    }
    return 0;
}

void weft__ext_destroy_all(weft_runtime_t *rt) {
    for (int i = WEFT__EXT_MAX - 1; i >= 0; i--) {
        weft__ext_t *e = atomic_load(&rt->ext[i]);
        if (e) e->ops->destroy(e);
    }
}
