/*M BUG: a waiter that gave up decrements `queued` even when a granter whose settle */
/*M BUG: lost already unlinked its node (and counted it): queued goes wrong (Q3, Q5). */
/*M BASE: waitq.pml */
/*M FLAGS: -DN=2 */
/*M CHECK: safety */
/*M EXPECT: assertion violated .*(queued|k<qlen) */
/* tests/model/waitq.pml: the FIFO waiter queue (sync/waitq.c) under the counting
 * semaphore built on it (sync/sem.c): N acquirers (one acquire each), two
 * releases (release(2) and release(1) unless configured otherwise, by two
 * concurrent releasers or by one in turn), deadlines and a cancel racing the
 * grants.
 *
 * Parties (each a proctype; the C code each one follows):
 *   Acquirer(i, dl)  sync/sem.c:weft_sem_acquire: weft__cancel_check, try_take
 *                    (CAS loop on the state word), then under the lock: take a
 *                    banked permit or CAS queued+1; sync/waitq.c:weft__waitq_wait
 *                    (weft__parker_prepare, weft__waitq_push, weft__park, retake
 *                    the lock on failure); on failure unlink if node.queued
 *                    (weft__waitq_remove) and fetch_sub queued. `dl`: the wait has
 *                    a finite deadline.
 *   Releaser(c1, c2) release(c1), then release(c2) unless 0; inline release =
 *                    sync/sem.c:weft_sem_release: fast path (CAS permits+count
 *                    while queued == 0), else under the lock the grant loop (the
 *                    inline form of sync/waitq.c:weft__waitq_grant: unlink the
 *                    head, weft__parker_settle, count winners and unlinked nodes),
 *                    a CAS loop banking count-granted permits if they still fit
 *                    max_value (else none: -EOVERFLOW) and -unlinked queued,
 *                    unlock, sync/waitq.c:weft__waitq_wake_all.
 *   Canceller        runtime/fiber.c:weft_cancel on acquirer 0 (a fiber outside a
 *                    shield: its waits are cancellable).
 *   monitor          the state invariants below, checked in every state.
 * The state word permits << 32 | queued is two variables changed together by
 * inline cas (one compare-and-swap on the word) and by the atomic add/sub.
 *
 * The park is abstracted to what park.pml verifies of it: the wait is settled
 * exactly once by one CAS of the parker word (grant WOKEN, deadline TIMED_OUT,
 * cancel CANCELLED); the waiter returns the winner's outcome, either at once
 * (it settled itself: a passed deadline, a pending cancel, a thread's futex
 * timeout) or once the winner's unpark arrived (unparked[i]); it never returns
 * before. A fiber's timer settles exactly like the waiter settling itself at
 * that moment, so the self-settle covers both. One wait per acquirer, so the
 * parker's seq is left out (park.pml checks it).
 *
 * Properties:
 *   Q1 a grant goes to exactly one waiter: a release's winning settle hands one
 *      permit to one node (given[i] set once, and only for a WAITING node);
 *   Q2 a waiter that returned -ETIMEDOUT / -ECANCELED received nothing (no grant,
 *      no banked permit); one that returned 0 received exactly one;
 *   Q3 no permit lost or duplicated: at the end, banked + held == released, and
 *      queued == 0 with an empty queue;
 *   Q4 FIFO: a winning grant goes to the oldest live node (no node ahead of it
 *      in the queue, which is in arrival order, is still WAITING), and a banked
 *      permit is never taken while a live waiter is queued (no barging);
 *   Q5 state invariants (monitor): permits > 0 implies queued == 0 (sem.c); with
 *      the lock free, queued == the queue's length; permits <= max (bounded
 *      semaphore, -DSEM_MAX=m);
 *   Q6 no lost wake-up: every acquirer returns (enough permits are released for
 *      all of them): LTL `live` (<> all_done, set by init once every party has
 *      ended and the final checks passed; a blocked state violates it too, SPIN
 *      extending a finite run by stuttering). The state graph has no cycles
 *      (every CAS retry follows another party's progress), so no fairness.
 *
 * Configurations (run.sh):
 *   -DN=2 (default)  two concurrent releasers, release(2) and release(1); each
 *                    acquirer with or without a deadline, acquirer 0 with or
 *                    without a canceller (init chooses: every combination);
 *   -DN=3 -DFIXED_ENV  one releaser, release(2) then release(1); acquirer 0 with
 *                    a canceller, 1 with a deadline, 2 without (one combination:
 *                    all of them would be 17 million states);
 *   -DSEM_MAX=m      a bounded semaphore (max_value m), every acquirer with a
 *                    deadline (a release refused with -EOVERFLOW may leave a
 *                    waiter without a permit for ever, legitimately);
 *   -DONE_RELEASER   one releaser as for N=3; -DREL1=a -DREL2=b: the two
 *                    releases are release(a) and release(b) (default 2 and 1).
 *
 * Abstractions: sequentially consistent memory (README.md); tries (a deadline
 * already passed on entry) are left out: they never queue. */

