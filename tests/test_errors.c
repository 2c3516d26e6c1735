/* tests/test_errors.c: API misuse returns errors (DESIGN.md 2: never a crash):
 * spawn from a plain thread or with a NULL function, weft_run with a NULL main or
 * from inside a fiber, bad runtime options, destroying a runtime from its own
 * fiber or destroying weft_run's runtime; and identity: weft_self and
 * weft_current_runtime on threads and fibers. */
#include "harness.h"

static void *noop(void *arg) {
    return arg;
}

static void plain_thread_errors(void **state) {
    (void)state;
    weft_fiber_t *f = (weft_fiber_t *)WT_PTR(1);
    assert_int_equal(weft_spawn(&f, noop, NULL), -EPERM);
    assert_int_equal(weft_spawn(NULL, noop, NULL), -EPERM);
    assert_ptr_equal(f, WT_PTR(1)); /* untouched on error */
    assert_int_equal(weft_spawn(&f, NULL, NULL), -EINVAL);
    assert_int_equal(weft_spawn_on(NULL, &f, noop, NULL), -EINVAL);
    assert_int_equal(weft_run(NULL, NULL, NULL, NULL), -EINVAL);
    assert_null(weft_self());
    assert_null(weft_current_runtime());
    assert_int_equal(weft_fiber_id(NULL), 0);
    assert_int_equal(weft_yield(), 0); /* sched_yield on a thread */
    assert_int_equal(weft_sleep_until(WEFT_NOWAIT), 0);
}

static void runtime_option_errors(void **state) {
    (void)state;
    weft_runtime_t *rt = (weft_runtime_t *)WT_PTR(1);
    weft_runtime_opts_t o = {0};
    o.workers = -1;
    assert_int_equal(weft_runtime_create(&rt, &o), -EINVAL);
    assert_ptr_equal(rt, WT_PTR(1));
    o.workers = WEFT_MAX_WORKERS + 1;
    assert_int_equal(weft_runtime_create(&rt, &o), -EINVAL);
    o.workers = -1;
    assert_int_equal(weft_run(&o, noop, NULL, NULL), -EINVAL);
    o.workers = 1;
    o.stack_size = ((size_t)1 << 30) + 1;
    assert_int_equal(weft_runtime_create(&rt, &o), -EINVAL);
    assert_int_equal(weft_runtime_create(NULL, NULL), -EINVAL);
    assert_int_equal(weft_runtime_destroy(NULL), -EINVAL);
    assert_int_equal(weft_runtime_workers(NULL), -EINVAL);
    weft_runtime_stats_t st;
    assert_int_equal(weft_runtime_stats(NULL, &st), -EINVAL);
}

/* --- inside fibers --- */

struct inside {
    weft_runtime_t *seen_rt;
    int self_ok;
    int run_rc, destroy_rc, spawn_null_rc;
};

static void *inside_fiber(void *arg) {
    struct inside *in = arg;
    weft_fiber_t *self = weft_self();
    in->self_ok = self != NULL && weft_fiber_id(self) != 0;
    in->seen_rt = weft_current_runtime();
    in->run_rc = weft_run(NULL, noop, NULL, NULL);
    in->destroy_rc = weft_runtime_destroy(in->seen_rt);
    in->spawn_null_rc = weft_spawn(NULL, NULL, NULL);
    /* A child has its own identity and the same runtime. */
    weft_fiber_t *c = NULL;
    void *res = NULL;
    WT_CHECK_EQ(weft_spawn(&c, noop, self), 0);
    WT_CHECK(c != self && weft_fiber_id(c) != weft_fiber_id(self));
    WT_CHECK_EQ(weft_join(c, &res, WEFT_FOREVER), 0);
    WT_CHECK(res == self);
    return NULL;
}

static void errors_inside_run(void **state) {
    (void)state;
    struct inside in = {0};
    assert_int_equal(weft_run(NULL, inside_fiber, &in, NULL),
                     0); /* NULL opts: defaults */
    wt_assert_clean();
    assert_true(in.self_ok);
    assert_non_null(in.seen_rt);
    assert_int_equal(in.run_rc, -EDEADLK);
    /* weft_run's runtime cannot be destroyed by anyone but weft_run. The rules
     * give no precedence between -EPERM and -EDEADLK here: either is correct. */
    assert_true(in.destroy_rc == -EPERM || in.destroy_rc == -EDEADLK);
    assert_int_equal(in.spawn_null_rc, -EINVAL);
}

static void errors_inside_created(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(2);
    struct inside in = {0};
    weft_fiber_t *f = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, inside_fiber, &in), 0);
    assert_int_equal(weft_join(f, NULL, WEFT_FOREVER), 0);
    wt_assert_clean();
    assert_true(in.self_ok);
    assert_ptr_equal(in.seen_rt, rt);
    assert_int_equal(in.run_rc, -EDEADLK);
    assert_int_equal(in.destroy_rc, -EDEADLK);
    assert_int_equal(in.spawn_null_rc, -EINVAL);
    assert_null(weft_current_runtime()); /* still a plain thread here */
    wt_destroy(rt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(plain_thread_errors),
        WT_TEST(runtime_option_errors),
        WT_TEST(errors_inside_run),
        WT_TEST(errors_inside_created),
    };
    return WT_RUN_TESTS(tests);
}
