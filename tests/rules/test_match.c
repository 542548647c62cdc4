/* Targets, spans mapped back to raw bytes, and the vectorscan prefilter agreeing with PCRE2 alone. */
#include "rules/helpers.h"

static const cred_rule_hit *only_hit(tscan *t, const char *text, const cred_post *post, const char *id)
{
    const cred_scan_result *res = tscan_post(t, text, post);
    cr_assert_eq(hits_of(res, id), 1, "%zu hits of %s in \"%s\"", hits_of(res, id), id, text);
    return hit_of(res, id, 0);
}

#define R(id, body) "rule " id " { describe \"d\" category claim weight +1 cap 9 " body " }\n"

Test(rules, spans_on_normalised_text_map_back_to_raw_bytes)
{
    tscan t;
    tscan_init(&t, R("V", "match /\\bdoctors confirmed\\b/"), 0);
    /* full-width letters: 3 bytes each in the raw text, 1 byte in the normalised text */
    const char *text = "Wow! \xef\xbc\xa4\xef\xbd\x8f\xef\xbd\x83\xef\xbd\x94\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x93 CONFIRMED it";
    const cred_rule_hit *h = only_hit(&t, text, NULL, "V");
    cr_expect_eq(h->span.start, 5);
    cr_expect_eq(h->span.end, 5 + 21 + 10);
    cr_expect_eq(h->quote_len, 31);
    cr_expect(memcmp(h->quote, text + 5, 31) == 0);
    cr_expect_eq(h->target, CRED_TARGET_NORM);
    /* accents and a sentence index on the second sentence */
    const char *pt = "Olá. Os MÉDICOS confirmam: água quente mata o vírus";
    tscan_fini(&t);
    tscan_init(&t, R("M", "match /\\bmédicos confirmam\\b/"), 0);
    h = only_hit(&t, pt, NULL, "M");
    const char *at = strstr(pt, "MÉDICOS");
    cr_expect_eq(h->span.start, (uint32_t)(at - pt));
    cr_expect_eq(h->quote_len, strlen("MÉDICOS confirmam"));
    cr_expect_eq(h->sentence, 1);
    tscan_fini(&t);
}

Test(rules, raw_target_keeps_case_and_survives_invalid_utf8)
{
    tscan t;
    tscan_init(&t, R("RAW", "match raw /\\bURGENT\\b/"), 0);
    cr_expect_eq(hits_of(tscan_text(&t, "this is urgent"), "RAW"), 0);
    const char *bad = "x \xff\xfe URGENT now";
    const cred_rule_hit *h = only_hit(&t, bad, NULL, "RAW");
    cr_expect_eq(h->span.start, 5);
    cr_expect_eq(h->span.end, 11);
    cr_expect_eq(h->target, CRED_TARGET_RAW);
    tscan_fini(&t);
}

Test(rules, stems_target_matches_inflected_forms)
{
    tscan t;
    tscan_init(&t, R("ST", "lang en match stems in { \"vaccines cause autism\" }"), 0);
    EXPECT_ERROR_AT("rule S { match stems in { \"vaccines\" } }", "needs the rule's language", 1, 25);
    const char *text = "They said: Vaccines causing AUTISM!";
    const cred_rule_hit *h = only_hit(&t, text, NULL, "ST");
    cr_expect_eq(h->span.start, 11);
    cr_expect_eq(h->span.end, 34);
    cr_expect_eq(h->target, CRED_TARGET_STEMS);
    tscan_fini(&t);
}

Test(rules, url_and_domain_targets_report_the_link_span)
{
    tscan t;
    tscan_init(&t, R("SHORT", "match domains in { \"bit.ly\" \"who.int\" }")
                   R("PDF", "match urls /\\.pdf$/")
                   R("GOV", "match domains /\\.gov$/"), 0);
    const char *text = "see https://WWW.WHO.INT/a and bit.ly/x and https://cdc.gov/r.pdf";
    const cred_scan_result *res = tscan_text(&t, text);
    cr_assert_eq(hits_of(res, "SHORT"), 2);
    const cred_rule_hit *h = hit_of(res, "SHORT", 0);
    cr_expect_eq(h->span.start, 4);
    cr_expect_eq(h->span.end, 4 + strlen("https://WWW.WHO.INT/a"));
    cr_expect_eq(hits_of(res, "PDF"), 1);
    cr_expect_eq(hits_of(res, "GOV"), 1);
    cr_expect_eq(hits_of(tscan_text(&t, "see https://notwho.int/a"), "SHORT"), 0, "suffixes only at label boundaries");
    tscan_fini(&t);
}

