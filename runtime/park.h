/* runtime/park.h: the park/wake core that every blocking call of weft uses
 * (internal API for sync/ and for the runtime's own join and sleep).
 *
 * A PARKER belongs to one fiber (inside its fiber object) or to one plain thread
 * (thread-local). It parks at most one wait at a time. Its word holds
 *   seq << 3 | cancellable << 2 | state
 * where state is WAITING or the outcome that settled the wait. A wait is settled
 * EXACTLY ONCE, by whichever of {grant, deadline, cancel} first moves the word
 * from (seq, WAITING) to (seq, outcome) with one compare-and-swap. The seq makes
 * a stale settle (aimed at an earlier wait of the same parker) fail.
 *
 * Protocol for a primitive (the waker and the waiter share the primitive's lock):
 *   waiter, under the lock:   t = weft__parker_prepare(p);  publish (p, t);
 *                             r = weft__park(p, t, deadline, unlock_cb, lock);
 *                             -- the lock is released by the park once the fiber's
 *                                registers are saved (or at once for a thread) --
 *                             on return, retake the lock and unpublish if still
 *                             published (a timed-out or cancelled wait).
 *   waker, under the lock:    won = weft__parker_settle(p, t);  unpublish;
 *                             release the lock; if (won) weft__parker_unpark(p);
 *   A settle that loses means the waiter gave up; the waker keeps its grant and
 *   offers it to the next waiter (the "passed on" rule of DESIGN.md 4a).
 *
 * Lifetime rule: a waker may touch the parker only (a) under the primitive's lock
 * while the wait is published, or (b) in weft__parker_unpark after it won the
 * settle; the waiter cannot return from weft__park before that unpark. The
 * parker of a fiber outlives all of this (it is inside the fiber object); a
 * thread parker lives as long as its thread, which is parked until unparked.
 * Between prepare and park a fiber must not switch (no yield): the winner of
 * its settle waits for the park's switch to complete (park.c).
 *
 * Deadlines: a fiber's deadline is a timer on its worker's heap, which settles
 * with TIMED_OUT; a thread's deadline is its futex timeout, after which the
 * thread itself tries to settle TIMED_OUT. weft_cancel settles CANCELLED (only
 * waits that were prepared outside a shield are cancellable). */
#ifndef WEFT_RUNTIME_PARK_H
#define WEFT_RUNTIME_PARK_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "weft/fiber.h"

enum {
    WEFT__PARK_WAITING = 0,
    WEFT__PARK_WOKEN = 1,
    WEFT__PARK_TIMED_OUT = 2,
    WEFT__PARK_CANCELLED = 3,
};
#define WEFT__PARK_STATE_MASK  ((uint64_t)3)
#define WEFT__PARK_CANCELLABLE ((uint64_t)4)
#define WEFT__PARK_SEQ_ONE     ((uint64_t)8)

typedef struct weft__parker {
    _Atomic uint64_t word;
    _Atomic uint32_t signal; /* thread parkers: 0 parked awake, 2 asleep, 1 unparked */
    weft_fiber_t *fiber;     /* NULL for a thread parker */
    /* What the current or last wait is on, for the watchdog's dumps of fibers
     * (watchdog.h): a static string and an object (a primitive's address, a
     * descriptor number, a fiber). Read by the watchdog thread, hence atomic. */
    const char *_Atomic wait_what;
    const void *_Atomic wait_obj;
} weft__parker_t;

/* Records what p is about to wait on. Two plain stores on x86; no thread-local
 * lookup, so it costs nothing worth avoiding on a thread parker either. */
static inline void weft__parker_note(weft__parker_t *p, const char *what,
                                     const void *obj) {
    atomic_store_explicit(&p->wait_obj, obj, memory_order_relaxed);
    atomic_store_explicit(&p->wait_what, what, memory_order_release);
}

/* The calling fiber's parker, or the calling thread's. Never NULL. */
weft__parker_t *weft__parker_self(void);

/* Everything a blocking call's fast path needs to know about its caller, read
 * with one thread-local lookup: its parker (also its identity), whether it is a
 * cancelled fiber outside a shield, and whether its runtime wants checkpoints. */
typedef struct weft__caller {
    weft__parker_t *parker;
    int cancelled;
    int checkpoints;
} weft__caller_t;

void weft__caller(weft__caller_t *c);

