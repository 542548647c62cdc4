/* Shingles, one-permutation MinHash with optimal densification, the estimator and the exact key. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <pthread.h>
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dedup.h"

#define VALUE_BITS 57
#define VALUE_MASK ((1ULL << VALUE_BITS) - 1)
#define DENSIFY_SEED 0x6a09e667f3bcc909ULL

static inline size_t cp_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

long cred_dedup__shingle_chars(uint64_t **h, size_t *cap, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (CRED_GROW(*h, *cap, len) < 0)
        return CRED_ENOMEM;
    uint64_t *out = *h;
    size_t ring[8], ncp = 0, n = 0, i = 0;
    while (i < len) {
        ring[ncp & 7] = i;
        ncp++;
        i += cp_len((unsigned char)s[i]);
        if (i > len)
            i = len;
        if (ncp >= DD_CHAR_NGRAM) {
            size_t start = ring[(ncp - DD_CHAR_NGRAM) & 7];
            out[n++] = XXH3_64bits(s + start, i - start);
        }
    }
    if (ncp < DD_CHAR_NGRAM)
        out[n++] = XXH3_64bits(s, len);
    return (long)n;
}

long cred_dedup__shingle_words(uint64_t **h, size_t *cap, const dd_prep *p, size_t from, size_t to)
{
    if (to <= from)
        return 0;
    if (CRED_GROW(*h, *cap, to - from) < 0)
        return CRED_ENOMEM;
    const char *s = p->text.ptr;
    size_t n = 0;
    if (to - from == 1) {
        (*h)[n++] = XXH3_64bits(s + p->word_start[from], p->word_end[from] - p->word_start[from]);
        return (long)n;
    }
    for (size_t i = from; i + 1 < to; i++)
        (*h)[n++] = XXH3_64bits(s + p->word_start[i], p->word_end[i + 1] - p->word_start[i]);
    return (long)n;
}

/* The first PROBES bins of each bin's densification probe sequence (doc-independent), computed once:
 * most empty bins find a filled one among them without hashing. */
#define PROBES 32
static uint8_t g_probe[DD_K][PROBES];
static pthread_once_t g_probe_once = PTHREAD_ONCE_INIT;

static inline size_t probe_bin(size_t j, uint64_t attempt)
{
    return (size_t)(dd_mix64(DENSIFY_SEED ^ ((uint64_t)j << 32) ^ attempt) >> VALUE_BITS);
}

static void probe_init(void)
{
    for (size_t j = 0; j < DD_K; j++)
        for (size_t a = 0; a < PROBES; a++)
            g_probe[j][a] = (uint8_t)probe_bin(j, a + 1);
}

/* The signature from the minima of each bin (UINT64_MAX: empty; at least one bin filled). */
static void densify(dd_sig *out, const uint64_t *mins)
{
    pthread_once(&g_probe_once, probe_init);
    /* Optimal densification: an empty bin takes the value of the first non-empty bin on its own
     * doc-independent probe sequence, so two sets agree on it with probability J. Every bin takes its
     * own value first (no branches); then the empty ones, found in a bit mask, probe. */
    uint64_t ok[DD_K / 64] = {0};
    for (size_t j = 0; j < DD_K; j++) {
        out->v[j] = (uint8_t)mins[j];
        ok[j / 64] |= (uint64_t)(mins[j] <= VALUE_MASK) << (j % 64);
    }
    for (size_t w = 0; w < DD_K / 64; w++) {
        for (uint64_t empty = ~ok[w]; empty; empty &= empty - 1) {
            size_t j = w * 64 + (size_t)__builtin_ctzll(empty);
            const uint8_t *pr = g_probe[j];
            size_t a = 0, k = pr[0];
            while (!(ok[k / 64] >> (k % 64) & 1) && ++a < PROBES)
                k = pr[a];
            for (uint64_t attempt = PROBES + 1; a == PROBES; attempt++) {
                k = probe_bin(j, attempt);
                if (ok[k / 64] >> (k % 64) & 1)
                    break;
            }
            out->v[j] = (uint8_t)mins[k];
        }
    }
}

static inline void add_min(uint64_t *mins, uint64_t h)
{
    size_t bin = (size_t)(h >> VALUE_BITS);
    uint64_t v = h & VALUE_MASK, m = mins[bin];
    mins[bin] = v < m ? v : m;
}

void cred_dedup__sign(dd_sig *out, const uint64_t *h, size_t n)
{
    uint64_t mins[DD_K];
    for (size_t j = 0; j < DD_K; j++)
        mins[j] = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        add_min(mins, h[i]);
    if (n == 0) {
        memset(out->v, 0, DD_K);
        return;
    }
    densify(out, mins);
}

static bool all_ascii(const char *s, size_t len)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        acc |= x;
    }
    for (; i < len; i++)
        acc |= (unsigned char)s[i];
    return !(acc & 0x8080808080808080ULL);
}

