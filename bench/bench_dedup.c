/*
 * Dedup benchmark on the gen_forwards corpus, one core. Prints key=value lines.
 *
 *   bench_dedup [-posts N] [-seed S] [-peers N] [-fill N] [-queries N] [-threshold J]
 *
 * accuracy.*   cred_text_analyse + cred_dedup_add over N posts in date order: pairwise precision,
 *              recall and F1 over clusters, short copies attached to their origin's cluster, origin
 *              correct (posts of true clusters of 2+), template bulletins merged as copies; posts/s
 *              end to end (analyse + normalise + sign + query + verify + insert) and for dedup alone.
 * estimator.*  estimated vs exact Jaccard of character 5-gram sets of (copy, origin) and random pairs.
 * peer.*       on the first -peers posts: pair recall on (copy, origin) pairs, match rate on template
 *              sibling pairs and on random pairs, and hashing speed, for credence (J >= threshold and
 *              same facts), ssdeep (libfuzzy, score >= 50) and TLSH (diff <= 100).
 * fill.*       -fill N generated posts indexed (capacity preset), then -queries lookups: posts/s, bytes
 *              per post (cred_dedup_memory) and query latency p50/p99/max.
 */
#include <fuzzy.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credence.h"
#include "dedup/dedup.h"
#include "gen_forwards.h"

int tlsh_shim_hash(char *out, const unsigned char *data, unsigned len);
int tlsh_shim_diff(const char *a, const char *b);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: the machine is shared, so wall time alone overstates the cost. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_dedup: %s: %s\n", what, rc < 0 ? cred_error_last()->message : "failed");
    exit(1);
}

static double pairs(double n)
{
    return n * (n - 1) / 2;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sum over groups of C(n, 2), groups given by a key per post. */
static double pair_count(uint64_t *keys, size_t n)
{
    qsort(keys, n, sizeof *keys, cmp_u64);
    double s = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && keys[j] == keys[i])
            j++;
        s += pairs((double)(j - i));
        i = j;
    }
    return s;
}

static void accuracy(const gen_post *p, size_t n, double threshold)
{
    cred_text *t;
    cred_text_options topts = CRED_TEXT_OPTIONS_INIT;
    topts.flags = CRED_TEXT_NO_STEMS | CRED_TEXT_NO_LANG; /* dedup uses neither */
    cred_dedup *d;
    cred_dedup_options o = CRED_DEDUP_OPTIONS_INIT;
    o.threshold = threshold;
    int rc;
    if ((rc = cred_text_new(&t, &topts)) < 0 || (rc = cred_dedup_new(&d, &o)) < 0)
        die("start", rc);
    cred_dup_match *m = malloc(n * sizeof *m);
    double dedup_s = 0, dedup_cpu = 0, t0 = now(), c0 = cpu_now();
    for (size_t i = 0; i < n; i++) {
        const cred_doc *doc;
        if ((rc = cred_text_analyse(t, &doc, p[i].text, p[i].len, NULL)) < 0)
            die("analyse", rc);
        double a = now(), ac = cpu_now();
        if ((rc = cred_dedup_add(d, &m[i], doc, p[i].date, p[i].source)) < 0)
            die("add", rc);
        dedup_cpu += cpu_now() - ac;
        dedup_s += now() - a;
    }
    double total = now() - t0, total_cpu = cpu_now() - c0;
    uint64_t *k = malloc(n * sizeof *k);
    for (size_t i = 0; i < n; i++)
        k[i] = ((uint64_t)p[i].origin << 32) | m[i].origin;
    double tp = pair_count(k, n);
    for (size_t i = 0; i < n; i++)
        k[i] = m[i].origin;
    double pred = pair_count(k, n);
    for (size_t i = 0; i < n; i++)
        k[i] = p[i].origin;
    double truth = pair_count(k, n);
    uint32_t *tsize = calloc(n, sizeof *tsize);
    for (size_t i = 0; i < n; i++)
        tsize[p[i].origin]++;
    size_t short_n = 0, short_ok = 0, orig_n = 0, orig_ok = 0, sib_n = 0, sib_merged = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t to = p[i].origin;
        if (p[i].is_short && to != i) {
            short_n++;
            short_ok += m[i].origin == m[to].origin;
        }
        if (tsize[to] > 1) {
            orig_n++;
            orig_ok += m[i].origin == to;
        }
        if (p[i].family >= 0 && to == i) {
            sib_n++;
            sib_merged += m[i].relation == CRED_DUP_EXACT || m[i].relation == CRED_DUP_NEAR;
        }
    }
    double P = pred ? tp / pred : 1, R = truth ? tp / truth : 1;
    printf("accuracy.posts=%zu\naccuracy.threshold=%.2f\naccuracy.precision=%.4f\naccuracy.recall=%.4f\n"
           "accuracy.f1=%.4f\n",
           n, threshold, P, R, 2 * P * R / (P + R));
    printf("accuracy.short_attached=%.4f\naccuracy.short_copies=%zu\naccuracy.origin_correct=%.4f\n"
           "accuracy.siblings_merged=%.4f\naccuracy.siblings=%zu\n",
           short_n ? (double)short_ok / short_n : 1, short_n, orig_n ? (double)orig_ok / orig_n : 1,
           sib_n ? (double)sib_merged / sib_n : 0, sib_n);
    printf("accuracy.posts_per_s_end_to_end=%.0f\naccuracy.posts_per_s_end_to_end_cpu=%.0f\n"
           "accuracy.posts_per_s_dedup_only=%.0f\naccuracy.posts_per_s_dedup_only_cpu=%.0f\n"
           "accuracy.cpu_us_per_post_text=%.2f\naccuracy.cpu_us_per_post_dedup=%.2f\n"
           "accuracy.bytes_per_post=%.0f\n",
           n / total, n / total_cpu, n / dedup_s, n / dedup_cpu, (total_cpu - dedup_cpu) / n * 1e6,
           dedup_cpu / n * 1e6, (double)cred_dedup_memory(d) / n);
    free(tsize);
    free(k);
    free(m);
    cred_dedup_free(d);
    cred_text_free(t);
}

