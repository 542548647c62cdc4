/* Points: caps on repeated hits, group bounds (max / min), building blocks, explanations, totals. */
#include "rules/helpers.h"

Test(rules, cap_limits_how_many_hits_score)
{
    tscan t;
    tscan_init(&t, "rule R { describe \"Share\" category pressure match \"share\" weight +0.5 cap 2 }\n", 0);
    const cred_scan_result *res = tscan_text(&t, "share share share share");
    cr_assert_eq(res->n_hits, 4, "every hit is reported");
    cr_expect(res->hits[0].points == 0.5 && res->hits[1].points == 0.5);
    cr_expect(res->hits[2].points == 0 && res->hits[3].points == 0);
    cr_expect_eq(res->hits[2].flags, CRED_HIT_CAPPED);
    cr_expect(res->hits[3].raw_points == 0.5);
    cr_expect(res->total == 1.0, "total %f", res->total);
    cr_expect_eq(res->suppressed, 2);
    tscan_fini(&t);
}

Test(rules, default_cap_is_one)
{
    tscan t;
    tscan_init(&t, "rule R { describe \"d\" category style match /!!+/ weight +0.3 }\n", 0);
    const cred_scan_result *res = tscan_text(&t, "wow!!! really!!!");
    cr_expect_eq(res->n_hits, 2);
    cr_expect(res->total == 0.3);
    tscan_fini(&t);
}

Test(rules, group_max_bounds_the_sum_and_marks_what_it_cut)
{
    tscan t;
    tscan_init(&t, "group P { describe \"pressure\" max 1.5 }\n"
                   "rule A { describe \"a\" category pressure group P match \"urgent\" weight +1.0 }\n"
                   "rule B { describe \"b\" category pressure group P match \"share now\" weight +1.0 }\n"
                   "rule C { describe \"c\" category pressure group P match \"delete\" weight +1.0 }\n"
                   "rule D { describe \"d\" category claim match \"cures\" weight +2.0 }\n", 0);
    const cred_scan_result *res = tscan_text(&t, "URGENT: garlic cures, share now before they delete it");
    cr_assert_eq(res->n_hits, 4);
    const cred_rule_hit *a = hit_of(res, "A", 0), *b = hit_of(res, "B", 0), *c = hit_of(res, "C", 0),
                        *d = hit_of(res, "D", 0);
    cr_expect(a->points == 1.0 && a->flags == 0);
    cr_expect(b->points == 0.5 && b->flags == CRED_HIT_GROUP_LIMITED, "b %f", b->points);
    cr_expect(c->points == 0 && c->flags == CRED_HIT_GROUP_LIMITED);
    cr_expect(d->points == 2.0 && d->flags == 0, "rules outside the group are not bounded");
    cr_expect(res->total == 3.5, "total %f", res->total);
    cr_expect_str_eq(a->rule->group, "P");
    tscan_fini(&t);
}

Test(rules, group_min_bounds_nice_rules)
{
    tscan t;
    tscan_init(&t, "group SRC { min -2.0 }\n"
                   "nice rule A { describe \"a\" category source group SRC match \"nejm\" weight -1.5 }\n"
                   "nice rule B { describe \"b\" category source group SRC match \"lancet\" weight -1.5 }\n", 0);
    const cred_scan_result *res = tscan_text(&t, "NEJM and Lancet agree");
    cr_assert_eq(res->n_hits, 2);
    cr_expect(res->total == -2.0, "total %f", res->total);
    cr_expect(hit_of(res, "B", 0)->points == -0.5);
    cr_expect(hit_of(res, "A", 0)->rule->nice);
    tscan_fini(&t);
}

Test(rules, explanation_quotes_the_raw_match)
{
    tscan t;
    tscan_init(&t, "rule VAGUE { describe \"Unnamed experts\" category attribution\n"
                   "  match /\\bdoctors (say|confirm(ed)?)\\b/ weight +1.1\n"
                   "  explain \"{rule}: cites unnamed authorities: «{match}» ({describe})\" }\n"
                   "rule PLAIN { describe \"Plain description\" category style match \"lemon\" weight +0.1 }\n", 0);
    const cred_scan_result *res = tscan_text(&t, "DOCTORS CONFIRMED that lemon water works");
    cr_assert_eq(res->n_hits, 2);
    cr_expect_str_eq(res->hits[0].explain, "VAGUE: cites unnamed authorities: «DOCTORS CONFIRMED» (Unnamed experts)");
    cr_expect_str_eq(res->hits[1].explain, "Plain description", "describe is the default explanation");
    cr_expect_eq(res->hits[0].quote_len, 17);
    cr_expect(memcmp(res->hits[0].quote, "DOCTORS CONFIRMED", 17) == 0);
    cr_expect_eq(res->hits[0].sentence, 0);
    tscan_fini(&t);
}

Test(rules, rules_for_another_language_do_not_fire)
{
    tscan t;
    tscan_init(&t, "rule PT { describe \"d\" category pressure lang pt es match \"compartilhe\" weight 1 }\n"
                   "rule ANY { describe \"d\" category pressure lang any match \"compartilhe\" weight 1 }\n", 0);
    const cred_doc *doc;
    const cred_scan_result *res;
    const char *en = "compartilhe is a word that I am writing in an English sentence about the weather today";
    cr_assert_eq(cred_text_analyse(t.text, &doc, en, strlen(en), "en"), 0);
    cr_assert_eq(cred_scanner_scan(t.sc, &res, doc, NULL), 0);
    cr_expect_eq(hits_of(res, "PT"), 0);
    cr_expect_eq(hits_of(res, "ANY"), 1);
    const char *pt = "compartilhe com todos os seus amigos";
    cr_assert_eq(cred_text_analyse(t.text, &doc, pt, strlen(pt), "pt"), 0);
    cr_assert_eq(cred_scanner_scan(t.sc, &res, doc, NULL), 0);
    cr_expect_eq(hits_of(res, "PT"), 1);
    tscan_fini(&t);
}

Test(rules, per_rule_statistics_count_posts_and_hits)
{
    cred_rules *r = compile_ok("rule A { describe \"d\" category style match \"wow\" weight 1 cap 5 }\n"
                               "rule B { describe \"d\" category style match \"never\" weight 1 }\n", 0);
    cred_text *tx;
    cred_scanner *sc;
    cr_assert_eq(cred_text_new(&tx, NULL), 0);
    cr_assert_eq(cred_scanner_new(&sc, r, CRED_SCANNER_PROFILE), 0);
    const char *posts[] = {"wow wow", "nothing", "wow"};
    for (int i = 0; i < 3; i++) {
        const cred_doc *doc;
        const cred_scan_result *res;
        cr_assert_eq(cred_text_analyse(tx, &doc, posts[i], strlen(posts[i]), NULL), 0);
        cr_assert_eq(cred_scanner_scan(sc, &res, doc, NULL), 0);
    }
    const cred_rule_stats *st;
    cred_scanner_stats(sc, &st);
    cr_expect_eq(st[0].posts, 2);
    cr_expect_eq(st[0].hits, 3);
    cr_expect_eq(st[0].confirms, 2, "PCRE2 only runs where the prefilter found a candidate");
    cr_expect_eq(st[1].hits, 0);
    cr_expect_eq(st[1].confirms, 0);
    cred_scanner_stats_reset(sc);
    cred_scanner_stats(sc, &st);
    cr_expect_eq(st[0].hits, 0);
    cr_expect_eq(cred_scanner_rules(sc), r);
    cred_scanner_free(sc);
    cred_text_free(tx);
    cred_rules_free(r);
}
