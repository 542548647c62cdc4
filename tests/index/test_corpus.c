/* The corpus directory: durability, replace-by-id, round trips, damage, compaction. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"
#include "tmpdir.h"


static void setup(void)
{
    dir_make("cred_corpus");
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

static uint64_t live(cred_corpus *c)
{
    cred_corpus_stats s;
    cr_assert_eq(cred_corpus_stats_get(c, &s), 0);
    return s.posts;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return s;
}

Test(corpus, committed_posts_survive_reopening_from_the_log, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 0);
    add(c, "a1", "Garlic cures the virus in 3 hours", 1000, "chan1");
    add(c, "a2", "Vitamin C every morning keeps you safe", 2000, "chan2");
    cr_assert_eq(cred_corpus_commit(c), 0);
    add(c, "a3", "never committed", 3000, "chan1");
    cred_corpus_free(c); /* a3 is dropped */
    c = open_dir(0, 0);
    cr_assert_eq(live(c), 2);
    cred_corpus_post p;
    cr_assert_eq(cred_corpus_get(c, &p, "a2"), 0);
    cr_assert_str_eq(p.post.text, "Vitamin C every morning keeps you safe");
    cr_assert_str_eq(p.post.source, "chan2");
    cr_assert_eq(p.post.date, 2000);
    cr_assert(isnan(p.validity));
    cr_assert_eq(cred_corpus_get(c, &p, "a3"), CRED_ENOTFOUND);
    cred_corpus_free(c);
}

Test(corpus, a_post_with_a_stored_id_replaces_the_older_version, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 4);
    add(c, "x", "first version about garlic", 10, "s");
    add(c, "y", "another post", 20, "s");
    add(c, "z", "third post", 30, "s");
    add(c, "w", "fourth post", 40, "s");
    cr_assert_eq(cred_corpus_commit(c), 0); /* a segment */
    add(c, "x", "second version about lemons", 50, "s");
    cr_assert_eq(cred_corpus_commit(c), 0); /* the log */
    cr_assert_eq(live(c), 4);
    cred_corpus_post p;
    cr_assert_eq(cred_corpus_get(c, &p, "x"), 0);
    cr_assert_str_eq(p.post.text, "second version about lemons");
    const cred_search_result *r;
    cr_assert_eq(cred_corpus_search(c, &r, "garlic", 6, NULL), 0);
    cr_assert_eq(r->n_hits, 0, "the replaced version must not be found");
    cr_assert_eq(cred_corpus_search(c, &r, "lemons", 6, NULL), 0);
    cr_assert_eq(r->n_hits, 1);
    cred_corpus_free(c);
    c = open_dir(CRED_CORPUS_WRITE, 4);
    cr_assert_eq(live(c), 4);
    cr_assert_eq(cred_corpus_compact(c), 0);
    cred_corpus_stats s;
    cred_corpus_stats_get(c, &s);
    cr_assert_eq(s.posts, 4);
    cr_assert_eq(s.replaced, 0);
    cr_assert_eq(s.segments, 1);
    cr_assert_eq(s.log_posts, 0);
    cr_assert_eq(cred_corpus_verify(c), 0);
    cred_corpus_free(c);
}

Test(corpus, compacting_twice_writes_byte_identical_segments, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 0);
    char id[32], text[256];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "p%d", i);
        snprintf(text, sizeof text, "Post %d: %s cures the virus in %d hours, doctors confirm. Forward it!",
                 i, i % 3 ? "garlic" : "vitamina C", i % 17);
        add(c, id, text, 1000 + i * 7 % 500, i % 2 ? "a" : "b");
    }
    cr_assert_eq(cred_corpus_commit(c), 0); /* 300 posts in the log */
    cr_assert_eq(cred_corpus_compact(c), 0);   /* saved: seg-000001 */
    cred_corpus_free(c);
    char pa[128], pb[128];
    snprintf(pa, sizeof pa, "%s/seg-000001.cseg", dir);
    snprintf(pb, sizeof pb, "%s/seg-000002.cseg", dir);
    size_t la, lb;
    char *a = slurp(pa, &la);
    c = open_dir(CRED_CORPUS_WRITE, 0);      /* loaded */
    cr_assert_eq(live(c), 300);
    /* lists of more than one block: skip tables, block-max pruning, seeks across blocks */
    cred_search_options so = CRED_SEARCH_OPTIONS_INIT;
    so.limit = 1000;
    const cred_search_result *r;
    cr_assert_eq(cred_corpus_search(c, &r, "garlic", 6, &so), 0);
    cr_assert_eq(r->n_hits, 200); /* i % 3 != 0 */
    cr_assert_eq(cred_corpus_search(c, &r, "garlic post", 11, &so), 0);
    cr_assert_eq(r->n_hits, 200);
    cr_assert_eq(cred_corpus_search(c, &r, "\"cures the virus\" -garlic", 26, &so), 0);
    cr_assert_eq(r->n_hits, 100);
    so.limit = 3;
    cr_assert_eq(cred_corpus_search(c, &r, "virus garlic", 12, &so), 0);
    cr_assert_eq(r->n_hits, 3);
    cr_assert_geq(r->hits[0].score, r->hits[2].score);
    cr_assert_eq(cred_corpus_compact(c), 0); /* saved again: seg-000002 */
    cred_corpus_free(c);
    cr_assert_neq(access(pa, F_OK), 0, "compaction removes the old segment");
    char *b = slurp(pb, &lb);
    cr_assert_eq(la, lb);
    cr_assert_eq(memcmp(a, b, la), 0, "save -> load -> save must be byte-identical");
    free(a);
    free(b);
}

