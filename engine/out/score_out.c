/*
 * Scored post records. jsonl and csv are streamed one record per post; table and html take each
 * post into a bounded summary (counts, a validity histogram, the `top` least credible posts with
 * their reasons, the clusters of copies, and the sources and authors) written by cred_out_finish().
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "out/out_int.h"

/* ---- JSON helpers -------------------------------------------------------------------------------- */

/* jsonl records are written straight into o->buf (no yajl_gen): the same bytes yajl wrote (no spaces,
 * escapes \" \\ \b \f \n \r \t and \u00XX for the other control bytes, "/" as is), with one
 * reservation per string and no allocation once the buffer has grown. jw tracks the commas. */
typedef struct jw {
    cred_out *o;
    int depth;
    bool first[8];
} jw;

static void jw_raw(jw *w, const char *s, size_t n)
{
    if (cred_buf_put(&w->o->buf, s, n) < 0)
        w->o->failed = true;
}

static void jw_sep(jw *w)
{
    if (w->first[w->depth])
        w->first[w->depth] = false;
    else
        jw_raw(w, ",", 1);
}

static void jw_open(jw *w, const char *c)
{
    jw_raw(w, c, 1);
    if (w->depth < 7)
        w->first[++w->depth] = true;
}

static void jw_close(jw *w, const char *c)
{
    jw_raw(w, c, 1);
    if (w->depth > 0)
        w->depth--;
}

/* "key": (keys are literals that need no escaping) */
static void jw_key(jw *w, const char *key)
{
    size_t n = strlen(key);
    jw_sep(w);
    cred_buf *b = &w->o->buf;
    if (cred_buf_reserve(b, n + 3) < 0) {
        w->o->failed = true;
        return;
    }
    char *d = b->ptr + b->len;
    *d++ = '"';
    memcpy(d, key, n);
    d += n;
    *d++ = '"';
    *d++ = ':';
    b->len = (size_t)(d - b->ptr);
}

static const unsigned char json_esc[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

/* A JSON string of valid UTF-8 s. */
static void jw_escaped(jw *w, const unsigned char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    cred_buf *b = &w->o->buf;
    if (cred_buf_reserve(b, len + 2) < 0) {
        w->o->failed = true;
        return;
    }
    char *d = b->ptr + b->len;
    *d++ = '"';
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && !json_esc[s[j]])
            j++;
        memcpy(d, s + i, j - i);
        d += j - i;
        if (j == len)
            break;
        b->len = (size_t)(d - b->ptr);
        if (cred_buf_reserve(b, len - j + 8) < 0) {
            w->o->failed = true;
            return;
        }
        d = b->ptr + b->len;
        unsigned char c = s[j];
        *d++ = '\\';
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        default:
            memcpy(d, "u00", 3);
            d[3] = hex[c >> 4];
            d[4] = hex[c & 15];
            d += 5;
            break;
        }
        i = j + 1;
    }
    *d++ = '"';
    b->len = (size_t)(d - b->ptr);
}

/* A JSON string of s (invalid UTF-8 repaired, as cred_out__put_bytes()). */
static void jw_bytes(jw *w, const char *s, size_t len)
{
    if (cred_utf8_invalid_count(s, len) == 0) {
        jw_escaped(w, (const unsigned char *)s, len);
        return;
    }
    cred_out *o = w->o;
    cred_buf_clear(&o->scratch);
    if (cred_utf8_sanitize(&o->scratch, s, len) < 0) {
        o->failed = true;
        return;
    }
    jw_escaped(w, (const unsigned char *)o->scratch.ptr, o->scratch.len);
}

/* "key": value, nothing when value is NULL. */
static void jw_str(jw *w, const char *key, const char *value)
{
    if (!value)
        return;
    jw_key(w, key);
    jw_bytes(w, value, strlen(value));
}

