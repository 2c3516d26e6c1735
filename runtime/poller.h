/* runtime/poller.h: each runtime's epoll instance, and how workers use it.
 *
 * A runtime has one epoll set (edge-triggered registrations made by the
 * poller's client, below) and one eventfd to interrupt a blocked epoll_wait. At most
 * one worker polls at a time (`owner`): an idle worker blocks in epoll_wait
 * with its earliest timer as the timeout instead of sleeping on its futex, but
 * only while fibers wait for I/O on the runtime (`waiters` > 0); busy workers
 * poll without blocking between fibers (every 61st pick) so that readiness is
 * noticed even when no worker is idle.
 * Waking the blocked poller (weft__poller_kick_if): the waker first publishes
 * the idle worker's park_word, then reads `blocked` (both seq_cst); the poller
 * stores `blocked` then re-reads its park_word (seq_cst) before epoll_wait. So
 * either the poller sees the wake and does not block, or the waker sees the
 * poller and writes the eventfd.
 *
 * The client. What a registration means belongs to a layer above the runtime
 * (io/fdtab.c, which parks fibers on the waiter core of sync/), so the runtime
 * cannot call it by name: the client installs itself with
 * weft__poller_set_client before it makes its first registration, and the
 * poller hands it every event. One client per process, never removed; its
 * calls:
 *   event(data, events): on a worker of the runtime whose set delivered the
 *     event, inside weft__poller_poll (from the scheduler context, or on a
 *     fiber's stack right after a switch, before the fiber resumes). `data` is
 *     what the client put in the registration, `events` the EPOLL* bits. It
 *     must not park, switch or block; it may make fibers runnable.
 *   runtime_gone(rt): once as rt is freed, on the thread freeing it, after rt's
 *     workers have stopped and before its epoll set is closed. No fiber of rt
 *     lives then, but fibers of other runtimes may wait on registrations made
 *     in rt's set: the client must forget them and wake those fibers.
 * The client also keeps `waiters` (below): the fibers parked on its
 * registrations in a set, which decide whether an idle worker polls.
 * No registration exists before the client is installed, so a poll or a free
 * that finds no client has nothing to tell it. */
#ifndef WEFT_RUNTIME_POLLER_H
#define WEFT_RUNTIME_POLLER_H

#include <stdatomic.h>
#include <stdint.h>

#include "weft/runtime.h"

struct weft__worker;

typedef struct weft__poller {
    int epfd;
    int evfd;
    atomic_int
        waiters; /* fibers parked on a registration in this set (the client counts) */
    atomic_int owner;                     /* 1 while some worker polls */
    struct weft__worker *_Atomic blocked; /* the worker inside a blocking epoll_wait */
} weft__poller_t;

typedef struct weft__poller_client {
    void (*event)(uint64_t data, uint32_t events);
    void (*runtime_gone)(weft_runtime_t *rt);
} weft__poller_client_t;

/* Installs the process's client (see above); c must live for the process.
 * Calls after the first, with the same client, change nothing. */
void weft__poller_set_client(const weft__poller_client_t *c);

/* As rt is freed, before weft__poller_fini: tells the client (if any) that
 * rt's registrations are gone. */
void weft__poller_runtime_gone(weft_runtime_t *rt);

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