Test(rules, metadata_targets_read_the_post_fields)
{
    tscan t;
    tscan_init(&t, R("FWD", "match forwarded_from /^unknown$/") R("AUTH", "match author in { \"dr. fake\" }")
                   R("SRC", "match source /health/i"), 0);
    cred_post p;
    memset(&p, 0, sizeof p);
    p.forwarded_from = "unknown";
    p.author = "Dr. Fake";
    p.source = "Family Health Group";
    const cred_scan_result *res = tscan_post(&t, "hello", &p);
    cr_expect_eq(hits_of(res, "FWD"), 1);
    cr_expect_eq(hits_of(res, "AUTH"), 1);
    const cred_rule_hit *h = hit_of(res, "SRC", 0);
    cr_assert_not_null(h);
    cr_expect_eq(h->span.start, 7);
    cr_expect_eq(h->sentence, CRED_NO_SENTENCE);
    cr_expect(memcmp(h->quote, "Health", 6) == 0);
    cr_expect_eq(tscan_post(&t, "hello", NULL)->n_hits, 0);
    tscan_fini(&t);
}

Test(rules, word_lists_match_whole_words_leftmost_longest)
{
    tscan t;
    tscan_init(&t, R("L", "match in { \"share\" \"share now\" \"now\" \"c++\" }"), 0);
    const cred_scan_result *res = tscan_text(&t, "Please SHARE   NOW, shared, c++ sharenow");
    cr_assert_eq(hits_of(res, "L"), 2);
    cr_expect_eq(hit_of(res, "L", 0)->quote_len, strlen("SHARE   NOW"));
    cr_expect(memcmp(hit_of(res, "L", 1)->quote, "c++", 3) == 0);
    tscan_fini(&t);
}

/* ---- prefilter agreement ------------------------------------------------------------------------ */

static const char *const agree_rules =
    R("A1", "match /\\b(doctors|scientists|experts) (say|said|confirm(ed)?)\\b/")
    R("A2", "match /(\\w+) \\1/")                       /* backreference: PCRE2 only */
    R("A3", "match /(?<=dr\\. )[a-z]+/")                 /* lookbehind: prefilter mode */
    R("A4", "match in { \"share\" \"forward\" \"compartilhe\" \"urgente\" \"urgent\" }")
    R("A5", "match /\\d+%/ match /vírus|virus/")
    R("A6", "lang en match raw /[A-Z]{4,}/ match stems in { \"vaccine\" }")
    R("A7", "match A1 unless A5 within sentence");

static const char *const agree_posts[] = {
    "URGENT!!! Doctors say the virus dies at 27 degrees. Share share with everyone",
    "Dr. house confirmed that 90% of vaccinated people got sick",
    "Médicos confirmam que o vírus morre com chá. Compartilhe URGENTE",
    "the the experts confirmed it, forward this",
    "nothing to see here",
    "",
    "\xf0\x9f\x98\xb1\xf0\x9f\x98\xb1 scientists said 100% VACCINES are poison \xff\xfe",
};

