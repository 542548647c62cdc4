/* The offset map: spans of the normalised text quote exactly the raw characters that produced them. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "credence.h"

static cred_text *T;

static void setup(void)
{
    cr_assert_eq(cred_text_new(&T, NULL), 0);
}

static void teardown(void)
{
    cred_text_free(T);
}

TestSuite(text, .init = setup, .fini = teardown);

/* Raw text of token i as a NUL-terminated string in buf. */
static const char *raw_of(const cred_doc *d, size_t i, char *buf, size_t cap)
{
    const cred_token *t = &d->tokens[i];
    cred_span r = cred_doc_raw_span(d, (cred_span){t->start, t->start + t->len});
    size_t n = r.end - r.start;
    cr_assert_lt(n, cap);
    memcpy(buf, d->raw + r.start, n);
    buf[n] = '\0';
    return buf;
}

Test(text, token_raw_spans_quote_the_original_characters)
{
    const char *in = "Ｆｕｌｌ \xEF\xAC\x81" "nal\xE2\x80\x8B" "ly, كتاب ۱۲۳ e\xCC\x81t\xC3\xA9 "
                     "مُحَمَّد \xE2\x80\x8F" "ASCII \xFF" "bad STRAßE";
    const char *want[] = {"Ｆｕｌｌ", "\xEF\xAC\x81" "nal\xE2\x80\x8B" "ly", "كتاب", "۱۲۳", "e\xCC\x81t\xC3\xA9",
                          "مُحَمَّد", "ASCII", "bad", "STRAßE"};
    const cred_doc *d;
    char buf[128];
    cr_assert_eq(cred_text_analyse(T, &d, in, strlen(in), "en"), 0);
    cr_assert_eq(d->n_tokens, 9, "got %zu tokens in [%s]", d->n_tokens, d->norm);
    for (size_t i = 0; i < 9; i++)
        cr_expect_str_eq(raw_of(d, i, buf, sizeof buf), want[i]);
}

Test(text, removed_characters_at_token_edges_are_not_quoted)
{
    const char *in = "\xE2\x80\x8B" "abc\xE2\x80\x8B \xE2\x80\x8F" "def\xE2\x80\x8E";
    const cred_doc *d;
    char buf[64];
    cr_assert_eq(cred_text_analyse(T, &d, in, strlen(in), "en"), 0);
    cr_assert_eq(d->n_tokens, 2);
    cr_expect_str_eq(raw_of(d, 0, buf, sizeof buf), "abc");
    cr_expect_str_eq(raw_of(d, 1, buf, sizeof buf), "def");
}

Test(text, pure_ascii_text_needs_no_map_entries)
{
    const char *in = "Nothing BUT plain ASCII here, 1,000 times.\n";
    const cred_doc *d;
    cr_assert_eq(cred_text_analyse(T, &d, in, strlen(in), "en"), 0);
    cr_expect_eq(d->map_len_, 0);
    for (size_t i = 0; i <= d->norm_len; i++)
        cr_expect_eq(cred_doc_raw_offset(d, i), i);
}

Test(text, raw_offset_maps_the_end_and_beyond_to_the_raw_length)
{
    const char *in = "۱۲ x\xE2\x80\x8B";
    const cred_doc *d;
    cr_assert_eq(cred_text_analyse(T, &d, in, strlen(in), NULL), 0);
    cr_expect_str_eq(d->norm, "12 x");
    cr_expect_eq(cred_doc_raw_offset(d, d->norm_len), strlen(in));
    cr_expect_eq(cred_doc_raw_offset(d, 1000), strlen(in));
    cr_expect_eq(cred_doc_raw_offset(d, 1), 2);
    cred_span s = cred_doc_raw_span(d, (cred_span){3, 4});
    cr_expect_eq(s.start, 5);
    cr_expect_eq(s.end, 6);
    s = cred_doc_raw_span(d, (cred_span){2, 2});
    cr_expect_eq(s.start, s.end);
    cr_expect_eq(cred_doc_raw_offset(NULL, 3), 0);
}

