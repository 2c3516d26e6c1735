/* bench/weft_bench.c: prints one table of weft's figures beside baselines and
 * peers measured in the same run, with the ratios the issues set targets for.
 *
 *   weft_bench [--reps N] [--full] [--quick] [--only SECTION]   the table
 *   weft_bench --one WORKLOAD [WORKERS] [N]   one weft workload (used by the table)
 *
 * Every figure comes from a separate process, so peak RSS is per workload. Peers
 * (Go, Boost.Fiber) are run when they were built (bench/peers/); their paths can
 * be overridden with WEFT_PEER_GO / WEFT_PEER_BOOST_FIBER in the environment.
 * --full adds Boost.Fiber's skynet on one thread (about 12 s and 10 GiB here).
 *
 * The table has three sections: the runtime (spawn, yield, skynet, parked fibers),
 * "sync" (mutex, semaphore ping-pong, fairness, a 2+2 bounded queue, an event
 * broadcast; see workloads.c), which adds a note column, and "servers" (the example
 * servers under wrk and redis-benchmark beside peer servers, and idle CPU; see
 * servers.c). --only runtime|sync|servers prints one of them; --quick shortens the
 * server runs (as does CI in the environment); --reps does not apply to them. A
 * --one process prints "<workload> <value> <rss> [note]"; the table keeps the
 * median value with that run's note. The figures of one row (one group of
 * rows sharing a baseline) are measured INTERLEAVED, one run of each in turn
 * (weft, baseline, Go, Boost, weft, ...), and a ratio is the median of the
 * per-round ratios: this machine's speed drifts by up to 1.8x over minutes,
 * and a drift then moves both sides of a ratio alike instead of one. A --one run that has
 * not finished after 120 s (a hang) exits 3 with a message, and its cell reads n/a. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idle.h"
#include "servers.h"
#include "workloads.h"

static char g_self[4096];
static int g_reps = 3;

typedef struct fig {
    int ok;        /* 1 measured, 0 failed ("n/a"), -1 not applicable (blank) */
    double v;      /* median */
    long rss;      /* max peak RSS over the runs, KiB */
    long med_rss;  /* the RSS field of the median run (a count for some workloads) */
    char note[96]; /* the optional note of the median run */
    int set;       /* > 0: measured interleaved with the other figures of this set */
    int nrounds;
    double round[16]; /* the value of each round (0: that run failed) */
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

struct run {
    double v;
    long rss;
    char note[96];
};

/* Runs `prog [pre] workload workers [n]` once and parses "<name> <value> <rss>
 * [note]" into r; 1 on success. */
static int run_once(const char *prog, const char *pre, const char *workload, int workers,
                    long n, struct run *r) {
    if (!prog || !*prog || access(prog, X_OK) != 0) return 0;
    char cmd[8192];
    if (n > 0)
        snprintf(cmd, sizeof cmd, "'%s' %s %s %d %ld", prog, pre, workload, workers, n);
    else
        snprintf(cmd, sizeof cmd, "'%s' %s %s %d", prog, pre, workload, workers);
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    char line[512], name[64];
    int off = 0, ok = 0;
    if (fgets(line, sizeof line, p) &&
        sscanf(line, "%63s %lf %ld %n", name, &r->v, &r->rss, &off) == 3) {
        snprintf(r->note, sizeof r->note, "%s", line + off);
        r->note[strcspn(r->note, "\n")] = 0;
        ok = 1;
    }
    pclose(p);
    return ok;
}

/* The median of `got` runs, with that run's rss field and note. */
static fig_t summarize(const struct run *runs, int got) {
    fig_t f;
    memset(&f, 0, sizeof f);
    if (!got) return f;
    double vals[16];
    for (int i = 0; i < got; i++) {
        vals[i] = runs[i].v;
        if (runs[i].rss > f.rss) f.rss = runs[i].rss;
    }
    qsort(vals, (size_t)got, sizeof vals[0], cmp_double);
    f.ok = 1;
    f.v = vals[got / 2];
    for (int i = 0; i < got; i++)
        if (runs[i].v == f.v) {
            f.med_rss = runs[i].rss;
            memcpy(f.note, runs[i].note, sizeof f.note);
            break;
        }
    return f;
}

