/* Top-k pruning (block-max bounds, MaxScore over unions, phrase positions checked last) returns the
 * same top 10 as an exhaustive evaluation: a limit above the corpus size never fills the heap, so
 * nothing is skipped there. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"
#include "index/index.h"

static char dir[64];
static cred_corpus *c;

#define N_POSTS 3000
#define T0 1583020800 /* 2020-03-01 */

static uint64_t text_hash[N_POSTS]; /* FNV-1a of each post's text, to check the records hits carry */
static uint8_t words_of[N_POSTS][40]; /* vocab index of each word (phrase matches counted by hand) */
static uint8_t n_words[N_POSTS];

static uint64_t fnv(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t rng = 12345;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

/* Frequent words first: word i comes up about 1/(i+1) as often as the first, so the lists range from
 * most posts (many blocks, many equal scores) to a handful. */
static const char *const vocab[] = {
    "the", "of", "virus", "vaccine", "cures", "doctors", "water", "garlic", "vitamin", "study",
    "hospital", "patients", "minutes", "kill", "hours", "confirm", "hidden", "truth", "miracle", "dose",
    "lemon", "ginger", "fever", "children", "masks", "test", "trial", "covid", "immunity", "drink",
    "confirmed", "conspiracy", "contains", "control", "contagious", "convince", "cure", "curfew", "cured", "curious",
};
#define N_VOCAB (sizeof vocab / sizeof *vocab)

static void setup(void)
{
    strcpy(dir, "/tmp/cred_topk_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cred_corpus_options o = CRED_CORPUS_OPTIONS_INIT;
    o.flags = CRED_CORPUS_CREATE;
    o.flush_posts = 1100; /* two segments and a log of different average lengths */
    cr_assert_eq(cred_corpus_open(&c, dir, &o), 0);
    double hsum = 0;
    for (size_t i = 0; i < N_VOCAB; i++)
        hsum += 1.0 / (double)(i + 1);
    for (int i = 0; i < N_POSTS; i++) {
        char text[512], id[16];
        size_t len = 0;
        int words = 3 + (int)(rnd() % (i < 1100 ? 12 : 30));
        for (int w = 0; w < words; w++) {
            double u = (double)(rnd() % 1000000) / 1e6 * hsum, acc = 0;
            size_t k = 0;
            while (k + 1 < N_VOCAB && (acc += 1.0 / (double)(k + 1)) < u)
                k++;
            if (k == 2 && w && words_of[i][w - 1] == 1)
                k = 3; /* "of virus" never occurs (both words are frequent): the pair index says so */
            words_of[i][w] = (uint8_t)k;
            n_words[i] = (uint8_t)(w + 1);
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", w ? " " : "", vocab[k]);
        }
        snprintf(id, sizeof id, "t%d", i);
        text_hash[i] = fnv(text, len);
        cred_post p;
        memset(&p, 0, sizeof p);
        p.id = id;
        p.text = text;
        p.text_len = len;
        /* a quarter of the posts undetermined: their words are indexed unstemmed, so a query word
           ("cures", "doctors") expands to two terms (its English stem and itself) */
        p.lang = i % 4 == 3 ? "und" : "en";
        p.date = T0 + (int64_t)i * 3600;
        p.start = p.end = -1;
        cr_assert_eq(cred_corpus_add(c, &p, NULL), 0);
        if (i % 700 == 699)
            cr_assert_eq(cred_corpus_commit(c), 0);
    }
    cr_assert_eq(cred_corpus_commit(c), 0);
}

static void teardown(void)
{
    cred_corpus_free(c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

typedef struct hit {
    char id[16];
    double score;
} hit;

static size_t run(const char *q, size_t limit, hit *out, size_t max)
{
    cred_search_options o = CRED_SEARCH_OPTIONS_INIT;
    o.limit = limit;
    const cred_search_result *r;
    cr_assert_eq(cred_corpus_search(c, &r, q, strlen(q), &o), 0, "%s: %s", q, cred_error_last()->message);
    size_t n = r->n_hits < max ? r->n_hits : max;
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].id, sizeof out[i].id, "%s", r->hits[i].post.post.id);
        out[i].score = r->hits[i].score;
    }
    return n;
}

static bool near(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1, fabs(a));
}

