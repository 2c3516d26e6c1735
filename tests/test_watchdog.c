/* tests/test_watchdog.c: deadlock and hang reports (weft_runtime_opts_t.watchdog).
 * Proves: two fibers locking two mutexes in opposite orders are reported as
 * all asleep, with each fiber and the lock it waits on; a fiber spinning
 * without yielding is reported by id; runtimes whose fibers wait on a timer,
 * on I/O or on an offload call are not reported; a report comes once per
 * occurrence; the option off starts no thread. Reports go to a callback that
 * records them and sets an event the test waits on (no sleeping to sync). */
#include "harness.h"

#include <string.h>
#include <sys/socket.h>

#include "weft/event.h"
#include "weft/io.h"
#include "weft/mutex.h"
#include "weft/offload.h"

#define THRESHOLD WEFT_MSEC(50)

static char g_reports[8192];
static _Atomic int g_nreports;
static weft_event_t g_reported;

static void record(void *arg, const char *text) {
    (void)arg;
    size_t len = strlen(g_reports);
    snprintf(g_reports + len, sizeof g_reports - len, "%s", text);
    atomic_fetch_add(&g_nreports, 1);
    weft_event_set(&g_reported);
}

static weft_runtime_t *watched(int workers) {
    g_reports[0] = 0;
    atomic_store(&g_nreports, 0);
    weft_event_init(&g_reported);
    weft_runtime_opts_t o = {.workers = workers, .watchdog = THRESHOLD, .report = record};
    weft_runtime_t *rt = NULL;
    assert_int_equal(weft_runtime_create(&rt, &o), 0);
    return rt;
}

/* --- deadlock: opposite lock order --- */
static weft_mutex_t g_a, g_b;
static weft_event_t g_both_hold;
static _Atomic int g_holding;

static void *locker(void *arg) {
    int first = WT_INT(arg);
    weft_mutex_t *x = first ? &g_a : &g_b, *y = first ? &g_b : &g_a;
    WT_CHECK_EQ(weft_mutex_lock(x, WEFT_FOREVER), 0);
    if (atomic_fetch_add(&g_holding, 1) == 1) weft_event_set(&g_both_hold);
    WT_CHECK_EQ(weft_event_wait(&g_both_hold, WEFT_FOREVER), 0);
    /* The deadlock. The test cancels both: the first cancelled frees its lock,
     * which may reach the other before its own cancel does (a grant wins). */
    int r = weft_mutex_lock(y, WEFT_FOREVER);
    WT_CHECK(r == 0 || r == -ECANCELED);
    if (r == 0) WT_CHECK_EQ(weft_mutex_unlock(y), 0);
    WT_CHECK_EQ(weft_mutex_unlock(x), 0);
    return WT_PTR(r);
}

static void deadlock_reported(void **state) {
    (void)state;
    weft_mutex_init(&g_a);
    weft_mutex_init(&g_b);
    weft_event_init(&g_both_hold);
    atomic_store(&g_holding, 0);
    weft_runtime_t *rt = watched(2);
    weft_fiber_t *f[2];
    assert_int_equal(weft_spawn_on(rt, &f[0], locker, WT_PTR(1)), 0);
    assert_int_equal(weft_spawn_on(rt, &f[1], locker, WT_PTR(0)), 0);
    assert_int_equal(weft_event_wait(&g_reported, weft_after(WT_PATIENCE)), 0);
    assert_non_null(strstr(g_reports, "all 2 fibers"));
    assert_non_null(strstr(g_reports, "are asleep"));
    char line[64];
    for (int i = 0; i < 2; i++) {
        snprintf(line, sizeof line, "fiber %llu: parked, waiting on lock",
                 (unsigned long long)weft_fiber_id(f[i]));
        assert_non_null(strstr(g_reports, line));
    }
    /* Break it from outside: cancellation ends both waits. */
    for (int i = 0; i < 2; i++)
        assert_int_equal(weft_cancel(f[i]), 0);
    int cancelled = 0;
    for (int i = 0; i < 2; i++) {
        void *r;
        assert_int_equal(weft_join(f[i], &r, WEFT_FOREVER), 0);
        cancelled += WT_INT(r) == -ECANCELED;
    }
    assert_true(cancelled >= 1);
    wt_destroy(rt);
    wt_assert_clean();
    assert_int_equal(atomic_load(&g_nreports), 1); /* once per occurrence */
    assert_int_equal(weft_mutex_destroy(&g_a), 0);
    assert_int_equal(weft_mutex_destroy(&g_b), 0);
}

