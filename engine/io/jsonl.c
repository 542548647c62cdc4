/*
 * JSONL reader: one JSON object per line,
 *   {"id","text","source","author","author_id","date","forwarded_from","url","lang","kind","reply_to",
 *    "links":[...],"start","end"}
 * Only "text" is required; unknown keys (and whatever they hold, nested or not) are ignored. The
 * options rename keys (text_col, id_col, author_col, source_col, date_col, lang_col), add one
 * (label_col, delivered as post->label) and may join several text keys ("title+description").
 *
 * One yajl handle is reused for every line (yajl_allow_multiple_values): each line is fed to it and the
 * callbacks fill the record as values arrive, copying strings into the record arena. A line is good
 * when exactly one top-level object ended on it. Anything else (a syntax error, a scalar or array at
 * top level, two objects, an object left open, no "text") is reported with the line and the column
 * where yajl stopped, and skipped; only after an error is the handle replaced, since yajl 2 cannot
 * reset one. Memory: the current line plus the record.
 */
#include "io.h"

#include <math.h>
#include <stdlib.h>
#include <yajl/yajl_parse.h>

/* The keys we read, at depth 1 of the object. */
typedef enum field {
    F_NONE = 0, F_ID, F_TEXT, F_SOURCE, F_AUTHOR, F_AUTHOR_ID, F_DATE, F_FORWARDED, F_URL, F_LANG, F_KIND,
    F_REPLY_TO, F_LINKS, F_START, F_END, F_LABEL, F_PART /* F_PART + k: part k of a joined text */
} field;

typedef struct key {
    const char *name;
    field f;
} key;

#define N_KEYS 14 /* the default keys below */

static const key keys[N_KEYS] = {
    {"id", F_ID},           {"text", F_TEXT},           {"source", F_SOURCE},   {"author", F_AUTHOR},
    {"author_id", F_AUTHOR_ID}, {"date", F_DATE},       {"forwarded_from", F_FORWARDED},
    {"url", F_URL},         {"lang", F_LANG},           {"kind", F_KIND},       {"reply_to", F_REPLY_TO},
    {"links", F_LINKS},     {"start", F_START},         {"end", F_END},
};

#define MAX_LINKS 1024 /* links kept per record; more are ignored with a warning */

typedef struct jsonl {
    key *keys;          /* the keys read under the options (keys[] when NULL) */
    size_t n_keys;
    size_t n_parts;     /* text keys joined (text_col "a+b"), or 0 */
    const char *part[CRED_IO_TEXT_PARTS];
    size_t part_len[CRED_IO_TEXT_PARTS];
    unsigned part_seen;
    yajl_handle h;
    cred_reader *r;
    cred_post *post;
    uint64_t line;
    int depth;          /* current nesting depth (1 = inside the top-level object) */
    int objects;        /* top-level values started on this line */
    bool done;          /* the top-level object ended */
    bool has_text;
    bool text_key;      /* a depth-1 "text" key was seen (the probe's cut-short lines) */
    field key;          /* the depth-1 key whose value comes next */
    const char *why;    /* reason for cancelling the parse, or NULL */
    int rc;             /* fatal error from a callback (ENOMEM), or 0 */
    const char **links;
    size_t n_links, cap_links;
    bool links_warned;
} jsonl;

/* ---- callbacks --------------------------------------------------------------------------------- */

static int fail(jsonl *j, const char *why)
{
    j->why = why;
    return 0;
}

/* Called before every value: enforces "one object per line" and clears the key at depth 1. */
static int value_start(jsonl *j, bool container)
{
    if (j->depth == 0) {
        if (j->done || j->objects)
            return fail(j, "more than one JSON value on the line");
        if (!container)
            return fail(j, "the line is not a JSON object");
    }
    return 1;
}

