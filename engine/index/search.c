/*
 * Search: the query tree becomes, per segment, a tree of doc-at-a-time iterators over posting
 * cursors (term, or, and, and-not, phrase, all). Hits are ranked by BM25 with corpus-wide document
 * frequencies; a top-k heap with block-max pruning skips whole posting blocks whose best possible
 * score cannot enter the heap; a union of terms (a word's stems, a prefix, OR) runs block-max MaxScore
 * (run_union), an AND of words runs a block-max conjunction led by the rarest word's strong terms
 * (run_and), and a phrase checks positions only for docs whose score would enter the heap. Date
 * filters become a doc id range (doc ids follow dates), so a time window only ever removes work.
 */
#include <float.h>
#include <stdlib.h>

#include "index/index.h"
#include "index/query.h"

#define K1 1.2
#define B 0.75
#define MAX_POS 4096
/* Block bounds are float maxima rounded up (so up to ~1.2e-7 above the best real score of the block):
 * a range whose bound is at most the heap's minimum times UB_TIE is skipped. A doc there can beat the
 * minimum by at most 2e-7 of it, which ranks as a tie (and on ties the older post, already in the heap,
 * wins); without the margin a block whose best doc only ties the minimum could never be skipped. */
#define UB_TIE (1 + 2e-7)

typedef enum { IT_TERM, IT_OR, IT_AND, IT_NOT, IT_PHRASE, IT_ALL, IT_DOCS } it_kind;

typedef struct it {
    it_kind kind;
    uint32_t doc;
    ix_cursor cur;
    double w;         /* idf (0: a filter that does not score) */
    struct it **k;
    size_t nk;
    size_t n_pos_kids; /* AND-NOT: kids [0, n_pos_kids) required, the rest excluded */
    uint32_t n_docs;
    bool lazy;        /* PHRASE at the root: matches its AND; the caller checks positions (phrase_ok) */
    unsigned fr;      /* TERM: rank + 1 among the segment's frequent terms (0: not one) */
    uint32_t *dl;     /* DOCS: a frequent pair's docs (dn of them; di: the next to look at) */
    size_t dn, di;
    struct it **f;    /* PHRASE: DOCS filters, one per indexed pair of adjacent words */
    size_t nf;
} it;

typedef struct hl_term {
    char *s;
    size_t len;
    bool prefix;
} hl_term;

typedef struct heap_ent {
    double score;
    uint64_t seq;  /* order of the post: (segment, doc), i.e. time order */
    uint32_t seg, doc;
} heap_ent;

typedef struct search_state {
    cred_search_hit *hits;
    size_t cap_hits;
    cred_buf snip;
    cred_span *spans;
    size_t cap_spans;
    hl_term *hl;
    size_t n_hl, cap_hl;
    heap_ent *heap;
    size_t n_heap, cap_heap;
    double avgdl, N;
    double ub_scale;          /* max(1, corpus avgdl / segment avgdl) for the current segment */
    double *ptab;             /* ix_tf_part(tf, len, avgdl) by (tf - 1, len), filled on first use (NaN: not yet) */
    double ptab_avgdl;        /* the avgdl ptab holds parts for */
    cred_buf tmp;
    uint32_t *pa, *pb, *pc;
} search_state;

void ix_search_free(void *p)
{
    search_state *s = p;
    if (!s)
        return;
    free(s->hits);
    cred_buf_free(&s->snip);
    free(s->spans);
    for (size_t i = 0; i < s->n_hl; i++)
        free(s->hl[i].s);
    free(s->hl);
    free(s->heap);
    cred_buf_free(&s->tmp);
    free(s->pa);
    free(s->pb);
    free(s->pc);
    free(s->ptab);
    free(s);
}

static void it_free(it *t)
{
    if (!t)
        return;
    if (t->kind == IT_TERM)
        ix_cursor_free(&t->cur);
    for (size_t i = 0; i < t->nk; i++)
        it_free(t->k[i]);
    for (size_t i = 0; i < t->nf; i++)
        it_free(t->f[i]);
    free(t->f);
    free(t->dl);
    free(t->k);
    free(t);
}

static it *it_new(it_kind k)
{
    it *t = calloc(1, sizeof *t);
    if (t)
        t->kind = k;
    return t;
}

static int it_add(it *t, it *k)
{
    it **v = realloc(t->k, (t->nk + 1) * sizeof *v);
    if (!v)
        return cred__error_nomem();
    t->k = v;
    t->k[t->nk++] = k;
    return 0;
}

/* ---- iteration ----------------------------------------------------------------------------------- */

static uint32_t it_seek(it *t, uint32_t target);

static bool phrase_ok(search_state *ss, it *t);

static uint32_t and_seek(it *t, uint32_t d, size_t n)
{
again:
    for (size_t i = 0; i < n; i++) {
        uint32_t kd = it_seek(t->k[i], d);
        if (kd == IX_END)
            return IX_END;
        if (kd > d) {
            d = kd;
            goto again;
        }
    }
    return d;
}

static _Thread_local search_state *cur_ss;

static uint32_t it_seek(it *t, uint32_t target)
{
    if (t->doc >= target && t->doc != UINT32_MAX - 1)
        return t->doc;
    switch (t->kind) {
    case IT_TERM:
        t->doc = ix_cursor_seek(&t->cur, target);
        break;
    case IT_OR: {
        uint32_t m = IX_END;
        for (size_t i = 0; i < t->nk; i++) {
            uint32_t kd = it_seek(t->k[i], target);
            if (kd < m)
                m = kd;
        }
        t->doc = m;
        break;
    }
    case IT_AND: {
        uint32_t d = target;
        for (;;) {
            d = and_seek(t, d, t->n_pos_kids);
            if (d == IX_END)
                break;
            bool excluded = false;
            for (size_t i = t->n_pos_kids; i < t->nk && !excluded; i++)
                excluded = it_seek(t->k[i], d) == d;
            if (!excluded)
                break;
            d++;
        }
        t->doc = d;
        break;
    }
    case IT_PHRASE: {
        uint32_t d = target;
        for (;;) {
            /* docs holding every indexed pair first (the words' positions only there), then the words */
            for (size_t i = 0; i < t->nf && d != IX_END;) {
                uint32_t fd = it_seek(t->f[i], d);
                if (fd != d) {
                    d = fd;
                    i = 0;
                    continue;
                }
                i++;
            }
            if (d == IX_END)
                break;
            uint32_t ad = and_seek(t, d, t->nk);
            if (ad != d && t->nf) {
                d = ad;
                continue;
            }
            d = ad;
            if (d == IX_END || t->lazy || phrase_ok(cur_ss, t))
                break;
            d++;
        }
        t->doc = d;
        break;
    }
    case IT_DOCS: {
        /* galloping search for the first doc >= target from di */
        size_t lo = t->di, step = 1, hi;
        while (lo + step < t->dn && t->dl[lo + step] < target) {
            lo += step;
            step <<= 1;
        }
        hi = lo + step < t->dn ? lo + step : t->dn;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (t->dl[mid] < target)
                lo = mid + 1;
            else
                hi = mid;
        }
        t->di = lo;
        t->doc = lo < t->dn ? t->dl[lo] : IX_END;
        break;
    }
    case IT_ALL:
        t->doc = target < t->n_docs ? target : IX_END;
        break;
    case IT_NOT:
        t->doc = IX_END;
        break;
    }
    return t->doc;
}

#define PT_TF 8
#define PT_LEN 1024
/* The BM25 share of a term of weight w; the tf part comes from a table (scoring a long list divides
 * once per distinct (tf, len), not once per doc), the same double as computed. */
static inline double bm25(const search_state *ss, double w, uint32_t tf, uint32_t len)
{
    double p;
    if (tf - 1u < PT_TF && len < PT_LEN) {
        double *e = &ss->ptab[(tf - 1) * PT_LEN + len];
        if (*e != *e)
            *e = ix_tf_part(tf, len, ss->avgdl);
        p = *e;
    } else {
        p = ix_tf_part(tf, len, ss->avgdl);
    }
    return w * (K1 + 1) * p;
}

static double it_score(const search_state *ss, const it *t, uint32_t d, uint32_t len)
{
    double s = 0;
    switch (t->kind) {
    case IT_TERM:
        if (t->w > 0 && t->doc == d)
            s = bm25(ss, t->w, t->cur.tf, len);
        break;
    case IT_OR:
        for (size_t i = 0; i < t->nk; i++)
            if (t->k[i]->doc == d)
                s += it_score(ss, t->k[i], d, len);
        break;
    case IT_AND:
        for (size_t i = 0; i < t->n_pos_kids; i++)
            s += it_score(ss, t->k[i], d, len);
        break;
    case IT_PHRASE:
        for (size_t i = 0; i < t->nk; i++)
            s += it_score(ss, t->k[i], d, len);
        break;
    default:
        break;
    }
    return s;
}

/*
 * Upper bound of the score of any doc in [d, *end], for an iterator positioned at d (it matched d).
 * Every kid of an OR is then at d or past it: a kid past d adds nothing before its doc, so the bound
 * sums only the kids at d and ends before the next doc of the others.
 */
