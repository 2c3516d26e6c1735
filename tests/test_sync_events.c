/* tests/test_sync_events.c: weft_revent_t, weft_countdown_t, weft_latch_t and
 * weft_barrier_t over every pairing of fibers and threads (tests/pairs.h):
 * generation semantics of the reusable event, countdown joins and clears, latch
 * release/abort/break, barrier arrival indices over many generations, reset,
 * exactly one consistent outcome when deadlines race the last arrival,
 * timeouts, cancellation, checkpoints, destroy -EBUSY and the misuse errors. */
#include "pairs.h"

#include <string.h>

#include "sync/waitq.h"
#include "weft/barrier.h"
#include "weft/countdown.h"
#include "weft/latch.h"
#include "weft/revent.h"

#define ROUNDS   WT_SCALE(1000)
#define GENS_MAX 2000
#define GENS     WT_SCALE(GENS_MAX)
#define LATCHES  WT_SCALE(500)
#define RACES    WT_SCALE(2000)

/* Spins until at least n waiters are queued on wl. 0 or -ETIMEDOUT. */
static int wt_wait_queued(struct weft__wl *wl, int n) {
    int64_t limit = weft_after(WT_PATIENCE);
    while (weft__wl_count(wl) < n) {
        if (weft_now() > limit) return -ETIMEDOUT;
        wt_pause();
    }
    return 0;
}

struct role {
    int index, n;
};

/* Party arguments: role i of n. */
static void make_roles(struct role *r, void **args, int n) {
    for (int i = 0; i < n; i++) {
        r[i] = (struct role){i, n};
        args[i] = &r[i];
    }
}

/* ===================== reusable event ===================== */

/* Rounds of set-then-clear while every waiter is queued: each round releases
 * every queued waiter (the clear comes at once, usually before they run), and a
 * waiter that starts after the pair is released only by the next set. Invariant:
 * the waiter released in round k saw exactly k+1 sets. */
static weft_revent_t g_re;
static _Atomic int g_sets, g_cleared;

static void *revent_rounds_party(void *arg) {
    struct role *a = arg;
    if (a->index == 0) {
        for (int k = 0; k < ROUNDS; k++) {
            WT_CHECK_EQ(wt_wait_queued(&g_re.wl, a->n - 1), 0);
            atomic_store(&g_sets, k + 1);
            WT_CHECK_EQ(weft_revent_set(&g_re), 1);
            if (k % 2 == 0) WT_CHECK_EQ(weft_revent_set(&g_re), 0);
            WT_CHECK_EQ(weft_revent_clear(&g_re), 1);
            WT_CHECK_EQ(weft_revent_clear(&g_re), 0);
            atomic_store(&g_cleared, k + 1);
        }
        return NULL;
    }
    for (int k = 0; k < ROUNDS; k++) {
        /* Start only after round k-1's clear: the event is clear, so this wait
         * must block until the setter's next set. */
        WT_CHECK_EQ(wt_wait_flag(&g_cleared, k), 0);
        WT_CHECK_EQ(weft_revent_wait(&g_re, WEFT_FOREVER), 0);
        WT_CHECK_EQ(atomic_load(&g_sets), k + 1);
    }
    return NULL;
}

static void revent_rounds(enum wt_pair p) {
    enum { N = 4 };
    assert_int_equal(weft_revent_init(&g_re), 0);
    atomic_store(&g_sets, 0);
    atomic_store(&g_cleared, 0);
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, revent_rounds_party, args);
    assert_int_equal(weft_revent_is_set(&g_re), 0);
    assert_int_equal(weft__wl_count(&g_re.wl), 0);
    assert_int_equal(weft_revent_destroy(&g_re), 0);
}
WT_PAIRS(revent_rounds)

/* Generation semantics step by step, one setter and one waiter:
 * a wait that starts after a set/clear pair blocks (it is seen queued) until the
 * next set; a wait on a set event returns at once, tries included; after a
 * clear a try fails and a timed wait times out, leaving nothing queued. */
static _Atomic int g_step;

