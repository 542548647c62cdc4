/*
 * The data set registry: a JSON file (datasets/registry.json) naming each data set's source,
 * licence, files per split with their SHA-256, format, text and label columns and the label values
 * that mean "unreliable". Read whole with yajl's tree parser; every string is copied into an arena
 * owned by the registry, and file paths are resolved against the data directory at load time.
 * The files' checksums are SHA-256 from nettle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <nettle/base16.h>
#include <nettle/sha2.h>
#include <yajl/yajl_tree.h>

#include "learn/learn_int.h"

#define MAX_REGISTRY_BYTES (4u << 20)

struct cred_registry {
    cred_registry_entry *e;
    size_t n;
    cred_arena arena;
};

void cred_registry_free(cred_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free((void *)r->e[i].files);
    free(r->e);
    cred_arena_free(&r->arena);
    free(r);
}

size_t cred_registry_count(const cred_registry *r) { return r ? r->n : 0; }

const cred_registry_entry *cred_registry_at(const cred_registry *r, size_t i)
{
    return r && i < r->n ? &r->e[i] : NULL;
}

const cred_registry_entry *cred_registry_find(const cred_registry *r, const char *name)
{
    for (size_t i = 0; r && name && i < r->n; i++)
        if (strcmp(r->e[i].name, name) == 0)
            return &r->e[i];
    return NULL;
}

const cred_dataset_file *cred_registry_file(const cred_registry_entry *e, const char *split)
{
    for (size_t i = 0; e && split && i < e->n_files; i++)
        if (strcmp(e->files[i].split, split) == 0)
            return &e->files[i];
    return NULL;
}

static yajl_val get(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(obj, path, yajl_t_any);
}

/* A string member copied into the arena; NULL when absent. Arrays of strings are joined with ','. */
static const char *str(cred_registry *r, yajl_val obj, const char *key)
{
    yajl_val v = get(obj, key);
    if (YAJL_IS_STRING(v))
        return cred_arena_strndup(&r->arena, v->u.string, strlen(v->u.string));
    if (YAJL_IS_NUMBER(v))
        return cred_arena_strndup(&r->arena, v->u.number.r, strlen(v->u.number.r));
    if (YAJL_IS_ARRAY(v)) {
        cred_buf b = CRED_BUF_INIT;
        for (size_t i = 0; i < v->u.array.len; i++) {
            yajl_val x = v->u.array.values[i];
            const char *s = YAJL_IS_STRING(x) ? x->u.string : YAJL_IS_NUMBER(x) ? x->u.number.r : NULL;
            if (s)
                cred_buf_printf(&b, "%s%s", b.len ? "," : "", s);
        }
        const char *out = b.ptr ? cred_arena_strndup(&r->arena, b.ptr, b.len) : NULL;
        cred_buf_free(&b);
        return out;
    }
    return NULL;
}

static const char *join_path(cred_registry *r, const char *a, const char *b, const char *c)
{
    cred_buf p = CRED_BUF_INIT;
    cred_buf_puts(&p, a);
    if (b && *b)
        cred_buf_printf(&p, "%s%s", p.len && p.ptr[p.len - 1] != '/' ? "/" : "", b);
    if (c && *c)
        cred_buf_printf(&p, "%s%s", p.len && p.ptr[p.len - 1] != '/' ? "/" : "", c);
    const char *out = p.ptr ? cred_arena_strndup(&r->arena, p.ptr, p.len) : NULL;
    cred_buf_free(&p);
    return out;
}