static double it_ub(const search_state *ss, it *t, uint32_t d, uint32_t *end)
{
    double s = 0;
    *end = IX_END;
    switch (t->kind) {
    case IT_TERM: {
        if (t->w <= 0)
            return 0;
        float fmax;
        *end = ix_cursor_block_bound(&t->cur, d, &fmax);
        /* fmax was taken with the segment's avgdl; with a larger corpus avgdl every tf part grows by
           at most their ratio */
        return *end == IX_END ? 0 : t->w * (K1 + 1) * fmax * ss->ub_scale;
    }
    case IT_OR: {
        uint32_t next = IX_END;
        for (size_t i = 0; i < t->nk; i++) {
            it *k = t->k[i];
            if (k->doc == d) {
                uint32_t e;
                s += it_ub(ss, k, d, &e);
                if (e < *end)
                    *end = e;
            } else if (k->doc < next) {
                next = k->doc;
            }
        }
        if (next != IX_END && next - 1 < *end)
            *end = next - 1;
        return s;
    }
    case IT_AND:
    case IT_PHRASE: {
        size_t n = t->kind == IT_AND ? t->n_pos_kids : t->nk;
        for (size_t i = 0; i < n; i++) {
            uint32_t e;
            s += it_ub(ss, t->k[i], d, &e);
            if (e < *end)
                *end = e;
        }
        return s;
    }
    default:
        return 0;
    }
}

/*
 * Upper bound of the score of any doc in [target, *end], from the skip tables only (no decoding, the
 * iterator need not be at target): per term the block holding its first doc >= target; an OR sums all
 * its kids. Looser than it_ub, which knows which kids hold d; used to pass runs of weak blocks.
 */
static double it_ub_at(const search_state *ss, it *t, uint32_t target, uint32_t *end)
{
    double s = 0;
    *end = IX_END;
    switch (t->kind) {
    case IT_TERM: {
        if (t->w <= 0)
            return 0;
        float fmax;
        *end = ix_cursor_block_bound(&t->cur, target, &fmax);
        return *end == IX_END ? 0 : t->w * (K1 + 1) * fmax * ss->ub_scale;
    }
    case IT_OR:
    case IT_AND:
    case IT_PHRASE: {
        size_t n = t->kind == IT_AND ? t->n_pos_kids : t->nk;
        for (size_t i = 0; i < n; i++) {
            uint32_t e;
            s += it_ub_at(ss, t->k[i], target, &e);
            if (e < *end)
                *end = e;
        }
        return s;
    }
    default:
        return 0;
    }
}

/* An AND or phrase of single terms (or one term): no OR inside with more than one kid. */
static bool single_terms(const it *t)
{
    switch (t->kind) {
    case IT_TERM:
        return true;
    case IT_OR:
        return t->nk <= 1 && (t->nk == 0 || single_terms(t->k[0]));
    case IT_AND:
    case IT_PHRASE: {
        size_t n = t->kind == IT_AND ? t->n_pos_kids : t->nk;
        for (size_t i = 0; i < n; i++)
            if (!single_terms(t->k[i]))
                return false;
        return true;
    }
    default:
        return false;
    }
}

/* Positions of an OR-of-terms (or a term) at doc d, sorted, into out; returns the count. */
static size_t word_positions(it *t, uint32_t d, uint32_t *out, uint32_t *tmp)
{
    if (t->kind == IT_TERM) {
        if (t->doc != d || t->cur.tf > MAX_POS || !ix_cursor_positions(&t->cur, out))
            return 0;
        return t->cur.tf;
    }
    size_t n = 0;
    for (size_t i = 0; i < t->nk; i++) {
        it *k = t->k[i];
        if (k->kind != IT_TERM || k->doc != d || n + k->cur.tf > MAX_POS || !ix_cursor_positions(&k->cur, tmp))
            continue;
        /* merge */
        size_t a = n, b = k->cur.tf, o = a + b;
        while (b > 0) {
            if (a > 0 && out[a - 1] > tmp[b - 1])
                out[--o] = out[--a];
            else
                out[--o] = tmp[--b];
        }
        n += k->cur.tf;
    }
    return n;
}

static bool phrase_ok(search_state *ss, it *t)
{
    uint32_t d = t->doc == IX_END ? 0 : t->k[0]->doc;
    size_t n0 = word_positions(t->k[0], d, ss->pa, ss->pc);
    if (!n0)
        return false;
    for (size_t i = 1; i < t->nk && n0; i++) {
        size_t ni = word_positions(t->k[i], d, ss->pb, ss->pc), m = 0, j = 0;
        for (size_t a = 0; a < n0; a++) {
            uint32_t want = ss->pa[a] + 1;
            while (j < ni && ss->pb[j] < want)
                j++;
            if (j < ni && ss->pb[j] == want)
                ss->pa[m++] = want;
        }
        n0 = m;
    }
    return n0 > 0;
}

/* ---- building iterators -------------------------------------------------------------------------- */

typedef struct ctx {
    cred_corpus *c;
    search_state *ss;
    ix_segment *seg;
    /* filters lifted to the top */
    int64_t after, before;
    bool has_validity;
    int vop;
    double vnum;
} ctx;

static int add_hl(search_state *ss, const char *s, size_t len, bool prefix)
{
    for (size_t i = 0; i < ss->n_hl; i++)
        if (ss->hl[i].len == len && ss->hl[i].prefix == prefix && memcmp(ss->hl[i].s, s, len) == 0)
            return 0;
    if (CRED_GROW(ss->hl, ss->cap_hl, ss->n_hl + 1) < 0)
        return CRED_ENOMEM;
    char *d = cred__strndup(s, len);
    if (!d)
        return cred__error_nomem();
    ss->hl[ss->n_hl++] = (hl_term){d, len, prefix};
    return 0;
}

/* Document frequency over all segments. */
static uint64_t global_df(cred_corpus *c, const char *t, size_t len)
{
    uint64_t df = 0;
    for (size_t i = 0; i < c->n_segs; i++) {
        ix_term tm;
        if (ix_segment_term(c->segs[i], &tm, t, len) == 1)
            df += tm.df;
    }
    return df;
}

static double idf(const search_state *ss, uint64_t df)
{
    return log(1 + (ss->N - (double)df + 0.5) / ((double)df + 0.5));
}

/* A TERM iterator for the term in segment x->seg, or NULL when absent (rc 0). */
static int term_it(ctx *x, it **out, const char *t, size_t len, bool scoring)
{
    *out = NULL;
    ix_term tm;
    int rc = ix_segment_term(x->seg, &tm, t, len);
    if (rc <= 0)
        return rc;
    it *n = it_new(IT_TERM);
    if (!n)
        return cred__error_nomem();
    ix_cursor_init(&n->cur, x->seg, &tm);
    n->doc = UINT32_MAX - 1; /* not positioned */
    n->fr = ix_pair_rank(x->seg, t, len);
    n->w = scoring ? idf(x->ss, global_df(x->c, t, len)) : 0;
    if (scoring && n->w < 1e-6)
        n->w = 1e-6;
    *out = n;
    return 0;
}

/* Stems of one normalised word in every language of the corpus (plus the word itself). */
static int word_alternatives(ctx *x, it *or_it, const char *w, size_t len, bool hl)
{
    cred_corpus *c = x->c;
    int rc;
    for (size_t li = 0; li <= c->n_langs; li++) {
        const char *lang = li < c->n_langs ? c->langs[li] : "und";
        const cred_doc *doc;
        if ((rc = cred_text_analyse(c->qt, &doc, w, len, lang)) < 0)
            return rc;
        if (doc->n_tokens == 0)
            continue;
        const cred_token *tk = &doc->tokens[0];
        bool dup = false;
        cred_buf_clear(&x->ss->tmp);
        if (cred_buf_put(&x->ss->tmp, tk->stem, tk->stem_len) < 0)
            return CRED_ENOMEM;
        it *t;
        if ((rc = term_it(x, &t, x->ss->tmp.ptr, x->ss->tmp.len, true)) < 0)
            return rc;
        if (hl && (rc = add_hl(x->ss, tk->stem, tk->stem_len, false)) < 0) {
            it_free(t);
            return rc;
        }
        if (!t)
            continue;
        /* the same stem in several languages is one term */
        for (size_t i = 0; i < or_it->nk && !dup; i++)
            dup = or_it->k[i]->cur.t.post_off == t->cur.t.post_off && or_it->k[i]->cur.t.df == t->cur.t.df;
        if (dup) {
            it_free(t);
            continue;
        }
        if ((rc = it_add(or_it, t)) < 0) {
            it_free(t);
            return rc;
        }
    }
    return 0;
}

typedef struct pfx_ctx {
    ix_term terms[CRED_LIMIT_PREFIX_TERMS];
    char *keys[CRED_LIMIT_PREFIX_TERMS];
    size_t lens[CRED_LIMIT_PREFIX_TERMS];
    size_t n;
} pfx_ctx;

