/*
 * Labelled data sets: CSV (RFC 4180 quotes, fields may span lines), TSV (no quoting by default, as
 * LIAR's files need) and JSONL (flat objects), read whole into memory. Each row becomes a
 * cred_example with its text (several columns may be joined), a binary label mapped from the label
 * column's values, an id and an optional declared language. Rows lacking a column or a usable label
 * are skipped and counted. Work is linear in the file size.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <yajl/yajl_tree.h>

#include "learn/learn_int.h"

#define MAX_FILE_BYTES ((size_t)2 << 30)
#define MAX_TEXT_COLS 8

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

/* ---- adding examples --------------------------------------------------------------------------- */

typedef struct field {
    const char *s;
    size_t len;
} field;

static int add_example(cred_dataset *ds, const cred_dataset_options *o, const field *text, size_t n_text,
                       field label, const field *id, const field *lang, uint64_t line)
{
    int y = map_label(o, label.s, label.len);
    if (y < 0) {
        ds->skipped++;
        return 0;
    }
    if (ds->n >= CRED_LIMIT_DATASET_ROWS)
        return cred__error(CRED_ELIMIT, "more than %u labelled rows", CRED_LIMIT_DATASET_ROWS);
    if (CRED_GROW(ds->ex, ds->cap, ds->n + 1) < 0)
        return cred__error_nomem();
    size_t total = 0;
    for (size_t k = 0; k < n_text; k++)
        total += text[k].len + 2;
    char *t = cred_arena_alloc(&ds->arena, total + 1);
    if (!t)
        return cred__error_nomem();
    size_t tl = 0;
    for (size_t k = 0; k < n_text; k++) {
        if (text[k].len == 0)
            continue;
        if (tl) {
            t[tl++] = '\n';
            t[tl++] = '\n';
        }
        memcpy(t + tl, text[k].s, text[k].len);
        tl += text[k].len;
    }
    if (tl > CRED_LIMIT_POST_BYTES)
        tl = CRED_LIMIT_POST_BYTES;
    t[tl] = '\0';
    cred_example *e = &ds->ex[ds->n];
    char num[32];
    field idf = {num, 0};
    if (id && id->len)
        idf = *id;
    else
        idf.len = (size_t)snprintf(num, sizeof num, "%llu", (unsigned long long)line);
    e->id = cred_arena_strndup(&ds->arena, idf.s, CRED_MIN(idf.len, (size_t)CRED_LIMIT_FIELD_BYTES));
    e->lang = lang && lang->len ? cred_arena_strndup(&ds->arena, lang->s, CRED_MIN(lang->len, 16)) : NULL;
    if (!e->id || (lang && lang->len && !e->lang))
        return cred__error_nomem();
    e->text = t;
    e->text_len = tl;
    e->label = y;
    e->line = line;
    ds->positives += (size_t)y;
    ds->n++;
    return 0;
}

/* ---- delimited files --------------------------------------------------------------------------- */

typedef struct slice {
    size_t off, len;       /* into rec.buf */
} slice;

typedef struct rec {
    cred_buf buf;          /* field bytes, unescaped */
    slice *f;              /* fields */
    size_t n, cap;
} rec;

static int rec_push(rec *r, size_t off, size_t len)
{
    if (CRED_GROW(r->f, r->cap, r->n + 1) < 0)
        return cred__error_nomem();
    r->f[r->n++] = (slice){off, len};
    return 0;
}

/*
 * Read one record from s[*pos..n) into r. Returns 1 when a record was read, 0 at the end, or a
 * negative code (an unterminated quote). *line advances over the newlines consumed.
 */
static int read_record(rec *r, const char *s, size_t n, size_t *pos, char delim, bool quotes, uint64_t *line,
                       const char *path)
{
    size_t i = *pos;
    if (i >= n)
        return 0;
    r->n = 0;
    r->buf.len = 0;
    uint64_t start_line = *line;
    for (;;) {
        size_t off = r->buf.len;
        if (quotes && i < n && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= n)
                    return cred__error_at(CRED_ESYNTAX, path, start_line, 1, *pos,
                                          "%s:%llu: a quoted field never ends", path, (unsigned long long)start_line);
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        if (cred_buf_putc(&r->buf, '"') < 0)
                            return cred__error_nomem();
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (s[i] == '\n')
                    (*line)++;
                if (cred_buf_putc(&r->buf, s[i++]) < 0)
                    return cred__error_nomem();
            }
            /* anything after the closing quote up to the delimiter is kept as written */
            size_t j = i;
            while (j < n && s[j] != delim && s[j] != '\n')
                j++;
            size_t extra = j - i;
            if (extra && s[j - 1] == '\r' && (j == n || s[j] == '\n'))
                extra--;
            if (cred_buf_put(&r->buf, s + i, extra) < 0)
                return cred__error_nomem();
            i = j;
        } else {
            size_t j = i;
            while (j < n && s[j] != delim && s[j] != '\n')
                j++;
            size_t len = j - i;
            if (len && s[j - 1] == '\r' && (j == n || s[j] == '\n'))
                len--;
            if (cred_buf_put(&r->buf, s + i, len) < 0)
                return cred__error_nomem();
            i = j;
        }
        if (rec_push(r, off, r->buf.len - off) < 0)
            return cred__error_nomem();
        if (i < n && s[i] == delim) {
            i++;
            continue;
        }
        if (i < n && s[i] == '\n') {
            i++;
            (*line)++;
        }
        break;
    }
    *pos = i;
    return 1;
}

