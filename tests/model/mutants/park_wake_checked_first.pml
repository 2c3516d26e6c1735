/*M BUG: the after action looks at w->after.wake before it stores PARKED: a */
/*M BUG: settler on the switching thread (a signal handler) that comes in */
/*M BUG: between sees no PARKED and leaves the wake, which nobody takes: a lost */
/*M BUG: wake-up (P7, LTL). */
/*M BASE: park.pml */
/*M FLAGS:  */
/*M CHECK: ltl */
/*M EXPECT: acceptance cycle */
/* tests/model/park.pml: the park/wake core of weft (runtime/park.h) for ONE wait
 * of one parker, against every party that may settle or wake it.
 *
 * Two variants, chosen at generation time:
 *   default      a FIBER parker: the park ends with a context switch whose
 *                after-switch action (run by the worker once the fiber's registers
 *                are saved) releases the primitive's lock, then stores PARKED in
 *                the fiber's state; the winning settler's unpark waits for PARKED
 *                and enqueues the fiber (weft__ready), or, when it runs on the
 *                very thread that is switching, leaves the enqueue to the after
 *                action (w->after.wake).
 *   -DTHREAD     a THREAD parker: the signal word 0 (parked awake) -> 2 (asleep in
 *                the futex) -> 1 (unparked); the unparker exchanges 1 in and issues
 *                a futex wake only if it saw 2. A thread's deadline is its futex
 *                timeout, after which it settles TIMED_OUT itself.
 *
 * Parties (each a proctype; the C code each one follows):
 *   Waiter        sync/waitq.c:weft__waitq_wait (prepare, push, park, retake the
 *                 lock on failure) + runtime/park.c:weft__parker_prepare,
 *                 weft__park (fiber: the self-settled fast paths for a passed
 *                 deadline and a pending cancel, weft__timer_arm and its ENOMEM
 *                 path, weft__switch_out, weft__timer_disarm, outcome_of),
 *                 park_thread (thread variant), and the primitive's unpublish
 *                 after a failed wait (as sync/sem.c:weft_sem_acquire does).
 *   AfterSwitch   runtime/switch.c:weft__switch_finish + run_after(AFTER_PARK):
 *                 store the context, run after.fn (weft__spin_unlock_cb), store
 *                 PARKED, enqueue if a same-thread settler left the wake to it.
 *   Granter       sync/waitq.c:weft__waitq_grant on the waiter's node (lock held:
 *                 unlink, weft__parker_settle), then outside the lock
 *                 weft__waitq_wake -> runtime/park.c:weft__parker_unpark.
 *   Timer         runtime/timer.c:weft__timers_run (heap lock held: pop the entry,
 *                 CAS its token to TIMED_OUT; outside it: weft__fiber_unpark).
 *   Canceller     runtime/fiber.c:weft_cancel (store `cancelled`, load the word, CAS
 *                 it to CANCELLED if it is a cancellable WAITING one, unpark).
 *   Stale         a settler still holding the token of this parker's PREVIOUS wait
 *                 (seq 1; the modelled wait is seq 2): the seq must make it lose.
 *   futex_monitor (thread variant) watches the futex invariant below.
 *   inline unpark (fiber) = runtime/park.c:weft__fiber_unpark: PARKED seen, enqueue;
 *   else, on the switching thread (switching_here), leave w->after.wake; else
 *   wait for PARKED, then enqueue. Which settler runs on the switching thread
 *   (the fiber's own timer fired by the pick, a signal handler) is not
 *   modelled: any settler may take that branch while PARKED is not yet stored,
 *   which covers both. inline settle_as = runtime/park.c:settle_as (one CAS on
 *   the word, which holds seq << 3 | cancellable << 2 | state exactly as in
 *   park.h).
 *
 * The environment is chosen nondeterministically by init, so one run covers every
 * combination: a granter or not, an infinite or a finite deadline (which the fast
 * path may already find passed, and whose timer may fail to arm), a canceller or
 * not, a cancellable wait or a shielded one (threads: granter, deadline). In the
 * combinations where nothing could ever end the wait (no granter, no deadline,
 * no cancel that applies) a wait legitimately blocks for ever: those are checked
 * with a granter instead. The granter comes after the
 * node was published (one that comes before finds an empty queue and does nothing
 * to the parker; waitq.pml covers that at the primitive's level).
 *
 * Properties (assertions on ghost variables unless said otherwise):
 *   P1 settled exactly once: at most one CAS moves the wait out of WAITING
 *      (wins <= 1), and the waiter returns only once it was settled (wins == 1);
 *   P2 a stale settle (token of an earlier wait) never wins (stale_wins == 0);
 *   P3 the fiber is enqueued (weft__ready) exactly once per switch and only after
 *      its registers were saved (readied_unsaved == 0, ready_twice == 0); it
 *      resumes only after that; at the end it was readied iff it switched out;
 *   P4 the return value is the winning outcome (0 / -ETIMEDOUT / -ECANCELED);
 *   P5 lifetime: an unparker touches the parker (the fiber's state, the signal
 *      exchange) only before the waiter returned (late_touch == 0); the futex wake
 *      after the exchange may come later (the futex contract makes it harmless);
 *   P6 no missed futex wake (thread): the thread is never asleep in the futex
 *      with the signal word (sigword) at 1 unless the unparker saw 2 and its
 *      futex wake is still to come (futex_monitor);
 *   P7 no lost wake-up: the waiter always returns, and every other party ends:
 *      LTL `live` (<> all_done, which init sets after the final checks, so it
 *      implies <> returned); a blocked end state violates it as well (SPIN
 *      extends a finite run by stuttering), and so does a livelock. The state
 *      graph has no cycles, so no fairness assumption is needed.
 *
 * Abstractions: sequentially consistent memory (see README.md); a futex wait may
 * wake spuriously at most once per run (bounded so a run stays finite; more
 * spurious wakes only repeat the same loop); the 200-iteration spin of
 * park_thread is one optional check; one wait (seq 2) after one earlier wait. */

