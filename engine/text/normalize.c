/*
 * Normalisation: UTF-8 repair, NFKC + case folding (utf8proc), Arabic-script folding, digit and space
 * mapping, removal of default-ignorable and bidi controls, with a sparse offset map back to the raw
 * text.
 *
 * Speed: ASCII runs are lower-cased eight bytes at a time and add no map entry. Other code points
 * are looked up in a per-analyser cache (lazily filled table for the BMP, direct-mapped for the rest)
 * holding what each normalises to in isolation; utf8proc is only called to fill the cache and for
 * clusters of a starter with combining marks that are not simply dropped, and then through the
 * allocation-free utf8proc_decompose_custom() into a stack buffer + utf8proc_reencode().
 *
 * The map holds one entry per place where the correspondence changes (see cred_map_entry); pure
 * ASCII text, and text whose characters keep their UTF-8 length, has none.
 */
#include "text/pipeline.h"

#include <stdlib.h>
#include <utf8proc.h>

#define NORM_OPTS \
    ((utf8proc_option_t)(UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STABLE))
#define CLUSTER_MAX 32  /* code points normalised together at most (longer mark runs are split) */
#define DECOMP_CAP 640  /* stack buffer of code points for one cluster */

const uint8_t cred_text__ascii_cls[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 0, 10, 0, 0, 0, 0, 10, 0, 10, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 10, 0, 0,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 10, 0, 0,
};

/*
 * Foldings applied to every code point, before decomposition (so ۀ is caught before it splits into
 * ە + hamza) and after it (so presentation forms folded by NFKC are caught too).
 * Returns the replacement, or -1 when the code point is removed.
 */
static int32_t fold_cp(int32_t c)
{
    if (c < 0x80)
        return c;
    if (c < 0xA0)
        return c == 0x85 ? '\n' : -1;                 /* C1 controls; NEL is a line break */
    if (c >= 0x064B && c <= 0x065F)
        return -1;                                    /* harakat */
    if (c >= 0x0660 && c <= 0x0669)
        return '0' + (c - 0x0660);                    /* Arabic-Indic digits */
    if (c >= 0x06F0 && c <= 0x06F9)
        return '0' + (c - 0x06F0);                    /* Persian digits */
    switch (c) {
    case 0x064A: case 0x0649: return 0x06CC;          /* ي ى → ی */
    case 0x0643: return 0x06A9;                       /* ك → ک */
    case 0x0629: case 0x06C0: return 0x0647;          /* ة ۀ → ه */
    case 0x0622: case 0x0623: case 0x0625: case 0x0671: return 0x0627; /* آ أ إ ٱ → ا */
    case 0x0640: case 0x0670: return -1;              /* tatweel, superscript alef */
    case 0x2019: case 0x02BC: return '\'';            /* apostrophes */
    case 0x2010: case 0x2011: return '-';             /* hyphens */
    case 0x2028: case 0x2029: return '\n';            /* line and paragraph separators */
    case 0x1680: return ' ';                          /* a space separator NFKC keeps */
    default: return c;
    }
}

static utf8proc_int32_t prefold(utf8proc_int32_t c, void *data)
{
    (void)data;
    int32_t f = fold_cp(c);
    return f < 0 ? c : f;
}

/* Fold and filter decomposed code points in place; returns the new count. */
static utf8proc_ssize_t postfold(utf8proc_int32_t *buf, utf8proc_ssize_t n)
{
    utf8proc_ssize_t m = 0;
    for (utf8proc_ssize_t i = 0; i < n; i++) {
        int32_t f = fold_cp(buf[i]);
        if (f < 0)
            continue;
        if (f >= 0x80 && utf8proc_category(f) == UTF8PROC_CATEGORY_ZS)
            f = ' ';
        buf[m++] = f;
    }
    return m;
}

/*
 * Normalise a short valid UTF-8 sequence into out (cap bytes). Returns the byte count, or -1 when the
 * result does not fit the stack buffers (the caller then falls back to per-code-point output).
 * *ncp receives the number of code points produced.
 */