static int pfx_fn(void *payload, const char *term, size_t len, const ix_term *t)
{
    pfx_ctx *p = payload;
    size_t slot = p->n;
    if (p->n == CRED_LIMIT_PREFIX_TERMS) { /* replace the rarest kept */
        slot = 0;
        for (size_t i = 1; i < p->n; i++)
            if (p->terms[i].df < p->terms[slot].df)
                slot = i;
        if (p->terms[slot].df >= t->df)
            return 0;
        free(p->keys[slot]);
    } else {
        p->n++;
    }
    p->terms[slot] = *t;
    p->keys[slot] = cred__strndup(term, len);
    p->lens[slot] = len;
    return p->keys[slot] ? 0 : cred__error_nomem();
}

static int build(ctx *x, const q_node *q, it **out);

/* The terms of a phrase word: the term itself or the terms of an OR of terms; 0 when other. */
static size_t word_terms(it *w, it ***v)
{
    if (w->kind == IT_TERM) {
        *v = NULL;
        return 1;
    }
    if (w->kind != IT_OR || w->nk == 0)
        return 0;
    for (size_t i = 0; i < w->nk; i++)
        if (w->k[i]->kind != IT_TERM)
            return 0;
    *v = w->k;
    return w->nk;
}

/* A DOCS iterator over a pair's stored docs (dl NULL, dn 0 for none). */
static int docs_it(ctx *x, it **out, const ix_pair *pe)
{
    it *f = it_new(IT_DOCS);
    if (!f)
        return cred__error_nomem();
    f->doc = UINT32_MAX - 1;
    *out = f;
    if (!pe)
        return 0;
    if (!(f->dl = malloc(pe->df * sizeof *f->dl)))
        return cred__error_nomem();
    if (!ix_pair_docs(x->seg, pe, f->dl))
        return st_corrupt(x->seg->f.path, st_file_find(&x->seg->f, IX_SEC_PAIRS)->off + pe->off, "bad pair doc list");
    f->dn = pe->df;
    return 0;
}

/*
 * For each pair of adjacent phrase words whose terms are all frequent terms of the segment: the docs
 * holding one of the term pairs, when every such pair that occurs has a stored doc list (none occurs:
 * the phrase matches nothing here). The phrase then checks positions only in those docs.
 */
static int pair_filters(ctx *x, it *ph)
{
    for (size_t i = 0; i + 1 < ph->nk; i++) {
        it **va = NULL, **vb = NULL;
        size_t na = word_terms(ph->k[i], &va), nb = word_terms(ph->k[i + 1], &vb);
        if (!na || !nb)
            continue;
        bool usable = true;
        size_t nfound = 0;
        for (size_t a = 0; a < na && usable; a++) {
            for (size_t b = 0; b < nb && usable; b++) {
                const it *ta = va ? va[a] : ph->k[i], *tb = vb ? vb[b] : ph->k[i + 1];
                ix_pair pe;
                if (!ta->fr || !tb->fr)
                    usable = false;
                else if (ix_pair_find(x->seg, ta->fr, tb->fr, &pe) == 1)
                    usable = pe.len > 0, nfound++;
            }
        }
        if (!usable)
            continue;
        it *f = NULL;
        if (nfound > 1 && !(f = it_new(IT_OR)))
            return cred__error_nomem();
        if (nfound > 1)
            f->doc = UINT32_MAX - 1;
        for (size_t a = 0; a < na; a++) {
            for (size_t b = 0; b < nb; b++) {
                const it *ta = va ? va[a] : ph->k[i], *tb = vb ? vb[b] : ph->k[i + 1];
                ix_pair pe;
                if (ix_pair_find(x->seg, ta->fr, tb->fr, &pe) != 1)
                    continue;
                it *d = NULL;
                int rc = docs_it(x, &d, &pe);
                if (rc >= 0 && nfound > 1)
                    rc = it_add(f, d);
                else if (rc >= 0)
                    f = d, d = NULL;
                if (rc < 0) {
                    it_free(d);
                    it_free(f);
                    return rc;
                }
            }
        }
        if (!f) {
            int rc = docs_it(x, &f, NULL);
            if (rc < 0) {
                it_free(f);
                return rc;
            }
        }
        it **v = realloc(ph->f, (ph->nf + 1) * sizeof *v);
        if (!v) {
            it_free(f);
            return cred__error_nomem();
        }
        ph->f = v;
        ph->f[ph->nf++] = f;
    }
    return 0;
}

static int build_words(ctx *x, it **out, const char *text, size_t len, bool phrase, bool exact)
{
    /* normalise and split with the analyser (no stemming needed here: alternatives do that) */
    cred_corpus *c = x->c;
    const char *norm;
    size_t nlen;
    int rc = cred_text_normalise(c->qt, &norm, &nlen, text, len);
    if (rc < 0)
        return rc;
    char *copy = cred__strndup(norm, nlen);
    if (!copy)
        return cred__error_nomem();
    const cred_doc *doc;
    if ((rc = cred_text_analyse(c->qt, &doc, copy, nlen, "und")) < 0) {
        free(copy);
        return rc;
    }
    size_t n = 0;
    cred_span *words = malloc((doc->n_tokens + 1) * sizeof *words);
    if (!words) {
        free(copy);
        return cred__error_nomem();
    }
    for (size_t i = 0; i < doc->n_tokens; i++)
        if (doc->tokens[i].kind != CRED_TOK_EMOJI)
            words[n++] = (cred_span){doc->tokens[i].start, doc->tokens[i].start + doc->tokens[i].len};
    char *normcopy = cred__strndup(doc->norm, doc->norm_len);
    it *res = it_new(n > 1 ? IT_PHRASE : IT_OR);
    if (!normcopy || !res) {
        rc = cred__error_nomem();
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        it *o = it_new(IT_OR);
        if (!o || (rc = it_add(res, o)) < 0) {
            free(o);
            rc = rc < 0 ? rc : cred__error_nomem();
            goto done;
        }
        const char *w = normcopy + words[i].start;
        size_t wl = words[i].end - words[i].start;
        if (exact && n == 1) {
            cred_buf_clear(&x->ss->tmp);
            if (cred_buf_putc(&x->ss->tmp, IX_NS_SURFACE) < 0 || cred_buf_put(&x->ss->tmp, w, wl) < 0) {
                rc = CRED_ENOMEM;
                goto done;
            }
            it *t;
            char *key = cred__strndup(x->ss->tmp.ptr, x->ss->tmp.len);
            if (!key) {
                rc = cred__error_nomem();
                goto done;
            }
            rc = term_it(x, &t, key, wl + 1, true);
            free(key);
            if (rc < 0)
                goto done;
            if (t && (rc = it_add(o, t)) < 0) {
                it_free(t);
                goto done;
            }
            if ((rc = term_it(x, &t, w, wl, true)) < 0)
                goto done;
            if (t && (rc = it_add(o, t)) < 0) {
                it_free(t);
                goto done;
            }
            CRED_TRY(add_hl(x->ss, w, wl, false));
        } else {
            CRED_TRY(word_alternatives(x, o, w, wl, true));
        }
    }
    (void)phrase;
    for (size_t i = 0; i < res->nk; i++) { /* a word with one term: the term itself (one level less to walk) */
        it *o = res->k[i];
        if (o->kind == IT_OR && o->nk == 1) {
            res->k[i] = o->k[0];
            o->nk = 0;
            it_free(o);
        }
    }
    if (res->kind == IT_PHRASE)
        CRED_TRY(pair_filters(x, res));
    if (n == 1) { /* unwrap */
        it *o = res->k[0];
        res->nk = 0;
        it_free(res);
        res = o;
    }
    *out = res;
    res = NULL;
done:
    it_free(res);
    free(words);
    free(copy);
    free(normcopy);
    return rc;
}

static int build_prefix(ctx *x, it **out, const q_node *q)
{
    const char *norm;
    size_t nlen;
    int rc = cred_text_normalise(x->c->qt, &norm, &nlen, q->text, q->len);
    if (rc < 0)
        return rc;
    pfx_ctx p;
    memset(&p, 0, sizeof p);
    char *key = malloc(nlen + 1);
    it *o = it_new(IT_OR);
    if (!key || !o) {
        rc = cred__error_nomem();
        goto done;
    }
    memcpy(key + 1, norm, nlen);
    key[0] = IX_NS_SURFACE;
    CRED_TRY(add_hl(x->ss, key + 1, nlen, true));
    CRED_TRY(ix_segment_prefix(x->seg, key + 1, nlen, 100000, pfx_fn, &p));
    CRED_TRY(ix_segment_prefix(x->seg, key, nlen + 1, 100000, pfx_fn, &p));
    for (size_t i = 0; i < p.n; i++) {
        it *t;
        CRED_TRY(term_it(x, &t, p.keys[i], p.lens[i], true));
        if (t && (rc = it_add(o, t)) < 0) {
            it_free(t);
            goto done;
        }
    }
    *out = o;
    o = NULL;
done:
    for (size_t i = 0; i < p.n; i++)
        free(p.keys[i]);
    free(key);
    it_free(o);
    return rc;
}

