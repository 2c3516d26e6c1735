/* bench/idle.h: the idle-CPU workloads of weft_bench (`--one idle_cpu ...`). */
#ifndef WEFT_BENCH_IDLE_H
#define WEFT_BENCH_IDLE_H

#include "workloads.h"

/* Runs one idle workload; 0, or -1 for a name that is not one of them. */
int idle_run_one(const char *name, int workers, long n, bench_result_t *out);

#endif
