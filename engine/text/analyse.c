/*
 * cred_text: the analyser object and the pipeline driver (public API of the text module).
 * validate + normalise → tokens + sentences → links → language → stems. Every buffer is owned by the
 * analyser and reused from call to call; per-call strings (link forms, the language tag) live in an
 * arena that is reset at the start of each call.
 */
#include "text/pipeline.h"

#include <stdlib.h>

#define LANG_SAMPLE 4096

struct cred_text {
    unsigned int flags;
    cred_norm norm;
    cred_tok_out tok;
    cred_stemmer *stem;
    cred_arena arena;
    cred_link *links;
    size_t cap_links;
    cred_doc doc;
};

int cred_text_new(cred_text **out, const cred_text_options *opts)
{
    if (!out)
        return cred__error(CRED_EINVAL, "cred_text_new: out is NULL");
    *out = NULL;
    if (opts && opts->version != CRED_TEXT_OPTIONS_VERSION)
        return cred__error(CRED_EINVAL, "cred_text_options: unsupported version %u", opts->version);
    cred_text *t = calloc(1, sizeof *t);
    if (!t)
        return cred__error_nomem();
    t->flags = opts ? opts->flags : 0;
    cred_text__norm_init(&t->norm);
    cred_arena_init(&t->arena, 16 * 1024);
    int rc = cred_text__stemmer_new(&t->stem, opts ? opts->cache_bytes : 0);
    if (rc < 0) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void cred_text_free(cred_text *t)
{
    if (!t)
        return;
    cred_text__norm_free(&t->norm);
    free(t->tok.tokens);
    free(t->tok.sents);
    free(t->links);
    cred_text__stemmer_free(t->stem);
    cred_arena_free(&t->arena);
    free(t);
}

static int check_input(const cred_text *t, const void *out, const char *text, size_t len)
{
    if (!t || !out || (!text && len))
        return cred__error(CRED_EINVAL, "cred_text: NULL argument");
    if (len > CRED_LIMIT_POST_BYTES)
        return cred__error(CRED_ELIMIT, "text of %zu bytes exceeds CRED_LIMIT_POST_BYTES (%u)", len,
                           (unsigned)CRED_LIMIT_POST_BYTES);
    return 0;
}

int cred_text_normalise(cred_text *t, const char **out, size_t *out_len, const char *text, size_t len)
{
    int rc = check_input(t, out, text, len);
    if (rc < 0)
        return rc;
    if (!out_len)
        return cred__error(CRED_EINVAL, "cred_text_normalise: out_len is NULL");
    rc = cred_text__normalise(&t->norm, text ? text : "", len);
    if (rc < 0)
        return rc;
    *out = t->norm.out.ptr;
    *out_len = t->norm.out.len;
    return 0;
}

/* Links of the URL tokens, parsed from the raw bytes (paths are case-sensitive). */
static int collect_links(cred_text *t, const char *raw, size_t raw_len, size_t *n_links)
{
    const cred_norm *n = &t->norm;
    size_t count = 0;
    for (size_t i = 0; i < t->tok.n_tokens; i++) {
        const cred_token *tk = &t->tok.tokens[i];
        if (tk->kind != CRED_TOK_URL)
            continue;
        size_t rs = cred_text__map_start(n->map, n->map_len, n->out.len, raw_len, tk->start);
        size_t re = cred_text__map_end(n->map, n->map_len, n->out.len, raw_len, tk->start + tk->len);
        cred_link link;
        memset(&link, 0, sizeof link);
        int rc = cred_text__link_parse(&t->arena, raw + rs, re - rs, &link);
        if (rc == CRED_EINVAL)
            continue;
        if (rc < 0)
            return rc;
        if (count == t->cap_links && CRED_GROW(t->links, t->cap_links, count + 1) < 0)
            return CRED_ENOMEM;
        link.raw = (cred_span){(uint32_t)rs, (uint32_t)re};
        link.token = (uint32_t)i;
        t->links[count++] = link;
    }
    *n_links = count;
    return 0;
}

/* The language: the hint (lower-cased copy), else detection unless CRED_TEXT_NO_LANG, else "und". */
static int choose_lang(cred_text *t, const char *raw, size_t len, const char *hint)
{
    cred_doc *d = &t->doc;
    if (hint && *hint) {
        size_t n = strnlen(hint, 32);
        char *l = cred_arena_strndup(&t->arena, hint, n);
        if (!l)
            return cred__error_nomem();
        for (size_t i = 0; i < n; i++)
            l[i] = (char)(l[i] >= 'A' && l[i] <= 'Z' ? l[i] + 32 : l[i]);
        d->lang = l;
        d->lang_confidence = 1.0f;
    } else if (t->flags & CRED_TEXT_NO_LANG) {
        d->lang = "und";
        d->lang_confidence = 0.0f;
    } else {
        float conf = 0.0f;
        d->lang = cred_lang_detect(raw, CRED_MIN(len, (size_t)LANG_SAMPLE), &conf);
        d->lang_confidence = conf;
    }
    return 0;
}

int cred_text_analyse(cred_text *t, const cred_doc **out, const char *text, size_t len, const char *lang_hint)
{
    int rc = check_input(t, out, text, len);
    if (rc < 0)
        return rc;
    if (!text)
        text = "";
    *out = NULL;
    cred_arena_reset(&t->arena);
    cred_text__stemmer_trim(t->stem);
    cred_doc *d = &t->doc;
    memset(d, 0, sizeof *d);
    size_t n_links = 0;

    CRED_TRY(cred_text__normalise(&t->norm, text, len));
    CRED_TRY(cred_text__tokenise(&t->tok, &t->norm, text, len));
    CRED_TRY(collect_links(t, text, len, &n_links));
    CRED_TRY(choose_lang(t, text, len, lang_hint));
    CRED_TRY(cred_text__stem_tokens((t->flags & CRED_TEXT_NO_STEMS) ? NULL : t->stem, d->lang, t->norm.out.ptr,
                                    t->tok.tokens, t->tok.n_tokens));

    d->raw = text;
    d->raw_len = len;
    d->norm = t->norm.out.ptr;
    d->norm_len = t->norm.out.len;
    d->tokens = t->tok.tokens;
    d->n_tokens = t->tok.n_tokens;
    d->sentences = t->tok.sents;
    d->n_sentences = t->tok.n_sents;
    d->links = t->links;
    d->n_links = n_links;
    d->invalid_bytes = t->norm.invalid;
    d->map_ = t->norm.map;
    d->map_len_ = t->norm.map_len;
    *out = d;
done:
    if (rc == CRED_ENOMEM)
        return cred__error_nomem();
    return rc;
}

size_t cred_doc_raw_offset(const cred_doc *doc, size_t norm_offset)
{
    if (!doc)
        return 0;
    return cred_text__map_start(doc->map_, doc->map_len_, doc->norm_len, doc->raw_len, norm_offset);
}

cred_span cred_doc_raw_span(const cred_doc *doc, cred_span norm)
{
    if (!doc)
        return (cred_span){0, 0};
    size_t s = cred_text__map_start(doc->map_, doc->map_len_, doc->norm_len, doc->raw_len, norm.start);
    size_t e = s;
    if (norm.end > norm.start) {
        e = cred_text__map_end(doc->map_, doc->map_len_, doc->norm_len, doc->raw_len, norm.end);
        if (e < s)
            e = s;
    }
    return (cred_span){(uint32_t)s, (uint32_t)e};
}