#ifndef N
#define N 2
#endif
#ifdef SEM_MAX
#define MAXV SEM_MAX
#define BOUNDED 1
#else
#define MAXV 255       /* unbounded (max_value 0): LIMIT is never reached here */
#define BOUNDED 0
#endif

/* the two releases (release(REL1) and release(REL2)) */
#ifndef REL1
#define REL1 2
#endif
#ifndef REL2
#define REL2 1
#endif

#define WAITING    0
#define WOKEN      1
#define TIMED_OUT  2
#define CANCELLED  3

#define R_OK        0
#define R_ETIMEDOUT 1
#define R_ECANCELED 2
#define R_NONE      3

/* --- the semaphore --- */
byte permits = 0;       /* PERMITS(state) */
byte queued = 0;        /* QUEUED(state) */
byte lock = 0;          /* s->wl.lock */
byte q[N];              /* the waitq, head first: acquirer ids */
byte qlen = 0;

/* --- per acquirer: its node and its parker --- */
byte word[N];           /* parker word state (initially the WOKEN of an earlier wait) */
bit  inq[N];            /* node.queued */
bit  unparked[N];       /* the winner's unpark has arrived */
bit  cancelled[N];      /* f->cancelled */

/* --- ghosts --- */
bit  given[N];          /* a release's winning settle handed it a permit */
bit  took[N];           /* it took a banked permit */
byte ret[N];
byte released = 0;      /* permits of successful releases */
byte ndone = 0;
byte nproc = 0;
bit  all_done = 0;

ltl live { <> all_done }

inline lock_acquire() { atomic { lock == 0 -> lock = 1 } }
inline lock_release() { assert(lock == 1); lock = 0 }

/* compare-and-swap on the state word; on failure the expected value is reloaded */
inline cas(xp, xq, np, nq, ok) {
    atomic {
        if
        :: permits == xp && queued == xq -> permits = np; queued = nq; ok = 1
        :: else -> xp = permits; xq = queued; ok = 0
        fi
    }
}

/* runtime/park.c:settle_as on acquirer w's parker */
inline settle(w, outcome, won) {
    atomic {
        if
        :: word[w] == WAITING -> word[w] = outcome; won = 1
        :: else -> won = 0
        fi
    }
}

/* sync/waitq.c:weft__waitq_push / weft__waitq_remove (lock held) */
inline push(w) {
    d_step {
        q[qlen] = w; qlen++; inq[w] = 1
    }
}
inline remove(w) {
    d_step {
        k = 0;
        do
        :: k < qlen && q[k] != w -> k++
        :: else -> break
        od;
        assert(k < qlen);
        do
        :: k + 1 < qlen -> q[k] = q[k + 1]; k++
        :: else -> break
        od;
        qlen--; q[qlen] = 0; k = 0;
        inq[w] = 0
    }
}

/* Q4: some node ahead of position p of the queue (older: the queue is in
 * arrival order, each node pushed at the tail under the lock) is still waiting */
inline older_live(p, older) {
    k = 0; older = 0;
    do
    :: k < p -> older = older || word[q[k]] == WAITING; k++
    :: else -> break
    od;
    k = 0
}
/* Q4: nobody live is queued when a banked permit is taken */
inline assert_no_live_queued() {
    d_step {
        k = 0;
        do
        :: k < N -> assert(!(inq[k] && word[k] == WAITING)); k++
        :: else -> break
        od;
        k = 0
    }
}

/* loads of the state word (one atomic load) */
inline load(xp, xq) { atomic { xp = permits; xq = queued } }

