/* weft/common.h: the export macro and conventions shared by every public header.
 *
 * Conventions (see docs/runtime.md): functions return 0 (or a non-negative count)
 * on success and a negative errno on failure; nothing sets errno, because a fiber
 * may resume on another thread between the call and the read. */
#ifndef WEFT_COMMON_H
#define WEFT_COMMON_H

#if defined(WEFT_BUILDING_LIBRARY) && defined(__GNUC__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

#endif
