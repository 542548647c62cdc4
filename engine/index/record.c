/* The stored post record: the write-ahead log payload and the content of text blocks. */
#include <ctype.h>

#include "index/index.h"

#define REC_VERSION 1u

static int put_str(cred_buf *b, const char *s, size_t len, bool present)
{
    /* 0 = absent, else length + 1 */
    if (!present)
        return ix_put_varint(b, 0);
    if (ix_put_varint(b, (uint64_t)len + 1) < 0)
        return CRED_ENOMEM;
    return len ? cred_buf_put(b, s, len) : 0;
}

int ix_record_encode(cred_buf *b, const ix_record *r)
{
    uint8_t fixed[48];
    memset(fixed, 0, sizeof fixed);
    fixed[0] = REC_VERSION;
    fixed[1] = (uint8_t)r->kind;
    fixed[2] = r->linked;
    fixed[3] = r->relation;
    st_put32(fixed + 4, r->post_flags);
    st_put64(fixed + 8, r->seq);
    st_put64(fixed + 16, (uint64_t)r->date);
    memcpy(fixed + 24, &r->validity, 8);
    st_put64(fixed + 32, r->parent);
    st_put64(fixed + 40, r->origin);
    if (cred_buf_put(b, fixed, sizeof fixed) < 0)
        return CRED_ENOMEM;
    float sim = r->similarity;
    if (cred_buf_put(b, &sim, 4) < 0)
        return CRED_ENOMEM;
    const char *s[] = {r->id, r->text, r->source, r->author, r->author_id, r->date_text,
                       r->forwarded_from, r->url, r->lang, r->flags};
    size_t l[] = {r->id_len, r->text_len, r->source_len, r->author_len, r->author_id_len,
                  r->date_text_len, r->fwd_len, r->url_len, r->lang_len, r->flags_len};
    for (size_t i = 0; i < CRED_ARRAY_LEN(s); i++)
        if (put_str(b, s[i], l[i], s[i] != NULL) < 0)
            return CRED_ENOMEM;
    return 0;
}

bool ix_record_decode(ix_record *r, const uint8_t *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    if (len < 52 || buf[0] != REC_VERSION || buf[2] > 1 || buf[3] > CRED_DUP_VARIANT)
        return false;
    r->kind = buf[1];
    r->linked = buf[2];
    r->relation = buf[3];
    r->post_flags = st_get32(buf + 4);
    r->seq = st_get64(buf + 8);
    r->date = (int64_t)st_get64(buf + 16);
    memcpy(&r->validity, buf + 24, 8);
    r->parent = st_get64(buf + 32);
    r->origin = st_get64(buf + 40);
    memcpy(&r->similarity, buf + 48, 4);
    const uint8_t *p = buf + 52, *end = buf + len;
    const char **s[] = {&r->id, &r->text, &r->source, &r->author, &r->author_id, &r->date_text,
                        &r->forwarded_from, &r->url, &r->lang, &r->flags};
    size_t *l[] = {&r->id_len, &r->text_len, &r->source_len, &r->author_len, &r->author_id_len,
                   &r->date_text_len, &r->fwd_len, &r->url_len, &r->lang_len, &r->flags_len};
    for (size_t i = 0; i < CRED_ARRAY_LEN(s); i++) {
        uint64_t n;
        if (!ix_get_varint(&p, end, &n) || n > (uint64_t)(end - p) + 1)
            return false;
        if (n == 0) {
            *s[i] = NULL;
            *l[i] = 0;
        } else {
            *s[i] = (const char *)p;
            *l[i] = (size_t)(n - 1);
            p += n - 1;
        }
    }
    return p == end && r->id != NULL && r->text != NULL;
}

int ix_field_term(cred_buf *b, char field, const char *v, size_t len)
{
    cred_buf_clear(b);
    if (cred_buf_putc(b, IX_NS_FIELD) < 0 || cred_buf_putc(b, field) < 0 || cred_buf_reserve(b, len + 1) < 0)
        return CRED_ENOMEM;
    for (size_t i = 0; i < len; i++)
        b->ptr[b->len++] = (char)tolower((unsigned char)v[i]);
    return 0;
}

uint64_t ix_id_hash(const char *id, size_t len)
{
    return cred_hash64(id, len, 0x1d5eedULL);
}

