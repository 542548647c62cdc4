/* Shared helpers of the Telegram and Facebook reader tests: read a whole input into owned records. */
#ifndef CRED_TESTS_IO_TG_HELPERS_H
#define CRED_TESTS_IO_TG_HELPERS_H

#include "credence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rec {
    char *id, *text, *source, *author, *author_id, *date_text, *forwarded_from, *reply_to, *media;
    size_t text_len;
    int64_t date;
    unsigned flags;
    int kind;
    uint64_t line;
    char *links[8];
    size_t n_links;
} rec;

typedef struct result {
    rec *recs;
    size_t n;
    int rc;                     /* last cred_reader_next() (0 or negative) or the open error */
    cred_error err;             /* copy of cred_error_last() when rc < 0 */
    char err_msg[512];
    cred_reader_stats stats;
    cred_format format;
    unsigned warnings, errors;
    char first_diag[512];
} result;

static inline char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static inline void count_diag(const cred_diag *d, void *payload)
{
    result *res = payload;
    if (d->severity == CRED_SEV_WARNING)
        res->warnings++;
    else if (d->severity == CRED_SEV_ERROR)
        res->errors++;
    if (!res->first_diag[0])
        snprintf(res->first_diag, sizeof res->first_diag, "%s", d->message);
}

static inline void collect(result *res, cred_reader *r)
{
    const cred_post *p;
    int rc;
    while ((rc = cred_reader_next(r, &p)) == 1) {
        res->recs = realloc(res->recs, (res->n + 1) * sizeof *res->recs);
        rec *o = &res->recs[res->n++];
        memset(o, 0, sizeof *o);
        o->id = dup_or_null(p->id);
        o->text = malloc(p->text_len + 1);
        memcpy(o->text, p->text, p->text_len + 1);
        o->text_len = p->text_len;
        o->source = dup_or_null(p->source);
        o->author = dup_or_null(p->author);
        o->author_id = dup_or_null(p->author_id);
        o->date_text = dup_or_null(p->date_text);
        o->forwarded_from = dup_or_null(p->forwarded_from);
        o->reply_to = dup_or_null(p->reply_to);
        o->media = dup_or_null(p->media);
        o->date = p->date;
        o->flags = p->flags;
        o->kind = p->kind;
        o->line = p->line;
        for (size_t i = 0; i < p->n_links && i < 8; i++)
            o->links[o->n_links++] = strdup(p->links[i]);
    }
    res->rc = rc;
    if (rc < 0) {
        res->err = *cred_error_last();
        snprintf(res->err_msg, sizeof res->err_msg, "%s", res->err.message);
    }
    res->stats = *cred_reader_stats_get(r);
    res->format = cred_reader_format(r);
}

/* Read a file (format forced unless AUTO). */
static inline result read_path(const char *path, cred_format format)
{
    result res;
    memset(&res, 0, sizeof res);
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = format;
    o.on_diag = count_diag;
    o.diag_payload = &res;
    cred_reader *r;
    res.rc = cred_reader_open(&r, path, &o);
    if (res.rc < 0) {
        res.err = *cred_error_last();
        snprintf(res.err_msg, sizeof res.err_msg, "%s", res.err.message);
        return res;
    }
    collect(&res, r);
    cred_reader_free(r);
    return res;
}

static inline result read_mem(const void *data, size_t len, cred_format format)
{
    result res;
    memset(&res, 0, sizeof res);
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = format;
    o.on_diag = count_diag;
    o.diag_payload = &res;
    cred_reader *r;
    res.rc = cred_reader_open_memory(&r, "mem.json", data, len, &o);
    if (res.rc < 0) {
        res.err = *cred_error_last();
        snprintf(res.err_msg, sizeof res.err_msg, "%s", res.err.message);
        return res;
    }
    collect(&res, r);
    cred_reader_free(r);
    return res;
}

static inline void result_free(result *res)
{
    for (size_t i = 0; i < res->n; i++) {
        rec *o = &res->recs[i];
        free(o->id), free(o->text), free(o->source), free(o->author), free(o->author_id);
        free(o->date_text), free(o->forwarded_from), free(o->reply_to), free(o->media);
        for (size_t k = 0; k < o->n_links; k++)
            free(o->links[k]);
    }
    free(res->recs);
    memset(res, 0, sizeof *res);
}

/* Whole file into a malloc'd buffer (NUL-terminated). */
static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0) {
        fclose(f);
        return NULL;
    }
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

static inline size_t count_substr(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + k, needle))
        n++;
    return n;
}

#endif
