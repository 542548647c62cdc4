/* Tokens of every class, their flags, and sentence splitting. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "credence.h"

static cred_text *T;

static void setup(void)
{
    cred_text_options o = CRED_TEXT_OPTIONS_INIT;
    o.flags = CRED_TEXT_NO_LANG;
    cr_assert_eq(cred_text_new(&T, &o), 0);
}

static void teardown(void)
{
    cred_text_free(T);
}

TestSuite(text, .init = setup, .fini = teardown);

static const cred_doc *analyse(const char *s)
{
    const cred_doc *d;
    cr_assert_eq(cred_text_analyse(T, &d, s, strlen(s), NULL), 0);
    return d;
}

/* Tokens as "KIND:text|KIND:text|..." with kinds W N U E M H J (emoji). */
static const char *render(const cred_doc *d)
{
    static char buf[2048];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->n_tokens; i++) {
        const cred_token *t = &d->tokens[i];
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%c:%.*s", i ? "|" : "", " WNUEMHJ"[t->kind], (int)t->len,
                              d->norm + t->start);
    }
    return buf;
}

static const char *sentences(const cred_doc *d)
{
    static char buf[2048];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->n_sentences; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.*s", i ? "|" : "",
                              (int)(d->sentences[i].end - d->sentences[i].start), d->norm + d->sentences[i].start);
    return buf;
}

Test(text, words_of_any_script_keep_inner_apostrophes_and_hyphens)
{
    cr_expect_str_eq(render(analyse("Don't re-use l’eau 'quoted' end-")), "W:don't|W:re-use|W:l'eau|W:quoted|W:end");
    cr_expect_str_eq(render(analyse("Москва и Санкт-Петербург")), "W:москва|W:и|W:санкт-петербург");
    cr_expect_str_eq(render(analyse("این یک پیام است")), "W:این|W:یک|W:پیام|W:است");
    cr_expect_str_eq(render(analyse("covid-19 COVID19 4chan")), "W:covid-19|W:covid19|W:4chan");
    cr_expect_str_eq(render(analyse("नमस्ते दुनिया")), "W:नमस्ते|W:दुनिया");
}

Test(text, numbers_take_decimals_thousands_percent_and_units)
{
    cr_expect_str_eq(render(analyse("3.5 3,5 1,000 1.000.000,50 95% 500mg 10kg 5ml 37°C 2.")),
                     "N:3.5|N:3,5|N:1,000|N:1.000.000,50|N:95%|N:500mg|N:10kg|N:5ml|N:37°c|N:2");
    cr_expect_str_eq(render(analyse("۱۲۳ تومان")), "N:123|W:تومان");
}

Test(text, urls_emails_mentions_and_hashtags_are_single_tokens)
{
    const cred_doc *d = analyse("See https://example.com/a?b=1, mail me@example.org @user_1 #Vacina2021 #1");
    cr_expect_str_eq(render(d), "W:see|U:https://example.com/a?b=1|W:mail|E:me@example.org|M:@user_1|H:#vacina2021|N:1");
    cr_expect_str_eq(render(analyse("www.gov.br e bit.ly/abc")), "U:www.gov.br|W:e|U:bit.ly/abc");
    cr_expect_str_eq(render(analyse("x@y is not an email")), "W:x|W:y|W:is|W:not|W:an|W:email");
}

Test(text, each_emoji_is_a_token_with_its_modifiers)
{
    const cred_doc *d = analyse("ok👍🏽😀😀 1️⃣ #️⃣ 🇧🇷🇵🇹 ❤️");
    cr_expect_str_eq(render(d), "W:ok|J:👍🏽|J:😀|J:😀|J:1⃣|J:#⃣|J:🇧🇷|J:🇵🇹|J:❤");
    for (size_t i = 1; i < d->n_tokens; i++)
        cr_expect_eq(d->tokens[i].kind, CRED_TOK_EMOJI);
}

