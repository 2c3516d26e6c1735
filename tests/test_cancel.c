/* tests/test_cancel.c: cancellation (DESIGN.md 4a): cancel during a sleep, before
 * the fiber starts (it never runs), while it is blocked in weft_join; shields
 * defer it; a cancelled fiber's yield and blocking calls return -ECANCELED while
 * its tries behave normally; cancelling a finished, unjoined fiber does nothing. */
#include "harness.h"

static void *sleep_forever(void *arg) {
    (void)arg;
    return WT_PTR(weft_sleep_until(WEFT_FOREVER));
}

static void *set_flag(void *arg) {
    atomic_store((_Atomic int *)arg, 1);
    return WT_PTR(77);
}

static weft_runtime_opts_t opts(int workers) {
    weft_runtime_opts_t o = {0};
    o.workers = workers;
    return o;
}

/* --- cancel during a sleep --- */

static void *main_cancel_sleep(void *arg) {
    (void)arg;
    weft_fiber_t *f = NULL;
    void *res = NULL;
    WT_CHECK_EQ(weft_spawn(&f, sleep_forever, NULL), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED);
    return NULL;
}

static void cancel_during_sleep(void **state) {
    (void)state;
    weft_runtime_opts_t o = opts(2);
    assert_int_equal(weft_run(&o, main_cancel_sleep, NULL, NULL), 0);
    wt_assert_clean();
    /* From a plain thread, on a created runtime. */
    weft_runtime_t *rt = wt_create(2);
    weft_fiber_t *f = NULL;
    void *res = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, sleep_forever, NULL), 0);
    assert_int_equal(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
    assert_int_equal(weft_cancel(f), 0);
    assert_int_equal(weft_join(f, &res, WEFT_FOREVER), 0);
    assert_int_equal(WT_INT(res), -ECANCELED);
    wt_destroy(rt);
}

/* --- cancel before start --- */

/* One worker: the spawner does not yield between spawn and cancel, so the child
 * cannot have started; then the spawner itself joins it. */