static int build_field(ctx *x, it **out, const q_node *q)
{
    int rc;
    if (q->field == 'c') {
        size_t si;
        uint32_t d;
        if (!ix_find_id(x->c, q->text, q->len, &si, &d)) {
            *out = it_new(IT_OR); /* matches nothing */
            return *out ? 0 : cred__error_nomem();
        }
        char num[32];
        int n = snprintf(num, sizeof num, "%llu", (unsigned long long)x->c->segs[si]->links[d].origin);
        rc = ix_field_term(&x->ss->tmp, 'c', num, (size_t)n);
    } else {
        rc = ix_field_term(&x->ss->tmp, q->field, q->text, q->len);
    }
    if (rc < 0)
        return rc;
    char *key = cred__strndup(x->ss->tmp.ptr, x->ss->tmp.len);
    if (!key)
        return cred__error_nomem();
    it *t = NULL;
    rc = term_it(x, &t, key, x->ss->tmp.len, false);
    free(key);
    if (rc < 0)
        return rc;
    if (!t)
        t = it_new(IT_OR);
    *out = t;
    return t ? 0 : cred__error_nomem();
}

static int build(ctx *x, const q_node *q, it **out)
{
    int rc = 0;
    *out = NULL;
    switch (q->kind) {
    case Q_WORD:
        return build_words(x, out, q->text, q->len, false, q->exact);
    case Q_PHRASE:
        return build_words(x, out, q->text, q->len, true, false);
    case Q_PREFIX:
        return build_prefix(x, out, q);
    case Q_FIELD:
        return build_field(x, out, q);
    case Q_DATE:
    case Q_VALIDITY:
        return cred__error_at(CRED_ESYNTAX, "<query>", 1, q->col + 1, q->col,
                              "query column %zu: after:, before: and validity filters apply to the whole query "
                              "(use them outside OR, NOT and parentheses)", q->col + 1);
    case Q_OR: {
        it *o = it_new(IT_OR);
        if (!o)
            return cred__error_nomem();
        for (size_t i = 0; i < q->n_kids; i++) {
            it *k;
            if (q->kids[i]->kind == Q_NOT) {
                it_free(o);
                return cred__error_at(CRED_ESYNTAX, "<query>", 1, q->kids[i]->col + 1, q->kids[i]->col,
                                      "query column %zu: NOT cannot stand alone inside OR", q->kids[i]->col + 1);
            }
            if ((rc = build(x, q->kids[i], &k)) < 0 || (rc = it_add(o, k)) < 0) {
                it_free(k);
                it_free(o);
                return rc;
            }
        }
        *out = o;
        return 0;
    }
    case Q_AND:
    case Q_NOT: {
        it *a = it_new(IT_AND);
        if (!a)
            return cred__error_nomem();
        const q_node *const *kids = (const q_node *const *)q->kids;
        size_t nk = q->n_kids;
        const q_node *self[1] = {q};
        if (q->kind == Q_NOT)
            kids = self, nk = 1;
        /* required first, then excluded */
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < nk; i++) {
                const q_node *k = kids[i];
                bool neg = k->kind == Q_NOT;
                if (neg != (pass == 1))
                    continue;
                it *ki = NULL;
                if ((rc = build(x, neg ? k->kids[0] : k, &ki)) < 0 || (rc = it_add(a, ki)) < 0) {
                    it_free(ki);
                    it_free(a);
                    return rc;
                }
                if (!neg)
                    a->n_pos_kids++;
            }
        if (a->n_pos_kids == 0) { /* only exclusions: everything else */
            it *all = it_new(IT_ALL);
            if (!all || (rc = it_add(a, all)) < 0) {
                free(all);
                it_free(a);
                return rc < 0 ? rc : cred__error_nomem();
            }
            all->n_docs = (uint32_t)x->seg->meta.n_docs;
            all->doc = UINT32_MAX - 1;
            /* move it first */
            memmove(a->k + 1, a->k, (a->nk - 1) * sizeof *a->k);
            a->k[0] = all;
            a->n_pos_kids = 1;
        }
        *out = a;
        return 0;
    }
    }
    return cred__error(CRED_EINVAL, "bad query node");
}

static void init_docs(it *t)
{
    t->doc = UINT32_MAX - 1;
    t->di = 0;
    for (size_t i = 0; i < t->nk; i++)
        init_docs(t->k[i]);
    for (size_t i = 0; i < t->nf; i++)
        init_docs(t->f[i]);
}

/* Lift top-level date/validity filters out of the tree (into x); returns the rest (may be NULL). */
static const q_node *lift(ctx *x, q_node *q, q_node **owned)
{
    *owned = NULL;
    x->after = INT64_MIN;
    x->before = INT64_MAX;
    if (q->kind == Q_DATE || q->kind == Q_VALIDITY) {
        if (q->kind == Q_DATE)
            (q->field == '>' ? (x->after = q->date) : (x->before = q->date));
        else
            x->has_validity = true, x->vop = q->op, x->vnum = q->num;
        return NULL;
    }
    if (q->kind != Q_AND)
        return q;
    size_t m = 0;
    for (size_t i = 0; i < q->n_kids; i++) {
        q_node *k = q->kids[i];
        if (k->kind == Q_DATE) {
            if (k->field == '>')
                x->after = CRED_MAX(x->after, k->date);
            else
                x->before = CRED_MIN(x->before, k->date);
            q_free(k);
        } else if (k->kind == Q_VALIDITY) {
            x->has_validity = true;
            x->vop = k->op;
            x->vnum = k->num;
            q_free(k);
        } else {
            q->kids[m++] = k;
        }
    }
    q->n_kids = m;
    if (m == 0)
        return NULL;
    if (m == 1 && q->kids[0]->kind != Q_NOT)
        return q->kids[0];
    return q;
}

static bool validity_ok(const ctx *x, float v)
{
    if (!x->has_validity)
        return true;
    if (v != v)
        return false;
    switch (x->vop) {
    case -2: return v <= x->vnum;
    case -1: return v < x->vnum;
    case 1: return v > x->vnum;
    default: return v >= x->vnum;
    }
}

/* Ranking order: higher score first; on equal scores the OLDER post (smaller seq) ranks first when
 * scoring, so that a later block whose bound only equals the heap's minimum can be skipped whole;
 * filter-only queries (score 0 everywhere) list the newest first. */
static _Thread_local bool newest_first;

static bool heap_less(const heap_ent *a, const heap_ent *b)
{
    if (a->score != b->score)
        return a->score < b->score;
    return newest_first ? a->seq < b->seq : a->seq > b->seq;
}

static void heap_push(search_state *ss, size_t limit, heap_ent e)
{
    heap_ent *h = ss->heap;
    if (ss->n_heap < limit) {
        size_t i = ss->n_heap++;
        while (i > 0 && heap_less(&e, &h[(i - 1) / 2])) {
            h[i] = h[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        h[i] = e;
        return;
    }
    if (!heap_less(&h[0], &e))
        return;
    size_t i = 0, n = ss->n_heap;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const heap_ent *best = &e;
        if (l < n && heap_less(&h[l], best))
            m = l, best = &h[l];
        if (r < n && heap_less(&h[r], best))
            m = r;
        if (m == i)
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = e;
}

static int ent_cmp(const void *a, const void *b)
{
    const heap_ent *x = a, *y = b;
    return heap_less(x, y) ? 1 : heap_less(y, x) ? -1 : 0;
}

static uint32_t lower_date(const ix_segment *s, int64_t date)
{
    uint32_t lo = 0, hi = (uint32_t)s->meta.n_docs;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->docs[mid].date < date)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- top-k over a union of terms: block-max MaxScore ------------------------------------------------ */

/* The scoring terms of a tree of ORs over terms (a word and its stems, a prefix, a OR b); false when
 * the tree has anything else (those go through the generic loop). */
static bool union_terms(it *t, it ***v, size_t *n, size_t *cap)
{
    if (t->kind == IT_TERM) {
        if (t->w <= 0)
            return false;
        if (CRED_GROW(*v, *cap, *n + 1) < 0)
            return false;
        (*v)[(*n)++] = t;
        return true;
    }
    if (t->kind != IT_OR)
        return false;
    for (size_t i = 0; i < t->nk; i++)
        if (!union_terms(t->k[i], v, n, cap))
            return false;
    return true;
}

/* ---- doc lists of term pairs ------------------------------------------------------------------------ */

/* A word with two stems is a union of two long lists that seldom share a doc; probing the weaker list
 * at each doc of the stronger decodes nearly all of it. The docs both hold, listed once per segment
 * (at the first query that needs them; a few kept), answer those probes instead. */
#define ISECT_SLOTS 256
#define ISECT_MAX_DOCS (1u << 20) /* a larger list is not kept (and the pair probed as before) */
#define ISECT_MIN_DF (2 * IX_BLOCK) /* shorter lists are probed as they are */
#define ISECT_MAX_TERMS 3           /* a word's stems; not a prefix's many terms (each pair a list) */
typedef struct isect_ent {
    uint64_t a, b;         /* post_off of the two terms, a < b */
    uint32_t *docs;        /* ascending */
    size_t n;
} isect_ent;

typedef struct isect_cache {
    isect_ent e[ISECT_SLOTS];
    size_t n, next;
} isect_cache;

void ix_isect_free(void *p)
{
    isect_cache *c = p;
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].docs);
    free(c);
}

