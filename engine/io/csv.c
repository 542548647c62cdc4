/*
 * CSV reader (RFC 4180, with a header row unless opts.csv_no_header; quoting off with opts.csv_no_quotes).
 *
 * A small state machine rather than libcsv: the reader must report every problem with the line and
 * column where it is (the opening quote of an unterminated field, the field past the column limit,
 * the end of a short row), pull input line by line so memory stays bounded, and be lenient where real
 * exports are sloppy (text after a closing quote is kept with a warning; a quote inside an unquoted
 * field is an ordinary character). libcsv reports neither positions nor lines and would still need
 * its own record assembly on top.
 *
 * The delimiter is detected on the header line (the most frequent of ',', ';', '\t', '|' outside
 * quotes; ',' when none occurs) unless opts.csv_delimiter is set. A record may span lines inside
 * quotes; the post's line is the record's first line and its default id the record number (1 = the
 * first row after the header). Records are capped at CRED_LIMIT_LINE_BYTES and
 * CRED_LIMIT_CSV_COLUMNS; blank lines between records are skipped silently, and records short of the
 * header (without one: of the highest column read) are skipped with CRED_ENOTFOUND.
 */
#include "io.h"

#include <stdlib.h>
#include <strings.h>

enum { C_TEXT, C_ID, C_AUTHOR, C_SOURCE, C_DATE, C_AUTHOR_ID, C_URL, C_LANG, C_FORWARDED, C_LABEL, C_COUNT };

static const char *const col_what[C_COUNT] = {"text", "id", "author", "source", "date",
                                              "author_id", "url", "lang", "forwarded_from", "label"};

/* Text column names tried, in order, when opts.text_col is not set. */
static const char *const text_names[] = {"text", "content", "message", "tweet", "body",
                                         "statement", "post", "claim", "title"};

typedef struct csv {
    char delim;
    bool quotes;               /* '"' quotes fields (not opts.csv_no_quotes) */
    size_t ncols;
    char **names;              /* header, ncols entries (none without a header) */
    size_t need;               /* fields a record must have: ncols, else the highest column read + 1 */
    int col[C_COUNT];          /* column index of each field, or -1 */
    int text[CRED_IO_TEXT_PARTS]; /* the text's columns when text_col joins several ("a+b") */
    size_t n_text;
    uint64_t record;           /* data records seen (skipped ones included) */
    cred_buf rec;              /* the current record's field bytes */
    size_t *starts;            /* field i is rec[starts[i] .. starts[i+1]) minus its separator */
    size_t cap_starts;
    size_t nfields;
    uint64_t start_line;
    uint64_t end_col;          /* column just past the record's last byte */
    const char *pending;       /* a line read ahead (the header line, after delimiter detection) */
    size_t pending_len;
    bool have_pending;
} csv;

/* ---- record assembly --------------------------------------------------------------------------- */

static int end_field(csv *c)
{
    if (c->nfields + 2 > c->cap_starts && CRED_GROW(c->starts, c->cap_starts, c->nfields + 2) < 0)
        return cred__error_nomem();
    c->starts[++c->nfields] = c->rec.len;
    return 0;
}

static int next_line(cred_reader *r, csv *c, const char **s, size_t *n)
{
    if (c->have_pending) {
        c->have_pending = false;
        *s = c->pending;
        *n = c->pending_len;
        return 1;
    }
    int rc = cred_io__line(r, s, n);
    if (rc == 1 && r->line == 1 && *n >= 3 && memcmp(*s, "\xEF\xBB\xBF", 3) == 0) {
        *s += 3;
        *n -= 3;
    }
    return rc;
}

/*
 * Read the next record into c->rec/c->starts (c->nfields fields).
 * @return 1 for a record, 2 for a record that was reported and skipped, 0 at end, negative on error.
 */