#if DD_CHAR_NGRAM == 5 && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* XXH3_64bits() of the 5 bytes at p (its 4-to-8-byte path, unseeded, spelt out so that it inlines into
 * the window loop); bitflip is that path's secret constant. */
static inline uint64_t xxh3_5(const char *p, uint64_t bitflip)
{
    uint32_t in1, in2;
    memcpy(&in1, p, 4);
    memcpy(&in2, p + 1, 4);
    uint64_t h = ((uint64_t)in2 + ((uint64_t)in1 << 32)) ^ bitflip;
    h ^= ((h << 49) | (h >> 15)) ^ ((h << 24) | (h >> 40));
    h *= 0x9FB21C651E98DF25ULL;
    h ^= (h >> 35) + 5;
    h *= 0x9FB21C651E98DF25ULL;
    return h ^ (h >> 28);
}
#define HAVE_XXH3_5 1
#endif

void cred_dedup__sign_chars(dd_sig *out, const char *s, size_t len)
{
    if (len == 0) {
        memset(out->v, 0, DD_K);
        return;
    }
    uint64_t mins[DD_K];
    for (size_t j = 0; j < DD_K; j++)
        mins[j] = UINT64_MAX;
    if (all_ascii(s, len)) {
        /* one byte per code point: the n-grams are the windows of DD_CHAR_NGRAM bytes */
        if (len < DD_CHAR_NGRAM)
            add_min(mins, XXH3_64bits(s, len));
        else {
#ifdef HAVE_XXH3_5
            uint64_t s8, s16;
            memcpy(&s8, XXH3_kSecret + 8, 8);
            memcpy(&s16, XXH3_kSecret + 16, 8);
            for (size_t i = 0; i + DD_CHAR_NGRAM <= len; i++)
                add_min(mins, xxh3_5(s + i, s8 ^ s16));
#else
            for (size_t i = 0; i + DD_CHAR_NGRAM <= len; i++)
                add_min(mins, XXH3_64bits(s + i, DD_CHAR_NGRAM));
#endif
        }
    } else {
        /* as cred_dedup__shingle_chars() */
        size_t ring[8], ncp = 0, i = 0;
        while (i < len) {
            ring[ncp & 7] = i;
            ncp++;
            i += cp_len((unsigned char)s[i]);
            if (i > len)
                i = len;
            if (ncp >= DD_CHAR_NGRAM) {
                size_t start = ring[(ncp - DD_CHAR_NGRAM) & 7];
                size_t l = i - start;
                /* XXH3_64bits(), its short-input path inlined: n-grams are 5 to 20 bytes */
                add_min(mins, l <= 16 ? XXH3_len_0to16_64b((const xxh_u8 *)s + start, l, XXH3_kSecret, 0)
                                      : XXH3_64bits(s + start, l));
            }
        }
        if (ncp < DD_CHAR_NGRAM)
            add_min(mins, XXH3_64bits(s, len));
    }
    densify(out, mins);
}

double cred_dedup__estimate(const dd_sig *a, const dd_sig *b)
{
    unsigned eq = 0;
#if defined(__SSE2__)
    /* 16 bins per compare (equal bytes count -1 in their lane, at most DD_K / 16 = 8 per lane), then
     * one sum of absolute differences: this runs for every verified candidate of every lookup */
    __m128i acc = _mm_setzero_si128();
    for (size_t j = 0; j < DD_K; j += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a->v + j));
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b->v + j));
        acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x, y));
    }
    __m128i sum = _mm_sad_epu8(acc, _mm_setzero_si128());
    eq = (unsigned)(_mm_cvtsi128_si32(sum) + _mm_cvtsi128_si32(_mm_srli_si128(sum, 8)));
#else
    for (size_t j = 0; j < DD_K; j++)
        eq += a->v[j] == b->v[j];
#endif
    const double c = 1.0 / 256.0;
    double j = ((double)eq / DD_K - c) / (1.0 - c);
    return j < 0 ? 0 : j > 1 ? 1 : j;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t sort_unique(uint64_t *a, size_t n)
{
    if (n == 0)
        return 0;
    qsort(a, n, sizeof *a, cmp_u64);
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (a[i] != a[m - 1])
            a[m++] = a[i];
    return m;
}

double cred_dedup__jaccard(uint64_t *a, size_t na, uint64_t *b, size_t nb)
{
    na = sort_unique(a, na);
    nb = sort_unique(b, nb);
    if (na + nb == 0)
        return 1.0;
    size_t i = 0, k = 0, inter = 0;
    while (i < na && k < nb) {
        if (a[i] == b[k]) {
            inter++;
            i++;
            k++;
        } else if (a[i] < b[k]) {
            i++;
        } else {
            k++;
        }
    }
    return (double)inter / (double)(na + nb - inter);
}

dd_key cred_dedup__key(const char *s, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(s, len);
    dd_key k = {h.low64, h.high64};
    return k;
}
