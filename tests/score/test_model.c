/* The score model: its maths, verdicts, evidence, and the weights file. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"

static cred_model *model(void)
{
    cred_model *m = NULL;
    cr_assert_eq(cred_model_default(&m), 0);
    return m;
}

static const cred_post *post_of(const char *text, const char *fwd)
{
    static cred_post p;
    memset(&p, 0, sizeof p);
    p.id = "1";
    p.text = text;
    p.text_len = strlen(text);
    p.date = CRED_DATE_UNKNOWN;
    p.forwarded_from = fwd;
    p.start = p.end = -1;
    return &p;
}

/* Score text with a rule set compiled from src (NULL: no rules). */
static const cred_score *score_text(cred_scorer *s, const char *src, const char *text, const cred_dup_match *dup,
                                    const cred_dup_cluster *cl)
{
    static cred_text *t;
    static cred_rules *rules;
    static cred_scanner *sc;
    cred_scanner_free(sc), sc = NULL;
    cred_rules_free(rules), rules = NULL;
    if (!t)
        cr_assert_eq(cred_text_new(&t, NULL), 0);
    const cred_doc *doc;
    cr_assert_eq(cred_text_analyse(t, &doc, text, strlen(text), "en"), 0);
    const cred_scan_result *res = NULL;
    const cred_post *p = post_of(text, NULL);
    if (src) {
        cr_assert_eq(cred_rules_compile(&rules, src, strlen(src), "t.rules", NULL), 0, "%s", cred_error_last()->message);
        cr_assert_eq(cred_scanner_new(&sc, rules, 0), 0);
        cr_assert_eq(cred_scanner_scan(sc, &res, doc, p), 0);
    }
    cred_score_input in = {p, doc, res, dup, cl};
    const cred_score *out;
    cr_assert_eq(cred_scorer_score(s, &out, &in), 0);
    return out;
}

static const char *claim_rules =
    "group PRESS { describe \"pressure\" max 1.0 }\n"
    "rule CURE { describe \"cure claim\" category claim match /\\bcures?\\b/ weight +2.0 cap 1 }\n"
    "rule SHARE { describe \"share call\" category pressure group PRESS match /\\bshare\\b/ weight +0.8 cap 3 }\n"
    "nice rule SRC { describe \"source\" category source match /\\bdoi\\b/ weight -1.5 }\n";

Test(score, sigmoid_validity_and_bias)
{
    cred_model *m = model();
    cr_expect_float_eq(cred_model_probability(m, 0), 0.5, 1e-12);
    cr_expect_float_eq(cred_model_probability(m, 2), 1 / (1 + exp(-2.0)), 1e-12);
    cr_expect_eq(cred_validity(0.5), 50);
    cr_expect_eq(cred_validity(0.004), 100);
    cr_expect_eq(cred_validity(1), 0);
    cr_expect_eq(cred_validity(0.125), 88); /* round(87.5) */
    cred_scorer *s;
    cr_assert_eq(cred_scorer_new(&s, m), 0);
    const cred_score *r = score_text(s, claim_rules, "garlic cures flu", NULL, NULL);
    /* z = bias -1 + CURE 2 */
    cr_expect_float_eq(r->z, 1.0, 1e-9);
    cr_expect_float_eq(r->p_unreliable, 1 / (1 + exp(-1.0)), 1e-9);
    cr_expect_eq(r->validity, (int)lround(100 * (1 - 1 / (1 + exp(-1.0)))));
    cr_expect_eq(r->verdict, CRED_VERDICT_UNRELIABLE);
    cr_expect(r->flags & CRED_FLAG_UNSOURCED_CLAIM);
    cr_assert_eq(r->n_contribs, 1);
    cr_expect_str_eq(r->contribs[0].rule, "CURE");
    cr_expect_str_eq(r->contribs[0].category, "claim");
    cr_expect_eq(r->contribs[0].span.start, 7);
    cr_expect_eq(r->contribs[0].span.end, 12);
    cred_scorer_free(s);
    cred_model_free(m);
}

