/* Block files: sections with checksums, written in memory then atomically, read through mmap. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "store/store.h"

static const char footer_magic[ST_MAGIC_LEN] = {'C', 'R', 'E', 'D', 'E', 'N', 'D', '\0'};

uint64_t st_xxh64(const void *p, size_t len)
{
    return XXH64(p, len, 0);
}

int st_corrupt(const char *path, uint64_t off, const char *msg)
{
    return cred__error_at(CRED_ECORRUPT, path, 0, 0, off, "%s: %s at offset %" PRIu64,
                          path ? path : "<memory>", msg, off);
}

int st_zstd_compress(cred_buf *out, const void *src, size_t len, int level)
{
    size_t bound = ZSTD_compressBound(len);
    if (cred_buf_reserve(out, bound) < 0)
        return CRED_ENOMEM;
    size_t n = ZSTD_compress(out->ptr + out->len, bound, src, len, level);
    if (ZSTD_isError(n))
        return cred__error(CRED_ERROR, "zstd: %s", ZSTD_getErrorName(n));
    out->len += n;
    return 0;
}

int st_zstd_decompress(void *dst, size_t raw_len, const void *src, size_t len, const char *path, uint64_t off)
{
    size_t n = ZSTD_decompress(dst, raw_len, src, len);
    if (ZSTD_isError(n) || n != raw_len)
        return st_corrupt(path, off, "bad compressed block");
    return 0;
}

/* ---- writer --------------------------------------------------------------------------------------- */

static int pad8(cred_buf *b)
{
    static const char zero[8] = {0};
    size_t pad = (8 - (b->len & 7)) & 7;
    return pad ? cred_buf_put(b, zero, pad) : 0;
}

void st_writer_begin(st_writer *w, const char magic[ST_MAGIC_LEN], uint32_t version)
{
    memset(w, 0, sizeof *w);
    uint8_t h[ST_HEADER_LEN] = {0};
    memcpy(h, magic, ST_MAGIC_LEN);
    st_put32(h + 8, version);
    cred_buf_put(&w->b, h, sizeof h); /* a failure shows in st_writer_add / finish */
}

int st_writer_add(st_writer *w, uint32_t kind, const void *data, size_t len, uint32_t codec)
{
    if (w->n >= ST_MAX_SECTIONS || w->b.len < ST_HEADER_LEN)
        return w->n >= ST_MAX_SECTIONS ? cred__error(CRED_EINVAL, "too many sections") : cred__error_nomem();
    if (pad8(&w->b) < 0)
        return CRED_ENOMEM;
    st_section *s = &w->sec[w->n];
    s->kind = kind;
    s->codec = codec;
    s->off = w->b.len;
    s->raw_len = len;
    if (codec == ST_CODEC_ZSTD) {
        int rc = st_zstd_compress(&w->b, data, len, 3);
        if (rc < 0)
            return rc;
    } else if (len && cred_buf_put(&w->b, data, len) < 0) {
        return CRED_ENOMEM;
    }
    s->len = w->b.len - s->off;
    s->xxh = st_xxh64(w->b.ptr + s->off, s->len);
    w->n++;
    return 0;
}

int st_writer_finish(st_writer *w)
{
    if (pad8(&w->b) < 0)
        return CRED_ENOMEM;
    uint64_t table_off = w->b.len;
    for (uint32_t i = 0; i < w->n; i++) {
        uint8_t e[40];
        st_put32(e, w->sec[i].kind);
        st_put32(e + 4, w->sec[i].codec);
        st_put64(e + 8, w->sec[i].off);
        st_put64(e + 16, w->sec[i].len);
        st_put64(e + 24, w->sec[i].raw_len);
        st_put64(e + 32, w->sec[i].xxh);
        if (cred_buf_put(&w->b, e, sizeof e) < 0)
            return CRED_ENOMEM;
    }
    uint8_t f[ST_FOOTER_LEN] = {0};
    st_put64(f, table_off);
    st_put32(f + 8, w->n);
    st_put64(f + 16, st_xxh64(w->b.ptr + table_off, (size_t)(w->b.len - table_off)));
    if (cred_buf_put(&w->b, f, 24) < 0)
        return CRED_ENOMEM;
    st_put64(f + 24, st_xxh64(w->b.ptr, w->b.len));
    memcpy(f + 32, footer_magic, ST_MAGIC_LEN);
    return cred_buf_put(&w->b, f + 24, 16) < 0 ? CRED_ENOMEM : 0;
}

