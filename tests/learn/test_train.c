/* Fitting with known outcomes: weights move the way the labels say, signs hold, the lexical signal
 * separates, scoring agrees with training, cross-validation and calibration behave. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"

static const char RULES[] =
    "rule BAD { describe \"miracle\" category claim match /\\bmiracle\\b/i weight +0.5 }\n"
    "nice rule GOOD { describe \"bulletin\" category source match /\\bbulletin\\b/i weight -0.5 }\n"
    "rule WRONG { describe \"official\" category claim match /\\bofficial\\b/i weight +1.0 }\n"
    "rule NEVER { describe \"never\" category claim match /\\bzzzyzx\\b/ weight +0.7 }\n";

static cred_rules *rules(void)
{
    cred_rules *r;
    cr_assert_eq(cred_rules_compile(&r, RULES, sizeof RULES - 1, "test.rules", NULL), 0, "%s",
                 cred_error_last()->message);
    return r;
}

/* A JSONL data set: n_bad "miracle" posts (unreliable), n_good "official bulletin" posts (reliable),
 * and n_mixed posts with neither word, half of each class. */
static cred_dataset *data(int n_bad, int n_good, int n_mixed)
{
    char tmpl[] = "/tmp/cred_train_XXXXXX";
    int fd = mkstemp(tmpl);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    static const char *const bad_words[] = {"scam", "hoax", "secret", "banned"};
    static const char *const good_words[] = {"schedule", "report", "clinic", "update"};
    for (int i = 0; i < n_bad; i++)
        fprintf(f, "{\"text\":\"This miracle %s works number %d\",\"label\":1}\n", bad_words[i % 4], i);
    for (int i = 0; i < n_good; i++)
        fprintf(f, "{\"text\":\"The official bulletin %s for week %d\",\"label\":0}\n", good_words[i % 4], i);
    for (int i = 0; i < n_mixed; i++)
        fprintf(f, "{\"text\":\"Plain words %s item %d\",\"label\":%d}\n", i % 2 ? bad_words[i % 4] : good_words[i % 4],
                i, i % 2);
    fclose(f);
    cred_dataset_options o = CRED_DATASET_OPTIONS_INIT;
    o.format = CRED_DATASET_JSONL;
    cred_dataset *ds;
    cr_assert_eq(cred_dataset_load(&ds, tmpl, &o), 0);
    unlink(tmpl);
    return ds;
}

static double auc_of(const double *p, const cred_dataset *ds)
{
    size_t n = cred_dataset_count(ds);
    unsigned char *y = malloc(n);
    for (size_t i = 0; i < n; i++)
        y[i] = (unsigned char)cred_dataset_get(ds, i)->label;
    cred_metrics m;
    cr_assert_eq(cred_metrics_compute(&m, p, y, n, 0.5), 0);
    free(y);
    return m.roc_auc;
}

Test(learn, rule_weights_move_towards_the_labels_and_keep_their_signs)
{
    cred_rules *r = rules();
    cred_dataset *ds = data(40, 40, 20);
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, r, NULL), 0);
    cr_assert_eq(cred_features_count(f), 100);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.calibration = CRED_CALIB_NONE;
    o.cost_fp = 1;
    cred_model *m;
    cred_train_report rep;
    cr_assert_eq(cred_train(&m, &rep, f, NULL, NULL, &o), 0, "%s", cred_error_last()->message);
    cr_expect_eq(rep.n_fit, 100);
    cr_expect_eq(rep.rules_hit, 3);
    double bad, good, wrong;
    cr_assert_eq(cred_model_rule_weight(&bad, m, "BAD"), 0);
    cr_assert_eq(cred_model_rule_weight(&good, m, "GOOD"), 0);
    cr_expect_gt(bad, 1.0, "BAD always means unreliable: its weight grows (%g)", bad);
    cr_expect_lt(good, -1.0, "GOOD always means reliable: its weight falls (%g)", good);
    /* WRONG hits only reliable posts but is a positive rule: the sign constraint holds it at 0 */
    cr_assert_eq(cred_model_rule_weight(&wrong, m, "WRONG"), 0);
    cr_expect_float_eq(wrong, 0.0, 1e-12);
    double w;
    cr_expect_eq(cred_model_rule_weight(&w, m, "NEVER"), CRED_ENOTFOUND, "a rule that never hit keeps its weight");
    double *p = malloc(100 * sizeof *p);
    cr_assert_eq(cred_features_predict(p, f, m), 0);
    cr_expect_float_eq(auc_of(p, ds), 1.0 - 0.0, 0.2);
    cr_expect_gt(p[0], 0.8);
    cr_expect_lt(p[40], 0.2);
    cred_model_free(m);

    o.sign_constraints = 0;
    cr_assert_eq(cred_train(&m, NULL, f, NULL, NULL, &o), 0);
    cr_assert_eq(cred_model_rule_weight(&wrong, m, "WRONG"), 0);
    cr_expect_lt(wrong, 0, "without sign constraints WRONG turns negative (%g)", wrong);
    cred_model_free(m);
    free(p);
    cred_features_free(f);
    cred_dataset_free(ds);
    cred_rules_free(r);
}