static void *main_cancel_unstarted(void *arg) {
    _Atomic int *ran = arg;
    weft_fiber_t *f = NULL;
    void *res = WT_PTR(1);
    WT_CHECK_EQ(weft_spawn(&f, set_flag, ran), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK(res == NULL);
    return NULL;
}

static void cancel_before_start_in_fiber(void **state) {
    (void)state;
    _Atomic int ran = 0;
    weft_runtime_opts_t o = opts(1);
    assert_int_equal(weft_run(&o, main_cancel_unstarted, &ran, NULL), 0);
    wt_assert_clean();
    assert_int_equal(atomic_load(&ran), 0);
}

struct hog_arg {
    _Atomic int started, go;
};

/* Keeps the only worker busy (without yielding) until go is set. */
static void *hog(void *arg) {
    struct hog_arg *h = arg;
    atomic_store(&h->started, 1);
    while (!atomic_load(&h->go))
        sched_yield();
    return NULL;
}

/* A created one-worker runtime whose worker is hogged: a fiber spawned and
 * cancelled from this thread meanwhile is picked later and never runs. */
static void cancel_before_start_from_thread(void **state) {
    (void)state;
    struct hog_arg h = {0, 0};
    _Atomic int ran = 0;
    weft_runtime_t *rt = wt_create(1);
    weft_fiber_t *hf = NULL, *f = NULL;
    void *res = WT_PTR(1);
    assert_int_equal(weft_spawn_on(rt, &hf, hog, &h), 0);
    assert_int_equal(wt_wait_flag(&h.started, 1), 0);
    assert_int_equal(weft_spawn_on(rt, &f, set_flag, &ran), 0);
    assert_int_equal(weft_cancel(f), 0);
    atomic_store(&h.go, 1);
    assert_int_equal(weft_join(f, &res, weft_after(WT_PATIENCE)), 0);
    assert_null(res);
    assert_int_equal(atomic_load(&ran), 0);
    assert_int_equal(weft_join(hf, NULL, WEFT_FOREVER), 0);
    wt_destroy(rt);
}

/* --- cancel of a fiber blocked in weft_join --- */

struct join_arg {
    weft_fiber_t *target;
};

static void *join_target(void *arg) {
    struct join_arg *j = arg;
    return WT_PTR(weft_join(j->target, NULL, WEFT_FOREVER));
}

static void *main_cancel_joiner(void *arg) {
    (void)arg;
    struct join_arg j = {NULL};
    weft_fiber_t *joiner = NULL;
    void *res = NULL;
    WT_CHECK_EQ(weft_spawn(&j.target, sleep_forever, NULL), 0);
    WT_CHECK_EQ(weft_spawn(&joiner, join_target, &j), 0);
    WT_CHECK_EQ(wt_wait_state(joiner, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(wt_wait_state(j.target, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_cancel(joiner), 0);
    WT_CHECK_EQ(weft_join(joiner, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED); /* the JOINING fiber was cancelled */
    /* The target was not affected and its handle is still joinable. */
    WT_CHECK_EQ(atomic_load(&j.target->state), WEFT__FIBER_PARKED);
    WT_CHECK_EQ(weft_cancel(j.target), 0);
    WT_CHECK_EQ(weft_join(j.target, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED);
    return NULL;
}

static void cancel_blocked_join(void **state) {
    (void)state;
    for (int workers = 1; workers <= 2; workers++) {
        weft_runtime_opts_t o = opts(workers);
        assert_int_equal(weft_run(&o, main_cancel_joiner, NULL, NULL), 0);
        wt_assert_clean();
    }
}

/* --- shields, and what a cancelled fiber's calls return --- */

struct shielded {
    _Atomic int step; /* 1: shielded and about to sleep */
    int64_t deadline;
};

static void *shielded_child(void *arg) {
    struct shielded *s = arg;
    weft_fiber_t *g = NULL; /* a fiber to join later, already blocked */
    WT_CHECK_EQ(weft_spawn(&g, sleep_forever, NULL), 0);
    WT_CHECK_EQ(wt_wait_state(g, WEFT__FIBER_PARKED), 0);
    weft_shield_begin();
    s->deadline = weft_after(WEFT_MSEC(20));
    atomic_store(&s->step, 1);
    /* Cancelled while parked here (the parent waits for PARKED): completes. */
    WT_CHECK_EQ(weft_sleep_until(s->deadline), 0);
    WT_CHECK(weft_now() >= s->deadline);
    WT_CHECK(weft_cancelled());
    /* Still shielded: nothing is a cancellation point yet, nesting included. */
    WT_CHECK_EQ(weft_yield(), 0);
    weft_shield_begin();
    weft_shield_end();
    int64_t d2 = weft_after(WEFT_MSEC(1));
    WT_CHECK_EQ(weft_sleep_until(d2), 0);
    WT_CHECK(weft_now() >= d2);
    weft_shield_end();
    /* Unshielded: the next blocking call, and every later one, is cancelled. */
    WT_CHECK_EQ(weft_sleep_until(weft_after(WEFT_SEC(100))), -ECANCELED);
    WT_CHECK_EQ(weft_sleep_until(WEFT_FOREVER), -ECANCELED);
    WT_CHECK_EQ(weft_yield(), -ECANCELED);
    WT_CHECK_EQ(weft_yield(), -ECANCELED);
    /* Tries behave normally. */
    WT_CHECK_EQ(weft_sleep_until(0), 0);
    WT_CHECK_EQ(weft_sleep_until(weft_now() - 1), 0);
    WT_CHECK_EQ(weft_join(g, NULL, WEFT_NOWAIT), -ETIMEDOUT);
    WT_CHECK_EQ(weft_join(g, NULL, weft_after(WEFT_SEC(100))), -ECANCELED);
    /* A shield lets cleanup wait again. */
    WT_CHECK_EQ(weft_cancel(g), 0);
    weft_shield_begin();
    void *res = NULL;
    WT_CHECK_EQ(weft_join(g, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), -ECANCELED);
    weft_shield_end();
    return WT_PTR(5);
}

static void *main_shield(void *arg) {
    (void)arg;
    struct shielded s = {0, 0};
    weft_fiber_t *f = NULL;
    void *res = NULL;
    WT_CHECK_EQ(weft_spawn(&f, shielded_child, &s), 0);
    WT_CHECK_EQ(wt_wait_flag(&s.step, 1), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_PARKED), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), 5);
    return NULL;
}

static void shield_defers_cancel(void **state) {
    (void)state;
    for (int workers = 1; workers <= 2; workers++) {
        weft_runtime_opts_t o = opts(workers);
        assert_int_equal(weft_run(&o, main_shield, NULL, NULL), 0);
        wt_assert_clean();
    }
}

/* A shield on a plain thread is a no-op and weft_cancelled() is 0 there. */
static void shield_on_thread(void **state) {
    (void)state;
    weft_shield_begin();
    weft_shield_end();
    weft_shield_end(); /* unbalanced end: harmless */
    assert_int_equal(weft_cancelled(), 0);
}

/* --- cancel of a finished, unjoined fiber --- */

static void *main_cancel_finished(void *arg) {
    (void)arg;
    _Atomic int ran = 0;
    weft_fiber_t *f = NULL;
    void *res = NULL;
    WT_CHECK_EQ(weft_spawn(&f, set_flag, &ran), 0);
    WT_CHECK_EQ(wt_wait_state(f, WEFT__FIBER_DONE), 0);
    WT_CHECK_EQ(weft_cancel(f), 0);
    WT_CHECK_EQ(weft_join(f, &res, WEFT_FOREVER), 0);
    WT_CHECK_EQ(WT_INT(res), 77);
    WT_CHECK_EQ(atomic_load(&ran), 1);
    return NULL;
}

static void cancel_finished(void **state) {
    (void)state;
    weft_runtime_opts_t o = opts(2);
    assert_int_equal(weft_run(&o, main_cancel_finished, NULL, NULL), 0);
    wt_assert_clean();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(cancel_during_sleep),
        WT_TEST(cancel_before_start_from_thread),
        WT_TEST(cancel_blocked_join),
        WT_TEST(shield_defers_cancel),
        WT_TEST(shield_on_thread),
        WT_TEST(cancel_finished),
        /* Last: if it deadlocks, the watchdog aborts the process. */
        WT_TEST(cancel_before_start_in_fiber),
    };
    return WT_RUN_TESTS(tests);
}
