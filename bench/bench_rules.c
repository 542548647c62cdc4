/*
 * bench_rules: posts/s of the rules engine with the vectorscan prefilter and with PCRE2 alone, over the
 * same rules and posts, plus compile time. Posts come from CSV/JSONL files read with cred_reader.
 *
 *   bench_rules [-rules PATH] [-synth N] [-runs R] [-max P] FILE[:TEXTCOL]...
 *
 * -synth N adds N generated rules (realistic alternations, word lists and scoped combinations) to the
 * loaded ones, for when the shipped packs are smaller than the target size. Output, one line per mode:
 *   bench=rules mode=vectorscan rules=... posts=... posts_per_s=... scan_posts_per_s=... compile_s=... hits=...
 * posts_per_s includes text analysis; scan_posts_per_s is the scanner alone (analysis time subtracted);
 * cpu_* are the same from process CPU time. compile_s is a cold compile (CRED_RULES_NO_CACHE),
 * compile_cached_s a load through the database cache (filled by an untimed load first).
 * The last line compares the two modes post by post (rule, span, sentence, points and flags of every
 * scored hit): `bench=rules mismatched_posts=N` must be 0; -diff K prints the first K differing posts.
 * -only vectorscan (or pcre2) runs one mode and skips the comparison (for profiling).
 * -top N times every rule (CRED_SCANNER_PROFILE, which slows the scan: the posts/s lines are then not
 * comparable) and prints the N rules with the most time in the last run, one `bench=rules_top` line each.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credence.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu(void) /* this process's CPU time: the machine may be shared */
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct posts {
    char **text;
    size_t *len;
    size_t n, cap;
} posts;

static void read_posts(posts *ps, const char *arg, size_t max)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", arg);
    char *col = strrchr(path, ':');
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    if (col) {
        *col = '\0';
        o.text_col = col + 1;
    }
    cred_reader *r;
    if (cred_reader_open(&r, path, &o) < 0) {
        fprintf(stderr, "bench_rules: %s: %s\n", path, cred_error_last()->message);
        exit(2);
    }
    const cred_post *p;
    while (ps->n < max && cred_reader_next(r, &p) == 1) {
        if (ps->n == ps->cap) {
            ps->cap = ps->cap ? ps->cap * 2 : 1024;
            ps->text = realloc(ps->text, ps->cap * sizeof *ps->text);
            ps->len = realloc(ps->len, ps->cap * sizeof *ps->len);
        }
        ps->text[ps->n] = malloc(p->text_len + 1);
        memcpy(ps->text[ps->n], p->text, p->text_len);
        ps->text[ps->n][p->text_len] = '\0';
        ps->len[ps->n++] = p->text_len;
    }
    cred_reader_free(r);
}

static const char *const words[] = {
    "vaccine", "vacina", "virus", "vírus", "cure", "cura", "garlic", "alho", "lemon", "limão", "doctor", "médico",
    "hospital", "government", "governo", "china", "bill gates", "5g", "mask", "máscara", "chloroquine",
    "cloroquina", "ivermectin", "ivermectina", "deaths", "mortes", "cases", "casos", "test", "teste", "lockdown",
    "share", "compartilhe", "urgent", "urgente", "secret", "segredo", "media", "mídia", "who", "oms", "study",
    "estudo", "immunity", "imunidade", "kills", "mata", "fake", "plandemic", "hoax", "miracle", "milagre",
    "forward", "repasse", "delete", "apagar", "truth", "verdade", "scientists", "cientistas", "experts", "tea",
    "chá", "water", "água", "hot", "quente", "sun", "sol", "bleach", "alcohol", "álcool", "dna", "chip"};
#define NW (sizeof words / sizeof *words)

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 8) & 0xffffff;
}

static void synth(FILE *f, int n)
{
    unsigned s = 42;
    for (int i = 0; i < n; i++) {
        int kind = i % 4;
        fprintf(f, "rule SYN_%d {\n  describe \"synthetic %d\" category claim\n", i, i);
        if (kind == 3) { /* a word list */
            fprintf(f, "  match in {");
            for (int k = 0; k < 8; k++)
                fprintf(f, " \"%s %s\"", words[rnd(&s) % NW], words[rnd(&s) % NW]);
            fprintf(f, " }\n");
        } else {
            fprintf(f, "  match /\\b(%s|%s|%s)s? (\\w+ )?(%s|%s)\\b/i\n", words[rnd(&s) % NW], words[rnd(&s) % NW],
                    words[rnd(&s) % NW], words[rnd(&s) % NW], words[rnd(&s) % NW]);
        }
        if (kind == 2 && i > 0)
            fprintf(f, "  unless SYN_%d within 1 sentences\n", i - 1);
        fprintf(f, "  weight +0.%d cap 2\n}\n", 1 + i % 9);
    }
}

/* The scored hits of every post in one mode (the last run), to compare the modes. */
typedef struct hsig {
    uint32_t rule, start, end, sentence, flags;
    double points;
} hsig;

typedef struct sigs {
    hsig *h;
    size_t n, cap;
    size_t *first; /* per post, and one past the last */
} sigs;

