/*
 * cred_dedup: the near-duplicate index. Each post is prepared (prep.c), keyed and signed (sign.c), then
 * looked up: first its exact key, then its signature's LSH bands; candidates are verified with the
 * estimated Jaccard and the best earlier one becomes the parent. Posts never link to more than one
 * parent, so the clusters are trees rooted at their origins and a wrong candidate costs one edge,
 * never a merge of two clusters.
 *
 * Memory layout: per-post records in parallel arrays; signatures only for indexed posts ("entries":
 * one per short post, one per window of a long one), in chunks that never move, each with a 32-byte
 * copy of what a lookup checks of its post (date, facts, doc); per band an open-addressing table of entry
 * numbers with an 8-bit tag, the band key itself being read back from the stored signature. A band's
 * slots and tags are interleaved in 64-byte blocks of LSH_BLOCK, so a lookup's first touch of a band
 * is one cache line, not two.
 *
 * Bucket cap: a band value shared by many entries (every variant of one template has the same value
 * in each band that misses its numbers) holds at most BUCKET_CAP slots of its band's table: the
 * earliest entry (the origin side of a chain) and the BUCKET_CAP - 1 most recent ones; a newer entry
 * replaces the oldest but one in place. Without the cap such a value piles all its entries into one
 * linear-probing run, and every insert and lookup that lands there walks the whole run: quadratic in
 * the template's size. Such a value tells little about a post anyway; the bands that cover what
 * differs (the numbers, the edits) have rare values and keep finding the exact sibling or copy.
 */
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dedup.h"

#define NO_DOC CRED_DUP_NO_DOC
#define MAX_CANDIDATES 1024     /* distinct entries verified per query */
#define BUCKET_CAP 8            /* entries kept per band value: the earliest and the most recent */
#define SEEN_SLOTS 4096         /* must be a power of two > 2 * MAX_CANDIDATES */
#define LSH_BLOCK 12            /* slots per 64-byte block of a band's table */
#define ENT_CHUNK_BITS 16       /* entries per chunk of signatures and records: 8 MiB and 2 MiB */
#define ENT_CHUNK (1u << ENT_CHUNK_BITS)

/* 12 slots (entry + 1, 0 when empty) and their tags in one cache line. */
typedef struct lsh_block {
    uint32_t slot[LSH_BLOCK];
    uint8_t tag[LSH_BLOCK];
    uint8_t pad_[64 - 5 * LSH_BLOCK];
} lsh_block;

_Static_assert(sizeof(lsh_block) == 64, "an LSH block is one cache line");
_Static_assert(LSH_BLOCK == 12 && offsetof(lsh_block, tag) == 48, "probe() loads a block as 4 x 16 bytes");

#define LSH_SLOT(t, i) ((t)[(i) / LSH_BLOCK].slot[(i) % LSH_BLOCK])
#define LSH_TAG(t, i) ((t)[(i) / LSH_BLOCK].tag[(i) % LSH_BLOCK])

/* ---- u64 -> u32 map (open addressing, linear probing; value 0 marks an empty slot) ------------- */

typedef struct dd_map {
    uint64_t *keys;
    uint32_t *vals; /* value + 1 */
    size_t cap, n;  /* cap is a power of two */
} dd_map;

static void map_free(dd_map *m)
{
    free(m->keys);
    free(m->vals);
}