static long normalise_seq(const unsigned char *s, size_t len, char *out, size_t cap, long *ncp)
{
    utf8proc_int32_t buf[DECOMP_CAP];
    utf8proc_ssize_t r = utf8proc_decompose_custom(s, (utf8proc_ssize_t)len, buf, DECOMP_CAP - 1, NORM_OPTS,
                                                   prefold, NULL);
    if (r < 0 || r > DECOMP_CAP - 1)
        return -1;
    r = postfold(buf, r);
    utf8proc_ssize_t b = utf8proc_reencode(buf, r, (utf8proc_option_t)(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
    if (b < 0 || (size_t)b > cap)
        return -1;
    long cps = 0;
    const unsigned char *u = (const unsigned char *)buf;
    for (utf8proc_ssize_t i = 0; i < b; i++)
        cps += (u[i] & 0xC0) != 0x80;
    memcpy(out, buf, (size_t)b);
    *ncp = cps;
    return (long)b;
}

static int is_emoji(int32_t c)
{
    if (c >= 0x1F000)
        return c <= 0x1FAFF || (c >= 0x1FC00 && c <= 0x1FFFD);
    if (c >= 0x2600 && c <= 0x27BF)
        return 1;
    switch (c) {
    case 0x00A9: case 0x00AE: case 0x2139: case 0x231A: case 0x231B: case 0x2328: case 0x23CF:
    case 0x24C2: case 0x25AA: case 0x25AB: case 0x25B6: case 0x25C0: case 0x2934: case 0x2935:
    case 0x2B1B: case 0x2B1C: case 0x2B50: case 0x2B55: case 0x3030: case 0x303D: case 0x3297:
    case 0x3299:
        return 1;
    default:
        return (c >= 0x2194 && c <= 0x2199) || (c >= 0x21A9 && c <= 0x21AA) || (c >= 0x23E9 && c <= 0x23F3) ||
               (c >= 0x23F8 && c <= 0x23FA) || (c >= 0x25FB && c <= 0x25FE) || (c >= 0x2B05 && c <= 0x2B07);
    }
}

static uint8_t classify(int32_t c, utf8proc_category_t cat)
{
    if (c < 0x80)
        return cred_text__ascii_cls[c];
    if (c >= 0x1F1E6 && c <= 0x1F1FF)
        return CRED_CLS_REGIONAL;
    if (c >= 0x1F3FB && c <= 0x1F3FF)
        return CRED_CLS_EMOJI_MOD;
    if (is_emoji(c))
        return CRED_CLS_EMOJI;
    switch (c) {
    case 0x061F: case 0x06D4: case 0x3002: case 0x0964: case 0x0965: case 0xFF61: case 0x2026:
        return CRED_CLS_TERM;
    default:
        break;
    }
    switch (cat) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_NL:
        return CRED_CLS_LETTER;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return CRED_CLS_MARK;
    case UTF8PROC_CATEGORY_ND:
        return CRED_CLS_DIGIT;
    case UTF8PROC_CATEGORY_ZS:
        return CRED_CLS_SPACE;
    case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
        return CRED_CLS_NEWLINE;
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PF:
        return CRED_CLS_CLOSE;
    default:
        return CRED_CLS_OTHER;
    }
}

/* Fill *ci for code point c (one utf8proc round trip). */
static void compute(int32_t c, cred_cpinfo *ci)
{
    unsigned char enc[4];
    int k = cred_utf8_encode(c, (char *)enc);
    utf8proc_category_t cat = utf8proc_category(c);
    memset(ci, 0, sizeof *ci);
    ci->cls = classify(c, cat);
    if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT)
        ci->flags |= CRED_CPF_UPPER;
    else if (cat == UTF8PROC_CATEGORY_LL)
        ci->flags |= CRED_CPF_LOWER;
    if (utf8proc_get_property(c)->combining_class != 0 || cat == UTF8PROC_CATEGORY_MN ||
        cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME || (c >= 0x1160 && c <= 0x11FF))
        ci->flags |= CRED_CPF_MARK;
    char out[64];
    long ncp = 0;
    long b = normalise_seq(enc, (size_t)k, out, sizeof out, &ncp);
    if (b < 0) { /* cannot happen for one code point; keep it unchanged */
        memcpy(out, enc, (size_t)k);
        b = k;
        ncp = 1;
    }
    if (b == 0)
        ci->flags |= CRED_CPF_DROP;
    /* language identification reads raw text, where a removed non-mark (ZWNJ in می‌شود) ends a word */
    if (cred_text__langcp(c) >= 0 || (b == 0 && !(ci->flags & CRED_CPF_MARK)))
        ci->flags |= CRED_CPF_LANG;
    if (ncp == 1 && b == k)
        ci->flags |= CRED_CPF_SAME;
    if ((size_t)b > sizeof ci->out) {
        ci->flags |= CRED_CPF_LONG;
        ci->n = (uint8_t)CRED_MIN(b, 255);
    } else {
        ci->n = (uint8_t)b;
        memcpy(ci->out, out, (size_t)b);
    }
    ci->flags |= CRED_CPF_FILLED;
}