void st_writer_free(st_writer *w)
{
    cred_buf_free(&w->b);
    memset(w, 0, sizeof *w);
}

/* ---- reader --------------------------------------------------------------------------------------- */

static int parse(st_file *f, const char magic[ST_MAGIC_LEN], uint32_t max_version)
{
    const char *p = f->path;
    const uint8_t *b = f->base;
    if (f->len < ST_MAGIC_LEN || memcmp(b, magic, ST_MAGIC_LEN) != 0)
        return cred__error_at(CRED_EFORMAT, p, 0, 0, 0, "%s: not a %.7s file (bad magic)", p, magic);
    if (f->len < ST_HEADER_LEN + ST_FOOTER_LEN)
        return st_corrupt(p, f->len, "file too short");
    f->version = st_get32(b + 8);
    if (f->version == 0 || f->version > max_version)
        return cred__error_at(CRED_EVERSION, p, 0, 0, 8, "%s: format version %u (this build reads 1 to %u)",
                              p, f->version, max_version);
    size_t foot = f->len - ST_FOOTER_LEN;
    if (memcmp(b + foot + 32, footer_magic, ST_MAGIC_LEN) != 0)
        return st_corrupt(p, foot + 32, "bad footer magic (truncated file?)");
    if (st_get64(b + foot + 24) != st_xxh64(b, foot + 24))
        return st_corrupt(p, foot + 24, "whole-file checksum mismatch");
    uint64_t table_off = st_get64(b + foot);
    uint32_t n = st_get32(b + foot + 8);
    if (n > ST_MAX_SECTIONS || table_off < ST_HEADER_LEN || table_off > foot || (foot - table_off) != (uint64_t)n * 40)
        return st_corrupt(p, foot, "bad section table position");
    if (st_get64(b + foot + 16) != st_xxh64(b + table_off, (size_t)n * 40))
        return st_corrupt(p, table_off, "section table checksum mismatch");
    f->n = n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = b + table_off + (size_t)i * 40;
        st_section *s = &f->sec[i];
        s->kind = st_get32(e);
        s->codec = st_get32(e + 4);
        s->off = st_get64(e + 8);
        s->len = st_get64(e + 16);
        s->raw_len = st_get64(e + 24);
        s->xxh = st_get64(e + 32);
        if (s->off < ST_HEADER_LEN || (s->off & 7) || s->off > table_off || s->len > table_off - s->off ||
            s->codec > ST_CODEC_ZSTD || (s->codec == ST_CODEC_RAW && s->raw_len != s->len))
            return st_corrupt(p, table_off + (uint64_t)i * 40, "bad section entry");
    }
    return 0;
}

int st_file_open_memory(st_file *f, const void *data, size_t len, const char *name,
                        const char magic[ST_MAGIC_LEN], uint32_t max_version, bool take_ownership)
{
    memset(f, 0, sizeof *f);
    f->base = data;
    f->len = len;
    f->owned = take_ownership;
    f->path = strdup(name ? name : "<memory>");
    if (!f->path)
        return cred__error_nomem();
    int rc = parse(f, magic, max_version);
    if (rc < 0) {
        f->owned = false; /* on failure the caller keeps its buffer */
        st_file_close(f);
    }
    return rc;
}

