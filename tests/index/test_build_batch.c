/* A large batch (past the sizes where the segment build sorts ids by radix) with ids repeated inside it:
 * the newest version of each id is the one kept, and a rebuild gives the same bytes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"
#include "tmpdir.h"


static void setup(void)
{
    dir_make("cred_build_batch");
}

static void teardown(void)
{
    dir_remove();
}

enum { N_POSTS = 9000, N_IDS = 6000 };

static const char *const words[] = {"garlic", "lemon", "vaccine", "water", "cure", "doctor", "study", "claim",
                                    "virus", "tea", "ginger", "honey", "salt", "sugar", "cancer", "flu"};

static void fill(cred_corpus *c)
{
    char id[32], text[256];
    for (int i = 0; i < N_POSTS; i++) {
        /* ids 0..N_IDS-1, then again for the first N_POSTS - N_IDS of them (newer versions) */
        snprintf(id, sizeof id, "p%d", i % N_IDS);
        int n = snprintf(text, sizeof text, "version %d of post %d: %s %s %s", i / N_IDS, i % N_IDS,
                         words[i % 16], words[(i / 16) % 16], words[(i * 7) % 16]);
        cred_post p;
        memset(&p, 0, sizeof p);
        p.id = id;
        p.text = text;
        p.text_len = (size_t)n;
        p.date = 1000 + i;
        p.source = "test";
        p.start = p.end = -1;
        cr_assert_eq(cred_corpus_add(c, &p, NULL), 0);
    }
    cr_assert_eq(cred_corpus_commit(c), 0, "commit: %s", cred_error_last()->message);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static char *build_once(size_t *len)
{
    cred_corpus_options o = CRED_CORPUS_OPTIONS_INIT;
    o.flags = CRED_CORPUS_CREATE;
    o.flush_posts = N_POSTS;
    cred_corpus *c;
    cr_assert_eq(cred_corpus_open(&c, dir, &o), 0, "open: %s", cred_error_last()->message);
    fill(c);
    cred_corpus_stats s;
    cr_assert_eq(cred_corpus_stats_get(c, &s), 0);
    cr_assert_eq(s.posts, N_IDS);
    cred_corpus_post p;
    for (int i = 0; i < N_IDS; i += 97) {
        char id[32], want[64];
        snprintf(id, sizeof id, "p%d", i);
        int version = i < N_POSTS - N_IDS ? 1 : 0;
        snprintf(want, sizeof want, "version %d of post %d:", version, i);
        cr_assert_eq(cred_corpus_get(c, &p, id), 0, "%s", id);
        cr_assert(strncmp(p.post.text, want, strlen(want)) == 0, "%s: %s", id, p.post.text);
    }
    cr_assert_eq(cred_corpus_verify(c), 0);
    cred_corpus_free(c);
    char path[128];
    snprintf(path, sizeof path, "%s/seg-000001.cseg", dir);
    char *b = slurp(path, len);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s/*", dir);
    cr_assert_eq(system(cmd), 0);
    return b;
}

Test(index, a_large_batch_with_repeated_ids_keeps_the_newest_and_rebuilds_identically, .init = setup, .fini = teardown)
{
    size_t la, lb;
    char *a = build_once(&la), *b = build_once(&lb);
    cr_assert_eq(la, lb);
    cr_assert(memcmp(a, b, la) == 0);
    free(a);
    free(b);
}
