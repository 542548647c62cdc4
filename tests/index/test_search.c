/* Searching a corpus: words by stem, exact forms, phrases, prefixes, boolean logic, filters, ranking,
 * snippets and column-precise query errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"

static char dir[64];
static cred_corpus *c;

static void add(const char *id, const char *text, int64_t date, const char *source, const char *author)
{
    cred_post p;
    memset(&p, 0, sizeof p);
    p.id = id;
    p.text = text;
    p.text_len = strlen(text);
    p.date = date;
    p.source = source;
    p.author = author;
    p.start = p.end = -1;
    cr_assert_eq(cred_corpus_add(c, &p, NULL), 0);
}

#define DAY 86400
#define T0 1583020800 /* 2020-03-01 */

static void setup(void)
{
    strcpy(dir, "/tmp/cred_search_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cred_corpus_options o = CRED_CORPUS_OPTIONS_INIT;
    o.flags = CRED_CORPUS_CREATE;
    o.flush_posts = 6; /* the first batch becomes a segment, the second stays in the log */
    cr_assert_eq(cred_corpus_open(&c, dir, &o), 0);
    add("e1", "Ivermectin cures the virus, doctors are hiding it!", T0, "Health Truth", "Ana");
    add("e2", "The WHO published a study on ivermectin: no effect on the virus. https://who.int/x", T0 + DAY, "Fact Check", "Bo");
    add("e3", "Vaccines are tested in large trials before approval.", T0 + 2 * DAY, "Fact Check", "Bo");
    add("e4", "Vaccinated people can still catch the virus but rarely get severe illness.", T0 + 3 * DAY, "News", "Cy");
    add("e5", "Garlic water at the end of the day protects you from the virus", T0 + 4 * DAY, "Health Truth", "Ana");
    add("e6", "A vacina é segura e eficaz, dizem os médicos.", T0 + 5 * DAY, "Saude", "Di");
    cr_assert_eq(cred_corpus_commit(c), 0);
    add("e7", "One of the best sources of vitamin C is the orange.", T0 + 6 * DAY, "News", "Cy");
    add("e8", "Ivermectin ivermectin ivermectin: the miracle cure they ban", T0 + 7 * DAY, "Health Truth", "Ed");
    cr_assert_eq(cred_corpus_commit(c), 0);
}

static void teardown(void)
{
    cred_corpus_free(c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Ids of the hits joined by spaces, in rank order (or sorted when sorted is true). */
static const char *ids(const char *q, bool sorted)
{
    static char buf[512];
    const cred_search_result *r;
    cred_search_options o = CRED_SEARCH_OPTIONS_INIT;
    o.limit = 100;
    int rc = cred_corpus_search(c, &r, q, strlen(q), &o);
    cr_assert_eq(rc, 0, "%s: %s", q, cred_error_last()->message);
    const char *v[100];
    for (size_t i = 0; i < r->n_hits; i++)
        v[i] = r->hits[i].post.post.id;
    if (sorted)
        for (size_t i = 1; i < r->n_hits; i++)
            for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
                const char *t = v[j];
                v[j] = v[j - 1];
                v[j - 1] = t;
            }
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_hits; i++) {
        if (i)
            strcat(buf, " ");
        strcat(buf, v[i]);
    }
    return buf;
}

TestSuite(search, .init = setup, .fini = teardown);

Test(search, words_match_any_inflection_across_segment_and_log)
{
    cr_assert_str_eq(ids("ivermectin", true), "e1 e2 e8");
    cr_assert_str_eq(ids("vaccinated", true), "e3 e4"); /* stem vaccin */
    cr_assert_str_eq(ids("=vaccinated", true), "e4");   /* exact form only */
    cr_assert_str_eq(ids("IVERMECTIN", true), "e1 e2 e8");
}

Test(search, the_most_relevant_post_ranks_first)
{
    cr_assert_str_eq(ids("ivermectin", false), "e8 e1 e2");
}

Test(search, boolean_operators_and_parentheses)
{
    cr_assert_str_eq(ids("ivermectin virus", true), "e1 e2");
    cr_assert_str_eq(ids("ivermectin AND virus", true), "e1 e2");
    cr_assert_str_eq(ids("garlic OR orange", true), "e5 e7");
    cr_assert_str_eq(ids("virus NOT ivermectin", true), "e4 e5");
    cr_assert_str_eq(ids("virus -ivermectin -garlic", true), "e4");
    cr_assert_str_eq(ids("(garlic OR ivermectin) virus -study", true), "e1 e5");
    cr_assert_str_eq(ids("NOT virus", true), "e3 e6 e7 e8");
}

Test(search, phrases_need_adjacent_words_in_order_including_stop_words)
{
    cr_assert_str_eq(ids("\"the virus\"", true), "e1 e2 e4 e5");
    cr_assert_str_eq(ids("\"of the\"", true), "e5 e7");
    cr_assert_str_eq(ids("\"virus the\"", true), "");
    cr_assert_str_eq(ids("\"miracle cure\"", true), "e8");
    cr_assert_str_eq(ids("\"cure miracle\"", true), "");
}

Test(search, prefixes_expand_over_stems_and_forms)
{
    cr_assert_str_eq(ids("vacc*", true), "e3 e4");
    cr_assert_str_eq(ids("vac*", true), "e3 e4 e6");
    cr_assert_str_eq(ids("zzz*", true), "");
}

Test(search, field_filters_select_without_changing_order)
{
    cr_assert_str_eq(ids("virus source:\"health truth\"", true), "e1 e5");
    cr_assert_str_eq(ids("author:bo", true), "e2 e3");
    cr_assert_str_eq(ids("lang:pt", true), "e6");
    cr_assert_str_eq(ids("virus -source:\"Health Truth\"", true), "e2 e4");
    cr_assert_str_eq(ids("source:nobody", true), "");
}

Test(search, date_windows_are_half_open_and_never_add_hits)
{
    cr_assert_str_eq(ids("virus after:2020-03-02", true), "e2 e4 e5");
    cr_assert_str_eq(ids("virus before:2020-03-02", true), "e1");
    cr_assert_str_eq(ids("virus after:2020-03-02 before:2020-03-05", true), "e2 e4");
    cr_assert_str_eq(ids("after:2020-03-07", false), "e8 e7"); /* filters only: newest first */
    cr_assert_str_eq(ids("virus after:2030-01-01", true), "");
}

Test(search, snippets_mark_the_matching_words_in_the_raw_text)
{
    const cred_search_result *r;
    const char *q = "doctors hiding";
    cr_assert_eq(cred_corpus_search(c, &r, q, strlen(q), NULL), 0);
    cr_assert_eq(r->n_hits, 1);
    const cred_search_hit *h = &r->hits[0];
    cr_assert_eq(h->n_highlights, 2);
    cr_assert_eq(strncmp(h->snippet + h->highlights[0].start, "doctors", 7), 0);
    cr_assert_eq(h->highlights[0].end - h->highlights[0].start, 7);
    cr_assert_eq(strncmp(h->snippet + h->highlights[1].start, "hiding", 6), 0);
    q = "médicos";
    cr_assert_eq(cred_corpus_search(c, &r, q, strlen(q), NULL), 0);
    cr_assert_eq(r->n_hits, 1);
    h = &r->hits[0];
    cr_assert_eq(h->n_highlights, 1);
    cr_assert_eq(strncmp(h->snippet + h->highlights[0].start, "médicos", strlen("médicos")), 0);
}

static void syntax_error(const char *q, uint64_t column)
{
    const cred_search_result *r;
    cr_assert_eq(cred_corpus_search(c, &r, q, strlen(q), NULL), CRED_ESYNTAX, "%s", q);
    cr_assert_eq(cred_error_last()->column, column, "%s: column %llu, %s", q,
                 (unsigned long long)cred_error_last()->column, cred_error_last()->message);
}

Test(search, query_errors_point_at_the_column)
{
    syntax_error("virus AND", 10);
    syntax_error("(garlic OR virus", 17);
    syntax_error("garlic)", 7);
    syntax_error("\"open phrase", 1);
    syntax_error("colour:red", 1);
    syntax_error("after:yesterday", 7);
    syntax_error("validity<abc", 10);
    syntax_error("garlic OR after:2020-01-01", 11);
    syntax_error("", 1);
    const cred_search_result *r;
    char big[CRED_LIMIT_QUERY_BYTES + 2];
    memset(big, 'a', sizeof big);
    cr_assert_eq(cred_corpus_search(c, &r, big, sizeof big, NULL), CRED_ELIMIT);
    char many[CRED_LIMIT_QUERY_TERMS * 4 + 8] = "";
    for (int i = 0; i <= CRED_LIMIT_QUERY_TERMS; i++)
        strcat(many, "ab ");
    cr_assert_eq(cred_corpus_search(c, &r, many, strlen(many), NULL), CRED_ELIMIT);
    cr_assert_eq(cred_error_last()->column, CRED_LIMIT_QUERY_TERMS * 3 + 1);
}

Test(search, limits_cut_the_result_list)
{
    cred_search_options o = CRED_SEARCH_OPTIONS_INIT;
    o.limit = 2;
    const cred_search_result *r;
    cr_assert_eq(cred_corpus_search(c, &r, "virus", 5, &o), 0);
    cr_assert_eq(r->n_hits, 2);
    cr_assert_geq(r->matches, 2);
    cr_assert_geq(r->hits[0].score, r->hits[1].score);
}
