/* io/server.c: weft/server.h, a fiber per connection.
 *
 * Invariants: every accepted connection holds one slot (a semaphore permit)
 * from before its accept until its handler has returned and the descriptor is
 * closed; a connection is in `conns` (under `lock`) exactly while its handler
 * may still be cancelled, and its handler detaches itself only after leaving
 * the list, so shutdown never cancels a fiber that is gone. `drained` is set
 * once the server is stopping and the last handler has left. The server is
 * freed by whoever drops the last reference (shutdown holds one, each handler
 * one): a handler still inside weft_event_set(&drained) when shutdown returns
 * must not find the server gone. */
#include "weft/server.h"
#include "runtime/fault.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "weft/event.h"
#include "weft/fiber.h"
#include "weft/io.h"
#include "weft/sem.h"
#include "weft/mutex.h"
#include "weft/time.h"

#define DEFAULT_MAX_CONNS 10000
#define RETRY_NS          (10 * 1000 * 1000) /* after EMFILE and the like */

typedef struct conn_node {
    weft_conn_t c;
    weft_fiber_t *fiber;
    struct conn_node *prev, *next;
} conn_node_t;

struct weft_server {
    int lfd;
    weft_server_opts_t o;
    weft_sem_t slots;  /* free connection slots: a semaphore, since the acceptor
                        * takes a slot and the handler gives it back */
    weft_mutex_t lock; /* guards conns, stopping */
    conn_node_t *conns;
    int stopping;
    atomic_int active;
    atomic_int refs;
    _Atomic uint64_t accepted;
    weft_fiber_t *acceptor;
    weft_event_t drained;
};

static void unlink_conn(weft_server_t *s, conn_node_t *n) {
    if (n->prev)
        n->prev->next = n->next;
    else
        s->conns = n->next;
    if (n->next) n->next->prev = n->prev;
}

static void server_unref(weft_server_t *s) {
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    weft_sem_destroy(&s->slots);
    weft_mutex_destroy(&s->lock);
    weft_event_destroy(&s->drained);
    free(s);
}

static void *handle(void *p) {
    conn_node_t *n = p;
    weft_server_t *s = n->c.server;
    s->o.handler(&n->c);
    weft_shield_begin(); /* the bookkeeping below must finish even if cancelled */
    weft_close(n->c.fd);
    weft_mutex_lock(&s->lock, WEFT_FOREVER);
    unlink_conn(s, n);
    int last = atomic_fetch_sub(&s->active, 1) == 1 && s->stopping;
    weft_mutex_unlock(&s->lock);
    weft_detach(weft_self());
    weft_sem_release(&s->slots, 1);
    free(n);
    if (last) weft_event_set(&s->drained);
    server_unref(s);
    weft_shield_end();
    return NULL;
}

/* Accepts one connection into a new handler fiber; 0, or the error that ends
 * the loop (-ECANCELED at shutdown). */
static int accept_one(weft_server_t *s) {
    int r = weft_sem_acquire(&s->slots, WEFT_FOREVER);
    if (r) return r;
    conn_node_t *n = weft__calloc(1, sizeof *n);
    for (;;) {
        if (!n) {
            r = -ENOMEM;
        } else {
            n->c.peer_len = sizeof n->c.peer;
            r = weft_accept(s->lfd, (struct sockaddr *)&n->c.peer, &n->c.peer_len,
                            WEFT_FOREVER);
            if (r >= 0) break;
            if (r == -ECONNABORTED || r == -EINTR || r == -EPROTO) continue;
        }
        if (r == -ECANCELED || r == -EBADF || r == -EINVAL || r == -ENOTSOCK) {
            free(n);
            weft_sem_release(&s->slots, 1);
            return r;
        }
        /* Out of descriptors or memory: back off, the next connection may fit. */
        if (weft_sleep_until(weft_after(RETRY_NS)) == -ECANCELED) {
            free(n);
            weft_sem_release(&s->slots, 1);
            return -ECANCELED;
        }
        if (!n) n = weft__calloc(1, sizeof *n);
    }
    n->c.fd = r;
    n->c.server = s;
    n->c.user = s->o.user;
    weft_mutex_lock(&s->lock, WEFT_FOREVER);
    n->next = s->conns;
    if (s->conns) s->conns->prev = n;
    s->conns = n;
    atomic_fetch_add(&s->active, 1);
    atomic_fetch_add(&s->refs, 1);
    atomic_fetch_add_explicit(&s->accepted, 1, memory_order_relaxed);
    r = weft_spawn(&n->fiber, handle, n);
    if (r) {
        unlink_conn(s, n);
        atomic_fetch_sub(&s->active, 1);
        atomic_fetch_sub(&s->refs, 1);
    }
    weft_mutex_unlock(&s->lock);
    if (r) {
        weft_close(n->c.fd);
        free(n);
        weft_sem_release(&s->slots, 1);
    }
    return 0;
}

