/*
 * bench_index [-q N] [-dir DIR] [-no-fts] FILE: the corpus (engine/index) beside SQLite FTS5 on the
 * same posts, in the same run. Prints key=value lines:
 *   build: wall and CPU seconds, posts/s and MB/s of text, for credence (2 analysis threads) and FTS5
 *          (porter unicode61, contentless, one transaction);
 *   size:  credence index bytes (dictionary, postings, positions, doc table), id map, stored text,
 *          dedup data; FTS5 database bytes;
 *   open:  time to open the built corpus;
 *   query latency p50/p99/max (ms) of top-10 queries sampled from the posts: 1 term, 2-term AND,
 *          phrases (2-3 adjacent words; a tenth are stop-word phrases: "of the", "de los", "en un",
 *          "que la", "the who"), prefixes (3-4 letters), and 1-term queries
 *          restricted to a middle time window.
 * Queries are drawn from random posts (so frequent words come up as often as they occur), with a
 * fixed seed; every query runs once on each engine. Each latency line has a *_cpu twin: the query's
 * thread CPU time (the machine is shared). -profile N runs the credence query set N more times first
 * (for perf record); -dump OUT writes each query's CPU ms, matches and top-10 ids:scores (to check
 * that a change keeps the results).
 */
#include <ctype.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "credence.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this thread (per-query figures on a shared machine). */
static double tcpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

typedef struct post {
    char *id, *text, *source;
    size_t len;
    int64_t date;
} post;

static post *posts;
static size_t n_posts, text_bytes;

static uint64_t rng = 7;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *engine, const char *kind, double *ms, size_t n)
{
    if (!n)
        return;
    qsort(ms, n, sizeof *ms, cmp_d);
    size_t p99 = (size_t)((double)n * 0.99);
    if (p99 >= n)
        p99 = n - 1;
    printf("%s_%s_queries=%zu\n%s_%s_p50_ms=%.3f\n%s_%s_p99_ms=%.3f\n%s_%s_max_ms=%.3f\n", engine, kind, n, engine,
           kind, ms[n / 2], engine, kind, ms[p99], engine, kind, ms[n - 1]);
}

/* A word of a random post: letters only, at least 2 bytes; written lower-case into out. */
static bool sample_words(cred_text *t, char words[][64], size_t want, bool adjacent)
{
    const post *p = &posts[rnd() % n_posts];
    const cred_doc *doc;
    if (cred_text_analyse(t, &doc, p->text, p->len, NULL) < 0 || doc->n_tokens < want)
        return false;
    size_t start = (size_t)(rnd() % (doc->n_tokens - want + 1));
    for (size_t k = 0; k < want; k++) {
        size_t i = adjacent ? start + k : (size_t)(rnd() % doc->n_tokens);
        const cred_token *tk = &doc->tokens[i];
        if (tk->kind != CRED_TOK_WORD || tk->len < 2 || tk->len >= 64)
            return false;
        for (uint32_t b = 0; b < tk->len; b++)
            if (doc->norm[tk->start + b] == '"' || doc->norm[tk->start + b] == '\'' || doc->norm[tk->start + b] == '-')
                return false;
        memcpy(words[k], doc->norm + tk->start, tk->len);
        words[k][tk->len] = '\0';
        if (adjacent && k && tk->sentence != doc->tokens[i - 1].sentence)
            return false;
    }
    return true;
}

enum { Q1, Q2, QPHRASE, QPREFIX, QWINDOW, NKINDS };
static const char *const kind_names[] = {"term", "and2", "phrase", "prefix", "term_window"};

typedef struct query {
    int kind;
    char cred[256], fts[256];
} query;