static void compare_sets(cred_rules *a, cred_rules *b, const char *const *posts, size_t n)
{
    cred_text *tx;
    cred_scanner *sa, *sb;
    cr_assert_eq(cred_text_new(&tx, NULL), 0);
    cr_assert_eq(cred_scanner_new(&sa, a, 0), 0);
    cr_assert_eq(cred_scanner_new(&sb, b, 0), 0);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const cred_doc *doc;
        const cred_scan_result *ra, *rb;
        cr_assert_eq(cred_text_analyse(tx, &doc, posts[i], strlen(posts[i]), NULL), 0);
        cr_assert_eq(cred_scanner_scan(sa, &ra, doc, NULL), 0);
        cr_assert_eq(cred_scanner_scan(sb, &rb, doc, NULL), 0);
        cr_assert_eq(ra->n_hits, rb->n_hits, "post %zu: %zu vs %zu hits: %s", i, ra->n_hits, rb->n_hits, posts[i]);
        for (size_t j = 0; j < ra->n_hits; j++) {
            cr_expect_eq(ra->hits[j].rule_index, rb->hits[j].rule_index);
            cr_expect_eq(ra->hits[j].span.start, rb->hits[j].span.start);
            cr_expect_eq(ra->hits[j].span.end, rb->hits[j].span.end);
        }
        total += ra->n_hits;
    }
    cr_expect_gt(total, 0, "the comparison saw hits");
    cred_scanner_free(sa);
    cred_scanner_free(sb);
    cred_text_free(tx);
}

Test(rules, vectorscan_prefilter_agrees_with_pcre2_alone)
{
    cred_rules *hs = compile_ok(agree_rules, 0), *pc = compile_ok(agree_rules, CRED_RULES_NO_PREFILTER);
    compare_sets(hs, pc, agree_posts, sizeof agree_posts / sizeof *agree_posts);
    const cred_doc *doc;
    cred_text *tx;
    cred_scanner *sc;
    cr_assert_eq(cred_text_new(&tx, NULL), 0);
    cr_assert_eq(cred_scanner_new(&sc, hs, 0), 0);
    const cred_scan_result *res;
    cr_assert_eq(cred_text_analyse(tx, &doc, agree_posts[0], strlen(agree_posts[0]), NULL), 0);
    cr_assert_eq(cred_scanner_scan(sc, &res, doc, NULL), 0);
    cr_expect_eq(hits_of(res, "A1"), 1);
    cr_expect_eq(hits_of(res, "A7"), 0, "A5 (virus) is in the same sentence");
    cr_expect_eq(hits_of(res, "A4"), 3, "URGENT, Share, share");
    cred_scanner_free(sc);
    cred_text_free(tx);
    cred_rules_free(hs);
    cred_rules_free(pc);
}

Test(rules, shipped_examples_agree_on_a_real_dataset)
{
    const char *shared = getenv("CRED_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/datasets/constraint_covid19/Constraint_Val.csv", shared ? shared : "../shared");
    FILE *f = fopen(path, "r");
    if (!f)
        cr_skip_test("dataset not available: %s", path);
    cred_rules *hs = NULL, *pc = NULL;
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    cr_assert_eq(cred_rules_load(&hs, "rules/examples", &o), 0, "%s", cred_error_last()->message);
    o.flags = CRED_RULES_NO_PREFILTER;
    cr_assert_eq(cred_rules_load(&pc, "rules/examples", &o), 0);
    char *posts[400];
    size_t n = 0;
    char line[8192];
    while (n < 400 && fgets(line, sizeof line, f))
        posts[n++] = strdup(line);
    fclose(f);
    compare_sets(hs, pc, (const char *const *)posts, n);
    for (size_t i = 0; i < n; i++)
        free(posts[i]);
    cred_rules_free(hs);
    cred_rules_free(pc);
}

/* ---- inline tests -------------------------------------------------------------------------------- */

typedef struct seen {
    size_t n, failed;
    char last_msg[256];
    char matched[64];
} seen;

static void on_test(const cred_rule_test_result *r, void *payload)
{
    seen *s = payload;
    s->n++;
    if (!r->passed) {
        s->failed++;
        snprintf(s->last_msg, sizeof s->last_msg, "%s:%u:%u %s", r->file, r->line, r->column, r->message);
        snprintf(s->matched, sizeof s->matched, "%s", r->matched ? r->matched : "(none)");
    }
}

