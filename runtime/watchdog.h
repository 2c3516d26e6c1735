/* runtime/watchdog.h: deadlock and hang reports (weft_runtime_opts_t.watchdog).
 *
 * With the option on, the runtime keeps a list of its live fibers and runs one
 * watchdog thread, which wakes every quarter of the threshold and reports:
 *   - a fiber that has held its worker for the threshold without switching
 *     (a CPU loop without weft_yield, or a blocking system call);
 *   - a runtime whose fibers have all been asleep for the threshold with nothing
 *     inside the runtime that could wake them: every worker idle, no timer
 *     armed, no fiber waiting for I/O, no extension busy (an offload call
 *     queued or running: runtime/ext.h), no fiber injected. Like Go's "all
 *     goroutines are asleep", with a dump of each fiber and what it waits on.
 *     A plain thread or another runtime could still wake one, which the
 *     runtime cannot see: the report says so.
 * Each condition is reported once per occurrence (again only after progress).
 * Parked fibers name what they wait on through weft__parker_note (park.h). */
#ifndef WEFT_RUNTIME_WATCHDOG_H
#define WEFT_RUNTIME_WATCHDOG_H

#include "weft/fiber.h"
#include "weft/runtime.h"

/* Starts the watchdog thread of rt if its option is on: 0 or -EAGAIN. */
int weft__watchdog_start(weft_runtime_t *rt);
/* Stops and joins it (before the runtime is freed). */
void weft__watchdog_stop(weft_runtime_t *rt);

/* The live-fiber list (only while the option is on). */
void weft__watchdog_fiber_add(weft_fiber_t *f);
void weft__watchdog_fiber_remove(weft_fiber_t *f);

#endif