Test(corpus, a_damaged_segment_gives_corrupt_with_file_and_offset, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 1);
    add(c, "a", "some text to index about garlic", 1, "s");
    add(c, "b", "more text about lemons", 2, "s");
    cr_assert_eq(cred_corpus_commit(c), 0);
    cred_corpus_free(c);
    char path[128];
    snprintf(path, sizeof path, "%s/seg-000001.cseg", dir);
    size_t len;
    char *data = slurp(path, &len);
    for (size_t at = 20; at < len; at += len / 13) {
        char *copy = malloc(len);
        memcpy(copy, data, len);
        copy[at] ^= 0x55;
        FILE *f = fopen(path, "wb");
        fwrite(copy, 1, len, f);
        fclose(f);
        cred_corpus *d;
        cr_assert_eq(cred_corpus_open(&d, dir, NULL), CRED_ECORRUPT, "byte %zu", at);
        const cred_error *e = cred_error_last();
        cr_assert_str_eq(e->file, path);
        cr_assert(strstr(e->message, "offset"), "%s", e->message);
        free(copy);
    }
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len / 2, f); /* truncated */
    fclose(f);
    cred_corpus *d;
    cr_assert_eq(cred_corpus_open(&d, dir, NULL), CRED_ECORRUPT);
    free(data);
}

Test(corpus, opening_a_missing_corpus_is_not_found, .init = setup, .fini = teardown)
{
    cred_corpus *c;
    cr_assert_eq(cred_corpus_open(&c, dir, NULL), CRED_ENOTFOUND);
    cr_assert_null(c);
    cred_corpus_free(NULL);
}

Test(corpus, a_second_writer_is_refused, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 0);
    cred_corpus_options o = CRED_CORPUS_OPTIONS_INIT;
    o.flags = CRED_CORPUS_WRITE;
    cred_corpus *d;
    cr_assert_eq(cred_corpus_open(&d, dir, &o), CRED_EIO);
    cr_assert(strstr(cred_error_last()->message, "locked"));
    cred_corpus *r = open_dir(0, 0); /* readers are fine */
    cred_corpus_free(r);
    cred_corpus_free(c);
}

Test(corpus, stored_posts_are_linked_to_their_earlier_copies, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 1);
    add(c, "orig", "URGENT: drinking hot water with lemon every morning kills the virus, share with everyone", 100, "a");
    cr_assert_eq(cred_corpus_commit(c), 0);
    add(c, "copy", "URGENT: drinking hot water with lemon every morning kills the virus, share with everyone", 200, "b");
    add(c, "edit", "URGENT!! drinking hot water with lemon every morning kills the virus, share with everyone now", 300, "c");
    cr_assert_eq(cred_corpus_commit(c), 0);
    cred_corpus_post p;
    cr_assert_eq(cred_corpus_get(c, &p, "copy"), 0);
    cr_assert_eq(p.relation, CRED_DUP_EXACT);
    cr_assert_str_eq(p.parent_id, "orig");
    cr_assert_str_eq(p.origin_id, "orig");
    cr_assert_eq(cred_corpus_get(c, &p, "edit"), 0);
    cr_assert_eq(p.relation, CRED_DUP_NEAR);
    cr_assert_str_eq(p.origin_id, "orig");
    const cred_search_result *r;
    cr_assert_eq(cred_corpus_search(c, &r, "cluster:edit", 12, NULL), 0);
    cr_assert_eq(r->n_hits, 3);
    /* lookup of a new text against the store */
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    const cred_doc *doc;
    const char *q = "urgent: drinking hot water with lemon every morning kills the virus, share with everyone!";
    cr_assert_eq(cred_text_analyse(t, &doc, q, strlen(q), NULL), 0);
    cr_assert_eq(cred_corpus_find_copy(c, &p, doc, 1000), 0);
    cr_assert_neq(p.relation, CRED_DUP_NONE);
    cr_assert_str_eq(p.origin_id, "orig");
    cr_assert_eq(cred_corpus_find_copy(c, &p, doc, 50), 0, "nothing stored is earlier than date 50");
    cr_assert_eq(p.relation, CRED_DUP_NONE);
    cred_text_free(t);
    cred_corpus_free(c);
}

Test(corpus, scores_and_flags_are_stored_and_filterable, .init = setup, .fini = teardown)
{
    cred_corpus *c = open_dir(CRED_CORPUS_CREATE, 0);
    cred_post p;
    memset(&p, 0, sizeof p);
    p.id = "s1";
    p.text = "Ivermectin cures everything, trust me";
    p.text_len = strlen(p.text);
    p.date = 5;
    cred_corpus_score sc = {12.5, "unsourced_claim caps"};
    cr_assert_eq(cred_corpus_add(c, &p, &sc), 0);
    p.id = "s2";
    p.text = "Ivermectin trial results published by the journal";
    p.text_len = strlen(p.text);
    cred_corpus_score sc2 = {80, NULL};
    cr_assert_eq(cred_corpus_add(c, &p, &sc2), 0);
    cr_assert_eq(cred_corpus_commit(c), 0);
    const cred_search_result *r;
    const char *q = "ivermectin flag:unsourced_claim";
    cr_assert_eq(cred_corpus_search(c, &r, q, strlen(q), NULL), 0);
    cr_assert_eq(r->n_hits, 1);
    cr_assert_str_eq(r->hits[0].post.post.id, "s1");
    cr_assert_float_eq(r->hits[0].post.validity, 12.5, 1e-9);
    cr_assert_str_eq(r->hits[0].post.flags, "unsourced_claim caps");
    q = "ivermectin validity>=50";
    cr_assert_eq(cred_corpus_search(c, &r, q, strlen(q), NULL), 0);
    cr_assert_eq(r->n_hits, 1);
    cr_assert_str_eq(r->hits[0].post.post.id, "s2");
    cred_corpus_free(c);
}