Test(text, flags_describe_case_in_the_raw_text_and_digits)
{
    const cred_doc *d = analyse("URGENT Share NOW a I Ñandú ÉCOLE b12 ΑΘΗΝΑ");
    cr_assert_eq(d->n_tokens, 9);
    uint8_t want[] = {CRED_TOKF_UPPER | CRED_TOKF_TITLE, CRED_TOKF_TITLE, CRED_TOKF_UPPER | CRED_TOKF_TITLE, 0,
                      CRED_TOKF_TITLE, CRED_TOKF_TITLE, CRED_TOKF_UPPER | CRED_TOKF_TITLE, CRED_TOKF_DIGIT,
                      CRED_TOKF_UPPER | CRED_TOKF_TITLE};
    for (size_t i = 0; i < 9; i++)
        cr_expect_eq(d->tokens[i].flags, want[i], "token %zu (%.*s): flags %u, want %u", i, (int)d->tokens[i].len,
                     d->norm + d->tokens[i].start, d->tokens[i].flags, want[i]);
}

Test(text, sentences_split_at_terminators_and_newlines)
{
    cr_expect_str_eq(sentences(analyse("One. Two! Three?! Four… five\nSix")),
                     "one.|two!|three?!|four...|five|six");
    cr_expect_str_eq(sentences(analyse("He said \"stop.\" Then left.")), "he said \"stop.\"|then left.");
    cr_expect_str_eq(sentences(analyse("آیا این درست است؟ بله۔ خوب")), "ایا این درست است؟|بله۔|خوب");
    cr_expect_str_eq(sentences(analyse("終わり。次")), "終わり。|次");
}

Test(text, sentences_do_not_split_inside_numbers_urls_or_after_abbreviations)
{
    cr_expect_str_eq(sentences(analyse("Dr. Silva and Mr. Jones, e.g. the U.S. team, etc. met. It costs 3.5 now.")),
                     "dr. silva and mr. jones, e.g. the u.s. team, etc. met.|it costs 3.5 now.");
    cr_expect_str_eq(sentences(analyse("Veja https://site.com/a.b. Sra. Ana e a Dra. Rosa. Fim")),
                     "veja https://site.com/a.b.|sra. ana e a dra. rosa.|fim");
    cr_expect_str_eq(sentences(analyse("See No. 5 and Fig. 2. I said no. Done")),
                     "see no. 5 and fig. 2.|i said no.|done");
    cr_expect_str_eq(sentences(analyse("mail a@b.com. next")), "mail a@b.com.|next");
}

Test(text, every_token_lies_inside_its_sentence)
{
    const cred_doc *d = analyse("First one. Second 3.5% here!\n\nThird @x #y 😀 http://a.io/b. Last");
    cr_assert_eq(d->n_sentences, 4);
    for (size_t i = 0; i < d->n_tokens; i++) {
        const cred_token *t = &d->tokens[i];
        cr_assert_lt(t->sentence, d->n_sentences);
        cred_span s = d->sentences[t->sentence];
        cr_expect(t->start >= s.start && t->start + t->len <= s.end, "token %zu outside sentence %u", i, t->sentence);
    }
    cr_expect_eq(d->tokens[d->n_tokens - 1].sentence, 3);
}

Test(text, empty_and_blank_text_has_no_tokens_or_sentences)
{
    const cred_doc *d = analyse("");
    cr_expect_eq(d->n_tokens, 0);
    cr_expect_eq(d->n_sentences, 0);
    cr_expect_str_eq(d->norm, "");
    d = analyse(" \n\t \xE2\x80\x8B\n");
    cr_expect_eq(d->n_tokens, 0);
    cr_expect_eq(d->n_sentences, 0);
}

Test(text, token_count_is_bounded_by_the_limit)
{
    size_t n = (size_t)CRED_LIMIT_TOKENS_PER_POST + 10;
    char *s = malloc(2 * n);
    cr_assert_not_null(s);
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = 'a';
        s[2 * i + 1] = ' ';
    }
    const cred_doc *d;
    cr_assert_eq(cred_text_analyse(T, &d, s, 2 * n, NULL), 0);
    cr_expect_eq(d->n_tokens, CRED_LIMIT_TOKENS_PER_POST);
    free(s);
}
