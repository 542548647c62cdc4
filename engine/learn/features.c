/*
 * Features of a labelled data set: every example is analysed (cred_text) and scanned (cred_scanner),
 * giving its rule-hit vector, and its hashed lexical features are enumerated with
 * cred_lexical_features() so that fitting and scoring hash alike. Rows are stored sparse, sorted by
 * column, duplicates summed. Cost: one analysis and one scan per example (single thread).
 */
#include <math.h>
#include <stdlib.h>

#include "learn/learn_int.h"

#define NAME_BYTES 64

void cred_features_free(cred_features *f)
{
    if (!f)
        return;
    free(f->y);
    free(f->lang);
    cred_rules_free(f->rules);
    free(f->w0);
    free(f->row);
    free(f->col);
    free(f->val);
    free(f->bucket_name);
    free(f->bucket_kind);
    cred_buf_free(&f->names);
    free(f);
}

size_t cred_features_count(const cred_features *f) { return f ? f->n : 0; }

const char *cred_features_lang(const cred_features *f, size_t i) { return f && i < f->n ? f->lang[i] : NULL; }

typedef struct entry {
    uint32_t col;
    float val;
} entry;

typedef struct build_ctx {
    cred_features *f;
    entry *e;
    size_t n, cap;
    const char *raw;
    bool failed;
} build_ctx;

static void on_lexical(const cred_lexical_feature *lf, void *payload)
{
    build_ctx *c = payload;
    cred_features *f = c->f;
    if (c->failed)
        return;
    if (CRED_GROW(c->e, c->cap, c->n + 1) < 0) {
        c->failed = true;
        return;
    }
    c->e[c->n++] = (entry){(uint32_t)(f->n_rules + lf->bucket), lf->value};
    if (f->bucket_name[lf->bucket] == 0) {
        size_t len = CRED_MIN((size_t)(lf->raw.end - lf->raw.start), (size_t)NAME_BYTES);
        /* keep whole UTF-8 characters */
        while (len && len < (size_t)(lf->raw.end - lf->raw.start) &&
               ((unsigned char)c->raw[lf->raw.start + len] & 0xC0) == 0x80)
            len--;
        uint32_t off = (uint32_t)f->names.len;
        if (cred_buf_put(&f->names, c->raw + lf->raw.start, len) < 0 || cred_buf_putc(&f->names, '\0') < 0) {
            c->failed = true;
            return;
        }
        f->bucket_name[lf->bucket] = off;
        f->bucket_kind[lf->bucket] = (uint8_t)((lf->word ? 0x80 : 0) | (lf->n & 0x7F));
    }
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return (x->col > y->col) - (x->col < y->col);
}

int cred_features_build(cred_features **out, const cred_dataset *ds, cred_rules *rules,
                        const cred_lexical_options *lex)
{
    if (!out || !ds || (!rules && !lex))
        return cred__error(CRED_EINVAL, "cred_features_build: no data, or neither rules nor lexical options");
    *out = NULL;
    int rc = 0;
    cred_text *text = NULL;
    cred_scanner *scan = NULL;
    cred_model *lexm = NULL;
    build_ctx c = {NULL, NULL, 0, 0, NULL, false};
    cred_features *f = calloc(1, sizeof *f);
    CRED_TRY_ALLOC(f);
    c.f = f;
    size_t n = cred_dataset_count(ds);
    f->n = n;
    CRED_TRY_ALLOC(f->y = calloc(n ? n : 1, 1));
    CRED_TRY_ALLOC(f->lang = calloc(n ? n : 1, sizeof *f->lang));
    CRED_TRY_ALLOC(f->row = calloc(n + 1, sizeof *f->row));
    if (rules) {
        f->rules = cred_rules_ref(rules);
        f->n_rules = cred_rules_count(rules);
        CRED_TRY_ALLOC(f->w0 = calloc(f->n_rules ? f->n_rules : 1, sizeof *f->w0));
        for (size_t j = 0; j < f->n_rules; j++)
            f->w0[j] = cred_rules_info(rules, j)->weight;
        CRED_TRY(cred_scanner_new(&scan, rules, 0));
    }
    if (lex) {
        CRED_TRY(cred_model_default(&lexm));
        CRED_TRY(cred_model_lexical_init(lexm, lex));
        size_t nb = 0;
        cred_model_lexical_table(lexm, &nb, &f->lex);
        f->has_lex = 1;
        f->n_buckets = nb;
        CRED_TRY_ALLOC(f->bucket_name = calloc(nb, sizeof *f->bucket_name));
        CRED_TRY_ALLOC(f->bucket_kind = calloc(nb, 1));
        CRED_TRY(cred_buf_putc(&f->names, '\0')); /* offset 0 means "no name" */
    }
    CRED_TRY(cred_text_new(&text, NULL));
    size_t nnz = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        const cred_example *ex = cred_dataset_get(ds, i);
        f->y[i] = (unsigned char)ex->label;
        const cred_doc *doc;
        CRED_TRY(cred_text_analyse(text, &doc, ex->text, ex->text_len, ex->lang));
        snprintf(f->lang[i], sizeof f->lang[i], "%s", doc->lang ? doc->lang : "und");
        c.n = 0;
        c.raw = ex->text;
        if (scan) {
            cred_post post;
            memset(&post, 0, sizeof post);
            post.id = ex->id;
            post.text = ex->text;
            post.text_len = ex->text_len;
            post.date = CRED_DATE_UNKNOWN;
            post.kind = CRED_KIND_POST;
            post.start = post.end = -1;
            const cred_scan_result *res;
            rc = cred_scanner_scan(scan, &res, doc, &post);
            if (rc < 0 && rc != CRED_ELIMIT)
                goto done;
            rc = 0;
            for (size_t h = 0; h < res->n_hits; h++) {
                const cred_rule_hit *hit = &res->hits[h];
                if (hit->raw_points == 0)
                    continue;
                CRED_TRY(CRED_GROW(c.e, c.cap, c.n + 1));
                c.e[c.n++] = (entry){hit->rule_index, (float)(hit->points / hit->raw_points)};
            }
        }
        if (lexm) {
            long k = cred_lexical_features(lexm, doc, on_lexical, &c);
            if (k < 0 || c.failed) {
                rc = k < 0 ? (int)k : cred__error_nomem();
                goto done;
            }
        }
        if (c.n > 1)
            qsort(c.e, c.n, sizeof *c.e, cmp_entry);
        size_t m = 0;
        for (size_t k = 0; k < c.n; k++) {
            if (m && c.e[m - 1].col == c.e[k].col)
                c.e[m - 1].val += c.e[k].val;
            else
                c.e[m++] = c.e[k];
        }
        size_t cap_col = cap;
        CRED_TRY(CRED_GROW(f->col, cap_col, nnz + m));
        CRED_TRY(CRED_GROW(f->val, cap, nnz + m));
        for (size_t k = 0; k < m; k++) {
            f->col[nnz + k] = c.e[k].col;
            f->val[nnz + k] = c.e[k].val;
        }
        nnz += m;
        f->row[i + 1] = nnz;
    }
