/* runtime/overflow.h: stack-overflow reporting (guard-page faults and canaries). */
#ifndef WEFT_RUNTIME_OVERFLOW_H
#define WEFT_RUNTIME_OVERFLOW_H

#include "weft/fiber.h"

/* Installs the process-wide SIGSEGV/SIGBUS handler once (it chains to the
 * previous handler for faults that are not fiber stack overflows). */
void weft__overflow_install(void);

/* Gives the calling worker thread an alternate signal stack (the overflowing
 * fiber's own stack is unusable inside the handler). Returns the mapping to pass
 * to weft__altstack_remove, or NULL if it could not be set up. */
void *weft__altstack_add(void);
void weft__altstack_remove(void *stack);

/* Writes "weft: fiber N overflowed its S-byte stack (how)" and aborts. */
_Noreturn void weft__overflow_report(const weft_fiber_t *f, const char *how,
                                     const void *addr);

#endif
