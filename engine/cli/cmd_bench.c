/*
 * credence bench: how fast each stage of the pipeline runs, on posts held in memory, for researchers.
 *
 * The inputs are read once (files are mapped, standard input is read whole) and their posts copied
 * into memory, at most --max-posts of them. Each selected stage then runs --runs times over the same
 * posts on the calling thread, and the best wall time and the best CPU time are reported:
 *   parse     the readers over the input bytes (cred_reader_open_memory + cred_reader_next);
 *   analyse   cred_text_analyse of every post;
 *   rules     cred_scanner_scan alone: posts are analysed POOL at a time by POOL analysers (their docs
 *             stay valid together), untimed, then the scans of those docs are timed;
 *   dedup     cred_dedup_add alone, into a new index per run, timed like rules;
 *   score     the whole per-post path of the library, as a group bot runs it: analyse, scan,
 *             cred_dedup_add, cred_dedup_cluster and cred_scorer_score (no output);
 *   score_threads (with --threads N) the score pipeline of `credence score`: N workers analyse and
 *             scan chunks of posts, the calling thread links copies and scores in input order.
 * One line per stage, key=value like the programs in bench/ (or one JSON object per line):
 *   bench=STAGE posts= bytes= seconds= cpu_seconds= mb_per_s= posts_per_s= peak_rss_mb= threads=
 * bytes are the input bytes read for parse and the post texts for the other stages; cpu_seconds is
 * the CPU time of the measuring thread (of the process for score_threads); peak_rss_mb is the
 * process's peak so far, posts in memory included. --profile adds the 10 costliest rules, from one
 * more scan pass with a profiling scanner (CRED_SCANNER_PROFILE), so that the timed runs stay unprofiled.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "learn_cli.h"

#define POOL 32             /* analysers whose docs the rules and dedup stages time together */
#define POOL_CACHE (1u << 20) /* stem cache of each of them (their analysis is not timed) */
#define CHUNK 256           /* posts a score_threads worker takes at a time */
#define MAX_THREADS 256
#define PROFILE_TOP 10