static int read_record(cred_reader *r, csv *c)
{
    const char *s;
    size_t n;
    int rc;
    do {
        if ((rc = next_line(r, c, &s, &n)) != 1)
            return rc;
    } while (n == 0);
    c->start_line = r->line;
    cred_buf_clear(&c->rec);
    c->nfields = 0;
    if (end_field(c) < 0) /* starts[0] = 0, then fixed below */
        return CRED_ENOMEM;
    c->nfields = 0;
    c->starts[0] = 0;
    bool in_quote = false, field_start = true, after_quote = false, warned = false;
    bool too_many = false, too_long = false;
    uint64_t quote_line = 0, quote_col = 0;
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            char ch = s[i];
            if (in_quote) {
                if (ch == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        i++;
                    } else {
                        in_quote = false;
                        after_quote = true;
                        continue;
                    }
                }
            } else if (ch == c->delim) {
                field_start = true;
                after_quote = false;
                if (too_many || too_long)
                    continue;
                if (c->nfields + 1 >= CRED_LIMIT_CSV_COLUMNS) {
                    too_many = true;
                    cred_io__diag(r, CRED_SEV_ERROR, CRED_ELIMIT, r->line, i + 2,
                                  "record starting at line %llu has more than %u columns; skipped",
                                  (unsigned long long)c->start_line, CRED_LIMIT_CSV_COLUMNS);
                    continue;
                }
                if (end_field(c) < 0)
                    return CRED_ENOMEM;
                continue;
            } else if (ch == '"' && field_start && c->quotes) {
                in_quote = true;
                field_start = false;
                quote_line = r->line;
                quote_col = i + 1;
                continue;
            } else {
                field_start = false;
                if (after_quote && !warned) {
                    warned = true;
                    cred_io__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, r->line, i + 1,
                                  "text after a closing quote kept as part of the field");
                }
            }
            if (!too_many && !too_long && cred_buf_putc(&c->rec, ch) < 0)
                return CRED_ENOMEM;
        }
        if (!in_quote)
            break;
        /* the quoted field goes on on the next line */
        if (!too_many && !too_long && c->rec.len > CRED_LIMIT_LINE_BYTES) {
            too_long = true;
            cred_io__diag(r, CRED_SEV_ERROR, CRED_ELIMIT, quote_line, quote_col,
                          "quoted field runs over %u bytes (a quote left open?); record skipped",
                          CRED_LIMIT_LINE_BYTES);
        }
        if (!too_many && !too_long && cred_buf_putc(&c->rec, '\n') < 0)
            return CRED_ENOMEM;
        if ((rc = next_line(r, c, &s, &n)) < 0)
            return rc;
        if (rc == 0) {
            if (!too_many && !too_long)
                cred_io__diag(r, CRED_SEV_ERROR, CRED_ESYNTAX, quote_line, quote_col,
                              "quote opened here is never closed; record starting at line %llu skipped",
                              (unsigned long long)c->start_line);
            return 2;
        }
    }
    c->end_col = n + 1;
    if (end_field(c) < 0)
        return CRED_ENOMEM;
    return too_many || too_long ? 2 : 1;
}

static const char *field(const csv *c, size_t i, size_t *len)
{
    *len = c->starts[i + 1] - c->starts[i];
    return c->rec.ptr ? c->rec.ptr + c->starts[i] : "";
}

/* ---- header ------------------------------------------------------------------------------------ */

/* The delimiter occurring most often outside quotes in the line (ties: , ; \t |), ',' when none. */
static char detect_delim(const char *s, size_t n, bool quotes)
{
    static const char cand[] = {',', ';', '\t', '|'};
    size_t count[4] = {0};
    bool q = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' && quotes)
            q = !q;
        else if (!q)
            for (int k = 0; k < 4; k++)
                count[k] += s[i] == cand[k];
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (count[k] > count[best])
            best = k;
    return cand[best];
}

/* Column of name[0..len): "#N" (1-based; within the header when there is one), else a header name
 * (exact, else case-insensitive); -1 when there is none. */