static int map_resize(dd_map *m, size_t cap)
{
    uint64_t *keys = malloc(cap * sizeof *keys);
    uint32_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return cred__error_nomem();
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->vals[i])
            continue;
        size_t j = dd_mix64(m->keys[i]) & (cap - 1);
        while (vals[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    map_free(m);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

static uint32_t map_get(const dd_map *m, uint64_t key)
{
    if (!m->cap)
        return NO_DOC;
    for (size_t j = dd_mix64(key) & (m->cap - 1); m->vals[j]; j = (j + 1) & (m->cap - 1))
        if (m->keys[j] == key)
            return m->vals[j] - 1;
    return NO_DOC;
}

/* Insert key -> val unless present. @return 1 when inserted, 0 when present, CRED_ENOMEM. */
static int map_put(dd_map *m, uint64_t key, uint32_t val)
{
    if ((m->n + 1) * 10 > m->cap * 7) {
        int rc = map_resize(m, m->cap ? m->cap * 2 : 64);
        if (rc < 0)
            return rc;
    }
    size_t j = dd_mix64(key) & (m->cap - 1);
    for (; m->vals[j]; j = (j + 1) & (m->cap - 1))
        if (m->keys[j] == key)
            return 0;
    m->keys[j] = key;
    m->vals[j] = val + 1;
    m->n++;
    return 1;
}

/* ---- the index --------------------------------------------------------------------------------- */

typedef struct cluster_rec {
    uint32_t size, sources;
    int64_t last;
} cluster_rec;

typedef struct cand {
    uint32_t doc;
    float sim;
    uint64_t facts; /* the doc's fact mask */
} cand;

/* What a lookup reads of an entry besides its signature, in one cache line: the fields of its post
 * that a candidate is checked with (no miss on the per-post arrays in probe() or do_lookup()). */
typedef struct ent_rec {
    int64_t date;    /* of doc */
    uint64_t facts;  /* of doc: fact bits (template siblings) */
    uint32_t doc;
    uint32_t part_of; /* the whole doc is a part of, NO_DOC when it is not a part */
    uint64_t pad_;
} ent_rec;

_Static_assert(sizeof(ent_rec) == 32, "two entry records per cache line");

/* Buffers behind a cred_dup_signature (its priv_), and the scratch of signing. */
typedef struct sign_scratch {
    dd_prep prep;
    uint64_t *sh;
    size_t cap_sh;
    dd_sig *sigs;
    size_t cap_sigs;
    uint64_t *fb;
    size_t cap_fb;
} sign_scratch;

static void sign_scratch_free(sign_scratch *ss)
{
    cred_dedup__prep_free(&ss->prep);
    free(ss->sh);
    free(ss->sigs);
    free(ss->fb);
    memset(ss, 0, sizeof *ss);
}

typedef struct hit {  /* scratch of probe(): an entry whose band tag matched */
    uint32_t entry;
    uint32_t band;
} hit;

struct cred_dedup {
    cred_dedup_options o;

    /* posts */
    uint32_t n_docs;
    size_t cap_docs;
    uint32_t *parent, *origin, *source;
    uint16_t *sim;  /* similarity * 65535 */
    uint8_t *rel;
    int64_t *date;
    uint64_t *facts; /* 2 bits per fact */

    /* indexed entries */
    uint32_t n_ent, n_window_ent;
    size_t cap_ent;
    int64_t ent_max_date; /* the latest known date of an entry (INT64_MIN: none) */
    uint8_t **sigc;   /* chunks of ENT_CHUNK signatures (DD_K bytes each); the first may be smaller */
    ent_rec **recc;   /* chunks of ENT_CHUNK records */
    size_t n_chunks, cap_chunks;

    /* LSH: per band, lsh_cap slots (a multiple of LSH_BLOCK) of entry + 1 and tags */
    size_t lsh_cap;
    bool broken;      /* a resize failed half-way: every later add or query fails with CRED_ENOMEM */
    lsh_block **lsh;
    size_t *lsh_used;  /* per band, occupied slots (entries past a full bucket replace others) */
    size_t lsh_most;   /* the largest of lsh_used: the tables grow with it, not with n_ent */

    dd_map exact;     /* key.lo -> first doc with that dedup text */
    dd_map clusters;  /* origin -> index in crec */
    dd_map spread;    /* mix(origin, source) -> 1 */
    cluster_rec *crec;
    size_t n_crec, cap_crec;

    /* scratch */
    cred_dup_signature qs; /* the signature of the post being added (its priv_ is d's own) */
    sign_scratch ss;
    uint32_t seen[SEEN_SLOTS];
    uint32_t seen_stamp[SEEN_SLOTS];
    uint32_t cand_doc[SEEN_SLOTS];   /* doc -> index in cands, for this query (cand_stamp) */
    uint32_t cand_idx[SEEN_SLOTS];
    uint32_t cand_stamp[SEEN_SLOTS];
    uint32_t stamp;
    cand *cands;
    size_t n_cands, cap_cands;
    hit *hits;
    size_t cap_hits;
    double *pass_sim; /* similarity of hits[k] once it passed the threshold */
    size_t cap_pass;
};

/* Entry e's signature and record. Entries live in chunks, so that the index grows without moving them
 * (no copy, and never two copies in memory while it grows). */
static inline uint8_t *ent_sig(const cred_dedup *d, uint32_t e)
{
    return d->sigc[e >> ENT_CHUNK_BITS] + (size_t)(e & (ENT_CHUNK - 1)) * DD_K;
}

static inline ent_rec *ent_rec_of(const cred_dedup *d, uint32_t e)
{
    return &d->recc[e >> ENT_CHUNK_BITS][e & (ENT_CHUNK - 1)];
}

const char *cred_dup_relation_name(cred_dup_relation relation)
{
    switch (relation) {
    case CRED_DUP_EXACT: return "exact";
    case CRED_DUP_NEAR: return "near";
    case CRED_DUP_VARIANT: return "variant";
    case CRED_DUP_PART: return "part";
    default: return "none";
    }
}

static int lsh_resize(cred_dedup *d, size_t cap);
static int docs_reserve(cred_dedup *d, size_t want);
static int ent_reserve(cred_dedup *d, size_t want);

int cred_dedup_new(cred_dedup **out, const cred_dedup_options *opts)
{
    static const cred_dedup_options defaults = CRED_DEDUP_OPTIONS_INIT;
    int rc = 0;
    *out = NULL;
    cred_dedup_options o = opts ? *opts : defaults;
    if (!(o.threshold > 0 && o.threshold <= 1) || !(o.exemplar > 0 && o.exemplar <= 1) || o.bands == 0 ||
        o.rows == 0 || o.bands * o.rows > DD_K || o.window_words < 2)
        return cred__error(CRED_EINVAL, "dedup options out of range");
    if (o.long_words < o.window_words)
        o.long_words = o.window_words;
    cred_dedup *d = calloc(1, sizeof *d);
    CRED_TRY_ALLOC(d);
    d->o = o;
    d->ent_max_date = INT64_MIN;
    d->lsh = calloc(o.bands, sizeof *d->lsh);
    d->lsh_used = calloc(o.bands, sizeof *d->lsh_used);
    CRED_TRY_ALLOC(d->lsh);
    CRED_TRY_ALLOC(d->lsh_used);
    size_t want = o.capacity ? o.capacity + o.capacity / 3 + 64 : 1024;
    CRED_TRY(lsh_resize(d, want));
    if (o.capacity) {
        CRED_TRY(docs_reserve(d, o.capacity));
        CRED_TRY(ent_reserve(d, o.capacity));
    }
    *out = d;
    d = NULL;
done:
    cred_dedup_free(d);
    return rc;
}

void cred_dedup_free(cred_dedup *d)
{
    if (!d)
        return;
    free(d->parent);
    free(d->origin);
    free(d->source);
    free(d->sim);
    free(d->rel);
    free(d->date);
    free(d->facts);
    for (size_t i = 0; i < d->n_chunks; i++) {
        free(d->sigc[i]);
        free(d->recc[i]);
    }
    free(d->sigc);
    free(d->recc);
    for (unsigned b = 0; d->lsh && b < d->o.bands; b++)
        free(d->lsh[b]);
    free(d->lsh);
    free(d->lsh_used);
    map_free(&d->exact);
    map_free(&d->clusters);
    map_free(&d->spread);
    free(d->crec);
    sign_scratch_free(&d->ss);
    free(d->cands);
    free(d->hits);
    free(d->pass_sim);
    free(d);
}

size_t cred_dedup_count(const cred_dedup *d)
{
    return d->n_docs;
}

size_t cred_dedup_memory(const cred_dedup *d)
{
    size_t per_doc = 3 * sizeof(uint32_t) + sizeof(uint16_t) + 1 + sizeof(int64_t) + sizeof(uint64_t);
    size_t m = sizeof *d + d->cap_docs * per_doc + d->cap_ent * (DD_K + sizeof(ent_rec));
    m += d->o.bands * (d->lsh_cap / LSH_BLOCK) * sizeof(lsh_block);
    m += (d->exact.cap + d->clusters.cap + d->spread.cap) * (sizeof(uint64_t) + sizeof(uint32_t));
    m += d->cap_crec * sizeof(cluster_rec);
    return m;
}

/* ---- LSH --------------------------------------------------------------------------------------- */

/* The bins of band b packed in an integer (bands of up to 8 rows; wider bands are compared bytewise). */
static inline uint64_t band_value(const uint8_t *sig, unsigned b, unsigned rows)
{
    const uint8_t *p = sig + (size_t)b * rows;
    if (rows == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < rows && i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static inline uint64_t band_hash(const cred_dedup *d, const uint8_t *sig, unsigned b)
{
    if (d->o.rows > 8)
        return cred_hash64(sig + (size_t)b * d->o.rows, d->o.rows, 0x9e3779b97f4a7c15ULL + b);
    return dd_mix64(band_value(sig, b, d->o.rows) ^ (0x9e3779b97f4a7c15ULL * (b + 1)));
}

static inline bool band_equal(const cred_dedup *d, const uint8_t *a, const uint8_t *q, unsigned b)
{
    if (d->o.rows > 8)
        return memcmp(a + (size_t)b * d->o.rows, q + (size_t)b * d->o.rows, d->o.rows) == 0;
    return band_value(a, b, d->o.rows) == band_value(q, b, d->o.rows);
}

static inline size_t band_pos(uint64_t h, size_t cap)
{
    return (size_t)(((h & 0xffffffffULL) * (uint64_t)cap) >> 32);
}

/* Put entry (newer than every entry in the table) into band b's table, keeping at most BUCKET_CAP
 * entries of its band value: when the value is full, the entry replaces the oldest but the earliest.
 * Replaying the entries in order (lsh_resize) gives the same buckets. h is the entry's band_hash(). */
static void lsh_put(cred_dedup *d, unsigned b, uint32_t entry, uint64_t h)
{
    const uint8_t *es = ent_sig(d, entry);
    uint8_t tag = (uint8_t)(h >> 56);
    size_t i = band_pos(h, d->lsh_cap);
    lsh_block *t = d->lsh[b];
    unsigned n_equal = 0;
    size_t first = SIZE_MAX, second = SIZE_MAX; /* slots of the two earliest entries of the value */
    uint32_t first_e = 0, second_e = 0;
    for (uint32_t v; (v = LSH_SLOT(t, i)); i = i + 1 == d->lsh_cap ? 0 : i + 1) {
        if (LSH_TAG(t, i) != tag || !band_equal(d, ent_sig(d, v - 1), es, b))
            continue;
        n_equal++;
        if (first == SIZE_MAX || v < first_e) {
            second = first, second_e = first_e;
            first = i, first_e = v;
        } else if (second == SIZE_MAX || v < second_e) {
            second = i, second_e = v;
        }
    }
    if (n_equal >= BUCKET_CAP)
        i = second;
    else if (++d->lsh_used[b] > d->lsh_most)
        d->lsh_most = d->lsh_used[b];
    LSH_SLOT(t, i) = entry + 1;
    LSH_TAG(t, i) = tag;
}

/* Grow every band's table to cap slots. The entries a band keeps (its buckets) do not depend on the
 * table's size, so each band's surviving entries are moved, in entry order, without replaying the
 * bucket caps: one sequential pass over the old table marks them, one pass over their signatures
 * places them. */
static int lsh_resize(cred_dedup *d, size_t cap)
{
    cap = (cap + LSH_BLOCK - 1) / LSH_BLOCK * LSH_BLOCK;
    if (cap >= (1ULL << 32) - 1)
        return cred__error(CRED_ELIMIT, "dedup index full");
    uint64_t *kept = NULL;
    size_t words = ((size_t)d->n_ent + 63) / 64;
    if (d->n_ent && !(kept = malloc(words * sizeof *kept)))
        return cred__error_nomem();
    for (unsigned b = 0; b < d->o.bands; b++) {
        lsh_block *t = cred__alloc_table(cap / LSH_BLOCK * sizeof *t); /* one block, one line */
        if (t)
            memset(t, 0, cap / LSH_BLOCK * sizeof *t);
        if (!t) {
            free(kept);
            d->broken = b > 0; /* the bands before b are at the new size: the index is unusable */
            return cred__error_nomem();
        }
        if (kept) {
            memset(kept, 0, words * sizeof *kept);
            const lsh_block *old = d->lsh[b];
            for (size_t i = 0; i < d->lsh_cap / LSH_BLOCK; i++)
                for (unsigned k = 0; k < LSH_BLOCK; k++) {
                    uint32_t v = old[i].slot[k];
                    if (v)
                        kept[(v - 1) >> 6] |= 1ULL << ((v - 1) & 63);
                }
        }
        free(d->lsh[b]);
        d->lsh[b] = t;
        d->lsh_used[b] = 0; /* recounted below */
        for (size_t w = 0; w < words; w++)
            for (uint64_t bits = kept[w]; bits; bits &= bits - 1) {
                uint32_t e = (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(bits));
                uint64_t h = band_hash(d, ent_sig(d, e), b);
                size_t i = band_pos(h, cap);
                while (LSH_SLOT(t, i))
                    i = i + 1 == cap ? 0 : i + 1;
                LSH_SLOT(t, i) = e + 1;
                LSH_TAG(t, i) = (uint8_t)(h >> 56);
                d->lsh_used[b]++;
            }
    }
    free(kept);
    d->lsh_cap = cap;
    return 0;
}

/* Allocate chunk k of cap entries (only the first chunk is ever smaller than ENT_CHUNK). */
static int ent_chunk_alloc(cred_dedup *d, size_t k, size_t cap)
{
    uint8_t *s = cred__alloc_table(cap * DD_K);
    ent_rec *r = s ? cred__alloc_table(cap * sizeof *r) : NULL;
    if (!s || !r) {
        free(s);
        return cred__error_nomem();
    }
    if (k < d->n_chunks) { /* the first chunk, grown */
        memcpy(s, d->sigc[k], (size_t)d->n_ent * DD_K);
        memcpy(r, d->recc[k], (size_t)d->n_ent * sizeof *r);
        free(d->sigc[k]);
        free(d->recc[k]);
    }
    d->sigc[k] = s;
    d->recc[k] = r;
    return 0;
}

/* Make room for `want` entries (signatures and records): the first chunk grows by doubling up to
 * ENT_CHUNK entries (a small index stays small), then whole chunks are added, in huge pages. */
static int ent_reserve(cred_dedup *d, size_t want)
{
    int rc = 0;
    while (want > d->cap_ent) {
        if (d->n_chunks == 1 && d->cap_ent < ENT_CHUNK) {
            size_t cap = d->cap_ent;
            while (cap < want && cap < ENT_CHUNK)
                cap *= 2;
            CRED_TRY(ent_chunk_alloc(d, 0, cap));
            d->cap_ent = cap;
            continue;
        }
        size_t cap = ENT_CHUNK;
        if (!d->n_chunks)
            for (cap = 256; cap < want && cap < ENT_CHUNK; cap *= 2)
                ;
        size_t c = d->cap_chunks;
        CRED_TRY(CRED_GROW(d->sigc, c, d->n_chunks + 1));
        CRED_TRY(CRED_GROW(d->recc, d->cap_chunks, d->n_chunks + 1));
        CRED_TRY(ent_chunk_alloc(d, d->n_chunks, cap));
        d->n_chunks++;
        d->cap_ent += cap;
    }
done:
    return rc;
}

static int add_entry(cred_dedup *d, const dd_sig *sig, uint32_t doc)
{
    int rc = 0;
    if (d->broken)
        return cred__error_nomem();
    /* The fullest band's load between 1/2 and 3/4: growing by half (not doubling) and by the slots in
     * use (not the entries: those past a full bucket take no new slot) keeps the tables, most of the
     * index's memory, about half the size; a resize costs one pass over the entries (lsh_resize). */
    if ((d->lsh_most + 1) * 4 > d->lsh_cap * 3)
        CRED_TRY(lsh_resize(d, d->lsh_cap + d->lsh_cap / 2));
    CRED_TRY(ent_reserve(d, (size_t)d->n_ent + 1));
    memcpy(ent_sig(d, d->n_ent), sig->v, DD_K);
    if (d->date[doc] != CRED_DATE_UNKNOWN && d->date[doc] > d->ent_max_date)
        d->ent_max_date = d->date[doc];
    *ent_rec_of(d, d->n_ent) = (ent_rec){d->date[doc], d->facts[doc], doc,
                                 d->rel[doc] == CRED_DUP_PART ? d->parent[doc] : NO_DOC, 0};
    /* every band's slot first, so that the misses overlap */
    uint64_t hs[DD_K];
    for (unsigned b = 0; b < d->o.bands; b++) {
        hs[b] = band_hash(d, sig->v, b);
        __builtin_prefetch(&d->lsh[b][band_pos(hs[b], d->lsh_cap) / LSH_BLOCK]);
    }
    for (unsigned b = 0; b < d->o.bands; b++)
        lsh_put(d, b, d->n_ent, hs[b]);
    d->n_ent++;
done:
    return rc;
}

/* ---- lookup ------------------------------------------------------------------------------------ */

static uint64_t fact_bits(uint64_t h)
{
    return (1ULL << (h & 63)) | (1ULL << ((h >> 6) & 63));
}

/* Template siblings: each side has a fact (number, date, link) that the other lacks. */
static bool is_variant(const cred_dup_signature *q, uint64_t cmask)
{
    if ((cmask & ~q->facts) == 0)
        return false;
    for (size_t i = 0; i < q->n_facts; i++)
        if ((cmask & q->fact_bits[i]) != q->fact_bits[i])
            return true;
    return false;
}

static bool seen_insert(cred_dedup *d, uint32_t entry)
{
    size_t j = dd_mix64(entry) & (SEEN_SLOTS - 1);
    for (; d->seen_stamp[j] == d->stamp; j = (j + 1) & (SEEN_SLOTS - 1))
        if (d->seen[j] == entry)
            return false;
    d->seen_stamp[j] = d->stamp;
    d->seen[j] = entry;
    return true;
}

static inline bool date_ok(int64_t earlier, int64_t q)
{
    return earlier == CRED_DATE_UNKNOWN || q == CRED_DATE_UNKNOWN || earlier <= q;
}

/* Whether doc is `whole` or another part of it (a post never matches its own transcript). */
static inline bool own_whole(const cred_dedup *d, uint32_t doc, uint32_t whole)
{
    return whole != NO_DOC && (doc == whole || (d->rel[doc] == CRED_DUP_PART && d->parent[doc] == whole));
}

/* The same for an entry's post, from its record. */
static inline bool ent_own_whole(const ent_rec *r, uint32_t whole)
{
    return whole != NO_DOC && (r->doc == whole || r->part_of == whole);
}

/* Order a band's hits by entry number. The slots of a band value's run are in an order that depends
 * on the table's size and history (growth re-places the entries in entry order, a full bucket's
 * replacement takes the place of the one it evicts), and the candidate budget is spent in the order of
 * the hits: sorted, a lookup gives the same match whatever the layout. A band has a handful of hits
 * (a bucket holds at most BUCKET_CAP entries of one value, plus a rare other value of the same tag). */
static void sort_hits(hit *h, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        hit x = h[i];
        size_t j = i;
        for (; j > 0 && h[j - 1].entry > x.entry; j--)
            h[j] = h[j - 1];
        h[j] = x;
    }
}

/* Start loading what verifying entry e reads: its signature (two lines) and, with rec, its record. */
static inline void prefetch_entry(const cred_dedup *d, uint32_t e, bool rec)
{
    const uint8_t *es = ent_sig(d, e);
    __builtin_prefetch(es);
    __builtin_prefetch(es + DD_K - 1);
    if (rec)
        __builtin_prefetch(ent_rec_of(d, e));
}

/* Collect verified candidates (estimated Jaccard >= threshold, earlier, not of the post's own whole)
 * of one query signature into d->cands, keeping the best similarity per doc. */
static int probe(cred_dedup *d, const dd_sig *q, int64_t qdate, uint32_t whole, size_t *budget)
{
    int rc = 0;
    /* The tables and signatures are far larger than the caches: each stage below starts the memory
     * loads of the next for all its items at once, so that the misses overlap instead of following one
     * another. 1: the band slots; 2: for each slot whose tag matches, its entry's whole signature (an
     * entry met again in a later band costs no new miss); then the band check and the budget; then
     * the estimate, and the records of the entries that pass. An entry's record is read before its
     * estimate (and loaded in 2) only when an entry may be dated after the query or be part of its
     * whole (rec_first); posts added in date order never need it. */
    bool rec_first = whole != NO_DOC || (qdate != CRED_DATE_UNKNOWN && d->ent_max_date > qdate);
    uint64_t hs[DD_K];
    for (unsigned b = 0; b < d->o.bands; b++) {
        hs[b] = band_hash(d, q->v, b);
        size_t i = band_pos(hs[b], d->lsh_cap);
        __builtin_prefetch(&d->lsh[b][i / LSH_BLOCK]);
    }
    size_t n = 0;
    for (unsigned b = 0; b < d->o.bands; b++) {
        size_t band_first = n;
        uint64_t h = hs[b];
        uint8_t tag = (uint8_t)(h >> 56);
        const lsh_block *t = d->lsh[b];
        /* a band value holds at most BUCKET_CAP entries (lsh_put), so the run ends soon */
#if defined(__SSE2__)
        /* a block at a time: the slots of the run (up to its first empty slot) whose tag matches */
        size_t i = band_pos(h, d->lsh_cap), blk = i / LSH_BLOCK, n_blk = d->lsh_cap / LSH_BLOCK;
        unsigned from = (unsigned)(i % LSH_BLOCK);
        const __m128i want = _mm_set1_epi8((char)tag), zero = _mm_setzero_si128();
        for (;;) {
            const lsh_block *k = &t[blk];
            unsigned tags = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)(const void *)k->tag), want));
            unsigned empty = 0;
            for (unsigned w = 0; w < LSH_BLOCK / 4; w++) {
                __m128i v = _mm_load_si128((const __m128i *)(const void *)(k->slot + 4 * w));
                empty |= (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, zero))) << (4 * w);
            }
            unsigned live = (0xfffu << from) & 0xfffu;
            empty &= live;
            tags &= live;
            if (empty)
                tags &= (empty & (0u - empty)) - 1; /* the slots before the first empty one */
            for (; tags; tags &= tags - 1) {
                uint32_t e = k->slot[__builtin_ctz(tags)] - 1;
                if (n == d->cap_hits) /* (the call only when full: this runs for every hit) */
                    CRED_TRY(CRED_GROW(d->hits, d->cap_hits, n + 1));
                d->hits[n++] = (hit){e, b};
                prefetch_entry(d, e, rec_first);
            }
            if (empty)
                break;
            from = 0;
            if (++blk == n_blk)
                blk = 0;
        }
