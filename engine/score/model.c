/*
 * cred_model: the parameters of the additive log-odds score, and the weights file.
 *
 * Weights file (little-endian):
 *   0   "CREDMODL"
 *   8   u32 format version (MODEL_FORMAT)
 *   12  u32 header length H
 *   16  u64 blob length B
 *   24  u64 XXH3-64 of the H + B bytes that follow
 *   32  JSON header (H bytes): written by yajl_gen with a fixed key order and shortest round-trip
 *       numbers, so that save -> load -> save is byte-identical
 *   32+H  zstd (level 3) of the 2^bits float32 lexical weights (B = 0 without a table)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include <zstd.h>

#include "score/score_int.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the weights file is written in host order: port put_u32/put_u64 and the float blob first"
#endif

#define MODEL_MAGIC "CREDMODL"
#define MODEL_FORMAT 2u /* 2: lexical "links" */
#define MODEL_PREFIX 32u
#define MODEL_MAX_FILE ((size_t)1 << 30)

const char *cred_verdict_name(cred_verdict v)
{
    switch (v) {
    case CRED_VERDICT_INSUFFICIENT: return "insufficient";
    case CRED_VERDICT_CREDIBLE: return "credible";
    case CRED_VERDICT_REVIEW: return "review";
    case CRED_VERDICT_UNRELIABLE: return "unreliable";
    }
    return "unknown";
}

const char *cred_flag_name(unsigned int flag)
{
    switch (flag) {
    case CRED_FLAG_UNSOURCED_CLAIM: return "unsourced_claim";
    case CRED_FLAG_SOURCED: return "sourced";
    case CRED_FLAG_FORWARDED: return "forwarded";
    case CRED_FLAG_NEAR_DUPLICATE: return "near_duplicate";
    case CRED_FLAG_SHARE_PRESSURE: return "share_pressure";
    case CRED_FLAG_VARIANT: return "variant";
    default: return NULL;
    }
}

int cred_model_default(cred_model **out)
{
    if (!out)
        return cred__error(CRED_EINVAL, "cred_model_default: NULL out");
    cred_model *m = calloc(1, sizeof *m);
    if (!m)
        return cred__error_nomem();
    cred_model_params p = CRED_MODEL_PARAMS_INIT;
    cred_lexical_options lex = CRED_LEXICAL_OPTIONS_INIT;
    m->p = p;
    m->lex = lex;
    *out = m;
    return 0;
}

void cred_model_free(cred_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_rules; i++)
        free(m->rules[i].id);
    free(m->rules);
    free(m->calib_z);
    free(m->calib_p);
    free(m->table);
    free(m->note);
    free(m);
}

void cred_model_params_get(const cred_model *m, cred_model_params *out)
{
    *out = m->p;
    out->version = CRED_MODEL_PARAMS_VERSION;
}

int cred_model_params_set(cred_model *m, const cred_model_params *p)
{
    if (!m || !p)
        return cred__error(CRED_EINVAL, "cred_model_params_set: NULL argument");
    const double v[] = {p->bias, p->credible_min, p->unreliable_below, p->dup_threshold, p->dup_base,
                        p->dup_similarity, p->dup_per_source, p->dup_per_repeat, p->dup_max, p->forwarded,
                        p->forwarded_unknown, p->lexical_scale, p->lexical_min};
    for (size_t i = 0; i < CRED_ARRAY_LEN(v); i++)
        if (!isfinite(v[i]))
            return cred__error(CRED_EINVAL, "model parameter %zu is not finite", i);
    if (p->credible_min < 0 || p->credible_min > 100 || p->unreliable_below < 0 || p->unreliable_below > 100 ||
        p->unreliable_below > p->credible_min)
        return cred__error(CRED_EINVAL, "verdict bands must satisfy 0 <= unreliable_below <= credible_min <= 100");
    if (!(p->dup_threshold > 0 && p->dup_threshold < 1) || p->dup_max < 0)
        return cred__error(CRED_EINVAL, "dup_threshold must be in (0, 1) and dup_max >= 0");
    m->p = *p;
    m->p.version = CRED_MODEL_PARAMS_VERSION;
    return 0;
}

