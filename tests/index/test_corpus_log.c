/* The log kept as small in-memory segments: every acknowledged post is found at once (id, search,
 * earlier copy), replacements hide the older version, and a reopened corpus agrees. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"
#include "tmpdir.h"


static void setup(void)
{
    dir_make("cred_corpus_log");
}

static void teardown(void)
{
    dir_remove();
}

static cred_corpus *open_dir(unsigned flags, size_t flush)
{
    cred_corpus_options o = CRED_CORPUS_OPTIONS_INIT;
    o.flags = flags;
    if (flush)
        o.flush_posts = flush;
    cred_corpus *c;
    int rc = cred_corpus_open(&c, dir, &o);
    cr_assert_eq(rc, 0, "open: %s", cred_error_last()->message);
    return c;
}

/* A word of letters only that no other post holds (stems to itself). */
static void word(char *out, size_t i)
{
    out[0] = 'q';
    out[1] = 'z';
    for (int k = 0; k < 4; k++, i /= 26)
        out[2 + k] = (char)('a' + i % 26);
    out[6] = 'x';
    out[7] = '\0';
}

/* Posts made of pseudo-random words, so that no two are near-duplicates (each heads its cluster). */
static void post_text(char *out, size_t cap, size_t i, unsigned version)
{
    char w[8];
    word(w, i);
    size_t n = (size_t)snprintf(out, cap, "%s v%u", w, version);
    uint64_t x = i * 0x9e3779b97f4a7c15ull + version;
    for (int k = 0; k < 12 && n + 10 < cap; k++) {
        out[n++] = ' ';
        for (int j = 0; j < 6; j++) {
            x ^= x >> 29;
            x *= 0xbf58476d1ce4e5b9ull;
            x ^= x >> 32;
            out[n++] = (char)('a' + x % 26);
        }
    }
    out[n] = '\0';
}

static void add_one(cred_corpus *c, const char *id, const char *text, int64_t date)
{
    cred_post p;
    memset(&p, 0, sizeof p);
    p.id = id;
    p.text = text;
    p.text_len = strlen(text);
    p.date = date;
    p.source = "chan";
    p.start = p.end = -1;
    cr_assert_eq(cred_corpus_add(c, &p, NULL), 0);
    cr_assert_eq(cred_corpus_commit(c), 0, "%s", cred_error_last()->message);
}

/* id found by cred_corpus_get, by a search for its own word, and as the exact copy of its text */
static void check_seen(cred_corpus *c, cred_text *t, size_t i, const char *text, const char *why)
{
    char id[32], w[8];
    snprintf(id, sizeof id, "p%zu", i);
    word(w, i);
    cred_corpus_post cp;
    cr_assert_eq(cred_corpus_get(c, &cp, id), 0, "%s: get %s", why, id);
    cr_assert_str_eq(cp.post.text, text, "%s", why);
    const cred_search_result *res;
    cred_search_options so = CRED_SEARCH_OPTIONS_INIT;
    cr_assert_eq(cred_corpus_search(c, &res, w, strlen(w), &so), 0);
    cr_assert_eq(res->n_hits, 1, "%s: search %s gives %zu hits", why, w, res->n_hits);
    cr_assert_str_eq(res->hits[0].post.post.id, id, "%s", why);
    const cred_doc *doc;
    cr_assert_eq(cred_text_analyse(t, &doc, text, strlen(text), NULL), 0);
    cr_assert_eq(cred_corpus_find_copy(c, &cp, doc, CRED_DATE_UNKNOWN), 0);
    cr_assert_eq(cp.relation, CRED_DUP_EXACT, "%s: find_copy of %s", why, id);
    cr_assert_str_eq(cp.post.id, id, "%s", why);
}

static void add_and_check(size_t flush, size_t n)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, flush);
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    char text[256], id[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "p%zu", i);
        post_text(text, sizeof text, i, 1);
        add_one(c, id, text, 1000 + (int64_t)i);
        check_seen(c, t, i, text, "right after its add");
        if (i % 97 == 0) /* an earlier post, seen again after later merges of the log */
            check_seen(c, t, i / 2, (post_text(text, sizeof text, i / 2, 1), text), "later");
    }
    /* replace every tenth post: the new text is found, the old one is not */
    for (size_t i = 0; i < n; i += 10) {
        snprintf(id, sizeof id, "p%zu", i);
        post_text(text, sizeof text, i, 2);
        add_one(c, id, text, 5000 + (int64_t)i);
        check_seen(c, t, i, text, "replaced");
    }
    cred_corpus_stats st;
    cr_assert_eq(cred_corpus_stats_get(c, &st), 0);
    cr_assert_eq(st.posts, n);
    cr_assert_eq(st.replaced, (n + 9) / 10);
    const cred_search_result *res;
    cred_search_options so = CRED_SEARCH_OPTIONS_INIT;
    so.limit = 1000;
    cr_assert_eq(cred_corpus_search(c, &res, "=v1", 3, &so), 0);
    cr_assert_eq(res->n_hits, n - (n + 9) / 10, "%zu", res->n_hits);
    cred_corpus_free(c);
    /* reopened: the log replayed (and any flushed segments) give the same answers */
    c = open_dir(0, flush);
    for (size_t i = 0; i < n; i += 7) {
        post_text(text, sizeof text, i, i % 10 == 0 ? 2 : 1);
        check_seen(c, t, i, text, "reopened");
    }
    cr_assert_eq(cred_corpus_stats_get(c, &st), 0);
    cr_assert_eq(st.posts, n);
    cred_corpus_free(c);
    cred_text_free(t);
}

Test(corpus_log, every_post_added_alone_is_found_at_once_in_the_log, .init = setup, .fini = teardown)
{
    add_and_check(100000, 300);
}

