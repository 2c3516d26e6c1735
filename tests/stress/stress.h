/* tests/stress/stress.h: what the driver, the crew and every workload of
 * weft_stress share.
 *
 * A run executes workloads one after another. Each workload has a CREW of
 * participants, interleaved by index: i % 3 == 0 a fiber of runtime A (two
 * workers), 1 a fiber of runtime B (one worker), 2 a plain thread. Each
 * participant calls the workload's step function with its own seeded PRNG until
 * the step says it is done. A fiber participant runs as a chain of INCARNATIONS
 * under a supervisor fiber: the canceller (crew.c) cancels incarnations parked in
 * a WEFT_FOREVER wait; the victim's call then returns -ECANCELED (it received
 * nothing) or 0 (the grant won: it owns what it got and gives it back); the step
 * finishes, and the incarnation ends; the supervisor starts the next one, which
 * continues from the participant's state (everything a step needs across
 * incarnations lives in the participant or in the workload's globals).
 *
 * Checks: ST_CHECK counts every invariant check it evaluates and, on the first
 * violation, aborts the run with the workload, the seed, the counts and the
 * failed condition (check.c). Nothing here ever asserts a timing. */
#ifndef WEFT_STRESS_H
#define WEFT_STRESS_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"

#if defined(WEFT_TEST_SANITIZER) || defined(__SANITIZE_ADDRESS__) ||                     \
    defined(__SANITIZE_THREAD__)
#define ST_SANITIZED 1
#else
#define ST_SANITIZED 0
#endif

/* The default (short) run: about 20-30 s of a Debug build on two cores; ten
 * times fewer operations under a sanitizer. */
#define ST_SHORT_OPS (ST_SANITIZED ? 500000ull : 5000000ull)

#define ST_MAX_PARTS 16

enum st_kind { ST_FIBER_A, ST_FIBER_B, ST_THREAD };
enum st_dl { ST_TRY, ST_TIMED, ST_FOREVER };
enum st_step { ST_MORE, ST_DONE };

struct st_crew;

/* One participant. Written only by its current incarnation (or thread), except
 * the fields marked otherwise. Cache-line aligned: participants run in parallel. */
typedef struct st_part {
    struct st_crew *crew;
    int index;
    enum st_kind kind;
    int victim; /* the canceller may cancel it (fibers of a workload that allows it) */
    uint64_t rng[2];
    uint64_t budget;         /* operations this participant is asked to make */
    _Atomic uint64_t ops;    /* single writer; read by the monitor */
    _Atomic uint64_t checks; /* single writer */
    uint64_t timeouts, cancels, kept, incarnations;
    int shield;                  /* our shield depth (weft_shield_* nesting) */
    _Atomic int in_forever;      /* set around a WEFT_FOREVER call of a victim */
    _Atomic(const char *) doing; /* the call in progress, for hang reports */
    /* The incarnation the canceller may cancel: set and cleared by the
     * incarnation itself under slot_lock; read by the canceller under it. */
    pthread_mutex_t slot_lock;
    weft_fiber_t *cur;
    int done;      /* the step reported ST_DONE */
    uint64_t u[8]; /* workload state that survives incarnations */
} __attribute__((aligned(64))) st_part_t;

/* A workload: its participants, its share of --ops and its three phases. */
typedef struct st_workload {
    const char *name;
    const char *invariants; /* one line: what it checks */
    unsigned weight;        /* share of --ops (relative) */
    int nparts;             /* participants (<= ST_MAX_PARTS) */
    int cancel;             /* run the canceller */
    /* Main thread, before the crew starts: initialise the primitives and the
     * per-participant budgets (p->budget is preset to an even share). */
    void (*setup)(struct st_crew *c);
    /* One step of participant p; ST_DONE when it has finished its part. */
    int (*step)(st_part_t *p);
    /* Main thread, after every participant was joined: the end invariants. */
    void (*finish)(struct st_crew *c);
    /* Optional, for hang reports: a line about the primitives' state. */
    void (*dump)(struct st_crew *c);
    /* Mean pause of the canceller between two attempts, in microseconds
     * (0: 200). Workloads where every cancel breaks something use a longer one. */
    unsigned cancel_pause_us;
} st_workload_t;

