/* runtime/futex.h: the two futex operations weft needs, on private 32-bit words.
 *
 * Contract: weft__futex_wait may return spuriously (a caller always re-checks its
 * word in a loop); it returns -ETIMEDOUT once the absolute CLOCK_MONOTONIC
 * deadline has passed (WEFT_FOREVER: no deadline), 0 otherwise. Waking an address
 * whose memory was since reused is harmless (at worst a spurious wake-up), which
 * is what lets a waker touch a waiter's word after the waiter may have left. */
#ifndef WEFT_RUNTIME_FUTEX_H
#define WEFT_RUNTIME_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

int weft__futex_wait(_Atomic uint32_t *word, uint32_t expected, int64_t deadline);
void weft__futex_wake(_Atomic uint32_t *word, int count);

#endif