/* Runs `prog workload workers [n]` reps times; the median value with its run's
 * rss field and note. */
static fig_t measure(const char *prog, const char *pre, const char *workload, int workers,
                     long n, int reps) {
    struct run runs[16];
    int got = 0;
    if (reps > 16) reps = 16;
    for (int i = 0; i < reps; i++)
        if (run_once(prog, pre, workload, workers, n, &runs[got])) got++;
    return summarize(runs, got);
}

/* One figure of an interleaved set: a weft workload (prog NULL) or a peer's. */
typedef struct spec {
    const char *prog; /* NULL: weft itself (--one) */
    const char *workload;
    int workers;
    long n;
    fig_t *out;
} spec_t;

/* Measures the k figures round by round (one run of each per round), so a
 * drift of the machine's speed hits every figure of the set alike; ratio()
 * pairs the rounds of two figures of one set. A spec whose peer is absent
 * (prog "") gets ok 0 ("n/a"). */
static void measure_set(spec_t *s, int k, int reps) {
    static int sets;
    int set = ++sets;
    struct run runs[8][16];
    int got[8] = {0};
    double round[8][16];
    if (reps > 16) reps = 16;
    if (k > 8) k = 8;
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < k; i++) {
            const char *prog = s[i].prog ? s[i].prog : g_self;
            const char *pre = s[i].prog ? "" : "--one";
            round[i][r] = 0;
            if (run_once(prog, pre, s[i].workload, s[i].workers, s[i].n,
                         &runs[i][got[i]]))
                round[i][r] = runs[i][got[i]++].v;
        }
    for (int i = 0; i < k; i++) {
        *s[i].out = summarize(runs[i], got[i]);
        s[i].out->set = set;
        s[i].out->nrounds = reps;
        memcpy(s[i].out->round, round[i], sizeof(double) * (size_t)reps);
    }
}

static fig_t weft(const char *w, int workers, long n, int reps) {
    return measure(g_self, "--one", w, workers, n, reps);
}

static void cellp(char *buf, size_t len, fig_t f, const char *unit, double scale,
                  int prec) {
    if (f.ok < 0)
        snprintf(buf, len, "%s", "");
    else if (!f.ok)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.*f%s%s", prec, f.v / scale, *unit ? " " : "", unit);
}

static void cell(char *buf, size_t len, fig_t f, const char *unit, double scale) {
    cellp(buf, len, f, unit, scale, 1);
}

static void ratio(char *buf, size_t len, fig_t a, fig_t b) {
    if (a.ok < 0 || b.ok < 0)
        snprintf(buf, len, "%s", "");
    else if (!a.ok || !b.ok || b.v == 0)
        snprintf(buf, len, "n/a");
    else if (a.set && a.set == b.set) {
        /* The same set: the median of the per-round ratios. */
        double r[16];
        int n = 0;
        for (int i = 0; i < a.nrounds; i++)
            if (a.round[i] > 0 && b.round[i] > 0) r[n++] = a.round[i] / b.round[i];
        qsort(r, (size_t)n, sizeof r[0], cmp_double);
        snprintf(buf, len, "%.2fx", n ? r[n / 2] : a.v / b.v);
    } else
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
    fig_t wr = w, gr = go, br = bf;
    wr.v = (double)w.rss;
    gr.v = (double)go.rss;
    br.v = (double)bf.rss;
    cell(a, sizeof a, wr, "MiB", 1024);
    cell(c, sizeof c, gr, "MiB", 1024);
    cell(d, sizeof d, br, "MiB", 1024);
    ratio(r2, sizeof r2, wr, gr);
    ratio(r3, sizeof r3, wr, br);
    printf("| %-34s | %12s | %12s | %12s | %12s | %7s | %7s | %7s | %-8s |\n", what, a,
           "", c, d, "", r2, r3, "<= 1.0x");
}

/* The "sync" section: the columns of the first table plus a note. */
static void sync_header(void) {
    printf("\nsync\n\n");
    printf("| %-47s | %12s | %12s | %12s | %12s | %7s | %7s | %7s | %-11s | %-46s |\n",
           "workload", "weft", "baseline", "Go", "Boost.Fiber", "/base", "/Go", "/Boost",
           "target", "note");
    printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n",
           "-------------------------------------------------", "--------------",
           "--------------", "--------------", "--------------", "---------", "---------",
           "---------", "-------------",
           "------------------------------------------------");
}