/* ---- rule overrides ---------------------------------------------------------------------------- */

static size_t rule_lower_bound(const cred_model *m, const char *id)
{
    size_t lo = 0, hi = m->n_rules;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->rules[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const model_rule *cred_model__rule(const cred_model *m, const char *id)
{
    if (m->n_rules == 0)
        return NULL;
    size_t i = rule_lower_bound(m, id);
    return i < m->n_rules && strcmp(m->rules[i].id, id) == 0 ? &m->rules[i] : NULL;
}

int cred_model_rule_weight_set(cred_model *m, const char *id, double w)
{
    if (!m || !id || !*id || !isfinite(w) || fabs(w) > 20)
        return cred__error(CRED_EINVAL, "rule weight override needs an id and a finite |weight| <= 20");
    size_t i = rule_lower_bound(m, id);
    if (i < m->n_rules && strcmp(m->rules[i].id, id) == 0) {
        m->rules[i].w = w;
        return 0;
    }
    if (m->n_rules >= CRED_LIMIT_MODEL_RULES)
        return cred__error(CRED_ELIMIT, "more than %d rule weight overrides", CRED_LIMIT_MODEL_RULES);
    char *copy = strdup(id);
    if (!copy || CRED_GROW(m->rules, m->cap_rules, m->n_rules + 1) < 0) {
        free(copy);
        return cred__error_nomem();
    }
    memmove(&m->rules[i + 1], &m->rules[i], (m->n_rules - i) * sizeof *m->rules);
    m->rules[i].id = copy;
    m->rules[i].w = w;
    m->n_rules++;
    return 0;
}

int cred_model_rule_weight_clear(cred_model *m, const char *id)
{
    const model_rule *r = id ? cred_model__rule(m, id) : NULL;
    if (!r)
        return cred__error(CRED_ENOTFOUND, "no weight override for rule '%s'", id ? id : "");
    size_t i = (size_t)(r - m->rules);
    free(m->rules[i].id);
    memmove(&m->rules[i], &m->rules[i + 1], (m->n_rules - i - 1) * sizeof *m->rules);
    m->n_rules--;
    return 0;
}

int cred_model_rule_weight(double *out, const cred_model *m, const char *id)
{
    const model_rule *r = id ? cred_model__rule(m, id) : NULL;
    if (!r)
        return CRED_ENOTFOUND; /* a normal answer: no message */
    *out = r->w;
    return 0;
}

size_t cred_model_rule_weight_count(const cred_model *m)
{
    return m->n_rules;
}

int cred_model_rule_weight_at(const char **id, double *w, const cred_model *m, size_t i)
{
    if (i >= m->n_rules)
        return CRED_ENOTFOUND;
    *id = m->rules[i].id;
    *w = m->rules[i].w;
    return 0;
}

/* ---- calibration ------------------------------------------------------------------------------- */

int cred_model_calibration_set(cred_model *m, const cred_calibration *c)
{
    if (!m || !c)
        return cred__error(CRED_EINVAL, "cred_model_calibration_set: NULL argument");
    double *z = NULL, *p = NULL;
    if (c->kind == CRED_CALIB_PLATT) {
        if (!isfinite(c->a) || !isfinite(c->b))
            return cred__error(CRED_EINVAL, "Platt calibration needs finite a and b");
    } else if (c->kind == CRED_CALIB_ISOTONIC) {
        if (c->n < 2 || c->n > CRED_LIMIT_CALIBRATION_POINTS || !c->z || !c->p)
            return cred__error(CRED_EINVAL, "isotonic calibration needs 2..%d points", CRED_LIMIT_CALIBRATION_POINTS);
        for (size_t i = 0; i < c->n; i++) {
            if (!isfinite(c->z[i]) || !(c->p[i] >= 0 && c->p[i] <= 1) ||
                (i && (c->z[i] <= c->z[i - 1] || c->p[i] < c->p[i - 1])))
                return cred__error(CRED_EINVAL, "isotonic point %zu: z must increase and p in [0,1] not decrease", i);
        }
        z = malloc(c->n * sizeof *z);
        p = malloc(c->n * sizeof *p);
        if (!z || !p) {
            free(z), free(p);
            return cred__error_nomem();
        }
        memcpy(z, c->z, c->n * sizeof *z);
        memcpy(p, c->p, c->n * sizeof *p);
    } else if (c->kind != CRED_CALIB_NONE) {
        return cred__error(CRED_EINVAL, "unknown calibration kind %d", (int)c->kind);
    }
    free(m->calib_z);
    free(m->calib_p);
    m->calib_z = z;
    m->calib_p = p;
    memset(&m->calib, 0, sizeof m->calib);
    m->calib.kind = c->kind;
    if (c->kind == CRED_CALIB_PLATT) {
        m->calib.a = c->a;
        m->calib.b = c->b;
    } else if (c->kind == CRED_CALIB_ISOTONIC) {
        m->calib.z = z;
        m->calib.p = p;
        m->calib.n = c->n;
    }
    return 0;
}

void cred_model_calibration_get(const cred_model *m, cred_calibration *out)
{
    *out = m->calib;
}

double cred_model_probability(const cred_model *m, double z)
{
    const cred_calibration *c = &m->calib;
    if (c->kind == CRED_CALIB_PLATT)
        z = c->a * z + c->b;
    else if (c->kind == CRED_CALIB_ISOTONIC) {
        if (z <= c->z[0])
            return c->p[0];
        if (z >= c->z[c->n - 1])
            return c->p[c->n - 1];
        size_t lo = 0, hi = c->n - 1; /* z[lo] < z < z[hi] */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (c->z[mid] <= z)
                lo = mid;
            else
                hi = mid;
        }
        double t = (z - c->z[lo]) / (c->z[hi] - c->z[lo]);
        return c->p[lo] + t * (c->p[hi] - c->p[lo]);
    }
    return 1.0 / (1.0 + exp(-z));
}

int cred_validity(double p)
{
    if (!(p >= 0))
        p = 0;
    if (p > 1)
        p = 1;
    return (int)lround(100.0 * (1.0 - p));
}

cred_verdict cred_model_verdict(const cred_model *m, int validity, int evidence)
{
    if (!evidence)
        return CRED_VERDICT_INSUFFICIENT;
    if (validity >= m->p.credible_min)
        return CRED_VERDICT_CREDIBLE;
    if (validity < m->p.unreliable_below)
        return CRED_VERDICT_UNRELIABLE;
    return CRED_VERDICT_REVIEW;
}

/* ---- lexical table and note -------------------------------------------------------------------- */

static int check_lexical(const cred_lexical_options *o)
{
    if (o->bits < CRED_LEXICAL_BITS_MIN || o->bits > CRED_LEXICAL_BITS_MAX)
        return cred__error(CRED_EINVAL, "lexical bits must be in [%d, %d]", CRED_LEXICAL_BITS_MIN, CRED_LEXICAL_BITS_MAX);
    if (o->word_max > 4 || o->char_max > 8 || (o->word_max == 0 && o->char_max == 0) ||
        (o->char_max && (o->char_min == 0 || o->char_min > o->char_max)) || o->links > 1)
        return cred__error(CRED_EINVAL, "lexical n-grams: word_max <= 4, 1 <= char_min <= char_max <= 8, some feature, "
                                        "links 0 or 1");
    return 0;
}

int cred_model_lexical_init(cred_model *m, const cred_lexical_options *opts)
{
    cred_lexical_options o = CRED_LEXICAL_OPTIONS_INIT;
    if (opts)
        o = *opts;
    o.version = CRED_LEXICAL_OPTIONS_VERSION;
    if (!m)
        return cred__error(CRED_EINVAL, "cred_model_lexical_init: NULL model");
    int rc = check_lexical(&o);
    if (rc < 0)
        return rc;
    float *t = calloc((size_t)1 << o.bits, sizeof *t);
    if (!t)
        return cred__error_nomem();
    free(m->table);
    m->table = t;
    m->lex = o;
    return 0;
}

void cred_model_lexical_clear(cred_model *m)
{
    free(m->table);
    m->table = NULL;
}

float *cred_model_lexical_table(cred_model *m, size_t *n, cred_lexical_options *opts)
{
    if (n)
        *n = m->table ? (size_t)1 << m->lex.bits : 0;
    if (opts)
        *opts = m->lex;
    return m->table;
}

const char *cred_model_note(const cred_model *m)
{
    return m->note ? m->note : "";
}

int cred_model_note_set(cred_model *m, const char *note)
{
    char *c = strdup(note ? note : "");
    if (!c)
        return cred__error_nomem();
    free(m->note);
    m->note = c;
    return 0;
}

int cred_model_copy(cred_model **out, const cred_model *m)
{
    cred_model *c = NULL;
    int rc;
    CRED_TRY(cred_model_default(&c));
    c->p = m->p;
    for (size_t i = 0; i < m->n_rules; i++)
        CRED_TRY(cred_model_rule_weight_set(c, m->rules[i].id, m->rules[i].w));
    CRED_TRY(cred_model_calibration_set(c, &m->calib));
    c->lex = m->lex;
    if (m->table) {
        size_t n = (size_t)1 << m->lex.bits;
        CRED_TRY_ALLOC(c->table = malloc(n * sizeof *c->table));
        memcpy(c->table, m->table, n * sizeof *c->table);
    }
    if (m->note)
        CRED_TRY(cred_model_note_set(c, m->note));
    *out = c;
    c = NULL;
done:
    cred_model_free(c);
    return rc;
}

/* ---- weights file: write ----------------------------------------------------------------------- */

static void gen_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

/* The shortest %.*g form that reads back to the same double. */
static void gen_num(yajl_gen g, double v)
{
    char s[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (strtod(s, NULL) == v)
            break;
    }
    yajl_gen_number(g, s, strlen(s));
}

static void gen_kv(yajl_gen g, const char *k, double v)
{
    gen_key(g, k);
    gen_num(g, v);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put_u64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

int cred_model_save(const cred_model *m, const char *path)
{
    int rc = 0;
    yajl_gen g = NULL;
    void *blob = NULL;
    unsigned char *file = NULL;
    size_t blob_len = 0;
    if (!m || !path)
        return cred__error(CRED_EINVAL, "cred_model_save: NULL argument");
    CRED_TRY_ALLOC(g = yajl_gen_alloc(NULL));
    const cred_model_params *p = &m->p;
    yajl_gen_map_open(g);
    gen_key(g, "format");
    yajl_gen_string(g, (const unsigned char *)"credence-model", 14);
    gen_kv(g, "bias", p->bias);
    gen_key(g, "bands");
    yajl_gen_map_open(g);
    gen_kv(g, "credible_min", p->credible_min);
    gen_kv(g, "unreliable_below", p->unreliable_below);
    yajl_gen_map_close(g);
    gen_key(g, "duplicate");
    yajl_gen_map_open(g);
    gen_kv(g, "threshold", p->dup_threshold);
    gen_kv(g, "base", p->dup_base);
    gen_kv(g, "similarity", p->dup_similarity);
    gen_kv(g, "per_source", p->dup_per_source);
    gen_kv(g, "per_repeat", p->dup_per_repeat);
    gen_kv(g, "max", p->dup_max);
    yajl_gen_map_close(g);
    gen_key(g, "forward");
    yajl_gen_map_open(g);
    gen_kv(g, "named", p->forwarded);
    gen_kv(g, "unknown", p->forwarded_unknown);
    yajl_gen_map_close(g);
    gen_key(g, "rules");
    yajl_gen_map_open(g);
    for (size_t i = 0; i < m->n_rules; i++)
        gen_kv(g, m->rules[i].id, m->rules[i].w);
    yajl_gen_map_close(g);
    gen_key(g, "calibration");
    yajl_gen_map_open(g);
    gen_key(g, "kind");
    const char *kind = m->calib.kind == CRED_CALIB_PLATT ? "platt" : m->calib.kind == CRED_CALIB_ISOTONIC ? "isotonic" : "none";
    yajl_gen_string(g, (const unsigned char *)kind, strlen(kind));
    if (m->calib.kind == CRED_CALIB_PLATT) {
        gen_kv(g, "a", m->calib.a);
        gen_kv(g, "b", m->calib.b);
    } else if (m->calib.kind == CRED_CALIB_ISOTONIC) {
        gen_key(g, "z");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < m->calib.n; i++)
            gen_num(g, m->calib.z[i]);
        yajl_gen_array_close(g);
        gen_key(g, "p");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < m->calib.n; i++)
            gen_num(g, m->calib.p[i]);
        yajl_gen_array_close(g);
    }
    yajl_gen_map_close(g);
    gen_key(g, "lexical");
    yajl_gen_map_open(g);
    gen_kv(g, "scale", p->lexical_scale);
    gen_kv(g, "min", p->lexical_min);
    gen_kv(g, "bits", m->lex.bits);
    gen_kv(g, "word_max", m->lex.word_max);
    gen_kv(g, "char_min", m->lex.char_min);
    gen_kv(g, "char_max", m->lex.char_max);
    gen_kv(g, "links", m->lex.links);
    gen_key(g, "table");
    yajl_gen_bool(g, m->table != NULL);
    yajl_gen_map_close(g);
    gen_key(g, "note");
    const char *note = cred_model_note(m);
    yajl_gen_string(g, (const unsigned char *)note, strlen(note));
    yajl_gen_map_close(g);
    const unsigned char *hdr;
    size_t hdr_len;
    if (yajl_gen_get_buf(g, &hdr, &hdr_len) != yajl_gen_status_ok) {
        rc = cred__error(CRED_EINVAL, "cannot write the model header (is the note valid UTF-8?)");
        goto done;
    }
    if (m->table) {
        size_t raw = ((size_t)1 << m->lex.bits) * sizeof(float);
        size_t cap = ZSTD_compressBound(raw);
        CRED_TRY_ALLOC(blob = malloc(cap));
        blob_len = ZSTD_compress(blob, cap, m->table, raw, 3);
        if (ZSTD_isError(blob_len)) {
            rc = cred__error(CRED_ENOMEM, "zstd: %s", ZSTD_getErrorName(blob_len));
            goto done;
        }
    }
    size_t total = MODEL_PREFIX + hdr_len + blob_len;
    CRED_TRY_ALLOC(file = malloc(total));
    memcpy(file, MODEL_MAGIC, 8);
    put_u32(file + 8, MODEL_FORMAT);
    put_u32(file + 12, (uint32_t)hdr_len);
    put_u64(file + 16, blob_len);
    memcpy(file + MODEL_PREFIX, hdr, hdr_len);
    if (blob_len)
        memcpy(file + MODEL_PREFIX + hdr_len, blob, blob_len);
    put_u64(file + 24, cred_hash64(file + MODEL_PREFIX, hdr_len + blob_len, 0));
    rc = cred__write_file_atomic(path, file, total);
done:
    if (g)
        yajl_gen_free(g);
    free(blob);
    free(file);
    return rc;
}