#define WAITING    0
#define WOKEN      1
#define TIMED_OUT  2
#define CANCELLED  3
#define STATE(w)   ((w) & 3)
#define CANC       4
#define SEQ_ONE    8
#define CUR_SEQ    2

/* return values of weft__park */
#define R_OK        0
#define R_ETIMEDOUT 1
#define R_ECANCELED 2
#define R_NONE      3

#define RET_IS_WINNER(r) \
    ((winner == WOKEN && r == R_OK) || (winner == TIMED_OUT && r == R_ETIMEDOUT) || \
     (winner == CANCELLED && r == R_ECANCELED))

/* --- the parker and the primitive --- */
byte word = SEQ_ONE | WOKEN;   /* seq 1 was an earlier wait, settled */
byte lock = 0;                 /* the primitive's weft__spin_t */
bit  published = 0;            /* the waiter's node is queued */
byte pub_tok;                  /* node.token */
bit  parked = 0;               /* f->state == PARKED */
bit  wake_left = 0;            /* w->after.wake: the after action enqueues */
bit  cancelled = 0;            /* f->cancelled */
byte tlock = 0;                /* the worker's timer-heap lock */
bit  armed = 0;                /* the fiber is in the timer heap */
byte timer_tok;                /* f->timer_token */
byte sigword = 0;              /* p->signal (thread; `signal` would clash in pan.c) */
bit  asleep = 0;               /* the thread is blocked in futex_wait */

/* --- environment, chosen by init --- */
bit has_granter, has_canceller, cancellable, finite;

/* --- ghosts --- */
bit  pub_once = 0;             /* the node has been published */
byte wins = 0;                 /* winning settles of the current wait */
byte winner = WAITING;         /* its outcome */
byte stale_wins = 0;
bit  saved = 0;                /* the fiber's registers are stored */
bit  switched = 0;             /* the fiber switched out (parked) */
byte readied = 0;              /* weft__ready calls */
byte readied_unsaved = 0;      /* weft__ready before the registers were saved */
byte ready_twice = 0;
bit  returned = 0;
bit  all_done = 0;
byte late_touch = 0;           /* an unparker touched the parker after the return */
bit  wake_pending = 0;         /* an unparker saw 2 and owes a futex wake */
byte spurious = 0;
byte nlive = 0;                /* parties still running */

/* P7: every party ends, the waiter's return included (init sets all_done after
 * the final checks); implies <> returned. */
ltl live { <> all_done }

inline lock_acquire() { atomic { lock == 0 -> lock = 1 } }
inline lock_release() { assert(lock == 1); lock = 0 }

/* runtime/park.c:settle_as: CAS (token) -> (token & ~MASK) | outcome. */
inline settle_as(tok, outcome, won) {
    atomic {
        if
        :: word == tok ->
            word = (tok & 252) | outcome;
            won = 1;
            if
            :: (tok >> 3) == CUR_SEQ -> wins++; winner = outcome; assert(wins <= 1)
            :: else -> stale_wins++
            fi
        :: else -> won = 0
        fi
    }
}

/* runtime/park.c:outcome_of */
inline outcome_of(r) {
    if
    :: STATE(word) == TIMED_OUT -> r = R_ETIMEDOUT
    :: STATE(word) == CANCELLED -> r = R_ECANCELED
    :: else -> r = R_OK
    fi
}

/* runtime/sched.c:weft__ready: the fiber becomes runnable (any worker may resume
 * it at once). */
