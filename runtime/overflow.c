/* runtime/overflow.c: reports fiber stack overflows by name instead of letting
 * them corrupt memory silently.
 *
 * A guarded stack has a PROT_NONE page below it. The SIGSEGV handler runs on the
 * worker's alternate signal stack, asks which fiber the faulting thread runs, and
 * if the fault address lies in that fiber's guard page (or just below its stack)
 * prints the fiber's id and stack size with write(2) (async-signal-safe) and
 * aborts. Any other fault is handed to the handler that was installed before
 * ours, or to the default action. Unguarded stacks (see stack.h) are checked by a
 * canary at every switch out of the fiber. */
#include "runtime/overflow.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/fault.h"
#include "runtime/fiber_impl.h"
#include "runtime/stack.h"
#include "runtime/worker.h"

#define ALTSTACK_SIZE ((size_t)64 * 1024)

static struct sigaction g_old_segv, g_old_bus;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static size_t fmt_u64(char *out, uint64_t v, int base) {
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % (uint64_t)base];
        v /= (uint64_t)base;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static size_t put(char *buf, size_t at, const char *s) {
    size_t n = strlen(s);
    memcpy(buf + at, s, n);
    return at + n;
}

_Noreturn void weft__overflow_report(const weft_fiber_t *f, const char *how,
                                     const void *addr) {
    char buf[256];
    size_t n = put(buf, 0, "weft: fiber ");
    n += fmt_u64(buf + n, f->id, 10);
    n = put(buf, n, " overflowed its ");
    n += fmt_u64(buf + n, f->stack_size, 10);
    n = put(buf, n, "-byte stack (");
    n = put(buf, n, how);
    if (addr) {
        n = put(buf, n, " at 0x");
        n += fmt_u64(buf + n, (uint64_t)(uintptr_t)addr, 16);
    }
    n = put(buf, n, ")\n");
    ssize_t r = write(STDERR_FILENO, buf, n);
    (void)r;
    /* abort() alone could run an ASan or user SIGABRT handler on the broken stack;
     * make sure SIGABRT has its default action first. */
    signal(SIGABRT, SIG_DFL);
    abort();
}

static void chain(int sig, siginfo_t *si, void *uctx) {
    struct sigaction *old = sig == SIGBUS ? &g_old_bus : &g_old_segv;
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) {
            old->sa_sigaction(sig, si, uctx);
            return;
        }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    /* Default action: restore it and return; the faulting instruction faults again. */
    signal(sig, SIG_DFL);
}

static void on_fault(int sig, siginfo_t *si, void *uctx) {
    weft__worker_t *w = weft__worker_self();
    weft_fiber_t *f = w ? w->current : NULL;
    if (f) {
        uintptr_t a = (uintptr_t)si->si_addr;
        uintptr_t lo = (uintptr_t)f->stack_lo;
        /* The guard page, plus a margin for a frame that jumped past it. */
        uintptr_t margin = 64 * 1024;
        if (a < lo && a + margin >= lo)
            weft__overflow_report(
                f, f->stack_guarded ? "guard page hit" : "fault below the stack",
                si->si_addr);
    }
    chain(sig, si, uctx);
}

static void install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_old_segv);
    sigaction(SIGBUS, &sa, &g_old_bus);
}

void weft__overflow_install(void) {
    pthread_once(&g_once, install);
}

void *weft__altstack_add(void) {
    stack_t cur;
    /* A thread that already has one (ASan gives every thread one) keeps it. */
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) &&
        cur.ss_size >= 16384)
        return NULL;
    /* Without one, an overflow is still caught, only not reported by name. */
    void *mem = weft__mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return NULL;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = mem;
    ss.ss_size = ALTSTACK_SIZE;
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(mem, ALTSTACK_SIZE);
        return NULL;
    }
    return mem;
}

void weft__altstack_remove(void *stack) {
    if (!stack) return;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    munmap(stack, ALTSTACK_SIZE);
}
