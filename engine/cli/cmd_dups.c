/* credence dups: find forwarded copies, their origin and spread, in any input format. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "input.h"

static const cli_option options[] = {
    CLI_INPUT_OPTIONS,
    {"threshold", 't', "J", "estimated Jaccard similarity needed to call two posts copies (default 0.45)"},
    {"output", 'o', "FORMAT", "jsonl (default: one line per post) or table (clusters by size)"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

const cli_command cmd_dups = {
    "dups",
    "Find forwarded copies: for every post, the copy it was made from, its origin and its cluster.",
    "credence dups [--threshold J] [--output jsonl|table] FILE...|-",
    "Posts of all inputs are taken together, in date order (posts without a date keep their place\n"
    "after the last dated post before them), and each is linked to its most similar earlier post.\n"
    "jsonl prints, in input order, one line per post:\n"
    "  {\"id\",\"cluster\",\"parent\",\"origin\",\"similarity\",\"relation\"}\n"
    "relation is exact, near (an edited copy), variant (same template, different numbers, dates or\n"
    "links: not a copy, parent names the sibling), part (a time window of a transcript that is no\n"
    "copy of another post: parent is the whole transcript) or none; cluster and origin are the id of the\n"
    "earliest post of the copy chain (the post's own id when it has no copy-parent); parent is null\n"
    "when there is none. table lists the clusters of copies by size with origin, sources and dates.",
    options,
    run,
};

typedef struct post_rec {
    char *id, *text, *source, *lang;
    size_t text_len;
    int64_t date, key;
    size_t input;
    cred_post_kind kind;
    size_t whole;       /* input index of the transcript a window was cut from, or NO_WHOLE */
} post_rec;

#define NO_WHOLE SIZE_MAX

typedef struct run_state {
    post_rec *posts;
    size_t n, cap;
    size_t *order;      /* doc number -> input index */
    size_t *doc_of;     /* input index -> doc number */
    cred_dup_match *m;  /* by doc number */
} run_state;

static int cmp_key(const void *a, const void *b)
{
    const post_rec *x = *(post_rec *const *)a, *y = *(post_rec *const *)b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->input < y->input ? -1 : x->input > y->input;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static bool keep_post(run_state *st, const cred_post *p)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 1024;
        post_rec *q = realloc(st->posts, cap * sizeof *q);
        if (!q)
            return false;
        st->posts = q;
        st->cap = cap;
    }
    post_rec *r = &st->posts[st->n];
    memset(r, 0, sizeof *r);
    r->id = strdup(p->id);
    r->text = malloc(p->text_len + 1);
    r->source = dup_or_null(p->source);
    r->lang = dup_or_null(p->lang);
    if (!r->id || !r->text || (p->source && !r->source) || (p->lang && !r->lang)) {
        free(r->id), free(r->text), free(r->source), free(r->lang);
        return false;
    }
    memcpy(r->text, p->text, p->text_len);
    r->text[p->text_len] = '\0';
    r->text_len = p->text_len;
    r->date = p->date;
    r->kind = p->kind;
    r->whole = NO_WHOLE;
    r->input = st->n++;
    return true;
}

static void gen_str(yajl_gen g, const char *s)
{
    if (s)
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
    else
        yajl_gen_null(g);
}

static void print_jsonl(FILE *fp, const run_state *st)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return;
    yajl_gen_config(g, yajl_gen_validate_utf8, 0);
    for (size_t i = 0; i < st->n; i++) {
        const cred_dup_match *m = &st->m[st->doc_of[i]];
        const post_rec *self = &st->posts[i];
        const char *origin = st->posts[st->order[m->origin]].id;
        const char *parent = m->parent == CRED_DUP_NO_DOC ? NULL : st->posts[st->order[m->parent]].id;
        yajl_gen_map_open(g);
        gen_str(g, "id"), gen_str(g, self->id);
        gen_str(g, "cluster"), gen_str(g, origin);
        gen_str(g, "parent"), gen_str(g, parent);
        gen_str(g, "origin"), gen_str(g, origin);
        gen_str(g, "similarity");
        char num[32];
        int n = snprintf(num, sizeof num, "%.3f", m->similarity);
        yajl_gen_number(g, num, (size_t)n);
        gen_str(g, "relation"), gen_str(g, cred_dup_relation_name(m->relation));
        yajl_gen_map_close(g);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        fwrite(buf, 1, len, fp);
        fputc('\n', fp);
        yajl_gen_clear(g);
        yajl_gen_reset(g, NULL);
    }
    yajl_gen_free(g);
}

