/* runtime/fls.h: fiber-local storage internals (fls.c). */
#ifndef WEFT_RUNTIME_FLS_H
#define WEFT_RUNTIME_FLS_H

#include "weft/fiber.h"

/* Runs the destructors of f's values (up to 4 rounds, as pthreads do) and frees
 * f's storage. Called on f itself when its function has returned. */
void weft__fls_exit(weft_fiber_t *f);

#endif