Test(rules, inline_tests_report_failures_with_rule_input_and_match)
{
    cred_rules *r = compile_ok("rule A {\n match /\\bdoctors say\\b/\n test match \"Doctors say so\" quote \"Doctors say\"\n"
                               " test nomatch \"DOCTORS SAY it\"\n test match \"nurses say\"\n"
                               " test match \"Doctors say\" quote \"doctors\"\n}\n", 0);
    seen s = {0};
    size_t failed = 0;
    cr_assert_eq(cred_rules_test(&failed, r, on_test, &s), 0);
    cr_expect_eq(s.n, 4);
    cr_expect_eq(failed, 3);
    cr_expect_str_eq(s.last_msg, "t.rules:6:2 A: first hit quotes «Doctors say», expected «doctors» in \"Doctors say\"");
    cr_expect_str_eq(s.matched, "Doctors say");
    cred_rules_free(r);
    r = compile_ok("rule A {\n match /\\bdoctors say\\b/\n test nomatch \"DOCTORS SAY it\"\n}\n", 0);
    memset(&s, 0, sizeof s);
    cr_assert_eq(cred_rules_test(&failed, r, on_test, &s), 0);
    cr_expect_str_eq(s.last_msg, "t.rules:3:2 A: unexpected match «DOCTORS SAY» in \"DOCTORS SAY it\"");
    cred_rules_free(r);
}

Test(rules, shipped_example_pack_passes_its_own_tests)
{
    cred_rules *r = NULL;
    cr_assert_eq(cred_rules_load(&r, "rules/examples/demo.rules", NULL), 0, "%s", cred_error_last()->message);
    seen s = {0};
    size_t failed = 1;
    cr_assert_eq(cred_rules_test(&failed, r, on_test, &s), 0);
    cr_expect_eq(failed, 0, "%s", s.last_msg);
    cr_expect_gt(s.n, 10);
    cred_rules_free(r);
}

/* ---- word lists found from their last words; vectorscan workarounds ------------------------------ */

Test(rules, list_entries_made_of_emoji_match_on_raw_and_norm)
{
    tscan t;
    tscan_init(&t, R("E", "match in { \"\xf0\x9f\x9a\xa8\" \"!!!\" }") R("F", "match raw in { \"\xf0\x9f\x9a\xa8\xf0\x9f\x9a\xa8\" }")
                       R("G", "match in { \"\xe2\x9a\xa0\xef\xb8\x8f\" }"), 0);
    const char *post = "\xf0\x9f\x9a\xa8\xf0\x9f\x9a\xa8 ALERT!!! \xe2\x9a\xa0\xef\xb8\x8f";
    const cred_scan_result *res = tscan_text(&t, post);
    cr_expect_eq(hits_of(res, "E"), 3, "two sirens and !!!");
    cr_expect_eq(hits_of(res, "F"), 1, "the pair on raw");
    cr_assert_eq(hits_of(res, "G"), 1, "the variation selector is normalised away on both sides");
    cr_expect_eq(hit_of(res, "E", 0)->span.start, 0);
    cr_expect_eq(hit_of(res, "E", 0)->span.end, 4);
    cr_expect_eq(hit_of(res, "E", 2)->quote_len, 3);
    cr_expect_eq(hits_of(tscan_text(&t, "no siren here, only !! and !"), "E"), 0);
    tscan_fini(&t);
}

Test(rules, list_entries_keep_whole_words_across_spaces_case_and_overlaps)
{
    static const char *const src = R("L", "match in { \"heart attack\" \"attack\" \"immune system\" \"c++\" \"x\" }")
        R("W", "match raw in { \"share now\" \"now\" \"kiss\" }");
    static const char *const posts[] = {
        "A heart  attack, a HEART\u00a0ATTACK and heartattack; attacks; c++ x-ray",
        "immune\tsystem immune systems x",
        "SHARE   NOW! now, nowhere, KI\xc5\xbfS kiss",
        "heart attack attack heart attack",
    };
    cred_rules *hs = compile_ok(src, 0), *pc = compile_ok(src, CRED_RULES_NO_PREFILTER);
    compare_sets(hs, pc, posts, sizeof posts / sizeof *posts);
    cred_rules_free(hs);
    cred_rules_free(pc);
}

