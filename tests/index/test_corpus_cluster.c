/* cred_corpus_cluster(): a cluster's figures from its postings in every segment and the log. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"
#include "tmpdir.h"


static void setup(void)
{
    dir_make("cred_corpus_cl");
}

static void teardown(void)
{
    dir_remove();
}

static cred_corpus *open_dir(unsigned flags)
{
    cred_corpus_options o = CRED_CORPUS_OPTIONS_INIT;
    o.flags = flags;
    o.flush_posts = 50; /* a commit of 50 or more goes straight to a segment */
    cred_corpus *c;
    int rc = cred_corpus_open(&c, dir, &o);
    cr_assert_eq(rc, 0, "open: %s", cred_error_last()->message);
    return c;
}

static const char base[] = "Boiled garlic water taken every morning cures the new virus in three days, the doctors "
                           "at the university hospital confirmed it, share with your family before it is deleted";

static void add(cred_corpus *c, const char *id, const char *text, int64_t date, const char *source)
{
    cred_post p;
    memset(&p, 0, sizeof p);
    p.id = id;
    p.text = text;
    p.text_len = strlen(text);
    p.date = date;
    p.source = source;
    p.start = p.end = -1;
    cr_assert_eq(cred_corpus_add(c, &p, NULL), 0);
}

/* member i of the cluster (0: the origin): exact copies and near ones, seven sources */
static void add_member(cred_corpus *c, size_t i)
{
    char id[16], text[512], src[16];
    snprintf(id, sizeof id, i ? "m%zu" : "o", i);
    if (i % 3 == 0)
        snprintf(text, sizeof text, "%s", base);
    else
        snprintf(text, sizeof text, "%s, forwarded %zu times", base, i);
    snprintf(src, sizeof src, "src%zu", i % 7);
    add(c, id, text, 1000 + (int64_t)i * 60, src);
}

static void add_other(cred_corpus *c, size_t i)
{
    char id[16], text[256];
    snprintf(id, sizeof id, "x%zu", i);
    snprintf(text, sizeof text, "The bakery on corner %zu sells %zu kinds of bread and opens at %zu on Sundays", i,
             i * 3 + 1, i % 9 + 6);
    add(c, id, text, 500 + (int64_t)i * 100, "bakery news");
}

static void expect_cluster(cred_corpus *c, const char *id, uint64_t size, int64_t last, const char *const *first6)
{
    cred_corpus_cluster_info cl;
    cr_assert_eq(cred_corpus_cluster(c, &cl, id, 6), 0, "%s", cred_error_last()->message);
    cr_expect_str_eq(cl.origin_id, "o");
    cr_expect_eq(cl.size, size, "size %llu", (unsigned long long)cl.size);
    cr_expect_eq(cl.sources, 7, "sources %llu", (unsigned long long)cl.sources);
    cr_expect_eq(cl.first_seen, 1000);
    cr_expect_eq(cl.last_seen, last, "last %lld", (long long)cl.last_seen);
    cr_assert_eq(cl.n_members, 6);
    for (size_t i = 0; i < 6; i++)
        cr_expect_str_eq(cl.members[i], first6[i], "member %zu", i);
}

Test(corpus_cluster, counts_members_across_segments_and_the_log_without_replaced_versions, .init = setup,
     .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE);
    for (size_t i = 0; i < 60; i++) { /* segment 1 */
        add_member(c, i);
        if (i % 6 == 0)
            add_other(c, i);
    }
    cr_assert_eq(cred_corpus_commit(c), 0);
    for (size_t i = 60; i < 120; i++) /* segment 2 */
        add_member(c, i);
    cr_assert_eq(cred_corpus_commit(c), 0);
    for (size_t i = 120; i < 150; i++) { /* the log, one post at a time */
        add_member(c, i);
        cr_assert_eq(cred_corpus_commit(c), 0);
    }
    cred_corpus_stats st;
    cr_assert_eq(cred_corpus_stats_get(c, &st), 0);
    cr_assert_eq(st.segments, 2);
    cr_assert_eq(st.log_posts, 30);
    const char *all6[] = {"o", "m1", "m2", "m3", "m4", "m5"};
    expect_cluster(c, "o", 150, 1000 + 149 * 60, all6);
    expect_cluster(c, "m77", 150, 1000 + 149 * 60, all6);
    expect_cluster(c, "m149", 150, 1000 + 149 * 60, all6);
    /* m5 (in segment 1) is replaced through the log by a post of another cluster */
    add(c, "m5", "Completely unrelated: the football match tonight starts at eight in the town stadium", 90000,
        "src3");
    cr_assert_eq(cred_corpus_commit(c), 0);
    const char *after6[] = {"o", "m1", "m2", "m3", "m4", "m6"};
    expect_cluster(c, "m100", 149, 1000 + 149 * 60, after6);
    cred_corpus_cluster_info cl;
    cr_assert_eq(cred_corpus_cluster(c, &cl, "m5", 0), 0);
    cr_expect_str_eq(cl.origin_id, "m5");
    cr_expect_eq(cl.size, 1);
    cr_expect_eq(cl.sources, 1);
    cr_expect_eq(cl.first_seen, 90000);
    cr_expect_eq(cl.n_members, 0);
    cr_expect_null(cl.members);
    cr_assert_eq(cred_corpus_cluster(c, &cl, "x6", 1), 0); /* the other posts: a cluster of their own */
    cr_expect_str_eq(cl.origin_id, "x0");
    cr_expect_eq(cl.size, 10, "%llu", (unsigned long long)cl.size);
    cr_expect_eq(cl.sources, 1);
    cr_expect_eq(cl.first_seen, 500);
    cr_expect_eq(cl.last_seen, 500 + 54 * 100);
    cr_assert_eq(cl.n_members, 1);
    cr_expect_str_eq(cl.members[0], "x0");
    cr_expect_eq(cred_corpus_cluster(c, &cl, "nope", 0), CRED_ENOTFOUND);
    cred_corpus_free(c);
    /* reopened (the log replayed as one segment), then compacted: the same figures */
    c = open_dir(CRED_CORPUS_WRITE);
    expect_cluster(c, "o", 149, 1000 + 149 * 60, after6);
    cr_assert_eq(cred_corpus_compact(c), 0);
    expect_cluster(c, "m149", 149, 1000 + 149 * 60, after6);
    cred_corpus_free(c);
}

Test(corpus_cluster, is_larger_than_the_hundred_hits_a_search_page_holds, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE);
    for (size_t i = 0; i < 400; i++)
        add_member(c, i);
    cr_assert_eq(cred_corpus_commit(c), 0);
    const char *all6[] = {"o", "m1", "m2", "m3", "m4", "m5"};
    expect_cluster(c, "m399", 400, 1000 + 399 * 60, all6);
    cred_corpus_free(c);
}