/* The docs both terms hold; NULL when they cannot be had (memory, a damaged list; not listed yet and
 * not to be built): probe instead. */
static const isect_ent *isect_get(ix_segment *s, const ix_term *ta, const ix_term *tb, bool build)
{
    uint64_t a = CRED_MIN(ta->post_off, tb->post_off), b = CRED_MAX(ta->post_off, tb->post_off);
    isect_cache *c = s->isect;
    if (!c && !(c = s->isect = calloc(1, sizeof *c)))
        return NULL;
    for (size_t i = 0; i < c->n; i++)
        if (c->e[i].a == a && c->e[i].b == b)
            return c->e[i].docs || c->e[i].n == 0 ? &c->e[i] : NULL;
    if (!build)
        return NULL;
    ix_cursor *ca = malloc(2 * sizeof *ca);
    if (!ca)
        return NULL;
    ix_cursor *cb = ca + 1;
    ix_cursor_init(ca, s, ta);
    ix_cursor_init(cb, s, tb);
    uint32_t *v = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    for (uint32_t da = ca->doc, db = cb->doc; ok && da != IX_END && db != IX_END;) {
        if (da < db) {
            da = ix_cursor_seek(ca, db);
        } else if (db < da) {
            db = ix_cursor_seek(cb, da);
        } else {
            if (n < ISECT_MAX_DOCS && (ok = CRED_GROW(v, cap, n + 1) == 0))
                v[n] = da;
            n++;
            da = ix_cursor_next(ca);
        }
    }
    ok = ok && !ca->corrupt && !cb->corrupt;
    ix_cursor_free(ca);
    ix_cursor_free(cb);
    free(ca);
    if (!ok) {
        free(v);
        return NULL;
    }
    if (n > ISECT_MAX_DOCS) { /* remembered as too large */
        free(v);
        v = NULL;
    }
    size_t slot;
    if (c->n < ISECT_SLOTS) {
        slot = c->n++;
    } else {
        slot = c->next++ % ISECT_SLOTS;
        free(c->e[slot].docs);
    }
    c->e[slot] = (isect_ent){a, b, v, n};
    return v || n == 0 ? &c->e[slot] : NULL;
}

/* Whether d is in the list (the cursor *at moves forward: d must not decrease between calls). */
static bool isect_has(const isect_ent *is, size_t *at, uint32_t d)
{
    size_t lo = *at, step = 1, hi;
    while (lo + step < is->n && is->docs[lo + step] < d) {
        lo += step;
        step <<= 1;
    }
    hi = lo + step < is->n ? lo + step : is->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (is->docs[mid] < d)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return lo < is->n && is->docs[lo] == d;
}

typedef struct ms_ent {
    it *t;
    double ub;       /* the term's bound over the whole list */
    double part;     /* its share of the current doc's score */
    uint32_t blk_end;  /* the block bound below holds for docs up to blk_end (0 with blk_ub < 0: none yet) */
    double blk_ub;
    /* with one essential term left: the docs this one shares with it (NULL: unknown, probe the list) */
    const isect_ent *is;
    size_t is_at;
    bool is_tried;
    bool has;          /* may hold the current doc (false: the shared docs say it does not) */
} ms_ent;

static int ms_cmp(const void *a, const void *b)
{
    const ms_ent *x = a, *y = b;
    return x->ub < y->ub ? -1 : x->ub > y->ub;
}

/* Refresh e's block bound for doc d; false when its list has nothing from d on. */
static bool ms_block(const search_state *ss, ms_ent *e, uint32_t d)
{
    if (e->blk_ub < 0 || d > e->blk_end) {
        float f;
        e->blk_end = ix_cursor_block_bound(&e->t->cur, d, &f);
        e->blk_ub = e->t->w * (K1 + 1) * f * ss->ub_scale;
    }
    return e->blk_end != IX_END;
}

/*
 * The first doc from `to` on (IX_END, or hi or more, when none) in a range where the block bounds
 * of all the terms together can beat thr: from the skip tables only, nothing decoded. Docs passed here
 * cannot enter the heap whatever terms hold them.
 */
static uint32_t ms_shallow(const search_state *ss, ms_ent *e, size_t n, uint32_t to, uint32_t hi, double thr)
{
    while (to < hi) {
        double b = 0;
        uint32_t end = IX_END;
        for (size_t j = 0; j < n; j++) {
            float f;
            uint32_t last = ix_cursor_block_bound(&e[j].t->cur, to, &f);
            if (last == IX_END)
                continue;
            b += e[j].t->w * (K1 + 1) * f * ss->ub_scale;
            end = CRED_MIN(end, last);
        }
        if (b > thr)
            break;
        if (end == IX_END)
            return IX_END;
        to = end + 1;
    }
    return to;
}

/*
 * The top-k of docs [lo, hi) of segment si over the union of n terms. Terms sorted by their list's
 * bound; the longest prefix whose bounds sum to at most the heap's minimum is non-essential (a doc
 * holding only those cannot enter), so candidates come from the essential terms only. A candidate
 * whose block bounds (essential terms at it, non-essential blocks around it) cannot beat the minimum
 * skips the essential terms' blocks; otherwise it is scored, the non-essential terms probed from the
 * largest bound down while they still can lift it over the minimum.
 */
static int run_union(search_state *ss, const ctx *x, uint32_t si, it **terms, size_t n, uint32_t lo, uint32_t hi,
                     size_t limit, uint64_t *matches)
{
    const ix_segment *s = x->seg;
    ms_ent *e = malloc(n * sizeof *e);
    double *cum = malloc((n + 1) * sizeof *cum);
    double *part = malloc(n * sizeof *part);
    if (!e || !cum || !part) {
        free(e);
        free(cum);
        free(part);
        return cred__error_nomem();
    }
    for (size_t i = 0; i < n; i++) {
        it *t = terms[i];
        t->doc = ix_cursor_seek(&t->cur, lo);
        e[i] = (ms_ent){t, t->w * (K1 + 1) * t->cur.t.fmax * ss->ub_scale, 0, 0, -1, NULL, 0, false, true};
    }
    qsort(e, n, sizeof *e, ms_cmp);
    cum[0] = 0;
    for (size_t j = 0; j < n; j++)
        cum[j + 1] = cum[j] + e[j].ub;
    size_t p = 0; /* e[0, p) non-essential */
    for (;;) {
        double thr = ss->n_heap == limit ? ss->heap[0].score * UB_TIE : -1;
        while (p < n && cum[p + 1] <= thr)
            p++;
        uint32_t d = IX_END;
        for (size_t j = p; j < n; j++)
            if (e[j].t->doc < d)
                d = e[j].t->doc;
        if (d >= hi)
            break;
        uint32_t next = d + 1;
        if (p + 1 == n && n <= ISECT_MAX_TERMS && thr >= 0) {
            /* one essential term left (d is its doc): a long non-essential list holds d only if it
               shares d with that term; the shared docs (listed at the first need, kept in the
               segment) answer without decoding the list (a word's stems seldom share docs) */
            for (size_t j = 0; j < p; j++) {
                if (!e[j].is_tried && e[j].t->cur.t.df >= ISECT_MIN_DF) {
                    /* built over the whole lists: not for a narrow window (which reads less) */
                    e[j].is = isect_get(x->seg, &e[j].t->cur.t, &e[n - 1].t->cur.t,
                                        (uint64_t)(hi - lo) * 2 >= s->meta.n_docs);
                    e[j].is_tried = true;
                }
                e[j].has = !e[j].is || isect_has(e[j].is, &e[j].is_at, d);
            }
        } else {
            for (size_t j = 0; j < p; j++)
                e[j].has = true;
        }
        if (thr >= 0) {
            /* three bounds, each tighter and dearer, each over a shorter range: the blocks of the
               essential terms at d with the non-essential ones' whole-list bounds; with their block
               bounds; with only those of them that hold d (positioning them at d) */
            double bound = 0;
            uint32_t end = IX_END;
            for (size_t j = p; j < n; j++) {
                /* the essential terms at d skip together; the others must not be passed, or docs
                   holding both would lose a part of their score */
                if (e[j].t->doc != d)
                    end = CRED_MIN(end, e[j].t->doc - 1);
                else if (ms_block(ss, &e[j], d))
                    bound += e[j].blk_ub, end = CRED_MIN(end, e[j].blk_end);
            }
            if (bound + cum[p] <= thr) {
                next = end == IX_END ? IX_END : end + 1;
                goto advance;
            }
            double b2 = bound;
            uint32_t end2 = end;
            for (size_t j = 0; j < p; j++)
                if (ms_block(ss, &e[j], d))
                    b2 += e[j].blk_ub, end2 = CRED_MIN(end2, e[j].blk_end);
            if (b2 <= thr) {
                next = end2 == IX_END ? IX_END : end2 + 1;
                goto advance;
            }
            for (size_t j = 0; j < p; j++) {
                it *t = e[j].t;
                if (t->doc < d && e[j].has)
                    t->doc = ix_cursor_seek(&t->cur, d);
                if (t->doc == d && ms_block(ss, &e[j], d)) {
                    bound += e[j].blk_ub, end = CRED_MIN(end, e[j].blk_end);
                } else if (t->doc < d && e[j].is && e[j].is_at < e[j].is->n) {
                    /* left behind: holds none of the essential term's docs before the next shared one */
                    uint32_t nx = e[j].is->docs[e[j].is_at];
                    end = CRED_MIN(end, nx > d ? nx - 1 : d);
                } else if (t->doc > d && t->doc != IX_END) {
                    end = CRED_MIN(end, t->doc - 1);
                }
            }
            if (bound <= thr) {
                next = end == IX_END ? IX_END : end + 1;
                goto advance;
            }
        }
        if (ix_deleted(s, d) || (x->has_validity && !validity_ok(x, s->docs[d].validity)))
            goto advance;
        {
            uint32_t len = ix_doc_len(s, d);
            double sc = 0;
            for (size_t j = p; j < n; j++) {
                it *t = e[j].t;
                e[j].part = t->doc == d ? bm25(ss, t->w, t->cur.tf, len) : 0;
                sc += e[j].part;
            }
            bool can = true;
            for (size_t j = p; j-- > 0;) {
                it *t = e[j].t;
                e[j].part = 0;
                if (!can)
                    continue;
                if (sc + cum[j + 1] <= thr) {
                    can = false;
                    continue;
                }
                if (e[j].has)
                    t->doc = ix_cursor_seek(&t->cur, d);
                if (t->doc == d) {
                    e[j].part = bm25(ss, t->w, t->cur.tf, len);
                    sc += e[j].part;
                }
            }
            if (can) {
                /* the score summed in query order, as the generic loop does */
                for (size_t j = 0; j < n; j++)
                    part[j] = 0;
                for (size_t j = 0; j < n; j++)
                    for (size_t i = 0; i < n; i++)
                        if (terms[i] == e[j].t) {
                            part[i] = e[j].part;
                            break;
                        }
                sc = 0;
                for (size_t i = 0; i < n; i++)
                    sc += part[i];
                (*matches)++;
                heap_push(ss, limit, (heap_ent){sc, (uint64_t)si << 32 | d, si, d});
            }
        }
    advance:
        if (thr >= 0 && next < hi && n <= ISECT_MAX_TERMS)
            next = ms_shallow(ss, e, n, next, hi, thr);
        for (size_t j = p; j < n; j++) {
            it *t = e[j].t;
            if (t->doc >= next)
                continue;
            uint32_t to = next;
            if (thr >= 0) {
                /* shallow skip: a doc of this term in a block whose bound plus every other term's
                   whole-list bound is at most the minimum cannot enter the heap (and, scored later
                   without this term's part, still cannot), so pass such blocks without decoding them */
                double rest = cum[n] - e[j].ub;
                while (to != IX_END) {
                    float f;
                    uint32_t last = ix_cursor_block_bound(&t->cur, to, &f);
                    if (last == IX_END || t->w * (K1 + 1) * f * ss->ub_scale + rest > thr)
                        break;
                    to = last + 1 < s->meta.n_docs ? last + 1 : IX_END;
                }
            }
            t->doc = to == IX_END ? IX_END : ix_cursor_seek(&t->cur, to);
        }
    }
    free(e);
    free(cum);
    free(part);
    return 0;
}

