/*
 * Near-duplicate lookups against the stored posts, segment by segment: each segment's exemplar
 * signatures go into a band-hash map of its own the first time it is probed (a small segment, such as
 * the log's, is scanned instead), so adding a segment never rebuilds the tables of the others.
 *   cred_corpus_find_copy()  one text against every segment (`credence score --index`, the service);
 *   ix_dups_link()           new log records against every segment and each other, before they are
 *                            built into a segment of their own (the corpus then builds with no older
 *                            segments, which would cost a table over the whole corpus per commit).
 */
#include <stdlib.h>

#include "index/index.h"

#define ROWS (DD_K / IX_LSH_BANDS)
#define SMALL_SIGS 256      /* segments with fewer exemplars are scanned */
#define MAX_CANDS 64        /* candidates looked at per segment and signature */

static void lsh_free(ix_lsh *l)
{
    if (!l)
        return;
    free(l->head);
    free(l->e);
    free(l);
}

void ix_dups_forget(cred_corpus *c, size_t i)
{
    if (i < c->seg_lsh_len) {
        lsh_free(c->seg_lsh[i]);
        c->seg_lsh[i] = NULL;
        free(c->seg_src[i]);
        c->seg_src[i] = NULL;
    }
}

void ix_dups_free(cred_corpus *c)
{
    for (size_t i = 0; i < c->seg_lsh_len; i++) {
        lsh_free(c->seg_lsh[i]);
        free(c->seg_src[i]);
    }
    free(c->seg_lsh);
    free(c->seg_src);
    c->seg_lsh = NULL;
    c->seg_src = NULL;
    c->seg_lsh_len = 0;
}

/* Room for the per-segment tables of every segment. */
static int seg_slots(cred_corpus *c)
{
    if (c->seg_lsh_len >= c->n_segs)
        return 0;
    ix_lsh **v = realloc(c->seg_lsh, c->n_segs * sizeof *v);
    if (!v)
        return cred__error_nomem();
    c->seg_lsh = v;
    uint32_t **w = realloc(c->seg_src, c->n_segs * sizeof *w);
    if (!w)
        return cred__error_nomem();
    c->seg_src = w;
    for (size_t i = c->seg_lsh_len; i < c->n_segs; i++) {
        v[i] = NULL;
        w[i] = NULL;
    }
    c->seg_lsh_len = c->n_segs;
    return 0;
}

/* The table of segment s (*out NULL when it is small enough to scan). */
static int seg_table(cred_corpus *c, size_t s, const ix_lsh **out)
{
    const ix_segment *seg = c->segs[s];
    *out = NULL;
    if (seg->meta.n_sigs < SMALL_SIGS)
        return 0;
    int rc = seg_slots(c);
    if (rc < 0)
        return rc;
    if (!c->seg_lsh[s]) {
        ix_lsh *l = calloc(1, sizeof *l);
        if (!l)
            return cred__error_nomem();
        /* every exemplar, replaced ones too (deletions are checked when probing: they change) */
        for (uint64_t i = 0; i < seg->meta.n_sigs; i++) {
            rc = ix_lsh_add(l, seg->sigs[i].v, 0, (uint32_t)i);
            if (rc < 0) {
                lsh_free(l);
                return rc;
            }
        }
        c->seg_lsh[s] = l;
    }
    *out = c->seg_lsh[s];
    return 0;
}

/* Signatures to probe: vector i at v + i * stride; a table over them, or NULL to scan. */
typedef struct sig_view {
    const uint8_t *v;
    size_t stride, n;
    const ix_lsh *l;
} sig_view;

static bool shares_band(const uint8_t *a, const uint8_t *b)
{
    for (unsigned k = 0; k < IX_LSH_BANDS; k++)
        if (memcmp(a + k * ROWS, b + k * ROWS, ROWS) == 0)
            return true;
    return false;
}

/*
 * Signatures of the view sharing a band with q (band keys bks), newest first, each once, at most cap:
 * through the table (per band at most per_band entries of that band, and 256 chain entries), or by a
 * scan. Returns how many.
 */