/* --- a fiber that never yields --- */
static void *spinner(void *arg) {
    (void)arg;
    while (!weft_event_is_set(&g_reported))
        weft__cpu_relax();
    return NULL;
}

static void hang_reported(void **state) {
    (void)state;
    weft_runtime_t *rt = watched(1);
    weft_fiber_t *f;
    assert_int_equal(weft_spawn_on(rt, &f, spinner, NULL), 0);
    assert_int_equal(weft_event_wait(&g_reported, weft_after(WT_PATIENCE)), 0);
    assert_int_equal(weft_join(f, NULL, WEFT_FOREVER), 0);
    char line[96];
    snprintf(line, sizeof line, "fiber %llu has held worker 0",
             (unsigned long long)weft_fiber_id(f));
    assert_non_null(strstr(g_reports, line));
    assert_non_null(strstr(g_reports, "without switching"));
    wt_destroy(rt);
}

/* --- no report while something inside the runtime can still wake a fiber --- */
static int g_sv[2];

static void *sleeper(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_sleep_until(weft_after(4 * THRESHOLD)), 0);
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    char c;
    WT_CHECK_EQ(weft_read(g_sv[0], &c, 1, WEFT_FOREVER), 1);
    return NULL;
}

static weft_event_t g_release;

static void *blocked_call(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_event_wait(&g_release, WEFT_FOREVER), 0);
    return NULL;
}

static void *offloader(void *arg) {
    (void)arg;
    WT_CHECK_EQ(weft_offload(blocked_call, NULL, NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void no_false_reports(void **state) {
    (void)state;
    weft_runtime_t *rt = watched(2);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_sv), 0);
    weft_event_init(&g_release);
    weft_fiber_t *f[3];
    assert_int_equal(weft_spawn_on(rt, &f[0], sleeper, NULL), 0);
    assert_int_equal(weft_spawn_on(rt, &f[1], reader, NULL), 0);
    assert_int_equal(weft_spawn_on(rt, &f[2], offloader, NULL), 0);
    assert_int_equal(weft_join(f[0], NULL, WEFT_FOREVER), 0); /* 4 thresholds asleep */
    /* The reader and the offload call are still waiting: still no report. */
    assert_int_equal(weft_event_wait(&g_reported, weft_after(4 * THRESHOLD)), -ETIMEDOUT);
    assert_int_equal(write(g_sv[1], "x", 1), 1);
    weft_event_set(&g_release);
    assert_int_equal(weft_join(f[1], NULL, WEFT_FOREVER), 0);
    assert_int_equal(weft_join(f[2], NULL, WEFT_FOREVER), 0);
    wt_destroy(rt);
    wt_assert_clean();
    assert_int_equal(atomic_load(&g_nreports), 0);
    weft_close(g_sv[0]);
    weft_close(g_sv[1]);
}

static void option_checked(void **state) {
    (void)state;
    weft_runtime_opts_t o = {.workers = 1, .watchdog = -1};
    weft_runtime_t *rt = NULL;
    assert_int_equal(weft_runtime_create(&rt, &o), -EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(deadlock_reported),
        WT_TEST(hang_reported),
        WT_TEST(no_false_reports),
        WT_TEST(option_checked),
    };
    return WT_RUN_TESTS(tests);
}
