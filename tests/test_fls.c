/* tests/test_fls.c: fiber-local storage: fibers sharing a key each see their own
 * value across yields and migrations between workers; the destructor runs at
 * fiber exit exactly once per non-NULL value, on the exiting fiber; a deleted key
 * reads NULL and a re-created key never sees stale values; plain threads get
 * -EPERM from weft_fls_set. */
#include "harness.h"

#include <pthread.h>

enum { FIBERS = 16 };

static weft_fls_key_t g_key, g_key2;

/* --- isolation across yields and migrations --- */

static _Atomic int g_migrations;

static void *isolated(void *arg) {
    int id = WT_INT(arg);
    int mine = 0, mine2 = 0;
    WT_CHECK(weft_fls_get(g_key) == NULL); /* a new fiber starts empty */
    WT_CHECK_EQ(weft_fls_set(g_key, &mine), 0);
    WT_CHECK_EQ(weft_fls_set(g_key2, &mine2), 0);
    pthread_t last = pthread_self();
    for (int i = 0; i < WT_SCALE(2000); i++) {
        WT_CHECK_EQ(weft_yield(), 0);
        if (!pthread_equal(last, pthread_self())) {
            atomic_fetch_add(&g_migrations, 1);
            last = pthread_self();
        }
        if (weft_fls_get(g_key) != &mine || weft_fls_get(g_key2) != &mine2) {
            WT_CHECK(!"a fiber saw another fiber's FLS value");
            break;
        }
        if (i % 100 == id) {
            /* Overwriting is private too. */
            WT_CHECK_EQ(weft_fls_set(g_key, &mine2), 0);
            WT_CHECK_EQ(weft_yield(), 0);
            WT_CHECK(weft_fls_get(g_key) == &mine2);
            WT_CHECK_EQ(weft_fls_set(g_key, &mine), 0);
        }
    }
    WT_CHECK_EQ(weft_fls_set(g_key, NULL), 0);
    WT_CHECK_EQ(weft_fls_set(g_key2, NULL), 0);
    return NULL;
}

static void *main_isolation(void *arg) {
    (void)arg;
    weft_fiber_t *f[FIBERS];
    for (int i = 0; i < FIBERS; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], isolated, WT_PTR(i)), 0);
    for (int i = 0; i < FIBERS; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void fls_isolation(void **state) {
    (void)state;
    assert_int_equal(weft_fls_key_create(&g_key, NULL), 0);
    assert_int_equal(weft_fls_key_create(&g_key2, NULL), 0);
    atomic_store(&g_migrations, 0);
    weft_runtime_opts_t o = {0};
    o.workers = 4;
    assert_int_equal(weft_run(&o, main_isolation, NULL, NULL), 0);
    wt_assert_clean();
    /* Migrations are likely but not guaranteed: reported, not asserted. */
    print_message("fls_isolation: %d migrations observed\n", atomic_load(&g_migrations));
    assert_int_equal(weft_fls_key_delete(g_key), 0);
    assert_int_equal(weft_fls_key_delete(g_key2), 0);
}

/* --- destructors --- */

enum { SLOTS = 4 * FIBERS };
static _Atomic int g_destroyed[SLOTS];
static weft_fiber_t *_Atomic g_owner[SLOTS]; /* fiber expected to run the destructor */

static void count_destroy(void *v) {
    _Atomic int *slot = v;
    int i = (int)(slot - g_destroyed);
    WT_CHECK(i >= 0 && i < SLOTS);
    WT_CHECK(weft_self() != NULL && weft_self() == atomic_load(&g_owner[i]));
    atomic_fetch_add(slot, 1);
}

/* Fiber i: slot 4i is set, kept; 4i+1 is set then replaced by 4i+2 (only 4i+2 is
 * destroyed); 4i+3 is set then cleared to NULL (never destroyed). */
static void *with_destructor(void *arg) {
    int i = WT_INT(arg);
    weft_fiber_t *me = weft_self();
    atomic_store(&g_owner[4 * i], me);
    atomic_store(&g_owner[4 * i + 2], me);
    WT_CHECK_EQ(weft_fls_set(g_key, &g_destroyed[4 * i]), 0);
    WT_CHECK_EQ(weft_fls_set(g_key2, &g_destroyed[4 * i + 1]), 0);
    WT_CHECK_EQ(weft_yield(), 0);
    WT_CHECK_EQ(weft_fls_set(g_key2, &g_destroyed[4 * i + 2]), 0);
    weft_fls_key_t k3;
    WT_CHECK_EQ(weft_fls_key_create(&k3, count_destroy), 0);
    WT_CHECK_EQ(weft_fls_set(k3, &g_destroyed[4 * i + 3]), 0);
    WT_CHECK_EQ(weft_yield(), 0);
    WT_CHECK_EQ(weft_fls_set(k3, NULL), 0);
    WT_CHECK_EQ(weft_fls_key_delete(k3), 0);
    /* Nothing destroyed before exit. */
    for (int s = 0; s < 4; s++)
        WT_CHECK_EQ(atomic_load(&g_destroyed[4 * i + s]), 0);
    return NULL;
}

static void *main_destructor(void *arg) {
    (void)arg;
    weft_fiber_t *f[FIBERS];
    for (int i = 0; i < FIBERS; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], with_destructor, WT_PTR(i)), 0);
    for (int i = 0; i < FIBERS; i++) {
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
        /* The destructors ran before the fiber finished. */
        WT_CHECK_EQ(atomic_load(&g_destroyed[4 * i]), 1);
        WT_CHECK_EQ(atomic_load(&g_destroyed[4 * i + 2]), 1);
    }
    return NULL;
}

