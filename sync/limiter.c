/* sync/limiter.c: weft_limiter_t (see weft/limiter.h).
 *
 * Owns: `state` = total << 32 | borrowed (written only under the waitlist lock,
 * with atomic stores, so the snapshot readers need no lock); the borrower set; a
 * FIFO of waiting callers.
 *
 * The borrower set maps a caller's identity (weft__self_id(): its parker's
 * address, never 0) to its acquire count. Each borrower holds exactly one token,
 * so the set has exactly `borrowed` entries. It is an open-addressing hash table
 * with linear probing and backward-shift deletion (no tombstones, so lookups stay
 * short however long the limiter lives), guarded by the waitlist lock:
 *   - up to WEFT__LIMITER_INLINE entries it lives inline in the object (`inl`,
 *     probed in full, so it may be 100% loaded): limiters of total <= 4, the
 *     common case, never allocate, and WEFT_LIMITER_INIT needs no init call;
 *   - beyond that, in a heap table (`table`, `cap` a power of two, at most half
 *     full) that init and set_total size for min(total, WEFT__LIMITER_PRESIZE)
 *     borrowers, outside the lock.
 * Why a table in the limiter rather than an intrusive record: a token outlives
 * the acquire call, so no frame of the caller can hold its record, and sync/ has
 * no per-caller storage of its own (a caller may hold tokens of many limiters).
 * The number of borrowers is bounded by the largest total the limiter has had,
 * so sizing by total keeps allocation off acquire/release; the doubling in
 * acquire is the documented fallback for huge totals, reached only at a new
 * record of simultaneous borrowers (O(log peak) times in a limiter's life).
 * Hand-offs never grow the table: a release removes its own entry before it adds
 * the waiter's, and set_total grows it for its grants before granting.
 *
 * Invariants (under the lock):
 *   - borrowed == entries in the set; no caller is both queued and in the set (a
 *     holder never queues: -EDEADLK or a re-entry instead).
 *   - a non-empty queue implies borrowed >= total: whenever a token is freed
 *     (release, set_total raising) it is handed to the oldest queued caller
 *     before anyone else can see it; a newcomer takes a token only when the
 *     queue is empty. So nobody barges past a queued caller.
 *   - the granter inserts the waiter into the set and counts its token under the
 *     lock before the wake; a waiter whose wait ended by deadline or cancel was
 *     never granted (one settle decides), so it only unlinks its node.
 * Everything runs under one spinlock for O(1) expected work (the table growth's
 * allocation and free happen outside it); wake-ups happen after unlocking. */
#include "weft/limiter.h"
#include "runtime/explore.h"
#include "runtime/fault.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "sync/waitq.h"

#define TOTAL(s)               ((unsigned)((s) >> 32))
#define BORROWED(s)            ((unsigned)(uint32_t)(s))
#define STATE(total, borrowed) ((uint64_t)(total) << 32 | (borrowed))

typedef struct weft__limiter_slot slot_t;

static uint64_t load_state(const weft_limiter_t *l) {
    return __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);
}

static void store_state(weft_limiter_t *l, unsigned total, unsigned borrowed) {
    __atomic_store_n(&l->state, STATE(total, borrowed), __ATOMIC_RELEASE);
}

/* --- the borrower set (all under the lock) --- */

static slot_t *slots(weft_limiter_t *l) {
    return l->table ? l->table : l->inl;
}

static size_t nslots(const weft_limiter_t *l) {
    return l->table ? l->cap : WEFT__LIMITER_INLINE;
}

/* How many entries the current table may hold. */
static size_t room(const weft_limiter_t *l) {
    return l->table ? l->cap / 2 : WEFT__LIMITER_INLINE;
}

/* Home slot of an identity in a table of n (a power of two) slots. */
static size_t home(uintptr_t id, size_t n) {
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 29) & (n - 1);
}

_Static_assert((WEFT__LIMITER_INLINE & (WEFT__LIMITER_INLINE - 1)) == 0,
               "inline table size is a power of two");

static slot_t *find_in(slot_t *t, size_t n, uintptr_t id) {
    size_t i = home(id, n);
    for (size_t k = 0; k < n; k++, i = (i + 1) & (n - 1)) {
        if (t[i].id == id) return &t[i];
        if (t[i].id == 0) return NULL;
    }
    return NULL;
}