/* The pruned top 10 has the exhaustive top 10's scores, and the same posts except among those tied
 * with the 10th score (ties go to the older post in both, but a bound may skip a tie). */
static size_t full_limit = N_POSTS + 100; /* above the corpus size: exhaustive */

static void same_top10(const char *q)
{
    hit full[10], top[10];
    size_t nf = run(q, full_limit, full, 10), nt = run(q, 10, top, 10);
    cr_assert_eq(nt, nf, "%s: %zu hits pruned, %zu exhaustive", q, nt, nf);
    for (size_t i = 0; i < nt; i++) {
        cr_assert(near(top[i].score, full[i].score), "%s: rank %zu scores %.12g pruned, %.12g exhaustive", q, i,
                  top[i].score, full[i].score);
        if (near(full[i].score, full[nf - 1].score))
            continue;
        bool found = false;
        for (size_t j = 0; j < nt && !found; j++)
            found = strcmp(top[j].id, full[i].id) == 0;
        cr_assert(found, "%s: %s (score %.12g) missing from the pruned top 10", q, full[i].id, full[i].score);
    }
}

TestSuite(topk, .init = setup, .fini = teardown, .timeout = 120);

Test(topk, single_words_match_the_exhaustive_top10)
{
    /* the corpus has lists of many blocks and several segments */
    cred_search_options o = CRED_SEARCH_OPTIONS_INIT;
    o.limit = N_POSTS;
    const cred_search_result *r;
    cr_assert_eq(cred_corpus_search(c, &r, "the", 3, &o), 0);
    cr_assert_gt(r->n_hits, 1000);
    cred_corpus_stats st;
    cred_corpus_stats_get(c, &st);
    cr_assert_geq(st.segments, 2);
    for (size_t i = 0; i < N_VOCAB; i++)
        same_top10(vocab[i]);
}

Test(topk, two_word_and_and_or_match_the_exhaustive_top10)
{
    char q[128];
    for (size_t i = 0; i < N_VOCAB; i += 3)
        for (size_t j = 0; j < 12; j += 2) {
            snprintf(q, sizeof q, "%s %s", vocab[i], vocab[j]);
            same_top10(q);
            snprintf(q, sizeof q, "%s OR %s", vocab[i], vocab[j]);
            same_top10(q);
            snprintf(q, sizeof q, "(%s OR %s) -%s", vocab[i], vocab[j], vocab[(i + j + 1) % N_VOCAB]);
            same_top10(q);
        }
}

Test(topk, and_of_words_with_several_stems_matches_the_exhaustive_top10)
{
    /* words with two terms (English stem and the undetermined posts' surface form) on either side of
       an AND, long lists against short ones, three words, windows and validity: the conjunction runs
       block-max (lead word's exact share against the others' block bounds); the top 10 is exhaustive */
    static const char *const qs[] = {
        "cures doctors", "doctors cures", "the cures", "cures the", "minutes hours", "hours minutes the",
        "confirmed cures", "patients minutes", "the of", "of the virus", "cures doctors minutes",
        "cures hours after:2020-03-20 before:2020-06-10", "the of after:2020-04-01", "curious cures",
        "the cures -virus", "hours cures", "contains confirmed", "the patients",
    };
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++)
        same_top10(qs[i]);
    /* the word with two terms does expand: "cures" matches posts of both kinds */
    cred_search_options o = CRED_SEARCH_OPTIONS_INIT;
    o.limit = N_POSTS;
    const cred_search_result *r;
    cr_assert_eq(cred_corpus_search(c, &r, "cures", 5, &o), 0);
    bool und = false, en = false;
    for (size_t h = 0; h < r->n_hits; h++) {
        int k = atoi(r->hits[h].post.post.id + 1);
        *(k % 4 == 3 ? &und : &en) = true;
    }
    cr_assert(und && en);
}

Test(topk, phrases_prefixes_and_windows_match_the_exhaustive_top10)
{
    static const char *const qs[] = {
        "\"of the\"", "\"the virus\"", "\"the of\"", "\"virus the of\"", "\"cures the virus\"", "con*", "cur*",
        "c*", "vi*", "the*", "con* virus", "virus after:2020-03-20 before:2020-04-10",
        "the after:2020-04-01", "\"the of\" before:2020-04-15", "con* after:2020-03-10 before:2020-05-01",
        "=cures", "=cures OR cured", "virus NOT the", "(vaccine OR cure*) the",
    };
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++)
        same_top10(qs[i]);
}