static int scalar(jsonl *j, const char *s, size_t n, bool is_string, bool is_null)
{
    if (!value_start(j, false))
        return 0;
    cred_reader *r = j->r;
    cred_post *p = j->post;
    field f = j->depth == 1 ? j->key : (j->depth == 2 && j->key == F_LINKS ? F_LINKS : F_NONE);
    if (j->depth == 1)
        j->key = F_NONE;
    const char **slot = NULL;
    const char *what = NULL;
    if (f >= F_PART) {
        size_t k = (size_t)(f - F_PART);
        if (!is_string)
            return fail(j, "a text key's value is not a string");
        if (!(j->part[k] = cred_io__str(r, s, n)))
            goto nomem;
        j->part_len[k] = n;
        j->part_seen |= 1u << k;
        return 1;
    }
    switch (f) {
    case F_NONE:
    case F_PART:
        return 1;
    case F_TEXT:
        if (!is_string)
            return fail(j, "\"text\" is not a string");
        if ((j->rc = cred_io__set_text(r, p, s, n)) < 0)
            return 0;
        j->has_text = true;
        return 1;
    case F_ID: slot = &p->id; what = "id"; break;
    case F_SOURCE: slot = &p->source; what = "source"; break;
    case F_AUTHOR: slot = &p->author; what = "author"; break;
    case F_AUTHOR_ID: slot = &p->author_id; what = "author_id"; break;
    case F_FORWARDED: slot = &p->forwarded_from; what = "forwarded_from"; break;
    case F_URL: slot = &p->url; what = "url"; break;
    case F_LANG: slot = &p->lang; what = "lang"; break;
    case F_REPLY_TO: slot = &p->reply_to; what = "reply_to"; break;
    case F_LABEL: slot = &p->label; what = "label"; break;
    case F_DATE:
        if (is_null)
            return 1;
        if (!(p->date_text = cred_io__field(r, j->line, "date", s, n)))
            goto nomem;
        if (!is_string && memchr(s, '.', n)) {
            /* epoch seconds with a fraction: keep the whole seconds */
            double v = strtod(p->date_text, NULL);
            if (isfinite(v) && fabs(v) < 1e15)
                p->date = (int64_t)floor(v);
        } else if (cred_io__parse_date(&p->date, s, n) < 0) {
            p->date = CRED_DATE_UNKNOWN;
            cred_io__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, j->line, 0, "unreadable date '%.40s' left unknown",
                          p->date_text);
        }
        return 1;
    case F_KIND:
        if (is_string) {
            for (int k = CRED_KIND_MESSAGE; k <= CRED_KIND_WINDOW; k++)
                if (strlen(cred_post_kind_name((cred_post_kind)k)) == n &&
                    memcmp(cred_post_kind_name((cred_post_kind)k), s, n) == 0) {
                    p->kind = (cred_post_kind)k;
                    return 1;
                }
        }
        if (!is_null)
            cred_io__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, j->line, 0, "unknown kind '%.*s' read as \"message\"",
                          (int)CRED_MIN(n, 40), s);
        return 1;
    case F_START:
    case F_END: {
        if (is_null)
            return 1;
        char tmp[64];
        size_t k = CRED_MIN(n, sizeof tmp - 1);
        memcpy(tmp, s, k);
        tmp[k] = '\0';
        char *endp;
        double v = strtod(tmp, &endp);
        if (endp == tmp || *endp || !isfinite(v) || v < 0) {
            cred_io__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, j->line, 0, "unreadable \"%s\" time '%.40s' ignored",
                          f == F_START ? "start" : "end", tmp);
            return 1;
        }
        *(f == F_START ? &p->start : &p->end) = v;
        return 1;
    }
    case F_LINKS:
        if (j->depth != 2 || !is_string)
            return 1; /* "links": "x" or non-string items are ignored */
        if (j->n_links >= MAX_LINKS) {
            if (!j->links_warned)
                cred_io__diag(r, CRED_SEV_WARNING, CRED_ELIMIT, j->line, 0, "more than %d links; the rest ignored",
                              MAX_LINKS);
            j->links_warned = true;
            return 1;
        }
        if (j->n_links == j->cap_links) {
            size_t ncap = j->cap_links ? j->cap_links * 2 : 8;
            const char **nl = cred_arena_alloc(&r->rec, ncap * sizeof *nl);
            if (!nl)
                goto nomem;
            if (j->n_links)
                memcpy(nl, j->links, j->n_links * sizeof *nl);
            j->links = nl;
            j->cap_links = ncap;
        }
        if (!(j->links[j->n_links] = cred_io__field(r, j->line, "link", s, n)))
            goto nomem;
        p->links = j->links;
        p->n_links = ++j->n_links;
        return 1;
    }
    /* plain string fields: strings and numbers (as their decimal text) are kept; null means absent */
    if (is_null)
        return 1;
    if (!(*slot = cred_io__field(r, j->line, what, s, n)))
        goto nomem;
    return 1;