static size_t candidates(const sig_view *sv, const uint8_t *q, const uint64_t *bks, unsigned per_band,
                         uint32_t *out, size_t cap)
{
    size_t n = 0;
    if (!sv->l) {
        for (size_t i = sv->n; i-- > 0 && n < cap;)
            if (shares_band(sv->v + i * sv->stride, q))
                out[n++] = (uint32_t)i;
        return n;
    }
    const ix_lsh *l = sv->l;
    for (unsigned b = 0; b < IX_LSH_BANDS && n < cap && l->cap; b++) {
        unsigned walked = 0, matched = 0;
        for (uint32_t e = l->head[(size_t)bks[b] & (l->cap - 1)]; e != UINT32_MAX && walked < 256 && matched < per_band && n < cap;
             e = l->e[e].next, walked++) {
            if (l->e[e].band != bks[b])
                continue;
            matched++;
            uint32_t d = l->e[e].doc;
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = out[k] == d;
            if (!seen)
                out[n++] = d;
        }
    }
    return n;
}

static bool earlier(int64_t cand, int64_t date)
{
    return cand == CRED_DATE_UNKNOWN || date == CRED_DATE_UNKNOWN || cand <= date;
}

static void band_keys(uint64_t *bks, const uint8_t *v)
{
    for (unsigned b = 0; b < IX_LSH_BANDS; b++)
        bks[b] = ix_band_key(v, b);
}

static int seg_view(cred_corpus *c, size_t s, sig_view *sv)
{
    const ix_segment *seg = c->segs[s];
    sv->v = seg->sigs ? seg->sigs[0].v : NULL;
    sv->stride = sizeof(ix_sig);
    sv->n = seg->sigs ? (size_t)seg->meta.n_sigs : 0;
    return seg_table(c, s, &sv->l);
}

/* Signature and exact key of a text as the builder makes them. */
typedef struct signer {
    dd_prep prep;
} signer;

static int sign_doc(signer *g, const cred_doc *doc, dd_sig *sig, uint64_t *key)
{
    int rc = cred_dedup__prep_doc(&g->prep, doc);
    if (rc < 0)
        return rc;
    cred_dedup__sign_chars(sig, g->prep.text.ptr, g->prep.text.len);
    *key = cred_dedup__key(g->prep.text.ptr, g->prep.text.len).lo;
    return 0;
}

static void signer_free(signer *g)
{
    cred_dedup__prep_free(&g->prep);
}

int cred_corpus_find_copy(cred_corpus *c, cred_corpus_post *out, const cred_doc *doc, int64_t date)
{
    memset(out, 0, sizeof *out);
    out->post.id = "";
    out->post.text = "";
    out->relation = CRED_DUP_NONE;
    signer g;
    memset(&g, 0, sizeof g);
    dd_sig sig;
    uint64_t key, bks[IX_LSH_BANDS];
    uint32_t cand[MAX_CANDS * 4];
    int rc = sign_doc(&g, doc, &sig, &key);
    if (rc < 0)
        goto done;
    band_keys(bks, sig.v);
    double best = 0;
    int best_rel = CRED_DUP_NONE;
    uint32_t best_seg = 0, best_doc = 0;
    for (size_t si = 0; si < c->n_segs; si++) {
        const ix_segment *seg = c->segs[si];
        sig_view sv;
        if ((rc = seg_view(c, si, &sv)) < 0)
            goto done;
        size_t n = candidates(&sv, sig.v, bks, 256, cand, CRED_ARRAY_LEN(cand));
        for (size_t k = 0; k < n; k++) {
            const ix_sig *s = &seg->sigs[cand[k]];
            uint32_t d = (uint32_t)s->doc;
            if (ix_deleted(seg, d) || !earlier(seg->docs[d].date, date))
                continue;
            bool exact = s->key == key;
            double est = exact ? 1.0 : cred_dedup__estimate((const dd_sig *)s->v, &sig);
            int rel = exact ? CRED_DUP_EXACT : CRED_DUP_NEAR;
            if ((exact && best_rel != CRED_DUP_EXACT) || (est >= c->opts.threshold && est > best && rel >= best_rel)) {
                best = est;
                best_rel = rel;
                best_seg = (uint32_t)si;
                best_doc = d;
            }
        }
    }
    if (best_rel != CRED_DUP_NONE) {
        ix_record r;
        if ((rc = ix_segment_record(c->segs[best_seg], &r, best_doc)) < 0)
            goto done;
        cred_buf_clear(&c->strs);
        if ((rc = ix_post_from(c, out, &r)) < 0)
            goto done;
        out->relation = (cred_dup_relation)best_rel;
        out->similarity = best;
    }
done:
    signer_free(&g);
    return rc;
}

