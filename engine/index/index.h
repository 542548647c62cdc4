/*
 * Internal interface of engine/index/: the corpus (a directory of immutable segments plus a
 * write-ahead log) and its search index. The public face is cred_corpus_* in credence.h.
 *
 *   record.c   the post record (WAL payload and stored form): fields, score, dedup links; varints.
 *   build.c    a segment from records: analysis on two threads with dedup linking following them
 *              in the calling thread, a sorted front-coded term dictionary, block postings (doc gaps
 *              and tf per 128 docs, Rice or patched frame of reference; block-max skip table),
 *              positions in their own stream, zstd text blocks, the id map; postings encoded on two
 *              threads (two term ranges); the frequent-pair index (adjacent pairs of the segment's most
 *              frequent stems, with the doc lists of the rare ones) for phrases.
 *   segment.c  a loaded segment: checks, term lookup, prefix ranges, posting cursors, records.
 *   corpus.c   the directory: MANIFEST, segments, log, replace-by-id, commit, flush, compact, verify.
 *   query.c    the query language → a tree (column-precise syntax errors).
 *   search.c   evaluation: doc-at-a-time cursors, BM25, block-max pruning, filters, snippets.
 *
 * Segment doc ids are assigned in (date, seq) order, so a date window is a doc id range.
 */
#ifndef CRED_INDEX_H
#define CRED_INDEX_H

#include <math.h>
#include <pthread.h>

#include "dedup/dedup.h"
#include "store/store.h"

/* ---- varints --------------------------------------------------------------------------------- */

static inline int ix_put_varint(cred_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    return cred_buf_put(b, tmp, n);
}

/** Read a varint from [*p, end); false (and *p unchanged) when it runs past end or over 64 bits. */
static inline bool ix_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *q = *p;
    uint64_t v = 0;
    for (unsigned shift = 0; q < end && shift < 64; shift += 7) {
        uint8_t c = *q++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *p = q;
            *out = v;
            return true;
        }
    }
    return false;
}

/* The corpus order of posts: by date (CRED_DATE_UNKNOWN, the smallest, first), then insertion number.
   A qsort-style result. */
static inline int ix_order_cmp(int64_t date_a, uint64_t seq_a, int64_t date_b, uint64_t seq_b)
{
    if (date_a != date_b)
        return date_a < date_b ? -1 : 1;
    return seq_a < seq_b ? -1 : seq_a > seq_b;
}

/* ---- bit packing (postings blocks) ----------------------------------------------------------- */

static inline unsigned ix_bits(uint32_t v)
{
    return v ? 32u - (unsigned)__builtin_clz(v) : 0u;
}

/** Append n values of `bits` bits each (LSB first), padded to a byte. */
int ix_pack(cred_buf *b, const uint32_t *v, size_t n, unsigned bits);
/** Read n values of `bits` bits from [*p, end); false when it runs past end. */
bool ix_unpack(const uint8_t **p, const uint8_t *end, uint32_t *v, size_t n, unsigned bits);
/** n small integers, the shorter of two codes (record.c): Rice with an escape for large values (mode
 *  byte k < 32), or a patched frame of reference (mode byte 64 + width). */
int ix_pfor_pack(cred_buf *b, const uint32_t *v, size_t n);
/** Value i in w[i] bits (LSB first), the whole padded to a byte. */
int ix_pack_widths(cred_buf *b, const uint32_t *v, const uint8_t *w, size_t n);
bool ix_unpack_widths(const uint8_t **p, const uint8_t *end, uint32_t *v, const uint8_t *w, size_t n);
bool ix_pfor_unpack(const uint8_t **p, const uint8_t *end, uint32_t *v, size_t n);

/* ---- records --------------------------------------------------------------------------------- */

#define IX_NO_SEQ UINT64_MAX

