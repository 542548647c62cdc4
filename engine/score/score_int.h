/*
 * Internal interface between the files of engine/score/. The public face is cred_model_* and
 * cred_scorer_* in credence.h.
 *
 *   model.c    cred_model: parameters, per-rule overrides (sorted by id), calibration, lexical table;
 *              the weights file (magic, version, XXH3 checksum, JSON header, zstd blob).
 *   lexical.c  hashed word and character n-gram features of a cred_doc, lexical scoring, top terms.
 *   score.c    cred_scorer: contributions, z, probability, validity, verdict, flags.
 */
#ifndef CRED_SCORE_INT_H
#define CRED_SCORE_INT_H

#include "util/util.h"

typedef struct model_rule {
    char *id;
    double w;
} model_rule;

struct cred_model {
    cred_model_params p;
    model_rule *rules; /* sorted by id (strcmp) */
    size_t n_rules, cap_rules;
    cred_calibration calib; /* z/p point into calib_z/calib_p */
    double *calib_z, *calib_p;
    cred_lexical_options lex;
    float *table; /* 2^lex.bits weights, or NULL */
    char *note;
};

/** Scratch space for lexical terms, reused from post to post. */
typedef struct lex_scratch {
    cred_lexical_term *terms;
    size_t n, cap;
} lex_scratch;

/**
 * The lexical signal of doc (lexical_scale included) and up to k top terms by |points|, terms
 * aggregated by bucket at their first occurrence. 0 without a table. @return 0; CRED_ENOMEM.
 */
int cred_score__lexical(lex_scratch *sc, double *z, cred_lexical_term *top, size_t k, size_t *n_top,
                        const cred_model *m, const cred_doc *doc);

/** Binary search of rule overrides: the override's weight, or NULL. */
const model_rule *cred_model__rule(const cred_model *m, const char *id);

#endif
