/* Whole-file reads and atomic writes (temp + fsync + rename + directory fsync). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int cred__read_file(char **out, size_t *out_len, const char *path, size_t max_len)
{
    int rc = 0;
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    cred_buf b = CRED_BUF_INIT;
    if (fd < 0)
        return cred__error_os("cannot open", path);
    for (;;) {
        CRED_TRY(cred_buf_reserve(&b, 1 << 16));
        ssize_t n = read(fd, b.ptr + b.len, b.cap - b.len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = cred__error_os("cannot read", path);
            goto done;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
        if (b.len > max_len) {
            rc = cred__error_at(CRED_ELIMIT, path, 0, 0, max_len, "%s is larger than %zu bytes", path, max_len);
            goto done;
        }
    }
    CRED_TRY(cred_buf_terminate(&b));
    *out = b.ptr;
    *out_len = b.len;
    b.ptr = NULL;
done:
    if (fd != STDIN_FILENO)
        close(fd);
    cred_buf_free(&b);
    return rc;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int cred__write_file_atomic(const char *path, const void *data, size_t len)
{
    int rc = 0, fd = -1;
    char *tmp = NULL, *dir = NULL;
    size_t plen = strlen(path);
    tmp = malloc(plen + 32);
    dir = cred__strndup(path, plen);
    CRED_TRY_ALLOC(tmp);
    CRED_TRY_ALLOC(dir);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = cred__error_os("cannot create", tmp);
        goto done;
    }
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        rc = cred__error_os("cannot write", tmp);
        goto done;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0) {
        rc = cred__error_os("cannot rename into", path);
        goto done;
    }
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
done:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(dir);
    return rc;
}