/* ---- top-k over an AND of words: block-max conjunction ------------------------------------------ */

/* The scoring terms of a word (a term, or an OR of terms: its stems); 0 when it is anything else. */
static size_t group_terms(it *g, it ***v)
{
    if (g->kind == IT_TERM) {
        *v = NULL;
        return g->w > 0 ? 1 : 0;
    }
    if (g->kind != IT_OR || g->nk == 0)
        return 0;
    for (size_t i = 0; i < g->nk; i++)
        if (g->k[i]->kind != IT_TERM || g->k[i]->w <= 0)
            return 0;
    *v = g->k;
    return g->nk;
}

typedef struct and_grp {
    it **t;          /* its terms, by bound ascending: [0, w) weak, [w, n) strong */
    size_t n, w;
    double ub;       /* the word's bound: its terms' bounds summed */
    uint64_t df;     /* the strong terms' list lengths summed */
} and_grp;

static double term_ub(const search_state *ss, const it *t)
{
    return t->w * (K1 + 1) * t->cur.t.fmax * ss->ub_scale;
}

static int grp_cmp(const void *a, const void *b)
{
    const and_grp *x = a, *y = b;
    return x->df < y->df ? -1 : x->df > y->df;
}

/* The first doc >= target of any of the word's strong terms (moving them there). */
static uint32_t grp_seek(and_grp *g, uint32_t target)
{
    uint32_t m = IX_END;
    for (size_t i = g->w; i < g->n; i++) {
        it *t = g->t[i];
        if (t->doc < target)
            t->doc = ix_cursor_seek(&t->cur, target);
        m = CRED_MIN(m, t->doc);
    }
    return m;
}

/* Bound of terms [from, to) of a word over docs [target, *end] from their skip tables; false when none
 * of them has a doc from target on. */
static bool grp_bound(const search_state *ss, and_grp *g, size_t from, size_t to, uint32_t target, double *b,
                      uint32_t *end)
{
    bool any = false;
    for (size_t i = from; i < to; i++) {
        float f;
        uint32_t last = ix_cursor_block_bound(&g->t[i]->cur, target, &f);
        if (last == IX_END)
            continue;
        any = true;
        *b += g->t[i]->w * (K1 + 1) * f * ss->ub_scale;
        *end = CRED_MIN(*end, last);
    }
    return any;
}

/* Split each word's terms for the minimum thr: weak terms are those whose bounds, with the other
 * words' whole bounds, cannot beat it (a doc holding only weak terms of a word cannot enter), the
 * strong ones the rest; the word of the fewest strong docs leads. false when some word has no strong
 * term (nothing can enter any more). */
static bool and_split(and_grp *q, size_t ng, const search_state *ss, double thr)
{
    for (size_t i = 0; i < ng; i++) {
        and_grp *g = &q[i];
        double cum = 0;
        for (size_t k = 0; k < ng; k++)
            if (k != i)
                cum += q[k].ub;
        size_t w = 0;
        while (w < g->n && cum + term_ub(ss, g->t[w]) <= thr)
            cum += term_ub(ss, g->t[w++]);
        if (w == g->n)
            return false;
        g->w = w;
        g->df = 0;
        for (size_t k = w; k < g->n; k++)
            g->df += g->t[k]->cur.t.df;
    }
    qsort(q, ng, sizeof *q, grp_cmp);
    return true;
}

static _Thread_local const search_state *ub_ss; /* for ub_cmp (qsort has no context) */
static int ub_cmp(const void *a, const void *b)
{
    double x = term_ub(ub_ss, *(it *const *)a), y = term_ub(ub_ss, *(it *const *)b);
    return x < y ? -1 : x > y;
}

/*
 * The top-k of docs [lo, hi) of segment si over an AND of words (each a term or an OR of terms: its
 * stems; no exclusions). Once the heap is full: per word, the terms that cannot lift a doc over the
 * minimum even with every other word at its bound are weak; a doc must hold a strong term of every
 * word, so candidates come from the strong terms of the word with the fewest of them (the lead), and
 * weak terms are only probed. Ranges where all the terms' block bounds together cannot beat the
 * minimum are passed from the skip tables alone; a lead doc whose exact share plus the other terms'
 * block bounds cannot is passed before the other lists are moved (or decoded) there. Scores are summed
 * in query order, as the generic loop does.
 */