/* Character 5-gram hashes of a post's dedup text. */
typedef struct shingled {
    uint64_t *h;
    size_t n;
    dd_sig sig;
    uint64_t facts_dummy;
} shingled;

static void shingle_post(shingled *s, cred_text *t, dd_prep *prep, const gen_post *p)
{
    const cred_doc *doc;
    int rc;
    if ((rc = cred_text_analyse(t, &doc, p->text, p->len, NULL)) < 0 || (rc = cred_dedup__prep_doc(prep, doc)) < 0)
        die("prep", rc);
    size_t cap = 0;
    s->h = NULL;
    long n = cred_dedup__shingle_chars(&s->h, &cap, prep->text.ptr, prep->text.len);
    if (n < 0)
        die("shingle", (int)n);
    s->n = (size_t)n;
    cred_dedup__sign(&s->sig, s->h, s->n);
}

static void estimator(const gen_post *p, size_t n)
{
    cred_text *t;
    cred_text_options topts = CRED_TEXT_OPTIONS_INIT;
    topts.flags = CRED_TEXT_NO_STEMS | CRED_TEXT_NO_LANG; /* dedup uses neither */
    int rc;
    if ((rc = cred_text_new(&t, &topts)) < 0)
        die("start", rc);
    dd_prep prep = {0};
    double sum = 0, sum2 = 0, var = 0;
    size_t m = 0;
    uint64_t r = 99;
    for (size_t i = 0; i < n && m < 20000; i++) {
        size_t j = p[i].origin;
        if (j == i) { /* a random pair instead */
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            j = (size_t)(r >> 33) % n;
            if (j == i || i % 4)
                continue;
        }
        shingled a, b;
        shingle_post(&a, t, &prep, &p[i]);
        shingle_post(&b, t, &prep, &p[j]);
        double est = cred_dedup__estimate(&a.sig, &b.sig);
        double exact = cred_dedup__jaccard(a.h, a.n, b.h, b.n);
        free(a.h);
        free(b.h);
        if (exact >= 1.0 || exact <= 0.0)
            continue;
        double e = est - exact;
        sum += e;
        sum2 += e * e;
        var += exact * (1 - exact) / DD_K;
        m++;
    }
    double bias = sum / m, sd = sqrt(sum2 / m - bias * bias), expect = sqrt(var / m);
    printf("estimator.pairs=%zu\nestimator.bias=%.5f\nestimator.sd=%.5f\nestimator.minhash_sd=%.5f\n"
           "estimator.sd_ratio=%.3f\n",
           m, bias, sd, expect, sd / expect);
    cred_dedup__prep_free(&prep);
    cred_text_free(t);
}