static const cli_option options[] = {
    CLI_INPUT_OPTIONS,
    {"rules", 'r', "PATH", "rule file or directory (default: $CREDENCE_RULES, else the shipped rules/)"},
    {"weights", 'w', "FILE", "model weights written by `credence train` (default: the built-in model)"},
    {"stages", 's', "LIST", "comma-separated stages: parse, analyse, rules, dedup, score (default: all)"},
    {"runs", 'n', "N", "runs of each stage, the best is reported (default 3)"},
    {"threads", 'j', "N", "also time the whole score pipeline with N analysis threads (score_threads)"},
    {"max-posts", 0, "N", "most posts read into memory (default 1000000)"},
    {"output", 0, "FORMAT", "text (default: key=value lines, as bench/ prints) or json (one object per line)"},
    {"profile", 0, NULL, "also print the 10 costliest rules (one more scan pass, profiled)"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

const cli_command cmd_bench = {
    "bench",
    "Measure each pipeline stage (parse, analyse, rules, dedup, score) on posts held in memory.",
    "credence bench [--rules PATH] [--weights FILE] [--stages LIST] [--runs N] [--threads N] FILE...|-",
    "Reads the inputs once (at most --max-posts posts), then runs each stage --runs times on one core\n"
    "and prints the best run, one line per stage:\n"
    "  bench=STAGE posts=N bytes=N seconds=S cpu_seconds=S mb_per_s=X posts_per_s=X peak_rss_mb=X threads=N\n"
    "parse: the readers over the input bytes; analyse: cred_text_analyse; rules: cred_scanner_scan alone\n"
    "(on docs analysed beforehand); dedup: cred_dedup_add alone; score: analyse, scan, link copies and\n"
    "score each post. bytes: input bytes for parse, post texts for the others. cpu_seconds: CPU time of\n"
    "the measuring thread. --threads N adds score_threads, the `credence score` pipeline with N analysis\n"
    "threads (cpu_seconds: the whole process). --profile adds lines bench=rule_profile rank= rule=\n"
    "seconds= share= confirms= hits= posts= (share: of the profiled scan time). --output json prints the\n"
    "same keys as one JSON object per line.\n"
    "Exit: 0 stages were measured; 1 nothing usable was read; 2 usage error, missing file, bad rules/weights.",
    options,
    run,
};

enum { ST_PARSE, ST_ANALYSE, ST_RULES, ST_DEDUP, ST_SCORE, ST_COUNT };
static const char *const stage_names[ST_COUNT] = {"parse", "analyse", "rules", "dedup", "score"};

/* One input held in memory, and how much of it the posts in memory came from. */
typedef struct input {
    const char *path;
    char *data;
    size_t len;
    bool mapped;
    size_t posts;   /* posts taken from it */
    bool complete;  /* read to its end (else cut by --max-posts) */
} input;

typedef struct bench {
    const cli_args *a;
    cred_reader_options ropts;
    input *inputs;
    int n_inputs;
    cli_arena arena;
    cred_post *posts;
    size_t n_posts, cap_posts;
    uint64_t text_bytes;
    cred_rules *rules;
    cred_model *model;
    int runs;
    bool json;
} bench;

/* Best wall and best CPU time over the runs of one stage. */
typedef struct timing {
    double wall, cpu;
} timing;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void timing_keep(timing *best, double wall, double cpu)
{
    if (wall < best->wall)
        best->wall = wall;
    if (cpu < best->cpu)
        best->cpu = cpu;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static void report(const bench *b, const char *stage, unsigned threads, size_t posts, uint64_t bytes, timing t)
{
    double wall = t.wall > 1e-9 ? t.wall : 1e-9;
    double mbs = (double)bytes / 1e6 / wall, pps = (double)posts / wall;
    if (b->json)
        printf("{\"bench\":\"%s\",\"posts\":%zu,\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"cpu_seconds\":%.6f,"
               "\"mb_per_s\":%.1f,\"posts_per_s\":%.0f,\"peak_rss_mb\":%.1f,\"threads\":%u}\n",
               stage, posts, bytes, t.wall, t.cpu, mbs, pps, peak_rss_mb(), threads);
    else
        printf("bench=%s posts=%zu bytes=%" PRIu64 " seconds=%.6f cpu_seconds=%.6f mb_per_s=%.1f posts_per_s=%.0f "
               "peak_rss_mb=%.1f threads=%u\n",
               stage, posts, bytes, t.wall, t.cpu, mbs, pps, peak_rss_mb(), threads);
    fflush(stdout);
}

/* ---- loading --------------------------------------------------------------------------------------- */

/* Read a descriptor to its end into a malloc'ed buffer (standard input, pipes). */
static int read_all(int fd, char **out, size_t *len)
{
    size_t cap = 1u << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return CRED_ENOMEM;
    for (;;) {
        if (n == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                return CRED_ENOMEM;
            }
            buf = p;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(buf);
            return CRED_EIO;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Map a regular file (read whole anything else) into in->data. Prints an error and returns false. */
static bool input_load(const bench *b, input *in)
{
    bool is_stdin = strcmp(in->path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(in->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        cli_error(b->a, 0, "cannot open '%s': %s", in->path, strerror(errno));
        if (fd >= 0 && !is_stdin)
            close(fd);
        return false;
    }
    int rc = 0;
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            in->data = p;
            in->len = (size_t)st.st_size;
            in->mapped = true;
        } else {
            rc = CRED_EIO;
        }
    } else {
        rc = read_all(fd, &in->data, &in->len);
    }
    if (rc < 0)
        cli_error(b->a, 0, "cannot read '%s': %s", in->path, rc == CRED_ENOMEM ? "out of memory" : strerror(errno));
    if (!is_stdin)
        close(fd);
    return rc == 0;
}

/* The name readers give the input in diagnostics (and as the default source). */
static const char *input_name(const input *in)
{
    return strcmp(in->path, "-") == 0 ? "<stdin>" : in->path;
}

/* Print a reader's fatal error as `credence score` does: at its line when it has one. */
static void print_read_error(const bench *b, int rc, const char *path)
{
    const cred_error *e = cred_error_last();
    if (e->file && e->line)
        fprintf(stderr, "%s:%" PRIu64 ":%" PRIu64 ": error: %s\n", e->file, e->line, e->column ? e->column : 1,
                e->message);
    else
        cli_error(b->a, rc, "%s", path);
}

/* Read every input and copy up to max posts. Returns false when out of memory (reported). */
static bool load_posts(bench *b, size_t max, cli_input_totals *totals)
{
    for (int i = 0; i < b->n_inputs; i++) {
        input *in = &b->inputs[i];
        if (b->n_posts >= max)
            break;
        if (!input_load(b, in)) {
            totals->failed_files++;
            continue;
        }
        cred_reader *r;
        int rc = cred_reader_open_memory(&r, input_name(in), in->data, in->len, &b->ropts);
        if (rc < 0) {
            print_read_error(b, rc, in->path);
            totals->failed_files++;
            continue;
        }
        const cred_post *p;
        while (b->n_posts < max && (rc = cred_reader_next(r, &p)) > 0) {
            if (b->n_posts == b->cap_posts) {
                size_t cap = b->cap_posts ? b->cap_posts * 2 : 1024;
                cred_post *np = realloc(b->posts, cap * sizeof *np);
                if (!np)
                    rc = CRED_ENOMEM;
                else {
                    b->posts = np;
                    b->cap_posts = cap;
                }
            }
            if (rc < 0 || !cli_post_copy(&b->arena, &b->posts[b->n_posts], p)) {
                cli_error(b->a, CRED_ENOMEM, "%s", in->path);
                cred_reader_free(r);
                return false;
            }
            b->text_bytes += p->text_len;
            b->n_posts++;
            in->posts++;
        }
        in->complete = rc == 0;
        if (rc < 0) {
            print_read_error(b, rc, in->path);
            totals->failed_files++;
        }
        cli_totals_add(totals, r);
        cred_reader_free(r);
    }
    return true;
}

/* ---- stages ---------------------------------------------------------------------------------------- */

static int stage_parse(bench *b, timing *best, uint64_t *bytes)
{
    cred_reader_options o = b->ropts;
    o.on_diag = NULL; /* reported once, while loading */
    for (int run = 0; run < b->runs; run++) {
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        *bytes = 0;
        for (int i = 0; i < b->n_inputs; i++) {
            const input *in = &b->inputs[i];
            cred_reader *r;
            if (!in->posts || cred_reader_open_memory(&r, input_name(in), in->data, in->len, &o) < 0)
                continue;
            const cred_post *p;
            size_t n = 0;
            while ((in->complete || n < in->posts) && cred_reader_next(r, &p) > 0)
                n++;
            *bytes += cred_reader_stats_get(r)->bytes;
            cred_reader_free(r);
        }
        timing_keep(best, clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_THREAD_CPUTIME_ID) - c0);
    }
    return 0;
}

static int stage_analyse(bench *b, timing *best)
{
    cred_text *t;
    int rc = cred_text_new(&t, NULL);
    for (int run = 0; rc == 0 && run < b->runs; run++) {
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        for (size_t i = 0; i < b->n_posts && rc != CRED_ENOMEM; i++) {
            const cred_doc *doc;
            rc = cred_text_analyse(t, &doc, b->posts[i].text, b->posts[i].text_len, b->posts[i].lang);
        }
        rc = rc == CRED_ENOMEM ? rc : 0;
        timing_keep(best, clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_THREAD_CPUTIME_ID) - c0);
    }
    cred_text_free(t);
    return rc;
}

/* The step timed on analysed docs: a scan or a near-duplicate link. */
typedef int (*doc_fn)(void *ctx, const cred_doc *doc, const cred_post *post);

static int scan_doc(void *ctx, const cred_doc *doc, const cred_post *post)
{
    const cred_scan_result *res;
    int rc = cred_scanner_scan(ctx, &res, doc, post);
    return rc == CRED_ELIMIT ? 0 : rc; /* the result is complete but for that pattern */
}

static int dedup_doc(void *ctx, const cred_doc *doc, const cred_post *post)
{
    cred_dup_match m;
    return cred_dedup_add(ctx, &m, doc, post->date, post->source);
}

/*
 * One pass of fn over every post: POOL posts are analysed by the POOL analysers (untimed), then fn runs
 * on those docs while the clocks run. Adds the time spent in fn to *wall and *cpu.
 */
static int pass_over_docs(const bench *b, cred_text *const *pool, doc_fn fn, void *ctx, double *wall, double *cpu)
{
    const cred_doc *docs[POOL];
    for (size_t i = 0; i < b->n_posts; i += POOL) {
        size_t m = b->n_posts - i < POOL ? b->n_posts - i : POOL;
        for (size_t k = 0; k < m; k++) {
            const cred_post *p = &b->posts[i + k];
            int rc = cred_text_analyse(pool[k], &docs[k], p->text, p->text_len, p->lang);
            if (rc == CRED_ENOMEM)
                return rc;
            if (rc < 0)
                docs[k] = NULL;
        }
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        for (size_t k = 0; k < m; k++) {
            int rc = docs[k] ? fn(ctx, docs[k], &b->posts[i + k]) : 0;
            if (rc < 0)
                return rc;
        }
        *wall += clock_s(CLOCK_MONOTONIC) - w0;
        *cpu += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    }
    return 0;
}

static int pool_new(cred_text **pool)
{
    cred_text_options o = CRED_TEXT_OPTIONS_INIT;
    o.cache_bytes = POOL_CACHE;
    for (size_t k = 0; k < POOL; k++) {
        int rc = cred_text_new(&pool[k], &o);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void pool_free(cred_text **pool)
{
    for (size_t k = 0; k < POOL; k++)
        cred_text_free(pool[k]);
}

static int stage_rules(bench *b, cred_text *const *pool, timing *best)
{
    cred_scanner *sc;
    int rc = cred_scanner_new(&sc, b->rules, 0);
    for (int run = 0; rc == 0 && run < b->runs; run++) {
        double wall = 0, cpu = 0;
        rc = pass_over_docs(b, pool, scan_doc, sc, &wall, &cpu);
        timing_keep(best, wall, cpu);
    }
    cred_scanner_free(sc);
    return rc;
}

static int stage_dedup(bench *b, cred_text *const *pool, timing *best)
{
    int rc = 0;
    for (int run = 0; rc == 0 && run < b->runs; run++) {
        cred_dedup *d;
        if ((rc = cred_dedup_new(&d, NULL)) < 0)
            break;
        double wall = 0, cpu = 0;
        rc = pass_over_docs(b, pool, dedup_doc, d, &wall, &cpu);
        timing_keep(best, wall, cpu);
        cred_dedup_free(d);
    }
    return rc;
}

/* The per-post path of the library on one thread: analyse, scan, link copies, score. */
static int stage_score(bench *b, timing *best)
{
    cred_text *t = NULL;
    cred_scanner *sc = NULL;
    cred_scorer *scorer = NULL;
    int rc;
    if ((rc = cred_text_new(&t, NULL)) < 0 || (rc = cred_scanner_new(&sc, b->rules, 0)) < 0 ||
        (rc = cred_scorer_new(&scorer, b->model)) < 0)
        goto done;
    for (int run = 0; rc == 0 && run < b->runs; run++) {
        cred_dedup *d;
        if ((rc = cred_dedup_new(&d, NULL)) < 0)
            break;
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        for (size_t i = 0; i < b->n_posts && rc == 0; i++) {
            const cred_post *p = &b->posts[i];
            const cred_doc *doc;
            const cred_scan_result *res = NULL;
            const cred_score *score;
            cred_dup_match m;
            cred_dup_cluster cl;
            if (cred_text_analyse(t, &doc, p->text, p->text_len, p->lang) < 0)
                continue;
            if ((rc = cred_scanner_scan(sc, &res, doc, p)) == CRED_ELIMIT)
                rc = 0;
            if (rc == 0 && (rc = cred_dedup_add(d, &m, doc, p->date, p->source)) == 0) {
                bool have_cluster = cred_dedup_cluster(d, &cl, m.doc) == 0;
                cred_score_input in = {p, doc, res, &m, have_cluster ? &cl : NULL};
                rc = cred_scorer_score(scorer, &score, &in);
            }
        }
        timing_keep(best, clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_THREAD_CPUTIME_ID) - c0);
        cred_dedup_free(d);
    }
done:
    cred_scorer_free(scorer);
    cred_scanner_free(sc);
    cred_text_free(t);
    return rc;
}

/* ---- score_threads: workers analyse and scan chunks, the calling thread links and scores in order -- */

typedef struct scan_chunk {
    cli_arena arena;      /* quotes, explanations and detected languages of its hits */
    cred_rule_hit *hits;
    size_t n_hits, cap_hits;
    bool done;
} scan_chunk;

typedef struct post_scan {
    size_t first, n, suppressed;
    double total;
    const char *lang;     /* declared, else detected: the hint for the second analysis */
    bool ok;
} post_scan;

typedef struct par {
    const bench *b;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    size_t next, consumed, n_chunks, window;
    scan_chunk *chunks;
    post_scan *scans;
    int rc;
} par;

/* Analyse and scan the posts of chunk c, copying their hits (with their strings) into the chunk. */
static int scan_chunk_run(par *pp, size_t c, cred_text *t, cred_scanner *sc)
{
    scan_chunk *ch = &pp->chunks[c];
    size_t end = (c + 1) * CHUNK < pp->b->n_posts ? (c + 1) * CHUNK : pp->b->n_posts;
    for (size_t i = c * CHUNK; i < end; i++) {
        const cred_post *p = &pp->b->posts[i];
        post_scan *ps = &pp->scans[i];
        const cred_doc *doc;
        const cred_scan_result *res;
        memset(ps, 0, sizeof *ps);
        ps->lang = p->lang;
        if (cred_text_analyse(t, &doc, p->text, p->text_len, p->lang) < 0)
            continue;
        if (!p->lang && !(ps->lang = cli_arena_strdup(&ch->arena, doc->lang)))
            return CRED_ENOMEM;
        int rc = cred_scanner_scan(sc, &res, doc, p);
        if (rc == CRED_ENOMEM)
            return rc;
        if (rc < 0 && rc != CRED_ELIMIT)
            continue;
        if (ch->n_hits + res->n_hits > ch->cap_hits) {
            size_t cap = ch->cap_hits ? ch->cap_hits : 256;
            while (cap < ch->n_hits + res->n_hits)
                cap *= 2;
            cred_rule_hit *nh = realloc(ch->hits, cap * sizeof *nh);
            if (!nh)
                return CRED_ENOMEM;
            ch->hits = nh;
            ch->cap_hits = cap;
        }
        ps->first = ch->n_hits;
        for (size_t k = 0; k < res->n_hits; k++) {
            cred_rule_hit *h = &ch->hits[ch->n_hits++];
            *h = res->hits[k];
            h->quote = h->quote ? cli_arena_strndup(&ch->arena, h->quote, h->quote_len) : NULL;
            h->explain = cli_arena_strdup(&ch->arena, h->explain ? h->explain : "");
            if (!h->explain || (res->hits[k].quote && !h->quote))
                return CRED_ENOMEM;
        }
        ps->n = res->n_hits;
        ps->total = res->total;
        ps->suppressed = res->suppressed;
        ps->ok = true;
    }
    return 0;
}

static void par_fail(par *pp, int rc)
{
    pthread_mutex_lock(&pp->mu);
    if (pp->rc == 0)
        pp->rc = rc;
    pthread_cond_broadcast(&pp->cv_work);
    pthread_cond_broadcast(&pp->cv_done);
    pthread_mutex_unlock(&pp->mu);
}

static void *par_worker(void *arg)
{
    par *pp = arg;
    cred_text *t = NULL;
    cred_scanner *sc = NULL;
    int rc = cred_text_new(&t, NULL);
    if (rc == 0)
        rc = cred_scanner_new(&sc, pp->b->rules, 0);
    if (rc < 0)
        par_fail(pp, rc);
    while (rc == 0) {
        pthread_mutex_lock(&pp->mu);
        while (pp->rc == 0 && pp->next < pp->n_chunks && pp->next >= pp->consumed + pp->window)
            pthread_cond_wait(&pp->cv_work, &pp->mu);
        size_t c = pp->next;
        bool stop = pp->rc != 0 || c >= pp->n_chunks;
        if (!stop)
            pp->next++;
        pthread_mutex_unlock(&pp->mu);
        if (stop)
            break;
        if ((rc = scan_chunk_run(pp, c, t, sc)) < 0) {
            par_fail(pp, rc);
            break;
        }
        pthread_mutex_lock(&pp->mu);
        pp->chunks[c].done = true;
        pthread_cond_broadcast(&pp->cv_done);
        pthread_mutex_unlock(&pp->mu);
    }
    cred_scanner_free(sc);
    cred_text_free(t);
    return NULL;
}

/* Link copies and score the posts of chunk c in input order, as `credence score`'s main thread does. */
static int consume_chunk(par *pp, size_t c, cred_text *t, cred_dedup *d, cred_scorer *scorer)
{
    const scan_chunk *ch = &pp->chunks[c];
    size_t end = (c + 1) * CHUNK < pp->b->n_posts ? (c + 1) * CHUNK : pp->b->n_posts;
    for (size_t i = c * CHUNK; i < end; i++) {
        const cred_post *p = &pp->b->posts[i];
        const post_scan *ps = &pp->scans[i];
        const cred_doc *doc;
        const cred_score *score;
        cred_dup_match m;
        cred_dup_cluster cl;
        int rc = cred_text_analyse(t, &doc, p->text, p->text_len, ps->lang);
        if (rc == CRED_ENOMEM)
            return rc;
        if (rc < 0)
            continue;
        if ((rc = cred_dedup_add(d, &m, doc, p->date, p->source)) < 0)
            return rc;
        bool have_cluster = cred_dedup_cluster(d, &cl, m.doc) == 0;
        cred_scan_result scan = {ch->hits + ps->first, ps->n, ps->total, ps->suppressed};
        cred_score_input in = {p, doc, ps->ok ? &scan : NULL, &m, have_cluster ? &cl : NULL};
        if ((rc = cred_scorer_score(scorer, &score, &in)) < 0)
            return rc;
    }
    return 0;
}

static int par_run(const bench *b, unsigned threads, cred_text *t, cred_scorer *scorer)
{
    par pp;
    memset(&pp, 0, sizeof pp);
    pp.b = b;
    pp.n_chunks = (b->n_posts + CHUNK - 1) / CHUNK;
    pp.window = 4 * (size_t)threads; /* chunks analysed ahead of the scoring thread */
    pp.chunks = calloc(pp.n_chunks ? pp.n_chunks : 1, sizeof *pp.chunks);
    pp.scans = malloc((b->n_posts ? b->n_posts : 1) * sizeof *pp.scans);
    pthread_t *tid = malloc(threads * sizeof *tid);
    cred_dedup *d = NULL;
    unsigned started = 0;
    int rc = pp.chunks && pp.scans && tid ? cred_dedup_new(&d, NULL) : CRED_ENOMEM;
    pthread_mutex_init(&pp.mu, NULL);
    pthread_cond_init(&pp.cv_work, NULL);
    pthread_cond_init(&pp.cv_done, NULL);
    for (; rc == 0 && started < threads; started++)
        if (pthread_create(&tid[started], NULL, par_worker, &pp) != 0) {
            cli_error(b->a, 0, "cannot start a thread");
            rc = CRED_ERROR;
            par_fail(&pp, rc);
            break;
        }
    for (size_t c = 0; rc == 0 && c < pp.n_chunks; c++) {
        pthread_mutex_lock(&pp.mu);
        while (!pp.chunks[c].done && pp.rc == 0)
            pthread_cond_wait(&pp.cv_done, &pp.mu);
        rc = pp.rc;
        pthread_mutex_unlock(&pp.mu);
        if (rc == 0 && (rc = consume_chunk(&pp, c, t, d, scorer)) < 0)
            par_fail(&pp, rc);
        cli_arena_free(&pp.chunks[c].arena);
        free(pp.chunks[c].hits);
        pp.chunks[c].hits = NULL;
        pthread_mutex_lock(&pp.mu);
        pp.consumed = c + 1;
        pthread_cond_broadcast(&pp.cv_work);
        pthread_mutex_unlock(&pp.mu);
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    if (rc == 0)
        rc = pp.rc;
    for (size_t c = 0; pp.chunks && c < pp.n_chunks; c++) {
        cli_arena_free(&pp.chunks[c].arena);
        free(pp.chunks[c].hits);
    }
    pthread_cond_destroy(&pp.cv_done);
    pthread_cond_destroy(&pp.cv_work);
    pthread_mutex_destroy(&pp.mu);
    cred_dedup_free(d);
    free(tid);
    free(pp.scans);
    free(pp.chunks);
    return rc;
}

static int stage_score_threads(bench *b, unsigned threads, timing *best)
{
    cred_text *t = NULL;
    cred_scorer *scorer = NULL;
    cred_text_options topts = CRED_TEXT_OPTIONS_INIT;
    if (!cred_model_lexical_table(b->model, NULL, NULL))
        topts.flags = CRED_TEXT_NO_STEMS | CRED_TEXT_NO_LANG; /* as `credence score`: dedup needs neither */
    int rc;
    if ((rc = cred_text_new(&t, &topts)) == 0 && (rc = cred_scorer_new(&scorer, b->model)) == 0)
        for (int run = 0; rc == 0 && run < b->runs; run++) {
            double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            rc = par_run(b, threads, t, scorer);
            timing_keep(best, clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
        }
    cred_scorer_free(scorer);
    cred_text_free(t);
    return rc;
}

/* ---- --profile: the costliest rules of one profiled scan pass ---------------------------------------- */

typedef struct rule_cost {
    size_t index;
    uint64_t ns;
} rule_cost;

static int cmp_rule_cost(const void *x, const void *y)
{
    const rule_cost *a = x, *c = y;
    return a->ns < c->ns ? 1 : a->ns > c->ns ? -1 : a->index < c->index ? -1 : a->index > c->index;
}

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++)
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned)*s);
        else
            putchar(*s);
    putchar('"');
}

static int profile_rules(bench *b, cred_text *const *pool)
{
    cred_scanner *sc;
    int rc = cred_scanner_new(&sc, b->rules, CRED_SCANNER_PROFILE);
    if (rc < 0)
        return rc;
    double wall = 0, cpu = 0;
    size_t n = cred_rules_count(b->rules);
    rule_cost *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        rc = CRED_ENOMEM;
    if (rc == 0 && (rc = pass_over_docs(b, pool, scan_doc, sc, &wall, &cpu)) == 0) {
        const cred_rule_stats *st;
        cred_scanner_stats(sc, &st);
        for (size_t i = 0; i < n; i++)
            order[i] = (rule_cost){i, st[i].ns};
        qsort(order, n, sizeof *order, cmp_rule_cost);
        for (size_t k = 0; k < n && k < PROFILE_TOP && order[k].ns; k++) {
            const cred_rule_stats *s = &st[order[k].index];
            const char *id = cred_rules_info(b->rules, order[k].index)->id;
            double secs = (double)s->ns * 1e-9, share = wall > 0 ? 100.0 * secs / wall : 0;
            if (b->json) {
                printf("{\"bench\":\"rule_profile\",\"rank\":%zu,\"rule\":", k + 1);
                print_json_string(id);
                printf(",\"seconds\":%.6f,\"share\":%.1f,\"confirms\":%" PRIu64 ",\"hits\":%" PRIu64
                       ",\"posts\":%" PRIu64 "}\n",
                       secs, share, s->confirms, s->hits, s->posts);
            } else {
                printf("bench=rule_profile rank=%zu rule=%s seconds=%.6f share=%.1f confirms=%" PRIu64 " hits=%" PRIu64
                       " posts=%" PRIu64 "\n",
                       k + 1, id, secs, share, s->confirms, s->hits, s->posts);
            }
        }
        fflush(stdout);
    }
    free(order);
    cred_scanner_free(sc);
    return rc;
}

/* ---- run -------------------------------------------------------------------------------------------- */

/* Parse --stages into selected[]. Prints one line and returns false on an unknown or empty name. */
static bool parse_stages(const cli_args *a, bool *selected)
{
    const char *list = cli_get(a, "stages", NULL);
    for (int s = 0; s < ST_COUNT; s++)
        selected[s] = list == NULL;
    if (!list)
        return true;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        int s = 0;
        while (s < ST_COUNT && !(strlen(stage_names[s]) == len && memcmp(stage_names[s], p, len) == 0))
            s++;
        if (s == ST_COUNT) {
            cli_error(a, 0, "unknown stage '%.*s' in --stages (stages: parse, analyse, rules, dedup, score)", (int)len,
                      p);
            return false;
        }
        selected[s] = true;
        if (!p[len])
            return true;
        p += len + 1;
    }
}

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_bench, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    int exit_code = 2;
    bench b;
    memset(&b, 0, sizeof b);
    b.a = &a;
    cred_text *pool[POOL] = {NULL};
    bool selected[ST_COUNT];
    double runs, threads = 0, max_posts;
    const char *fmt = cli_get(&a, "output", "text");
    if (strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
        cli_error(&a, 0, "--output must be text or json, not '%s'", fmt);
        goto done;
    }
    b.json = strcmp(fmt, "json") == 0;
    if (!parse_stages(&a, selected) || !cli_get_double(&a, "runs", 3, 1, 1000, &runs) ||
        !cli_get_double(&a, "threads", 0, 1, MAX_THREADS, &threads) ||
        !cli_get_double(&a, "max-posts", 1000000, 1, 1e9, &max_posts) || !cli_reader_options(&a, &b.ropts) ||
        !cli_inputs_exist(&a))
        goto done;
    b.runs = (int)runs;
    bool need_rules = selected[ST_RULES] || selected[ST_SCORE] || cli_has(&a, "profile");
    if (need_rules && !(b.rules = learn_rules(&a)))
        goto done;
    if (selected[ST_SCORE]) {
        const char *weights = cli_get(&a, "weights", NULL);
        rc = weights ? cred_model_load(&b.model, weights) : cred_model_default(&b.model);
        if (rc < 0) {
            cli_error(&a, rc, "cannot load weights '%s'", weights ? weights : "(built-in)");
            goto done;
        }
    }
    b.n_inputs = a.npos;
    if (!(b.inputs = calloc((size_t)a.npos, sizeof *b.inputs))) {
        cli_error(&a, CRED_ENOMEM, "cannot start");
        goto done;
    }
    for (int i = 0; i < a.npos; i++)
        b.inputs[i].path = a.pos[i];
    cli_input_totals totals = {0};
    if (!load_posts(&b, (size_t)max_posts, &totals))
        goto done;
    cli_totals_print(&a, &totals, a.npos);
    if (b.n_posts == 0) {
        exit_code = 1;
        goto done;
    }
    if ((selected[ST_RULES] || selected[ST_DEDUP] || cli_has(&a, "profile")) && (rc = pool_new(pool)) < 0) {
        cli_error(&a, rc, "cannot start");
        goto done;
    }
    for (int s = 0; s < ST_COUNT; s++) {
        if (!selected[s])
            continue;
        timing best = {1e300, 1e300};
        uint64_t bytes = b.text_bytes;
        switch (s) {
        case ST_PARSE: rc = stage_parse(&b, &best, &bytes); break;
        case ST_ANALYSE: rc = stage_analyse(&b, &best); break;
        case ST_RULES: rc = stage_rules(&b, pool, &best); break;
        case ST_DEDUP: rc = stage_dedup(&b, pool, &best); break;
        default: rc = stage_score(&b, &best); break;
        }
        if (rc < 0) {
            cli_error(&a, rc, "stage %s failed", stage_names[s]);
            goto done;
        }
        report(&b, stage_names[s], 1, b.n_posts, bytes, best);
    }
    if (selected[ST_SCORE] && threads >= 1) {
        timing best = {1e300, 1e300};
        if ((rc = stage_score_threads(&b, (unsigned)threads, &best)) < 0) {
            cli_error(&a, rc, "stage score_threads failed");
            goto done;
        }
        report(&b, "score_threads", (unsigned)threads, b.n_posts, b.text_bytes, best);
    }
    if (cli_has(&a, "profile") && (rc = profile_rules(&b, pool)) < 0) {
        cli_error(&a, rc, "rule profile failed");
        goto done;
    }
    exit_code = 0;
done:
    pool_free(pool);
    for (int i = 0; b.inputs && i < b.n_inputs; i++) {
        if (b.inputs[i].mapped)
            munmap(b.inputs[i].data, b.inputs[i].len);
        else
            free(b.inputs[i].data);
    }
    free(b.inputs);
    free(b.posts);
    cli_arena_free(&b.arena);
    cred_model_free(b.model);
    cred_rules_free(b.rules);
    free(a.pos);
    return exit_code;
}
