/* runtime/poller.c: the runtime's epoll set and the workers' polling (see
 * poller.h for who polls when, the kick protocol and the client's contract). */
#include "runtime/poller.h"
#include "runtime/fault.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/worker.h"

#define MAX_EVENTS 128
#define KICK_DATA  UINT64_MAX /* the eventfd's registration */

/* Stored (release) before the client's first epoll_ctl, loaded (acquire) after
 * each epoll_wait: an event comes only from a registration made after the
 * store, so a poll that has events has the client. */
static const weft__poller_client_t *_Atomic client;

void weft__poller_set_client(const weft__poller_client_t *c) {
    if (atomic_load_explicit(&client, memory_order_acquire) != c)
        atomic_store_explicit(&client, c, memory_order_release);
}

void weft__poller_runtime_gone(weft_runtime_t *rt) {
    const weft__poller_client_t *c = atomic_load_explicit(&client, memory_order_acquire);
    if (c) c->runtime_gone(rt);
}

int weft__poller_init(weft__poller_t *p) {
    p->epfd = weft__fault_fd(EMFILE) ? -1 : epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0) return -errno;
    p->evfd = weft__fault_fd(EMFILE) ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = KICK_DATA};
    if (p->evfd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->evfd, &ev) != 0) {
        int e = errno;
        if (p->evfd >= 0) close(p->evfd);
        close(p->epfd);
        p->epfd = p->evfd = -1;
        return -e;
    }
    return 0;
}

void weft__poller_fini(weft__poller_t *p) {
    if (p->epfd < 0) return;
    close(p->evfd);
    close(p->epfd);
    p->epfd = p->evfd = -1;
}

/* epoll_wait with a nanosecond deadline: epoll_pwait2 where the kernel has it
 * (5.11+), else a millisecond timeout rounded up so a timer never fires early. */
static int wait_events(int epfd, struct epoll_event *ev, int64_t deadline) {
    static atomic_int no_pwait2;
    int64_t left = 0;
    if (deadline < 0)
        left = -1;
    else if (deadline > 0) {
        left = deadline - weft_now();
        if (left < 0) left = 0;
    }
#ifdef SYS_epoll_pwait2
    if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
        struct timespec ts = {left / 1000000000, left % 1000000000};
        int n = epoll_pwait2(epfd, ev, MAX_EVENTS, left < 0 ? NULL : &ts, NULL);
        if (n >= 0 || errno != ENOSYS) return n;
        atomic_store_explicit(&no_pwait2, 1, memory_order_relaxed);
    }
#endif
    int ms = left < 0 ? -1 : (int)((left + 999999) / 1000000);
    if (left > (int64_t)INT32_MAX * 1000000) ms = INT32_MAX;
    return epoll_wait(epfd, ev, MAX_EVENTS, ms);
}

int weft__poller_poll(weft__worker_t *w, int64_t deadline) {
    weft__poller_t *p = &w->rt->poller;
    int zero = 0;
    if (atomic_load_explicit(&p->owner, memory_order_relaxed) != 0 ||
        !atomic_compare_exchange_strong(&p->owner, &zero, 1))
        return -EBUSY;
    if (deadline != 0) {
        atomic_store_explicit(&p->blocked, w, memory_order_seq_cst);
        if (atomic_load_explicit(&w->park_word, memory_order_seq_cst) != 0) deadline = 0;
    }
    struct epoll_event ev[MAX_EVENTS];
    int n = wait_events(p->epfd, ev, deadline);
    if (deadline != 0) atomic_store_explicit(&p->blocked, NULL, memory_order_relaxed);
    const weft__poller_client_t *c = atomic_load_explicit(&client, memory_order_acquire);
    int handled = 0;
    for (int i = 0; i < n; i++) {
        if (ev[i].data.u64 == KICK_DATA) {
            uint64_t v;
            while (read(p->evfd, &v, sizeof v) == sizeof v) {
            }
            continue;
        }
        if (!c) continue; /* cannot happen: only the client registers */
        c->event(ev[i].data.u64, ev[i].events);
        handled++;
    }
    atomic_store_explicit(&p->owner, 0, memory_order_release);
    return handled;
}

void weft__poller_kick_if(weft__poller_t *p, weft__worker_t *w) {
    if (atomic_load_explicit(&p->blocked, memory_order_seq_cst) != w) return;
    uint64_t one = 1;
    ssize_t r = write(p->evfd, &one, sizeof one);
    (void)r; /* EAGAIN: the counter is saturated, so a kick is already pending */
}