int st_file_open(st_file *f, const char *path, const char magic[ST_MAGIC_LEN], uint32_t max_version)
{
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? cred__error(CRED_ENOTFOUND, "%s: no such file", path)
                               : cred__error_os("cannot open", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return cred__error_os("cannot stat", path);
    }
    size_t len = (size_t)st.st_size;
    void *m = NULL;
    if (len) {
        m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return cred__error_os("cannot map", path);
        }
    }
    close(fd);
    f->base = m ? m : (const uint8_t *)"";
    f->len = len;
    f->mapped = m != NULL;
    f->path = strdup(path);
    if (!f->path) {
        st_file_close(f);
        return cred__error_nomem();
    }
    int rc = parse(f, magic, max_version);
    if (rc < 0)
        st_file_close(f);
    return rc;
}

void st_file_close(st_file *f)
{
    if (f->mapped)
        munmap((void *)f->base, f->len);
    else if (f->owned)
        free((void *)f->base);
    free(f->path);
    memset(f, 0, sizeof *f);
}

const st_section *st_file_find(const st_file *f, uint32_t kind)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (f->sec[i].kind == kind)
            return &f->sec[i];
    return NULL;
}

int st_file_raw(const st_file *f, uint32_t kind, const uint8_t **p, size_t *len)
{
    const st_section *s = st_file_find(f, kind);
    if (!s || s->codec != ST_CODEC_RAW) {
        char msg[64];
        snprintf(msg, sizeof msg, "missing section %u", kind);
        return st_corrupt(f->path, f->len, msg);
    }
    *p = f->base + s->off;
    *len = (size_t)s->len;
    return 0;
}

int st_file_inflate(const st_file *f, uint32_t kind, uint8_t **out, size_t *len)
{
    const st_section *s = st_file_find(f, kind);
    if (!s) {
        char msg[64];
        snprintf(msg, sizeof msg, "missing section %u", kind);
        return st_corrupt(f->path, f->len, msg);
    }
    if (s->raw_len > ((uint64_t)1 << 40))
        return st_corrupt(f->path, s->off, "section too large");
    uint8_t *b = malloc(s->raw_len ? (size_t)s->raw_len : 1);
    if (!b)
        return cred__error_nomem();
    int rc = 0;
    if (s->codec == ST_CODEC_ZSTD)
        rc = st_zstd_decompress(b, (size_t)s->raw_len, f->base + s->off, (size_t)s->len, f->path, s->off);
    else
        memcpy(b, f->base + s->off, (size_t)s->len);
    if (rc < 0) {
        free(b);
        return rc;
    }
    *out = b;
    *len = (size_t)s->raw_len;
    return 0;
}

int st_file_verify(const st_file *f)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (st_xxh64(f->base + f->sec[i].off, (size_t)f->sec[i].len) != f->sec[i].xxh)
            return st_corrupt(f->path, f->sec[i].off, "section checksum mismatch");
    return 0;
}

void st_reseal(uint8_t *b, size_t len)
{
    if (len < ST_HEADER_LEN + ST_FOOTER_LEN)
        return;
    size_t foot = len - ST_FOOTER_LEN;
    uint64_t table_off = st_get64(b + foot);
    uint32_t n = st_get32(b + foot + 8);
    if (n <= ST_MAX_SECTIONS && table_off >= ST_HEADER_LEN && table_off <= foot && foot - table_off == (uint64_t)n * 40) {
        for (uint32_t i = 0; i < n; i++) {
            uint8_t *e = b + table_off + (size_t)i * 40;
            uint64_t off = st_get64(e + 8), slen = st_get64(e + 16);
            if (off <= table_off && slen <= table_off - off)
                st_put64(e + 32, st_xxh64(b + off, (size_t)slen));
        }
        st_put64(b + foot + 16, st_xxh64(b + table_off, (size_t)n * 40));
    }
    st_put64(b + foot + 24, st_xxh64(b, foot + 24));
}