/* A number rounded to `decimals`, written without trailing zeros (0.5, 1.25, -3). */
static void put_num(jw *w, const char *key, double v, int decimals)
{
    char s[48];
    if (!isfinite(v))
        v = 0;
    int n = snprintf(s, sizeof s, "%.*f", decimals, v);
    if (n < 0 || n >= (int)sizeof s)
        n = 0;
    if (memchr(s, '.', (size_t)n)) {
        while (n > 0 && s[n - 1] == '0')
            n--;
        if (n > 0 && s[n - 1] == '.')
            n--;
    }
    if (n == 2 && s[0] == '-' && s[1] == '0')
        s[0] = '0', n = 1;
    if (key)
        jw_key(w, key);
    else
        jw_sep(w);
    jw_raw(w, s, (size_t)n);
}

static void put_int(jw *w, const char *key, long long v)
{
    char s[24], *e = s + sizeof s, *d = e;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--d = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--d = '-';
    jw_key(w, key);
    jw_raw(w, d, (size_t)(e - d));
}

static void put_bool(jw *w, const char *key)
{
    jw_key(w, key);
    jw_raw(w, "true", 4);
}

/* "key": ISO 8601 UTC date, nothing when unknown (as cred_out__put_date()). */
static void put_date(jw *w, const char *key, int64_t t)
{
    char s[32];
    if (cred_date_iso(s, sizeof s, t))
        jw_str(w, key, s);
}

static const char *target_field(cred_rule_target t)
{
    switch (t) {
    case CRED_TARGET_FORWARDED_FROM: return "forwarded_from";
    case CRED_TARGET_AUTHOR: return "author";
    case CRED_TARGET_SOURCE: return "source";
    default: return NULL;
    }
}

/* Whether a contribution's span indexes the post text. */
static bool span_in_text(const cred_contribution *c, const cred_post *p)
{
    return c->has_span && !target_field(c->target) && c->span.start <= c->span.end && c->span.end <= p->text_len;
}

