/* runtime/mpsc.h: an intrusive multi-producer queue (Vyukov's design) with a
 * consumer token, used as each runtime's injection queue.
 *
 * Synchronization table:
 *                 push        pop (token held)
 *   push          safe        safe
 *   pop           safe        needs the consumer token (weft__mpsc_try_consume)
 * push is wait-free (one exchange + one store). pop may report "busy" while a
 * producer sits between its exchange and its link store; `len` counts nodes
 * pushed (counted before they are linked) and not yet popped, so "len > 0" means
 * work exists or is about to, even if a pop momentarily finds the chain unlinked. */
#ifndef WEFT_RUNTIME_MPSC_H
#define WEFT_RUNTIME_MPSC_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct weft__mpsc_node {
    struct weft__mpsc_node *_Atomic next;
} weft__mpsc_node_t;

typedef struct weft__mpsc {
    weft__mpsc_node_t *_Atomic tail; /* producers exchange here */
    char pad1[64 - sizeof(void *)];
    weft__mpsc_node_t *head; /* consumer side, guarded by the token */
    weft__mpsc_node_t stub;
    atomic_int token; /* 1 while some consumer drains */
    char pad2[64];
    _Atomic size_t len;
} weft__mpsc_t;

void weft__mpsc_init(weft__mpsc_t *q);
void weft__mpsc_push(weft__mpsc_t *q, weft__mpsc_node_t *n);
static inline size_t weft__mpsc_len(weft__mpsc_t *q) {
    return atomic_load_explicit(&q->len, memory_order_seq_cst);
}
/* Takes the consumer token; 0 if another consumer holds it. */
static inline int weft__mpsc_try_consume(weft__mpsc_t *q) {
    return atomic_load_explicit(&q->token, memory_order_relaxed) == 0 &&
           !atomic_exchange_explicit(&q->token, 1, memory_order_acquire);
}
static inline void weft__mpsc_end_consume(weft__mpsc_t *q) {
    atomic_store_explicit(&q->token, 0, memory_order_release);
}
/* With the token held: the oldest node, or NULL (empty or busy). */
weft__mpsc_node_t *weft__mpsc_pop(weft__mpsc_t *q);

#endif
