/* tests/test_park.c: the internal park/wake core (runtime/park.h): a fiber parks
 * and a plain thread wakes it (settle + unpark), and a fiber wakes a parked
 * thread; a settle loses once the wait timed out, and a stale token never settles
 * a later wait; under a race between a waker thread and the deadline each wait is
 * settled exactly once: the park returns 0 iff the waker's settle returned 1; a
 * deadline that falls due while its fiber is still switching out is fired by
 * the pick inside that very switch, and the fiber still wakes exactly once; a
 * wait prepared before its lock (sync/waitq.h) and then abandoned, after a
 * cancel settled it, takes the cancel's wake-up and leaves the fiber usable. */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/park.h"
#include "sync/waitq.h"
#include "weft/sem.h"

/* A wait published by its waiter: the parker, then the token, then the round. */
struct mailbox {
    weft__parker_t *_Atomic parker;
    _Atomic uint64_t token;
    _Atomic int round; /* rounds published so far */
};

static void publish(struct mailbox *m, weft__parker_t *p, uint64_t tok, int round) {
    atomic_store(&m->parker, p);
    atomic_store(&m->token, tok);
    atomic_store(&m->round, round);
}

struct publish_later {
    struct mailbox *m;
    weft__parker_t *p;
    uint64_t tok;
    int round;
};

/* The park's `after` action: publishes once the wait can no longer be missed. */
static void publish_cb(void *arg) {
    struct publish_later *l = arg;
    publish(l->m, l->p, l->tok, l->round);
}

/* --- a fiber parks, this plain thread wakes it --- */

enum { PINGS = 1000 };

static void *parking_fiber(void *arg) {
    struct mailbox *m = arg;
    int bad = 0;
    for (int i = 1; i <= WT_SCALE(PINGS); i++) {
        weft__parker_t *p = weft__parker_self();
        WT_CHECK(p->fiber == weft_self());
        uint64_t tok = weft__parker_prepare(p);
        int r;
        if (i % 2) {
            publish(m, p, tok, i);
            r = weft__park(p, tok, WEFT_FOREVER, NULL, NULL);
        } else {
            struct publish_later l = {m, p, tok, i};
            r = weft__park(p, tok, WEFT_FOREVER, publish_cb, &l);
        }
        if (r != 0) bad++;
    }
    return WT_PTR(bad);
}

static int wait_round(struct mailbox *m, int round) {
    int64_t limit = weft_after(WT_PATIENCE);
    while (atomic_load(&m->round) < round) {
        if (weft_now() > limit) return -ETIMEDOUT;
        sched_yield();
    }
    return 0;
}

static void fiber_parks_thread_wakes(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(2);
    struct mailbox m = {NULL, 0, 0};
    weft_fiber_t *f = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, parking_fiber, &m), 0);
    int lost = 0, late = 0;
    for (int i = 1; i <= WT_SCALE(PINGS); i++) {
        if (wait_round(&m, i) != 0) {
            late = i;
            break;
        }
        weft__parker_t *p = atomic_load(&m.parker);
        if (weft__parker_settle(p, atomic_load(&m.token)))
            weft__parker_unpark(p);
        else
            lost++;
    }
    if (late || lost) weft_cancel(f); /* unblock it before failing */
    void *bad = NULL;
    assert_int_equal(weft_join(f, &bad, WEFT_FOREVER), 0);
    wt_destroy(rt);
    wt_assert_clean();
    assert_int_equal(late, 0);
    assert_int_equal(lost, 0);
    assert_int_equal(WT_INT(bad), 0);
}

/* --- a fiber wakes this (parked) thread --- */

static void *waking_fiber(void *arg) {
    struct mailbox *m = arg;
    int lost = 0;
    for (int i = 1; i <= WT_SCALE(PINGS); i++) {
        if (wt_wait_flag(&m->round, i) != 0) return WT_PTR(-1);
        weft__parker_t *p = atomic_load(&m->parker);
        if (weft__parker_settle(p, atomic_load(&m->token)))
            weft__parker_unpark(p);
        else
            lost++;
    }
    return WT_PTR(lost);
}

