/* runtime/mpsc.c: Vyukov's intrusive MPSC queue (see mpsc.h for the contract).
 * Invariant: the chain from `head` reaches every node pushed and not popped,
 * except nodes behind a producer that has exchanged `tail` but not yet stored
 * its predecessor's `next`. */
#include "runtime/mpsc.h"

void weft__mpsc_init(weft__mpsc_t *q) {
    atomic_store_explicit(&q->stub.next, NULL, memory_order_relaxed);
    q->head = &q->stub;
    atomic_store_explicit(&q->tail, &q->stub, memory_order_relaxed);
    atomic_store_explicit(&q->token, 0, memory_order_relaxed);
    atomic_store_explicit(&q->len, 0, memory_order_relaxed);
}

static void link_node(weft__mpsc_t *q, weft__mpsc_node_t *n) {
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
    weft__mpsc_node_t *prev = atomic_exchange_explicit(&q->tail, n, memory_order_acq_rel);
    atomic_store_explicit(&prev->next, n, memory_order_release);
}

void weft__mpsc_push(weft__mpsc_t *q, weft__mpsc_node_t *n) {
    /* Count first: a consumer may pop the node the moment it is linked, and the
     * count must never go below zero. */
    atomic_fetch_add_explicit(&q->len, 1, memory_order_seq_cst);
    link_node(q, n);
}

weft__mpsc_node_t *weft__mpsc_pop(weft__mpsc_t *q) {
    weft__mpsc_node_t *head = q->head;
    weft__mpsc_node_t *next = atomic_load_explicit(&head->next, memory_order_acquire);
    if (head == &q->stub) {
        if (!next) return NULL;
        q->head = next;
        head = next;
        next = atomic_load_explicit(&next->next, memory_order_acquire);
    }
    if (next) {
        q->head = next;
        atomic_fetch_sub_explicit(&q->len, 1, memory_order_relaxed);
        return head;
    }
    if (head != atomic_load_explicit(&q->tail, memory_order_acquire))
        return NULL; /* busy */
    link_node(q, &q->stub);
    next = atomic_load_explicit(&head->next, memory_order_acquire);
    if (!next) return NULL; /* a producer is mid-push behind us: busy */
    q->head = next;
    atomic_fetch_sub_explicit(&q->len, 1, memory_order_relaxed);
    return head;
}
