/* The write-ahead log: checksummed records appended and fdatasync'ed; replay tolerates a torn tail. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

static const char wal_magic[ST_MAGIC_LEN] = {'C', 'R', 'E', 'D', 'W', 'A', 'L', '\0'};
#define WAL_VERSION 1u

int st_wal_replay(const char *path, uint64_t *gen, uint64_t *valid_end, st_wal_fn fn, void *payload)
{
    char *data = NULL;
    size_t len = 0;
    *gen = 0;
    *valid_end = 0;
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return 0;
    int rc = cred__read_file(&data, &len, path, SIZE_MAX);
    if (rc < 0)
        return rc;
    const uint8_t *b = (const uint8_t *)data;
    if (len < ST_WAL_HEADER_LEN) {
        /* a log whose header never became durable: only possible before any record was written */
        rc = len == 0 ? 0 : st_corrupt(path, 0, "log header too short");
        goto done;
    }
    if (memcmp(b, wal_magic, ST_MAGIC_LEN) != 0) {
        rc = st_corrupt(path, 0, "bad log magic");
        goto done;
    }
    if (st_get32(b + 8) != WAL_VERSION) {
        rc = cred__error_at(CRED_EVERSION, path, 0, 0, 8, "%s: log format version %u", path, st_get32(b + 8));
        goto done;
    }
    *gen = st_get64(b + 16);
    size_t off = ST_WAL_HEADER_LEN;
    while (off < len) {
        if (len - off < ST_WAL_RECORD_HEAD)
            break; /* torn header */
        uint32_t n = st_get32(b + off);
        if (n > ST_WAL_MAX_RECORD || st_get32(b + off + 4) != 0) {
            /* a damaged header: torn (zero-filled by the file system) only when nothing follows */
            bool zeros = true;
            for (size_t i = off; i < len && zeros; i++)
                zeros = b[i] == 0;
            if (zeros)
                break;
            rc = st_corrupt(path, off, "bad log record header");
            goto done;
        }
        if ((uint64_t)n > len - off - ST_WAL_RECORD_HEAD)
            break; /* torn record */
        const uint8_t *rec = b + off + ST_WAL_RECORD_HEAD;
        if (st_xxh64(rec, n) != st_get64(b + off + 8)) {
            if (off + ST_WAL_RECORD_HEAD + n == len)
                break; /* the last record, partly written */
            rc = st_corrupt(path, off, "log record checksum mismatch");
            goto done;
        }
        rc = fn(payload, rec, n);
        if (rc < 0)
            goto done;
        off += ST_WAL_RECORD_HEAD + n;
    }
    *valid_end = off;
done:
    free(data);
    return rc;
}

int st_wal_create(const char *path, uint64_t gen)
{
    uint8_t h[ST_WAL_HEADER_LEN] = {0};
    memcpy(h, wal_magic, ST_MAGIC_LEN);
    st_put32(h + 8, WAL_VERSION);
    st_put64(h + 16, gen);
    return cred__write_file_atomic(path, h, sizeof h);
}

int st_wal_open_append(st_wal *w, const char *path, uint64_t gen, uint64_t valid_end)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->gen = gen;
    w->path = strdup(path);
    if (!w->path)
        return cred__error_nomem();
    w->fd = open(path, O_WRONLY | O_CLOEXEC);
    if (w->fd < 0)
        return cred__error_os("cannot open", path);
    if (valid_end < ST_WAL_HEADER_LEN)
        return cred__error(CRED_EINVAL, "%s: log end before its header", path);
    struct stat st;
    if (fstat(w->fd, &st) < 0)
        return cred__error_os("cannot stat", path);
    if ((uint64_t)st.st_size != valid_end) {
        if (ftruncate(w->fd, (off_t)valid_end) < 0 || fsync(w->fd) < 0)
            return cred__error_os("cannot truncate the torn tail of", path);
    }
    if (lseek(w->fd, (off_t)valid_end, SEEK_SET) < 0)
        return cred__error_os("cannot seek", path);
    w->size = valid_end;
    return 0;
}

int st_wal_append(st_wal *w, const void *rec, size_t len)
{
    if (len > ST_WAL_MAX_RECORD)
        return cred__error(CRED_ELIMIT, "log record of %zu bytes", len);
    uint8_t h[ST_WAL_RECORD_HEAD] = {0};
    st_put32(h, (uint32_t)len);
    st_put64(h + 8, st_xxh64(rec, len));
    if (cred_buf_put(&w->pending, h, sizeof h) < 0 || cred_buf_put(&w->pending, rec, len) < 0)
        return CRED_ENOMEM;
    return 0;
}

int st_wal_sync(st_wal *w)
{
    const char *p = w->pending.ptr;
    size_t left = w->pending.len;
    while (left) {
        ssize_t n = write(w->fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cred__error_os("cannot append to", w->path);
        }
        p += n;
        left -= (size_t)n;
    }
    if (w->pending.len && fdatasync(w->fd) < 0)
        return cred__error_os("cannot sync", w->path);
    w->size += w->pending.len;
    cred_buf_clear(&w->pending);
    return 0;
}

void st_wal_close(st_wal *w)
{
    if (w->fd >= 0)
        close(w->fd);
    free(w->path);
    cred_buf_free(&w->pending);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}
