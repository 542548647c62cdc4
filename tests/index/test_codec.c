/* The segment's integer codecs: Rice / patched frame of reference, per-value widths, the doc table. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/index.h"

static uint64_t rng = 42;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Pack n values, check the round trip consumes exactly the bytes written, and return the size. */
static size_t round_trip(const uint32_t *v, size_t n)
{
    cred_buf b = CRED_BUF_INIT;
    cr_assert_eq(cred_buf_putc(&b, 'x'), 0); /* not at offset 0 */
    cr_assert_eq(ix_pfor_pack(&b, v, n), 0);
    size_t size = b.len - 1;
    cr_assert_eq(cred_buf_put(&b, "tail", 4), 0);
    uint32_t *out = calloc(n ? n : 1, sizeof *out);
    const uint8_t *p = (const uint8_t *)b.ptr + 1, *end = (const uint8_t *)b.ptr + b.len;
    cr_assert(ix_pfor_unpack(&p, end, out, n));
    cr_assert_eq(p, (const uint8_t *)b.ptr + 1 + size, "consumed %td of %zu bytes", p - ((const uint8_t *)b.ptr + 1), size);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(out[i], v[i], "value %zu: %u != %u", i, out[i], v[i]);
    free(out);
    cred_buf_free(&b);
    return size;
}

Test(codec, small_integers_round_trip_in_both_codes)
{
    uint32_t v[600];
    /* geometric gaps (Rice), mostly zeros (frame of reference), huge outliers (escapes), all widths */
    for (int shape = 0; shape < 6; shape++) {
        for (size_t n = 0; n <= 600; n += (n < 8 ? 1 : 37)) {
            for (size_t i = 0; i < n; i++) {
                uint32_t r = rnd();
                switch (shape) {
                case 0: v[i] = r % 13; break;
                case 1: v[i] = r % 50 ? 0 : 1 + r % 4; break;
                case 2: v[i] = r % 17 ? r % 9 : r; break;
                case 3: v[i] = UINT32_MAX - r % 3; break;
                case 4: v[i] = r >> (r % 32); break;
                default: v[i] = 0; break;
                }
            }
            round_trip(v, n);
        }
    }
}

Test(codec, the_chosen_code_is_compact)
{
    uint32_t v[128];
    for (size_t i = 0; i < 128; i++)
        v[i] = 0;
    v[77] = 3;
    /* all zeros but one: a mode byte, an exception count, one exception */
    cr_assert_leq(round_trip(v, 128), 4);
    /* geometric gaps of mean ~7: near 4.5 bits a value, far below 32 */
    for (size_t i = 0; i < 128; i++) {
        uint32_t r = rnd() % 1000;
        uint32_t g = 0;
        while (r > 125 && g < 60)
            r = (r * 7) % 1000, g++;
        v[i] = g;
    }
    cr_assert_lt(round_trip(v, 128), 128 * 6 / 8 + 8);
}

Test(codec, damaged_codes_are_refused_not_read_past)
{
    uint32_t v[128], out[128];
    for (size_t i = 0; i < 128; i++)
        v[i] = rnd() % 20 + (i % 31 == 0 ? 100000 : 0);
    cred_buf b = CRED_BUF_INIT;
    cr_assert_eq(ix_pfor_pack(&b, v, 128), 0);
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < b.len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, b.ptr, cut);
        const uint8_t *p = copy;
        cr_assert_not(ix_pfor_unpack(&p, copy + cut, out, 128), "truncated to %zu bytes", cut);
        free(copy);
    }
    /* bad mode bytes */
    const uint8_t bad[] = {40, 0, 0, 0};
    const uint8_t *p = bad;
    cr_assert_not(ix_pfor_unpack(&p, bad + sizeof bad, out, 1));
    const uint8_t bad2[] = {64 + 33, 0, 0, 0};
    p = bad2;
    cr_assert_not(ix_pfor_unpack(&p, bad2 + sizeof bad2, out, 1));
    /* any byte flipped: refused or decoded within bounds (never a crash; ASan checks the reads) */
    for (size_t i = 0; i < b.len; i++) {
        ((uint8_t *)b.ptr)[i] ^= 0x5a;
        p = (const uint8_t *)b.ptr;
        (void)ix_pfor_unpack(&p, (const uint8_t *)b.ptr + b.len, out, 128);
        ((uint8_t *)b.ptr)[i] ^= 0x5a;
    }
    cred_buf_free(&b);
}

Test(codec, per_value_widths_round_trip)
{
    uint32_t v[300], out[300];
    uint8_t w[300];
    for (size_t i = 0; i < 300; i++) {
        w[i] = (uint8_t)(rnd() % 33);
        v[i] = w[i] == 0 ? 0 : (w[i] == 32 ? rnd() | 0x80000000u : rnd() & ((1u << w[i]) - 1));
    }
    cred_buf b = CRED_BUF_INIT;
    cr_assert_eq(ix_pack_widths(&b, v, w, 300), 0);
    size_t bits = 0;
    for (size_t i = 0; i < 300; i++)
        bits += w[i];
    cr_assert_eq(b.len, (bits + 7) / 8);
    const uint8_t *p = (const uint8_t *)b.ptr;
    cr_assert(ix_unpack_widths(&p, p + b.len, out, w, 300));
    cr_assert_eq(p, (const uint8_t *)b.ptr + b.len);
    cr_assert_arr_eq(out, v, sizeof v);
    p = (const uint8_t *)b.ptr;
    cr_assert_not(ix_unpack_widths(&p, p + b.len - 1, out, w, 300));
    cred_buf_free(&b);
}

