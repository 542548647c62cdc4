/*
 * Text-pipeline benchmark: validate + normalise + tokenise + sentences + links + language + stems
 * (cred_text_analyse) over a post file, on one core. Peers in the same run, over the same texts:
 * utf8proc NFKC + case fold of every post (utf8proc_map), and Snowball stemming of every
 * whitespace-separated token without a cache.
 *
 *   bench_text [-runs N] FILE        (FILE: any input format, e.g. the output of gen_posts)
 * Prints one key=value line per measurement: wall time (seconds, mb_per_s, posts_per_s) and CPU time
 * of the measuring thread (cpu_seconds, cpu_mb_per_s, cpu_posts_per_s), which is what to compare on a
 * loaded machine. Modes: the whole pipeline with detection, with a language hint, without stems and
 * language, language detection alone, then the peers.
 */
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <utf8proc.h>

#include "credence.h"

typedef struct {
    char *data;
    size_t *off, *len;
    size_t n, cap, bytes;
} corpus;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: what the text costs on a loaded machine, where wall time also counts waiting. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static int load(corpus *c, const char *path)
{
    cred_reader *r;
    if (cred_reader_open(&r, path, NULL) < 0) {
        fprintf(stderr, "bench_text: %s\n", cred_error_last()->message);
        return -1;
    }
    size_t dcap = 1 << 20;
    c->data = malloc(dcap);
    const cred_post *p;
    while (cred_reader_next(r, &p) > 0) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 1024;
            c->off = realloc(c->off, c->cap * sizeof *c->off);
            c->len = realloc(c->len, c->cap * sizeof *c->len);
        }
        while (c->bytes + p->text_len > dcap)
            c->data = realloc(c->data, dcap *= 2);
        memcpy(c->data + c->bytes, p->text, p->text_len);
        c->off[c->n] = c->bytes;
        c->len[c->n++] = p->text_len;
        c->bytes += p->text_len;
    }
    cred_reader_free(r);
    return 0;
}

/* secs: wall time; cpu: CPU time of the measuring thread. */
static void report(const char *mode, const corpus *c, double secs, double cpu, size_t extra, const char *extra_name)
{
    printf("bench=text mode=%s posts=%zu bytes=%zu seconds=%.3f mb_per_s=%.1f posts_per_s=%.0f cpu_seconds=%.3f "
           "cpu_mb_per_s=%.1f cpu_posts_per_s=%.0f %s=%zu peak_rss_mb=%.1f\n",
           mode, c->n, c->bytes, secs, (double)c->bytes / 1e6 / secs, (double)c->n / secs, cpu,
           (double)c->bytes / 1e6 / cpu, (double)c->n / cpu, extra_name, extra, peak_rss_mb());
}

/* Run cred_text_analyse over the corpus `runs` times; best wall and best CPU time; tokens counted. */
static void run_analyse(const char *mode, const corpus *c, const cred_text_options *o, const char *hint, int runs)
{
    cred_text *t;
    if (cred_text_new(&t, o) < 0)
        return;
    double best = 1e9, best_cpu = 1e9;
    size_t tokens = 0;
    for (int run = 0; run < runs; run++) {
        tokens = 0;
        double t0 = now(), c0 = cpu_now();
        for (size_t i = 0; i < c->n; i++) {
            const cred_doc *d;
            if (cred_text_analyse(t, &d, c->data + c->off[i], c->len[i], hint) == 0)
                tokens += d->n_tokens;
        }
        double dt = now() - t0, dc = cpu_now() - c0;
        best = dt < best ? dt : best;
        best_cpu = dc < best_cpu ? dc : best_cpu;
    }
    report(mode, c, best, best_cpu, tokens, "tokens");
    cred_text_free(t);
}

int main(int argc, char **argv)
{
    int runs = 3;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: bench_text [-runs N] FILE\n");
        return 2;
    }
    corpus c = {0};
    if (load(&c, path) < 0 || c.n == 0)
        return 1;

    /* credence: the whole pipeline, best of `runs` (the first run also fills the caches) */
    run_analyse("credence_analyse", &c, NULL, NULL, runs);

    /* the same with a language hint (no detection), and without stemming and language identification,
       to show their shares */
    run_analyse("credence_hint_en", &c, NULL, "en", runs);
    cred_text_options o = CRED_TEXT_OPTIONS_INIT;
    o.flags = CRED_TEXT_NO_STEMS | CRED_TEXT_NO_LANG;
    run_analyse("credence_no_stem_no_lang", &c, &o, "und", 1);

    /* language identification alone on the raw text, as cred_text_analyse samples it */
    double t0 = now(), c0 = cpu_now();
    size_t known = 0;
    for (size_t i = 0; i < c.n; i++)
        known += strcmp(cred_lang_detect(c.data + c.off[i], c.len[i] < 4096 ? c.len[i] : 4096, NULL), "und") != 0;
    report("credence_lang_detect", &c, now() - t0, cpu_now() - c0, known, "known");

    /* peer: utf8proc NFKC + case fold of every post (allocating API) */
    t0 = now();
    c0 = cpu_now();
    size_t out_bytes = 0;
    for (size_t i = 0; i < c.n; i++) {
        utf8proc_uint8_t *dst = NULL;
        utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)c.data + c.off[i], (utf8proc_ssize_t)c.len[i],
                                          &dst, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
        if (n > 0)
            out_bytes += (size_t)n;
        free(dst);
    }
    report("peer_utf8proc_nfkc_casefold", &c, now() - t0, cpu_now() - c0, out_bytes, "out_bytes");

    /* peer: Snowball on every whitespace token, no cache (English stemmer) */
    struct sb_stemmer *st = sb_stemmer_new("english", "UTF_8");
    t0 = now();
    c0 = cpu_now();
    size_t stemmed = 0;
    for (size_t i = 0; i < c.n; i++) {
        const char *s = c.data + c.off[i], *e = s + c.len[i];
        while (s < e) {
            while (s < e && (*s == ' ' || *s == '\n'))
                s++;
            const char *w = s;
            while (s < e && *s != ' ' && *s != '\n')
                s++;
            if (s > w) {
                sb_stemmer_stem(st, (const sb_symbol *)w, (int)(s - w));
                stemmed++;
            }
        }
    }
    report("peer_snowball_every_token", &c, now() - t0, cpu_now() - c0, stemmed, "tokens");
    sb_stemmer_delete(st);
    free(c.data);
    free(c.off);
    free(c.len);
    return 0;
}
