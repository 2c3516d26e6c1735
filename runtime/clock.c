/* runtime/clock.c: weft_now and weft_after (CLOCK_MONOTONIC, int64 ns). */
#include "weft/time.h"

#include <stdint.h>
#include <time.h>

int64_t weft_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t weft_after(int64_t ns) {
    int64_t now = weft_now();
    if (ns > 0 && now > INT64_MAX - ns) return INT64_MAX;
    int64_t d = now + ns;
    /* A deadline must never collide with WEFT_FOREVER (-1). */
    return d < 0 ? 0 : d;
}
