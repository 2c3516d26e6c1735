/* tests/test_timer.c: timed sleeps. N fibers sleep until distinct, shuffled
 * deadlines. On ONE worker they must wake in deadline order (a semantic
 * guarantee); on several workers only that none wakes before its deadline. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

enum { N_MAX = 64 };

struct timer_test {
    int n;
    int64_t deadline[N_MAX];
    int64_t called_at[N_MAX]; /* weft_now() just before the sleep call */
    int64_t woke_at[N_MAX];
    int order[N_MAX]; /* wake rank */
    _Atomic int next_rank;
    int64_t base;
};

struct sleeper_arg {
    struct timer_test *t;
    int i;
};

static void *timed_sleeper(void *arg) {
    struct sleeper_arg *a = arg;
    struct timer_test *t = a->t;
    t->called_at[a->i] = weft_now();
    int r = weft_sleep_until(t->deadline[a->i]);
    t->woke_at[a->i] = weft_now();
    t->order[a->i] = atomic_fetch_add(&t->next_rank, 1);
    WT_CHECK_EQ(r, 0);
    return NULL;
}

static void *main_timers(void *arg) {
    struct timer_test *t = arg;
    struct sleeper_arg a[N_MAX];
    weft_fiber_t *f[N_MAX];
    for (int i = 0; i < t->n; i++) {
        a[i].t = t;
        a[i].i = i;
        WT_CHECK_EQ(weft_spawn(&f[i], timed_sleeper, &a[i]), 0);
    }
    for (int i = 0; i < t->n; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    return NULL;
}

/* Deadlines base + k * step for a random permutation k of 0..n-1. The margin
 * before base is not load-bearing: pairs whose sleeps started too late are
 * simply not compared (see the check below). */
static void setup_deadlines(struct timer_test *t, int n, unsigned seed) {
    memset(t, 0, sizeof *t);
    t->n = n;
    int perm[N_MAX];
    for (int i = 0; i < n; i++)
        perm[i] = i;
    srand(seed);
    for (int i = n - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        int x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    t->base = weft_after(WEFT_MSEC(30));
    for (int i = 0; i < n; i++)
        t->deadline[i] = t->base + perm[i] * WEFT_USEC(200);
}

static void run_timers(int workers, struct timer_test *t) {
    weft_runtime_opts_t o = {0};
    o.workers = workers;
    assert_int_equal(weft_run(&o, main_timers, t, NULL), 0);
    wt_assert_clean();
    for (int i = 0; i < t->n; i++) {
        if (t->woke_at[i] < t->deadline[i])
            fail_msg("fiber %d woke %lld ns before its deadline", i,
                     (long long)(t->deadline[i] - t->woke_at[i]));
    }
}

/* On a failure: every fiber in wake order, times in us relative to base. */
static void dump(const struct timer_test *t) {
    print_message("rank fiber deadline called woke (us after base)\n");
    for (int r = 0; r < t->n; r++)
        for (int i = 0; i < t->n; i++)
            if (t->order[i] == r)
                print_message("%4d %5d %8lld %6lld %6lld\n", r, i,
                              (long long)(t->deadline[i] - t->base) / 1000,
                              (long long)(t->called_at[i] - t->base) / 1000,
                              (long long)(t->woke_at[i] - t->base) / 1000);
}

static void timers_wake_in_deadline_order_one_worker(void **state) {
    (void)state;
    static struct timer_test t;
    for (unsigned round = 0; round < 4; round++) {
        setup_deadlines(&t, WT_SANITIZED ? 32 : N_MAX, 12345u + round);
        run_timers(1, &t);
        /* For a < b in deadline: if both sleeps began before a's deadline, both
         * fibers were asleep (or a returned at once) when a's deadline came, so a
         * must wake first. Pairs where one sleep began later are not compared. */
        int compared = 0;
        for (int a = 0; a < t.n; a++) {
            for (int b = 0; b < t.n; b++) {
                if (t.deadline[a] >= t.deadline[b]) continue;
                if (t.called_at[a] >= t.deadline[a] || t.called_at[b] >= t.deadline[a])
                    continue;
                compared++;
                if (t.order[a] > t.order[b]) dump(&t);
                if (t.order[a] > t.order[b])
                    fail_msg(
                        "round %u: fiber %d (deadline base+%lld us, woke at base+%lld "
                        "us) woke as #%d, after fiber %d (deadline base+%lld us, woke "
                        "at base+%lld us) woke as #%d",
                        round, a, (long long)(t.deadline[a] - t.base) / 1000,
                        (long long)(t.woke_at[a] - t.base) / 1000, t.order[a], b,
                        (long long)(t.deadline[b] - t.base) / 1000,
                        (long long)(t.woke_at[b] - t.base) / 1000, t.order[b]);
            }
        }
        if (compared == 0)
            print_message("round %u: no pair comparable (slow start)\n", round);
    }
}

static void timers_never_early_many_workers(void **state) {
    (void)state;
    static struct timer_test t;
    for (int workers = 2; workers <= 4; workers += 2) {
        setup_deadlines(&t, WT_SANITIZED ? 32 : N_MAX, 777u + (unsigned)workers);
        run_timers(workers, &t);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(timers_wake_in_deadline_order_one_worker),
        WT_TEST(timers_never_early_many_workers),
    };
    return WT_RUN_TESTS(tests);
}