/** A post as the corpus keeps it. Strings point into the record's buffer (or the caller's post). */
typedef struct ix_record {
    uint64_t seq;            /* corpus-wide insertion number */
    int64_t date;
    const char *id, *text, *source, *author, *author_id, *date_text, *forwarded_from, *url, *lang, *flags;
    size_t id_len, text_len, source_len, author_len, author_id_len, date_text_len, fwd_len, url_len,
        lang_len, flags_len;
    uint32_t kind, post_flags;
    double validity;         /* NaN when not scored */
    /* dedup links (valid when linked) */
    bool linked;
    uint8_t relation;
    float similarity;
    uint64_t parent, origin; /* seqs, IX_NO_SEQ for none */
    char lang_buf[8];        /* detected language when the input declared none (set by ix_build) */
} ix_record;

/* Whether a linked record is an exemplar: later posts are compared with it (a close copy, similarity
   IX_EXEMPLAR_BELOW or more, is not: its parent stands for it). */
#define IX_EXEMPLAR_BELOW 0.6f
static inline bool ix_is_exemplar(const ix_record *r)
{
    return r->relation == CRED_DUP_NONE || r->relation == CRED_DUP_VARIANT || r->similarity < IX_EXEMPLAR_BELOW;
}

int ix_record_encode(cred_buf *b, const ix_record *r);
/** Decode; strings point into buf. false on malformed input. */
bool ix_record_decode(ix_record *r, const uint8_t *buf, size_t len);

/* ---- segments -------------------------------------------------------------------------------- */

#define IX_SEG_VERSION 3u
#define IX_BLOCK 128            /* postings per block */
#define IX_TEXT_BLOCK (8u << 10)
#define IX_DICT_BLOCK 16
#define IX_TEXT_CACHE 32        /* decompressed text blocks kept per segment */

enum { /* section kinds */
    IX_SEC_META = 1,   /* ix_meta */
    IX_SEC_DOCS,       /* ix_doc[n_docs], columns (ix_docs_encode), zstd */
    IX_SEC_IDMAP,      /* ix_idmap[n_docs], sorted by hash then doc */
    IX_SEC_TEXTDIR,    /* ix_textblk[n_blocks] */
    IX_SEC_TEXT,       /* zstd blocks of encoded records */
    IX_SEC_DICT,       /* front-coded terms */
    IX_SEC_POST,       /* per term: skip table (df > IX_BLOCK) then blocks: gaps - 1, tf - 1 (ix_pfor_pack) */
    IX_SEC_POS,        /* per term and block: first positions (bits of len - 1), later gaps - 1 (ix_pfor_pack) */
    IX_SEC_SIGS,       /* ix_sig[n_sigs] exemplar signatures */
    IX_SEC_LINKS,      /* ix_link[n_docs] */
    IX_SEC_PAIRS,      /* frequent-pair index: u32 n_freq, u32 n_pairs; n_freq terms (u8 len, bytes; sorted);
                          ix_pair[n_pairs] sorted by (a, b); doc lists (varint gaps, first doc + 1) */
};

/* Adjacent pairs of frequent terms (the IX_PAIR_TERMS stem terms of highest df, df >= n_docs /
 * IX_PAIR_MIN_DF_DIV): every pair that occurs is listed, so a phrase pair of two frequent terms that is
 * absent matches nothing; a pair's docs are stored when it is rare next to its words (len 0: not). */
#define IX_PAIR_TERMS 128
#define IX_PAIR_MIN_DF_DIV 100
typedef struct ix_pair {
    uint16_t a, b;           /* ranks in the sorted frequent-term list */
    uint32_t df;             /* docs holding the pair */
    uint32_t off, len;       /* doc list bytes in the data part (len 0: not stored) */
} ix_pair;                   /* 16 bytes */

typedef struct ix_meta {
    uint64_t n_docs, n_terms, n_dict_blocks, n_text_blocks, n_sigs;
    uint64_t total_len;      /* indexed tokens, for the average doc length */
    int64_t min_date, max_date;
    uint64_t min_seq, max_seq;
    uint64_t reserved[6];
} ix_meta;

/* What ranking and filtering read for every candidate (the index proper). */
typedef struct ix_doc {
    int64_t date;
    float validity;
    uint32_t len;            /* indexed tokens */
} ix_doc;                    /* 16 bytes */

/** The doc table section (zstd-compressed on disk; loaded into memory). */
int ix_docs_encode(cred_buf *b, const ix_doc *docs, size_t n);
/** false when [p, p + len) is not exactly n docs. */
bool ix_docs_decode(ix_doc *docs, size_t n, const uint8_t *p, size_t len);