Test(topk, hits_carry_their_own_records_through_the_text_cache)
{
    /* far more text blocks are read than a segment keeps decompressed, in changing orders: every hit's
       record (text, date) is its own */
    size_t seen = 0;
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < N_VOCAB; i++) {
            size_t w = round ? N_VOCAB - 1 - i : i;
            cred_search_options o = CRED_SEARCH_OPTIONS_INIT;
            o.limit = 200;
            const cred_search_result *r;
            cr_assert_eq(cred_corpus_search(c, &r, vocab[w], strlen(vocab[w]), &o), 0);
            for (size_t h = 0; h < r->n_hits; h++) {
                const cred_post *p = &r->hits[h].post.post;
                cr_assert_eq(p->id[0], 't');
                int k = atoi(p->id + 1);
                cr_assert(k >= 0 && k < N_POSTS, "%s", p->id);
                cr_assert_eq(p->date, T0 + (int64_t)k * 3600, "%s: date %lld", p->id, (long long)p->date);
                cr_assert_eq(fnv(p->text, p->text_len), text_hash[k], "%s: not its text: %.*s", p->id,
                             (int)p->text_len, p->text);
                seen++;
            }
        }
    cr_assert_gt(seen, 4000);
}

Test(textcache, records_stay_right_when_blocks_are_evicted)
{
    /* one segment of long posts: many more text blocks than a segment keeps decompressed, read in a
       scattered order and again, so cached, evicted and re-read blocks all serve records */
    char tdir[64];
    strcpy(tdir, "/tmp/cred_tcache_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));
    cred_corpus *tc;
    cred_corpus_options o = CRED_CORPUS_OPTIONS_INIT;
    o.flags = CRED_CORPUS_CREATE;
    cr_assert_eq(cred_corpus_open(&tc, tdir, &o), 0);
    enum { NP = 1000 };
    static uint64_t hs[NP];
    static char text[4096];
    for (int i = 0; i < NP; i++) {
        size_t len = (size_t)snprintf(text, sizeof text, "post %d says", i);
        for (int w = 0; w < 120; w++)
            len += (size_t)snprintf(text + len, sizeof text - len, " w%d", (i * 131 + w * 17) % 997);
        hs[i] = fnv(text, len);
        char id[16];
        snprintf(id, sizeof id, "p%d", i);
        cred_post p;
        memset(&p, 0, sizeof p);
        p.id = id;
        p.text = text;
        p.text_len = len;
        p.lang = "en";
        p.date = T0 + i;
        p.start = p.end = -1;
        cr_assert_eq(cred_corpus_add(tc, &p, NULL), 0);
    }
    cr_assert_eq(cred_corpus_commit(tc), 0);
    cred_corpus_free(tc);
    cr_assert_eq(cred_corpus_open(&tc, tdir, NULL), 0);
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < NP; k++) {
            int i = (k * 263 + round * 71) % NP;
            char id[16];
            snprintf(id, sizeof id, "p%d", i);
            cred_corpus_post cp;
            cr_assert_eq(cred_corpus_get(tc, &cp, id), 0, "%s", id);
            cr_assert_str_eq(cp.post.id, id);
            cr_assert_eq(fnv(cp.post.text, cp.post.text_len), hs[i], "%s: not its text", id);
        }
    cred_corpus_free(tc);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    cr_assert_eq(system(cmd), 0);
}

/* Posts whose words hold vocab[a[0]] vocab[a[1]] ... adjacently (dated in [from, to)). */
static size_t count_phrase(const size_t *a, size_t n, int64_t from, int64_t to)
{
    size_t m = 0;
    for (int i = 0; i < N_POSTS; i++) {
        int64_t d = T0 + (int64_t)i * 3600;
        if (d < from || d >= to)
            continue;
        bool has = false;
        for (size_t w = 0; w + n <= n_words[i] && !has; w++) {
            has = true;
            for (size_t j = 0; j < n && has; j++)
                has = words_of[i][w + j] == a[j];
        }
        m += has;
    }
    return m;
}

