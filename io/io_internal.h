/* io/io_internal.h: what the files of io/ share. */
#ifndef WEFT_IO_INTERNAL_H
#define WEFT_IO_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

/* ppoll(2) on one descriptor until `events` or the deadline: the revents, or
 * -ETIMEDOUT, -EBADF, another negative errno. For plain threads. */
int weft__io_thread_wait(int fd, short events, int64_t deadline);

/* read/write (offset < 0) or pread/pwrite on the calling fiber's offload pool,
 * through a pool-owned buffer (at most 1 MiB per call: a short count beyond). */
ssize_t weft__offload_rw(int fd, void *buf, size_t n, off_t offset, int is_write,
                         int64_t deadline);

#endif
