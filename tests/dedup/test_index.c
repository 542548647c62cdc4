/* The dedup index on analysed posts: each forwarding edit, template siblings, chains, clusters. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credence.h"

static cred_text *text;
static cred_dedup *dd;

static void setup(void)
{
    cr_assert_eq(cred_text_new(&text, NULL), 0);
    cr_assert_eq(cred_dedup_new(&dd, NULL), 0);
}

static void teardown(void)
{
    cred_dedup_free(dd);
    cred_text_free(text);
}

static cred_dup_match add_at(const char *s, int64_t date, const char *source)
{
    const cred_doc *doc;
    cred_dup_match m;
    cr_assert_eq(cred_text_analyse(text, &doc, s, strlen(s), NULL), 0);
    cr_assert_eq(cred_dedup_add(dd, &m, doc, date, source), 0);
    return m;
}

static cred_dup_match add(const char *s)
{
    return add_at(s, CRED_DATE_UNKNOWN, NULL);
}

static const char *bulletin_en =
    "The health ministry confirmed today that the vaccination campaign for children starts next week "
    "in every district.\nParents should bring the vaccination card and an identity document.\n"
    "Details: https://health.example.org/campaign/children";

static const char *bulletin_fa =
    "وزارت بهداشت اعلام کرد که واکسیناسیون کودکان از هفته آینده در همه مناطق آغاز می‌شود.\n"
    "والدین باید کارت واکسن و مدرک شناسایی همراه داشته باشند. ساعت ۸ تا ۱۴";

#define EXPECT_COPY(m, of, rel)                                                                        \
    do {                                                                                               \
        cr_expect_eq((m).relation, rel, "relation %s", cred_dup_relation_name((m).relation));          \
        cr_expect_eq((m).parent, (of).doc);                                                            \
        cr_expect_eq((m).origin, (of).origin);                                                         \
    } while (0)

TestSuite(dedup, .init = setup, .fini = teardown);

Test(dedup, a_post_alone_is_its_own_origin)
{
    cred_dup_match a = add(bulletin_en);
    cr_assert_eq(a.relation, CRED_DUP_NONE);
    cr_assert_eq(a.parent, CRED_DUP_NO_DOC);
    cr_assert_eq(a.origin, a.doc);
    cr_assert_eq(a.similarity, 0);
}

Test(dedup, emoji_and_forward_line_and_signature_leave_an_exact_copy)
{
    cred_dup_match o = add(bulletin_en);
    char buf[1024];
    snprintf(buf, sizeof buf, "Forwarded as received\n🚨🚨 %s 🙏\n\nJoin us: https://t.me/health_news", bulletin_en);
    cred_dup_match c = add(buf);
    EXPECT_COPY(c, o, CRED_DUP_EXACT);
    cr_expect_eq(c.similarity, 1.0);
    snprintf(buf, sizeof buf, "Encaminhado\n%s\n@canal_saude", bulletin_en);
    EXPECT_COPY(add(buf), o, CRED_DUP_EXACT);
}

Test(dedup, tracking_parameters_and_scheme_changes_leave_an_exact_copy)
{
    cred_dup_match o = add(bulletin_en);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s?utm_source=whatsapp&fbclid=IwAR0xyz", bulletin_en);
    EXPECT_COPY(add(buf), o, CRED_DUP_EXACT);
}

Test(dedup, a_typo_and_a_cut_line_give_a_near_copy)
{
    cred_dup_match o = add(bulletin_en);
    const char *edited =
        "The health ministry confirmd today that the vacination campaign for children starts next week "
        "in every district.\nDetails: https://health.example.org/campaign/children";
    cred_dup_match c = add(edited);
    EXPECT_COPY(c, o, CRED_DUP_NEAR);
    cr_expect(c.similarity >= 0.45 && c.similarity < 1.0, "similarity %.3f", c.similarity);
}

Test(dedup, persian_yeh_kaf_zwnj_and_digits_do_not_hide_a_copy)
{
    cred_dup_match o = add(bulletin_fa);
    /* Arabic yeh and kaf, ZWNJ dropped, ASCII digits */
    const char *edited =
        "وزارت بهداشت اعلام كرد كه واكسيناسيون كودكان از هفته آينده در همه مناطق آغاز میشود.\n"
        "والدين بايد كارت واكسن و مدرك شناسايي همراه داشته باشند. ساعت 8 تا 14";
    cred_dup_match c = add(edited);
    cr_expect(c.relation == CRED_DUP_EXACT || c.relation == CRED_DUP_NEAR, "relation %s",
              cred_dup_relation_name(c.relation));
    cr_expect_eq(c.origin, o.doc);
}