nomem:
    j->rc = cred__error_nomem();
    return 0;
}

static int cb_null(void *ctx)
{
    return scalar(ctx, "", 0, false, true);
}

static int cb_boolean(void *ctx, int v)
{
    return v ? scalar(ctx, "true", 4, false, false) : scalar(ctx, "false", 5, false, false);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    return scalar(ctx, s, n, false, false);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    return scalar(ctx, (const char *)s, n, true, false);
}

static int open_container(jsonl *j)
{
    if (!value_start(j, true))
        return 0;
    if (j->depth == 0)
        j->objects++;
    else if (j->depth == 1 && j->key == F_TEXT)
        return fail(j, "\"text\" is not a string");
    if (++j->depth > CRED_LIMIT_JSON_DEPTH)
        return fail(j, "JSON nested deeper than CRED_LIMIT_JSON_DEPTH");
    return 1;
}

static int close_container(jsonl *j)
{
    if (--j->depth == 0)
        j->done = true;
    else if (j->depth == 1)
        j->key = F_NONE;
    return 1;
}

static int cb_start_map(void *ctx)
{
    return open_container(ctx);
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
    jsonl *j = ctx;
    if (j->depth != 1)
        return 1;
    j->key = F_NONE;
    const key *k = j->keys ? j->keys : keys;
    for (size_t i = 0, nk = j->keys ? j->n_keys : N_KEYS; i < nk; i++)
        if (strlen(k[i].name) == n && memcmp(k[i].name, s, n) == 0) {
            j->key = k[i].f;
            j->text_key |= j->key == F_TEXT;
            break;
        }
    return 1;
}

static int cb_end_map(void *ctx)
{
    return close_container(ctx);
}

static int cb_start_array(void *ctx)
{
    jsonl *j = ctx;
    if (j->depth == 0)
        return fail(j, "the line is not a JSON object");
    return open_container(j);
}

static int cb_end_array(void *ctx)
{
    return close_container(ctx);
}