int ix_pack(cred_buf *b, const uint32_t *v, size_t n, unsigned bits)
{
    if (bits == 0 || n == 0)
        return 0;
    size_t bytes = (n * bits + 7) / 8;
    if (cred_buf_reserve(b, bytes + 8) < 0)
        return CRED_ENOMEM;
    uint8_t *o = (uint8_t *)b->ptr + b->len;
    memset(o, 0, bytes + 8);
    uint64_t mask = bits >= 32 ? 0xffffffffu : ((1u << bits) - 1);
    size_t bit = 0;
    for (size_t i = 0; i < n; i++, bit += bits) {
        uint64_t x = ((uint64_t)v[i] & mask) << (bit & 7);
        uint8_t *q = o + (bit >> 3);
        for (unsigned k = 0; k < 5 && x; k++, x >>= 8)
            q[k] |= (uint8_t)x;
    }
    b->len += bytes;
    return 0;
}

/* The bits of q[0..bytes) from bit `bit` on (LSB first), at least 57 of them where the input has them:
 * one 8-byte load, or the bytes that are left at the end. */
static inline uint64_t load_bits(const uint8_t *q, size_t bytes, size_t bit)
{
    size_t at = bit >> 3, avail = bytes - at;
    uint64_t x = 0;
    if (avail >= 8)
        memcpy(&x, q + at, 8);
    else
        for (size_t k = 0; k < avail; k++)
            x |= (uint64_t)q[at + k] << (8 * k);
    return x >> (bit & 7);
}

bool ix_unpack(const uint8_t **p, const uint8_t *end, uint32_t *v, size_t n, unsigned bits)
{
    if (bits == 0) {
        memset(v, 0, n * sizeof *v);
        return true;
    }
    if (bits > 32)
        return false;
    size_t bytes = (n * bits + 7) / 8;
    if (bytes > (size_t)(end - *p))
        return false;
    uint64_t mask = bits == 32 ? 0xffffffffu : ((1u << bits) - 1);
    size_t bit = 0;
    for (size_t i = 0; i < n; i++, bit += bits)
        v[i] = (uint32_t)(load_bits(*p, bytes, bit) & mask);
    *p += bytes;
    return true;
}

/* Small integers, per run of values the better of two codes (a mode byte, then the code):
 *  - Rice (mode k < 32): per value q = v >> k; q < 16: q one bits, a zero bit, the k low bits;
 *    otherwise 16 one bits, 5 bits of (bit length - 1), the value in that many bits. Bits LSB first,
 *    padded to a byte at the end. Near the entropy for the geometric gaps of posting lists.
 *  - patched frame of reference (mode 64 + w): a varint count of exceptions, the low w bits of every
 *    value packed, then per exception a varint index gap and a varint of its bits above w. Better when
 *    nearly every value is 0 (tf - 1). */
#define RICE_ESC 16u

static size_t rice_bits(const uint32_t *v, size_t n, unsigned k)
{
    size_t bits = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t q = v[i] >> k;
        bits += q < RICE_ESC ? q + 1 + k : RICE_ESC + 5 + ix_bits(v[i]);
    }
    return bits;
}

typedef struct bitw {
    uint8_t *o;      /* next byte (room reserved by the caller) */
    uint64_t acc;
    unsigned n;
} bitw;

static inline void bitw_put(bitw *w, uint32_t v, unsigned n) /* n <= 32 */
{
    if (n < 32)
        v &= (1u << n) - 1;
    w->acc |= (uint64_t)v << w->n;
    w->n += n;
    while (w->n >= 8) {
        *w->o++ = (uint8_t)w->acc;
        w->acc >>= 8;
        w->n -= 8;
    }
}

