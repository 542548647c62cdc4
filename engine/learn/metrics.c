/*
 * Evaluation figures of predicted probabilities against binary labels (1 = unreliable): ROC-AUC by
 * the rank-sum (Mann-Whitney) statistic with tied scores given their mean rank, average precision
 * with tied scores taken as one step, counts at a threshold, Brier score, and a 10-bin reliability
 * table with the expected calibration error. One sort of n indices; O(n log n).
 */
#include <math.h>
#include <stdlib.h>

#include "learn/learn_int.h"

typedef struct ranked {
    double p;
    unsigned char y;
} ranked;

static int cmp_p(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return (x->p > y->p) - (x->p < y->p);
}

int cred_metrics_compute(cred_metrics *out, const double *p, const unsigned char *y, size_t n, double threshold)
{
    if (!out || !p || !y || n == 0)
        return cred__error(CRED_EINVAL, "cred_metrics_compute: no examples");
    memset(out, 0, sizeof *out);
    out->n = n;
    out->threshold = threshold;
    ranked *r = malloc(n * sizeof *r);
    if (!r)
        return cred__error_nomem();
    double brier = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(p[i])) {
            free(r);
            return cred__error(CRED_EINVAL, "cred_metrics_compute: probability %zu is NaN", i);
        }
        r[i].p = p[i];
        r[i].y = y[i] ? 1 : 0;
        out->positives += r[i].y;
        bool pred = p[i] >= threshold;
        if (pred && r[i].y)
            out->tp++;
        else if (pred)
            out->fp++;
        else if (r[i].y)
            out->fn++;
        else
            out->tn++;
        double c = p[i] < 0 ? 0 : p[i] > 1 ? 1 : p[i];
        brier += (c - r[i].y) * (c - r[i].y);
        size_t b = (size_t)floor(c * CRED_METRICS_BINS);
        if (b >= CRED_METRICS_BINS)
            b = CRED_METRICS_BINS - 1;
        out->bins[b].n++;
        out->bins[b].positives += r[i].y;
        out->bins[b].mean_p += c;
    }
    size_t P = out->positives, N = n - P;
    out->brier = brier / (double)n;
    out->accuracy = (double)(out->tp + out->tn) / (double)n;
    out->precision = out->tp + out->fp ? (double)out->tp / (double)(out->tp + out->fp) : 0;
    out->recall = P ? (double)out->tp / (double)P : 0;
    out->f1 = out->precision + out->recall > 0
                  ? 2 * out->precision * out->recall / (out->precision + out->recall)
                  : 0;
    double ece = 0;
    for (size_t b = 0; b < CRED_METRICS_BINS; b++) {
        cred_reliability_bin *bin = &out->bins[b];
        bin->lo = (double)b / CRED_METRICS_BINS;
        bin->hi = (double)(b + 1) / CRED_METRICS_BINS;
        if (bin->n) {
            bin->mean_p /= (double)bin->n;
            bin->frac_pos = (double)bin->positives / (double)bin->n;
            ece += (double)bin->n / (double)n * fabs(bin->mean_p - bin->frac_pos);
        }
    }
    out->ece = ece;

    qsort(r, n, sizeof *r, cmp_p);
    /* ROC-AUC: sum of the (mean) ranks of the positives, ascending p */
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, pos = 0;
        while (j < n && r[j].p == r[i].p)
            pos += r[j++].y;
        double mean_rank = ((double)i + 1 + (double)j) / 2; /* ranks i+1 .. j */
        rank_sum += mean_rank * (double)pos;
        i = j;
    }
    out->roc_auc = P && N ? (rank_sum - (double)P * ((double)P + 1) / 2) / ((double)P * (double)N) : NAN;
    /* average precision: descending p, one step per group of tied scores */
    double ap = 0, prev_recall = 0;
    size_t tp = 0, seen = 0;
    for (size_t j = n; j > 0;) {
        size_t i = j;
        while (i > 0 && r[i - 1].p == r[j - 1].p) {
            i--;
            tp += r[i].y;
            seen++;
        }
        double recall = P ? (double)tp / (double)P : 0;
        ap += (recall - prev_recall) * ((double)tp / (double)seen);
        prev_recall = recall;
        j = i;
    }
    out->pr_auc = P ? ap : NAN;
    free(r);
    return 0;
}
