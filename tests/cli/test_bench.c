/* `credence bench`: one line per stage with numeric figures, --stages, --output json, usage errors. */
#include <math.h>
#include <yajl/yajl_tree.h>

#include "run_helpers.h"

#define SAMPLE "datasets/sample/health-groups.jsonl"

static const char *const keys[] = {"posts", "bytes", "seconds", "cpu_seconds", "mb_per_s", "posts_per_s",
                                   "peak_rss_mb", "threads"};
#define N_KEYS (sizeof keys / sizeof *keys)

/* The line of stage `stage` in key=value output, copied (NULL when absent). */
static char *stage_line(const char *out, const char *stage)
{
    char pat[64];
    snprintf(pat, sizeof pat, "bench=%s ", stage);
    for (const char *line = out; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (strncmp(line, pat, strlen(pat)) == 0)
            return strndup(line, len);
        line += len + (nl != NULL);
    }
    return NULL;
}

/* The value of key in a key=value line, which must be a finite number. */
static double field(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, " %s=", key);
    const char *at = strstr(line, pat);
    cr_assert_not_null(at, "key %s in '%s'", key, line);
    char *end;
    double v = strtod(at + strlen(pat), &end);
    cr_assert(end != at + strlen(pat) && (*end == ' ' || *end == '\0'), "%s is not a number in '%s'", key, line);
    cr_assert(isfinite(v) && v >= 0, "%s=%g in '%s'", key, v, line);
    return v;
}

static void expect_stage(const char *out, const char *stage, bool present)
{
    char *line = stage_line(out, stage);
    if (!present) {
        cr_expect_null(line, "stage %s was not asked for: %s", stage, out);
        free(line);
        return;
    }
    cr_assert_not_null(line, "no line for stage %s in:\n%s", stage, out);
    for (size_t k = 0; k < N_KEYS; k++)
        field(line, keys[k]);
    cr_expect_eq(field(line, "posts"), 20, "%s", line);
    cr_expect_gt(field(line, "bytes"), 0, "%s", line);
    cr_expect_eq(field(line, "threads"), 1, "%s", line);
    free(line);
}

Test(bench, every_stage_prints_one_line_with_numeric_figures)
{
    run_result r = t_run("bench --runs 1 " SAMPLE);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    const char *stages[] = {"parse", "analyse", "rules", "dedup", "score"};
    for (size_t i = 0; i < 5; i++)
        expect_stage(r.out, stages[i], true);
    cr_expect_eq(t_count_lines(r.out), 5, "%s", r.out);
    /* parse reads the file's bytes, the other stages the post texts */
    char *parse = stage_line(r.out, "parse"), *analyse = stage_line(r.out, "analyse");
    cr_expect_gt(field(parse, "bytes"), field(analyse, "bytes"));
    free(parse);
    free(analyse);
    cr_expect(strstr(r.err, "20 posts"), "summary on stderr: %s", r.err);
    t_run_free(&r);
}

Test(bench, stages_selects_the_stages_measured)
{
    run_result r = t_run("bench --runs 1 --stages dedup,parse " SAMPLE);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    expect_stage(r.out, "parse", true);
    expect_stage(r.out, "dedup", true);
    expect_stage(r.out, "analyse", false);
    expect_stage(r.out, "rules", false);
    expect_stage(r.out, "score", false);
    cr_expect_eq(t_count_lines(r.out), 2, "%s", r.out);
    t_run_free(&r);
}

Test(bench, threads_adds_the_parallel_score_pipeline_and_profile_the_costliest_rules)
{
    run_result r = t_run("bench --runs 1 --stages score --threads 2 --profile " SAMPLE);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    expect_stage(r.out, "score", true);
    char *line = stage_line(r.out, "score_threads");
    cr_assert_not_null(line, "%s", r.out);
    cr_expect_eq(field(line, "posts"), 20);
    cr_expect_eq(field(line, "threads"), 2);
    free(line);
    line = stage_line(r.out, "rule_profile");
    cr_assert_not_null(line, "%s", r.out);
    cr_expect(strstr(line, " rank=1 rule="), "%s", line);
    field(line, "seconds");
    field(line, "share");
    free(line);
    t_run_free(&r);
}

Test(bench, bad_stage_name_is_one_line_and_exit_two)
{
    run_result r = t_run("bench --stages parse,tokenise " SAMPLE);
    cr_expect_eq(r.status, 2);
    cr_expect_eq(t_count_lines(r.err), 1, "stderr: %s", r.err);
    cr_expect(strstr(r.err, "tokenise"), "stderr: %s", r.err);
    cr_expect_eq(r.out[0], '\0', "stdout: %s", r.out);
    t_run_free(&r);
    r = t_run("bench --runs 0 " SAMPLE);
    cr_expect_eq(r.status, 2);
    cr_expect_eq(t_count_lines(r.err), 1, "stderr: %s", r.err);
    t_run_free(&r);
    r = t_run("bench /nonexistent/posts.jsonl");
    cr_expect_eq(r.status, 2);
    cr_expect_eq(t_count_lines(r.err), 1, "stderr: %s", r.err);
    t_run_free(&r);
}

Test(bench, json_output_is_one_object_per_stage_with_the_same_keys)
{
    run_result r = t_run("bench --runs 1 --output json --stages parse,analyse,score " SAMPLE);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    cr_expect_eq(t_count_lines(r.out), 3, "%s", r.out);
    const char *want[] = {"parse", "analyse", "score"};
    size_t n = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"), n++) {
        char errbuf[256];
        yajl_val v = yajl_tree_parse(line, errbuf, sizeof errbuf);
        cr_assert_not_null(v, "does not parse (%s): %s", errbuf, line);
        cr_assert(YAJL_IS_OBJECT(v), "%s", line);
        const char *path[] = {"bench", NULL};
        yajl_val stage = yajl_tree_get(v, path, yajl_t_string);
        cr_assert_not_null(stage, "%s", line);
        cr_assert_lt(n, 3);
        cr_expect_str_eq(YAJL_GET_STRING(stage), want[n]);
        for (size_t k = 0; k < N_KEYS; k++) {
            const char *kp[] = {keys[k], NULL};
            yajl_val x = yajl_tree_get(v, kp, yajl_t_number);
            cr_expect_not_null(x, "key %s in %s", keys[k], line);
        }
        cr_expect_eq(YAJL_GET_INTEGER(yajl_tree_get(v, (const char *[]){"posts", NULL}, yajl_t_number)), 20);
        cr_expect_eq(v->u.object.len, N_KEYS + 1, "no other keys: %s", line);
        yajl_tree_free(v);
    }
    cr_expect_eq(n, 3);
    t_run_free(&r);
}