/* take one banked permit by CAS (acquire's fast path, or under the lock) */
inline take(xp, xq, ok) {
    atomic {
        cas(xp, xq, xp - 1, xq, ok);
        if :: ok -> assert_no_live_queued(); took[i] = 1; xp = 0; xq = 0 :: else fi
    }
}

proctype Acquirer(byte i; bit dl) {
    byte ep, eq, r, k; bit ok, won;
    r = R_NONE;
    /* weft__cancel_check: a cancelled fiber outside a shield (only acquirer 0
     * can be cancelled: for the others the load is of a constant) */
    if
    :: i == 0 -> atomic { if :: cancelled[i] -> r = R_ECANCELED :: else fi }
    :: else
    fi;
    if :: r == R_ECANCELED -> goto out :: else fi;
    /* try_take: CAS loop while a permit is banked and nobody is queued */
    load(ep, eq);
    do
    :: ep > 0 && eq == 0 ->
        take(ep, eq, ok);
        if :: ok -> r = R_OK; goto out :: else fi
    :: else -> break
    od;
    /* slow path, under the lock */
    lock_acquire();
    load(ep, eq);
    do
    :: ep > 0 && eq == 0 ->
        take(ep, eq, ok);
        if :: ok -> lock_release(); r = R_OK; goto out :: else fi
    :: else ->
        cas(ep, eq, ep, eq + 1, ok);
        if :: ok -> break :: else fi
    od;
    /* weft__waitq_wait: weft__parker_prepare (a shared store), weft__waitq_push
     * (lock-protected) */
    d_step { ep = 0; eq = 0; ok = 0; word[i] = WAITING; push(i) }
    /* weft__park: a pending cancel is settled by the waiter itself */
    if
    :: i == 0 && cancelled[i] -> settle(i, CANCELLED, won)
    :: else
    fi;
    lock_release();                 /* after(arg), in the fast path or once saved */
    if
    :: won -> r = R_ECANCELED
    :: else ->
        do
        :: atomic {
               unparked[i] ->       /* the winner's unpark: return its outcome */
               if                   /* (outcome_of: the word is final by now) */
               :: word[i] == WOKEN -> r = R_OK
               :: word[i] == TIMED_OUT -> r = R_ETIMEDOUT
               :: word[i] == CANCELLED -> r = R_ECANCELED
               fi
           }
           break
        :: dl ->                    /* the deadline: settle TIMED_OUT */
            settle(i, TIMED_OUT, won);
            if
            :: won -> r = R_ETIMEDOUT; break
            :: else -> dl = 0       /* a grant or cancel won: its unpark is coming */
            fi
        od
    fi;
    won = 0; dl = 0;
    if
    :: r == R_OK ->
        assert(given[i] && !inq[i]);  /* a release handed us its permit */
        goto out
    :: else
    fi;
    /* weft__waitq_wait retakes the lock; sem: unlink if still queued, fetch_sub */
    lock_acquire();
    if
    :: inq[i] -> remove(i); atomic { assert(queued > 0); queued-- }
    :: else -> atomic { assert(queued > 0); queued-- }
    fi;
    lock_release();
out:
    atomic {
        ep = 0; eq = 0; ok = 0; won = 0; dl = 0;
        ret[i] = r;
        assert(r == R_OK && (given[i] != took[i]) || r != R_OK && !given[i] && !took[i]);
        ndone++
    }
}

