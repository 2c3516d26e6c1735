/* weft/flag.h: an atomic one-slot "set if unset" cell (aiologic Flag).
 *
 * A flag is either unset or holds one `void *` value (NULL included). The first
 * weft_flag_set after init or clear stores its value; later sets leave it alone
 * and report that they lost. Every operation is one atomic instruction on one
 * word: wait-free, never blocks, never yields, needs no fiber and no thread
 * identity, and is async-signal-safe (callable from a signal handler), because
 * it touches no lock, no thread-local and no allocator.
 *
 * Fairness: there is nothing to wait for; among racing setters exactly one wins,
 * whichever reaches the word first. */
#ifndef WEFT_FLAG_H
#define WEFT_FLAG_H

#include <stddef.h>

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_flag {
    void *word; /* private: NULL when unset, else the encoded value */
} weft_flag_t;

/* An unset flag. A zero-filled weft_flag_t is unset too. */
#define WEFT_FLAG_INIT                                                                   \
    { NULL }

/* Makes f unset. 0, or -EINVAL for NULL. */
WEFT_API int weft_flag_init(weft_flag_t *f);
/* Nothing to release: 0 (a set flag may be destroyed), or -EINVAL for NULL. */
WEFT_API int weft_flag_destroy(weft_flag_t *f);

/* Sets f to v if f is unset. Anywhere (fiber, thread, signal handler); never
 * blocks or yields. Returns 1 if this call set it; 0 if it was already set (the
 * stored value is unchanged); -EINVAL for NULL f. Any v is accepted, NULL
 * included. */
WEFT_API int weft_flag_set(weft_flag_t *f, void *v);

/* Reads f. Anywhere; never blocks. Returns 0 and stores the value in *v (v may
 * be NULL to only test); -ENOENT if f is unset (*v untouched); -EINVAL for NULL
 * f. */
WEFT_API int weft_flag_get(const weft_flag_t *f, void **v);

/* 1 if f is set, else 0 (also for NULL). Anywhere. */
WEFT_API int weft_flag_is_set(const weft_flag_t *f);

/* Makes f unset, so the next set wins again. Anywhere; never blocks. Returns 1 if
 * this call cleared a set flag, 0 if it was already unset; -EINVAL for NULL. */
WEFT_API int weft_flag_clear(weft_flag_t *f);

#ifdef __cplusplus
}
#endif
#endif
