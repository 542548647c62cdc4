/*
 * The learned lexical signal: hashed word n-grams (stems, within a sentence) and character n-grams
 * (inside each word, padded with a space on both sides) of a cred_doc, and optionally each link's
 * domain, host and path words, looked up in a table of
 * 2^bits float weights. Feature values are 1/sqrt(number of features), so long posts do not win by
 * length alone. Hashing is XXH3 seeded per feature family and length; a trainer must enumerate
 * features with cred_lexical_features() so that fitting and scoring agree.
 */
#include <math.h>
#include <stdlib.h>

#include "score/score_int.h"

#define SEED_TOKEN 0x6c6578746f6b656eULL
#define SEED_WORD 0x776f72646e6772ULL
#define SEED_CHAR 0x636861726e6772ULL
#define SEED_LINK 0x6c696e6b666561ULL
#define MAX_PATH_WORDS 24
#define MAX_WORD_CHARS 48

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* The string a token stands for in word n-grams, or NULL to skip it. */
static const char *token_form(const cred_doc *doc, const cred_token *t, size_t *len)
{
    switch (t->kind) {
    case CRED_TOK_WORD:
        *len = t->stem_len;
        return t->stem;
    case CRED_TOK_NUMBER:
        *len = 5;
        return "<num>";
    case CRED_TOK_URL:
    case CRED_TOK_EMAIL:
        *len = 5;
        return "<url>";
    case CRED_TOK_MENTION:
        *len = 3;
        return "<@>";
    default:
        *len = t->len;
        return doc->norm + t->start;
    }
}

static cred_span token_raw(const cred_doc *doc, const cred_token *t)
{
    cred_span s = {t->start, t->start + t->len};
    return cred_doc_raw_span(doc, s);
}

static void emit_link(cred_lexical_feature *f, uint64_t h, uint64_t mask, cred_lexical_fn fn, void *payload)
{
    f->bucket = (uint32_t)(mix64(h) & mask);
    fn(f, payload);
}

/*
 * Features of one link: its registrable domain, its host when that differs, and the words of its
 * path and query (ASCII letters and digits, lower-cased, 3..32 bytes, not all digits; at most
 * MAX_PATH_WORDS). Reported as word 1-grams of the link's raw text. Returns the count.
 */
static long link_features(const cred_link *l, uint64_t mask, cred_lexical_feature *f, cred_lexical_fn fn,
                          void *payload)
{
    long count = 0;
    f->word = 1;
    f->n = 1;
    f->raw = l->raw;
    const char *dom = l->domain ? l->domain : "", *host = l->host ? l->host : dom;
    count++;
    if (fn)
        emit_link(f, cred_hash64(dom, strlen(dom), SEED_LINK + 1), mask, fn, payload);
    if (strcmp(host, dom) != 0) {
        count++;
        if (fn)
            emit_link(f, cred_hash64(host, strlen(host), SEED_LINK + 2), mask, fn, payload);
    }
    const char *u = l->url ? l->url : "";
    const char *sep = strstr(u, "://");
    u = sep ? sep + 3 : u;
    u += strcspn(u, "/?#"); /* past the host */
    char w[32];
    size_t len = 0;
    bool digits = true;
    for (int words = 0; words < MAX_PATH_WORDS; u++) {
        unsigned char ch = (unsigned char)*u;
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (alnum) {
            if (len < sizeof w)
                w[len] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
            len++;
            digits = digits && ch >= '0' && ch <= '9';
            continue;
        }
        if (len >= 3 && len <= sizeof w && !digits) {
            count++;
            words++;
            if (fn)
                emit_link(f, cred_hash64(w, len, SEED_LINK + 3), mask, fn, payload);
        }
        len = 0;
        digits = true;
        if (!ch)
            break;
    }
    return count;
}

