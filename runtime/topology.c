/* runtime/topology.c: hwloc-backed core discovery and distance order.
 *
 * Invariant: after topo_load() has run (pthread_once), `g_topo` is read-only, so
 * every function here is safe to call from any thread without locks. Distance
 * between two cores is the depth of their deepest common ancestor in the hwloc
 * tree: a deeper ancestor (shared L2, then L3, then package, then NUMA node)
 * means closer cores. */
#include "runtime/topology.h"

#include <errno.h>
#include <hwloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define TOPO_MAX_CORES 1024

static struct {
    hwloc_topology_t topo; /* NULL in fallback mode */
    int ncores;
    hwloc_obj_t cores[TOPO_MAX_CORES];
} g_topo;

static pthread_once_t g_topo_once = PTHREAD_ONCE_INIT;

static void topo_fallback(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    g_topo.ncores = n > 0 ? (int)(n < TOPO_MAX_CORES ? n : TOPO_MAX_CORES) : 1;
}

static void topo_load(void) {
    hwloc_topology_t t;
    if (hwloc_topology_init(&t) != 0) {
        topo_fallback();
        return;
    }
    if (hwloc_topology_load(t) != 0) {
        hwloc_topology_destroy(t);
        topo_fallback();
        return;
    }
    int n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
    if (n <= 0) {
        hwloc_topology_destroy(t);
        topo_fallback();
        return;
    }
    if (n > TOPO_MAX_CORES) n = TOPO_MAX_CORES;
    for (int i = 0; i < n; i++)
        g_topo.cores[i] = hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, (unsigned)i);
    g_topo.ncores = n;
    g_topo.topo = t;
}

int weft__topology_cores(void) {
    pthread_once(&g_topo_once, topo_load);
    return g_topo.ncores;
}

static int core_affinity(int a, int b) {
    if (a == b) return 1 << 20; /* same core: closest of all */
    if (!g_topo.topo) return 0;
    hwloc_obj_t anc =
        hwloc_get_common_ancestor_obj(g_topo.topo, g_topo.cores[a], g_topo.cores[b]);
    return anc ? anc->depth : 0;
}

void weft__topology_steal_order(int nworkers, int worker, int *out) {
    int nc = weft__topology_cores();
    int k = 0;
    /* Rotation by `worker` gives each thief a different first victim among equals. */
    for (int step = 1; step < nworkers; step++)
        out[k++] = (worker + step) % nworkers;
    int me = worker % nc;
    /* Insertion sort, stable, nearest first: n is small and this runs once per worker. */
    for (int i = 1; i < k; i++) {
        int v = out[i], av = core_affinity(me, v % nc), j = i - 1;
        while (j >= 0 && core_affinity(me, out[j] % nc) < av) {
            out[j + 1] = out[j];
            j--;
        }
        out[j + 1] = v;
    }
}

int weft__topology_pin(int worker) {
    int nc = weft__topology_cores();
    if (!g_topo.topo) return -ENOTSUP;
    hwloc_obj_t core = g_topo.cores[worker % nc];
    if (hwloc_set_cpubind(g_topo.topo, core->cpuset, HWLOC_CPUBIND_THREAD) != 0)
        return -errno;
    return 0;
}
