/* bench/weft_bench.c: prints one table of weft's figures beside baselines and
 * peers measured in the same run, with the ratios the issues set targets for.
 *
 *   weft_bench [--reps N] [--full]     the table (median of N runs, default 3)
 *   weft_bench --one WORKLOAD [WORKERS] [N]   one weft workload (used by the table)
 *
 * Every figure comes from a separate process, so peak RSS is per workload. Peers
 * (Go, Boost.Fiber) are run when they were built (bench/peers/); their paths can
 * be overridden with WEFT_PEER_GO / WEFT_PEER_BOOST_FIBER in the environment.
 * --full adds Boost.Fiber's skynet on one thread (about 12 s and 10 GiB here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workloads.h"

static char g_self[4096];
static int g_reps = 3;

typedef struct fig {
    int ok;
    double v; /* median */
    long rss; /* max peak RSS over the runs, KiB */
} fig_t;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *peer_path(const char *env, const char *built) {
    const char *p = getenv(env);
    if (p && *p) return p;
    return built;
}

/* Runs `prog workload workers [n]` reps times; parses "<name> <value> <rss>". */
static fig_t measure(const char *prog, const char *pre, const char *workload, int workers,
                     long n, int reps) {
    fig_t f = {0, 0, 0};
    if (!prog || !*prog || access(prog, X_OK) != 0) return f;
    double vals[16];
    int got = 0;
    if (reps > 16) reps = 16;
    for (int i = 0; i < reps; i++) {
        char cmd[8192];
        if (n > 0)
            snprintf(cmd, sizeof cmd, "'%s' %s %s %d %ld", prog, pre, workload, workers,
                     n);
        else
            snprintf(cmd, sizeof cmd, "'%s' %s %s %d", prog, pre, workload, workers);
        FILE *p = popen(cmd, "r");
        if (!p) continue;
        char name[64];
        double v;
        long rss;
        if (fscanf(p, "%63s %lf %ld", name, &v, &rss) == 3) {
            vals[got++] = v;
            if (rss > f.rss) f.rss = rss;
        }
        pclose(p);
    }
    if (!got) return f;
    qsort(vals, (size_t)got, sizeof vals[0], cmp_double);
    f.ok = 1;
    f.v = vals[got / 2];
    return f;
}

static fig_t weft(const char *w, int workers, long n, int reps) {
    return measure(g_self, "--one", w, workers, n, reps);
}

static void cell(char *buf, size_t len, fig_t f, const char *unit, double scale) {
    if (!f.ok)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.1f %s", f.v / scale, unit);
}

static void ratio(char *buf, size_t len, fig_t a, fig_t b) {
    if (!a.ok || !b.ok || b.v == 0)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.2fx", a.v / b.v);
}

static void row(const char *what, fig_t w, fig_t base, fig_t go, fig_t bf,
                const char *unit, double scale, const char *target) {
    char a[32], b[32], c[32], d[32], r1[16], r2[16], r3[16];
    cell(a, sizeof a, w, unit, scale);
    cell(b, sizeof b, base, unit, scale);
    cell(c, sizeof c, go, unit, scale);
    cell(d, sizeof d, bf, unit, scale);
    ratio(r1, sizeof r1, w, base);
    ratio(r2, sizeof r2, w, go);
    ratio(r3, sizeof r3, w, bf);
    printf("| %-34s | %12s | %12s | %12s | %12s | %7s | %7s | %7s | %-8s |\n", what, a, b,
           c, d, r1, r2, r3, target);
}

