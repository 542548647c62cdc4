/*
 * Looking a new text up against stored posts (for `credence score --index`): the exemplar signatures
 * of every live segment go into an in-memory band-hash map the first time, then each lookup is one
 * signature, one exact-key probe and 32 band probes.
 */
#include <stdlib.h>

#include "index/index.h"

static void lsh_free(ix_lsh *l)
{
    if (!l)
        return;
    free(l->head);
    free(l->e);
    free(l);
}

void ix_dups_free(cred_corpus *c)
{
    lsh_free(c->lsh);
    c->lsh = NULL;
}

static int build_lsh(cred_corpus *c)
{
    if (c->lsh)
        return 0;
    ix_lsh *l = calloc(1, sizeof *l);
    if (!l)
        return cred__error_nomem();
    for (size_t s = 0; s < c->n_segs; s++) {
        const ix_segment *seg = c->segs[s];
        for (uint64_t i = 0; i < seg->meta.n_sigs; i++) {
            uint32_t d = (uint32_t)seg->sigs[i].doc;
            if (ix_deleted(seg, d))
                continue;
            int rc = ix_lsh_add(l, seg->sigs[i].v, (uint32_t)s, (uint32_t)i);
            if (rc < 0) {
                lsh_free(l);
                return rc;
            }
        }
    }
    c->lsh = l;
    return 0;
}

static bool earlier(int64_t cand, int64_t date)
{
    return cand == CRED_DATE_UNKNOWN || date == CRED_DATE_UNKNOWN || cand <= date;
}

int cred_corpus_find_copy(cred_corpus *c, cred_corpus_post *out, const cred_doc *doc, int64_t date)
{
    int rc = build_lsh(c);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof *out);
    out->post.id = "";
    out->post.text = "";
    out->relation = CRED_DUP_NONE;
    dd_prep prep;
    memset(&prep, 0, sizeof prep);
    uint64_t *sh = NULL;
    size_t cap = 0;
    dd_sig sig;
    if ((rc = cred_dedup__prep_doc(&prep, doc)) < 0)
        goto done;
    long nh = cred_dedup__shingle_chars(&sh, &cap, prep.text.ptr, prep.text.len);
    if (nh < 0) {
        rc = (int)nh;
        goto done;
    }
    cred_dedup__sign(&sig, sh, (size_t)nh);
    uint64_t key = cred_dedup__key(prep.text.ptr, prep.text.len).lo;
    double best = 0;
    int best_rel = CRED_DUP_NONE;
    uint32_t best_seg = 0, best_doc = 0;
    const ix_lsh *l = c->lsh;
    for (unsigned b = 0; b < IX_LSH_BANDS && l->cap; b++) {
        uint64_t bk = ix_band_key(sig.v, b);
        unsigned walked = 0;
        for (uint32_t e = l->head[(size_t)bk & (l->cap - 1)]; e != UINT32_MAX && walked < 256; e = l->e[e].next, walked++) {
            const ix_lsh_ent *le = &l->e[e];
            if (le->band != bk)
                continue;
            const ix_segment *seg = c->segs[le->seg];
            const ix_sig *s = &seg->sigs[le->doc];
            const ix_doc *d = &seg->docs[s->doc];
            if (!earlier(d->date, date))
                continue;
            bool exact = s->key == key;
            double est = exact ? 1.0 : cred_dedup__estimate((const dd_sig *)s->v, &sig);
            int rel = exact ? CRED_DUP_EXACT : CRED_DUP_NEAR;
            if ((exact && best_rel != CRED_DUP_EXACT) || (est >= c->opts.threshold && est > best && rel >= best_rel)) {
                best = est;
                best_rel = rel;
                best_seg = le->seg;
                best_doc = (uint32_t)s->doc;
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
    cred_dedup__prep_free(&prep);
    free(sh);
    return rc;
}
