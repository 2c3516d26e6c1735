/* weft/time.h: time as int64_t nanoseconds on CLOCK_MONOTONIC, and deadlines.
 *
 * Every blocking call of weft takes an ABSOLUTE deadline:
 *   WEFT_FOREVER (-1)  waits without limit;
 *   any deadline <= weft_now(), e.g. WEFT_NOWAIT (0), tries once: the call never
 *                      blocks and never yields;
 *   weft_after(ns)     is weft_now() + ns.
 * Absolute deadlines compose: one budget can be passed down a chain of calls. */
#ifndef WEFT_TIME_H
#define WEFT_TIME_H

#include <stdint.h>
#include "weft/common.h"

#define WEFT_FOREVER ((int64_t)-1)
#define WEFT_NOWAIT  ((int64_t)0)
#define WEFT_USEC(n) ((int64_t)(n) * (int64_t)1000)
#define WEFT_MSEC(n) ((int64_t)(n) * (int64_t)1000000)
#define WEFT_SEC(n)  ((int64_t)(n) * (int64_t)1000000000)

#ifdef __cplusplus
extern "C" {
#endif

/* Nanoseconds on CLOCK_MONOTONIC. Callable from anywhere, including signal handlers. */
WEFT_API int64_t weft_now(void);

/* weft_now() + ns, saturating at INT64_MAX; a negative ns gives a deadline in the
 * past (a try). Callable from anywhere. */
WEFT_API int64_t weft_after(int64_t ns);

#ifdef __cplusplus
}
#endif
#endif