const cred_cpinfo *cred_text__cpinfo(cred_norm *n, int32_t cp)
{
    if (cp < 0x10000) {
        if (CRED_UNLIKELY(!n->bmp)) {
            n->bmp = calloc(0x10000, sizeof *n->bmp);
            if (!n->bmp) {
                compute(cp, &n->scratch);
                return &n->scratch;
            }
        }
        cred_cpinfo *ci = &n->bmp[cp];
        if (!(ci->flags & CRED_CPF_FILLED))
            compute(cp, ci);
        return ci;
    }
    unsigned slot = (unsigned)cp & 255u;
    if (n->astral[slot].cp != cp || !(n->astral[slot].info.flags & CRED_CPF_FILLED)) {
        compute(cp, &n->astral[slot].info);
        n->astral[slot].cp = cp;
    }
    return &n->astral[slot].info;
}

#define lookup cred_text__cpinfo_fast

void cred_text__norm_init(cred_norm *n)
{
    memset(n, 0, sizeof *n);
}

void cred_text__norm_free(cred_norm *n)
{
    cred_buf_free(&n->out);
    free(n->map);
    free(n->bmp);
    memset(n, 0, sizeof *n);
}

/* ---- output and map -------------------------------------------------------------------------- */

/* State of the map writer: delta = raw - norm of the open identity segment, DELTA_NONE otherwise. */
#define DELTA_NONE INT64_MIN

typedef struct snap {
    size_t out_len, map_len;
    cred_map_entry last;
    int64_t delta;
} snap;

static int add_entry(cred_norm *n, uint32_t norm, uint32_t raw, uint32_t raw_end)
{
    if (n->map_len && n->map[n->map_len - 1].norm == norm) { /* the previous segment is empty */
        n->map[n->map_len - 1] = (cred_map_entry){norm, raw, raw_end};
        return 0;
    }
    if (CRED_UNLIKELY(n->map_len == n->map_cap) && CRED_GROW(n->map, n->map_cap, n->map_len + 1) < 0)
        return CRED_ENOMEM;
    n->map[n->map_len++] = (cred_map_entry){norm, raw, raw_end};
    return 0;
}

/* Append bytes that correspond byte for byte to raw[r0..]. */
static int emit_same(cred_norm *n, int64_t *delta, size_t r0, const char *b, size_t nb)
{
    int64_t d = (int64_t)r0 - (int64_t)n->out.len;
    if (d != *delta) {
        if (add_entry(n, (uint32_t)n->out.len, (uint32_t)r0, CRED_MAP_IDENTITY) < 0)
            return CRED_ENOMEM;
        *delta = d;
    }
    memcpy(n->out.ptr + n->out.len, b, nb);
    n->out.len += nb;
    return 0;
}

/* Append bytes that replace raw[r0..r1) as a whole (nb may be 0: the raw bytes are removed). */
static int emit_replaced(cred_norm *n, int64_t *delta, size_t r0, size_t r1, const char *b, size_t nb)
{
    if (nb == 0)
        return 0; /* the next emission sees a changed delta and opens a segment */
    if (add_entry(n, (uint32_t)n->out.len, (uint32_t)r0, (uint32_t)r1) < 0)
        return CRED_ENOMEM;
    *delta = DELTA_NONE;
    memcpy(n->out.ptr + n->out.len, b, nb);
    n->out.len += nb;
    return 0;
}

/* Make room for nb more bytes plus the rest of the input at its own length (ASCII invariant). */
static inline int room(cred_norm *n, size_t nb, size_t rest)
{
    if (CRED_LIKELY(n->out.len + nb + rest + 1 < n->out.cap))
        return 0;
    return cred_buf_reserve(&n->out, nb + rest + 16);
}

/* Output of one code point in isolation. */
static int emit_cp(cred_norm *n, int64_t *delta, size_t r0, int k, int32_t cp, const cred_cpinfo *ci,
                   size_t rest)
{
    if (CRED_UNLIKELY(ci->flags & CRED_CPF_LONG)) {
        char out[256];
        char enc[4];
        long ncp;
        int kk = cred_utf8_encode(cp, enc);
        long b = normalise_seq((const unsigned char *)enc, (size_t)kk, out, sizeof out, &ncp);
        if (b < 0) {
            memcpy(out, enc, (size_t)kk);
            b = kk;
        }
        if (room(n, (size_t)b, rest) < 0)
            return CRED_ENOMEM;
        return emit_replaced(n, delta, r0, r0 + (size_t)k, out, (size_t)b);
    }
    if (room(n, ci->n, rest) < 0)
        return CRED_ENOMEM;
    if (ci->flags & CRED_CPF_SAME)
        return emit_same(n, delta, r0, ci->out, ci->n);
    return emit_replaced(n, delta, r0, r0 + (size_t)k, ci->out, ci->n);
}