/* Column index of a name: "#N" (1-based) or a header name (exact, else case-insensitive); -1 if none. */
static long find_column(char **names, size_t n, const char *name, size_t len)
{
    if (len > 1 && name[0] == '#') {
        long k = 0;
        for (size_t i = 1; i < len; i++) {
            if (!isdigit((unsigned char)name[i]) || k > 100000)
                return -1;
            k = k * 10 + (name[i] - '0');
        }
        return k >= 1 ? k - 1 : -1;
    }
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return (long)i;
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
            return (long)i;
    return -1;
}

static int missing_column(const char *path, const char *what, const char *name, char **names, size_t n)
{
    cred_buf b = CRED_BUF_INIT;
    for (size_t i = 0; i < n && b.len < 400; i++)
        cred_buf_printf(&b, "%s\"%s\"", i ? ", " : "", names[i]);
    int rc = cred__error_at(CRED_ENOTFOUND, path, 1, 1, 0, "%s: no %s column \"%s\"; the header has %s", path, what,
                            name, b.ptr ? b.ptr : (n ? "..." : "no names (use #N)"));
    cred_buf_free(&b);
    return rc;
}

/* Resolve "a+b" into column indices: the whole name first, then its '+' parts. */
static int resolve_text(long *cols, size_t *n_cols, char **names, size_t n, const char *spec, const char *path)
{
    *n_cols = 0;
    long whole = find_column(names, n, spec, strlen(spec));
    if (whole >= 0) {
        cols[(*n_cols)++] = whole;
        return 0;
    }
    for (const char *p = spec; *p;) {
        const char *plus = strchr(p, '+');
        size_t len = plus ? (size_t)(plus - p) : strlen(p);
        long c = find_column(names, n, p, len);
        if (c < 0 || *n_cols >= MAX_TEXT_COLS)
            return missing_column(path, "text", spec, names, n);
        cols[(*n_cols)++] = c;
        p = plus ? plus + 1 : p + len;
    }
    return *n_cols ? 0 : missing_column(path, "text", spec, names, n);
}

static int load_delimited(cred_dataset *ds, const char *s, size_t n, const char *path, const cred_dataset_options *o,
                          bool tsv)
{
    int rc = 0;
    char delim = tsv ? '\t' : ',';
    bool quotes = o->quotes < 0 ? !tsv : o->quotes != 0;
    rec r = {CRED_BUF_INIT, NULL, 0, 0};
    char **names = NULL;
    size_t n_names = 0, pos = 0;
    uint64_t line = 1;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    if (cred_buf_reserve(&r.buf, 256) < 0)
        return cred__error_nomem();
    if (o->header) {
        rc = read_record(&r, s, n, &pos, delim, quotes, &line, path);
        if (rc <= 0)
            goto done; /* empty file: no examples */
        CRED_TRY_ALLOC(names = calloc(r.n, sizeof *names));
        n_names = r.n;
        for (size_t i = 0; i < r.n; i++) {
            const char *f = r.buf.ptr + r.f[i].off;
            size_t len = r.f[i].len;
            trim(&f, &len);
            CRED_TRY_ALLOC(names[i] = cred__strndup(f, len));
        }
    }
    long text_cols[MAX_TEXT_COLS];
    size_t n_text = 0;
    CRED_TRY(resolve_text(text_cols, &n_text, names, n_names, o->text_col, path));
    long label = find_column(names, n_names, o->label_col, strlen(o->label_col));
    if (label < 0) {
        rc = missing_column(path, "label", o->label_col, names, n_names);
        goto done;
    }
    long id = -1, lang = -1;
    if (o->id_col && (id = find_column(names, n_names, o->id_col, strlen(o->id_col))) < 0) {
        rc = missing_column(path, "id", o->id_col, names, n_names);
        goto done;
    }
    if (!o->id_col)
        id = find_column(names, n_names, "id", 2);
    if (o->lang_col && (lang = find_column(names, n_names, o->lang_col, strlen(o->lang_col))) < 0) {
        rc = missing_column(path, "language", o->lang_col, names, n_names);
        goto done;
    }
    for (;;) {
        uint64_t start = line;
        rc = read_record(&r, s, n, &pos, delim, quotes, &line, path);
        if (rc <= 0)
            break;
        if (r.n == 1 && r.f[0].len == 0)
            continue; /* blank line */
        long need = label;
        for (size_t k = 0; k < n_text; k++)
            need = CRED_MAX(need, text_cols[k]);
        need = CRED_MAX(need, CRED_MAX(id, lang));
        if ((size_t)need >= r.n) {
            ds->skipped++;
            continue;
        }
        field text[MAX_TEXT_COLS];
        for (size_t k = 0; k < n_text; k++)
            text[k] = (field){r.buf.ptr + r.f[text_cols[k]].off, r.f[text_cols[k]].len};
        field lf = {r.buf.ptr + r.f[label].off, r.f[label].len};
        field idf = {NULL, 0}, langf = {NULL, 0};
        if (id >= 0)
            idf = (field){r.buf.ptr + r.f[id].off, r.f[id].len};
        if (lang >= 0)
            langf = (field){r.buf.ptr + r.f[lang].off, r.f[lang].len};
        CRED_TRY(add_example(ds, o, text, n_text, lf, id >= 0 ? &idf : NULL, lang >= 0 ? &langf : NULL, start));
    }
done:
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    cred_buf_free(&r.buf);
    free(r.f);
    return rc < 0 ? rc : 0;
}