static int parse_entry(cred_registry *r, cred_registry_entry *e, yajl_val o, const char *path, const char *data_dir,
                       const char *reg_dir)
{
    cred_dataset_options d = CRED_DATASET_OPTIONS_INIT;
    e->options = d;
    e->name = str(r, o, "name");
    e->title = str(r, o, "title");
    e->url = str(r, o, "url");
    e->licence = str(r, o, "licence");
    e->language = str(r, o, "language");
    e->positive_means = str(r, o, "positive_means");
    e->notes = str(r, o, "notes");
    cred_dataset_options *opt = &e->options;
    opt->text_col = str(r, o, "text");
    opt->label_col = str(r, o, "label");
    opt->positive = str(r, o, "positive");
    opt->negative = str(r, o, "negative");
    opt->id_col = str(r, o, "id");
    opt->lang_col = str(r, o, "lang");
    const char *fmt = str(r, o, "format");
    if (fmt && strcasecmp(fmt, "csv") == 0)
        opt->format = CRED_DATASET_CSV;
    else if (fmt && strcasecmp(fmt, "tsv") == 0)
        opt->format = CRED_DATASET_TSV;
    else if (fmt && strcasecmp(fmt, "jsonl") == 0)
        opt->format = CRED_DATASET_JSONL;
    yajl_val v = get(o, "header");
    if (YAJL_IS_FALSE(v))
        opt->header = 0;
    v = get(o, "quotes");
    if (YAJL_IS_TRUE(v))
        opt->quotes = 1;
    else if (YAJL_IS_FALSE(v))
        opt->quotes = 0;
    if (!e->name || !opt->text_col || !opt->label_col || !opt->positive)
        return cred__error(CRED_EFORMAT, "%s: a data set lacks a name, text, label or positive", path);
    bool local = YAJL_IS_TRUE(get(o, "local"));
    const char *dir = str(r, o, "dir");
    yajl_val files = get(o, "files");
    if (!YAJL_IS_ARRAY(files) || files->u.array.len == 0)
        return cred__error(CRED_EFORMAT, "%s: data set %s has no files", path, e->name);
    cred_dataset_file *fv = calloc(files->u.array.len, sizeof *fv);
    if (!fv)
        return cred__error_nomem();
    e->files = fv;
    for (size_t i = 0; i < files->u.array.len; i++) {
        yajl_val f = files->u.array.values[i];
        const char *split = str(r, f, "split"), *file = str(r, f, "file");
        if (!YAJL_IS_OBJECT(f) || !split || !file)
            return cred__error(CRED_EFORMAT, "%s: data set %s: a file lacks a split or a file name", path, e->name);
        fv[i].split = split;
        fv[i].path = join_path(r, local ? reg_dir : data_dir, dir, file);
        fv[i].sha256 = str(r, f, "sha256");
        fv[i].label_col = str(r, f, "label");
        e->n_files++;
    }
    return 0;
}

int cred_registry_load(cred_registry **out, const char *path, const char *data_dir)
{
    if (!out || !path)
        return cred__error(CRED_EINVAL, "cred_registry_load: NULL argument");
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = cred__read_file(&text, &len, path, MAX_REGISTRY_BYTES);
    if (rc < 0)
        return rc;
    char err[256] = "";
    yajl_val root = yajl_tree_parse(text, err, sizeof err);
    free(text);
    cred_registry *r = NULL;
    if (!root) {
        for (char *c = err; *c; c++)
            if (*c == '\n')
                *c = ' ';
        return cred__error_at(CRED_ESYNTAX, path, 0, 0, 0, "%s: %s", path, err);
    }
    yajl_val list = get(root, "datasets");
    if (!YAJL_IS_ARRAY(list)) {
        rc = cred__error(CRED_EFORMAT, "%s: no \"datasets\" array", path);
        goto done;
    }
    CRED_TRY_ALLOC(r = calloc(1, sizeof *r));
    cred_arena_init(&r->arena, 1u << 14);
    CRED_TRY_ALLOC(r->e = calloc(list->u.array.len + 1, sizeof *r->e));
    const char *slash = strrchr(path, '/');
    char *reg_dir = slash ? cred__strndup(path, (size_t)(slash - path)) : cred__strndup(".", 1);
    CRED_TRY_ALLOC(reg_dir);
    for (size_t i = 0; i < list->u.array.len && rc == 0; i++) {
        yajl_val o = list->u.array.values[i];
        if (!YAJL_IS_OBJECT(o)) {
            rc = cred__error(CRED_EFORMAT, "%s: datasets[%zu] is not an object", path, i);
            break;
        }
        rc = parse_entry(r, &r->e[r->n], o, path, data_dir ? data_dir : "../shared/datasets", reg_dir);
        r->n++;
    }
    free(reg_dir);
done:
    yajl_tree_free(root);
    if (rc < 0) {
        cred_registry_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Streams the file in 64 KiB reads: constant memory, linear time. */
int cred_sha256_file(char out[65], const char *path)
{
    out[0] = '\0';
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cred__error_os("cannot open", path);
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    uint8_t buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        sha256_update(&ctx, n, buf);
    int err = ferror(fp);
    fclose(fp);
    if (err) {
        errno = EIO;
        return cred__error_os("cannot read", path);
    }
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof digest, digest);
    base16_encode_update(out, sizeof digest, digest);
    out[BASE16_ENCODE_LENGTH(SHA256_DIGEST_SIZE)] = '\0';
    return 0;
}
