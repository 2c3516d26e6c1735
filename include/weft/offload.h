/* weft/offload.h: running blocking work on a bounded pool of threads.
 *
 * Each runtime owns an offload pool of at most `offload_threads` threads
 * (weft_runtime_opts_t; started on demand, joined by weft_runtime_destroy).
 * A fiber hands a blocking function to the pool and parks until it finishes;
 * its worker keeps running other fibers. The pool never grows past its bound:
 * excess calls wait in FIFO order for a free thread.
 * A timeout or cancellation returns to the fiber at once:
 *   - a call whose function had not started yet is withdrawn: it never runs;
 *   - a call whose function is running is abandoned: the function runs to its
 *     end on its pool thread, and its result is handed to `on_abandon` (with
 *     weft_offload_ex) or dropped.
 * So with a finite deadline or a cancellable fiber, `arg` must stay valid until
 * the function returns: heap memory released by `on_abandon` (see
 * weft_offload_ex), never the caller's stack. Called from a plain thread, the
 * function simply runs on the caller (it may block; no pool involved). */
#ifndef WEFT_OFFLOAD_H
#define WEFT_OFFLOAD_H

#include <netdb.h>
#include <stdint.h>
#include <sys/types.h>

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs fn(arg) on the pool; *result (if not NULL) receives its return value.
 * 0; -ETIMEDOUT or -ECANCELED (see above; also for a try, and for a fiber
 * already cancelled: fn then never runs); -EINVAL (fn NULL); -ENOMEM; -EAGAIN
 * (no pool thread could be started: the call was withdrawn).
 * From a plain thread: runs fn(arg) inline, after a deadline check
 * (-ETIMEDOUT if the deadline has already passed). */
WEFT_API int weft_offload(void *(*fn)(void *), void *arg, void **result,
                          int64_t deadline);

/* As weft_offload; if the call returns -ETIMEDOUT or -ECANCELED, ownership of
 * `arg` passes to the pool, which calls on_abandon(arg, result, ran) exactly
 * once when it is done with it: ran = 1 with fn's result if fn had started,
 * ran = 0 and result NULL if it was withdrawn. on_abandon runs on a pool
 * thread (or on the caller, for a withdrawn call) and must not block for long.
 * After any other return (0, -EINVAL, -ENOMEM, -EAGAIN) it is not called and
 * the caller keeps arg. */
WEFT_API int weft_offload_ex(void *(*fn)(void *), void *arg, void **result,
                             int64_t deadline,
                             void (*on_abandon)(void *arg, void *result, int ran));

/* getaddrinfo(3) on the pool. 0 with *res (free with freeaddrinfo); -ETIMEDOUT;
 * -ECANCELED; -ENOMEM; -EINVAL (res NULL, or both node and service NULL);
 * -ENOENT when resolution fails, with the EAI_* code in *gai_error (if not
 * NULL; 0 otherwise) for gai_strerror. Inputs are copied, so nothing the caller
 * passed is touched after a timeout. */
WEFT_API int weft_getaddrinfo(const char *node, const char *service,
                              const struct addrinfo *hints, struct addrinfo **res,
                              int64_t deadline, int *gai_error);

/* pread(2)/pwrite(2) on the pool, for files and other descriptors the poller
 * cannot watch. Data passes through a pool-owned buffer, so `buf` is never
 * touched after a timeout or cancel. The count, or a negative errno. */
WEFT_API ssize_t weft_pread(int fd, void *buf, size_t n, off_t offset, int64_t deadline);
WEFT_API ssize_t weft_pwrite(int fd, const void *buf, size_t n, off_t offset,
                             int64_t deadline);

/* Threads the calling fiber's runtime pool has started so far (<= its bound),
 * for tests and the no-leak example; -EPERM from a plain thread. */
WEFT_API int weft_offload_threads(void);

#ifdef __cplusplus
}
#endif
#endif
