/* `credence score` as a user runs it: exit codes, every output format on the sample, -o, no progress in pipes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_helpers.h"

#define SAMPLE "datasets/sample/health-groups.jsonl"

Test(cli_score, jsonl_on_the_sample)
{
    run_result r = t_run("score " SAMPLE);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_eq(t_count_lines(r.out), 20);
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
    cr_expect_eq(t_count_lines(r.err), 1, "stderr: %s", r.err);
    cr_expect_null(strchr(r.err, '\r'));
    cr_expect(strstr(r.err, "credence score: 20 posts from 1 input"), "%s", r.err);
    t_run_free(&r);
}

Test(cli_score, output_is_deterministic_whatever_the_threads)
{
    run_result a = t_run("score -j 1 " SAMPLE), b = t_run("score -j 4 " SAMPLE);
    cr_expect_eq(a.status, 0);
    cr_expect_str_eq(a.out, b.out);
    t_run_free(&a);
    t_run_free(&b);
}

/* A file's size presizes the near-duplicate tables, standard input grows them: the links are the same. */
Test(cli_score, a_file_and_standard_input_give_the_same_records)
{
    run_result a = t_run("score " SAMPLE), b = t_run("score - < " SAMPLE);
    cr_expect_eq(a.status, 0, "%s", a.err);
    cr_expect_eq(b.status, 0, "%s", b.err);
    cr_expect_str_eq(a.out, b.out);
    t_run_free(&a);
    t_run_free(&b);
}

Test(cli_score, csv_table_and_html)
{
    run_result r = t_run("score --output csv " SAMPLE);
    cr_expect_eq(r.status, 0);
    cr_expect(strncmp(r.out, "id,source,author,date,lang,validity,p_unreliable,verdict,flags,reasons,", 70) == 0);
    cr_expect(strstr(r.out, "unsourced_claim|share_pressure") != NULL);
    t_run_free(&r);
    r = t_run("score --output table " SAMPLE);
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "20 posts: "), "%s", r.out);
    cr_expect_null(strchr(r.out, '\033'), "no colour outside a terminal");
    char *worst = strstr(r.out, "unreliable    s"), *best = strstr(r.out, "credible      s");
    cr_expect(worst && best && worst < best, "worst first");
    t_run_free(&r);
    char path[] = "/tmp/cred_score_htmlXXXXXX";
    close(mkstemp(path));
    char args[256];
    snprintf(args, sizeof args, "score --output html -o %s " SAMPLE, path);
    r = t_run(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "", "-o writes the file, not stdout");
    char *html = t_read_file(path);
    cr_expect(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    cr_expect(strstr(html, "id=\"count-posts\"><b>20</b>") != NULL);
    unlink(path);
    free(html);
    t_run_free(&r);
}

Test(cli_score, exit_codes)
{
    run_result r = t_run("score");
    cr_expect_eq(r.status, 2);
    t_run_free(&r);
    r = t_run("score /nonexistent/file.jsonl");
    cr_expect_eq(r.status, 2);
    t_run_free(&r);
    r = t_run("score --output xml " SAMPLE);
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "--output"), "%s", r.err);
    t_run_free(&r);
    r = t_run("score --weights /nonexistent/w.bin " SAMPLE);
    cr_expect_eq(r.status, 2);
    t_run_free(&r);
    r = t_run("score --rules /nonexistent/rules " SAMPLE);
    cr_expect_eq(r.status, 2);
    t_run_free(&r);
    r = t_run("score --help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "usage: credence score"));
    t_run_free(&r);
    /* nothing usable: exit 1 */
    char path[] = "/tmp/cred_score_badXXXXXX";
    int fd = mkstemp(path);
    cr_assert(write(fd, "{\"id\": 1, \"text\": \n", 19) == 19);
    close(fd);
    char args[256];
    snprintf(args, sizeof args, "score --format jsonl -q %s", path);
    r = t_run(args);
    cr_expect_eq(r.status, 1, "%s", r.err);
    t_run_free(&r);
    unlink(path);
    /* standard input */
    r = t_run("score - < " SAMPLE);
    cr_expect_eq(r.status, 0);
    cr_expect_eq(t_count_lines(r.out), 20);
    t_run_free(&r);
}
