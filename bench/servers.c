/* bench/servers.c: the "servers" section of weft_bench: weft's example servers
 * under load beside servers of other designs, measured in the same run.
 *
 *   http   wrk -t2 -c256 -d<D>s --latency against examples/http_server (2 and 1
 *          workers), peer_http_threads (one thread per connection) and
 *          peer_gohttp (Go net/http): requests/s and p99 latency. Before the
 *          load, each server's answer to one GET / is fetched and checked (200,
 *          text/plain, body "Hello, World!\n"); its size goes in the note, so
 *          "same response" is visible in the table. Also each server's CPU
 *          time per request (user + system time over the run, ended threads
 *          included: peer_http_threads's threads end with their connections).
 *   resp   redis-benchmark -t set,get -c 50 (-n N, and -n 5N with -P 16)
 *          against examples/resp_server (1 and 2 workers) and redis-server:
 *          requests/s and server CPU time per request. A SET and a GET are
 *          checked by hand first.
 *   idle   CPU used while nothing happens, as % of one core: a bare runtime
 *          (weft_bench --one idle_cpu / _sleep / _read, getrusage), and each
 *          HTTP server (all its threads' schedstat time) right after it started
 *          listening and again once wrk has finished (a poller or worker left
 *          spinning after load shows up there).
 *
 * Every server is a child process started on its own port (port 0 and the port
 * read back from its "listening on host:port" line; redis-server, which cannot
 * take port 0, on a port found free just before), waited for until it accepts
 * connections, and stopped with SIGTERM; an exit status other than 0 turns its
 * cells into n/a with the reason in the note. A missing tool or program is an
 * n/a cell with a note, never a failed table. Each figure is one run: a server
 * row costs D seconds of load, and the machine is shared by client and server
 * anyway (read the ratios, as for the other sections).
 * D = 5 s and N = 200000; --quick or CI in the environment: D = 2 s, N = 50000. */
#include "servers.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

typedef struct val {
    int ok; /* 1 measured, 0 failed ("n/a"), -1 not applicable (blank) */
    double v;
} val_t;

/* One server run: what it measured, or why it could not. */
typedef struct run {
    val_t rps, p99, set, get, idle, idle_after;
    val_t cpu_req; /* server CPU time per request under wrk, us */
    long requests; /* wrk's count of completed requests */
    char note[160];
} run_t;

static int g_secs = 5;    /* wrk duration */
static long g_n = 200000; /* redis-benchmark requests (-P 16: 5x) */
static int g_idle_ms = 2000;

static const char *path_of(const char *env, const char *built) {
    const char *p = getenv(env);
    return p && *p ? p : built;
}

static void add_note(run_t *r, const char *fmt, const char *a, const char *b) {
    size_t n = strlen(r->note);
    snprintf(r->note + n, sizeof r->note - n, fmt, n ? "; " : "", a, b);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Whether prog can be run; if not, says so in r's note. An empty path is a
 * peer CMake did not build (no toolchain, or a sanitizer build). */
static int runnable(const char *prog, const char *who, run_t *r) {
    if (*prog && access(prog, X_OK) == 0) return 1;
    add_note(r, "%s%s: %s not built", who, *prog ? prog : "program");
    return 0;
}

/* Starts a server and waits until it accepts connections. port_arg < 0: read
 * the port from its "listening on host:port" line; else the server was given
 * that port. cpu: as proc_start. The port, or -1 with the reason in r->note
 * (nothing to stop). */
static int start(proc_t *p, char *const argv[], int port_arg, int cpu, const char *who,
                 run_t *r) {
    char line[256];
    if (proc_start(p, argv, cpu) != 0) {
        add_note(r, "%s%s: %s", who, "cannot start");
        return -1;
    }
    int port = port_arg;
    if (port < 0) {
        if (proc_wait_line(p, "listening on ", line, sizeof line, 10000) != 0) {
            char why[96];
            proc_stop(p, 2000, why, sizeof why);
            add_note(r, "%s%s: no listening line (%.80s)", who, line);
            return -1;
        }
        const char *colon = strrchr(line, ':');
        port = colon ? atoi(colon + 1) : 0;
    }
    if (port <= 0 || tcp_wait(port, 10000) != 0) {
        char why[96];
        proc_stop(p, 2000, why, sizeof why);
        add_note(r, "%s%s: %s", who,
                 port <= 0 ? "no port in its listening line" : "never accepted");
        return -1;
    }
    return port;
}

/* Stops the server; on an unclean exit every measured cell becomes n/a. */
static void stop(proc_t *p, const char *who, run_t *r) {
    char why[96];
    if (proc_stop(p, 5000, why, sizeof why) == 0) return;
    add_note(r, "%s%s: %s", who, why);
    val_t *v[] = {&r->rps,  &r->p99,        &r->set,    &r->get,
                  &r->idle, &r->idle_after, &r->cpu_req};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i]->ok > 0) v[i]->ok = 0;
}

