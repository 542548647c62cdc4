/*
 * credence eval: score a labelled data set with the rules and a model (the built-in one, or
 * --weights) and compare with the labels: n, ROC-AUC, PR-AUC, precision / recall / F1 at the
 * unreliable verdict's threshold, expected calibration error, a reliability table, figures per
 * detected language and per rule. Positive = unreliable. Each post is scored on its own (no
 * near-duplicate evidence: labelled sets are mostly de-duplicated already).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn_cli.h"

static const cli_option options[] = {
    CLI_DATA_OPTIONS,
    {"weights", 'w', "FILE", "model written by `credence train` (default: the built-in model)"},
    {"output", 0, "FORMAT", "json or table (default table)"},
    {"threshold", 't', "P", "decision threshold on p_unreliable (default: the model's unreliable band)"},
    {"out", 'o', "FILE", "write the report to FILE"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

const cli_command cmd_eval = {
    "eval",
    "Evaluate scores against a labelled data set: ROC-AUC, PR-AUC, F1, calibration, per language and rule.",
    "credence eval (--data FILE [--text-col C --label-col L --positive V] | --dataset NAME [--data-dir DIR])\n"
    "                     [--weights FILE] [--output json|table]",
    "Positive = unreliable. The threshold is the model's unreliable verdict: p >= 1 - unreliable_below/100\n"
    "(0.6 with the built-in bands). --dataset reads the registered test split (else its only file) and\n"
    "checks its SHA-256. JSON keys: n, roc_auc, pr_auc, precision, recall, f1, threshold, ece, then\n"
    "positives, tp, fp, tn, fn, accuracy, brier, reliability[], languages[], rules[].\n"
    "Exit: 0 evaluated; 1 no usable example; 2 usage error, unreadable file, bad rules or weights.",
    options,
    run,
};

static int cmp_rule(const void *x, const void *y)
{
    const learn_rule *a = x, *b = y;
    if (a->posts != b->posts)
        return a->posts < b->posts ? 1 : -1;
    return strcmp(a->id, b->id);
}

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_eval, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    int exit_code = 2;
    learn_source src;
    cred_dataset *ds = NULL;
    cred_rules *rules = NULL;
    cred_model *model = NULL;
    cred_text *text = NULL;
    cred_scanner *scan = NULL;
    cred_scorer *scorer = NULL;
    double *p = NULL;
    unsigned char *y = NULL;
    const char **lang = NULL;
    char (*langbuf)[8] = NULL;
    learn_rule *rs = NULL;
    size_t *last = NULL;
    learn_lang *langs = NULL;
    FILE *out = stdout;
    bool src_open = false;
    const char *fmt = cli_get(&a, "output", "table");
    if (strcmp(fmt, "json") != 0 && strcmp(fmt, "table") != 0) {
        cli_error(&a, 0, "--output must be json or table, not '%s'", fmt);
        goto done;
    }
    if (a.npos) {
        cli_error(&a, 0, "unexpected argument '%s' (the data comes with --data or --dataset)", a.pos[0]);
        goto done;
    }
    if (!(src_open = learn_source_open(&a, &src)))
        goto done;
    if (!(ds = learn_load(&a, &src, "test", cli_get(&a, "data", NULL), true)))
        goto done;
    const char *wpath = cli_get(&a, "weights", NULL);
    rc = wpath ? cred_model_load(&model, wpath) : cred_model_default(&model);
    if (rc < 0) {
        cli_error(&a, rc, "cannot read the weights %s", wpath ? wpath : "(built-in)");
        goto done;
    }
    if (!(rules = learn_rules(&a)))
        goto done;
    cred_model_params mp;
    cred_model_params_get(model, &mp);
    double threshold;
    if (!cli_get_double(&a, "threshold", 1 - mp.unreliable_below / 100, 0, 1, &threshold))
        goto done;
    size_t n = cred_dataset_count(ds), nr = cred_rules_count(rules);
    if (n == 0) {
        cli_error(&a, 0, "no labelled example in %s", src.name);
        exit_code = 1;
        goto done;
    }
    p = malloc(n * sizeof *p);
    y = malloc(n);
    lang = malloc(n * sizeof *lang);
    langbuf = malloc(n * sizeof *langbuf);
    rs = calloc(nr + 1, sizeof *rs);
    last = malloc((nr + 1) * sizeof *last);
    if (!p || !y || !lang || !langbuf || !rs || !last) {
        cli_error(&a, CRED_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t j = 0; j < nr; j++) {
        const cred_rule_info *ri = cred_rules_info(rules, j);
        rs[j].id = ri->id;
        rs[j].weight = ri->weight;
        double o;
        if (ri->weight != 0 && cred_model_rule_weight(&o, model, ri->id) == 0)
            rs[j].weight = o;
        last[j] = SIZE_MAX;
    }
    if ((rc = cred_text_new(&text, NULL)) < 0 || (rc = cred_scanner_new(&scan, rules, 0)) < 0 ||
        (rc = cred_scorer_new(&scorer, model)) < 0) {
        cli_error(&a, rc, "cannot set up the analysis");
        goto done;
    }
    double sum_rules = 0, sum_lex = 0;
    for (size_t i = 0; i < n; i++) {
        const cred_example *ex = cred_dataset_get(ds, i);
        const cred_doc *doc;
        if ((rc = cred_text_analyse(text, &doc, ex->text, ex->text_len, ex->lang)) < 0) {
            cli_error(&a, rc, "cannot analyse example %s", ex->id);
            goto done;
        }
        cred_post post;
        memset(&post, 0, sizeof post);
        post.id = ex->id;
        post.text = ex->text;
        post.text_len = ex->text_len;
        post.lang = ex->lang;
        post.date = CRED_DATE_UNKNOWN;
        post.kind = CRED_KIND_POST;
        post.start = post.end = -1;
        const cred_scan_result *res = NULL;
        rc = cred_scanner_scan(scan, &res, doc, &post);
        if (rc < 0 && rc != CRED_ELIMIT) {
            cli_error(&a, rc, "cannot scan example %s", ex->id);
            goto done;
        }
        cred_score_input in = {&post, doc, res, NULL, NULL};
        const cred_score *sc;
        if ((rc = cred_scorer_score(scorer, &sc, &in)) < 0) {
            cli_error(&a, rc, "cannot score example %s", ex->id);
            goto done;
        }
        p[i] = sc->p_unreliable;
        y[i] = (unsigned char)ex->label;
        sum_rules += fabs(sc->rules);
        sum_lex += fabs(sc->lexical);
        snprintf(langbuf[i], sizeof langbuf[i], "%s", doc->lang ? doc->lang : "und");
        lang[i] = langbuf[i];
        for (size_t h = 0; res && h < res->n_hits; h++) {
            uint32_t j = res->hits[h].rule_index;
            if (j < nr && last[j] != i && res->hits[h].points != 0) {
                last[j] = i;
                rs[j].posts++;
                rs[j].positives += y[i];
            }
        }
    }
    cred_metrics m;
    if ((rc = cred_metrics_compute(&m, p, y, n, threshold)) < 0) {
        cli_error(&a, rc, "cannot compute the metrics");
        goto done;
    }
    long nl = learn_by_lang(&langs, p, y, lang, n, threshold);
    if (nl < 0) {
        cli_error(&a, CRED_ENOMEM, "out of memory");
        goto done;
    }
    size_t nrs = 0;
    for (size_t j = 0; j < nr; j++)
        if (rs[j].posts)
            rs[nrs++] = rs[j];
    qsort(rs, nrs, sizeof *rs, cmp_rule);
    const char *opath = cli_get(&a, "out", NULL);
    if (opath && !(out = fopen(opath, "w"))) {
        cli_error(&a, 0, "cannot write %s", opath);
        out = stdout;
        goto done;
    }
    learn_report(out, strcmp(fmt, "json") == 0, src.name, wpath ? wpath : "built-in", &m, langs, (size_t)nl, rs,
                 nrs, sum_rules / (double)n, sum_lex / (double)n);
    exit_code = 0;
done:
    if (out != stdout && fclose(out) != 0) {
        cli_error(&a, 0, "cannot write the report");
        exit_code = 2;
    }
    free(langs);
    free(last);
    free(rs);
    free(langbuf);
    free(lang);
    free(y);
    free(p);
    cred_scorer_free(scorer);
    cred_scanner_free(scan);
    cred_text_free(text);
    cred_model_free(model);
    cred_rules_free(rules);
    cred_dataset_free(ds);
    if (src_open)
        learn_source_close(&src);
    free(a.pos);
    return exit_code;
}