static void write_jsonl(cred_out *o, const cred_scored_post *r)
{
    const cred_post *p = r->post;
    const cred_score *s = r->score;
    jw w = {o, 0, {true}};
    jw_open(&w, "{");
    jw_str(&w, "id", p->id);
    jw_str(&w, "source", p->source);
    jw_str(&w, "author", p->author);
    put_date(&w, "date", p->date);
    jw_str(&w, "lang", p->lang ? p->lang : r->doc ? r->doc->lang : NULL);
    put_int(&w, "validity", s->validity);
    put_num(&w, "p_unreliable", s->p_unreliable, 4);
    jw_str(&w, "verdict", cred_verdict_name(s->verdict));
    put_num(&w, "z", s->z, 3);
    jw_key(&w, "flags");
    jw_open(&w, "[");
    for (unsigned b = 0; b < CRED_FLAG_COUNT_; b++)
        if (s->flags & (1u << b)) {
            const char *n = cred_flag_name(1u << b);
            jw_sep(&w);
            jw_escaped(&w, (const unsigned char *)n, strlen(n));
        }
    jw_close(&w, "]");
    jw_key(&w, "reasons");
    jw_open(&w, "[");
    for (size_t i = 0; i < s->n_contribs; i++) {
        const cred_contribution *c = &s->contribs[i];
        jw_sep(&w);
        jw_open(&w, "{");
        jw_str(&w, "rule", c->rule);
        jw_str(&w, "category", c->category);
        put_num(&w, "points", c->points, 3);
        if (c->has_span) {
            const char *field = target_field(c->target);
            if (c->quote) {
                jw_key(&w, "quote");
                jw_bytes(&w, c->quote, c->quote_len);
            }
            put_int(&w, "start", c->span.start);
            put_int(&w, "end", c->span.end);
            if (field)
                jw_str(&w, "field", field);
        }
        jw_str(&w, "explain", c->explain);
        if (c->hit_flags & CRED_HIT_CAPPED)
            put_bool(&w, "capped");
        if (c->hit_flags & CRED_HIT_GROUP_LIMITED)
            put_bool(&w, "group_limited");
        if (c->hit_flags & (CRED_HIT_CAPPED | CRED_HIT_GROUP_LIMITED))
            put_num(&w, "raw_points", c->raw_points, 3);
        if (c->kind == CRED_CONTRIB_LEXICAL && s->n_terms) {
            jw_key(&w, "terms");
            jw_open(&w, "[");
            for (size_t t = 0; t < s->n_terms; t++) {
                const cred_lexical_term *lt = &s->terms[t];
                jw_sep(&w);
                jw_open(&w, "{");
                if (lt->raw.end <= p->text_len && lt->raw.start <= lt->raw.end) {
                    jw_key(&w, "quote");
                    jw_bytes(&w, p->text + lt->raw.start, lt->raw.end - lt->raw.start);
                }
                put_num(&w, "points", lt->points, 3);
                put_int(&w, "start", lt->raw.start);
                put_int(&w, "end", lt->raw.end);
                jw_close(&w, "}");
            }
            jw_close(&w, "]");
        }
        jw_close(&w, "}");
    }
    jw_close(&w, "]");
    if (s->suppressed) {
        jw_key(&w, "suppressed");
        jw_open(&w, "{");
        put_int(&w, "hits", (long long)s->suppressed);
        put_num(&w, "points", s->suppressed_points, 3);
        jw_close(&w, "}");
    }
    if (r->dup) {
        const cred_dup_match *d = r->dup;
        jw_key(&w, "duplicate");
        jw_open(&w, "{");
        jw_str(&w, "relation", cred_dup_relation_name(d->relation));
        jw_str(&w, "parent", r->parent_id);
        jw_str(&w, "origin", r->origin_id);
        put_num(&w, "similarity", d->similarity, 3);
        if (r->cluster) {
            jw_key(&w, "cluster");
            jw_open(&w, "{");
            jw_str(&w, "id", r->origin_id);
            put_int(&w, "size", r->cluster->size);
            put_int(&w, "sources", r->cluster->sources);
            put_date(&w, "first_seen", r->cluster->first_seen);
            put_date(&w, "last_seen", r->cluster->last_seen);
            jw_close(&w, "}");
        }
        jw_close(&w, "}");
    }
    jw_str(&w, "forwarded_from", p->forwarded_from);
    if (p->line)
        put_int(&w, "line", (long long)p->line);
    if (!(o->opts.flags & CRED_OUT_NO_TEXT)) {
        jw_key(&w, "text");
        jw_bytes(&w, p->text, p->text_len);
    }
    jw_close(&w, "}");
    jw_raw(&w, "\n", 1);
}

/* ---- CSV ------------------------------------------------------------------------------------------ */

/* One RFC 4180 field: quoted when it holds a comma, quote, CR, LF or starts/ends with a space. */
static void csv_field(cred_out *o, const char *s, size_t len, bool last)
{
    bool quote = len && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    cred_buf *b = &o->buf;
    bool ok = true;
    if (quote)
        ok &= cred_buf_putc(b, '"') == 0;
    size_t from = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '"') {
            ok &= cred_buf_put(b, s + from, i + 1 - from) == 0;
            ok &= cred_buf_putc(b, '"') == 0;
            from = i + 1;
        }
    ok &= cred_buf_put(b, s + from, len - from) == 0;
    if (quote)
        ok &= cred_buf_putc(b, '"') == 0;
    ok &= cred_buf_put(b, last ? "\r\n" : ",", last ? 2 : 1) == 0;
    if (!ok)
        o->failed = true;
}

static void csv_str(cred_out *o, const char *s, bool last)
{
    csv_field(o, s ? s : "", s ? strlen(s) : 0, last);
}

static const char *const csv_columns[] = {"id", "source", "author", "date", "lang", "validity", "p_unreliable",
                                          "verdict", "flags", "reasons", "relation", "origin", "cluster_size",
                                          "cluster_sources", "text"};