Test(learn, a_higher_false_positive_cost_lowers_probabilities_and_moves_the_band)
{
    cred_rules *r = rules();
    cred_dataset *ds = data(30, 30, 40);
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, r, NULL), 0);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.calibration = CRED_CALIB_NONE;
    cred_model *m1, *m4;
    o.cost_fp = 1;
    cr_assert_eq(cred_train(&m1, NULL, f, NULL, NULL, &o), 0);
    o.cost_fp = 4;
    cr_assert_eq(cred_train(&m4, NULL, f, NULL, NULL, &o), 0);
    double p1[100], p4[100], s1 = 0, s4 = 0;
    cr_assert_eq(cred_features_predict(p1, f, m1), 0);
    cr_assert_eq(cred_features_predict(p4, f, m4), 0);
    for (int i = 0; i < 100; i++)
        s1 += p1[i], s4 += p4[i];
    cr_expect_lt(s4, s1);
    cred_model_params mp;
    cred_model_params_get(m4, &mp);
    cr_expect_float_eq(mp.unreliable_below, 20.0, 1e-9, "cost 4: unreliable when p >= 0.8");
    cred_model_params_get(m1, &mp);
    cr_expect_float_eq(mp.unreliable_below, 50.0, 1e-9);
    cred_model_free(m1);
    cred_model_free(m4);
    cred_features_free(f);
    cred_dataset_free(ds);
    cred_rules_free(r);
}

Test(learn, the_lexical_signal_separates_words_and_scoring_agrees_with_training)
{
    cred_rules *r = rules();
    cred_dataset *ds = data(0, 0, 200);
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    lex.bits = 16;
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, r, &lex), 0);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.lexical = 1;
    cred_model *m;
    cred_train_report rep;
    cr_assert_eq(cred_train(&m, &rep, f, NULL, NULL, &o), 0, "%s", cred_error_last()->message);
    cr_expect_eq(rep.n_calib, 40, "20%% held out for calibration");
    cr_expect_gt(rep.lexical_buckets, 0);
    double *p = malloc(200 * sizeof *p);
    cr_assert_eq(cred_features_predict(p, f, m), 0);
    cr_expect_float_eq(auc_of(p, ds), 1.0, 1e-9);
    cred_lexical_weight top[8];
    size_t nt = cred_features_top_lexical(top, 8, f, m);
    cr_assert_gt(nt, 0);
    bool found = false;
    for (size_t k = 0; k < nt; k++)
        for (const char *w = "scam hoax secret banned schedule report clinic update"; *w;) {
            size_t len = strcspn(w, " ");
            if (strlen(top[k].text) == len && strncmp(top[k].text, w, len) == 0)
                found = true;
            w += len + (w[len] == ' ');
        }
    cr_expect(found, "the top n-grams are the class words (first: %s)", top[0].text);

    /* the scorer, from a saved and reloaded model, gives the same probabilities */
    char path[] = "/tmp/cred_model_XXXXXX";
    close(mkstemp(path));
    cr_assert_eq(cred_model_save(m, path), 0);
    cred_model *back;
    cr_assert_eq(cred_model_load(&back, path), 0);
    unlink(path);
    cred_text *t;
    cred_scanner *sc;
    cred_scorer *scorer;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    cr_assert_eq(cred_scanner_new(&sc, r, 0), 0);
    cr_assert_eq(cred_scorer_new(&scorer, back), 0);
    for (size_t i = 0; i < 200; i += 7) {
        const cred_example *ex = cred_dataset_get(ds, i);
        const cred_doc *doc;
        cr_assert_eq(cred_text_analyse(t, &doc, ex->text, ex->text_len, NULL), 0);
        cred_post post;
        memset(&post, 0, sizeof post);
        post.id = ex->id;
        post.text = ex->text;
        post.text_len = ex->text_len;
        post.date = CRED_DATE_UNKNOWN;
        const cred_scan_result *res;
        cr_assert_eq(cred_scanner_scan(sc, &res, doc, &post), 0);
        cred_score_input in = {&post, doc, res, NULL, NULL};
        const cred_score *s;
        cr_assert_eq(cred_scorer_score(scorer, &s, &in), 0);
        cr_expect_float_eq(s->p_unreliable, p[i], 1e-5, "example %zu: scorer %g, trainer %g", i, s->p_unreliable,
                           p[i]);
    }
    cred_scorer_free(scorer);
    cred_scanner_free(sc);
    cred_text_free(t);
    cred_model_free(back);
    cred_model_free(m);
    free(p);
    cred_features_free(f);
    cred_dataset_free(ds);
    cred_rules_free(r);
}