#else
        for (size_t i = band_pos(h, d->lsh_cap); LSH_SLOT(t, i); i = i + 1 == d->lsh_cap ? 0 : i + 1) {
            if (LSH_TAG(t, i) != tag)
                continue;
            uint32_t e = LSH_SLOT(t, i) - 1;
            if (n == d->cap_hits)
                CRED_TRY(CRED_GROW(d->hits, d->cap_hits, n + 1));
            d->hits[n++] = (hit){e, b};
            prefetch_entry(d, e, rec_first);
        }
#endif
        if (n - band_first > 1)
            sort_hits(d->hits + band_first, n - band_first);
    }
    size_t m = 0;
    for (size_t k = 0; k < n && *budget; k++) {
        uint32_t e = d->hits[k].entry;
        if (!band_equal(d, ent_sig(d, e), q->v, d->hits[k].band))
            continue;
        if (!seen_insert(d, e))
            continue;
        if (--*budget == 0)
            break;
        d->hits[m++].entry = e;
    }
    /* the verification: only the entries that pass need their records, unless the date or the whole
     * rules some out (rec_first) */
    size_t n_pass = 0;
    CRED_TRY(CRED_GROW(d->pass_sim, d->cap_pass, m + 1));
    for (size_t k = 0; k < m; k++) {
        uint32_t e = d->hits[k].entry;
        if (rec_first) {
            const ent_rec *r = ent_rec_of(d, e);
            if (!date_ok(r->date, qdate) || ent_own_whole(r, whole))
                continue;
        }
        double j = cred_dedup__estimate(q, (const dd_sig *)ent_sig(d, e));
        if (j < d->o.threshold)
            continue;
        if (!rec_first)
            __builtin_prefetch(ent_rec_of(d, e));
        d->hits[n_pass].entry = e;
        d->pass_sim[n_pass++] = j;
    }
    for (size_t k = 0; k < n_pass; k++) {
        const ent_rec *r = ent_rec_of(d, d->hits[k].entry);
        uint32_t doc = r->doc;
        double j = d->pass_sim[k];
        /* at most MAX_CANDIDATES docs: the doc -> cand table stays at most half full */
        size_t c = dd_mix64(doc) & (SEEN_SLOTS - 1);
        while (d->cand_stamp[c] == d->stamp && d->cand_doc[c] != doc)
            c = (c + 1) & (SEEN_SLOTS - 1);
        if (d->cand_stamp[c] != d->stamp) {
            if (d->n_cands == d->cap_cands)
                CRED_TRY(CRED_GROW(d->cands, d->cap_cands, d->n_cands + 1));
            d->cand_stamp[c] = d->stamp;
            d->cand_doc[c] = doc;
            d->cand_idx[c] = (uint32_t)d->n_cands;
            d->cands[d->n_cands++] = (cand){doc, (float)j, r->facts};
        } else if (j > d->cands[d->cand_idx[c]].sim) {
            d->cands[d->cand_idx[c]].sim = (float)j;
        }
    }
