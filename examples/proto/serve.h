/* examples/proto/serve.h: what the example servers share around their
 * connection handlers: the common command-line flags, the runtime, the
 * listening socket, the startup line, and shutdown on SIGINT/SIGTERM.
 *
 * Shutdown: SIGINT and SIGTERM are blocked in every thread (the mask is set
 * before the runtime starts its workers, which inherit it) and read from a
 * signalfd by the main fiber. On a signal it marks the server as draining,
 * calls weft_server_shutdown with a 2 s grace period (connections still open
 * then are cancelled), closes the listening socket and returns; weft_run
 * returns once every fiber has finished, and the program exits 0. */
#ifndef PROTO_SERVE_H
#define PROTO_SERVE_H

#include <stdbool.h>
#include <stdio.h>

#include "weft.h"

struct serve_config {
    const char *name;    /* program name, for messages */
    const char *host;    /* NULL: every address */
    int port;            /* 0: any free port (printed at startup) */
    int workers;         /* 0: one per core */
    int max_conns;       /* 0: the serve loop's default */
    double idle_timeout; /* seconds; 0: none */
    bool quiet;          /* only the startup line and errors */
    void (*handler)(weft_conn_t *c);
    void *user; /* reaches the handler as c->user */
};

/* Defaults for a program: every address, `port`, one worker per core,
 * 60 s idle timeout. */
void serve_defaults(struct serve_config *cfg, const char *name, int port);

/* If argv[*i] is a common flag, takes it (and its value: "--port 80" or
 * "--port=80") and advances *i past it: 1. Not a common flag: 0. A bad value:
 * -1, with a message on stderr. */
int serve_parse_flag(struct serve_config *cfg, int argc, char **argv, int *i);

/* The value of a program's own flag `name` at argv[*i] (advancing *i), or NULL
 * if argv[*i] is not that flag; a missing value is reported and exits 2. */
const char *serve_flag_value(const char *name, int argc, char **argv, int *i);

/* Usage lines of the common flags. */
void serve_usage(FILE *out, const struct serve_config *defaults);

/* Runs the server until SIGINT or SIGTERM: 0 after a clean shutdown, 1 if it
 * could not start. */
int serve_run(struct serve_config *cfg);

/* True once shutdown has begun: handlers finish the request in hand and close
 * rather than wait for another. */
bool serve_draining(void);

#endif
