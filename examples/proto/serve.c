/* examples/proto/serve.c: flags, runtime, listening socket and signal-driven
 * shutdown for the example servers (see serve.h). */
#include "serve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#define GRACE WEFT_SEC(2)

static atomic_bool draining;

bool serve_draining(void) {
    return atomic_load_explicit(&draining, memory_order_relaxed);
}

void serve_defaults(struct serve_config *cfg, const char *name, int port) {
    *cfg = (struct serve_config){.name = name, .port = port, .idle_timeout = 60};
}

const char *serve_flag_value(const char *name, int argc, char **argv, int *i) {
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return NULL;
    if (arg[n] == '=') {
        (*i)++;
        return arg + n + 1;
    }
    if (arg[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s needs a value (see --help)\n", name);
        exit(2);
    }
    *i += 2;
    return argv[*i - 1];
}

static bool parse_int(const char *s, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

int serve_parse_flag(struct serve_config *cfg, int argc, char **argv, int *i) {
    const char *v;
    if (strcmp(argv[*i], "--quiet") == 0) {
        cfg->quiet = true;
        (*i)++;
        return 1;
    }
    if ((v = serve_flag_value("--host", argc, argv, i))) {
        cfg->host = *v && strcmp(v, "*") != 0 ? v : NULL;
        return 1;
    }
    bool ok = true;
    const char *flag = argv[*i];
    if ((v = serve_flag_value("--port", argc, argv, i))) {
        ok = parse_int(v, 0, 65535, &cfg->port);
    } else if ((v = serve_flag_value("--workers", argc, argv, i))) {
        ok = parse_int(v, 0, WEFT_MAX_WORKERS, &cfg->workers);
    } else if ((v = serve_flag_value("--max-conns", argc, argv, i))) {
        ok = parse_int(v, 0, 1000000000, &cfg->max_conns);
    } else if ((v = serve_flag_value("--idle-timeout", argc, argv, i))) {
        char *end;
        cfg->idle_timeout = strtod(v, &end);
        ok = end != v && !*end && cfg->idle_timeout >= 0 && cfg->idle_timeout < 1e9;
    } else {
        return 0;
    }
    if (!ok) fprintf(stderr, "%s: bad value '%s' for %s\n", cfg->name, v, flag);
    return ok ? 1 : -1;
}

void serve_usage(FILE *out, const struct serve_config *d) {
    fprintf(
        out,
        "  --host H             address to listen on (default: every address)\n"
        "  --port P             TCP port, 0 for any free one (default %d)\n"
        "  --workers N          runtime worker threads, 0 = one per core (default 0)\n"
        "  --max-conns N        connections served at once, 0 = 10000 (default 0)\n"
        "  --idle-timeout S     close a connection idle this many seconds,\n"
        "                       0 = never (default %g)\n"
        "  --quiet              print only the startup line and errors\n"
        "  --help               this text\n",
        d->port, d->idle_timeout);
}

static void *main_fiber(void *arg) {
    struct serve_config *cfg = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) {
        fprintf(stderr, "%s: signalfd: %s\n", cfg->name, strerror(errno));
        return (void *)1;
    }
    int lfd = weft_listen_tcp(cfg->host, cfg->port, 0);
    if (lfd < 0) {
        fprintf(stderr, "%s: cannot listen on %s:%d: %s\n", cfg->name,
                cfg->host ? cfg->host : "*", cfg->port, strerror(-lfd));
        weft_close(sfd);
        return (void *)1;
    }
    weft_server_opts_t so = {
        .handler = cfg->handler,
        .user = cfg->user,
        .max_conns = cfg->max_conns,
        .idle_timeout = (int64_t)(cfg->idle_timeout * 1e9),
    };
    weft_server_t *server;
    int r = weft_server_start(&server, lfd, &so);
    if (r != 0) {
        fprintf(stderr, "%s: cannot start serving: %s\n", cfg->name, strerror(-r));
        weft_close(lfd);
        weft_close(sfd);
        return (void *)1;
    }
    const char *host = cfg->host ? cfg->host : "*";
    bool v6 = strchr(host, ':') != NULL;
    fprintf(stderr, "%s: listening on %s%s%s:%d (%d workers)\n", cfg->name, v6 ? "[" : "",
            host, v6 ? "]" : "", weft_local_port(lfd),
            weft_runtime_workers(weft_current_runtime()));

    struct signalfd_siginfo si;
    ssize_t n;
    do
        n = weft_read(sfd, &si, sizeof si, WEFT_FOREVER);
    while (n != (ssize_t)sizeof si && (n > 0 || n == -EINTR));
    atomic_store(&draining, true);
    if (!cfg->quiet)
        fprintf(stderr, "%s: %s, shutting down (%d connections open)\n", cfg->name,
                n == (ssize_t)sizeof si ? strsignal((int)si.ssi_signo)
                                        : "signalfd failed",
                weft_server_active(server));
    int cancelled = weft_server_shutdown(server, weft_after(GRACE));
    if (!cfg->quiet)
        fprintf(stderr, "%s: stopped (%d connections cancelled after the grace period)\n",
                cfg->name, cancelled);
    weft_close(lfd);
    weft_close(sfd);
    return (void *)0;
}

int serve_run(struct serve_config *cfg) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* before any thread exists, so every worker and pool thread inherits it */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    weft_runtime_opts_t opts = {0};
    opts.workers = cfg->workers;
    void *result = (void *)1;
    int r = weft_run(&opts, main_fiber, cfg, &result);
    if (r != 0) {
        fprintf(stderr, "%s: cannot start the runtime: %s\n", cfg->name, strerror(-r));
        return 1;
    }
    return (int)(intptr_t)result;
}
