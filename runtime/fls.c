/* runtime/fls.c: fiber-local storage.
 *
 * Keys are process-wide slots with a generation: even = free, odd = in use. A
 * value is visible through a key only while the slot's generation still equals
 * the key's and the value was stored under that generation, so a deleted key's
 * stale values are never seen through a new key that reuses the slot. Each fiber
 * allocates its value table on its first set. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "runtime/fiber_impl.h"
#include "runtime/fault.h"
#include "runtime/fls.h"
#include "runtime/worker.h"

struct weft__fls {
    void *value[WEFT_FLS_KEYS];
    uint32_t gen[WEFT_FLS_KEYS];
};

static _Atomic uint32_t g_gen[WEFT_FLS_KEYS];
static void (*_Atomic g_dtor[WEFT_FLS_KEYS])(void *);

int weft_fls_key_create(weft_fls_key_t *key, void (*destructor)(void *)) {
    if (!key) return -EINVAL;
    for (uint32_t i = 0; i < WEFT_FLS_KEYS; i++) {
        uint32_t g = atomic_load(&g_gen[i]);
        if (g & 1) continue;
        /* The destructor is stored once the slot is ours: storing it before
         * the claim let a creator that lost the race overwrite the winner's.
         * Nobody reads it before this call returns the key. */
        if (atomic_compare_exchange_strong(&g_gen[i], &g, g + 1)) {
            atomic_store(&g_dtor[i], destructor);
            key->index = i;
            key->generation = g + 1;
            return 0;
        }
    }
    return -EAGAIN;
}

static int key_live(weft_fls_key_t key) {
    return key.index < WEFT_FLS_KEYS && (key.generation & 1) &&
           atomic_load_explicit(&g_gen[key.index], memory_order_acquire) ==
               key.generation;
}

int weft_fls_key_delete(weft_fls_key_t key) {
    if (key.index >= WEFT_FLS_KEYS || !(key.generation & 1)) return -EINVAL;
    uint32_t g = key.generation;
    return atomic_compare_exchange_strong(&g_gen[key.index], &g, g + 1) ? 0 : -EINVAL;
}

static weft_fiber_t *self_fiber(void) {
    weft__worker_t *w = weft__worker_self();
    return w ? w->current : NULL;
}

int weft_fls_set(weft_fls_key_t key, void *value) {
    weft_fiber_t *f = self_fiber();
    if (!f) return -EPERM;
    if (!key_live(key)) return -EINVAL;
    if (!f->fls) {
        if (!value) return 0;
        f->fls = weft__calloc(1, sizeof *f->fls);
        if (!f->fls) return -ENOMEM;
    }
    f->fls->value[key.index] = value;
    f->fls->gen[key.index] = key.generation;
    return 0;
}

void *weft_fls_get(weft_fls_key_t key) {
    weft_fiber_t *f = self_fiber();
    if (!f || !f->fls || !key_live(key)) return NULL;
    if (f->fls->gen[key.index] != key.generation) return NULL;
    return f->fls->value[key.index];
}

void weft__fls_exit(weft_fiber_t *f) {
    struct weft__fls *t = f->fls;
    if (!t) return;
    for (int round = 0; round < 4; round++) {
        int again = 0;
        for (uint32_t i = 0; i < WEFT_FLS_KEYS; i++) {
            void *v = t->value[i];
            if (!v) continue;
            t->value[i] = NULL;
            if (atomic_load(&g_gen[i]) != t->gen[i]) continue;
            void (*d)(void *) = atomic_load(&g_dtor[i]);
            if (d) {
                d(v);
                again = 1;
            }
        }
        if (!again) break;
    }
    f->fls = NULL;
    free(t);
}