Test(dedup, a_short_post_with_a_typo_is_attached)
{
    cred_dup_match o = add("Lemon tea with garlic cures covid in 3 days, share now!");
    cred_dup_match c = add("🍋 lemon tea with garlic cure covid in 3 days share now");
    EXPECT_COPY(c, o, CRED_DUP_NEAR);
}

Test(dedup, template_siblings_with_other_numbers_are_variants_not_copies)
{
    cred_dup_match a = add("📢 Daily bulletin of the district health office\nNew cases today: 152\n"
                           "Recovered: 87\nVaccination point open from 8 to 14 at the central school\n@health_office");
    cred_dup_match b = add("📢 Daily bulletin of the district health office\nNew cases today: 163\n"
                           "Recovered: 91\nVaccination point open from 8 to 14 at the central school\n@health_office");
    cr_expect_eq(b.relation, CRED_DUP_VARIANT);
    cr_expect_eq(b.parent, a.doc);
    cr_expect_eq(b.origin, b.doc, "a variant heads its own cluster");
    cred_dup_cluster c;
    cr_assert_eq(cred_dedup_cluster(dd, &c, a.doc), 0);
    cr_expect_eq(c.size, 1);
}

Test(dedup, bulletins_that_differ_in_one_link_are_variants)
{
    add("Official notice: registration for the exam is open, see https://uni.example.edu/exams/2024/physics "
        "for the rooms and times.");
    cred_dup_match b = add("Official notice: registration for the exam is open, see "
                           "https://uni.example.edu/exams/2024/chemistry for the rooms and times.");
    cr_expect_eq(b.relation, CRED_DUP_VARIANT);
}

Test(dedup, month_and_weekday_names_are_facts_and_every_forward_line_language_is_removed)
{
    cred_dup_match a = add("Vaccination of children at the district clinics starts on monday in march, bring the card");
    cred_dup_match b = add("Vaccination of children at the district clinics starts on friday in april, bring the card");
    cr_expect_eq(b.relation, CRED_DUP_VARIANT, "%s", cred_dup_relation_name(b.relation));
    cr_expect_eq(b.parent, a.doc);
    cred_dup_match fa = add("فوروارد شده\nVaccination of children at the district clinics starts on monday in march, "
                            "bring the card");
    EXPECT_COPY(fa, a, CRED_DUP_EXACT);
    cred_dup_match pt = add("Mensagem encaminhada\nVaccination of children at the district clinics starts on monday "
                            "in march, bring the card\nSiga o canal @saude_agora");
    EXPECT_COPY(pt, a, CRED_DUP_EXACT);
}

Test(dedup, unrelated_posts_are_not_linked)
{
    add(bulletin_en);
    cred_dup_match b = add("Garlic and lemon tea do not cure covid: there is no study showing any effect, "
                           "says the fact-checking agency in its weekly review of viral messages.");
    cr_expect_eq(b.relation, CRED_DUP_NONE);
}