static void write_csv(cred_out *o, const cred_scored_post *r)
{
    const cred_post *p = r->post;
    const cred_score *s = r->score;
    size_t ncol = CRED_ARRAY_LEN(csv_columns) - ((o->opts.flags & CRED_OUT_NO_TEXT) ? 1 : 0);
    if (!o->header_done) {
        for (size_t i = 0; i < ncol; i++)
            csv_str(o, csv_columns[i], i + 1 == ncol);
        o->header_done = true;
    }
    char num[64], date[40];
    csv_str(o, p->id, false);
    csv_str(o, p->source, false);
    csv_str(o, p->author, false);
    cred_date_iso(date, sizeof date, p->date);
    csv_str(o, date, false);
    csv_str(o, p->lang ? p->lang : r->doc ? r->doc->lang : NULL, false);
    snprintf(num, sizeof num, "%d", s->validity);
    csv_str(o, num, false);
    snprintf(num, sizeof num, "%.4f", s->p_unreliable);
    csv_str(o, num, false);
    csv_str(o, cred_verdict_name(s->verdict), false);
    cred_buf *t = &o->scratch;
    cred_buf_clear(t);
    for (unsigned b = 0; b < CRED_FLAG_COUNT_; b++)
        if (s->flags & (1u << b)) {
            if (t->len)
                cred_buf_putc(t, '|');
            cred_buf_puts(t, cred_flag_name(1u << b));
        }
    csv_field(o, t->ptr ? t->ptr : "", t->len, false);
    cred_buf_clear(t);
    for (size_t i = 0; i < s->n_contribs; i++) {
        const cred_contribution *c = &s->contribs[i];
        if (c->points == 0 && !(c->hit_flags & (CRED_HIT_CAPPED | CRED_HIT_GROUP_LIMITED)))
            continue;
        cred_buf_printf(t, "%s%s(%+.2f)", t->len ? "|" : "", c->rule, c->points);
    }
    csv_field(o, t->ptr ? t->ptr : "", t->len, false);
    csv_str(o, r->dup ? cred_dup_relation_name(r->dup->relation) : NULL, false);
    csv_str(o, r->origin_id, false);
    snprintf(num, sizeof num, "%" PRIu32, r->cluster ? r->cluster->size : 0);
    csv_str(o, r->cluster ? num : NULL, false);
    snprintf(num, sizeof num, "%" PRIu32, r->cluster ? r->cluster->sources : 0);
    csv_str(o, r->cluster ? num : NULL, ncol < CRED_ARRAY_LEN(csv_columns));
    if (ncol == CRED_ARRAY_LEN(csv_columns)) {
        if (cred_utf8_invalid_count(p->text, p->text_len) == 0) {
            csv_field(o, p->text, p->text_len, true);
        } else {
            cred_buf_clear(t);
            if (cred_utf8_sanitize(t, p->text, p->text_len) < 0)
                o->failed = true;
            csv_field(o, t->ptr ? t->ptr : "", t->len, true);
        }
    }
}

/* ---- the summary ---------------------------------------------------------------------------------- */

static char *dup_str(const char *s, size_t len)
{
    return s ? cred__strndup(s, len) : NULL;
}

