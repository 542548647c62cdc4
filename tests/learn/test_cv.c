/* Lexical fits and honest cross-validation: word bigrams separate what unigrams cannot, naive-Bayes
 * scaling keeps scoring consistent, copies of a post never straddle folds, the best-F1 threshold is
 * picked on the calibration examples and a refit uses every example. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"
#include "jsonl_data.h"

static double auc(const double *p, const int *label, size_t n)
{
    unsigned char *y = malloc(n);
    for (size_t i = 0; i < n; i++)
        y[i] = (unsigned char)label[i];
    cred_metrics m;
    cr_assert_eq(cred_metrics_compute(&m, p, y, n, 0.5), 0);
    free(y);
    return m.roc_auc;
}

/* A word made of letters from i (no digits: numbers all stand as <num>). */
static void word_of(char *out, unsigned i)
{
    static const char *const syl[] = {"ka", "lo", "mi", "nu", "pe", "ra", "so", "tu", "vi", "ze"};
    out[0] = '\0';
    do {
        strcat(out, syl[i % 10]);
        i /= 10;
    } while (i);
    strcat(out, "x");
}

/* Unreliable posts say "alpha beta", reliable ones "beta alpha": same words, other order. */
#define N_ORDER 60
static cred_dataset *order_data(int *label, char (*buf)[64], const char **text)
{
    for (int i = 0; i < N_ORDER; i++) {
        char w[32];
        word_of(w, (unsigned)i);
        label[i] = i % 2;
        snprintf(buf[i], 64, "%s %s %s", label[i] ? "alpha beta" : "beta alpha", w, i % 3 ? "today" : "now");
        text[i] = buf[i];
    }
    return load_lines(text, label, N_ORDER);
}

static double order_auc(unsigned word_max, double nb)
{
    int label[N_ORDER];
    char buf[N_ORDER][64];
    const char *text[N_ORDER];
    cred_dataset *ds = order_data(label, buf, text);
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    lex.bits = 16;
    lex.word_max = word_max;
    lex.char_min = lex.char_max = 0;
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, NULL, &lex), 0, "%s", cred_error_last()->message);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.lexical = 1;
    o.nb_alpha = nb;
    o.refit = 1;
    double p[N_ORDER];
    cr_assert_eq(cred_train_cv(p, f, 3, NULL, &o), 0, "%s", cred_error_last()->message);
    double a = auc(p, label, N_ORDER);
    cred_features_free(f);
    cred_dataset_free(ds);
    return a;
}

Test(learn_cv, word_bigrams_separate_what_unigrams_cannot)
{
    double uni = order_auc(1, 0), bi = order_auc(2, 0), bi_nb = order_auc(2, 1);
    cr_expect(uni < 0.75, "unigrams alone: AUC %g", uni);
    cr_expect(bi > 0.95, "with bigrams: AUC %g", bi);
    cr_expect(bi_nb > 0.95, "with bigrams, NB-scaled: AUC %g", bi_nb);
}

Test(learn_cv, nb_scaled_table_scores_the_unscaled_features_like_the_fit)
{
    int label[N_ORDER];
    char buf[N_ORDER][64];
    const char *text[N_ORDER];
    cred_dataset *ds = order_data(label, buf, text);
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    lex.bits = 16;
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, NULL, &lex), 0);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.lexical = 1;
    o.nb_alpha = 1;
    o.calibration = CRED_CALIB_NONE;
    cred_model *m = NULL;
    cr_assert_eq(cred_train(&m, NULL, f, NULL, NULL, &o), 0, "%s", cred_error_last()->message);
    double p[N_ORDER];
    cr_assert_eq(cred_features_predict(p, f, m), 0);
    cr_expect_float_eq(auc(p, label, N_ORDER), 1.0, 1e-9);
    /* the stored table works on its own, through the scorer's lexical path */
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    const cred_doc *doc;
    double z_bad, z_good;
    cr_assert_eq(cred_text_analyse(t, &doc, "alpha beta", 10, NULL), 0);
    cr_assert_eq(cred_model_lexical_score(&z_bad, NULL, 0, NULL, m, doc), 0);
    cr_assert_eq(cred_text_analyse(t, &doc, "beta alpha", 10, NULL), 0);
    cr_assert_eq(cred_model_lexical_score(&z_good, NULL, 0, NULL, m, doc), 0);
    cr_expect_gt(z_bad, z_good);
    cred_text_free(t);
    o.nb_alpha = -1;
    cred_model *bad = NULL;
    cr_expect_eq(cred_train(&bad, NULL, f, NULL, NULL, &o), CRED_EINVAL);
    cr_expect_null(bad);
    cred_model_free(m);
    cred_features_free(f);
    cred_dataset_free(ds);
}