static int run_and(search_state *ss, const ctx *x, uint32_t si, it *root, uint32_t lo, uint32_t hi, size_t limit,
                   uint64_t *matches)
{
    const ix_segment *s = x->seg;
    size_t ng = root->nk, nt = 0;
    for (size_t i = 0; i < ng; i++) {
        it **v;
        nt += group_terms(root->k[i], &v);
    }
    and_grp *q = calloc(ng, sizeof *q);
    it **all = malloc(nt * sizeof *all);
    if (!q || !all) {
        free(q);
        free(all);
        return cred__error_nomem();
    }
    ub_ss = ss;
    for (size_t i = 0, o = 0; i < ng; i++) {
        it **v;
        size_t n = group_terms(root->k[i], &v);
        q[i].t = all + o;
        q[i].n = n;
        memcpy(q[i].t, v ? v : &root->k[i], n * sizeof *v);
        o += n;
        qsort(q[i].t, n, sizeof *q[i].t, ub_cmp);
        for (size_t j = 0; j < n; j++) {
            it *t = q[i].t[j];
            t->doc = ix_cursor_seek(&t->cur, lo);
            q[i].ub += term_ub(ss, t);
        }
    }
    and_split(q, ng, ss, -1);
    /* bounds from the skip tables, each valid up to its end (the heap's minimum only rises): of all
       the terms over [.., rend], of all but the lead's strong ones over [.., oend] */
    double rb = 0, ob = 0, split_thr = -1;
    uint32_t rend = 0, oend = 0;
    bool rset = false, oset = false;
    uint32_t d = lo;
    while (d < hi) {
        double thr = ss->n_heap == limit ? ss->heap[0].score * UB_TIE : -1;
        if (thr > split_thr) {
            if (!and_split(q, ng, ss, thr))
                break;
            split_thr = thr;
            oset = false;
        }
        if (thr >= 0) {
            bool done = false;
            while (d < hi) {
                if (!rset || d > rend) {
                    rb = 0;
                    rend = IX_END;
                    for (size_t i = 0; i < ng && !done; i++)
                        done = !grp_bound(ss, &q[i], 0, q[i].n, d, &rb, &rend);
                    rset = true;
                }
                if (done || rb > thr)
                    break;
                d = rend == IX_END ? IX_END : rend + 1;
            }
            if (done || d >= hi)
                break;
        }
        uint32_t c = grp_seek(&q[0], d);
        if (c >= hi)
            break;
        if (thr >= 0 && c > rend) {
            d = c;
            continue;
        }
        uint32_t len;
        if (thr >= 0) {
            if (!oset || c > oend) {
                ob = 0;
                oend = IX_END;
                grp_bound(ss, &q[0], 0, q[0].w, c, &ob, &oend);
                bool done = false;
                for (size_t i = 1; i < ng && !done; i++)
                    done = !grp_bound(ss, &q[i], 0, q[i].n, c, &ob, &oend);
                if (done)
                    break;
                oset = true;
            }
            /* pass the lead's docs while their exact share plus the other terms' bounds cannot beat
               the minimum: the other lists are not moved (nor decoded) for them */
            uint32_t lim = CRED_MIN(CRED_MIN(oend, rend), hi - 1);
            for (;;) {
                double b = ob;
                uint32_t l = ix_doc_len(s, c), nc = IX_END;
                for (size_t j = q[0].w; j < q[0].n; j++)
                    if (q[0].t[j]->doc == c)
                        b += bm25(ss, q[0].t[j]->w, q[0].t[j]->cur.tf, l);
                if (b > thr)
                    break;
                for (size_t j = q[0].w; j < q[0].n; j++) {
                    it *t = q[0].t[j];
                    if (t->doc == c)
                        t->doc = ix_cursor_next(&t->cur);
                    nc = CRED_MIN(nc, t->doc);
                }
                c = nc;
                if (c > lim)
                    break;
            }
            if (c > lim) {
                d = c;
                continue;
            }
        }
        len = ix_doc_len(s, c);
        uint32_t m = c;
        for (size_t i = 1; i < ng && m == c; i++)
            m = grp_seek(&q[i], c);
        if (m != c) {
            d = m;
            continue;
        }
        d = c + 1;
        if (ix_deleted(s, c) || (x->has_validity && !validity_ok(x, s->docs[c].validity)))
            continue;
        if (thr >= 0) {
            /* every word holds c: the strong terms' exact shares and the weak ones' block bounds */
            double b = 0;
            uint32_t e = IX_END;
            for (size_t i = 0; i < ng; i++) {
                for (size_t j = q[i].w; j < q[i].n; j++)
                    if (q[i].t[j]->doc == c)
                        b += bm25(ss, q[i].t[j]->w, q[i].t[j]->cur.tf, len);
                grp_bound(ss, &q[i], 0, q[i].w, c, &b, &e);
            }
            if (b <= thr)
                continue;
        }
        for (size_t i = 0; i < ng; i++)
            for (size_t j = 0; j < q[i].w; j++) {
                it *t = q[i].t[j];
                if (t->doc < c)
                    t->doc = ix_cursor_seek(&t->cur, c);
            }
        double sc = 0;
        for (size_t i = 0; i < ng; i++) {
            it **v;
            size_t n = group_terms(root->k[i], &v);
            double gs = 0;
            for (size_t j = 0; j < n; j++) {
                it *t = v ? v[j] : root->k[i];
                if (t->doc == c)
                    gs += bm25(ss, t->w, t->cur.tf, len);
            }
            sc += gs;
        }
        (*matches)++;
        heap_push(ss, limit, (heap_ent){sc, (uint64_t)si << 32 | c, si, c});
    }
    free(q);
    free(all);
    return 0;
}

/* An AND run_and takes: no exclusions, at least two words, each a term or an OR of terms. */
static bool and_of_words(it *t)
{
    if (t->kind != IT_AND || t->n_pos_kids != t->nk || t->nk < 2)
        return false;
    for (size_t i = 0; i < t->nk; i++) {
        it **v;
        if (!group_terms(t->k[i], &v))
            return false;
    }
    return true;
}

/* ---- snippets ------------------------------------------------------------------------------------ */

static bool hl_match(const search_state *ss, const char *stem, size_t sl, const char *surf, size_t fl)
{
    for (size_t i = 0; i < ss->n_hl; i++) {
        const hl_term *h = &ss->hl[i];
        if (h->prefix) {
            if ((fl >= h->len && memcmp(surf, h->s, h->len) == 0) || (sl >= h->len && memcmp(stem, h->s, h->len) == 0))
                return true;
        } else if ((sl == h->len && memcmp(stem, h->s, sl) == 0) || (fl == h->len && memcmp(surf, h->s, fl) == 0)) {
            return true;
        }
    }
    return false;
}

static int make_snippet(cred_corpus *c, search_state *ss, cred_search_hit *h, size_t want, size_t *span_at)
{
    const cred_post *p = &h->post.post;
    const cred_doc *doc;
    int rc = cred_text_analyse(c->qt, &doc, p->text, p->text_len, p->lang);
    if (rc < 0)
        return rc;
    size_t first = p->text_len;
    for (size_t i = 0; i < doc->n_tokens; i++) {
        const cred_token *t = &doc->tokens[i];
        if (hl_match(ss, t->stem, t->stem_len, doc->norm + t->start, t->len)) {
            first = cred_doc_raw_span(doc, (cred_span){t->start, t->start + t->len}).start;
            break;
        }
    }
    if (first == p->text_len)
        first = 0;
    size_t start = first > want / 3 ? first - want / 3 : 0;
    while (start > 0 && ((unsigned char)p->text[start] & 0xC0) == 0x80)
        start--;
    size_t end = CRED_MIN(p->text_len, start + want);
    while (end < p->text_len && ((unsigned char)p->text[end] & 0xC0) == 0x80)
        end++;
    size_t off = ss->snip.len;
    if (cred_buf_put(&ss->snip, p->text + start, end - start) < 0 || cred_buf_putc(&ss->snip, '\0') < 0)
        return CRED_ENOMEM;
    h->snippet = (const char *)(uintptr_t)off; /* fixed up later */
    h->snippet_len = end - start;
    h->highlights = (const cred_span *)(uintptr_t)*span_at;
    for (size_t i = 0; i < doc->n_tokens; i++) {
        const cred_token *t = &doc->tokens[i];
        if (!hl_match(ss, t->stem, t->stem_len, doc->norm + t->start, t->len))
            continue;
        cred_span r = cred_doc_raw_span(doc, (cred_span){t->start, t->start + t->len});
        if (r.start < start || r.end > end)
            continue;
        if (CRED_GROW(ss->spans, ss->cap_spans, *span_at + 1) < 0)
            return CRED_ENOMEM;
        ss->spans[(*span_at)++] = (cred_span){(uint32_t)(r.start - start), (uint32_t)(r.end - start)};
        h->n_highlights++;
    }
    return 0;
}

/* ---- the search ---------------------------------------------------------------------------------- */