done:
    return rc;
}

/* Sign doc into *out with the buffers of ss: the exact key, the fact masks, one character-shingle
 * signature, plus word-pair windows when the post has at least window_words words and either is long
 * or all_windows (the windows of a post that is not long are looked up only once a long post or a
 * part was indexed, so the index's own path signs them only then; cred_dedup_sign() always does). */
static int sign_doc(cred_dup_signature *out, sign_scratch *ss, const cred_doc *doc, unsigned long_words,
                    unsigned window_words, bool all_windows)
{
    int rc = 0;
    dd_prep *p = &ss->prep;
    CRED_TRY(cred_dedup__prep_doc(p, doc));
    CRED_TRY(CRED_GROW(ss->fb, ss->cap_fb, p->n_facts + 1));
    out->facts = 0;
    for (size_t i = 0; i < p->n_facts; i++) {
        ss->fb[i] = fact_bits(p->facts[i]);
        out->facts |= ss->fb[i];
    }
    out->fact_bits = ss->fb;
    out->n_facts = p->n_facts;
    out->n_words = (uint32_t)p->n_words;
    out->long_words = long_words;
    out->window_words = window_words;
    out->sigs = (const uint8_t *)ss->sigs;
    out->n_sigs = 0;
    out->key_lo = out->key_hi = 0;
    out->empty = p->text.len == 0;
    if (out->empty)
        return 0;
    dd_key key = cred_dedup__key(p->text.ptr, p->text.len);
    out->key_lo = key.lo;
    out->key_hi = key.hi;
    size_t nw = p->n_words, win = window_words, step = win / 2;
    size_t n_win = 0;
    if (nw >= win && (nw > long_words || all_windows))
        n_win = (nw - win + step - 1) / step + 1;
    CRED_TRY(CRED_GROW(ss->sigs, ss->cap_sigs, 1 + n_win));
    out->sigs = (const uint8_t *)ss->sigs;
    cred_dedup__sign_chars(&ss->sigs[0], p->text.ptr, p->text.len);
    for (size_t w = 0; w < n_win; w++) {
        size_t from = w * step, to = from + win;
        if (to > nw) {
            to = nw;
            from = nw - win;
        }
        long n = cred_dedup__shingle_words(&ss->sh, &ss->cap_sh, p, from, to);
        CRED_TRY(n);
        cred_dedup__sign(&ss->sigs[1 + w], ss->sh, (size_t)n);
    }
    out->n_sigs = 1 + n_win;
    rc = 0;
done:
    return rc;
}