static void *revent_gen_party(void *arg) {
    struct role *a = arg;
    if (a->index == 0) {
        WT_CHECK_EQ(weft_revent_set(&g_re), 1);
        WT_CHECK_EQ(weft_revent_clear(&g_re), 1);
        atomic_store(&g_step, 1);
        WT_CHECK_EQ(wt_wait_queued(&g_re.wl, 1), 0); /* the waiter really blocks */
        WT_CHECK_EQ(weft_revent_is_set(&g_re), 0);
        WT_CHECK_EQ(weft_revent_destroy(&g_re), -EBUSY);
        WT_CHECK_EQ(weft_revent_set(&g_re), 1);
        WT_CHECK_EQ(wt_wait_flag(&g_step, 2), 0);
        WT_CHECK_EQ(weft_revent_clear(&g_re), 1);
        atomic_store(&g_step, 3);
        return NULL;
    }
    WT_CHECK_EQ(wt_wait_flag(&g_step, 1), 0);
    WT_CHECK_EQ(weft_revent_wait(&g_re, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_revent_wait(&g_re, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_revent_is_set(&g_re), 1);
    WT_CHECK_EQ(weft_revent_wait(&g_re, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_revent_wait(&g_re, WEFT_FOREVER), 0);
    atomic_store(&g_step, 2);
    WT_CHECK_EQ(wt_wait_flag(&g_step, 3), 0);
    int64_t deadline = weft_after(WEFT_MSEC(1));
    WT_CHECK_EQ(weft_revent_wait(&g_re, deadline), -ETIMEDOUT);
    WT_CHECK(weft_now() >= deadline);
    WT_CHECK_EQ(weft__wl_count(&g_re.wl), 0);
    return NULL;
}

static void revent_generation(enum wt_pair p) {
    assert_int_equal(weft_revent_init(&g_re), 0);
    atomic_store(&g_step, 0);
    struct role r[2];
    void *args[2];
    make_roles(r, args, 2);
    wt_run_parties(p, 2, revent_gen_party, args);
    assert_int_equal(weft_revent_destroy(&g_re), 0);
}
WT_PAIRS(revent_generation)

/* ===================== countdown ===================== */

/* A join: 2 waiters, 3 workers. The value starts at 3 (one per worker); each
 * worker churns up(1)/down() many times while the waiters are queued, then does
 * its final down(). Invariant: the value never reaches 0 before the last final
 * down, so a released waiter sees all 3 workers finished. */
static weft_countdown_t g_cd;
static _Atomic int g_finished;

static void *countdown_join_party(void *arg) {
    struct role *a = arg;
    enum { WAITERS = 2 };
    if (a->index < WAITERS) {
        WT_CHECK_EQ(weft_countdown_wait(&g_cd, WEFT_FOREVER), 0);
        WT_CHECK_EQ(atomic_load(&g_finished), a->n - WAITERS);
        WT_CHECK_EQ(weft_countdown_value(&g_cd), 0);
        WT_CHECK_EQ(weft_countdown_wait(&g_cd, WEFT_NOWAIT), 0);
        return NULL;
    }
    WT_CHECK_EQ(wt_wait_queued(&g_cd.wl, WAITERS), 0);
    for (int i = 0; i < ROUNDS; i++) {
        WT_CHECK_EQ(weft_countdown_up(&g_cd, (unsigned)(i % 3)), 0);
        if (i % 8 == 0) wt_pause();
        for (int j = 0; j < i % 3; j++)
            WT_CHECK_EQ(weft_countdown_down(&g_cd), 0);
    }
    atomic_fetch_add(&g_finished, 1);
    WT_CHECK_EQ(weft_countdown_down(&g_cd), 0);
    return NULL;
}

static void countdown_join(enum wt_pair p) {
    enum { N = 5 };
    assert_int_equal(weft_countdown_init(&g_cd, N - 2), 0);
    atomic_store(&g_finished, 0);
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, countdown_join_party, args);
    assert_int_equal(weft_countdown_value(&g_cd), 0);
    assert_int_equal(weft_countdown_down(&g_cd), -ERANGE);
    assert_int_equal(weft_countdown_value(&g_cd), 0);
    assert_int_equal(weft_countdown_destroy(&g_cd), 0);
}
WT_PAIRS(countdown_join)

/* clear() releases every waiter at once whatever the value; then a waiter that
 * starts at a non-zero value blocks until the down() that reaches 0. */
static _Atomic int g_released;

static void *countdown_clear_party(void *arg) {
    struct role *a = arg;
    int waiters = a->n - 1;
    if (a->index == 0) {
        WT_CHECK_EQ(wt_wait_queued(&g_cd.wl, waiters), 0);
        WT_CHECK_EQ(weft_countdown_value(&g_cd), 5);
        WT_CHECK_EQ(weft_countdown_clear(&g_cd), 0);
        WT_CHECK_EQ(weft_countdown_value(&g_cd), 0);
        WT_CHECK_EQ(weft_countdown_down(&g_cd), -ERANGE);
        WT_CHECK_EQ(wt_wait_flag(&g_released, waiters), 0);
        WT_CHECK_EQ(weft_countdown_up(&g_cd, 2), 0);
        atomic_store(&g_step, 1);
        WT_CHECK_EQ(wt_wait_queued(&g_cd.wl, waiters), 0);
        WT_CHECK_EQ(weft_countdown_down(&g_cd), 0); /* 2 -> 1: nobody released */
        WT_CHECK_EQ(weft__wl_count(&g_cd.wl), waiters);
        WT_CHECK_EQ(atomic_load(&g_released), waiters);
        WT_CHECK_EQ(weft_countdown_down(&g_cd), 0); /* 1 -> 0: all released */
        return NULL;
    }
    WT_CHECK_EQ(weft_countdown_wait(&g_cd, WEFT_FOREVER), 0);
    atomic_fetch_add(&g_released, 1);
    WT_CHECK_EQ(wt_wait_flag(&g_step, 1), 0);
    WT_CHECK_EQ(weft_countdown_wait(&g_cd, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_countdown_wait(&g_cd, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_countdown_value(&g_cd), 0);
    atomic_fetch_add(&g_released, 1);
    return NULL;
}

static void countdown_clear(enum wt_pair p) {
    enum { N = 3 };
    assert_int_equal(weft_countdown_init(&g_cd, 5), 0);
    atomic_store(&g_released, 0);
    atomic_store(&g_step, 0);
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, countdown_clear_party, args);
    assert_int_equal(atomic_load(&g_released), 2 * (N - 1));
    assert_int_equal(weft_countdown_destroy(&g_cd), 0);
}
WT_PAIRS(countdown_clear)

/* ===================== latch ===================== */

/* LATCHES latches in a row, each for all N parties. Invariant: a party released
 * from latch j sees all N arrivals at j; later waits return 0 at once. */
static weft_latch_t g_latches[500];
static _Atomic int g_latch_arrived[500];

static void *latch_release_party(void *arg) {
    struct role *a = arg;
    for (int j = 0; j < LATCHES; j++) {
        atomic_fetch_add(&g_latch_arrived[j], 1);
        WT_CHECK_EQ(weft_latch_wait(&g_latches[j], WEFT_FOREVER), 0);
        WT_CHECK_EQ(atomic_load(&g_latch_arrived[j]), a->n);
        if (j % 16 == 0) {
            WT_CHECK_EQ(weft_latch_wait(&g_latches[j], WEFT_FOREVER), 0);
            WT_CHECK_EQ(weft_latch_wait(&g_latches[j], WEFT_NOWAIT), 0);
            WT_CHECK_EQ(weft_latch_is_broken(&g_latches[j]), 0);
        }
    }
    return NULL;
}

static void latch_release(enum wt_pair p) {
    enum { N = 5 };
    for (int j = 0; j < LATCHES; j++) {
        assert_int_equal(weft_latch_init(&g_latches[j], N), 0);
        atomic_store(&g_latch_arrived[j], 0);
    }
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, latch_release_party, args);
    for (int j = 0; j < LATCHES; j++) {
        assert_int_equal(weft_latch_is_broken(&g_latches[j]), 0);
        assert_int_equal(weft_latch_destroy(&g_latches[j]), 0);
    }
}
WT_PAIRS(latch_release)

/* parties 0: only abort ends the waits; every current and later wait, tries
 * included, returns -ENOTRECOVERABLE. */
static weft_latch_t g_l;

static void *latch_abort_party(void *arg) {
    struct role *a = arg;
    if (a->index == 0) {
        WT_CHECK_EQ(wt_wait_queued(&g_l.wl, a->n - 1), 0);
        WT_CHECK_EQ(weft_latch_destroy(&g_l), -EBUSY);
        WT_CHECK_EQ(weft_latch_abort(&g_l), 0);
    } else {
        WT_CHECK_EQ(weft_latch_wait(&g_l, WEFT_FOREVER), -ENOTRECOVERABLE);
    }
    WT_CHECK_EQ(weft_latch_is_broken(&g_l), 1);
    WT_CHECK_EQ(weft_latch_wait(&g_l, WEFT_FOREVER), -ENOTRECOVERABLE);
    WT_CHECK_EQ(weft_latch_wait(&g_l, WEFT_NOWAIT), -ENOTRECOVERABLE);
    return NULL;
}

static void latch_abort(enum wt_pair p) {
    enum { N = 4 };
    assert_int_equal(weft_latch_init(&g_l, 0), 0);
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, latch_abort_party, args);
    assert_int_equal(weft_latch_destroy(&g_l), 0);
}
WT_PAIRS(latch_abort)

/* ===================== a failed wait breaks latch and barrier ===================== */

/* Three parties of a 3-party latch or barrier: party 1 queues; party 0 arrives
 * second with a short deadline and times out (its own reason); party 1 then gets
 * -ENOTRECOVERABLE, and party 2, arriving once the object is broken, too. */
static weft_barrier_t g_b;

static int kind_wait(int barrier, int64_t deadline) {
    return barrier ? weft_barrier_wait(&g_b, deadline) : weft_latch_wait(&g_l, deadline);
}
static int kind_broken(int barrier) {
    return barrier ? weft_barrier_is_broken(&g_b) : weft_latch_is_broken(&g_l);
}
static struct weft__wl *kind_wl(int barrier) {
    return barrier ? &g_b.wl : &g_l.wl;
}

static int g_kind;

static void *breaks_party(void *arg) {
    struct role *a = arg;
    int k = g_kind;
    if (a->index == 0) {
        WT_CHECK_EQ(wt_wait_queued(kind_wl(k), 1), 0);
        int64_t deadline = weft_after(WEFT_MSEC(1));
        WT_CHECK_EQ(kind_wait(k, deadline), -ETIMEDOUT);
        WT_CHECK(weft_now() >= deadline);
        WT_CHECK_EQ(kind_broken(k), 1);
    } else if (a->index == 1) {
        WT_CHECK_EQ(kind_wait(k, WEFT_FOREVER), -ENOTRECOVERABLE);
    } else {
        int64_t limit = weft_after(WT_PATIENCE);
        while (!kind_broken(k) && weft_now() < limit)
            wt_pause();
        WT_CHECK_EQ(kind_wait(k, WEFT_FOREVER), -ENOTRECOVERABLE);
        WT_CHECK_EQ(kind_wait(k, WEFT_NOWAIT), -ENOTRECOVERABLE);
    }
    return NULL;
}

static void breaks(enum wt_pair p, int barrier) {
    enum { N = 3 };
    g_kind = barrier;
    assert_int_equal(weft_latch_init(&g_l, N), 0);
    assert_int_equal(weft_barrier_init(&g_b, N), 0);
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, breaks_party, args);
    assert_int_equal(kind_broken(barrier), 1);
    assert_int_equal(weft__wl_count(kind_wl(barrier)), 0);
}