/* Length of s cut to at most max bytes at a character boundary. */
static size_t cut_utf8(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void free_post(out_post *p)
{
    free(p->id), free(p->source), free(p->author), free(p->text);
    for (size_t i = 0; i < p->n_reasons; i++) {
        out_reason *r = &p->reasons[i];
        free(r->rule), free(r->category), free(r->explain), free(r->quote);
    }
    memset(p, 0, sizeof *p);
}

/* "a is better (more credible) than b": higher validity, then lower z, then later input. */
static bool better(const out_post *a, const out_post *b)
{
    if (a->validity != b->validity)
        return a->validity > b->validity;
    if (a->z != b->z)
        return a->z < b->z;
    return a->seq > b->seq;
}

static void heap_down(out_post *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && better(&h[l], &h[m]))
            m = l;
        if (r < n && better(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        out_post t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_up(out_post *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!better(&h[i], &h[p]))
            return;
        out_post t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static int fill_post(out_post *d, const cred_scored_post *r, uint64_t seq)
{
    const cred_post *p = r->post;
    const cred_score *s = r->score;
    d->seq = seq;
    d->validity = s->validity;
    d->z = s->z;
    d->verdict = s->verdict;
    d->flags = s->flags;
    d->date = p->date;
    d->full_len = p->text_len;
    d->text_len = cut_utf8(p->text, p->text_len, OUT_EXCERPT);
    d->id = dup_str(p->id, strlen(p->id));
    d->source = p->source ? dup_str(p->source, strlen(p->source)) : NULL;
    d->author = p->author ? dup_str(p->author, strlen(p->author)) : NULL;
    d->text = dup_str(p->text, d->text_len);
    if (!d->id || !d->text || (p->source && !d->source) || (p->author && !d->author))
        return cred__error_nomem();
    /* the reasons with the largest |points| (suppressed hits after), in that order */
    const cred_contribution *pick[OUT_REASONS];
    size_t n = 0;
    for (size_t i = 0; i < s->n_contribs; i++) {
        const cred_contribution *c = &s->contribs[i];
        size_t pos = n;
        while (pos > 0 && fabs(pick[pos - 1]->points) < fabs(c->points))
            pos--;
        if (pos >= OUT_REASONS)
            continue;
        size_t last = n < OUT_REASONS ? n : OUT_REASONS - 1;
        memmove(&pick[pos + 1], &pick[pos], (last - pos) * sizeof *pick);
        pick[pos] = c;
        if (n < OUT_REASONS)
            n++;
    }
    for (size_t i = 0; i < n; i++) {
        const cred_contribution *c = pick[i];
        out_reason *o = &d->reasons[d->n_reasons++];
        o->rule = dup_str(c->rule, strlen(c->rule));
        o->category = dup_str(c->category ? c->category : "", c->category ? strlen(c->category) : 0);
        o->explain = dup_str(c->explain, strlen(c->explain));
        o->quote = c->quote ? dup_str(c->quote, cut_utf8(c->quote, c->quote_len, 200)) : NULL;
        o->points = c->points;
        o->raw_points = c->raw_points;
        o->hit_flags = c->hit_flags;
        o->has_span = c->has_span;
        o->in_text = span_in_text(c, p) && c->span.end <= d->text_len;
        o->start = c->span.start;
        o->end = c->span.end;
        if (!o->rule || !o->category || !o->explain || (c->quote && !o->quote))
            return cred__error_nomem();
    }
    return 0;
}

static int keep_worst(cred_out *o, out_summary *s, const cred_scored_post *r)
{
    size_t top = o->opts.top;
    out_post probe = {0};
    probe.validity = r->score->validity;
    probe.z = r->score->z;
    probe.seq = s->seq;
    if (s->n_worst == top && !better(&s->worst[0], &probe))
        return 0;
    if (s->n_worst < top && CRED_GROW(s->worst, s->cap_worst, s->n_worst + 1) < 0)
        return cred__error_nomem();
    out_post d = {0};
    int rc = fill_post(&d, r, s->seq);
    if (rc < 0) {
        free_post(&d);
        return rc;
    }
    if (s->n_worst < top) {
        s->worst[s->n_worst] = d;
        heap_up(s->worst, s->n_worst++);
    } else {
        free_post(&s->worst[0]);
        s->worst[0] = d;
        heap_down(s->worst, s->n_worst, 0);
    }
    return 0;
}

/* Open-addressing map of entries whose first field after the strings is a uint64_t key. */
static void **map_find(out_map *m, uint64_t key, uint64_t (*key_of)(const void *))
{
    size_t mask = m->cap - 1;
    for (size_t i = key & mask;; i = (i + 1) & mask)
        if (!m->slots[i] || key_of(m->slots[i]) == key)
            return &m->slots[i];
}

static int map_grow(out_map *m, uint64_t (*key_of)(const void *))
{
    if ((m->n + 1) * 4 < m->cap * 3)
        return 0;
    size_t cap = m->cap ? m->cap * 2 : 256;
    void **old = m->slots;
    size_t old_cap = m->cap;
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots) {
        m->slots = old;
        return cred__error_nomem();
    }
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            *map_find(m, key_of(old[i]), key_of) = old[i];
    free(old);
    return 0;
}

static uint64_t cluster_key(const void *e)
{
    return ((const out_cluster *)e)->key;
}

static uint64_t source_key(const void *e)
{
    return ((const out_source *)e)->key;
}

void **cred_out__map_sorted(const out_map *m, int (*cmp)(const void *, const void *))
{
    void **v = malloc((m->n ? m->n : 1) * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i])
            v[k++] = m->slots[i];
    qsort(v, k, sizeof *v, cmp);
    return v;
}

static int note_cluster(out_summary *s, const cred_scored_post *r)
{
    const cred_dup_cluster *c = r->cluster;
    if (!c || !r->origin_id || !r->dup || (r->dup->relation != CRED_DUP_EXACT && r->dup->relation != CRED_DUP_NEAR))
        return 0;
    uint64_t key = cred_hash64(r->origin_id, strlen(r->origin_id), 0x636c);
    if (map_grow(&s->clusters, cluster_key) < 0)
        return cred__error_nomem();
    void **slot = map_find(&s->clusters, key, cluster_key);
    out_cluster *e = *slot;
    if (!e) {
        if (s->clusters.n >= OUT_MAX_CLUSTERS) {
            s->clusters_dropped++;
            return 0;
        }
        const cred_post *p = r->post;
        e = calloc(1, sizeof *e);
        if (!e)
            return cred__error_nomem();
        e->key = key;
        e->origin_id = dup_str(r->origin_id, strlen(r->origin_id));
        e->origin_source = r->origin_source ? dup_str(r->origin_source, strlen(r->origin_source)) : NULL;
        e->excerpt = dup_str(p->text, cut_utf8(p->text, p->text_len, 280));
        if (!e->origin_id || !e->excerpt) {
            free(e->origin_id), free(e->origin_source), free(e->excerpt), free(e);
            return cred__error_nomem();
        }
        e->dates[0] = c->first_seen;
        e->date_sources[0] = e->origin_source ? strdup(e->origin_source) : NULL;
        e->n_dates = 1;
        *slot = e;
        s->clusters.n++;
    }
    e->size = CRED_MAX(e->size, c->size);
    e->sources = CRED_MAX(e->sources, c->sources);
    e->first_seen = c->first_seen;
    e->last_seen = c->last_seen;
    e->copies++;
    if (e->n_dates < OUT_TIMELINE) {
        e->dates[e->n_dates] = r->post->date;
        e->date_sources[e->n_dates] = r->post->source ? strdup(r->post->source) : NULL;
        e->n_dates++;
    }
    return 0;
}

static int note_source(out_summary *s, out_map *m, const char *name, const cred_score *sc, bool copy)
{
    if (!name || !*name)
        return 0;
    uint64_t key = cred_hash64(name, strlen(name), 0x736f);
    if (map_grow(m, source_key) < 0)
        return cred__error_nomem();
    void **slot = map_find(m, key, source_key);
    out_source *e = *slot;
    if (!e) {
        if (m->n >= OUT_MAX_SOURCES) {
            s->sources_dropped++;
            return 0;
        }
        e = calloc(1, sizeof *e);
        if (!e || !(e->name = strdup(name))) {
            free(e);
            return cred__error_nomem();
        }
        e->key = key;
        *slot = e;
        m->n++;
    }
    e->posts++;
    e->unsourced += (sc->flags & CRED_FLAG_UNSOURCED_CLAIM) != 0;
    e->unreliable += sc->verdict == CRED_VERDICT_UNRELIABLE;
    e->copies += copy;
    return 0;
}

static int summarise(cred_out *o, const cred_scored_post *r)
{
    if (!o->sum && !(o->sum = calloc(1, sizeof *o->sum)))
        return cred__error_nomem();
    out_summary *s = o->sum;
    const cred_score *sc = r->score;
    s->posts++;
    s->verdicts[sc->verdict & 3]++;
    for (unsigned b = 0; b < CRED_FLAG_COUNT_; b++)
        s->flags[b] += (sc->flags >> b) & 1;
    int bin = sc->validity * OUT_HIST_BINS / 100;
    s->hist[bin >= OUT_HIST_BINS ? OUT_HIST_BINS - 1 : bin < 0 ? 0 : bin]++;
    s->validity_sum += sc->validity;
    int rc = keep_worst(o, s, r);
    bool copy = (sc->flags & CRED_FLAG_NEAR_DUPLICATE) != 0;
    if (rc == 0)
        rc = note_cluster(s, r);
    if (rc == 0)
        rc = note_source(s, &s->sources, r->post->source, sc, copy);
    if (rc == 0)
        rc = note_source(s, &s->authors, r->post->author, sc, copy);
    s->seq++;
    return rc;
}

static int cmp_worst(const void *a, const void *b)
{
    const out_post *x = a, *y = b;
    return better(x, y) ? 1 : better(y, x) ? -1 : 0;
}

void cred_out__summary_sort(out_summary *s)
{
    if (s && s->n_worst)
        qsort(s->worst, s->n_worst, sizeof *s->worst, cmp_worst);
}

static void map_free(out_map *m, bool clusters)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i])
            continue;
        if (clusters) {
            out_cluster *c = m->slots[i];
            free(c->origin_id), free(c->origin_source), free(c->excerpt);
            for (size_t k = 0; k < c->n_dates; k++)
                free(c->date_sources[k]);
        } else {
            free(((out_source *)m->slots[i])->name);
        }
        free(m->slots[i]);
    }
    free(m->slots);
}

