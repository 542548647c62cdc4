/* Lexical options beyond n-grams, with known answers: link features (domain, host, path words)
 * and their round trip through a weights file, and cross-fitted calibration (every example
 * calibrates out of fold, the model is fitted on all). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"
#include "jsonl_data.h"

typedef struct seen {
    int n;
    float value[16];
} seen;

static void on_feature(const cred_lexical_feature *lf, void *payload)
{
    seen *s = payload;
    if (s->n < 16)
        s->value[s->n] = lf->value;
    s->n++;
}

/* Features of text under word 1-grams only (no characters), with or without links. */
static long count_features(const char *text, unsigned links, seen *s)
{
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    const cred_doc *doc;
    cr_assert_eq(cred_text_analyse(t, &doc, text, strlen(text), "en"), 0);
    cred_model *m;
    cr_assert_eq(cred_model_default(&m), 0);
    cred_lexical_options lo = CRED_LEXICAL_OPTIONS_INIT;
    lo.bits = 12;
    lo.word_max = 1;
    lo.char_min = lo.char_max = 0;
    lo.links = links;
    cr_assert_eq(cred_model_lexical_init(m, &lo), 0, "%s", cred_error_last()->message);
    memset(s, 0, sizeof *s);
    long n = cred_lexical_features(m, doc, on_feature, s);
    cr_expect_eq(n, s->n);
    cred_model_free(m);
    cred_text_free(t);
    return n;
}

Test(learn_lexical, a_link_gives_its_domain_host_and_path_words)
{
    static const char text[] = "see https://www.example.com/watch?v=abc-def-2020";
    seen s;
    /* word 1-grams: "see", "<url>" */
    cr_expect_eq(count_features(text, 0, &s), 2);
    /* + domain example.com, host www.example.com, path words watch, abc, def ("v" too short,
       "2020" all digits) */
    cr_expect_eq(count_features(text, 1, &s), 7);
    for (int k = 0; k < 7; k++)
        cr_expect_float_eq(s.value[k], 1 / sqrt(7.0), 1e-6, "feature %d: %g", k, s.value[k]);
    /* a host that is its registrable domain counts once */
    cr_expect_eq(count_features("https://example.org", 1, &s), 2);
}

Test(learn_lexical, the_link_option_survives_a_weights_file)
{
    cred_model *m, *l = NULL;
    cr_assert_eq(cred_model_default(&m), 0);
    cred_lexical_options lo = CRED_LEXICAL_OPTIONS_INIT, back;
    lo.bits = 10;
    lo.links = 1;
    cr_assert_eq(cred_model_lexical_init(m, &lo), 0);
    size_t n;
    float *table = cred_model_lexical_table(m, &n, NULL);
    table[7] = 0.25f;
    char path[] = "/tmp/cred_lexx_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(cred_model_save(m, path), 0, "%s", cred_error_last()->message);
    cr_assert_eq(cred_model_load(&l, path), 0, "%s", cred_error_last()->message);
    table = cred_model_lexical_table(l, &n, &back);
    cr_expect_eq(n, 1024);
    cr_expect_eq(back.links, 1);
    cr_expect_float_eq(table[7], 0.25f, 0);
    lo.links = 2;
    cr_expect_eq(cred_model_lexical_init(m, &lo), CRED_EINVAL);
    unlink(path);
    cred_model_free(l);
    cred_model_free(m);
}

#define N_CF 60

