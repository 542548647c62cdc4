/* The `credence parse` command as a user runs it: exit codes, diagnostics, records, round trips. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_helpers.h"

Test(cli, version_and_help_exit_zero)
{
    run_result r = t_run("--version");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "credence ") == r.out, "got '%s'", r.out);
    t_run_free(&r);
    r = t_run("parse --help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "usage: credence parse"), "got '%s'", r.out);
    cr_expect(strstr(r.out, "--format"));
    t_run_free(&r);
}

Test(cli, unknown_command_and_option_give_one_line_and_exit_two)
{
    run_result r = t_run("frobnicate");
    cr_expect_eq(r.status, 2);
    cr_expect_eq(t_count_lines(r.err), 1, "stderr: %s", r.err);
    t_run_free(&r);
    r = t_run("parse --no-such-option datasets/sample/health-groups.jsonl");
    cr_expect_eq(r.status, 2);
    cr_expect_eq(t_count_lines(r.err), 1, "stderr: %s", r.err);
    cr_expect(strstr(r.err, "--no-such-option"));
    cr_expect_eq(r.out[0], '\0');
    t_run_free(&r);
}

Test(cli, missing_file_gives_one_line_and_exit_two)
{
    run_result r = t_run("parse /nonexistent/file.jsonl");
    cr_expect_eq(r.status, 2);
    cr_expect_eq(t_count_lines(r.err), 1, "stderr: %s", r.err);
    cr_expect(strstr(r.err, "/nonexistent/file.jsonl"));
    t_run_free(&r);
}

Test(cli, sample_parses_to_one_record_per_post_with_lang_and_links)
{
    run_result r = t_run("parse datasets/sample/health-groups.jsonl");
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    cr_expect_eq(t_count_lines(r.out), 20);
    cr_expect(strstr(r.out, "\"id\":\"s3\""));
    cr_expect(strstr(r.out, "\"lang\":\"pt\""), "Portuguese posts are detected");
    cr_expect(strstr(r.out, "\"lang\":\"fa\""), "Persian posts are detected");
    cr_expect(strstr(r.out, "\"lang\":\"ar\""), "Arabic posts are detected");
    /* tracking parameters are removed from the canonical link */
    cr_expect(strstr(r.out, "\"https://www.gov.br/saude/pt-br/assuntos/noticias\""), "%s", r.out);
    cr_expect(strstr(r.err, "20 posts"), "summary on stderr: %s", r.err);
    t_run_free(&r);
}

Test(cli, bad_lines_are_reported_with_position_and_skipped)
{
    const char *in = "{\"id\":\"a\",\"text\":\"first\"}\n{\"id\":\"b\",\"text\": oops}\n{\"text\":\"third\"}\n";
    char *path = t_write_tmp(in, strlen(in));
    char args[256];
    snprintf(args, sizeof args, "parse --format jsonl %s", path);
    run_result r = t_run(args);
    cr_expect_eq(r.status, 0, "posts were read, so success");
    cr_expect_eq(t_count_lines(r.out), 2);
    char where[300];
    snprintf(where, sizeof where, "%s:2:", path);
    cr_expect(strstr(r.err, where), "diagnostic names file and line: %s", r.err);
    cr_expect(strstr(r.err, "1 skipped"), "%s", r.err);
    cr_expect(strstr(r.out, "\"id\":\"3\""), "missing id is the line number: %s", r.out);
    t_run_free(&r);
    unlink(path);
    free(path);
}

Test(cli, nothing_usable_exits_one)
{
    const char *in = "{\"id\":1}\n{broken\n";
    char *path = t_write_tmp(in, strlen(in));
    char args[256];
    snprintf(args, sizeof args, "parse --format jsonl %s", path);
    run_result r = t_run(args);
    cr_expect_eq(r.status, 1, "stderr: %s", r.err);
    cr_expect_eq(r.out[0], '\0');
    t_run_free(&r);
    unlink(path);
    free(path);
}

Test(cli, binary_garbage_is_refused_without_crash)
{
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)((i * 2654435761u) >> 13);
    char *path = t_write_tmp(junk, sizeof junk);
    char args[256];
    snprintf(args, sizeof args, "parse %s", path);
    run_result r = t_run(args);
    cr_expect_eq(r.status, 1, "stderr: %s", r.err);
    cr_expect(strstr(r.err, path), "%s", r.err);
    t_run_free(&r);
    unlink(path);
    free(path);
}

Test(cli, parse_output_parses_again_to_the_same_records)
{
    run_result a = t_run("parse datasets/sample/health-groups.jsonl");
    cr_assert_eq(a.status, 0);
    char *path = t_write_tmp(a.out, strlen(a.out));
    char args[256];
    snprintf(args, sizeof args, "parse --format jsonl %s", path);
    run_result b = t_run(args);
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_expect_str_eq(b.out, a.out, "parse is a fixed point on its own output");
    t_run_free(&a);
    t_run_free(&b);
    unlink(path);
    free(path);
}

Test(cli, standard_input_is_read_with_dash)
{
    const char *bin = getenv("CRED_BIN");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "printf 'hello world\\n\\nsecond post\\n' | %s parse --format text - 2>/dev/null", bin);
    FILE *p = popen(cmd, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    cr_expect_eq(pclose(p), 0);
    cr_expect_eq(t_count_lines(buf), 2, "%s", buf);
    cr_expect(strstr(buf, "\"text\":\"second post\""), "%s", buf);
}
