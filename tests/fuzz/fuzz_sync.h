/* tests/fuzz/fuzz_sync.h: what the two halves of the fuzz_sync target share:
 * the decoded program, the shared primitives, the shadow state the invariants
 * are checked against, and the failure macro.
 *
 * Input format (all multi-byte fields little endian; missing bytes read as 0):
 *   byte 0      flags: bit 0 two workers (else one), bits 1-2 top-level fibers
 *               minus one (1..4), bit 3 the runtime's checkpoints option,
 *               bit 4 the reusable event starts set
 *   bytes 1-8   WEFT_EXPLORE_SEED for the runtime (0: exploration off)
 *   byte 9      semaphore: bits 0-1 initial permits, bits 2-3 bound (0:
 *               unbounded, else max = initial + bound - 1, at least 1),
 *               bits 4-5 countdown initial value
 *   byte 10     queue: bits 0-1 kind (FIFO, LIFO, PRIORITY; 3 is FIFO), bits
 *               2-4 maxsize (0: unbounded), bits 5-6 barrier parties - 1
 *   byte 11     limiter: bits 0-1 total, bit 2 reentrant
 *   then pairs (op, arg), at most FZ_MAX_OPS of them:
 *     op  bits 0-4 the operation (enum fz_opcode), bits 5-7 the lane: lanes
 *         0..3 are the top-level fibers' programs (lane % fibers), lanes 4..7
 *         the programs of children spawned by them
 *     arg bits 0-1 deadline (0 WEFT_NOWAIT, 1 WEFT_FOREVER, 2 a few
 *         microseconds ahead, 3 one nanosecond in the past), bit 2 shield the
 *         call (never with WEFT_FOREVER), bits 3-7 an operand
 * gen_sync_corpus.py (next to this file) writes seed inputs in this format.
 *
 * No deadlock by construction: every fiber releases what it holds when its
 * program ends, and the main fiber cancels every top-level fiber once nothing
 * has progressed for a while (each cancels and joins its own children), so
 * every WEFT_FOREVER wait ends. A hang is therefore a bug (libFuzzer -timeout). */
#ifndef FUZZ_SYNC_H
#define FUZZ_SYNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

#define FZ_MAX_OPS      256
#define FZ_TOP          4 /* top-level fibers at most */
#define FZ_LANES        8
#define FZ_MAX_CHILDREN 6 /* spawned per input, at most 2 per top-level fiber */
#define FZ_KIDS_EACH    2
#define FZ_ACTORS       (FZ_TOP + FZ_MAX_CHILDREN)