/* Enumerate features; fn NULL only counts. value is passed through. */
static long enumerate(const cred_lexical_options *o, const cred_doc *doc, float value, cred_lexical_fn fn,
                      void *payload)
{
    uint64_t mask = ((uint64_t)1 << o->bits) - 1;
    long count = 0;
    cred_lexical_feature f;
    f.value = value;
    uint64_t hist[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < doc->n_tokens; i++) {
        const cred_token *t = &doc->tokens[i];
        if (o->word_max) {
            size_t len;
            const char *s = token_form(doc, t, &len);
            /* hist[j] = hash of the n-gram of j + 1 tokens ending here (within the sentence) */
            uint64_t th = cred_hash64(s, len, SEED_TOKEN);
            unsigned avail = 1;
            for (size_t back = 1; back < o->word_max && back <= i && doc->tokens[i - back].sentence == t->sentence;
                 back++)
                avail++;
            for (unsigned n = avail; n > 1; n--)
                hist[n - 1] = mix64(hist[n - 2] * 0x9E3779B97F4A7C15ULL ^ th);
            hist[0] = th;
            for (unsigned n = 1; n <= avail; n++) {
                count++;
                if (fn) {
                    f.bucket = (uint32_t)(mix64(hist[n - 1] ^ (SEED_WORD + n)) & mask);
                    f.word = 1;
                    f.n = (uint8_t)n;
                    cred_span a = token_raw(doc, &doc->tokens[i + 1 - n]), b = token_raw(doc, t);
                    f.raw.start = a.start;
                    f.raw.end = b.end;
                    fn(&f, payload);
                }
            }
        }
        if (o->char_max && t->kind == CRED_TOK_WORD) {
            /* code point boundaries of " word " */
            char buf[MAX_WORD_CHARS * 4 + 2];
            uint32_t cp_at[MAX_WORD_CHARS + 3];
            size_t nb = 0, ncp = 0;
            buf[nb++] = ' ';
            cp_at[ncp++] = 0;
            const unsigned char *w = (const unsigned char *)doc->norm + t->start;
            for (size_t k = 0; k < t->len && ncp <= MAX_WORD_CHARS;) {
                int32_t cp;
                int adv = cred_utf8_decode(w + k, t->len - k, &cp);
                cp_at[ncp++] = (uint32_t)nb;
                memcpy(buf + nb, w + k, (size_t)adv);
                nb += (size_t)adv;
                k += (size_t)adv;
            }
            cp_at[ncp++] = (uint32_t)nb;
            buf[nb++] = ' ';
            cp_at[ncp] = (uint32_t)nb; /* end sentinel: ncp code points in buf */
            cred_span raw = fn ? token_raw(doc, t) : (cred_span){0, 0};
            for (unsigned n = o->char_min; n <= o->char_max; n++) {
                for (size_t s = 0; s + n <= ncp; s++) {
                    count++;
                    if (fn) {
                        uint64_t h = cred_hash64(buf + cp_at[s], cp_at[s + n] - cp_at[s], SEED_CHAR + n);
                        f.bucket = (uint32_t)(h & mask);
                        f.word = 0;
                        f.n = (uint8_t)n;
                        f.raw = raw;
                        fn(&f, payload);
                    }
                }
            }
        }
    }
    if (o->links)
        for (size_t k = 0; k < doc->n_links; k++)
            count += link_features(&doc->links[k], mask, &f, fn, payload);
    return count;
}

long cred_lexical_features(const cred_model *m, const cred_doc *doc, cred_lexical_fn fn, void *payload)
{
    if (!m || !doc || !m->table)
        return cred__error(CRED_EINVAL, "cred_lexical_features: the model has no lexical table");
    long n = enumerate(&m->lex, doc, 0, NULL, NULL);
    if (n == 0 || !fn)
        return n;
    return enumerate(&m->lex, doc, (float)(1.0 / sqrt((double)n)), fn, payload);
}

