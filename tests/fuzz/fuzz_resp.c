/* tests/fuzz/fuzz_resp.c: libFuzzer target for the RESP2 request parser and the
 * key-value store of the example RESP server (examples/proto/resp.c, kv.c).
 *
 * The input is a client's byte stream (pipelined commands, arrays of bulk
 * strings or inline). It is parsed whole, one byte more per call, and in two
 * reads split at a point derived from the input (pieces in fresh allocations
 * of exactly their size, so reads past the given bytes are ASan reports); the
 * limits max_bulk/max_query are also derived from the input. Every command of
 * the whole parse then runs against a fresh store, as the server would.
 * Invariants:
 *   - the three ways give the same commands (same length, same arguments at
 *     the same offsets) and the same end (more data needed, or the same error);
 *     fed one byte at a time, a command completes exactly at its last byte;
 *   - errors are the documented ones and each has a one-line error text;
 *   - a command's arguments lie inside its bytes; inline arguments are
 *     non-empty and hold no space, tab or LF; re-encoded as an array of bulk
 *     strings, the command parses back to the same arguments;
 *   - resp_parse_i64 agrees with a separate strict integer parser;
 *   - every reply of the store is exactly one well-formed RESP2 reply (checked
 *     by the validator below), of a type the command may answer with, errors
 *     starting with ERR or WRONGTYPE;
 *   - the store does what the replies say: a SET/MSET/INCR value reads back, a
 *     push's length is LLEN's, deleted keys no longer exist, HSET's last field
 *     reads back, FLUSHALL empties it, DBSIZE counts its keys, ECHO/PING echo. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz_resp"
#include "feed.h"
#include "kv.h"
#include "resp.h"

/* --- a RESP2 reply validator, independent of resp.c --- */

struct reply {
    char type;       /* + - : $ * */
    int64_t integer; /* ':' value; '$' and '*': length or count, -1 for null */
    const char *str; /* '+' '-' '$': the text; '*': the first element */
    size_t len;      /* of str ('*': bytes of all elements) */
};

/* Strict decimal: optional '-', digits, no leading zero, no "-0", in int64_t. */
static int strict_i64(const char *s, size_t n, int64_t *out) {
    size_t i = n > 0 && s[0] == '-';
    if (i == n || n - i > 19) return 0;
    if (s[i] == '0' && (n - i > 1 || i == 1)) return 0;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    uint64_t lim = s[0] == '-' ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (v > lim) return 0;
    *out = s[0] == '-' ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

/* Length of the line at b (through its CRLF, which must be the first CR or LF),
 * or 0. */
static size_t line_len(const char *b, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (b[i] == '\n') return 0;
        if (b[i] == '\r') return i + 1 < len && b[i + 1] == '\n' ? i + 2 : 0;
    }
    return 0;
}

/* Parses one reply at b[0..len): bytes consumed, or 0 if malformed. */
static size_t parse_reply(const char *b, size_t len, int depth, struct reply *out) {
    size_t l = line_len(b, len);
    if (l < 3 || depth > 4) return 0;
    const char *body = b + 1;
    size_t blen = l - 3;
    out->type = b[0];
    switch (b[0]) {
    case '+':
    case '-':
        out->str = body;
        out->len = blen;
        return l;
    case ':':
        return strict_i64(body, blen, &out->integer) ? l : 0;
    case '$': {
        if (!strict_i64(body, blen, &out->integer) || out->integer < -1) return 0;
        if (out->integer == -1) return l;
        size_t n = (size_t)out->integer;
        if (len - l < n + 2 || b[l + n] != '\r' || b[l + n + 1] != '\n') return 0;
        out->str = b + l;
        out->len = n;
        return l + n + 2;
    }
    case '*': {
        if (!strict_i64(body, blen, &out->integer) || out->integer < -1) return 0;
        size_t at = l;
        out->str = b + l;
        for (int64_t i = 0; i < out->integer; i++) {
            struct reply e;
            size_t k = parse_reply(b + at, len - at, depth + 1, &e);
            if (k == 0) return 0;
            at += k;
        }
        out->len = at - l;
        return at;
    }
    default:
        return 0;
    }
}

static struct reply validate(const struct buf *out, const char *what) {
    CHECK(!out->oom, "out of memory");
    struct reply r = {0};
    size_t k = parse_reply(out->data, out->len, 0, &r);
    CHECK(k > 0 && k == out->len, "%s: not exactly one valid RESP2 reply: \"%.*s\"", what,
          (int)(out->len < 200 ? out->len : 200), out->data ? out->data : "");
    if (r.type == '-')
        CHECK((r.len >= 4 && memcmp(r.str, "ERR ", 4) == 0) ||
                  (r.len >= 10 && memcmp(r.str, "WRONGTYPE ", 10) == 0),
              "%s: error reply \"%.*s\"", what, (int)r.len, r.str);
    return r;
}