static void latch_timeout_breaks(enum wt_pair p) {
    breaks(p, 0);
}
static void barrier_timeout_breaks(enum wt_pair p) {
    breaks(p, 1);
}
WT_PAIRS(latch_timeout_breaks)
WT_PAIRS(barrier_timeout_breaks)

/* Deadlines racing the last arrival, RACES rounds of 3 parties with random
 * arrival delays and random short deadlines (some tries, some unbounded).
 * Invariant, every round: either every party succeeded (latch: all 0; barrier:
 * indices a permutation of 0..2), or none did, at least one returned its own
 * -ETIMEDOUT and all the others -ENOTRECOVERABLE. Party 0 checks each round,
 * then resets (barrier) or re-initialises (latch) and opens the next. */
struct race {
    _Atomic int go, posted;
    int res[WT_MAX_PARTIES];
    long released, broken;
};
static struct race g_race;

static void check_round(int barrier, int n) {
    int ok = 0, timedout = 0, broken = 0, seen = 0;
    for (int i = 0; i < n; i++) {
        int r = g_race.res[i];
        if (r >= 0) {
            ok++;
            WT_CHECK(barrier ? r < n : r == 0);
            if (r < n) seen |= 1 << r;
        } else if (r == -ETIMEDOUT) {
            timedout++;
        } else {
            WT_CHECK_EQ(r, -ENOTRECOVERABLE);
            broken++;
        }
    }
    if (ok) {
        WT_CHECK_EQ(ok, n);
        if (barrier) WT_CHECK_EQ(seen, (1 << n) - 1);
        g_race.released++;
    } else {
        WT_CHECK(timedout >= 1);
        WT_CHECK_EQ(timedout + broken, n);
        WT_CHECK(kind_broken(barrier));
        g_race.broken++;
    }
}