/* ---- weights file: read ------------------------------------------------------------------------ */

static int corrupt(const char *path, const char *what)
{
    return cred__error_at(CRED_ECORRUPT, path, 0, 0, 0, "%s: not a valid credence weights file (%s)", path, what);
}

static yajl_val get(yajl_val obj, const char *a, const char *b)
{
    const char *p[3] = {a, b, NULL};
    return yajl_tree_get(obj, p, yajl_t_any);
}

/* Reads a number at obj[a][b] (b may be NULL) into *out; absent keys leave *out alone. */
static bool get_num(yajl_val obj, const char *a, const char *b, double *out)
{
    yajl_val v = get(obj, a, b);
    if (!v)
        return true;
    if (!YAJL_IS_NUMBER(v))
        return false;
    *out = YAJL_IS_INTEGER(v) ? (double)YAJL_GET_INTEGER(v) : YAJL_GET_DOUBLE(v);
    return isfinite(*out);
}

static bool get_uint(yajl_val obj, const char *a, const char *b, unsigned int *out)
{
    double d = *out;
    if (!get_num(obj, a, b, &d) || d < 0 || d > 1024 || d != floor(d))
        return false;
    *out = (unsigned int)d;
    return true;
}

static int read_calibration(cred_model *m, yajl_val root, const char *path)
{
    yajl_val c = get(root, "calibration", NULL);
    if (!c)
        return 0;
    yajl_val kind = get(c, "kind", NULL);
    const char *k = kind && YAJL_IS_STRING(kind) ? kind->u.string : "";
    cred_calibration cal = {CRED_CALIB_NONE, 0, 0, NULL, NULL, 0};
    int rc = 0;
    double *z = NULL, *p = NULL;
    if (strcmp(k, "platt") == 0) {
        cal.kind = CRED_CALIB_PLATT;
        if (!get(c, "a", NULL) || !get(c, "b", NULL) || !get_num(c, "a", NULL, &cal.a) || !get_num(c, "b", NULL, &cal.b))
            return corrupt(path, "calibration");
    } else if (strcmp(k, "isotonic") == 0) {
        yajl_val zv = get(c, "z", NULL), pv = get(c, "p", NULL);
        if (!zv || !pv || !YAJL_IS_ARRAY(zv) || !YAJL_IS_ARRAY(pv) || zv->u.array.len != pv->u.array.len)
            return corrupt(path, "calibration table");
        size_t n = zv->u.array.len;
        cal.kind = CRED_CALIB_ISOTONIC;
        cal.n = n;
        z = malloc((n ? n : 1) * sizeof *z);
        p = malloc((n ? n : 1) * sizeof *p);
        if (!z || !p) {
            rc = cred__error_nomem();
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            yajl_val a = zv->u.array.values[i], b = pv->u.array.values[i];
            if (!YAJL_IS_NUMBER(a) || !YAJL_IS_NUMBER(b)) {
                rc = corrupt(path, "calibration table");
                goto done;
            }
            z[i] = YAJL_IS_INTEGER(a) ? (double)YAJL_GET_INTEGER(a) : YAJL_GET_DOUBLE(a);
            p[i] = YAJL_IS_INTEGER(b) ? (double)YAJL_GET_INTEGER(b) : YAJL_GET_DOUBLE(b);
        }
        cal.z = z;
        cal.p = p;
    } else if (strcmp(k, "none") != 0) {
        return corrupt(path, "calibration kind");
    }
    if (cred_model_calibration_set(m, &cal) < 0)
        rc = corrupt(path, "calibration values");
done:
    free(z);
    free(p);
    return rc;
}

