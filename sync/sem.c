/* sync/sem.c: weft_sem_t (see weft/sem.h).
 *
 * State: one 64-bit word, permits << 32 | queued, so the fast paths decide on
 * both at once with a single compare-and-swap: acquire takes a permit only when
 * nobody is queued, release banks only when nobody is queued. `queued` changes
 * only under the waitlist lock (a waiter queues itself; whoever unlinks a node,
 * the granter or the waiter that gave up, decrements it).
 * Invariant (under the lock): permits > 0 implies queued == 0, because a release
 * with waiters hands its permits to them before banking the rest.
 * While queued > 0 only lock holders write the state (both fast paths need
 * queued == 0), so under the lock such a state is updated with a plain store. */
#include "weft/sem.h"
#include "runtime/explore.h"

#include <errno.h>

#include "sync/waitq.h"

#define ONE_PERMIT ((uint64_t)1 << 32)
#define PERMITS(s) ((uint32_t)((s) >> 32))
#define QUEUED(s)  ((uint32_t)(s))
#define LIMIT      0x7fffffffu

static uint64_t load_state(const weft_sem_t *s) {
    return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
}

static int cas_state(weft_sem_t *s, uint64_t *expect, uint64_t desired) {
    return __atomic_compare_exchange_n(&s->state, expect, desired, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

int weft_sem_init(weft_sem_t *s, unsigned initial, unsigned max_value) {
    if (!s || initial > LIMIT || max_value > LIMIT || (max_value && initial > max_value))
        return -EINVAL;
    *s = (weft_sem_t)WEFT_SEM_INIT(initial, max_value);
    return 0;
}

int weft_sem_destroy(weft_sem_t *s) {
    if (!s) return -EINVAL;
    return QUEUED(load_state(s)) ? -EBUSY : 0;
}

/* Takes a permit if one is banked and nobody is queued. */
static int try_take(weft_sem_t *s) {
    uint64_t st = load_state(s);
    while (PERMITS(st) > 0 && QUEUED(st) == 0)
        if (cas_state(s, &st, st - ONE_PERMIT)) return 1;
    return 0;
}

int weft_sem_acquire(weft_sem_t *s, int64_t deadline) {
    if (!s) return -EINVAL;
    weft__caller_t c;
    weft__caller(&c);
    if (c.cancelled && !weft__deadline_passed(deadline)) return -ECANCELED;
    if (try_take(s)) {
        if (c.checkpoints) weft__checkpoint(deadline);
        return 0;
    }
    if (weft__deadline_passed(deadline)) return -ETIMEDOUT;

    weft__spin_t *lock = weft__wl_lock(&s->wl);
    weft__waitq_t *q = weft__wl_queue(&s->wl);
    weft__explore_point();
    weft__waiter_t w = {.parker = c.parker};
    weft__waitq_prepare(&w, "semaphore", s);
    weft__spin_lock(lock);
    uint64_t st = load_state(s);
    for (;;) {
        if (PERMITS(st) > 0 && QUEUED(st) == 0) {
            if (cas_state(s, &st, st - ONE_PERMIT)) {
                weft__spin_unlock(lock);
                weft__waitq_abandon(&w);
                if (c.checkpoints) weft__checkpoint(deadline);
                return 0;
            }
        } else if (QUEUED(st) > 0) {
            __atomic_store_n(&s->state, st + 1, __ATOMIC_RELAXED); /* see the top */
            break;
        } else if (cas_state(s, &st, st + 1)) {
            break;
        }
    }
    int r = weft__waitq_wait(lock, q, &w, deadline, "semaphore", s);
    if (r == 0) return 0; /* a release handed us its permit */
    if (w.queued) {
        weft__waitq_remove(q, &w);
        __atomic_fetch_sub(&s->state, 1, __ATOMIC_ACQ_REL);
    }
    weft__spin_unlock(lock);
    return r;
}

int weft_sem_release(weft_sem_t *s, unsigned count) {
    if (!s) return -EINVAL;
    if (count == 0) return 0;
    if (count > LIMIT) return -EOVERFLOW;
    uint64_t st = load_state(s);
    while (QUEUED(st) == 0) {
        uint64_t banked = (uint64_t)PERMITS(st) + count;
        if (banked > (s->max ? s->max : LIMIT)) return -EOVERFLOW;
        if (cas_state(s, &st, st + (uint64_t)count * ONE_PERMIT)) return 0;
    }

    weft__spin_t *lock = weft__wl_lock(&s->wl);
    weft__waitq_t *q = weft__wl_queue(&s->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    st = load_state(s);
    /* Waiters take min(count, queued) permits; what is left must fit. */
    uint64_t left = count > QUEUED(st) ? count - QUEUED(st) : 0;
    if (PERMITS(st) + left > (s->max ? s->max : LIMIT)) {
        weft__spin_unlock(lock);
        return -EOVERFLOW;
    }
    weft__waiter_t *won = NULL, **tail = &won, *w;
    unsigned granted = 0, unlinked = 0;
    while (granted < count && !weft__waitq_empty(q)) {
        w = q->head;
        weft__waitq_remove(q, w);
        unlinked++;
        if (weft__parker_settle(w->parker, w->token)) {
            granted++;
            *tail = w;
            tail = &w->next;
        }
    }
    /* Bank the rest, checking the bound again: waiters that had just given up
     * were unlinked but took nothing, and once the last node left, a lock-free
     * release may have banked meanwhile. What does not fit is not banked. */
    uint64_t rest = count - granted, max = s->max ? s->max : LIMIT;
    int r = 0;
    for (st = load_state(s);;) {
        uint64_t bank = PERMITS(st) + rest <= max ? rest : 0;
        if (bank != rest) r = -EOVERFLOW;
        if (QUEUED(st) > 0) {
            /* Nobody changes a state with waiters queued but under this lock
             * (both fast paths need queued == 0): a plain store will do. */
            __atomic_store_n(&s->state, st + bank * ONE_PERMIT - unlinked,
                             __ATOMIC_RELEASE);
            break;
        }
        if (cas_state(s, &st, st + bank * ONE_PERMIT - unlinked)) break;
        r = 0;
    }
    weft__spin_unlock(lock);
    if (won && !won->next)
        weft__waitq_wake(won); /* one waiter: it runs next, as a lock's does */
    else
        weft__waitq_wake_all(won);
    return r;
}

int weft_sem_value(const weft_sem_t *s) {
    return s ? (int)PERMITS(load_state(s)) : -EINVAL;
}

int weft_sem_waiting(const weft_sem_t *s) {
    return s ? (int)QUEUED(load_state(s)) : -EINVAL;
}