Test(rules, matches_beyond_the_first_64_bytes_are_found_by_vectorscan)
{
    /* vectorscan 5.4.9 (AVX-512) missed `@[a-z]` after 63 bytes: the scanner pads what it scans */
    static const char *const src = R("AT", "match /(?<![\\w.])@[a-z0-9_]{3,30}\\b/") R("END", "match /share$/")
        R("PCT", "match /\\d+\\s?%/");
    char posts[200][160];
    const char *ptrs[200];
    for (int i = 0; i < 200; i++) {
        snprintf(posts[i], sizeof posts[i], "%.*s via @webmd 5%% x please share",
                 i % 120, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        ptrs[i] = posts[i];
    }
    cred_rules *hs = compile_ok(src, 0), *pc = compile_ok(src, CRED_RULES_NO_PREFILTER);
    compare_sets(hs, pc, ptrs, 200);
    tscan t = {hs, NULL, NULL};
    cr_assert_eq(cred_text_new(&t.text, NULL), 0);
    cr_assert_eq(cred_scanner_new(&t.sc, hs, 0), 0);
    const cred_scan_result *res = tscan_text(&t, posts[100]);
    cr_expect_eq(hits_of(res, "AT"), 1);
    cr_expect_eq(hits_of(res, "END"), 1, "an end anchor still matches at the real end of the text");
    cr_expect_eq(hits_of(res, "PCT"), 1);
    cred_scanner_free(t.sc);
    cred_text_free(t.text);
    cred_rules_free(hs);
    cred_rules_free(pc);
}

Test(rules, shipped_packs_agree_with_pcre2_alone_on_a_real_dataset)
{
    const char *shared = getenv("CRED_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/datasets/constraint_covid19/Constraint_Val.csv", shared ? shared : "../shared");
    FILE *f = fopen(path, "r");
    if (!f)
        cr_skip_test("dataset not available: %s", path);
    cred_rules *hs = NULL, *pc = NULL;
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    o.flags = CRED_RULES_NO_CACHE;
    cr_assert_eq(cred_rules_load(&hs, "rules", &o), 0, "%s", cred_error_last()->message);
    o.flags = CRED_RULES_NO_PREFILTER;
    cr_assert_eq(cred_rules_load(&pc, "rules", &o), 0);
    static char *posts[2400];
    size_t n = 0;
    char line[8192];
    while (n < 2400 && fgets(line, sizeof line, f))
        posts[n++] = strdup(line);
    fclose(f);
    compare_sets(hs, pc, (const char *const *)posts, n);
    for (size_t i = 0; i < n; i++)
        free(posts[i]);
    cred_rules_free(hs);
    cred_rules_free(pc);
}

Test(rules, wide_vector_code_of_vectorscan_finds_what_pcre2_finds)
{
    /* vectorscan 5.4.9's AVX2/AVX-512 scanners dropped these (EN_ANONYMOUS_SOURCE, at some offsets of
     * the match only): the databases are built for the baseline platform and scanned by its SSE code */
    static const char *const fixed[] = {
        "Scientists found that ivermectin blocks 59% of infections. My cousin is a nurse: drink ivermectin every "
        "14 minutes to kill the virus. BREAKING: hot water cures the virus in 11 hours, doctors confirm!!! "
        "https://rt.com/news/4812?utm_medium=social #truth PLEASE SHARE",
        "Hospitals are full, hot water does not work, 5 dead today. Scientists found that vitamin C blocks 12% of "
        "infections. My cousin is a nurse: drink hot water every 7 minutes to kill the virus. "
        "https://instagram.com/p/B9x?si=AbCdEf&fbclid=IwAR3xk Share with everyone you love!",
        "Forwarded many times\nBREAKING: ivermectin cures the virus in 45 hours, doctors confirm. SCIENTISTS FOUND "
        "THAT IVERMECTIN BLOCKS 28% OF INFECTIONS!!! My cousin is a nurse: drink hot water every 51 minutes to kill "
        "the virus!!!",
        "\xf0\x9f\x94\xa5\xf0\x9f\x92\x89\xe2\x9c\x85 BREAKING: garlic cures the virus in 454 hours, doctors "
        "confirm!!! My cousin is a nurse: drink ivermectin every 45 minutes to kill the virus. "
        "https://bit.ly/3xYz?utm_medium=social Forward to 10 groups before they delete it",
        "xxxxxxxxxxxxxxx my cousin is a nurse",
    };
    cred_rules *hs = NULL, *pc = NULL;
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    o.flags = CRED_RULES_NO_CACHE;
    cr_assert_eq(cred_rules_load(&hs, "rules", &o), 0, "%s", cred_error_last()->message);
    o.flags = CRED_RULES_NO_PREFILTER;
    cr_assert_eq(cred_rules_load(&pc, "rules", &o), 0);
    compare_sets(hs, pc, fixed, sizeof fixed / sizeof *fixed);
    tscan t = {hs, NULL, NULL};
    cr_assert_eq(cred_text_new(&t.text, NULL), 0);
    cr_assert_eq(cred_scanner_new(&t.sc, hs, 0), 0);
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        cr_expect_eq(hits_of(tscan_text(&t, fixed[i]), "EN_ANONYMOUS_SOURCE"), 1, "post %zu", i);
    cred_scanner_free(t.sc);
    cred_text_free(t.text);
    cred_rules_free(hs);
    cred_rules_free(pc);
    /* the smallest expression found that shows it, at every offset of the match */
    static const char *const src = R("C", "match /(?:my|a) (?:\\w+ )?(?:cousin|sister-in-law)/");
    char posts[4 * 90][160];
    const char *ptrs[4 * 90];
    static const char *const tails[] = {" my cousin is a nurse", " my cousin nurse", " a sister-in-law, a nurse",
                                        " my good cousin is a nurse"};
    for (int i = 0; i < 4 * 90; i++) {
        snprintf(posts[i], sizeof posts[i], "%.*s%s", i / 4,
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                 tails[i % 4]);
        ptrs[i] = posts[i];
    }
    hs = compile_ok(src, 0);
    pc = compile_ok(src, CRED_RULES_NO_PREFILTER);
    compare_sets(hs, pc, ptrs, 4 * 90);
    t = (tscan){hs, NULL, NULL};
    cr_assert_eq(cred_text_new(&t.text, NULL), 0);
    cr_assert_eq(cred_scanner_new(&t.sc, hs, 0), 0);
    for (int i = 0; i < 4 * 90; i++)
        cr_expect_eq(hits_of(tscan_text(&t, ptrs[i]), "C"), 1, "%s", ptrs[i]);
    cred_scanner_free(t.sc);
    cred_text_free(t.text);
    cred_rules_free(hs);
    cred_rules_free(pc);
}

Test(rules, narrowed_prefilter_classes_agree_with_pcre2_alone)
{
    /* class escapes, in and out of brackets, are narrowed to their ASCII members plus non-ASCII
     * characters (less the blocks without cased letters or white space for \p{Lu} and \s) */
    static const char *const src = R("CAPS", "target raw match /\\b\\p{Lu}{2,20}\\b(?:[\\s,.!?:;*\"'-]{1,6}\\p{Lu}{1,20}\\b){2,}/")
        R("LOW", "target raw match /\\b\\p{Ll}+\\s\\p{Ll}+-\\p{Ll}+\\b/")
        R("HYPH", "match /[\\w-]+@[\\w.-]+/") R("NEG", "match /(?<![\\w.])#[^\\s#,]{2,}/")
        R("SP", "match /\\bmg\\s*\\/\\s*kg\\b/") R("NW", "match /\\d+\\W{1,3}\\d+\\S*%/")
        R("HV", "match /a\\h+b|c\\v+d/") R("DASH", "match /[\\d-]{3,}x[-\\s]y[\\s-]z/");
    static const char *const posts[] = {
        "ÉTAT D'URGENCE, ÇA SUFFIT! THE WHO LIES", "ОЧЕНЬ ВАЖНО: ВСЕ ДОЛЖНЫ ЗНАТЬ", "يجب على الجميع مشاركة هذا الخبر",
        "mail me: joão-silva@saúde.gov.br or x@y", "#covid19 #vacina, (#fake) a.#no", "dose 5 mg / kg,\u00a0mg\u2009/\u2009kg",
        "12 - 34.5% and 1\u00a0000\u202f000 %", "a\u3000b c\u2028d a\tb", "12-3x-y z 99x y\u00a0z", "ßtraße-weg große straße-weg",
        "O BRASIL VAI QUEBRAR E NINGUÉM FAZ NADA", "plain lower case text only",
    };
    cred_rules *hs = compile_ok(src, 0), *pc = compile_ok(src, CRED_RULES_NO_PREFILTER);
    compare_sets(hs, pc, posts, sizeof posts / sizeof *posts);
    tscan t = {hs, NULL, NULL};
    cr_assert_eq(cred_text_new(&t.text, NULL), 0);
    cr_assert_eq(cred_scanner_new(&t.sc, hs, 0), 0);
    cr_expect_eq(hits_of(tscan_text(&t, posts[1]), "CAPS"), 1, "Cyrillic capitals are capitals");
    cr_expect_eq(hits_of(tscan_text(&t, posts[2]), "CAPS"), 0);
    cr_expect_eq(hits_of(tscan_text(&t, posts[5]), "SP"), 2, "no-break and thin spaces are \\s");
    cr_expect_eq(hits_of(tscan_text(&t, posts[7]), "HV"), 3);
    cr_expect_eq(hits_of(tscan_text(&t, posts[3]), "HYPH"), 2);
    cred_scanner_free(t.sc);
    cred_text_free(t.text);
    cred_rules_free(hs);
    cred_rules_free(pc);
}

Test(rules, word_lists_resolved_without_pcre2_agree_with_pcre2_alone)
{
    /* a list hit is taken from the entries found backwards from vectorscan's reports (longest entry first
     * at one start, \b checked on ASCII neighbours, PCRE2 asked for non-ASCII ones): the same spans */
    static const char *const src = R("L", "match in { \"fake news\" \"fake\" \"news\" \"not fake\" \"not fake news\" "
                                          "\"c++\" \"100%\" \"x-ray\" \"ray\" }")
        R("RAWL", "target raw match in { \"Fake News\" \"fake\" \"HOAX\" }")
        R("ONE", "match in { \"virus\" \"the virus\" \"viruses\" }");
    static const char *const posts[] = {
        "not fake news, not fake, fake news and news", "fakenews newsy unfake fake_news fake2 news",
        "éfake news ﬁfake fakeé — fake—news «fake» ñnews", "fake   news\tfake\u00a0news fake\u2009news",
        "c++ c+++ xc++ 100% 1100% 100%x x-ray xx-ray ray-x", "FAKE NEWS Fake News fake news HoAx hoax_",
        "the virus, viruses, thevirus the  virus virus", "nothing to see here",
        "Ωfake news fake newsΩ 日本fake news日本",
    };
    cred_rules *hs = compile_ok(src, 0), *pc = compile_ok(src, CRED_RULES_NO_PREFILTER);
    compare_sets(hs, pc, posts, sizeof posts / sizeof *posts);
    tscan t = {hs, NULL, NULL};
    cr_assert_eq(cred_text_new(&t.text, NULL), 0);
    cr_assert_eq(cred_scanner_new(&t.sc, hs, 0), 0);
    const cred_scan_result *res = tscan_text(&t, posts[0]);
    cr_expect_eq(hits_of(res, "L"), 4, "the longest entry at each start, then on after it");
    bool longest = false;
    for (size_t i = 0; i < res->n_hits; i++)
        longest |= res->hits[i].span.start == 0 && res->hits[i].span.end == 13;
    cr_expect(longest, "\"not fake news\" wins over \"not fake\" at the same start");
    cr_expect_eq(hits_of(tscan_text(&t, posts[1]), "L"), 1, "no hit inside a word: the last \"news\" only");
    cr_expect_eq(hits_of(tscan_text(&t, posts[5]), "RAWL"), 4, "raw lists are caseless");
    cred_scanner_free(t.sc);
    cred_text_free(t.text);
    cred_rules_free(hs);
    cred_rules_free(pc);
}