int ix_pfor_pack(cred_buf *b, const uint32_t *v, size_t n)
{
    size_t cnt[33] = {0};
    unsigned maxb = 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned k = ix_bits(v[i]);
        cnt[k]++;
        sum += v[i];
        if (k > maxb)
            maxb = k;
    }
    /* frame of reference: packed bytes + per exception an index byte (usually) and the high bits */
    unsigned best = maxb;
    size_t best_cost = SIZE_MAX;
    for (unsigned w = 0; w <= maxb; w++) {
        size_t cost = (n * w + 7) / 8 + 1;
        for (unsigned k = w + 1; k <= maxb; k++)
            cost += cnt[k] * (1 + (k - w + 6) / 7 + (n > 128));
        if (cost < best_cost) {
            best_cost = cost;
            best = w;
        }
    }
    /* Rice: k near log2 of the mean */
    unsigned k0 = n ? ix_bits((uint32_t)CRED_MIN(sum / n, UINT32_MAX)) : 0, rk = 0;
    size_t rcost = SIZE_MAX;
    for (unsigned k = k0 ? k0 - 1 : 0; k <= k0 + 1 && k < 32; k++) {
        size_t c = (rice_bits(v, n, k) + 7) / 8;
        if (c < rcost) {
            rcost = c;
            rk = k;
        }
    }
    if (rcost < best_cost) {
        if (cred_buf_reserve(b, rcost + 9) < 0)
            return CRED_ENOMEM;
        uint8_t *start = (uint8_t *)b->ptr + b->len;
        bitw w = {start, 0, 0};
        *w.o++ = (uint8_t)rk;
        for (size_t i = 0; i < n; i++) {
            uint32_t q = v[i] >> rk;
            if (q < RICE_ESC) {
                bitw_put(&w, (1u << q) - 1, q + 1); /* q ones, then a zero */
                if (rk)
                    bitw_put(&w, v[i], rk);
            } else {
                unsigned l = ix_bits(v[i]);
                bitw_put(&w, (1u << RICE_ESC) - 1, RICE_ESC);
                bitw_put(&w, l - 1, 5);
                bitw_put(&w, v[i], l);
            }
        }
        if (w.n)
            *w.o++ = (uint8_t)w.acc;
        b->len += (size_t)(w.o - start);
        return 0;
    }
    size_t n_exc = 0;
    for (unsigned k = best + 1; k <= maxb; k++)
        n_exc += cnt[k];
    if (cred_buf_putc(b, (char)(64 + best)) < 0 || ix_put_varint(b, n_exc) < 0 || ix_pack(b, v, n, best) < 0)
        return CRED_ENOMEM;
    /* ix_pack keeps the low bits of the wider values; their high bits follow */
    size_t last = 0;
    for (size_t i = 0; i < n && n_exc; i++) {
        if (ix_bits(v[i]) > best) {
            if (ix_put_varint(b, i - last) < 0 || ix_put_varint(b, v[i] >> best) < 0)
                return CRED_ENOMEM;
            last = i;
        }
    }
    return 0;
}

static bool rice_unpack(const uint8_t **p, const uint8_t *end, uint32_t *v, size_t n, unsigned k)
{
    const uint8_t *q = *p;
    uint64_t buf = 0;
    unsigned avail = 0;
    for (size_t i = 0; i < n; i++) {
        if (avail <= 56) {
            if (end - q >= 8) {
                /* refill with one load: whole bytes up to 57..64 bits; the bits above avail are the
                   next bytes' own, so or-ing them in again at the next refill changes nothing */
                uint64_t w;
                memcpy(&w, q, 8);
                buf |= w << avail;
                unsigned take = (63 - avail) >> 3;
                q += take;
                avail += take * 8;
            } else {
                while (avail <= 56 && q < end) {
                    buf |= (uint64_t)*q++ << avail;
                    avail += 8;
                }
            }
        }
        unsigned ones = buf == UINT64_MAX ? 64 : (unsigned)__builtin_ctzll(~buf);
        if (ones < RICE_ESC) {
            unsigned need = ones + 1 + k;
            if (need > avail)
                return false;
            buf >>= ones + 1;
            uint32_t lo = k ? (uint32_t)(buf & (((uint64_t)1 << k) - 1)) : 0;
            buf >>= k;
            avail -= need;
            if (k < 32 && ones > (UINT32_MAX >> k))
                return false;
            v[i] = ((uint32_t)ones << k) | lo;
        } else {
            if (RICE_ESC + 5 > avail)
                return false;
            buf >>= RICE_ESC;
            unsigned l = (unsigned)(buf & 31) + 1;
            buf >>= 5;
            avail -= RICE_ESC + 5;
            if (l > avail)
                return false;
            uint32_t x = (uint32_t)(buf & (l == 32 ? 0xffffffffu : ((1u << l) - 1)));
            buf >>= l;
            avail -= l;
            if (ix_bits(x) != l || (x >> k) < RICE_ESC)
                return false; /* not the canonical code */
            v[i] = x;
        }
    }
    /* whole bytes were read ahead: give back those not used (padding bits must be zero) */
    q -= avail / 8;
    if (avail % 8 && (buf & ((1u << (avail % 8)) - 1)))
        return false;
    *p = q;
    return true;
}