static int load_langs(cred_corpus *c)
{
    if (c->langs)
        return 0;
    c->langs = calloc(32, sizeof *c->langs);
    if (!c->langs)
        return cred__error_nomem();
    for (size_t i = 0; i < c->n_segs; i++) {
        char key[2] = {IX_NS_FIELD, 'l'};
        pfx_ctx p;
        memset(&p, 0, sizeof p);
        int rc = ix_segment_prefix(c->segs[i], key, 2, 64, pfx_fn, &p);
        for (size_t k = 0; k < p.n; k++) {
            bool have = p.lens[k] <= 2 || strcmp(p.keys[k] + 2, "und") == 0;
            for (size_t j = 0; j < c->n_langs && !have; j++)
                have = strcmp(c->langs[j], p.keys[k] + 2) == 0;
            if (!have && c->n_langs < 32)
                c->langs[c->n_langs++] = strdup(p.keys[k] + 2);
            free(p.keys[k]);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cred_corpus_search(cred_corpus *c, const cred_search_result **out, const char *query, size_t len,
                       const cred_search_options *opts)
{
    static _Thread_local cred_search_result res;
    cred_search_options def = CRED_SEARCH_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    size_t limit = opts->limit ? CRED_MIN(opts->limit, CRED_LIMIT_SEARCH_RESULTS) : 10;
    int rc = 0;
    q_node *q = NULL, *owned = NULL;
    it *root = NULL;
    if (!c->search && !(c->search = calloc(1, sizeof(search_state))))
        return cred__error_nomem();
    search_state *ss = c->search;
    for (size_t i = 0; i < ss->n_hl; i++)
        free(ss->hl[i].s);
    ss->n_hl = 0;
    ss->n_heap = 0;
    if (!ss->pa) {
        ss->pa = malloc(MAX_POS * 2 * sizeof *ss->pa);
        ss->pb = malloc(MAX_POS * 2 * sizeof *ss->pb);
        ss->pc = malloc(MAX_POS * 2 * sizeof *ss->pc);
        if (!ss->pa || !ss->pb || !ss->pc)
            return cred__error_nomem();
    }
    if (!c->qt)
        CRED_TRY(cred_text_new(&c->qt, NULL));
    CRED_TRY(load_langs(c));
    CRED_TRY(q_parse(&q, query, len));
    if (CRED_GROW(ss->heap, ss->cap_heap, limit) < 0) {
        rc = CRED_ENOMEM;
        goto done;
    }
    ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.ss = ss;
    const q_node *body = lift(&x, q, &owned);
    uint64_t total_len = 0;
    ss->N = 0;
    for (size_t i = 0; i < c->n_segs; i++) {
        ss->N += (double)c->segs[i]->meta.n_docs;
        total_len += c->segs[i]->meta.total_len;
    }
    ss->avgdl = ss->N > 0 ? (double)total_len / ss->N : 1;
    if (!ss->ptab || ss->ptab_avgdl != ss->avgdl) {
        if (!ss->ptab && !(ss->ptab = malloc(PT_TF * PT_LEN * sizeof *ss->ptab))) {
            rc = cred__error_nomem();
            goto done;
        }
        for (size_t i = 0; i < PT_TF * PT_LEN; i++)
            ss->ptab[i] = NAN;
        ss->ptab_avgdl = ss->avgdl;
    }
    uint64_t matches = 0;
    cur_ss = ss;
    for (size_t si = 0; si < c->n_segs; si++) {
        ix_segment *s = c->segs[si];
        x.seg = s;
        uint32_t lo = x.after == INT64_MIN ? 0 : lower_date(s, x.after);
        uint32_t hi = x.before == INT64_MAX ? (uint32_t)s->meta.n_docs : lower_date(s, x.before);
        if (lo >= hi)
            continue;
        bool scoring = body != NULL;
        {
            double sdl = s->meta.n_docs ? (double)s->meta.total_len / (double)s->meta.n_docs : 1;
            ss->ub_scale = sdl > 0 && ss->avgdl > sdl ? ss->avgdl / sdl : 1;
        }
        newest_first = !scoring;
        if (body) {
            CRED_TRY(build(&x, body, &root));
        } else {
            root = it_new(IT_ALL);
            CRED_TRY_ALLOC(root);
            root->n_docs = (uint32_t)s->meta.n_docs;
        }
        init_docs(root);
        /* a phrase at the root checks positions only for docs whose bound can enter the heap */
        root->lazy = root->kind == IT_PHRASE;
        if (scoring) {
            it **terms = NULL;
            size_t nt = 0, cap_t = 0;
            bool flat = union_terms(root, &terms, &nt, &cap_t) && nt > 0;
            if (flat)
                rc = run_union(ss, &x, (uint32_t)si, terms, nt, lo, hi, limit, &matches);
            free(terms);
            if (rc < 0)
                goto done;
            if (!flat && and_of_words(root)) {
                flat = true;
                rc = run_and(ss, &x, (uint32_t)si, root, lo, hi, limit, &matches);
            }
            if (rc < 0)
                goto done;
            if (flat) {
                it_free(root);
                root = NULL;
                continue;
            }
        }
        /* shallow skipping only when every scoring term stands alone: over a word with several
           terms (stems) the skip-table bound sums them all and seldom skips (measured: slower) */
        bool shallow = scoring && single_terms(root);
        bool have_ub = false;
        uint32_t ub_end = 0;
        double ub_val = 0;
        uint32_t d = it_seek(root, lo);
        while (d < hi) {
            if (scoring && ss->n_heap == limit) {
                /* the bound of the blocks around d holds up to ub_end: compute it once per range */
                if (!have_ub || d > ub_end) {
                    ub_val = it_ub(ss, root, d, &ub_end);
                    have_ub = true;
                }
                uint32_t end = ub_end;
                double ub = ub_val;
                double thr = ss->heap[0].score * UB_TIE;
                if (ub <= thr) {
                    if (end == IX_END)
                        break;
                    /* pass the following ranges whose skip-table bound cannot beat the minimum
                       either, before decoding anything */
                    uint32_t to = end + 1;
                    while (to < hi && shallow) {
                        uint32_t e2;
                        if (it_ub_at(ss, root, to, &e2) > thr)
                            break;
                        if (e2 == IX_END) {
                            to = IX_END;
                            break;
                        }
                        to = e2 + 1;
                    }
                    if (to >= hi)
                        break;
                    d = it_seek(root, to > d ? to : d + 1);
                    continue;
                }
            }
            /* a phrase at the root: while the heap fills, positions before the doc table (most docs
               of a frequent pair fail); once full, positions only for a doc whose score would enter
               it (a tie loses: the doc is newer) */
            bool filling = ss->n_heap < limit;
            if (ix_deleted(s, d) || (root->lazy && filling && !phrase_ok(ss, root)) ||
                (x.has_validity && !validity_ok(&x, s->docs[d].validity))) {
                d = it_seek(root, d + 1);
                continue;
            }
            heap_ent e = {scoring ? it_score(ss, root, d, ix_doc_len(s, d)) : 0, (uint64_t)si << 32 | d, (uint32_t)si, d};
            if (root->lazy && !filling && (e.score <= ss->heap[0].score || !phrase_ok(ss, root))) {
                d = it_seek(root, d + 1);
                continue;
            }
            matches++;
            heap_push(ss, limit, e);
            d = it_seek(root, d + 1);
        }
        it_free(root);
        root = NULL;
    }
    qsort(ss->heap, ss->n_heap, sizeof *ss->heap, ent_cmp);
    if (CRED_GROW(ss->hits, ss->cap_hits, ss->n_heap + 1) < 0) {
        rc = CRED_ENOMEM;
        goto done;
    }
    cred_buf_clear(&c->strs);
    cred_buf_clear(&ss->snip);
    size_t spans = 0;
    /* posts first (their strings move while c->strs grows), then snippets */
    size_t *offs = malloc((ss->n_heap + 1) * 12 * sizeof *offs);
    CRED_TRY_ALLOC(offs);
    for (size_t i = 0; i < ss->n_heap; i++) {
        cred_search_hit *h = &ss->hits[i];
        memset(h, 0, sizeof *h);
        h->score = ss->heap[i].score;
        ix_record r;
        size_t base = c->strs.len;
        if ((rc = ix_segment_record(c->segs[ss->heap[i].seg], &r, ss->heap[i].doc)) < 0 ||
            (rc = ix_post_from(c, &h->post, &r)) < 0) {
            free(offs);
            goto done;
        }
        /* remember string offsets relative to the buffer start */
        const char **f[] = {&h->post.post.id, &h->post.post.text, &h->post.post.source, &h->post.post.author,
                            &h->post.post.author_id, &h->post.post.date_text, &h->post.post.forwarded_from,
                            &h->post.post.url, &h->post.post.lang, &h->post.flags, &h->post.parent_id,
                            &h->post.origin_id};
        (void)base;
        for (size_t k = 0; k < 12; k++)
            offs[i * 12 + k] = *f[k] ? (size_t)(*f[k] - c->strs.ptr) : SIZE_MAX;
    }
    for (size_t i = 0; i < ss->n_heap; i++) {
        cred_search_hit *h = &ss->hits[i];
        const char **f[] = {&h->post.post.id, &h->post.post.text, &h->post.post.source, &h->post.post.author,
                            &h->post.post.author_id, &h->post.post.date_text, &h->post.post.forwarded_from,
                            &h->post.post.url, &h->post.post.lang, &h->post.flags, &h->post.parent_id,
                            &h->post.origin_id};
        for (size_t k = 0; k < 12; k++)
            *f[k] = offs[i * 12 + k] == SIZE_MAX ? NULL : c->strs.ptr + offs[i * 12 + k];
        if (opts->snippet_bytes && (rc = make_snippet(c, ss, h, opts->snippet_bytes, &spans)) < 0) {
            free(offs);
            goto done;
        }
    }
    free(offs);
    for (size_t i = 0; i < ss->n_heap; i++) {
        cred_search_hit *h = &ss->hits[i];
        if (opts->snippet_bytes) {
            h->snippet = ss->snip.ptr + (uintptr_t)h->snippet;
            h->highlights = ss->spans ? ss->spans + (uintptr_t)h->highlights : NULL;
        } else {
            h->snippet = "";
        }
    }
    res.hits = ss->hits;
    res.n_hits = ss->n_heap;
    res.matches = matches;
    *out = &res;
done:
    it_free(root);
    q_free(q);
    q_free(owned);
    return rc;
}
