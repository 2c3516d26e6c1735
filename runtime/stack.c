/* runtime/stack.c: slabs of fiber stacks, guard-page budget, shell pools
 * (see stack.h for the layout and the invariants). */
#include "runtime/stack.h"
#include "runtime/fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/fiber_impl.h"

#define CACHE_MAX     512u /* shells a worker keeps before giving half back */
#define REFILL_BATCH  32u
#define GUARDED_SLOTS 16u                /* slots per slab with guard pages */
#define PLAIN_SLAB    ((size_t)32 << 20) /* bytes per unguarded slab, at most */

static size_t g_page;
static long g_guard_limit; /* guarded stacks allowed in this process */
static _Atomic long g_guard_used;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void stack_globals_init(void) {
    long pg = sysconf(_SC_PAGESIZE);
    g_page = pg > 0 ? (size_t)pg : 4096;
    long maps = 65530;
    FILE *fp = fopen("/proc/sys/vm/max_map_count", "r");
    if (fp) {
        if (fscanf(fp, "%ld", &maps) != 1) maps = 65530;
        fclose(fp);
    }
    /* Each guarded stack costs two VMAs; keep half of the limit for everything
     * else in the process (libraries, malloc arenas, other runtimes' slabs). */
    g_guard_limit = maps / 4;
}

size_t weft__page_size(void) {
    pthread_once(&g_once, stack_globals_init);
    return g_page;
}

static size_t round_up(size_t n, size_t to) {
    return (n + to - 1) / to * to;
}

static size_t object_bytes(void) {
    return round_up(sizeof(struct weft_fiber), 64);
}

int weft__stack_pool_init(weft__stack_pool_t *p, size_t stack_size, int allow_guard) {
    size_t page = weft__page_size();
    memset(p, 0, sizeof *p);
    p->lock = (weft__spin_t)WEFT__SPIN_INIT;
    p->stack_size = round_up(stack_size, page);
    p->slot_size = page + round_up(p->stack_size + object_bytes(), page);
    p->allow_guard = allow_guard;
    return 0;
}

static void shell_format(weft__stack_pool_t *p, weft__slab_t *s, char *slot) {
    size_t page = weft__page_size();
    weft_fiber_t *f = (weft_fiber_t *)(slot + p->slot_size - object_bytes());
    /* Touch only the object's page: the rest of the stack stays uncommitted. */
    memset(f, 0, sizeof *f);
    f->stack_lo = slot + page;
    f->stack_size = (size_t)((char *)f - f->stack_lo);
    f->stack_guarded = s->guarded;
    f->slab = s;
    f->valgrind_id = weft__san_stack_register(f->stack_lo, (char *)f);
    f->pool_next = p->free;
    p->free = f;
    p->nfree++;
}

/* Maps one slab and puts its shells in the pool. Caller holds p->lock. */
static int slab_grow(weft__stack_pool_t *p) {
    size_t page = weft__page_size();
    int guarded = 0;
    unsigned nslots;
    if (p->allow_guard) {
        long used = atomic_fetch_add(&g_guard_used, GUARDED_SLOTS) + GUARDED_SLOTS;
        if (used <= g_guard_limit)
            guarded = 1;
        else
            atomic_fetch_sub(&g_guard_used, GUARDED_SLOTS);
    }
    if (guarded) {
        nslots = GUARDED_SLOTS;
    } else {
        size_t n = PLAIN_SLAB / p->slot_size;
        nslots = n < 1 ? 1 : (unsigned)(n > 4096 ? 4096 : n);
    }
    size_t bytes = (size_t)nslots * p->slot_size;
    void *base = weft__mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        if (guarded) atomic_fetch_sub(&g_guard_used, GUARDED_SLOTS);
        return -ENOMEM;
    }
#ifdef MADV_NOHUGEPAGE
    madvise(base, bytes, MADV_NOHUGEPAGE);
