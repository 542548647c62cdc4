/* The `credence dups` command as a user runs it: record fields, relations, date order, table, transcripts,
 * bad input and exit codes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_helpers.h"

/* Posts in file order; dates put "orig" first. b1/b2 are bulletins of one template with other numbers. */
static const char *corpus =
    "{\"id\":\"fwd1\",\"text\":\"Forwarded as received\\nThe health ministry confirmed today that the vaccination "
    "campaign for children starts next week in every district. \xf0\x9f\x92\x89\",\"source\":\"groupB\","
    "\"date\":\"2024-03-02T09:00:00Z\"}\n"
    "{\"id\":\"orig\",\"text\":\"The health ministry confirmed today that the vaccination campaign for children "
    "starts next week in every district.\",\"source\":\"chanA\",\"date\":\"2024-03-01T08:00:00Z\"}\n"
    "{\"id\":\"near1\",\"text\":\"The health ministry confirmd today that the vaccination campaign for children "
    "starts next week in every district!!\",\"source\":\"groupC\",\"date\":\"2024-03-03T10:00:00Z\"}\n"
    "{\"id\":\"other\",\"text\":\"Heavy rain expected on the coast tonight, fishermen are asked to stay in port "
    "until the storm passes.\",\"source\":\"chanD\",\"date\":\"2024-03-02T12:00:00Z\"}\n"
    "{\"id\":\"b1\",\"text\":\"Exchange rate bulletin: the dollar closed at 58200 today at the central market, "
    "gold at 3100.\",\"source\":\"chanE\",\"date\":\"2024-03-04T08:00:00Z\"}\n"
    "{\"id\":\"b2\",\"text\":\"Exchange rate bulletin: the dollar closed at 59400 today at the central market, "
    "gold at 3150.\",\"source\":\"chanE\",\"date\":\"2024-03-05T08:00:00Z\"}\n";

/* The n-th line of s (0-based), copied. */
static char *line_at(const char *s, int n)
{
    for (; n > 0 && s; n--) {
        s = strchr(s, '\n');
        s = s ? s + 1 : NULL;
    }
    cr_assert(s && *s, "missing output line");
    const char *e = strchr(s, '\n');
    return strndup(s, e ? (size_t)(e - s) : strlen(s));
}

/* Checks that a record has exactly the documented keys in order and the given values ("null" for null,
 * strings without their quotes). */
static void expect_record(const char *line, const char *id, const char *cluster, const char *parent,
                          const char *origin, const char *relation)
{
    char want[1024];
    char parent_json[128];
    if (strcmp(parent, "null") == 0)
        snprintf(parent_json, sizeof parent_json, "null");
    else
        snprintf(parent_json, sizeof parent_json, "\"%s\"", parent);
    snprintf(want, sizeof want, "{\"id\":\"%s\",\"cluster\":\"%s\",\"parent\":%s,\"origin\":\"%s\",\"similarity\":",
             id, cluster, parent_json, origin);
    cr_expect(strncmp(line, want, strlen(want)) == 0, "got  %s\nwant %s...", line, want);
    const char *sim = line + strlen(want);
    char *end;
    double v = strtod(sim, &end);
    cr_expect(end > sim && v >= 0 && v <= 1, "similarity in %s", line);
    snprintf(want, sizeof want, ",\"relation\":\"%s\"}", relation);
    cr_expect_str_eq(end, want, "got %s", line);
}

Test(cli_dups, records_have_the_documented_fields_in_input_order)
{
    char *in = t_write_tmp(corpus, strlen(corpus));
    char args[256];
    snprintf(args, sizeof args, "dups %s", in);
    run_result r = t_run(args);
    cr_expect_eq(r.status, 0, "stderr: %s", r.err);
    cr_assert_eq(t_count_lines(r.out), 6, "got %s", r.out);
    const char *want[6][5] = {
        {"fwd1", "orig", "orig", "orig", "exact"}, /* forward line and emoji left out */
        {"orig", "orig", "null", "orig", "none"},  /* earliest date: the origin, though read second */
        {"near1", "orig", "orig", "orig", "near"}, /* a typo and punctuation */
        {"other", "other", "null", "other", "none"},
        {"b1", "b1", "null", "b1", "none"},
        {"b2", "b2", "b1", "b2", "variant"}, /* other numbers: not a copy, keeps its own cluster */
    };
    for (int i = 0; i < 6; i++) {
        char *l = line_at(r.out, i);
        expect_record(l, want[i][0], want[i][1], want[i][2], want[i][3], want[i][4]);
        free(l);
    }
    cr_expect(strstr(r.err, "6 posts from 1 input"), "stderr: %s", r.err);
    t_run_free(&r);
    unlink(in);
    free(in);
}