static void idle_of(pid_t pid, val_t *out) {
    long long c0 = proc_cpu_ns(pid);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    sleep_ms(g_idle_ms);
    long long c1 = proc_cpu_ns(pid);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double wall = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    if (c0 < 0 || c1 < c0) return; /* unreadable, or a thread ended meanwhile */
    out->ok = 1;
    out->v = 100.0 * (double)(c1 - c0) / wall;
}

/* A value with its unit from wrk ("1.23ms", "850.00us", "1.01s") in ms. */
static double wrk_ms(const char *s) {
    char *e;
    double v = strtod(s, &e);
    if (!strncmp(e, "us", 2)) return v / 1000;
    if (!strncmp(e, "ms", 2)) return v;
    if (*e == 's') return v * 1000;
    if (!strncmp(e, "m", 1)) return v * 60000;
    return -1;
}

static void parse_wrk(const char *out, run_t *r) {
    const char *s = strstr(out, "Requests/sec:");
    if (s) {
        r->rps.ok = 1;
        r->rps.v = strtod(s + 13, NULL);
    }
    s = strstr(out, "Latency Distribution");
    if (s && (s = strstr(s, "99%"))) {
        s += 3;
        while (*s == ' ')
            s++;
        double ms = wrk_ms(s);
        if (ms >= 0) {
            r->p99.ok = 1;
            r->p99.v = ms;
        }
    }
    /* "  123456 requests in 5.00s, ..." (%n proves the words matched too) */
    for (s = out; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
        long k = 0;
        int end = 0;
        if (sscanf(s, "%ld requests in%n", &k, &end) == 1 && end > 0) {
            r->requests = k;
            break;
        }
    }
    char line[96];
    if ((s = strstr(out, "Socket errors:"))) {
        snprintf(line, sizeof line, "%.*s", (int)strcspn(s, "\n"), s);
        add_note(r, "%s%s%s", "wrk ", line);
    }
    if ((s = strstr(out, "Non-2xx or 3xx responses:"))) {
        snprintf(line, sizeof line, "%.*s", (int)strcspn(s, "\n"), s);
        add_note(r, "%s%s%s", "wrk ", line);
    }
}

/* Fetches one GET / and checks it is the benchmark's response. */
static int check_http(int port, const char *who, run_t *r) {
    char buf[2048], msg[64];
    int n = http_get(port, buf, sizeof buf);
    if (n < 0) {
        add_note(r, "%s%s: %s", who, "no answer to GET /");
        return -1;
    }
    int good = !strncmp(buf, "HTTP/1.1 200 ", 13) &&
               strcasestr(buf, "\r\nContent-Type: text/plain") && n >= 18 &&
               !strcmp(buf + n - 18, "\r\n\r\nHello, World!\n");
    snprintf(msg, sizeof msg, "%sresponse %d B", good ? "" : "UNEXPECTED ", n);
    add_note(r, "%s%s: %s", who, msg);
    return good ? 0 : -1;
}

/* One HTTP server: idle CPU, a checked GET /, then wrk. pin: NULL, or the CPU
 * for the server and the CPU for wrk. */
