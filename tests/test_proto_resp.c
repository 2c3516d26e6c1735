/* tests/test_proto_resp.c: the RESP2 parser and reply encoders of the example
 * servers (examples/proto/resp.c) and the key-value store (kv.c, with its hash
 * table and list ring): commands split at every byte offset, pipelines, inline
 * commands, every protocol error, the exact reply bytes of each command,
 * WRONGTYPE, INCR overflow, LRANGE index rules, memory released (LeakSanitizer
 * in the ASan build), and the store shared by fibers on several workers and
 * plain threads. */
#include "harness.h"

#include <pthread.h>
#include <string.h>

#include "htab.h"
#include "kv.h"
#include "resp.h"
#include "ring.h"

/* ------------------------------------------------------------------------- */
/* parsing */

/* The commands of a byte string, as "arg|arg|...\n" per command (argc 0 shows
 * as an empty line): the form every feeding pattern is compared in. */
struct parsed {
    char text[4096];
    size_t len;
    long error; /* 0, or the negative error that stopped parsing */
};

static void record(struct parsed *out, const struct resp_command *cmd) {
    for (size_t i = 0; i < cmd->argc; i++) {
        assert_true(out->len + cmd->argv[i].len + 2 < sizeof out->text);
        memcpy(out->text + out->len, cmd->argv[i].ptr, cmd->argv[i].len);
        out->len += cmd->argv[i].len;
        if (i + 1 < cmd->argc) out->text[out->len++] = '|';
    }
    out->text[out->len++] = '\n';
}

/* Parses s fed in pieces: cut[] are the lengths available at each call (the
 * last must be n). The buffer is copied to a fresh allocation at every call,
 * as a server may realloc it. */
static void parse_fed(const char *s, size_t n, const size_t *cuts, size_t ncuts,
                      struct parsed *out, size_t max_bulk) {
    memset(out, 0, sizeof *out);
    struct resp_parser p;
    resp_parser_init(&p, max_bulk, 0);
    size_t start = 0; /* first byte of the command in progress */
    char *prev = NULL;
    for (size_t c = 0; c < ncuts && !out->error; c++) {
        size_t avail = cuts[c];
        for (;;) {
            char *b = malloc(avail - start + 1);
            assert_non_null(b);
            memcpy(b, s + start, avail - start);
            free(prev);
            prev = b;
            struct resp_command cmd;
            long r = resp_parse(&p, b, avail - start, &cmd);
            if (r < 0) {
                out->error = r;
                break;
            }
            if (r == 0) break;
            record(out, &cmd);
            start += (size_t)r;
        }
    }
    free(prev);
    if (!out->error) assert_int_equal(start, n); /* everything consumed */
    resp_parser_free(&p);
}

static void parse_whole(const char *s, size_t n, struct parsed *out) {
    parse_fed(s, n, &n, 1, out, 0);
}

/* Whole, byte by byte, and split in two at every offset: all the same. */
static void parse_every_way(const char *s, size_t n, struct parsed *whole) {
    parse_whole(s, n, whole);
    size_t *cuts = malloc(n * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t i = 0; i < n; i++)
        cuts[i] = i + 1;
    struct parsed *other = malloc(sizeof *other);
    assert_non_null(other);
    parse_fed(s, n, cuts, n, other, 0);
    assert_int_equal(other->error, whole->error);
    assert_int_equal(other->len, whole->len);
    assert_memory_equal(other->text, whole->text, whole->len);
    for (size_t k = 0; k <= n; k++) {
        size_t two[2] = {k, n};
        parse_fed(s, n, two, 2, other, 0);
        assert_int_equal(other->error, whole->error);
        assert_int_equal(other->len, whole->len);
        assert_memory_equal(other->text, whole->text, whole->len);
    }
    free(other);
    free(cuts);
}

static void expect_commands(const char *s, size_t n, const char *expected,
                            size_t expected_len) {
    struct parsed *got = malloc(sizeof *got);
    assert_non_null(got);
    parse_every_way(s, n, got);
    assert_int_equal(got->error, 0);
    assert_int_equal(got->len, expected_len);
    assert_memory_equal(got->text, expected, got->len);
    free(got);
}

#define EXPECT_COMMANDS(lit, expected)                                                   \
    expect_commands(lit, sizeof lit - 1, expected, sizeof expected - 1)

static void array_commands(void **state) {
    (void)state;
    EXPECT_COMMANDS("*1\r\n$4\r\nPING\r\n", "PING\n");
    EXPECT_COMMANDS("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", "SET|key|value\n");
    /* bulk data is binary: CRLF, '$' and NUL inside it are just bytes */
    EXPECT_COMMANDS("*2\r\n$4\r\nECHO\r\n$6\r\na\r\n$\0b\r\n", "ECHO|a\r\n$\0b\n");
    EXPECT_COMMANDS("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", "GET|\n");
    EXPECT_COMMANDS("*0\r\n*-1\r\n", "\n\n"); /* empty: no command to run */
}

static void pipelined_commands(void **state) {
    (void)state;
    EXPECT_COMMANDS("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
                    "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
                    "PING\r\n"
                    "*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n"
                    "GET k\n",
                    "SET|k|v\nGET|k\nPING\nINCR|counter\nGET|k\n");
}