static inline uint64_t lower8(uint64_t w)
{
    const uint64_t hi = 0x8080808080808080ull;
    uint64_t ge_a = w + 0x3F3F3F3F3F3F3F3Full; /* high bit set where byte >= 'A' */
    uint64_t gt_z = w + 0x2525252525252525ull; /* high bit set where byte > 'Z' */
    return w | (((ge_a & ~gt_z) & hi) >> 2);
}

/* Normalise a cluster raw[r0..r1) of a starter and marks through utf8proc. */
static int emit_cluster(cred_norm *n, int64_t *delta, const unsigned char *s, size_t r0, size_t r1,
                        size_t rest)
{
    char out[DECOMP_CAP];
    long ncp;
    long b = normalise_seq(s + r0, r1 - r0, out, sizeof out, &ncp);
    if (b >= 0) {
        if (room(n, (size_t)b, rest) < 0)
            return CRED_ENOMEM;
        return emit_replaced(n, delta, r0, r1, out, (size_t)b);
    }
    /* Too long for the stack buffers: code point by code point. */
    for (size_t i = r0; i < r1;) {
        int32_t cp;
        int k = cred_text__utf8_decode(s + i, r1 - i, &cp);
        if (emit_cp(n, delta, i, k, cp, lookup(n, cp), rest + (r1 - i)) < 0)
            return CRED_ENOMEM;
        i += (size_t)k;
    }
    return 0;
}

