#!/usr/bin/env python3
"""tests/fuzz/gen_sync_corpus.py: writes the seed inputs of fuzz_sync into
corpus/sync/ (next to this script), one small program per scenario; with
--decode FILE... it prints what fuzz_sync will run for each input instead.

The input format is described in fuzz_sync.h: a flags byte, an 8-byte explore
seed, three configuration bytes (semaphore and countdown, queue and barrier,
limiter), then (op, arg) pairs; op = code | lane << 5, arg = deadline | shield
<< 2 | operand << 3. Rerun after changing the format:
    python3 tests/fuzz/gen_sync_corpus.py
    python3 tests/fuzz/gen_sync_corpus.py --decode crash-1234...
"""
import os
import struct
import sys

OPS = """YIELD MUTEX_LOCK MUTEX_UNLOCK RMUTEX_LOCK RMUTEX_UNLOCK SEM_ACQUIRE
SEM_RELEASE EVENT_SET EVENT_WAIT REVENT_SET REVENT_CLEAR REVENT_WAIT CD_UP CD_DOWN
CD_WAIT Q_PUT Q_GET Q_SHUTDOWN BAR_WAIT BAR_BREAK RW_RDLOCK RW_WRLOCK RW_UNLOCK
LIM_ACQUIRE LIM_RELEASE LIM_SET_TOTAL COND_WAIT COND_NOTIFY RCOND CANCEL SPAWN
JOIN""".split()
CODE = {name: i for i, name in enumerate(OPS)}
DL = {"nowait": 0, "forever": 1, "finite": 2, "past": 3}
FIFO, LIFO, PRIORITY = 0, 1, 2


def decode(data):
    """The program of an input, as fuzz_sync.c's decode() reads it."""
    data = data + bytes(max(0, 12 - len(data)))
    fibers = 1 + (data[0] >> 1 & 3)
    print(f"workers {2 if data[0] & 1 else 1}, fibers {fibers}, checkpoints "
          f"{data[0] >> 3 & 1}, revent set {data[0] >> 4 & 1}, explore seed "
          f"{struct.unpack('<Q', data[1:9])[0]}")
    s, q, lim = data[9], data[10], data[11]
    bound = s >> 2 & 3
    smax = 0 if bound == 0 else max(1, (s & 3) + bound - 1)
    print(f"sem {s & 3}/{smax or 'unbounded'}, countdown {s >> 4 & 3}, queue "
          f"{['FIFO', 'LIFO', 'PRIORITY', 'FIFO'][q & 3]} max {q >> 2 & 7}, barrier "
          f"{1 + (q >> 5 & 3)}, limiter {lim & 3}{' reentrant' if lim & 4 else ''}")
    for i in range(12, min(len(data), 12 + 2 * 256) - 1, 2):
        code, arg = data[i], data[i + 1]
        lane = code >> 5
        lane = lane % fibers if lane < 4 else lane
        dl = ["nowait", "forever", "finite", "past"][arg & 3]
        print(f"  lane {lane}: {OPS[code & 31]:<14} {dl:<7} "
              f"{'shield ' if arg & 4 and dl != 'forever' else '':<7}operand {arg >> 3}")


def op(lane, name, dl="nowait", operand=0, shield=False):
    return bytes([CODE[name] | lane << 5, DL[dl] | int(shield) << 2 | operand << 3])


def program(ops, fibers=2, two_workers=False, checkpoints=False, revent_set=False,
            seed=0, sem=(1, 0), countdown=0, queue=(FIFO, 2), parties=2,
            limiter=(1, False)):
    """sem = (initial, bound code: 0 unbounded, b: max = initial + b - 1);
    queue = (kind, maxsize 0..7); limiter = (total, reentrant)."""
    flags = (int(two_workers) | (fibers - 1) << 1 | int(checkpoints) << 3
             | int(revent_set) << 4)
    cfg = bytes([
        sem[0] | sem[1] << 2 | countdown << 4,
        queue[0] | queue[1] << 2 | (parties - 1) << 5,
        limiter[0] | int(limiter[1]) << 2,
    ])
    return bytes([flags]) + struct.pack("<Q", seed) + cfg + b"".join(ops)