Test(learn, training_is_deterministic)
{
    cred_rules *r = rules();
    cred_dataset *ds = data(20, 20, 60);
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    lex.bits = 12;
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, r, &lex), 0);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.lexical = 1;
    o.calibration = CRED_CALIB_ISOTONIC;
    cred_model *a, *b;
    cr_assert_eq(cred_train(&a, NULL, f, NULL, NULL, &o), 0);
    cr_assert_eq(cred_train(&b, NULL, f, NULL, NULL, &o), 0);
    char pa[] = "/tmp/cred_ma_XXXXXX", pb[] = "/tmp/cred_mb_XXXXXX";
    close(mkstemp(pa));
    close(mkstemp(pb));
    cr_assert_eq(cred_model_save(a, pa), 0);
    cr_assert_eq(cred_model_save(b, pb), 0);
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    int ca, cb, same = 1;
    do {
        ca = fgetc(fa), cb = fgetc(fb);
        same &= ca == cb;
    } while (ca != EOF && cb != EOF);
    fclose(fa), fclose(fb);
    unlink(pa), unlink(pb);
    cr_expect(same, "two fits with the same seed write identical files");
    cred_calibration c;
    cred_model_calibration_get(a, &c);
    cr_expect(c.kind == CRED_CALIB_ISOTONIC || c.kind == CRED_CALIB_PLATT);
    for (size_t i = 1; c.kind == CRED_CALIB_ISOTONIC && i < c.n; i++) {
        cr_expect_gt(c.z[i], c.z[i - 1]);
        cr_expect_geq(c.p[i], c.p[i - 1]);
    }
    cred_model_free(a);
    cred_model_free(b);
    cred_features_free(f);
    cred_dataset_free(ds);
    cred_rules_free(r);
}

Test(learn, cross_validation_predicts_every_example_out_of_fold)
{
    cred_rules *r = rules();
    cred_dataset *ds = data(30, 30, 0);
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, r, NULL), 0);
    double p[60];
    for (int i = 0; i < 60; i++)
        p[i] = -1;
    cr_assert_eq(cred_train_cv(p, f, 3, NULL, NULL), 0, "%s", cred_error_last()->message);
    for (int i = 0; i < 60; i++)
        cr_expect(p[i] >= 0 && p[i] <= 1, "p[%d] = %g", i, p[i]);
    cr_expect_float_eq(auc_of(p, ds), 1.0, 1e-9);
    cr_expect_eq(cred_train_cv(p, f, 1, NULL, NULL), CRED_EINVAL);
    cr_expect_eq(cred_train_cv(p, f, 31, NULL, NULL), CRED_EINVAL);
    cred_features_free(f);
    cred_dataset_free(ds);
    cred_rules_free(r);
}

Test(learn, a_set_with_one_class_is_refused)
{
    cred_rules *r = rules();
    cred_dataset *ds = data(10, 0, 0);
    cred_features *f;
    cr_assert_eq(cred_features_build(&f, ds, r, NULL), 0);
    cred_model *m = NULL;
    cr_expect_eq(cred_train(&m, NULL, f, NULL, NULL, NULL), CRED_EINVAL);
    cr_expect_null(m);
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    o.lexical = 1;
    cr_expect_eq(cred_train(&m, NULL, f, NULL, NULL, &o), CRED_EINVAL, "no lexical features were built");
    cred_features_free(f);
    cred_dataset_free(ds);
    cred_rules_free(r);
}