int cred_text__normalise(cred_norm *n, const char *raw, size_t len)
{
    const unsigned char *s = (const unsigned char *)raw;
    int64_t delta = 0;
    snap cl = {0, 0, {0, 0, 0}, 0}; /* state before the last ASCII byte, for re-clustering */
    size_t cl_raw = SIZE_MAX;     /* raw offset of that byte, SIZE_MAX when not re-clusterable */
    size_t i = 0;
    size_t next_at = SIZE_MAX; /* raw offset of the code point the cluster loop decoded last */
    int32_t next_cp = 0;
    int next_k = 0;
    int rc = 0;

    n->out.len = 0;
    n->map_len = 0;
    n->invalid = 0;
    memset(n->lang_cps, 0, sizeof n->lang_cps);
    n->n_splits = 0;
    if (cred_buf_reserve(&n->out, len + 64) < 0)
        return CRED_ENOMEM;
    while (i < len) {
        if (s[i] < 0x80) {
            size_t i0 = i, o0 = n->out.len;
            if ((int64_t)i0 - (int64_t)o0 != delta) {
                CRED_TRY(add_entry(n, (uint32_t)o0, (uint32_t)i0, CRED_MAP_IDENTITY));
                delta = (int64_t)i0 - (int64_t)o0;
            }
            unsigned char *o = (unsigned char *)n->out.ptr + o0; /* o[i - i0] pairs with s[i] */
            while (i + 8 <= len) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ull)
                    break;
                w = lower8(w);
                memcpy(o + (i - i0), &w, 8);
                i += 8;
            }
            while (i < len && s[i] < 0x80) {
                unsigned c = s[i];
                o[i - i0] = (unsigned char)(c + ((c - 'A' < 26u) << 5));
                i++;
            }
            n->out.len = o0 + (i - i0);
            cl = (snap){n->out.len - 1, n->map_len, n->map_len ? n->map[n->map_len - 1] : (cred_map_entry){0, 0, 0},
                        delta};
            cl_raw = i - 1;
            continue;
        }
        size_t start = i;
        int32_t cp;
        int k;
        if (i == next_at) { /* decoded (and valid) when it ended the previous cluster */
            cp = next_cp;
            k = next_k;
        } else {
            k = cred_text__utf8_decode(s + i, len - i, &cp);
        }
        if (cp < 0) {
            n->invalid++;
            CRED_TRY(room(n, 3, len - i - 1));
            CRED_TRY(emit_replaced(n, &delta, i, i + 1, "\xEF\xBF\xBD", 3));
            i++;
            cl_raw = SIZE_MAX;
            continue;
        }
        const cred_cpinfo *ci = lookup(n, cp);
        if (CRED_UNLIKELY(ci->flags & CRED_CPF_LANG) && i < CRED_LANG_SCAN_BYTES) {
            int lc = cred_text__langcp(cp);
            if (lc >= 0)
                n->lang_cps[lc]++;
            else if (n->n_splits < CRED_NORM_SPLITS)
                n->splits[n->n_splits++] = (uint32_t)n->out.len;
        }
        if ((ci->flags & CRED_CPF_MARK) && cl_raw != SIZE_MAX && cl_raw + 1 == i) {
            /* A mark after an ASCII starter: take the starter back and normalise them together. */
            n->out.len = cl.out_len;
            n->map_len = cl.map_len;
            if (cl.map_len)
                n->map[cl.map_len - 1] = cl.last;
            delta = cl.delta;
            start = cl_raw;
            cp = s[start];
            k = 1;
            ci = lookup(n, cp);
        }
        cl_raw = SIZE_MAX;
        size_t j = start + (size_t)k;
        int count = 1, all_drop = 1;
        while (j < len && s[j] >= 0x80 && count < CLUSTER_MAX) {
            int32_t c2;
            int k2 = cred_text__utf8_decode(s + j, len - j, &c2);
            if (c2 < 0)
                break;
            const cred_cpinfo *c2i = lookup(n, c2);
            if (!(c2i->flags & CRED_CPF_MARK)) {
                next_at = j;
                next_cp = c2;
                next_k = k2;
                break;
            }
            all_drop &= (c2i->flags & CRED_CPF_DROP) != 0;
            j += (size_t)k2;
            count++;
        }
        if (count == 1 || all_drop) {
            /* Dropped marks (variation selectors, harakat) never change their starter's output. */
            if (cp >= 0x10000 || !n->bmp)
                ci = lookup(n, cp); /* an astral slot (or the scratch answer) may have been reused since */
            if (CRED_LIKELY(!(ci->flags & CRED_CPF_LONG) && n->out.len + sizeof ci->out + (len - j) < n->out.cap)) {
                /* emit_cp() inline, copying the whole output field */
                if (ci->flags & CRED_CPF_SAME) {
                    int64_t d = (int64_t)start - (int64_t)n->out.len;
                    if (d != delta) {
                        CRED_TRY(add_entry(n, (uint32_t)n->out.len, (uint32_t)start, CRED_MAP_IDENTITY));
                        delta = d;
                    }
                } else if (ci->n) {
                    CRED_TRY(add_entry(n, (uint32_t)n->out.len, (uint32_t)start, (uint32_t)(start + (size_t)k)));
                    delta = DELTA_NONE;
                }
                memcpy(n->out.ptr + n->out.len, ci->out, sizeof ci->out);
                n->out.len += ci->n;
            } else {
                CRED_TRY(emit_cp(n, &delta, start, k, cp, ci, len - j));
            }
        } else {
            CRED_TRY(emit_cluster(n, &delta, s, start, j, len - j));
        }
        i = j;
    }
    n->out.ptr[n->out.len] = '\0';
done:
    if (rc < 0) {
        n->out.len = 0;
        if (n->out.ptr)
            n->out.ptr[0] = '\0';
        n->map_len = 0;
        return cred__error_nomem();
    }
    return 0;
}

/* ---- map lookups ------------------------------------------------------------------------------ */

/* Index of the last entry with norm <= off, or -1. */
static long find_entry(const cred_map_entry *map, size_t map_len, size_t off)
{
    size_t lo = 0, hi = map_len; /* first entry with norm > off */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (map[mid].norm <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)lo - 1;
}

size_t cred_text__map_start(const cred_map_entry *map, size_t map_len, size_t norm_len, size_t raw_len,
                            size_t off)
{
    if (off >= norm_len)
        return raw_len;
    long e = find_entry(map, map_len, off);
    size_t r;
    if (e < 0)
        r = off;
    else if (map[e].raw_end == CRED_MAP_IDENTITY)
        r = map[e].raw + (off - map[e].norm);
    else
        r = map[e].raw;
    return CRED_MIN(r, raw_len);
}

size_t cred_text__map_end(const cred_map_entry *map, size_t map_len, size_t norm_len, size_t raw_len,
                          size_t end)
{
    if (end > norm_len)
        end = norm_len;
    if (end == 0)
        return cred_text__map_start(map, map_len, norm_len, raw_len, 0);
    long e = find_entry(map, map_len, end - 1);
    size_t r;
    if (e < 0)
        r = end;
    else if (map[e].raw_end == CRED_MAP_IDENTITY)
        r = map[e].raw + (end - map[e].norm);
    else
        r = map[e].raw_end;
    return CRED_MIN(r, raw_len);
}
