/* runtime/explore.c: seeded schedule exploration (see explore.h). */
#include "runtime/explore.h"

#include <stdlib.h>

#include "runtime/fiber_impl.h"
#include "runtime/worker.h"

int weft__explore_any;

uint64_t weft__explore_seed(void) {
    const char *s = getenv("WEFT_EXPLORE_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 0;
    if (seed) __atomic_store_n(&weft__explore_any, 1, __ATOMIC_RELAXED);
    return seed;
}

uint64_t weft__explore_next(weft__worker_t *w) {
    /* splitmix64: every state is valid, so any seed gives a full stream */
    uint64_t z = (w->explore_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void weft__explore_point_slow(void) {
    weft__worker_t *w = weft__worker_self();
    if (!w || !w->rt->explore || !w->current || w->explore_off) return;
    /* Between a wait's prepare and its park (a condition releasing its lock),
     * the fiber must not switch: its settler waits for the park (park.c). */
    if (weft__parker_busy(&w->current->parker)) return;
    if (weft__explore_next(w) % 4 == 0) (void)weft_yield();
}