static bool hi_bad(const uint8_t **q, const uint8_t *end, uint64_t *hi, unsigned w)
{
    return !ix_get_varint(q, end, hi) || *hi == 0 || *hi > (UINT32_MAX >> w);
}

bool ix_pfor_unpack(const uint8_t **p, const uint8_t *end, uint32_t *v, size_t n)
{
    const uint8_t *q = *p;
    uint64_t n_exc;
    if (q >= end || (*q >= 32 && *q < 64) || *q > 64 + 32)
        return false;
    unsigned mode = *q++;
    if (mode < 32) {
        if (!rice_unpack(&q, end, v, n, mode))
            return false;
        *p = q;
        return true;
    }
    unsigned w = mode - 64;
    if (!ix_get_varint(&q, end, &n_exc) || n_exc > n || !ix_unpack(&q, end, v, n, w))
        return false;
    size_t at = 0;
    for (uint64_t k = 0; k < n_exc; k++) {
        uint64_t gap, hi;
        if (!ix_get_varint(&q, end, &gap) || gap > n - at || (k && gap == 0) || at + gap >= n || w >= 32 ||
            hi_bad(&q, end, &hi, w))
            return false;
        at += (size_t)gap;
        v[at] |= (uint32_t)hi << w;
    }
    *p = q;
    return true;
}

int ix_pack_widths(cred_buf *b, const uint32_t *v, const uint8_t *w, size_t n)
{
    size_t bits = 0;
    for (size_t i = 0; i < n; i++)
        bits += w[i];
    size_t bytes = (bits + 7) / 8;
    if (cred_buf_reserve(b, bytes + 8) < 0)
        return CRED_ENOMEM;
    uint8_t *o = (uint8_t *)b->ptr + b->len;
    memset(o, 0, bytes + 8);
    size_t bit = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t mask = w[i] >= 32 ? 0xffffffffu : ((1u << w[i]) - 1);
        uint64_t x = ((uint64_t)v[i] & mask) << (bit & 7);
        uint8_t *q = o + (bit >> 3);
        for (unsigned k = 0; k < 5 && x; k++, x >>= 8)
            q[k] |= (uint8_t)x;
        bit += w[i];
    }
    b->len += bytes;
    return 0;
}

bool ix_unpack_widths(const uint8_t **p, const uint8_t *end, uint32_t *v, const uint8_t *w, size_t n)
{
    size_t bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] > 32)
            return false;
        bits += w[i];
    }
    size_t bytes = (bits + 7) / 8;
    if (bytes > (size_t)(end - *p))
        return false;
    size_t bit = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t mask = w[i] >= 32 ? 0xffffffffu : ((1u << w[i]) - 1);
        v[i] = (uint32_t)(load_bits(*p, bytes, bit) & mask);
        bit += w[i];
    }
    *p += bytes;
    return true;
}

/* The doc table on disk: the dates as varint differences from the previous date (wrapping), the
 * lengths as varints, then the validities as 4-byte floats; zstd compresses the section. */
int ix_docs_encode(cred_buf *b, const ix_doc *docs, size_t n)
{
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (ix_put_varint(b, (uint64_t)docs[i].date - prev) < 0)
            return CRED_ENOMEM;
        prev = (uint64_t)docs[i].date;
    }
    for (size_t i = 0; i < n; i++)
        if (ix_put_varint(b, docs[i].len) < 0)
            return CRED_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (cred_buf_put(b, &docs[i].validity, 4) < 0)
            return CRED_ENOMEM;
    return 0;
}

bool ix_docs_decode(ix_doc *docs, size_t n, const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    uint64_t prev = 0, v;
    for (size_t i = 0; i < n; i++) {
        if (!ix_get_varint(&p, end, &v))
            return false;
        prev += v;
        docs[i].date = (int64_t)prev;
    }
    for (size_t i = 0; i < n; i++) {
        if (!ix_get_varint(&p, end, &v) || v > UINT32_MAX)
            return false;
        docs[i].len = (uint32_t)v;
    }
    if ((size_t)(end - p) != n * 4)
        return false;
    for (size_t i = 0; i < n; i++, p += 4)
        memcpy(&docs[i].validity, p, 4);
    return true;
}