static int load(const char *path)
{
    cred_reader *r;
    cred_reader_options ro = CRED_READER_OPTIONS_INIT;
    if (cred_reader_open(&r, path, &ro) < 0)
        return -1;
    const cred_post *p;
    size_t cap = 0;
    while (cred_reader_next(r, &p) > 0) {
        if (n_posts == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            posts = realloc(posts, cap * sizeof *posts);
        }
        post *q = &posts[n_posts++];
        q->id = strdup(p->id);
        q->text = malloc(p->text_len + 1);
        memcpy(q->text, p->text, p->text_len);
        q->text[p->text_len] = '\0';
        q->len = p->text_len;
        q->source = p->source ? strdup(p->source) : NULL;
        q->date = p->date;
        text_bytes += p->text_len;
    }
    cred_reader_free(r);
    return 0;
}

int main(int argc, char **argv)
{
    const char *file = NULL, *dir = "/tmp/bench_index_corpus";
    int nq = 500, fts = 1, reuse = 0, profile = 0;
    const char *dump = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-q") && i + 1 < argc)
            nq = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "-no-fts"))
            fts = 0;
        else if (!strcmp(argv[i], "-reuse"))
            reuse = 1; /* query the corpus a previous run built in DIR (no build figures) */
        else if (!strcmp(argv[i], "-profile") && i + 1 < argc)
            profile = atoi(argv[++i]); /* run the credence query set N more times first (for perf) */
        else if (!strcmp(argv[i], "-dump") && i + 1 < argc)
            dump = argv[++i]; /* write each query's top-10 ids and scores to FILE (result checks) */
        else
            file = argv[i];
    }
    if (!file) {
        fprintf(stderr, "usage: bench_index [-q N] [-dir DIR] [-no-fts] [-reuse] [-profile N] [-dump OUT] FILE\n");
        return 2;
    }
    double t = now();
    if (load(file) < 0) {
        fprintf(stderr, "cannot read %s\n", file);
        return 2;
    }
    printf("posts=%zu\ntext_mb=%.1f\nload_s=%.2f\n", n_posts, text_bytes / 1e6, now() - t);
    fflush(stdout);

    /* ---- credence build ---- */
    cred_corpus *c;
    cred_corpus_stats st;
    if (reuse)
        goto opened;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 2;
    cred_corpus_options co = CRED_CORPUS_OPTIONS_INIT;
    co.flags = CRED_CORPUS_CREATE;
    co.flush_posts = 1;
    double w0 = now(), c0 = cpu();
    if (cred_corpus_open(&c, dir, &co) < 0)
        return 2;
    for (size_t i = 0; i < n_posts; i++) {
        cred_post p;
        memset(&p, 0, sizeof p);
        p.id = posts[i].id;
        p.text = posts[i].text;
        p.text_len = posts[i].len;
        p.source = posts[i].source;
        p.date = posts[i].date;
        if (cred_corpus_add(c, &p, NULL) < 0)
            return 2;
    }
    if (cred_corpus_commit(c) < 0) {
        fprintf(stderr, "commit: %s\n", cred_error_last()->message);
        return 2;
    }
    double bw = now() - w0, bc = cpu() - c0;
    cred_corpus_stats_get(c, &st);
    cred_corpus_free(c);
    printf("credence_build_wall_s=%.2f\ncredence_build_cpu_s=%.2f\ncredence_build_posts_per_s=%.0f\n"
           "credence_build_mb_per_s=%.1f\n", bw, bc, n_posts / bw, text_bytes / 1e6 / bw);
    printf("credence_store_bytes=%" PRIu64 "\n", st.store_bytes);
    printf("credence_index_bytes=%" PRIu64 "\ncredence_text_bytes=%" PRIu64 "\ncredence_dedup_bytes=%" PRIu64
           "\ncredence_file_bytes=%" PRIu64 "\n", st.index_bytes, st.text_bytes, st.dedup_bytes, st.file_bytes);
    printf("credence_dict_bytes=%" PRIu64 "\ncredence_postings_bytes=%" PRIu64 "\ncredence_positions_bytes=%" PRIu64
           "\ncredence_doc_table_bytes=%" PRIu64 "\ncredence_pairs_bytes=%" PRIu64 "\n", st.dict_bytes,
           st.postings_bytes, st.positions_bytes, st.doc_table_bytes, st.pairs_bytes);
    fflush(stdout);
