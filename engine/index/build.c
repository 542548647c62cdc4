/*
 * Building a segment: records are ordered by (date, seq) (older versions of an id in the same batch
 * dropped), split in two halves analysed on two threads (each with its own cred_text, term table,
 * postings and text blocks) while the calling thread links them for near-duplicates in order, right
 * behind the analysis; then the two term tables are merged into one sorted dictionary with block
 * postings, the terms in two ranges of about equal postings encoded on two threads and joined. The
 * partitions are fixed (two halves, a split at a dictionary block), so the bytes do not depend on the
 * number of threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>
#include <zstd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

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

/* How far the analysis threads are: linking (in the calling thread) follows them doc by doc. */
typedef struct progress {
    pthread_mutex_t m;
    pthread_cond_t cv;
    size_t from[N_PARTS], to[N_PARTS], done[N_PARTS]; /* part p has analysed [from, from + done) */
    bool failed;
} progress;

typedef struct worker {
    progress *pr;
    int part;
    ix_record *const *recs; /* the batch in final order */
    size_t from, to;
    cred_text *t;
    dd_prep prep;
    dd_sig *sigs;           /* global arrays, written for [from, to) */
    uint64_t *keys;
    uint32_t *lens;
    wterm *terms;
    size_t n_terms, cap_terms;
    uint64_t *table;        /* slots: SLOT_TAG(hash) | term index + 1 */
    uint64_t *th;           /* per token of the doc: hash of its stem, of its surface term */
    size_t cap_th;
    size_t table_cap;
    cred_buf kbuf;          /* term bytes */
    uint32_t *touched;
    size_t n_touched, cap_touched;
    uint32_t *sorted;       /* term indices by key */
    cred_buf text, blk;     /* compressed text blocks, current raw block */
    ZSTD_CCtx *zc;          /* reused from block to block (the same bytes as ZSTD_compress) */
    ix_textblk *tblk;
    size_t n_tblk, cap_tblk;
    uint32_t *doc_block;    /* global array: text block of each doc (local index into tblk) */
    cred_buf scratch, rec;
    cred_buf toks;          /* term index of each stem token, doc after doc (lens[gd] a doc): pairs */
    uint32_t last_ti;       /* term index of the last occur() */
    int rc;
} worker;

/* The term table's hash (placement only: term indices follow first occurrence, whatever the hash);
   never 0. */
static inline uint64_t term_hash(const char *k, size_t len)
{
    /* XXH3_64bits(), its short-key path inlined (most terms are short words) */
    uint64_t h = len <= 16 ? XXH3_len_0to16_64b((const xxh_u8 *)k, len, XXH3_kSecret, 0) : XXH3_64bits(k, len);
    return h | 1;
}

