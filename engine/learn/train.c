/*
 * Fitting: cost-weighted, L2-regularised logistic regression over the columns of cred_features
 * (bias, rule-hit counts, and optionally hashed lexical features), minimised by cyclic coordinate
 * descent. Each coordinate takes one Newton step on its own (gradient and curvature over the
 * examples where it is non-zero), clipped to its bounds (sign constraints keep positive rules >= 0
 * and nice rules <= 0; |rule weight| <= 20) and shortened by backtracking until the objective falls
 * (Armijo), so every step decreases the objective. Rule weights are pulled towards the rule files'
 * weights (a prior, as SpamAssassin's and rspamd's rescoring start from the hand-set scores);
 * lexical weights towards zero. A reliable example's loss is multiplied by cost_fp. With nb_alpha,
 * lexical features are scaled by naive-Bayes log-count ratios of the fitted examples (NB-LR).
 *
 * Then z = bias + Σ w·x is calibrated on held-out examples: Platt scaling (a 2-parameter logistic
 * fit with Platt's smoothed targets, by Newton) or isotonic regression (pool adjacent violators,
 * one table point per block). Optionally the unreliable band is set to the best-F1 threshold on
 * those examples, and the weights are fitted again on all examples (refit), keeping calibration and
 * band. Without a calibration set, calib_folds >= 2 replaces the hold-out by cross-fitting: every
 * example is calibrated on its margin from a model fitted without its fold, then one fit on all.
 * k-fold CV keeps copies of a post (equal lexical features) in one fold. Everything is
 * deterministic: orders are fixed and random choices come from splitmix64 seeded with opts->seed.
 */
#include <math.h>
#include <stdlib.h>

#include "learn/learn_int.h"

#define RULE_BOUND 20.0
#define LEX_BOUND 50.0

static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double sigmoid(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }

/* Column-major copy of the fitted rows. */
typedef struct csc {
    size_t n_cols;
    size_t *ptr;      /* n_cols + 1 */
    uint32_t *row;    /* local example index */
    float *val;
} csc;

static void csc_free(csc *c)
{
    free(c->ptr);
    free(c->row);
    free(c->val);
}

static int csc_build(csc *c, const cred_features *f, const size_t *idx, size_t n, bool lexical)
{
    size_t n_cols = f->n_rules + (lexical ? f->n_buckets : 0);
    c->n_cols = n_cols;
    c->ptr = calloc(n_cols + 1, sizeof *c->ptr);
    if (!c->ptr)
        return cred__error_nomem();
    for (size_t r = 0; r < n; r++)
        for (size_t k = f->row[idx[r]]; k < f->row[idx[r] + 1]; k++)
            if (f->col[k] < n_cols)
                c->ptr[f->col[k] + 1]++;
    for (size_t j = 0; j < n_cols; j++)
        c->ptr[j + 1] += c->ptr[j];
    size_t nnz = c->ptr[n_cols];
    c->row = malloc((nnz ? nnz : 1) * sizeof *c->row);
    c->val = malloc((nnz ? nnz : 1) * sizeof *c->val);
    size_t *fill = malloc((n_cols + 1) * sizeof *fill);
    if (!c->row || !c->val || !fill) {
        free(fill);
        return cred__error_nomem();
    }
    memcpy(fill, c->ptr, (n_cols + 1) * sizeof *fill);
    for (size_t r = 0; r < n; r++)
        for (size_t k = f->row[idx[r]]; k < f->row[idx[r] + 1]; k++)
            if (f->col[k] < n_cols) {
                size_t at = fill[f->col[k]]++;
                c->row[at] = (uint32_t)r;
                c->val[at] = f->val[k];
            }
    free(fill);
    return 0;
}

typedef struct fit_state {
    size_t n;
    const unsigned char *y; /* local labels */
    double *cost;           /* per example */
    double *m;              /* margins */
    double *p;              /* sigmoid(m), kept with m */
    double *l;              /* loss: log(1 + e^-m) for a positive, log(1 + e^m) for a negative */
    double *tm, *tp, *tl;   /* a trial step's m, p and loss per row of the column (n each) */
} fit_state;

/* Set m, p and loss of a margin: one exp and one log1p. */
static inline void eval_margin(double *p, double *l, double m, unsigned char y)
{
    double e = exp(-fabs(m));
    *p = m >= 0 ? 1 / (1 + e) : e / (1 + e);
    double sp = log1p(e); /* softplus(±m) = max(±m, 0) + log1p(e^-|m|) */
    *l = (y ? (m < 0 ? -m : 0) : (m > 0 ? m : 0)) + sp;
}

/*
 * One coordinate: minimise over d  Σ_rows c·ℓ(m + d·x) + ½λ(w + d − center)², w + d in [lo, hi].
 * rows/vals NULL means every example with x = 1 (the bias). Returns the step taken. p and ℓ of every
 * example are kept up to date with m, so a step costs one exp and one log1p per row and trial.
 */