opened:;
    double open_ms[5];
    for (int i = 0; i < 5; i++) {
        double o = now();
        if (cred_corpus_open(&c, dir, NULL) < 0)
            return 2;
        open_ms[i] = (now() - o) * 1e3;
        if (i < 4)
            cred_corpus_free(c);
    }
    qsort(open_ms, 5, sizeof *open_ms, cmp_d);
    printf("credence_open_ms=%.1f\n", open_ms[2]);
    if (reuse) {
        cred_corpus_stats_get(c, &st);
        printf("credence_index_bytes=%" PRIu64 "\ncredence_pairs_bytes=%" PRIu64 "\n", st.index_bytes, st.pairs_bytes);
    }

    /* ---- queries ---- */
    cred_text *tx;
    cred_text_new(&tx, NULL);
    query *qs = calloc((size_t)nq * NKINDS + 1, sizeof *qs);
    size_t n = 0;
    int64_t d_lo = posts[n_posts * 2 / 5].date, d_hi = posts[n_posts * 3 / 5].date;
    char after[32], before[32];
    time_t tt = (time_t)d_lo;
    strftime(after, sizeof after, "%Y-%m-%d", gmtime(&tt));
    tt = (time_t)d_hi;
    strftime(before, sizeof before, "%Y-%m-%d", gmtime(&tt));
    for (int kind = 0; kind < NKINDS; kind++) {
        for (int i = 0; i < nq;) {
            char w[3][64];
            query *q = &qs[n];
            q->kind = kind;
            if (kind == Q1 || kind == QWINDOW) {
                if (!sample_words(tx, w, 1, false))
                    continue;
                snprintf(q->cred, sizeof q->cred, "%s", w[0]);
                snprintf(q->fts, sizeof q->fts, "\"%s\"", w[0]);
                if (kind == QWINDOW) {
                    snprintf(q->cred, sizeof q->cred, "%s after:%s before:%s", w[0], after, before);
                    snprintf(q->fts, sizeof q->fts, "%s", w[0]); /* credence only */
                }
            } else if (kind == Q2) {
                if (!sample_words(tx, w, 2, false))
                    continue;
                snprintf(q->cred, sizeof q->cred, "%s %s", w[0], w[1]);
                snprintf(q->fts, sizeof q->fts, "\"%s\" AND \"%s\"", w[0], w[1]);
            } else if (kind == QPHRASE) {
                if (i < nq / 10) { /* stop-word phrases */
                    static const char *const sw[] = {"of the", "de los", "en un", "que la", "the who"};
                    const char *ph = sw[i % 5];
                    snprintf(q->cred, sizeof q->cred, "\"%s\"", ph);
                    snprintf(q->fts, sizeof q->fts, "\"%s\"", ph);
                } else {
                    size_t k = 2 + rnd() % 2;
                    if (!sample_words(tx, w, k, true))
                        continue;
                    if (k == 2) {
                        snprintf(q->cred, sizeof q->cred, "\"%s %s\"", w[0], w[1]);
                        snprintf(q->fts, sizeof q->fts, "\"%s %s\"", w[0], w[1]);
                    } else {
                        snprintf(q->cred, sizeof q->cred, "\"%s %s %s\"", w[0], w[1], w[2]);
                        snprintf(q->fts, sizeof q->fts, "\"%s %s %s\"", w[0], w[1], w[2]);
                    }
                }
            } else {
                if (!sample_words(tx, w, 1, false))
                    continue;
                size_t cut = 3 + rnd() % 2;
                size_t l = strlen(w[0]);
                if (l <= cut || ((unsigned char)w[0][cut] & 0xC0) == 0x80)
                    continue;
                w[0][cut] = '\0';
                snprintf(q->cred, sizeof q->cred, "%s*", w[0]);
                snprintf(q->fts, sizeof q->fts, "\"%s\"*", w[0]);
            }
            n++;
            i++;
        }
    }
    double *ms = malloc(n * sizeof *ms), *cms = malloc(n * sizeof *cms);
    cred_search_options so = CRED_SEARCH_OPTIONS_INIT;
    so.snippet_bytes = 0; /* ranking only, like the FTS5 query */
    for (int rep = 0; rep < profile; rep++)
        for (size_t i = 0; i < n; i++) {
            const cred_search_result *r;
            cred_corpus_search(c, &r, qs[i].cred, strlen(qs[i].cred), &so);
        }
    FILE *df = dump ? fopen(dump, "w") : NULL;
    size_t slowest = 0;
    double slow_ms = 0;
    for (int kind = 0; kind < NKINDS; kind++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (qs[i].kind != kind)
                continue;
            const cred_search_result *r;
            double q0 = now(), qc = tcpu();
            if (cred_corpus_search(c, &r, qs[i].cred, strlen(qs[i].cred), &so) < 0) {
                fprintf(stderr, "query %s: %s\n", qs[i].cred, cred_error_last()->message);
                continue;
            }
            ms[k] = (now() - q0) * 1e3;
            cms[k] = (tcpu() - qc) * 1e3;
            if (df) {
                fprintf(df, "%s\t%.3f\t%" PRIu64 "\t%zu", qs[i].cred, cms[k], r->matches, r->n_hits);
                for (size_t h = 0; h < r->n_hits; h++)
                    fprintf(df, "\t%s:%.9g", r->hits[h].post.post.id, r->hits[h].score);
                fputc('\n', df);
            }
            if (ms[k] > slow_ms)
                slow_ms = ms[k], slowest = i;
            k++;
        }
        report("credence", kind_names[kind], ms, k);
        char cname[64];
        snprintf(cname, sizeof cname, "%s_cpu", kind_names[kind]);
        report("credence", cname, cms, k);
    }
    if (df)
        fclose(df);
    printf("credence_slowest_query=%s\n", n ? qs[slowest].cred : "");
    cred_corpus_free(c);
    fflush(stdout);
    if (!fts)
        return 0;

    /* ---- FTS5 ---- */
    char dbpath[600];
    snprintf(dbpath, sizeof dbpath, "%s.fts5.db", dir);
    unlink(dbpath);
    sqlite3 *db;
    if (sqlite3_open(dbpath, &db) != SQLITE_OK)
        return 2;
    sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", NULL, NULL, NULL);
    w0 = now(), c0 = cpu();
    if (sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(text, content='', tokenize='porter unicode61');"
                         "BEGIN;", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5: %s\n", sqlite3_errmsg(db));
        return 2;
    }
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO t(rowid, text) VALUES (?, ?)", -1, &ins, NULL);
    for (size_t i = 0; i < n_posts; i++) {
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(ins, 2, posts[i].text, (int)posts[i].len, SQLITE_STATIC);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL);
    bw = now() - w0, bc = cpu() - c0;
    struct stat sb;
    stat(dbpath, &sb);
    printf("fts5_build_wall_s=%.2f\nfts5_build_cpu_s=%.2f\nfts5_build_posts_per_s=%.0f\nfts5_build_mb_per_s=%.1f\n"
           "fts5_db_bytes=%lld\n", bw, bc, n_posts / bw, text_bytes / 1e6 / bw, (long long)sb.st_size);
    fflush(stdout);
    sqlite3_stmt *sel;
    sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank LIMIT 10", -1, &sel, NULL);
    for (int kind = 0; kind < NKINDS - 1; kind++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (qs[i].kind != kind)
                continue;
            double q0 = now(), qc = tcpu();
            sqlite3_bind_text(sel, 1, qs[i].fts, -1, SQLITE_STATIC);
            while (sqlite3_step(sel) == SQLITE_ROW)
                ;
            sqlite3_reset(sel);
            cms[k] = (tcpu() - qc) * 1e3;
            ms[k++] = (now() - q0) * 1e3;
        }
        report("fts5", kind_names[kind], ms, k);
        char cname[64];
        snprintf(cname, sizeof cname, "%s_cpu", kind_names[kind]);
        report("fts5", cname, cms, k);
    }
    sqlite3_finalize(sel);
    sqlite3_close(db);
    return 0;
}
