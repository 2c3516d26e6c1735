/* tests/fuzz/fuzz_sync.c: the libFuzzer entry of fuzz_sync: decodes an input
 * into a program (format in fuzz_sync.h), sets up the primitives, runs the
 * program's fibers on a fresh 1- or 2-worker runtime explored with the input's
 * seed, ends any stall by cancellation, and checks the end state.
 *
 * Invariants checked at the end of every input (the per-call ones are in
 * fuzz_sync_ops.c):
 *   - weft_run returns 0 (every fiber finished: none left parked), every join
 *     succeeds with the fiber's own result, the runtime counted every spawn;
 *   - nobody holds anything: mutex, rmutex, rwlock, limiter all free;
 *   - semaphore: value == initial + released on top (permits conserved
 *     through grants, timeouts and cancels), give or take the permits of
 *     releases that returned -EOVERFLOW (sem.h: those may be partial);
 *   - queue: after draining, every item whose put returned 0 came out exactly
 *     once (at most once after an immediate shutdown), no failed put's item
 *     came out; the drain order is per-producer FIFO/LIFO or by priority;
 *   - event set exactly once if any set returned 1; reusable event state ==
 *     initial + sets - clears that reported a change; countdown value ==
 *     initial + ups - downs when nobody cleared it;
 *   - barrier: every index 0..parties-1 was returned equally often (each
 *     released generation hands out each index once);
 *   - every object's destroy returns 0.
 * Determinism: on one worker with no finite deadlines, the input fixes the
 * schedule (WEFT_EXPLORE_SEED), so a crash replays from its input. */
#include "fuzz_sync.h"

#include <errno.h>
#include <string.h>

struct fz_state g;

unsigned fz_item_key(uintptr_t token) {
    return (unsigned)(token * 2654435761u >> 8) % 5;
}

int fz_item_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    unsigned kx = fz_item_key(x), ky = fz_item_key(y);
    if (kx != ky) return kx < ky ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* --- decoding --- */

static uint8_t byte_at(const uint8_t *data, size_t size, size_t i) {
    return i < size ? data[i] : 0;
}

static void decode(const uint8_t *data, size_t size) {
    uint8_t flags = byte_at(data, size, 0);
    g.two_workers = flags & 1;
    g.nfibers = 1 + (flags >> 1 & 3);
    g.checkpoints = flags >> 3 & 1;
    g.revent_init = flags >> 4 & 1;
    g.seed = 0;
    for (int i = 0; i < 8; i++)
        g.seed |= (uint64_t)byte_at(data, size, 1 + i) << (8 * i);
    uint8_t s = byte_at(data, size, 9), q = byte_at(data, size, 10),
            l = byte_at(data, size, 11);
    g.sem_initial = s & 3;
    unsigned bound = s >> 2 & 3;
    g.sem_max = bound == 0 ? 0 : g.sem_initial + bound - 1;
    if (bound && g.sem_max == 0) g.sem_max = 1;
    g.cd_initial = s >> 4 & 3;
    g.q_kind = (q & 3) == 3 ? WEFT_FIFO : (q & 3);
    g.q_max = q >> 2 & 7;
    g.bar_parties = 1 + (q >> 5 & 3);
    g.lim_total = l & 3;
    g.lim_reentrant = l >> 2 & 1;
    size_t nops = size > 12 ? (size - 12) / 2 : 0;
    if (nops > FZ_MAX_OPS) nops = FZ_MAX_OPS;
    for (size_t i = 0; i < nops; i++) {
        struct fz_op op = {data[12 + 2 * i], data[13 + 2 * i]};
        int lane = op.code >> 5;
        if (lane < FZ_TOP) lane %= g.nfibers;
        g.lane[lane][g.lane_len[lane]++] = op;
    }
}

/* --- set-up and the end state --- */