static void thread_parks_fiber_wakes(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(2);
    struct mailbox m = {NULL, 0, 0};
    weft_fiber_t *f = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, waking_fiber, &m), 0);
    weft__parker_t *p = weft__parker_self();
    assert_null(p->fiber);
    int bad = 0;
    for (int i = 1; i <= WT_SCALE(PINGS); i++) {
        uint64_t tok = weft__parker_prepare(p);
        struct publish_later l = {&m, p, tok, i};
        /* A deadline far away: only the fiber's settle should end this wait. */
        if (weft__park(p, tok, weft_after(WT_PATIENCE), publish_cb, &l) != 0) {
            bad = i;
            break;
        }
    }
    void *lost = NULL;
    if (bad) weft_cancel(f);
    assert_int_equal(weft_join(f, &lost, WEFT_FOREVER), 0);
    wt_destroy(rt);
    wt_assert_clean();
    assert_int_equal(bad, 0);
    assert_int_equal(WT_INT(lost), 0);
}

/* --- a settle after a timeout loses; a stale token never wins --- */

struct late_settle {
    struct mailbox m;
    _Atomic int phase; /* 1: first wait timed out; 2: waker tried it */
    int first_rc, second_rc;
    int64_t deadline, returned_at;
};

static void *times_out_then_parks(void *arg) {
    struct late_settle *s = arg;
    weft__parker_t *p = weft__parker_self();
    uint64_t tok = weft__parker_prepare(p);
    publish(&s->m, p, tok, 1);
    s->deadline = weft_after(WEFT_MSEC(1));
    s->first_rc = weft__park(p, tok, s->deadline, NULL, NULL);
    s->returned_at = weft_now();
    atomic_store(&s->phase, 1);
    WT_CHECK_EQ(wt_wait_flag(&s->phase, 2), 0);
    uint64_t tok2 = weft__parker_prepare(p);
    WT_CHECK(tok2 != tok);
    publish(&s->m, p, tok2, 2);
    s->second_rc = weft__park(p, tok2, WEFT_FOREVER, NULL, NULL);
    return NULL;
}

static void settle_loses_after_timeout(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(2);
    struct late_settle s;
    memset(&s, 0, sizeof s);
    weft_fiber_t *f = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, times_out_then_parks, &s), 0);
    assert_int_equal(wt_wait_flag(&s.phase, 1), 0);
    weft__parker_t *p = atomic_load(&s.m.parker);
    uint64_t tok = atomic_load(&s.m.token);
    int late = weft__parker_settle(p, tok); /* the wait timed out: must lose */
    atomic_store(&s.phase, 2);
    assert_int_equal(wait_round(&s.m, 2), 0);
    uint64_t tok2 = atomic_load(&s.m.token);
    int stale = weft__parker_settle(p, tok); /* aimed at the earlier wait */
    int fresh = weft__parker_settle(p, tok2);
    if (fresh) weft__parker_unpark(p);
    if (!fresh) weft_cancel(f); /* unblock it before failing */
    assert_int_equal(weft_join(f, NULL, WEFT_FOREVER), 0);
    wt_destroy(rt);
    wt_assert_clean();
    assert_int_equal(s.first_rc, -ETIMEDOUT);
    assert_true(s.returned_at >= s.deadline);
    assert_int_equal(late, 0);
    assert_int_equal(stale, 0);
    assert_int_equal(fresh, 1);
    assert_int_equal(s.second_rc, 0);

    /* The same for this thread's own parker. */
    weft__parker_t *tp = weft__parker_self();
    uint64_t t1 = weft__parker_prepare(tp);
    int64_t deadline = weft_after(WEFT_MSEC(1));
    assert_int_equal(weft__park(tp, t1, deadline, NULL, NULL), -ETIMEDOUT);
    assert_true(weft_now() >= deadline);
    assert_int_equal(weft__parker_settle(tp, t1), 0);
    uint64_t t2 = weft__parker_prepare(tp);
    assert_int_equal(weft__parker_settle(tp, t1), 0);
    assert_int_equal(weft__parker_settle(tp, t2), 1);
    weft__parker_unpark(tp);
    /* Settled before the park: the park returns at once with the grant. */
    assert_int_equal(weft__park(tp, t2, WEFT_FOREVER, NULL, NULL), 0);
}

/* --- exactly once: a waker thread races the deadline, many times ---
 *
 * The waiter parks round after round with a deadline a few microseconds away and
 * never waits for the waker; the waker settles whichever round it saw last, after
 * a random delay. A settle aimed at a round the waiter has left is stale and must
 * lose, so for EVERY round: the park returned 0 iff the waker's settle of that
 * round returned 1 (rounds the waker skipped must have timed out). No hand-shake
 * per round, so the test stays fast on an oversubscribed machine. */