static void sig_add(sigs *g, const cred_scan_result *res)
{
    for (size_t j = 0; j < res->n_hits; j++) {
        if (g->n == g->cap) {
            g->cap = g->cap ? g->cap * 2 : 4096;
            g->h = realloc(g->h, g->cap * sizeof *g->h);
            if (!g->h)
                exit(2);
        }
        const cred_rule_hit *x = &res->hits[j];
        g->h[g->n++] = (hsig){x->rule_index, x->span.start, x->span.end, x->sentence, x->flags, x->points};
    }
}

static bool sig_eq(const hsig *a, const hsig *b)
{
    return a->rule == b->rule && a->start == b->start && a->end == b->end && a->sentence == b->sentence &&
           a->flags == b->flags && a->points == b->points;
}

static int top_n; /* -top N */

typedef struct rtime {
    size_t rule;
    cred_rule_stats st;
} rtime;

static int cmp_rtime(const void *a, const void *b)
{
    const rtime *x = a, *y = b;
    return x->st.ns != y->st.ns ? (x->st.ns < y->st.ns ? 1 : -1) : (x->rule > y->rule) - (x->rule < y->rule);
}

/* The top_n rules by time in the last run (stats were reset before it). */
static void print_top(const cred_rules *r, const cred_scanner *sc, const char *mode, size_t n_posts)
{
    const cred_rule_stats *st;
    cred_scanner_stats(sc, &st);
    size_t n = cred_rules_count(r);
    rtime *t = calloc(n ? n : 1, sizeof *t);
    if (!t)
        return;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        t[i] = (rtime){i, st[i]};
        total += st[i].ns;
    }
    qsort(t, n, sizeof *t, cmp_rtime);
    printf("bench=rules_top mode=%s rules_ns_per_post=%.0f\n", mode, n_posts ? (double)total / (double)n_posts : 0.0);
    for (size_t i = 0; i < n && (int)i < top_n; i++)
        printf("bench=rules_top mode=%s rank=%zu rule=%s ns_per_post=%.0f share=%.1f%% posts=%llu hits=%llu "
               "confirms=%llu\n",
               mode, i + 1, cred_rules_info(r, t[i].rule)->id,
               n_posts ? (double)t[i].st.ns / (double)n_posts : 0.0,
               total ? 100.0 * (double)t[i].st.ns / (double)total : 0.0, (unsigned long long)t[i].st.posts,
               (unsigned long long)t[i].st.hits, (unsigned long long)t[i].st.confirms);
    free(t);
}

static void run_mode(const char *rules_path, const char *synth_path, unsigned flags, const char *mode,
                     const posts *ps, int runs, sigs *g)
{
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    o.flags = flags | CRED_RULES_NO_CACHE;
    double t0 = now(), c0 = cpu();
    cred_rules *r = NULL;
    const char *path = synth_path ? synth_path : rules_path;
    if (cred_rules_load(&r, path, &o) < 0) {
        const cred_error *e = cred_error_last();
        fprintf(stderr, "bench_rules: %s:%llu:%llu: %s\n", e->file ? e->file : path, (unsigned long long)e->line,
                (unsigned long long)e->column, e->message);
        exit(2);
    }
    double compile_s = now() - t0, compile_cpu_s = cpu() - c0;
    /* the same through the database cache: once to fill it, once timed */
    o.flags = flags;
    cred_rules *warm = NULL;
    if (cred_rules_load(&warm, path, &o) < 0)
        exit(2);
    cred_rules_free(warm);
    t0 = now();
    if (cred_rules_load(&warm, path, &o) < 0)
        exit(2);
    double cached_s = now() - t0;
    cred_rules_free(warm);
    cred_text *tx;
    cred_scanner *sc;
    if (cred_text_new(&tx, NULL) < 0 || cred_scanner_new(&sc, r, top_n > 0 ? CRED_SCANNER_PROFILE : 0) < 0)
        exit(2);
    double best_all = 1e30, best_an = 1e30, best_all_cpu = 1e30, best_an_cpu = 1e30;
    size_t hits = 0;
    for (int run = 0; run < runs; run++) {
        double ca = cpu();
        double a = now();
        for (size_t i = 0; i < ps->n; i++) {
            const cred_doc *doc;
            cred_text_analyse(tx, &doc, ps->text[i], ps->len[i], NULL);
        }
        double b = now(), cb = cpu();
        hits = 0;
        bool last = run == runs - 1;
        g->n = 0;
        cred_scanner_stats_reset(sc);
        for (size_t i = 0; i < ps->n; i++) {
            const cred_doc *doc;
            const cred_scan_result *res;
            if (last)
                g->first[i] = g->n;
            if (cred_text_analyse(tx, &doc, ps->text[i], ps->len[i], NULL) < 0)
                continue;
            if (cred_scanner_scan(sc, &res, doc, NULL) == 0) {
                hits += res->n_hits;
                if (last)
                    sig_add(g, res);
            }
        }
        if (last)
            g->first[ps->n] = g->n;
        double c = now(), cc = cpu();
        if (c - b < best_all)
            best_all = c - b;
        if (b - a < best_an)
            best_an = b - a;
        if (cc - cb < best_all_cpu)
            best_all_cpu = cc - cb;
        if (cb - ca < best_an_cpu)
            best_an_cpu = cb - ca;
    }
    double scan = best_all - best_an, scan_cpu = best_all_cpu - best_an_cpu;
    printf("bench=rules mode=%s rules=%zu posts=%zu posts_per_s=%.0f scan_posts_per_s=%.0f cpu_posts_per_s=%.0f "
           "cpu_scan_posts_per_s=%.0f compile_s=%.3f compile_cpu_s=%.3f compile_cached_s=%.3f hits=%zu\n",
           mode, cred_rules_count(r), ps->n, (double)ps->n / best_all, scan > 0 ? (double)ps->n / scan : 0.0,
           best_all_cpu > 0 ? (double)ps->n / best_all_cpu : 0.0, scan_cpu > 0 ? (double)ps->n / scan_cpu : 0.0,
           compile_s, compile_cpu_s, cached_s, hits);
    if (top_n > 0)
        print_top(r, sc, mode, ps->n);
    fflush(stdout);
    cred_scanner_free(sc);
    cred_text_free(tx);
    cred_rules_free(r);
}