def locked(lane, lock, unlock, dl="forever", inner=()):
    return [op(lane, lock, dl), *inner, op(lane, "YIELD"), op(lane, unlock)]


S = {}

# Mutual exclusion under contention, each fiber locking three times.
S["mutex_contention"] = program(
    [o for _ in range(3) for lane in range(3)
     for o in locked(lane, "MUTEX_LOCK", "MUTEX_UNLOCK")], fibers=3, seed=7)
# Misuse: re-lock (EDEADLK), unlock by a non-owner (EPERM), tries and deadlines.
S["mutex_misuse"] = program([
    op(0, "MUTEX_LOCK", "forever"), op(0, "MUTEX_LOCK", "nowait"),
    op(1, "MUTEX_UNLOCK"), op(1, "MUTEX_LOCK", "finite", 3),
    op(1, "MUTEX_LOCK", "past"), op(0, "YIELD"), op(0, "MUTEX_UNLOCK"),
    op(0, "MUTEX_UNLOCK")])
# Nested rmutex and its condition: a waiter gets its depth back.
S["rmutex_cond"] = program([
    op(0, "RMUTEX_LOCK", "forever"), op(0, "RMUTEX_LOCK", "forever"),
    op(0, "RCOND", "forever"), op(0, "RMUTEX_UNLOCK"), op(0, "RMUTEX_UNLOCK"),
    op(1, "RMUTEX_LOCK", "forever"), op(1, "RCOND", "nowait", 1),
    op(1, "RMUTEX_UNLOCK"), op(1, "RCOND", "nowait")], seed=3)
# A bounded semaphore: contention, give-backs, an over-release that overflows.
S["sem_bounded"] = program(
    [op(lane, n, "forever") for lane in range(3)
     for n in ("SEM_ACQUIRE", "YIELD", "SEM_RELEASE")]
    + [op(0, "SEM_RELEASE", operand=2), op(1, "SEM_RELEASE", operand=3),
       op(2, "SEM_ACQUIRE", "finite", 5)], fibers=3, sem=(1, 2))
# Permits handed to waiters that are cancelled at the same time.
S["sem_cancel_race"] = program([
    op(0, "SEM_ACQUIRE", "forever"), op(1, "SEM_ACQUIRE", "forever"),
    op(2, "SEM_ACQUIRE", "forever"), op(2, "SEM_ACQUIRE", "forever"),
    op(0, "CANCEL", operand=1), op(0, "SEM_RELEASE", operand=1),
    op(0, "CANCEL", operand=2), op(0, "SEM_RELEASE")],
    fibers=3, sem=(1, 0), seed=11)
# One-time event: waiters of every kind of deadline, then the set.
S["event"] = program([
    op(1, "EVENT_WAIT", "forever"), op(2, "EVENT_WAIT", "finite", 7),
    op(2, "EVENT_WAIT", "nowait"), op(0, "YIELD"), op(0, "EVENT_SET"),
    op(0, "EVENT_SET"), op(1, "EVENT_WAIT", "past")], fibers=3)
# Reusable event: set and clear racing waits.
S["revent"] = program([
    op(1, "REVENT_WAIT", "forever"), op(2, "REVENT_WAIT", "forever"),
    op(0, "REVENT_SET"), op(0, "REVENT_CLEAR"), op(1, "REVENT_WAIT", "nowait"),
    op(0, "REVENT_SET"), op(2, "REVENT_CLEAR"), op(2, "REVENT_WAIT", "finite", 2)],
    fibers=3, revent_set=True, seed=5)
# Countdown: ups, downs to zero, a wait released by the last down, a clear.
S["countdown"] = program([
    op(1, "CD_WAIT", "forever"), op(0, "CD_UP", operand=2), op(0, "CD_DOWN"),
    op(0, "YIELD"), op(0, "CD_DOWN"), op(0, "CD_DOWN"), op(0, "CD_DOWN"),
    op(1, "CD_WAIT", "nowait"), op(1, "CD_UP", operand=1), op(1, "CD_DOWN", operand=1)],
    countdown=1)