static run_t http_run(char *const argv[], const char *who, const char *wrk,
                      int measure_idle, const int *pin) {
    run_t r;
    memset(&r, 0, sizeof r);
    if (!runnable(argv[0], who, &r)) return r;
    proc_t p;
    int port = start(&p, argv, -1, pin ? pin[0] : -1, who, &r);
    if (port < 0) return r;
    if (measure_idle) {
        /* Let the thread peer's thread for tcp_wait's probe connection end
         * first: schedstat loses an ended thread's time (the sum would drop). */
        sleep_ms(200);
        idle_of(p.pid, &r.idle);
    }
    if (wrk && check_http(port, who, &r) == 0) {
        char url[64], dur[16], out[8192];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
        snprintf(dur, sizeof dur, "%ds", g_secs);
        char *args[] = {(char *)wrk, "-t2", "-c256", "-d", dur, "--latency", url, NULL};
        long long c0 = proc_cpu_total_ns(p.pid);
        int st = proc_run(args, out, sizeof out, g_secs + 30, pin ? pin[1] : -1);
        long long c1 = proc_cpu_total_ns(p.pid);
        if (st != 0)
            add_note(&r, "%s%s: %s", who, "wrk failed");
        else
            parse_wrk(out, &r);
        /* What the server spent per request: on a machine shared with the
         * client, cycles a server burns (spinning included) are the client's
         * loss, so this explains throughput differences. */
        if (r.requests > 0 && c0 >= 0 && c1 >= c0) {
            r.cpu_req.ok = 1;
            r.cpu_req.v = (double)(c1 - c0) / 1e3 / (double)r.requests;
        }
        /* wrk has closed every connection: after a moment for the server to
         * see the closes, nothing should be left running. */
        if (measure_idle) {
            sleep_ms(200);
            idle_of(p.pid, &r.idle_after);
        }
    }
    stop(&p, who, &r);
    return r;
}

/* The rps field of redis-benchmark's --csv line for `test`. */
static void parse_csv(const char *out, const char *test, val_t *rps) {
    char key[16];
    snprintf(key, sizeof key, "\"%s\",\"", test);
    const char *s = strstr(out, key);
    if (!s) return;
    rps->ok = 1;
    rps->v = strtod(s + strlen(key), NULL);
}

/* A SET then a GET by hand: the server must answer +OK and the value. */
static int check_resp(int port, const char *who, run_t *r) {
    static const char req[] = "*3\r\n$3\r\nSET\r\n$9\r\nweftbench\r\n$2\r\nok\r\n"
                              "*2\r\n$3\r\nGET\r\n$9\r\nweftbench\r\n";
    static const char want[] = "+OK\r\n$2\r\nok\r\n";
    char buf[256];
    int n = tcp_ask(port, req, sizeof req - 1, buf, sizeof buf, sizeof want - 1);
    if (n == (int)sizeof want - 1 && !memcmp(buf, want, sizeof want - 1)) return 0;
    add_note(r, "%s%s: %s", who, "wrong answer to SET/GET");
    return -1;
}

/* One RESP server: redis-benchmark SET and GET, plain or with -P 16. */
static run_t resp_run(char *const argv[], int port_arg, const char *who, const char *rb,
                      int pipeline) {
    run_t r;
    memset(&r, 0, sizeof r);
    if (!runnable(argv[0], who, &r)) return r;
    proc_t p;
    int port = start(&p, argv, port_arg, -1, who, &r);
    if (port < 0) return r;
    if (check_resp(port, who, &r) == 0) {
        char ps[16], ns[24], out[8192];
        snprintf(ps, sizeof ps, "%d", port);
        snprintf(ns, sizeof ns, "%ld", pipeline ? 5 * g_n : g_n);
        char *args[] = {(char *)rb, "-h", "127.0.0.1", "-p", ps,   "-t",
                        "set,get",  "-n", ns,          "-c", "50", "-q",
                        "--csv",    NULL, NULL,        NULL};
        if (pipeline) {
            args[13] = "-P";
            args[14] = "16";
        }
        long long c0 = proc_cpu_total_ns(p.pid);
        int st = proc_run(args, out, sizeof out, 300, -1);
        long long c1 = proc_cpu_total_ns(p.pid);
        if (st == 0 && c0 >= 0 && c1 >= c0) { /* a SET and a GET per request */
            r.cpu_req.ok = 1;
            r.cpu_req.v = (double)(c1 - c0) / 1e3 / (2.0 * (double)atol(ns));
        }
        if (st != 0) add_note(&r, "%s%s: %s", who, "redis-benchmark failed");
        parse_csv(out, "SET", &r.set);
        parse_csv(out, "GET", &r.get);
    }
    stop(&p, who, &r);
    return r;
}

