/* runtime/futex.c: futex wait with an absolute monotonic deadline, and wake. */
#include "runtime/futex.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int weft__futex_wait(_Atomic uint32_t *word, uint32_t expected, int64_t deadline) {
    struct timespec ts, *tsp = NULL;
    if (deadline < -1) deadline = 0; /* below WEFT_FOREVER: already passed */
    if (deadline >= 0) {
        ts.tv_sec = deadline / 1000000000;
        ts.tv_nsec = deadline % 1000000000;
        tsp = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute timeout on CLOCK_MONOTONIC, so a wait
     * restarted after a spurious wake-up keeps the caller's deadline exactly. */
    long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                     expected, tsp, NULL, FUTEX_BITSET_MATCH_ANY);
    if (r == -1 && errno == ETIMEDOUT) return -ETIMEDOUT;
    return 0;
}

void weft__futex_wake(_Atomic uint32_t *word, int count) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
            count < 0 ? INT_MAX : count, NULL, NULL, 0);
}