Test(score, no_evidence_is_insufficient_not_perfect)
{
    cred_model *m = model();
    cred_scorer *s;
    cr_assert_eq(cred_scorer_new(&s, m), 0);
    const cred_score *r = score_text(s, claim_rules, "see you at the library tomorrow", NULL, NULL);
    cr_expect_eq(r->verdict, CRED_VERDICT_INSUFFICIENT);
    cr_expect_eq(r->n_contribs, 0);
    cr_expect_lt(r->validity, 100, "no evidence must not be a perfect score");
    cr_expect_eq(r->validity, cred_validity(cred_model_probability(m, -1.0)));
    r = score_text(s, claim_rules, "the doi is given", NULL, NULL);
    cr_expect_eq(r->verdict, CRED_VERDICT_CREDIBLE);
    cr_expect(r->flags & CRED_FLAG_SOURCED);
    cred_scorer_free(s);
    cred_model_free(m);
}

Test(score, bands_are_configurable)
{
    cred_model *m = model();
    cred_model_params p;
    cred_model_params_get(m, &p);
    cr_expect_eq(cred_model_verdict(m, 70, 1), CRED_VERDICT_CREDIBLE);
    cr_expect_eq(cred_model_verdict(m, 69, 1), CRED_VERDICT_REVIEW);
    cr_expect_eq(cred_model_verdict(m, 40, 1), CRED_VERDICT_REVIEW);
    cr_expect_eq(cred_model_verdict(m, 39, 1), CRED_VERDICT_UNRELIABLE);
    cr_expect_eq(cred_model_verdict(m, 99, 0), CRED_VERDICT_INSUFFICIENT);
    p.credible_min = 90;
    p.unreliable_below = 10;
    cr_assert_eq(cred_model_params_set(m, &p), 0);
    cr_expect_eq(cred_model_verdict(m, 80, 1), CRED_VERDICT_REVIEW);
    cr_expect_eq(cred_model_verdict(m, 9, 1), CRED_VERDICT_UNRELIABLE);
    p.unreliable_below = 95; /* above credible_min */
    cr_expect_eq(cred_model_params_set(m, &p), CRED_EINVAL);
    p.unreliable_below = 10;
    p.bias = NAN;
    cr_expect_eq(cred_model_params_set(m, &p), CRED_EINVAL);
    cr_expect_str_eq(cred_verdict_name(CRED_VERDICT_INSUFFICIENT), "insufficient");
    cr_expect_str_eq(cred_flag_name(CRED_FLAG_SHARE_PRESSURE), "share_pressure");
    cr_expect_null(cred_flag_name(3));
    cred_model_free(m);
}

Test(score, caps_and_group_bounds_are_carried_through)
{
    cred_model *m = model();
    cred_scorer *s;
    cr_assert_eq(cred_scorer_new(&s, m), 0);
    /* SHARE: 3 hits of 0.8 under a group max of 1.0 → 0.8 + 0.2 + 0 (group-limited) */
    const cred_score *r = score_text(s, claim_rules, "share share share this cure, cure", NULL, NULL);
    cr_expect(r->flags & CRED_FLAG_SHARE_PRESSURE);
    double share = 0, cure = 0;
    size_t capped = 0, limited = 0;
    for (size_t i = 0; i < r->n_contribs; i++) {
        const cred_contribution *c = &r->contribs[i];
        if (strcmp(c->rule, "SHARE") == 0)
            share += c->points;
        if (strcmp(c->rule, "CURE") == 0)
            cure += c->points;
        capped += (c->hit_flags & CRED_HIT_CAPPED) != 0;
        limited += (c->hit_flags & CRED_HIT_GROUP_LIMITED) != 0;
    }
    cr_expect_float_eq(share, 1.0, 1e-9);
    cr_expect_float_eq(cure, 2.0, 1e-9);
    cr_expect_geq(capped, 1, "the second CURE hit is capped");
    cr_expect_geq(limited, 1);
    cr_expect_geq(r->suppressed, 2);
    cr_expect_float_eq(r->suppressed_points, 0.6 + 0.8 + 2.0, 1e-9); /* SHARE 0.6 + 0.8 cut, CURE 2.0 capped */
    cr_expect_float_eq(r->z, -1.0 + 1.0 + 2.0, 1e-9);

    /* an override scales the hit's points, the cap still holds */
    cr_assert_eq(cred_model_rule_weight_set(m, "CURE", 1.0), 0);
    r = score_text(s, claim_rules, "garlic cures, cures", NULL, NULL);
    cr_expect_float_eq(r->rules, 1.0, 1e-9);
    double w;
    cr_expect_eq(cred_model_rule_weight(&w, m, "CURE"), 0);
    cr_expect_eq(cred_model_rule_weight(&w, m, "NOPE"), CRED_ENOTFOUND);
    cr_expect_eq(cred_model_rule_weight_clear(m, "CURE"), 0);
    cr_expect_eq(cred_model_rule_weight_count(m), 0);
    cred_scorer_free(s);
    cred_model_free(m);
}

