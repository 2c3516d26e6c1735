/* runtime/fault.h: failure injection at every point where the library acquires
 * a resource (memory, mappings, threads, descriptors), for the fault tests.
 *
 * weft__fault_countdown < 0 (the default) disables it: a point then costs one
 * relaxed load. Set to k > 0, the k-th point reached from then on fails (as its
 * resource would: NULL, MAP_FAILED, EAGAIN, EMFILE) and injection switches
 * itself off again, so a test can fail the 1st, 2nd, ... point of a scenario in
 * turn. weft__fault_hits counts the points reached while injection is on, which
 * with a huge countdown measures how many points a scenario has. */
#ifndef WEFT_RUNTIME_FAULT_H
#define WEFT_RUNTIME_FAULT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>

extern _Atomic long weft__fault_countdown;
extern _Atomic long weft__fault_hits;

int weft__fault_slow(void);

/* Non-zero when this point must fail. */
static inline int weft__fault(void) {
    if (__builtin_expect(
            atomic_load_explicit(&weft__fault_countdown, memory_order_relaxed) < 0, 1))
        return 0;
    return weft__fault_slow();
}

void *weft__malloc(size_t n);
void *weft__calloc(size_t n, size_t size);
void *weft__realloc(void *p, size_t n);
void *weft__aligned_alloc(size_t align, size_t n);
char *weft__strdup(const char *s);
void *weft__mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int weft__pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *),
                         void *arg);
/* For descriptor-creating or -registering calls: -1 with errno = err when this
 * point fails, else 0. */
int weft__fault_fd(int err);

#endif