static int find_col(const csv *c, const char *name, size_t len)
{
    if (len > 1 && name[0] == '#') {
        size_t k = 0;
        for (size_t i = 1; i < len; i++) {
            if (name[i] < '0' || name[i] > '9' || k > CRED_LIMIT_CSV_COLUMNS)
                return -1;
            k = k * 10 + (size_t)(name[i] - '0');
        }
        size_t max = c->names ? c->ncols : CRED_LIMIT_CSV_COLUMNS;
        return k >= 1 && k <= max ? (int)k - 1 : -1;
    }
    for (size_t i = 0; i < c->ncols; i++)
        if (strlen(c->names[i]) == len && memcmp(c->names[i], name, len) == 0)
            return (int)i;
    for (size_t i = 0; i < c->ncols; i++)
        if (strlen(c->names[i]) == len && strncasecmp(c->names[i], name, len) == 0)
            return (int)i;
    return -1;
}

static int not_found(cred_reader *r, const csv *c, const char *what, const char *name)
{
    cred_buf list = CRED_BUF_INIT;
    for (size_t i = 0; i < c->ncols && list.len < 400; i++)
        cred_buf_printf(&list, "%s\"%s\"", i ? ", " : "", c->names[i]);
    if (c->ncols && list.len >= 400)
        cred_buf_puts(&list, ", ...");
    cred_buf_terminate(&list);
    int rc = cred__error_at(CRED_ENOTFOUND, r->name, c->start_line, 1, 0, "%s: no %s column%s%s%s; %s%s", r->name,
                            what, name ? " \"" : "", name ? name : "", name ? "\"" : "",
                            c->names ? "the header has " : "without a header, name columns #1, #2, ...",
                            c->names ? (list.ptr ? list.ptr : "no columns") : "");
    cred_buf_free(&list);
    return rc;
}

/* The text column(s): text_col as a whole, else its '+' parts; else the first conventional name. */
static int find_text(cred_reader *r, csv *c)
{
    const char *spec = r->opts.text_col;
    if (!spec) {
        for (size_t i = 0; c->col[C_TEXT] < 0 && i < CRED_ARRAY_LEN(text_names); i++)
            c->col[C_TEXT] = find_col(c, text_names[i], strlen(text_names[i]));
        return c->col[C_TEXT] < 0 ? not_found(r, c, "text", NULL) : 0;
    }
    if ((c->col[C_TEXT] = find_col(c, spec, strlen(spec))) >= 0)
        return 0;
    const char *part[CRED_IO_TEXT_PARTS];
    size_t len[CRED_IO_TEXT_PARTS];
    c->n_text = cred_io__text_parts(spec, part, len);
    if (c->n_text < 2)
        return not_found(r, c, "text", spec);
    for (size_t k = 0; k < c->n_text; k++)
        if ((c->text[k] = find_col(c, part[k], len[k])) < 0)
            return not_found(r, c, "text", spec);
    c->col[C_TEXT] = c->text[0];
    return 0;
}

/* Resolve every column: the options name them; else conventional names. Sets c->need. */
static int find_columns(cred_reader *r, csv *c)
{
    const char *opt[C_COUNT] = {NULL, r->opts.id_col, r->opts.author_col, r->opts.source_col, r->opts.date_col,
                                NULL, NULL, r->opts.lang_col, NULL, r->opts.label_col};
    static const char *const dflt[C_COUNT] = {NULL, "id", "author", "source", "date",
                                              "author_id", "url", "lang", "forwarded_from", NULL};
    int rc = find_text(r, c);
    if (rc < 0)
        return rc;
    for (int k = C_ID; k < C_COUNT; k++) {
        if (opt[k]) {
            if ((c->col[k] = find_col(c, opt[k], strlen(opt[k]))) < 0)
                return not_found(r, c, col_what[k], opt[k]);
        } else if (dflt[k]) {
            c->col[k] = find_col(c, dflt[k], strlen(dflt[k]));
        }
    }
    c->need = c->ncols;
    for (int k = 0; !c->names && k < C_COUNT; k++)
        c->need = CRED_MAX(c->need, (size_t)(c->col[k] + 1));
    for (size_t k = 0; !c->names && k < c->n_text; k++)
        c->need = CRED_MAX(c->need, (size_t)(c->text[k] + 1));
    return 0;
}