int cred_dedup_sign(cred_dup_signature *out, const cred_doc *doc, const cred_dedup_options *opts)
{
    static const cred_dedup_options defaults = CRED_DEDUP_OPTIONS_INIT;
    const cred_dedup_options *o = opts ? opts : &defaults;
    if (!out || !doc || o->window_words < 2)
        return cred__error(CRED_EINVAL, "cred_dedup_sign: bad argument");
    unsigned long_words = o->long_words < o->window_words ? o->window_words : o->long_words;
    if (!out->priv_) {
        out->priv_ = calloc(1, sizeof(sign_scratch));
        if (!out->priv_)
            return cred__error_nomem();
    }
    return sign_doc(out, out->priv_, doc, long_words, o->window_words, true);
}

void cred_dup_signature_free(cred_dup_signature *sig)
{
    if (!sig || !sig->priv_)
        return;
    sign_scratch_free(sig->priv_);
    free(sig->priv_);
    sig->priv_ = NULL;
    sig->sigs = NULL;
    sig->fact_bits = NULL;
    sig->n_sigs = sig->n_facts = 0;
}

typedef struct lookup {
    cred_dup_match m;
    bool index;       /* whether the post's signatures go into the LSH */
    size_t first_index, n_index;
} lookup;

static int do_lookup(cred_dedup *d, lookup *lk, const cred_dup_signature *q, int64_t date, uint32_t whole)
{
    int rc = 0;
    lk->m = (cred_dup_match){NO_DOC, NO_DOC, NO_DOC, 0, CRED_DUP_NONE};
    lk->index = false;
    lk->n_index = 0;
    if (q->long_words != d->o.long_words || q->window_words != d->o.window_words)
        return cred__error(CRED_EINVAL, "dedup signature made with other window options");
    if (d->broken)
        return cred__error_nomem();
    if (q->empty)
        return 0;
    uint32_t e = map_get(&d->exact, q->key_lo);
    if (e != NO_DOC && date_ok(d->date[e], date) && !own_whole(d, e, whole)) {
        lk->m.parent = e;
        lk->m.origin = d->origin[e];
        lk->m.similarity = 1.0;
        lk->m.relation = CRED_DUP_EXACT;
        return 0;
    }
    /* windows are looked up only when some are indexed (a transcript was added) or the post is long */
    bool is_long = q->n_words > d->o.long_words;
    size_t n_q = is_long || d->n_window_ent ? q->n_sigs : 1;
    if (q->n_sigs == 0)
        return cred__error(CRED_EINVAL, "dedup signature without signatures");
    lk->first_index = is_long ? 1 : 0;
    lk->n_index = is_long ? q->n_sigs - 1 : 1;
    lk->index = true;
    d->n_cands = 0;
    if (++d->stamp == 0) {
        memset(d->seen_stamp, 0, sizeof d->seen_stamp);
        memset(d->cand_stamp, 0, sizeof d->cand_stamp);
        d->stamp = 1;
    }
    size_t budget = MAX_CANDIDATES;
    for (size_t i = 0; i < n_q; i++)
        CRED_TRY(probe(d, (const dd_sig *)(q->sigs + i * DD_K), date, whole, &budget));

    /* Best copy; failing that, best template sibling. Ties go to the earlier post. */
    int best_copy = -1, best_var = -1;
    for (size_t k = 0; k < d->n_cands; k++) {
        const cand *c = &d->cands[k];
        bool var = !is_long && is_variant(q, c->facts);
        int *best = var ? &best_var : &best_copy;
        if (*best < 0 || c->sim > d->cands[*best].sim ||
            (c->sim == d->cands[*best].sim && c->doc < d->cands[*best].doc))
            *best = (int)k;
    }
    if (best_copy >= 0) {
        const cand *c = &d->cands[best_copy];
        lk->m.parent = c->doc;
        lk->m.origin = d->origin[c->doc];
        lk->m.similarity = c->sim;
        lk->m.relation = CRED_DUP_NEAR;
        if (!is_long && c->sim >= d->o.exemplar)
            lk->index = false;
    } else if (whole != NO_DOC) {
        lk->m.parent = whole;
        lk->m.origin = d->origin[whole];
        lk->m.similarity = 1.0;
        lk->m.relation = CRED_DUP_PART;
    } else if (best_var >= 0) {
        const cand *c = &d->cands[best_var];
        lk->m.parent = c->doc;
        lk->m.similarity = c->sim;
        lk->m.relation = CRED_DUP_VARIANT;
    }
done:
    return rc;
}