static int read_header(cred_model *m, yajl_val root, const char *path, bool *has_table)
{
    cred_model_params p = m->p;
    yajl_val fmt = get(root, "format", NULL);
    if (!YAJL_IS_OBJECT(root) || !fmt || !YAJL_IS_STRING(fmt) || strcmp(fmt->u.string, "credence-model") != 0)
        return corrupt(path, "header");
    if (!get_num(root, "bias", NULL, &p.bias) || !get_num(root, "bands", "credible_min", &p.credible_min) ||
        !get_num(root, "bands", "unreliable_below", &p.unreliable_below) ||
        !get_num(root, "duplicate", "threshold", &p.dup_threshold) || !get_num(root, "duplicate", "base", &p.dup_base) ||
        !get_num(root, "duplicate", "similarity", &p.dup_similarity) ||
        !get_num(root, "duplicate", "per_source", &p.dup_per_source) ||
        !get_num(root, "duplicate", "per_repeat", &p.dup_per_repeat) || !get_num(root, "duplicate", "max", &p.dup_max) ||
        !get_num(root, "forward", "named", &p.forwarded) || !get_num(root, "forward", "unknown", &p.forwarded_unknown) ||
        !get_num(root, "lexical", "scale", &p.lexical_scale) || !get_num(root, "lexical", "min", &p.lexical_min) ||
        !get_uint(root, "lexical", "bits", &m->lex.bits) || !get_uint(root, "lexical", "word_max", &m->lex.word_max) ||
        !get_uint(root, "lexical", "char_min", &m->lex.char_min) ||
        !get_uint(root, "lexical", "char_max", &m->lex.char_max) ||
        !get_uint(root, "lexical", "links", &m->lex.links))
        return corrupt(path, "a parameter is not a number");
    if (cred_model_params_set(m, &p) < 0)
        return corrupt(path, cred_error_last()->message);
    yajl_val rules = get(root, "rules", NULL);
    if (rules) {
        if (!YAJL_IS_OBJECT(rules))
            return corrupt(path, "rules");
        for (size_t i = 0; i < rules->u.object.len; i++) {
            yajl_val v = rules->u.object.values[i];
            if (!YAJL_IS_NUMBER(v))
                return corrupt(path, "rule weight");
            double w = YAJL_IS_INTEGER(v) ? (double)YAJL_GET_INTEGER(v) : YAJL_GET_DOUBLE(v);
            int rc = cred_model_rule_weight_set(m, rules->u.object.keys[i], w);
            if (rc == CRED_ENOMEM)
                return rc;
            if (rc < 0)
                return corrupt(path, "rule weight");
        }
    }
    int rc = read_calibration(m, root, path);
    if (rc < 0)
        return rc;
    yajl_val t = get(root, "lexical", "table");
    *has_table = t && YAJL_IS_TRUE(t);
    if (*has_table && check_lexical(&m->lex) < 0)
        return corrupt(path, "lexical options");
    yajl_val note = get(root, "note", NULL);
    if (note && YAJL_IS_STRING(note) && cred_model_note_set(m, note->u.string) < 0)
        return cred__error_nomem();
    return 0;
}