void cred_out__summary_free(out_summary *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_worst; i++)
        free_post(&s->worst[i]);
    free(s->worst);
    map_free(&s->clusters, true);
    map_free(&s->sources, false);
    map_free(&s->authors, false);
    free(s);
}

/* ---- the table ------------------------------------------------------------------------------------ */

/* Text on one line: whitespace runs become one space, cut to max bytes at a character boundary. */
/* Copies s into out as one line (runs of white space become one space), keeping at most `max`
 * characters (code points) and never cutting a UTF-8 sequence. */
static void one_line(char *out, size_t cap, const char *s, size_t len, size_t max)
{
    size_t o = 0, chars = 0;
    bool space = false;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = o > 0;
            continue;
        }
        bool starts_char = (c & 0xC0) != 0x80;
        if (starts_char && chars + (space ? 1 : 0) >= max)
            break;
        if (space) {
            out[o++] = ' ';
            chars++;
        }
        space = false;
        out[o++] = (char)c;
        chars += starts_char;
    }
    /* drop a last sequence left incomplete by the byte limit */
    size_t start = o;
    while (start > 0 && ((unsigned char)out[start - 1] & 0xC0) == 0x80)
        start--;
    if (start > 0) {
        unsigned char lead = (unsigned char)out[start - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (o - (start - 1) < need)
            o = start - 1;
    }
    out[o] = '\0';
}