#endif
    weft__slab_t *s = weft__malloc(sizeof *s);
    if (!s) {
        munmap(base, bytes);
        if (guarded) atomic_fetch_sub(&g_guard_used, GUARDED_SLOTS);
        return -ENOMEM;
    }
    if (guarded) {
        for (unsigned i = 0; i < nslots; i++) {
            if (mprotect((char *)base + (size_t)i * p->slot_size, page, PROT_NONE) != 0) {
                /* Out of VMAs after all: the slots already protected stay so; the
                 * rest are unguarded, and the canary covers them all. */
                guarded = 0;
                atomic_fetch_sub(&g_guard_used, GUARDED_SLOTS);
                break;
            }
        }
    }
    s->base = base;
    s->bytes = bytes;
    s->guarded = guarded;
    s->nslots = nslots;
    s->next = p->slabs;
    p->slabs = s;
    /* Push in reverse so the lowest slot is handed out first. */
    for (unsigned i = nslots; i-- > 0;)
        shell_format(p, s, (char *)base + (size_t)i * p->slot_size);
    atomic_fetch_add(&p->mapped, nslots);
    if (guarded) atomic_fetch_add(&p->guarded, nslots);
    return 0;
}

void weft__stack_pool_destroy(weft__stack_pool_t *p) {
    weft__slab_t *s = p->slabs;
    while (s) {
        weft__slab_t *next = s->next;
        char *base = s->base;
        for (unsigned i = 0; i < s->nslots; i++) {
            weft_fiber_t *f =
                (weft_fiber_t *)(base + (size_t)(i + 1) * p->slot_size - object_bytes());
            weft__san_stack_deregister(f->valgrind_id);
            weft__san_fiber_destroy(&f->san);
        }
        if (s->guarded) atomic_fetch_sub(&g_guard_used, s->nslots);
        munmap(s->base, s->bytes);
        free(s);
        s = next;
    }
    p->slabs = NULL;
    p->free = NULL;
    p->nfree = 0;
}

weft_fiber_t *weft__shell_get(weft__stack_pool_t *p, weft__stack_cache_t *c) {
    weft_fiber_t *f;
    if (c && c->free) {
        f = c->free;
        c->free = f->pool_next;
        c->nfree--;
        return f;
    }
    weft__spin_lock(&p->lock);
    if (!p->free && slab_grow(p) != 0) {
        weft__spin_unlock(&p->lock);
        return NULL;
    }
    f = p->free;
    p->free = f->pool_next;
    p->nfree--;
    /* Refill the worker cache in one go so the next spawns stay lock-free. */
    for (unsigned i = 0; c && i < REFILL_BATCH && p->free; i++) {
        weft_fiber_t *g = p->free;
        p->free = g->pool_next;
        p->nfree--;
        g->pool_next = c->free;
        c->free = g;
        c->nfree++;
    }
    weft__spin_unlock(&p->lock);
    return f;
}

void weft__shell_put(weft__stack_pool_t *p, weft__stack_cache_t *c, weft_fiber_t *f) {
    if (c) {
        f->pool_next = c->free;
        c->free = f;
        if (++c->nfree <= CACHE_MAX) return;
        /* Give half back so an idle worker does not hoard another's spike. */
        weft_fiber_t *first = c->free, *last = first;
        for (unsigned i = 1; i < CACHE_MAX / 2; i++)
            last = last->pool_next;
        c->free = last->pool_next;
        c->nfree -= CACHE_MAX / 2;
        weft__spin_lock(&p->lock);
        last->pool_next = p->free;
        p->free = first;
        p->nfree += CACHE_MAX / 2;
        weft__spin_unlock(&p->lock);
        return;
    }
    weft__spin_lock(&p->lock);
    f->pool_next = p->free;
    p->free = f;
    p->nfree++;
    weft__spin_unlock(&p->lock);
}

void weft__stack_cache_drain(weft__stack_pool_t *p, weft__stack_cache_t *c) {
    while (c->free) {
        weft_fiber_t *f = c->free;
        c->free = f->pool_next;
        weft__shell_put(p, NULL, f);
    }
    c->nfree = 0;
}
