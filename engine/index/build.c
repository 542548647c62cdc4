/*
 * Building a segment: records are ordered by (date, seq) (older versions of an id in the same batch
 * dropped), split in two halves analysed on two threads (each with its own cred_text, term table,
 * postings and text blocks), then linked for near-duplicates in order, and the two term tables are
 * merged into one sorted dictionary with block postings. The partition is always two halves, so the
 * bytes do not depend on the number of threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>

#include "index/index.h"

#define N_PARTS 2

typedef struct wterm {
    uint32_t koff, klen;
    uint32_t df, cur_tf, max_tf, min_len;
    int64_t last_doc;   /* local doc */
    int64_t prev_doc;   /* last doc written to docs */
    uint32_t last_pos;
    cred_buf docs, pos;
} wterm;

typedef struct worker {
    ix_record *const *recs; /* the batch in final order */
    size_t from, to;
    cred_text *t;
    dd_prep prep;
    uint64_t *sh;
    size_t sh_cap;
    dd_sig *sigs;           /* global arrays, written for [from, to) */
    uint64_t *keys;
    uint32_t *lens;
    wterm *terms;
    size_t n_terms, cap_terms;
    uint32_t *table;        /* term index + 1 */
    size_t table_cap;
    cred_buf kbuf;          /* term bytes */
    uint32_t *touched;
    size_t n_touched, cap_touched;
    uint32_t *sorted;       /* term indices by key */
    cred_buf text, blk;     /* compressed text blocks, current raw block */
    ix_textblk *tblk;
    size_t n_tblk, cap_tblk;
    uint32_t *doc_block;    /* global array: text block of each doc (local index into tblk) */
    cred_buf scratch, rec;
    int rc;
} worker;

static int table_grow(worker *w)
{
    size_t cap = w->table_cap ? w->table_cap * 2 : 1u << 16;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return cred__error_nomem();
    for (size_t i = 0; i < w->n_terms; i++) {
        const wterm *e = &w->terms[i];
        size_t h = (size_t)cred_hash64(w->kbuf.ptr + e->koff, e->klen, 0) & (cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = (uint32_t)i + 1;
    }
    free(w->table);
    w->table = t;
    w->table_cap = cap;
    return 0;
}

/* Find or add a term; returns its index or a negative code. */
static long term_get(worker *w, const char *k, size_t len)
{
    if ((w->n_terms + 1) * 2 > w->table_cap && table_grow(w) < 0)
        return CRED_ENOMEM;
    size_t mask = w->table_cap - 1, h = (size_t)cred_hash64(k, len, 0) & mask;
    for (;;) {
        uint32_t v = w->table[h];
        if (!v)
            break;
        const wterm *e = &w->terms[v - 1];
        if (e->klen == len && memcmp(w->kbuf.ptr + e->koff, k, len) == 0)
            return (long)(v - 1);
        h = (h + 1) & mask;
    }
    if (w->kbuf.len + len > UINT32_MAX || CRED_GROW(w->terms, w->cap_terms, w->n_terms + 1) < 0)
        return cred__error_nomem();
    wterm *e = &w->terms[w->n_terms];
    memset(e, 0, sizeof *e);
    e->koff = (uint32_t)w->kbuf.len;
    e->klen = (uint32_t)len;
    e->last_doc = -1;
    e->prev_doc = -1;
    e->min_len = UINT32_MAX;
    if (cred_buf_put(&w->kbuf, k, len) < 0)
        return CRED_ENOMEM;
    w->table[h] = (uint32_t)++w->n_terms;
    return (long)(w->n_terms - 1);
}

/* One occurrence of term k in local doc d, at position pos (UINT32_MAX: no positions). */
static int occur(worker *w, const char *k, size_t len, uint32_t d, uint32_t pos)
{
    long ti = term_get(w, k, len);
    if (ti < 0)
        return (int)ti;
    wterm *e = &w->terms[ti];
    if (e->last_doc != (int64_t)d) {
        if (CRED_GROW(w->touched, w->cap_touched, w->n_touched + 1) < 0)
            return CRED_ENOMEM;
        w->touched[w->n_touched++] = (uint32_t)ti;
        e->last_doc = d;
        e->cur_tf = 0;
        e->last_pos = 0;
    }
    if (pos != UINT32_MAX) {
        if (ix_put_varint(&e->pos, e->cur_tf ? pos - e->last_pos : pos) < 0)
            return CRED_ENOMEM;
        e->last_pos = pos;
    }
    e->cur_tf++;
    return 0;
}

static int end_doc(worker *w, uint32_t d, uint32_t len)
{
    for (size_t i = 0; i < w->n_touched; i++) {
        wterm *e = &w->terms[w->touched[i]];
        uint64_t delta = (uint64_t)((int64_t)d - e->prev_doc - 1);
        if (ix_put_varint(&e->docs, delta << 1 | (e->cur_tf == 1)) < 0 ||
            (e->cur_tf != 1 && ix_put_varint(&e->docs, e->cur_tf) < 0))
            return CRED_ENOMEM;
        e->prev_doc = d;
        e->df++;
        if (e->cur_tf > e->max_tf)
            e->max_tf = e->cur_tf;
        if (len < e->min_len)
            e->min_len = len;
    }
    w->n_touched = 0;
    return 0;
}

static int field_terms(worker *w, char field, const char *v, size_t len, uint32_t d, bool split)
{
    if (!v)
        return 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        if (split) {
            while (i < len && (v[i] == ' ' || v[i] == ',' || v[i] == '\t'))
                i++;
            j = i;
            while (j < len && v[j] != ' ' && v[j] != ',' && v[j] != '\t')
                j++;
        } else {
            j = len;
        }
        if (j > i) {
            int rc = ix_field_term(&w->scratch, field, v + i, j - i);
            if (rc < 0 || (rc = occur(w, w->scratch.ptr, w->scratch.len, d, UINT32_MAX)) < 0)
                return rc;
        }
        i = j;
    }
    return 0;
}

