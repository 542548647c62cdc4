/* `credence score` as a user runs it: exit codes, every output format on the sample, -o, no progress in pipes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SAMPLE "datasets/sample/health-groups.jsonl"

typedef struct {
    int status;
    char *out;
    char *err;
} run_result;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* Runs `credence ARGS` through the shell with stdout and stderr captured in files (pipes: not a TTY). */
static run_result run(const char *args)
{
    const char *bin = getenv("CRED_BIN");
    cr_assert(bin, "CRED_BIN must name the built credence binary");
    char out[] = "/tmp/cred_score_outXXXXXX", err[] = "/tmp/cred_score_errXXXXXX";
    close(mkstemp(out));
    close(mkstemp(err));
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", bin, args, out, err);
    int st = system(cmd);
    run_result r = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(out), slurp(err)};
    unlink(out);
    unlink(err);
    return r;
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(cli_score, jsonl_on_the_sample)
{
    run_result r = run("score " SAMPLE);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_eq(count_lines(r.out), 20);
    cr_expect(strncmp(r.out, "{\"id\":\"s1\"", 10) == 0, "input order: %.80s", r.out);
    static const char *const fields[] = {"\"validity\":", "\"p_unreliable\":", "\"verdict\":\"unreliable\"",
                                         "\"flags\":[", "\"reasons\":[", "\"duplicate\":{\"relation\":\"near\"",
                                         "\"cluster\":{\"id\":\"s1\",\"size\":2", "\"unsourced_claim\"", "\"sourced\"",
                                         "\"share_pressure\"", "\"near_duplicate\"", "\"forwarded\"",
                                         "\"verdict\":\"insufficient\"", "\"verdict\":\"credible\"", "\"capped\":true",
                                         "\"quote\":", "\"start\":", "\"text\":"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        cr_expect(strstr(r.out, fields[i]), "missing %s", fields[i]);
    /* no progress in a pipe: stderr holds only the summary line */
    cr_expect_eq(count_lines(r.err), 1, "stderr: %s", r.err);
    cr_expect_null(strchr(r.err, '\r'));
    cr_expect(strstr(r.err, "credence score: 20 posts from 1 input"), "%s", r.err);
    run_free(&r);
}

Test(cli_score, output_is_deterministic_whatever_the_threads)
{
    run_result a = run("score -j 1 " SAMPLE), b = run("score -j 4 " SAMPLE);
    cr_expect_eq(a.status, 0);
    cr_expect_str_eq(a.out, b.out);
    run_free(&a);
    run_free(&b);
}

Test(cli_score, csv_table_and_html)
{
    run_result r = run("score --output csv " SAMPLE);
    cr_expect_eq(r.status, 0);
    cr_expect(strncmp(r.out, "id,source,author,date,lang,validity,p_unreliable,verdict,flags,reasons,", 70) == 0);
    cr_expect(strstr(r.out, "unsourced_claim|share_pressure") != NULL);
    run_free(&r);
    r = run("score --output table " SAMPLE);
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "20 posts: "), "%s", r.out);
    cr_expect_null(strchr(r.out, '\033'), "no colour outside a terminal");
    char *worst = strstr(r.out, "unreliable    s"), *best = strstr(r.out, "credible      s");
    cr_expect(worst && best && worst < best, "worst first");
    run_free(&r);
    char path[] = "/tmp/cred_score_htmlXXXXXX";
    close(mkstemp(path));
    char args[256];
    snprintf(args, sizeof args, "score --output html -o %s " SAMPLE, path);
    r = run(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "", "-o writes the file, not stdout");
    char *html = slurp(path);
    cr_expect(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    cr_expect(strstr(html, "id=\"count-posts\"><b>20</b>") != NULL);
    unlink(path);
    free(html);
    run_free(&r);
}

Test(cli_score, exit_codes)
{
    run_result r = run("score");
    cr_expect_eq(r.status, 2);
    run_free(&r);
    r = run("score /nonexistent/file.jsonl");
    cr_expect_eq(r.status, 2);
    run_free(&r);
    r = run("score --output xml " SAMPLE);
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "--output"), "%s", r.err);
    run_free(&r);
    r = run("score --weights /nonexistent/w.bin " SAMPLE);
    cr_expect_eq(r.status, 2);
    run_free(&r);
    r = run("score --rules /nonexistent/rules " SAMPLE);
    cr_expect_eq(r.status, 2);
    run_free(&r);
    r = run("score --help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "usage: credence score"));
    run_free(&r);
    /* nothing usable: exit 1 */
    char path[] = "/tmp/cred_score_badXXXXXX";
    int fd = mkstemp(path);
    cr_assert(write(fd, "{\"id\": 1, \"text\": \n", 19) == 19);
    close(fd);
    char args[256];
    snprintf(args, sizeof args, "score --format jsonl -q %s", path);
    r = run(args);
    cr_expect_eq(r.status, 1, "%s", r.err);
    run_free(&r);
    unlink(path);
    /* standard input */
    r = run("score - < " SAMPLE);
    cr_expect_eq(r.status, 0);
    cr_expect_eq(count_lines(r.out), 20);
    run_free(&r);
}
