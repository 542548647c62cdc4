/* Test helper: read a whole input with a cred_reader, keeping copies of every post and diagnostic. */
#ifndef CRED_TEST_IO_COLLECT_H
#define CRED_TEST_IO_COLLECT_H

#include "credence.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tpost {
    char *id, *text, *source, *author, *author_id, *date_text, *forwarded_from, *url, *lang, *reply_to;
    char *media, *label;
    size_t text_len;
    int64_t date;
    cred_post_kind kind;
    unsigned flags;
    double start, end;
    size_t n_links;
    char *links[8];
    uint64_t line;
} tpost;

typedef struct tdiag {
    cred_severity sev;
    int code;
    uint64_t line, column;
    char message[512];
} tdiag;

typedef struct tread {
    int open_rc;        /* cred_reader_open*() result */
    int rc;             /* last cred_reader_next() result */
    cred_format format;
    tpost *posts;
    size_t n;
    tdiag *diags;
    size_t nd;
    cred_reader_stats stats;
    char error[512];    /* cred_error_last()->message after a failure */
} tread;

static inline char *tdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

static inline void on_diag(const cred_diag *d, void *payload)
{
    tread *t = payload;
    if ((t->nd & (t->nd - 1)) == 0) /* grow at powers of two */
        t->diags = realloc(t->diags, (t->nd ? t->nd * 2 : 1) * sizeof *t->diags);
    tdiag *x = &t->diags[t->nd++];
    x->sev = d->severity;
    x->code = d->code;
    x->line = d->line;
    x->column = d->column;
    snprintf(x->message, sizeof x->message, "%s", d->message);
}

static inline void drain(tread *t, cred_reader *r)
{
    const cred_post *p;
    t->format = cred_reader_format(r);
    while ((t->rc = cred_reader_next(r, &p)) == 1) {
        if ((t->n & (t->n - 1)) == 0) /* grow at powers of two */
            t->posts = realloc(t->posts, (t->n ? t->n * 2 : 1) * sizeof *t->posts);
        tpost *x = &t->posts[t->n++];
        memset(x, 0, sizeof *x);
        x->id = tdup(p->id);
        x->text = malloc(p->text_len + 1);
        memcpy(x->text, p->text, p->text_len + 1);
        x->text_len = p->text_len;
        x->source = tdup(p->source);
        x->author = tdup(p->author);
        x->author_id = tdup(p->author_id);
        x->date_text = tdup(p->date_text);
        x->forwarded_from = tdup(p->forwarded_from);
        x->url = tdup(p->url);
        x->lang = tdup(p->lang);
        x->reply_to = tdup(p->reply_to);
        x->media = tdup(p->media);
        x->label = tdup(p->label);
        x->date = p->date;
        x->kind = p->kind;
        x->flags = p->flags;
        x->start = p->start;
        x->end = p->end;
        x->n_links = p->n_links;
        for (size_t i = 0; i < p->n_links && i < 8; i++)
            x->links[i] = tdup(p->links[i]);
        x->line = p->line;
    }
    if (t->rc < 0)
        snprintf(t->error, sizeof t->error, "%s", cred_error_last()->message);
    t->stats = *cred_reader_stats_get(r);
}

/* Read `len` bytes of memory; fmt may be CRED_FORMAT_AUTO. opts may be NULL. */
static inline tread read_mem_opts(const char *data, size_t len, cred_reader_options *opts)
{
    tread t;
    memset(&t, 0, sizeof t);
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    if (opts)
        o = *opts;
    o.on_diag = on_diag;
    o.diag_payload = &t;
    cred_reader *r = NULL;
    t.open_rc = cred_reader_open_memory(&r, "mem", data, len, &o);
    if (t.open_rc < 0) {
        snprintf(t.error, sizeof t.error, "%s", cred_error_last()->message);
        return t;
    }
    drain(&t, r);
    cred_reader_free(r);
    return t;
}

static inline tread read_mem(const char *data, cred_format fmt)
{
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = fmt;
    return read_mem_opts(data, strlen(data), &o);
}

static inline tread read_path(const char *path, cred_reader_options *opts)
{
    tread t;
    memset(&t, 0, sizeof t);
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    if (opts)
        o = *opts;
    o.on_diag = on_diag;
    o.diag_payload = &t;
    cred_reader *r = NULL;
    t.open_rc = cred_reader_open(&r, path, &o);
    if (t.open_rc < 0) {
        snprintf(t.error, sizeof t.error, "%s", cred_error_last()->message);
        return t;
    }
    drain(&t, r);
    cred_reader_free(r);
    return t;
}

static inline void tread_free(tread *t)
{
    for (size_t i = 0; i < t->n; i++) {
        tpost *x = &t->posts[i];
        char *strs[] = {x->id, x->text, x->source, x->author, x->author_id, x->date_text,
                        x->forwarded_from, x->url, x->lang, x->reply_to, x->media, x->label};
        for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
            free(strs[k]);
        for (size_t k = 0; k < x->n_links && k < 8; k++)
            free(x->links[k]);
    }
    free(t->posts);
    free(t->diags);
    memset(t, 0, sizeof *t);
}

/* Count diagnostics of a severity. */
static inline size_t count_sev(const tread *t, cred_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nd; i++)
        n += t->diags[i].sev == sev;
    return n;
}

/* Write data to a fresh temporary file; returns its malloc'd path. */
static inline char *temp_file(const void *data, size_t len)
{
    char tmpl[] = "/tmp/cred_io_test_XXXXXX";
    int fd = mkstemp(tmpl);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return tdup(tmpl);
}

#endif
