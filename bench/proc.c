/* bench/proc.c: child processes and loopback sockets for weft_bench's "servers"
 * section (see proc.h). weft_bench is single-threaded while it runs the table,
 * so fork+exec needs no care about other threads, and PR_SET_PDEATHSIG (tied
 * to the forking thread) fires exactly when weft_bench dies. */
#include "proc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* In the child: dies with the parent, runs on cpu (if not -1), output to fd,
 * then exec. */
static void child_exec(char *const argv[], int fd, int cpu) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            dprintf(fd, "cannot bind to CPU %d: %s\n", cpu, strerror(errno));
            _exit(127);
        }
    }
    if (getppid() == 1) _exit(127); /* the parent is already gone */
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(argv[0], argv);
    dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int proc_start(proc_t *p, char *const argv[], int cpu) {
    memset(p, 0, sizeof *p);
    snprintf(p->log, sizeof p->log, "/tmp/weft_bench_srv_XXXXXX");
    int fd = mkstemp(p->log);
    if (fd < 0) return -1;
    pid_t pid = fork();
    if (pid == 0) child_exec(argv, fd, cpu);
    close(fd);
    if (pid < 0) {
        unlink(p->log);
        return -1;
    }
    p->pid = pid;
    return 0;
}

/* The first line of the log containing needle (or, with needle NULL, the last
 * non-empty line) into line. 0 if found. */
static int scan_log(const char *log, const char *needle, char *line, size_t len) {
    FILE *f = fopen(log, "r");
    if (!f) return -1;
    char buf[1024];
    int found = -1;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        if (needle ? strstr(buf, needle) != NULL : buf[0] != 0) {
            snprintf(line, len, "%s", buf);
            found = 0;
            if (needle) break;
        }
    }
    fclose(f);
    return found;
}

int proc_wait_line(proc_t *p, const char *needle, char *line, size_t len,
                   int timeout_ms) {
    long long end = now_ms() + timeout_ms;
    if (len) line[0] = 0;
    for (;;) {
        if (scan_log(p->log, needle, line, len) == 0) return 0;
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = 0;
            scan_log(p->log, NULL, line, len);
            return -1;
        }
        if (now_ms() > end) return -1;
        sleep_ms(10);
    }
}

int proc_stop(proc_t *p, int timeout_ms, char *why, size_t len) {
    int rc = -1, st = 0;
    if (len) why[0] = 0;
    if (p->pid <= 0) {
        snprintf(why, len, "exited before it was stopped");
        goto out;
    }
    kill(p->pid, SIGTERM);
    long long end = now_ms() + timeout_ms;
    pid_t w;
    while ((w = waitpid(p->pid, &st, WNOHANG)) == 0 && now_ms() < end)
        sleep_ms(10);
    if (w != p->pid) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &st, 0);
        snprintf(why, len, "no exit %d ms after SIGTERM", timeout_ms);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        rc = 0;
    } else if (WIFEXITED(st)) {
        snprintf(why, len, "exit status %d after SIGTERM", WEXITSTATUS(st));
    } else {
        snprintf(why, len, "killed by signal %d after SIGTERM", WTERMSIG(st));
    }
    p->pid = 0;
out:
    unlink(p->log);
    return rc;
}

int proc_run(char *const argv[], char *out, size_t len, int timeout_s, int cpu) {
    int fds[2];
    if (len) out[0] = 0;
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_exec(argv, fds[1], cpu);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    size_t got = 0;
    long long end = now_ms() + (long long)timeout_s * 1000;
    int timed_out = 0;
    for (;;) {
        long long left = end - now_ms();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd pfd = {fds[0], POLLIN, 0};
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char buf[4096];
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        /* Keep draining past len so the child never blocks on a full pipe. */
        size_t k = (size_t)n;
        if (len && got < len - 1) {
            if (k > len - 1 - got) k = len - 1 - got;
            memcpy(out + got, buf, k);
            got += k;
            out[got] = 0;
        }
    }
    close(fds[0]);
    int st;
    if (timed_out) kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return timed_out ? -1 : st;
}

long long proc_cpu_ns(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    long long sum = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char f[320];
        snprintf(f, sizeof f, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
        FILE *fp = fopen(f, "r");
        long long ns = 0;
        if (!fp) continue; /* the thread just ended */
        if (fscanf(fp, "%lld", &ns) == 1) sum += ns;
        fclose(fp);
    }
    closedir(d);
    return sum;
}

long long proc_cpu_total_ns(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* The command name may hold spaces and parentheses: fields count from the
     * last ')'. utime and stime are fields 14 and 15, the 12th and 13th after it. */
    const char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                     &st) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (long long)(ut + st) * (1000000000LL / (hz > 0 ? hz : 100));
}

const char *proc_which(const char *name, char *buf, size_t len) {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, len, "%.*s/%s", (int)n, path, name);
        if (n && access(buf, X_OK) == 0) return buf;
        path += n;
        if (*path == ':') path++;
    }
    return NULL;
}

static int tcp_connect(int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int tcp_wait(int port, int timeout_ms) {
    long long end = now_ms() + timeout_ms;
    for (;;) {
        int fd = tcp_connect(port);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (now_ms() > end) return -1;
        sleep_ms(10);
    }
}

int tcp_free_port(void) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

int http_get(int port, char *buf, size_t len) {
    static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    int fd = tcp_connect(port);
    if (fd < 0) return -1;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t got = 0;
    int rc = -1;
    if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof req - 1))
        goto out;
    while (got < len - 1) {
        ssize_t n = recv(fd, buf + got, len - 1 - got, 0);
        if (n <= 0) break;
        got += (size_t)n;
        buf[got] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (!end) continue;
        /* The head is complete: wait for the body it announces. */
        size_t head = (size_t)(end - buf) + 4, body = 0;
        char *cl = strcasestr(buf, "\r\nContent-Length:");
        if (cl && cl < end) body = strtoul(cl + 17, NULL, 10);
        if (got >= head + body) {
            rc = (int)(head + body);
            break;
        }
    }
out:
    close(fd);
    return rc;
}

int tcp_ask(int port, const char *req, size_t n, char *buf, size_t len, size_t want) {
    int fd = tcp_connect(port);
    if (fd < 0) return -1;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t got = 0;
    if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) {
        close(fd);
        return -1;
    }
    while (got < want && got < len - 1) {
        ssize_t r = recv(fd, buf + got, len - 1 - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
    }
    buf[got] = 0;
    close(fd);
    return (int)got;
}