Test(learn_lexical, cross_fitted_calibration_uses_every_example_and_separates)
{
    static const char *const syl[] = {"ka", "lo", "mi", "nu", "pe", "ra", "so", "tu", "vi", "ze"};
    char text[N_CF][64];
    int label[N_CF];
    for (int i = 0; i < N_CF; i++) {
        label[i] = i % 2;
        snprintf(text[i], sizeof text[i], "%s %s%sx today", label[i] ? "hoax cure" : "clinic schedule", syl[i % 10],
                 syl[i / 10]);
    }
    const char *lines[N_CF];
    for (int i = 0; i < N_CF; i++)
        lines[i] = text[i];
    cred_dataset *ds = load_lines(lines, label, N_CF);
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    lex.bits = 14;
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, NULL, &lex), 0, "%s", cred_error_last()->message);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.lexical = 1;
    o.threshold_f1 = 1;
    o.calib_folds = 3;
    cred_model *m = NULL, *m2 = NULL;
    cred_train_report rep;
    cr_assert_eq(cred_train(&m, &rep, f, NULL, NULL, &o), 0, "%s", cred_error_last()->message);
    cr_expect_eq(rep.n_fit, N_CF, "the model is fitted on every example");
    cr_expect_eq(rep.n_calib, N_CF, "and every example calibrates, out of fold");
    cred_calibration c;
    cred_model_calibration_get(m, &c);
    cr_expect_eq(c.kind, CRED_CALIB_PLATT);
    cr_expect_gt(c.a, 0);
    cred_model_params mp;
    cred_model_params_get(m, &mp);
    cr_expect(mp.unreliable_below > 0 && mp.unreliable_below < 100, "band %g", mp.unreliable_below);
    double p[N_CF];
    cr_assert_eq(cred_features_predict(p, f, m), 0);
    for (int i = 0; i < N_CF; i++)
        cr_expect_eq(p[i] >= 1 - mp.unreliable_below / 100, label[i] == 1, "example %d: p %g", i, p[i]);
    /* deterministic */
    cr_assert_eq(cred_train(&m2, NULL, f, NULL, NULL, &o), 0);
    double p2[N_CF];
    cr_assert_eq(cred_features_predict(p2, f, m2), 0);
    cr_expect_arr_eq(p, p2, sizeof p);
    /* and inside cross-validation, every example is predicted out of fold with its fold's band */
    double pc[N_CF], tc[N_CF];
    cr_assert_eq(cred_train_cv_verdicts(pc, tc, f, 3, NULL, &o), 0, "%s", cred_error_last()->message);
    for (int i = 0; i < N_CF; i++) {
        cr_expect(tc[i] > 0 && tc[i] < 1, "t %g", tc[i]);
        cr_expect_eq(pc[i] >= tc[i], label[i] == 1, "example %d: p %g, t %g", i, pc[i], tc[i]);
    }
    cred_model_free(m2);
    m2 = NULL;
    o.calib_folds = 101;
    cr_expect_eq(cred_train(&m2, NULL, f, NULL, NULL, &o), CRED_EINVAL);
    cr_expect_null(m2);
    cred_model_free(m);
    cred_features_free(f);
    cred_dataset_free(ds);
}

Test(learn_lexical, too_few_groups_of_copies_for_the_inner_folds_fall_back_to_a_hold_out)
{
    /* two texts, each copied 20 times (numbers stand as <num>): two groups cannot fill 5 folds */
    char text[40][64];
    int label[40];
    for (int i = 0; i < 40; i++) {
        label[i] = i % 2;
        snprintf(text[i], sizeof text[i], "%s number %d", label[i] ? "secret miracle remedy" : "clinic opening hours",
                 i);
    }
    const char *lines[40];
    for (int i = 0; i < 40; i++)
        lines[i] = text[i];
    cred_dataset *ds = load_lines(lines, label, 40);
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    lex.bits = 12;
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, NULL, &lex), 0);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.lexical = 1;
    o.refit = 1;
    o.calib_folds = 5;
    cred_model *m = NULL;
    cred_train_report rep;
    cr_assert_eq(cred_train(&m, &rep, f, NULL, NULL, &o), 0, "%s", cred_error_last()->message);
    cr_expect_eq(rep.n_fit, 40, "refit on all after the hold-out");
    cr_expect_eq(rep.n_calib, 8, "a 0.2 hold-out calibrates");
    double p[40];
    cr_assert_eq(cred_features_predict(p, f, m), 0);
    for (int i = 0; i < 40; i++)
        cr_expect_eq(p[i] > 0.5, label[i] == 1, "example %d: p %g", i, p[i]);
    cred_model_free(m);
    cred_features_free(f);
    cred_dataset_free(ds);
}