/* Sign doc with d's own buffers into d->qs. */
static int sign_own(cred_dedup *d, const cred_doc *doc)
{
    return sign_doc(&d->qs, &d->ss, doc, d->o.long_words, d->o.window_words, d->n_window_ent != 0);
}

int cred_dedup_query_signed(cred_dedup *d, cred_dup_match *out, const cred_dup_signature *sig, int64_t date)
{
    lookup lk;
    int rc = do_lookup(d, &lk, sig, date, NO_DOC);
    if (rc < 0)
        return rc;
    *out = lk.m;
    return 0;
}

int cred_dedup_query(cred_dedup *d, cred_dup_match *out, const cred_doc *doc, int64_t date)
{
    int rc = sign_own(d, doc);
    return rc < 0 ? rc : cred_dedup_query_signed(d, out, &d->qs, date);
}

static uint32_t source_id(const char *source)
{
    if (!source || !*source)
        return 0;
    return (uint32_t)cred_hash64(source, strlen(source), 0x50c4ce) | 1u;
}

static int realloc_to(void **p, size_t n, size_t elem)
{
    void *q = realloc(*p, n * elem);
    if (!q)
        return cred__error_nomem();
    *p = q;
    return 0;
}

/* Make room for `want` posts in every per-post array. */
static int docs_reserve(cred_dedup *d, size_t want)
{
    int rc = 0;
    if (want <= d->cap_docs)
        return 0;
    CRED_TRY(realloc_to((void **)&d->parent, want, sizeof *d->parent));
    CRED_TRY(realloc_to((void **)&d->origin, want, sizeof *d->origin));
    CRED_TRY(realloc_to((void **)&d->source, want, sizeof *d->source));
    CRED_TRY(realloc_to((void **)&d->sim, want, sizeof *d->sim));
    CRED_TRY(realloc_to((void **)&d->rel, want, sizeof *d->rel));
    CRED_TRY(realloc_to((void **)&d->date, want, sizeof *d->date));
    CRED_TRY(realloc_to((void **)&d->facts, want, sizeof *d->facts));
    d->cap_docs = want;
done:
    return rc;
}

