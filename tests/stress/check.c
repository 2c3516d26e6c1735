/* tests/stress/check.c: reporting a violation, and the checks every wait shares.
 *
 * Owns the one rule of the run: the first violated invariant ends it at once,
 * with the workload, the seed, the counts so far, the participant (if any) and
 * the failed condition with the values involved, so that the run can be
 * repeated with --seed and --only. */
#include "stress.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const kind_name[] = {"fiber of runtime A", "fiber of runtime B",
                                        "plain thread"};

void st_violation(st_crew_t *c, const st_part_t *p, const char *file, int line,
                  const char *cond, long long a, long long b) {
    static _Atomic int once;
    if (atomic_exchange(&once, 1)) { /* another violation is being reported */
        for (;;)
            sched_yield();
    }
    uint64_t ops = 0, checks = atomic_load(&c->checks);
    for (int i = 0; i < c->nparts; i++) {
        ops += atomic_load_explicit(&c->parts[i].ops, memory_order_relaxed);
        checks += atomic_load_explicit(&c->parts[i].checks, memory_order_relaxed);
    }
    fprintf(stderr, "\nweft_stress: VIOLATION in workload %s (seed %llu)\n", c->w->name,
            (unsigned long long)c->seed);
    fprintf(stderr, "  %s:%d: %s  [values: %lld, %lld]\n", file, line, cond, a, b);
    if (p)
        fprintf(stderr,
                "  by participant %d (%s), its incarnation %llu, after %llu of its "
                "operations\n",
                p->index, kind_name[p->kind], (unsigned long long)p->incarnations,
                (unsigned long long)atomic_load(&p->ops));
    fprintf(stderr, "  counts so far: %llu operations, %llu checks, %llu cancels\n",
            (unsigned long long)ops, (unsigned long long)checks,
            (unsigned long long)atomic_load(&c->cancels));
    fprintf(stderr, "  repeat: weft_stress --only %s --seed %llu\n", c->w->name,
            (unsigned long long)c->seed);
    fflush(stderr);
    abort();
}

void st_check_failed_wait(st_part_t *p, int r, enum st_dl kind, int extra,
                          const char *file, int line) {
    int ok;
    st_count_check(p);
    if (r == -ETIMEDOUT) {
        ok = kind != ST_FOREVER;
        p->timeouts++;
    } else if (r == -ECANCELED) {
        ok = p->kind != ST_THREAD && kind != ST_TRY && p->shield == 0 && weft_cancelled();
        p->cancels++;
    } else {
        ok = extra != 0 && r == extra;
    }
    if (!ok)
        st_violation(p->crew, p, file, line,
                     "a wait failed with a code its deadline kind (0 try, 1 finite, 2 "
                     "forever) and its caller do not allow [values: code, kind]",
                     r, kind);
}

void st_pause(st_part_t *p) {
    if (p->kind == ST_THREAD) {
        sched_yield();
    } else { /* shielded: a cancelled fiber's yield would not switch */
        weft_shield_begin();
        weft_yield();
        weft_shield_end();
    }
}
