/*
 * Record writers. JSON goes through yajl_gen (correct escaping); strings that are not valid UTF-8 are
 * repaired (U+FFFD) first, so every line written is valid JSON whatever the input held.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "out/out_int.h"

void cred_out__raw(void *ctx, const char *s, size_t len)
{
    cred_out *o = ctx;
    if (cred_buf_put(&o->buf, s, len) < 0)
        o->failed = true;
}

static const char *const format_names[] = {"jsonl", "csv", "table", "html"};

const char *cred_out_format_name(cred_out_format format)
{
    return (unsigned)format < CRED_ARRAY_LEN(format_names) ? format_names[format] : "unknown";
}

int cred_out_format_parse(cred_out_format *out, const char *name)
{
    for (size_t i = 0; name && i < CRED_ARRAY_LEN(format_names); i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (cred_out_format)i;
            return 0;
        }
    return cred__error(CRED_ENOTFOUND, "unknown output format '%s' (jsonl, csv, table, html)", name ? name : "");
}

int cred_out_new(cred_out **out, FILE *fp, cred_out_format format)
{
    return cred_out_open(out, fp, format, NULL);
}

int cred_out_open(cred_out **out, FILE *fp, cred_out_format format, const cred_out_options *opts)
{
    if (!out)
        return cred__error(CRED_EINVAL, "cred_out_open: NULL argument");
    if ((unsigned)format > CRED_OUT_HTML)
        return cred__error(CRED_EINVAL, "cred_out_open: unknown format %d", (int)format);
    cred_out *o = calloc(1, sizeof *o);
    if (!o)
        return cred__error_nomem();
    cred_out_options defaults = CRED_OUT_OPTIONS_INIT;
    o->opts = opts ? *opts : defaults;
    if (o->opts.top == 0)
        o->opts.top = defaults.top;
    o->fp = fp;
    o->format = format;
    o->g = yajl_gen_alloc(NULL);
    if (!o->g) {
        free(o);
        return cred__error_nomem();
    }
    yajl_gen_config(o->g, yajl_gen_print_callback, cred_out__raw, o);
    *out = o;
    return 0;
}

void cred_out__put_key(cred_out *o, const char *key)
{
    yajl_gen_string(o->g, (const unsigned char *)key, strlen(key));
}

void cred_out__put_bytes(cred_out *o, const char *s, size_t len)
{
    if (cred_utf8_invalid_count(s, len) == 0) {
        yajl_gen_string(o->g, (const unsigned char *)s, len);
        return;
    }
    cred_buf_clear(&o->scratch);
    if (cred_utf8_sanitize(&o->scratch, s, len) < 0) {
        o->failed = true;
        return;
    }
    yajl_gen_string(o->g, (const unsigned char *)o->scratch.ptr, o->scratch.len);
}

void cred_out__put_str(cred_out *o, const char *key, const char *value)
{
    if (!value)
        return;
    cred_out__put_key(o, key);
    cred_out__put_bytes(o, value, strlen(value));
}

void cred_out__put_date(cred_out *o, const char *key, int64_t t)
{
    char s[32];
    if (cred_date_iso(s, sizeof s, t))
        cred_out__put_str(o, key, s);
}

/* Adds a canonical URL to the "links" array unless it is already there. */
static void put_link(cred_out *o, const char **seen, size_t *n_seen, size_t cap, const char *url)
{
    for (size_t i = 0; i < *n_seen; i++)
        if (strcmp(seen[i], url) == 0)
            return;
    if (*n_seen < cap)
        seen[(*n_seen)++] = url;
    cred_out__put_bytes(o, url, strlen(url));
}

int cred_out__flush_if(cred_out *o, size_t threshold)
{
    if (o->failed)
        return cred__error_nomem();
    if (o->buf.len >= threshold && o->buf.len && !o->fp) /* no stream: cred_out_render() only */
        cred_buf_clear(&o->buf);
    if (o->buf.len >= threshold && o->buf.len) {
        if (fwrite(o->buf.ptr, 1, o->buf.len, o->fp) != o->buf.len)
            return cred__error(CRED_EIO, "cannot write output: %s", strerror(ferror(o->fp) ? errno : EIO));
        cred_buf_clear(&o->buf);
    }
    return 0;
}

int cred_out_post(cred_out *o, const cred_post *p, const cred_doc *doc)
{
    if (o->format != CRED_OUT_JSONL)
        return cred__error(CRED_EINVAL, "cred_out_post: parsed post records are written as jsonl only");
    yajl_gen_reset(o->g, NULL);
    yajl_gen_map_open(o->g);
    cred_out__put_str(o, "id", p->id);
    cred_out__put_key(o, "text");
    cred_out__put_bytes(o, p->text, p->text_len);
    cred_out__put_str(o, "source", p->source);
    cred_out__put_str(o, "author", p->author);
    cred_out__put_str(o, "author_id", p->author_id);
    cred_out__put_date(o, "date", p->date);
    cred_out__put_str(o, "date_text", p->date_text);
    cred_out__put_str(o, "forwarded_from", p->forwarded_from);
    cred_out__put_str(o, "url", p->url);
    cred_out__put_str(o, "reply_to", p->reply_to);
    cred_out__put_str(o, "media", p->media);
    cred_out__put_str(o, "kind", cred_post_kind_name(p->kind));
    if (p->start >= 0) {
        cred_out__put_key(o, "start");
        yajl_gen_double(o->g, p->start);
        cred_out__put_key(o, "end");
        yajl_gen_double(o->g, p->end);
    }
    if (p->flags & CRED_POST_EDITED) {
        cred_out__put_key(o, "edited");
        yajl_gen_bool(o->g, 1);
    }
    if (p->flags & CRED_POST_DELETED) {
        cred_out__put_key(o, "deleted");
        yajl_gen_bool(o->g, 1);
    }
    if (p->flags & CRED_POST_TRUNCATED) {
        cred_out__put_key(o, "truncated");
        yajl_gen_bool(o->g, 1);
    }
    cred_out__put_str(o, "lang", p->lang ? p->lang : doc ? doc->lang : NULL);
    if (doc || p->n_links) {
        const char *seen[64];
        size_t n_seen = 0;
        char canon[4096];
        cred_out__put_key(o, "links");
        yajl_gen_array_open(o->g);
        for (size_t i = 0; i < p->n_links; i++) {
            const char *u = p->links[i];
            int rc = cred_url_canonical(canon, sizeof canon, u, strlen(u));
            put_link(o, seen, &n_seen, CRED_ARRAY_LEN(seen), rc == 0 ? canon : u);
        }
        for (size_t i = 0; doc && i < doc->n_links; i++)
            put_link(o, seen, &n_seen, CRED_ARRAY_LEN(seen), doc->links[i].url);
        yajl_gen_array_close(o->g);
    }
    if (p->line) {
        cred_out__put_key(o, "line");
        yajl_gen_integer(o->g, (long long)p->line);
    }
    yajl_gen_map_close(o->g);
    cred_out__raw(o, "\n", 1);
    return cred_out__flush_if(o, FLUSH_BYTES);
}

int cred_out_flush(cred_out *o)
{
    int rc = cred_out__flush_if(o, 1);
    if (rc == 0 && o->fp && fflush(o->fp) != 0)
        rc = cred__error(CRED_EIO, "cannot write output: %s", strerror(errno));
    return rc;
}

void cred_out_free(cred_out *o)
{
    if (!o)
        return;
    cred_out__summary_free(o->sum);
    yajl_gen_free(o->g);
    cred_buf_free(&o->buf);
    cred_buf_free(&o->scratch);
    free(o);
}