Test(topk, phrases_of_frequent_pairs_match_exactly_the_posts_holding_them)
{
    /* the pair index filters phrases of frequent words (stored doc lists, pairs that never occur): the
       posts found are exactly those holding the words adjacently, and the top 10 is the exhaustive one */
    cred_corpus_stats st;
    cr_assert_eq(cred_corpus_stats_get(c, &st), 0);
    cr_assert_gt(st.pairs_bytes, 0);
    cr_assert_leq(st.pairs_bytes, st.index_bytes);
    /* words whose English stems are distinct: the, of, virus, vaccine, water, garlic, vitamin, study */
    static const size_t ws[] = {0, 1, 2, 3, 6, 7, 8, 9};
    size_t nw = sizeof ws / sizeof *ws, checked = 0, zero = 0;
    char q[256];
    for (size_t x = 0; x < nw; x++)
        for (size_t y = 0; y < nw; y++) {
            for (int win = 0; win < 2; win++) {
                size_t a[2] = {ws[x], ws[y]};
                int64_t from = win ? T0 + 500 * 3600 : INT64_MIN, to = win ? T0 + 2500 * 3600 : INT64_MAX;
                if (win)
                    snprintf(q, sizeof q, "\"%s %s\" after:2020-03-21T20:00 before:2020-06-13T04:00", vocab[a[0]],
                             vocab[a[1]]);
                else
                    snprintf(q, sizeof q, "\"%s %s\"", vocab[a[0]], vocab[a[1]]);
                size_t want = count_phrase(a, 2, from, to);
                cred_search_options o = CRED_SEARCH_OPTIONS_INIT;
                o.limit = N_POSTS + 100;
                const cred_search_result *r;
                cr_assert_eq(cred_corpus_search(c, &r, q, strlen(q), &o), 0, "%s: %s", q, cred_error_last()->message);
                cr_assert_eq(r->n_hits, want, "%s: %zu hits, %zu posts hold it", q, r->n_hits, want);
                zero += want == 0;
                checked++;
                same_top10(q);
            }
        }
    cr_assert_eq(checked, nw * nw * 2);
    cr_assert_geq(zero, 2); /* "of virus", with and without the window */
    /* three words: both pairs filter */
    static const size_t tri[][3] = {{1, 0, 2}, {0, 1, 2}, {6, 0, 1}, {7, 8, 9}, {0, 0, 0}};
    for (size_t t = 0; t < sizeof tri / sizeof *tri; t++) {
        snprintf(q, sizeof q, "\"%s %s %s\"", vocab[tri[t][0]], vocab[tri[t][1]], vocab[tri[t][2]]);
        cred_search_options o = CRED_SEARCH_OPTIONS_INIT;
        o.limit = N_POSTS + 100;
        const cred_search_result *r;
        cr_assert_eq(cred_corpus_search(c, &r, q, strlen(q), &o), 0);
        size_t want = count_phrase(tri[t], 3, INT64_MIN, INT64_MAX);
        cr_assert_eq(r->n_hits, want, "%s: %zu hits, %zu posts hold it", q, r->n_hits, want);
        same_top10(q);
    }
}

