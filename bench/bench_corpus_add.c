/*
 * bench_corpus_add [-n N] [-base M] [-find] [-flush P] -dir DIR FILE: the cost of adding posts one at a
 * time to a corpus (`credence serve --index DIR` with ?remember=1, `credence index add` of small files).
 * DIR must not exist. The first M posts of FILE are committed as one batch (a stored base); the next N
 * are each added and committed alone (with -find: looked up first with cred_corpus_find_copy, as the
 * service does). Prints key=value lines: for the 1st, 10th, 100th, 1,000th, 10,000th, ... add, the mean
 * process CPU and wall milliseconds of the 10 adds ending there (add_K_cpu_ms, add_K_wall_ms), and the
 * totals. CPU is the whole process (segment builds use two threads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "credence.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_corpus_add: %s: %s\n", what, cred_error_last()->message);
    exit(1);
}

int main(int argc, char **argv)
{
    size_t n = 10000, base = 0, flush = 0;
    int find = 0;
    const char *dir = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-base") && i + 1 < argc)
            base = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-flush") && i + 1 < argc)
            flush = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "-find"))
            find = 1;
        else
            file = argv[i];
    }
    if (!file || !dir) {
        fprintf(stderr, "usage: bench_corpus_add [-n N] [-base M] [-find] [-flush P] -dir DIR FILE\n");
        return 2;
    }
    cred_reader *rd;
    cred_text *t = NULL;
    cred_corpus *c;
    if (cred_reader_open(&rd, file, NULL) < 0)
        die(file);
    if (cred_text_new(&t, NULL) < 0)
        die("text");
    cred_corpus_options co = CRED_CORPUS_OPTIONS_INIT;
    co.flags = CRED_CORPUS_CREATE;
    if (flush)
        co.flush_posts = flush;
    if (cred_corpus_open(&c, dir, &co) < 0)
        die(dir);
    const cred_post *p;
    size_t k = 0;
    double t0 = now(), c0 = cpu();
    while (k < base && cred_reader_next(rd, &p) == 1) {
        if (cred_corpus_add(c, p, NULL) < 0)
            die("add");
        k++;
    }
    if (base && cred_corpus_commit(c) < 0)
        die("commit");
    printf("base_posts=%zu\nbase_wall_s=%.3f\nbase_cpu_s=%.3f\n", k, now() - t0, cpu() - c0);
    double win_wall = 0, win_cpu = 0, tot_wall = 0, tot_cpu = 0, max_wall = 0, max_cpu = 0;
    size_t added = 0, found = 0, mark = 1;
    while (added < n && cred_reader_next(rd, &p) == 1) {
        double w0 = now(), u0 = cpu();
        if (find) {
            const cred_doc *doc;
            cred_corpus_post cp;
            if (cred_text_analyse(t, &doc, p->text, p->text_len, p->lang) < 0 ||
                cred_corpus_find_copy(c, &cp, doc, p->date) < 0)
                die("find_copy");
            found += cp.relation != CRED_DUP_NONE;
        }
        cred_corpus_score sc = {50.0, NULL};
        if (cred_corpus_add(c, p, &sc) < 0 || cred_corpus_commit(c) < 0)
            die("add");
        double dw = now() - w0, du = cpu() - u0;
        added++;
        tot_wall += dw, tot_cpu += du;
        max_wall = dw > max_wall ? dw : max_wall;
        max_cpu = du > max_cpu ? du : max_cpu;
        size_t m = mark < 10 ? mark : 10;
        if (added + m > mark)
            win_wall += dw, win_cpu += du;
        if (added == mark) {
            printf("add_%zu_wall_ms=%.3f\nadd_%zu_cpu_ms=%.3f\n", mark, win_wall * 1e3 / (double)m, mark,
                   win_cpu * 1e3 / (double)m);
            win_wall = win_cpu = 0;
            mark *= 10;
        }
    }
    printf("adds=%zu\nfind_found=%zu\nadd_mean_wall_ms=%.3f\nadd_mean_cpu_ms=%.3f\nadd_max_wall_ms=%.3f\n"
           "add_max_cpu_ms=%.3f\n",
           added, found, added ? tot_wall * 1e3 / (double)added : 0, added ? tot_cpu * 1e3 / (double)added : 0,
           max_wall * 1e3, max_cpu * 1e3);
    cred_corpus_free(c);
    cred_text_free(t);
    cred_reader_free(rd);
    return 0;
}