static void inline_commands(void **state) {
    (void)state;
    EXPECT_COMMANDS("PING\r\n", "PING\n");
    EXPECT_COMMANDS("PING\n", "PING\n");
    EXPECT_COMMANDS("SET a b\r\n", "SET|a|b\n");
    EXPECT_COMMANDS("  SET \t a   b  \r\n", "SET|a|b\n");
    EXPECT_COMMANDS("\r\n\n   \r\n", "\n\n\n");        /* blank lines: nothing to run */
    EXPECT_COMMANDS("ECHO \"x\"\r\n", "ECHO|\"x\"\n"); /* no quoting */
}

static long first_error(const char *s, size_t n, size_t max_bulk) {
    struct parsed *got = malloc(sizeof *got);
    assert_non_null(got);
    parse_fed(s, n, &n, 1, got, max_bulk);
    long e = got->error;
    /* the same error byte by byte */
    size_t *cuts = malloc(n * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t i = 0; i < n; i++)
        cuts[i] = i + 1;
    parse_fed(s, n, cuts, n, got, max_bulk);
    assert_int_equal(got->error, e);
    free(cuts);
    free(got);
    return e;
}

#define FIRST_ERROR(lit) first_error(lit, sizeof lit - 1, 0)

static void need_more(const char *s, size_t max_bulk, size_t max_query) {
    struct resp_parser p;
    resp_parser_init(&p, max_bulk, max_query);
    struct resp_command cmd;
    assert_int_equal(resp_parse(&p, s, strlen(s), &cmd), RESP_NEED_MORE);
    resp_parser_free(&p);
}

static void malformed(void **state) {
    (void)state;
    assert_int_equal(FIRST_ERROR("*abc\r\n"), -RESP_ERR_MULTIBULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*\r\n"), -RESP_ERR_MULTIBULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*01\r\n"), -RESP_ERR_MULTIBULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*2\n$3\r\nGET\r\n"), -RESP_ERR_MULTIBULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*1048577\r\n"), -RESP_ERR_MULTIBULK_LENGTH);
    need_more("*1048576\r\n", 0, 0); /* the largest count is fine */
    assert_int_equal(FIRST_ERROR("*99999999999999999999\r\n"),
                     -RESP_ERR_MULTIBULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*123456789012345678901234567890123\r\n"),
                     -RESP_ERR_MULTIBULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*1\r\n:5\r\n"), -RESP_ERR_EXPECTED_DOLLAR);
    assert_int_equal(FIRST_ERROR("*2\r\n$1\r\na\r\n*1\r\n"), -RESP_ERR_EXPECTED_DOLLAR);
    assert_int_equal(FIRST_ERROR("*1\r\n$-1\r\n"), -RESP_ERR_BULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*1\r\n$-5\r\n"), -RESP_ERR_BULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*1\r\n$x\r\n"), -RESP_ERR_BULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*1\r\n$\r\n"), -RESP_ERR_BULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*1\r\n$3 \r\nabc\r\n"), -RESP_ERR_BULK_LENGTH);
    assert_int_equal(FIRST_ERROR("*1\r\n$3\r\nabcX\r\n"), -RESP_ERR_BULK_CRLF);
    assert_int_equal(FIRST_ERROR("*1\r\n$3\r\nabc\rX"), -RESP_ERR_BULK_CRLF);
    /* lengths a length line cannot reach without its CRLF */
    char digits[64] = "*1\r\n$";
    memset(digits + 5, '1', 40);
    assert_int_equal(first_error(digits, 45, 0), -RESP_ERR_BULK_LENGTH);
}

static void bulk_limits(void **state) {
    (void)state;
    need_more("*1\r\n$1024\r\n", 1024, 0);
    assert_int_equal(first_error("*1\r\n$1025\r\n", 11, 1024), -RESP_ERR_BULK_LENGTH);
    /* the default cap: 64 MiB */
    need_more("*1\r\n$67108864\r\n", 0, 0);
    assert_int_equal(FIRST_ERROR("*1\r\n$67108865\r\n"), -RESP_ERR_BULK_LENGTH);
    /* a cap above the protocol's 512 MiB is held at 512 MiB */
    need_more("*1\r\n$536870912\r\n", (size_t)1 << 40, (size_t)1 << 40);
    assert_int_equal(first_error("*1\r\n$536870913\r\n", 16, (size_t)1 << 40),
                     -RESP_ERR_BULK_LENGTH);
    /* a command bigger than max_query as a whole */
    struct resp_parser p;
    resp_parser_init(&p, 100, 64);
    struct resp_command cmd;
    const char two[] = "*2\r\n$30\r\n";
    assert_int_equal(resp_parse(&p, two, sizeof two - 1, &cmd), RESP_NEED_MORE);
    resp_parser_free(&p);
    resp_parser_init(&p, 100, 64);
    char big[128];
    int n = snprintf(big, sizeof big, "*2\r\n$30\r\n%030d\r\n$30\r\n", 0);
    assert_int_equal(resp_parse(&p, big, (size_t)n, &cmd), -RESP_ERR_QUERY_TOO_BIG);
    resp_parser_free(&p);
}

