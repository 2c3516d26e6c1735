/* weft/rwlock.h: a fair readers-writer lock shared by fibers and threads.
 *
 * Fairness: one FIFO of waiting readers and writers together. A reader enters
 * at once only if no writer holds the lock and nobody is queued; otherwise it
 * queues. A release serves the queue head: a writer alone, or the whole run of
 * readers at the head at once. So a waiting writer is never overtaken by later
 * readers, and readers queued behind a writer enter together when it leaves:
 * neither side starves. Uncontended read and write locks are one atomic
 * compare-and-swap each. */
#ifndef WEFT_RWLOCK_H
#define WEFT_RWLOCK_H

#include <stdint.h>

#include "weft/common.h"
#include "weft/waitlist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_rwlock {
    uint64_t state;   /* private: readers << 2 | WRITER | WAITERS */
    uintptr_t writer; /* private: the writer's identity */
    struct weft__wl wl;
} weft_rwlock_t;

#define WEFT_RWLOCK_INIT                                                                 \
    { 0, 0, WEFT__WL_INIT }

WEFT_API int weft_rwlock_init(weft_rwlock_t *l); /* 0 or -EINVAL */
WEFT_API int
weft_rwlock_destroy(weft_rwlock_t *l); /* 0, -EBUSY while held or waited on */

/* Shared lock. Fiber or thread. 0; -ETIMEDOUT; -ECANCELED; -EDEADLK (the caller
 * holds the write lock); -EINVAL. Read locks are not reentrant across a queued
 * writer: a reader that read-locks again while a writer waits deadlocks, as
 * with any fair readers-writer lock. */
WEFT_API int weft_rwlock_rdlock(weft_rwlock_t *l, int64_t deadline);
/* Exclusive lock. 0; -ETIMEDOUT; -ECANCELED; -EDEADLK (already the writer); -EINVAL. */
WEFT_API int weft_rwlock_wrlock(weft_rwlock_t *l, int64_t deadline);
/* Releases a read lock. Never blocks. 0; -EPERM (no reader holds it); -EINVAL. */
WEFT_API int weft_rwlock_rdunlock(weft_rwlock_t *l);
/* Releases the write lock. Never blocks. 0; -EPERM (caller is not the writer). */
WEFT_API int weft_rwlock_wrunlock(weft_rwlock_t *l);

/* Current readers (0 when none), and 1 if a writer holds it. */
WEFT_API int weft_rwlock_readers(const weft_rwlock_t *l);
WEFT_API int weft_rwlock_is_write_locked(const weft_rwlock_t *l);

#ifdef __cplusplus
}
#endif
#endif