Test(dedup, chains_keep_the_first_post_as_origin_and_link_to_the_best_match)
{
    cred_dup_match o = add(bulletin_en);
    const char *hop1 =
        "The health ministry confirmed today that the vaccination campaign for children starts next week "
        "in every district!!\nParents should bring the vaccination card and an identity document!!";
    const char *hop2 =
        "The health ministry confirmed today that the vaccination campaign for children starts next week "
        "in every district!!\nParents should bring the vaccination card and an identity document!! URGENT";
    cred_dup_match a = add_at(hop1, CRED_DATE_UNKNOWN, "group A");
    cred_dup_match b = add_at(hop2, CRED_DATE_UNKNOWN, "group B");
    cr_expect_eq(a.origin, o.doc);
    cr_expect_eq(b.origin, o.doc);
    cr_expect_eq(b.parent, a.doc, "the closest earlier post is the parent");
    cred_dup_cluster c;
    cr_assert_eq(cred_dedup_cluster(dd, &c, b.doc), 0);
    cr_expect_eq(c.origin, o.doc);
    cr_expect_eq(c.size, 3);
    cr_expect_eq(c.sources, 2);
}

Test(dedup, a_post_dated_before_its_match_does_not_link_to_it)
{
    add_at(bulletin_en, 2000, NULL);
    cred_dup_match b = add_at(bulletin_en, 1000, NULL);
    cr_expect_eq(b.relation, CRED_DUP_NONE);
    cred_dup_match c = add_at(bulletin_en, 3000, NULL);
    cr_expect_eq(c.relation, CRED_DUP_EXACT);
    cred_dup_cluster cl;
    cr_assert_eq(cred_dedup_cluster(dd, &cl, c.doc), 0);
    cr_expect_eq(cl.last_seen, 3000);
}

Test(dedup, query_does_not_insert)
{
    add(bulletin_en);
    const cred_doc *doc;
    cr_assert_eq(cred_text_analyse(text, &doc, bulletin_en, strlen(bulletin_en), NULL), 0);
    cred_dup_match m;
    cr_assert_eq(cred_dedup_query(dd, &m, doc, CRED_DATE_UNKNOWN), 0);
    cr_expect_eq(m.relation, CRED_DUP_EXACT);
    cr_expect_eq(m.doc, CRED_DUP_NO_DOC);
    cr_expect_eq(cred_dedup_count(dd), 1);
}

Test(dedup, a_clip_of_a_long_transcript_is_found)
{
    char lng[8192] = "", clip[4096] = "";
    static const char *w[] = {"vaccine", "doctor", "study", "people", "week", "hospital", "virus", "trial",
                              "result", "report", "village", "water", "school", "market", "river", "night"};
    unsigned x = 12345;
    for (int i = 0; i < 400; i++) {
        x = x * 1103515245u + 12345u;
        char word[32];
        snprintf(word, sizeof word, "%s%u ", w[(x >> 16) % 16], (x >> 8) % 7);
        strcat(lng, word);
        if (i >= 170 && i < 250)
            strcat(clip, word);
    }
    cred_dup_match t = add(lng);
    cred_dup_match c = add(clip);
    cr_expect_eq(c.relation, CRED_DUP_NEAR);
    cr_expect_eq(c.parent, t.doc);
}

static cred_dup_match add_part(const char *s, uint32_t whole)
{
    const cred_doc *doc;
    cred_dup_match m;
    cr_assert_eq(cred_text_analyse(text, &doc, s, strlen(s), NULL), 0);
    cr_assert_eq(cred_dedup_add_part(dd, &m, doc, CRED_DATE_UNKNOWN, "talk.vtt", whole), 0);
    return m;
}