static void inline_limit(void **state) {
    (void)state;
    size_t n = RESP_MAX_INLINE + 1;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, 'a', n);
    s[n - 1] = '\n'; /* RESP_MAX_INLINE bytes, then LF */
    struct resp_parser p;
    resp_parser_init(&p, 0, 0);
    struct resp_command cmd;
    assert_int_equal(resp_parse(&p, s, n, &cmd), (long)n);
    assert_int_equal(cmd.argc, 1);
    assert_int_equal(cmd.argv[0].len, RESP_MAX_INLINE);
    s[n - 1] = 'a';
    s[n] = '\n';
    assert_int_equal(resp_parse(&p, s, n + 1, &cmd), -RESP_ERR_INLINE_TOO_BIG);
    resp_parser_free(&p);
    /* without a LF, refused once past the limit, also fed in pieces */
    resp_parser_init(&p, 0, 0);
    assert_int_equal(resp_parse(&p, s, RESP_MAX_INLINE, &cmd), RESP_NEED_MORE);
    assert_int_equal(resp_parse(&p, s, n, &cmd), -RESP_ERR_INLINE_TOO_BIG);
    resp_parser_free(&p);
    free(s);
}

/* A command of many arguments fed in pieces parses in time linear in its size;
 * also checks the argument array growth. */
static void many_arguments(void **state) {
    (void)state;
    enum { N = 100000 };
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "*100000\r\n");
    for (int i = 0; i < N; i++) {
        char v[16];
        int n = snprintf(v, sizeof v, "%d", i);
        buf_append_char(&b, '$');
        buf_append_u64(&b, (uint64_t)n);
        buf_append(&b, "\r\n", 2);
        buf_append(&b, v, (size_t)n);
        buf_append(&b, "\r\n", 2);
    }
    assert_false(b.oom);
    struct resp_parser p;
    resp_parser_init(&p, 0, 0);
    struct resp_command cmd;
    long r = 0;
    for (size_t avail = 1000; r == 0; avail += 1000)
        r = resp_parse(&p, b.data, avail < b.len ? avail : b.len, &cmd);
    assert_int_equal(r, (long)b.len);
    assert_int_equal(cmd.argc, N);
    assert_int_equal(cmd.argv[N - 1].len, 5);
    assert_memory_equal(cmd.argv[N - 1].ptr, "99999", 5);
    resp_parser_free(&p);
    buf_free(&b);
}

static void error_texts(void **state) {
    (void)state;
    struct resp_parser p;
    resp_parser_init(&p, 0, 0);
    struct resp_command cmd;
    const char s[] = "*1\r\n+PING\r\n";
    long e = resp_parse(&p, s, sizeof s - 1, &cmd);
    assert_int_equal(e, -RESP_ERR_EXPECTED_DOLLAR);
    struct buf b;
    buf_init(&b);
    resp_error_text(&p, (int)-e, &b);
    assert_int_equal(b.len, strlen("expected '$', got '+'"));
    assert_memory_equal(b.data, "expected '$', got '+'", b.len);
    buf_clear(&b);
    resp_error_text(&p, RESP_ERR_MULTIBULK_LENGTH, &b);
    assert_memory_equal(b.data, "invalid multibulk length", b.len);
    buf_clear(&b);
    resp_error_text(&p, RESP_ERR_BULK_LENGTH, &b);
    assert_memory_equal(b.data, "invalid bulk length", b.len);
    buf_free(&b);
    resp_parser_free(&p);
}