static void *acceptor(void *p) {
    weft_server_t *s = p;
    while (accept_one(s) == 0) {
    }
    return NULL;
}

int weft_server_start(weft_server_t **out, int listen_fd,
                      const weft_server_opts_t *opts) {
    if (!out || !opts || !opts->handler || opts->max_conns < 0 ||
        opts->idle_timeout < 0 || listen_fd < 0)
        return -EINVAL;
    if (!weft_self()) return -EPERM;
    /* A socket that does not listen would accept nothing, silently. */
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0)
        return errno == ENOTSOCK ? -EINVAL : -errno;
    if (!listening) return -EINVAL;
    weft_server_t *s = weft__calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    s->lfd = listen_fd;
    s->o = *opts;
    if (!s->o.max_conns) s->o.max_conns = DEFAULT_MAX_CONNS;
    weft_sem_init(&s->slots, (unsigned)s->o.max_conns, 0);
    weft_mutex_init(&s->lock);
    weft_event_init(&s->drained);
    atomic_init(&s->refs, 1);
    int r = weft_spawn(&s->acceptor, acceptor, s);
    if (r) {
        free(s);
        return r;
    }
    *out = s;
    return 0;
}

int weft_server_shutdown(weft_server_t *s, int64_t deadline) {
    if (!s) return -EINVAL;
    /* From one of its own handlers it would wait for itself for ever. */
    weft_fiber_t *self = weft_self();
    if (self) {
        int own = self == s->acceptor;
        weft_mutex_lock(&s->lock, WEFT_FOREVER);
        for (conn_node_t *n = s->conns; n && !own; n = n->next)
            own = n->fiber == self;
        weft_mutex_unlock(&s->lock);
        if (own) return -EDEADLK;
    }
    weft_shield_begin(); /* a cancelled caller still shuts down completely */
    weft_cancel(s->acceptor);
    weft_join(s->acceptor, NULL, WEFT_FOREVER);
    weft_mutex_lock(&s->lock, WEFT_FOREVER);
    s->stopping = 1;
    if (atomic_load(&s->active) == 0) weft_event_set(&s->drained);
    weft_mutex_unlock(&s->lock);
    int cancelled = 0;
    if (weft_event_wait(&s->drained, deadline) != 0) {
        weft_mutex_lock(&s->lock, WEFT_FOREVER);
        for (conn_node_t *n = s->conns; n; n = n->next, cancelled++)
            weft_cancel(n->fiber);
        weft_mutex_unlock(&s->lock);
        weft_event_wait(&s->drained, WEFT_FOREVER);
    }
    weft_shield_end();
    server_unref(s);
    return cancelled;
}

int weft_server_active(const weft_server_t *s) {
    return s ? atomic_load(&s->active) : -EINVAL;
}

uint64_t weft_server_accepted(const weft_server_t *s) {
    return s ? atomic_load_explicit(&s->accepted, memory_order_relaxed) : 0;
}

int64_t weft_conn_deadline(const weft_conn_t *c) {
    int64_t idle = c && c->server ? c->server->o.idle_timeout : 0;
    return idle > 0 ? weft_after(idle) : WEFT_FOREVER;
}

ssize_t weft_conn_read(weft_conn_t *c, void *buf, size_t n) {
    if (!c) return -EINVAL;
    return weft_read(c->fd, buf, n, weft_conn_deadline(c));
}

ssize_t weft_conn_write_all(weft_conn_t *c, const void *buf, size_t n) {
    if (!c) return -EINVAL;
    return weft_write_all(c->fd, buf, n, weft_conn_deadline(c));
}
