/* tests/test_overflow.c: a fiber stack overflow is reported by name. A child
 * process runs a runtime whose fiber recurses without bound; the parent captures
 * the child's stderr and requires death by SIGABRT with weft's report
 * "weft: fiber <id> overflowed its <n>-byte stack (...)". */
#include "harness.h"

#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

static volatile int g_keep_going = 1; /* volatile: the recursion cannot be elided */

/* Each frame owns a volatile buffer touched at both ends, so the compiler can
 * neither turn the recursion into a loop nor let a frame skip the guard page. */
static int recurse(int depth) {
    volatile char buf[512];
    buf[0] = (char)depth;
    buf[sizeof buf - 1] = (char)(depth >> 8);
    if (!g_keep_going) return buf[0];
    return recurse(depth + 1) + buf[0] + buf[sizeof buf - 1];
}

static void *overflow_fiber(void *arg) {
    (void)arg;
    return WT_PTR(recurse(0));
}

static _Noreturn void child(int err_fd) {
    dup2(err_fd, STDERR_FILENO);
    close(err_fd);
    signal(SIGALRM, SIG_DFL); /* not the harness's watchdog handler */
    alarm(60); /* an unnoticed overflow that hangs dies by SIGALRM: a failure */
    weft_runtime_opts_t o = {0};
    o.workers = 1;
    weft_run(&o, overflow_fiber, NULL, NULL);
    _exit(0); /* reaching this is a failure too: the overflow went unnoticed */
}

static void stack_overflow_is_reported(void **state) {
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child(fds[1]);
    }
    close(fds[1]);
    static char out[1 << 16];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fds[0], out + len, sizeof out - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
        if (len == sizeof out - 1) break; /* enough; the rest is not needed */
    }
    out[len] = 0;
    close(fds[0]);
    int status = 0;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    assert_int_equal(w, pid);

    int ours = strstr(out, "weft: fiber ") && strstr(out, "overflowed its ") &&
               strstr(out, "-byte stack");
#if WT_SANITIZED
    /* Under ASan or TSan the sanitizer's own SIGSEGV handling may see the fault
     * before weft's handler and print its "stack-overflow" report, then exit
     * with its own status instead of SIGABRT. Accept either report here, but the
     * child must still have died abnormally (by a signal or a non-zero exit). */
    int sanitizer = strstr(out, "stack-overflow") != NULL;
    if (!ours && !sanitizer)
        fail_msg("child reported no overflow; its stderr was:\n%s", out);
    assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0));
    if (ours) {
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGABRT);
    }
#else
    if (!ours) fail_msg("child reported no overflow; its stderr was:\n%s", out);
    if (!WIFSIGNALED(status))
        fail_msg("child was not killed by a signal (status 0x%x); stderr:\n%s", status,
                 out);
    assert_int_equal(WTERMSIG(status), SIGABRT);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        WT_TEST(stack_overflow_is_reported),
    };
    return WT_RUN_TESTS(tests);
}