int main(int argc, char **argv)
{
    const char *rules_path = "rules";
    int n_synth = 0, runs = 3, n_diff = 0;
    const char *only = NULL; /* -only vectorscan|pcre2: one mode, no comparison (for profiling) */
    size_t max = 200000;
    posts ps = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-rules") && i + 1 < argc)
            rules_path = argv[++i];
        else if (!strcmp(argv[i], "-synth") && i + 1 < argc)
            n_synth = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "-diff") && i + 1 < argc)
            n_diff = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-top") && i + 1 < argc)
            top_n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-max") && i + 1 < argc)
            max = (size_t)atol(argv[++i]);
        else
            read_posts(&ps, argv[i], max);
    }
    if (ps.n == 0) {
        fprintf(stderr, "usage: bench_rules [-rules PATH] [-synth N] [-runs R] [-max P] [-diff K] [-only MODE] "
                        "[-top N] FILE[:TEXTCOL]...\n");
        return 2;
    }
    if (runs < 1)
        runs = 1;
    char dir[] = "/tmp/bench_rules_XXXXXX";
    const char *synth_path = NULL;
    if (n_synth > 0) {
        /* a temporary directory with the synthetic rules and a copy of the rule files */
        if (!mkdtemp(dir))
            return 2;
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "cp -r %s/* %s/ 2>/dev/null || cp %s %s/", rules_path, dir, rules_path, dir);
        if (system(cmd) != 0)
            return 2;
        char path[1200];
        snprintf(path, sizeof path, "%s/zz_synthetic.rules", dir);
        FILE *f = fopen(path, "w");
        if (!f)
            return 2;
        synth(f, n_synth);
        fclose(f);
        synth_path = dir;
    }
    sigs g[2] = {{0}, {0}};
    for (int m = 0; m < 2; m++)
        if (!(g[m].first = calloc(ps.n + 1, sizeof *g[m].first)))
            return 2;
    if (!only || !strcmp(only, "vectorscan"))
        run_mode(rules_path, synth_path, 0, "vectorscan", &ps, runs, &g[0]);
    if (!only || !strcmp(only, "pcre2"))
        run_mode(rules_path, synth_path, CRED_RULES_NO_PREFILTER, "pcre2", &ps, runs, &g[1]);
    size_t mismatched = 0;
    for (size_t i = 0; i < ps.n && !only; i++) {
        size_t a0 = g[0].first[i], a1 = g[0].first[i + 1], b0 = g[1].first[i], b1 = g[1].first[i + 1];
        bool same = a1 - a0 == b1 - b0;
        for (size_t k = 0; same && k < a1 - a0; k++)
            same = sig_eq(&g[0].h[a0 + k], &g[1].h[b0 + k]);
        if (same)
            continue;
        if ((int)mismatched++ < n_diff) {
            fprintf(stderr, "post %zu differs: %.*s\n", i, (int)(ps.len[i] < 300 ? ps.len[i] : 300), ps.text[i]);
            for (int m = 0; m < 2; m++)
                for (size_t k = m ? b0 : a0; k < (m ? b1 : a1); k++)
                    fprintf(stderr, "  %s rule=%u span=%u-%u sentence=%u points=%g flags=%u\n",
                            m ? "pcre2" : "vectorscan", g[m].h[k].rule, g[m].h[k].start, g[m].h[k].end,
                            g[m].h[k].sentence, g[m].h[k].points, g[m].h[k].flags);
        }
    }
    if (!only)
        printf("bench=rules posts=%zu hits_vectorscan=%zu hits_pcre2=%zu mismatched_posts=%zu\n", ps.n, g[0].n,
               g[1].n, mismatched);
    for (int m = 0; m < 2; m++) {
        free(g[m].h);
        free(g[m].first);
    }
    if (synth_path) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            return 2;
    }
    for (size_t i = 0; i < ps.n; i++)
        free(ps.text[i]);
    free(ps.text);
    free(ps.len);
    return 0;
}