static int flush_text_block(worker *w, uint32_t first_doc, uint32_t n_docs)
{
    if (CRED_GROW(w->tblk, w->cap_tblk, w->n_tblk + 1) < 0)
        return CRED_ENOMEM;
    ix_textblk *b = &w->tblk[w->n_tblk++];
    memset(b, 0, sizeof *b);
    b->off = w->text.len;
    b->raw_len = w->blk.len;
    b->first_doc = first_doc;
    b->n_docs = n_docs;
    int rc = st_zstd_compress(&w->text, w->blk.ptr, w->blk.len, 3);
    if (rc < 0)
        return rc;
    b->len = w->text.len - b->off;
    b->xxh = st_xxh64(w->text.ptr + b->off, (size_t)b->len);
    cred_buf_clear(&w->blk);
    return 0;
}

static int analyse_doc(worker *w, size_t gd)
{
    ix_record *r = w->recs[gd];
    uint32_t d = (uint32_t)(gd - w->from);
    char hint[16];
    const char *lang_hint = NULL;
    if (r->lang && r->lang_len > 0 && r->lang_len < sizeof hint) {
        memcpy(hint, r->lang, r->lang_len);
        hint[r->lang_len] = '\0';
        lang_hint = hint;
    }
    const cred_doc *doc;
    int rc = cred_text_analyse(w->t, &doc, r->text, r->text_len, lang_hint);
    if (rc < 0)
        return rc;
    if (!r->lang) {
        size_t n = strlen(doc->lang);
        if (n >= sizeof r->lang_buf)
            n = sizeof r->lang_buf - 1;
        memcpy(r->lang_buf, doc->lang, n);
        r->lang_buf[n] = '\0';
        r->lang = r->lang_buf;
        r->lang_len = n;
    }
    uint32_t pos = 0;
    for (size_t i = 0; i < doc->n_tokens; i++) {
        const cred_token *t = &doc->tokens[i];
        if (t->kind == CRED_TOK_EMOJI)
            continue;
        if ((rc = occur(w, t->stem, t->stem_len, d, pos)) < 0)
            return rc;
        const char *surf = doc->norm + t->start;
        if (t->len != t->stem_len || memcmp(surf, t->stem, t->len) != 0) {
            cred_buf_clear(&w->scratch);
            if (cred_buf_putc(&w->scratch, IX_NS_SURFACE) < 0 || cred_buf_put(&w->scratch, surf, t->len) < 0)
                return CRED_ENOMEM;
            if ((rc = occur(w, w->scratch.ptr, w->scratch.len, d, UINT32_MAX)) < 0)
                return rc;
        }
        pos++;
    }
    w->lens[gd] = pos;
    if ((rc = field_terms(w, 's', r->source, r->source_len, d, false)) < 0 ||
        (rc = field_terms(w, 'a', r->author, r->author_len, d, false)) < 0 ||
        (rc = field_terms(w, 'l', r->lang, r->lang_len, d, false)) < 0 ||
        (rc = field_terms(w, 'f', r->flags, r->flags_len, d, true)) < 0)
        return rc;
    /* dedup signature and exact key */
    if ((rc = cred_dedup__prep_doc(&w->prep, doc)) < 0)
        return rc;
    long nh = cred_dedup__shingle_chars(&w->sh, &w->sh_cap, w->prep.text.ptr, w->prep.text.len);
    if (nh < 0)
        return (int)nh;
    cred_dedup__sign(&w->sigs[gd], w->sh, (size_t)nh);
    w->keys[gd] = cred_dedup__key(w->prep.text.ptr, w->prep.text.len).lo;
    /* the stored record (without links: those live in the doc table) */
    ix_record copy = *r;
    copy.linked = false;
    copy.relation = 0;
    copy.similarity = 0;
    copy.parent = copy.origin = 0;
    cred_buf_clear(&w->rec);
    if ((rc = ix_record_encode(&w->rec, &copy)) < 0)
        return rc;
    if (ix_put_varint(&w->blk, w->rec.len) < 0 || cred_buf_put(&w->blk, w->rec.ptr, w->rec.len) < 0)
        return CRED_ENOMEM;
    return 0;
}