Test(dedup, windows_of_a_transcript_are_parts_of_it_not_copies)
{
    char lng[8192] = "", win[3][4096] = {"", "", ""};
    static const char *w[] = {"vaccine", "doctor", "study", "people", "week", "hospital", "virus", "trial",
                              "result", "report", "village", "water", "school", "market", "river", "night"};
    unsigned x = 777;
    for (int i = 0; i < 240; i++) {
        x = x * 1103515245u + 12345u;
        char word[32];
        snprintf(word, sizeof word, "%s%u ", w[(x >> 16) % 16], (x >> 8) % 7);
        strcat(lng, word);
        strcat(win[i / 80], word);
    }
    cred_dup_match t = add_at(lng, CRED_DATE_UNKNOWN, "talk.vtt");
    for (int k = 0; k < 3; k++) {
        cred_dup_match p = add_part(win[k], t.doc);
        cr_expect_eq(p.relation, CRED_DUP_PART, "window %d: %s", k, cred_dup_relation_name(p.relation));
        cr_expect_eq(p.parent, t.doc);
        cr_expect_eq(p.origin, t.origin);
    }
    /* the one window of a short transcript has the whole's text and is still a part, not an exact copy */
    cred_dup_match one = add("a one line transcript about the river water report");
    cred_dup_match same = add_part("a one line transcript about the river water report", one.doc);
    cr_expect_eq(same.relation, CRED_DUP_PART);
    /* a forwarded clip of a window joins the transcript's cluster; parts do not count as copies */
    cred_dup_match clip = add(win[1]);
    cr_expect(clip.relation == CRED_DUP_EXACT || clip.relation == CRED_DUP_NEAR, "%s",
              cred_dup_relation_name(clip.relation));
    cr_expect_eq(clip.origin, t.doc);
    cred_dup_cluster c;
    cr_assert_eq(cred_dedup_cluster(dd, &c, t.doc), 0);
    cr_expect_eq(c.size, 2);
    cr_expect_str_eq(cred_dup_relation_name(CRED_DUP_PART), "part");
    cred_dup_match m;
    const cred_doc *doc;
    cr_assert_eq(cred_text_analyse(text, &doc, "x", 1, NULL), 0);
    cr_expect_eq(cred_dedup_add_part(dd, &m, doc, CRED_DATE_UNKNOWN, NULL, 1000), CRED_ENOTFOUND);
}

Test(dedup, options_out_of_range_are_rejected)
{
    cred_dedup *x = NULL;
    cred_dedup_options o = CRED_DEDUP_OPTIONS_INIT;
    o.bands = 64;
    o.rows = 4;
    cr_expect_eq(cred_dedup_new(&x, &o), CRED_EINVAL);
    cr_expect_null(x);
    o = (cred_dedup_options)CRED_DEDUP_OPTIONS_INIT;
    o.threshold = 0;
    cr_expect_eq(cred_dedup_new(&x, &o), CRED_EINVAL);
    cred_dedup_free(NULL);
}

Test(dedup, many_posts_keep_their_links_through_table_growth)
{
    char buf[256];
    for (int i = 0; i < 3000; i++) {
        snprintf(buf, sizeof buf, "message number %d about topic %d with some filler words %d", i, i * 7, i * 13);
        add(buf);
    }
    snprintf(buf, sizeof buf, "message number %d about topic %d with some filler words %d", 1234, 1234 * 7, 1234 * 13);
    cred_dup_match m = add(buf);
    cr_expect_eq(m.relation, CRED_DUP_EXACT);
    cr_expect_eq(m.parent, 1234u);
    cr_expect_eq(cred_dedup_count(dd), 3001);
    cred_dup_match g;
    cr_assert_eq(cred_dedup_get(dd, &g, 1234), 0);
    /* the other numbered messages are its template siblings, not its copies */
    cr_expect(g.relation == CRED_DUP_NONE || g.relation == CRED_DUP_VARIANT);
    cr_expect_eq(g.origin, 1234u);
    cr_expect_eq(cred_dedup_get(dd, &g, 5000), CRED_ENOTFOUND);
}

/* The band tables grow (by half, with the fullest band's slots in use) without changing a link: an
 * index that starts small and grows many times gives every post the same match as one sized for all
 * of them up front. Template siblings fill the bucket caps, so the growth moves capped buckets too. */