/* weft_bench --one <workload> 2 <ms>: the idle runtime's % of a core. */
static val_t idle_one(const char *self, const char *workload, char *note, size_t len) {
    val_t v = {0, 0};
    char ms[16], out[512], name[64];
    snprintf(ms, sizeof ms, "%d", g_idle_ms);
    char *args[] = {(char *)self, "--one", (char *)workload, "2", ms, NULL};
    long rss;
    int off = 0;
    note[0] = 0;
    if (proc_run(args, out, sizeof out, 60, -1) == 0 &&
        sscanf(out, "%63s %lf %ld %n", name, &v.v, &rss, &off) == 3) {
        v.ok = 1;
        snprintf(note, len, "%.*s", (int)strcspn(out + off, "\n"), out + off);
    }
    return v;
}

static void cell(char *buf, size_t len, val_t v, const char *unit, int prec) {
    if (v.ok < 0)
        buf[0] = 0;
    else if (!v.ok)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.*f%s%s", prec, v.v, *unit ? " " : "", unit);
}

static void ratio(char *buf, size_t len, val_t a, val_t b) {
    if (a.ok < 0 || b.ok < 0)
        buf[0] = 0;
    else if (!a.ok || !b.ok || b.v == 0)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.2fx", a.v / b.v);
}

static void row(const char *what, val_t w, val_t base, val_t go, const char *unit,
                int prec, const char *target, const char *note) {
    char a[32], b[32], c[32], r1[16], r2[16];
    cell(a, sizeof a, w, unit, prec);
    cell(b, sizeof b, base, unit, prec);
    cell(c, sizeof c, go, unit, prec);
    ratio(r1, sizeof r1, w, base);
    ratio(r2, sizeof r2, w, go);
    if (!strcmp(unit, "%")) /* idle: the target is absolute, and ratios of */
        r1[0] = r2[0] = 0;  /* hundredths of a percent are noise */
    printf("| %-46s | %12s | %12s | %12s | %7s | %7s | %-19s | %s |\n", what, a, b, c, r1,
           r2, target, note ? note : "");
    fflush(stdout); /* a row can take a while: show progress through pipes too */
}

/* Joins the notes of a row's runs, and says which tool is missing. */
static const char *notes(char *buf, size_t len, const char *missing, const run_t *a,
                         const run_t *b, const run_t *c) {
    buf[0] = 0;
    size_t n = 0;
    if (missing) n += (size_t)snprintf(buf, len, "%s not installed", missing);
    const run_t *rs[] = {a, b, c};
    for (int i = 0; i < 3 && n < len; i++)
        if (rs[i] && rs[i]->note[0])
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "; " : "", rs[i]->note);
    return buf;
}

/* The first two CPUs weft_bench may run on, or -1. */
static int two_cpus(int pin[2]) {
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &set)) pin[n++] = c;
    return n == 2 ? 0 : -1;
}

/* The same load with the server bound to one core and wrk to the other: each
 * server gets exactly one core's time, whatever its number of threads (sharing
 * both cores, the scheduler splits them per thread, which favours a server of
 * 256 threads over one of 2 workers). weft runs 1 worker; Go's GOMAXPROCS
 * follows the affinity, so 1 too. */
static void pinned_rows(const char *ex, char *targs[], char *gargs[], const char *wrk) {
    char note[512];
    int pin[2];
    run_t rt, rg, rw;
    memset(&rt, 0, sizeof rt);
    rg = rw = rt;
    char *args[] = {(char *)ex, "--host",      "127.0.0.1", "--port",  "0", "--workers",
                    "1",        "--max-conns", "4096",      "--quiet", NULL};
    if (two_cpus(pin) == 0) {
        rt = http_run(targs, "threads", wrk, 0, pin);
        rg = http_run(gargs, "Go", wrk, 0, pin);
        rw = http_run(args, "weft 1w", wrk, 0, pin);
    } else {
        add_note(&rw, "%s%s%s", "fewer than 2 CPUs to bind to", "");
    }
    row("http 256 conns, 1 core each: req/s", rw.rps, rt.rps, rg.rps, "", 0, "",
        notes(note, sizeof note, wrk ? NULL : "wrk", &rw, &rt, &rg));
    row("http 256 conns, 1 core each: p99", rw.p99, rt.p99, rg.p99, "ms", 2, "",
        "weft: 1 worker; Go: GOMAXPROCS 1 (follows the affinity)");
    row("http, 1 core each: server CPU per request", rw.cpu_req, rt.cpu_req, rg.cpu_req,
        "us", 2, "", "");
}

