/* runtime/poller.h: each runtime's epoll instance, and how workers use it.
 *
 * A runtime has one epoll set (edge-triggered registrations made by
 * runtime/fdtab.c) and one eventfd to interrupt a blocked epoll_wait. At most
 * one worker polls at a time (`owner`): an idle worker blocks in epoll_wait
 * with its earliest timer as the timeout instead of sleeping on its futex, but
 * only while fibers wait for I/O on the runtime (`waiters` > 0); busy workers
 * poll without blocking between fibers (every 61st pick) so that readiness is
 * noticed even when no worker is idle.
 * Waking the blocked poller (weft__poller_kick_if): the waker first publishes
 * the idle worker's park_word, then reads `blocked` (both seq_cst); the poller
 * stores `blocked` then re-reads its park_word (seq_cst) before epoll_wait. So
 * either the poller sees the wake and does not block, or the waker sees the
 * poller and writes the eventfd. */
#ifndef WEFT_RUNTIME_POLLER_H
#define WEFT_RUNTIME_POLLER_H

#include <stdatomic.h>
#include <stdint.h>

struct weft__worker;

typedef struct weft__poller {
    int epfd;
    int evfd;
    atomic_int waiters; /* fibers parked in weft__fd_wait on this runtime's set */
    atomic_int owner;   /* 1 while some worker polls */
    struct weft__worker *_Atomic blocked; /* the worker inside a blocking epoll_wait */
} weft__poller_t;

/* 0, or a negative errno (-EMFILE, -ENOMEM) */
int weft__poller_init(weft__poller_t *p);
void weft__poller_fini(weft__poller_t *p);

/* Non-zero when an idle worker should poll instead of sleeping on its futex. */
static inline int weft__poller_wanted(weft__poller_t *p) {
    return atomic_load_explicit(&p->waiters, memory_order_relaxed) > 0;
}

/* Polls the runtime's set from worker w, making the fibers of ready descriptors
 * runnable (onto w's queue). deadline 0 never blocks; otherwise blocks until an
 * event, the absolute deadline (WEFT_FOREVER: none), or a kick; a blocking poll
 * returns at once if w's park_word is already set. Returns the number of events
 * handled, or -EBUSY when another worker is polling. */
int weft__poller_poll(struct weft__worker *w, int64_t deadline);

/* After setting w->park_word: interrupts w's blocking poll, if w is in one. */
void weft__poller_kick_if(weft__poller_t *p, struct weft__worker *w);

#endif
