/*
 * Labelled data sets: CSV (RFC 4180 quotes, fields may span lines), TSV (no quoting by default, as
 * LIAR's files need) and JSONL (flat objects), read through the io module's streaming readers
 * (cred_reader_*: columns, "#N", headerless files, joined text columns, the label column). Each
 * record becomes a cred_example with its text, a binary label mapped from the label column's value,
 * an id and an optional declared language, copied into the data set's arena. Records the reader skips
 * (short rows, objects without the text) and rows without a usable label are counted; a record that
 * does not parse ends the load. Work is linear in the file size.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "learn/learn_int.h"

struct cred_dataset {
    cred_example *ex;
    size_t n, cap;
    size_t skipped, positives;
    cred_arena arena;
};

void cred_dataset_free(cred_dataset *ds)
{
    if (!ds)
        return;
    free(ds->ex);
    cred_arena_free(&ds->arena);
    free(ds);
}

size_t cred_dataset_count(const cred_dataset *ds) { return ds ? ds->n : 0; }
size_t cred_dataset_skipped(const cred_dataset *ds) { return ds ? ds->skipped : 0; }
size_t cred_dataset_positives(const cred_dataset *ds) { return ds ? ds->positives : 0; }

const cred_example *cred_dataset_get(const cred_dataset *ds, size_t i)
{
    return ds && i < ds->n ? &ds->ex[i] : NULL;
}

/* ---- label mapping ------------------------------------------------------------------------------ */

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)(*s)[0]))
        (*s)++, (*len)--;
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

static bool as_number(const char *s, size_t len, double *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    *out = strtod(tmp, &end);
    return errno == 0 && *end == '\0';
}

static bool value_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    trim(&a, &alen);
    trim(&b, &blen);
    if (alen == blen && strncasecmp(a, b, alen) == 0)
        return true;
    double x, y;
    return as_number(a, alen, &x) && as_number(b, blen, &y) && x == y;
}

/* Whether value is one of the comma-separated items of list. */
static bool in_list(const char *list, const char *v, size_t len)
{
    while (list && *list) {
        const char *comma = strchr(list, ',');
        size_t n = comma ? (size_t)(comma - list) : strlen(list);
        if (value_eq(list, n, v, len))
            return true;
        list = comma ? comma + 1 : NULL;
    }
    return false;
}

/* 1 positive, 0 negative, -1 unusable. */
static int map_label(const cred_dataset_options *o, const char *v, size_t len)
{
    const char *t = v;
    size_t tl = len;
    trim(&t, &tl);
    if (tl == 0)
        return -1;
    if (in_list(o->positive, v, len))
        return 1;
    if (!o->negative || in_list(o->negative, v, len))
        return 0;
    return -1;
}

/* ---- reading ----------------------------------------------------------------------------------- */

/* The first record the reader could not parse (CRED_ESYNTAX), which fails the load: reading on past a
 * quote that never closes would lose the rest of the file silently. */
typedef struct bad_record {
    bool seen;
    uint64_t line, column, offset;
    char message[256];
} bad_record;

static void on_diag(const cred_diag *d, void *payload)
{
    bad_record *b = payload;
    if (b->seen || d->severity != CRED_SEV_ERROR || d->code != CRED_ESYNTAX)
        return;
    *b = (bad_record){true, d->line, d->column, d->offset, ""};
    snprintf(b->message, sizeof b->message, "%s", d->message);
}

static int add_example(cred_dataset *ds, const cred_dataset_options *o, const cred_post *p)
{
    int y = p->label ? map_label(o, p->label, strlen(p->label)) : -1;
    if (y < 0) {
        ds->skipped++;
        return 0;
    }
    if (ds->n >= CRED_LIMIT_DATASET_ROWS)
        return cred__error(CRED_ELIMIT, "more than %u labelled rows", CRED_LIMIT_DATASET_ROWS);
    if (CRED_GROW(ds->ex, ds->cap, ds->n + 1) < 0)
        return cred__error_nomem();
    cred_example *e = &ds->ex[ds->n];
    char *t = cred_arena_alloc(&ds->arena, p->text_len + 1);
    e->id = cred_arena_strndup(&ds->arena, p->id, strlen(p->id));
    e->lang = o->lang_col && p->lang ? cred_arena_strndup(&ds->arena, p->lang, CRED_MIN(strlen(p->lang), 16)) : NULL;
    if (!t || !e->id || (o->lang_col && p->lang && !e->lang))
        return cred__error_nomem();
    memcpy(t, p->text, p->text_len);
    t[p->text_len] = '\0';
    e->text = t;
    e->text_len = p->text_len;
    e->label = y;
    e->line = p->line;
    ds->positives += (size_t)y;
    ds->n++;
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

int cred_dataset_load(cred_dataset **out, const char *path, const cred_dataset_options *opts)
{
    if (!out || !path)
        return cred__error(CRED_EINVAL, "cred_dataset_load: NULL argument");
    *out = NULL;
    cred_dataset_options o = CRED_DATASET_OPTIONS_INIT;
    if (opts)
        o = *opts;
    if (!o.text_col)
        o.text_col = "text";
    if (!o.label_col)
        o.label_col = "label";
    if (!o.positive)
        o.positive = "1";
    cred_dataset_format fmt = o.format;
    if (fmt == CRED_DATASET_AUTO)
        fmt = ends_with(path, ".jsonl") || ends_with(path, ".ndjson") ? CRED_DATASET_JSONL
              : ends_with(path, ".tsv")                               ? CRED_DATASET_TSV
                                                                      : CRED_DATASET_CSV;
    bad_record bad = {0};
    cred_reader_options ro = CRED_READER_OPTIONS_INIT;
    ro.format = fmt == CRED_DATASET_JSONL ? CRED_FORMAT_JSONL : CRED_FORMAT_CSV;
    ro.text_col = o.text_col;
    ro.label_col = o.label_col;
    ro.id_col = o.id_col;
    ro.lang_col = o.lang_col;
    ro.csv_delimiter = fmt == CRED_DATASET_TSV ? '\t' : ',';
    ro.csv_no_header = !o.header;
    ro.csv_no_quotes = o.quotes < 0 ? fmt == CRED_DATASET_TSV : o.quotes == 0;
    ro.on_diag = on_diag;
    ro.diag_payload = &bad;
    cred_reader *r = NULL;
    cred_dataset *ds = NULL;
    int rc = cred_reader_open(&r, path, &ro);
    if (rc < 0)
        return rc;
    CRED_TRY_ALLOC(ds = calloc(1, sizeof *ds));
    cred_arena_init(&ds->arena, 1u << 20);
    const cred_post *p;
    while (!bad.seen && (rc = cred_reader_next(r, &p)) == 1)
        CRED_TRY(add_example(ds, &o, p));
    if (bad.seen)
        rc = cred__error_at(CRED_ESYNTAX, path, bad.line, bad.column, bad.offset, "%s:%llu:%llu: %s (a labelled file must parse whole)", path,
                            (unsigned long long)bad.line, (unsigned long long)bad.column, bad.message);
    ds->skipped += cred_reader_stats_get(r)->skipped;
done:
    cred_reader_free(r);
    if (rc < 0) {
        cred_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return 0;
}