static void sync_row(const char *what, fig_t w, fig_t base, fig_t go, fig_t bf,
                     const char *unit, int prec, const char *target, const char *note) {
    char a[32], b[32], c[32], d[32], r1[16], r2[16], r3[16];
    cellp(a, sizeof a, w, unit, 1, prec);
    cellp(b, sizeof b, base, unit, 1, prec);
    cellp(c, sizeof c, go, unit, 1, prec);
    cellp(d, sizeof d, bf, unit, 1, prec);
    ratio(r1, sizeof r1, w, base);
    ratio(r2, sizeof r2, w, go);
    ratio(r3, sizeof r3, w, bf);
    printf("| %-47s | %12s | %12s | %12s | %12s | %7s | %7s | %7s | %-11s | %-46s |\n",
           what, a, b, c, d, r1, r2, r3, target, note ? note : "");
}

static void sync_table(const char *go, const char *bf) {
    fig_t blank;
    memset(&blank, 0, sizeof blank);
    blank.ok = -1;
    int R = g_reps;
    sync_header();

    const char *g = go ? go : "", *b = bf ? bf : "";

    /* Uncontended lock+unlock pairs. */
    fig_t pm, mf, mt, mgo, mbf;
    spec_t su[] = {{NULL, "mutex_fiber", 1, 0, &mf},
                   {NULL, "pthread_mutex", 1, 0, &pm},
                   {g, "mutex_uncontended", 1, 0, &mgo},
                   {b, "mutex_uncontended", 1, 0, &mbf},
                   {NULL, "mutex_thread", 1, 0, &mt}};
    measure_set(su, 5, R);
    sync_row("mutex lock+unlock, uncontended, fiber", mf, pm, mgo, mbf, "ns", 1, "<=1.2x",
             "");
    sync_row("mutex lock+unlock, uncontended, thread", mt, pm, blank, blank, "ns", 1,
             "<=1.2x", "");

    /* 4 fibers {lock; yield; unlock}. */
    for (int workers = 1; workers <= 2; workers++) {
        long n = workers == 1 ? 1000000 : 500000;
        char what[64];
        snprintf(what, sizeof what, "mutex4 {lock;yield;unlock}, %d worker%s", workers,
                 workers > 1 ? "s" : "");
        fig_t w4, g4, b4;
        spec_t s4[] = {{NULL, "mutex4", workers, n, &w4},
                       {g, "mutex4", workers, n, &g4},
                       {b, "mutex4", workers, n, &b4}};
        measure_set(s4, 3, R);
        sync_row(what, w4, blank, g4, b4, "ns", 1, workers == 1 ? "Boost<=0.5x" : "", "");
    }

    /* Ping-pong through two semaphores: ns per round trip. */
    fig_t px, ff1, go1, bf1, ff2, go2, bf2, ff2rt, ft, tt;
    spec_t sp[] = {
        {NULL, "pingpong_posix", 1, 50000, &px}, {NULL, "pingpong_ff1", 1, 1000000, &ff1},
        {g, "pingpong_chan", 1, 1000000, &go1},  {b, "pingpong_chan", 1, 1000000, &bf1},
        {NULL, "pingpong_ft", 1, 50000, &ft},    {NULL, "pingpong_ff2", 2, 300000, &ff2},
        {g, "pingpong_chan", 2, 300000, &go2},   {b, "pingpong_chan", 2, 300000, &bf2}};
    measure_set(sp, 8, R);
    spec_t sp2[] = {{NULL, "pingpong_ff2rt", 1, 50000, &ff2rt},
                    {NULL, "pingpong_tt", 1, 100000, &tt}};
    measure_set(sp2, 2, R);
    sync_row("ping-pong fiber<->fiber, 1 worker", ff1, px, go1, bf1, "ns", 1, "Go<=0.25x",
             ff1.note);
    sync_row("ping-pong fiber<->fiber, 2 workers, start apart", ff2, px, go2, bf2, "ns",
             1, "", ff2.note);
    sync_row("ping-pong fiber<->fiber, two 1-worker runtimes", ff2rt, px, blank, blank,
             "ns", 1, "", ff2rt.note);
    sync_row("ping-pong fiber (1 worker)<->thread", ft, px, blank, blank, "ns", 1,
             "posix<=1.0x", ft.note);
    sync_row("ping-pong thread<->thread (weft_sem_t)", tt, px, blank, blank, "ns", 1, "",
             tt.note);

    /* Fairness: Jain's index over 8 contenders. */
    fig_t fw, fp;
    spec_t sf[] = {{NULL, "fairness", 2, 500, &fw},
                   {NULL, "fairness_pthread", 2, 500, &fp}};
    measure_set(sf, 2, R);
    sync_row("fairness: Jain index, 4 fibers+4 threads, 0.5 s", fw, fp, blank, blank, "",
             4, ">=0.99", fw.ok > 0 ? fw.note : "");

    /* Queue: 2 producers + 2 consumers, bounded FIFO of 64: ns per item. */
    long qn = 1000000;
    fig_t qp, qgo, qf, qt, qm;
    spec_t sq[] = {{NULL, "queue_fibers", 2, qn, &qf},
                   {NULL, "queue_pthread", 2, qn, &qp},
                   {g, "queue_chan", 2, qn, &qgo},
                   {NULL, "queue_threads", 2, qn, &qt},
                   {NULL, "queue_mixed", 2, qn, &qm}};
    measure_set(sq, 5, R);
    sync_row("queue 2P+2C, max 64, fibers (2 workers)", qf, qp, qgo, blank, "ns", 1, "",
             "");
    sync_row("queue 2P+2C, max 64, threads", qt, qp, blank, blank, "ns", 1, "", "");
    sync_row("queue 2P+2C, max 64, 1P+1C fiber + 1P+1C thread", qm, qp, blank, blank,
             "ns", 1, "", "");

    /* Broadcast: ns per waiter from the wake-all until the last waiter returned. */
    fig_t bp, be, bt;
    spec_t sb[] = {{NULL, "broadcast_event", 2, 0, &be},
                   {NULL, "broadcast_pthread", 2, 0, &bp},
                   {NULL, "broadcast_event_threads", 2, 0, &bt}};
    measure_set(sb, 3, R);
    sync_row("event set, 10k fiber waiters: ns/waiter", be, bp, blank, blank, "ns", 1, "",
             be.note);
    sync_row("event set, 1k thread waiters: ns/waiter", bt, bp, blank, blank, "ns", 1, "",
             bt.note);

    printf(
        "\nbaseline: mutex rows vs pthread_mutex_t lock+unlock; ping-pong rows vs two\n"
        "POSIX sem_t between two threads; fairness vs the same loop on 8 threads and a\n"
        "pthread_mutex_t (%s).\n"
        "Go/Boost: sync.Mutex / fibers::mutex uncontended and mutex4; ping-pong over\n"
        "unbuffered channels (GOMAXPROCS / Boost work_stealing threads = workers).\n"
        "x-thread: share of hand-offs in which B ran on another thread than the one A\n"
        "released on. fairness: acquisitions counted over the 0.5 s window.\n"
        "queue: ns per item, 2 producers + 2 consumers, 1M items, vs a 64-slot ring "
        "under\n"
        "a pthread_mutex_t + 2 pthread_cond_t on 4 threads; Go: a chan of capacity 64,\n"
        "GOMAXPROCS=2.\n"
        "event set: ns PER WAITER from just before the wake-all until the last waiter\n"
        "has returned (total / waiters); the fiber row has 10000 waiters, the thread\n"
        "row 1000, the baseline is pthread_cond_broadcast to 1000 threads\n"
        "(%s).\n"
        "late: waiters that found the event already set (late arrivals would only\n"
        "make weft's figure pessimistic).\n",
        fp.ok > 0 ? fp.note : "n/a", bp.ok > 0 ? bp.note : "n/a");
}

