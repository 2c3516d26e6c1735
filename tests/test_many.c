/* tests/test_many.c: many fibers: 100k (10k under sanitizers) fibers spawned by
 * one fiber on 2 workers, then all joined; every result is checked and summed,
 * and the runtime's counters agree. */
#include "harness.h"

#include <stdlib.h>

/* How many fibers are alive at once. TSan counts every fiber as a thread
 * (__tsan_create_fiber at spawn): it dies past 8128 live ones, and its vector
 * clocks grow with the live count (6000 took 17 s), so under TSan the batch is
 * 2000 instead of the usual tenth. */
#if WT_TSAN
#define MANY 2000
#else
#define MANY WT_SCALE(100000)
#endif

static void *identity_plus_one(void *arg) {
    return WT_PTR(WT_INT(arg) + 1);
}

struct many {
    int n;
    long long sum;
    int spawn_failures, join_failures, wrong;
};

static void *main_many(void *arg) {
    struct many *m = arg;
    weft_fiber_t **f = malloc(sizeof *f * (size_t)m->n);
    WT_CHECK(f != NULL);
    if (!f) return NULL;
    for (int i = 0; i < m->n; i++)
        if (weft_spawn(&f[i], identity_plus_one, WT_PTR(i)) != 0) m->spawn_failures++;
    for (int i = 0; i < m->n; i++) {
        void *res = NULL;
        if (weft_join(f[i], &res, WEFT_FOREVER) != 0) {
            m->join_failures++;
            continue;
        }
        if (WT_INT(res) != i + 1) m->wrong++;
        m->sum += WT_INT(res);
    }
    free(f);
    return NULL;
}

static void many_fibers_two_workers(void **state) {
    (void)state;
    struct many m = {MANY, 0, 0, 0, 0};
    weft_runtime_opts_t o = {0};
    o.workers = 2;
    assert_int_equal(weft_run(&o, main_many, &m, NULL), 0);
    wt_assert_clean();
    assert_int_equal(m.spawn_failures, 0);
    assert_int_equal(m.join_failures, 0);
    assert_int_equal(m.wrong, 0);
    assert_true(m.sum == (long long)m.n * (m.n + 1) / 2);
}

/* The same count spawned from this plain thread onto a created runtime. */
static void many_fibers_from_thread(void **state) {
    (void)state;
    int n = MANY;
    weft_runtime_t *rt = wt_create(2);
    weft_fiber_t **f = malloc(sizeof *f * (size_t)n);
    assert_non_null(f);
    for (int i = 0; i < n; i++)
        assert_int_equal(weft_spawn_on(rt, &f[i], identity_plus_one, WT_PTR(i)), 0);
    long long sum = 0;
    for (int i = 0; i < n; i++) {
        void *res = NULL;
        assert_int_equal(weft_join(f[i], &res, WEFT_FOREVER), 0);
        assert_int_equal(WT_INT(res), i + 1);
        sum += WT_INT(res);
    }
    free(f);
    assert_true(sum == (long long)n * (n + 1) / 2);
    weft_runtime_stats_t st;
    assert_int_equal(weft_runtime_stats(rt, &st), 0);
    assert_int_equal(st.fibers_spawned, (uint64_t)n);
    wt_destroy(rt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(many_fibers_two_workers),
        WT_TEST(many_fibers_from_thread),
    };
    return WT_RUN_TESTS(tests);
}
