/* tests/test_fiber.c: spawn, join, detach, cancel, sleep and yield, each body run
 * on 1, 2 and 4 workers, both as weft_run's main fiber and on a runtime made by
 * weft_runtime_create (the body then spawned and joined from this plain thread). */
#include "harness.h"

/* --- spawn / join --- */

static void *times_two_plus_one(void *arg) {
    WT_CHECK_EQ(weft_yield(), 0);
    return WT_PTR(2 * WT_INT(arg) + 1);
}

static void *set_flag(void *arg) {
    atomic_store((_Atomic int *)arg, 1);
    return NULL;
}

static void *body_spawn_join(void *arg) {
    int workers = *(int *)arg;
    enum { K = 64 };
    weft_fiber_t *f[K];
    for (int i = 0; i < K; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], times_two_plus_one, WT_PTR(i)), 0);
    for (int i = 0; i < K; i++) {
        void *res = NULL;
        WT_CHECK_EQ(weft_join(f[i], &res, WEFT_FOREVER), 0);
        WT_CHECK_EQ(WT_INT(res), 2 * i + 1);
    }
    void *nodes = NULL;
    weft_fiber_t *t = NULL;
    WT_CHECK_EQ(weft_spawn(&t, wt_tree, WT_PTR(6)), 0);
    WT_CHECK_EQ(weft_join(t, &nodes, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(nodes), 127);
    /* A NULL result pointer is allowed. */
    WT_CHECK_EQ(weft_spawn(&t, times_two_plus_one, WT_PTR(0)), 0);
    WT_CHECK_EQ(weft_join(t, NULL, WEFT_FOREVER), 0);
    if (workers == 1) {
        /* Cooperative on one worker: a spawned fiber does not run until its
         * spawner yields, and takes the worker at that yield. */
        _Atomic int flag = 0;
        WT_CHECK_EQ(weft_spawn(&t, set_flag, &flag), 0);
        WT_CHECK_EQ(atomic_load(&flag), 0);
        WT_CHECK_EQ(weft_yield(), 0);
        WT_CHECK_EQ(atomic_load(&flag), 1);
        WT_CHECK_EQ(weft_join(t, NULL, WEFT_FOREVER), 0);
    }
    return WT_PTR(1234);
}

static void t_spawn_join(enum wt_mode mode, int workers) {
    assert_int_equal(WT_INT(wt_in_runtime(mode, workers, body_spawn_join, &workers)),
                     1234);
}
WT_MATRIX(t_spawn_join)

/* --- detach: weft_run / weft_runtime_destroy wait for detached fibers --- */

static _Atomic int g_detached_done;
enum { DETACHED = 16 };

static void *detached_child(void *arg) {
    WT_CHECK_EQ(weft_sleep_until(weft_after(WEFT_MSEC(1) + WT_INT(arg) * WEFT_USEC(100))),
                0);
    WT_CHECK_EQ(weft_yield(), 0);
    atomic_fetch_add(&g_detached_done, 1);
    return NULL;
}

static void *body_detach(void *arg) {
    (void)arg;
    for (int i = 0; i < DETACHED; i++) {
        if (i % 2) {
            WT_CHECK_EQ(weft_spawn(NULL, detached_child, WT_PTR(i)), 0);
        } else {
            weft_fiber_t *f = NULL;
            WT_CHECK_EQ(weft_spawn(&f, detached_child, WT_PTR(i)), 0);
            WT_CHECK_EQ(weft_detach(f), 0);
        }
    }
    /* Detaching a fiber that already finished releases it. */
    _Atomic int flag = 0;
    weft_fiber_t *f = NULL;
    WT_CHECK_EQ(weft_spawn(&f, set_flag, &flag), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_DONE), 0);
    WT_CHECK_EQ(atomic_load(&flag), 1);
    WT_CHECK_EQ(weft_detach(f), 0);
    return NULL; /* most detached children are still sleeping */
}

static void t_detach(enum wt_mode mode, int workers) {
    atomic_store(&g_detached_done, 0);
    wt_in_runtime(mode, workers, body_detach, NULL);
    assert_int_equal(atomic_load(&g_detached_done), DETACHED);
}
WT_MATRIX(t_detach)

/* --- cancel --- */

static void *sleep_forever(void *arg) {
    (void)arg;
    return WT_PTR(weft_sleep_until(WEFT_FOREVER));
}