static void integers(void **state) {
    (void)state;
    static const struct {
        const char *s;
        bool ok;
        int64_t v;
    } cases[] = {
        {"0", true, 0},
        {"1", true, 1},
        {"-1", true, -1},
        {"9223372036854775807", true, INT64_MAX},
        {"-9223372036854775808", true, INT64_MIN},
        {"9223372036854775808", false, 0},
        {"-9223372036854775809", false, 0},
        {"99999999999999999999", false, 0},
        {"", false, 0},
        {"-", false, 0},
        {"-0", false, 0},
        {"01", false, 0},
        {"+1", false, 0},
        {" 1", false, 0},
        {"1 ", false, 0},
        {"1a", false, 0},
        {"0x1", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        bool ok = resp_parse_i64(cases[i].s, strlen(cases[i].s), &v);
        if (ok != cases[i].ok) fail_msg("'%s'", cases[i].s);
        if (ok) assert_true(v == cases[i].v);
    }
}

static void expect_buf(struct buf *b, const char *expected, size_t n) {
    assert_false(b->oom);
    if (b->len != n || memcmp(b->data, expected, n) != 0)
        fail_msg("got \"%.*s\", want \"%.*s\"", (int)b->len, b->data, (int)n, expected);
    buf_clear(b);
}

#define EXPECT_BUF(b, lit) expect_buf(b, lit, sizeof lit - 1)

static void encoders(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    resp_simple(&b, "OK");
    EXPECT_BUF(&b, "+OK\r\n");
    resp_error(&b, "ERR bad\r\nthing");
    EXPECT_BUF(&b, "-ERR bad  thing\r\n");
    resp_integer(&b, 0);
    resp_integer(&b, -42);
    resp_integer(&b, INT64_MIN);
    EXPECT_BUF(&b, ":0\r\n:-42\r\n:-9223372036854775808\r\n");
    resp_bulk(&b, "a\0\r\n", 4);
    resp_bulk(&b, "", 0);
    EXPECT_BUF(&b, "$4\r\na\0\r\n\r\n$0\r\n\r\n");
    resp_null(&b);
    resp_null_array(&b);
    resp_array(&b, 3);
    EXPECT_BUF(&b, "$-1\r\n*-1\r\n*3\r\n");
    buf_free(&b);
}

/* ------------------------------------------------------------------------- */
/* the store: one command at a time, reply bytes compared exactly */

static struct kv_store *kv;

static int kv_setup(void **state) {
    wt_reset(state);
    assert_int_equal(kv_create(&kv), 0);
    return 0;
}

static int kv_teardown(void **state) {
    kv_destroy(kv);
    kv = NULL;
    return wt_disarm(state);
}

#define KV_TEST(f) cmocka_unit_test_setup_teardown(f, kv_setup, kv_teardown)

/* Runs a command given as space-separated words ("\\0" style escapes are not
 * needed: binary cases use run_argv) and returns its status; the reply is
 * compared with `expected`. */
static enum kv_status run_argv(size_t argc, const struct span *argv, const char *expected,
                               size_t expected_len) {
    struct buf out;
    buf_init(&out);
    enum kv_status st = kv_exec(kv, argc, argv, &out);
    assert_false(out.oom);
    if (out.len != expected_len || memcmp(out.data, expected, expected_len) != 0)
        fail_msg("%.*s: got \"%.*s\", want \"%.*s\"", (int)argv[0].len, argv[0].ptr,
                 (int)out.len, out.data, (int)expected_len, expected);
    buf_free(&out);
    return st;
}

static enum kv_status run(const char *words, const char *expected) {
    struct span argv[64];
    size_t argc = 0;
    for (const char *p = words; *p;) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        if (p > start) argv[argc++] = (struct span){start, (size_t)(p - start)};
    }
    return run_argv(argc, argv, expected, strlen(expected));
}

static const char WRONGTYPE[] =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
static const char NOT_INT[] = "-ERR value is not an integer or out of range\r\n";

static void kv_ping_echo(void **state) {
    (void)state;
    run("PING", "+PONG\r\n");
    run("ping hello", "$5\r\nhello\r\n");
    run("PING a b", "-ERR wrong number of arguments for 'ping' command\r\n");
    run("ECHO hi", "$2\r\nhi\r\n");
    run("ECHO", "-ERR wrong number of arguments for 'echo' command\r\n");
    run("echo a b", "-ERR wrong number of arguments for 'echo' command\r\n");
}

static void kv_strings(void **state) {
    (void)state;
    run("GET k", "$-1\r\n");
    run("SET k v1", "+OK\r\n");
    run("GET k", "$2\r\nv1\r\n");
    run("set k longer-value", "+OK\r\n");
    run("gEt k", "$12\r\nlonger-value\r\n");
    run("SET k v EX 10", "-ERR syntax error\r\n");
    run("SET k v NX", "-ERR syntax error\r\n");
    run("GET k", "$12\r\nlonger-value\r\n"); /* the refused SET changed nothing */
    run("SET k", "-ERR wrong number of arguments for 'set' command\r\n");
    run("GET", "-ERR wrong number of arguments for 'get' command\r\n");
    run("GET a b", "-ERR wrong number of arguments for 'get' command\r\n");
    /* SET replaces a value of any type */
    run("RPUSH l a", ":1\r\n");
    run("SET l s", "+OK\r\n");
    run("GET l", "$1\r\ns\r\n");
    run("LLEN l", WRONGTYPE);
}

static void kv_binary(void **state) {
    (void)state;
    struct span set[] = {{"SET", 3}, {"k\0\r\n", 4}, {"v\r\n\0", 4}};
    struct span get[] = {{"GET", 3}, {"k\0\r\n", 4}};
    struct span other[] = {{"GET", 3}, {"k\0\r", 3}};
    run_argv(3, set, "+OK\r\n", 5);
    run_argv(2, get, "$4\r\nv\r\n\0\r\n", 10);
    run_argv(2, other, "$-1\r\n", 5);
    struct span empty[] = {{"SET", 3}, {"", 0}, {"", 0}};
    run_argv(3, empty, "+OK\r\n", 5);
    struct span get_empty[] = {{"GET", 3}, {"", 0}};
    run_argv(2, get_empty, "$0\r\n\r\n", 6);
    run("EXISTS k", ":0\r\n");
    run("DBSIZE", ":2\r\n");
}