static void http_section(void) {
    char wrkb[512], note[512];
    const char *wrk = proc_which("wrk", wrkb, sizeof wrkb);
    const char *ex = path_of("WEFT_HTTP_SERVER", WEFT_EXAMPLE_HTTP_SERVER);
    const char *th = path_of("WEFT_PEER_HTTP_THREADS", WEFT_PEER_HTTP_THREADS);
    const char *go = path_of("WEFT_PEER_GOHTTP", WEFT_PEER_GOHTTP);
    char *targs[] = {(char *)th, "--port", "0", NULL};
    char *gargs[] = {(char *)go, "-port", "0", NULL};
    run_t rt, rg, rw[3];
    rt = http_run(targs, "threads", wrk, 1, NULL);
    rg = http_run(gargs, "Go", wrk, 1, NULL);
    for (int w = 2; w >= 1; w--) {
        char ws[8], who[16];
        snprintf(ws, sizeof ws, "%d", w);
        snprintf(who, sizeof who, "weft %dw", w);
        char *args[] = {(char *)ex, "--host",    "127.0.0.1", "--port",
                        "0",        "--workers", ws,          "--max-conns",
                        "4096",     "--quiet",   NULL};
        rw[w] = http_run(args, who, wrk, w == 2, NULL);
    }
    for (int w = 2; w >= 1; w--) {
        char what[64];
        snprintf(what, sizeof what, "http keep-alive 256 conns, %d worker%s: req/s", w,
                 w > 1 ? "s" : "");
        row(what, rw[w].rps, rt.rps, rg.rps, "", 0, w == 2 ? "base>=1.5x Go>=1.3x" : "",
            notes(note, sizeof note, wrk ? NULL : "wrk", &rw[w], w == 2 ? &rt : NULL,
                  w == 2 ? &rg : NULL));
        snprintf(what, sizeof what, "http keep-alive 256 conns, %d worker%s: p99", w,
                 w > 1 ? "s" : "");
        row(what, rw[w].p99, rt.p99, rg.p99, "ms", 2, "", "");
        snprintf(what, sizeof what, "http, %d worker%s: server CPU per request", w,
                 w > 1 ? "s" : "");
        row(what, rw[w].cpu_req, rt.cpu_req, rg.cpu_req, "us", 2, "",
            w == 2 ? "user+system time of the server during the wrk run" : "");
    }
    pinned_rows(ex, targs, gargs, wrk);
    row("idle CPU, http server after start, no client", rw[2].idle, rt.idle, rg.idle, "%",
        3, "<1%", "% of one core; weft: 2 workers");
    row("idle CPU, http server after the load", rw[2].idle_after, rt.idle_after,
        rg.idle_after, "%", 3, "<1%", "the same, once wrk has closed its connections");
}

