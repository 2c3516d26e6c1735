/* bench/workloads.h: weft's side of each benchmark, run one per process
 * (`weft_bench --one <workload> [workers] [n]`) so peak RSS is per workload. */
#ifndef WEFT_BENCH_WORKLOADS_H
#define WEFT_BENCH_WORKLOADS_H

#include <stdint.h>

typedef struct bench_result {
    double ns_per_op;  /* or total ns, bytes per fiber, an index: see the workload */
    long peak_rss_kib; /* or a count the workload names (fairness: acquisitions) */
    char note[96];     /* optional, printed after the figures; "" for none */
} bench_result_t;

/* Runs one workload; returns 0, or -1 for an unknown name. */
int bench_run_one(const char *name, int workers, long n, bench_result_t *out);

#endif