# Queues: producers and consumers on a bounded queue of each kind.
for kind, name in ((FIFO, "fifo"), (LIFO, "lifo"), (PRIORITY, "priority")):
    S["queue_" + name] = program(
        [op(0, "Q_PUT", "forever") for _ in range(5)]
        + [op(1, "Q_PUT", "forever") for _ in range(4)]
        + [op(2, "Q_GET", "forever"), op(2, "YIELD"), op(2, "Q_GET", "finite", 4),
           op(2, "Q_GET", "nowait")], fibers=3, queue=(kind, 2), seed=kind + 20)
# Shutdown while getters and putters wait (drain, then immediate).
S["queue_shutdown"] = program([
    op(0, "Q_PUT", "forever"), op(0, "Q_PUT", "forever"), op(0, "Q_PUT", "forever"),
    op(1, "Q_GET", "forever"), op(2, "Q_SHUTDOWN", operand=0x1e),
    op(2, "Q_PUT", "nowait"), op(1, "Q_GET", "forever"), op(1, "Q_GET", "forever")],
    fibers=3, queue=(FIFO, 1))
S["queue_shutdown_now"] = program([
    op(0, "Q_PUT", "nowait"), op(0, "Q_PUT", "nowait"), op(1, "Q_GET", "forever"),
    op(0, "Q_SHUTDOWN", operand=0x1f), op(1, "Q_GET", "forever")],
    queue=(LIFO, 0))
# Barrier of three: a generation released, one broken by a try, a reset.
S["barrier"] = program(
    [op(lane, "BAR_WAIT", "forever") for lane in range(3)]
    + [op(0, "BAR_WAIT", "nowait"), op(1, "BAR_WAIT", "forever"),
       op(2, "BAR_BREAK", operand=1)]
    + [op(lane, "BAR_WAIT", "finite", 9) for lane in range(3)],
    fibers=3, parties=3, seed=9)
# Readers and writers, misuse included (EDEADLK, EPERM).
S["rwlock"] = program([
    op(0, "RW_RDLOCK", "forever"), op(1, "RW_RDLOCK", "forever"),
    op(2, "RW_WRLOCK", "forever"), op(3, "RW_RDLOCK", "forever"), op(0, "RW_UNLOCK"),
    op(1, "YIELD"), op(1, "RW_UNLOCK"), op(2, "RW_RDLOCK", "nowait"),
    op(2, "RW_WRLOCK", "nowait"), op(2, "RW_UNLOCK"), op(3, "RW_UNLOCK"),
    op(3, "RW_UNLOCK")], fibers=4, seed=13)
# Limiters: non-reentrant (EDEADLK), reentrant, total changed while waited on.
S["limiter"] = program([
    op(0, "LIM_ACQUIRE", "forever"), op(0, "LIM_ACQUIRE", "nowait"),
    op(1, "LIM_ACQUIRE", "forever"), op(2, "LIM_SET_TOTAL", operand=2),
    op(2, "LIM_RELEASE"), op(0, "LIM_RELEASE"), op(1, "LIM_RELEASE"),
    op(2, "LIM_SET_TOTAL", operand=0), op(2, "LIM_ACQUIRE", "finite", 3)],
    fibers=3, limiter=(1, False))
S["limiter_reentrant"] = program([
    op(0, "LIM_ACQUIRE", "forever"), op(0, "LIM_ACQUIRE", "forever"),
    op(1, "LIM_ACQUIRE", "forever"), op(0, "LIM_RELEASE"), op(0, "YIELD"),
    op(0, "LIM_RELEASE"), op(1, "LIM_RELEASE")], limiter=(1, True), seed=17)
# Condition with a predicate: waiters need the state to reach 1 and 2.
S["cond_predicate"] = program([
    op(1, "MUTEX_LOCK", "forever"), op(1, "COND_WAIT", "forever", 1 | 1 << 1),
    op(1, "MUTEX_UNLOCK"),
    op(2, "MUTEX_LOCK", "forever"), op(2, "COND_WAIT", "forever", 1 | 2 << 1),
    op(2, "MUTEX_UNLOCK"),
    op(0, "MUTEX_LOCK", "forever"), op(0, "COND_NOTIFY", operand=1 | 3 << 1),
    op(0, "MUTEX_UNLOCK"), op(0, "MUTEX_LOCK", "forever"),
    op(0, "COND_NOTIFY", operand=1 | 1 << 1), op(0, "MUTEX_UNLOCK"),
    op(0, "COND_WAIT", "nowait")], fibers=3, seed=23)