done:
    free(c.e);
    cred_text_free(text);
    cred_scanner_free(scan);
    cred_model_free(lexm);
    if (rc < 0) {
        cred_features_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

double cred_learn__margin(const cred_features *f, size_t i, double bias, const double *w)
{
    double z = bias;
    for (size_t k = f->row[i]; k < f->row[i + 1]; k++)
        z += w[f->col[k]] * (double)f->val[k];
    return z;
}

static bool same_lex(const cred_lexical_options *a, const cred_lexical_options *b)
{
    return a->bits == b->bits && a->word_max == b->word_max && a->char_min == b->char_min &&
           a->char_max == b->char_max && a->links == b->links;
}

int cred_learn__model_weights(double *w, const cred_features *f, const cred_model *m)
{
    for (size_t j = 0; j < f->n_rules; j++) {
        double o;
        w[j] = f->w0[j];
        if (f->w0[j] != 0 && cred_model_rule_weight(&o, m, cred_rules_info(f->rules, j)->id) == 0)
            w[j] = o;
    }
    size_t nb = 0;
    cred_lexical_options lo;
    const float *table = cred_model_lexical_table((cred_model *)m, &nb, &lo);
    if (table && (!f->has_lex || !same_lex(&lo, &f->lex)))
        return cred__error(CRED_EINVAL, "the model's lexical options differ from the features'");
    cred_model_params p;
    cred_model_params_get(m, &p);
    for (size_t b = 0; b < f->n_buckets; b++)
        w[f->n_rules + b] = table ? p.lexical_scale * (double)table[b] : 0;
    return 0;
}

int cred_features_predict(double *p, const cred_features *f, const cred_model *m)
{
    if (!p || !f || !m)
        return cred__error(CRED_EINVAL, "cred_features_predict: NULL argument");
    double *w = malloc((f->n_rules + f->n_buckets + 1) * sizeof *w);
    if (!w)
        return cred__error_nomem();
    int rc = cred_learn__model_weights(w, f, m);
    if (rc == 0) {
        cred_model_params mp;
        cred_model_params_get(m, &mp);
        for (size_t i = 0; i < f->n; i++)
            p[i] = cred_model_probability(m, cred_learn__margin(f, i, mp.bias, w));
    }
    free(w);
    return rc;
}

size_t cred_features_top_lexical(cred_lexical_weight *out, size_t k, const cred_features *f, const cred_model *m)
{
    size_t nb = 0, kept = 0;
    cred_lexical_options lo;
    const float *table = cred_model_lexical_table((cred_model *)m, &nb, &lo);
    if (!out || !k || !f || !table || !f->has_lex || !same_lex(&lo, &f->lex))
        return 0;
    for (size_t b = 0; b < nb; b++) {
        if (!f->bucket_name[b] || table[b] == 0)
            continue;
        float w = table[b];
        size_t pos = kept;
        while (pos > 0 && fabsf(out[pos - 1].weight) < fabsf(w))
            pos--;
        if (pos >= k)
            continue;
        size_t last = kept < k ? kept : k - 1;
        memmove(&out[pos + 1], &out[pos], (last - pos) * sizeof *out);
        out[pos] = (cred_lexical_weight){(uint32_t)b, w, f->names.ptr + f->bucket_name[b],
                                         (uint8_t)(f->bucket_kind[b] >> 7), (uint8_t)(f->bucket_kind[b] & 0x7F)};
        if (kept < k)
            kept++;
    }
    return kept;
}