static void *race_party(void *arg) {
    struct role *a = arg;
    int k = g_kind;
    unsigned seed = 7u + 31u * (unsigned)a->index;
    for (int round = 1; round <= RACES; round++) {
        WT_CHECK_EQ(wt_wait_flag(&g_race.go, round), 0);
        seed = seed * 1103515245u + 12345u;
        unsigned x = seed >> 8;
        for (unsigned spin = x % 64; spin; spin--)
            weft__cpu_relax();
        int64_t deadline;
        switch ((x >> 8) % 8) {
        case 0:
            deadline = WEFT_NOWAIT;
            break;
        case 1:
        case 2:
            deadline = WEFT_FOREVER;
            break;
        default:
            deadline = weft_after((int64_t)((x >> 12) % 60000));
        }
        g_race.res[a->index] = kind_wait(k, deadline);
        atomic_fetch_add(&g_race.posted, 1);
        if (a->index == 0) {
            WT_CHECK_EQ(wt_wait_flag(&g_race.posted, round * a->n), 0);
            check_round(k, a->n);
            WT_CHECK_EQ(weft__wl_count(kind_wl(k)), 0);
            if (k)
                WT_CHECK_EQ(weft_barrier_reset(&g_b), 0);
            else
                WT_CHECK_EQ(weft_latch_init(&g_l, (unsigned)a->n), 0);
            atomic_store(&g_race.go, round + 1);
        }
    }
    return NULL;
}

static void race(enum wt_pair p, int barrier) {
    enum { N = 3 };
    g_kind = barrier;
    memset(&g_race, 0, sizeof g_race);
    atomic_store(&g_race.go, 1);
    assert_int_equal(weft_latch_init(&g_l, N), 0);
    assert_int_equal(weft_barrier_init(&g_b, N), 0);
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, race_party, args);
    assert_int_equal(g_race.released + g_race.broken, RACES);
    assert_int_equal(weft__wl_count(kind_wl(barrier)), 0);
}

static void latch_race(enum wt_pair p) {
    race(p, 0);
}
static void barrier_race(enum wt_pair p) {
    race(p, 1);
}
WT_PAIRS(latch_race)
WT_PAIRS(barrier_race)

/* ===================== barrier ===================== */

/* GENS generations of a 4-party barrier. Invariants: nobody leaves generation g
 * before all 4 arrived in it, and the indices of each generation are a
 * permutation of 0..3 (checked on the main thread after the run). */
static _Atomic int g_gen_arrived[GENS_MAX];
static _Atomic int g_gen_hits[GENS_MAX][4];

static void *barrier_gen_party(void *arg) {
    struct role *a = arg;
    for (int g = 0; g < GENS; g++) {
        atomic_fetch_add(&g_gen_arrived[g], 1);
        int idx = weft_barrier_wait(&g_b, WEFT_FOREVER);
        WT_CHECK(idx >= 0 && idx < a->n);
        WT_CHECK_EQ(atomic_load(&g_gen_arrived[g]), a->n);
        if (idx >= 0 && idx < a->n) atomic_fetch_add(&g_gen_hits[g][idx], 1);
        if (g % 64 == a->index) wt_pause();
    }
    return NULL;
}

static void barrier_generations(enum wt_pair p) {
    enum { N = 4 };
    assert_int_equal(weft_barrier_init(&g_b, N), 0);
    memset(g_gen_arrived, 0, sizeof g_gen_arrived);
    memset(g_gen_hits, 0, sizeof g_gen_hits);
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, barrier_gen_party, args);
    for (int g = 0; g < GENS; g++)
        for (int i = 0; i < N; i++)
            if (atomic_load(&g_gen_hits[g][i]) != 1)
                fail_msg("generation %d: index %d returned %d times", g, i,
                         atomic_load(&g_gen_hits[g][i]));
    assert_int_equal(weft_barrier_is_broken(&g_b), 0);
    assert_int_equal(weft_barrier_destroy(&g_b), 0);
}
WT_PAIRS(barrier_generations)