static slot_t *find(weft_limiter_t *l, uintptr_t id) {
    return find_in(slots(l), nslots(l), id);
}

/* `id` is absent and the table has room. */
static void insert_in(slot_t *t, size_t n, uintptr_t id, unsigned count) {
    size_t i = home(id, n);
    while (t[i].id != 0)
        i = (i + 1) & (n - 1);
    t[i].id = id;
    t[i].count = count;
}

/* Removes entry s, shifting later entries of its probe run back into the hole so
 * that every entry stays reachable from its home slot without tombstones. */
static void erase(weft_limiter_t *l, slot_t *s) {
    slot_t *t = slots(l);
    size_t n = nslots(l), mask = n - 1;
    size_t hole = (size_t)(s - t), j = hole;
    t[hole] = (slot_t){0, 0};
    for (;;) {
        j = (j + 1) & mask;
        if (t[j].id == 0) return;
        size_t h = home(t[j].id, n);
        /* t[j] may fill the hole unless its home lies cyclically in (hole, j]. */
        int stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
        if (stays) continue;
        t[hole] = t[j];
        t[j] = (slot_t){0, 0};
        hole = j;
    }
}

/* Makes the table hold at least `need` entries. Called WITHOUT the lock; it
 * allocates, then takes the lock only to move the entries, and frees outside it.
 * 0 or -ENOMEM. */
static int grow(weft_limiter_t *l, size_t need) {
    size_t n = 8;
    while (n / 2 < need)
        n *= 2;
    slot_t *fresh = weft__calloc(n, sizeof *fresh);
    if (!fresh) return -ENOMEM;
    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__spin_lock(lock);
    slot_t *old = NULL;
    if (room(l) < need) {
        slot_t *t = slots(l);
        for (size_t i = 0, m = nslots(l); i < m; i++)
            if (t[i].id) insert_in(fresh, n, t[i].id, t[i].count);
        old = l->table;
        for (int i = 0; i < WEFT__LIMITER_INLINE; i++)
            l->inl[i] = (slot_t){0, 0};
        l->table = fresh;
        l->cap = n;
        fresh = NULL;
    }
    weft__spin_unlock(lock);
    free(fresh); /* someone else grew it meanwhile */
    free(old);
    return 0;
}

static size_t presize(unsigned total) {
    return total < WEFT__LIMITER_PRESIZE ? total : WEFT__LIMITER_PRESIZE;
}

/* --- public API --- */

int weft_limiter_init(weft_limiter_t *l, unsigned total, int reentrant) {
    if (!l || total > WEFT_LIMITER_MAX) return -EINVAL;
    *l = (weft_limiter_t)WEFT_LIMITER_INIT(total, reentrant);
    if (presize(total) > WEFT__LIMITER_INLINE) return grow(l, presize(total));
    return 0;
}

int weft_limiter_destroy(weft_limiter_t *l) {
    if (!l) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__spin_lock(lock);
    if (BORROWED(load_state(l)) || !weft__waitq_empty(weft__wl_queue(&l->wl))) {
        weft__spin_unlock(lock);
        return -EBUSY;
    }
    slot_t *old = l->table;
    l->table = NULL;
    l->cap = 0;
    weft__spin_unlock(lock);
    free(old);
    return 0;
}