typedef struct collect_ctx {
    lex_scratch *sc;
    const float *table;
    double scale;
    double z;
    bool failed;
} collect_ctx;

static void collect(const cred_lexical_feature *f, void *payload)
{
    collect_ctx *c = payload;
    double pts = c->scale * (double)c->table[f->bucket] * (double)f->value;
    c->z += pts;
    if (c->failed || pts == 0)
        return;
    lex_scratch *sc = c->sc;
    if (CRED_GROW(sc->terms, sc->cap, sc->n + 1) < 0) {
        c->failed = true;
        return;
    }
    cred_lexical_term *t = &sc->terms[sc->n++];
    t->raw = f->raw;
    t->points = pts;
    t->bucket = f->bucket;
    t->word = f->word;
    t->n = f->n;
}

/* By bucket, then by position (first occurrence first). */
static int cmp_bucket(const void *a, const void *b)
{
    const cred_lexical_term *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    if (x->raw.start != y->raw.start)
        return x->raw.start < y->raw.start ? -1 : 1;
    return (x->n > y->n) - (x->n < y->n);
}

int cred_score__lexical(lex_scratch *sc, double *z, cred_lexical_term *top, size_t k, size_t *n_top,
                        const cred_model *m, const cred_doc *doc)
{
    *z = 0;
    if (n_top)
        *n_top = 0;
    if (!m->table || !doc)
        return 0;
    sc->n = 0;
    collect_ctx c = {sc, m->table, m->p.lexical_scale, 0, false};
    long n = enumerate(&m->lex, doc, 0, NULL, NULL);
    if (n > 0)
        enumerate(&m->lex, doc, (float)(1.0 / sqrt((double)n)), collect, &c);
    if (c.failed)
        return cred__error_nomem();
    *z = c.z;
    if (k == 0 || !top || sc->n == 0)
        return 0;
    qsort(sc->terms, sc->n, sizeof *sc->terms, cmp_bucket);
    size_t kept = 0;
    for (size_t i = 0; i < sc->n;) {
        cred_lexical_term t = sc->terms[i];
        size_t j = i + 1;
        for (; j < sc->n && sc->terms[j].bucket == t.bucket; j++)
            t.points += sc->terms[j].points;
        i = j;
        /* insert into top (sorted by |points| descending), ties by position */
        size_t pos = kept;
        while (pos > 0 && (fabs(top[pos - 1].points) < fabs(t.points) ||
                           (fabs(top[pos - 1].points) == fabs(t.points) && top[pos - 1].raw.start > t.raw.start)))
            pos--;
        if (pos >= k)
            continue;
        size_t last = kept < k ? kept : k - 1;
        memmove(&top[pos + 1], &top[pos], (last - pos) * sizeof *top);
        top[pos] = t;
        if (kept < k)
            kept++;
    }
    if (n_top)
        *n_top = kept;
    return 0;
}

int cred_model_lexical_score(double *z, cred_lexical_term *top, size_t k, size_t *n_top, const cred_model *m,
                             const cred_doc *doc)
{
    if (!z || !m || !doc)
        return cred__error(CRED_EINVAL, "cred_model_lexical_score: NULL argument");
    lex_scratch sc = {NULL, 0, 0};
    int rc = cred_score__lexical(&sc, z, top, k, n_top, m, doc);
    free(sc.terms);
    return rc;
}

int cred_lexical_signal_compute(cred_lexical_signal *out, const cred_model *m, const cred_doc *doc)
{
    if (!out)
        return cred__error(CRED_EINVAL, "cred_lexical_signal_compute: NULL argument");
    out->z = 0;
    out->n_terms = 0;
    if (!m || !doc)
        return cred__error(CRED_EINVAL, "cred_lexical_signal_compute: NULL argument");
    if (!m->table)
        return 0;
    return cred_model_lexical_score(&out->z, out->terms, CRED_SCORE_TERMS, &out->n_terms, m, doc);
}