static void init_objects(void) {
    FZ_CHECK(weft_mutex_init(&g.mutex) == 0, "mutex_init");
    FZ_CHECK(weft_rmutex_init(&g.rmutex) == 0, "rmutex_init");
    FZ_CHECK(weft_sem_init(&g.sem, g.sem_initial, g.sem_max) == 0, "sem_init");
    FZ_CHECK(weft_event_init(&g.event) == 0, "event_init");
    FZ_CHECK(weft_revent_init(&g.revent) == 0, "revent_init");
    if (g.revent_init) FZ_CHECK(weft_revent_set(&g.revent) == 1, "revent_set");
    FZ_CHECK(weft_countdown_init(&g.cd, g.cd_initial) == 0, "countdown_init");
    FZ_CHECK(weft_queue_init(&g.queue, (int)g.q_kind, g.q_max,
                             g.q_kind == WEFT_PRIORITY ? fz_item_cmp : NULL) == 0,
             "queue_init");
    FZ_CHECK(weft_barrier_init(&g.barrier, g.bar_parties) == 0, "barrier_init");
    FZ_CHECK(weft_rwlock_init(&g.rwlock) == 0, "rwlock_init");
    FZ_CHECK(weft_limiter_init(&g.limiter, g.lim_total, (int)g.lim_reentrant) == 0,
             "limiter_init");
    FZ_CHECK(weft_cond_init_mutex(&g.cond, &g.mutex) == 0, "cond_init_mutex");
    FZ_CHECK(weft_cond_init_rmutex(&g.rcond, &g.rmutex) == 0, "cond_init_rmutex");
    pthread_mutex_init(&g.top_lock, NULL);
    g.cancel_open = 1;
    atomic_store(&g.lim_max_total, (int)g.lim_total);
}

/* Empties the queue (no fiber runs any more) and checks delivery and order. */
static void drain_queue(void) {
    uintptr_t last[FZ_ACTORS] = {0}, prev = 0;
    int first = 1;
    for (;;) {
        void *item = NULL;
        int r = weft_queue_get(&g.queue, &item, WEFT_NOWAIT);
        if (r != 0) {
            FZ_CHECK(r == (atomic_load(&g.q_shut_started) ? -EPIPE : -ETIMEDOUT),
                     "queue drain ended with %d", r);
            break;
        }
        fz_queue_took(item);
        uintptr_t t = (uintptr_t)item;
        int p = g.q_producer[t];
        if (g.q_kind == WEFT_FIFO)
            FZ_CHECK(last[p] == 0 || t > last[p], "FIFO drain: %lu after %lu",
                     (unsigned long)t, (unsigned long)last[p]);
        else if (g.q_kind == WEFT_LIFO)
            FZ_CHECK(last[p] == 0 || t < last[p], "LIFO drain: %lu after %lu",
                     (unsigned long)t, (unsigned long)last[p]);
        else
            FZ_CHECK(first || fz_item_cmp((void *)prev, item) < 0,
                     "priority drain: %lu after %lu", (unsigned long)t,
                     (unsigned long)prev);
        last[p] = t;
        prev = t;
        first = 0;
    }
    int immediate = atomic_load(&g.q_immediate);
    for (int t = 1; t <= atomic_load(&g.q_next); t++) {
        int st = atomic_load(&g.q_state[t]), got = atomic_load(&g.q_got[t]);
        FZ_CHECK(st == QS_OK || st == QS_FAILED, "queue: put of item %d unfinished", t);
        if (st == QS_FAILED)
            FZ_CHECK(got == 0, "queue: failed put's item %d delivered", t);
        else if (!immediate)
            FZ_CHECK(got == 1, "queue: item %d delivered %d times", t, got);
    }
    FZ_CHECK(weft_queue_len(&g.queue) == 0, "queue not empty after draining");
}