/* ---- linking new records ------------------------------------------------------------------------- */

typedef struct lk_ord {
    int64_t date;
    uint64_t seq;
    size_t i;
} lk_ord;

static int ord_cmp(const void *a, const void *b)
{
    const lk_ord *x = a, *y = b;
    return ix_order_cmp(x->date, x->seq, y->date, y->seq);
}

int ix_dups_link(cred_corpus *c, ix_record *recs, size_t n, size_t n_older)
{
    int rc = 0;
    signer g;
    memset(&g, 0, sizeof g);
    lk_ord *ord = malloc((n ? n : 1) * sizeof *ord);
    dd_sig *bsig = malloc((n ? n : 1) * sizeof *bsig); /* the batch's exemplars so far */
    uint64_t *bkey = malloc((n ? n : 1) * sizeof *bkey);
    size_t *brec = malloc((n ? n : 1) * sizeof *brec);
    size_t nb = 0;
    ix_lsh bl;
    memset(&bl, 0, sizeof bl);
    uint32_t cand[MAX_CANDS];
    CRED_TRY_ALLOC(ord);
    CRED_TRY_ALLOC(bsig);
    CRED_TRY_ALLOC(bkey);
    CRED_TRY_ALLOC(brec);
    if (!c->qt)
        CRED_TRY(cred_text_new(&c->qt, NULL));
    for (size_t i = 0; i < n; i++)
        ord[i] = (lk_ord){recs[i].date, recs[i].seq, i};
    qsort(ord, n, sizeof *ord, ord_cmp);
    for (size_t oi = 0; oi < n; oi++) {
        ix_record *r = &recs[ord[oi].i];
        char hint[16];
        const char *lang_hint = NULL;
        if (r->lang && r->lang_len > 0 && r->lang_len < sizeof hint) {
            memcpy(hint, r->lang, r->lang_len);
            hint[r->lang_len] = '\0';
            lang_hint = hint;
        }
        const cred_doc *doc;
        dd_sig sig;
        uint64_t key, bks[IX_LSH_BANDS];
        CRED_TRY(cred_text_analyse(c->qt, &doc, r->text, r->text_len, lang_hint));
        CRED_TRY(sign_doc(&g, doc, &sig, &key));
        band_keys(bks, sig.v);
        if (!r->linked) {
            r->relation = CRED_DUP_NONE;
            r->similarity = 0;
            r->parent = IX_NO_SEQ;
            r->origin = r->seq;
            /* sources newest first: the batch, then the segments from the newest */
            uint64_t ex_seq = IX_NO_SEQ, ex_origin = 0;
            double best = 0;
            uint64_t near_seq = 0, near_origin = 0;
            for (size_t src = 0; src <= n_older; src++) {
                sig_view sv;
                const ix_segment *seg = NULL;
                if (src == 0) {
                    sv = (sig_view){bsig[0].v, sizeof *bsig, nb, nb >= SMALL_SIGS ? &bl : NULL};
                } else {
                    size_t si = n_older - src;
                    seg = c->segs[si];
                    CRED_TRY(seg_view(c, si, &sv));
                }
                size_t m = candidates(&sv, sig.v, bks, 8, cand, MAX_CANDS);
                for (size_t k = 0; k < m; k++) {
                    uint64_t cseq, corigin, ckey;
                    int64_t cdate;
                    const uint8_t *cv;
                    if (!seg) {
                        const ix_record *b = &recs[brec[cand[k]]];
                        cseq = b->seq, corigin = b->origin, cdate = b->date;
                        ckey = bkey[cand[k]], cv = bsig[cand[k]].v;
                    } else {
                        const ix_sig *s = &seg->sigs[cand[k]];
                        uint32_t d = (uint32_t)s->doc;
                        if (ix_deleted(seg, d))
                            continue;
                        cseq = seg->links[d].seq, corigin = seg->links[d].origin, cdate = seg->docs[d].date;
                        ckey = s->key, cv = s->v;
                    }
                    if (!earlier(cdate, r->date))
                        continue;
                    if (ckey == key) {
                        if (ex_seq == IX_NO_SEQ || cseq < ex_seq)
                            ex_seq = cseq, ex_origin = corigin; /* the earliest stored exact copy */
                        continue;
                    }
                    if (ex_seq != IX_NO_SEQ)
                        continue;
                    double est = cred_dedup__estimate((const dd_sig *)cv, &sig);
                    if (est >= c->opts.threshold && est > best)
                        best = est, near_seq = cseq, near_origin = corigin;
                }
            }
            if (ex_seq != IX_NO_SEQ) {
                r->relation = CRED_DUP_EXACT;
                r->similarity = 1;
                r->parent = ex_seq;
                r->origin = ex_origin;
            } else if (best > 0) {
                r->relation = CRED_DUP_NEAR;
                r->similarity = (float)best;
                r->parent = near_seq;
                r->origin = near_origin;
            }
            r->linked = true;
        }
        if (ix_is_exemplar(r)) {
            bsig[nb] = sig;
            bkey[nb] = key;
            brec[nb] = ord[oi].i;
            if (nb + 1 == SMALL_SIGS) /* from now on through a table */
                for (size_t k = 0; k <= nb; k++)
                    CRED_TRY(ix_lsh_add(&bl, bsig[k].v, 0, (uint32_t)k));
            else if (nb + 1 > SMALL_SIGS)
                CRED_TRY(ix_lsh_add(&bl, sig.v, 0, (uint32_t)nb));
            nb++;
        }
    }
done:
    signer_free(&g);
    free(ord);
    free(bsig);
    free(bkey);
    free(brec);
    free(bl.head);
    free(bl.e);
    return rc;
}

