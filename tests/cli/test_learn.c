/* `credence train` and `credence eval` as a user runs them, on small data with known answers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_helpers.h"

static char dir[] = "/tmp/cred_learn_cliXXXXXX";

/* A rule file and three labelled files: a perfectly ranked one, a reversed one, one to train on. */
static void setup(void)
{
    cr_assert(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/t.rules", dir);
    FILE *f = fopen(path, "w");
    fputs("rule CURE { describe \"cure\" category claim match /\\bcures?\\b/i weight +2.0 }\n"
          "nice rule SOURCE { describe \"source\" category source match /\\bbulletin\\b/i weight -1.0 }\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/perfect.csv", dir);
    f = fopen(path, "w");
    fputs("id,tweet,label\n1,garlic cures it,fake\n2,this cures all,fake\n3,official bulletin,real\n"
          "4,weekly bulletin today,real\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/reversed.csv", dir);
    f = fopen(path, "w");
    fputs("id,tweet,label\n1,garlic cures it,real\n2,this cures all,real\n3,official bulletin,fake\n"
          "4,weekly bulletin today,fake\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/train.jsonl", dir);
    f = fopen(path, "w");
    for (int i = 0; i < 60; i++)
        fprintf(f, "{\"text\":\"%s number %d\",\"y\":\"%s\"}\n",
                i % 3 == 0 ? "secret miracle remedy" : i % 3 == 1 ? "clinic opening hours" : "plain chat",
                i, i % 3 == 0 || (i % 3 == 2 && i % 2) ? "bad" : "good");
    fclose(f);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

static double json_number(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *at = strstr(json, pat);
    cr_assert_not_null(at, "key %s in %s", key, json);
    return strtod(at + strlen(pat), NULL);
}

TestSuite(cli_learn, .init = setup, .fini = teardown);

Test(cli_learn, eval_of_a_perfect_ranking_reports_auc_one)
{
    char args[1024];
    snprintf(args, sizeof args,
             "eval --data %s/perfect.csv --text-col tweet --label-col label --positive fake --rules %s/t.rules "
             "--output json",
             dir, dir);
    run_result r = t_run(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_eq(json_number(r.out, "n"), 4);
    cr_expect_float_eq(json_number(r.out, "roc_auc"), 1.0, 1e-9);
    cr_expect_float_eq(json_number(r.out, "pr_auc"), 1.0, 1e-9);
    cr_expect_float_eq(json_number(r.out, "threshold"), 0.6, 1e-9);
    cr_expect_float_eq(json_number(r.out, "f1"), 1.0, 1e-9, "σ(-1 + 2) = 0.73 flags both cures");
    for (const char *k = "precision\0recall\0ece\0"; *k; k += strlen(k) + 1)
        json_number(r.out, k);
    cr_expect(strstr(r.out, "\"rule\":\"CURE\",\"weight\":2,\"posts\":2,\"unreliable\":2,\"precision\":1") != NULL,
              "%s", r.out);
    cr_expect(strstr(r.out, "\"languages\":[{\"lang\":") != NULL);
    t_run_free(&r);
}

Test(cli_learn, eval_of_a_reversed_ranking_reports_auc_zero)
{
    char args[1024];
    snprintf(args, sizeof args,
             "eval --data %s/reversed.csv --text-col tweet --positive fake --rules %s/t.rules --output json", dir, dir);
    run_result r = t_run(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_float_eq(json_number(r.out, "roc_auc"), 0.0, 1e-9);
    cr_expect_float_eq(json_number(r.out, "precision"), 0.0, 1e-9);
    t_run_free(&r);
}

Test(cli_learn, train_then_eval_with_the_weights_separates_the_classes)
{
    char args[1024];
    snprintf(args, sizeof args,
             "train --data %s/train.jsonl --label-col y --positive bad --rules %s/t.rules --lexical --bits 12 "
             "-o %s/w.bin",
             dir, dir, dir);
    run_result r = t_run(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "wrote") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "lexical weights") != NULL);
    t_run_free(&r);
    snprintf(args, sizeof args,
             "eval --data %s/train.jsonl --label-col y --positive bad --rules %s/t.rules --weights %s/w.bin "
             "--output json",
             dir, dir, dir);
    r = t_run(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* "plain chat" posts are labelled half and half: the best ranking ties them, AUC 0.875 */
    cr_expect_gt(json_number(r.out, "roc_auc"), 0.85, "%s", r.out);
    cr_expect_gt(json_number(r.out, "mean_abs_lexical"), 0.1);
    t_run_free(&r);
    snprintf(args, sizeof args,
             "train --data %s/train.jsonl --label-col y --positive bad --rules %s/t.rules --cv 3 --output json", dir,
             dir);
    r = t_run(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_eq(json_number(r.out, "n"), 60);
    cr_expect(strstr(r.out, "3-fold cross-validation") != NULL);
    t_run_free(&r);
}

Test(cli_learn, a_registered_data_set_needs_no_column_flags)
{
    char args[1024];
    snprintf(args, sizeof args, "eval --dataset sample-health --rules %s/t.rules --output table", dir);
    run_result r = t_run(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "n          20 (10 unreliable)") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "reliability") != NULL);
    cr_expect(strstr(r.err, "warning") == NULL, "the checksum matches: %s", r.err);
    t_run_free(&r);
    r = t_run("eval --dataset no-such-set");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "constraint-covid19") != NULL, "the registered names are listed: %s", r.err);
    t_run_free(&r);
    r = t_run("eval --output xml --dataset sample-health");
    cr_expect_eq(r.status, 2);
    t_run_free(&r);
}
