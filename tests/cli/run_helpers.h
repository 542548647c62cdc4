/* Running the built `credence` binary (env CRED_BIN) from a CLI test, with stdout and stderr captured.
 * Tests run with the source tree as working directory (datasets/, rules/ are reachable). */
#ifndef CRED_TEST_RUN_HELPERS_H
#define CRED_TEST_RUN_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct run_result {
    int status;  /* exit status, -1 when killed */
    char *out;   /* standard output, NUL-terminated */
    char *err;   /* standard error */
} run_result;

static inline char *t_read_file(const char *path)
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

/* Runs `credence ARGS` through the shell (ARGS may hold redirections and quotes). */
static inline run_result t_run(const char *args)
{
    const char *bin = getenv("CRED_BIN");
    cr_assert(bin, "CRED_BIN must name the built credence binary");
    char out[] = "/tmp/cred_cli_outXXXXXX", err[] = "/tmp/cred_cli_errXXXXXX";
    close(mkstemp(out));
    close(mkstemp(err));
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", bin, args, out, err);
    int st = system(cmd);
    run_result r = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, t_read_file(out), t_read_file(err)};
    unlink(out);
    unlink(err);
    return r;
}

static inline void t_run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static inline int t_count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Writes len bytes to a new temp file; returns its malloc'd path (unlink and free it). */
static inline char *t_write_tmp(const void *content, size_t len)
{
    char *path = strdup("/tmp/cred_cli_inXXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0 && write(fd, content, len) == (ssize_t)len);
    close(fd);
    return path;
}

#endif