int cred_model_load(cred_model **out, const char *path)
{
    char *data = NULL, *hdr = NULL;
    size_t len = 0;
    cred_model *m = NULL;
    yajl_val root = NULL;
    int rc;
    if (!out || !path)
        return cred__error(CRED_EINVAL, "cred_model_load: NULL argument");
    CRED_TRY(cred__read_file(&data, &len, path, MODEL_MAX_FILE));
    const unsigned char *u = (const unsigned char *)data;
    if (len < MODEL_PREFIX || memcmp(u, MODEL_MAGIC, 8) != 0) {
        rc = corrupt(path, "bad magic");
        goto done;
    }
    uint32_t version, hdr_len;
    uint64_t blob_len, sum;
    memcpy(&version, u + 8, 4);
    memcpy(&hdr_len, u + 12, 4);
    memcpy(&blob_len, u + 16, 8);
    memcpy(&sum, u + 24, 8);
    if (version != MODEL_FORMAT) {
        rc = cred__error_at(CRED_EVERSION, path, 0, 0, 8, "%s: weights file format %u, this build reads %u", path,
                            version, MODEL_FORMAT);
        goto done;
    }
    if (hdr_len > CRED_LIMIT_MODEL_HEADER || blob_len > len || (uint64_t)MODEL_PREFIX + hdr_len + blob_len != len) {
        rc = corrupt(path, "lengths do not match the file size");
        goto done;
    }
    if (cred_hash64(u + MODEL_PREFIX, len - MODEL_PREFIX, 0) != sum) {
        rc = corrupt(path, "checksum mismatch");
        goto done;
    }
    CRED_TRY_ALLOC(hdr = cred__strndup(data + MODEL_PREFIX, hdr_len));
    char err[128];
    root = yajl_tree_parse(hdr, err, sizeof err);
    if (!root) {
        rc = corrupt(path, "header is not JSON");
        goto done;
    }
    CRED_TRY(cred_model_default(&m));
    bool has_table = false;
    CRED_TRY(read_header(m, root, path, &has_table));
    if (has_table != (blob_len != 0)) {
        rc = corrupt(path, "lexical table");
        goto done;
    }
    if (has_table) {
        size_t n = (size_t)1 << m->lex.bits, raw = n * sizeof(float);
        CRED_TRY_ALLOC(m->table = malloc(raw));
        size_t got = ZSTD_decompress(m->table, raw, u + MODEL_PREFIX + hdr_len, blob_len);
        if (ZSTD_isError(got) || got != raw) {
            rc = corrupt(path, "lexical table does not decompress to 2^bits weights");
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (!isfinite(m->table[i])) {
                rc = corrupt(path, "lexical weight is not finite");
                goto done;
            }
    }
    *out = m;
    m = NULL;
    rc = 0;
done:
    yajl_tree_free(root);
    cred_model_free(m);
    free(hdr);
    free(data);
    return rc;
}
