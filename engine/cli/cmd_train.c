/*
 * credence train: fit rule weights (and optionally a lexical signal) on a labelled data set by
 * cost-weighted, L2-regularised logistic regression, calibrate on held-out examples, and write a
 * weights file for `credence score --weights` and `credence eval --weights`. With --cv K, report
 * k-fold cross-validated figures first (for data sets without a split).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn_cli.h"

static const cli_option options[] = {
    CLI_DATA_OPTIONS,
    {"out", 'o', "FILE", "weights file to write (default credence.weights; with --cv, only when given)"},
    {"weights", 'w', "FILE", "start from this model (default: the built-in model)"},
    {"calib-data", 0, "FILE", "calibration examples (default: the registered val split, else cross-fitting)"},
    {"holdout", 0, "F", "calibrate on this fraction held out instead of cross-fitting (see --calib-folds)"},
    {"calibration", 0, "KIND", "platt (default), isotonic or none"},
    {"cost-fp", 0, "C", "cost of flagging a reliable post, in missed unreliable ones (default 1.5)"},
    {"l2", 0, "L", "L2 penalty pulling rule weights towards the rule files' (default 2)"},
    {"l2-lexical", 0, "L", "L2 penalty on lexical weights (default 0.05)"},
    {"lexical", 0, NULL, "also learn a lexical signal: hashed word and character n-grams"},
    {"bits", 0, "B", "lexical table of 2^B weights (default 21)"},
    {"no-links", 0, NULL, "with --lexical: no link features (default: each link's domain, host, path words)"},
    {"nb", 0, "A", "scale lexical features by naive-Bayes log-count ratios smoothed by A (default 1; 0: off)"},
    {"calib-folds", 0, "K", "no calibration set: calibrate on out-of-fold margins of K folds, fit on all (default 5)"},
    {"no-refit", 0, NULL, "keep the model fitted without the calibration hold-out (default: refit on all)"},
    {"threshold", 0, "KIND", "unreliable band: cost (default, p >= C/(1+C)) or f1 (best F1 on the calibration set)"},
    {"no-sign", 0, NULL, "let rule weights change sign (default: positive rules stay >= 0, nice rules <= 0)"},
    {"epochs", 0, "N", "most coordinate-descent passes (default 60)"},
    {"cv", 0, "K", "k-fold cross-validation (copies kept in one fold): print out-of-fold figures"},
    {"seed", 0, "N", "seed of hold-outs and folds (default 1)"},
    {"oof", 0, "FILE", "with --cv: write each example's out-of-fold p, fold threshold and label (CSV)"},
    {"output", 0, "FORMAT", "report format: table (default) or json"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

const cli_command cmd_train = {
    "train",
    "Fit rule weights (and a lexical signal) on labelled posts; calibrate; write a weights file.",
    "credence train (--data FILE --text-col C --label-col L --positive V | --dataset NAME) [-o FILE]\n"
    "                      [--lexical] [--cv K] [--cost-fp C] [--calibration platt|isotonic|none]",
    "Positive = unreliable. Weights are fitted by L2-regularised logistic regression on the rule-hit\n"
    "counts (and, with --lexical, hashed n-grams), a reliable post's loss weighing --cost-fp times more;\n"
    "probabilities are calibrated on the calibration set, and the model's unreliable band is set to\n"
    "p >= C/(1+C). --dataset NAME fits on its train split and calibrates on its val split; without a\n"
    "calibration set, every example calibrates out of fold (--calib-folds) and the model fits on all.\n"
    "Deterministic: the same data and options write the same file.\n"
    "Exit: 0 trained; 1 no usable example; 2 usage error, unreadable file, bad rules or weights.",
    options,
    run,
};

static bool get_uint(const cli_args *a, const char *name, double def, double lo, double hi, unsigned int *out)
{
    double d;
    if (!cli_get_double(a, name, def, lo, hi, &d))
        return false;
    if (d != floor(d)) {
        cli_error(a, 0, "--%s must be a whole number", name);
        return false;
    }
    *out = (unsigned int)d;
    return true;
}

typedef struct moved {
    const char *id;
    double from, to;
} moved;

static int cmp_moved(const void *x, const void *y)
{
    const moved *a = x, *b = y;
    double da = fabs(a->to - a->from), db = fabs(b->to - b->from);
    if (da != db)
        return da < db ? 1 : -1;
    return strcmp(a->id, b->id);
}

static void summary(FILE *fp, const cred_train_report *rep, const cred_model *m, cred_rules *rules,
                    const cred_features *f)
{
    cred_model_params p;
    cred_model_params_get(m, &p);
    cred_calibration c;
    cred_model_calibration_get(m, &c);
    fprintf(fp, "fitted on %zu examples, calibrated on %zu; %u passes; log-loss %.4f\n", rep->n_fit, rep->n_calib,
            rep->epochs, rep->loss);
    fprintf(fp, "bias %.3f; unreliable when validity < %.0f; calibration %s", p.bias, p.unreliable_below,
            c.kind == CRED_CALIB_PLATT ? "platt" : c.kind == CRED_CALIB_ISOTONIC ? "isotonic" : "none");
    if (c.kind == CRED_CALIB_PLATT)
        fprintf(fp, " (a %.3f, b %.3f)", c.a, c.b);
    else if (c.kind == CRED_CALIB_ISOTONIC)
        fprintf(fp, " (%zu points)", c.n);
    fprintf(fp, "\n%zu rules hit the training examples; %zu lexical weights\n", rep->rules_hit, rep->lexical_buckets);
    size_t nr = cred_rules_count(rules), nm = 0;
    moved *mv = calloc(nr + 1, sizeof *mv);
    for (size_t j = 0; mv && j < nr; j++) {
        const cred_rule_info *ri = cred_rules_info(rules, j);
        double w;
        if (ri->weight != 0 && cred_model_rule_weight(&w, m, ri->id) == 0 && w != ri->weight)
            mv[nm++] = (moved){ri->id, ri->weight, w};
    }
    if (mv && nm) {
        qsort(mv, nm, sizeof *mv, cmp_moved);
        fprintf(fp, "rule weights that moved most:\n");
        for (size_t k = 0; k < nm && k < 12; k++)
            fprintf(fp, "  %-32s %+6.2f -> %+6.2f\n", mv[k].id, mv[k].from, mv[k].to);
    }
    free(mv);
    cred_lexical_weight top[20];
    size_t nt = cred_features_top_lexical(top, 20, f, m);
    if (nt) {
        fprintf(fp, "n-grams with the largest lexical weights (+ towards unreliable):\n");
        for (size_t k = 0; k < nt; k++)
            fprintf(fp, "  %+7.2f  %s %u-gram%s \"%s\"\n", top[k].weight, top[k].word ? "word" : "char", top[k].n,
                    top[k].word ? "" : " in", top[k].text);
    }
}

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_train, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    int exit_code = 2;
    learn_source src;
    bool src_open = false;
    cred_dataset *ds = NULL, *cds = NULL;
    cred_rules *rules = NULL;
    cred_model *base = NULL, *model = NULL;
    cred_features *f = NULL, *cf = NULL;
    double *p = NULL, *tf = NULL;
    unsigned char *y = NULL;
    const char **lang = NULL;
    learn_lang *langs = NULL;
    char note[2048] = "";
    cred_train_options o = CRED_TRAIN_OPTIONS_INIT;
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    unsigned int k = 0, bits = 21;
    double seed = 1;
    const char *fmt = cli_get(&a, "output", "table");
    const char *cal = cli_get(&a, "calibration", "platt");
    const char *thr = cli_get(&a, "threshold", "cost");
    if (a.npos) {
        cli_error(&a, 0, "unexpected argument '%s' (the data comes with --data or --dataset)", a.pos[0]);
        goto done;
    }
    if (strcmp(fmt, "json") != 0 && strcmp(fmt, "table") != 0) {
        cli_error(&a, 0, "--output must be json or table, not '%s'", fmt);
        goto done;
    }
    if (strcmp(thr, "cost") != 0 && strcmp(thr, "f1") != 0) {
        cli_error(&a, 0, "--threshold must be cost or f1, not '%s'", thr);
        goto done;
    }
    o.threshold_f1 = strcmp(thr, "f1") == 0;
    o.refit = !cli_has(&a, "no-refit");
    if (strcmp(cal, "platt") == 0)
        o.calibration = CRED_CALIB_PLATT;
    else if (strcmp(cal, "isotonic") == 0)
        o.calibration = CRED_CALIB_ISOTONIC;
    else if (strcmp(cal, "none") == 0)
        o.calibration = CRED_CALIB_NONE;
    else {
        cli_error(&a, 0, "--calibration must be platt, isotonic or none, not '%s'", cal);
        goto done;
    }
    if (!cli_get_double(&a, "cost-fp", o.cost_fp, 0.001, 1000, &o.cost_fp) ||
        !cli_get_double(&a, "l2", o.l2_rules, 0, 1e6, &o.l2_rules) ||
        !cli_get_double(&a, "l2-lexical", o.l2_lexical, 0, 1e6, &o.l2_lexical) ||
        !cli_get_double(&a, "holdout", o.holdout, 0, 0.9, &o.holdout) ||
        !cli_get_double(&a, "nb", 1, 0, 1e6, &o.nb_alpha) ||
        !cli_get_double(&a, "seed", 1, 0, 9007199254740992.0, &seed) ||
        !get_uint(&a, "epochs", o.epochs, 1, 100000, &o.epochs) ||
        !get_uint(&a, "cv", 0, 0, 100, &k) || !get_uint(&a, "calib-folds", cli_has(&a, "holdout") ? 0 : 5, 0, 100, &o.calib_folds) ||
        !get_uint(&a, "bits", 21, CRED_LEXICAL_BITS_MIN, CRED_LEXICAL_BITS_MAX, &bits))
        goto done;
    if (cli_has(&a, "cv") && k < 2) {
        cli_error(&a, 0, "--cv needs at least 2 folds");
        goto done;
    }
    o.seed = (uint64_t)seed;
    o.sign_constraints = !cli_has(&a, "no-sign");
    o.lexical = cli_has(&a, "lexical");
    lex.bits = bits;
    lex.links = !cli_has(&a, "no-links");
    if (!(src_open = learn_source_open(&a, &src)))
        goto done;
    const char *data = cli_get(&a, "data", NULL);
    if (!(ds = learn_load(&a, &src, "train", data, true)))
        goto done;
    const char *cpath = cli_get(&a, "calib-data", NULL);
    if (!k && (cpath || (!data && src.entry && !cli_has(&a, "holdout")))) {
        cds = learn_load(&a, &src, "val", cpath, cpath != NULL);
        if (cpath && !cds)
            goto done;
    }
    const char *wpath = cli_get(&a, "weights", NULL);
    rc = wpath ? cred_model_load(&base, wpath) : cred_model_default(&base);
    if (rc < 0) {
        cli_error(&a, rc, "cannot read the weights %s", wpath ? wpath : "(built-in)");
        goto done;
    }
    if (!(rules = learn_rules(&a)))
        goto done;
    size_t n = cred_dataset_count(ds);
    if (n == 0) {
        cli_error(&a, 0, "no labelled example in %s", src.name);
        exit_code = 1;
        goto done;
    }
    if ((rc = cred_features_build(&f, ds, rules, o.lexical ? &lex : NULL)) < 0 ||
        (cds && (rc = cred_features_build(&cf, cds, rules, o.lexical ? &lex : NULL)) < 0)) {
        cli_error(&a, rc, "cannot compute the features");
        goto done;
    }
    const char *opath = cli_get(&a, "out", k ? NULL : "credence.weights");
    snprintf(note, sizeof note, "trained on %s (%zu examples, %zu unreliable%s%s); cost_fp %g, l2 %g, l2_lexical %g%s%s, "
                           "nb %g, %s, threshold %s, calibration %s%s, seed %g",
                    src.name, n, cred_dataset_positives(ds), cds ? "; calibrated on " : "", cds ? "the val split" : "",
                    o.cost_fp, o.l2_rules, o.l2_lexical, o.lexical ? ", lexical" : "",
                    o.lexical && lex.links ? " with links" : "",
                    o.nb_alpha, o.refit ? "refit" : "no refit", thr, cal,
                    o.calib_folds >= 2 && !cds ? " cross-fitted" : "", seed);
    if (k) {
        p = malloc(n * sizeof *p);
        y = malloc(n);
        lang = malloc(n * sizeof *lang);
        if (!p || !y || !lang) {
            cli_error(&a, CRED_ENOMEM, "out of memory");
            goto done;
        }
        /* each fold's model also picks its best-F1 threshold on its own calibration examples */
        cred_train_options ocv = o;
        ocv.threshold_f1 = 1;
        tf = malloc(n * sizeof *tf);
        if (!tf) {
            cli_error(&a, CRED_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = cred_train_cv_verdicts(p, tf, f, k, base, &ocv)) < 0) {
            cli_error(&a, rc, "cross-validation failed");
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            y[i] = (unsigned char)cred_dataset_get(ds, i)->label;
            lang[i] = cred_features_lang(f, i);
        }
        const char *oof = cli_get(&a, "oof", NULL);
        if (oof) {
            FILE *ofp = fopen(oof, "w");
            if (!ofp) {
                cli_error(&a, CRED_EIO, "cannot write %s", oof);
                goto done;
            }
            fputs("i,p,threshold,label\n", ofp);
            for (size_t i = 0; i < n; i++)
                fprintf(ofp, "%zu,%.9g,%.9g,%u\n", i, p[i], tf[i], y[i]);
            if (fclose(ofp) != 0) {
                cli_error(&a, CRED_EIO, "cannot write %s", oof);
                goto done;
            }
        }
        cred_model_params mp;
        cred_model_params_get(base, &mp);
        double t = o.cost_fp / (1 + o.cost_fp);
        size_t vtp = 0, vfp = 0, vfn = 0;
        double tsum = 0;
        for (size_t i = 0; i < n; i++) {
            bool flag = p[i] >= tf[i];
            vtp += flag && y[i];
            vfp += flag && !y[i];
            vfn += !flag && y[i];
            tsum += tf[i];
        }
        double vf1 = vtp ? 2.0 * (double)vtp / (double)(2 * vtp + vfp + vfn) : 0;
        cred_metrics m;
        if ((rc = cred_metrics_compute(&m, p, y, n, t)) < 0) {
            cli_error(&a, rc, "cannot compute the metrics");
            goto done;
        }
        long nl = learn_by_lang(&langs, p, y, lang, n, t);
        char name[300];
        snprintf(name, sizeof name, "%s (%u-fold cross-validation)", src.name, k);
        learn_report(stdout, strcmp(fmt, "json") == 0, name, "trained per fold", &m, langs, nl > 0 ? (size_t)nl : 0,
                     NULL, 0, NAN, NAN);
        if (strcmp(fmt, "json") != 0)
            printf("\nbest-F1 thresholds chosen per fold on its training part (%s), mean %.3f:\n"
                   "  precision %.4f   recall %.4f   F1 %.4f   (tp %zu  fp %zu  fn %zu)\n",
                   o.calib_folds >= 2 ? "out-of-fold margins" : "calibration hold-out", tsum / (double)n, vtp + vfp ? (double)vtp / (double)(vtp + vfp) : 0,
                   vtp + vfn ? (double)vtp / (double)(vtp + vfn) : 0, vf1, vtp, vfp, vfn);
        size_t used = strlen(note);
        snprintf(note + used, sizeof note - used, "; %u-fold CV: roc_auc %.4f, f1 %.4f, f1 at per-fold best-F1 "
                 "thresholds %.4f, ece %.4f", k, m.roc_auc, m.f1, vf1, m.ece);
    }
    if (!opath) {
        exit_code = 0;
        goto done;
    }
    cred_train_report rep;
    if ((rc = cred_train(&model, &rep, f, cf, base, &o)) < 0) {
        cli_error(&a, rc, "training failed");
        goto done;
    }
    if ((rc = cred_model_note_set(model, note)) < 0 || (rc = cred_model_save(model, opath)) < 0) {
        cli_error(&a, rc, "cannot write %s", opath);
        goto done;
    }
    FILE *sfp = k ? stderr : stdout;
    if (!cli_has(&a, "quiet") || !k)
        summary(sfp, &rep, model, rules, f);
    fprintf(sfp, "wrote %s\n", opath);
    exit_code = 0;
done:
    free(langs);
    free(lang);
    free(y);
    free(p);
    free(tf);
    cred_features_free(f);
    cred_features_free(cf);
    cred_model_free(model);
    cred_model_free(base);
    cred_rules_free(rules);
    cred_dataset_free(ds);
    cred_dataset_free(cds);
    if (src_open)
        learn_source_close(&src);
    free(a.pos);
    return exit_code;
}
