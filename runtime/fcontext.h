/* runtime/fcontext.h: our C declarations of Boost.Context's fcontext ABI
 * (libboost_context, implemented in assembly; no C++ is involved).
 *
 * make_fcontext(sp, size, fn) prepares a context whose stack TOP is sp; the first
 * jump into it calls fn(transfer). jump_fcontext(to, data) saves the callee-saved
 * registers on the current stack, switches to `to` and returns, when something
 * jumps back, a transfer whose fctx is the context that jumped here and whose data
 * is what it passed. `fn` must never return. */
#ifndef WEFT_RUNTIME_FCONTEXT_H
#define WEFT_RUNTIME_FCONTEXT_H

#include <stddef.h>

typedef void *weft__fctx_t;

typedef struct weft__transfer {
    weft__fctx_t fctx;
    void *data;
} weft__transfer_t;

weft__transfer_t jump_fcontext(weft__fctx_t const to, void *vp);
weft__fctx_t make_fcontext(void *sp, size_t size, void (*fn)(weft__transfer_t));
weft__transfer_t ontop_fcontext(weft__fctx_t const to, void *vp,
                                weft__transfer_t (*fn)(weft__transfer_t));

#endif
