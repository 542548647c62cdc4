/* The signature layer of dedup: shingles, one-permutation MinHash, the estimator and the exact key. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "dedup/dedup.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state += 0x9e3779b97f4a7c15ULL;
    return dd_mix64(rng_state);
}

/* Two random sets with |A ∩ B| = inter and |A \ B| = |B \ A| = diff; returns the exact Jaccard. */
static double make_pair(uint64_t *a, uint64_t *b, size_t inter, size_t diff)
{
    for (size_t i = 0; i < inter; i++)
        a[i] = b[i] = rnd();
    for (size_t i = 0; i < diff; i++) {
        a[inter + i] = rnd();
        b[inter + i] = rnd();
    }
    return (double)inter / (double)(inter + 2 * diff);
}

/* Mean error and standard deviation of the estimator over many random pairs of one true Jaccard. */
static void estimator_stats(size_t inter, size_t diff, double *bias, double *sd, double *expect_sd)
{
    enum { TRIALS = 3000 };
    uint64_t a[1024], b[1024];
    double sum = 0, sum2 = 0, j = 0;
    for (int t = 0; t < TRIALS; t++) {
        j = make_pair(a, b, inter, diff);
        dd_sig sa, sb;
        cred_dedup__sign(&sa, a, inter + diff);
        cred_dedup__sign(&sb, b, inter + diff);
        double e = cred_dedup__estimate(&sa, &sb) - j;
        sum += e;
        sum2 += e * e;
    }
    *bias = sum / TRIALS;
    *sd = sqrt(sum2 / TRIALS - *bias * *bias);
    *expect_sd = sqrt(j * (1 - j) / DD_K);
}

Test(dedup, estimator_is_unbiased_with_minhash_variance_on_post_sized_sets)
{
    /* union sizes 60 (a short post, many empty bins densified) to 600 (a paragraph) */
    static const size_t cases[][2] = {{30, 15}, {45, 8}, {200, 200}, {300, 50}, {100, 250}};
    rng_state = 42;
    for (size_t i = 0; i < CRED_ARRAY_LEN(cases); i++) {
        double bias, sd, expect;
        estimator_stats(cases[i][0], cases[i][1], &bias, &sd, &expect);
        cr_expect(fabs(bias) < 0.005, "case %zu: bias %.4f", i, bias);
        cr_expect(sd > 0.85 * expect && sd < 1.1 * expect, "case %zu: sd %.4f, MinHash sd %.4f", i, sd, expect);
    }
}

Test(dedup, identical_sets_estimate_one_and_disjoint_sets_near_zero)
{
    uint64_t a[300], b[300];
    rng_state = 7;
    make_pair(a, b, 300, 0);
    dd_sig sa, sb;
    cred_dedup__sign(&sa, a, 300);
    cred_dedup__sign(&sb, b, 300);
    cr_assert_float_eq(cred_dedup__estimate(&sa, &sb), 1.0, 1e-9);
    make_pair(a, b, 0, 300);
    cred_dedup__sign(&sa, a, 300);
    cred_dedup__sign(&sb, b, 300);
    cr_assert_lt(cred_dedup__estimate(&sa, &sb), 0.05);
}

Test(dedup, signature_ignores_shingle_order_and_repeats)
{
    uint64_t a[64], b[128];
    rng_state = 9;
    for (size_t i = 0; i < 64; i++)
        a[i] = rnd();
    for (size_t i = 0; i < 64; i++)
        b[i] = b[127 - i] = a[i];
    dd_sig sa, sb;
    cred_dedup__sign(&sa, a, 64);
    cred_dedup__sign(&sb, b, 128);
    cr_assert_arr_eq(sa.v, sb.v, DD_K);
}

Test(dedup, char_shingles_are_five_code_points_and_short_text_is_one_shingle)
{
    uint64_t *h = NULL;
    size_t cap = 0;
    cr_assert_eq(cred_dedup__shingle_chars(&h, &cap, "abcdefg", 7), 3);
    /* five Persian letters (2 bytes each) are one shingle; six are two */
    cr_assert_eq(cred_dedup__shingle_chars(&h, &cap, "سلامت", strlen("سلامت")), 1);
    cr_assert_eq(cred_dedup__shingle_chars(&h, &cap, "سلامتی", strlen("سلامتی")), 2);
    cr_assert_eq(cred_dedup__shingle_chars(&h, &cap, "abc", 3), 1);
    cr_assert_eq(cred_dedup__shingle_chars(&h, &cap, "", 0), 0);
    free(h);
}

Test(dedup, exact_jaccard_counts_distinct_shingles)
{
    uint64_t a[] = {1, 2, 3, 3, 4}, b[] = {3, 4, 5, 6};
    cr_assert_float_eq(cred_dedup__jaccard(a, 5, b, 4), 2.0 / 6.0, 1e-12);
}

Test(dedup, estimate_tracks_exact_jaccard_of_edited_text)
{
    const char *orig = "the ministry confirmed that schools will reopen next monday after the holidays";
    const char *edit = "the ministry confirmed that schools will reopen next monday after holidays ok";
    uint64_t *a = NULL, *b = NULL;
    size_t ca = 0, cb = 0;
    long na = cred_dedup__shingle_chars(&a, &ca, orig, strlen(orig));
    long nb = cred_dedup__shingle_chars(&b, &cb, edit, strlen(edit));
    dd_sig sa, sb;
    cred_dedup__sign(&sa, a, (size_t)na);
    cred_dedup__sign(&sb, b, (size_t)nb);
    double est = cred_dedup__estimate(&sa, &sb);
    double exact = cred_dedup__jaccard(a, (size_t)na, b, (size_t)nb);
    cr_assert_gt(exact, 0.6);
    cr_assert_lt(exact, 0.95);
    cr_assert_lt(fabs(est - exact), 4 * sqrt(exact * (1 - exact) / DD_K), "est %.3f exact %.3f", est, exact);
    free(a);
    free(b);
}

Test(dedup, exact_key_depends_on_every_byte)
{
    dd_key a = cred_dedup__key("forward me", 10), b = cred_dedup__key("forward me", 10);
    dd_key c = cred_dedup__key("forward mE", 10);
    cr_assert(a.lo == b.lo && a.hi == b.hi);
    cr_assert(a.lo != c.lo && a.hi != c.hi);
}
