/* Shared by train and eval: labelled-data options, registry resolution with checksums, rules, and
 * the evaluation report. */
#include "learn_cli.h"
#include "input.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef CRED_RULES_DIR
#define CRED_RULES_DIR "rules"
#endif
#ifndef CRED_DATASETS_DIR
#define CRED_DATASETS_DIR "datasets"
#endif

bool learn_source_open(const cli_args *a, learn_source *src)
{
    memset(src, 0, sizeof *src);
    cred_dataset_options d = CRED_DATASET_OPTIONS_INIT;
    src->opts = d;
    const char *name = cli_get(a, "dataset", NULL);
    if (name) {
        const char *reg = cli_get(a, "registry", getenv("CREDENCE_REGISTRY"));
        if (!reg || !*reg)
            reg = CRED_DATASETS_DIR "/registry.json";
        int rc = cred_registry_load(&src->registry, reg, cli_get(a, "data-dir", NULL));
        if (rc < 0) {
            cli_error(a, rc, "cannot read the registry %s", reg);
            return false;
        }
        src->entry = cred_registry_find(src->registry, name);
        if (!src->entry) {
            cli_error(a, 0, "no data set named '%s' in %s; registered:", name, reg);
            for (size_t i = 0; i < cred_registry_count(src->registry); i++)
                fprintf(stderr, "  %s\n", cred_registry_at(src->registry, i)->name);
            learn_source_close(src);
            return false;
        }
        src->opts = src->entry->options;
        snprintf(src->name, sizeof src->name, "%s", name);
    } else if (!cli_get(a, "data", NULL)) {
        cli_error(a, 0, "no data: give --data FILE (with --text-col, --label-col, --positive) or --dataset NAME");
        return false;
    }
    const char *fmt = cli_get(a, "format", NULL);
    if (fmt) {
        if (strcmp(fmt, "csv") == 0)
            src->opts.format = CRED_DATASET_CSV;
        else if (strcmp(fmt, "tsv") == 0)
            src->opts.format = CRED_DATASET_TSV;
        else if (strcmp(fmt, "jsonl") == 0)
            src->opts.format = CRED_DATASET_JSONL;
        else {
            cli_error(a, 0, "--format must be csv, tsv or jsonl, not '%s'", fmt);
            learn_source_close(src);
            return false;
        }
    }
    src->opts.text_col = cli_get(a, "text-col", src->opts.text_col);
    src->opts.label_col = cli_get(a, "label-col", src->opts.label_col);
    src->opts.positive = cli_get(a, "positive", src->opts.positive);
    src->opts.negative = cli_get(a, "negative", src->opts.negative);
    src->opts.id_col = cli_get(a, "id-col", src->opts.id_col);
    src->opts.lang_col = cli_get(a, "lang-col", src->opts.lang_col);
    if (cli_has(a, "no-header"))
        src->opts.header = 0;
    return true;
}

void learn_source_close(learn_source *src)
{
    cred_registry_free(src->registry);
    src->registry = NULL;
}

cred_dataset *learn_load(const cli_args *a, learn_source *src, const char *split, const char *path, bool required)
{
    cred_dataset_options o = src->opts;
    if (!path) {
        const cred_dataset_file *f = src->entry ? cred_registry_file(src->entry, split) : NULL;
        if (!f && src->entry && required && strcmp(split, "all") != 0)
            f = cred_registry_file(src->entry, "all");
        if (!f) {
            if (required)
                cli_error(a, 0, "data set '%s' has no '%s' file", src->name, split);
            return NULL;
        }
        path = f->path;
        if (f->label_col && !cli_get(a, "label-col", NULL))
            o.label_col = f->label_col;
        if (f->sha256) {
            char sum[65];
            int rc = cred_sha256_file(sum, path);
            if (rc < 0) {
                cli_error(a, rc, "cannot read %s (fetch it from %s)", path,
                          src->entry->url ? src->entry->url : "its source");
                return NULL;
            }
            if (strcmp(sum, f->sha256) != 0)
                fprintf(stderr, "credence %s: warning: %s has SHA-256 %s, the registry says %s\n", a->cmd->name,
                        path, sum, f->sha256);
        }
    }
    if (!src->entry)
        snprintf(src->name, sizeof src->name, "%s", path);
    cred_dataset *ds = NULL;
    int rc = cred_dataset_load(&ds, path, &o);
    if (rc < 0) {
        cli_error(a, rc, "cannot read %s", path);
        return NULL;
    }
    if (!cli_has(a, "quiet"))
        fprintf(stderr, "credence %s: %s: %zu examples (%zu unreliable), %zu rows skipped\n", a->cmd->name, path,
                cred_dataset_count(ds), cred_dataset_positives(ds), cred_dataset_skipped(ds));
    return ds;
}

