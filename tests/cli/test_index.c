/*
 * `credence index` and `credence search` as a user runs them, and the crash test: `index add` is
 * killed with SIGKILL at random points many times; after each kill every post of every add that
 * returned is there exactly once, and verify passes.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "credence.h"

static char dir[64], work[64];

static void setup(void)
{
    strcpy(work, "/tmp/cred_cli_ix_XXXXXX");
    cr_assert_not_null(mkdtemp(work));
    snprintf(dir, sizeof dir, "%s/corpus", work);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", work);
    cr_assert_eq(system(cmd), 0);
}

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[4096];
    char inner[2048];
    snprintf(inner, sizeof inner, fmt, a, b);
    snprintf(cmd, sizeof cmd, "%s %s", getenv("CRED_BIN"), inner);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Write posts [from, to) of generation gen as JSONL; ids repeat across generations (replacement). */
static void write_batch(const char *path, int from, int to, int gen)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = from; i < to; i++)
        fprintf(f, "{\"id\":\"p%d\",\"text\":\"gen %d: post %d says garlic %s cures the virus in %d hours\","
                   "\"source\":\"chan%d\",\"date\":\"2020-03-%02dT10:00:00Z\"}\n",
                i, gen, i, i % 2 ? "tea" : "soup", i % 50, i % 7, 1 + i % 28);
    fclose(f);
}

Test(index_cli, build_search_stats_verify_and_errors, .init = setup, .fini = teardown)
{
    char in[128], out[128];
    snprintf(in, sizeof in, "%s/in.jsonl", work);
    snprintf(out, sizeof out, "%s/out.txt", work);
    write_batch(in, 0, 100, 1);
    cr_assert_eq(sh("index build %s %s 2>/dev/null", dir, in), 0);
    cr_assert_eq(sh("index build %s %s 2>/dev/null", dir, in), 2, "build refuses an existing corpus");
    char args[512];
    snprintf(args, sizeof args, "%s/none.jsonl", work);
    cr_assert_eq(sh("index add %s %s 2>/dev/null", dir, args), 2, "a missing input is a usage error");
    cr_assert_eq(sh("index verify %s >/dev/null", dir, ""), 0);
    snprintf(args, sizeof args, "'\"garlic tea\" source:chan1' --output jsonl > %s", out);
    cr_assert_eq(sh("search %s %s", dir, args), 0);
    FILE *f = fopen(out, "r");
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        cr_assert(strstr(line, "\"snippet\""));
        n++;
    }
    fclose(f);
    cr_assert_eq(n, 8, "odd ids with id %% 7 == 1 below 100");
    snprintf(args, sizeof args, "'garlic AND (tea OR' 2> %s", out);
    cr_assert_eq(sh("search %s %s", dir, args), 2);
    f = fopen(out, "r");
    cr_assert(fgets(line, sizeof line, f));
    cr_assert(strstr(line, "column 19"), "%s", line);
    fclose(f);
    cr_assert_eq(sh("search %s nonexistent 2>/dev/null >/dev/null", work, ""), 2, "not a corpus");
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

Test(index_cli, sigkill_during_add_never_loses_or_duplicates_acknowledged_posts, .init = setup, .fini = teardown, .timeout = 300)
{
    const char *bin = getenv("CRED_BIN");
    cr_assert(bin);
    enum { IDS = 2000, ROUNDS = 30 };
    static int acked_gen[IDS]; /* generation of the last acknowledged version of each id, 0: none */
    memset(acked_gen, 0, sizeof acked_gen);
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    char in[128];
    snprintf(in, sizeof in, "%s/batch.jsonl", work);
    int acked_rounds = 0, killed = 0;
    write_batch(in, 0, 10, 0);
    cr_assert_eq(sh("index build %s %s 2>/dev/null >/dev/null", dir, in), 0);
    for (int i = 0; i < 10; i++)
        acked_gen[i] = 0; /* generation 0 is checked through presence below */
    uint64_t typical_ns = 20000000; /* learned from completed runs */
    for (int round = 1; round <= ROUNDS; round++) {
        /* mostly small adds (the log), sometimes big ones (a segment), overlapping ids */
        int size = rand() % 5 == 0 ? 800 + rand() % 1000 : 1 + rand() % 200;
        int from = rand() % (IDS - size);
        write_batch(in, from, from + size, round);
        uint64_t t0 = now_ns();
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            int devnull = open("/dev/null", 1);
            dup2(devnull, 1);
            dup2(devnull, 2);
            execl(bin, bin, "index", "add", dir, in, (char *)NULL);
            _exit(127);
        }
        bool kill_it = round % 4 != 0;
        if (kill_it) {
            uint64_t delay = (uint64_t)rand() % (typical_ns + 1); /* somewhere inside a typical run */
            struct timespec ts = {(time_t)(delay / 1000000000u), (long)(delay % 1000000000u)};
            nanosleep(&ts, NULL);
            kill(pid, SIGKILL);
        }
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        if (WIFEXITED(st)) {
            cr_assert_eq(WEXITSTATUS(st), 0, "round %d (seed %u): add failed", round, seed);
            for (int i = from; i < from + size; i++)
                acked_gen[i] = round;
            acked_rounds++;
            uint64_t took = now_ns() - t0;
            typical_ns = (typical_ns + took) / 2;
        } else {
            killed++;
        }
        /* restart: open, check, verify */
        cred_corpus *c;
        int rc = cred_corpus_open(&c, dir, NULL);
        cr_assert_eq(rc, 0, "round %d (seed %u): %s", round, seed, cred_error_last()->message);
        cr_assert_eq(cred_corpus_verify(c), 0, "round %d (seed %u): %s", round, seed, cred_error_last()->message);
        uint64_t present = 0;
        for (int i = 0; i < IDS; i++) {
            char id[16];
            snprintf(id, sizeof id, "p%d", i);
            cred_corpus_post p;
            rc = cred_corpus_get(c, &p, id);
            if (acked_gen[i] || i < 10) {
                cr_assert_eq(rc, 0, "round %d (seed %u): acknowledged %s lost", round, seed, id);
                int gen = atoi(p.post.text + 4);
                cr_assert_geq(gen, acked_gen[i], "round %d (seed %u): %s went back to generation %d", round, seed, id, gen);
            }
            present += rc == 0;
        }
        cred_corpus_stats s;
        cred_corpus_stats_get(c, &s);
        cr_assert_eq(s.posts, present, "round %d (seed %u): %llu live posts but %llu distinct ids", round, seed,
                     (unsigned long long)s.posts, (unsigned long long)present);
        cred_corpus_free(c);
    }
    cr_assert_geq(killed, ROUNDS / 4, "only %d of %d adds were killed before they finished", killed, ROUNDS);
    cr_assert_geq(acked_rounds, ROUNDS / 4);
}
