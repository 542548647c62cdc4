/*
 * cred_text: the analyser object and the pipeline driver (public API of the text module).
 * validate + normalise → tokens + sentences → links → language → stems. Every buffer is owned by the
 * analyser and reused from call to call; per-call strings (link forms, the language tag) live in an
 * arena that is reset at the start of each call.
 *
 * The language is identified from the tokens: each word form's evidence is computed once and cached
 * with its stem, so detection costs one cache lookup per word (shared with stemming) instead of a
 * second pass over the raw text. It agrees with cred_lang_detect() on the raw text except where
 * normalisation merges words (Arabic-script stop words with and without hamza or madda).
 */
#include "text/pipeline.h"

#include <stdlib.h>

struct cred_text {
    unsigned int flags;
    cred_norm norm;
    cred_tok_out tok;
    cred_stemmer *stem;
    cred_arena arena;
    cred_link *links;
    size_t cap_links;
    cred_form **forms; /* cache entry of each WORD token, when detection looked them up */
    size_t cap_forms;
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
    free(t->forms);
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

/* Does a NUMBER token end in letters (a unit: 500mg), which the raw reading counts? */
static int has_unit(const char *s, size_t len)
{
    unsigned c = (unsigned char)s[len - 1];
    return c >= 0x80 || (c | 0x20u) - 'a' < 26u;
}

/* Evidence of a word form through the cache (uncached when longer than the cache takes). */
static int add_form(cred_text *t, cred_lang_ev *ev, cred_form *f, const char *w, size_t len)
{
    if (!f && len > CRED_STEM_MAX_INPUT) {
        cred_text__lang_eval(ev, w, len);
        return 0;
    }
    const cred_lang_wev *e = f ? cred_text__form_evidence(t->stem, f) : NULL;
    if (!e)
        return CRED_ENOMEM;
    cred_text__lang_add(ev, e);
    return 0;
}

/*
 * Identify the language from the tokens of the first CRED_LANG_SCAN_BYTES (as cred_lang_detect() reads
 * the raw text): word forms through the cache, fills t->forms for the stemmer; other tokens with
 * letters (links, e-mails, mentions, hashtags, units) read directly; then the raw letters counted by
 * the normaliser. A token joined by removed code points (ZWNJ) is read as its raw parts.
 */
static int detect_lang(cred_text *t, const char **lang, float *conf)
{
    const char *norm = t->norm.out.ptr;
    const cred_token *tokens = t->tok.tokens;
    const uint32_t *splits = t->norm.splits;
    size_t n = t->tok.n_tokens, n_splits = t->norm.n_splits, k = 0;
    if (n > t->cap_forms && CRED_GROW(t->forms, t->cap_forms, n) < 0)
        return CRED_ENOMEM;
    cred_lang_ev ev;
    memset(&ev, 0, sizeof ev);
    for (size_t i = 0; i < n; i++) {
        const cred_token *tk = &tokens[i];
        int scan = tk->start < CRED_LANG_SCAN_BYTES;
        int word = tk->kind == CRED_TOK_WORD;
        cred_form *f = NULL;
        if (word)
            f = cred_text__form(t->stem, norm + tk->start, tk->len);
        t->forms[i] = f;
        if (!scan || (!word && (tk->kind == CRED_TOK_EMOJI ||
                                (tk->kind == CRED_TOK_NUMBER && !has_unit(norm + tk->start, tk->len)))))
            continue;
        uint32_t end = tk->start + tk->len;
        while (k < n_splits && splits[k] <= tk->start)
            k++;
        if (CRED_LIKELY(k == n_splits || splits[k] >= end)) {
            if (!word)
                cred_text__lang_eval(&ev, norm + tk->start, tk->len);
            else if (add_form(t, &ev, f, norm + tk->start, tk->len) < 0)
                return CRED_ENOMEM;
            continue;
        }
        for (uint32_t p = tk->start; p < end;) { /* parts between removed separators */
            uint32_t q = k < n_splits && splits[k] < end ? splits[k++] : end;
            if (q > p) {
                if (!word)
                    cred_text__lang_eval(&ev, norm + p, q - p);
                else if (add_form(t, &ev, cred_text__form(t->stem, norm + p, q - p), norm + p, q - p) < 0)
                    return CRED_ENOMEM;
            }
            p = q;
        }
    }
    cred_text__lang_raw_letters(&ev, t->norm.lang_cps);
    *lang = cred_text__lang_decide(&ev, conf);
    return 0;
}

/* The language: the hint (lower-cased copy), else detection unless CRED_TEXT_NO_LANG, else "und". */
static int choose_lang(cred_text *t, const char *hint, int *detected)
{
    cred_doc *d = &t->doc;
    *detected = 0;
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
        if (detect_lang(t, &d->lang, &conf) < 0)
            return cred__error_nomem();
        d->lang_confidence = conf;
        *detected = 1;
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
    int detected = 0;

    CRED_TRY(cred_text__normalise(&t->norm, text, len));
    CRED_TRY(cred_text__tokenise(&t->tok, &t->norm, text, len));
    CRED_TRY(collect_links(t, text, len, &n_links));
    CRED_TRY(choose_lang(t, lang_hint, &detected));
    CRED_TRY(cred_text__stem_tokens((t->flags & CRED_TEXT_NO_STEMS) ? NULL : t->stem, d->lang, t->norm.out.ptr,
                                    t->tok.tokens, t->tok.n_tokens, detected ? t->forms : NULL));

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
