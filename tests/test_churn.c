/* tests/test_churn.c: one pooled stack hosting fiber after fiber. On one worker a
 * fiber spawned right after another was joined gets the same shell (the worker's
 * shell cache is LIFO), so each test below runs CHURN fibers one after another on
 * ONE stack: ones that return, ones cancelled before they start, ones that exit
 * after a cancel ended their park. Every join must return 0 with the fiber's
 * result. Under TSan this is the regression test of the shadow-stack overflow:
 * each finished fiber used to leave its last frames on the TSan fiber its stack
 * keeps, and TSan crashed after some 30000 fibers on one stack
 * (runtime/sanitize.c explains the fix). Elsewhere it is a spawn/join churn. */
#include "harness.h"

/* Above TSan's 64Ki-frame bound even if a single frame leaked per fiber (the
 * bug leaked two, and crashed at some 30000); not scaled down under sanitizers. */
#define CHURN 70000

static void *plus_one(void *arg) {
    return WT_PTR(WT_INT(arg) + 1);
}

static void *set_flag(void *arg) {
    atomic_store((_Atomic int *)arg, 1);
    return WT_PTR(77);
}

static void *sleep_forever(void *arg) {
    (void)arg;
    return WT_PTR(weft_sleep_until(WEFT_FOREVER));
}

struct churn {
    int wrong;       /* fibers whose spawn, cancel, join or result was wrong */
    int same_stack;  /* fibers hosted by the previous fiber's shell */
    _Atomic int ran; /* set by a fiber cancelled before start that ran anyway */
};

/* Counts whether f reuses the shell of the fiber before it (the fiber object
 * lies at the top of its shell's stack, so same handle, same stack). */
static void note_shell(struct churn *c, weft_fiber_t *f, weft_fiber_t **prev) {
    if (f == *prev) c->same_stack++;
    *prev = f;
}

static void *main_returns(void *arg) {
    struct churn *c = arg;
    weft_fiber_t *prev = NULL;
    for (int i = 0; i < CHURN; i++) {
        weft_fiber_t *f = NULL;
        void *res = NULL;
        if (weft_spawn(&f, plus_one, WT_PTR(i)) != 0) {
            c->wrong++;
            continue;
        }
        note_shell(c, f, &prev);
        if (weft_join(f, &res, WEFT_FOREVER) != 0 || WT_INT(res) != i + 1) c->wrong++;
    }
    return NULL;
}

/* One worker and no yield between spawn and cancel: the child cannot have
 * started, so it is finished on its own stack without running its function. */
static void *main_cancelled_unstarted(void *arg) {
    struct churn *c = arg;
    weft_fiber_t *prev = NULL;
    for (int i = 0; i < CHURN; i++) {
        weft_fiber_t *f = NULL;
        void *res = WT_PTR(1);
        if (weft_spawn(&f, set_flag, (void *)&c->ran) != 0) {
            c->wrong++;
            continue;
        }
        note_shell(c, f, &prev);
        if (weft_cancel(f) != 0) c->wrong++;
        if (weft_join(f, &res, WEFT_FOREVER) != 0 || res != NULL) c->wrong++;
    }
    return NULL;
}

/* The child parks forever; the cancel ends its park and it returns -ECANCELED. */
static void *main_cancelled_parked(void *arg) {
    struct churn *c = arg;
    weft_fiber_t *prev = NULL;
    for (int i = 0; i < CHURN; i++) {
        weft_fiber_t *f = NULL;
        void *res = NULL;
        if (weft_spawn(&f, sleep_forever, NULL) != 0) {
            c->wrong++;
            continue;
        }
        note_shell(c, f, &prev);
        if (wt_wait_state(f, WEFT__FIBER_PARKED) != 0) c->wrong++;
        if (weft_cancel(f) != 0) c->wrong++;
        if (weft_join(f, &res, WEFT_FOREVER) != 0 || WT_INT(res) != -ECANCELED)
            c->wrong++;
    }
    return NULL;
}

static void run_churn(void *(*fn)(void *)) {
    struct churn c = {0, 0, 0};
    weft_runtime_opts_t o = {0};
    o.workers = 1;
    assert_int_equal(weft_run(&o, fn, &c, NULL), 0);
    wt_assert_clean();
    assert_int_equal(c.wrong, 0);
    assert_int_equal(atomic_load(&c.ran), 0);
    /* The point of the test: (nearly) all of them on one stack. */
    assert_true(c.same_stack >= CHURN - 100);
}

static void churn_returning(void **state) {
    (void)state;
    run_churn(main_returns);
}

static void churn_cancelled_before_start(void **state) {
    (void)state;
    run_churn(main_cancelled_unstarted);
}

static void churn_cancelled_while_parked(void **state) {
    (void)state;
    run_churn(main_cancelled_parked);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(churn_returning),
        WT_TEST(churn_cancelled_before_start),
        WT_TEST(churn_cancelled_while_parked),
    };
    return WT_RUN_TESTS(tests);
}