static void fls_destructor_once(void **state) {
    (void)state;
    for (int s = 0; s < SLOTS; s++) {
        atomic_store(&g_destroyed[s], 0);
        atomic_store(&g_owner[s], NULL);
    }
    assert_int_equal(weft_fls_key_create(&g_key, count_destroy), 0);
    assert_int_equal(weft_fls_key_create(&g_key2, count_destroy), 0);
    weft_runtime_opts_t o = {0};
    o.workers = 4;
    assert_int_equal(weft_run(&o, main_destructor, NULL, NULL), 0);
    wt_assert_clean();
    for (int i = 0; i < FIBERS; i++) {
        assert_int_equal(atomic_load(&g_destroyed[4 * i]), 1);
        assert_int_equal(atomic_load(&g_destroyed[4 * i + 1]), 0);
        assert_int_equal(atomic_load(&g_destroyed[4 * i + 2]), 1);
        assert_int_equal(atomic_load(&g_destroyed[4 * i + 3]), 0);
    }
    assert_int_equal(weft_fls_key_delete(g_key), 0);
    assert_int_equal(weft_fls_key_delete(g_key2), 0);
}

/* --- deleted and re-created keys --- */

static void *main_delete(void *arg) {
    (void)arg;
    int v = 1, w = 2;
    weft_fls_key_t k, k2, extra[WEFT_FLS_KEYS];
    WT_CHECK_EQ(weft_fls_key_create(&k, NULL), 0);
    WT_CHECK_EQ(weft_fls_set(k, &v), 0);
    WT_CHECK(weft_fls_get(k) == &v);
    WT_CHECK_EQ(weft_fls_key_delete(k), 0);
    WT_CHECK(weft_fls_get(k) == NULL);
    WT_CHECK_EQ(weft_fls_set(k, &v), -EINVAL);
    WT_CHECK_EQ(weft_fls_key_delete(k), -EINVAL);
    /* Re-create keys until one reuses k's slot; through it, this fiber's old
     * value of k must not be visible. */
    int n = 0, reused = 0;
    while (n < WEFT_FLS_KEYS) {
        WT_CHECK_EQ(weft_fls_key_create(&k2, NULL), 0);
        if (k2.index == k.index) {
            reused = 1;
            break;
        }
        extra[n++] = k2;
    }
    WT_CHECK(reused);
    if (reused) {
        WT_CHECK(weft_fls_get(k2) == NULL);
        WT_CHECK(weft_fls_get(k) == NULL); /* the old key stays dead */
        WT_CHECK_EQ(weft_fls_set(k2, &w), 0);
        WT_CHECK(weft_fls_get(k2) == &w);
        WT_CHECK(weft_fls_get(k) == NULL);
        WT_CHECK_EQ(weft_fls_set(k2, NULL), 0);
        WT_CHECK_EQ(weft_fls_key_delete(k2), 0);
    }
    for (int i = 0; i < n; i++)
        WT_CHECK_EQ(weft_fls_key_delete(extra[i]), 0);
    return NULL;
}

static void fls_deleted_key(void **state) {
    (void)state;
    weft_runtime_opts_t o = {0};
    o.workers = 1;
    assert_int_equal(weft_run(&o, main_delete, NULL, NULL), 0);
    wt_assert_clean();
}

/* --- plain threads and argument errors --- */

static void fls_plain_thread(void **state) {
    (void)state;
    int v = 0;
    weft_fls_key_t k;
    assert_int_equal(weft_fls_key_create(&k, NULL), 0);
    assert_int_equal(weft_fls_set(k, &v), -EPERM);
    assert_null(weft_fls_get(k));
    assert_int_equal(weft_fls_key_create(NULL, NULL), -EINVAL);
    assert_int_equal(weft_fls_key_delete(k), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(fls_isolation),
        WT_TEST(fls_destructor_once),
        WT_TEST(fls_deleted_key),
        WT_TEST(fls_plain_thread),
    };
    return WT_RUN_TESTS(tests);
}
