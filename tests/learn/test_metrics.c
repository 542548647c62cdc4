/* Evaluation figures with known answers: perfect, reversed and tied rankings, hand-computed cases. */
#include <criterion/criterion.h>
#include <math.h>

#include "credence.h"

#define EPS 1e-9

static cred_metrics compute(const double *p, const unsigned char *y, size_t n, double t)
{
    cred_metrics m;
    cr_assert_eq(cred_metrics_compute(&m, p, y, n, t), 0);
    return m;
}

Test(learn, a_perfect_ranking_has_roc_auc_and_average_precision_one)
{
    double p[] = {0.1, 0.2, 0.3, 0.7, 0.8, 0.9};
    unsigned char y[] = {0, 0, 0, 1, 1, 1};
    cred_metrics m = compute(p, y, 6, 0.5);
    cr_expect_float_eq(m.roc_auc, 1.0, EPS);
    cr_expect_float_eq(m.pr_auc, 1.0, EPS);
    cr_expect_eq(m.tp, 3);
    cr_expect_eq(m.tn, 3);
    cr_expect_float_eq(m.f1, 1.0, EPS);
    cr_expect_eq(m.n, 6);
    cr_expect_eq(m.positives, 3);
}

Test(learn, a_reversed_ranking_has_roc_auc_zero)
{
    double p[] = {0.9, 0.8, 0.2, 0.1};
    unsigned char y[] = {0, 0, 1, 1};
    cred_metrics m = compute(p, y, 4, 0.5);
    cr_expect_float_eq(m.roc_auc, 0.0, EPS);
    /* descending: neg, neg, pos (P 1/3, R 1/2), pos (P 2/4, R 1) */
    cr_expect_float_eq(m.pr_auc, 0.5 / 3 + 0.5 * 0.5, EPS);
    cr_expect_eq(m.tp, 0);
    cr_expect_float_eq(m.precision, 0.0, EPS);
    cr_expect_float_eq(m.f1, 0.0, EPS);
}

Test(learn, all_tied_scores_give_roc_auc_one_half_and_average_precision_the_prevalence)
{
    double p[] = {0.4, 0.4, 0.4, 0.4, 0.4};
    unsigned char y[] = {1, 0, 0, 1, 0};
    cred_metrics m = compute(p, y, 5, 0.5);
    cr_expect_float_eq(m.roc_auc, 0.5, EPS);
    cr_expect_float_eq(m.pr_auc, 0.4, EPS);
}

Test(learn, a_hand_computed_case_matches)
{
    /* the scikit-learn documentation example: AUC 0.75, AP 0.8333 */
    double p[] = {0.1, 0.4, 0.35, 0.8};
    unsigned char y[] = {0, 0, 1, 1};
    cred_metrics m = compute(p, y, 4, 0.5);
    cr_expect_float_eq(m.roc_auc, 0.75, EPS);
    cr_expect_float_eq(m.pr_auc, 0.5 * 1.0 + 0.5 * (2.0 / 3.0), EPS);
    cr_expect_eq(m.tp, 1);
    cr_expect_eq(m.fp, 0);
    cr_expect_eq(m.fn, 1);
    cr_expect_eq(m.tn, 2);
    cr_expect_float_eq(m.precision, 1.0, EPS);
    cr_expect_float_eq(m.recall, 0.5, EPS);
    cr_expect_float_eq(m.f1, 2.0 / 3.0, EPS);
    cr_expect_float_eq(m.accuracy, 0.75, EPS);
}

Test(learn, ties_across_classes_count_half)
{
    /* one pair tied (0.5, 0.5), the other three ordered correctly: (3 + 0.5) / 4 */
    double p[] = {0.2, 0.5, 0.5, 0.9};
    unsigned char y[] = {0, 0, 1, 1};
    cred_metrics m = compute(p, y, 4, 0.5);
    cr_expect_float_eq(m.roc_auc, 0.875, EPS);
}

Test(learn, the_threshold_is_inclusive)
{
    double p[] = {0.6, 0.59};
    unsigned char y[] = {1, 1};
    cred_metrics m = compute(p, y, 2, 0.6);
    cr_expect_eq(m.tp, 1);
    cr_expect_eq(m.fn, 1);
    cr_expect(isnan(m.roc_auc), "one class only: ROC-AUC is undefined");
}

Test(learn, expected_calibration_error_and_reliability_bins)
{
    double p[] = {0.05, 0.05, 0.95, 0.95, 0.25, 0.25, 0.25, 0.25};
    unsigned char y[] = {0, 0, 1, 1, 1, 0, 0, 0};
    cred_metrics m = compute(p, y, 8, 0.5);
    /* bins 0 and 9 are 0.05 off (2 of 8 each), bin 2 is exact (0.25 observed) */
    cr_expect_float_eq(m.ece, 0.05 * 2 / 8 + 0.05 * 2 / 8, EPS);
    cr_expect_eq(m.bins[0].n, 2);
    cr_expect_eq(m.bins[2].n, 4);
    cr_expect_float_eq(m.bins[2].frac_pos, 0.25, EPS);
    cr_expect_float_eq(m.bins[2].mean_p, 0.25, EPS);
    cr_expect_eq(m.bins[9].n, 2);
    cr_expect_float_eq(m.bins[9].lo, 0.9, EPS);
    cr_expect_float_eq(m.bins[9].frac_pos, 1.0, EPS);
    cr_expect_float_eq(m.brier, (2 * 0.0025 + 2 * 0.0025 + 0.5625 + 3 * 0.0625) / 8, EPS);
}

Test(learn, a_probability_of_one_falls_in_the_last_bin)
{
    double p[] = {1.0, 0.0};
    unsigned char y[] = {1, 0};
    cred_metrics m = compute(p, y, 2, 0.5);
    cr_expect_eq(m.bins[9].n, 1);
    cr_expect_eq(m.bins[0].n, 1);
    cr_expect_float_eq(m.ece, 0.0, EPS);
}

Test(learn, bad_input_is_refused)
{
    cred_metrics m;
    double p[] = {NAN};
    unsigned char y[] = {1};
    cr_expect_eq(cred_metrics_compute(&m, p, y, 0, 0.5), CRED_EINVAL);
    cr_expect_eq(cred_metrics_compute(&m, p, y, 1, 0.5), CRED_EINVAL);
}