typedef struct st_crew {
    const st_workload_t *w;
    uint64_t seed;
    uint64_t budget; /* this workload's share of --ops */
    int nparts;
    st_part_t *parts;
    weft_runtime_t *rt[2];
    weft_barrier_t rv;        /* st_rendezvous */
    _Atomic uint64_t checks;  /* checks made outside the participants */
    _Atomic uint64_t cancels; /* cancels delivered by the canceller */
    _Atomic int stop;         /* every participant finished */
} st_crew_t;

/* --- PRNG (xorshift128+, seeded through splitmix64) --- */
static inline uint64_t st_splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline uint64_t st_rand(uint64_t s[2]) {
    uint64_t a = s[0], b = s[1];
    s[0] = b;
    a ^= a << 23;
    s[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
    return s[1] + b;
}
/* Uniform in [0, n). */
static inline unsigned st_below(st_part_t *p, unsigned n) {
    return (unsigned)(((st_rand(p->rng) >> 32) * n) >> 32);
}
static inline int st_chance(st_part_t *p, unsigned percent) {
    return st_below(p, 100) < percent;
}

/* --- counting and checking --- */
static inline void st_op(st_part_t *p) {
    atomic_store_explicit(&p->ops,
                          atomic_load_explicit(&p->ops, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}
static inline void st_count_check(st_part_t *p) {
    atomic_store_explicit(&p->checks,
                          atomic_load_explicit(&p->checks, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}
static inline int st_budget_spent(const st_part_t *p) {
    return atomic_load_explicit(&p->ops, memory_order_relaxed) >= p->budget;
}

_Noreturn void st_violation(st_crew_t *c, const st_part_t *p, const char *file, int line,
                            const char *cond, long long a, long long b);

/* A participant's check; a and b are printed with the message (values involved). */
#define ST_CHECKV(p, cond, a, b)                                                         \
    do {                                                                                 \
        st_count_check(p);                                                               \
        if (!(cond))                                                                     \
            st_violation((p)->crew, (p), __FILE__, __LINE__, #cond, (long long)(a),      \
                         (long long)(b));                                                \
    } while (0)
#define ST_CHECK(p, cond) ST_CHECKV(p, cond, 0, 0)
#define ST_CHECK_EQ(p, x, y)                                                             \
    do {                                                                                 \
        long long st_x_ = (long long)(x), st_y_ = (long long)(y);                        \
        ST_CHECKV(p, st_x_ == st_y_, st_x_, st_y_);                                      \
    } while (0)

/* A check made by the main thread (setup, finish) or another helper. */
#define ST_CREW_CHECKV(c, cond, a, b)                                                    \
    do {                                                                                 \
        atomic_fetch_add_explicit(&(c)->checks, 1, memory_order_relaxed);                \
        if (!(cond))                                                                     \
            st_violation((c), NULL, __FILE__, __LINE__, #cond, (long long)(a),           \
                         (long long)(b));                                                \
    } while (0)
#define ST_CREW_CHECK(c, cond) ST_CREW_CHECKV(c, cond, 0, 0)
#define ST_CREW_CHECK_EQ(c, x, y)                                                        \
    do {                                                                                 \
        long long st_x_ = (long long)(x), st_y_ = (long long)(y);                        \
        ST_CREW_CHECKV(c, st_x_ == st_y_, st_x_, st_y_);                                 \
    } while (0)

/* --- deadlines --- */

/* Picks a deadline kind: a try with probability try_pct, a short finite
 * deadline (0 .. max_us microseconds from now) with timed_pct, else
 * WEFT_FOREVER. Returns the deadline; *kind receives its kind. */
static inline int64_t st_deadline(st_part_t *p, unsigned try_pct, unsigned timed_pct,
                                  unsigned max_us, enum st_dl *kind) {
    unsigned r = st_below(p, 100);
    if (r < try_pct) {
        *kind = ST_TRY;
        return WEFT_NOWAIT;
    }
    if (r < try_pct + timed_pct) {
        *kind = ST_TIMED;
        return weft_after(WEFT_USEC(st_below(p, max_us + 1)));
    }
    *kind = ST_FOREVER;
    return WEFT_FOREVER;
}

/* Brackets a blocking call: names it for hang reports and, for a victim's
 * WEFT_FOREVER call, tells the canceller it may cancel now. */
static inline void st_call_begin(st_part_t *p, const char *what, enum st_dl kind) {
    atomic_store_explicit(&p->doing, what, memory_order_relaxed);
    if (kind == ST_FOREVER && p->victim && p->shield == 0)
        atomic_store_explicit(&p->in_forever, 1, memory_order_release);
}
/* r: the call's result; a victim's FOREVER call that was granted (r >= 0)
 * although its fiber is cancelled by now counts as `kept` (the grant won). */
static inline void st_call_end(st_part_t *p, int r) {
    int marked = atomic_exchange_explicit(&p->in_forever, 0, memory_order_relaxed);
    atomic_store_explicit(&p->doing, NULL, memory_order_relaxed);
    if (marked && r >= 0 && weft_cancelled()) p->kept++;
    st_op(p);
}

/* Checks the outcome of a wait that did not return 0 (or a positive grant):
 * -ETIMEDOUT only for a try or a finite deadline; -ECANCELED only for a fiber
 * that is cancelled, outside our shields, and not for a try. `extra` is one
 * more code the caller accepts here (0: none). Counts timeouts and cancels. */
void st_check_failed_wait(st_part_t *p, int r, enum st_dl kind, int extra,
                          const char *file, int line);
#define ST_FAILED_WAIT(p, r, kind, extra)                                                \
    st_check_failed_wait(p, r, kind, extra, __FILE__, __LINE__)

/* Our view of weft_shield_begin/end, tracking the depth for the checks above. */
static inline void st_shield_begin(st_part_t *p) {
    weft_shield_begin();
    p->shield++;
}
static inline void st_shield_end(st_part_t *p) {
    p->shield--;
    weft_shield_end();
}

/* Lets others run: weft_yield on a fiber (shielded, so that a cancelled fiber
 * switches too), sched_yield on a thread. Only an interleaving aid. */
void st_pause(st_part_t *p);

/* Every participant of the crew meets here (a weft_barrier_t with FOREVER
 * deadlines inside a shield, so it never fails). Returns the arrival index. */
int st_rendezvous(st_part_t *p);

/* --- the workloads (one file per family) --- */
extern const st_workload_t st_w_mutex, st_w_rmutex;
extern const st_workload_t st_w_sem, st_w_limiter;
extern const st_workload_t st_w_queue_fifo, st_w_queue_lifo, st_w_queue_prio;
extern const st_workload_t st_w_cond, st_w_cond_rmutex;
extern const st_workload_t st_w_barrier;
extern const st_workload_t st_w_event, st_w_latch;
extern const st_workload_t st_w_revent, st_w_countdown;
extern const st_workload_t st_w_rwlock;
extern const st_workload_t st_w_once;

/* Runs one workload (crew.c): the crew, the canceller, the hang monitor, the
 * end checks. Fills the crew's counts; returns its total operations. */
typedef struct st_result {
    uint64_t ops, checks, timeouts, cancels, kept, incarnations;
    double seconds;
} st_result_t;
void st_run_workload(const st_workload_t *w, uint64_t budget, uint64_t seed,
                     st_result_t *out);

#endif