static void check_end_state(void) {
    FZ_CHECK(atomic_load(&g.in_mutex) == 0 && !weft_mutex_is_locked(&g.mutex),
             "mutex still held");
    FZ_CHECK(!weft_rmutex_is_locked(&g.rmutex) && atomic_load(&g.rm_owner) == 0,
             "rmutex still held");
    FZ_CHECK(weft_rwlock_readers(&g.rwlock) == 0 &&
                 !weft_rwlock_is_write_locked(&g.rwlock),
             "rwlock still held");
    FZ_CHECK(weft_limiter_borrowed(&g.limiter) == 0 && atomic_load(&g.lim_holders) == 0,
             "limiter tokens still borrowed");
    FZ_CHECK(weft_limiter_waiting(&g.limiter) == 0, "limiter has waiters");

    int v = weft_sem_value(&g.sem);
    int want = (int)g.sem_initial + atomic_load(&g.sem_extra);
    int lo = want - atomic_load(&g.sem_gb_unsure),
        hi = want + atomic_load(&g.sem_or_unsure);
    FZ_CHECK(atomic_load(&g.sem_held) == 0, "semaphore permits still held");
    FZ_CHECK(v >= lo && v <= hi,
             "semaphore: value %d, expected initial %u + released %d (-%d +%d unsure)", v,
             g.sem_initial, atomic_load(&g.sem_extra), atomic_load(&g.sem_gb_unsure),
             atomic_load(&g.sem_or_unsure));
    FZ_CHECK(weft_sem_waiting(&g.sem) == 0, "semaphore has waiters");

    FZ_CHECK(weft_event_is_set(&g.event) == atomic_load(&g.event_ones),
             "event: is_set %d after %d successful sets", weft_event_is_set(&g.event),
             atomic_load(&g.event_ones));
    int rev = g.revent_init + atomic_load(&g.rev_set1) - atomic_load(&g.rev_clear1);
    FZ_CHECK(rev == weft_revent_is_set(&g.revent),
             "revent: is_set %d, but initial %d + sets %d - clears %d",
             weft_revent_is_set(&g.revent), g.revent_init, atomic_load(&g.rev_set1),
             atomic_load(&g.rev_clear1));
    if (atomic_load(&g.cd_clears) == 0) {
        int cd = (int)g.cd_initial + atomic_load(&g.cd_ups) - atomic_load(&g.cd_downs);
        FZ_CHECK(weft_countdown_value(&g.cd) == cd, "countdown: value %d, expected %d",
                 weft_countdown_value(&g.cd), cd);
    }
    for (unsigned i = 1; i < g.bar_parties; i++)
        FZ_CHECK(atomic_load(&g.bar_index[i]) == atomic_load(&g.bar_index[0]),
                 "barrier: index %u returned %d times, index 0 %d times", i,
                 atomic_load(&g.bar_index[i]), atomic_load(&g.bar_index[0]));
}

static void destroy_objects(void) {
    FZ_CHECK(weft_cond_destroy(&g.cond) == 0, "cond_destroy");
    FZ_CHECK(weft_cond_destroy(&g.rcond) == 0, "cond_destroy (rmutex)");
    FZ_CHECK(weft_mutex_destroy(&g.mutex) == 0, "mutex_destroy");
    FZ_CHECK(weft_rmutex_destroy(&g.rmutex) == 0, "rmutex_destroy");
    FZ_CHECK(weft_sem_destroy(&g.sem) == 0, "sem_destroy");
    FZ_CHECK(weft_event_destroy(&g.event) == 0, "event_destroy");
    FZ_CHECK(weft_revent_destroy(&g.revent) == 0, "revent_destroy");
    FZ_CHECK(weft_countdown_destroy(&g.cd) == 0, "countdown_destroy");
    FZ_CHECK(weft_queue_destroy(&g.queue) == 0, "queue_destroy");
    FZ_CHECK(weft_barrier_destroy(&g.barrier) == 0, "barrier_destroy");
    FZ_CHECK(weft_rwlock_destroy(&g.rwlock) == 0, "rwlock_destroy");
    FZ_CHECK(weft_limiter_destroy(&g.limiter) == 0, "limiter_destroy");
    pthread_mutex_destroy(&g.top_lock);
}

/* --- the main fiber --- */

/* Waits for the top-level fibers to finish. A stall (nothing progressed for
 * STALL_YIELDS yields, and on two workers or with finite waits pending also
 * for STALL_NS) means they wait for each other: it returns, and they are
 * cancelled. */
#define STALL_YIELDS 200
#define STALL_NS     WEFT_MSEC(5)

static void wait_or_stall(void) {
    uint_fast64_t seen = atomic_load(&g.steps);
    int idle = 0;
    int64_t since = weft_now();
    while (atomic_load(&g.done) < g.nfibers) {
        weft_yield();
        uint_fast64_t now_steps = atomic_load(&g.steps);
        if (now_steps != seen) {
            seen = now_steps;
            idle = 0;
            since = weft_now();
            continue;
        }
        if (++idle < STALL_YIELDS) continue;
        if (!g.two_workers && atomic_load(&g.timed) == 0) return;
        if (weft_now() - since >= STALL_NS) return;
    }
}