/* 1 if p has a wait in progress (prepared, not yet settled). A caller that finds
 * its own parker busy is nested inside its own wait: a signal handler that
 * interrupted a blocking call of the same thread or fiber and blocks again.
 * Preparing would overwrite the interrupted wait (lost for ever), so blocking
 * calls refuse with -EDEADLK instead. A parker never used reads 0 (seq 0). */
static inline int weft__parker_busy(weft__parker_t *p) {
    uint64_t w = atomic_load_explicit(&p->word, memory_order_relaxed);
    return w != 0 && (w & WEFT__PARK_STATE_MASK) == WEFT__PARK_WAITING;
}

/* 1 if the calling thread is a worker between fibers (scheduler context: only
 * a signal handler can run weft calls there). A wait would stall every fiber
 * of the worker, possibly inside the scheduler's own critical sections. */
int weft__in_scheduler(void);

/* Whether the caller may start a wait on its parker p now: 0, -EDEADLK (p is
 * already waiting: weft__parker_busy) or -EPERM (weft__in_scheduler). Costs
 * one load for a fiber; a thread parker also asks which worker it is on. */
static inline int weft__parker_check(weft__parker_t *p) {
    if (__builtin_expect(weft__parker_busy(p), 0)) return -EDEADLK;
    if (!p->fiber && weft__in_scheduler()) return -EPERM;
    return 0;
}

/* Starts a new wait: returns its token. Call before publishing the waiter, after
 * weft__parker_check. */
uint64_t weft__parker_prepare(weft__parker_t *p);

/* As weft__parker_prepare, with a release store where prepare has a seq_cst
 * one (a locked instruction on x86). The store must still be ordered before
 * the park's load of `cancelled` (the Dekker pair with weft_cancel): the caller
 * takes its lock with an atomic read-modify-write after this call and before
 * the park, and calls weft__fence_after_rmw once it holds the lock. */
uint64_t weft__parker_prepare_early(weft__parker_t *p);

/* Makes the atomic read-modify-write just done a full fence: x86's locked
 * instructions already are one; elsewhere a seq_cst fence is issued. */
static inline void weft__fence_after_rmw(void) {
#if defined(__x86_64__) || defined(__i386__)
    atomic_signal_fence(memory_order_seq_cst);
#else
    atomic_thread_fence(memory_order_seq_cst);
#endif
}

/* Blocks until the wait `token` is settled. `after(arg)` (may be NULL) runs once
 * the caller can no longer miss a wake-up: for a fiber after its registers are
 * saved, for a thread before it sleeps. Returns 0 (woken by a grant), -ETIMEDOUT
 * or -ECANCELED. A deadline <= now still parks (the timer fires at once);
 * callers implement "try" semantics before calling this. */
int weft__park(weft__parker_t *p, uint64_t token, int64_t deadline, void (*after)(void *),
               void *arg);

/* Settles the wait `token` as granted. 1 if this call won, 0 if the wait had
 * already been settled (timed out or cancelled) or the token is stale. */
int weft__parker_settle(weft__parker_t *p, uint64_t token);

/* Resumes the parker after a winning settle; call outside internal locks. Makes
 * a fiber runnable (on the caller's worker if it is one of the fiber's runtime,
 * else through the runtime's injection queue) or wakes a thread's futex. */
void weft__parker_unpark(weft__parker_t *p);

/* As weft__parker_unpark, but a fiber goes to the back of the waker's run queue
 * instead of its run-next slot: for waking many at once (a broadcast) in order. */
void weft__parker_unpark_fifo(weft__parker_t *p);

/* For blocking entry points: -ECANCELED if the caller is a cancelled fiber
 * outside a shield and the deadline is not already past (tries behave normally),
 * else 0. */
int weft__cancel_check(int64_t deadline);

/* Non-zero if `deadline` is a try (already passed). Every value below
 * WEFT_FOREVER is in the past too. Reads the clock only for a finite deadline. */
static inline int weft__deadline_passed(int64_t deadline) {
    return deadline < WEFT_FOREVER || (deadline >= 0 && deadline <= weft_now());
}

/* The deadline as the lower layers take it: WEFT_FOREVER, or a time >= 0
 * (values below WEFT_FOREVER are in the past: 0). */
static inline int64_t weft__deadline_norm(int64_t deadline) {
    return deadline < WEFT_FOREVER ? 0 : deadline;
}

/* With the runtime's `checkpoints` option, yields once (for a blocking call that
 * did not need to block, unless `deadline` makes it a try); otherwise does
 * nothing. Returns 0 or -ECANCELED. */
int weft__checkpoint(int64_t deadline);

#endif