/* --- the store, with probes that read back what a command did --- */

static struct kv_store *g_kv;
static struct buf g_probe;

static struct span lit(const char *s) {
    return (struct span){s, strlen(s)};
}

static int span_eq(struct span a, const char *p, size_t n) {
    return a.len == n && (n == 0 || memcmp(a.ptr, p, n) == 0);
}

static int name_is(struct span s, const char *lit) {
    size_t n = strlen(lit);
    if (s.len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s.ptr[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c | 0x20);
        if (c != lit[i]) return 0;
    }
    return 1;
}

static struct reply probe(size_t argc, const struct span *argv) {
    buf_clear(&g_probe);
    CHECK(kv_exec(g_kv, argc, argv, &g_probe) == KV_OK, "probe closed the connection");
    return validate(&g_probe, "probe");
}

static void expect_bulk(struct reply r, struct span want, const char *what) {
    CHECK(r.type == '$' && span_eq(want, r.str, r.len), "%s does not read back", what);
}

/* The reply types each command may give (errors always may). */
static const char *reply_types(struct span name) {
    static const struct {
        const char *name, *types;
    } t[] = {
        {"get", "$"},     {"set", "+"},    {"incr", ":"},     {"lpush", ":"},
        {"rpush", ":"},   {"lpop", "$*"},  {"rpop", "$*"},    {"sadd", ":"},
        {"spop", "$*"},   {"hset", ":"},   {"hget", "$"},     {"lrange", "*"},
        {"llen", ":"},    {"mset", "+"},   {"mget", "*"},     {"del", ":"},
        {"exists", ":"},  {"ping", "+$"},  {"echo", "$"},     {"config", "*"},
        {"command", "*"}, {"select", "+"}, {"flushall", "+"}, {"flushdb", "+"},
        {"dbsize", ":"},  {"quit", "+"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (name_is(name, t[i].name)) return t[i].types;
    return "";
}

/* Reads back the effect of a command that succeeded with reply r. */
static void read_back(size_t argc, const struct span *argv, struct reply r) {
    struct span name = argv[0];
    if (name_is(name, "set") && argc == 3) {
        expect_bulk(probe(2, (struct span[]){lit("GET"), argv[1]}), argv[2], "SET");
    } else if (name_is(name, "mset")) {
        expect_bulk(probe(2, (struct span[]){lit("GET"), argv[argc - 2]}), argv[argc - 1],
                    "MSET");
    } else if (name_is(name, "incr")) {
        char d[24];
        int n = snprintf(d, sizeof d, "%lld", (long long)r.integer);
        expect_bulk(probe(2, (struct span[]){lit("GET"), argv[1]}),
                    (struct span){d, (size_t)n}, "INCR");
    } else if (name_is(name, "lpush") || name_is(name, "rpush")) {
        CHECK(r.integer >= (int64_t)argc - 2, "push: length %lld after %zu items",
              (long long)r.integer, argc - 2);
        struct reply l = probe(2, (struct span[]){lit("LLEN"), argv[1]});
        CHECK(l.type == ':' && l.integer == r.integer, "LLEN differs from the push's");
    } else if (name_is(name, "del")) {
        CHECK(r.integer >= 0 && r.integer <= (int64_t)argc - 1, "DEL removed %lld",
              (long long)r.integer);
        struct span *keys = malloc(argc * sizeof *keys);
        CHECK(keys, "out of memory");
        keys[0] = lit("EXISTS");
        memcpy(keys + 1, argv + 1, (argc - 1) * sizeof *keys);
        struct reply e = probe(argc, keys);
        free(keys);
        CHECK(e.type == ':' && e.integer == 0, "deleted keys still exist");
    } else if (name_is(name, "exists")) {
        CHECK(r.integer >= 0 && r.integer <= (int64_t)argc - 1, "EXISTS counted %lld",
              (long long)r.integer);
    } else if (name_is(name, "sadd")) {
        CHECK(r.integer >= 0 && r.integer <= (int64_t)argc - 2, "SADD added %lld",
              (long long)r.integer);
    } else if (name_is(name, "hset")) {
        CHECK(r.integer >= 0 && r.integer <= (int64_t)(argc - 2) / 2, "HSET added %lld",
              (long long)r.integer);
        expect_bulk(probe(3, (struct span[]){lit("HGET"), argv[1], argv[argc - 2]}),
                    argv[argc - 1], "HSET");
    } else if (name_is(name, "flushall") || name_is(name, "flushdb")) {
        struct reply d = probe(1, (struct span[]){lit("DBSIZE")});
        CHECK(d.type == ':' && d.integer == 0, "keys left after FLUSHALL");
    } else if (name_is(name, "dbsize")) {
        CHECK(r.integer == (int64_t)kv_key_count(g_kv), "DBSIZE differs from the count");
    } else if (name_is(name, "echo") || (name_is(name, "ping") && argc == 2)) {
        expect_bulk(r, argv[1], "ECHO");
    }
}

/* Runs one command as the server does; 0 after QUIT. */
static int execute(size_t argc, const struct span *argv) {
    static struct buf out;
    buf_clear(&out);
    enum kv_status st = kv_exec(g_kv, argc, argv, &out);
    struct reply r = validate(&out, "reply");
    const char *types = reply_types(argv[0]);
    CHECK(r.type == '-' || strchr(types, r.type), "reply type '%c' for %.*s", r.type,
          (int)(argv[0].len < 32 ? argv[0].len : 32), argv[0].ptr);
    if (r.type != '-' && !(r.type == '*' && r.integer < 0) &&
        !(r.type == '$' && r.integer < 0))
        read_back(argc, argv, r);
    CHECK(st == KV_OK || name_is(argv[0], "quit"),
          "KV_CLOSE for a command other than QUIT");
    return st == KV_OK;
}

/* --- parsing three ways --- */

struct result {
    size_t ncmd, nargs;
    long *r;          /* per command: bytes */
    size_t *argc;     /* per command */
    size_t (*arg)[2]; /* offset from the command's first byte, length */
    long end;
    int quit; /* the whole parse stopped after a QUIT */
};

static size_t g_max_bulk, g_max_query;

static void check_command(const char *b, size_t avail, long r,
                          const struct resp_command *cmd) {
    CHECK(r > 0 && (size_t)r <= avail, "command of %ld bytes from %zu", r, avail);
    CHECK(cmd->argc <= RESP_MAX_ARGS && cmd->argc <= (size_t)r, "%zu arguments",
          cmd->argc);
    for (size_t i = 0; i < cmd->argc; i++) {
        struct span a = cmd->argv[i];
        CHECK(a.ptr >= b && a.len <= (size_t)r && a.ptr + a.len <= b + r,
              "argument %zu outside the command", i);
        if (b[0] != '*') {
            CHECK(a.len > 0, "empty inline argument");
            for (size_t k = 0; k < a.len; k++)
                CHECK(a.ptr[k] != ' ' && a.ptr[k] != '\t' && a.ptr[k] != '\n',
                      "inline argument holds a separator");
        } else {
            CHECK(a.len <= g_max_bulk, "bulk of %zu above max_bulk %zu", a.len,
                  g_max_bulk);
        }
        int64_t x, y;
        int ok = resp_parse_i64(a.ptr, a.len, &x), ok2 = strict_i64(a.ptr, a.len, &y);
        CHECK(ok == ok2 && (!ok || x == y), "resp_parse_i64 disagrees on \"%.*s\"",
              (int)(a.len < 40 ? a.len : 40), a.ptr);
    }
    if (b[0] != '*') {
        const char *nl = memchr(b, '\n', (size_t)r);
        CHECK(nl && nl == b + r - 1, "inline command does not end at its LF");
    }
    /* Round trip: the arguments as an array of bulk strings parse back. */
    struct buf enc;
    buf_init(&enc);
    resp_array(&enc, cmd->argc);
    for (size_t i = 0; i < cmd->argc; i++)
        resp_bulk(&enc, cmd->argv[i].ptr, cmd->argv[i].len);
    CHECK(!enc.oom, "out of memory");
    struct resp_parser p;
    resp_parser_init(&p, 0, 0);
    struct resp_command back;
    long rb = resp_parse(&p, enc.data, enc.len, &back);
    CHECK(rb == (long)enc.len && back.argc == cmd->argc, "re-encoded command: %ld", rb);
    for (size_t i = 0; i < back.argc; i++)
        CHECK(span_eq(back.argv[i], cmd->argv[i].ptr, cmd->argv[i].len),
              "re-encoded argument %zu differs", i);
    resp_parser_free(&p);
    buf_free(&enc);
}

static void check_error(const struct resp_parser *p, long r) {
    CHECK(r <= -RESP_ERR_MULTIBULK_LENGTH && r >= -RESP_ERR_NOMEM, "error %ld", r);
    struct buf text, reply;
    buf_init(&text);
    buf_init(&reply);
    buf_append_str(&text, "ERR Protocol error: ");
    resp_error_text(p, (int)-r, &text);
    CHECK(!text.oom && text.len > 20, "no error text for %ld", r);
    resp_error_span(&reply, (struct span){text.data, text.len});
    validate(&reply, "protocol error reply");
    buf_free(&text);
    buf_free(&reply);
}

struct resp_step {
    struct resp_parser *p;
    struct resp_command *cmd;
};

static long resp_step(void *ctx, const char *buf, size_t n) {
    struct resp_step *st = ctx;
    return resp_parse(st->p, buf, n, st->cmd);
}

static void parse_all(enum way way, const uint8_t *data, size_t size, size_t split,
                      struct result *res, int run) {
    struct resp_parser p;
    resp_parser_init(&p, g_max_bulk, g_max_query);
    size_t off = 0;
    res->ncmd = res->nargs = 0;
    res->end = RESP_NEED_MORE;
    res->quit = 0;
    while (off < size) {
        const uint8_t *s = data + off;
        size_t rest = size - off, avail = 0;
        struct resp_command cmd = {0};
        struct resp_step step = {&p, &cmd};
        char *b = NULL;
        size_t first = split > off && split < size ? split - off : rest;
        long r = feed(way, s, rest, first, resp_step, &step, &avail, &b);
        const char *buf = b ? b : (const char *)s;
        if (r <= 0) {
            if (r < 0) check_error(&p, r);
            res->end = r;
            free(b);
            break;
        }
        if (way == BYTEWISE)
            CHECK((size_t)r == avail, "byte-wise: complete at %zu of a %ld-byte command",
                  avail, r);
        check_command(buf, avail, r, &cmd);
        CHECK(res->nargs + cmd.argc <= size, "more arguments than bytes");
        res->r[res->ncmd] = r;
        res->argc[res->ncmd++] = cmd.argc;
        for (size_t i = 0; i < cmd.argc; i++) {
            res->arg[res->nargs][0] = (size_t)(cmd.argv[i].ptr - buf);
            res->arg[res->nargs++][1] = cmd.argv[i].len;
        }
        int go_on = !run || cmd.argc == 0 || execute(cmd.argc, cmd.argv);
        free(b);
        off += (size_t)r;
        if (!go_on) {
            res->quit = 1;
            break;
        }
    }
    resp_parser_free(&p);
}

static void result_alloc(struct result *res, size_t size) {
    res->r = malloc((size + 1) * sizeof *res->r);
    res->argc = malloc((size + 1) * sizeof *res->argc);
    res->arg = malloc((size + 1) * sizeof *res->arg);
    CHECK(res->r && res->argc && res->arg, "out of memory");
}

static void result_free(struct result *res) {
    free(res->r);
    free(res->argc);
    free(res->arg);
}

static void compare(const struct result *a, const struct result *b, const char *way) {
    CHECK(a->ncmd == b->ncmd && a->nargs == b->nargs,
          "%s: %zu commands (%zu arguments), whole parse %zu (%zu)", way, b->ncmd,
          b->nargs, a->ncmd, a->nargs);
    for (size_t i = 0; i < a->ncmd; i++)
        CHECK(a->r[i] == b->r[i] && a->argc[i] == b->argc[i],
              "%s: command %zu differs from the whole parse", way, i);
    for (size_t i = 0; i < a->nargs; i++)
        CHECK(a->arg[i][0] == b->arg[i][0] && a->arg[i][1] == b->arg[i][1],
              "%s: argument %zu differs from the whole parse", way, i);
    CHECK(a->end == b->end, "%s: ends with %ld, whole parse with %ld", way, b->end,
          a->end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const size_t limits[4][2] = {{0, 0}, {8, 64}, {64, 1 << 20}, {1 << 20, 32}};
    uint64_t h = feed_hash(data, size);
    struct resp_parser probe_limits;
    resp_parser_init(&probe_limits, limits[h & 3][0], limits[h & 3][1]);
    g_max_bulk = probe_limits.max_bulk; /* as the parser resolves 0 */
    g_max_query = limits[h & 3][1];
    size_t split = size ? (size_t)(h >> 8) % (size + 1) : 0;

    struct result whole, other;
    result_alloc(&whole, size);
    result_alloc(&other, size);
    CHECK(kv_create(&g_kv) == 0, "kv_create");
    buf_init(&g_probe);
    parse_all(WHOLE, data, size, 0, &whole, 1);
    kv_destroy(g_kv);
    buf_free(&g_probe);

    /* After a QUIT the whole parse stopped: compare only up to there. */
    size_t upto = size;
    if (whole.quit) {
        upto = 0;
        for (size_t i = 0; i < whole.ncmd; i++)
            upto += (size_t)whole.r[i];
    }
    parse_all(BYTEWISE, data, upto, 0, &other, 0);
    compare(&whole, &other, "byte-wise");
    parse_all(SPLIT, data, upto, split, &other, 0);
    compare(&whole, &other, "split");
    result_free(&whole);
    result_free(&other);
    return 0;
}
