/* io/fdtab.c: the descriptor table and readiness waits (see fdtab.h for the
 * protocol). It is the poller's client (runtime/poller.h): installed before the
 * first registration, it receives every epoll event and hears of every runtime
 * freed. Lock order: a descriptor's spinlock is a leaf (nothing else is taken
 * under it); epoll_ctl runs under it only when a registration is made or
 * dropped, once per descriptor lifetime. */
#include "io/fdtab.h"
#include "runtime/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "runtime/fiber_impl.h"
#include "runtime/poller.h"
#include "runtime/worker.h"
#include "sync/waitq.h"

#define CHUNK_SHIFT 8
#define CHUNK       (1 << CHUNK_SHIFT)
#define NCHUNKS     (1 << 16)      /* descriptors up to 16M */
#define CLOSED_DATA ((uintptr_t)1) /* the registration was dropped: -EBADF */
#define MOVED_DATA  ((uintptr_t)2) /* its runtime is gone: register again */

struct weft__fdesc {
    weft__spin_t lock;
    int fd;              /* the number this record belongs to (for dumps) */
    uint32_t gen;        /* bumped on every drop; events carry it */
    weft_runtime_t *rt;  /* whose epoll set holds the registration; NULL: none */
    uint32_t moved_from; /* valid with `moved`: the generation whose runtime went */
    uint8_t moved;
    uint8_t ready[WEFT__NDIR];
    _Atomic uint8_t drained; /* a hint: the last read returned short (fdtab.h) */
    uint8_t stream;          /* a byte stream (stream socket, pipe): hints apply */
    uint8_t socket;          /* a socket: writes go through send(MSG_NOSIGNAL) */
    _Atomic uint8_t hup;     /* an edge carried a hang-up or error: no more hints */
    weft__waitq_t q[WEFT__NDIR];
};

static weft__fdesc_t *_Atomic chunks[NCHUNKS];

static void on_event(uint64_t data, uint32_t events);
static void on_runtime_gone(weft_runtime_t *rt);
static const weft__poller_client_t client = {on_event, on_runtime_gone};

static weft__fdesc_t *fdesc(int fd, int create) {
    if (fd < 0 || fd >= CHUNK * NCHUNKS) return NULL;
    weft__fdesc_t *c =
        atomic_load_explicit(&chunks[fd >> CHUNK_SHIFT], memory_order_acquire);
    if (!c && create) {
        weft__fdesc_t *fresh = weft__calloc(CHUNK, sizeof *fresh);
        if (!fresh) return NULL;
        for (int i = 0; i < CHUNK; i++) {
            fresh[i].lock = (weft__spin_t)WEFT__SPIN_INIT;
            fresh[i].fd = (fd & ~(CHUNK - 1)) + i;
        }
        if (atomic_compare_exchange_strong_explicit(&chunks[fd >> CHUNK_SHIFT], &c, fresh,
                                                    memory_order_acq_rel,
                                                    memory_order_acquire))
            c = fresh;
        else
            free(fresh); /* another thread published the chunk first */
    }
    return c ? &c[fd & (CHUNK - 1)] : NULL;
}

static uint64_t event_data(int fd, uint32_t gen) {
    return (uint64_t)gen << 32 | (uint32_t)fd;
}

