/* tests/test_join.c: join deadlines and join errors: a timed-out join leaves the
 * handle valid; a WEFT_NOWAIT join never blocks or yields; plain threads join
 * with deadlines; -EBUSY for a second concurrent join (and detach), also when
 * two joins of a finished fiber race; -EINVAL for joining NULL or oneself. */
#include <pthread.h>

#include "harness.h"

static void *sleep_forever(void *arg) {
    (void)arg;
    return WT_PTR(weft_sleep_until(WEFT_FOREVER));
}

static void *set_flag(void *arg) {
    atomic_store((_Atomic int *)arg, 1);
    return WT_PTR(9);
}

static void run_main(int workers, void *(*fn)(void *), void *arg) {
    weft_runtime_opts_t o = {0};
    o.workers = workers;
    assert_int_equal(weft_run(&o, fn, arg, NULL), 0);
    wt_assert_clean();
}

/* --- a join that times out leaves the handle valid --- */

static void *main_join_timeout(void *arg) {
    (void)arg;
    weft_fiber_t *f = NULL;
    void *res = WT_PTR(1);
    WT_CHECK_EQ(weft_spawn(&f, sleep_forever, NULL), 0);
    int64_t deadline = weft_after(WEFT_MSEC(5));
    WT_CHECK_EQ(weft_join(f, &res, deadline), -ETIMEDOUT);
    WT_CHECK(weft_now() >= deadline);
    WT_CHECK(res == WT_PTR(1)); /* nothing stored */
    /* Again, then a try: still unfinished, still valid. */
    deadline = weft_after(WEFT_MSEC(1));
    WT_CHECK_EQ(weft_join(f, &res, deadline), -ETIMEDOUT);
    WT_CHECK(weft_now() >= deadline);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_join(f, &res, weft_now() - 1), -ETIMEDOUT);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0); /* started: see below */
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED);
    return NULL;
}

static void join_timeout_keeps_handle(void **state) {
    (void)state;
    run_main(1, main_join_timeout, NULL);
    run_main(2, main_join_timeout, NULL);
}

/* --- WEFT_NOWAIT never blocks and never yields --- */