/*
 * 40 distinct posts, each forwarded 3 times (case and punctuation change), labels drawn at random:
 * nothing but memorising a copy predicts them. Folds split by copy group leave nothing to memorise.
 */
Test(learn_cv, copies_of_a_post_stay_in_one_fold)
{
    enum { U = 40, C = 3, N = U * C };
    static char buf[N][96];
    const char *text[N];
    int label[N];
    uint64_t s = 12345;
    for (int u = 0; u < U; u++) {
        char a[16], b[16], c[16];
        word_of(a, (unsigned)u * 7 + 1);
        word_of(b, (unsigned)u * 13 + 5);
        word_of(c, (unsigned)u * 31 + 2);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int y = (int)((s >> 33) & 1);
        for (int k = 0; k < C; k++) {
            int i = u * C + k;
            label[i] = y;
            if (k == 0)
                snprintf(buf[i], sizeof buf[i], "%s %s %s", a, b, c);
            else if (k == 1)
                snprintf(buf[i], sizeof buf[i], "%s, %s %s!!", a, b, c);
            else {
                snprintf(buf[i], sizeof buf[i], "%s %s %s.", a, b, c);
                buf[i][0] = (char)(buf[i][0] - 'a' + 'A');
            }
            text[i] = buf[i];
        }
    }
    cred_dataset *ds = load_lines(text, label, N);
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    lex.bits = 16;
    lex.char_min = lex.char_max = 0;
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, NULL, &lex), 0);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.lexical = 1;
    o.calibration = CRED_CALIB_NONE;
    double p[N], t[N];
    cr_assert_eq(cred_train_cv_verdicts(p, t, f, 4, NULL, &o), 0, "%s", cred_error_last()->message);
    double a = auc(p, label, N);
    cr_expect(a < 0.75, "copies leaked between folds: out-of-fold AUC %g on random labels", a);
    for (int i = 0; i < N; i++)
        cr_expect_float_eq(t[i], 0.6, 1e-9, "cost threshold 1.5 / 2.5");
    cred_features_free(f);
    cred_dataset_free(ds);
}

Test(learn_cv, best_f1_threshold_comes_from_the_calibration_set_and_refit_uses_all)
{
    int label[N_ORDER];
    char buf[N_ORDER][64];
    const char *text[N_ORDER];
    cred_dataset *ds = order_data(label, buf, text);
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    lex.bits = 16;
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, NULL, &lex), 0);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.lexical = 1;
    o.threshold_f1 = 1;
    o.refit = 1;
    o.holdout = 0.5;
    cred_model *m = NULL;
    cred_train_report rep;
    cr_assert_eq(cred_train(&m, &rep, f, NULL, NULL, &o), 0, "%s", cred_error_last()->message);
    cr_expect_eq(rep.n_fit, N_ORDER, "the refit uses the held-out examples too");
    cr_expect_eq(rep.n_calib, N_ORDER / 2);
    cred_model_params mp;
    cred_model_params_get(m, &mp);
    cr_expect(mp.unreliable_below > 0 && mp.unreliable_below < 100, "band %g", mp.unreliable_below);
    double p[N_ORDER];
    cr_assert_eq(cred_features_predict(p, f, m), 0);
    for (int i = 0; i < N_ORDER; i++)
        cr_expect_eq(p[i] >= 1 - mp.unreliable_below / 100, label[i] == 1, "example %d: p %g", i, p[i]);
    cred_model_free(m);
    double pc[N_ORDER], tc[N_ORDER];
    cr_assert_eq(cred_train_cv_verdicts(pc, tc, f, 3, NULL, &o), 0);
    for (int i = 0; i < N_ORDER; i++)
        cr_expect(tc[i] > 0 && tc[i] < 1, "t %g", tc[i]);
    cred_features_free(f);
    cred_dataset_free(ds);
}