inline ready() {
    atomic {
        if :: !saved -> readied_unsaved++ :: else fi;
        if :: readied > 0 -> ready_twice++ :: else fi;
        readied++;
        assert(readied_unsaved == 0);
        assert(ready_twice == 0)
    }
}

#ifndef THREAD
/* runtime/park.c:weft__fiber_unpark (acquire load of the state) */
inline unpark() {
    atomic { tmp = parked; if :: returned -> late_touch++ :: else fi }
    assert(late_touch == 0);
    if
    :: tmp -> ready()
    :: else ->
        if
        :: atomic { !parked -> wake_left = 1 }   /* on the switching thread */
        :: atomic { parked -> if :: returned -> late_touch++ :: else fi }; ready()
        fi
    fi
}
#else
/* runtime/park.c:weft__parker_unpark, thread: exchange 1; futex wake if saw 2. */
inline unpark() {
    atomic {
        if :: returned -> late_touch++ :: else fi;
        tmp = sigword; sigword = 1;
        if :: tmp == 2 -> wake_pending = 1 :: else fi
    }
    assert(late_touch == 0);
    if
    :: tmp == 2 ->
        /* weft__futex_wake(&p->signal, 1): wakes the thread if it sleeps there */
        atomic { asleep = 0; wake_pending = 0 }
    :: else
    fi
}
#endif

inline finish() { atomic { nlive-- } }

#ifndef THREAD
proctype AfterSwitch() {
    byte tmp; bit res;
    saved = 1;                  /* weft__switch_finish: *w->save_slot = t.fctx */
    lock_release();             /* run_after: w->after.fn(arg) */
    if :: wake_left -> ready() :: else fi;   /* a same-thread settle left it */
    parked = 1;                 /* run_after: store PARKED (release) */
    finish()
}

proctype Waiter() {
    byte tok, tmp, r; bit won, res;
    lock_acquire();             /* the primitive's caller holds its lock */
    /* weft__parker_prepare */
    tok = (word & 248) + SEQ_ONE;
    if :: cancellable -> tok = tok | CANC :: else fi;
    word = tok | WAITING;
    /* weft__waitq_push */
    atomic { pub_tok = tok; published = 1; pub_once = 1 }
    /* weft__park: outcomes the fiber decides itself, without switching away */
    won = 0;
    if
    :: finite -> if :: settle_as(tok, TIMED_OUT, won)   /* deadline <= now */
                    :: skip                             /* not yet */
                 fi
    :: else
    fi;
    if
    :: !won && (tok & CANC) && cancelled -> settle_as(tok, CANCELLED, won)
    :: else
    fi;
    if
    :: won -> lock_release(); outcome_of(r); goto done   /* after(arg); return */
    :: else
    fi;
    if
    :: finite ->
        if
        :: atomic { tlock == 0 -> tlock = 1 };           /* weft__timer_arm */
           timer_tok = tok; armed = 1; tlock = 0
        :: settle_as(tok, TIMED_OUT, won);               /* arm failed: ENOMEM */
           if
           :: won -> lock_release(); r = R_ETIMEDOUT; goto done
           :: else
           fi
        fi
    :: else
    fi;
    /* weft__switch_out(w, f) with w->after = {PARK, f, unlock_cb, lock} */
    atomic { switched = 1; nlive++; run AfterSwitch() }
    readied > 0;                /* parked until some worker resumes it */
    assert(saved);
    if
    :: finite ->                                         /* weft__timer_disarm */
        atomic { tlock == 0 -> tlock = 1 }; armed = 0; tlock = 0
    :: else
    fi;
    outcome_of(r);
done:
    assert(wins == 1);
    assert(RET_IS_WINNER(r));
    returned = 1;
    /* weft__waitq_wait: retake the lock on failure; the caller unlinks the node
     * if no granter did (a granted node was unlinked by its granter). */
    if
    :: r != R_OK ->
        lock_acquire();
        if :: published -> published = 0 :: else fi;
        lock_release()
    :: else -> assert(!published)
    fi;
    finish()
}

proctype Timer() {
    byte tok, tmp; bit won, res;
    do
    :: atomic { tlock == 0 && armed -> tlock = 1 };   /* weft__timers_run: due */
       armed = 0;                                    /* remove_at(t, 0) */
       tok = timer_tok;
       settle_as(tok, TIMED_OUT, won);
       tlock = 0;
       if :: won -> unpark() :: else fi;
       break
    :: returned && !armed -> break     /* never armed, or disarmed: never fires */
    od;
    finish()
}

proctype Canceller() {
    byte w, tmp; bit won, res;
    cancelled = 1;              /* seq_cst store */
    w = word;                   /* seq_cst load */
    if
    :: STATE(w) == WAITING && (w & CANC) -> settle_as(w, CANCELLED, won)
    :: else -> won = 0
    fi;
    if :: won -> unpark() :: else fi;
    finish()
}

