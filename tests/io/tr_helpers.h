/* Test helpers for the transcript readers: fixture files, cue lists, small JSON look-ups (yajl tree). */
#ifndef CRED_TEST_IO_TR_HELPERS_H
#define CRED_TEST_IO_TR_HELPERS_H

#include "io/collect.h"
#include "io/transcript.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#define TR_FIXTURES "tests/fixtures/transcripts"

/* Whole file, NUL-terminated (NULL when missing). */
static inline char *tr_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    cr_assert(p);
    cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return p;
}

static inline char *tr_slurp_fixture(const char *rel, size_t *len)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", TR_FIXTURES, rel);
    char *p = tr_slurp(path, len);
    cr_assert(p, "fixture %s is missing (run the tests from the repository root)", path);
    return p;
}

static inline yajl_val tr_json(const char *rel)
{
    char *s = tr_slurp_fixture(rel, NULL);
    char err[256];
    yajl_val v = yajl_tree_parse(s, err, sizeof err);
    cr_assert(v, "%s: %s", rel, err);
    free(s);
    return v;
}

static inline yajl_val tr_get(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(obj, path, yajl_t_any);
}

/* A string member ("" when absent or not a string). */
static inline const char *tr_str(yajl_val obj, const char *key)
{
    yajl_val v = tr_get(obj, key);
    const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
    return s ? s : "";
}

/* Parse a fixture file's cues with one of the cred_*__parse functions (no diagnostics). */
static inline void tr_cues(cred_cues *c, cred_tr_parse_fn parse, const char *rel)
{
    size_t n;
    char *s = tr_slurp_fixture(rel, &n);
    cred_cues_init(c);
    cr_assert_eq(parse(c, s, n, NULL), 0, "%s", rel);
    free(s);
}

/* Read a fixture file through the public reader. */
static inline tread tr_read(const char *rel, cred_format fmt)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", TR_FIXTURES, rel);
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = fmt;
    return read_path(path, &o);
}

/* Plain texts of all cues, lines and cues joined by single spaces. malloc'd. */
static inline char *tr_joined(const cred_cues *c)
{
    cred_buf b = CRED_BUF_INIT;
    for (size_t i = 0; i < c->n; i++) {
        for (const char *p = c->v[i].text; *p; p++) {
            char ch = *p == '\n' ? ' ' : *p;
            if (ch == ' ' && (b.len == 0 || b.ptr[b.len - 1] == ' '))
                continue;
            cred_buf_putc(&b, ch);
        }
        if (b.len && b.ptr[b.len - 1] != ' ')
            cred_buf_putc(&b, ' ');
    }
    while (b.len && b.ptr[b.len - 1] == ' ')
        b.len--;
    cred_buf_terminate(&b);
    return b.ptr ? b.ptr : tdup("");
}

static inline bool tr_near(double a, double b)
{
    return fabs(a - b) < 0.0005;
}

#endif