/* The rest of a doc's fixed record: identity, cluster forest links, where its text is. */
typedef struct ix_link {
    uint64_t seq;
    uint64_t origin, parent; /* seqs */
    float similarity;
    uint32_t text_block;     /* which text block holds the record */
    uint8_t relation, kind;
    uint8_t reserved[6];
} ix_link;                   /* 40 bytes */

typedef struct ix_idmap {
    uint64_t hash;
    uint64_t doc;
} ix_idmap;

typedef struct ix_textblk {
    uint64_t off, len, raw_len, xxh;
    uint32_t first_doc, n_docs;
} ix_textblk;

typedef struct ix_sig {
    uint64_t doc;
    uint64_t key;            /* exact key (low 64 bits) */
    uint8_t v[DD_K];
} ix_sig;

typedef struct ix_skip {
    uint32_t last_doc, doc_off, pos_off;
    float fmax;              /* max over the block of tf / (tf + K(len)), K with the segment's avgdl */
} ix_skip;                   /* 16 bytes */

#define IX_K1 1.2
#define IX_B 0.75
/* The length-dependent part of BM25: tf / (tf + k1 (1 - b + b len / avgdl)). */
static inline double ix_tf_part(uint32_t tf, uint32_t len, double avgdl)
{
    return tf / (tf + IX_K1 * (1 - IX_B + IX_B * (avgdl > 0 ? len / avgdl : 1)));
}

/** A dictionary entry. */
typedef struct ix_term {
    uint64_t df, post_off, post_len, pos_off, pos_len;
    float fmax;              /* max of ix_tf_part over the whole list (segment avgdl) */
} ix_term;

typedef struct ix_segment {
    st_file f;
    char *name;                   /* file name in the directory ("" for the log segment) */
    uint32_t number;
    ix_meta meta;
    const ix_doc *docs;           /* decoded at load (docs_mem) */
    ix_doc *docs_mem;
    uint16_t *lens;               /* docs[d].len, or UINT16_MAX when larger: the doc table's hot column,
                                     8 times denser (built at load; fewer cache misses when scoring) */
    const ix_link *links;
    const ix_idmap *idmap;
    const ix_textblk *textdir;
    const uint8_t *text; size_t text_len;
    const uint8_t *dict; size_t dict_len;
    const uint32_t *dict_blocks;  /* offsets of the block starts in dict */
    const uint8_t *dict_entries;  /* after the block table */
    const uint8_t *post; size_t post_len;
    const uint8_t *pos; size_t pos_len;
    const ix_sig *sigs;
    /* frequent-pair index (IX_SEC_PAIRS) */
    uint32_t n_freq, n_pairs;
    const uint8_t **freq;         /* n_freq length-prefixed terms (malloc'd array) */
    const ix_pair *pairs;         /* unaligned: read with memcpy */
    const uint8_t *pair_data; size_t pair_data_len;
    uint8_t *deleted;             /* bitmap: replaced by a newer version (malloc'd, or NULL) */
    uint64_t n_deleted;
    /* small LRU cache of decompressed text blocks (hits, their parents and origins; repeated queries);
     * like the rest of a corpus, used by one thread at a time (the server holds its corpus_mu) */
    struct ix_text_slot {
        uint32_t block;           /* UINT32_MAX: empty */
        uint64_t used;
        uint8_t *buf; size_t cap;
    } tcache[IX_TEXT_CACHE];
    uint64_t tcache_tick;
    void *dctx;                   /* zstd decompression context, reused for text blocks */
    uint8_t *text_ok;             /* bitmap: text blocks whose checksum was verified (lazily) */
    /* seq - min_seq -> doc + 1 (0: none), built at load (file segments) or the first lookup by seq */
    uint32_t *seqmap;
    size_t seqmap_len;
    void *isect;                  /* search.c: doc lists of term pairs both holding a doc (a word's stems),
                                     built at first use (ix_isect_free) */
} ix_segment;

