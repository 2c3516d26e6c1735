/* runtime/timer.c: the binary min-heap behind timed parks (see timer.h). */
#include "runtime/timer.h"
#include "runtime/fault.h"

#include <errno.h>
#include <stdlib.h>

#include "runtime/fiber_impl.h"
#include "runtime/worker.h"

void weft__timers_init(weft__timers_t *t) {
    t->lock = (weft__spin_t)WEFT__SPIN_INIT;
    atomic_store_explicit(&t->next_deadline, INT64_MAX, memory_order_relaxed);
    t->heap = NULL;
    t->len = t->cap = 0;
    t->overflow = NULL;
}

void weft__timers_free(weft__timers_t *t) {
    free(t->heap);
    t->heap = NULL;
    t->len = t->cap = 0;
}

static void place(weft__timers_t *t, size_t i, weft_fiber_t *f) {
    t->heap[i] = f;
    f->timer_index = i;
}

static void sift_up(weft__timers_t *t, size_t i) {
    weft_fiber_t *f = t->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (t->heap[p]->timer_deadline <= f->timer_deadline) break;
        place(t, i, t->heap[p]);
        i = p;
    }
    place(t, i, f);
}

static void sift_down(weft__timers_t *t, size_t i) {
    weft_fiber_t *f = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->len) break;
        if (c + 1 < t->len && t->heap[c + 1]->timer_deadline < t->heap[c]->timer_deadline)
            c++;
        if (t->heap[c]->timer_deadline >= f->timer_deadline) break;
        place(t, i, t->heap[c]);
        i = c;
    }
    place(t, i, f);
}

static void remove_at(weft__timers_t *t, size_t i) {
    weft_fiber_t *gone = t->heap[i];
    gone->timer_index = WEFT__TIMER_NONE;
    t->len--;
    if (i < t->len) {
        place(t, i, t->heap[t->len]);
        sift_down(t, i);
        sift_up(t, t->heap[i]->timer_index);
    }
}

/* The earliest timer on the overflow list, or NULL. */
static weft_fiber_t *overflow_min(weft__timers_t *t) {
    weft_fiber_t *min = t->overflow;
    for (weft_fiber_t *f = min; f; f = f->timer_next)
        if (f->timer_deadline < min->timer_deadline) min = f;
    return min;
}

static void overflow_remove(weft__timers_t *t, weft_fiber_t *f) {
    if (f->timer_prev)
        f->timer_prev->timer_next = f->timer_next;
    else
        t->overflow = f->timer_next;
    if (f->timer_next) f->timer_next->timer_prev = f->timer_prev;
    f->timer_index = WEFT__TIMER_NONE;
}

/* The earliest armed timer (heap or overflow list), or NULL. */
static weft_fiber_t *earliest(weft__timers_t *t) {
    weft_fiber_t *h = t->len ? t->heap[0] : NULL;
    if (__builtin_expect(t->overflow == NULL, 1)) return h;
    weft_fiber_t *o = overflow_min(t);
    return h && h->timer_deadline <= o->timer_deadline ? h : o;
}

static void unarm(weft__timers_t *t, weft_fiber_t *f) {
    if (f->timer_index == WEFT__TIMER_LIST)
        overflow_remove(t, f);
    else
        remove_at(t, f->timer_index);
}

static void publish_next(weft__timers_t *t) {
    weft_fiber_t *e = earliest(t);
    atomic_store_explicit(&t->next_deadline, e ? e->timer_deadline : INT64_MAX,
                          memory_order_release);
}

void weft__timer_arm(weft__worker_t *w, weft_fiber_t *f, int64_t deadline,
                     uint64_t token) {
    weft__timers_t *t = &w->timers;
    weft__spin_lock(&t->lock);
    f->timer_deadline = deadline;
    f->timer_token = token;
    atomic_store_explicit(&f->timer_owner, w, memory_order_relaxed);
    if (t->len == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 64;
        weft_fiber_t **nh = weft__realloc(t->heap, ncap * sizeof *nh);
        if (nh) {
            t->heap = nh;
            t->cap = ncap;
        }
    }
    if (t->len < t->cap) {
        t->heap[t->len] = f;
        f->timer_index = t->len++;
        sift_up(t, f->timer_index);
    } else { /* out of memory: the overflow list still keeps the deadline */
        f->timer_index = WEFT__TIMER_LIST;
        f->timer_prev = NULL;
        f->timer_next = t->overflow;
        if (t->overflow) t->overflow->timer_prev = f;
        t->overflow = f;
    }
    publish_next(t);
    weft__spin_unlock(&t->lock);
}

void weft__timer_disarm(weft_fiber_t *f) {
    weft__worker_t *w = atomic_load_explicit(&f->timer_owner, memory_order_relaxed);
    if (!w) return;
    weft__timers_t *t = &w->timers;
    weft__spin_lock(&t->lock);
    if (f->timer_index != WEFT__TIMER_NONE) {
        unarm(t, f);
        publish_next(t);
    }
    atomic_store_explicit(&f->timer_owner, NULL, memory_order_relaxed);
    weft__spin_unlock(&t->lock);
}

int weft__timers_run(weft__worker_t *w, int64_t now) {
    weft__timers_t *t = &w->timers;
    if (weft__timers_next(t) > now) return 0;
    enum { BATCH = 64 };
    weft_fiber_t *won[BATCH];
    int total = 0;
    for (;;) {
        int n = 0;
        weft__spin_lock(&t->lock);
        weft_fiber_t *f;
        while (n < BATCH && (f = earliest(t)) && f->timer_deadline <= now) {
            unarm(t, f);
            /* The settle decides: a grant or cancel may have won already. */
            uint64_t tok = f->timer_token;
            if (atomic_compare_exchange_strong_explicit(
                    &f->parker.word, &tok,
                    (tok & ~WEFT__PARK_STATE_MASK) | WEFT__PARK_TIMED_OUT,
                    memory_order_acq_rel, memory_order_acquire))
                won[n++] = f;
        }
        f = earliest(t);
        int more = f && f->timer_deadline <= now;
        publish_next(t);
        weft__spin_unlock(&t->lock);
        /* Unpark outside the heap lock (it may wake workers), and to the ring's
         * tail rather than the run-next slot, so fibers due together run in
         * deadline order. */
        for (int i = 0; i < n; i++)
            weft__fiber_unpark(won[i], 0);
        total += n;
        if (!more) return total;
    }
}