/* reset breaks only the current generation: the two queued parties get
 * -ENOTRECOVERABLE, the barrier is not left broken, and the next generation of
 * all three completes with indices 0..2. */
static _Atomic int g_idx_seen;

static void *barrier_reset_party(void *arg) {
    struct role *a = arg;
    if (a->index == 0) {
        WT_CHECK_EQ(wt_wait_queued(&g_b.wl, a->n - 1), 0);
        WT_CHECK_EQ(weft_barrier_destroy(&g_b), -EBUSY);
        WT_CHECK_EQ(weft_barrier_reset(&g_b), 0);
        WT_CHECK_EQ(weft_barrier_is_broken(&g_b), 0);
    } else {
        WT_CHECK_EQ(weft_barrier_wait(&g_b, WEFT_FOREVER), -ENOTRECOVERABLE);
    }
    int idx = weft_barrier_wait(&g_b, WEFT_FOREVER);
    WT_CHECK(idx >= 0 && idx < a->n);
    if (idx >= 0 && idx < a->n) atomic_fetch_or(&g_idx_seen, 1 << idx);
    return NULL;
}

static void barrier_reset(enum wt_pair p) {
    enum { N = 3 };
    assert_int_equal(weft_barrier_init(&g_b, N), 0);
    atomic_store(&g_idx_seen, 0);
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, barrier_reset_party, args);
    assert_int_equal(atomic_load(&g_idx_seen), (1 << N) - 1);
    assert_int_equal(weft_barrier_is_broken(&g_b), 0);
    assert_int_equal(weft_barrier_destroy(&g_b), 0);
}
WT_PAIRS(barrier_reset)

/* ===================== deadlines racing set/clear and up/down ===================== */

/* One party toggles the reusable event (set/clear) and the countdown (down to
 * 0, up again); the others wait on both with random short deadlines. Every wait
 * returns 0 or -ETIMEDOUT, and nothing is left queued (a settle lost to a
 * deadline loses nothing and corrupts nothing). */
static void *toggle_party(void *arg) {
    struct role *a = arg;
    if (a->index == 0) {
        for (int i = 0; i < ROUNDS; i++) {
            WT_CHECK_EQ(weft_revent_set(&g_re), 1);
            WT_CHECK_EQ(weft_countdown_down(&g_cd), 0);
            if (i % 2) wt_pause();
            WT_CHECK_EQ(weft_revent_clear(&g_re), 1);
            WT_CHECK_EQ(weft_countdown_up(&g_cd, 1), 0);
            if (i % 4 == 0) wt_pause();
        }
        atomic_store(&g_step, 1);
        return NULL;
    }
    unsigned seed = 17u * (unsigned)a->index;
    long ok = 0;
    while (!atomic_load(&g_step)) {
        seed = seed * 1103515245u + 12345u;
        int64_t deadline = weft_after((int64_t)((seed >> 16) % 20000));
        int r = (seed >> 12) % 2 ? weft_revent_wait(&g_re, deadline)
                                 : weft_countdown_wait(&g_cd, deadline);
        WT_CHECK(r == 0 || r == -ETIMEDOUT);
        ok += r == 0;
        /* A wait that completes or fails at once does not yield; on a shared
         * worker the toggler must get its turn. */
        weft_yield();
    }
    (void)ok;
    return NULL;
}

static void deadline_races(enum wt_pair p) {
    enum { N = 3 };
    assert_int_equal(weft_revent_init(&g_re), 0);
    assert_int_equal(weft_countdown_init(&g_cd, 1), 0);
    atomic_store(&g_step, 0);
    struct role r[N];
    void *args[N];
    make_roles(r, args, N);
    wt_run_parties(p, N, toggle_party, args);
    assert_int_equal(weft__wl_count(&g_re.wl), 0);
    assert_int_equal(weft__wl_count(&g_cd.wl), 0);
    assert_int_equal(weft_countdown_value(&g_cd), 1);
    assert_int_equal(weft_revent_destroy(&g_re), 0);
    assert_int_equal(weft_countdown_destroy(&g_cd), 0);
}
WT_PAIRS(deadline_races)

/* ===================== cancellation ===================== */

enum { K_REVENT, K_COUNTDOWN, K_LATCH, K_BARRIER, K_KINDS };
static weft_revent_t c_re;
static weft_countdown_t c_cd;
static weft_latch_t c_l;
static weft_barrier_t c_b;

static int c_wait(int kind, int64_t deadline) {
    switch (kind) {
    case K_REVENT:
        return weft_revent_wait(&c_re, deadline);
    case K_COUNTDOWN:
        return weft_countdown_wait(&c_cd, deadline);
    case K_LATCH:
        return weft_latch_wait(&c_l, deadline);
    default:
        return weft_barrier_wait(&c_b, deadline);
    }
}

static struct weft__wl *c_wl(int kind) {
    switch (kind) {
    case K_REVENT:
        return &c_re.wl;
    case K_COUNTDOWN:
        return &c_cd.wl;
    case K_LATCH:
        return &c_l.wl;
    default:
        return &c_b.wl;
    }
}

static void *c_waiter(void *arg) {
    return WT_PTR(c_wait(*(int *)arg, WEFT_FOREVER));
}

/* For each primitive: a parked fiber that is cancelled returns -ECANCELED and
 * leaves nothing queued; on a latch or barrier (3 parties) it breaks it, and the
 * bystander queued before it returns -ENOTRECOVERABLE. The event and countdown
 * are unaffected. */