static void *main_join_nowait(void *arg) {
    (void)arg;
    /* One worker, no yield between spawn and the try: had the try yielded, the
     * child would have run (it takes the worker at the spawner's next switch). */
    _Atomic int ran = 0;
    weft_fiber_t *f = NULL;
    void *res = NULL;
    WT_CHECK_EQ(weft_spawn(&f, set_flag, &ran), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(atomic_load(&ran), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(atomic_load(&ran), 1);
    WT_CHECK_EQ(WT_INT(res), 9);
    /* A try on a finished fiber succeeds. */
    WT_CHECK_EQ(weft_spawn(&f, set_flag, &ran), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_DONE), 0);
    res = NULL;
    WT_CHECK_EQ(weft_join(f, &res, WEFT_NOWAIT), 0);
    WT_CHECK_EQ(WT_INT(res), 9);
    return NULL;
}

static void join_nowait_does_not_block(void **state) {
    (void)state;
    run_main(1, main_join_nowait, NULL);
}

/* --- from a plain thread --- */

static void join_from_thread_with_deadline(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(2);
    weft_fiber_t *f = NULL;
    void *res = WT_PTR(1);
    assert_int_equal(weft_spawn_on(rt, &f, sleep_forever, NULL), 0);
    int64_t deadline = weft_after(WEFT_MSEC(10));
    assert_int_equal(weft_join(f, &res, deadline), -ETIMEDOUT);
    assert_true(weft_now() >= deadline);
    assert_ptr_equal(res, WT_PTR(1));
    assert_int_equal(weft_join(f, &res, WEFT_NOWAIT), -ETIMEDOUT);
    /* Cancelled only once asleep, so that its result is its sleep's -ECANCELED
     * (a fiber cancelled before it starts returns NULL). */
    assert_int_equal(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
    assert_int_equal(weft_cancel(f), 0);
    assert_int_equal(weft_join(f, &res, weft_after(WT_PATIENCE)), 0);
    assert_int_equal(WT_INT(res), -ECANCELED);
    wt_destroy(rt);
}

/* --- -EBUSY: one join at a time per handle --- */

struct busy {
    weft_fiber_t *target;
    _Atomic int started;
};

static void *first_joiner(void *arg) {
    struct busy *b = arg;
    void *res = NULL;
    atomic_store(&b->started, 1);
    int r = weft_join(b->target, &res, WEFT_FOREVER);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED);
    return WT_PTR(r);
}

static void *main_busy(void *arg) {
    (void)arg;
    struct busy b = {NULL, 0};
    weft_fiber_t *j = NULL;
    void *res = NULL;
    WT_CHECK_EQ(weft_spawn(&b.target, sleep_forever, NULL), 0);
    WT_CHECK_EQ(weft_spawn(&j, first_joiner, &b), 0);
    WT_CHECK_EQ(wt_wait_flag(&b.started, 1), 0);
    WT_CHECK_EQ(wt_wait_state(j, WEFT__FIBER_PARKED), 0);
    /* The target must have started: cancelled before it ran, its result is NULL. */
    WT_CHECK_EQ(wt_wait_state(b.target, WEFT__FIBER_PARKED), 0);
    /* Misuse is reported before a timeout, even for a try. */
    WT_CHECK_EQ(weft_join(b.target, &res, WEFT_NOWAIT), -EBUSY);
    WT_CHECK_EQ(weft_join(b.target, &res, weft_after(WEFT_MSEC(1))), -EBUSY);
    WT_CHECK_EQ(weft_detach(b.target), -EBUSY);
    WT_CHECK_EQ(weft_cancel(b.target), 0);
    WT_CHECK_EQ(weft_join(j, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), 0); /* the first join completed normally */
    return NULL;
}

static void join_busy(void **state) {
    (void)state;
    run_main(1, main_busy, NULL);
    run_main(2, main_busy, NULL);
}

/* The same from a plain thread while a fiber is joining. */
static void join_busy_from_thread(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(2);
    struct busy b = {NULL, 0};
    weft_fiber_t *j = NULL;
    void *res = NULL;
    assert_int_equal(weft_spawn_on(rt, &b.target, sleep_forever, NULL), 0);
    assert_int_equal(weft_spawn_on(rt, &j, first_joiner, &b), 0);
    assert_int_equal(wt_wait_flag(&b.started, 1), 0);
    assert_int_equal(wt_wait_state(j, WEFT__FIBER_PARKED), 0);
    assert_int_equal(wt_wait_state(b.target, WEFT__FIBER_PARKED), 0);
    assert_int_equal(weft_join(b.target, &res, weft_after(WEFT_MSEC(1))), -EBUSY);
    assert_int_equal(weft_cancel(b.target), 0);
    assert_int_equal(weft_join(j, &res, WEFT_FOREVER), 0);
    assert_int_equal(WT_INT(res), 0);
    wt_destroy(rt);
    wt_assert_clean();
}

/* --- two joins of a finished fiber at once: one takes the handle --- */

#define RACE_ROUNDS 2000

struct join_race {
    pthread_barrier_t go, done;
    weft_fiber_t *target;
    int r[2];
    void *res[2];
};

static struct join_race race;

static void *race_joiner(void *arg) {
    int i = (int)(intptr_t)arg;
    for (int k = 0; k < RACE_ROUNDS; k++) {
        pthread_barrier_wait(&race.go);
        race.res[i] = NULL;
        race.r[i] = weft_join(race.target, &race.res[i], WEFT_FOREVER);
        pthread_barrier_wait(&race.done);
    }
    return NULL;
}

static void *return_nine(void *arg) {
    (void)arg;
    return WT_PTR(9);
}

/* Before the handle was claimed by compare-and-swap, both joins saw the fiber
 * finished and both released the handle: its shell went to the pool twice. */
static void join_race_finished(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(1);
    pthread_t th[2];
    assert_int_equal(pthread_barrier_init(&race.go, NULL, 3), 0);
    assert_int_equal(pthread_barrier_init(&race.done, NULL, 3), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race_joiner, (void *)(intptr_t)i),
                         0);
    int both_won = 0, bad = 0;
    for (int k = 0; k < RACE_ROUNDS; k++) {
        assert_int_equal(weft_spawn_on(rt, &race.target, return_nine, NULL), 0);
        assert_int_equal(wt_wait_state(race.target, WEFT__FIBER_DONE), 0);
        pthread_barrier_wait(&race.go);
        pthread_barrier_wait(&race.done);
        int won = (race.r[0] == 0) + (race.r[1] == 0);
        int busy = (race.r[0] == -EBUSY) + (race.r[1] == -EBUSY);
        if (won == 2) both_won++;
        if (won != 1 || busy != 1)
            bad++;
        else if (race.res[race.r[0] == 0 ? 0 : 1] != WT_PTR(9))
            bad++;
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&race.go);
    pthread_barrier_destroy(&race.done);
    assert_int_equal(both_won, 0);
    assert_int_equal(bad, 0);
    wt_destroy(rt);
    wt_assert_clean();
}

/* --- -EINVAL --- */

static void *main_einval(void *arg) {
    (void)arg;
    void *res = WT_PTR(1);
    WT_CHECK_EQ(weft_join(NULL, &res, WEFT_FOREVER), -EINVAL);
    WT_CHECK_EQ(weft_join(NULL, &res, WEFT_NOWAIT), -EINVAL);
    WT_CHECK_EQ(weft_join(weft_self(), &res, WEFT_FOREVER), -EINVAL);
    WT_CHECK_EQ(weft_join(weft_self(), &res, WEFT_NOWAIT), -EINVAL);
    WT_CHECK(res == WT_PTR(1));
    WT_CHECK_EQ(weft_detach(NULL), -EINVAL);
    WT_CHECK_EQ(weft_cancel(NULL), -EINVAL);
    return NULL;
}

static void join_einval(void **state) {
    (void)state;
    run_main(1, main_einval, NULL);
    assert_int_equal(weft_join(NULL, NULL, WEFT_NOWAIT), -EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(join_timeout_keeps_handle),
        WT_TEST(join_nowait_does_not_block),
        WT_TEST(join_from_thread_with_deadline),
        WT_TEST(join_busy),
        WT_TEST(join_busy_from_thread),
        WT_TEST(join_race_finished),
        WT_TEST(join_einval),
    };
    return WT_RUN_TESTS(tests);
}
