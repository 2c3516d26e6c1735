/* bench/proc.h: child processes and loopback sockets for the "servers" section
 * of weft_bench: start a server, learn its port, run a load generator with a
 * time limit, stop the server and judge how it exited.
 *
 * Every child gets PR_SET_PDEATHSIG(SIGKILL), so a server never outlives an
 * interrupted weft_bench; proc_stop always reaps what proc_start started. */
#ifndef WEFT_BENCH_PROC_H
#define WEFT_BENCH_PROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct proc {
    pid_t pid;    /* 0 once reaped */
    char log[64]; /* the file taking the child's stdout and stderr */
} proc_t;

/* Starts argv[0] (a path) with stdout and stderr to a fresh temporary file,
 * bound to CPU `cpu` (-1: wherever weft_bench may run). 0, or -1 (nothing to
 * stop). */
int proc_start(proc_t *p, char *const argv[], int cpu);

/* Waits up to timeout_ms for a log line containing `needle`; copies it to
 * line. 0, or -1 (timeout, or the child exited: then line holds the log's
 * last line, if any). */
int proc_wait_line(proc_t *p, const char *needle, char *line, size_t len, int timeout_ms);

/* SIGTERM, then up to timeout_ms for the exit (SIGKILL after that). Returns 0
 * for exit status 0, else -1 with the reason in why. Removes the log. */
int proc_stop(proc_t *p, int timeout_ms, char *why, size_t len);

/* Runs argv[0] (bound to CPU `cpu` unless it is -1) to completion with stdout
 * and stderr captured into out (NUL terminated, truncated to len). Killed after
 * timeout_s. The wait status, or -1 if it could not be started or timed out. */
int proc_run(char *const argv[], char *out, size_t len, int timeout_s, int cpu);

/* The CPU time (ns) the live threads of pid have used so far, from
 * /proc/<pid>/task/<tid>/schedstat (ns resolution, unlike the tick-based
 * counters in /proc/<pid>/stat, but threads that ended are missing: use it
 * for intervals in which no thread ends, such as idle ones); -1 if unreadable. */
long long proc_cpu_ns(pid_t pid);

/* The CPU time (ns) of the whole process so far, ended threads included
 * (user + system from /proc/<pid>/stat: a resolution of one clock tick, 10 ms
 * here, fine for seconds of load); -1 if unreadable. */
long long proc_cpu_total_ns(pid_t pid);

/* Finds name on $PATH; the path in buf, or NULL. */
const char *proc_which(const char *name, char *buf, size_t len);

/* Waits up to timeout_ms until 127.0.0.1:port accepts a connection. 0 or -1. */
int tcp_wait(int port, int timeout_ms);

/* A port that was free on 127.0.0.1 a moment ago (for servers, like
 * redis-server, that cannot be given port 0), or -1. */
int tcp_free_port(void);

/* Sends one keep-alive `GET /` to 127.0.0.1:port and reads the whole answer
 * (head plus Content-Length body) into buf. Its length, or -1. */
int http_get(int port, char *buf, size_t len);

/* Sends req to 127.0.0.1:port and reads the answer into buf until `want`
 * bytes have come, the peer closes, or 2 s pass. The byte count, or -1. */
int tcp_ask(int port, const char *req, size_t n, char *buf, size_t len, size_t want);

#endif