/* a[0..len) == b[0..len), inline for short keys (loads stay inside both ranges) */
static inline bool same_bytes(const char *a, const char *b, size_t len)
{
    if (len >= 8 && len <= 16) {
        uint64_t x0, x1, y0, y1;
        memcpy(&x0, a, 8);
        memcpy(&y0, b, 8);
        memcpy(&x1, a + len - 8, 8);
        memcpy(&y1, b + len - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (len >= 4 && len < 8) {
        uint32_t x0, x1, y0, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + len - 4, 4);
        memcpy(&y1, b + len - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (len < 4) {
        for (size_t i = 0; i < len; i++)
            if (a[i] != b[i])
                return false;
        return true;
    }
    return memcmp(a, b, len) == 0;
}

/* A table slot: term index + 1 in the low half (0: empty), the key hash's high half above, so that a
   probe reads a term only when its hash matches. */
#define SLOT_TAG(h) ((h) & 0xffffffff00000000ULL)

static int table_grow(worker *w)
{
    size_t cap = w->table_cap ? w->table_cap * 2 : 1u << 12;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t)
        return cred__error_nomem();
    for (size_t i = 0; i < w->n_terms; i++) {
        const wterm *e = &w->terms[i];
        uint64_t hh = term_hash(w->kbuf.ptr + e->koff, e->klen);
        size_t h = (size_t)hh & (cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = SLOT_TAG(hh) | ((uint64_t)i + 1);
    }
    free(w->table);
    w->table = t;
    w->table_cap = cap;
    return 0;
}

/* Find or add a term of hash hh; returns its index or a negative code. */
static long term_get_h(worker *w, const char *k, size_t len, uint64_t hh)
{
    if (CRED_UNLIKELY((w->n_terms + 1) * 2 > w->table_cap) && table_grow(w) < 0)
        return CRED_ENOMEM;
    size_t mask = w->table_cap - 1, h = (size_t)hh & mask;
    uint64_t tag = SLOT_TAG(hh);
    for (;;) {
        uint64_t v = w->table[h];
        if (!v)
            break;
        if ((v & 0xffffffff00000000ULL) == tag) {
            const wterm *e = &w->terms[(uint32_t)v - 1];
            if (e->klen == len && same_bytes(w->kbuf.ptr + e->koff, k, len))
                return (long)((uint32_t)v - 1);
        }
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
    w->table[h] = tag | (uint64_t)++w->n_terms;
    return (long)(w->n_terms - 1);
}

/* Warm the cache for a coming lookup of hash hh: its slot, and the term there when the tag matches. */
static inline void term_prefetch(const worker *w, uint64_t hh)
{
    if (!w->table_cap)
        return;
    uint64_t v = w->table[(size_t)hh & (w->table_cap - 1)];
    if (v && (v & 0xffffffff00000000ULL) == SLOT_TAG(hh)) {
        const wterm *e = &w->terms[(uint32_t)v - 1];
        __builtin_prefetch(e);
        if (e->pos.ptr)
            __builtin_prefetch(e->pos.ptr + e->pos.len, 1);
    }
}

/* ix_put_varint without a call when the buffer has room (it usually has). */
static inline int put_varint(cred_buf *b, uint64_t v)
{
    if (CRED_LIKELY(b->cap - b->len > 10)) {
        uint8_t *q = (uint8_t *)b->ptr + b->len;
        while (v >= 0x80) {
            *q++ = (uint8_t)(v | 0x80);
            v >>= 7;
        }
        *q++ = (uint8_t)v;
        b->len = (size_t)(q - (uint8_t *)b->ptr);
        return 0;
    }
    return ix_put_varint(b, v);
}

/* One occurrence of term k (hash hh) in local doc d, at position pos (UINT32_MAX: no positions). */
static int occur_h(worker *w, const char *k, size_t len, uint64_t hh, uint32_t d, uint32_t pos)
{
    long ti = term_get_h(w, k, len, hh);
    if (ti < 0)
        return (int)ti;
    wterm *e = &w->terms[ti];
    w->last_ti = (uint32_t)ti;
    if (e->last_doc != (int64_t)d) {
        if (CRED_UNLIKELY(w->n_touched >= w->cap_touched) &&
            CRED_GROW(w->touched, w->cap_touched, w->n_touched + 1) < 0)
            return CRED_ENOMEM;
        w->touched[w->n_touched++] = (uint32_t)ti;
        e->last_doc = d;
        e->cur_tf = 0;
        e->last_pos = 0;
    }
    if (pos != UINT32_MAX) {
        if (put_varint(&e->pos, e->cur_tf ? pos - e->last_pos : pos) < 0)
            return CRED_ENOMEM;
        e->last_pos = pos;
    }
    e->cur_tf++;
    return 0;
}

static int occur(worker *w, const char *k, size_t len, uint32_t d, uint32_t pos)
{
    return occur_h(w, k, len, term_hash(k, len), d, pos);
}

static int end_doc(worker *w, uint32_t d, uint32_t len)
{
    for (size_t i = 0; i < w->n_touched; i++) {
        wterm *e = &w->terms[w->touched[i]];
        uint64_t delta = (uint64_t)((int64_t)d - e->prev_doc - 1);
        if (put_varint(&e->docs, delta << 1 | (e->cur_tf == 1)) < 0 ||
            (e->cur_tf != 1 && put_varint(&e->docs, e->cur_tf) < 0))
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
    if (!w->zc && !(w->zc = ZSTD_createCCtx()))
        return cred__error_nomem();
    size_t bound = ZSTD_compressBound(w->blk.len);
    if (cred_buf_reserve(&w->text, bound) < 0)
        return CRED_ENOMEM;
    size_t zn = ZSTD_compressCCtx(w->zc, w->text.ptr + w->text.len, bound, w->blk.ptr, w->blk.len, 3);
    if (ZSTD_isError(zn))
        return cred__error(CRED_ERROR, "zstd: %s", ZSTD_getErrorName(zn));
    w->text.len += zn;
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
    /* the hashes of every term of the doc first, with their slots and terms fetched ahead, then the
       occurrences in order; a surface term (IX_NS_SURFACE + surface) only where the stem differs */
    if (CRED_GROW(w->th, w->cap_th, 2 * doc->n_tokens + 2) < 0 ||
        cred_buf_reserve(&w->toks, doc->n_tokens * sizeof w->last_ti) < 0 ||
        cred_buf_reserve(&w->scratch, doc->norm_len + 2) < 0)
        return CRED_ENOMEM;
    uint64_t *th = w->th;
    for (size_t i = 0; i < doc->n_tokens; i++) {
        const cred_token *t = &doc->tokens[i];
        if (t->kind == CRED_TOK_EMOJI)
            continue;
        th[2 * i] = term_hash(t->stem, t->stem_len);
        term_prefetch(w, th[2 * i]);
        const char *surf = doc->norm + t->start;
        if (t->len != t->stem_len || !same_bytes(surf, t->stem, t->len)) {
            w->scratch.ptr[0] = IX_NS_SURFACE;
            memcpy(w->scratch.ptr + 1, surf, t->len);
            th[2 * i + 1] = term_hash(w->scratch.ptr, t->len + 1);
            term_prefetch(w, th[2 * i + 1]);
        } else {
            th[2 * i + 1] = 0;
        }
    }
    uint32_t pos = 0;
    for (size_t i = 0; i < doc->n_tokens; i++) {
        const cred_token *t = &doc->tokens[i];
        if (t->kind == CRED_TOK_EMOJI)
            continue;
        if ((rc = occur_h(w, t->stem, t->stem_len, th[2 * i], d, pos)) < 0)
            return rc;
        memcpy(w->toks.ptr + w->toks.len, &w->last_ti, sizeof w->last_ti);
        w->toks.len += sizeof w->last_ti;
        const char *surf = doc->norm + t->start;
        if (th[2 * i + 1] != 0) {
            w->scratch.ptr[0] = IX_NS_SURFACE;
            memcpy(w->scratch.ptr + 1, surf, t->len);
            if ((rc = occur_h(w, w->scratch.ptr, t->len + 1, th[2 * i + 1], d, UINT32_MAX)) < 0)
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
    cred_dedup__sign_chars(&w->sigs[gd], w->prep.text.ptr, w->prep.text.len);
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

static void report_progress(worker *w, size_t done, bool failed)
{
    progress *pr = w->pr;
    pthread_mutex_lock(&pr->m);
    pr->done[w->part] = done;
    pr->failed |= failed;
    pthread_cond_broadcast(&pr->cv);
    pthread_mutex_unlock(&pr->m);
}

static void *worker_run(void *arg)
{
    worker *w = arg;
    int rc = 0;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    uint32_t blk_first = 0, blk_n = 0;
    for (size_t gd = w->from; gd < w->to; gd++) {
        if (((gd - w->from) & 1023) == 0 && gd > w->from)
            report_progress(w, gd - w->from, false);
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
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    if (getenv("CRED_INDEX_TIMING"))
        fprintf(stderr, "index build: analysis part %d (thread) cpu %.3f s\n", w->part,
                (double)(c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9);
    w->rc = rc;
    report_progress(w, w->to - w->from, rc < 0);
    return NULL;
}

/* Wait until doc i has been analysed; false when an analysis thread failed. */
static bool wait_analysed(progress *pr, size_t i, size_t *ready)
{
    if (i < *ready)
        return true;
    bool ok = true;
    pthread_mutex_lock(&pr->m);
    for (;;) {
        if (pr->failed) {
            ok = false;
            break;
        }
        /* docs are ready up to the first part that is not finished */
        size_t r = 0;
        for (int p = 0; p < N_PARTS; p++) {
            r = pr->from[p] + pr->done[p];
            if (r < pr->to[p])
                break;
        }
        *ready = r;
        if (i < r)
            break;
        pthread_cond_wait(&pr->cv, &pr->m);
    }
    pthread_mutex_unlock(&pr->m);
    return ok;
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
    ZSTD_freeCCtx(w->zc);
    cred_dedup__prep_free(&w->prep);
    for (size_t i = 0; i < w->n_terms; i++) {
        cred_buf_free(&w->terms[i].docs);
        cred_buf_free(&w->terms[i].pos);
    }
    free(w->terms);
    free(w->table);
    free(w->th);
    free(w->touched);
    free(w->sorted);
    free(w->tblk);
    cred_buf_free(&w->kbuf);
    cred_buf_free(&w->text);
    cred_buf_free(&w->blk);
    cred_buf_free(&w->scratch);
    cred_buf_free(&w->rec);
    cred_buf_free(&w->toks);
}

/* ---- ordering and linking ---------------------------------------------------------------------- */

static int rec_order(const void *a, const void *b)
{
    const ix_record *x = *(ix_record *const *)a, *y = *(ix_record *const *)b;
    return ix_order_cmp(x->date, x->seq, y->date, y->seq);
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

/* Sort n records of `size` bytes that start with a uint64_t hash by (hash, the uint64_t after it), as
   qsort with idh_cmp does: a stable radix sort on the hash (8 passes of 8 bits, through tmp), then the
   runs of equal hashes (duplicate ids: short) by the second key. */
static int sort_by_hash(void *base, size_t n, size_t size)
{
    if (n < 4096) {
        qsort(base, n, size, idh_cmp);
        return 0;
    }
    uint8_t *tmp = malloc(n * size);
    size_t *cnt = malloc(8 * 256 * sizeof *cnt);
    if (!tmp || !cnt) {
        free(tmp);
        free(cnt);
        return cred__error_nomem();
    }
    memset(cnt, 0, 8 * 256 * sizeof *cnt);
    uint8_t *a = base, *b = tmp;
    for (size_t i = 0; i < n; i++) {
        uint64_t h;
        memcpy(&h, a + i * size, 8);
        for (unsigned d = 0; d < 8; d++)
            cnt[d * 256 + ((h >> (8 * d)) & 255)]++;
    }
    for (unsigned d = 0; d < 8; d++) {
        size_t *c = cnt + d * 256;
        bool one = false; /* every key has the same digit here: the pass would move nothing */
        for (unsigned v = 0; v < 256 && !one; v++)
            one = c[v] == n;
        if (one)
            continue;
        size_t sum = 0;
        for (unsigned v = 0; v < 256; v++) {
            size_t k = c[v];
            c[v] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t h;
            memcpy(&h, a + i * size, 8);
            memcpy(b + c[(h >> (8 * d)) & 255]++ * size, a + i * size, size);
        }
        uint8_t *t = a;
        a = b;
        b = t;
    }
    if (a != base)
        memcpy(base, a, n * size);
    free(tmp);
    free(cnt);
    uint8_t *p = base;
    for (size_t i = 0; i < n;) {
        uint64_t h, h2;
        memcpy(&h, p + i * size, 8);
        size_t j = i + 1;
        while (j < n && (memcpy(&h2, p + j * size, 8), h2 == h))
            j++;
        if (j - i > 1)
            qsort(p + i * size, j - i, size, idh_cmp);
        i = j;
    }
    return 0;
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

/* Make room for the entries of n_sigs more signatures at once (no rehash while they are added). */
static int lsh_reserve(lsh *l, size_t n_sigs)
{
    size_t want = l->n + n_sigs * BANDS, cap = l->cap ? l->cap : 1u << 16;
    while (want * 2 > cap)
        cap *= 2;
    if (cap != l->cap) {
        uint32_t *h = cred__alloc_table(cap * sizeof *h);
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
    if (want > l->cap_e && l->n == 0) {
        free(l->e);
        l->e = cred__alloc_table(want * sizeof *l->e);
        l->cap_e = l->e ? want : 0;
        if (!l->e)
            return cred__error_nomem();
    }
    return CRED_GROW(l->e, l->cap_e, want) < 0 ? CRED_ENOMEM : 0;
}

int ix_lsh_add(lsh *l, const uint8_t *v, uint32_t seg, uint32_t doc)
{
    int rc = lsh_reserve(l, 1);
    if (rc < 0)
        return rc;
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
    /* seq, origin and date of the batch's exemplars (the only candidates), compact for the cache */
    struct binfo {
        uint64_t seq, origin;
        int64_t date;
    } *bi;
    /* exact keys: open addressing of (key, seg, doc) */
    struct kent {
        uint64_t key;
        uint32_t seg, doc; /* seg UINT32_MAX: empty */
    } *kt;                 /* one slot in one cache line */
    size_t kcap, kn;
} link_ctx;

static void key_put(link_ctx *c, uint64_t key, uint32_t seg, uint32_t doc)
{
    size_t m = c->kcap - 1, h = (size_t)dd_mix64(key) & m;
    while (c->kt[h].seg != UINT32_MAX) {
        if (c->kt[h].key == key)
            return; /* keep the earliest */
        h = (h + 1) & m;
    }
    c->kt[h].key = key;
    c->kt[h].seg = seg;
    c->kt[h].doc = doc;
    c->kn++;
}

static bool key_get(const link_ctx *c, uint64_t key, uint32_t *seg, uint32_t *doc)
{
    size_t m = c->kcap - 1, h = (size_t)dd_mix64(key) & m;
    while (c->kt[h].seg != UINT32_MAX) {
        if (c->kt[h].key == key) {
            *seg = c->kt[h].seg;
            *doc = c->kt[h].doc;
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
        *seq = c->bi[doc].seq;
        *origin = c->bi[doc].origin;
        *date = c->bi[doc].date;
    } else {
        const ix_link *l = &c->o->older[seg]->links[doc];
        *seq = l->seq;
        *origin = l->origin;
        *date = c->o->older[seg]->docs[doc].date;
    }
}

static int link_all(ix_record *const *recs, size_t n, const dd_sig *sigs, const uint64_t *keys,
                    const ix_build_opts *o, uint8_t *exemplar, progress *pr)
{
    size_t ready = 0;
    int rc = 0;
    uint64_t *seen = NULL;
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
    c.bi = cred__alloc_table((n ? n : 1) * sizeof *c.bi);
    CRED_TRY_ALLOC(c.bi);
    c.kt = cred__alloc_table(c.kcap * sizeof *c.kt);
    CRED_TRY_ALLOC(c.kt);
    for (size_t i = 0; i < c.kcap; i++)
        c.kt[i].seg = UINT32_MAX;
    /* room for every signature up front: the table never rehashes while posts are linked */
    CRED_TRY(lsh_reserve(&c.l, total));
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
    for (size_t i = 0; i < n; i++) {
        if (!wait_analysed(pr, i, &ready))
            goto done; /* the analysis error is reported by ix_build */
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
                /* the band keys and their buckets first, so that the memory fetches overlap */
                uint64_t bks[BANDS];
                uint32_t first[BANDS];
                for (unsigned b = 0; b < BANDS; b++) {
                    bks[b] = ix_band_key(sigs[i].v, b);
                    __builtin_prefetch(&c.l.head[(size_t)bks[b] & (c.l.cap - 1)]);
                }
                for (unsigned b = 0; b < BANDS; b++) {
                    first[b] = c.l.head[(size_t)bks[b] & (c.l.cap - 1)];
                    if (first[b] != UINT32_MAX)
                        __builtin_prefetch(&c.l.e[first[b]]);
                }
                /* bounded work per post: at most 12 candidates, and none once a close copy (0.75) is found */
                for (unsigned b = 0; b < BANDS && tried <= 12 && best < 0.75; b++) {
                    uint64_t bk = bks[b];
                    unsigned walked = 0;
                    /* newest first; a band shared by a viral template's thousands of posts is only
                       looked at through its 8 most recent entries (entries of other bands that share
                       the bucket do not count, so the result does not depend on the table's size) */
                    for (uint32_t e = first[b]; e != UINT32_MAX && walked < 8; e = c.l.e[e].next) {
                        const lsh_ent *le = &c.l.e[e];
                        if (le->next != UINT32_MAX)
                            __builtin_prefetch(&c.l.e[le->next]); /* the chain, while this one is read */
                        if (le->band != bk)
                            continue;
                        walked++;
                        if (le->seg == o->n_older) {
                            __builtin_prefetch(sigs[le->doc].v);
                            __builtin_prefetch(sigs[le->doc].v + 64);
                            __builtin_prefetch(&c.bi[le->doc]);
                        }
                        /* candidates already looked at for this post: a short list, cheaper than
                           a per-doc stamp array that misses the cache */
                        uint64_t tag = (uint64_t)le->seg << 32 | le->doc;
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
        if (ix_is_exemplar(r)) {
            exemplar[i] = 1;
            c.bi[i].seq = r->seq;
            c.bi[i].origin = r->origin;
            c.bi[i].date = r->date;
            key_put(&c, keys[i], (uint32_t)o->n_older, (uint32_t)i);
            CRED_TRY(ix_lsh_add(&c.l, sigs[i].v, (uint32_t)o->n_older, (uint32_t)i));
        }
    }
done:
    free(seen);
    free(c.bi);
    free(c.kt);
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
    uint32_t bd[IX_BLOCK], bt[IX_BLOCK], bf[IX_BLOCK]; /* gaps - 1, tf - 1, first positions */
    uint8_t bw[IX_BLOCK];    /* bits of each first position: those of its doc's length - 1 */
    uint32_t *bp;
    size_t cap_bp;
    uint64_t n_terms;
    uint64_t gap_bytes, tf_bytes, pos_bytes, n_first, n_gaps, skip_bytes; /* statistics */
    const uint32_t *lens;
    double avgdl;
} enc;

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* nextafterf(f, INFINITY), without the call for finite f >= 0 (every score part) */
static inline float next_up(float f)
{
    if (!(f >= 0) || isinf(f))
        return nextafterf(f, INFINITY);
    uint32_t u;
    memcpy(&u, &f, 4);
    u = f == 0 ? 1 : u + 1;
    memcpy(&f, &u, 4);
    return f;
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
            float f = next_up((float)ix_tf_part((uint32_t)tf, len, e->avgdl));
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
                    if (!ix_get_varint(&pp, pe, &x) || x >= len || (j && x == 0))
                        return cred__error(CRED_ERROR, "index build: bad worker positions");
                    if (j == 0) {
                        e->bf[nblk - 1] = (uint32_t)x;
                        e->bw[nblk - 1] = (uint8_t)ix_bits(len - 1);
                    } else {
                        e->bp[npos++] = (uint32_t)x - 1;
                    }
                }
            }
            if (nblk == IX_BLOCK || k + 1 == df) {
                /* a block: gaps - 1 and tf - 1, each patched frame of reference; positions likewise */
                size_t l0 = e->tmp.len;
                if (ix_pfor_pack(&e->tmp, e->bd, nblk) < 0)
                    return CRED_ENOMEM;
                size_t l1 = e->tmp.len;
                if (ix_pfor_pack(&e->tmp, e->bt, nblk) < 0)
                    return CRED_ENOMEM;
                e->gap_bytes += l1 - l0;
                e->tf_bytes += e->tmp.len - l1;
                size_t l2 = e->pos.len;
                if (has_pos && (ix_pack_widths(&e->pos, e->bf, e->bw, nblk) < 0 ||
                                (npos && ix_pfor_pack(&e->pos, e->bp, npos) < 0)))
                    return CRED_ENOMEM;
                e->pos_bytes += e->pos.len - l2;
                e->n_first += has_pos ? nblk : 0;
                e->n_gaps += npos;
                nblk = npos = 0;
            }
        }
    }
    if (nb > 1 && cred_buf_put(&e->post, e->skip, nb * sizeof *e->skip) < 0)
        return CRED_ENOMEM;
    e->skip_bytes += nb > 1 ? nb * sizeof *e->skip : 0;
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

/* The merged dictionary order: per term, its index in each part (-1 when absent). */
typedef struct mterm {
    long idx[N_PARTS];
} mterm;

static int merge_order(worker *ws, mterm **out, size_t *n_out)
{
    size_t at[N_PARTS] = {0}, cap = 0, n = 0;
    for (int p = 0; p < N_PARTS; p++)
        cap += ws[p].n_terms;
    mterm *m = malloc((cap ? cap : 1) * sizeof *m);
    if (!m)
        return cred__error_nomem();
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
            break;
        for (int p = 0; p < N_PARTS; p++) {
            m[n].idx[p] = -1;
            if (at[p] >= ws[p].n_terms)
                continue;
            const wterm *t = &ws[p].terms[ws[p].sorted[at[p]]];
            if (t->klen == best_len && memcmp(ws[p].kbuf.ptr + t->koff, best, best_len) == 0)
                m[n].idx[p] = (long)ws[p].sorted[at[p]++];
        }
        n++;
    }
    *out = m;
    *n_out = n;
    return 0;
}

typedef struct merge_job {
    enc *e;
    worker *ws;
    const mterm *m;
    size_t from, to;
    int rc;
} merge_job;

static void *merge_run(void *arg)
{
    merge_job *j = arg;
    j->rc = 0;
    for (size_t i = j->from; i < j->to && j->rc == 0; i++) {
        const mterm *t = &j->m[i];
        int p = t->idx[0] >= 0 ? 0 : 1;
        const wterm *w = &j->ws[p].terms[t->idx[p]];
        j->rc = encode_term(j->e, j->ws[p].kbuf.ptr + w->koff, w->klen, j->ws, t->idx);
    }
    return NULL;
}

static uint64_t term_df(const worker *ws, const mterm *t)
{
    uint64_t df = 0;
    for (int p = 0; p < N_PARTS; p++)
        if (t->idx[p] >= 0)
            df += ws[p].terms[t->idx[p]].df;
    return df;
}

/* Append b (encoded on its own from a dictionary block boundary) to a: postings and positions one
   after the other, b's dictionary blocks with their absolute offsets moved. */
static int enc_append(enc *a, const enc *b)
{
    uint64_t post_base = a->post.len, pos_base = a->pos.len;
    if (cred_buf_put(&a->post, b->post.ptr, b->post.len) < 0 || cred_buf_put(&a->pos, b->pos.ptr, b->pos.len) < 0 ||
        CRED_GROW(a->blocks, a->cap_blocks, a->n_blocks + b->n_blocks) < 0)
        return CRED_ENOMEM;
    for (size_t k = 0; k < b->n_blocks; k++) {
        const uint8_t *q = (const uint8_t *)b->dict.ptr + b->blocks[k];
        const uint8_t *end = (const uint8_t *)b->dict.ptr + (k + 1 < b->n_blocks ? b->blocks[k + 1] : b->dict.len);
        uint64_t po, qo;
        if (!ix_get_varint(&q, end, &po) || !ix_get_varint(&q, end, &qo))
            return cred__error(CRED_ERROR, "index build: bad dictionary block");
        a->blocks[a->n_blocks++] = (uint32_t)a->dict.len;
        if (ix_put_varint(&a->dict, po + post_base) < 0 || ix_put_varint(&a->dict, qo + pos_base) < 0 ||
            cred_buf_put(&a->dict, q, (size_t)(end - q)) < 0)
            return CRED_ENOMEM;
    }
    a->n_terms += b->n_terms;
    a->gap_bytes += b->gap_bytes, a->tf_bytes += b->tf_bytes, a->pos_bytes += b->pos_bytes;
    a->n_first += b->n_first, a->n_gaps += b->n_gaps, a->skip_bytes += b->skip_bytes;
    return 0;
}

static void enc_free(enc *e)
{
    cred_buf_free(&e->post);
    cred_buf_free(&e->pos);
    cred_buf_free(&e->dict);
    cred_buf_free(&e->tmp);
    cred_buf_free(&e->last);
    free(e->blocks);
    free(e->skip);
    free(e->bp);
}

/* The terms in two ranges of about the same number of postings, split at a dictionary block boundary,
   encoded on two threads; the bytes are those of one pass over all terms. */
static int merge_terms(enc *e, worker *ws, unsigned threads)
{
    mterm *m = NULL;
    size_t n = 0;
    int rc = merge_order(ws, &m, &n);
    if (rc < 0)
        return rc;
    uint64_t total = 0, acc = 0;
    for (size_t i = 0; i < n; i++)
        total += term_df(ws, &m[i]);
    size_t split = 0;
    for (size_t i = 0; i < n && acc * 2 < total; i++) {
        acc += term_df(ws, &m[i]);
        split = i + 1;
    }
    split = (split + IX_DICT_BLOCK - 1) / IX_DICT_BLOCK * IX_DICT_BLOCK;
    if (split > n)
        split = n;
    enc e2;
    memset(&e2, 0, sizeof e2);
    e2.lens = e->lens;
    e2.avgdl = e->avgdl;
    merge_job j1 = {e, ws, m, 0, split, 0}, j2 = {&e2, ws, m, split, n, 0};
    pthread_t th;
    bool started = threads > 1 && pthread_create(&th, NULL, merge_run, &j2) == 0;
    merge_run(&j1);
    if (started)
        pthread_join(th, NULL);
    else
        merge_run(&j2);
    rc = j1.rc < 0 ? j1.rc : j2.rc;
    if (rc == 0)
        rc = enc_append(e, &e2);
    enc_free(&e2);
    free(m);
    return rc;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CRED_INDEX_TIMING=1 prints the wall and process CPU time of each build phase on stderr (and the link
   thread's CPU time and the postings sizes). */
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

/* ---- frequent pairs ------------------------------------------------------------------------------- */

typedef struct fterm {
    const char *key;
    uint32_t len;
    uint64_t df;
    uint32_t ti[N_PARTS]; /* term index in each part (UINT32_MAX: absent) */
} fterm;

static int fterm_df_cmp(const void *a, const void *b)
{
    const fterm *x = a, *y = b;
    if (x->df != y->df)
        return x->df > y->df ? -1 : 1;
    size_t ml = CRED_MIN(x->len, y->len);
    int c = memcmp(x->key, y->key, ml);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int fterm_key_cmp(const void *a, const void *b)
{
    const fterm *x = a, *y = b;
    size_t ml = CRED_MIN(x->len, y->len);
    int c = memcmp(x->key, y->key, ml);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

typedef struct pair_acc {
    uint32_t df, last; /* last: doc + 1 */
    cred_buf docs;
} pair_acc;

/*
 * The frequent-pair section: the stem terms of highest df (at most IX_PAIR_TERMS, df >= n /
 * IX_PAIR_MIN_DF_DIV), every adjacent pair of them that occurs, and the doc list of the pairs that are
 * rare next to their words (df * IX_PAIR_RATIO <= the smaller word's df): a phrase then checks positions
 * only in docs that hold the pair.
 */
#define IX_PAIR_RATIO 8
static int build_pairs(cred_buf *out, worker *ws, const uint32_t *lens, size_t n)
{
    int rc = 0;
    fterm *ft = NULL;
    size_t nft = 0, cap = 0;
    uint16_t *rank[N_PARTS] = {NULL};
    pair_acc *acc = NULL;
    uint64_t min_df = n / IX_PAIR_MIN_DF_DIV;
    if (min_df < 2)
        min_df = 2;
    /* candidate terms: the stems of each part with enough df in it or in the whole (merge by key) */
    for (int p = 0; p < N_PARTS; p++) {
        worker *w = &ws[p];
        for (size_t i = 0; i < w->n_terms; i++) {
            const wterm *t = &w->terms[i];
            const char *k = w->kbuf.ptr + t->koff;
            if (t->klen == 0 || t->klen > 255 || (unsigned char)k[0] <= 3 || t->pos.len == 0)
                continue;
            if (CRED_GROW(ft, cap, nft + 1) < 0) {
                rc = CRED_ENOMEM;
                goto done;
            }
            ft[nft++] = (fterm){k, t->klen, t->df, {UINT32_MAX, UINT32_MAX}};
            ft[nft - 1].ti[p] = (uint32_t)i;
        }
    }
    qsort(ft, nft, sizeof *ft, fterm_key_cmp);
    {
        size_t m = 0;
        for (size_t i = 0; i < nft; i++) {
            if (m && fterm_key_cmp(&ft[m - 1], &ft[i]) == 0) {
                ft[m - 1].df += ft[i].df;
                for (int p = 0; p < N_PARTS; p++)
                    if (ft[i].ti[p] != UINT32_MAX)
                        ft[m - 1].ti[p] = ft[i].ti[p];
            } else {
                ft[m++] = ft[i];
            }
        }
        nft = m;
    }
    qsort(ft, nft, sizeof *ft, fterm_df_cmp);
    size_t nf = 0;
    while (nf < nft && nf < IX_PAIR_TERMS && ft[nf].df >= min_df)
        nf++;
    qsort(ft, nf, sizeof *ft, fterm_key_cmp);
    for (int p = 0; p < N_PARTS; p++) {
        rank[p] = calloc(ws[p].n_terms ? ws[p].n_terms : 1, sizeof *rank[p]);
        if (!rank[p]) {
            rc = cred__error_nomem();
            goto done;
        }
        for (size_t i = 0; i < nf; i++)
            if (ft[i].ti[p] != UINT32_MAX)
                rank[p][ft[i].ti[p]] = (uint16_t)(i + 1);
    }
    acc = calloc(nf ? nf * nf : 1, sizeof *acc);
    if (!acc) {
        rc = cred__error_nomem();
        goto done;
    }
    for (int p = 0; p < N_PARTS; p++) {
        const uint32_t *tk = (const uint32_t *)(const void *)ws[p].toks.ptr;
        size_t ntk = ws[p].toks.len / sizeof *tk, at = 0;
        for (size_t gd = ws[p].from; gd < ws[p].to; gd++) {
            size_t dl = lens[gd];
            if (dl > ntk - at) { /* cannot happen: one token per position */
                rc = cred__error(CRED_ERROR, "pair index: token count mismatch");
                goto done;
            }
            for (size_t j = 0; j + 1 < dl; j++) {
                unsigned a = rank[p][tk[at + j]], b = rank[p][tk[at + j + 1]];
                if (!a || !b)
                    continue;
                pair_acc *e = &acc[(a - 1) * nf + (b - 1)];
                if (e->last == gd + 1)
                    continue;
                if (ix_put_varint(&e->docs, gd + 1 - e->last) < 0) {
                    rc = CRED_ENOMEM;
                    goto done;
                }
                e->last = (uint32_t)(gd + 1);
                e->df++;
            }
            at += dl;
        }
    }
    uint32_t np = 0;
    for (size_t i = 0; i < nf * nf; i++)
        np += acc[i].df > 0;
    uint32_t nf32 = (uint32_t)nf;
    CRED_TRY(cred_buf_put(out, &nf32, 4));
    CRED_TRY(cred_buf_put(out, &np, 4));
    for (size_t i = 0; i < nf; i++) {
        uint8_t l = (uint8_t)ft[i].len;
        CRED_TRY(cred_buf_put(out, &l, 1));
        CRED_TRY(cred_buf_put(out, ft[i].key, ft[i].len));
    }
    uint64_t data = 0, stored = 0;
    for (size_t i = 0; i < nf * nf; i++) {
        pair_acc *e = &acc[i];
        if (!e->df)
            continue;
        uint64_t wdf = CRED_MIN(ft[i / nf].df, ft[i % nf].df);
        bool keep = (uint64_t)e->df * IX_PAIR_RATIO <= wdf;
        ix_pair pe = {(uint16_t)(i / nf), (uint16_t)(i % nf), e->df, (uint32_t)data, keep ? (uint32_t)e->docs.len : 0};
        if (keep) {
            data += e->docs.len;
            stored++;
        }
        CRED_TRY(cred_buf_put(out, &pe, sizeof pe));
    }
    for (size_t i = 0; i < nf * nf; i++) {
        pair_acc *e = &acc[i];
        if (e->df && (uint64_t)e->df * IX_PAIR_RATIO <= CRED_MIN(ft[i / nf].df, ft[i % nf].df))
            CRED_TRY(cred_buf_put(out, e->docs.ptr, e->docs.len));
    }
    if (data > UINT32_MAX) {
        rc = cred__error(CRED_ERROR, "pair index too large");
        goto done;
    }
    if (getenv("CRED_INDEX_TIMING"))
        fprintf(stderr, "index build: pairs: %zu frequent terms (df >= %llu), %u pairs, %llu with doc lists, "
                "%llu data bytes, %zu section bytes\n", nf, (unsigned long long)(nf ? ft[nf - 1].df : 0), np,
                (unsigned long long)stored, (unsigned long long)data, out->len);
done:
    if (acc)
        for (size_t i = 0; i < nf * nf; i++)
            cred_buf_free(&acc[i].docs);
    free(acc);
    for (int p = 0; p < N_PARTS; p++)
        free(rank[p]);
    free(ft);
    return rc;
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
    cred_buf textdir = CRED_BUF_INIT, text = CRED_BUF_INIT, dict = CRED_BUF_INIT, dtab = CRED_BUF_INIT,
             pairs = CRED_BUF_INIT;
    CRED_TRY_ALLOC(ord);
    CRED_TRY_ALLOC(ids);
    /* newest version of each id only */
    for (size_t i = 0; i < n; i++) {
        ids[i].hash = ix_id_hash(recs[i].id, recs[i].id_len);
        ids[i].seq = recs[i].seq;
        ids[i].idx = i;
    }
    CRED_TRY(sort_by_hash(ids, n, sizeof *ids));
    /* the kept records in input order, which is usually already (date, seq) order: then no sort */
    {
        uint8_t *keep = calloc(n ? n : 1, 1);
        CRED_TRY_ALLOC(keep);
        for (size_t i = 0; i < n; i++)
            if (i + 1 == n || ids[i + 1].hash != ids[i].hash)
                keep[ids[i].idx] = 1;
        size_t m = 0;
        bool sorted = true;
        for (size_t i = 0; i < n; i++) {
            if (!keep[i])
                continue;
            ord[m] = &recs[i];
            if (m && sorted && rec_order(&ord[m - 1], &ord[m]) > 0)
                sorted = false;
            m++;
        }
        free(keep);
        n = m;
        if (!sorted)
            qsort(ord, n, sizeof *ord, rec_order);
    }
    size_t nn = n ? n : 1;
    sigs = cred__alloc_table(nn * sizeof *sigs);
    keys = cred__alloc_table(nn * sizeof *keys);
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
    progress pr;
    memset(&pr, 0, sizeof pr);
    pthread_mutex_init(&pr.m, NULL);
    pthread_cond_init(&pr.cv, NULL);
    for (int p = 0; p < N_PARTS; p++) {
        worker *w = &ws[p];
        w->pr = &pr;
        w->part = p;
        w->recs = ord;
        w->from = n * (size_t)p / N_PARTS;
        w->to = n * (size_t)(p + 1) / N_PARTS;
        w->sigs = sigs;
        w->keys = keys;
        w->lens = lens;
        w->doc_block = doc_block;
        pr.from[p] = w->from;
        pr.to[p] = w->to;
        CRED_TRY(cred_text_new(&w->t, NULL));
    }
    unsigned threads = o && o->threads ? o->threads : 2;
    /* Both parts are analysed on threads while this thread links the posts behind them in order;
       with one thread, analysis then linking. */
    for (int p = 0; p < N_PARTS; p++) {
        if (threads > 1)
            started[p] = pthread_create(&th[p], NULL, worker_run, &ws[p]) == 0;
        if (!started[p])
            worker_run(&ws[p]);
    }
    ix_build_opts def = {2, 0.45, NULL, 0};
    struct timespec l0, l1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &l0);
    int lrc = link_all(ord, n, sigs, keys, o ? o : &def, exemplar, &pr);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &l1);
    if (getenv("CRED_INDEX_TIMING"))
        fprintf(stderr, "index build: link (thread) cpu %.3f s\n",
                (double)(l1.tv_sec - l0.tv_sec) + (l1.tv_nsec - l0.tv_nsec) / 1e9);
    for (int p = 0; p < N_PARTS; p++)
        if (started[p])
            pthread_join(th[p], NULL);
    pthread_mutex_destroy(&pr.m);
    pthread_cond_destroy(&pr.cv);
    for (int p = 0; p < N_PARTS; p++)
        CRED_TRY(ws[p].rc);
    CRED_TRY(lrc);
    phase("analyse and link", &t0);
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
    CRED_TRY(merge_terms(&e, ws, threads));
    phase("merge postings", &t0);
    CRED_TRY(build_pairs(&pairs, ws, lens, n));
    phase("frequent pairs", &t0);
    if (getenv("CRED_INDEX_TIMING"))
        fprintf(stderr, "index build: postings %zu bytes: gaps %llu, tf %llu, skip %llu; positions %zu bytes "
                "(%llu first, %llu later)\n", e.post.len, (unsigned long long)e.gap_bytes,
                (unsigned long long)e.tf_bytes, (unsigned long long)e.skip_bytes, e.pos.len,
                (unsigned long long)e.n_first, (unsigned long long)e.n_gaps);
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
    CRED_TRY(sort_by_hash(idmap, n, sizeof *idmap)); /* (hash, doc) sorts like (hash, seq) */
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
    CRED_TRY(ix_docs_encode(&dtab, docs, n));
    CRED_TRY(st_writer_add(&sw, IX_SEC_DOCS, dtab.ptr, dtab.len, ST_CODEC_ZSTD));
    CRED_TRY(st_writer_add(&sw, IX_SEC_LINKS, links, n * sizeof *links, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_IDMAP, idmap, n * sizeof *idmap, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_TEXTDIR, textdir.ptr, textdir.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_TEXT, text.ptr, text.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_DICT, dict.ptr, dict.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_POST, e.post.ptr, e.post.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_POS, e.pos.ptr, e.pos.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_SIGS, xs, n_x * sizeof *xs, ST_CODEC_RAW));
    CRED_TRY(st_writer_add(&sw, IX_SEC_PAIRS, pairs.ptr, pairs.len, ST_CODEC_RAW));
    CRED_TRY(st_writer_finish(&sw));
    phase("tables and file image", &t0);
    *out = sw.b;
    memset(&sw, 0, sizeof sw);
done:
    for (int p = 0; p < N_PARTS; p++)
        worker_free(&ws[p]);
    enc_free(&e);
    st_writer_free(&sw);
    cred_buf_free(&textdir);
    cred_buf_free(&text);
    cred_buf_free(&dict);
    cred_buf_free(&dtab);
    cred_buf_free(&pairs);
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
