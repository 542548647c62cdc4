/* The whole pipeline: stems, language choice, links, options, reuse and bad arguments. */
#include <criterion/criterion.h>
#include <string.h>

#include "credence.h"

static const cred_doc *run(cred_text *t, const char *s, const char *hint)
{
    const cred_doc *d;
    cr_assert_eq(cred_text_analyse(t, &d, s, strlen(s), hint), 0);
    return d;
}

/* Stem of the first token equal to `word` in the norm, or NULL. */
static const char *stem_of(const cred_doc *d, const char *word)
{
    static char buf[256];
    for (size_t i = 0; i < d->n_tokens; i++) {
        const cred_token *t = &d->tokens[i];
        if (t->len == strlen(word) && memcmp(d->norm + t->start, word, t->len) == 0) {
            memcpy(buf, t->stem, t->stem_len);
            buf[t->stem_len] = '\0';
            return buf;
        }
    }
    return NULL;
}

Test(text, words_are_stemmed_in_the_language_of_the_hint)
{
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    const cred_doc *d = run(t, "Vaccines are causing running problems", "en");
    cr_expect_str_eq(d->lang, "en");
    cr_expect_str_eq(stem_of(d, "vaccines"), "vaccin");
    cr_expect_str_eq(stem_of(d, "running"), "run");
    d = run(t, "As vacinas estão causando problemas", "pt-BR");
    cr_expect_str_eq(d->lang, "pt-br");
    cr_expect_str_eq(stem_of(d, "vacinas"), "vacin");
    cr_expect_str_eq(stem_of(d, "problemas"), "problem");
    d = run(t, "Las vacunas están causando problemas", "ES");
    cr_expect_str_eq(stem_of(d, "vacunas"), "vacun");
    /* Arabic: the Persian-folded norm is stemmed as Arabic and the stem comes back folded */
    d = run(t, "المعلمون يكتبون الكتب", "ar");
    cr_expect_str_eq(stem_of(d, "المعلمون"), "معلم");
    cr_expect_str_eq(stem_of(d, "یکتبون"), "یکتب");
    cred_text_free(t);
}

Test(text, persian_and_unknown_languages_keep_surface_forms_as_stems)
{
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    const cred_doc *d = run(t, "کتاب‌ها را خواندم", "fa");
    cr_expect_str_eq(stem_of(d, "کتابها"), "کتابها");
    d = run(t, "running dogs", "und");
    cr_expect_str_eq(stem_of(d, "running"), "running");
    d = run(t, "running dogs", "xx");
    cr_expect_str_eq(stem_of(d, "dogs"), "dogs");
    cred_text_free(t);
}

Test(text, no_stems_option_keeps_surface_forms_and_non_words_are_their_own_stem)
{
    cred_text_options o = CRED_TEXT_OPTIONS_INIT;
    o.flags = CRED_TEXT_NO_STEMS;
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, &o), 0);
    const cred_doc *d = run(t, "running 3.5% #Tags", "en");
    cr_assert_eq(d->n_tokens, 3);
    for (size_t i = 0; i < d->n_tokens; i++) {
        cr_expect_eq(d->tokens[i].stem_len, d->tokens[i].len);
        cr_expect_eq(memcmp(d->tokens[i].stem, d->norm + d->tokens[i].start, d->tokens[i].len), 0);
    }
    cred_text_free(t);
}

Test(text, stems_stay_correct_when_the_cache_is_small_and_cleared)
{
    cred_text_options o = CRED_TEXT_OPTIONS_INIT;
    o.cache_bytes = 4096;
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, &o), 0);
    char text[64];
    for (int i = 0; i < 2000; i++) {
        snprintf(text, sizeof text, "running w%dings connected", i);
        const cred_doc *d = run(t, text, "en");
        cr_assert_str_eq(stem_of(d, "running"), "run");
        cr_assert_str_eq(stem_of(d, "connected"), "connect");
    }
    cred_text_free(t);
}

Test(text, language_is_detected_unless_hinted_or_disabled)
{
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    const char *pt = "O governo anunciou hoje que a vacina não causa nenhum problema para as crianças";
    const cred_doc *d = run(t, pt, NULL);
    cr_expect_str_eq(d->lang, "pt");
    d = run(t, pt, "es");
    cr_expect_str_eq(d->lang, "es");
    cr_expect_float_eq(d->lang_confidence, 1.0f, 1e-6);
    cred_text_free(t);

    cred_text_options o = CRED_TEXT_OPTIONS_INIT;
    o.flags = CRED_TEXT_NO_LANG;
    cr_assert_eq(cred_text_new(&t, &o), 0);
    d = run(t, pt, NULL);
    cr_expect_str_eq(d->lang, "und");
    cred_text_free(t);
}

Test(text, links_are_parsed_from_the_raw_text_of_url_tokens)
{
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    const char *s = "Leia \xE2\x80\x8Bhttps://Example.COM/Path/File?utm_source=zap e WWW.BBC.co.uk/News. fim";
    const cred_doc *d = run(t, s, "pt");
    cr_assert_eq(d->n_links, 2);
    const cred_link *l = &d->links[0];
    cr_expect_eq(d->tokens[l->token].kind, CRED_TOK_URL);
    cr_expect_eq(strncmp(s + l->raw.start, "https://Example.COM/Path/File?utm_source=zap", l->raw.end - l->raw.start), 0);
    cr_expect_eq(l->raw.end - l->raw.start, strlen("https://Example.COM/Path/File?utm_source=zap"));
    cr_expect_not_null(strstr(l->url, "/Path/File"), "path case kept: %s", l->url);
    cr_expect_str_eq(l->host, "example.com");
    cr_expect_str_eq(d->links[1].domain, "bbc.co.uk");
    cr_expect_eq(strncmp(s + d->links[1].raw.start, "WWW.BBC.co.uk/News", d->links[1].raw.end - d->links[1].raw.start), 0);
    cred_text_free(t);
}

Test(text, an_analyser_is_reused_across_calls_of_different_sizes)
{
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    static char big[200000];
    const char *unit = "Palavra é ۱ كتاب. \n"; /* 25 bytes, 4 tokens */
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = unit[i % 25];
    const cred_doc *d;
    cr_assert_eq(cred_text_analyse(t, &d, big, sizeof big, "pt"), 0);
    cr_expect_gt(d->n_tokens, 30000);
    d = run(t, "small", "en");
    cr_expect_eq(d->n_tokens, 1);
    cr_expect_str_eq(d->norm, "small");
    cr_expect_eq(d->raw_len, 5);
    cred_text_free(t);
}

Test(text, bad_arguments_are_refused)
{
    cred_text *t;
    const cred_doc *d;
    cred_text_options o = CRED_TEXT_OPTIONS_INIT;
    o.version = 99;
    cr_expect_eq(cred_text_new(&t, &o), CRED_EINVAL);
    cr_expect_eq(cred_text_new(NULL, NULL), CRED_EINVAL);
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    cr_expect_eq(cred_text_analyse(t, NULL, "x", 1, NULL), CRED_EINVAL);
    cr_expect_eq(cred_text_analyse(t, &d, NULL, 1, NULL), CRED_EINVAL);
    cr_expect_eq(cred_text_analyse(t, &d, "x", (size_t)CRED_LIMIT_POST_BYTES + 1, NULL), CRED_ELIMIT);
    cr_expect_eq(cred_error_last()->code, CRED_ELIMIT);
    cr_expect_eq(cred_text_analyse(t, &d, NULL, 0, NULL), 0);
    cr_expect_eq(d->n_tokens, 0);
    cred_text_free(t);
    cred_text_free(NULL);
}