static void csv_close(cred_reader *r)
{
    csv *c = r->state;
    if (!c)
        return;
    for (size_t i = 0; i < c->ncols; i++)
        free(c->names[i]);
    free(c->names);
    free(c->starts);
    cred_buf_free(&c->rec);
    free(c);
    r->state = NULL;
}

static int csv_open(cred_reader *r)
{
    csv *c = calloc(1, sizeof *c);
    if (!c)
        return cred__error_nomem();
    r->state = c;
    for (int k = 0; k < C_COUNT; k++)
        c->col[k] = -1;
    const char *s;
    size_t n;
    int rc;
    do {
        if ((rc = next_line(r, c, &s, &n)) != 1)
            return rc; /* empty input: no header, no posts */
    } while (n == 0);
    c->quotes = !r->opts.csv_no_quotes;
    c->delim = r->opts.csv_delimiter ? r->opts.csv_delimiter : detect_delim(s, n, c->quotes);
    c->pending = s;
    c->pending_len = n;
    c->have_pending = true; /* read_record() takes it first */
    c->start_line = r->line;
    if (r->opts.csv_no_header)
        return find_columns(r, c);
    rc = read_record(r, c);
    if (rc < 0)
        return rc;
    if (rc != 1)
        return cred__error_at(rc == 2 && c->nfields + 1 >= CRED_LIMIT_CSV_COLUMNS ? CRED_ELIMIT : CRED_ESYNTAX,
                              r->name, c->start_line, 1, 0, "%s: the CSV header row cannot be read", r->name);
    c->ncols = c->nfields;
    if (!(c->names = calloc(c->ncols, sizeof *c->names)))
        return cred__error_nomem();
    for (size_t i = 0; i < c->ncols; i++) {
        size_t len;
        const char *f = field(c, i, &len);
        while (len && (*f == ' ' || *f == '\t')) {
            f++;
            len--;
        }
        while (len && (f[len - 1] == ' ' || f[len - 1] == '\t'))
            len--;
        if (!(c->names[i] = cred__strndup(f, len)))
            return cred__error_nomem();
    }
    return find_columns(r, c);
}

/* ---- records ----------------------------------------------------------------------------------- */

static int csv_next(cred_reader *r, cred_post *post)
{
    csv *c = r->state;
    if (c->need == 0)
        return 0; /* empty input */
    int rc;
    for (;;) {
        if ((rc = read_record(r, c)) <= 0)
            return rc;
        c->record++;
        if (rc == 2)
            continue;
        if (c->nfields < c->need) {
            cred_io__diag(r, CRED_SEV_ERROR, CRED_ENOTFOUND, r->line, c->end_col,
                          "record starting at line %llu has %zu field%s, %s %zu; skipped",
                          (unsigned long long)c->start_line, c->nfields, c->nfields == 1 ? "" : "s",
                          c->names ? "the header has" : "the columns read need", c->need);
            continue;
        }
        if (c->names && c->nfields > c->ncols)
            cred_io__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, c->start_line, 0,
                          "record has %zu fields, the header has %zu; the extra ones are ignored", c->nfields,
                          c->ncols);
        break;
    }
    post->line = c->start_line;
    size_t len;
    const char *f = field(c, (size_t)c->col[C_TEXT], &len);
    if (c->n_text) {
        const char *part[CRED_IO_TEXT_PARTS];
        size_t plen[CRED_IO_TEXT_PARTS];
        for (size_t k = 0; k < c->n_text; k++)
            part[k] = field(c, (size_t)c->text[k], &plen[k]);
        if (cred_io__set_text_parts(r, post, part, plen, c->n_text) < 0)
            return CRED_ENOMEM;
    } else if (cred_io__set_text(r, post, f, len) < 0) {
        return CRED_ENOMEM;
    }
    const char **slot[C_COUNT] = {NULL, &post->id, &post->author, &post->source, &post->date_text,
                                  &post->author_id, &post->url, &post->lang, &post->forwarded_from, &post->label};
    for (int k = C_ID; k < C_COUNT; k++) {
        if (c->col[k] < 0)
            continue;
        f = field(c, (size_t)c->col[k], &len);
        if (len == 0)
            continue;
        if (!(*slot[k] = cred_io__field(r, c->start_line, col_what[k], f, len)))
            return cred__error_nomem();
    }
    if (post->date_text && cred_io__parse_date(&post->date, post->date_text, strlen(post->date_text)) < 0) {
        post->date = CRED_DATE_UNKNOWN;
        cred_io__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, c->start_line, 0, "unreadable date '%.40s' left unknown",
                      post->date_text);
    }
    if (!post->id && !(post->id = cred_io__strf(r, "%llu", (unsigned long long)c->record)))
        return cred__error_nomem();
    return 1;
}