Test(dedup, growing_tables_link_like_tables_sized_up_front)
{
    cred_dedup *big;
    cred_dedup_options o = CRED_DEDUP_OPTIONS_INIT;
    o.capacity = 20000;
    cr_assert_eq(cred_dedup_new(&big, &o), 0);
    const char *templates[] = {"Clinic %d opens at %d on day %d, bring card %d and the form",
                               "Warning: %d cases of fever in district %d, call %d before %d",
                               "Forwarded news about vitamin %d curing %d people in village %d near %d"};
    char buf[256];
    size_t links = 0;
    for (int i = 0; i < 6000; i++) {
        int k = i % 5 == 4 ? i / 2 : i; /* every fifth post repeats the numbers of an earlier one */
        snprintf(buf, sizeof buf, templates[k % 3], k, k * 7 % 1000, k % 31, k * 13 % 977);
        if (i % 10 == 9)
            strcat(buf, " pls share"); /* a near copy rather than an exact one */
        const cred_doc *doc;
        cred_dup_match a, b;
        cr_assert_eq(cred_text_analyse(text, &doc, buf, strlen(buf), NULL), 0);
        cr_assert_eq(cred_dedup_add(dd, &a, doc, CRED_DATE_UNKNOWN, NULL), 0);
        cr_assert_eq(cred_dedup_add(big, &b, doc, CRED_DATE_UNKNOWN, NULL), 0);
        cr_assert_eq(a.relation, b.relation, "post %d: %s vs %s", i, cred_dup_relation_name(a.relation),
                     cred_dup_relation_name(b.relation));
        cr_assert_eq(a.parent, b.parent, "post %d", i);
        cr_assert_eq(a.origin, b.origin, "post %d", i);
        cr_assert_float_eq(a.similarity, b.similarity, 1e-12, "post %d", i);
        links += a.relation != CRED_DUP_NONE;
    }
    cr_expect_gt(links, 3000, "the posts are linked: %zu", links);
    cr_expect_lt(cred_dedup_memory(dd), cred_dedup_memory(big));
    cred_dedup_free(big);
}

/* Add (or query) a post to dd with cred_dedup_add() and to `other` from a cred_dedup_sign() signature
 * (through a copy of it, as a worker thread would hand it over): both must give the same links. */
static void same_both_ways(cred_dedup *other, cred_dup_signature *sig, const char *s, uint32_t whole, bool query)
{
    const cred_doc *doc;
    cred_dup_match a, b;
    cr_assert_eq(cred_text_analyse(text, &doc, s, strlen(s), NULL), 0);
    cr_assert_eq(cred_dedup_sign(sig, doc, NULL), 0);
    cred_dup_signature copy = *sig;
    uint8_t *sigs = malloc(sig->n_sigs * CRED_DUP_SIG_BYTES + 1);
    uint64_t *facts = malloc(sig->n_facts * sizeof *facts + 1);
    cr_assert(sigs && facts);
    memcpy(sigs, sig->sigs, sig->n_sigs * CRED_DUP_SIG_BYTES);
    memcpy(facts, sig->fact_bits, sig->n_facts * sizeof *facts);
    copy.sigs = sigs;
    copy.fact_bits = facts;
    copy.priv_ = NULL;
    if (query) {
        cr_assert_eq(cred_dedup_query(dd, &a, doc, 7), 0);
        cr_assert_eq(cred_dedup_query_signed(other, &b, &copy, 7), 0);
    } else if (whole != CRED_DUP_NO_DOC) {
        cr_assert_eq(cred_dedup_add_part(dd, &a, doc, 7, "talk.vtt", whole), 0);
        cr_assert_eq(cred_dedup_add_part_signed(other, &b, &copy, 7, "talk.vtt", whole), 0);
    } else {
        cr_assert_eq(cred_dedup_add(dd, &a, doc, 7, "chan"), 0);
        cr_assert_eq(cred_dedup_add_signed(other, &b, &copy, 7, "chan"), 0);
    }
    cr_expect_eq(a.doc, b.doc, "%s", s);
    cr_expect_eq(a.parent, b.parent, "%s", s);
    cr_expect_eq(a.origin, b.origin, "%s", s);
    cr_expect_eq(a.relation, b.relation, "%s: %s vs %s", s, cred_dup_relation_name(a.relation),
                 cred_dup_relation_name(b.relation));
    cr_expect_eq(a.similarity, b.similarity, "%s", s);
    if (!query) {
        cred_dup_cluster ca, cb;
        cr_assert_eq(cred_dedup_cluster(dd, &ca, a.doc), 0);
        cr_assert_eq(cred_dedup_cluster(other, &cb, b.doc), 0);
        cr_expect_eq(ca.origin, cb.origin);
        cr_expect_eq(ca.size, cb.size);
        cr_expect_eq(ca.sources, cb.sources);
    }
    free(sigs);
    free(facts);
}