/* Count a new member of the cluster of `origin`. */
static int spread_add(cred_dedup *d, uint32_t origin, uint32_t doc)
{
    int rc = 0;
    uint32_t ci = map_get(&d->clusters, origin);
    if (ci == NO_DOC) {
        CRED_TRY(CRED_GROW(d->crec, d->cap_crec, d->n_crec + 1));
        ci = (uint32_t)d->n_crec++;
        d->crec[ci] = (cluster_rec){1, 0, d->date[origin]};
        CRED_TRY(map_put(&d->clusters, origin, ci));
        if (d->source[origin]) {
            CRED_TRY(map_put(&d->spread, ((uint64_t)origin << 32) | d->source[origin], 1));
            d->crec[ci].sources = 1;
        }
    }
    cluster_rec *c = &d->crec[ci];
    c->size++;
    int64_t dt = d->date[doc];
    if (dt != CRED_DATE_UNKNOWN && (c->last == CRED_DATE_UNKNOWN || dt > c->last))
        c->last = dt;
    if (d->source[doc]) {
        CRED_TRY(map_put(&d->spread, ((uint64_t)origin << 32) | d->source[doc], 1));
        c->sources += rc == 1;
    }
    rc = 0;
done:
    return rc;
}

static int add_post(cred_dedup *d, cred_dup_match *out, const cred_dup_signature *q, int64_t date,
                    const char *source, uint32_t whole)
{
    int rc = 0;
    if (d->n_docs >= NO_DOC - 1)
        return cred__error(CRED_ELIMIT, "dedup index holds 2^32 - 2 posts");
    lookup lk;
    CRED_TRY(do_lookup(d, &lk, q, date, whole));
    if (d->n_docs == d->cap_docs)
        CRED_TRY(docs_reserve(d, d->cap_docs ? d->cap_docs * 2 : 64));
    uint32_t id = d->n_docs;
    lk.m.doc = id;
    if (lk.m.relation == CRED_DUP_NONE || lk.m.relation == CRED_DUP_VARIANT)
        lk.m.origin = id;
    d->parent[id] = lk.m.parent;
    d->origin[id] = lk.m.origin;
    d->source[id] = source_id(source);
    d->sim[id] = (uint16_t)(lk.m.similarity * 65535.0 + 0.5);
    d->rel[id] = (uint8_t)lk.m.relation;
    d->date[id] = date;
    d->facts[id] = q->facts;
    if (lk.index) {
        for (size_t i = 0; i < lk.n_index; i++)
            CRED_TRY(add_entry(d, (const dd_sig *)(q->sigs + (lk.first_index + i) * DD_K), id));
        if (lk.first_index)
            d->n_window_ent += (uint32_t)lk.n_index;
    }
    d->n_docs++;
    if (!q->empty)
        CRED_TRY(map_put(&d->exact, q->key_lo, id));
    if (lk.m.relation == CRED_DUP_EXACT || lk.m.relation == CRED_DUP_NEAR)
        CRED_TRY(spread_add(d, lk.m.origin, id));
    rc = 0;
    if (out)
        *out = lk.m;
done:
    return rc;
}

