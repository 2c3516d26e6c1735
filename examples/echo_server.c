/* examples/echo_server.c: a TCP echo server on the serve loop: one fiber per
 * connection reads whatever arrives and writes it back, until the peer closes,
 * the connection stays idle too long, or the server shuts down.
 *
 *   echo_server [--port 7000] [--host H] [--workers N] [--max-conns N]
 *               [--idle-timeout S] [--quiet]
 * See docs/servers.md. */
#include <stdlib.h>
#include <string.h>

#include "serve.h"
#include "weft.h"

#define CHUNK (64 * 1024) /* on the heap: fiber stacks are small */

static void echo(weft_conn_t *c) {
    char *buf = malloc(CHUNK);
    if (!buf) return;
    for (;;) {
        ssize_t n = weft_conn_read(c, buf, CHUNK);
        if (n <= 0 || weft_conn_write_all(c, buf, (size_t)n) < 0) break;
    }
    free(buf);
}

int main(int argc, char **argv) {
    struct serve_config cfg;
    serve_defaults(&cfg, "echo_server", 7000);
    cfg.handler = echo;
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: echo_server [flags]\n"
                   "Echoes every byte back to its sender.\n");
            serve_usage(stdout, &cfg);
            return 0;
        }
        int r = serve_parse_flag(&cfg, argc, argv, &i);
        if (r < 0) return 2;
        if (r == 0) {
            fprintf(stderr, "echo_server: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    return serve_run(&cfg);
}