static void resp_section(void) {
    char rbb[512], rsb[512], note[512];
    const char *rb = proc_which("redis-benchmark", rbb, sizeof rbb);
    const char *rs = proc_which("redis-server", rsb, sizeof rsb);
    const char *ex = path_of("WEFT_RESP_SERVER", WEFT_EXAMPLE_RESP_SERVER);
    const char *missing = !rb   ? "redis-benchmark (redis-tools)"
                          : !rs ? "redis-server"
                                : NULL;
    val_t blank = {-1, 0};
    for (int pipeline = 0; pipeline <= 1; pipeline++) {
        run_t rr = {0}, rw[3];
        memset(rw, 0, sizeof rw);
        int port = tcp_free_port();
        char ps[16];
        snprintf(ps, sizeof ps, "%d", port);
        /* No config file: our own instance, not the system's, and nothing saved. */
        char *rargs[] = {(char *)(rs ? rs : "redis-server"),
                         "--port",
                         ps,
                         "--bind",
                         "127.0.0.1",
                         "--save",
                         "",
                         "--appendonly",
                         "no",
                         "--daemonize",
                         "no",
                         NULL};
        if (rb && rs) rr = resp_run(rargs, port, "redis-server", rb, pipeline);
        for (int w = 1; w <= 2; w++) {
            char ws[8], who[16];
            snprintf(ws, sizeof ws, "%d", w);
            snprintf(who, sizeof who, "weft %dw", w);
            char *args[] = {(char *)ex,  "--host", "127.0.0.1", "--port", "0",
                            "--workers", ws,       "--quiet",   NULL};
            if (rb) rw[w] = resp_run(args, -1, who, rb, pipeline);
        }
        for (int w = 1; w <= 2; w++) {
            const char *target = w == 2 && !pipeline ? "base>=1.0x" : "";
            const char *pl = pipeline ? " -P 16" : "";
            char what[64];
            snprintf(what, sizeof what, "resp SET, 50 conns%s, %d worker%s: req/s", pl, w,
                     w > 1 ? "s" : "");
            row(what, rw[w].set, rr.set, blank, "", 0, target,
                notes(note, sizeof note, missing, &rw[w], w == 1 ? &rr : NULL, NULL));
            snprintf(what, sizeof what, "resp GET, 50 conns%s, %d worker%s: req/s", pl, w,
                     w > 1 ? "s" : "");
            row(what, rw[w].get, rr.get, blank, "", 0, target, "");
            snprintf(what, sizeof what, "resp%s, %d worker%s: server CPU per request", pl,
                     w, w > 1 ? "s" : "");
            row(what, rw[w].cpu_req, rr.cpu_req, blank, "us", 3, "", "");
        }
    }
}

static void idle_section(const char *self) {
    val_t blank = {-1, 0};
    char note[128];
    val_t v = idle_one(self, "idle_cpu", note, sizeof note);
    row("idle CPU, runtime with no fiber", v, blank, blank, "%", 3, "<1%", note);
    v = idle_one(self, "idle_cpu_sleep", note, sizeof note);
    row("idle CPU, runtime with one fiber asleep (1 h)", v, blank, blank, "%", 3, "<1%",
        note);
    v = idle_one(self, "idle_cpu_read", note, sizeof note);
    row("idle CPU, runtime with one fiber in weft_read", v, blank, blank, "%", 3, "<1%",
        note);
}

void servers_table(const char *self, int quick) {
    const char *ci = getenv("CI");
    if (quick || (ci && *ci)) {
        g_secs = 2;
        g_n = 50000;
        g_idle_ms = 1000;
    }
    printf("\nservers (one run per cell; client and server share the machine)\n\n");
    printf("| %-46s | %12s | %12s | %12s | %7s | %7s | %-19s | %s |\n", "workload",
           "weft", "baseline", "Go", "/base", "/Go", "target", "note");
    printf("|------------------------------------------------|--------------|------------"
           "--|--------------|---------|---------|---------------------|------|\n");
    http_section();
    resp_section();
    idle_section(self);
    printf(
        "\nhttp: wrk -t2 -c256 -d%ds --latency, GET / (each server's response size is\n"
        "in the note); baseline: peer_http_threads (a thread per connection);\n"
        "Go: peer_gohttp (net/http, GOMAXPROCS default). Ratios of p99 and CPU per\n"
        "request: lower is better. CPU per request: the server's user+system time\n"
        "during the load (10 ms ticks) / requests served (client and server share\n"
        "the cores, so a server's CPU is taken from the client).\n"
        "resp: redis-benchmark -t set,get -c 50 -n %ld (-P 16: -n %ld); baseline:\n"
        "redis-server (its own instance, no persistence), run once per row pair.\n"
        "idle: %% of one core over %d ms (bare runtimes: getrusage; servers: all\n"
        "threads' schedstat time, right after start and 200 ms after wrk ended).\n",
        g_secs, g_n, 5 * g_n, g_idle_ms);
}