static void *cancel_main(void *arg) {
    (void)arg;
    weft_revent_init(&c_re);
    weft_countdown_init(&c_cd, 1);
    weft_latch_init(&c_l, 3);
    weft_barrier_init(&c_b, 3);
    for (int kind = 0; kind < K_KINDS; kind++) {
        int rendezvous = kind == K_LATCH || kind == K_BARRIER;
        weft_fiber_t *by = NULL, *f;
        void *res;
        if (rendezvous) {
            WT_CHECK_EQ(weft_spawn(&by, c_waiter, &kind), 0);
            WT_CHECK_EQ(wt_wait_state(by, WEFT__FIBER_PARKED), 0);
        }
        WT_CHECK_EQ(weft_spawn(&f, c_waiter, &kind), 0);
        WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
        WT_CHECK_EQ(weft__wl_count(c_wl(kind)), rendezvous ? 2 : 1);
        WT_CHECK_EQ(weft_cancel(f), 0);
        WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
        WT_CHECK_EQ(WT_INT(res), -ECANCELED);
        if (rendezvous) {
            WT_CHECK_EQ(weft_join(by, &res, WEFT_FOREVER), 0);
            WT_CHECK_EQ(WT_INT(res), -ENOTRECOVERABLE);
        }
        WT_CHECK_EQ(weft__wl_count(c_wl(kind)), 0);
    }
    WT_CHECK_EQ(weft_revent_is_set(&c_re), 0);
    WT_CHECK_EQ(weft_countdown_value(&c_cd), 1);
    WT_CHECK_EQ(weft_latch_is_broken(&c_l), 1);
    WT_CHECK_EQ(weft_barrier_is_broken(&c_b), 1);

    /* A cancelled fiber: blocking calls fail even when they could complete at
     * once; tries behave normally; broken wins over cancelled; a shield defers
     * cancellation. */
    weft_cancel(weft_self());
    WT_CHECK_EQ(weft_revent_set(&c_re), 1);
    WT_CHECK_EQ(weft_revent_wait(&c_re, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_revent_wait(&c_re, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_countdown_clear(&c_cd), 0);
    WT_CHECK_EQ(weft_countdown_wait(&c_cd, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_countdown_wait(&c_cd, WEFT_NOWAIT), 0);

    WT_CHECK_EQ(weft_latch_wait(&c_l, WEFT_FOREVER), -ENOTRECOVERABLE);
    WT_CHECK_EQ(weft_latch_wait(&c_l, WEFT_NOWAIT), -ENOTRECOVERABLE);
    weft_latch_init(&c_l, 1);
    WT_CHECK_EQ(weft_latch_wait(&c_l, WEFT_NOWAIT), 0); /* the last arrival */
    WT_CHECK_EQ(weft_latch_wait(&c_l, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_latch_is_broken(&c_l), 0); /* released: nothing to break */
    weft_latch_init(&c_l, 2);
    WT_CHECK_EQ(weft_latch_wait(&c_l, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_latch_is_broken(&c_l), 1);

    WT_CHECK_EQ(weft_barrier_wait(&c_b, WEFT_FOREVER), -ENOTRECOVERABLE);
    weft_barrier_init(&c_b, 1);
    WT_CHECK_EQ(weft_barrier_wait(&c_b, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_barrier_wait(&c_b, WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_barrier_is_broken(&c_b), 1);
    WT_CHECK_EQ(weft_barrier_wait(&c_b, WEFT_NOWAIT), -ENOTRECOVERABLE);
    WT_CHECK_EQ(weft_barrier_reset(&c_b), 0);
    weft_shield_begin();
    WT_CHECK_EQ(weft_barrier_wait(&c_b, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_revent_wait(&c_re, WEFT_FOREVER), 0);
    weft_shield_end();
    WT_CHECK_EQ(weft_barrier_is_broken(&c_b), 0);
    return NULL;
}

static void cancel_each(void **state) {
    (void)state;
    for (int workers = 1; workers <= 2; workers++)
        wt_in_runtime(WT_RUN, workers, cancel_main, NULL);
}

/* ===================== checkpoints ===================== */

/* Each call completes at once; it yields exactly `expect` times (1 with the
 * checkpoints option, else 0); tries and non-blocking calls never yield. */
static void *checkpoint_main(void *arg) {
    int expect = *(int *)arg;
    weft_fiber_t *f;
    WT_CHECK_EQ(weft_spawn(&f, wt_probe, NULL), 0);
    weft_yield(); /* the probe is now running its loop */
    weft_revent_t e = WEFT_REVENT_INIT;
    weft_countdown_t c = WEFT_COUNTDOWN_INIT(1);
    weft_latch_t l = WEFT_LATCH_INIT(1);
    weft_barrier_t b = WEFT_BARRIER_INIT(1);
    int before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_revent_set(&e), 1);
    WT_CHECK_EQ(weft_countdown_down(&c), 0);
    WT_CHECK_EQ(weft_countdown_up(&c, 0), 0);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, 0); /* never a checkpoint */
#define ONCE(call, result)                                                               \
    do {                                                                                 \
        int before_ = atomic_load(&wt_probe_runs);                                       \
        WT_CHECK_EQ(call, result);                                                       \
        WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before_, expect);                      \
    } while (0)
    ONCE(weft_revent_wait(&e, WEFT_FOREVER), 0);
    ONCE(weft_countdown_wait(&c, WEFT_FOREVER), 0);
    ONCE(weft_latch_wait(&l, WEFT_FOREVER), 0); /* the last arrival */
    ONCE(weft_latch_wait(&l, WEFT_FOREVER), 0); /* released */
    ONCE(weft_barrier_wait(&b, WEFT_FOREVER), 0);
#undef ONCE
    before = atomic_load(&wt_probe_runs);
    WT_CHECK_EQ(weft_revent_wait(&e, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_countdown_wait(&c, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_latch_wait(&l, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(weft_barrier_wait(&b, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(atomic_load(&wt_probe_runs) - before, 0);
    atomic_store(&wt_probe_stop, 1);
    WT_CHECK_EQ(weft_join(f, NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void checkpoints(void **state) {
    (void)state;
    wt_run_checkpoint_modes(checkpoint_main);
}

/* ===================== misuse, tries, destroy ===================== */

static void errors(void **state) {
    (void)state;
    /* reusable event */
    weft_revent_t e;
    assert_int_equal(weft_revent_init(NULL), -EINVAL);
    assert_int_equal(weft_revent_init(&e), 0);
    assert_int_equal(weft_revent_set(NULL), -EINVAL);
    assert_int_equal(weft_revent_clear(NULL), -EINVAL);
    assert_int_equal(weft_revent_wait(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_revent_destroy(NULL), -EINVAL);
    assert_int_equal(weft_revent_is_set(NULL), 0);
    assert_int_equal(weft_revent_clear(&e), 0);
    assert_int_equal(weft_revent_wait(&e, WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_revent_set(&e), 1);
    assert_int_equal(weft_revent_wait(&e, WEFT_NOWAIT), 0);
    assert_int_equal(weft_revent_wait(&e, weft_now() - 1), 0);
    assert_int_equal(weft_revent_clear(&e), 1);
    assert_int_equal(weft_revent_wait(&e, WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_revent_destroy(&e), 0);

    /* countdown */
    weft_countdown_t c;
    assert_int_equal(weft_countdown_init(NULL, 0), -EINVAL);
    assert_int_equal(weft_countdown_init(&c, 0x80000000u), -EINVAL);
    assert_int_equal(weft_countdown_init(&c, 0), 0);
    assert_int_equal(weft_countdown_value(NULL), -EINVAL);
    assert_int_equal(weft_countdown_up(NULL, 1), -EINVAL);
    assert_int_equal(weft_countdown_down(NULL), -EINVAL);
    assert_int_equal(weft_countdown_clear(NULL), -EINVAL);
    assert_int_equal(weft_countdown_wait(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_countdown_down(&c), -ERANGE);
    assert_int_equal(weft_countdown_wait(&c, WEFT_NOWAIT), 0);
    assert_int_equal(weft_countdown_up(&c, 0), 0);
    assert_int_equal(weft_countdown_value(&c), 0);
    assert_int_equal(weft_countdown_up(&c, 0x7fffffffu), 0);
    assert_int_equal(weft_countdown_up(&c, 1), -EOVERFLOW);
    assert_int_equal(weft_countdown_up(&c, 0xffffffffu), -EOVERFLOW);
    assert_int_equal(weft_countdown_value(&c), 0x7fffffff); /* nothing added */
    assert_int_equal(weft_countdown_down(&c), 0);
    assert_int_equal(weft_countdown_up(&c, 1), 0);
    assert_int_equal(weft_countdown_wait(&c, WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_countdown_clear(&c), 0);
    assert_int_equal(weft_countdown_value(&c), 0);
    assert_int_equal(weft_countdown_up(&c, 2), 0);
    assert_int_equal(weft_countdown_down(&c), 0);
    assert_int_equal(weft_countdown_down(&c), 0);
    assert_int_equal(weft_countdown_down(&c), -ERANGE);
    assert_int_equal(weft_countdown_destroy(&c), 0);

    /* latch: a try that cannot complete breaks it; broken precedes timeout */
    weft_latch_t l;
    assert_int_equal(weft_latch_init(NULL, 1), -EINVAL);
    assert_int_equal(weft_latch_init(&l, 0x80000000u), -EINVAL);
    assert_int_equal(weft_latch_wait(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_latch_abort(NULL), -EINVAL);
    assert_int_equal(weft_latch_is_broken(NULL), 0);
    assert_int_equal(weft_latch_init(&l, 2), 0);
    assert_int_equal(weft_latch_wait(&l, WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_latch_is_broken(&l), 1);
    assert_int_equal(weft_latch_wait(&l, WEFT_NOWAIT), -ENOTRECOVERABLE);
    assert_int_equal(weft_latch_wait(&l, WEFT_FOREVER), -ENOTRECOVERABLE);
    assert_int_equal(weft_latch_init(&l, 0), 0);
    assert_int_equal(weft_latch_wait(&l, WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_latch_is_broken(&l), 1);
    assert_int_equal(weft_latch_init(&l, 1), 0);
    assert_int_equal(weft_latch_wait(&l, WEFT_FOREVER), 0);
    assert_int_equal(weft_latch_wait(&l, WEFT_NOWAIT), 0);
    assert_int_equal(weft_latch_abort(&l), 0); /* also after a release */
    assert_int_equal(weft_latch_is_broken(&l), 1);
    assert_int_equal(weft_latch_wait(&l, WEFT_NOWAIT), -ENOTRECOVERABLE);
    assert_int_equal(weft_latch_destroy(&l), 0);

    /* barrier */
    weft_barrier_t b;
    assert_int_equal(weft_barrier_init(NULL, 1), -EINVAL);
    assert_int_equal(weft_barrier_init(&b, 0), -EINVAL);
    assert_int_equal(weft_barrier_init(&b, 0x80000000u), -EINVAL);
    weft_barrier_t zero = WEFT_BARRIER_INIT(0);
    assert_int_equal(weft_barrier_wait(&zero, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_barrier_wait(NULL, WEFT_NOWAIT), -EINVAL);
    assert_int_equal(weft_barrier_abort(NULL), -EINVAL);
    assert_int_equal(weft_barrier_reset(NULL), -EINVAL);
    assert_int_equal(weft_barrier_is_broken(NULL), 0);
    assert_int_equal(weft_barrier_init(&b, 1), 0);
    for (int i = 0; i < 3; i++) /* every generation of one party */
        assert_int_equal(weft_barrier_wait(&b, WEFT_NOWAIT), 0);
    assert_int_equal(weft_barrier_init(&b, 2), 0);
    assert_int_equal(weft_barrier_wait(&b, WEFT_NOWAIT), -ETIMEDOUT);
    assert_int_equal(weft_barrier_is_broken(&b), 1);
    assert_int_equal(weft_barrier_wait(&b, WEFT_NOWAIT), -ENOTRECOVERABLE);
    assert_int_equal(weft_barrier_wait(&b, WEFT_FOREVER), -ENOTRECOVERABLE);
    assert_int_equal(weft_barrier_reset(&b), 0);
    assert_int_equal(weft_barrier_is_broken(&b), 0);
    assert_int_equal(weft_barrier_abort(&b), 0);
    assert_int_equal(weft_barrier_is_broken(&b), 1); /* permanent until reset */
    assert_int_equal(weft_barrier_wait(&b, WEFT_FOREVER), -ENOTRECOVERABLE);
    assert_int_equal(weft_barrier_reset(&b), 0);
    assert_int_equal(weft_barrier_is_broken(&b), 0);
    assert_int_equal(weft_barrier_destroy(&b), 0);
    assert_int_equal(weft_barrier_destroy(NULL), -EINVAL);
}

/* Destroy with a queued waiter (a plain thread) reports -EBUSY and leaves the
 * waiter queued; once it is released, destroy succeeds. */
static int g_destroy_kind;

static void *destroy_waiter(void *arg) {
    (void)arg;
    return WT_PTR(c_wait(g_destroy_kind, WEFT_FOREVER));
}

static void destroy_busy(void **state) {
    (void)state;
    for (int kind = 0; kind < K_KINDS; kind++) {
        g_destroy_kind = kind;
        weft_revent_init(&c_re);
        weft_countdown_init(&c_cd, 1);
        weft_latch_init(&c_l, 2);
        weft_barrier_init(&c_b, 2);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, destroy_waiter, NULL), 0);
        int64_t limit = weft_after(WT_PATIENCE);
        while (weft__wl_count(c_wl(kind)) < 1 && weft_now() < limit)
            sched_yield();
        int expect = 0;
        switch (kind) {
        case K_REVENT:
            assert_int_equal(weft_revent_destroy(&c_re), -EBUSY);
            assert_int_equal(weft_revent_set(&c_re), 1);
            break;
        case K_COUNTDOWN:
            assert_int_equal(weft_countdown_destroy(&c_cd), -EBUSY);
            assert_int_equal(weft_countdown_down(&c_cd), 0);
            break;
        case K_LATCH:
            assert_int_equal(weft_latch_destroy(&c_l), -EBUSY);
            assert_int_equal(weft_latch_wait(&c_l, WEFT_FOREVER), 0);
            break;
        default:
            assert_int_equal(weft_barrier_destroy(&c_b), -EBUSY);
            assert_int_equal(weft_barrier_wait(&c_b, WEFT_FOREVER), 1);
            break;
        }
        void *r;
        pthread_join(t, &r);
        assert_int_equal(WT_INT(r), expect);
        assert_int_equal(weft__wl_count(c_wl(kind)), 0);
        assert_int_equal(weft_revent_destroy(&c_re), 0);
        assert_int_equal(weft_countdown_destroy(&c_cd), 0);
        assert_int_equal(weft_latch_destroy(&c_l), 0);
        assert_int_equal(weft_barrier_destroy(&c_b), 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_PAIRS_TESTS(revent_rounds),
        WT_PAIRS_TESTS(revent_generation),
        WT_PAIRS_TESTS(countdown_join),
        WT_PAIRS_TESTS(countdown_clear),
        WT_PAIRS_TESTS(latch_release),
        WT_PAIRS_TESTS(latch_abort),
        WT_PAIRS_TESTS(latch_timeout_breaks),
        WT_PAIRS_TESTS(barrier_timeout_breaks),
        WT_PAIRS_TESTS(latch_race),
        WT_PAIRS_TESTS(barrier_race),
        WT_PAIRS_TESTS(barrier_generations),
        WT_PAIRS_TESTS(barrier_reset),
        WT_PAIRS_TESTS(deadline_races),
        WT_TEST(cancel_each),
        WT_TEST(checkpoints),
        WT_TEST(errors),
        WT_TEST(destroy_busy),
    };
    return WT_RUN_TESTS(tests);
}