Test(cli_dups, table_lists_clusters_by_size_with_spread_and_dates)
{
    char *in = t_write_tmp(corpus, strlen(corpus));
    char args[256];
    snprintf(args, sizeof args, "dups --output table %s", in);
    run_result r = t_run(args);
    cr_expect_eq(r.status, 0, "stderr: %s", r.err);
    cr_assert_eq(t_count_lines(r.out), 3, "got %s", r.out);
    char *head = line_at(r.out, 0), *row = line_at(r.out, 1), *sum = line_at(r.out, 2);
    cr_expect(strstr(head, "size") && strstr(head, "sources") && strstr(head, "origin"), "%s", head);
    int size = 0, sources = 0;
    char first[32], last[32], origin[32];
    cr_expect_eq(sscanf(row, "%d %d %31s %31s %31s", &size, &sources, first, last, origin), 5, "%s", row);
    cr_expect_eq(size, 3);
    cr_expect_eq(sources, 3);
    cr_expect_str_eq(first, "2024-03-01T08:00Z");
    cr_expect_str_eq(last, "2024-03-03T10:00Z");
    cr_expect_str_eq(origin, "orig");
    cr_expect(strstr(row, "The health ministry confirmed"), "%s", row);
    cr_expect_str_eq(sum, "6 posts: 1 clusters of copies holding 2 copies, 1 template variants, 0 transcript "
                          "windows, 3 posts alone");
    free(head), free(row), free(sum);
    t_run_free(&r);
    unlink(in);
    free(in);
}

Test(cli_dups, transcript_windows_are_parts_of_their_transcript_not_copies)
{
    const char *vtt = "WEBVTT\n\n"
                      "00:00:01.000 --> 00:00:05.000\nthe mayor said the bridge will close on monday for repairs\n\n"
                      "00:00:40.000 --> 00:00:45.000\nand the ferry will run every hour until the work is done\n";
    char *a = t_write_tmp(vtt, strlen(vtt));
    char args[512];
    snprintf(args, sizeof args, "dups --format vtt %s %s", a, a);
    run_result r = t_run(args);
    cr_expect_eq(r.status, 0, "stderr: %s", r.err);
    cr_assert_eq(t_count_lines(r.out), 6, "got %s", r.out);
    const char *base = strrchr(a, '/') + 1;
    for (int i = 0; i < 3; i++) {
        char *l = line_at(r.out, i);
        /* first file: the whole transcript, then its two windows as parts of it */
        cr_expect(strstr(l, i == 0 ? "\"relation\":\"none\"" : "\"relation\":\"part\""), "%s", l);
        char want[256];
        snprintf(want, sizeof want, "\"origin\":\"%s\"", base);
        cr_expect(strstr(l, want), "%s", l);
        free(l);
    }
    for (int i = 3; i < 6; i++) {
        char *l = line_at(r.out, i);
        /* the same file again: exact copies of the first one's posts, never parts of their own whole */
        cr_expect(strstr(l, "\"relation\":\"exact\""), "%s", l);
        free(l);
    }
    t_run_free(&r);
    unlink(a);
    free(a);
}

Test(cli_dups, bad_lines_are_skipped_and_nothing_usable_exits_one)
{
    const char *mixed_in = "{\"id\":\"a\",\"text\":\"hello there friends\"}\nnot json\n";
    const char *bad_in = "not json at all\n";
    char *mixed = t_write_tmp(mixed_in, strlen(mixed_in));
    char *bad = t_write_tmp(bad_in, strlen(bad_in));
    char args[512];
    snprintf(args, sizeof args, "dups --format jsonl %s", mixed);
    run_result r = t_run(args);
    cr_expect_eq(r.status, 0);
    cr_expect_eq(t_count_lines(r.out), 1, "got %s", r.out);
    cr_expect(strstr(r.err, ":2:1: error:"), "stderr: %s", r.err);
    cr_expect(strstr(r.err, "1 skipped"), "stderr: %s", r.err);
    t_run_free(&r);
    snprintf(args, sizeof args, "dups --format jsonl %s", bad);
    r = t_run(args);
    cr_expect_eq(r.status, 1);
    cr_expect_str_eq(r.out, "");
    t_run_free(&r);
    unlink(mixed), unlink(bad);
    free(mixed), free(bad);
}

Test(cli_dups, bad_options_and_missing_input_exit_two)
{
    char *in = t_write_tmp(corpus, strlen(corpus));
    char args[512];
    snprintf(args, sizeof args, "dups --output xml %s", in);
    run_result r = t_run(args);
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "--output"), "stderr: %s", r.err);
    t_run_free(&r);
    snprintf(args, sizeof args, "dups --threshold 7 %s", in);
    r = t_run(args);
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "--threshold"), "stderr: %s", r.err);
    t_run_free(&r);
    r = t_run("dups /nonexistent/posts.jsonl");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "/nonexistent/posts.jsonl"), "stderr: %s", r.err);
    t_run_free(&r);
    r = t_run("dups");
    cr_expect_eq(r.status, 2);
    t_run_free(&r);
    r = t_run("dups --help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "usage: credence dups"), "got %s", r.out);
    t_run_free(&r);
    unlink(in);
    free(in);
}

Test(cli_dups, standard_input_is_read_with_dash)
{
    char *in = t_write_tmp(corpus, strlen(corpus));
    char args[512];
    snprintf(args, sizeof args, "dups - < %s", in);
    run_result r = t_run(args);
    cr_expect_eq(r.status, 0, "stderr: %s", r.err);
    cr_expect_eq(t_count_lines(r.out), 6, "got %s", r.out);
    t_run_free(&r);
    unlink(in);
    free(in);
}
