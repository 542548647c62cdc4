/* The fast signing paths give the bytes of the reference ones: the probe-table densification against
 * the hashing probe loop it replaced, and cred_dedup__sign_chars() against shingles + sign. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "dedup/dedup.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state += 0x9e3779b97f4a7c15ULL;
    return dd_mix64(rng_state);
}

/* The signature as first written: every empty bin hashes its probe sequence. */
static void ref_sign(dd_sig *out, const uint64_t *h, size_t n)
{
    const unsigned bits = 57;
    const uint64_t mask = (1ULL << bits) - 1;
    uint64_t mins[DD_K];
    for (size_t j = 0; j < DD_K; j++)
        mins[j] = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t bin = (size_t)(h[i] >> bits);
        if ((h[i] & mask) < mins[bin])
            mins[bin] = h[i] & mask;
    }
    if (n == 0) {
        memset(out->v, 0, DD_K);
        return;
    }
    for (size_t j = 0; j < DD_K; j++) {
        if (mins[j] <= mask) {
            out->v[j] = (uint8_t)mins[j];
            continue;
        }
        for (uint64_t attempt = 1;; attempt++) {
            size_t k = (size_t)(dd_mix64(0x6a09e667f3bcc909ULL ^ ((uint64_t)j << 32) ^ attempt) >> bits);
            if (mins[k] <= mask) {
                out->v[j] = (uint8_t)mins[k];
                break;
            }
        }
    }
}

Test(dedup, the_probe_table_densification_gives_the_reference_signature)
{
    rng_state = 11;
    uint64_t h[600];
    /* from one hash (127 empty bins, long probe runs) to full signatures */
    for (size_t n = 0; n < 600; n += (n < 40 ? 1 : 7)) {
        for (int rep = 0; rep < 20; rep++) {
            for (size_t i = 0; i < n; i++)
                h[i] = rnd();
            dd_sig a, b;
            cred_dedup__sign(&a, h, n);
            ref_sign(&b, h, n);
            cr_assert(memcmp(a.v, b.v, DD_K) == 0, "n = %zu", n);
        }
    }
}

static void check_chars(const char *s, size_t len)
{
    uint64_t *h = NULL;
    size_t cap = 0;
    long n = cred_dedup__shingle_chars(&h, &cap, s, len);
    cr_assert(n >= 0);
    dd_sig a, b;
    cred_dedup__sign(&a, h, (size_t)n);
    cred_dedup__sign_chars(&b, s, len);
    cr_assert(memcmp(a.v, b.v, DD_K) == 0, "len = %zu", len);
    free(h);
}

Test(dedup, sign_chars_gives_the_bytes_of_shingles_then_sign)
{
    rng_state = 5;
    static const char *const pieces[] = {"a", "b", "c", " ", "x", "1", "\xC3\xA9", "\xD8\xB3", "\xE2\x82\xAC",
                                         "\xF0\x9F\x98\x80", "\xE6\x97\xA5"};
    char buf[800];
    for (int t = 0; t < 3000; t++) {
        size_t len = 0, want = (size_t)(rnd() % 300);
        bool ascii = t % 3 == 0;
        while (len < want) {
            const char *p = pieces[rnd() % (ascii ? 6 : CRED_ARRAY_LEN(pieces))];
            size_t l = strlen(p);
            memcpy(buf + len, p, l);
            len += l;
        }
        check_chars(buf, len);
        /* a multi-byte sequence cut at the end */
        if (len > 1)
            check_chars(buf, len - 1);
    }
    check_chars("", 0);
    check_chars("abcd", 4);
    check_chars("abcde", 5);
    check_chars("\xE2\x82", 2);
    check_chars("abc\xF0\x9F", 5);
}
