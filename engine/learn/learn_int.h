/*
 * Internal interface between the files of engine/learn/. The public face is the "Learning and
 * evaluation" section of credence.h.
 *
 *   dataset.c   labelled CSV / TSV / JSONL files → cred_dataset (text, label, id, language).
 *   registry.c  datasets/registry.json → cred_registry (files, columns, label mapping), and the
 *               files' SHA-256 (nettle).
 *   metrics.c   ROC-AUC, average precision, threshold figures, ECE and the reliability table.
 *   features.c  rule-hit vectors and hashed lexical features of a data set (cred_features).
 *   train.c     cost-weighted L2 logistic regression by coordinate descent, calibration, k-fold CV.
 */
#ifndef CRED_LEARN_INT_H
#define CRED_LEARN_INT_H

#include "util/util.h"

/* Sparse features, row-major: column j < n_rules is rule j, column n_rules + b is lexical bucket b. */
struct cred_features {
    size_t n;
    unsigned char *y;
    char (*lang)[8];           /* detected language per example */
    cred_rules *rules;         /* reference held, or NULL */
    size_t n_rules;
    double *w0;                /* rule file weights, n_rules */
    int has_lex;
    cred_lexical_options lex;
    size_t n_buckets;
    size_t *row;               /* n + 1 offsets into col/val */
    uint32_t *col;
    float *val;
    /* first n-gram seen per bucket (for reports): offset into names, 0 = none */
    uint32_t *bucket_name;
    uint8_t *bucket_kind;      /* bit 7: word n-gram; low bits: n */
    cred_buf names;
};

/** splitmix64 step: a deterministic generator for folds and hold-outs. */
static inline uint64_t cred_learn__rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/** z of example i under the weights: bias + Σ w[col] · val (w indexed like columns). */
double cred_learn__margin(const cred_features *f, size_t i, double bias, const double *w);

/** Fill w (n_rules + n_buckets) with the model's effective rule weights and lexical table. */
int cred_learn__model_weights(double *w, const cred_features *f, const cred_model *m);

#endif