int ix_segment_load(ix_segment *s, const char *path, const char *name, uint32_t number);
int ix_segment_load_memory(ix_segment *s, void *data, size_t len, const char *name);
void ix_segment_free(ix_segment *s);
void ix_isect_free(void *isect);
/** Check every block checksum and decode every record (verify). */
int ix_segment_verify(ix_segment *s);

/** Look a term up. 1 found, 0 not, <0 corrupt. */
int ix_segment_term(const ix_segment *s, ix_term *out, const char *term, size_t len);
typedef int (*ix_term_fn)(void *payload, const char *term, size_t len, const ix_term *t);
/** Call fn for each term starting with prefix, in order, until fn returns non-zero or max terms. */
int ix_segment_prefix(const ix_segment *s, const char *prefix, size_t len, size_t max, ix_term_fn fn, void *payload);
/** The record of a doc (decompresses its text block); strings valid until the next call. */
int ix_segment_record(ix_segment *s, ix_record *out, uint32_t doc);
/** Build s->seqmap when the segment's seqs are dense enough (left NULL otherwise, or without memory). */
void ix_segment_seqmap(ix_segment *s);
/** Docs whose id hashes to h: first index into idmap (or n_docs). */
size_t ix_segment_id_lower(const ix_segment *s, uint64_t h);
static inline uint32_t ix_doc_len(const ix_segment *s, uint32_t d)
{
    uint16_t l = s->lens[d];
    return l != UINT16_MAX ? l : s->docs[d].len;
}
static inline bool ix_deleted(const ix_segment *s, uint32_t d)
{
    return s->deleted && (s->deleted[d >> 3] >> (d & 7)) & 1;
}
uint64_t ix_id_hash(const char *id, size_t len);
/** Rank + 1 of a term among the segment's frequent terms (0: not one of them). */
unsigned ix_pair_rank(const ix_segment *s, const char *term, size_t len);
/** The pair of frequent terms (ranks + 1): 1 found (*p filled), 0 absent. */
int ix_pair_find(const ix_segment *s, unsigned a, unsigned b, ix_pair *p);
/** Decode a stored pair's doc list into out (p->df entries). false when corrupt. */
bool ix_pair_docs(const ix_segment *s, const ix_pair *p, uint32_t *out);

/* ---- postings cursor ------------------------------------------------------------------------- */

#define IX_END UINT32_MAX

typedef struct ix_cursor {
    const ix_segment *seg;
    ix_term t;
    const ix_skip *skip;     /* NULL for single-block lists; unaligned: read with memcpy */
    uint32_t n_blocks, block;
    const uint8_t *stream, *p, *end; /* doc stream: start, next entry, end */
    const uint8_t *pos_base; /* this term's positions */
    const uint8_t *blk_p, *block_pos; /* current block: doc stream and positions starts */
    uint32_t in_block;       /* docs read in the current block */
    uint64_t read;           /* docs read in all */
    uint32_t doc, tf;
    int64_t prev;
    uint32_t n_in_block;     /* docs in the current block */
    uint32_t bdocs[IX_BLOCK], btf[IX_BLOCK];
    /* positions of the current block, decoded on demand: offsets of each doc's run */
    bool pos_ready;
    uint32_t hint;           /* block where the last ix_cursor_block_bound() stopped (scans resume there) */
    uint32_t poff[IX_BLOCK + 1];
    uint32_t *pos;
    size_t pos_cap;
    bool corrupt;
} ix_cursor;

void ix_cursor_init(ix_cursor *c, const ix_segment *s, const ix_term *t);
/** Advance to the first doc >= target (IX_END when none). */
uint32_t ix_cursor_seek(ix_cursor *c, uint32_t target);
uint32_t ix_cursor_next(ix_cursor *c);
/** Last doc of the block holding the first doc >= target (IX_END when none) and its fmax in *fmax. */
uint32_t ix_cursor_block_bound(ix_cursor *c, uint32_t target, float *fmax);
/** Positions of the current doc into out (tf of them). false when corrupt. */
bool ix_cursor_positions(ix_cursor *c, uint32_t *out);
void ix_cursor_free(ix_cursor *c);

/* ---- building -------------------------------------------------------------------------------- */

typedef struct ix_build_opts {
    unsigned threads;
    double threshold;     /* dedup */
    const ix_segment *const *older; /* segments to link new posts against */
    size_t n_older;
} ix_build_opts;