Test(dedup, add_signed_links_like_add)
{
    cred_dedup *other;
    cr_assert_eq(cred_dedup_new(&other, NULL), 0);
    cred_dup_signature sig = CRED_DUP_SIGNATURE_INIT;
    static const char *posts[] = {
        "The health ministry confirmed today that the vaccination campaign for children starts next week in "
        "every district. Parents should bring the vaccination card and an identity document.",
        "Forwarded as received\nThe health ministry confirmed today that the vaccination campaign for children "
        "starts next week in every district!! Parents should bring the vaccination card.",
        "Price of rice today: 42 rupees per kilo at the central market, says the traders' union.",
        "Price of rice today: 45 rupees per kilo at the central market, says the traders' union.",
        "\U0001F600\U0001F600\U0001F600",
        "",
        "والدین باید کارت واکسن و مدرک شناسایی همراه داشته باشند. ساعت ۸ تا ۱۴",
    };
    for (size_t i = 0; i < sizeof posts / sizeof *posts; i++)
        same_both_ways(other, &sig, posts[i], CRED_DUP_NO_DOC, false);
    /* a long transcript (signed per window), its parts, then a clip and medium posts looked up by window */
    char lng[8192] = "", win[3][4096] = {"", "", ""}, medium[2048] = "";
    static const char *w[] = {"vaccine", "doctor", "study", "people", "week", "hospital", "virus", "trial",
                              "result", "report", "village", "water", "school", "market", "river", "night"};
    unsigned x = 4242;
    for (int i = 0; i < 240; i++) {
        x = x * 1103515245u + 12345u;
        char word[32];
        snprintf(word, sizeof word, "%s%u ", w[(x >> 16) % 16], (x >> 8) % 7);
        strcat(lng, word);
        strcat(win[i / 80], word);
        if (i >= 60 && i < 160)
            strcat(medium, word);
    }
    same_both_ways(other, &sig, lng, CRED_DUP_NO_DOC, false);
    uint32_t whole = (uint32_t)cred_dedup_count(dd) - 1;
    for (int k = 0; k < 3; k++)
        same_both_ways(other, &sig, win[k], whole, false);
    same_both_ways(other, &sig, medium, CRED_DUP_NO_DOC, true);
    same_both_ways(other, &sig, win[1], CRED_DUP_NO_DOC, false);
    same_both_ways(other, &sig, medium, CRED_DUP_NO_DOC, false);
    same_both_ways(other, &sig, posts[3], CRED_DUP_NO_DOC, true);
    cr_expect_eq(cred_dedup_count(dd), cred_dedup_count(other));
    cr_expect_eq(cred_dedup_memory(dd) > 0, true);

    /* a signature made with other window options does not fit the index */
    cred_dedup_options o = CRED_DEDUP_OPTIONS_INIT;
    o.window_words = 20;
    const cred_doc *doc;
    cr_assert_eq(cred_text_analyse(text, &doc, posts[0], strlen(posts[0]), NULL), 0);
    cr_assert_eq(cred_dedup_sign(&sig, doc, &o), 0);
    cred_dup_match m;
    cr_expect_eq(cred_dedup_add_signed(other, &m, &sig, 7, NULL), CRED_EINVAL);
    cred_dup_signature_free(&sig);
    cred_dup_signature_free(&sig);
    cred_dup_signature_free(NULL);
    cred_dedup_free(other);
}

/* Long posts made of many short texts, each copied (with edits) by many earlier posts, probe more
 * than the per-query candidate budget (1024 distinct entries over a post's windows and bands), so the
 * budget cuts the candidates off somewhere. Where it does must not depend on the tables' layout (their
 * size and growth history): an index grown from its smallest size and one sized up front give every
 * post the same match. */
static size_t lcg_next(uint64_t *s, size_t n)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (size_t)((*s >> 33) % n);
}