static void write_table(cred_out *o)
{
    out_summary *s = o->sum;
    bool color = o->opts.flags & CRED_OUT_COLOR;
    const char *red = color ? "\033[31m" : "", *yellow = color ? "\033[33m" : "", *green = color ? "\033[32m" : "",
               *dim = color ? "\033[2m" : "", *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
    cred_buf *b = &o->buf;
    uint64_t posts = s ? s->posts : 0;
    cred_buf_printf(b, "%s%" PRIu64 " posts%s: %" PRIu64 " unreliable, %" PRIu64 " to review, %" PRIu64
                       " credible, %" PRIu64 " insufficient evidence; mean validity %.0f\n",
                    bold, posts, off, s ? s->verdicts[CRED_VERDICT_UNRELIABLE] : 0,
                    s ? s->verdicts[CRED_VERDICT_REVIEW] : 0, s ? s->verdicts[CRED_VERDICT_CREDIBLE] : 0,
                    s ? s->verdicts[CRED_VERDICT_INSUFFICIENT] : 0, posts ? s->validity_sum / (double)posts : 0.0);
    if (!s || !s->n_worst)
        return;
    cred_out__summary_sort(s);
    cred_buf_printf(b, "\n%svalidity  verdict       id / source%s\n", dim, off);
    for (size_t i = 0; i < s->n_worst; i++) {
        const out_post *p = &s->worst[i];
        const char *col = p->verdict == CRED_VERDICT_UNRELIABLE ? red
                          : p->verdict == CRED_VERDICT_REVIEW   ? yellow
                          : p->verdict == CRED_VERDICT_CREDIBLE ? green
                                                                : dim;
        char text[400];
        one_line(text, sizeof text, p->text, p->text_len, 110);
        cred_buf_printf(b, "%s%8d  %-12s%s  %s%s%s%s%s\n", col, p->validity, cred_verdict_name(p->verdict), off,
                        bold, p->id, off, p->source ? " · " : "", p->source ? p->source : "");
        cred_buf_printf(b, "          %s%s%s\n", dim, text, off);
        for (size_t k = 0, shown = 0; k < p->n_reasons && shown < 3; k++) {
            const out_reason *r = &p->reasons[k];
            if (r->points == 0)
                continue; /* capped hits are in jsonl and html */
            shown++;
            char q[160] = "";
            if (r->quote)
                one_line(q, sizeof q, r->quote, strlen(r->quote), 60);
            cred_buf_printf(b, "          %+5.1f %s%s%s%s%s%s\n", r->points, r->rule, q[0] ? " «" : "", q,
                            q[0] ? "»" : "", (r->hit_flags & CRED_HIT_CAPPED) ? " (capped)" : "",
                            (r->hit_flags & CRED_HIT_GROUP_LIMITED) ? " (group limit)" : "");
        }
    }
}