int weft_limiter_acquire(weft_limiter_t *l, int64_t deadline) {
    if (!l) return -EINVAL;
    int cancelled = weft__cancel_check(deadline);
    weft__parker_t *self = weft__parker_self();
    uintptr_t me = (uintptr_t)self;
    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__waitq_t *q = weft__wl_queue(&l->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    for (;;) {
        slot_t *s = find(l, me);
        if (s) {
            int r = !l->reentrant         ? -EDEADLK
                    : s->count >= INT_MAX ? -EOVERFLOW
                                          : cancelled;
            if (r == 0) s->count++;
            weft__spin_unlock(lock);
            if (r == 0) weft__checkpoint(deadline);
            return r;
        }
        if (cancelled) {
            weft__spin_unlock(lock);
            return cancelled;
        }
        uint64_t st = load_state(l);
        unsigned total = TOTAL(st), borrowed = BORROWED(st);
        if (!weft__waitq_empty(q) || borrowed >= total) break;
        if (borrowed + 1 <= room(l)) {
            insert_in(slots(l), nslots(l), me, 1);
            store_state(l, total, borrowed + 1);
            weft__spin_unlock(lock);
            weft__checkpoint(deadline);
            return 0;
        }
        /* The fallback: a new record of simultaneous borrowers. */
        weft__spin_unlock(lock);
        int r = grow(l, (size_t)borrowed + 1);
        if (r) return r;
        weft__spin_lock(lock);
    }
    if (weft__deadline_passed(deadline)) {
        weft__spin_unlock(lock);
        return -ETIMEDOUT;
    }
    weft__waiter_t w = {.parker = self};
    int r = weft__waitq_wait(lock, q, &w, deadline, "capacity limiter", l);
    if (r == 0) return 0; /* the granter recorded us as a borrower */
    if (w.queued) weft__waitq_remove(q, &w);
    weft__spin_unlock(lock);
    return r;
}

int weft_limiter_release(weft_limiter_t *l) {
    if (!l) return -EINVAL;
    uintptr_t me = weft__self_id();
    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    slot_t *s = find(l, me);
    if (!s) {
        weft__spin_unlock(lock);
        return -EPERM;
    }
    if (s->count > 1) {
        s->count--;
        weft__spin_unlock(lock);
        return 0;
    }
    erase(l, s);
    uint64_t st = load_state(l);
    unsigned total = TOTAL(st), borrowed = BORROWED(st) - 1;
    weft__waiter_t *w = NULL;
    if (borrowed < total && (w = weft__waitq_grant(weft__wl_queue(&l->wl)))) {
        /* The entry just erased leaves room for this one. */
        insert_in(slots(l), nslots(l), (uintptr_t)w->parker, 1);
        borrowed++;
    }
    store_state(l, total, borrowed);
    weft__spin_unlock(lock);
    if (w) weft__waitq_wake(w);
    return 0;
}

int weft_limiter_set_total(weft_limiter_t *l, unsigned total) {
    if (!l || total > WEFT_LIMITER_MAX) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&l->wl);
    weft__waitq_t *q = weft__wl_queue(&l->wl);
    int presize_failed = 0;
    weft__explore_point();
    weft__spin_lock(lock);
    for (;;) {
        uint64_t st = load_state(l);
        unsigned borrowed = BORROWED(st);
        size_t grants = 0;
        if (total > borrowed) {
            for (weft__waiter_t *w = q->head; w && grants < total - borrowed; w = w->next)
                grants++;
        }
        /* Required: room for every caller granted below. Wanted, when raising:
         * the presize, so later acquires do not allocate. */
        size_t need = (size_t)borrowed + grants, want = need;
        if (total > TOTAL(st) && !presize_failed && presize(total) > want)
            want = presize(total);
        if (want <= room(l)) break;
        weft__spin_unlock(lock);
        if (grow(l, want) != 0) {
            if (want == need) return -ENOMEM;
            presize_failed = 1;
        }
        weft__spin_lock(lock);
    }
    unsigned borrowed = BORROWED(load_state(l));
    weft__waiter_t *won = NULL, **tail = &won, *w;
    while (borrowed < total && (w = weft__waitq_grant(q))) {
        insert_in(slots(l), nslots(l), (uintptr_t)w->parker, 1);
        borrowed++;
        *tail = w;
        tail = &w->next;
    }
    store_state(l, total, borrowed);
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    return 0;
}

int weft_limiter_borrowed(const weft_limiter_t *l) {
    return l ? (int)BORROWED(load_state(l)) : -EINVAL;
}

int weft_limiter_available(const weft_limiter_t *l) {
    if (!l) return -EINVAL;
    uint64_t st = load_state(l);
    return TOTAL(st) > BORROWED(st) ? (int)(TOTAL(st) - BORROWED(st)) : 0;
}

int weft_limiter_total(const weft_limiter_t *l) {
    return l ? (int)TOTAL(load_state(l)) : -EINVAL;
}

int weft_limiter_waiting(const weft_limiter_t *l) {
    if (!l) return -EINVAL;
    return weft__wl_count((struct weft__wl *)&l->wl);
}

int weft_limiter_count(const weft_limiter_t *l) {
    if (!l) return -EINVAL;
    weft_limiter_t *m = (weft_limiter_t *)l;
    uintptr_t me = weft__self_id();
    weft__spin_t *lock = weft__wl_lock(&m->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    slot_t *s = find(m, me);
    int c = s ? (int)s->count : 0;
    weft__spin_unlock(lock);
    return c;
}
