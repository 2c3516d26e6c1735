/* tests/stress/main.c: the weft_stress driver: options, the workload table and
 * the report (crew.c runs each workload, on its own pair of runtimes).
 *
 *   weft_stress [--ops N] [--seed S] [--only NAME[,NAME...]] [--list]
 *
 * --ops is the total operation budget, shared among the selected workloads by
 * their weights (an operation is one call of a primitive's API by a participant;
 * the counts printed are the calls actually made: every workload makes at
 * least its share, so the total is a little above N). Without --ops: the short run of
 * the test suite (ST_SHORT_OPS, ten times smaller under a sanitizer). Without
 * --seed: a seed from the clock; it is printed, and a run repeats its choices
 * (deadline kinds, roles, counts) with the same seed, not its interleavings.
 *
 * Output: one line per workload (operations, checks, timeouts and cancellations
 * seen, grants kept by cancelled fibers, restarts of cancelled fibers, seconds),
 * then
 *   weft_stress: <ops> operations, <checks> invariant checks, 0 violations (seed S)
 * A violation or a hang aborts the run at once with its report (check.c,
 * crew.c), so that final line is only ever printed with 0 violations. */
#include "stress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const st_workload_t *const workloads[] = {
    &st_w_mutex,       &st_w_rmutex,     &st_w_sem,        &st_w_limiter,
    &st_w_queue_fifo,  &st_w_queue_lifo, &st_w_queue_prio, &st_w_cond,
    &st_w_cond_rmutex, &st_w_barrier,    &st_w_event,      &st_w_latch,
    &st_w_revent,      &st_w_countdown,  &st_w_rwlock,     &st_w_once,
};
#define NWORKLOADS ((int)(sizeof workloads / sizeof workloads[0]))

static void usage(FILE *f) {
    fprintf(f,
            "usage: weft_stress [--ops N] [--seed S] [--only NAME[,NAME...]] [--list]\n"
            "  --ops N    total operations over the selected workloads (default "
            "%llu)\n"
            "  --seed S   seed of every participant's PRNG (default: from the clock)\n"
            "  --only L   run only the workloads named in the comma-separated list\n"
            "  --list     print the workloads and their invariants, then exit\n",
            (unsigned long long)ST_SHORT_OPS);
}

static int selected(const char *only, const char *name) {
    if (!only) return 1;
    size_t n = strlen(name);
    for (const char *s = only; *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && strncmp(s, name, n) == 0) return 1;
        if (!e) break;
        s = e + 1;
    }
    return 0;
}

static int known(const char *only) {
    for (const char *s = only; *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        int found = 0;
        for (int i = 0; i < NWORKLOADS; i++)
            if (strlen(workloads[i]->name) == len &&
                strncmp(s, workloads[i]->name, len) == 0)
                found = 1;
        if (!found) {
            fprintf(stderr, "weft_stress: no workload named %.*s (see --list)\n",
                    (int)len, s);
            return 0;
        }
        if (!e) break;
        s = e + 1;
    }
    return 1;
}

int main(int argc, char **argv) {
    uint64_t ops = ST_SHORT_OPS;
    uint64_t seed = (uint64_t)weft_now() ^ ((uint64_t)getpid() << 32);
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
            double v = strtod(argv[++i], NULL); /* accepts 1e8 */
            if (v < 1) {
                usage(stderr);
                return 2;
            }
            ops = (uint64_t)v;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
            if (!known(only)) return 2;
        } else if (strcmp(argv[i], "--list") == 0) {
            for (int w = 0; w < NWORKLOADS; w++)
                printf("%-13s %s\n", workloads[w]->name, workloads[w]->invariants);
            return 0;
        } else {
            usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }

    unsigned weights = 0;
    int nsel = 0;
    for (int w = 0; w < NWORKLOADS; w++)
        if (selected(only, workloads[w]->name)) {
            weights += workloads[w]->weight;
            nsel++;
        }
    printf("weft_stress: %d workloads, %llu operations asked, seed %llu%s\n", nsel,
           (unsigned long long)ops, (unsigned long long)seed,
           ST_SANITIZED ? " (sanitizer build)" : "");
    fflush(stdout);

    uint64_t total_ops = 0, total_checks = 0;
    double total_s = 0;
    for (int w = 0; w < NWORKLOADS; w++) {
        const st_workload_t *wl = workloads[w];
        if (!selected(only, wl->name)) continue;
        uint64_t budget = ops * wl->weight / weights;
        st_result_t r;
        st_run_workload(wl, budget ? budget : 1, seed, &r);
        printf("%-12s %11llu ops %11llu checks %9llu timeouts %7llu cancelled %6llu "
               "kept %7llu restarts %7.1f s\n",
               wl->name, (unsigned long long)r.ops, (unsigned long long)r.checks,
               (unsigned long long)r.timeouts, (unsigned long long)r.cancels,
               (unsigned long long)r.kept, (unsigned long long)r.incarnations, r.seconds);
        fflush(stdout);
        total_ops += r.ops;
        total_checks += r.checks;
        total_s += r.seconds;
    }
    printf("weft_stress: %d workloads in %.1f s\n", nsel, total_s);
    printf("weft_stress: %llu operations, %llu invariant checks, 0 violations (seed "
           "%llu)\n",
           (unsigned long long)total_ops, (unsigned long long)total_checks,
           (unsigned long long)seed);
    return 0;
}
