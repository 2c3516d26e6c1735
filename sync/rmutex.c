/* sync/rmutex.c: weft_rmutex_t (see weft/rmutex.h), on the ownable-lock core.
 *
 * `count` is touched only by the owner, except at a hand-off: the releaser writes
 * the new owner's count (its node's data) after making it the owner and before
 * waking it, while the new owner is still parked. */
#include "weft/rmutex.h"

#include <errno.h>
#include <limits.h>

#include "sync/ownlock.h"

int weft_rmutex_init(weft_rmutex_t *m) {
    if (!m) return -EINVAL;
    *m = (weft_rmutex_t)WEFT_RMUTEX_INIT;
    return 0;
}

int weft_rmutex_destroy(weft_rmutex_t *m) {
    if (!m) return -EINVAL;
    return weft__own_load(&m->owner) != 0 ? -EBUSY : 0;
}

static int owned_by(const weft_rmutex_t *m, uintptr_t me) {
    return (weft__own_load(&m->owner) & ~WEFT__OWN_WAITERS) == me;
}

int weft_rmutex_lock(weft_rmutex_t *m, int64_t deadline) {
    if (!m) return -EINVAL;
    uintptr_t me = weft__self_id();
    int r = weft__cancel_check(deadline);
    if (r) return r;
    if (owned_by(m, me)) {
        if (m->count == UINT_MAX) return -EOVERFLOW;
        m->count++;
        weft__checkpoint(deadline);
        return 0;
    }
    r = weft__own_lock(&m->owner, &m->wl, me, deadline, 1, 0);
    if (r == 0) {
        m->count = 1;
        weft__checkpoint(deadline);
    }
    return r < 0 ? r : 0;
}

int weft_rmutex_unlock(weft_rmutex_t *m) {
    if (!m) return -EINVAL;
    if (!owned_by(m, weft__self_id())) return -EPERM;
    if (--m->count > 0) return 0;
    weft__waiter_t *w = weft__own_release(&m->owner, &m->wl);
    if (w) {
        m->count = (unsigned)w->data;
        weft__waitq_wake(w);
    }
    return 0;
}

int weft_rmutex_count(const weft_rmutex_t *m) {
    return m && owned_by(m, weft__self_id()) ? (int)m->count : 0;
}

int weft_rmutex_is_locked(const weft_rmutex_t *m) {
    return m && weft__own_load(&m->owner) != 0;
}
