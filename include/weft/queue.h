/* weft/queue.h: a queue of void * items (FIFO, LIFO or priority; bounded or
 * unbounded) shared by fibers and threads.
 *
 * Fairness: getters are served in arrival order and putters too; an item put
 * while getters wait goes straight to the oldest getter, and a slot freed while
 * putters wait goes straight to the oldest putter's item, so no late caller
 * overtakes a queued one. Items are never copied: the queue stores the pointers.
 * An unbounded queue grows its array (doubling) under its internal lock; a
 * bounded one allocates everything at init. */
#ifndef WEFT_QUEUE_H
#define WEFT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { WEFT_FIFO = 0, WEFT_LIFO = 1, WEFT_PRIORITY = 2 };

typedef struct weft_queue {
    /* private */
    void **items;
    size_t cap, head, len, maxsize;
    int kind, state;
    int (*cmp)(const void *, const void *);
    struct weft__wl wl; /* the lock, and the getters */
    void *put_head, *put_tail;
} weft_queue_t;

/* kind: WEFT_FIFO, WEFT_LIFO or WEFT_PRIORITY (cmp required: an item a with
 * cmp(a, b) < 0 comes out before b; equal items in no particular order);
 * maxsize 0 means unbounded. 0; -EINVAL (NULL, bad kind, PRIORITY without cmp);
 * -ENOMEM. */
WEFT_API int weft_queue_init(weft_queue_t *q, int kind, size_t maxsize,
                             int (*cmp)(const void *, const void *));
/* Frees the queue's array (the items themselves are the caller's) and leaves
 * the queue shut down and empty: a put or get after destroy returns -EPIPE.
 * 0; -EBUSY while callers wait; -EINVAL. */
WEFT_API int weft_queue_destroy(weft_queue_t *q);

/* Adds item before the deadline (waits only while a bounded queue is full).
 * Fiber or thread. 0; -ETIMEDOUT (full: a try, or the deadline passed); -EPIPE
 * (shut down, also while waiting); -ECANCELED; -ENOMEM (an unbounded queue could
 * not grow; nothing was added); -EINVAL. */
WEFT_API int weft_queue_put(weft_queue_t *q, void *item, int64_t deadline);

/* Removes the next item (oldest, newest or smallest by kind) into *item before
 * the deadline. Fiber or thread. 0; -ETIMEDOUT (empty: a try, or the deadline
 * passed); -EPIPE (shut down and drained); -ECANCELED; -EINVAL. */
WEFT_API int weft_queue_get(weft_queue_t *q, void **item, int64_t deadline);

/* Items currently stored. */
WEFT_API int weft_queue_len(const weft_queue_t *q);

/* Shuts the queue down: later puts fail with -EPIPE; gets drain what is left and
 * then fail with -EPIPE (immediate: what is left is dropped at once). Every
 * blocked caller is woken with -EPIPE. Never blocks; callable from anywhere.
 * 0; -EINVAL. */
WEFT_API int weft_queue_shutdown(weft_queue_t *q, int immediate);

#ifdef __cplusplus
}
#endif
#endif
