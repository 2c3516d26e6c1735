/* tests/test_sync_forward.c: a cancel racing a grant, for every grant kind that
 * goes to one waiter (lock, permit, condition notification, queue item).
 *
 * Each round: a fiber W waits first, a plain thread Z waits behind it; then a
 * plain thread cancels W while the holder grants once. Exactly one outcome per
 * wait (DESIGN 4a): either W was granted (it returns 0 and keeps the grant even
 * though its cancel came a moment later) or W was cancelled (it received
 * nothing and the grant went on to Z). Invariant checked every round: the grant
 * is neither lost nor duplicated; afterwards nothing is left queued. */
#include "pairs.h"

#include "sync/waitq.h"
#include "weft/cond.h"
#include "weft/queue.h"
#include "weft/sem.h"

#define ROUNDS WT_SCALE(400)

enum kind { LOCK, PERMIT, NOTIFY, ITEM, NKINDS };
static const char *const kind_name[NKINDS] = {"lock", "permit", "notification",
                                              "queue item"};

static weft_mutex_t g_m;
static weft_sem_t g_s;
static weft_cond_t g_c;
static weft_queue_t g_q;
static enum kind g_kind;
static _Atomic int g_z_got, g_go;
static weft_fiber_t *g_w;

/* Waits for the grant; returns 0 or the error. Holds nothing on return. */
static int wait_for_grant(int64_t deadline) {
    int r;
    void *it;
    switch (g_kind) {
    case LOCK:
        r = weft_mutex_lock(&g_m, deadline);
        if (r == 0) weft_mutex_unlock(&g_m);
        return r;
    case PERMIT:
        return weft_sem_acquire(&g_s, deadline);
    case NOTIFY:
        weft_mutex_lock(&g_m, WEFT_FOREVER);
        r = weft_cond_wait(&g_c, deadline);
        weft_mutex_unlock(&g_m);
        return r;
    default:
        return weft_queue_get(&g_q, &it, deadline);
    }
}

static int queued(void) {
    switch (g_kind) {
    case LOCK:
        return weft__wl_count(&g_m.wl);
    case PERMIT:
        return weft_sem_waiting(&g_s);
    case NOTIFY:
        return weft__wl_count(&g_c.wl);
    default:
        return weft__wl_count(&g_q.wl);
    }
}

static void *w_fiber(void *arg) {
    (void)arg;
    return (void *)(intptr_t)wait_for_grant(WEFT_FOREVER);
}

static void *z_thread(void *arg) {
    (void)arg;
    int r = wait_for_grant(weft_after(WT_PATIENCE));
    WT_CHECK_EQ(r, 0);
    if (r == 0) atomic_store(&g_z_got, 1);
    return NULL;
}

static _Atomic int g_ready;
static unsigned g_seed = 12345;

static unsigned next_rand(void) {
    g_seed = g_seed * 1103515245u + 12345u;
    return g_seed >> 16;
}

static void spin(unsigned n) {
    while (n--)
        weft__cpu_relax();
}

static void *canceller(void *arg) {
    unsigned delay = (unsigned)(uintptr_t)arg;
    atomic_store(&g_ready, 1);
    while (!atomic_load(&g_go))
        weft__cpu_relax();
    spin(delay);
    weft_cancel(g_w);
    return NULL;
}

static void grant_once(void) {
    switch (g_kind) {
    case LOCK:
        weft_mutex_unlock(&g_m);
        break;
    case PERMIT:
        weft_sem_release(&g_s, 1);
        break;
    case NOTIFY:
        weft_cond_notify(&g_c, 1);
        weft_mutex_unlock(&g_m);
        break;
    default:
        weft_queue_put(&g_q, (void *)1, WEFT_FOREVER);
        break;
    }
}

static void *round_main(void *arg) {
    int *w_won = arg;
    for (int i = 0; i < ROUNDS; i++) {
        atomic_store(&g_z_got, 0);
        atomic_store(&g_go, 0);
        if (g_kind == LOCK || g_kind == NOTIFY) weft_mutex_lock(&g_m, WEFT_FOREVER);
        WT_CHECK_EQ(weft_spawn(&g_w, w_fiber, NULL), 0);
        int64_t limit = weft_after(WT_PATIENCE);
        /* The condition's waiter needs the lock to queue: let it have it. */
        if (g_kind == NOTIFY) weft_mutex_unlock(&g_m);
        while (queued() < 1 && weft_now() < limit)
            wt_pause();
        pthread_t z, c;
        pthread_create(&z, NULL, z_thread, NULL);
        while (queued() < 2 && weft_now() < limit)
            wt_pause();
        if (g_kind == NOTIFY) weft_mutex_lock(&g_m, WEFT_FOREVER);
        /* Both sides start from the same moment, each after a random delay, so
         * either may win. */
        atomic_store(&g_ready, 0);
        pthread_create(&c, NULL, canceller, (void *)(uintptr_t)(next_rand() % 3000));
        while (!atomic_load(&g_ready))
            wt_pause();
        unsigned delay = next_rand() % 3000;
        atomic_store(&g_go, 1);
        spin(delay);
        grant_once();
        void *r;
        WT_CHECK_EQ(weft_join(g_w, &r, WEFT_FOREVER), 0);
        int w = (int)(intptr_t)r;
        WT_CHECK(w == 0 || w == -ECANCELED);
        pthread_join(c, NULL);
        if (w == 0) {
            /* W kept the grant; Z still waits: grant once more for Z. */
            (*w_won)++;
            if (g_kind == NOTIFY) weft_mutex_lock(&g_m, WEFT_FOREVER);
            grant_once();
        }
        pthread_join(z, NULL);
        WT_CHECK_EQ(atomic_load(&g_z_got), 1); /* the grant reached Z either way */
        WT_CHECK_EQ(queued(), 0);
        if (g_kind == PERMIT) WT_CHECK_EQ(weft_sem_value(&g_s), 0); /* none duplicated */
        if (g_kind == ITEM) WT_CHECK_EQ(weft_queue_len(&g_q), 0);
        if (g_kind == LOCK || g_kind == NOTIFY)
            WT_CHECK_EQ(weft_mutex_is_locked(&g_m), 0);
    }
    return NULL;
}

static void forward(enum kind k) {
    g_kind = k;
    weft_mutex_init(&g_m);
    weft_sem_init(&g_s, 0, 0);
    weft_cond_init_mutex(&g_c, &g_m);
    weft_queue_init(&g_q, WEFT_FIFO, 0, NULL);
    int w_won = 0;
    for (int workers = 1; workers <= 2; workers++)
        wt_in_runtime(WT_RUN, workers, round_main, &w_won);
    print_message("%s: the cancelled waiter kept the grant in %d of %d rounds\n",
                  kind_name[k], w_won, 2 * ROUNDS);
    weft_queue_destroy(&g_q);
}

static void forward_lock(void **s) {
    (void)s;
    forward(LOCK);
}
static void forward_permit(void **s) {
    (void)s;
    forward(PERMIT);
}
static void forward_notification(void **s) {
    (void)s;
    forward(NOTIFY);
}
static void forward_item(void **s) {
    (void)s;
    forward(ITEM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(forward_lock),
        WT_TEST(forward_permit),
        WT_TEST(forward_notification),
        WT_TEST(forward_item),
    };
    return WT_RUN_TESTS(tests);
}
