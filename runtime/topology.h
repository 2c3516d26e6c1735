/* runtime/topology.h: the machine's cores and how close they are (hwloc).
 *
 * Loaded once per process on first use and immutable afterwards. Worker i of any
 * runtime sits on core i % ncores. When hwloc reports nothing usable, the
 * fallback is sysconf(_SC_NPROCESSORS_ONLN) cores, all at the same distance, and
 * pinning is refused (-ENOTSUP). */
#ifndef WEFT_RUNTIME_TOPOLOGY_H
#define WEFT_RUNTIME_TOPOLOGY_H

/* Number of physical cores (>= 1). */
int weft__topology_cores(void);

/* Fills out[0 .. nworkers-2] with the other workers of a runtime of nworkers,
 * nearest first (same core, then deepest shared cache, then same NUMA node ...);
 * workers at equal distance are rotated by `worker` so thieves spread out. */
void weft__topology_steal_order(int nworkers, int worker, int *out);

/* Binds the calling thread to the core of `worker`. 0 or a negative errno. */
int weft__topology_pin(int worker);

#endif