/* Random strings made of pieces that stay, change length, vanish or are invalid. */
static size_t random_text(char *out, unsigned *seed)
{
    static const char *pieces[] = {"a", "B", " ", ".", "\n", "ﬁ", "Ｘ", "\xE2\x80\x8B", "\xE2\x80\x8C", "\xC2\xAD",
                                   "ك", "ي", "ۀ", "َ", "ـ", "۱", "٣", "é", "e\xCC\x81", "ß", "\xFF", "\xC3",
                                   "😀", "👍\xF0\x9F\x8F\xBD", "\xEF\xB8\x8F", "http://x.com/A ", "a@b.io", "1.5%",
                                   "\xC2\xA0", "İ", "\xEF\xB7\xBA", "\0", "\xCC\x81", "Ω", "ｶ", "\xE1\x84\x80\xE1\x85\xA1"};
    size_t n = 0, count = (size_t)(rand_r(seed) % 60);
    for (size_t i = 0; i < count; i++) {
        const char *p = pieces[rand_r(seed) % (sizeof pieces / sizeof *pieces)];
        size_t len = *p ? strlen(p) : 1;
        memcpy(out + n, p, len);
        n += len;
    }
    return n;
}

Test(text, raw_spans_are_monotone_and_in_bounds_for_random_mixed_text)
{
    unsigned seed = 12345;
    char buf[4096];
    for (int round = 0; round < 3000; round++) {
        size_t len = random_text(buf, &seed);
        const cred_doc *d;
        cr_assert_eq(cred_text_analyse(T, &d, buf, len, NULL), 0);
        size_t prev = 0;
        for (size_t i = 0; i <= d->norm_len; i++) {
            size_t r = cred_doc_raw_offset(d, i);
            cr_assert_leq(r, len);
            cr_assert_geq(r, prev, "round %d: offset %zu maps to %zu < %zu", round, i, r, prev);
            prev = r;
        }
        size_t prev_start = 0, prev_end = 0;
        for (size_t i = 0; i < d->n_tokens; i++) {
            const cred_token *t = &d->tokens[i];
            cr_assert_leq(t->start + t->len, d->norm_len);
            cred_span r = cred_doc_raw_span(d, (cred_span){t->start, t->start + t->len});
            cr_assert_lt(r.start, r.end);
            cr_assert_leq(r.end, len);
            /* tokens from one raw character (U+FDFA is four words) share its span; else they follow */
            cr_assert_geq(r.start, prev_start, "round %d: token %zu starts before the previous one", round, i);
            cr_assert_geq(r.end, prev_end, "round %d: token %zu ends before the previous one", round, i);
            prev_start = r.start;
            prev_end = r.end;
            /* the raw span starts and ends on character boundaries */
            cr_assert(r.start == 0 || (buf[r.start] & 0xC0) != 0x80 || (unsigned char)buf[r.start - 1] < 0x80);
            cr_assert(r.end == len || (buf[r.end] & 0xC0) != 0x80);
        }
    }
}

Test(text, a_token_reanalysed_from_its_raw_span_gives_the_same_norm)
{
    unsigned seed = 777;
    char buf[4096], piece[4096];
    cred_text *t2;
    cr_assert_eq(cred_text_new(&t2, NULL), 0);
    for (int round = 0; round < 500; round++) {
        size_t len = random_text(buf, &seed);
        const cred_doc *d;
        cr_assert_eq(cred_text_analyse(T, &d, buf, len, NULL), 0);
        for (size_t i = 0; i < d->n_tokens; i++) {
            const cred_token *t = &d->tokens[i];
            if (t->kind != CRED_TOK_WORD)
                continue;
            cred_span r = cred_doc_raw_span(d, (cred_span){t->start, t->start + t->len});
            memcpy(piece, buf + r.start, r.end - r.start);
            const char *out;
            size_t n;
            cr_assert_eq(cred_text_normalise(t2, &out, &n, piece, r.end - r.start), 0);
            /* the raw span covers whole characters: its norm contains the token */
            cr_assert(n >= t->len && memmem(out, n, d->norm + t->start, t->len) != NULL,
                      "round %d token %zu: [%.*s] not in [%s]", round, i, (int)t->len, d->norm + t->start, out);
        }
    }
    cred_text_free(t2);
}
