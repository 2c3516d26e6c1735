/* runtime/fault.c: the failure-injection points (see fault.h). */
#include "runtime/fault.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

_Atomic long weft__fault_countdown = -1;
_Atomic long weft__fault_hits;

int weft__fault_slow(void) {
    long c = atomic_load_explicit(&weft__fault_countdown, memory_order_relaxed);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&weft__fault_countdown, &c,
                                         c == 1 ? -1 : c - 1)) {
            atomic_fetch_add(&weft__fault_hits, 1);
            return c == 1;
        }
    }
    return 0;
}

void *weft__malloc(size_t n) {
    return weft__fault() ? NULL : malloc(n);
}

void *weft__calloc(size_t n, size_t size) {
    return weft__fault() ? NULL : calloc(n, size);
}

void *weft__realloc(void *p, size_t n) {
    return weft__fault() ? NULL : realloc(p, n);
}

void *weft__aligned_alloc(size_t align, size_t n) {
    return weft__fault() ? NULL : aligned_alloc(align, n);
}

char *weft__strdup(const char *s) {
    return weft__fault() ? NULL : strdup(s);
}

void *weft__mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    if (weft__fault()) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return mmap(addr, len, prot, flags, fd, off);
}

int weft__pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *),
                         void *arg) {
    return weft__fault() ? EAGAIN : pthread_create(t, a, fn, arg);
}

int weft__fault_fd(int err) {
    if (!weft__fault()) return 0;
    errno = err;
    return -1;
}