static void format_date(char *out, size_t cap, int64_t date)
{
    if (date == CRED_DATE_UNKNOWN) {
        snprintf(out, cap, "-");
        return;
    }
    time_t t = (time_t)date;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%MZ", &tm))
        snprintf(out, cap, "%" PRId64, date);
}

typedef struct table_row {
    cred_dup_cluster c;
} table_row;

static int cmp_rows(const void *a, const void *b)
{
    const table_row *x = a, *y = b;
    if (x->c.size != y->c.size)
        return x->c.size > y->c.size ? -1 : 1;
    return x->c.origin < y->c.origin ? -1 : x->c.origin > y->c.origin;
}

/* A one-line excerpt of the origin's text: whitespace collapsed, cut at a character boundary. */
static void excerpt(char *out, size_t cap, const char *s, size_t len)
{
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = (char)c;
    }
    while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
        o--; /* drop a possibly cut sequence's continuation bytes... */
    if (o > 0 && (unsigned char)out[o - 1] >= 0xC0)
        o--; /* ...and its lead byte */
    out[o] = '\0';
}

static void print_table(FILE *fp, const cred_dedup *d, const run_state *st)
{
    table_row *rows = calloc(st->n ? st->n : 1, sizeof *rows);
    if (!rows)
        return;
    size_t nr = 0, copies = 0, variants = 0, parts = 0, alone = 0;
    for (uint32_t doc = 0; doc < st->n; doc++) {
        const cred_dup_match *m = &st->m[doc];
        variants += m->relation == CRED_DUP_VARIANT;
        parts += m->relation == CRED_DUP_PART;
        copies += m->relation == CRED_DUP_EXACT || m->relation == CRED_DUP_NEAR;
        if (m->origin != doc)
            continue;
        cred_dup_cluster c;
        if (cred_dedup_cluster(d, &c, doc) < 0)
            continue;
        if (c.size > 1)
            rows[nr++].c = c;
        else
            alone++;
    }
    qsort(rows, nr, sizeof *rows, cmp_rows);
    fprintf(fp, "%6s %7s  %-17s  %-17s  %-20s  %s\n", "size", "sources", "first seen", "last seen", "origin",
            "text");
    for (size_t i = 0; i < nr; i++) {
        const post_rec *o = &st->posts[st->order[rows[i].c.origin]];
        char first[32], last[32], text[256];
        format_date(first, sizeof first, rows[i].c.first_seen);
        format_date(last, sizeof last, rows[i].c.last_seen);
        excerpt(text, 72, o->text, o->text_len);
        fprintf(fp, "%6" PRIu32 " %7" PRIu32 "  %-17s  %-17s  %-20s  %s\n", rows[i].c.size, rows[i].c.sources,
                first, last, o->id, text);
    }
    fprintf(fp,
            "%zu posts: %zu clusters of copies holding %zu copies, %zu template variants, %zu transcript windows, "
            "%zu posts alone\n",
            st->n, nr, copies, variants, parts, alone);
    free(rows);
}

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_dups, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    int exit_code = 2;
    cred_reader_options ropts;
    cred_text *text = NULL;
    cred_dedup *d = NULL;
    run_state st = {0};
    post_rec **sorted = NULL;
    cli_input_totals totals = {0};
    cred_dedup_options dopts = CRED_DEDUP_OPTIONS_INIT;
    const char *fmt = cli_get(&a, "output", "jsonl");
    bool table = strcmp(fmt, "table") == 0;
    if (!table && strcmp(fmt, "jsonl") != 0) {
        fprintf(stderr, "credence dups: --output must be jsonl or table, not '%s'\n", fmt);
        goto done;
    }
    if (!cli_get_double(&a, "threshold", dopts.threshold, 0.05, 1.0, &dopts.threshold) ||
        !cli_reader_options(&a, &ropts) || !cli_inputs_exist(&a))
        goto done;
    if (a.npos == 0) {
        fprintf(stderr, "credence dups: no input (give FILE... or - for standard input)\n");
        goto done;
    }
    for (int i = 0; i < a.npos; i++) {
        cred_reader *r;
        if ((rc = cred_reader_open(&r, a.pos[i], &ropts)) < 0) {
            cli_error(&a, rc, "%s", a.pos[i]);
            totals.failed_files++;
            continue;
        }
        const cred_post *p;
        while ((rc = cred_reader_next(r, &p)) > 0)
            if (!keep_post(&st, p)) {
                cli_error(&a, CRED_ENOMEM, "%s", a.pos[i]);
                cred_reader_free(r);
                goto done;
            }
        if (rc < 0) {
            cli_error(&a, rc, "%s", a.pos[i]);
            totals.failed_files++;
        }
        cli_totals_add(&totals, r);
        cred_reader_free(r);
    }

    /* A transcript's windows follow it in its reader's output: link each window to its whole, so that
     * it is added as a part (never a copy of its own transcript). */
    size_t last_whole = NO_WHOLE;
    for (size_t i = 0; i < st.n; i++) {
        post_rec *r = &st.posts[i];
        if (r->kind == CRED_KIND_TRANSCRIPT) {
            last_whole = i;
        } else if (r->kind == CRED_KIND_WINDOW && last_whole != NO_WHOLE) {
            const post_rec *w = &st.posts[last_whole];
            size_t n = strlen(w->id);
            bool same_source = (!w->source && !r->source) || (w->source && r->source && !strcmp(w->source, r->source));
            if (same_source && !strncmp(r->id, w->id, n) && r->id[n] == '#')
                r->whole = last_whole;
        }
    }

    /* Date order; a post without a date sorts right after the dated post read before it. */
    int64_t carry = INT64_MIN;
    for (size_t i = 0; i < st.n; i++) {
        if (st.posts[i].date != CRED_DATE_UNKNOWN)
            carry = st.posts[i].date;
        st.posts[i].key = carry;
    }
    sorted = malloc((st.n ? st.n : 1) * sizeof *sorted);
    st.order = malloc((st.n ? st.n : 1) * sizeof *st.order);
    st.doc_of = malloc((st.n ? st.n : 1) * sizeof *st.doc_of);
    st.m = malloc((st.n ? st.n : 1) * sizeof *st.m);
    if (!sorted || !st.order || !st.doc_of || !st.m) {
        cli_error(&a, CRED_ENOMEM, "cannot start");
        goto done;
    }
    for (size_t i = 0; i < st.n; i++) {
        sorted[i] = &st.posts[i];
        st.doc_of[i] = NO_WHOLE;
    }
    qsort(sorted, st.n, sizeof *sorted, cmp_key);

    dopts.capacity = st.n;
    cred_text_options topts = CRED_TEXT_OPTIONS_INIT;
    topts.flags = CRED_TEXT_NO_STEMS | CRED_TEXT_NO_LANG; /* dedup uses neither */
    if ((rc = cred_text_new(&text, &topts)) < 0 || (rc = cred_dedup_new(&d, &dopts)) < 0) {
        cli_error(&a, rc, "cannot start");
        goto done;
    }
    for (size_t k = 0; k < st.n; k++) {
        const post_rec *p = sorted[k];
        const cred_doc *doc;
        st.order[k] = p->input;
        st.doc_of[p->input] = k;
        size_t whole = p->whole != NO_WHOLE ? st.doc_of[p->whole] : NO_WHOLE; /* NO_WHOLE: not added yet */
        if ((rc = cred_text_analyse(text, &doc, p->text, p->text_len, p->lang)) < 0 ||
            (rc = whole != NO_WHOLE ? cred_dedup_add_part(d, &st.m[k], doc, p->date, p->source, (uint32_t)whole)
                                    : cred_dedup_add(d, &st.m[k], doc, p->date, p->source)) < 0) {
            cli_error(&a, rc, "post %s", p->id);
            goto done;
        }
    }
    if (table)
        print_table(stdout, d, &st);
    else
        print_jsonl(stdout, &st);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error(&a, 0, "cannot write output: %s", strerror(errno));
        goto done;
    }
    exit_code = st.n == 0 && (totals.skipped || totals.failed_files) ? 1 : 0;
    cli_totals_print(&a, &totals, a.npos);
done:
    for (size_t i = 0; i < st.n; i++) {
        free(st.posts[i].id);
        free(st.posts[i].text);
        free(st.posts[i].source);
        free(st.posts[i].lang);
    }
    free(st.posts);
    free(st.order);
    free(st.doc_of);
    free(st.m);
    free(sorted);
    cred_dedup_free(d);
    cred_text_free(text);
    free(a.pos);
    return exit_code;
}