static void kv_incr(void **state) {
    (void)state;
    run("INCR n", ":1\r\n");
    run("INCR n", ":2\r\n");
    run("GET n", "$1\r\n2\r\n");
    run("SET n -1", "+OK\r\n");
    run("INCR n", ":0\r\n");
    run("SET n 9223372036854775806", "+OK\r\n");
    run("INCR n", ":9223372036854775807\r\n");
    run("INCR n", "-ERR increment or decrement would overflow\r\n");
    run("GET n", "$19\r\n9223372036854775807\r\n"); /* unchanged */
    run("SET n -9223372036854775808", "+OK\r\n");
    run("INCR n", ":-9223372036854775807\r\n");
    static const char *const not_int[] = {"abc",
                                          "1.5",
                                          " 1",
                                          "1 ",
                                          "01",
                                          "+1",
                                          "-0",
                                          "",
                                          "0x1",
                                          "9223372036854775808",
                                          "99999999999999999999"};
    for (size_t i = 0; i < sizeof not_int / sizeof not_int[0]; i++) {
        struct span set[] = {{"SET", 3}, {"s", 1}, {not_int[i], strlen(not_int[i])}};
        run_argv(3, set, "+OK\r\n", 5);
        run("INCR s", NOT_INT);
    }
    run("SADD set m", ":1\r\n");
    run("INCR set", WRONGTYPE);
    run("INCR", "-ERR wrong number of arguments for 'incr' command\r\n");
}