static void rss_row(const char *what, fig_t w, fig_t go, fig_t bf) {
    char a[32], c[32], d[32], r2[16], r3[16];
    fig_t wr = {w.ok, (double)w.rss, 0}, gr = {go.ok, (double)go.rss, 0},
          br = {bf.ok, (double)bf.rss, 0};
    cell(a, sizeof a, wr, "MiB", 1024);
    cell(c, sizeof c, gr, "MiB", 1024);
    cell(d, sizeof d, br, "MiB", 1024);
    ratio(r2, sizeof r2, wr, gr);
    ratio(r3, sizeof r3, wr, br);
    printf("| %-34s | %12s | %12s | %12s | %12s | %7s | %7s | %7s | %-8s |\n", what, a,
           "", c, d, "", r2, r3, "<= 1.0x");
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "--one")) {
        bench_result_t r;
        int workers = argc > 3 ? atoi(argv[3]) : 1;
        long n = argc > 4 ? atol(argv[4]) : 0;
        if (bench_run_one(argv[2], workers, n, &r) != 0) {
            fprintf(stderr, "unknown workload %s\n", argv[2]);
            return 2;
        }
        printf("%s %.2f %ld\n", argv[2], r.ns_per_op, r.peak_rss_kib);
        return 0;
    }
    int full = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            g_reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--full"))
            full = 1;
        else {
            fprintf(stderr, "usage: %s [--reps N] [--full]\n", argv[0]);
            return 2;
        }
    }
    if (g_reps < 1) g_reps = 1;
    ssize_t len = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    if (len <= 0) return 1;
    g_self[len] = 0;
    const char *go = peer_path("WEFT_PEER_GO", WEFT_PEER_GO);
    const char *bf = peer_path("WEFT_PEER_BOOST_FIBER", WEFT_PEER_BOOST_FIBER);
    fig_t none = {0, 0, 0};

    printf("weft_bench: median of %d runs each; ratios are weft / column, same run\n\n",
           g_reps);
    printf("| %-34s | %12s | %12s | %12s | %12s | %7s | %7s | %7s | %-8s |\n", "workload",
           "weft", "baseline", "Go", "Boost.Fiber", "/base", "/Go", "/Boost", "target");
    printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------",
           "--------------", "--------------", "--------------", "--------------",
           "---------", "---------", "---------", "----------");

    fig_t fc = weft("fcontext", 1, 0, g_reps);
    row("yield round trip, 1 worker", weft("yield", 1, 0, g_reps), fc,
        measure(go, "", "yield", 1, 0, g_reps), measure(bf, "", "yield", 1, 0, g_reps),
        "ns", 1, "Go<=0.4x");
    fig_t pt = weft("pthread_spawn", 1, 0, g_reps);
    row("spawn+join, 1 worker", weft("spawn", 1, 0, g_reps), pt,
        measure(go, "", "spawn", 1, 0, g_reps), measure(bf, "", "spawn", 1, 0, g_reps),
        "ns", 1, "Go<=0.3x");
    row("spawn+join, 2 workers", weft("spawn", 2, 0, g_reps), pt,
        measure(go, "", "spawn", 2, 0, g_reps), measure(bf, "", "spawn", 2, 0, g_reps),
        "ns", 1, "Go<=0.3x");
    for (int workers = 1; workers <= 2; workers++) {
        fig_t w = weft("skynet", workers, 0, g_reps);
        fig_t g = measure(go, "", "skynet", workers, 0, g_reps);
        fig_t b =
            (workers == 2 || full) ? measure(bf, "", "skynet", workers, 0, 1) : none;
        char what[64];
        snprintf(what, sizeof what, "skynet 1M, %d worker%s, time", workers,
                 workers > 1 ? "s" : "");
        row(what, w, none, g, b, "ms", 1e6, workers == 2 ? "Go<=0.5x" : "");
        snprintf(what, sizeof what, "skynet 1M, %d worker%s, peak RSS", workers,
                 workers > 1 ? "s" : "");
        rss_row(what, w, g, b);
    }
    fig_t parked = weft("parked", 2, 0, 1);
    char a[32], b[32];
    cell(a, sizeof a, parked, "B", 1);
    snprintf(b, sizeof b, "%.0f MiB", parked.ok ? (double)parked.rss / 1024 : 0.0);
    printf("| %-34s | %12s | %12s | %12s | %12s | %7s | %7s | %7s | %-8s |\n",
           "1M parked fibers: RSS per fiber", a, b, "", "", "", "", "", "fits");
    printf(
        "\nbaseline: yield vs a raw jump_fcontext pair; spawn vs pthread_create+join.\n");
    printf("the parked row's baseline column is the process's peak RSS.\n");
    return 0;
}