Test(stems, a_word_with_two_long_stem_lists_matches_the_exhaustive_top10)
{
    /* "cures" is "cure" in English posts and "cures" in undetermined ones: two long lists in one
       segment, a few posts holding both terms (undetermined posts with both forms, some short enough
       to rank first). The weaker list is probed through the pair's doc list; the result is exhaustive. */
    cred_corpus *saved = c;
    char tdir[64];
    strcpy(tdir, "/tmp/cred_stems_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));
    cred_corpus_options o = CRED_CORPUS_OPTIONS_INIT;
    o.flags = CRED_CORPUS_CREATE;
    cr_assert_eq(cred_corpus_open(&c, tdir, &o), 0);
    static const char *const filler[] = {"water", "garlic", "doctors", "study", "hospital", "the", "of", "fever"};
    for (int i = 0; i < 2500; i++) {
        char text[512], id[16];
        size_t len = 0;
        int words = 2 + (int)(rnd() % 14);
        bool und = i % 3 != 0, both = und && i % 37 == 5;
        int at = (int)(rnd() % (uint64_t)words);
        for (int w = 0; w < words; w++) {
            const char *v = w == at ? (und && !both && rnd() % 2 ? "cure" : "cures") : filler[rnd() % 8];
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", w ? " " : "", v);
        }
        if (both)
            len += (size_t)snprintf(text + len, sizeof text - len, " cure");
        snprintf(id, sizeof id, "s%d", i);
        cred_post p;
        memset(&p, 0, sizeof p);
        p.id = id;
        p.text = text;
        p.text_len = len;
        p.lang = und ? "und" : "en";
        p.date = T0 + (int64_t)i * 60;
        p.start = p.end = -1;
        cr_assert_eq(cred_corpus_add(c, &p, NULL), 0);
    }
    cr_assert_eq(cred_corpus_commit(c), 0);
    static const char *const qs[] = {"cures", "cure", "cures water", "the cures", "cures after:2020-03-02",
                                     "cures OR fever", "=cures"};
    for (int round = 0; round < 2; round++) /* the second round reuses the pair's doc list */
        for (size_t i = 0; i < sizeof qs / sizeof *qs; i++)
            same_top10(qs[i]);
    cred_corpus_free(c);
    c = saved;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    cr_assert_eq(system(cmd), 0);
}

/* Lists of many blocks (the 1M-post bench's frequent words have 100K-250K docs): a corpus of 20,000
 * posts whose words hold most of them, with tf from 1 to several and lengths 2 to 41. */
#define N_LONG 20000

static int long_text(char *text, size_t cap, int i)
{
    size_t len = 0;
    int words = 2 + (int)(rnd() % 40);
    for (int w = 0; w < words; w++) {
        uint64_t r = rnd() % 100;
        /* alpha in most posts, often twice; beta and gamma in most; delta rare; omega filler */
        const char *v = r < 30 ? "alpha" : r < 45 ? "beta" : r < 55 ? "gamma" : r < 57 ? "delta" : "omega";
        if (w == 0)
            v = i % 10 ? "alpha" : "beta";
        len += (size_t)snprintf(text + len, cap - len, "%s%s", w ? " " : "", v);
    }
    return (int)len;
}

Test(long_lists, queries_over_long_lists_match_the_exhaustive_top10)
{
    /* a corpus whose frequent words have long lists, tf 1 to several: term, AND and OR queries,
       windows and exclusions give the exhaustive top 10 */
    char tdir[64];
    strcpy(tdir, "/tmp/cred_parts_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));
    cred_corpus_options o = CRED_CORPUS_OPTIONS_INIT;
    o.flags = CRED_CORPUS_CREATE;
    cr_assert_eq(cred_corpus_open(&c, tdir, &o), 0);
    static char text[400];
    for (int i = 0; i < N_LONG; i++) {
        int len = long_text(text, sizeof text, i);
        char id[16];
        snprintf(id, sizeof id, "l%d", i);
        cred_post p;
        memset(&p, 0, sizeof p);
        p.id = id;
        p.text = text;
        p.text_len = (size_t)len;
        p.lang = "und";
        p.date = T0 + (int64_t)i * 60;
        p.start = p.end = -1;
        cr_assert_eq(cred_corpus_add(c, &p, NULL), 0);
    }
    cr_assert_eq(cred_corpus_commit(c), 0);
    /* reopened: the segment files come with their seq -> doc maps (hits look their links up by seq;
       the first search does not build them) */
    cred_corpus_free(c);
    cr_assert_eq(cred_corpus_open(&c, tdir, NULL), 0);
    size_t n_files = 0;
    for (size_t i = 0; i < c->n_segs; i++)
        if (c->segs[i]->name[0]) {
            cr_assert_not_null(c->segs[i]->seqmap, "segment %s", c->segs[i]->name);
            n_files++;
        }
    cr_assert_geq(n_files, 1);
    full_limit = N_LONG + 100;
    static const char *const qs[] = {"alpha", "beta", "gamma", "omega", "alpha beta", "beta gamma",
                                     "gamma alpha", "alpha omega", "alpha beta gamma", "alpha OR beta",
                                     "beta OR gamma OR delta", "alpha delta", "alpha -delta", "beta gamma -delta",
                                     "alpha after:2020-03-05 before:2020-03-10", "alpha beta after:2020-03-08"};
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++)
        same_top10(qs[i]);
    full_limit = N_POSTS + 100;
    cred_corpus_free(c);
    c = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    cr_assert_eq(system(cmd), 0);
}