static void kv_lists(void **state) {
    (void)state;
    run("LPUSH l b a", ":2\r\n"); /* each pushed to the front: a b */
    run("RPUSH l c d", ":4\r\n");
    run("LRANGE l 0 -1", "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n");
    run("LPOP l", "$1\r\na\r\n");
    run("RPOP l", "$1\r\nd\r\n");
    run("LLEN l", ":2\r\n");
    run("LPOP l 5", "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
    run("EXISTS l", ":0\r\n"); /* emptied: the key is gone */
    run("LPOP l", "$-1\r\n");
    run("RPOP l", "$-1\r\n");
    run("LPOP l 2", "*-1\r\n");
    run("LLEN l", ":0\r\n");
    run("RPUSH l x y z", ":3\r\n");
    run("RPOP l 2", "*2\r\n$1\r\nz\r\n$1\r\ny\r\n");
    run("LPOP l 0", "*0\r\n");
    run("LPOP l -1", "-ERR value is out of range, must be positive\r\n");
    run("LPOP l one", NOT_INT);
    run("LPOP l 1 2", "-ERR wrong number of arguments for 'lpop' command\r\n");
    run("LPOP missing -1", "-ERR value is out of range, must be positive\r\n");
    run("LPUSH l", "-ERR wrong number of arguments for 'lpush' command\r\n");
    run("SET s v", "+OK\r\n");
    run("LPUSH s a", WRONGTYPE);
    run("RPUSH s a", WRONGTYPE);
    run("LPOP s", WRONGTYPE);
    run("RPOP s 1", WRONGTYPE);
    run("LRANGE s 0 -1", WRONGTYPE);
    run("GET l", WRONGTYPE);
}

static void kv_lrange_indexes(void **state) {
    (void)state;
    run("RPUSH l a b c d e", ":5\r\n");
    static const struct {
        const char *range, *reply;
    } cases[] = {
        {"0 -1", "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"},
        {"0 0", "*1\r\n$1\r\na\r\n"},
        {"-1 -1", "*1\r\n$1\r\ne\r\n"},
        {"-2 -1", "*2\r\n$1\r\nd\r\n$1\r\ne\r\n"},
        {"1 3", "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"},
        {"-100 100", "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"},
        {"-100 0", "*1\r\n$1\r\na\r\n"},
        {"4 100", "*1\r\n$1\r\ne\r\n"},
        {"5 10", "*0\r\n"},
        {"2 1", "*0\r\n"},
        {"3 -3", "*0\r\n"},
        {"1 -100", "*0\r\n"},
        {"-1 -2", "*0\r\n"},
        {"-9223372036854775808 9223372036854775807",
         "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"},
        {"9223372036854775807 -9223372036854775808", "*0\r\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "LRANGE l %s", cases[i].range);
        run(cmd, cases[i].reply);
    }
    run("LRANGE l a 1", NOT_INT);
    run("LRANGE l 0 1.0", NOT_INT);
    run("LRANGE missing 0 -1", "*0\r\n");
    run("LRANGE missing x 1", NOT_INT); /* indexes are checked first */
    run("LRANGE l 0", "-ERR wrong number of arguments for 'lrange' command\r\n");
}

static void kv_sets(void **state) {
    (void)state;
    run("SADD s a b a", ":2\r\n");
    run("SADD s b c", ":1\r\n");
    run("SADD s", "-ERR wrong number of arguments for 'sadd' command\r\n");
    /* SPOP returns each member once, in some order, then the key is gone */
    bool seen[3] = {false, false, false};
    for (int i = 0; i < 3; i++) {
        struct buf out;
        buf_init(&out);
        struct span argv[] = {{"SPOP", 4}, {"s", 1}};
        kv_exec(kv, 2, argv, &out);
        assert_int_equal(out.len, 7);
        assert_memory_equal(out.data, "$1\r\n", 4);
        int m = out.data[4] - 'a';
        assert_true(m >= 0 && m < 3 && !seen[m]);
        seen[m] = true;
        buf_free(&out);
    }
    run("EXISTS s", ":0\r\n");
    run("SPOP s", "$-1\r\n");
    run("SPOP s 3", "*0\r\n");
    run("SADD s x", ":1\r\n");
    run("SPOP s 0", "*0\r\n");
    run("SPOP s 5", "*1\r\n$1\r\nx\r\n");
    run("EXISTS s", ":0\r\n");
    run("SADD s x y", ":2\r\n");
    run("SPOP s -1", "-ERR value is out of range, must be positive\r\n");
    run("SPOP s 1 2", "-ERR syntax error\r\n");
    run("SPOP s x", NOT_INT);
    run("RPUSH l a", ":1\r\n");
    run("SADD l a", WRONGTYPE);
    run("SPOP l", WRONGTYPE);
}

static void kv_hashes(void **state) {
    (void)state;
    run("HSET h f1 v1 f2 v2", ":2\r\n");
    run("HSET h f1 new f3 v3", ":1\r\n");
    run("HGET h f1", "$3\r\nnew\r\n");
    run("HGET h f3", "$2\r\nv3\r\n");
    run("HGET h nope", "$-1\r\n");
    run("HGET nokey f", "$-1\r\n");
    run("HSET h f1", "-ERR wrong number of arguments for 'hset' command\r\n");
    run("HSET h f1 v1 f2", "-ERR wrong number of arguments for 'hset' command\r\n");
    run("SADD s m", ":1\r\n");
    run("HSET s f v", WRONGTYPE);
    run("HGET s f", WRONGTYPE);
    run("GET h", WRONGTYPE);
    run("LPUSH h x", WRONGTYPE);
    run("SADD h x", WRONGTYPE);
}

static void kv_multi_key(void **state) {
    (void)state;
    run("MSET a 1 b 2 c 3", "+OK\r\n");
    run("MGET a b nope c", "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n");
    run("RPUSH l x", ":1\r\n");
    run("MGET l a", "*2\r\n$-1\r\n$1\r\n1\r\n"); /* not a string: nil, no error */
    run("MSET a", "-ERR wrong number of arguments for 'mset' command\r\n");
    run("MSET a 1 b", "-ERR wrong number of arguments for 'mset' command\r\n");
    run("MGET", "-ERR wrong number of arguments for 'mget' command\r\n");
    run("EXISTS a b nope a", ":3\r\n"); /* a key named twice counts twice */
    run("DEL a a nope l", ":2\r\n");
    run("EXISTS a l", ":0\r\n");
    run("DEL", "-ERR wrong number of arguments for 'del' command\r\n");
    run("EXISTS", "-ERR wrong number of arguments for 'exists' command\r\n");
    run("DBSIZE", ":2\r\n");
}

/* MSET and MGET over more keys than the small-array path holds. */
static void kv_many_keys_one_command(void **state) {
    (void)state;
    enum { N = 200 };
    struct span argv[1 + 2 * N];
    char names[N][8];
    argv[0] = (struct span){"MSET", 4};
    for (int i = 0; i < N; i++) {
        int n = snprintf(names[i], sizeof names[i], "k%d", i);
        argv[1 + 2 * i] = (struct span){names[i], (size_t)n};
        argv[2 + 2 * i] = (struct span){names[i], (size_t)n}; /* value = key */
    }
    run_argv(1 + 2 * N, argv, "+OK\r\n", 5);
    struct buf expected;
    buf_init(&expected);
    resp_array(&expected, N);
    argv[0] = (struct span){"MGET", 4};
    for (int i = 0; i < N; i++) {
        argv[1 + i] = (struct span){names[i], strlen(names[i])};
        resp_bulk(&expected, names[i], strlen(names[i]));
    }
    run_argv(1 + N, argv, expected.data, expected.len);
    buf_free(&expected);
    run("DBSIZE", ":200\r\n");
}

static void kv_server_commands(void **state) {
    (void)state;
    run("CONFIG GET save", "*0\r\n");
    run("config get appendonly", "*0\r\n");
    run("CONFIG GET", "-ERR wrong number of arguments for 'config|get' command\r\n");
    run("CONFIG SET save x", "-ERR unknown subcommand 'SET'. Try CONFIG HELP.\r\n");
    run("CONFIG", "-ERR wrong number of arguments for 'config' command\r\n");
    run("COMMAND", "*0\r\n");
    run("COMMAND DOCS", "*0\r\n");
    run("command docs get", "*0\r\n");
    run("COMMAND COUNT", "-ERR unknown subcommand 'COUNT'. Try COMMAND HELP.\r\n");
    run("SELECT 0", "+OK\r\n");
    run("SELECT 1", "-ERR DB index is out of range\r\n");
    run("SELECT x", NOT_INT);
    run("SELECT", "-ERR wrong number of arguments for 'select' command\r\n");
    run("MSET a 1 b 2", "+OK\r\n");
    run("HSET h f v", ":1\r\n");
    run("RPUSH l a b", ":2\r\n");
    run("SADD s a", ":1\r\n");
    run("DBSIZE", ":5\r\n");
    run("FLUSHALL", "+OK\r\n");
    run("DBSIZE", ":0\r\n");
    run("GET a", "$-1\r\n");
    run("SET a 1", "+OK\r\n");
    run("FLUSHDB ASYNC", "+OK\r\n");
    run("FLUSHALL sync", "+OK\r\n");
    run("FLUSHALL now", "-ERR syntax error\r\n");
    run("FLUSHDB a b", "-ERR syntax error\r\n");
    run("EXISTS a", ":0\r\n");
    assert_int_equal(run("QUIT", "+OK\r\n"), KV_CLOSE);
    assert_int_equal(run("PING", "+PONG\r\n"), KV_OK);
}

static void kv_unknown(void **state) {
    (void)state;
    run("FOO", "-ERR unknown command 'FOO', with args beginning with: \r\n");
    run("nope a bc",
        "-ERR unknown command 'nope', with args beginning with: 'a' 'bc' \r\n");
    struct span crlf[] = {{"x\r\ny", 4}, {"a\nb", 3}};
    run_argv(2, crlf, "-ERR unknown command 'x  y', with args beginning with: 'a b' \r\n",
             strlen("-ERR unknown command 'x  y', with args beginning with: 'a b' \r\n"));
    /* long names and arguments are cut at 128 bytes */
    char name[300], arg[300];
    memset(name, 'n', sizeof name);
    memset(arg, 'a', sizeof arg);
    struct span longer[] = {{name, 300}, {arg, 300}, {"z", 1}};
    char expected[600];
    int n =
        snprintf(expected, sizeof expected,
                 "-ERR unknown command '%.128s', with args beginning with: '%.128s' \r\n",
                 name, arg);
    run_argv(3, longer, expected, (size_t)n);
}

/* ------------------------------------------------------------------------- */
/* the hash table and the ring against simple models */

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void htab_model(void **state) {
    (void)state;
    enum { KEYS = 3000, OPS = 60000 };
    static bool present[KEYS];
    memset(present, 0, sizeof present);
    struct htab t;
    htab_init(&t, 12345);
    uint64_t rng = 88172645463325252ULL;
    size_t count = 0;
    for (int op = 0; op < OPS; op++) {
        unsigned k = (unsigned)(rng_next(&rng) % KEYS);
        char key[16];
        int n = snprintf(key, sizeof key, "key%u", k);
        bool insert = op < OPS / 2 ? rng_next(&rng) % 3 != 0 : rng_next(&rng) % 3 == 0;
        if (insert) {
            bool created;
            struct htab_entry *e = htab_upsert(&t, key, (size_t)n, &created);
            assert_non_null(e);
            assert_int_equal(created, !present[k]);
            e->vlen = k;
            count += created;
            present[k] = true;
        } else {
            struct htab_entry *e = htab_find(&t, key, (size_t)n);
            assert_int_equal(e != NULL, present[k]);
            if (e) {
                assert_int_equal(e->vlen, k);
                htab_remove(&t, e);
                present[k] = false;
                count--;
            }
        }
        assert_int_equal(htab_count(&t), count);
        if (op % 5000 == 0) { /* every key findable or absent as the model says */
            for (unsigned i = 0; i < KEYS; i++) {
                n = snprintf(key, sizeof key, "key%u", i);
                struct htab_entry *e = htab_find(&t, key, (size_t)n);
                assert_int_equal(e != NULL, present[i]);
                if (e) assert_int_equal(e->vlen, i);
            }
        }
    }
    assert_true(t.mask + 1 <= 16 * (count + 8)); /* it shrank after the deletes */
    htab_clear(&t, NULL);
    assert_int_equal(htab_count(&t), 0);
    assert_null(htab_find(&t, "key1", 4));
}

static void ring_model(void **state) {
    (void)state;
    enum { CAP = 5000, OPS = 50000 };
    static unsigned model[2 * CAP];
    size_t head = CAP, tail = CAP; /* model[head, tail) */
    struct ring r;
    ring_init(&r);
    uint64_t rng = 2463534242ULL;
    for (unsigned op = 0; op < OPS; op++) {
        unsigned what = (unsigned)(rng_next(&rng) % 4);
        if (op > OPS / 2) what = what < 1 ? what : what + 1; /* drain: fewer pushes */
        char v[16];
        if (what == 0 && head > 0) {
            int n = snprintf(v, sizeof v, "%u", op);
            assert_int_equal(ring_push_front(&r, v, (size_t)n), 0);
            model[--head] = op;
        } else if (what == 1 && tail < 2 * CAP) {
            int n = snprintf(v, sizeof v, "%u", op);
            assert_int_equal(ring_push_back(&r, v, (size_t)n), 0);
            model[tail++] = op;
        } else {
            struct ring_item it;
            bool front = what % 2 == 0;
            bool ok = front ? ring_pop_front(&r, &it) : ring_pop_back(&r, &it);
            assert_int_equal(ok, head < tail);
            if (!ok) continue;
            unsigned want = front ? model[head++] : model[--tail];
            int n = snprintf(v, sizeof v, "%u", want);
            assert_int_equal(it.len, (size_t)n);
            assert_memory_equal(it.ptr, v, it.len);
            free(it.ptr);
        }
        assert_int_equal(ring_count(&r), tail - head);
        if (op % 4999 == 0) {
            for (size_t i = 0; i < tail - head; i++) {
                int n = snprintf(v, sizeof v, "%u", model[head + i]);
                assert_memory_equal(ring_at(&r, i)->ptr, v, (size_t)n);
            }
        }
    }
    ring_free(&r);
    assert_int_equal(ring_count(&r), 0);
}

/* Enough keys for every shard's table to grow, then to shrink again. */
static void kv_grow_and_shrink(void **state) {
    (void)state;
    enum { N = 20000 };
    char cmd[64];
    for (int i = 0; i < N; i++) {
        snprintf(cmd, sizeof cmd, "SET key:%d %d", i, i);
        run(cmd, "+OK\r\n");
    }
    run("DBSIZE", ":20000\r\n");
    for (int i = 0; i < N; i += 2) {
        snprintf(cmd, sizeof cmd, "DEL key:%d", i);
        run(cmd, ":1\r\n");
    }
    for (int i = 0; i < N; i++) {
        snprintf(cmd, sizeof cmd, "EXISTS key:%d", i);
        run(cmd, i % 2 ? ":1\r\n" : ":0\r\n");
    }
    run("DBSIZE", ":10000\r\n");
}

/* ------------------------------------------------------------------------- */
/* the store under concurrency: fibers on four workers and plain threads */

#define PARTIES   8
#define INCREMENT WT_SCALE(2000)

static void *party(void *arg) {
    int me = WT_INT(arg);
    struct buf out;
    buf_init(&out);
    char mine[16], str[16];
    int n = snprintf(mine, sizeof mine, "own:%d", me);
    int sn = snprintf(str, sizeof str, "str:%d", me);
    for (int i = 0; i < INCREMENT; i++) {
        struct span incr[] = {{"INCR", 4}, {"shared", 6}};
        WT_CHECK_EQ(kv_exec(kv, 2, incr, &out), KV_OK);
        /* multi-key commands over many shards, in different key orders */
        struct span mset[] = {{"MSET", 4}, {"a", 1},          {"1", 1},
                              {"z", 1},    {"2", 1},          {"m", 1},
                              {"3", 1},    {str, (size_t)sn}, {"x", 1}};
        if (me % 2) { /* the same pairs, in another order */
            struct span k = mset[1], v = mset[2];
            mset[1] = mset[3];
            mset[2] = mset[4];
            mset[3] = k;
            mset[4] = v;
        }
        WT_CHECK_EQ(kv_exec(kv, 9, mset, &out), KV_OK);
        struct span push[] = {{"RPUSH", 5}, {mine, (size_t)n}, {"v", 1}};
        WT_CHECK_EQ(kv_exec(kv, 3, push, &out), KV_OK);
        struct span del[] = {{"DEL", 3}, {"m", 1}, {"a", 1}, {"q", 1}};
        WT_CHECK_EQ(kv_exec(kv, 4, del, &out), KV_OK);
        buf_clear(&out);
    }
    buf_free(&out);
    return NULL;
}

static void *fiber_parties(void *arg) {
    (void)arg;
    weft_fiber_t *f[PARTIES / 2];
    for (int i = 0; i < PARTIES / 2; i++)
        WT_CHECK_EQ(weft_spawn(&f[i], party, WT_PTR(i)), 0);
    for (int i = 0; i < PARTIES / 2; i++)
        WT_CHECK_EQ(weft_join(f[i], NULL, WEFT_FOREVER), 0);
    return NULL;
}

static void kv_shared_by_fibers_and_threads(void **state) {
    (void)state;
    pthread_t t[PARTIES / 2];
    weft_runtime_t *rt = wt_create(4);
    weft_fiber_t *root;
    assert_int_equal(weft_spawn_on(rt, &root, fiber_parties, NULL), 0);
    for (int i = 0; i < PARTIES / 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, party, WT_PTR(PARTIES / 2 + i)), 0);
    for (int i = 0; i < PARTIES / 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(weft_join(root, NULL, WEFT_FOREVER), 0);
    wt_destroy(rt);
    wt_assert_clean();
    char expected[32];
    snprintf(expected, sizeof expected, ":%d\r\n", PARTIES * INCREMENT + 1);
    run("INCR shared", expected);
    snprintf(expected, sizeof expected, ":%d\r\n", INCREMENT);
    run("LLEN own:3", expected);
    run("LLEN own:7", expected);
    run("MGET z m a", "*3\r\n$1\r\n2\r\n$-1\r\n$-1\r\n");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(array_commands),
        WT_TEST(pipelined_commands),
        WT_TEST(inline_commands),
        WT_TEST(malformed),
        WT_TEST(bulk_limits),
        WT_TEST(inline_limit),
        WT_TEST(many_arguments),
        WT_TEST(error_texts),
        WT_TEST(integers),
        WT_TEST(encoders),
        KV_TEST(kv_ping_echo),
        KV_TEST(kv_strings),
        KV_TEST(kv_binary),
        KV_TEST(kv_incr),
        KV_TEST(kv_lists),
        KV_TEST(kv_lrange_indexes),
        KV_TEST(kv_sets),
        KV_TEST(kv_hashes),
        KV_TEST(kv_multi_key),
        KV_TEST(kv_many_keys_one_command),
        KV_TEST(kv_server_commands),
        KV_TEST(kv_unknown),
        WT_TEST(htab_model),
        WT_TEST(ring_model),
        KV_TEST(kv_grow_and_shrink),
        KV_TEST(kv_shared_by_fibers_and_threads),
    };
    return WT_RUN_TESTS(tests);
}