Test(score, duplicate_evidence_grows_from_the_threshold)
{
    cred_model *m = model();
    cred_model_params p;
    cred_model_params_get(m, &p);
    cred_scorer *s;
    cr_assert_eq(cred_scorer_new(&s, m), 0);
    cred_dup_match d = {1, 0, 0, p.dup_threshold, CRED_DUP_NEAR};
    cred_dup_cluster one = {0, 2, 1, 0, 0};
    const cred_score *r = score_text(s, NULL, "a copied message", &d, &one);
    double at_threshold = r->duplicate;
    cr_expect(r->flags & CRED_FLAG_NEAR_DUPLICATE);
    cr_expect_neq(r->verdict, CRED_VERDICT_INSUFFICIENT);
    cr_expect_float_eq(at_threshold, p.dup_base + p.dup_per_repeat * log(2.0), 1e-9,
                       "at the threshold the evidence is the base, not base + slope * threshold");
    d.similarity = (p.dup_threshold + 1) / 2;
    r = score_text(s, NULL, "a copied message", &d, &one);
    cr_expect_float_eq(r->duplicate - at_threshold, p.dup_similarity / 2, 1e-9);
    d.similarity = 1;
    d.relation = CRED_DUP_EXACT;
    r = score_text(s, NULL, "a copied message", &d, &one);
    cr_expect_float_eq(r->duplicate - at_threshold, p.dup_similarity, 1e-9);
    /* a variant is not a copy */
    d.relation = CRED_DUP_VARIANT;
    r = score_text(s, NULL, "a copied message", &d, &one);
    cr_expect_eq(r->duplicate, 0);
    cr_expect(r->flags & CRED_FLAG_VARIANT);
    cr_expect_eq(r->verdict, CRED_VERDICT_INSUFFICIENT);
    cred_scorer_free(s);
    cred_model_free(m);
}

Test(score, spread_across_sources_counts_more_than_one_channel)
{
    cred_model *m = model();
    cred_scorer *s;
    cr_assert_eq(cred_scorer_new(&s, m), 0);
    cred_dup_match d = {9, 0, 0, 0.9, CRED_DUP_NEAR};
    cred_dup_cluster same = {0, 10, 1, 0, 0}, spread = {0, 10, 10, 0, 0}, small = {0, 2, 1, 0, 0};
    double one_channel = score_text(s, NULL, "copy", &d, &same)->duplicate;
    double many = score_text(s, NULL, "copy", &d, &spread)->duplicate;
    double two = score_text(s, NULL, "copy", &d, &small)->duplicate;
    cr_expect_gt(many, one_channel);
    cr_expect_gt(one_channel, two, "repeats still count a little");
    cred_model_params p;
    cred_model_params_get(m, &p);
    cred_dup_cluster huge = {0, 100000, 5000, 0, 0};
    cr_expect_leq(score_text(s, NULL, "copy", &d, &huge)->duplicate, p.dup_max);
    cred_scorer_free(s);
    cred_model_free(m);
}

Test(score, forward_metadata)
{
    cred_model *m = model();
    cred_scorer *s;
    cr_assert_eq(cred_scorer_new(&s, m), 0);
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    const cred_doc *doc;
    cr_assert_eq(cred_text_analyse(t, &doc, "hello", 5, NULL), 0);
    cred_score_input in = {post_of("hello", "Health Channel"), doc, NULL, NULL, NULL};
    const cred_score *r;
    cr_assert_eq(cred_scorer_score(s, &r, &in), 0);
    cr_expect(r->flags & CRED_FLAG_FORWARDED);
    cr_expect_float_eq(r->forward, 0.1, 1e-12);
    cr_assert_eq(r->n_contribs, 1);
    cr_expect_str_eq(r->contribs[0].rule, "FORWARD_METADATA");
    cred_text_free(t);
    cred_scorer_free(s);
    cred_model_free(m);
}

