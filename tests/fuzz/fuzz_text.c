/*
 * Fuzz target for the text pipeline (cred_text_analyse). Invariants checked (abort on violation):
 *  - norm is NUL-terminated valid UTF-8 (U+FFFD replaces invalid bytes), NUL bytes kept;
 *  - raw offsets are monotone in the norm offset and within the raw text;
 *  - tokens are in order, inside norm, inside their sentence; sentences are ordered and disjoint;
 *  - token raw spans are in bounds with start < end; links point at URL tokens and inside the raw text;
 *  - stems are non-empty for words;
 *  - cred_text_normalise gives the same norm as cred_text_analyse.
 * The first byte selects the options so that every path is exercised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "credence.h"
#include "util/util.h"

#define CHECK(c)     \
    do {             \
        if (!(c))    \
            abort(); \
    } while (0)

static cred_text *analysers[4];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned sel = size ? data[0] & 3u : 0;
    if (!analysers[sel]) {
        cred_text_options o = CRED_TEXT_OPTIONS_INIT;
        o.flags = sel;          /* NO_STEMS, NO_LANG combinations */
        o.cache_bytes = 1 << 14; /* small: the cache is cleared often */
        CHECK(cred_text_new(&analysers[sel], &o) == 0);
    }
    cred_text *t = analysers[sel];
    const char *text = (const char *)data;
    const char *hint = size > 1 && (data[1] & 0x80) ? "en" : NULL;
    const cred_doc *d;
    CHECK(cred_text_analyse(t, &d, text, size, hint) == 0);
    CHECK(d->raw == text && d->raw_len == size);
    CHECK(d->norm[d->norm_len] == '\0');
    CHECK(cred_utf8_invalid_count(d->norm, d->norm_len) == 0);
    CHECK(d->invalid_bytes == cred_utf8_invalid_count(text, size));
    CHECK(d->lang != NULL);

    size_t prev = 0;
    for (size_t i = 0; i <= d->norm_len; i++) {
        size_t r = cred_doc_raw_offset(d, i);
        CHECK(r >= prev && r <= size);
        prev = r;
    }
    for (size_t i = 0; i < d->n_sentences; i++) {
        CHECK(d->sentences[i].start < d->sentences[i].end && d->sentences[i].end <= d->norm_len);
        CHECK(i == 0 || d->sentences[i].start >= d->sentences[i - 1].end);
    }
    size_t prev_end = 0;
    for (size_t i = 0; i < d->n_tokens; i++) {
        const cred_token *k = &d->tokens[i];
        CHECK(k->len > 0 && k->start >= prev_end && k->start + k->len <= d->norm_len);
        CHECK(k->kind >= CRED_TOK_WORD && k->kind <= CRED_TOK_EMOJI);
        CHECK(k->sentence < d->n_sentences);
        CHECK(k->start >= d->sentences[k->sentence].start && k->start + k->len <= d->sentences[k->sentence].end);
        CHECK(k->stem != NULL && (k->kind != CRED_TOK_WORD || k->stem_len > 0));
        cred_span r = cred_doc_raw_span(d, (cred_span){k->start, k->start + k->len});
        CHECK(r.start < r.end && r.end <= size);
        prev_end = k->start + k->len;
    }
    for (size_t i = 0; i < d->n_links; i++) {
        const cred_link *l = &d->links[i];
        CHECK(l->token < d->n_tokens && d->tokens[l->token].kind == CRED_TOK_URL);
        CHECK(l->raw.start < l->raw.end && l->raw.end <= size);
        CHECK(l->url && l->host && l->domain);
    }

    /* The same text normalised alone gives the same bytes (copy first: the doc is overwritten). */
    char *norm = malloc(d->norm_len + 1);
    CHECK(norm != NULL);
    size_t norm_len = d->norm_len;
    memcpy(norm, d->norm, norm_len + 1);
    const char *n2;
    size_t n2_len;
    CHECK(cred_text_normalise(t, &n2, &n2_len, text, size) == 0);
    CHECK(n2_len == norm_len && memcmp(n2, norm, norm_len) == 0);
    free(norm);
    return 0;
}
