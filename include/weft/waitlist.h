/* weft/waitlist.h: the private state every weft primitive embeds.
 *
 * Primitives are value types the caller allocates (no hidden allocation), so
 * their layout is public; the fields are not. Do not read or write them: the
 * library treats `lock` as an atomic spinlock word and `head`/`tail` as its
 * FIFO of waiters (sync/waitq.h). Plain C types keep these headers usable from
 * C++ too. */
#ifndef WEFT_WAITLIST_H
#define WEFT_WAITLIST_H

#include <stddef.h>
#include <stdint.h>

struct weft__wl {
    int lock;
    void *head, *tail;
};

#define WEFT__WL_INIT                                                                    \
    { 0, NULL, NULL }

#endif