static double coord_step(fit_state *s, const uint32_t *rows, const float *vals, size_t cnt, double *w, double lambda,
                         double center, double lo, double hi)
{
    double g = lambda * (*w - center), h = lambda + 1e-12, base = 0;
    for (size_t k = 0; k < cnt; k++) {
        size_t i = rows ? rows[k] : k;
        double x = vals ? vals[k] : 1.0;
        double p = s->p[i];
        g += s->cost[i] * (p - s->y[i]) * x;
        h += s->cost[i] * p * (1 - p) * x * x;
        base += s->cost[i] * s->l[i];
    }
    double d = -g / h;
    if (*w + d > hi)
        d = hi - *w;
    if (*w + d < lo)
        d = lo - *w;
    if (fabs(d) < 1e-12)
        return 0;
    base += 0.5 * lambda * (*w - center) * (*w - center);
    for (int tries = 0; tries < 12; tries++, d /= 2) {
        double trial = 0;
        for (size_t k = 0; k < cnt; k++) {
            size_t i = rows ? rows[k] : k;
            double x = vals ? vals[k] : 1.0;
            s->tm[k] = s->m[i] + d * x;
            eval_margin(&s->tp[k], &s->tl[k], s->tm[k], s->y[i]);
            trial += s->cost[i] * s->tl[k];
        }
        double nw = *w + d;
        trial += 0.5 * lambda * (nw - center) * (nw - center);
        if (trial <= base + 1e-4 * g * d) {
            for (size_t k = 0; k < cnt; k++) {
                size_t i = rows ? rows[k] : k;
                s->m[i] = s->tm[k];
                s->p[i] = s->tp[k];
                s->l[i] = s->tl[k];
            }
            *w = nw;
            return d;
        }
    }
    return 0;
}

/*
 * Naive-Bayes log-count ratios of the lexical columns over the fitted rows (Wang & Manning 2012):
 * r = log((α + P_b) / ‖α + P‖₁) − log((α + N_b) / ‖α + N‖₁), P_b (N_b) the unreliable (reliable)
 * fitted examples where bucket b occurs, the norms over the buckets that occur. Each lexical value
 * of c is multiplied by its r, so the fit sees NB-scaled features; weights fitted on them are
 * multiplied by r afterwards, giving a table that scores the unscaled features alike.
 */
static double *nb_ratios(csc *c, const cred_features *f, const size_t *idx, double alpha)
{
    double *r = calloc(f->n_buckets + 1, sizeof *r);
    if (!r)
        return NULL;
    double sp = 0, sn = 0;
    for (size_t b = 0; b < f->n_buckets; b++) { /* r[b] holds P_b until the norms are known */
        size_t j = f->n_rules + b, pos = 0, cnt = c->ptr[j + 1] - c->ptr[j];
        for (size_t k = c->ptr[j]; k < c->ptr[j + 1]; k++)
            pos += f->y[idx[c->row[k]]];
        r[b] = (double)pos;
        if (cnt) {
            sp += alpha + (double)pos;
            sn += alpha + (double)(cnt - pos);
        }
    }
    for (size_t b = 0; b < f->n_buckets; b++) {
        size_t j = f->n_rules + b, cnt = c->ptr[j + 1] - c->ptr[j];
        double pos = r[b];
        r[b] = 0;
        if (!cnt)
            continue;
        r[b] = log((alpha + pos) / sp) - log((alpha + ((double)cnt - pos)) / sn);
        for (size_t k = c->ptr[j]; k < c->ptr[j + 1]; k++)
            c->val[k] = (float)((double)c->val[k] * r[b]);
    }
    return r;
}

typedef struct fit_result {
    double *w;       /* n_rules + n_buckets */
    double bias;
    unsigned int epochs;
    double loss;
    size_t rules_hit, lexical_buckets;
} fit_result;

/* What a fit did, into rep (when asked): n_fit examples fitted, n_calib calibrated on. */
static void report_fit(cred_train_report *rep, const fit_result *r, size_t n_fit, size_t n_calib)
{
    if (!rep)
        return;
    rep->n_fit = n_fit;
    rep->n_calib = n_calib;
    rep->epochs = r->epochs;
    rep->loss = r->loss;
    rep->rules_hit = r->rules_hit;
    rep->lexical_buckets = r->lexical_buckets;
}