/* The first section: spawn, yield, skynet and parked fibers. */
static void runtime_table(const char *go, const char *bf, int full) {
    fig_t none;
    memset(&none, 0, sizeof none);
    printf("\n");
    printf("| %-34s | %12s | %12s | %12s | %12s | %7s | %7s | %7s | %-8s |\n", "workload",
           "weft", "baseline", "Go", "Boost.Fiber", "/base", "/Go", "/Boost", "target");
    printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------",
           "--------------", "--------------", "--------------", "--------------",
           "---------", "---------", "---------", "----------");

    const char *gp = go ? go : "", *bp = bf ? bf : "";
    fig_t fc, y, yg, yb;
    spec_t sy[] = {{NULL, "yield", 1, 0, &y},
                   {NULL, "fcontext", 1, 0, &fc},
                   {gp, "yield", 1, 0, &yg},
                   {bp, "yield", 1, 0, &yb}};
    measure_set(sy, 4, g_reps);
    row("yield round trip, 1 worker", y, fc, yg, yb, "ns", 1, "Go<=0.4x");
    fig_t pt, s1, s1g, s1b, s2, s2g, s2b;
    spec_t ss[] = {{NULL, "spawn", 1, 0, &s1}, {NULL, "pthread_spawn", 1, 0, &pt},
                   {gp, "spawn", 1, 0, &s1g},  {bp, "spawn", 1, 0, &s1b},
                   {NULL, "spawn", 2, 0, &s2}, {gp, "spawn", 2, 0, &s2g},
                   {bp, "spawn", 2, 0, &s2b}};
    measure_set(ss, 7, g_reps);
    row("spawn+join, 1 worker", s1, pt, s1g, s1b, "ns", 1, "Go<=0.3x");
    row("spawn+join, 2 workers", s2, pt, s2g, s2b, "ns", 1, "Go<=0.3x");
    for (int workers = 1; workers <= 2; workers++) {
        fig_t w, g, b = none;
        spec_t sk[] = {{NULL, "skynet", workers, 0, &w}, {gp, "skynet", workers, 0, &g}};
        measure_set(sk, 2, g_reps);
        /* Boost.Fiber's skynet takes about 10 GiB and 12 s: once, not interleaved. */
        if (workers == 2 || full) b = measure(bf, "", "skynet", workers, 0, 1);
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
}