#else /* THREAD */

proctype Waiter() {
    byte tok, tmp, r, s, fr; bit won, res, dl;
    dl = finite;
    lock_acquire();
    /* weft__parker_prepare (no fiber: never cancellable) */
    tok = (word & 248) + SEQ_ONE;
    sigword = 0;
    word = tok | WAITING;
    atomic { pub_tok = tok; published = 1; pub_once = 1 }
    /* weft__park: thread: after(arg), then park_thread */
    lock_release();
    /* the spin phase: some loads of the signal word */
    if
    :: sigword == 1 -> outcome_of(r); goto done
    :: skip
    fi;
    do
    :: s = sigword;
       if
       :: s == 1 -> outcome_of(r); goto done
       :: else
       fi;
       if
       :: s == 0 ->                                      /* CAS 0 -> 2 */
           atomic {
               if
               :: sigword == 0 -> sigword = 2; won = 1
               :: else -> s = sigword; won = 0
               fi
           }
       :: else -> won = 1
       fi;
       if
       :: won ->
           /* weft__futex_wait(&p->signal, 2, deadline): sleeps iff the word is 2 */
           fr = R_OK;
           atomic { if :: sigword == 2 -> asleep = 1 :: else fi }
           if
           :: asleep ->
               if
               :: !asleep                               /* woken */
               :: atomic { asleep && dl -> asleep = 0; fr = R_ETIMEDOUT }
               :: atomic { asleep && spurious == 0 -> asleep = 0; spurious++ }
               fi
           :: else
           fi;
           if
           :: fr == R_ETIMEDOUT && dl ->
               settle_as(tok, TIMED_OUT, won);
               if
               :: won -> r = R_ETIMEDOUT; goto done
               :: else -> dl = 0          /* a waker won: its unpark is coming */
               fi
           :: else
           fi
       :: else                           /* `continue`: re-read the signal word */
       fi
    od;
done:
    assert(wins == 1);
    assert(RET_IS_WINNER(r));
    returned = 1;
    if
    :: r != R_OK ->
        lock_acquire();
        if :: published -> published = 0 :: else fi;
        lock_release()
    :: else -> assert(!published)
    fi;
    finish()
}

active proctype futex_monitor() {
end_watch:
    atomic {
        (asleep && sigword == 1 && !wake_pending) ->
            assert(!(asleep && sigword == 1 && !wake_pending))
    }
}
#endif

proctype Granter() {
    byte tok, tmp; bit won, res;
end_idle:
    pub_once;                   /* comes after the node was queued */
    lock_acquire();
    /* weft__waitq_grant: unlink (lock-protected), then settle (the CAS) */
    atomic {
        if
        :: published -> tok = pub_tok; published = 0; settle_as(tok, WOKEN, won); tok = 0
        :: else -> won = 0
        fi
    }
    lock_release();
    if :: won -> unpark() :: else fi;   /* weft__waitq_wake, outside the lock */
    finish()
}

proctype Stale() {
    byte tok, tmp; bit won, res;
    /* one step: the token is local, the CAS is the only shared access */
    atomic {
        tok = SEQ_ONE | (cancellable -> CANC : 0) | WAITING;   /* the token of wait 1 */
        settle_as(tok, WOKEN, won);
        tok = 0;
        assert(stale_wins == 0);
        if :: !won -> nlive-- :: else fi                        /* finish() */
    }
    if :: won -> unpark(); finish() :: else fi
}

init {
    /* the environment (the sparser ones first: a depth-first search then finds
     * a wait that only one party can end early) */
    if :: has_granter = 0 :: has_granter = 1 fi;
    if :: finite = 0 :: finite = 1 fi;
#ifndef THREAD
    if :: has_canceller = 1 :: has_canceller = 0 fi;
    if :: cancellable = 1 :: cancellable = 0 fi;
#endif
    /* Something must be able to end the wait (else it legitimately blocks
     * forever): the combinations where nothing can are checked with a granter. */
    if
    :: !(has_granter || finite || (has_canceller && cancellable)) -> has_granter = 1
    :: else
    fi;
    atomic {
        nlive = 2 + has_granter + has_canceller;
        run Waiter();
        run Stale();
        if :: has_granter -> run Granter() :: else fi;
#ifndef THREAD
        if :: has_canceller -> run Canceller() :: else fi;
        if :: finite -> nlive++; run Timer() :: else fi
#endif
    }
    /* every party that will run has finished (an unarmed timer never fires) */
    nlive == 0;
    assert(returned && wins == 1 && stale_wins == 0 && late_touch == 0);
    assert(readied == switched);
    assert(!published && lock == 0);
    all_done = 1
}