int cred_dedup_add_signed(cred_dedup *d, cred_dup_match *out, const cred_dup_signature *sig, int64_t date,
                          const char *source)
{
    return add_post(d, out, sig, date, source, NO_DOC);
}

int cred_dedup_add_part_signed(cred_dedup *d, cred_dup_match *out, const cred_dup_signature *sig, int64_t date,
                               const char *source, uint32_t whole)
{
    if (whole >= d->n_docs)
        return cred__error(CRED_ENOTFOUND, "no post %u in the dedup index", whole);
    return add_post(d, out, sig, date, source, whole);
}

int cred_dedup_add(cred_dedup *d, cred_dup_match *out, const cred_doc *doc, int64_t date, const char *source)
{
    int rc = sign_own(d, doc);
    return rc < 0 ? rc : cred_dedup_add_signed(d, out, &d->qs, date, source);
}

int cred_dedup_add_part(cred_dedup *d, cred_dup_match *out, const cred_doc *doc, int64_t date, const char *source,
                        uint32_t whole)
{
    if (whole >= d->n_docs)
        return cred__error(CRED_ENOTFOUND, "no post %u in the dedup index", whole);
    int rc = sign_own(d, doc);
    return rc < 0 ? rc : cred_dedup_add_part_signed(d, out, &d->qs, date, source, whole);
}

int cred_dedup_get(const cred_dedup *d, cred_dup_match *out, uint32_t doc)
{
    if (doc >= d->n_docs)
        return cred__error(CRED_ENOTFOUND, "no post %u in the dedup index", doc);
    out->doc = doc;
    out->parent = d->parent[doc];
    out->origin = d->origin[doc];
    out->similarity = d->sim[doc] / 65535.0;
    out->relation = (cred_dup_relation)d->rel[doc];
    return 0;
}

int cred_dedup_cluster(const cred_dedup *d, cred_dup_cluster *out, uint32_t doc)
{
    if (doc >= d->n_docs)
        return cred__error(CRED_ENOTFOUND, "no post %u in the dedup index", doc);
    uint32_t o = d->origin[doc];
    out->origin = o;
    out->first_seen = d->date[o];
    uint32_t ci = map_get(&d->clusters, o);
    if (ci == NO_DOC) {
        out->size = 1;
        out->sources = d->source[o] != 0;
        out->last_seen = d->date[o];
    } else {
        out->size = d->crec[ci].size;
        out->sources = d->crec[ci].sources;
        out->last_seen = d->crec[ci].last;
    }
    return 0;
}