/* A pseudo-word of 4-7 letters; w names it. */
static size_t put_word(char *out, uint64_t w)
{
    uint64_t s = w * 0x9e3779b97f4a7c15ULL + 1;
    size_t n = 4 + lcg_next(&s, 4);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('a' + lcg_next(&s, 26));
    out[n] = ' ';
    return n + 1;
}

Test(dedup, the_candidate_budget_is_spent_the_same_whatever_the_table_layout)
{
    enum { FAR = 56, PER_FAR = 40, CLOSE = 24, PER_CLOSE = 40, IN_QUERY = 12, QUERIES = 300 };
    enum { N_FAR = FAR * PER_FAR, N_ADDED = N_FAR + CLOSE * PER_CLOSE, FAMILY_WORDS = 50, FILLER = 110 };
    cred_dedup *big;
    cred_dedup_options o = CRED_DEDUP_OPTIONS_INIT;
    o.capacity = 100000;
    cr_assert_eq(cred_dedup_new(&big, &o), 0);
    char *buf = malloc((FAR + IN_QUERY) * FAMILY_WORDS * 9 + FILLER * 9);
    cr_assert(buf);
    uint64_t seed = 42, fresh = 1u << 20;
    size_t linked = 0;
    for (int p = 0; p < N_ADDED + QUERIES; p++) {
        size_t len = 0;
        if (p < N_ADDED) {
            /* a family post (the close ones first, so that the tables grow after their buckets filled):
             * its family's text with words replaced (many in the far families, fewer in the close ones,
             * the fewer the higher the close family's number), then filler of its own */
            size_t f = p >= CLOSE * PER_CLOSE ? (size_t)p % FAR : FAR + (size_t)p % CLOSE;
            size_t rate = f < FAR ? 3 + lcg_next(&seed, 3) : 12 + (f - FAR) + lcg_next(&seed, 8);
            for (size_t i = 0; i < FAMILY_WORDS; i++)
                len += put_word(buf + len, lcg_next(&seed, rate) == 0 ? fresh++ : f * 1000 + i);
            for (size_t i = 0; i < FILLER; i++)
                len += put_word(buf + len, fresh++);
        } else {
            /* a query (not added): the texts of a run of far families, which spends most of the budget,
             * then of close families in rising order, the closest last */
            size_t n = 20 + lcg_next(&seed, FAR - 20), c = FAR + lcg_next(&seed, CLOSE - IN_QUERY + 1);
            for (size_t k = 0; k < n + IN_QUERY; k++)
                for (size_t i = 0; i < FAMILY_WORDS; i++)
                    len += put_word(buf + len, (k < n ? k : c + k - n) * 1000 + i);
        }
        const cred_doc *doc;
        cred_dup_match a, b;
        cr_assert_eq(cred_text_analyse(text, &doc, buf, len, NULL), 0);
        if (p < N_ADDED) {
            cr_assert_eq(cred_dedup_add(dd, &a, doc, CRED_DATE_UNKNOWN, NULL), 0);
            cr_assert_eq(cred_dedup_add(big, &b, doc, CRED_DATE_UNKNOWN, NULL), 0);
        } else {
            cr_assert_eq(cred_dedup_query(dd, &a, doc, CRED_DATE_UNKNOWN), 0);
            cr_assert_eq(cred_dedup_query(big, &b, doc, CRED_DATE_UNKNOWN), 0);
        }
        cr_assert_eq(a.relation, b.relation, "post %d: %s vs %s", p, cred_dup_relation_name(a.relation),
                     cred_dup_relation_name(b.relation));
        cr_assert_eq(a.parent, b.parent, "post %d: parent %u vs %u", p, a.parent, b.parent);
        cr_assert_eq(a.origin, b.origin, "post %d", p);
        cr_assert_float_eq(a.similarity, b.similarity, 1e-12, "post %d", p);
        linked += p >= N_ADDED && a.relation == CRED_DUP_NEAR;
    }
    cr_expect_gt(linked, QUERIES / 2, "the queries are near copies: %zu linked", linked);
    free(buf);
    cred_dedup_free(big);
}
