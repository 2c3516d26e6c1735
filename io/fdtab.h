/* io/fdtab.h: per-descriptor readiness for fibers (the readiness waits of
 * weft/io.h, fed by the runtime's poller, whose client this table is: see
 * runtime/poller.h).
 *
 * A process-wide table maps a descriptor number to a weft__fdesc_t, allocated
 * in chunks on first use and kept for the life of the process (as the kernel
 * reuses numbers, so do we). A descriptor is registered once, edge-triggered
 * for input and output, with the epoll set of the runtime of the first fiber
 * that waits on it; the registration stays until weft_close/weft_fd_forget (or
 * until the number is handed out again by weft_accept or the socket helpers).
 * Each registration has a generation, carried in the epoll event, so an event
 * for an old registration of a reused number is ignored.
 * Readiness per direction (input, output, either) is a flag plus a FIFO of
 * waiters (sync/waitq.h) under the descriptor's spinlock:
 *   event:  grant every waiter of each direction the event covers; if none was
 *           granted, set the direction's ready flag instead;
 *   waiter: after its I/O call failed with EAGAIN: lock; consume the ready flag
 *           if set (and retry), else queue and park.
 * Waking every waiter of a direction (rather than one) is what makes an edge
 * safe: each retries its call, and those that find nothing queue again behind
 * an EAGAIN that came after the edge. A ready flag left set by an edge nobody
 * waited for costs the next waiter one extra try. */
#ifndef WEFT_IO_FDTAB_H
#define WEFT_IO_FDTAB_H

#include <stdint.h>

#include "runtime/spin.h"
#include "weft/runtime.h"

enum { WEFT__DIR_IN, WEFT__DIR_OUT, WEFT__DIR_ANY, WEFT__NDIR };

typedef struct weft__fdesc weft__fdesc_t;

/* Registers fd with the calling fiber's runtime if it is not registered yet
 * (setting O_NONBLOCK on it), and returns its descriptor record with *gen set
 * to the registration's generation. NULL with *err: -EPERM when the poller
 * cannot watch fd (a regular file: use the offload pool), -EBADF, -ENOMEM. */
weft__fdesc_t *weft__fd_get(int fd, uint32_t *gen, int *err);

/* Parks the calling fiber until an event for direction `dir` arrives on the
 * registration `gen` (0), the deadline (-ETIMEDOUT) or a cancel (-ECANCELED);
 * 1 without parking when such an event came since the last wait;
 * -EBADF if the registration was dropped (weft_close) before or while waiting;
 * -EAGAIN if it must be made again (its runtime is gone): call weft__fd_get. */
int weft__fd_wait(weft__fdesc_t *d, uint32_t gen, int dir, int64_t deadline);

/* The "drained" hint: set when a read returned fewer bytes than asked, so the
 * socket's buffer was empty a moment ago. Any byte that arrives after that
 * moment raises a new edge, so the next read may go straight to
 * weft__fd_wait (which returns at once if such an edge came already) and save
 * a system call that would only have said EAGAIN. Not after a hang-up or
 * error edge: the end of the stream may have come with the bytes the short
 * read took, in an edge that was already consumed. A hint only: several
 * readers may race on it, which costs at most that one call. */
int weft__fd_drained(weft__fdesc_t *d);
/* Non-zero for a socket (known since registration). */
int weft__fd_is_socket(weft__fdesc_t *d);
void weft__fd_set_drained(weft__fdesc_t *d, int drained);

/* Drops fd's registration (if any): waiters wake with -EBADF. For a number
 * just returned by the kernel (accept, socket), `fresh` skips the epoll_ctl
 * call (the kernel dropped the old registration when the number was closed). */
void weft__fd_drop(int fd, int fresh);

#endif