static const yajl_callbacks callbacks = {
    cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

/* ---- line parsing (shared by the driver and the probe) ----------------------------------------- */

static yajl_handle new_handle(jsonl *j)
{
    yajl_handle h = yajl_alloc(&callbacks, NULL, j);
    if (h) {
        yajl_config(h, yajl_allow_multiple_values, 1);
        yajl_config(h, yajl_dont_validate_strings, 1); /* invalid UTF-8 is kept; the text pipeline repairs it */
    }
    return h;
}

/*
 * Parse one line into j->post. 1 when the line is one complete object; 0 when it is not (j->why says
 * why and *column where); negative on ENOMEM. `partial` accepts a line cut short (the probe's head).
 */
static int parse_line(jsonl *j, const char *s, size_t n, uint64_t *column, bool partial)
{
    j->depth = j->objects = 0;
    j->done = j->has_text = j->text_key = false;
    j->key = F_NONE;
    j->why = NULL;
    j->rc = 0;
    j->links = NULL;
    j->n_links = j->cap_links = 0;
    j->links_warned = false;
    j->part_seen = 0;
    if (!j->h && !(j->h = new_handle(j)))
        return cred__error_nomem();
    yajl_status st = yajl_parse(j->h, (const unsigned char *)s, n);
    size_t consumed = yajl_get_bytes_consumed(j->h);
    if (st == yajl_status_ok && !partial)
        st = yajl_parse(j->h, (const unsigned char *)"\n", 1); /* ends a trailing number token */
    if (st == yajl_status_ok && (j->done || partial) && j->objects == 1)
        return 1;
    if (j->rc < 0)
        return j->rc;
    *column = CRED_MIN(consumed, n) + (st == yajl_status_ok);
    if (*column == 0)
        *column = 1;
    if (!j->why) {
        if (st == yajl_status_ok)
            j->why = j->objects ? "the object is not closed on its line" : "the line is not a JSON object";
        else
            j->why = "invalid JSON";
    }
    /* The handle may now sit in an error state or inside an open value: start afresh next time. */
    yajl_free(j->h);
    j->h = NULL;
    return 0;
}

/* Error detail from yajl, e.g. "invalid char in json text." (first line of its message). */
static void yajl_reason(jsonl *j, const char *s, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    yajl_handle h = yajl_alloc(NULL, NULL, NULL);
    if (!h)
        return;
    yajl_config(h, yajl_allow_multiple_values, 1);
    yajl_config(h, yajl_dont_validate_strings, 1);
    if (yajl_parse(h, (const unsigned char *)s, n) == yajl_status_error) {
        unsigned char *e = yajl_get_error(h, 0, (const unsigned char *)s, n);
        if (e) {
            size_t k = strcspn((const char *)e, "\n");
            snprintf(out, cap, ": %.*s", (int)CRED_MIN(k, cap - 4), (const char *)e);
            yajl_free_error(h, e);
        }
    }
    yajl_free(h);
    CRED_UNUSED(j);
}

/* ---- driver ------------------------------------------------------------------------------------ */

/* The keys read under the options: the defaults renamed, the label, and the parts of a joined text. */
static int jsonl_open(cred_reader *r)
{
    jsonl *j = calloc(1, sizeof *j);
    if (!j)
        return cred__error_nomem();
    j->r = r;
    r->state = j;
    const cred_reader_options *o = &r->opts;
    const char *part[CRED_IO_TEXT_PARTS];
    size_t len[CRED_IO_TEXT_PARTS];
    if (o->text_col && strchr(o->text_col, '+') && (j->n_parts = cred_io__text_parts(o->text_col, part, len)) == 0)
        return cred__error(CRED_EINVAL, "text column \"%s\" joins more than %d keys", o->text_col,
                           CRED_IO_TEXT_PARTS);
    if (!(j->keys = calloc(N_KEYS + 1 + j->n_parts, sizeof *j->keys)))
        return cred__error_nomem();
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *name = keys[i].f == F_TEXT     ? o->text_col
                           : keys[i].f == F_ID     ? o->id_col
                           : keys[i].f == F_AUTHOR ? o->author_col
                           : keys[i].f == F_SOURCE ? o->source_col
                           : keys[i].f == F_DATE   ? o->date_col
                           : keys[i].f == F_LANG   ? o->lang_col
                                                   : NULL;
        j->keys[j->n_keys++] = (key){name ? name : keys[i].name, keys[i].f};
    }
    if (o->label_col)
        j->keys[j->n_keys++] = (key){o->label_col, F_LABEL};
    for (size_t k = 0; k < j->n_parts; k++) {
        char *name = cred__strndup(part[k], len[k]);
        if (!name)
            return cred__error_nomem();
        j->keys[j->n_keys++] = (key){name, (field)(F_PART + k)};
    }
    return 0;
}