/* ---- clusters ------------------------------------------------------------------------------------ */

typedef struct cl_member {
    int64_t date;
    uint64_t seq;
    uint32_t seg, doc;
} cl_member;

static int member_cmp(const void *a, const void *b)
{
    const cl_member *x = a, *y = b;
    return ix_order_cmp(x->date, x->seq, y->date, y->seq);
}

/* A set of 64-bit hashes (distinct sources), open addressing; 0 stands for itself via a flag. */
typedef struct hset {
    uint64_t *v;
    size_t cap, n;
    bool zero;
} hset;

static int hset_add(hset *h, uint64_t x)
{
    if (x == 0) {
        h->n += !h->zero;
        h->zero = true;
        return 0;
    }
    if ((h->n + 1) * 2 > h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        uint64_t *v = calloc(cap, sizeof *v);
        if (!v)
            return cred__error_nomem();
        for (size_t i = 0; i < h->cap; i++)
            if (h->v[i])
                for (size_t k = (size_t)dd_mix64(h->v[i]) & (cap - 1);; k = (k + 1) & (cap - 1))
                    if (!v[k]) {
                        v[k] = h->v[i];
                        break;
                    }
        free(h->v);
        h->v = v;
        h->cap = cap;
    }
    for (size_t k = (size_t)dd_mix64(x) & (h->cap - 1);; k = (k + 1) & (h->cap - 1)) {
        if (h->v[k] == x)
            return 0;
        if (!h->v[k]) {
            h->v[k] = x;
            h->n++;
            return 0;
        }
    }
}