struct race {
    weft__parker_t *_Atomic parker;
    _Atomic int round; /* rounds published; tokens[round - 1] is the newest wait */
    _Atomic int done;  /* the waiter finished its last round */
    int rounds;
    uint64_t *tokens;     /* per round, written before `round` is published */
    signed char *park_rc; /* per round: 0 granted, 1 timed out, 2 anything else */
    signed char *won;     /* per round: 1 if the waker's settle won */
    int attempts;         /* rounds the waker tried to settle */
};

static unsigned next_rand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

static void race_waiter(struct race *r) {
    unsigned seed = 42;
    weft__parker_t *p = weft__parker_self();
    atomic_store(&r->parker, p);
    for (int i = 0; i < r->rounds; i++) {
        uint64_t tok = weft__parker_prepare(p);
        r->tokens[i] = tok;
        atomic_store(&r->round, i + 1);
        int64_t deadline = weft_after((int64_t)(next_rand(&seed) % 20000)); /* < 20 us */
        int rc = weft__park(p, tok, deadline, NULL, NULL);
        r->park_rc[i] = rc == 0 ? 0 : rc == -ETIMEDOUT ? 1 : 2;
    }
    atomic_store(&r->done, 1);
}

static void *race_waiter_fiber(void *arg) {
    race_waiter(arg);
    return NULL;
}

static void *race_waker(void *arg) {
    struct race *r = arg;
    unsigned seed = 7;
    int seen = 0;
    for (unsigned spins = 0;; spins++) {
        int k = atomic_load(&r->round);
        if (k == seen) {
            if (atomic_load(&r->done) && atomic_load(&r->round) == seen) break;
            if (spins % 1024 == 1023) sched_yield(); /* oversubscribed machines */
            weft__cpu_relax();
            continue;
        }
        seen = k;
        weft__parker_t *p = atomic_load(&r->parker);
        uint64_t tok = r->tokens[k - 1];
        /* A delay around the waiter's deadline window, sometimes well past it. */
        unsigned spread = next_rand(&seed) % 2 ? 300 : 3000;
        for (unsigned d = next_rand(&seed) % spread; d > 0; d--)
            weft__cpu_relax();
        int won = weft__parker_settle(p, tok);
        if (won) weft__parker_unpark(p);
        r->won[k - 1] = (signed char)won;
        r->attempts++;
    }
    return NULL;
}

static void check_race(struct race *r) {
    int granted = 0, timed_out = 0;
    for (int i = 0; i < r->rounds; i++) {
        if (r->park_rc[i] == 2)
            fail_msg("round %d: park returned neither 0 nor -ETIMEDOUT", i);
        if ((r->park_rc[i] == 0) != (r->won[i] == 1))
            fail_msg("round %d: park %s but the waker's settle returned %d", i,
                     r->park_rc[i] == 0 ? "was granted" : "timed out", r->won[i]);
        if (r->park_rc[i] == 0)
            granted++;
        else
            timed_out++;
    }
    print_message("%d rounds: %d granted, %d timed out; the waker tried %d\n", r->rounds,
                  granted, timed_out, r->attempts);
}

static void race_setup(struct race *r) {
    memset(r, 0, sizeof *r);
    r->rounds = WT_SCALE(20000);
    r->tokens = calloc((size_t)r->rounds, sizeof *r->tokens);
    r->park_rc = calloc((size_t)r->rounds, 1);
    r->won = calloc((size_t)r->rounds, 1);
    assert_non_null(r->tokens);
    assert_non_null(r->park_rc);
    assert_non_null(r->won);
}

static void race_teardown(struct race *r) {
    free(r->tokens);
    free(r->park_rc);
    free(r->won);
}

/* One worker: with the waker thread that makes two busy threads for two cores,
 * so the waker is rarely descheduled and races most rounds. */
static void exactly_once_fiber_vs_deadline(void **state) {
    (void)state;
    struct race r;
    race_setup(&r);
    weft_runtime_t *rt = wt_create(1);
    pthread_t waker;
    weft_fiber_t *f = NULL;
    assert_int_equal(pthread_create(&waker, NULL, race_waker, &r), 0);
    assert_int_equal(weft_spawn_on(rt, &f, race_waiter_fiber, &r), 0);
    assert_int_equal(weft_join(f, NULL, WEFT_FOREVER), 0);
    assert_int_equal(pthread_join(waker, NULL), 0);
    wt_destroy(rt);
    wt_assert_clean();
    check_race(&r);
    race_teardown(&r);
}