/* ---- entry points --------------------------------------------------------------------------------- */

int cred_out_score(cred_out *o, const cred_scored_post *r)
{
    if (!o || !r || !r->post || !r->score)
        return cred__error(CRED_EINVAL, "cred_out_score: NULL argument");
    switch (o->format) {
    case CRED_OUT_JSONL:
        write_jsonl(o, r);
        break;
    case CRED_OUT_CSV:
        write_csv(o, r);
        break;
    default: {
        int rc = summarise(o, r);
        if (rc < 0)
            return rc;
        break;
    }
    }
    return cred_out__flush_if(o, FLUSH_BYTES);
}

int cred_out_render(cred_out *o, const cred_scored_post *r, const char **out, size_t *len)
{
    if (!o || !r || !r->post || !r->score || !out || !len)
        return cred__error(CRED_EINVAL, "cred_out_render: NULL argument");
    if (o->format != CRED_OUT_JSONL && o->format != CRED_OUT_CSV)
        return cred__error(CRED_EINVAL, "cred_out_render: only jsonl and csv records are rendered one by one");
    if (o->failed)
        return cred__error_nomem();
    size_t start = o->buf.len; /* output still pending from cred_out_score() stays pending */
    if (o->format == CRED_OUT_JSONL)
        write_jsonl(o, r);
    else
        write_csv(o, r);
    if (o->failed) {
        o->buf.len = start;
        o->failed = false;
        return cred__error_nomem();
    }
    *out = o->buf.ptr + start;
    *len = o->buf.len - start;
    o->buf.len = start; /* the bytes stay in place until the next call */
    return 0;
}

int cred_out_finish(cred_out *o)
{
    if (!o)
        return cred__error(CRED_EINVAL, "cred_out_finish: NULL argument");
    if (o->format == CRED_OUT_TABLE)
        write_table(o);
    else if (o->format == CRED_OUT_HTML) {
        if (!o->sum && !(o->sum = calloc(1, sizeof *o->sum)))
            return cred__error_nomem();
        int rc = cred_out__html(o, o->sum);
        if (rc < 0)
            return rc;
    }
    return cred_out_flush(o);
}
