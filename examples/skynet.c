/* examples/skynet.c: the skynet benchmark as a showcase: a tree of a million
 * fibers, each node spawning ten children and summing what they return.
 *
 *   skynet [workers] [leaves]      (defaults: one worker per core, 1000000) */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

struct node {
    int64_t num, size;
};

static void *skynet(void *p) {
    struct node *n = p;
    if (n->size == 1) return (void *)(intptr_t)n->num;
    weft_fiber_t *kids[10];
    struct node args[10];
    int64_t step = n->size / 10;
    for (int i = 0; i < 10; i++) {
        args[i].num = n->num + i * step;
        args[i].size = step;
        if (weft_spawn(&kids[i], skynet, &args[i]) != 0) abort();
    }
    int64_t sum = 0;
    for (int i = 0; i < 10; i++) {
        void *r;
        if (weft_join(kids[i], &r, WEFT_FOREVER) != 0) abort();
        sum += (int64_t)(intptr_t)r;
    }
    return (void *)(intptr_t)sum;
}

int main(int argc, char **argv) {
    weft_runtime_opts_t opts = {0};
    opts.workers = argc > 1 ? atoi(argv[1]) : 0;
    struct node root = {0, argc > 2 ? atoll(argv[2]) : 1000000};
    int64_t t0 = weft_now();
    void *result;
    int r = weft_run(&opts, skynet, &root, &result);
    int64_t t1 = weft_now();
    if (r != 0) {
        fprintf(stderr, "weft_run failed: %d\n", r);
        return 1;
    }
    int64_t expect = root.size * (root.size - 1) / 2;
    printf("skynet: sum %" PRId64 " (expected %" PRId64 ") in %.1f ms\n",
           (int64_t)(intptr_t)result, expect, (t1 - t0) / 1e6);
    return (int64_t)(intptr_t)result == expect ? 0 : 1;
}
