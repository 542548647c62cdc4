/*
 * Internal interface between the files of engine/dedup/. The public face is cred_dedup_* in credence.h.
 *
 *   prep.c   cred_doc -> dedup text: tokens joined by single spaces, with emoji, forward boilerplate
 *            lines, trailing channel signatures and URL query strings removed; word offsets (for
 *            transcript windows) and fact hashes (numbers, dates, URLs) for the template-sibling test.
 *   sign.c   shingles (character n-grams or word pairs, hashed with XXH3-64), one-permutation MinHash
 *            with optimal densification stored as 8-bit values, the Jaccard estimator, the exact key.
 *   index.c  cred_dedup: exact-key map, banded LSH over exemplar signatures, best-earlier-match
 *            linking into a forest, cluster statistics.
 */
#ifndef CRED_DEDUP_H
#define CRED_DEDUP_H

#include "util/util.h"

#define DD_K 128          /* MinHash bins */
#define DD_CHAR_NGRAM 5   /* character shingle length, in code points */

/** A line of a doc: tokens [first, end), n_content of them not emoji. */
typedef struct dd_line {
    size_t first, end;
    size_t n_content;
} dd_line;

/** A document prepared for dedup. Reused from post to post (buffers only grow, so a post costs no
 *  allocation once they are large enough). */
typedef struct dd_prep {
    cred_buf text;       /* dedup text: tokens separated by one space, NUL-terminated */
    uint32_t *word_end;  /* word i spans [word_start[i], word_end[i]) of text */
    uint32_t *word_start;
    size_t n_words, cap_words, cap_words2;
    uint64_t *facts;     /* hashes of numbers, dates and canonical URLs (query-less) */
    size_t n_facts, cap_facts;
    dd_line *lines;      /* scratch of cred_dedup__prep_doc() */
    size_t cap_lines;
    unsigned char *drop; /* per token: left out of the dedup text */
    size_t cap_drop;
} dd_prep;

void cred_dedup__prep_free(dd_prep *p);

/**
 * Build the dedup text of an analysed doc. Emoji tokens are dropped; URLs are replaced by their
 * canonical form without scheme, query or fragment; lines that are forward boilerplate ("Forwarded as
 * received", "Encaminhado", "Reenviado", "فوروارد شده", "منقول", ...) and up to two trailing lines that
 * look like a channel signature (a mention or an invite link, or a join call, in a short line) are left
 * out. When nothing is left, the emoji are kept so that emoji-only posts still have a key.
 * @return 0 or CRED_ENOMEM.
 */
int cred_dedup__prep_doc(dd_prep *p, const cred_doc *doc);

/**
 * Prepare already-normalised text (tests and benchmarks): words are runs of non-space bytes, facts are
 * the words that contain a digit or "://". @return 0 or CRED_ENOMEM.
 */
int cred_dedup__prep_text(dd_prep *p, const char *s, size_t len);

/** An 8-bit one-permutation MinHash signature. */
typedef struct dd_sig {
    uint8_t v[DD_K];
} dd_sig;

/**
 * Hashes of the character n-grams (n code points, n = DD_CHAR_NGRAM) of s, appended to *h (grown as
 * needed). A text shorter than n code points gives one shingle, the whole text; "" gives none.
 * @return the number of hashes or CRED_ENOMEM.
 */
long cred_dedup__shingle_chars(uint64_t **h, size_t *cap, const char *s, size_t len);

/** Hashes of the word pairs (and of a lone word) of words [from, to) of p. Same contract. */
long cred_dedup__shingle_words(uint64_t **h, size_t *cap, const dd_prep *p, size_t from, size_t to);

/**
 * One-permutation MinHash of a shingle set: bin = top 7 bits of the hash, value = minimum of the low
 * bits, empty bins filled by optimal densification (Shrivastava 2017), each bin stored as its low 8
 * bits. Duplicated hashes are harmless. n == 0 gives an all-zero signature.
 */
void cred_dedup__sign(dd_sig *out, const uint64_t *h, size_t n);

/** cred_dedup__sign() of cred_dedup__shingle_chars(s, len), the same bytes, in one pass without the
 *  hash array (and a byte-window loop when s is ASCII). */
void cred_dedup__sign_chars(dd_sig *out, const char *s, size_t len);

/**
 * Estimated Jaccard similarity of the sets behind two signatures: the fraction of equal bins, corrected
 * for the 1/256 chance that 8-bit values of different minima agree, clamped to [0, 1].
 */
double cred_dedup__estimate(const dd_sig *a, const dd_sig *b);

/** Exact Jaccard similarity of two shingle hash arrays (sorts both in place). */
double cred_dedup__jaccard(uint64_t *a, size_t na, uint64_t *b, size_t nb);

/** The exact key: XXH3-128 of the dedup text. The index map keeps its low 64 bits (a false exact match
 *  needs a 64-bit collision: about 3e-6 over 10M distinct texts). */
typedef struct dd_key {
    uint64_t lo, hi;
} dd_key;

dd_key cred_dedup__key(const char *s, size_t len);

/** 64-bit mix (splitmix64 finaliser). */
static inline uint64_t dd_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

#endif