static int term_cmp_ctx_worker_key(const worker *w, uint32_t a, uint32_t b)
{
    const wterm *x = &w->terms[a], *y = &w->terms[b];
    size_t n = CRED_MIN(x->klen, y->klen);
    int c = memcmp(w->kbuf.ptr + x->koff, w->kbuf.ptr + y->koff, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static _Thread_local const worker *sort_worker;
static int term_cmp(const void *a, const void *b)
{
    return term_cmp_ctx_worker_key(sort_worker, *(const uint32_t *)a, *(const uint32_t *)b);
}

static void *worker_run(void *arg)
{
    worker *w = arg;
    int rc = 0;
    uint32_t blk_first = 0, blk_n = 0;
    for (size_t gd = w->from; gd < w->to; gd++) {
        CRED_TRY(analyse_doc(w, gd));
        CRED_TRY(end_doc(w, (uint32_t)(gd - w->from), w->lens[gd]));
        if (blk_n == 0)
            blk_first = (uint32_t)gd;
        w->doc_block[gd] = (uint32_t)w->n_tblk;
        blk_n++;
        if (w->blk.len >= IX_TEXT_BLOCK) {
            CRED_TRY(flush_text_block(w, blk_first, blk_n));
            blk_n = 0;
        }
    }
    if (blk_n)
        CRED_TRY(flush_text_block(w, blk_first, blk_n));
done:
    w->rc = rc;
    return NULL;
}

/* Sorting is done after the cluster terms are added (in the main thread). */
static void *worker_sort(void *arg)
{
    worker *w = arg;
    w->sorted = malloc((w->n_terms ? w->n_terms : 1) * sizeof *w->sorted);
    if (!w->sorted) {
        w->rc = cred__error_nomem();
        return NULL;
    }
    for (size_t i = 0; i < w->n_terms; i++)
        w->sorted[i] = (uint32_t)i;
    sort_worker = w;
    qsort(w->sorted, w->n_terms, sizeof *w->sorted, term_cmp);
    return NULL;
}

static void worker_free(worker *w)
{
    cred_text_free(w->t);
    cred_dedup__prep_free(&w->prep);
    free(w->sh);
    for (size_t i = 0; i < w->n_terms; i++) {
        cred_buf_free(&w->terms[i].docs);
        cred_buf_free(&w->terms[i].pos);
    }
    free(w->terms);
    free(w->table);
    free(w->touched);
    free(w->sorted);
    free(w->tblk);
    cred_buf_free(&w->kbuf);
    cred_buf_free(&w->text);
    cred_buf_free(&w->blk);
    cred_buf_free(&w->scratch);
    cred_buf_free(&w->rec);
}

/* ---- ordering and linking ---------------------------------------------------------------------- */

static int rec_order(const void *a, const void *b)
{
    const ix_record *x = *(ix_record *const *)a, *y = *(ix_record *const *)b;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct idh {
    uint64_t hash, seq;
    size_t idx;
} idh;

static int idh_cmp(const void *a, const void *b)
{
    const idh *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A band-hash multimap over exemplar signatures of older segments and of the batch. */
#define BANDS IX_LSH_BANDS
#define ROWS 4
typedef ix_lsh lsh;
typedef ix_lsh_ent lsh_ent;

uint64_t ix_band_key(const uint8_t *v, unsigned b)
{
    uint32_t x;
    memcpy(&x, v + b * ROWS, 4);
    return dd_mix64(((uint64_t)b << 32 | x) + 0x9e3779b97f4a7c15ULL);
}

int ix_lsh_add(lsh *l, const uint8_t *v, uint32_t seg, uint32_t doc)
{
    if ((l->n + BANDS) * 2 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1u << 16;
        while ((l->n + BANDS) * 2 > cap)
            cap *= 2;
        uint32_t *h = malloc(cap * sizeof *h);
        if (!h)
            return cred__error_nomem();
        memset(h, 0xff, cap * sizeof *h);
        for (size_t i = 0; i < l->n; i++) {
            size_t s = (size_t)l->e[i].band & (cap - 1);
            l->e[i].next = h[s];
            h[s] = (uint32_t)i;
        }
        free(l->head);
        l->head = h;
        l->cap = cap;
    }
    if (CRED_GROW(l->e, l->cap_e, l->n + BANDS) < 0)
        return CRED_ENOMEM;
    for (unsigned b = 0; b < BANDS; b++) {
        lsh_ent *e = &l->e[l->n];
        e->band = ix_band_key(v, b);
        e->seg = seg;
        e->doc = doc;
        size_t s = (size_t)e->band & (l->cap - 1);
        e->next = l->head[s];
        l->head[s] = (uint32_t)l->n++;
    }
    return 0;
}

typedef struct link_ctx {
    const ix_build_opts *o;
    ix_record *const *recs;
    const dd_sig *sigs;
    lsh l;
    /* exact keys: open addressing of (key, seg, doc) */
    uint64_t *kk;
    uint32_t *kseg, *kdoc;
    size_t kcap, kn;
} link_ctx;

static void key_put(link_ctx *c, uint64_t key, uint32_t seg, uint32_t doc)
{
    size_t m = c->kcap - 1, h = (size_t)dd_mix64(key) & m;
    while (c->kseg[h] != UINT32_MAX) {
        if (c->kk[h] == key)
            return; /* keep the earliest */
        h = (h + 1) & m;
    }
    c->kk[h] = key;
    c->kseg[h] = seg;
    c->kdoc[h] = doc;
    c->kn++;
}

static bool key_get(const link_ctx *c, uint64_t key, uint32_t *seg, uint32_t *doc)
{
    size_t m = c->kcap - 1, h = (size_t)dd_mix64(key) & m;
    while (c->kseg[h] != UINT32_MAX) {
        if (c->kk[h] == key) {
            *seg = c->kseg[h];
            *doc = c->kdoc[h];
            return true;
        }
        h = (h + 1) & m;
    }
    return false;
}

/* seq, origin, date and signature of a candidate */
static void cand_info(const link_ctx *c, uint32_t seg, uint32_t doc, uint64_t *seq, uint64_t *origin,
                      int64_t *date)
{
    if (seg == c->o->n_older) {
        const ix_record *r = c->recs[doc];
        *seq = r->seq;
        *origin = r->origin;
        *date = r->date;
    } else {
        const ix_link *l = &c->o->older[seg]->links[doc];
        *seq = l->seq;
        *origin = l->origin;
        *date = c->o->older[seg]->docs[doc].date;
    }
}

static int link_all(ix_record *const *recs, size_t n, const dd_sig *sigs, const uint64_t *keys,
                    const ix_build_opts *o, uint8_t *exemplar)
{
    int rc = 0;
    uint32_t *seen = NULL, *stamp = NULL;
    size_t n_seen = 0, cap_seen = 0;
    link_ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    c.recs = recs;
    c.sigs = sigs;
    size_t total = n;
    for (size_t s = 0; s < o->n_older; s++)
        total += (size_t)o->older[s]->meta.n_sigs;
    c.kcap = 16;
    while (c.kcap < total * 2)
        c.kcap *= 2;
    c.kk = malloc(c.kcap * sizeof *c.kk);
    c.kseg = malloc(c.kcap * sizeof *c.kseg);
    c.kdoc = malloc(c.kcap * sizeof *c.kdoc);
    CRED_TRY_ALLOC(c.kk);
    CRED_TRY_ALLOC(c.kseg);
    CRED_TRY_ALLOC(c.kdoc);
    memset(c.kseg, 0xff, c.kcap * sizeof *c.kseg);
    for (size_t s = 0; s < o->n_older; s++) {
        const ix_segment *seg = o->older[s];
        for (uint64_t i = 0; i < seg->meta.n_sigs; i++) {
            uint32_t d = (uint32_t)seg->sigs[i].doc;
            if (ix_deleted(seg, d))
                continue;
            key_put(&c, seg->sigs[i].key, (uint32_t)s, d);
            CRED_TRY(ix_lsh_add(&c.l, seg->sigs[i].v, (uint32_t)s, d));
        }
    }
    stamp = calloc(n ? n : 1, sizeof *stamp);
    CRED_TRY_ALLOC(stamp);
    for (size_t i = 0; i < n; i++) {
        ix_record *r = recs[i];
        exemplar[i] = 0;
        if (!r->linked) {
            r->relation = CRED_DUP_NONE;
            r->similarity = 0;
            r->parent = IX_NO_SEQ;
            r->origin = r->seq;
            uint32_t ks, kd;
            uint64_t cseq, corigin;
            int64_t cdate;
            if (key_get(&c, keys[i], &ks, &kd)) {
                cand_info(&c, ks, kd, &cseq, &corigin, &cdate);
                if (cdate == CRED_DATE_UNKNOWN || r->date == CRED_DATE_UNKNOWN || cdate <= r->date) {
                    r->relation = CRED_DUP_EXACT;
                    r->similarity = 1;
                    r->parent = cseq;
                    r->origin = corigin;
                }
            }
            if (r->relation == CRED_DUP_NONE && c.l.cap) {
                double best = 0;
                n_seen = 0;
                unsigned tried = 0;
                /* bounded work per post: at most 12 candidates, and none once a close copy (0.75) is found */
                for (unsigned b = 0; b < BANDS && tried <= 12 && best < 0.75; b++) {
                    uint64_t bk = ix_band_key(sigs[i].v, b);
                    unsigned walked = 0;
                    /* newest first; a band shared by a viral template's thousands of posts is only
                       looked at through its most recent entries */
                    for (uint32_t e = c.l.head[(size_t)bk & (c.l.cap - 1)]; e != UINT32_MAX && walked < 8;
                         e = c.l.e[e].next, walked++) {
                        const lsh_ent *le = &c.l.e[e];
                        if (le->band != bk)
                            continue;
                        if (le->seg == o->n_older) {
                            if (stamp[le->doc] == (uint32_t)i + 1)
                                continue;
                            stamp[le->doc] = (uint32_t)i + 1;
                        } else {
                            uint32_t tag = (le->doc & 0x7ffffffu) ^ (le->seg << 27);
                            bool dup = false;
                            for (size_t k = 0; k < n_seen && !dup; k++)
                                dup = seen[k] == tag;
                            if (dup)
                                continue;
                            if (CRED_GROW(seen, cap_seen, n_seen + 1) < 0) {
                                rc = CRED_ENOMEM;
                                goto done;
                            }
                            seen[n_seen++] = tag;
                        }
                        if (++tried > 12)
                            break;
                        const uint8_t *cv = NULL;
                        if (le->seg == o->n_older) {
                            cv = sigs[le->doc].v;
                        } else {
                            const ix_segment *seg = o->older[le->seg];
                            for (uint64_t lo = 0, hi = seg->meta.n_sigs; lo < hi;) {
                                uint64_t mid = (lo + hi) / 2;
                                if (seg->sigs[mid].doc < le->doc)
                                    lo = mid + 1;
                                else if (seg->sigs[mid].doc > le->doc)
                                    hi = mid;
                                else {
                                    cv = seg->sigs[mid].v;
                                    break;
                                }
                            }
                        }
                        if (!cv)
                            continue;
                        double est = cred_dedup__estimate((const dd_sig *)cv, &sigs[i]);
                        if (est < o->threshold || est <= best)
                            continue;
                        cand_info(&c, le->seg, le->doc, &cseq, &corigin, &cdate);
                        bool earlier = cdate == CRED_DATE_UNKNOWN || r->date == CRED_DATE_UNKNOWN || cdate <= r->date;
                        if (earlier) {
                            best = est;
                            r->relation = CRED_DUP_NEAR;
                            r->similarity = (float)est;
                            r->parent = cseq;
                            r->origin = corigin;
                        }
                    }
                }
            }
            r->linked = true;
        }
        if (r->relation == CRED_DUP_NONE || r->relation == CRED_DUP_VARIANT || r->similarity < 0.6f) {
            exemplar[i] = 1;
            key_put(&c, keys[i], (uint32_t)o->n_older, (uint32_t)i);
            CRED_TRY(ix_lsh_add(&c.l, sigs[i].v, (uint32_t)o->n_older, (uint32_t)i));
        }
    }
done:
    free(seen);
    free(stamp);
    free(c.kk);
    free(c.kseg);
    free(c.kdoc);
    free(c.l.head);
    free(c.l.e);
    return rc;
}

/* ---- merging and encoding ---------------------------------------------------------------------- */

typedef struct enc {
    cred_buf post, pos, dict, tmp, last;
    uint32_t *blocks;
    size_t n_blocks, cap_blocks;
    ix_skip *skip;
    size_t cap_skip;
    uint32_t bd[IX_BLOCK], bt[IX_BLOCK];
    uint32_t *bp;
    size_t cap_bp;
    uint64_t n_terms;
    const uint32_t *lens;
    double avgdl;
} enc;

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static int encode_term(enc *e, const char *key, size_t klen, worker *ws, const long *idx)
{
    uint64_t df = 0;
    bool has_pos = klen > 0 && (unsigned char)key[0] > 3;
    float fmax = 0;
    for (int p = 0; p < N_PARTS; p++)
        if (idx[p] >= 0)
            df += ws[p].terms[idx[p]].df;
    size_t nb = (size_t)((df + IX_BLOCK - 1) / IX_BLOCK);
    if (nb > 1 && CRED_GROW(e->skip, e->cap_skip, nb) < 0)
        return CRED_ENOMEM;
    cred_buf_clear(&e->tmp);
    uint64_t post_off = e->post.len, pos_off = e->pos.len;
    int64_t prev = -1;
    uint64_t k = 0;
    size_t nblk = 0, npos = 0;
    for (int p = 0; p < N_PARTS; p++) {
        if (idx[p] < 0)
            continue;
        const wterm *t = &ws[p].terms[idx[p]];
        const uint8_t *dp = (const uint8_t *)t->docs.ptr, *de = dp ? dp + t->docs.len : dp;
        const uint8_t *pp = (const uint8_t *)t->pos.ptr, *pe = pp ? pp + t->pos.len : pp; /* NULL when empty */
        int64_t local = -1;
        for (uint32_t i = 0; i < t->df; i++, k++) {
            uint64_t v, tf = 1;
            if (!ix_get_varint(&dp, de, &v) || (!(v & 1) && !ix_get_varint(&dp, de, &tf)))
                return cred__error(CRED_ERROR, "index build: bad worker postings");
            local += (int64_t)(v >> 1) + 1;
            uint32_t doc = (uint32_t)(ws[p].from + (size_t)local);
            if (k % IX_BLOCK == 0 && nb > 1) {
                ix_skip *s = &e->skip[k / IX_BLOCK];
                s->doc_off = (uint32_t)e->tmp.len;
                s->pos_off = (uint32_t)(e->pos.len - pos_off);
                s->fmax = 0;
            }
            e->bd[nblk] = (uint32_t)((int64_t)doc - prev - 1);
            e->bt[nblk] = (uint32_t)CRED_MIN(tf - 1, UINT32_MAX - 1);
            nblk++;
            prev = doc;
            uint32_t len = e->lens[doc];
            /* rounded up so that the stored bound is never below a real score */
            float f = nextafterf((float)ix_tf_part((uint32_t)tf, len, e->avgdl), INFINITY);
            if (f > fmax)
                fmax = f;
            if (nb > 1) {
                ix_skip *s = &e->skip[k / IX_BLOCK];
                s->last_doc = doc;
                if (f > s->fmax)
                    s->fmax = f;
            }
            if (has_pos) {
                if (CRED_GROW(e->bp, e->cap_bp, npos + tf) < 0)
                    return CRED_ENOMEM;
                for (uint64_t j = 0; j < tf; j++) {
                    uint64_t x;
                    if (!ix_get_varint(&pp, pe, &x))
                        return cred__error(CRED_ERROR, "index build: bad worker positions");
                    e->bp[npos++] = (uint32_t)x;
                }
            }
            if (nblk == IX_BLOCK || k + 1 == df) {
                /* a block: widths, packed gaps, packed tf - 1; positions: width, packed deltas */
                uint32_t od = 0, ot = 0, op = 0;
                for (size_t j = 0; j < nblk; j++)
                    od |= e->bd[j], ot |= e->bt[j];
                uint8_t w[2] = {(uint8_t)ix_bits(od), (uint8_t)ix_bits(ot)};
                if (cred_buf_put(&e->tmp, w, 2) < 0 || ix_pack(&e->tmp, e->bd, nblk, w[0]) < 0 ||
                    ix_pack(&e->tmp, e->bt, nblk, w[1]) < 0)
                    return CRED_ENOMEM;
                if (has_pos) {
                    for (size_t j = 0; j < npos; j++)
                        op |= e->bp[j];
                    uint8_t wp = (uint8_t)ix_bits(op);
                    if (cred_buf_putc(&e->pos, (char)wp) < 0 || ix_pack(&e->pos, e->bp, npos, wp) < 0)
                        return CRED_ENOMEM;
                }
                nblk = npos = 0;
            }
        }
    }
    if (nb > 1 && cred_buf_put(&e->post, e->skip, nb * sizeof *e->skip) < 0)
        return CRED_ENOMEM;
    if (cred_buf_put(&e->post, e->tmp.ptr, e->tmp.len) < 0)
        return CRED_ENOMEM;
    /* dictionary entry */
    size_t shared = 0;
    if (e->n_terms % IX_DICT_BLOCK == 0) {
        if (CRED_GROW(e->blocks, e->cap_blocks, e->n_blocks + 1) < 0)
            return CRED_ENOMEM;
        e->blocks[e->n_blocks++] = (uint32_t)e->dict.len;
        if (ix_put_varint(&e->dict, post_off) < 0 || ix_put_varint(&e->dict, pos_off) < 0)
            return CRED_ENOMEM;
    } else {
        while (shared < klen && shared < e->last.len && e->last.ptr[shared] == key[shared])
            shared++;
    }
    if (ix_put_varint(&e->dict, shared) < 0 || ix_put_varint(&e->dict, klen - shared) < 0 ||
        cred_buf_put(&e->dict, key + shared, klen - shared) < 0 || ix_put_varint(&e->dict, df) < 0 ||
        ix_put_varint(&e->dict, e->post.len - post_off) < 0 || ix_put_varint(&e->dict, e->pos.len - pos_off) < 0 ||
        ix_put_varint(&e->dict, fbits(fmax)) < 0)
        return CRED_ENOMEM;
    cred_buf_clear(&e->last);
    if (cred_buf_put(&e->last, key, klen) < 0)
        return CRED_ENOMEM;
    e->n_terms++;
    return 0;
}

static int merge_terms(enc *e, worker *ws)
{
    size_t at[N_PARTS] = {0};
    for (;;) {
        const char *best = NULL;
        size_t best_len = 0;
        for (int p = 0; p < N_PARTS; p++) {
            if (at[p] >= ws[p].n_terms)
                continue;
            const wterm *t = &ws[p].terms[ws[p].sorted[at[p]]];
            const char *k = ws[p].kbuf.ptr + t->koff;
            if (!best) {
                best = k, best_len = t->klen;
                continue;
            }
            int c = memcmp(k, best, CRED_MIN(t->klen, best_len));
            if (c < 0 || (c == 0 && t->klen < best_len))
                best = k, best_len = t->klen;
        }
        if (!best)
            return 0;
        long idx[N_PARTS];
        for (int p = 0; p < N_PARTS; p++) {
            idx[p] = -1;
            if (at[p] >= ws[p].n_terms)
                continue;
            const wterm *t = &ws[p].terms[ws[p].sorted[at[p]]];
            if (t->klen == best_len && memcmp(ws[p].kbuf.ptr + t->koff, best, best_len) == 0)
                idx[p] = (long)ws[p].sorted[at[p]++];
        }
        /* copy the key: it may live in a buffer encode_term does not touch, but keep it simple */
        int rc = encode_term(e, best, best_len, ws, idx);
        if (rc < 0)
            return rc;
    }
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CRED_INDEX_TIMING=1 prints the wall time of each build phase on stderr. */
static void phase(const char *name, double *t)
{
    static int on = -1;
    static double cpu_last;
    if (on < 0)
        on = getenv("CRED_INDEX_TIMING") != NULL;
    double now = cpu_now();
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    double cpu = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    if (on && name)
        fprintf(stderr, "index build: %s wall %.3f s cpu %.3f s\n", name, now - *t, cpu - cpu_last);
    cpu_last = cpu;
    *t = now;
}

int ix_build(cred_buf *out, ix_record *recs, size_t n, const ix_build_opts *o)
{
    double t0 = 0;
    phase(NULL, &t0);
    int rc = 0;
    worker ws[N_PARTS];
    memset(ws, 0, sizeof ws);
    enc e;
    memset(&e, 0, sizeof e);
    st_writer sw;
    memset(&sw, 0, sizeof sw);
    ix_record **ord = malloc((n ? n : 1) * sizeof *ord);
    idh *ids = malloc((n ? n : 1) * sizeof *ids);
    dd_sig *sigs = NULL;
    uint64_t *keys = NULL;
    uint32_t *lens = NULL, *doc_block = NULL;
    uint8_t *exemplar = NULL;
    ix_doc *docs = NULL;
    ix_link *links = NULL;
    ix_idmap *idmap = NULL;
    ix_sig *xs = NULL;
    cred_buf textdir = CRED_BUF_INIT, text = CRED_BUF_INIT, dict = CRED_BUF_INIT;
    CRED_TRY_ALLOC(ord);
    CRED_TRY_ALLOC(ids);
    /* newest version of each id only */
    for (size_t i = 0; i < n; i++) {
        ids[i].hash = ix_id_hash(recs[i].id, recs[i].id_len);
        ids[i].seq = recs[i].seq;
        ids[i].idx = i;
    }
    qsort(ids, n, sizeof *ids, idh_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || ids[i + 1].hash != ids[i].hash)
            ord[m++] = &recs[ids[i].idx];
    n = m;
    qsort(ord, n, sizeof *ord, rec_order);
    size_t nn = n ? n : 1;
    sigs = malloc(nn * sizeof *sigs);
    keys = malloc(nn * sizeof *keys);
    lens = malloc(nn * sizeof *lens);
    doc_block = malloc(nn * sizeof *doc_block);
    exemplar = malloc(nn);
    CRED_TRY_ALLOC(sigs);
    CRED_TRY_ALLOC(keys);
    CRED_TRY_ALLOC(lens);
    CRED_TRY_ALLOC(doc_block);
    CRED_TRY_ALLOC(exemplar);
    pthread_t th[N_PARTS];
    bool started[N_PARTS] = {false};
    for (int p = 0; p < N_PARTS; p++) {
        worker *w = &ws[p];
        w->recs = ord;
        w->from = n * (size_t)p / N_PARTS;
        w->to = n * (size_t)(p + 1) / N_PARTS;
        w->sigs = sigs;
        w->keys = keys;
        w->lens = lens;
        w->doc_block = doc_block;
        CRED_TRY(cred_text_new(&w->t, NULL));
    }
    unsigned threads = o && o->threads ? o->threads : 2;
    for (int p = 0; p < N_PARTS; p++) {
        if (threads > 1 && p + 1 < N_PARTS)
            started[p] = pthread_create(&th[p], NULL, worker_run, &ws[p]) == 0;
        if (!started[p])
            worker_run(&ws[p]);
    }
    for (int p = 0; p < N_PARTS; p++)
        if (started[p])
            pthread_join(th[p], NULL);
    for (int p = 0; p < N_PARTS; p++)
        CRED_TRY(ws[p].rc);
    phase("analyse", &t0);
    ix_build_opts def = {2, 0.45, NULL, 0};
    CRED_TRY(link_all(ord, n, sigs, keys, o ? o : &def, exemplar));
    phase("link", &t0);
    /* cluster terms: the origin of every post that has copies or is one */
    for (int p = 0; p < N_PARTS; p++) {
        worker *w = &ws[p];
        for (size_t gd = w->from; gd < w->to; gd++) {
            char num[32];
            int len = snprintf(num, sizeof num, "%llu", (unsigned long long)ord[gd]->origin);
            CRED_TRY(ix_field_term(&w->scratch, 'c', num, (size_t)len));
            CRED_TRY(occur(w, w->scratch.ptr, w->scratch.len, (uint32_t)(gd - w->from), UINT32_MAX));
            CRED_TRY(end_doc(w, (uint32_t)(gd - w->from), lens[gd]));
        }
    }
    for (int p = 0; p < N_PARTS; p++) {
        started[p] = threads > 1 && p + 1 < N_PARTS && pthread_create(&th[p], NULL, worker_sort, &ws[p]) == 0;
        if (!started[p])
            worker_sort(&ws[p]);
    }
    for (int p = 0; p < N_PARTS; p++)
        if (started[p])
            pthread_join(th[p], NULL);
    for (int p = 0; p < N_PARTS; p++)
        CRED_TRY(ws[p].rc);
    phase("cluster terms and sort", &t0);
    e.lens = lens;
    {
        uint64_t tl = 0;
        for (size_t i = 0; i < n; i++)
            tl += lens[i];
        e.avgdl = n ? (double)tl / (double)n : 1;
    }
    CRED_TRY(merge_terms(&e, ws));
    phase("merge postings", &t0);
    /* doc table, id map, text */
    docs = calloc(nn, sizeof *docs);
    links = calloc(nn, sizeof *links);
    CRED_TRY_ALLOC(links);
    idmap = malloc(nn * sizeof *idmap);
    CRED_TRY_ALLOC(docs);
    CRED_TRY_ALLOC(idmap);
    ix_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.min_date = n ? ord[0]->date : 0;
    meta.max_date = n ? ord[n - 1]->date : 0;
    meta.min_seq = UINT64_MAX;
    size_t n_x = 0;
    for (size_t i = 0; i < n; i++)
        n_x += exemplar[i];
    xs = malloc((n_x ? n_x : 1) * sizeof *xs);
    CRED_TRY_ALLOC(xs);
    n_x = 0;
    uint32_t blk_base[N_PARTS];
    for (int p = 0, b = 0; p < N_PARTS; p++) {
        blk_base[p] = (uint32_t)b;
        b += (int)ws[p].n_tblk;
    }
    for (size_t i = 0; i < n; i++) {
        const ix_record *r = ord[i];
        ix_doc *d = &docs[i];
        ix_link *l = &links[i];
        d->date = r->date;
        d->validity = (float)r->validity;
        d->len = lens[i];
        l->seq = r->seq;
        l->origin = r->origin;
        l->parent = r->parent;
        l->similarity = r->similarity;
        l->relation = r->relation;
        l->kind = (uint8_t)r->kind;
        int p = i >= ws[1].from ? 1 : 0;
        l->text_block = blk_base[p] + doc_block[i];
        idmap[i].hash = ix_id_hash(r->id, r->id_len);
        idmap[i].doc = i;
        meta.total_len += lens[i];
        meta.min_seq = CRED_MIN(meta.min_seq, r->seq);
        meta.max_seq = n ? CRED_MAX(meta.max_seq, r->seq) : 0;
        if (exemplar[i]) {
            xs[n_x].doc = i;
            xs[n_x].key = keys[i];
            memcpy(xs[n_x].v, sigs[i].v, DD_K);
            n_x++;
        }
    }
    qsort(idmap, n, sizeof *idmap, idh_cmp); /* (hash, doc) sorts like (hash, seq) */
    /* the parts' text blocks one after the other, offsets moved by the text before them */
    for (int p = 0; p < N_PARTS; p++) {
        for (size_t b = 0; b < ws[p].n_tblk; b++) {
            ix_textblk t = ws[p].tblk[b];
            t.off += text.len;
            CRED_TRY(cred_buf_put(&textdir, &t, sizeof t));
            meta.n_text_blocks++;
        }
        CRED_TRY(cred_buf_put(&text, ws[p].text.ptr, ws[p].text.len));
    }
    meta.n_docs = n;
    meta.n_terms = e.n_terms;
    meta.n_dict_blocks = e.n_blocks;
    meta.n_sigs = n_x;
    if (!n)
        meta.min_seq = meta.max_seq = 0;
    {
        uint32_t nbk = (uint32_t)e.n_blocks;
        CRED_TRY(cred_buf_put(&dict, &nbk, 4));
        for (size_t i = 0; i < e.n_blocks; i++)
            CRED_TRY(cred_buf_put(&dict, &e.blocks[i], 4));
        CRED_TRY(cred_buf_put(&dict, e.dict.ptr, e.dict.len));
    }
    static const char magic[ST_MAGIC_LEN] = {'C', 'R', 'E', 'D', 'S', 'E', 'G', '\0'};
    st_writer_begin(&sw, magic, IX_SEG_VERSION);
    CRED_TRY(st_writer_add(&sw, IX_SEC_META, &meta, sizeof meta, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_DOCS, docs, n * sizeof *docs, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_LINKS, links, n * sizeof *links, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_IDMAP, idmap, n * sizeof *idmap, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_TEXTDIR, textdir.ptr, textdir.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_TEXT, text.ptr, text.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_DICT, dict.ptr, dict.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_POST, e.post.ptr, e.post.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_POS, e.pos.ptr, e.pos.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_SIGS, xs, n_x * sizeof *xs, ST_CODEC_RAW));
    CRED_TRY(st_writer_finish(&sw));
    phase("tables and file image", &t0);
    *out = sw.b;
    memset(&sw, 0, sizeof sw);
done:
    for (int p = 0; p < N_PARTS; p++)
        worker_free(&ws[p]);
    cred_buf_free(&e.post);
    cred_buf_free(&e.pos);
    cred_buf_free(&e.dict);
    cred_buf_free(&e.tmp);
    cred_buf_free(&e.last);
    free(e.blocks);
    free(e.skip);
    free(e.bp);
    st_writer_free(&sw);
    cred_buf_free(&textdir);
    cred_buf_free(&text);
    cred_buf_free(&dict);
    free(ord);
    free(ids);
    free(sigs);
    free(keys);
    free(lens);
    free(doc_block);
    free(exemplar);
    free(docs);
    free(links);
    free(idmap);
    free(xs);
    return rc;
}