/**
 * Build a segment file image from records (which the builder may reorder, and whose dedup links it
 * fills when not linked). out receives the bytes.
 */
int ix_build(cred_buf *out, ix_record *recs, size_t n, const ix_build_opts *o);

/* A band-hash multimap over signatures (32 bands of 4 bins), for linking and lookups. */
#define IX_LSH_BANDS 32
typedef struct ix_lsh_ent {
    uint64_t band;
    uint32_t next;
    uint32_t seg;
    uint32_t doc;
} ix_lsh_ent;
typedef struct ix_lsh {
    uint32_t *head;     /* bucket -> first entry (UINT32_MAX: none) */
    size_t cap;
    ix_lsh_ent *e;
    size_t n, cap_e;
} ix_lsh;
uint64_t ix_band_key(const uint8_t *v, unsigned band);
int ix_lsh_add(ix_lsh *l, const uint8_t *v, uint32_t seg, uint32_t doc);

/* term namespaces (first byte) */
#define IX_NS_FIELD '\x01'
#define IX_NS_SURFACE '\x02'
#define IX_NS_BIGRAM '\x03'

/** Field term "\x01" letter value (value folded to lower case ASCII). */
int ix_field_term(cred_buf *b, char field, const char *v, size_t len);

#endif

/* ---- the corpus handle (corpus.c; search.c reads it) ------------------------------------------- */

typedef struct ix_query ix_query;

struct cred_corpus {
    char *dir;
    unsigned flags;
    cred_corpus_options opts;
    int lock_fd;
    ix_segment **segs;       /* oldest first; the log segments (if any) last */
    size_t n_segs;
    size_t n_logsegs;        /* in-memory segments of the log records, newest last, each at most half
                                the size of the one before (an add builds one of its own posts, then
                                merges the small ones: O(log n) rebuilds per post, amortised) */
    uint64_t flushed_gen, next_seq;
    uint32_t next_seg;
    st_wal wal;
    cred_buf pend;           /* encoded records waiting for commit: varint length + record */
    size_t n_pend;
    cred_buf logrecs;        /* records in the log, same encoding */
    size_t n_log;
    /* lookups and search */
    cred_text *qt;
    cred_buf strs;           /* strings handed out in cred_corpus_post */
    char **langs;            /* languages present (for query stemming) */
    size_t n_langs;
    void *search;            /* search.c scratch */
    ix_lsh **seg_lsh;        /* per segment (same index): its exemplar signatures, built at first use
                                (dups.c); NULL for small segments, which are scanned */
    size_t seg_lsh_len;
    uint32_t **seg_src;      /* per segment (same index): hash of each doc's source, 0 until read
                                (cred_corpus_cluster() reads a record once per doc); seg_lsh_len long */
    const char **members;    /* cred_corpus_cluster() member ids (into strs) */
    size_t members_cap;
};

/** Decode the records of a length-prefixed buffer into an array (strings point into buf). */
int ix_records_decode(ix_record **out, size_t *n, const cred_buf *buf);
/** Fill a public post from a record; strings copied into c->strs (offsets fixed by ix_post_fix). */
int ix_post_from(cred_corpus *c, cred_corpus_post *out, const ix_record *r);
/** Find the live (segment, doc) holding seq; false when none. */
bool ix_find_seq(cred_corpus *c, uint64_t seq, size_t *seg, uint32_t *doc);
/** Find the live (segment, doc) of an id; false when none (or <0 is not used). */
bool ix_find_id(cred_corpus *c, const char *id, size_t len, size_t *seg, uint32_t *doc);
void ix_search_free(void *search);
void ix_dups_free(cred_corpus *c);
/** Forget the lookup table of segment i (before it is removed or replaced). */
void ix_dups_forget(cred_corpus *c, size_t i);
/** Link new records (unlinked, in any order) against the posts of segments [0, n_older) and each
 *  other, as ix_build would with those as `older`, but through the per-segment tables (kept across
 *  calls): the cost does not grow with the corpus. Sets linked on each. */
int ix_dups_link(cred_corpus *c, ix_record *recs, size_t n, size_t n_older);
