/*
 * Helpers for the `credence serve` tests: start the built binary on a free loopback port as a child
 * process, talk HTTP/1.1 to it over sockets to 127.0.0.1 (never any other address), stop it.
 */
#ifndef CRED_TEST_SERVE_HELPERS_H
#define CRED_TEST_SERVE_HELPERS_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOKEN "test-token-0123456789"

typedef struct server {
    pid_t pid;
    int port;
    char dir[64];     /* private temp directory: token file, stderr log, corpus */
    char log[128];
    char idx[128];    /* dir/idx: the corpus of server_start_indexed() */
} server;

static double t_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void t_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *t_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static const char *demo_rules(void)
{
    static char path[1024];
    const char *src = getenv("CRED_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/rules/examples/demo.rules", src ? src : ".");
    return path;
}

/* A fresh private directory for s (s->dir), its corpus to be s->idx. */
static void server_dir_new(server *s)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/cred_serve_XXXXXX");
    cr_assert(mkdtemp(s->dir));
    snprintf(s->idx, sizeof s->idx, "%s/idx", s->dir);
}

/* Start `credence serve --listen 127.0.0.1:0 --rules demo.rules --token-file TOKEN ARGS...` (a NULL-
 * terminated list) and wait until it listens. dir: reuse this directory (a restart), or NULL. */
static void server_start_in(server *s, const char *dir, ...)
{
    const char *bin = getenv("CRED_BIN");
    cr_assert(bin, "CRED_BIN must name the built credence binary");
    if (!dir)
        server_dir_new(s);
    else if (dir != s->dir)
        snprintf(s->dir, sizeof s->dir, "%s", dir);
    char tok[128];
    snprintf(tok, sizeof tok, "%s/token", s->dir);
    FILE *f = fopen(tok, "w");
    fprintf(f, "%s\n", TOKEN);
    fclose(f);
    snprintf(s->log, sizeof s->log, "%s/stderr.log", s->dir);
    const char *argv[64];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "serve";
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--rules";
    argv[n++] = demo_rules();
    argv[n++] = "--token-file";
    argv[n++] = tok;
    va_list ap;
    va_start(ap, dir);
    for (const char *a; n < 62 && (a = va_arg(ap, const char *));)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    unlink(s->log); /* a restart must not read the previous server's port */
    s->pid = fork();
    cr_assert(s->pid >= 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test (its process ends) leaves no server behind */
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    s->port = 0;
    for (double until = t_now() + 120; t_now() < until && !s->port;) {
        char *log = t_slurp(s->log);
        const char *p = strstr(log, "listening on http://127.0.0.1:");
        if (p)
            s->port = atoi(p + strlen("listening on http://127.0.0.1:"));
        free(log);
        int st;
        if (!s->port && waitpid(s->pid, &st, WNOHANG) == s->pid) {
            char *msg = t_slurp(s->log);
            cr_assert_fail("credence serve exited at start: %s", msg);
        }
        if (!s->port)
            t_sleep_ms(20);
    }
    cr_assert(s->port > 0, "credence serve did not start listening");
}

#define server_start(s, ...) server_start_in((s), NULL, __VA_ARGS__)
/* Start in a fresh directory with the corpus s->idx (`--index`), ARGS... after it. Restart it with
   server_start_in(s, s->dir, "--index", s->idx, ...). */
#define server_start_indexed(s, ...) \
    (server_dir_new(s), server_start_in((s), (s)->dir, "--index", (s)->idx, __VA_ARGS__))

/* SIGTERM and wait (at most 20 s). Returns the exit status (-1: killed by a signal or timeout). */
static int server_stop(server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int st = 0;
    for (double until = t_now() + 20; t_now() < until;) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        t_sleep_ms(10);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    return -1;
}

static void server_cleanup(server *s)
{
    if (s->pid > 0)
        server_stop(s);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (strncmp(s->dir, "/tmp/cred_serve_", 16) == 0)
        cr_assert(system(cmd) == 0);
}

static int t_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
    struct timeval tv = {20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool t_send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0)
            return false;
        s += k;
        n -= (size_t)k;
    }
    return true;
}

typedef struct reply {
    int status;      /* 0: no reply (connection failed or closed) */
    char *head;
    char *body;
} reply;

/* Read a whole response from a "Connection: close" request. */
static reply t_read_reply(int fd)
{
    reply r = {0, NULL, NULL};
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1024 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) == 0 && sep) {
        r.status = atoi(buf + 9);
        *sep = '\0';
        r.head = strdup(buf);
        r.body = strdup(sep + 4);
    } else {
        r.head = strdup("");
        r.body = strdup("");
    }
    free(buf);
    return r;
}

/* One request. headers: extra header lines each ending in \r\n, or NULL. body: NULL for none. */
static reply http(int port, const char *method, const char *path, const char *headers, const char *body)
{
    int fd = t_connect(port);
    if (fd < 0) {
        reply r = {0, strdup(""), strdup("")};
        return r;
    }
    size_t blen = body ? strlen(body) : 0;
    size_t cap = blen + 4096;
    char *req = malloc(cap);
    int n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s", method, path,
                     headers ? headers : "");
    if (body)
        n += snprintf(req + n, cap - (size_t)n, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
    n += snprintf(req + n, cap - (size_t)n, "\r\n");
    memcpy(req + n, body ? body : "", blen);
    t_send_all(fd, req, (size_t)n + blen);
    free(req);
    reply r = t_read_reply(fd);
    close(fd);
    return r;
}

static void reply_free(reply *r)
{
    free(r->head);
    free(r->body);
}

#define AUTH "Authorization: Bearer " TOKEN "\r\n"

#endif