# A notified waiter whose predicate a lock holder queued ahead of it makes
# false again: it must re-check once it owns the lock. Explore seed 238 gives
# that interleaving (a cond.c without the re-check fails on it).
for seed in (0, 238):
    S["cond_recheck_%d" % seed] = program([
        op(1, "MUTEX_LOCK", "forever"), op(1, "COND_WAIT", "forever", 1 | 1 << 1),
        op(1, "MUTEX_UNLOCK"),
        op(0, "YIELD"), op(0, "MUTEX_LOCK", "forever"), op(0, "YIELD"),
        op(0, "COND_NOTIFY", operand=1 | 1 << 1), op(0, "MUTEX_UNLOCK"),
        op(2, "YIELD"), op(2, "MUTEX_LOCK", "forever"),
        op(2, "COND_NOTIFY", operand=16), op(2, "MUTEX_UNLOCK")],
        fibers=3, seed=seed)
# Cancellation: of a blocked fiber, of oneself, shielded calls.
S["cancel"] = program([
    op(1, "EVENT_WAIT", "forever"), op(1, "MUTEX_LOCK", "forever"),
    op(1, "SEM_ACQUIRE", "nowait"), op(0, "CANCEL", operand=1),
    op(0, "CANCEL", operand=2), op(0, "YIELD"), op(0, "MUTEX_LOCK", "finite", shield=True),
    op(0, "YIELD", shield=True), op(0, "MUTEX_UNLOCK")], sem=(0, 0))
# Children: spawned, joined with deadlines, cancelled, left for the exit join.
S["spawn_join"] = (program([
    op(0, "SPAWN", operand=0), op(0, "SPAWN", operand=1), op(0, "JOIN", "nowait"),
    op(0, "EVENT_SET"), op(0, "JOIN", "forever"), op(0, "JOIN", "finite"),
    op(1, "SPAWN", operand=2), op(1, "JOIN", operand=1),
    op(4, "EVENT_WAIT", "forever"), op(4, "MUTEX_LOCK", "forever"),
    op(4, "MUTEX_UNLOCK"), op(5, "SEM_ACQUIRE", "forever"), op(5, "Q_PUT", "forever"),
    op(6, "Q_GET", "forever"), op(6, "CANCEL", operand=0)]))
# A lock-order deadlock: both wait forever until the stall is broken by cancels.
S["deadlock"] = program([
    op(0, "MUTEX_LOCK", "forever"), op(1, "RMUTEX_LOCK", "forever"), op(0, "YIELD"),
    op(0, "RMUTEX_LOCK", "forever"), op(1, "MUTEX_LOCK", "forever")], seed=29)
# The same kinds of programs on two workers, and with checkpoints.
S["two_workers_mix"] = program(
    [op(lane, n, "forever") for lane in range(4)
     for n in ("MUTEX_LOCK", "MUTEX_UNLOCK", "SEM_ACQUIRE", "Q_PUT", "SEM_RELEASE",
               "Q_GET", "RW_RDLOCK", "RW_UNLOCK", "BAR_WAIT")],
    fibers=4, two_workers=True, sem=(2, 2), queue=(FIFO, 3), parties=4)
S["checkpoints_mix"] = program(
    [op(lane, n, dl) for lane in range(3)
     for n, dl in (("MUTEX_LOCK", "forever"), ("EVENT_WAIT", "nowait"),
                   ("LIM_ACQUIRE", "forever"), ("YIELD", "nowait"),
                   ("LIM_RELEASE", "nowait"), ("MUTEX_UNLOCK", "nowait"),
                   ("CD_WAIT", "forever"))]
    + [op(0, "EVENT_SET")], fibers=3, checkpoints=True, seed=31)

if len(sys.argv) > 2 and sys.argv[1] == "--decode":
    for path in sys.argv[2:]:
        print(path)
        with open(path, "rb") as f:
            decode(f.read())
    sys.exit(0)

# (corpus/sync/regress_* are inputs fuzz_sync found, kept as they are.)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "sync")
os.makedirs(out, exist_ok=True)
for name, data in sorted(S.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(S)} inputs to {out}")