/* Fit on examples idx[0..n) of f, starting from r->w / r->bias (rule centers = r->w on entry). */
static int fit_weights(fit_result *r, const cred_features *f, const size_t *idx, size_t n, const cred_train_options *o)
{
    int rc = 0;
    csc c = {0, NULL, NULL, NULL};
    fit_state s = {n, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    unsigned char *y = malloc(n ? n : 1);
    double *nbr = NULL;
    double *center = malloc((f->n_rules + 1) * sizeof *center);
    s.cost = malloc((n ? n : 1) * sizeof *s.cost);
    s.m = malloc((n ? n : 1) * sizeof *s.m);
    s.p = malloc((n ? n : 1) * sizeof *s.p);
    s.l = malloc((n ? n : 1) * sizeof *s.l);
    s.tm = malloc((n ? n : 1) * sizeof *s.tm);
    s.tp = malloc((n ? n : 1) * sizeof *s.tp);
    s.tl = malloc((n ? n : 1) * sizeof *s.tl);
    CRED_TRY_ALLOC(y);
    CRED_TRY_ALLOC(center);
    CRED_TRY_ALLOC(s.cost);
    CRED_TRY_ALLOC(s.m);
    CRED_TRY_ALLOC(s.p);
    CRED_TRY_ALLOC(s.l);
    CRED_TRY_ALLOC(s.tm);
    CRED_TRY_ALLOC(s.tp);
    CRED_TRY_ALLOC(s.tl);
    s.y = y;
    bool lexical = o->lexical && f->has_lex;
    CRED_TRY(csc_build(&c, f, idx, n, lexical));
    memcpy(center, r->w, f->n_rules * sizeof *center);
    if (lexical && o->nb_alpha > 0)
        CRED_TRY_ALLOC(nbr = nb_ratios(&c, f, idx, o->nb_alpha));
    if (!lexical)
        for (size_t b = 0; b < f->n_buckets; b++)
            r->w[f->n_rules + b] = 0;
    double wsum = 0;
    for (size_t i = 0; i < n; i++) {
        y[i] = f->y[idx[i]];
        s.cost[i] = y[i] ? 1.0 : o->cost_fp;
        wsum += s.cost[i];
        s.m[i] = cred_learn__margin(f, idx[i], r->bias, r->w);
        eval_margin(&s.p[i], &s.l[i], s.m[i], y[i]);
    }
    r->rules_hit = 0;
    for (size_t j = 0; j < f->n_rules; j++)
        if (c.ptr[j + 1] > c.ptr[j] && f->w0[j] != 0)
            r->rules_hit++;
    double prev = INFINITY;
    unsigned int epoch = 0;
    for (epoch = 0; epoch < o->epochs; epoch++) {
        coord_step(&s, NULL, NULL, n, &r->bias, 0, 0, -RULE_BOUND, RULE_BOUND);
        for (size_t j = 0; j < c.n_cols; j++) {
            size_t cnt = c.ptr[j + 1] - c.ptr[j];
            if (!cnt)
                continue;
            double lo, hi, lambda, ctr;
            if (j < f->n_rules) {
                if (f->w0[j] == 0)
                    continue; /* weight-0 building blocks never score */
                lambda = o->l2_rules;
                ctr = center[j];
                lo = -RULE_BOUND, hi = RULE_BOUND;
                if (o->sign_constraints && f->w0[j] > 0)
                    lo = 0;
                else if (o->sign_constraints && f->w0[j] < 0)
                    hi = 0;
            } else {
                lambda = o->l2_lexical;
                ctr = 0;
                lo = -LEX_BOUND, hi = LEX_BOUND;
            }
            coord_step(&s, c.row + c.ptr[j], c.val + c.ptr[j], cnt, &r->w[j], lambda, ctr, lo, hi);
        }
        double obj = 0;
        for (size_t i = 0; i < n; i++)
            obj += s.cost[i] * s.l[i];
        r->loss = wsum > 0 ? obj / wsum : 0;
        for (size_t j = 0; j < c.n_cols; j++) {
            double ctr = j < f->n_rules ? center[j] : 0, lam = j < f->n_rules ? o->l2_rules : o->l2_lexical;
            if (c.ptr[j + 1] > c.ptr[j])
                obj += 0.5 * lam * (r->w[j] - ctr) * (r->w[j] - ctr);
        }
        if (epoch > 0 && prev - obj <= 1e-6 * (fabs(obj) + 1e-9) * 10) {
            epoch++;
            break;
        }
        prev = obj;
    }
    r->epochs = epoch;
    if (nbr)
        for (size_t b = 0; b < f->n_buckets; b++)
            r->w[f->n_rules + b] *= nbr[b];
    r->lexical_buckets = 0;
    for (size_t b = 0; b < f->n_buckets; b++)
        if (r->w[f->n_rules + b] != 0)
            r->lexical_buckets++;
done:
    csc_free(&c);
    free(nbr);
    free(y);
    free(center);
    free(s.cost);
    free(s.m);
    free(s.p);
    free(s.l);
    free(s.tm);
    free(s.tp);
    free(s.tl);
    return rc;
}

/* ---- calibration ------------------------------------------------------------------------------- */

/* Platt scaling with smoothed targets: minimise Σ ℓ(t_i, a·z_i + b) by Newton with step halving. */
static void platt(double *a_out, double *b_out, const double *z, const unsigned char *y, size_t n)
{
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        np += y[i];
    double hi = ((double)np + 1) / ((double)np + 2), lo = 1 / ((double)(n - np) + 2);
    double a = 1, b = 0;
    for (int it = 0; it < 100; it++) {
        double g1 = 0, g2 = 0, h11 = 1e-9, h12 = 0, h22 = 1e-9, f0 = 0;
        for (size_t i = 0; i < n; i++) {
            double t = y[i] ? hi : lo, m = a * z[i] + b, p = sigmoid(m);
            f0 += t * softplus(-m) + (1 - t) * softplus(m);
            double d = p - t, w = p * (1 - p);
            g1 += d * z[i], g2 += d;
            h11 += w * z[i] * z[i], h12 += w * z[i], h22 += w;
        }
        double det = h11 * h22 - h12 * h12;
        if (det <= 0)
            break;
        double da = -(h22 * g1 - h12 * g2) / det, db = -(-h12 * g1 + h11 * g2) / det;
        double step = 1;
        for (; step > 1e-10; step /= 2) {
            double f1 = 0, na = a + step * da, nb = b + step * db;
            for (size_t i = 0; i < n; i++) {
                double t = y[i] ? hi : lo, m = na * z[i] + nb;
                f1 += t * softplus(-m) + (1 - t) * softplus(m);
            }
            if (f1 <= f0 + 1e-4 * step * (g1 * da + g2 * db))
                break;
        }
        if (step <= 1e-10)
            break;
        a += step * da, b += step * db;
        if (fabs(step * da) < 1e-10 && fabs(step * db) < 1e-10)
            break;
    }
    *a_out = a, *b_out = b;
}

typedef struct zy {
    double z;
    unsigned char y;
} zy;

static int cmp_zy(const void *a, const void *b)
{
    const zy *x = a, *y = b;
    return (x->z > y->z) - (x->z < y->z);
}

/* Isotonic regression by pool adjacent violators over groups of equal z; one point per block. */
static int isotonic(double **zt, double **pt, size_t *npts, const double *z, const unsigned char *y, size_t n)
{
    zy *v = malloc(n * sizeof *v);
    double *bz = malloc(n * sizeof *bz), *bp = malloc(n * sizeof *bp), *bw = malloc(n * sizeof *bw);
    if (!v || !bz || !bp || !bw) {
        free(v), free(bz), free(bp), free(bw);
        return cred__error_nomem();
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (zy){z[i], y[i]};
    qsort(v, n, sizeof *v, cmp_zy);
    size_t nb = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double sy = 0;
        while (j < n && v[j].z == v[i].z)
            sy += v[j++].y;
        double w = (double)(j - i);
        bz[nb] = v[i].z * w, bp[nb] = sy, bw[nb] = w; /* sums */
        nb++;
        while (nb > 1 && bp[nb - 2] / bw[nb - 2] >= bp[nb - 1] / bw[nb - 1]) {
            bz[nb - 2] += bz[nb - 1], bp[nb - 2] += bp[nb - 1], bw[nb - 2] += bw[nb - 1];
            nb--;
        }
        i = j;
    }
    /* pool equal-valued neighbours too (>= above), then thin to the table limit */
    while (nb > CRED_LIMIT_CALIBRATION_POINTS) {
        size_t m = 0;
        for (size_t i = 0; i < nb; i += 2) {
            bz[m] = bz[i], bp[m] = bp[i], bw[m] = bw[i];
            if (i + 1 < nb)
                bz[m] += bz[i + 1], bp[m] += bp[i + 1], bw[m] += bw[i + 1];
            m++;
        }
        nb = m;
    }
    for (size_t i = 0; i < nb; i++) {
        bz[i] /= bw[i];
        bp[i] /= bw[i];
    }
    free(v), free(bw);
    *zt = bz, *pt = bp, *npts = nb;
    return 0;
}

static int calibrate(cred_model *m, const double *z, const unsigned char *y, size_t n, cred_calibration_kind kind)
{
    cred_calibration c = {CRED_CALIB_NONE, 0, 0, NULL, NULL, 0};
    if (kind == CRED_CALIB_NONE || n == 0)
        return cred_model_calibration_set(m, &c);
    if (kind == CRED_CALIB_ISOTONIC) {
        double *zt = NULL, *pt = NULL;
        size_t npts = 0;
        int rc = isotonic(&zt, &pt, &npts, z, y, n);
        if (rc < 0)
            return rc;
        if (npts >= 2) {
            c.kind = CRED_CALIB_ISOTONIC;
            c.z = zt, c.p = pt, c.n = npts;
            rc = cred_model_calibration_set(m, &c);
            free(zt), free(pt);
            return rc;
        }
        free(zt), free(pt); /* one block: fall back to Platt */
    }
    c.kind = CRED_CALIB_PLATT;
    platt(&c.a, &c.b, z, y, n);
    return cred_model_calibration_set(m, &c);
}

/* ---- models ------------------------------------------------------------------------------------ */

static int check_options(const cred_features *f, const cred_train_options *o)
{
    if (!f || !o || !(o->cost_fp > 0) || !(o->l2_rules >= 0) || !(o->l2_lexical >= 0) || !(o->holdout >= 0) ||
        !(o->holdout < 1) || o->epochs == 0 || o->cost_fp > 1000 || !(o->nb_alpha >= 0) || o->nb_alpha > 1e6 ||
        o->calib_folds > 100)
        return cred__error(CRED_EINVAL, "training options out of range");
    if (o->lexical && !f->has_lex)
        return cred__error(CRED_EINVAL, "a lexical fit needs features built with lexical options");
    return 0;
}

/* Starting weights: the base model's effective rule weights, zero lexical weights. */
static int start_weights(fit_result *r, const cred_features *f, const cred_model *base)
{
    size_t nw = f->n_rules + f->n_buckets;
    r->w = calloc(nw + 1, sizeof *r->w);
    if (!r->w)
        return cred__error_nomem();
    for (size_t j = 0; j < f->n_rules; j++) {
        double ov;
        r->w[j] = f->w0[j];
        if (f->w0[j] != 0 && cred_model_rule_weight(&ov, base, cred_rules_info(f->rules, j)->id) == 0)
            r->w[j] = ov;
    }
    cred_model_params p;
    cred_model_params_get(base, &p);
    r->bias = p.bias;
    return 0;
}

/* Copy base and write the fitted weights, bands and (later) calibration into it. */
static int make_model(cred_model **out, const cred_model *base, const cred_features *f, const fit_result *r,
                      const cred_train_options *o)
{
    cred_model *m = NULL;
    int rc = cred_model_copy(&m, base);
    if (rc < 0)
        return rc;
    cred_model_params p;
    cred_model_params_get(m, &p);
    p.bias = r->bias;
    double t = o->cost_fp / (1 + o->cost_fp);
    p.unreliable_below = 100 * (1 - t);
    if (p.credible_min < p.unreliable_below)
        p.credible_min = p.unreliable_below;
    if (o->lexical)
        p.lexical_scale = 1;
    CRED_TRY(cred_model_params_set(m, &p));
    for (size_t j = 0; j < f->n_rules; j++)
        if (f->w0[j] != 0) {
            const char *id = cred_rules_info(f->rules, j)->id;
            double prev;
            if (r->w[j] != f->w0[j] || cred_model_rule_weight(&prev, m, id) == 0)
                CRED_TRY(cred_model_rule_weight_set(m, id, r->w[j]));
        }
    if (o->lexical) {
        CRED_TRY(cred_model_lexical_init(m, &f->lex));
        size_t nb = 0;
        float *table = cred_model_lexical_table(m, &nb, NULL);
        for (size_t b = 0; b < nb && b < f->n_buckets; b++)
            table[b] = (float)r->w[f->n_rules + b];
    } else {
        cred_model_lexical_clear(m);
    }
done:
    if (rc < 0) {
        cred_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* Stratified split of idx[0..n) (by f->y): the first `frac` of each class, shuffled, goes to b. */
static void split(size_t *a, size_t *na, size_t *b, size_t *nb, const size_t *idx, size_t n, const cred_features *f,
                  double frac, uint64_t seed)
{
    *na = *nb = 0;
    for (int cls = 0; cls < 2; cls++) {
        size_t cnt = 0;
        size_t *tmp = a + *na; /* use the tail of a as scratch for this class */
        for (size_t i = 0; i < n; i++)
            if (f->y[idx[i]] == cls)
                tmp[cnt++] = idx[i];
        uint64_t s = seed * 2 + (uint64_t)cls + 0x5eed;
        for (size_t i = cnt; i > 1; i--) {
            size_t j = (size_t)(cred_learn__rand(&s) % i);
            size_t x = tmp[i - 1];
            tmp[i - 1] = tmp[j];
            tmp[j] = x;
        }
        size_t take = (size_t)floor(frac * (double)cnt + 0.5);
        for (size_t i = 0; i < take; i++)
            b[(*nb)++] = tmp[i];
        memmove(tmp, tmp + take, (cnt - take) * sizeof *tmp);
        *na += cnt - take;
    }
}

static size_t count_pos(const cred_features *f, const size_t *idx, size_t n)
{
    size_t p = 0;
    for (size_t i = 0; i < n; i++)
        p += f->y[idx[i]];
    return p;
}

/*
 * The threshold t maximising F1 (unreliable = p >= t) over the n probabilities p, ties towards the
 * t closest to dflt; dflt when there is no positive.
 */
static double f1_threshold(double *p, const unsigned char *y, size_t n, double dflt)
{
    zy *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return dflt;
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = (zy){p[i], y[i]};
        np += y[i];
    }
    if (np == 0) {
        free(v);
        return dflt;
    }
    qsort(v, n, sizeof *v, cmp_zy);
    /* walk thresholds from the top: everything at or above v[i].z is flagged */
    double best = -1, bt = dflt;
    size_t tp = 0, flagged = 0;
    for (size_t i = n; i > 0;) {
        size_t j = i;
        while (j > 0 && v[j - 1].z == v[i - 1].z) {
            tp += v[j - 1].y;
            flagged++;
            j--;
        }
        double f1 = 2.0 * (double)tp / (double)(flagged + np);
        /* midpoint between this block and the next lower one, so that unseen p between them split evenly */
        double t = j > 0 ? (v[i - 1].z + v[j - 1].z) / 2 : v[i - 1].z;
        if (f1 > best + 1e-12 || (fabs(f1 - best) <= 1e-12 && fabs(t - dflt) < fabs(bt - dflt))) {
            best = f1;
            bt = t;
        }
        i = j;
    }
    free(v);
    return bt;
}

/* Fit on fit[0..nf), calibrate on cal[0..nc) of cf (f itself or a calibration set). */
static int train_idx(cred_model **out, cred_train_report *rep, const cred_features *f, const size_t *fit, size_t nf,
                     const cred_features *cf, const size_t *cal, size_t nc, const cred_model *base,
                     const cred_train_options *o)
{
    size_t np = count_pos(f, fit, nf);
    if (np == 0 || np == nf)
        return cred__error(CRED_EINVAL, "the training examples need both reliable and unreliable posts");
    fit_result r = {NULL, 0, 0, 0, 0, 0};
    double *z = NULL;
    unsigned char *y = NULL;
    cred_model *m = NULL;
    int rc = start_weights(&r, f, base);
    if (rc < 0)
        return rc;
    CRED_TRY(fit_weights(&r, f, fit, nf, o));
    CRED_TRY(make_model(&m, base, f, &r, o));
    CRED_TRY_ALLOC(z = malloc((nc ? nc : 1) * sizeof *z));
    CRED_TRY_ALLOC(y = malloc(nc ? nc : 1));
    for (size_t i = 0; i < nc; i++) {
        z[i] = cred_learn__margin(cf, cal[i], r.bias, r.w);
        y[i] = cf->y[cal[i]];
    }
    CRED_TRY(calibrate(m, z, y, nc, o->calibration));
    if (o->threshold_f1 && nc) {
        for (size_t i = 0; i < nc; i++)
            z[i] = cred_model_probability(m, z[i]);
        cred_model_params p;
        cred_model_params_get(m, &p);
        p.unreliable_below = 100 * (1 - f1_threshold(z, y, nc, 1 - p.unreliable_below / 100));
        if (p.credible_min < p.unreliable_below)
            p.credible_min = p.unreliable_below;
        CRED_TRY(cred_model_params_set(m, &p));
    }
    if (o->refit && cf == f && nc) {
        /* fit again on everything, keeping the calibration and bands just set */
        size_t *all = malloc((nf + nc) * sizeof *all);
        CRED_TRY_ALLOC(all);
        memcpy(all, fit, nf * sizeof *all);
        memcpy(all + nf, cal, nc * sizeof *all);
        free(r.w);
        r.w = NULL;
        cred_model *m2 = NULL;
        rc = start_weights(&r, f, base);
        if (rc == 0)
            rc = fit_weights(&r, f, all, nf + nc, o);
        free(all);
        if (rc == 0)
            rc = make_model(&m2, base, f, &r, o);
        if (rc == 0) {
            cred_calibration cal_m;
            cred_model_params p;
            cred_model_calibration_get(m, &cal_m);
            cred_model_params_get(m, &p);
            if ((rc = cred_model_calibration_set(m2, &cal_m)) == 0)
                rc = cred_model_params_set(m2, &p);
        }
        if (rc < 0) {
            cred_model_free(m2);
            goto done;
        }
        cred_model_free(m);
        m = m2;
        nf += nc;
    }
    report_fit(rep, &r, nf, nc);
done:
    free(r.w);
    free(z);
    free(y);
    if (rc < 0) {
        cred_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

static int train_crossfit(cred_model **out, cred_train_report *rep, const cred_features *f, const size_t *idx,
                          size_t n, const cred_model *base, const cred_train_options *o);

int cred_train(cred_model **out, cred_train_report *report, const cred_features *f, const cred_features *calib,
               const cred_model *base, const cred_train_options *opts)
{
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    if (opts)
        o = *opts;
    if (!out)
        return cred__error(CRED_EINVAL, "cred_train: NULL argument");
    *out = NULL;
    int rc = check_options(f, &o);
    if (rc < 0)
        return rc;
    if (calib && (calib->n_rules != f->n_rules || calib->has_lex != f->has_lex || calib->n_buckets != f->n_buckets))
        return cred__error(CRED_EINVAL, "the calibration features were built with other rules or lexical options");
    cred_model *def = NULL;
    size_t n = f->n, nc_all = calib ? calib->n : 0;
    size_t *all = malloc((n + 1) * sizeof *all), *fit = malloc((n + 1) * sizeof *fit);
    size_t *cal = malloc((n + nc_all + 1) * sizeof *cal);
    size_t nf = 0, nc = 0;
    if (!base) {
        CRED_TRY(cred_model_default(&def));
        base = def;
    }
    CRED_TRY_ALLOC(all);
    CRED_TRY_ALLOC(fit);
    CRED_TRY_ALLOC(cal);
    for (size_t i = 0; i < n; i++)
        all[i] = i;
    if (calib) {
        memcpy(fit, all, n * sizeof *fit);
        nf = n;
        for (size_t i = 0; i < nc_all; i++)
            cal[i] = i;
        nc = nc_all;
    } else if (o.calibration != CRED_CALIB_NONE && o.calib_folds >= 2) {
        rc = train_crossfit(out, report, f, all, n, base, &o);
        goto done;
    } else if (o.calibration != CRED_CALIB_NONE && o.holdout > 0) {
        split(fit, &nf, cal, &nc, all, n, f, o.holdout, o.seed);
    } else {
        memcpy(fit, all, n * sizeof *fit);
        nf = n;
    }
    rc = train_idx(out, report, f, fit, nf, calib ? calib : f, cal, nc, base, &o);
done:
    free(all);
    free(fit);
    free(cal);
    cred_model_free(def);
    return rc;
}

typedef struct keyed {
    uint64_t key;
    size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/*
 * Duplicate groups: lead[i] = the first example with the same lexical features as i (the same stems,
 * numbers and links in the same order: a copy up to case, accents the stemmer folds, punctuation and
 * spacing), else i. Without lexical features every example is its own group.
 */
static int dup_groups(size_t *lead, const cred_features *f)
{
    size_t n = f->n;
    for (size_t i = 0; i < n; i++)
        lead[i] = i;
    if (!f->has_lex || n < 2)
        return 0;
    keyed *kv = malloc(n * sizeof *kv);
    if (!kv)
        return cred__error_nomem();
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = f->row[i], b = f->row[i + 1];
        while (a < b && f->col[a] < f->n_rules)
            a++;
        if (a == b)
            continue; /* no lexical feature: not a copy of anything */
        uint64_t h = cred_hash64(f->col + a, (b - a) * sizeof *f->col, 0x6475706cULL);
        h ^= cred_hash64(f->val + a, (b - a) * sizeof *f->val, h);
        kv[m++] = (keyed){h, i};
    }
    qsort(kv, m, sizeof *kv, cmp_keyed);
    for (size_t s = 0; s < m;) {
        size_t e = s + 1;
        while (e < m && kv[e].key == kv[s].key)
            lead[kv[e++].i] = kv[s].i;
        s = e;
    }
    free(kv);
    return 0;
}

/*
 * Cross-fitted calibration: split idx[0..n) into o->calib_folds stratified folds (copies kept
 * together), fit on all folds but one and take the margins of the one left out, so that every
 * example has an out-of-fold margin; calibrate (and pick the best-F1 threshold) on all of them; then
 * fit on all n examples and keep that calibration and band. Costs calib_folds + 1 fits, but
 * calibration and threshold see every example instead of a hold-out.
 */
/* A stratified hold-out of opts->holdout (0.2 when none) and train_idx(); a and b hold n each. */
static int crossfit_fallback(cred_model **out, cred_train_report *rep, const cred_features *f, const size_t *idx,
                             size_t n, const cred_model *base, const cred_train_options *o, size_t *a, size_t *b)
{
    size_t na = 0, nb = 0;
    split(a, &na, b, &nb, idx, n, f, o->holdout > 0 ? o->holdout : 0.2, o->seed);
    if (count_pos(f, a, na) == 0 || count_pos(f, a, na) == na)
        return train_idx(out, rep, f, idx, n, f, NULL, 0, base, o);
    return train_idx(out, rep, f, a, na, f, b, nb, base, o);
}

static int train_crossfit(cred_model **out, cred_train_report *rep, const cred_features *f, const size_t *idx,
                          size_t n, const cred_model *base, const cred_train_options *o)
{
    unsigned int k = o->calib_folds;
    size_t np = count_pos(f, idx, n);
    if (np == 0 || np == n)
        return cred__error(CRED_EINVAL, "the training examples need both reliable and unreliable posts");
    if (np < k || n - np < k)
        return train_idx(out, rep, f, idx, n, f, NULL, 0, base, o);
    int rc = 0;
    fit_result r = {NULL, 0, 0, 0, 0, 0};
    cred_model *m = NULL;
    size_t *lead = malloc((f->n + 1) * sizeof *lead), *pos = malloc((f->n + 1) * sizeof *pos);
    size_t *fold = malloc((n + 1) * sizeof *fold), *order = malloc((n + 1) * sizeof *order);
    size_t *fit = malloc((n + 1) * sizeof *fit);
    double *z = malloc((n + 1) * sizeof *z);
    unsigned char *y = malloc(n + 1);
    CRED_TRY_ALLOC(lead);
    CRED_TRY_ALLOC(pos);
    CRED_TRY_ALLOC(fold);
    CRED_TRY_ALLOC(order);
    CRED_TRY_ALLOC(fit);
    CRED_TRY_ALLOC(z);
    CRED_TRY_ALLOC(y);
    CRED_TRY(dup_groups(lead, f));
    for (size_t i = 0; i < f->n; i++)
        pos[i] = SIZE_MAX;
    for (size_t r2 = 0; r2 < n; r2++)
        pos[idx[r2]] = r2;
    /* a group leader is an example whose lead is itself or outside idx */
    for (int cls = 0; cls < 2; cls++) {
        size_t cnt = 0;
        for (size_t r2 = 0; r2 < n; r2++) {
            size_t g = lead[idx[r2]];
            if (f->y[idx[r2]] == cls && (g == idx[r2] || pos[g] == SIZE_MAX))
                order[cnt++] = r2;
        }
        uint64_t s = o->seed * 104729 + 0xca1bULL + (uint64_t)cls;
        for (size_t i = cnt; i > 1; i--) {
            size_t j = (size_t)(cred_learn__rand(&s) % i), x = order[i - 1];
            order[i - 1] = order[j];
            order[j] = x;
        }
        for (size_t i = 0; i < cnt; i++)
            fold[order[i]] = i % k;
    }
    size_t in_fold[100][2];
    memset(in_fold, 0, sizeof in_fold);
    for (size_t r2 = 0; r2 < n; r2++) {
        size_t g = lead[idx[r2]];
        if (g != idx[r2] && pos[g] != SIZE_MAX)
            fold[r2] = fold[pos[g]];
        y[r2] = f->y[idx[r2]];
        in_fold[fold[r2]][y[r2]]++;
    }
    for (unsigned int fk = 0; fk < k; fk++)
        if (in_fold[fk][0] == n - np || in_fold[fk][1] == np) {
            /* too few groups of copies for k folds with both classes: a hold-out instead */
            rc = crossfit_fallback(out, rep, f, idx, n, base, o, fit, order);
            goto done;
        }
    for (unsigned int fk = 0; fk < k; fk++) {
        size_t nf = 0;
        for (size_t r2 = 0; r2 < n; r2++)
            if (fold[r2] != fk)
                fit[nf++] = idx[r2];
        CRED_TRY(start_weights(&r, f, base));
        CRED_TRY(fit_weights(&r, f, fit, nf, o));
        for (size_t r2 = 0; r2 < n; r2++)
            if (fold[r2] == fk)
                z[r2] = cred_learn__margin(f, idx[r2], r.bias, r.w);
        free(r.w);
        r.w = NULL;
    }
    CRED_TRY(start_weights(&r, f, base));
    CRED_TRY(fit_weights(&r, f, idx, n, o));
    CRED_TRY(make_model(&m, base, f, &r, o));
    CRED_TRY(calibrate(m, z, y, n, o->calibration));
    if (o->threshold_f1) {
        for (size_t i = 0; i < n; i++)
            z[i] = cred_model_probability(m, z[i]);
        cred_model_params p;
        cred_model_params_get(m, &p);
        p.unreliable_below = 100 * (1 - f1_threshold(z, y, n, 1 - p.unreliable_below / 100));
        if (p.credible_min < p.unreliable_below)
            p.credible_min = p.unreliable_below;
        CRED_TRY(cred_model_params_set(m, &p));
    }
    report_fit(rep, &r, n, n);
done:
    free(r.w);
    free(lead);
    free(pos);
    free(fold);
    free(order);
    free(fit);
    free(z);
    free(y);
    if (rc < 0) {
        cred_model_free(m);
        return rc;
    }
    if (m)
        *out = m;
    return 0;
}

static int cv_run(double *p, double *t, const cred_features *f, unsigned int k, const cred_model *base,
                  const cred_train_options *opts)
{
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    if (opts)
        o = *opts;
    int rc = check_options(f, &o);
    if (rc < 0)
        return rc;
    if (!p)
        return cred__error(CRED_EINVAL, "cred_train_cv: NULL argument");
    size_t n = f->n, np = 0;
    for (size_t i = 0; i < n; i++)
        np += f->y[i];
    if (k < 2 || k > np || k > n - np)
        return cred__error(CRED_EINVAL, "%u folds need at least %u examples of each class", k, k);
    cred_model *def = NULL, *m = NULL;
    size_t *fold = malloc((n + 1) * sizeof *fold), *all = malloc((n + 1) * sizeof *all);
    size_t *rest = malloc((n + 1) * sizeof *rest), *fit = malloc((n + 1) * sizeof *fit);
    size_t *cal = malloc((n + 1) * sizeof *cal);
    double *w = NULL;
    CRED_TRY_ALLOC(fold);
    CRED_TRY_ALLOC(all);
    CRED_TRY_ALLOC(rest);
    CRED_TRY_ALLOC(fit);
    CRED_TRY_ALLOC(cal);
    CRED_TRY_ALLOC(w = malloc((f->n_rules + f->n_buckets + 1) * sizeof *w));
    if (!base) {
        CRED_TRY(cred_model_default(&def));
        base = def;
    }
    /* stratified folds of duplicate groups: shuffle each class's groups (by their first example's
       label), deal them round-robin; a copy goes to its group's fold */
    CRED_TRY(dup_groups(rest, f));
    for (int cls = 0; cls < 2; cls++) {
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            if (f->y[i] == cls && rest[i] == i)
                all[cnt++] = i;
        uint64_t s = o.seed * 7919 + (uint64_t)cls;
        for (size_t i = cnt; i > 1; i--) {
            size_t j = (size_t)(cred_learn__rand(&s) % i), x = all[i - 1];
            all[i - 1] = all[j];
            all[j] = x;
        }
        for (size_t i = 0; i < cnt; i++)
            fold[all[i]] = i % k;
    }
    for (size_t i = 0; i < n; i++)
        fold[i] = fold[rest[i]];
    for (unsigned int fk = 0; fk < k; fk++) {
        size_t nr = 0, nf = 0, nc = 0;
        for (size_t i = 0; i < n; i++)
            if (fold[i] != fk)
                rest[nr++] = i;
        if (o.calibration != CRED_CALIB_NONE && o.calib_folds >= 2) {
            cred_train_options oi = o;
            oi.seed = o.seed + fk + 1;
            CRED_TRY(train_crossfit(&m, NULL, f, rest, nr, base, &oi));
        } else {
            if (o.calibration != CRED_CALIB_NONE && o.holdout > 0) {
                split(fit, &nf, cal, &nc, rest, nr, f, o.holdout, o.seed + fk + 1);
            } else {
                memcpy(fit, rest, nr * sizeof *fit);
                nf = nr;
            }
            CRED_TRY(train_idx(&m, NULL, f, fit, nf, f, cal, nc, base, &o));
        }
        CRED_TRY(cred_learn__model_weights(w, f, m));
        cred_model_params mp;
        cred_model_params_get(m, &mp);
        for (size_t i = 0; i < n; i++)
            if (fold[i] == fk) {
                p[i] = cred_model_probability(m, cred_learn__margin(f, i, mp.bias, w));
                if (t)
                    t[i] = 1 - mp.unreliable_below / 100;
            }
        cred_model_free(m);
        m = NULL;
    }
done:
    cred_model_free(m);
    cred_model_free(def);
    free(fold);
    free(all);
    free(rest);
    free(fit);
    free(cal);
    free(w);
    return rc;
}

int cred_train_cv(double *p, const cred_features *f, unsigned int k, const cred_model *base,
                  const cred_train_options *opts)
{
    return cv_run(p, NULL, f, k, base, opts);
}

int cred_train_cv_verdicts(double *p, double *t, const cred_features *f, unsigned int k, const cred_model *base,
                           const cred_train_options *opts)
{
    return cv_run(p, t, f, k, base, opts);
}