Test(score, calibration)
{
    cred_model *m = model();
    cred_calibration c = {CRED_CALIB_PLATT, 2.0, -1.0, NULL, NULL, 0};
    cr_assert_eq(cred_model_calibration_set(m, &c), 0);
    cr_expect_float_eq(cred_model_probability(m, 1.0), 0.5 + 0.5 * tanh(0.5), 1e-9);
    double z[] = {-2, 0, 2}, p[] = {0.1, 0.3, 0.9};
    cred_calibration iso = {CRED_CALIB_ISOTONIC, 0, 0, z, p, 3};
    cr_assert_eq(cred_model_calibration_set(m, &iso), 0);
    cr_expect_float_eq(cred_model_probability(m, -5), 0.1, 1e-12);
    cr_expect_float_eq(cred_model_probability(m, 1), 0.6, 1e-12);
    cr_expect_float_eq(cred_model_probability(m, 9), 0.9, 1e-12);
    double bad_p[] = {0.5, 0.3, 0.9};
    cred_calibration bad = {CRED_CALIB_ISOTONIC, 0, 0, z, bad_p, 3};
    cr_expect_eq(cred_model_calibration_set(m, &bad), CRED_EINVAL);
    cred_model_free(m);
}

static char *tmp_path(void)
{
    char *p = strdup("/tmp/cred_model_XXXXXX");
    close(mkstemp(p));
    return p;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc(*len + 1);
    cr_assert_eq(fread(s, 1, *len, f), *len);
    fclose(f);
    return s;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static cred_model *full_model(void)
{
    cred_model *m = model();
    cred_model_params p;
    cred_model_params_get(m, &p);
    p.bias = -0.7312345678901234;
    p.dup_base = 0.1 + 0.2; /* not exactly 0.3: the number must survive the round trip */
    cr_assert_eq(cred_model_params_set(m, &p), 0);
    cr_assert_eq(cred_model_rule_weight_set(m, "ZETA", 1.25), 0);
    cr_assert_eq(cred_model_rule_weight_set(m, "ALPHA", -0.333), 0);
    double z[] = {-3, 0, 3}, pp[] = {0.05, 0.4, 0.97};
    cred_calibration iso = {CRED_CALIB_ISOTONIC, 0, 0, z, pp, 3};
    cr_assert_eq(cred_model_calibration_set(m, &iso), 0);
    cred_lexical_options lo = CRED_LEXICAL_OPTIONS_INIT;
    lo.bits = 12;
    cr_assert_eq(cred_model_lexical_init(m, &lo), 0);
    size_t n;
    float *w = cred_model_lexical_table(m, &n, NULL);
    cr_assert_eq(n, 4096);
    for (size_t i = 0; i < n; i += 7)
        w[i] = (float)((double)(i % 13) - 6) / 10.0f;
    cr_assert_eq(cred_model_note_set(m, "fitted on test data — ünïcode"), 0);
    return m;
}

Test(score, save_load_save_is_byte_identical)
{
    cred_model *m = full_model();
    char *a = tmp_path(), *b = tmp_path();
    cr_assert_eq(cred_model_save(m, a), 0, "%s", cred_error_last()->message);
    cred_model *l = NULL;
    cr_assert_eq(cred_model_load(&l, a), 0, "%s", cred_error_last()->message);
    cr_assert_eq(cred_model_save(l, b), 0);
    size_t la, lb;
    char *da = slurp(a, &la), *db = slurp(b, &lb);
    cr_expect_eq(la, lb);
    cr_expect(la == lb && memcmp(da, db, la) == 0, "save -> load -> save must be byte-identical");
    cred_model_params p1, p2;
    cred_model_params_get(m, &p1);
    cred_model_params_get(l, &p2);
    cr_expect(p1.bias == p2.bias && p1.dup_base == p2.dup_base);
    const char *id;
    double w;
    cr_assert_eq(cred_model_rule_weight_at(&id, &w, l, 0), 0);
    cr_expect_str_eq(id, "ALPHA", "overrides are kept in id order");
    cr_expect_str_eq(cred_model_note(l), "fitted on test data — ünïcode");
    size_t n;
    float *t1 = cred_model_lexical_table(m, &n, NULL), *t2 = cred_model_lexical_table(l, NULL, NULL);
    cr_expect(t2 && memcmp(t1, t2, n * sizeof *t1) == 0);
    cr_expect_float_eq(cred_model_probability(l, 1.5), cred_model_probability(m, 1.5), 1e-15);
    /* the default model round-trips too */
    cred_model *d = model();
    cr_assert_eq(cred_model_save(d, a), 0);
    cred_model_free(l);
    cr_assert_eq(cred_model_load(&l, a), 0);
    cr_expect_null(cred_model_lexical_table(l, NULL, NULL));
    free(da), free(db);
    unlink(a), unlink(b);
    free(a), free(b);
    cred_model_free(d);
    cred_model_free(l);
    cred_model_free(m);
}

Test(score, corrupt_and_newer_files_are_refused)
{
    cred_model *m = full_model();
    char *a = tmp_path();
    cr_assert_eq(cred_model_save(m, a), 0);
    size_t len;
    char *d = slurp(a, &len);
    cred_model *l = NULL;
    /* a flipped byte in the header fails the checksum */
    d[40] ^= 1;
    spit(a, d, len);
    cr_expect_eq(cred_model_load(&l, a), CRED_ECORRUPT);
    d[40] ^= 1;
    /* a flipped byte in the compressed table too */
    d[len - 3] ^= 0x10;
    spit(a, d, len);
    cr_expect_eq(cred_model_load(&l, a), CRED_ECORRUPT);
    d[len - 3] ^= 0x10;
    /* truncated */
    spit(a, d, len - 1);
    cr_expect_eq(cred_model_load(&l, a), CRED_ECORRUPT);
    /* not a weights file */
    spit(a, "hello world, this is not a model file at all", 44);
    cr_expect_eq(cred_model_load(&l, a), CRED_ECORRUPT);
    /* a newer format version */
    d[8] = 3;
    spit(a, d, len);
    cr_expect_eq(cred_model_load(&l, a), CRED_EVERSION);
    cr_expect_null(l);
    /* an older one (format 1 had no lexical "links") */
    d[8] = 1;
    spit(a, d, len);
    cr_expect_eq(cred_model_load(&l, a), CRED_EVERSION);
    cr_expect_null(l);
    cr_expect_eq(cred_model_load(&l, "/nonexistent/model.bin"), CRED_EIO);
    unlink(a);
    free(a);
    free(d);
    cred_model_free(m);
}

typedef struct feat_count {
    long n;
    float value;
} feat_count;

static void count_feat(const cred_lexical_feature *f, void *payload)
{
    feat_count *c = payload;
    c->n++;
    c->value = f->value;
}

Test(score, lexical_signal_and_top_terms)
{
    cred_model *m = model();
    cr_expect_eq(cred_model_lexical_init(m, &(cred_lexical_options){CRED_LEXICAL_OPTIONS_VERSION, 3, 1, 0, 0, 0}),
                 CRED_EINVAL);
    cred_lexical_options lo = {CRED_LEXICAL_OPTIONS_VERSION, 16, 2, 3, 4, 0};
    cr_assert_eq(cred_model_lexical_init(m, &lo), 0);
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    const char *text = "miracle cure now";
    const cred_doc *doc;
    cr_assert_eq(cred_text_analyse(t, &doc, text, strlen(text), "en"), 0);
    feat_count c = {0, 0};
    long n = cred_lexical_features(m, doc, count_feat, &c);
    cr_assert_gt(n, 0);
    cr_expect_eq(c.n, n);
    cr_expect_float_eq(c.value, 1.0f / sqrtf((float)n), 1e-6);
    /* give every feature of the word n-gram "miracle cure" a weight through its bucket */
    size_t size;
    float *w = cred_model_lexical_table(m, &size, NULL);
    double z;
    cred_lexical_term top[3];
    size_t nt;
    cr_assert_eq(cred_model_lexical_score(&z, top, 3, &nt, m, doc), 0);
    cr_expect_eq(z, 0);
    cr_expect_eq(nt, 0);
    for (size_t i = 0; i < size; i++)
        w[i] = 0.5f;
    cr_assert_eq(cred_model_lexical_score(&z, top, 3, &nt, m, doc), 0);
    cr_expect_float_eq(z, 0.5 * (double)n / sqrt((double)n), 1e-4);
    cr_expect_eq(nt, 3);
    cr_expect_geq(fabs(top[0].points), fabs(top[2].points));
    cr_expect_leq(top[0].raw.end, strlen(text));
    cred_scorer *s;
    cr_assert_eq(cred_scorer_new(&s, m), 0);
    cred_score_input in = {post_of(text, NULL), doc, NULL, NULL, NULL};
    const cred_score *r;
    cr_assert_eq(cred_scorer_score(s, &r, &in), 0);
    cr_expect_float_eq(r->lexical, z, 1e-9);
    cr_expect_eq(r->verdict != CRED_VERDICT_INSUFFICIENT, 1);
    cr_expect_eq(r->n_terms, CRED_SCORE_TERMS);
    cred_scorer_free(s);
    cred_text_free(t);
    cred_model_free(m);
}