static void *main_fiber(void *arg) {
    (void)arg;
    pthread_mutex_lock(&g.top_lock); /* weft_spawn never blocks nor yields */
    for (int i = 0; i < g.nfibers; i++) {
        struct fz_actor *a = &g.actor[i];
        a->id = i;
        a->ops = g.lane[i];
        a->nops = g.lane_len[i];
        FZ_CHECK(weft_spawn(&g.top[i], fz_actor_main, a) == 0, "weft_spawn");
    }
    pthread_mutex_unlock(&g.top_lock);
    wait_or_stall();
    /* Cancel everyone (a no-op for the finished), then no more cancels by the
     * fibers: the handles die with the joins. */
    pthread_mutex_lock(&g.top_lock);
    for (int i = 0; i < g.nfibers; i++)
        FZ_CHECK(weft_cancel(g.top[i]) == 0, "weft_cancel");
    g.cancel_open = 0;
    pthread_mutex_unlock(&g.top_lock);
    for (int i = 0; i < g.nfibers; i++) {
        void *res = NULL;
        int r = weft_join(g.top[i], &res, WEFT_FOREVER);
        FZ_CHECK(r == 0, "join of top-level fiber %d returned %d", i, r);
        if (res == NULL)
            FZ_CHECK(!atomic_load(&g.actor[i].started), "fiber %d ran, joined NULL", i);
        else
            FZ_CHECK(res == (void *)(uintptr_t)(i + 1), "fiber %d returned %p", i, res);
    }
    weft_runtime_stats_t st;
    FZ_CHECK(weft_runtime_stats(weft_current_runtime(), &st) == 0, "runtime_stats");
    uint64_t spawned = 1 + (uint64_t)g.nfibers + (uint64_t)atomic_load(&g.nchildren);
    FZ_CHECK(st.fibers_spawned == spawned, "runtime counted %llu spawns, expected %llu",
             (unsigned long long)st.fibers_spawned, (unsigned long long)spawned);
    FZ_CHECK(st.fibers_live >= 1, "the main fiber is not counted live");
    drain_queue();
    return &g;
}

static void run_input(const uint8_t *data, size_t size) {
    memset(&g, 0, sizeof g);
    decode(data, size);
    init_objects();
    if (g.seed) {
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)g.seed);
        setenv("WEFT_EXPLORE_SEED", buf, 1);
    } else {
        unsetenv("WEFT_EXPLORE_SEED");
    }
    weft_runtime_opts_t opts = {.workers = g.two_workers ? 2 : 1,
                                .checkpoints = g.checkpoints};
    void *res = NULL;
    int r = weft_run(&opts, main_fiber, NULL, &res);
    FZ_CHECK(r == 0 && res == &g, "weft_run returned %d", r);
    check_end_state();
    destroy_objects();
}

/* Inputs run on one long-lived thread rather than libFuzzer's: weft_run on a
 * process's initial thread reads /proc/self/maps (glibc's stack bounds of that
 * thread), which cost about half of an input's time. */
static pthread_mutex_t exec_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exec_cond = PTHREAD_COND_INITIALIZER;
static const uint8_t *exec_data;
static size_t exec_size;
static int exec_pending;

static void *executor(void *arg) {
    (void)arg;
    pthread_mutex_lock(&exec_lock);
    for (;;) {
        while (!exec_pending)
            pthread_cond_wait(&exec_cond, &exec_lock);
        pthread_mutex_unlock(&exec_lock);
        run_input(exec_data, exec_size);
        pthread_mutex_lock(&exec_lock);
        exec_pending = 0;
        pthread_cond_broadcast(&exec_cond);
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static pthread_t thread;
    static int started;
    if (!started) {
        FZ_CHECK(pthread_create(&thread, NULL, executor, NULL) == 0, "pthread_create");
        started = 1;
    }
    pthread_mutex_lock(&exec_lock);
    exec_data = data;
    exec_size = size;
    exec_pending = 1;
    pthread_cond_broadcast(&exec_cond);
    while (exec_pending)
        pthread_cond_wait(&exec_cond, &exec_lock);
    pthread_mutex_unlock(&exec_lock);
    return 0;
}