static void on_alarm(int sig) {
    static const char msg[] = "weft_bench --one: no result after 120 s (hang?)\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) _exit(3);
    _exit(3);
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "--one")) {
        bench_result_t r;
        int workers = argc > 3 ? atoi(argv[3]) : 1;
        long n = argc > 4 ? atol(argv[4]) : 0;
        signal(SIGALRM, on_alarm);
        alarm(120);
        if (bench_run_one(argv[2], workers, n, &r) != 0 &&
            idle_run_one(argv[2], workers, n, &r) != 0) {
            fprintf(stderr, "unknown workload %s\n", argv[2]);
            return 2;
        }
        printf("%s %.4f %ld%s%s\n", argv[2], r.ns_per_op, r.peak_rss_kib,
               r.note[0] ? " " : "", r.note);
        return 0;
    }
    int full = 0, quick = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            g_reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--full"))
            full = 1;
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc &&
                 (!strcmp(argv[i + 1], "runtime") || !strcmp(argv[i + 1], "sync") ||
                  !strcmp(argv[i + 1], "servers")))
            only = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--reps N] [--full] [--quick] "
                    "[--only runtime|sync|servers]\n",
                    argv[0]);
            return 2;
        }
    }
    if (g_reps < 1) g_reps = 1;
    ssize_t len = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    if (len <= 0) return 1;
    g_self[len] = 0;
    const char *go = peer_path("WEFT_PEER_GO", WEFT_PEER_GO);
    const char *bf = peer_path("WEFT_PEER_BOOST_FIBER", WEFT_PEER_BOOST_FIBER);

    printf("weft_bench: median of %d runs each, the figures of a row measured in turn;\n"
           "ratios are weft / column: the median of the per-round ratios\n",
           g_reps);
    if (!only || !strcmp(only, "runtime")) runtime_table(go, bf, full);
    if (!only || !strcmp(only, "sync")) sync_table(go, bf);
    if (!only || !strcmp(only, "servers")) servers_table(g_self, quick);
    return 0;
}