/* sync/sem.c:weft_sem_release(s, count) */
inline release(count) {
    /* fast path: bank while nobody is queued */
    load(ep, eq);
    do
    :: eq == 0 ->
        if
        :: ep + count > MAXV -> st = 1; break         /* -EOVERFLOW */
        :: else
        fi;
        atomic {
            cas(ep, eq, ep + count, eq, ok);
            if :: ok -> released = released + count; st = 1 :: else fi
        }
        if :: ok -> break :: else fi
    :: else -> break
    od;
    if
    :: st == 0 ->
        lock_acquire();
        load(ep, eq);
        left = (count > eq -> count - eq : 0);
        if
        :: ep + left > MAXV -> lock_release()        /* -EOVERFLOW */
        :: else ->
            d_step { ep = 0; eq = 0; left = 0 }
            /* the grant loop: unlink the head (lock-protected), settle it
             * (shared CAS); winners are chained for the wake */
            do
            :: atomic {
                   granted < count && qlen > 0 ->
                   p = 0;               /* the head */
                   w = q[p];
                   older_live(p, older);
                   remove(w);
                   unlinked++;
                   settle(w, WOKEN, won);
                   if
                   :: won ->
                       assert(!older);  /* Q4 */
                       assert(!given[w]);
                       given[w] = 1;
                       granted++;
                       if :: won0 == 0 -> won0 = w + 1 :: else -> won1 = w + 1 fi
                   :: else
                   fi;
                   w = 0; p = 0; won = 0; older = 0
               }
            :: else -> break
            od;
            /* the bank: a CAS loop re-checking the bound, as one step (a
             * retry follows another party's change): count - granted permits
             * if they fit (else none: -EOVERFLOW), -unlinked queued */
            atomic {
                if
                :: permits + count - granted <= MAXV ->
                    permits = permits + count - granted;
                    released = released + count
                :: else ->
                    released = released + granted
                fi;
                assert(queued >= unlinked);
                queued = queued - unlinked;
                granted = 0; unlinked = 0
            }
            lock_release();
            /* weft__waitq_wake_all, in grant order, outside the lock */
            if :: won0 != 0 -> unparked[won0 - 1] = 1; won0 = 0 :: else fi;
            if :: won1 != 0 -> unparked[won1 - 1] = 1; won1 = 0 :: else fi
        fi
    :: else
    fi;
    d_step { ep = 0; eq = 0; ok = 0; st = 0 }
}

/* release(c1), then release(c2) if c2 > 0 */
proctype Releaser(byte c1, c2) {
    byte ep, eq, left, granted, unlinked, w, k, p, won0, won1;
    bit ok, won, st, older;
    release(c1);
    if :: c2 > 0 -> release(c2) :: else fi;
    ndone++
}

proctype Canceller(byte i) {
    byte w; bit won;
    cancelled[i] = 1;
    w = word[i];
    if
    :: w == WAITING -> settle(i, CANCELLED, won)
    :: else -> won = 0
    fi;
    atomic {
        if :: won -> unparked[i] = 1 :: else fi;
        w = 0; won = 0; ndone++
    }
}

/* Q5 within max_value; -DSKIP_MAX_INVARIANT leaves it out (see README.md: the
 * bounded semaphore can exceed it, a finding about sem.c) */
#if BOUNDED && !defined(SKIP_MAX_INVARIANT)
#define WITHIN_MAX (permits <= MAXV)
#else
#define WITHIN_MAX 1
#endif

active proctype monitor() {
end_watch:
    atomic {
        !(!(permits > 0 && queued > 0) && (lock != 0 || queued == qlen) && WITHIN_MAX) ->
            assert(!(permits > 0 && queued > 0));
            assert(lock != 0 || queued == qlen);
            assert(WITHIN_MAX)
    }
}

init {
    byte i, total; bit dl, canc;
    atomic {
        i = 0;
        do
        :: i < N ->
            word[i] = WOKEN; ret[i] = R_NONE;
            i++
        :: else -> break
        od
    }
#ifndef FIXED_ENV
    if :: canc = 1 :: canc = 0 fi;
#endif
    atomic {
        i = 0;
        do
        :: i < N ->
#ifdef FIXED_ENV
            /* acquirer 0 with a canceller, 1 with a deadline, the others
             * without: one environment, for the larger N */
            dl = (i == 1 || BOUNDED); canc = 1;
#else
            if :: dl = 1 :: !BOUNDED -> dl = 0 fi;
#endif
            run Acquirer(i, dl);
            i++
        :: else -> break
        od;
#if N >= 3 || defined(ONE_RELEASER)
        run Releaser(REL1, REL2);       /* one releaser: release(2); release(1) */
        nproc = N + 1;
#else
        run Releaser(REL1, 0);          /* two concurrent releasers */
        run Releaser(REL2, 0);
        nproc = N + 2;
#endif
        if :: canc -> run Canceller(0); nproc++ :: else fi
    }
    ndone == nproc;
    /* Q2, Q3 */
    total = permits;
    i = 0;
    do
    :: i < N ->
        assert(ret[i] != R_NONE);
        if :: ret[i] == R_OK -> total++ :: else fi;
        i++
    :: else -> break
    od;
    assert(total == released);
    assert(queued == 0 && qlen == 0 && lock == 0);
    all_done = 1
}