static void *yield_until_cancelled(void *arg) {
    _Atomic int *spins = arg;
    int r;
    while ((r = weft_yield()) == 0)
        atomic_fetch_add(spins, 1);
    return WT_PTR(r);
}

static void *body_cancel(void *arg) {
    (void)arg;
    void *res = NULL;
    weft_fiber_t *f = NULL;
    WT_CHECK_EQ(weft_spawn(&f, sleep_forever, NULL), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED);

    _Atomic int spins = 0;
    WT_CHECK_EQ(weft_spawn(&f, yield_until_cancelled, &spins), 0);
    WT_CHECK_EQ(wt_wait_flag(&spins, 10), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED);
    /* Cancelling twice is harmless. (Cancel before start: test_cancel.c.) */
    WT_CHECK_EQ(weft_spawn(&f, sleep_forever, NULL), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED);
    return NULL;
}

static void t_cancel(enum wt_mode mode, int workers) {
    wt_in_runtime(mode, workers, body_cancel, NULL);
}
WT_MATRIX(t_cancel)

/* --- sleep --- */

static void *sleeper(void *arg) {
    int64_t deadline = weft_after(WT_INT(arg) * WEFT_USEC(500));
    WT_CHECK_EQ(weft_sleep_until(deadline), 0);
    WT_CHECK(weft_now() >= deadline);
    return NULL;
}

static void *body_sleep(void *arg) {
    (void)arg;
    enum { K = 32 };
    weft_fiber_t *f[K];
    for (int i = 0; i < K; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], sleeper, WT_PTR(i % 7)), 0);
    /* Past deadlines are tries: they return at once. */
    WT_CHECK_EQ(weft_sleep_until(0), 0);
    WT_CHECK_EQ(weft_sleep_until(weft_now() - 1), 0);
    WT_CHECK_EQ(weft_sleep_until(weft_after(-WEFT_SEC(1))), 0);
    int64_t deadline = weft_after(WEFT_MSEC(2));
    WT_CHECK_EQ(weft_sleep_until(deadline), 0);
    WT_CHECK(weft_now() >= deadline);
    for (int i = 0; i < K; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void t_sleep(enum wt_mode mode, int workers) {
    wt_in_runtime(mode, workers, body_sleep, NULL);
}
WT_MATRIX(t_sleep)

/* --- yield: two fibers that take turns only through yields both finish --- */

struct turns {
    _Atomic int turn;
    int rounds;
};

struct player {
    struct turns *t;
    int me;
};

static void *play(void *arg) {
    struct player *p = arg;
    for (int i = 0; i < p->t->rounds; i++) {
        long spins = 0;
        while (atomic_load(&p->t->turn) != p->me) {
            WT_CHECK_EQ(weft_yield(), 0);
            if (++spins > 100000000L) {
                WT_CHECK(!"no progress through weft_yield");
                return NULL;
            }
        }
        atomic_store(&p->t->turn, 1 - p->me);
    }
    return NULL;
}

static void *body_yield(void *arg) {
    (void)arg;
    struct turns t = {0, WT_SCALE(2000)};
    struct player a = {&t, 0}, b = {&t, 1};
    weft_fiber_t *fa = NULL, *fb = NULL;
    WT_CHECK_EQ(weft_spawn(&fa, play, &a), 0);
    WT_CHECK_EQ(weft_spawn(&fb, play, &b), 0);
    WT_CHECK_EQ(weft_join(fa, NULL, WEFT_FOREVER), 0);
    WT_CHECK_EQ(weft_join(fb, NULL, WEFT_FOREVER), 0);
    WT_CHECK_EQ(atomic_load(&t.turn), 0); /* an even number of hand-overs */
    WT_CHECK_EQ(weft_yield(), 0);
    return NULL;
}

static void t_yield(enum wt_mode mode, int workers) {
    wt_in_runtime(mode, workers, body_yield, NULL);
}
WT_MATRIX(t_yield)

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_MATRIX_TESTS(t_spawn_join), WT_MATRIX_TESTS(t_detach),
        WT_MATRIX_TESTS(t_cancel),     WT_MATRIX_TESTS(t_sleep),
        WT_MATRIX_TESTS(t_yield),
    };
    return WT_RUN_TESTS(tests);
}