/* A violated invariant: libFuzzer reports the abort with the input. */
#define FZ_FAIL(...)                                                                     \
    do {                                                                                 \
        fprintf(stderr, "fuzz_sync: invariant violated at %s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__);                                                    \
        fputc('\n', stderr);                                                             \
        abort();                                                                         \
    } while (0)

#define FZ_CHECK(cond, ...)                                                              \
    do {                                                                                 \
        if (!(cond)) FZ_FAIL(__VA_ARGS__);                                               \
    } while (0)

enum fz_opcode {
    OP_YIELD,      /* yield, or with operand bit 0 sleep until the deadline */
    OP_MUTEX_LOCK, /* mutex */
    OP_MUTEX_UNLOCK,
    OP_RMUTEX_LOCK, /* reentrant mutex (depth at most 4) */
    OP_RMUTEX_UNLOCK,
    OP_SEM_ACQUIRE,
    OP_SEM_RELEASE, /* gives back held permits, or releases new ones */
    OP_EVENT_SET,
    OP_EVENT_WAIT,
    OP_REVENT_SET,
    OP_REVENT_CLEAR,
    OP_REVENT_WAIT,
    OP_CD_UP,   /* countdown */
    OP_CD_DOWN, /* down, or with operand bit 0 clear */
    OP_CD_WAIT,
    OP_Q_PUT,
    OP_Q_GET,
    OP_Q_SHUTDOWN, /* only for operands 0x1e/0x1f (immediate): rare on purpose */
    OP_BAR_WAIT,
    OP_BAR_BREAK, /* abort, or with operand bit 0 reset */
    OP_RW_RDLOCK,
    OP_RW_WRLOCK,
    OP_RW_UNLOCK,
    OP_LIM_ACQUIRE,
    OP_LIM_RELEASE,
    OP_LIM_SET_TOTAL,
    OP_COND_WAIT,   /* on the mutex's condition; operand bit 0: with a predicate */
    OP_COND_NOTIFY, /* moves the predicate's state by -1..1, notifies 0-2 or all */
    OP_RCOND,       /* the rmutex's condition: wait, or with bit 0 notify */
    OP_CANCEL,      /* a top-level fiber, or the caller itself */
    OP_SPAWN,       /* a child running lane 4 + operand % 4 (top-level only) */
    OP_JOIN,        /* joins a child, or with operand bit 0 cancels it */
    OP_COUNT
};

struct fz_op {
    uint8_t code, arg;
};

/* One fiber running a program; its fields are touched by that fiber only. */
struct fz_actor {
    int id; /* 0..FZ_TOP-1 top-level, then children */
    const struct fz_op *ops;
    int nops;
    atomic_int started;
    /* what it holds */
    int mutex_held, rm_depth, sem_held, rw_rd, rw_wr, lim_count;
    /* its children */
    weft_fiber_t *kid[FZ_KIDS_EACH];
    int kid_actor[FZ_KIDS_EACH], kid_joined[FZ_KIDS_EACH], nkids;
};

enum { QS_NONE, QS_ATTEMPT, QS_OK, QS_FAILED }; /* a queue item's put */

struct fz_state {
    /* the program */
    int two_workers, nfibers, checkpoints, revent_init;
    uint64_t seed;
    unsigned sem_initial, sem_max, cd_initial, q_kind, q_max, bar_parties;
    unsigned lim_total, lim_reentrant;
    struct fz_op lane[FZ_LANES][FZ_MAX_OPS];
    int lane_len[FZ_LANES];

    /* the primitives under test */
    weft_mutex_t mutex;
    weft_rmutex_t rmutex;
    weft_sem_t sem;
    weft_event_t event;
    weft_revent_t revent;
    weft_countdown_t cd;
    weft_queue_t queue;
    weft_barrier_t barrier;
    weft_rwlock_t rwlock;
    weft_limiter_t limiter;
    weft_cond_t cond, rcond;

    /* the fibers */
    struct fz_actor actor[FZ_ACTORS];
    weft_fiber_t *top[FZ_TOP];
    pthread_mutex_t top_lock; /* guards top[] (spawns, cancels, cancel_open) */
    int cancel_open;
    atomic_int nchildren, done;
    atomic_uint_fast64_t steps; /* bumped by every actor step: progress */
    atomic_int timed;           /* actors inside a call with a finite deadline */

    /* shadow state */
    atomic_int in_mutex;  /* owners of the mutex: 0 or 1 */
    atomic_int rm_owner;  /* actor id + 1 of the rmutex owner, or 0 */
    atomic_int sem_held;  /* permits the actors hold */
    atomic_int sem_extra; /* released on top of the initial ones (returned 0) */
    /* Permits of releases that returned -EOVERFLOW: some may have gone to
     * waiters that gave up at the same moment (sem.h). Give-backs (_gb) were
     * dropped by their holder, over-releases (_or) may have added permits. */
    atomic_int sem_gb_unsure, sem_or_unsure;
    atomic_int event_ones; /* event sets that returned 1 */
    atomic_int rev_set1, rev_clear1;
    atomic_int cd_ups, cd_downs, cd_clears;
    atomic_int q_next; /* last token handed out */
    atomic_int q_shut_started, q_shut, q_immediate;
    atomic_uchar q_state[FZ_MAX_OPS + 1];
    atomic_uchar q_got[FZ_MAX_OPS + 1];
    unsigned char q_producer[FZ_MAX_OPS + 1];
    atomic_int bar_index[4]; /* how many waits returned each index */
    atomic_int rw_readers, rw_writer;
    atomic_int lim_holders, lim_max_total;
    int cond_state; /* guarded by the mutex */
};

extern struct fz_state g;

/* The body of every actor fiber (fuzz_sync_ops.c); arg is its struct fz_actor. */
void *fz_actor_main(void *arg);

/* Records that an item came out of the queue (checks: once, and put). */
void fz_queue_took(void *item);

/* The priority queue's order on item tokens. */
int fz_item_cmp(const void *a, const void *b);
unsigned fz_item_key(uintptr_t token);

#endif
