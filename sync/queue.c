/* sync/queue.c: weft_queue_t (see weft/queue.h).
 *
 * One internal spinlock (q->wl.lock) guards the item array and both waiter
 * queues: getters (q->wl) and putters (put_head/put_tail). Invariants under the
 * lock: getters wait only while len == 0; putters wait only while the queue is
 * bounded and full; so a put finding getters hands its item to the oldest one,
 * and a get that frees a slot while putters wait moves the oldest putter's item
 * in. Each waiter node carries the item in `data` (in for a putter, out for a
 * getter) and an outcome in `status` (0, or -EPIPE when woken by shutdown),
 * written by the granter under the lock before the wake.
 * Storage: a ring (head, len) for FIFO and LIFO, a binary heap in items[0..len)
 * for PRIORITY. */
#include "weft/queue.h"
#include "runtime/explore.h"
#include "runtime/fault.h"

#include <errno.h>
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>

#include "sync/waitq.h"

enum { OPEN = 0, DRAINING = 1, CLOSED = 2 };

struct q_waiter {
    weft__waiter_t w; /* first */
    int status;
};

static weft__waitq_t *getters(weft_queue_t *q) {
    return weft__wl_queue(&q->wl);
}
static weft__waitq_t *putters(weft_queue_t *q) {
    return (weft__waitq_t *)(void *)&q->put_head;
}

int weft_queue_init(weft_queue_t *q, int kind, size_t maxsize,
                    int (*cmp)(const void *, const void *)) {
    if (!q || kind < WEFT_FIFO || kind > WEFT_PRIORITY || (kind == WEFT_PRIORITY && !cmp))
        return -EINVAL;
    size_t cap = maxsize ? maxsize : 16;
    if (cap > SIZE_MAX / sizeof(void *)) return -ENOMEM; /* the size would wrap */
    void **items = weft__malloc(cap * sizeof *items);
    if (!items) return -ENOMEM;
    *q = (weft_queue_t){.items = items,
                        .cap = cap,
                        .maxsize = maxsize,
                        .kind = kind,
                        .cmp = cmp,
                        .wl = WEFT__WL_INIT};
    return 0;
}

int weft_queue_destroy(weft_queue_t *q) {
    if (!q) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&q->wl);
    weft__spin_lock(lock);
    if (!weft__waitq_empty(getters(q)) || !weft__waitq_empty(putters(q))) {
        weft__spin_unlock(lock);
        return -EBUSY;
    }
    /* Left as a shut-down, empty queue with no array: a use after destroy
     * gets -EPIPE from put and get instead of writing through a freed array. */
    free(q->items);
    q->items = NULL;
    q->cap = q->head = q->len = 0;
    q->state = CLOSED;
    weft__spin_unlock(lock);
    return 0;
}

/* --- storage (lock held) --- */
static void heap_up(weft_queue_t *q, size_t i) {
    void *x = q->items[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (q->cmp(q->items[p], x) <= 0) break;
        q->items[i] = q->items[p];
        i = p;
    }
    q->items[i] = x;
}

static void heap_down(weft_queue_t *q, size_t i) {
    void *x = q->items[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->len) break;
        if (c + 1 < q->len && q->cmp(q->items[c + 1], q->items[c]) < 0) c++;
        if (q->cmp(q->items[c], x) >= 0) break;
        q->items[i] = q->items[c];
        i = c;
    }
    q->items[i] = x;
}

static int grow(weft_queue_t *q) {
    if (q->cap > SIZE_MAX / 2 / sizeof(void *)) return -ENOMEM;
    size_t ncap = q->cap * 2;
    void **n = weft__malloc(ncap * sizeof *n);
    if (!n) return -ENOMEM;
    for (size_t i = 0; i < q->len; i++)
        n[i] = q->kind == WEFT_PRIORITY ? q->items[i] : q->items[(q->head + i) % q->cap];
    free(q->items);
    q->items = n;
    q->cap = ncap;
    q->head = 0;
    return 0;
}

static int store(weft_queue_t *q, void *item) {
    if (q->len == q->cap && grow(q) != 0) return -ENOMEM;
    if (q->kind == WEFT_PRIORITY) {
        q->items[q->len++] = item;
        heap_up(q, q->len - 1);
    } else {
        q->items[(q->head + q->len++) % q->cap] = item;
    }
    return 0;
}

static void *take(weft_queue_t *q) {
    void *item;
    if (q->kind == WEFT_PRIORITY) {
        item = q->items[0];
        if (--q->len) {
            q->items[0] = q->items[q->len];
            heap_down(q, 0);
        }
    } else if (q->kind == WEFT_LIFO) {
        item = q->items[(q->head + --q->len) % q->cap];
    } else {
        item = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
    }
    return item;
}