static void exactly_once_thread_vs_deadline(void **state) {
    (void)state;
    struct race r;
    race_setup(&r);
    pthread_t waker;
    assert_int_equal(pthread_create(&waker, NULL, race_waker, &r), 0);
    race_waiter(&r); /* this plain thread is the waiter */
    assert_int_equal(pthread_join(waker, NULL), 0);
    check_race(&r);
    race_teardown(&r);
}

/* --- the fiber's own timer fires inside its own switch --- */

/* Deadlines a few hundred nanoseconds ahead: many fall due between the park's
 * look at the clock and the pick of the switch that parks the fiber, where the
 * worker's fairness turn (every 61st pick) fires its timers. That settle runs
 * on the switching thread and cannot wait for the switch to finish: the after
 * action must enqueue the fiber (park.c). A lost enqueue hangs this loop (the
 * watchdog reports it); a doubled one resumes a running fiber. */
static void *short_deadlines(void *arg) {
    int *bad = arg;
    for (int i = 0; i < WT_SCALE(200000); i++) {
        weft__parker_t *p = weft__parker_self();
        uint64_t tok = weft__parker_prepare(p);
        int r = weft__park(p, tok, weft_now() + (i % 32) * 40, NULL, NULL);
        if (r != -ETIMEDOUT || weft__parker_settle(p, tok)) (*bad)++;
    }
    return NULL;
}

static void own_timer_fires_inside_switch(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(1);
    int bad = 0;
    weft_fiber_t *f = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, short_deadlines, &bad), 0);
    assert_int_equal(weft_join(f, NULL, WEFT_FOREVER), 0);
    wt_destroy(rt);
    wt_assert_clean();
    assert_int_equal(bad, 0);
}

/* --- an abandoned early-prepared wait that a cancel settled --- */

/* The fiber cancels itself between the prepare and the abandon: the cancel
 * wins the settle on the fiber's own thread while it runs, so the wake-up is
 * left to the park that weft__waitq_abandon then makes. Without that park the
 * parker would stay busy (every later wait refused) or the wake be lost. */
static void *abandons_cancelled_wait(void *arg) {
    int *bad = arg;
    weft_sem_t s = WEFT_SEM_INIT(1, 0);
    for (int i = 0; i < 100; i++) {
        weft__parker_t *p = weft__parker_self();
        weft__waiter_t w = {.parker = p};
        weft__waitq_prepare(&w, "test", NULL);
        if (!w.prepared || !weft__parker_busy(p)) (*bad)++;
        if (i % 2 == 0) weft_cancel(weft_self()); /* odd rounds: no cancel */
        weft__waitq_abandon(&w);
        uint64_t word = atomic_load(&p->word);
        if (weft__parker_busy(p)) (*bad)++;
        if ((word & WEFT__PARK_STATE_MASK) !=
            (i % 2 == 0 ? WEFT__PARK_CANCELLED : WEFT__PARK_WOKEN))
            (*bad)++;
        /* Usable afterwards, and no wake-up left over for a later park (it
         * would resume this sleep before its deadline, still waiting). */
        weft_shield_begin();
        if (weft_sem_acquire(&s, WEFT_FOREVER) != 0 || weft_sem_release(&s, 1) != 0)
            (*bad)++;
        int64_t until = weft_now() + WEFT_USEC(20);
        if (weft_sleep_until(until) != 0 || weft_now() < until || weft__parker_busy(p))
            (*bad)++;
        weft_shield_end();
    }
    return NULL;
}

static void abandon_after_cancel(void **state) {
    (void)state;
    weft_runtime_t *rt = wt_create(1);
    int bad = 0;
    weft_fiber_t *f = NULL;
    assert_int_equal(weft_spawn_on(rt, &f, abandons_cancelled_wait, &bad), 0);
    assert_int_equal(weft_join(f, NULL, WEFT_FOREVER), 0);
    wt_destroy(rt);
    wt_assert_clean();
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(abandon_after_cancel),
        WT_TEST(own_timer_fires_inside_switch),
        WT_TEST(fiber_parks_thread_wakes),
        WT_TEST(thread_parks_fiber_wakes),
        WT_TEST(settle_loses_after_timeout),
        WT_TEST(exactly_once_fiber_vs_deadline),
        WT_TEST(exactly_once_thread_vs_deadline),
    };
    return WT_RUN_TESTS(tests);
}