/* Peers on the first n posts: pair recall on (copy, origin), match rate on sibling and random pairs. */
static void peers(const gen_post *p, size_t n, double threshold)
{
    cred_text *t;
    cred_text_options topts = CRED_TEXT_OPTIONS_INIT;
    topts.flags = CRED_TEXT_NO_STEMS | CRED_TEXT_NO_LANG; /* dedup uses neither */
    int rc;
    if ((rc = cred_text_new(&t, &topts)) < 0)
        die("start", rc);
    char (*ss)[FUZZY_MAX_RESULT] = malloc(n * sizeof *ss);
    char (*th)[80] = malloc(n * sizeof *th);
    shingled *cs = malloc(n * sizeof *cs);
    uint64_t *facts = malloc(n * sizeof *facts);
    dd_prep prep = {0};
    double t0 = now();
    for (size_t i = 0; i < n; i++)
        fuzzy_hash_buf((const unsigned char *)p[i].text, (uint32_t)p[i].len, ss[i]);
    double t_ss = now() - t0;
    t0 = now();
    size_t tlsh_none = 0;
    for (size_t i = 0; i < n; i++)
        if (tlsh_shim_hash(th[i], (const unsigned char *)p[i].text, (unsigned)p[i].len) < 0) {
            th[i][0] = '\0';
            tlsh_none++;
        }
    double t_tl = now() - t0;
    t0 = now();
    for (size_t i = 0; i < n; i++) {
        shingle_post(&cs[i], t, &prep, &p[i]);
        free(cs[i].h);
        facts[i] = 0;
        for (size_t f = 0; f < prep.n_facts; f++)
            facts[i] |= (1ULL << (prep.facts[f] & 63)) | (1ULL << ((prep.facts[f] >> 6) & 63));
    }
    double t_cr = now() - t0;
    /* pair sets: copies with their origin; bulletins of one family; random pairs */
    size_t cnt[3] = {0}, hit_ss[3] = {0}, hit_tl[3] = {0}, hit_cr[3] = {0};
    uint64_t r = 7;
    for (size_t i = 0; i < n; i++) {
        size_t js[2] = {SIZE_MAX, SIZE_MAX};
        int kinds[2] = {0, 0};
        if (p[i].origin != i)
            js[0] = p[i].origin, kinds[0] = 0;
        else if (p[i].family >= 0) /* the previous bulletin of the family, if any */
            for (size_t j = i; j-- > 0 && i - j < 5000;)
                if (p[j].family == p[i].family && p[j].origin == j) {
                    js[0] = j, kinds[0] = 1;
                    break;
                }
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        if (i % 4 == 0) {
            js[1] = (size_t)(r >> 33) % n, kinds[1] = 2;
            if (p[js[1]].origin == p[i].origin)
                js[1] = SIZE_MAX;
        }
        for (int k = 0; k < 2; k++) {
            size_t j = js[k];
            if (j == SIZE_MAX)
                continue;
            int kind = kinds[k];
            cnt[kind]++;
            hit_ss[kind] += fuzzy_compare(ss[i], ss[j]) >= 50;
            int diff = th[i][0] && th[j][0] ? tlsh_shim_diff(th[i], th[j]) : -1;
            hit_tl[kind] += diff >= 0 && diff <= 100;
            double est = cred_dedup__estimate(&cs[i].sig, &cs[j].sig);
            bool var = (facts[i] & ~facts[j]) && (facts[j] & ~facts[i]);
            hit_cr[kind] += est >= threshold && !var;
        }
    }
    static const char *kind_names[3] = {"copy_recall", "sibling_match", "random_match"};
    printf("peer.posts=%zu\npeer.copy_pairs=%zu\npeer.sibling_pairs=%zu\npeer.random_pairs=%zu\n", n, cnt[0], cnt[1],
           cnt[2]);
    for (int k = 0; k < 3; k++)
        printf("peer.credence.%s=%.4f\npeer.ssdeep50.%s=%.4f\npeer.tlsh100.%s=%.4f\n", kind_names[k],
               cnt[k] ? (double)hit_cr[k] / cnt[k] : 0, kind_names[k], cnt[k] ? (double)hit_ss[k] / cnt[k] : 0,
               kind_names[k], cnt[k] ? (double)hit_tl[k] / cnt[k] : 0);
    printf("peer.tlsh_no_hash=%.4f\n", (double)tlsh_none / n);
    printf("peer.credence.sign_per_s=%.0f\npeer.ssdeep.hash_per_s=%.0f\npeer.tlsh.hash_per_s=%.0f\n", n / t_cr,
           n / t_ss, n / t_tl);
    cred_dedup__prep_free(&prep);
    free(ss);
    free(th);
    free(cs);
    free(facts);
    cred_text_free(t);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Index `fill` generated posts (chunks from different seeds), then time `queries` lookups. */
static void fill_bench(size_t fill, size_t queries, double threshold)
{
    cred_text *t;
    cred_text_options topts = CRED_TEXT_OPTIONS_INIT;
    topts.flags = CRED_TEXT_NO_STEMS | CRED_TEXT_NO_LANG; /* dedup uses neither */
    cred_dedup *d;
    cred_dedup_options o = CRED_DEDUP_OPTIONS_INIT;
    o.threshold = threshold;
    o.capacity = fill;
    int rc;
    if ((rc = cred_text_new(&t, &topts)) < 0 || (rc = cred_dedup_new(&d, &o)) < 0)
        die("start", rc);
    const size_t chunk = 500000;
    double add_s = 0, add_cpu = 0, text_cpu = 0, t0 = now();
    uint64_t seed = 1000;
    gen_post *last = NULL;
    size_t last_n = 0;
    for (size_t done = 0; done < fill; seed++) {
        gen_options g = {seed, fill - done < chunk ? fill - done : chunk, 0, 1600000000 + (int64_t)seed * 2592000,
                         "f", 0};
        gen_post *p;
        size_t n;
        if (gen_forwards(&p, &n, &g) < 0)
            die("generate", -1);
        for (size_t i = 0; i < n && done < fill; i++, done++) {
            const cred_doc *doc;
            double tc = cpu_now();
            if ((rc = cred_text_analyse(t, &doc, p[i].text, p[i].len, NULL)) < 0)
                die("analyse", rc);
            double a = now(), ac = cpu_now();
            text_cpu += ac - tc;
            if ((rc = cred_dedup_add(d, NULL, doc, p[i].date, p[i].source)) < 0)
                die("add", rc);
            add_cpu += cpu_now() - ac;
            add_s += now() - a;
        }
        gen_free(last, last_n);
        last = p;
        last_n = n;
    }
    double fill_s = now() - t0;
    /* queries: half novel posts (a new seed, dated after the index), half posts of the last chunk */
    gen_options g = {seed + 77, queries, 0, 1600000000 + (int64_t)(seed + 100) * 2592000, "q", 0};
    gen_post *q;
    size_t nq;
    if (gen_forwards(&q, &nq, &g) < 0)
        die("generate", -1);
    double *lat = malloc(queries * sizeof *lat), *lat_cpu = malloc(queries * sizeof *lat_cpu);
    size_t found = 0;
    for (size_t i = 0; i < queries; i++) {
        const gen_post *src = i % 2 ? &q[i % nq] : &last[(i * 7919) % last_n];
        const cred_doc *doc;
        if ((rc = cred_text_analyse(t, &doc, src->text, src->len, NULL)) < 0)
            die("analyse", rc);
        cred_dup_match m;
        double a = now(), ac = cpu_now();
        if ((rc = cred_dedup_query(d, &m, doc, CRED_DATE_UNKNOWN)) < 0)
            die("query", rc);
        lat_cpu[i] = cpu_now() - ac;
        lat[i] = now() - a;
        found += m.relation != CRED_DUP_NONE;
    }
    qsort(lat, queries, sizeof *lat, cmp_double);
    qsort(lat_cpu, queries, sizeof *lat_cpu, cmp_double);
    printf("fill.posts=%zu\nfill.posts_per_s_end_to_end=%.0f\nfill.posts_per_s_dedup_only=%.0f\n"
           "fill.posts_per_s_dedup_only_cpu=%.0f\nfill.cpu_us_per_post_text=%.2f\n"
           "fill.bytes_per_post=%.1f\nfill.queries=%zu\nfill.query_found=%.3f\nfill.query_p50_us=%.1f\n"
           "fill.query_p99_us=%.1f\nfill.query_max_us=%.1f\nfill.query_cpu_p50_us=%.1f\n"
           "fill.query_cpu_p99_us=%.1f\nfill.query_cpu_max_us=%.1f\n",
           fill, fill / fill_s, fill / add_s, fill / add_cpu, text_cpu / fill * 1e6,
           (double)cred_dedup_memory(d) / fill, queries, (double)found / queries, lat[queries / 2] * 1e6,
           lat[queries * 99 / 100] * 1e6, lat[queries - 1] * 1e6, lat_cpu[queries / 2] * 1e6,
           lat_cpu[queries * 99 / 100] * 1e6, lat_cpu[queries - 1] * 1e6);
    free(lat);
    free(lat_cpu);
    gen_free(q, nq);
    gen_free(last, last_n);
    cred_dedup_free(d);
    cred_text_free(t);
}

int main(int argc, char **argv)
{
    size_t posts = 100000, peer_n = 20000, fill = 0, queries = 10000;
    uint64_t seed = 1;
    double threshold = 0.45;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-posts"))
            posts = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-peers"))
            peer_n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-fill"))
            fill = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-queries"))
            queries = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-threshold"))
            threshold = strtod(argv[i + 1], NULL);
    }
    if (posts) {
        gen_options g = {seed, posts, 0, 1700000000, "p", 0};
        gen_post *p;
        size_t n;
        if (gen_forwards(&p, &n, &g) < 0)
            die("generate", -1);
        printf("corpus.seed=%llu\ncorpus.posts=%zu\n", (unsigned long long)seed, n);
        accuracy(p, n, threshold);
        estimator(p, n);
        peers(p, peer_n < n ? peer_n : n, threshold);
        gen_free(p, n);
    }
    if (fill && queries)
        fill_bench(fill, queries, threshold);
    return 0;
}