cred_rules *learn_rules(const cli_args *a)
{
    const char *path = cli_get(a, "rules", getenv("CREDENCE_RULES"));
    if (!path || !*path)
        path = CRED_RULES_DIR;
    cred_rules_options ro = CRED_RULES_OPTIONS_INIT;
    ro.on_diag = cli_print_diag;
    cred_rules *rules = NULL;
    int rc = cred_rules_load(&rules, path, &ro);
    if (rc < 0) {
        cli_error(a, rc, "cannot compile the rules in %s", path);
        return NULL;
    }
    return rules;
}

static int cmp_lang(const void *x, const void *y)
{
    const learn_lang *a = x, *b = y;
    if (a->m.n != b->m.n)
        return a->m.n < b->m.n ? 1 : -1;
    return strcmp(a->lang, b->lang);
}

long learn_by_lang(learn_lang **out, const double *p, const unsigned char *y, const char *const *lang, size_t n,
                   double threshold)
{
    *out = NULL;
    learn_lang *l = NULL;
    size_t nl = 0;
    double *pp = malloc((n ? n : 1) * sizeof *pp);
    unsigned char *yy = malloc(n ? n : 1);
    if (!pp || !yy)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nl && strcmp(l[k].lang, lang[i]) != 0)
            k++;
        if (k == nl) {
            learn_lang *g = realloc(l, (nl + 1) * sizeof *l);
            if (!g)
                goto fail;
            l = g;
            memset(&l[nl], 0, sizeof *l);
            snprintf(l[nl].lang, sizeof l[nl].lang, "%s", lang[i]);
            nl++;
        }
    }
    for (size_t k = 0; k < nl; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(lang[i], l[k].lang) == 0) {
                pp[m] = p[i];
                yy[m++] = y[i];
            }
        if (cred_metrics_compute(&l[k].m, pp, yy, m, threshold) < 0)
            goto fail;
    }
    qsort(l, nl, sizeof *l, cmp_lang);
    free(pp);
    free(yy);
    *out = l;
    return (long)nl;
fail:
    free(pp);
    free(yy);
    free(l);
    return -1;
}

static void json_num(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, "%.6g", v);
    else
        fputs("null", fp);
}

static void json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c < 0x20)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

static void json_metrics(FILE *fp, const cred_metrics *m)
{
    fprintf(fp, "\"n\":%zu,\"roc_auc\":", m->n);
    json_num(fp, m->roc_auc);
    fputs(",\"pr_auc\":", fp);
    json_num(fp, m->pr_auc);
    fprintf(fp, ",\"precision\":");
    json_num(fp, m->precision);
    fputs(",\"recall\":", fp);
    json_num(fp, m->recall);
    fputs(",\"f1\":", fp);
    json_num(fp, m->f1);
    fputs(",\"threshold\":", fp);
    json_num(fp, m->threshold);
    fputs(",\"ece\":", fp);
    json_num(fp, m->ece);
    fprintf(fp, ",\"positives\":%zu,\"tp\":%zu,\"fp\":%zu,\"tn\":%zu,\"fn\":%zu,\"accuracy\":", m->positives, m->tp,
            m->fp, m->tn, m->fn);
    json_num(fp, m->accuracy);
    fputs(",\"brier\":", fp);
    json_num(fp, m->brier);
}

static double rule_precision(const learn_rule *r)
{
    if (!r->posts)
        return NAN;
    size_t good = r->weight < 0 ? r->posts - r->positives : r->positives;
    return (double)good / (double)r->posts;
}