static int full(const weft_queue_t *q) {
    return q->maxsize && q->len >= q->maxsize;
}

/* --- operations --- */
int weft_queue_put(weft_queue_t *q, void *item, int64_t deadline) {
    if (!q) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&q->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    if (q->state != OPEN) {
        weft__spin_unlock(lock);
        return -EPIPE;
    }
    int r = weft__cancel_check(deadline);
    if (r) {
        weft__spin_unlock(lock);
        return r;
    }
    weft__waiter_t *g = weft__waitq_grant(getters(q));
    if (g) {
        g->data = (uintptr_t)item;
        ((struct q_waiter *)g)->status = 0;
        weft__spin_unlock(lock);
        weft__waitq_wake(g);
        weft__checkpoint(deadline);
        return 0;
    }
    if (!full(q)) {
        r = store(q, item);
        weft__spin_unlock(lock);
        if (r == 0) weft__checkpoint(deadline);
        return r;
    }
    if (weft__deadline_passed(deadline)) {
        weft__spin_unlock(lock);
        return -ETIMEDOUT;
    }
    struct q_waiter qw = {.w = {.parker = weft__parker_self(), .data = (uintptr_t)item}};
    r = weft__waitq_wait(lock, putters(q), &qw.w, deadline, "queue (put)", q);
    if (r == 0) return qw.status; /* taken in by a get, or -EPIPE from shutdown */
    if (qw.w.queued) weft__waitq_remove(putters(q), &qw.w);
    weft__spin_unlock(lock);
    return r;
}

int weft_queue_get(weft_queue_t *q, void **item, int64_t deadline) {
    if (!q || !item) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&q->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    /* Shut down and drained: -EPIPE before -ECANCELED, as for put. */
    int r = q->len == 0 && q->state != OPEN ? -EPIPE : weft__cancel_check(deadline);
    if (r) {
        weft__spin_unlock(lock);
        return r;
    }
    if (q->len > 0) {
        *item = take(q);
        /* A slot is free: the oldest waiting putter's item moves in. */
        weft__waiter_t *p = weft__waitq_grant(putters(q));
        if (p) {
            store(q, (void *)p->data); /* cannot fail: the slot was just freed */
            ((struct q_waiter *)p)->status = 0;
        }
        weft__spin_unlock(lock);
        if (p) weft__waitq_wake(p);
        weft__checkpoint(deadline);
        return 0;
    }
    if (q->state != OPEN) {
        weft__spin_unlock(lock);
        return -EPIPE;
    }
    if (weft__deadline_passed(deadline)) {
        weft__spin_unlock(lock);
        return -ETIMEDOUT;
    }
    struct q_waiter qw = {.w = {.parker = weft__parker_self()}};
    r = weft__waitq_wait(lock, getters(q), &qw.w, deadline, "queue (get)", q);
    if (r == 0) {
        if (qw.status == 0) *item = (void *)qw.w.data;
        return qw.status;
    }
    if (qw.w.queued) weft__waitq_remove(getters(q), &qw.w);
    weft__spin_unlock(lock);
    return r;
}

int weft_queue_len(const weft_queue_t *q) {
    if (!q) return -EINVAL;
    weft_queue_t *m = (weft_queue_t *)q; /* the lock word is the only thing written */
    weft__spin_lock(weft__wl_lock(&m->wl));
    size_t n = m->len;
    weft__spin_unlock(weft__wl_lock(&m->wl));
    return n > INT_MAX ? INT_MAX : (int)n;
}

int weft_queue_shutdown(weft_queue_t *q, int immediate) {
    if (!q) return -EINVAL;
    weft__spin_t *lock = weft__wl_lock(&q->wl);
    weft__explore_point();
    weft__spin_lock(lock);
    q->state = immediate ? CLOSED : DRAINING;
    if (immediate) q->len = 0;
    weft__waiter_t *won = weft__waitq_grant_all(getters(q));
    weft__waiter_t *won_put = weft__waitq_grant_all(putters(q));
    for (weft__waiter_t *w = won; w; w = w->next)
        ((struct q_waiter *)w)->status = -EPIPE;
    for (weft__waiter_t *w = won_put; w; w = w->next)
        ((struct q_waiter *)w)->status = -EPIPE;
    weft__spin_unlock(lock);
    weft__waitq_wake_all(won);
    weft__waitq_wake_all(won_put);
    return 0;
}
