/* sync/waitq.c: the FIFO waiter queue (see waitq.h for the protocol). */
#include "sync/waitq.h"

#include <errno.h>

void weft__waitq_push(weft__waitq_t *q, weft__waiter_t *w) {
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    w->queued = 1;
}

void weft__waitq_remove(weft__waitq_t *q, weft__waiter_t *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->prev = w->next = NULL;
    w->queued = 0;
}

void weft__waitq_prepare(weft__waiter_t *w, const char *what, const void *obj) {
    if (weft__parker_check(w->parker) != 0) return;
    weft__parker_note(w->parker, what, obj);
    w->token = weft__parker_prepare_early(w->parker);
    w->prepared = 1;
}

void weft__waitq_abandon(weft__waiter_t *w) {
    if (!w->prepared || weft__parker_settle(w->parker, w->token)) return;
    (void)weft__park(w->parker, w->token, WEFT_FOREVER, NULL, NULL);
}

int weft__waitq_wait(weft__spin_t *lock, weft__waitq_t *q, weft__waiter_t *w,
                     int64_t deadline, const char *what, const void *obj) {
    if (w->prepared) {
        weft__fence_after_rmw(); /* the lock's exchange: see weft__waitq_prepare */
    } else {
        int bad = weft__parker_check(w->parker);
        if (__builtin_expect(bad != 0, 0)) {
            /* A signal handler nested in our own wait, or on a worker between
             * fibers: give up as a timed-out waiter would, queued and with the
             * lock held, so the caller's repair path unlinks the node and
             * restores its state. */
            w->token = 0;
            weft__waitq_push(q, w);
            return bad;
        }
        weft__parker_note(w->parker, what, obj);
        w->token = weft__parker_prepare(w->parker);
    }
    weft__waitq_push(q, w);
    int r = weft__park(w->parker, w->token, deadline, weft__spin_unlock_cb, lock);
    /* Timed out or cancelled: nothing was granted to this node. Retake the lock
     * so the caller can unlink it (unless a granter did) and repair its state. */
    if (r != 0) weft__spin_lock(lock);
    return r;
}

weft__waiter_t *weft__waitq_grant(weft__waitq_t *q) {
    weft__waiter_t *w;
    while ((w = q->head)) {
        weft__waitq_remove(q, w);
        if (w->presettled || weft__parker_settle(w->parker, w->token)) return w;
    }
    return NULL;
}

weft__waiter_t *weft__waitq_grant_all_counted(weft__waitq_t *q, int *lost) {
    weft__waiter_t *won = NULL, **tail = &won, *w;
    int n = 0;
    while ((w = q->head)) {
        weft__waitq_remove(q, w);
        if (w->presettled || weft__parker_settle(w->parker, w->token)) {
            *tail = w;
            tail = &w->next;
        } else {
            n++;
        }
    }
    if (lost) *lost = n;
    return won;
}

weft__waiter_t *weft__waitq_grant_all(weft__waitq_t *q) {
    return weft__waitq_grant_all_counted(q, NULL);
}

void weft__waitq_chain_set_data(weft__waiter_t *w, uintptr_t data) {
    for (; w; w = w->next)
        w->data = data;
}

void weft__waitq_wake_all(weft__waiter_t *w) {
    while (w) {
        /* Read the link first: once woken, the waiter may return and its frame,
         * which holds the node, may end. */
        weft__waiter_t *next = w->next;
        weft__explore_point();
        /* To the back of the run queue, so fibers woken together run in the
         * order they arrived (the run-next slot would reverse them). */
        weft__parker_unpark_fifo(w->parker);
        w = next;
    }
}

int weft__wl_wait_flag(struct weft__wl *wl, const int *flag, int64_t deadline,
                       const char *what, const void *obj) {
    int r = weft__cancel_check(deadline);
    if (r) return r;
    if (__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
        weft__checkpoint(deadline);
        return 0;
    }
    if (weft__deadline_passed(deadline)) return -ETIMEDOUT;
    weft__spin_t *lock = weft__wl_lock(wl);
    weft__waitq_t *q = weft__wl_queue(wl);
    weft__explore_point();
    weft__spin_lock(lock);
    if (__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
        weft__spin_unlock(lock);
        weft__checkpoint(deadline);
        return 0;
    }
    weft__waiter_t w = {.parker = weft__parker_self()};
    r = weft__waitq_wait(lock, q, &w, deadline, what, obj);
    if (r == 0) return 0; /* a set granted us */
    if (w.queued) weft__waitq_remove(q, &w);
    weft__spin_unlock(lock);
    return r;
}

int weft__wl_count(struct weft__wl *wl) {
    weft__spin_t *lock = weft__wl_lock(wl);
    weft__spin_lock(lock);
    int n = 0;
    for (weft__waiter_t *w = weft__wl_queue(wl)->head; w; w = w->next)
        n++;
    weft__spin_unlock(lock);
    return n;
}