/* ---- JSONL ------------------------------------------------------------------------------------- */

/* The value of key as text: strings as they are, numbers as written, booleans as true/false. */
static bool json_field(yajl_val obj, const char *key, size_t key_len, field *out)
{
    for (size_t i = 0; i < obj->u.object.len; i++) {
        const char *k = obj->u.object.keys[i];
        if (strlen(k) != key_len || memcmp(k, key, key_len) != 0)
            continue;
        yajl_val v = obj->u.object.values[i];
        if (YAJL_IS_STRING(v))
            *out = (field){v->u.string, strlen(v->u.string)};
        else if (YAJL_IS_NUMBER(v))
            *out = (field){v->u.number.r, strlen(v->u.number.r)};
        else if (YAJL_IS_TRUE(v))
            *out = (field){"true", 4};
        else if (YAJL_IS_FALSE(v))
            *out = (field){"false", 5};
        else
            return false;
        return true;
    }
    return false;
}

static int load_jsonl(cred_dataset *ds, char *s, size_t n, const char *path, const cred_dataset_options *o)
{
    uint64_t line = 0;
    for (size_t pos = 0; pos < n;) {
        char *nl = memchr(s + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - s) : n;
        line++;
        char saved = end < n ? s[end] : '\0';
        s[end] = '\0';
        const char *p = s + pos;
        while (*p && isspace((unsigned char)*p))
            p++;
        size_t start = pos;
        pos = end + 1;
        if (!*p) {
            if (end < n)
                s[end] = saved;
            continue;
        }
        char err[256];
        yajl_val obj = yajl_tree_parse(s + start, err, sizeof err);
        if (end < n)
            s[end] = saved;
        if (!obj || !YAJL_IS_OBJECT(obj)) {
            yajl_tree_free(obj);
            for (char *c = err; *c; c++)
                if (*c == '\n')
                    *c = ' ';
            return cred__error_at(CRED_ESYNTAX, path, line, 1, start, "%s:%llu: not a JSON object%s%s", path,
                                  (unsigned long long)line, obj ? "" : ": ", obj ? "" : err);
        }
        field text[MAX_TEXT_COLS], label, id, lang;
        size_t n_text = 0;
        bool ok = true;
        if (json_field(obj, o->text_col, strlen(o->text_col), &text[0]))
            n_text = 1;
        else
            for (const char *q = o->text_col; *q && ok;) {
                const char *plus = strchr(q, '+');
                size_t len = plus ? (size_t)(plus - q) : strlen(q);
                ok = n_text < MAX_TEXT_COLS && json_field(obj, q, len, &text[n_text]);
                n_text++;
                q = plus ? plus + 1 : q + len;
            }
        ok = ok && n_text && json_field(obj, o->label_col, strlen(o->label_col), &label);
        bool has_id = json_field(obj, o->id_col ? o->id_col : "id", strlen(o->id_col ? o->id_col : "id"), &id);
        bool has_lang = o->lang_col && json_field(obj, o->lang_col, strlen(o->lang_col), &lang);
        int rc = 0;
        if (ok)
            rc = add_example(ds, o, text, n_text, label, has_id ? &id : NULL, has_lang ? &lang : NULL, line);
        else
            ds->skipped++;
        yajl_tree_free(obj);
        if (rc < 0)
            return rc;
    }
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
    char *s = NULL;
    size_t n = 0;
    int rc = cred__read_file(&s, &n, path, MAX_FILE_BYTES);
    if (rc < 0)
        return rc;
    cred_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) {
        free(s);
        return cred__error_nomem();
    }
    cred_arena_init(&ds->arena, 1u << 20);
    if (fmt == CRED_DATASET_JSONL)
        rc = load_jsonl(ds, s, n, path, &o);
    else
        rc = load_delimited(ds, s, n, path, &o, fmt == CRED_DATASET_TSV);
    free(s);
    if (rc < 0) {
        cred_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return 0;
}
