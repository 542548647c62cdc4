/* Scopes (same sentence, within N sentences, before/after, post) and combinations (and/or/not/counts). */
#include "rules/helpers.h"

#define BASE                                                                  \
    "rule CLAIM { match /\\bcures?\\b/ }\n"                                   \
    "rule SOURCE { match /\\b(doi|nejm|study)\\b/ }\n"                        \
    "rule NAMED { match /\\baccording to dr\\b/ }\n"

static size_t score(const char *rule_tail, const char *text)
{
    char src[2048];
    snprintf(src, sizeof src, BASE "rule R {\n describe \"r\" category claim weight +1 cap 10\n %s\n}\n", rule_tail);
    tscan t;
    tscan_init(&t, src, 0);
    size_t n = hits_of(tscan_text(&t, text), "R");
    tscan_fini(&t);
    return n;
}

Test(rules, unless_within_sentence_looks_only_at_the_same_sentence)
{
    const char *tail = "match CLAIM unless SOURCE within sentence";
    cr_expect_eq(score(tail, "Garlic cures covid. A study says so."), 1);
    cr_expect_eq(score(tail, "Garlic cures covid, a study says so."), 0);
}

Test(rules, within_n_sentences_counts_both_directions)
{
    const char *tail = "match CLAIM unless SOURCE within 1 sentences";
    cr_expect_eq(score(tail, "A study says so. Garlic cures covid."), 0);
    cr_expect_eq(score(tail, "Garlic cures covid. A study says so."), 0);
    cr_expect_eq(score(tail, "Garlic cures covid. Really. A study says so."), 1);
    cr_expect_eq(score("match CLAIM unless SOURCE within 2 sentences", "Garlic cures covid. Really. A study says so."), 0);
}

Test(rules, after_and_before_restrict_the_direction)
{
    const char *after = "match CLAIM unless SOURCE within 1 sentence after";
    cr_expect_eq(score(after, "Garlic cures covid. A study says so."), 0);
    cr_expect_eq(score(after, "A study says so. Garlic cures covid."), 1);
    const char *before = "match CLAIM unless SOURCE within 1 sentences before";
    cr_expect_eq(score(before, "Garlic cures covid. A study says so."), 1);
    cr_expect_eq(score(before, "A study says so. Garlic cures covid."), 0);
}

Test(rules, in_post_and_the_default_scope_look_at_the_whole_post)
{
    const char *text = "Garlic cures covid. One. Two. Three. A study says so.";
    cr_expect_eq(score("match CLAIM unless SOURCE in post", text), 0);
    cr_expect_eq(score("match CLAIM unless SOURCE", text), 0);
    cr_expect_eq(score("match CLAIM require SOURCE", text), 1);
    cr_expect_eq(score("match CLAIM require SOURCE", "Garlic cures covid."), 0);
}

Test(rules, not_and_or_combine_references)
{
    cr_expect_eq(score("match CLAIM unless SOURCE or NAMED within sentence", "Garlic cures covid according to dr Li."), 0);
    cr_expect_eq(score("match CLAIM unless SOURCE or NAMED within sentence", "Garlic cures covid."), 1);
    cr_expect_eq(score("match CLAIM require SOURCE and NAMED within sentence", "Garlic cures, a study according to dr Li."), 1);
    cr_expect_eq(score("match CLAIM require SOURCE and NAMED within sentence", "Garlic cures, a study."), 0);
    cr_expect_eq(score("match CLAIM require not SOURCE within sentence", "Garlic cures."), 1);
    cr_expect_eq(score("match CLAIM require not (SOURCE or NAMED)", "Garlic cures. according to dr Li"), 0);
}

Test(rules, counts_compare_the_number_of_hits_in_scope)
{
    cr_expect_eq(score("match CLAIM require count(CLAIM) >= 2", "Garlic cures. Lemon cures."), 2);
    cr_expect_eq(score("match CLAIM require count(CLAIM) >= 2 within sentence", "Garlic cures. Lemon cures."), 0);
    cr_expect_eq(score("match CLAIM require count(SOURCE) == 0", "Garlic cures."), 1);
    cr_expect_eq(score("match CLAIM require count(SOURCE) < 1", "Garlic cures, study."), 0);
    cr_expect_eq(score("match CLAIM require count(SOURCE) > 1", "Garlic cures, study, nejm."), 1);
    cr_expect_eq(score("match CLAIM require count(SOURCE) <= 1", "Garlic cures, study, nejm."), 0);
}

Test(rules, n_of_needs_that_many_different_rules)
{
    const char *tail = "match CLAIM require 2 of (SOURCE, NAMED, CLAIM) within sentence";
    cr_expect_eq(score(tail, "Garlic cures, says a study."), 1);
    cr_expect_eq(score(tail, "Garlic cures. A study."), 0);
    EXPECT_ERROR_AT("rule A { match /x/ require 3 of (A1, A2) }\nrule A1 { match /y/ }\nrule A2 { match /z/ }\n",
                    "between 1 and 2", 1, 28);
}

Test(rules, match_of_another_rule_takes_its_hits_and_spans)
{
    tscan t;
    tscan_init(&t, BASE "rule R { describe \"r\" category claim match CLAIM match SOURCE weight 1 cap 5 }\n", 0);
    const cred_scan_result *res = tscan_text(&t, "A study: garlic cures.");
    cr_assert_eq(hits_of(res, "R"), 2);
    const cred_rule_hit *h = hit_of(res, "R", 0);
    cr_expect_eq(h->span.start, 2);
    cr_expect_eq(h->span.end, 7);
    cr_expect_eq(hit_of(res, "R", 1)->span.start, 16);
    cr_expect_eq(hits_of(res, "CLAIM"), 0, "weight-0 building blocks are not scored");
    tscan_fini(&t);
}

Test(rules, metadata_hits_count_as_anywhere_in_scopes)
{
    tscan t;
    tscan_init(&t, "rule FWD { match forwarded_from /./ }\n"
                   "rule R { describe \"r\" category claim match /\\bcures\\b/ require FWD within sentence weight 1 }\n", 0);
    cred_post p;
    memset(&p, 0, sizeof p);
    p.forwarded_from = "unknown";
    cr_expect_eq(hits_of(tscan_post(&t, "One. Two. Garlic cures.", &p), "R"), 1);
    cr_expect_eq(hits_of(tscan_post(&t, "One. Two. Garlic cures.", NULL), "R"), 0);
    tscan_fini(&t);
}
