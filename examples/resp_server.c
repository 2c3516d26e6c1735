/* examples/resp_server.c: a Redis-protocol (RESP2) server on the serve loop,
 * over the sharded store of proto/kv.c: strings, lists, sets, hashes (see
 * docs/servers.md for the commands). Works with redis-cli and redis-benchmark.
 *
 *   resp_server [--port 6379] [--max-bulk BYTES] [--host H] [--workers N]
 *               [--max-conns N] [--idle-timeout S] [--quiet]
 *
 * Per connection: each read is parsed into as many commands as it holds
 * (pipelining); their replies go to one output buffer, sent with one write per
 * read (or sooner if the replies pile up past a megabyte). A protocol error is
 * answered with "-ERR Protocol error: ..." and the connection is closed, as
 * Redis does; command errors are ordinary replies and the connection stays. */
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "resp.h"
#include "serve.h"
#include "weft.h"

#define READ_MIN  (16 * 1024)       /* free input space wanted before a read */
#define FLUSH_AT  (1024 * 1024)     /* send replies once this much waits */
#define SHRINK_AT (4 * 1024 * 1024) /* release buffers this big once empty */

static struct kv_store *store;
static size_t max_bulk = RESP_DEFAULT_MAX_BULK;

static bool flush(weft_conn_t *c, struct buf *out) {
    if (out->oom) return false;
    ssize_t r = out->len ? weft_conn_write_all(c, out->data, out->len) : 0;
    buf_clear(out);
    if (out->cap > SHRINK_AT) buf_free(out); /* after one huge reply */
    return r >= 0;
}

static void protocol_error(struct resp_parser *p, int err, struct buf *out) {
    struct buf msg;
    buf_init(&msg);
    buf_append_str(&msg, "ERR Protocol error: ");
    resp_error_text(p, err, &msg);
    if (!msg.oom) resp_error_span(out, (struct span){msg.data, msg.len});
    buf_free(&msg);
}

static void handle(weft_conn_t *c) {
    struct buf in, out;
    struct resp_parser parser;
    buf_init(&in);
    buf_init(&out);
    resp_parser_init(&parser, max_bulk, 0);
    for (bool open = true; open;) {
        size_t used = 0;
        for (;;) {
            struct resp_command cmd;
            long r = resp_parse(&parser, in.data + used, in.len - used, &cmd);
            if (r == RESP_NEED_MORE) break;
            if (r < 0) {
                protocol_error(&parser, (int)-r, &out);
                open = false;
                break;
            }
            used += (size_t)r;
            if (cmd.argc == 0) continue; /* an empty command: no reply */
            if (kv_exec(store, cmd.argc, cmd.argv, &out) == KV_CLOSE) {
                open = false;
                break;
            }
            if (out.len >= FLUSH_AT && !flush(c, &out)) goto done;
        }
        buf_consume(&in, used);
        if (!flush(c, &out) || !open) break;
        if (in.len == 0 && in.cap > SHRINK_AT) buf_free(&in); /* after a huge command */
        if (in.cap - in.len < READ_MIN && buf_reserve(&in, READ_MIN) != 0) break;
        ssize_t n = weft_conn_read(c, in.data + in.len, in.cap - in.len);
        if (n <= 0) break;
        in.len += (size_t)n;
    }
done:
    resp_parser_free(&parser);
    buf_free(&in);
    buf_free(&out);
}

int main(int argc, char **argv) {
    struct serve_config cfg;
    serve_defaults(&cfg, "resp_server", 6379);
    cfg.handler = handle;
    const char *v;
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: resp_server [flags]\n"
                   "A Redis-protocol key-value server (strings, lists, sets, hashes).\n"
                   "  --max-bulk BYTES     largest bulk string accepted (default %zu,\n"
                   "                       at most %zu)\n",
                   (size_t)RESP_DEFAULT_MAX_BULK, (size_t)RESP_MAX_BULK_HARD);
            serve_usage(stdout, &cfg);
            return 0;
        }
        if ((v = serve_flag_value("--max-bulk", argc, argv, &i))) {
            char *end;
            unsigned long long b = strtoull(v, &end, 10);
            if (end == v || *end || b == 0 || b > RESP_MAX_BULK_HARD) {
                fprintf(stderr, "resp_server: bad value '%s' for --max-bulk\n", v);
                return 2;
            }
            max_bulk = (size_t)b;
            continue;
        }
        int r = serve_parse_flag(&cfg, argc, argv, &i);
        if (r < 0) return 2;
        if (r == 0) {
            fprintf(stderr, "resp_server: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (kv_create(&store) != 0) {
        fprintf(stderr, "resp_server: out of memory\n");
        return 1;
    }
    int r = serve_run(&cfg);
    kv_destroy(store);
    return r;
}