int cred_corpus_cluster(cred_corpus *c, cred_corpus_cluster_info *out, const char *id, size_t max_members)
{
    memset(out, 0, sizeof *out);
    out->origin_id = "";
    out->first_seen = out->last_seen = CRED_DATE_UNKNOWN;
    size_t si;
    uint32_t d;
    if (!id || !ix_find_id(c, id, strlen(id), &si, &d))
        return cred__error(CRED_ENOTFOUND, "no post with id %s", id ? id : "(null)");
    uint64_t origin = c->segs[si]->links[d].origin;
    int rc = 0;
    cred_buf term = CRED_BUF_INIT;
    cl_member *m = NULL;
    size_t n = 0, cap = 0;
    hset srcs;
    memset(&srcs, 0, sizeof srcs);
    char num[32];
    int len = snprintf(num, sizeof num, "%llu", (unsigned long long)origin);
    CRED_TRY(ix_field_term(&term, 'c', num, (size_t)len));
    for (size_t s = 0; s < c->n_segs; s++) {
        ix_segment *seg = c->segs[s];
        ix_term t;
        int found = ix_segment_term(seg, &t, term.ptr, term.len);
        if (found < 0) {
            rc = found;
            goto done;
        }
        if (!found)
            continue;
        if ((rc = seg_slots(c)) < 0)
            goto done;
        if (!c->seg_src[s] && !(c->seg_src[s] = calloc((size_t)seg->meta.n_docs + 1, sizeof **c->seg_src))) {
            rc = cred__error_nomem();
            goto done;
        }
        ix_cursor cur;
        ix_cursor_init(&cur, seg, &t);
        for (uint32_t doc = cur.doc; doc != IX_END && !cur.corrupt; doc = ix_cursor_next(&cur)) {
            if (doc >= seg->meta.n_docs || ix_deleted(seg, doc) || seg->links[doc].origin != origin)
                continue;
            uint32_t *sh = c->seg_src[s];
            if (!sh[doc]) { /* the record, once per doc and handle */
                ix_record r;
                if ((rc = ix_segment_record(seg, &r, doc)) < 0)
                    break;
                uint32_t h = 1; /* no source */
                if (r.source_len && (h = (uint32_t)cred_hash64(r.source, r.source_len, 0x50c)) < 2)
                    h += 2;
                sh[doc] = h;
            }
            if (sh[doc] != 1 && (rc = hset_add(&srcs, sh[doc])) < 0)
                break;
            int64_t date = seg->docs[doc].date;
            if (date != CRED_DATE_UNKNOWN) {
                if (out->first_seen == CRED_DATE_UNKNOWN || date < out->first_seen)
                    out->first_seen = date;
                if (out->last_seen == CRED_DATE_UNKNOWN || date > out->last_seen)
                    out->last_seen = date;
            }
            out->size++;
            if (max_members) {
                if (CRED_GROW(m, cap, n + 1) < 0) {
                    rc = CRED_ENOMEM;
                    break;
                }
                m[n++] = (cl_member){date, seg->links[doc].seq, (uint32_t)s, doc};
            }
        }
        bool bad = cur.corrupt;
        ix_cursor_free(&cur);
        if (rc < 0)
            goto done;
        if (bad) {
            rc = cred__error(CRED_ECORRUPT, "%s: corrupt postings of a cluster term", seg->name);
            goto done;
        }
    }
    out->sources = srcs.n;
    out->origin_seq = origin;
    /* ids: offsets into c->strs first (the buffer moves), pointers at the end */
    cred_buf_clear(&c->strs);
    size_t origin_off = SIZE_MAX;
    size_t os;
    uint32_t od;
    if (ix_find_seq(c, origin, &os, &od)) {
        ix_record r;
        CRED_TRY(ix_segment_record(c->segs[os], &r, od));
        origin_off = c->strs.len;
        if (cred_buf_put(&c->strs, r.id, r.id_len) < 0 || cred_buf_putc(&c->strs, '\0') < 0)
            CRED_TRY(cred__error_nomem());
    }
    if (max_members && n) {
        qsort(m, n, sizeof *m, member_cmp);
        size_t k = n < max_members ? n : max_members;
        if (k > c->members_cap) {
            const char **v = realloc(c->members, k * sizeof *v);
            CRED_TRY_ALLOC(v);
            c->members = v;
            c->members_cap = k;
        }
        for (size_t i = 0; i < k; i++) {
            ix_record r;
            CRED_TRY(ix_segment_record(c->segs[m[i].seg], &r, m[i].doc));
            c->members[i] = (const char *)(uintptr_t)c->strs.len;
            if (cred_buf_put(&c->strs, r.id, r.id_len) < 0 || cred_buf_putc(&c->strs, '\0') < 0)
                CRED_TRY(cred__error_nomem());
        }
        for (size_t i = 0; i < k; i++)
            c->members[i] = c->strs.ptr + (uintptr_t)c->members[i];
        out->members = c->members;
        out->n_members = k;
    }
    if (origin_off != SIZE_MAX)
        out->origin_id = c->strs.ptr + origin_off;
done:
    cred_buf_free(&term);
    free(m);
    free(srcs.v);
    return rc;
}