Test(codec, the_doc_table_round_trips_dates_lengths_and_validity)
{
    ix_doc d[5] = {{CRED_DATE_UNKNOWN, NAN, 0}, {-86400, 0.25f, 7}, {0, 1, 300000}, {1700000000, NAN, 1},
                   {INT64_MAX, -0.0f, UINT32_MAX}};
    cred_buf b = CRED_BUF_INIT;
    cr_assert_eq(ix_docs_encode(&b, d, 5), 0);
    ix_doc out[5];
    cr_assert(ix_docs_decode(out, 5, (const uint8_t *)b.ptr, b.len));
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(out[i].date, d[i].date);
        cr_assert_eq(out[i].len, d[i].len);
        cr_assert_eq(memcmp(&out[i].validity, &d[i].validity, 4), 0);
    }
    cr_assert_not(ix_docs_decode(out, 5, (const uint8_t *)b.ptr, b.len - 1));
    cr_assert_not(ix_docs_decode(out, 4, (const uint8_t *)b.ptr, b.len));
    cred_buf_free(&b);
}

static ix_record rec(uint64_t seq, const char *id, const char *text, int64_t date)
{
    ix_record r;
    memset(&r, 0, sizeof r);
    r.seq = seq;
    r.date = date;
    r.id = id, r.id_len = strlen(id);
    r.text = text, r.text_len = strlen(text);
    r.validity = NAN;
    r.parent = r.origin = IX_NO_SEQ;
    return r;
}

Test(codec, a_built_segment_reads_back_and_an_older_format_is_refused)
{
    ix_record r[3] = {rec(0, "a", "Garlic cures the virus, garlic every morning", 1000),
                      rec(1, "b", "The virus is not cured by garlic", 2000),
                      rec(2, "c", "Vitamin C every morning", 3000)};
    cred_buf img = CRED_BUF_INIT;
    ix_build_opts o = {2, 0.45, NULL, 0};
    cr_assert_eq(ix_build(&img, r, 3, &o), 0);
    uint8_t *copy = malloc(img.len);
    memcpy(copy, img.ptr, img.len);
    ix_segment s;
    cr_assert_eq(ix_segment_load_memory(&s, copy, img.len, "t.cseg"), 0, "%s", cred_error_last()->message);
    cr_assert_eq(s.meta.n_docs, 3);
    cr_assert_eq(s.docs[1].date, 2000);
    cr_assert_eq(s.docs[2].len, 4);
    ix_term t;
    cr_assert_eq(ix_segment_term(&s, &t, "garlic", 6), 1);
    cr_assert_eq(t.df, 2);
    ix_cursor c;
    ix_cursor_init(&c, &s, &t);
    uint32_t pos[8];
    cr_assert_eq(c.doc, 0);
    cr_assert_eq(c.tf, 2);
    cr_assert(ix_cursor_positions(&c, pos));
    cr_assert_eq(pos[0], 0);
    cr_assert_eq(pos[1], 4);
    cr_assert_eq(ix_cursor_next(&c), 1);
    cr_assert(ix_cursor_positions(&c, pos));
    cr_assert_eq(pos[0], 6);
    cr_assert_eq(ix_cursor_next(&c), IX_END);
    ix_cursor_free(&c);
    cr_assert_eq(ix_segment_verify(&s), 0);
    ix_segment_free(&s);
    /* the same bytes marked as format version 1 (before the codecs above) */
    copy = malloc(img.len);
    memcpy(copy, img.ptr, img.len);
    copy[8] = 1;
    st_reseal(copy, img.len);
    cr_assert_eq(ix_segment_load_memory(&s, copy, img.len, "t.cseg"), CRED_EVERSION);
    cred_buf_free(&img);
}

Test(codec, the_segment_bytes_do_not_depend_on_the_number_of_threads)
{
    enum { N = 3000 };
    static ix_record r1[N], r2[N];
    static char ids[N][16], texts[N][96];
    static const char *const words[] = {"garlic", "virus", "vitamin", "cures", "the", "every", "morning", "lemon",
                                        "water", "de", "los", "hoje", "share", "doctors", "hide"};
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "p%d", i);
        int len = 0;
        for (int k = 0; k < 8; k++)
            len += snprintf(texts[i] + len, sizeof texts[i] - (size_t)len, "%s ", words[rnd() % 15]);
        /* copies so that linking has work */
        if (i % 7 == 3)
            memcpy(texts[i], texts[i - 1], sizeof texts[i]);
        r1[i] = rec((uint64_t)i, ids[i], texts[i], 1000 + i / 3);
    }
    memcpy(r2, r1, sizeof r1);
    cred_buf a = CRED_BUF_INIT, b = CRED_BUF_INIT;
    ix_build_opts o1 = {1, 0.45, NULL, 0}, o2 = {2, 0.45, NULL, 0};
    cr_assert_eq(ix_build(&a, r1, N, &o1), 0);
    cr_assert_eq(ix_build(&b, r2, N, &o2), 0);
    cr_assert_eq(a.len, b.len);
    cr_assert_eq(memcmp(a.ptr, b.ptr, a.len), 0);
    /* every copy is linked to an earlier post (exactly, or to a near copy that is not an exemplar) */
    for (int i = 3; i < N; i += 7)
        cr_assert_neq(r2[i].relation, CRED_DUP_NONE, "copy %d not linked", i);
    cred_buf_free(&a);
    cred_buf_free(&b);
}
