/* The stored post record: the write-ahead log payload and the content of text blocks. */
#include <ctype.h>

#include "index/index.h"

#define REC_VERSION 1u

static inline size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint8_t *put_varint_at(uint8_t *q, uint64_t v)
{
    while (v >= 0x80) {
        *q++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *q++ = (uint8_t)v;
    return q;
}

int ix_record_encode(cred_buf *b, const ix_record *r)
{
    const char *s[] = {r->id, r->text, r->source, r->author, r->author_id, r->date_text,
                       r->forwarded_from, r->url, r->lang, r->flags};
    size_t l[] = {r->id_len, r->text_len, r->source_len, r->author_len, r->author_id_len,
                  r->date_text_len, r->fwd_len, r->url_len, r->lang_len, r->flags_len};
    /* the whole record's size first: one reservation, then plain stores */
    size_t total = 52;
    for (size_t i = 0; i < CRED_ARRAY_LEN(s); i++) {
        if (!s[i])
            total += 1;
        else if (l[i] > SIZE_MAX / 2 || total > SIZE_MAX / 2)
            return cred__error_nomem();
        else
            total += varint_len((uint64_t)l[i] + 1) + l[i];
    }
    if (cred_buf_reserve(b, total) < 0)
        return CRED_ENOMEM;
    uint8_t *q = (uint8_t *)b->ptr + b->len;
    memset(q, 0, 48);
    q[0] = REC_VERSION;
    q[1] = (uint8_t)r->kind;
    q[2] = r->linked;
    q[3] = r->relation;
    st_put32(q + 4, r->post_flags);
    st_put64(q + 8, r->seq);
    st_put64(q + 16, (uint64_t)r->date);
    memcpy(q + 24, &r->validity, 8);
    st_put64(q + 32, r->parent);
    st_put64(q + 40, r->origin);
    float sim = r->similarity;
    memcpy(q + 48, &sim, 4);
    q += 52;
    /* strings: 0 = absent, else length + 1, then the bytes */
    for (size_t i = 0; i < CRED_ARRAY_LEN(s); i++) {
        if (!s[i]) {
            *q++ = 0;
            continue;
        }
        q = put_varint_at(q, (uint64_t)l[i] + 1);
        if (l[i])
            memcpy(q, s[i], l[i]);
        q += l[i];
    }
    b->len = (size_t)(q - (uint8_t *)b->ptr);
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

/* q[0..8) |= x, byte k taking bits 8k.. of x (at most 39 bits are set: a value shifted by < 8). */
static inline void or_bits(uint8_t *q, uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t y;
    memcpy(&y, q, 8);
    y |= x;
    memcpy(q, &y, 8);
#else
    for (unsigned k = 0; k < 5 && x; k++, x >>= 8)
        q[k] |= (uint8_t)x;
#endif
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
    for (size_t i = 0; i < n; i++, bit += bits)
        or_bits(o + (bit >> 3), ((uint64_t)v[i] & mask) << (bit & 7));
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

/* The Rice code's bits for parameters k, k + 1 and k + 2 in one pass (k + 2 <= 33: shifts by 32 or 33
   only feed sums that are not used). */
static void rice_bits3(const uint32_t *v, size_t n, unsigned k, size_t out[3])
{
    size_t b0 = 0, b1 = 0, b2 = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = v[i];
        unsigned esc = RICE_ESC + 5 + ix_bits(v[i]);
        uint64_t q0 = x >> k, q1 = x >> (k + 1), q2 = x >> (k + 2);
        b0 += q0 < RICE_ESC ? q0 + 1 + k : esc;
        b1 += q1 < RICE_ESC ? q1 + 2 + k : esc;
        b2 += q2 < RICE_ESC ? q2 + 3 + k : esc;
    }
    out[0] = b0, out[1] = b1, out[2] = b2;
}

typedef struct bitw {
    uint8_t *o;      /* next byte (room reserved by the caller) */
    uint64_t acc;
    unsigned n;
} bitw;

/* Bits go out 32 at a time (little-endian, the same bytes as one at a time); bitw_end() writes the
   last whole and partial bytes. */
static inline void bitw_put(bitw *w, uint32_t v, unsigned n) /* n <= 32 */
{
    if (n < 32)
        v &= (1u << n) - 1;
    w->acc |= (uint64_t)v << w->n;
    w->n += n;
    if (w->n >= 32) {
        uint32_t lo = (uint32_t)w->acc;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(w->o, &lo, 4);
#else
        for (unsigned k = 0; k < 4; k++)
            w->o[k] = (uint8_t)(lo >> (8 * k));
#endif
        w->o += 4;
        w->acc >>= 32;
        w->n -= 32;
    }
}

static inline void bitw_end(bitw *w)
{
    while (w->n >= 8) {
        *w->o++ = (uint8_t)w->acc;
        w->acc >>= 8;
        w->n -= 8;
    }
    if (w->n) {
        *w->o++ = (uint8_t)w->acc;
        w->n = 0;
        w->acc = 0;
    }
}

int ix_pfor_pack(cred_buf *b, const uint32_t *v, size_t n)
{
    size_t cnt[33] = {0};
    unsigned maxb = 0;
    uint64_t sum = 0;
    {
        /* four histograms, so that runs of one width (tf - 1 is mostly 0) do not wait on one counter */
        uint32_t c4[4][33];
        memset(c4, 0, sizeof c4);
        uint32_t orv = 0;
        size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            c4[0][ix_bits(v[i])]++;
            c4[1][ix_bits(v[i + 1])]++;
            c4[2][ix_bits(v[i + 2])]++;
            c4[3][ix_bits(v[i + 3])]++;
            sum += (uint64_t)v[i] + v[i + 1] + v[i + 2] + v[i + 3];
            orv |= v[i] | v[i + 1] | v[i + 2] | v[i + 3];
        }
        for (; i < n; i++) {
            c4[0][ix_bits(v[i])]++;
            sum += v[i];
            orv |= v[i];
        }
        maxb = ix_bits(orv); /* the widest value's width */
        for (unsigned k = 0; k <= maxb; k++)
            cnt[k] = (size_t)c4[0][k] + c4[1][k] + c4[2][k] + c4[3][k];
    }
    /* frame of reference: packed bytes + per exception an index byte (usually) and the high bits */
    unsigned best = maxb, nz[33], n_nz = 0;
    for (unsigned k = 1; k <= maxb; k++)
        if (cnt[k])
            nz[n_nz++] = k; /* the widths that occur: the sums below skip the others */
    size_t best_cost = SIZE_MAX;
    for (unsigned w = 0, z = 0; w <= maxb; w++) {
        size_t cost = (n * w + 7) / 8 + 1;
        while (z < n_nz && nz[z] <= w)
            z++;
        for (unsigned y = z; y < n_nz; y++) {
            unsigned k = nz[y];
            cost += cnt[k] * (1 + (k - w + 6) / 7 + (n > 128));
        }
        if (cost < best_cost) {
            best_cost = cost;
            best = w;
        }
    }
    /* Rice: k near log2 of the mean */
    unsigned k0 = n ? ix_bits((uint32_t)CRED_MIN(sum / n, UINT32_MAX)) : 0, rk = 0;
    size_t rcost = SIZE_MAX;
    unsigned klo = k0 ? k0 - 1 : 0, khi = CRED_MIN(k0 + 1, 31u);
    size_t rb[3];
    rice_bits3(v, n, klo, rb);
    for (unsigned k = klo; k <= khi; k++) {
        size_t c = (rb[k - klo] + 7) / 8;
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
        bitw_end(&w);
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
        or_bits(o + (bit >> 3), ((uint64_t)v[i] & mask) << (bit & 7));
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