Test(corpus_log, every_post_added_alone_is_found_at_once_across_flushes, .init = setup, .fini = teardown)
{
    add_and_check(64, 300);
}

Test(corpus_log, a_thousand_single_adds_stay_in_the_log_and_are_all_searchable, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 100000);
    char text[256], id[32];
    for (size_t i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "p%zu", i);
        post_text(text, sizeof text, i, 1);
        add_one(c, id, text, 1000 + (int64_t)i);
    }
    cred_corpus_stats st;
    cr_assert_eq(cred_corpus_stats_get(c, &st), 0);
    cr_assert_eq(st.log_posts, 1000);
    cr_assert_eq(st.segments, 0);
    const cred_search_result *res;
    cred_search_options so = CRED_SEARCH_OPTIONS_INIT;
    so.limit = 2000;
    so.snippet_bytes = 0;
    cr_assert_eq(cred_corpus_search(c, &res, "=v1", 3, &so), 0);
    cr_assert_eq(res->n_hits, 1000);
    static bool seen[1000];
    for (size_t i = 0; i < res->n_hits; i++) { /* each post once */
        unsigned k = 0;
        cr_assert_eq(sscanf(res->hits[i].post.post.id, "p%u", &k), 1);
        cr_assert(k < 1000 && !seen[k], "%s", res->hits[i].post.post.id);
        seen[k] = true;
    }
    cred_corpus_free(c);
}

Test(corpus_log, copies_added_one_by_one_are_linked_to_their_cluster, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 100000);
    const char *base = "Drinking hot water with lemon every hour kills the virus in the throat before it reaches "
                       "the lungs, a nurse at the city hospital says, forward this to everyone you love";
    char text[512], id[32];
    add_one(c, "o", base, 100);
    for (size_t i = 0; i < 40; i++) { /* unrelated posts in between */
        snprintf(id, sizeof id, "p%zu", i);
        post_text(text, sizeof text, i, 1);
        add_one(c, id, text, 200 + (int64_t)i);
        snprintf(id, sizeof id, "c%zu", i);
        snprintf(text, sizeof text, "%s%s", base, i % 2 ? "" : "!!!");
        add_one(c, id, text, 300 + (int64_t)i);
    }
    for (size_t i = 0; i < 40; i++) {
        cred_corpus_post cp;
        snprintf(id, sizeof id, "c%zu", i);
        cr_assert_eq(cred_corpus_get(c, &cp, id), 0);
        cr_expect_neq(cp.relation, CRED_DUP_NONE, "%s", id);
        cr_expect_str_eq(cp.origin_id, "o", "%s", id);
    }
    const cred_search_result *res;
    cred_search_options so = CRED_SEARCH_OPTIONS_INIT;
    so.limit = 1000;
    cr_assert_eq(cred_corpus_search(c, &res, "cluster:o", 9, &so), 0);
    cr_expect_eq(res->n_hits, 41, "%zu", res->n_hits);
    cred_corpus_cluster_info cl;
    cr_assert_eq(cred_corpus_cluster(c, &cl, "c7", 3), 0);
    cr_expect_eq(cl.size, 41);
    cr_expect_str_eq(cl.origin_id, "o");
    cr_assert_eq(cl.n_members, 3);
    cr_expect_str_eq(cl.members[0], "o");
    cr_expect_str_eq(cl.members[1], "c0");
    cr_expect_str_eq(cl.members[2], "c1");
    cred_corpus_free(c);
}

/* A log flushed next to a large segment is linked through the segments' tables: the same links as
 * the log had, and as a reopened corpus reads. */
Test(corpus_log, a_flush_next_to_a_large_segment_keeps_the_copies_linked, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 64);
    char text[512], id[32];
    for (size_t i = 0; i < 3000; i++) { /* one batch: a segment of its own */
        snprintf(id, sizeof id, "p%zu", i);
        post_text(text, sizeof text, i, 1);
        cred_post p;
        memset(&p, 0, sizeof p);
        p.id = id;
        p.text = text;
        p.text_len = strlen(text);
        p.date = 1000 + (int64_t)i;
        p.start = p.end = -1;
        cr_assert_eq(cred_corpus_add(c, &p, NULL), 0);
    }
    cr_assert_eq(cred_corpus_commit(c), 0);
    /* 70 one-post commits: copies (exact, or with a word more) of stored posts and of each other;
       the 64th flushes the log into a segment (64 * 32 < 3000 signatures) */
    for (size_t i = 0; i < 70; i++) {
        size_t of = i * 37 % 3000;
        post_text(text, sizeof text, of, 1);
        if (i % 2)
            strcat(text, " again");
        snprintf(id, sizeof id, "c%zu", i);
        add_one(c, id, text, 9000 + (int64_t)i);
    }
    cred_corpus_stats st;
    cr_assert_eq(cred_corpus_stats_get(c, &st), 0);
    cr_assert_eq(st.segments, 2);
    cr_assert_eq(st.log_posts, 6);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < 70; i++) {
            cred_corpus_post cp;
            char want[32];
            snprintf(id, sizeof id, "c%zu", i);
            snprintf(want, sizeof want, "p%zu", i * 37 % 3000);
            cr_assert_eq(cred_corpus_get(c, &cp, id), 0);
            cr_expect_eq(cp.relation, i % 2 ? CRED_DUP_NEAR : CRED_DUP_EXACT, "%s (pass %d)", id, pass);
            cr_expect_str_eq(cp.origin_id, want, "%s (pass %d)", id, pass);
        }
        cred_corpus_free(c);
        c = open_dir(0, 64);
    }
    cred_corpus_free(c);
}