/* ---- probe ------------------------------------------------------------------------------------- */

/* Count the fields of the record at s[*i..n); *complete is false when the head ends inside it. */
static size_t count_fields(const char *s, size_t n, char delim, size_t *i, bool *complete)
{
    size_t fields = 1;
    bool q = false, start = true;
    for (; *i < n; (*i)++) {
        char ch = s[*i];
        if (q) {
            if (ch == '"') {
                if (*i + 1 < n && s[*i + 1] == '"')
                    (*i)++;
                else
                    q = false;
            }
        } else if (ch == '\n') {
            (*i)++;
            *complete = true;
            return fields;
        } else if (ch == delim) {
            fields++;
            start = true;
            continue;
        } else if (ch == '"' && start) {
            q = true;
        }
        start = false;
    }
    *complete = false;
    return fields;
}

/*
 * 75 when the header names a text column and the following rows have as many fields as the header,
 * 40 for consistent rows of two or more columns without a known text column, 15 for a known text
 * column with ragged rows, else 0 (prose with commas, chat exports, JSON).
 */
static int csv_probe(const char *head, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (head[i] == '\n' || head[i] == '\r'))
        i++;
    if (i >= len || head[i] == '{' || head[i] == '[' || head[i] == '<')
        return 0;
    const char *nl = memchr(head + i, '\n', len - i);
    size_t line_end = nl ? (size_t)(nl - head) : len;
    char delim = detect_delim(head + i, line_end - i, true);
    /* header fields: short names; one of them a known text column? */
    bool known = false;
    size_t ncols = 0, pos = i;
    while (pos <= line_end) {
        size_t e = pos;
        while (e < line_end && head[e] != delim)
            e++;
        size_t a = pos, b = e;
        while (a < b && (head[a] == ' ' || head[a] == '"' || head[a] == '\t'))
            a++;
        while (b > a && (head[b - 1] == ' ' || head[b - 1] == '"' || head[b - 1] == '\r' || head[b - 1] == '\t'))
            b--;
        if (b - a > 64)
            return 0; /* prose, not column names */
        for (size_t k = 0; k < CRED_ARRAY_LEN(text_names); k++)
            known |= strlen(text_names[k]) == b - a && strncasecmp(text_names[k], head + a, b - a) == 0;
        ncols++;
        pos = e + 1;
    }
    size_t rows = 0;
    bool ragged = false, complete = true;
    pos = i;
    count_fields(head, len, delim, &pos, &complete); /* the header */
    while (complete && pos < len && rows < 50) {
        if (head[pos] == '\n' || (head[pos] == '\r' && pos + 1 < len && head[pos + 1] == '\n')) {
            pos += head[pos] == '\r' ? 2 : 1;
            continue;
        }
        size_t nf = count_fields(head, len, delim, &pos, &complete);
        if (!complete && len >= (64u << 10) - 1)
            break; /* cut by the end of the head */
        rows++;
        ragged |= nf != ncols;
    }
    if (known && !ragged)
        return 75;
    if (known)
        return 15;
    if (ncols >= 2 && rows >= 1 && !ragged)
        return 40;
    return 0;
}

const cred_io_driver cred_io__csv = {CRED_FORMAT_CSV, csv_probe, csv_open, csv_next, csv_close};
