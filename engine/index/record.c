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
    size_t bit = 0;
    for (size_t i = 0; i < n; i++, bit += bits) {
        uint64_t x = (uint64_t)v[i] << (bit & 7);
        uint8_t *q = o + (bit >> 3);
        for (unsigned k = 0; k < 5 && x; k++, x >>= 8)
            q[k] |= (uint8_t)x;
    }
    b->len += bytes;
    return 0;
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
    const uint8_t *q = *p;
    uint64_t mask = bits == 32 ? 0xffffffffu : ((1u << bits) - 1);
    size_t bit = 0;
    for (size_t i = 0; i < n; i++, bit += bits) {
        size_t at = bit >> 3;
        uint64_t x = 0;
        size_t avail = bytes - at;
        if (avail >= 8) {
            memcpy(&x, q + at, 8);
        } else {
            for (size_t k = 0; k < avail; k++)
                x |= (uint64_t)q[at + k] << (8 * k);
        }
        v[i] = (uint32_t)((x >> (bit & 7)) & mask);
    }
    *p += bytes;
    return true;
}