/* With d->lock held. */
static int do_register(weft__fdesc_t *d, int fd, weft_runtime_t *rt) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u64 = event_data(fd, d->gen)};
    weft__poller_set_client(&client); /* before any event can come */
    if (weft__fault_fd(ENOMEM) != 0 ||
        epoll_ctl(rt->poller.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        /* EEXIST: a registration of an older generation the table forgot
         * without telling the kernel (fd closed with close(2) while dup'ed). */
        if (errno != EEXIST || epoll_ctl(rt->poller.epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
            return -errno;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)) {
        int e = errno;
        epoll_ctl(rt->poller.epfd, EPOLL_CTL_DEL, fd, NULL);
        return -e;
    }
    for (int i = 0; i < WEFT__NDIR; i++)
        d->ready[i] = 1; /* the first wait tries once more: cheap, and never misses */
    /* Only in a byte stream does a short read prove the buffer empty: a
     * datagram socket returns one message however many are queued. */
    int type = 0;
    socklen_t len = sizeof type;
    struct stat st;
    d->socket = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
    if (d->socket)
        d->stream = type == SOCK_STREAM;
    else
        d->stream = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
    atomic_store_explicit(&d->drained, 0, memory_order_relaxed);
    atomic_store_explicit(&d->hup, 0, memory_order_relaxed);
    __atomic_store_n(&d->rt, rt, __ATOMIC_RELEASE);
    return 0;
}

weft__fdesc_t *weft__fd_get(int fd, uint32_t *gen, int *err) {
    weft__worker_t *w = weft__worker_self();
    weft__fdesc_t *d = fdesc(fd, 1);
    if (!d) {
        *err = fd < 0 || fd >= CHUNK * NCHUNKS ? -EBADF : -ENOMEM;
        return NULL;
    }
    /* Registered already (every call after the first): no lock. A generation
     * read just as weft_close drops it only makes the wait see -EBADF. */
    if (__atomic_load_n(&d->rt, __ATOMIC_ACQUIRE)) {
        *gen = __atomic_load_n(&d->gen, __ATOMIC_ACQUIRE);
        return d;
    }
    weft__spin_lock(&d->lock);
    int r = d->rt ? 0 : do_register(d, fd, w->rt);
    *gen = d->gen;
    weft__spin_unlock(&d->lock);
    if (r) {
        *err = r;
        return NULL;
    }
    return d;
}

int weft__fd_wait(weft__fdesc_t *d, uint32_t gen, int dir, int64_t deadline) {
    weft__spin_lock(&d->lock);
    if (d->gen != gen || !d->rt) {
        int moved = d->moved && d->moved_from == gen;
        weft__spin_unlock(&d->lock);
        return moved ? -EAGAIN : -EBADF;
    }
    if (d->ready[dir]) {
        d->ready[dir] = 0;
        weft__spin_unlock(&d->lock);
        return 1; /* an edge came while nobody waited: try again, no switch */
    }
    if (weft__deadline_passed(deadline)) {
        weft__spin_unlock(&d->lock);
        return -ETIMEDOUT;
    }
    weft__poller_t *p = &d->rt->poller;
    atomic_fetch_add_explicit(&p->waiters, 1, memory_order_relaxed);
    weft__waiter_t w = {.parker = weft__parker_self()};
    static const char *const what[WEFT__NDIR] = {
        "descriptor (read)", "descriptor (write)", "descriptor (poll)"};
    int r = weft__waitq_wait(&d->lock, &d->q[dir], &w, deadline, what[dir],
                             (const void *)(intptr_t)d->fd);
    if (r != 0) {
        if (w.queued) weft__waitq_remove(&d->q[dir], &w);
        weft__spin_unlock(&d->lock);
    }
    atomic_fetch_sub_explicit(&p->waiters, 1, memory_order_relaxed);
    if (r == 0 && w.data == CLOSED_DATA) return -EBADF;
    if (r == 0 && w.data == MOVED_DATA) return -EAGAIN;
    return r;
}

/* Puts a granted chain in front of *out. */
static void append(weft__waiter_t **out, weft__waiter_t *chain) {
    if (!chain) return;
    weft__waiter_t *last = chain;
    while (last->next)
        last = last->next;
    last->next = *out;
    *out = chain;
}

/* With d->lock held: grants direction `dir` (each node's data set to `data`)
 * onto *out, or marks the direction ready when nobody could be granted. */
static void grant_dir(weft__fdesc_t *d, int dir, uintptr_t data, weft__waiter_t **out) {
    weft__waiter_t *chain = weft__waitq_grant_all(&d->q[dir]);
    d->ready[dir] = chain == NULL;
    weft__waitq_chain_set_data(chain, data);
    append(out, chain);
}

int weft__fd_drained(weft__fdesc_t *d) {
    /* After a hang-up the end of the stream (or an error) may sit behind the
     * bytes a short read took, announced by an edge already consumed. */
    return d->stream && atomic_load_explicit(&d->drained, memory_order_relaxed) &&
           !atomic_load_explicit(&d->hup, memory_order_relaxed);
}

int weft__fd_is_socket(weft__fdesc_t *d) {
    return d->socket;
}

void weft__fd_set_drained(weft__fdesc_t *d, int drained) {
    if (d->stream && atomic_load_explicit(&d->drained, memory_order_relaxed) != drained)
        atomic_store_explicit(&d->drained, (uint8_t)drained, memory_order_relaxed);
}

/* An epoll event (data from the registration, EPOLL* bits): grants waiters. */
static void on_event(uint64_t data, uint32_t events) {
    weft__fdesc_t *d = fdesc((int)(uint32_t)data, 0);
    if (!d) return;
    weft__waiter_t *wake = NULL;
    weft__spin_lock(&d->lock);
    if (d->gen == (uint32_t)(data >> 32) && d->rt) {
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            atomic_store_explicit(&d->hup, 1, memory_order_relaxed);
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            grant_dir(d, WEFT__DIR_IN, 0, &wake);
        if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            grant_dir(d, WEFT__DIR_OUT, 0, &wake);
        grant_dir(d, WEFT__DIR_ANY, 0, &wake);
    }
    weft__spin_unlock(&d->lock);
    weft__waitq_wake_all(wake);
}

/* With d->lock held: ends the registration; waiters get `data`. */
static weft__waiter_t *drop_locked(weft__fdesc_t *d, uintptr_t data) {
    weft__waiter_t *wake = NULL;
    __atomic_store_n(&d->gen, d->gen + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&d->rt, NULL, __ATOMIC_RELEASE);
    for (int i = 0; i < WEFT__NDIR; i++) {
        grant_dir(d, i, data, &wake);
        d->ready[i] = 0;
    }
    return wake;
}

void weft__fd_drop(int fd, int fresh) {
    weft__fdesc_t *d = fdesc(fd, 0);
    if (!d) return;
    weft__spin_lock(&d->lock);
    if (!d->rt && weft__waitq_empty(&d->q[0]) && weft__waitq_empty(&d->q[1]) &&
        weft__waitq_empty(&d->q[2])) {
        if (fresh) __atomic_store_n(&d->gen, d->gen + 1, __ATOMIC_RELEASE);
        d->moved = 0;
        weft__spin_unlock(&d->lock);
        return;
    }
    d->moved = 0;
    if (d->rt && !fresh) epoll_ctl(d->rt->poller.epfd, EPOLL_CTL_DEL, fd, NULL);
    weft__waiter_t *wake = drop_locked(d, CLOSED_DATA);
    weft__spin_unlock(&d->lock);
    weft__waitq_wake_all(wake);
}

/* As a runtime is freed: forgets every registration made with it and wakes
 * their waiters (who re-register on their own runtime). */
static void on_runtime_gone(weft_runtime_t *rt) {
    for (int c = 0; c < NCHUNKS; c++) {
        weft__fdesc_t *chunk = atomic_load_explicit(&chunks[c], memory_order_acquire);
        if (!chunk) continue;
        for (int i = 0; i < CHUNK; i++) {
            weft__fdesc_t *d = &chunk[i];
            if (__atomic_load_n(&d->rt, __ATOMIC_ACQUIRE) != rt) continue;
            weft__waiter_t *wake = NULL;
            weft__spin_lock(&d->lock);
            /* Only fibers of other runtimes can still wait: they register again
             * with their own runtime and retry. */
            if (d->rt == rt) {
                d->moved = 1;
                d->moved_from = d->gen;
                wake = drop_locked(d, MOVED_DATA);
            }
            weft__spin_unlock(&d->lock);
            weft__waitq_wake_all(wake);
        }
    }
}