void learn_report(FILE *fp, bool json, const char *name, const char *model, const cred_metrics *m,
                  const learn_lang *langs, size_t n_langs, const learn_rule *rules, size_t n_rules,
                  double mean_rules, double mean_lexical)
{
    if (json) {
        fputc('{', fp);
        json_metrics(fp, m);
        fputs(",\"data\":", fp);
        json_str(fp, name);
        fputs(",\"model\":", fp);
        json_str(fp, model);
        fputs(",\"mean_abs_rules\":", fp);
        json_num(fp, mean_rules);
        fputs(",\"mean_abs_lexical\":", fp);
        json_num(fp, mean_lexical);
        fputs(",\"reliability\":[", fp);
        for (size_t b = 0; b < CRED_METRICS_BINS; b++) {
            const cred_reliability_bin *x = &m->bins[b];
            fprintf(fp, "%s{\"lo\":%.1f,\"hi\":%.1f,\"n\":%zu,\"mean_p\":", b ? "," : "", x->lo, x->hi, x->n);
            json_num(fp, x->mean_p);
            fputs(",\"frac_pos\":", fp);
            json_num(fp, x->frac_pos);
            fputc('}', fp);
        }
        fputs("],\"languages\":[", fp);
        for (size_t k = 0; k < n_langs; k++) {
            fprintf(fp, "%s{\"lang\":", k ? "," : "");
            json_str(fp, langs[k].lang);
            fputc(',', fp);
            json_metrics(fp, &langs[k].m);
            fputc('}', fp);
        }
        fputs("],\"rules\":[", fp);
        for (size_t k = 0; k < n_rules; k++) {
            fprintf(fp, "%s{\"rule\":", k ? "," : "");
            json_str(fp, rules[k].id);
            fputs(",\"weight\":", fp);
            json_num(fp, rules[k].weight);
            fprintf(fp, ",\"posts\":%zu,\"unreliable\":%zu,\"precision\":", rules[k].posts, rules[k].positives);
            json_num(fp, rule_precision(&rules[k]));
            fputc('}', fp);
        }
        fputs("]}\n", fp);
        return;
    }
    fprintf(fp, "data       %s\nmodel      %s\n", name, model);
    fprintf(fp, "n          %zu (%zu unreliable)\n", m->n, m->positives);
    fprintf(fp, "ROC-AUC    %.4f\nPR-AUC     %.4f\n", m->roc_auc, m->pr_auc);
    fprintf(fp, "threshold  p >= %.3f (the unreliable verdict)\n", m->threshold);
    fprintf(fp, "precision  %.4f   recall %.4f   F1 %.4f   accuracy %.4f\n", m->precision, m->recall, m->f1,
            m->accuracy);
    fprintf(fp, "confusion  tp %zu  fp %zu  tn %zu  fn %zu\n", m->tp, m->fp, m->tn, m->fn);
    fprintf(fp, "ECE        %.4f   Brier %.4f\n", m->ece, m->brier);
    fprintf(fp, "evidence   mean |rules| %.3f   mean |lexical| %.3f\n", mean_rules, mean_lexical);
    fprintf(fp, "\nreliability (predicted p → observed share unreliable)\n  %-11s %6s %8s %8s\n", "bin", "n",
            "mean p", "observed");
    for (size_t b = 0; b < CRED_METRICS_BINS; b++) {
        const cred_reliability_bin *x = &m->bins[b];
        if (x->n)
            fprintf(fp, "  %.1f-%.1f     %6zu %8.3f %8.3f\n", x->lo, x->hi, x->n, x->mean_p, x->frac_pos);
        else
            fprintf(fp, "  %.1f-%.1f     %6zu %8s %8s\n", x->lo, x->hi, x->n, "-", "-");
    }
    if (n_langs) {
        fprintf(fp, "\nper language\n  %-6s %7s %7s %8s %7s %7s\n", "lang", "n", "unrel", "ROC-AUC", "F1", "ECE");
        for (size_t k = 0; k < n_langs; k++)
            fprintf(fp, "  %-6s %7zu %7zu %8.4f %7.4f %7.4f\n", langs[k].lang, langs[k].m.n, langs[k].m.positives,
                    langs[k].m.roc_auc, langs[k].m.f1, langs[k].m.ece);
    }
    if (n_rules) {
        fprintf(fp, "\nper rule (posts where it scored; precision = share unreliable, reliable for nice rules)\n"
                    "  %-32s %7s %7s %7s %9s\n",
                "rule", "weight", "posts", "unrel", "precision");
        for (size_t k = 0; k < n_rules; k++)
            fprintf(fp, "  %-32s %7.2f %7zu %7zu %9.3f\n", rules[k].id, rules[k].weight, rules[k].posts,
                    rules[k].positives, rule_precision(&rules[k]));
    }
}