static void jsonl_close(cred_reader *r)
{
    jsonl *j = r->state;
    if (!j)
        return;
    if (j->h)
        yajl_free(j->h);
    for (size_t i = 0; j->keys && i < j->n_keys; i++)
        if (j->keys[i].f >= F_PART)
            free((char *)j->keys[i].name);
    free(j->keys);
    free(j);
    r->state = NULL;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
            return false;
    return true;
}

static int jsonl_next(cred_reader *r, cred_post *post)
{
    jsonl *j = r->state;
    const char *s;
    size_t n;
    int rc;
    while ((rc = cred_io__line(r, &s, &n)) == 1) {
        if (r->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
        if (blank(s, n))
            continue;
        /* A skipped line may have left strings in the arena: start each line with an empty record. */
        cred_arena_reset(&r->rec);
        memset(post, 0, sizeof *post);
        post->date = CRED_DATE_UNKNOWN;
        post->start = post->end = -1;
        post->line = r->line;
        j->post = post;
        j->line = r->line;
        uint64_t column = 0;
        rc = parse_line(j, s, n, &column, false);
        if (rc < 0)
            return rc;
        const char *why = rc ? NULL : j->why;
        if (rc == 1 && !j->has_text && j->n_parts && j->part_seen == (1u << j->n_parts) - 1) {
            if ((rc = cred_io__set_text_parts(r, post, j->part, j->part_len, j->n_parts)) < 0)
                return rc;
            j->has_text = true;
        }
        if (rc == 1 && !j->has_text) {
            cred_io__diag(r, CRED_SEV_ERROR, CRED_ENOTFOUND, r->line, 1, "no \"%s\" string; line skipped",
                          r->opts.text_col ? r->opts.text_col : "text");
            continue;
        }
        if (!why)
            return 1;
        char detail[160] = "";
        if (strcmp(why, "invalid JSON") == 0)
            yajl_reason(j, s, n, detail, sizeof detail);
        cred_io__diag(r, CRED_SEV_ERROR, CRED_ESYNTAX, r->line, column, "%s%s; line skipped", why, detail);
    }
    return rc;
}

/*
 * 90 when the first non-blank line is a complete JSON object with a "text" key (80 when the head cuts
 * it short but what is there parses and has "text"), 20 for a complete object without "text" followed
 * by another line starting with '{' (so that its lines are reported rather than read as prose), else 0:
 * JSON documents (Telegram, Facebook exports) begin with a line that is not a complete object, or are
 * one line alone.
 */
static int jsonl_probe(const char *head, size_t len)
{
    const char *s = head, *end = head + len;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    for (;;) {
        while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        if (s < end && *s == '\n') {
            s++;
            continue;
        }
        break;
    }
    if (s >= end || *s != '{')
        return 0;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    bool partial = nl == NULL && len >= (64u << 10) - 1;
    size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
    /* A throw-away reader gives the callbacks an arena to copy into. */
    cred_reader r;
    memset(&r, 0, sizeof r);
    cred_arena_init(&r.rec, 4096);
    cred_post post;
    memset(&post, 0, sizeof post);
    jsonl j;
    memset(&j, 0, sizeof j);
    j.r = &r;
    j.post = &post;
    uint64_t column;
    int rc = parse_line(&j, s, n, &column, partial);
    if (j.h)
        yajl_free(j.h);
    cred_arena_free(&r.rec);
    if (rc != 1)
        return 0;
    if (!j.has_text && !(partial && j.text_key)) {
        /* objects without "text": lines of JSON (20) if another object line follows, else a document */
        if (partial || !nl)
            return 0;
        const char *t = nl + 1;
        while (t < end && (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n'))
            t++;
        return t < end && *t == '{' ? 20 : 0;
    }
    return partial ? 80 : 90;
}

const cred_io_driver cred_io__jsonl = {CRED_FORMAT_JSONL, jsonl_probe, jsonl_open, jsonl_next, jsonl_close};
