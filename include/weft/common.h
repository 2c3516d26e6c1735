/* weft/common.h: the export macro and conventions shared by every public header.
 *
 * Conventions (see docs/runtime.md): functions return 0 (or a non-negative count)
 * on success and a negative errno on failure; nothing sets errno, because a fiber
 * may resume on another thread between the call and the read.
 *
 * Signal handlers: only the calls their headers mark async-signal-safe belong
 * there. A blocking call (lock, acquire, wait, get, put, join, sleep, I/O wait)
 * made from a handler anyway is refused rather than left to hang: -EDEADLK when
 * the handler interrupted a wait of the same thread or fiber, -EPERM when it
 * runs on a worker between fibers (docs/reliability.md). */
#ifndef WEFT_COMMON_H
#define WEFT_COMMON_H

#if defined(WEFT_BUILDING_LIBRARY) && defined(__GNUC__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

#endif
