/*
 * cred_out_render(), which /v1/score uses to answer: the bytes it renders for a scored post are the
 * bytes cred_out_score() writes to a stream for it (and so the line `credence score --output jsonl`
 * writes: test_serve.c compares an HTTP answer with the CLI's line), without touching the stream.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credence.h"

typedef struct pipeline {
    cred_rules *rules;
    cred_model *model;
    cred_text *text;
    cred_scanner *scanner;
    cred_scorer *scorer;
} pipeline;

static void pipeline_new(pipeline *p)
{
    char path[1024];
    const char *src = getenv("CRED_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/rules/examples/demo.rules", src ? src : ".");
    cred_rules_options ro = CRED_RULES_OPTIONS_INIT;
    cr_assert_eq(cred_rules_load(&p->rules, path, &ro), 0, "%s", cred_error_last()->message);
    cr_assert_eq(cred_model_default(&p->model), 0);
    cr_assert_eq(cred_text_new(&p->text, NULL), 0);
    cr_assert_eq(cred_scanner_new(&p->scanner, p->rules, 0), 0);
    cr_assert_eq(cred_scorer_new(&p->scorer, p->model), 0);
}

static void pipeline_free(pipeline *p)
{
    cred_scorer_free(p->scorer);
    cred_scanner_free(p->scanner);
    cred_text_free(p->text);
    cred_model_free(p->model);
    cred_rules_free(p->rules);
}

/* Score one post (with a made-up duplicate link and cluster) into *rec. */
static void score(pipeline *p, cred_post *post, const char *id, const char *text, cred_dup_match *dm,
                  cred_dup_cluster *cl, cred_scored_post *rec)
{
    memset(post, 0, sizeof *post);
    post->id = id;
    post->text = text;
    post->text_len = strlen(text);
    post->source = "Family \"group\"\n";
    post->date = 1700000000;
    post->start = post->end = -1;
    const cred_doc *doc;
    const cred_scan_result *res;
    const cred_score *sc;
    cr_assert_eq(cred_text_analyse(p->text, &doc, post->text, post->text_len, NULL), 0);
    int rc = cred_scanner_scan(p->scanner, &res, doc, post);
    cr_assert(rc == 0 || rc == CRED_ELIMIT);
    memset(dm, 0, sizeof *dm);
    dm->relation = CRED_DUP_NEAR;
    dm->similarity = 0.8125;
    dm->doc = dm->parent = dm->origin = CRED_DUP_NO_DOC;
    memset(cl, 0, sizeof *cl);
    cl->origin = CRED_DUP_NO_DOC;
    cl->size = 3;
    cl->sources = 2;
    cl->first_seen = 1690000000;
    cl->last_seen = 1700000000;
    cred_score_input in = {post, doc, res, dm, cl};
    cr_assert_eq(cred_scorer_score(p->scorer, &sc, &in), 0);
    cred_scored_post r = {post, doc, sc, dm, cl, "o1", "o1", "Health \xff tips"};
    *rec = r;
}

static char *write_with_score(cred_out_format format, const cred_scored_post *recs, size_t n)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    cr_assert(f);
    cred_out *o;
    cr_assert_eq(cred_out_new(&o, f, format), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(cred_out_score(o, &recs[i]), 0);
    cr_assert_eq(cred_out_finish(o), 0);
    cred_out_free(o);
    fclose(f);
    return mem;
}

Test(serve_render, renders_the_bytes_cred_out_score_writes_for_jsonl_and_csv)
{
    pipeline p;
    pipeline_new(&p);
    cred_post posts[2];
    cred_dup_match dm[2];
    cred_dup_cluster cl[2];
    cred_scored_post recs[2];
    score(&p, &posts[0], "m1", "URGENT: doctors confirm hot water kills the virus. Share before they delete this!",
          &dm[0], &cl[0], &recs[0]);
    cred_scored_post first = recs[0];
    recs[1] = first;
    recs[1].dup = NULL; /* a record without duplicate links */
    recs[1].cluster = NULL;
    cred_out_format formats[] = {CRED_OUT_JSONL, CRED_OUT_CSV};
    for (size_t f = 0; f < 2; f++) {
        char *want = write_with_score(formats[f], recs, 2);
        cred_out *o;
        cr_assert_eq(cred_out_new(&o, NULL, formats[f]), 0, "a writer without a stream renders only");
        char *got = calloc(1, strlen(want) + 1);
        for (size_t i = 0; i < 2; i++) {
            const char *out = NULL;
            size_t len = 0;
            cr_assert_eq(cred_out_render(o, &recs[i], &out, &len), 0);
            cr_assert(len > 0 && out[len - 1] == '\n', "one whole record with its newline");
            cr_assert(strlen(got) + len <= strlen(want), "rendered more than written");
            strncat(got, out, len);
        }
        cr_expect_str_eq(got, want, "%s renders differently from what it writes", cred_out_format_name(formats[f]));
        cr_assert_eq(cred_out_flush(o), 0);
        cred_out_free(o);
        free(got);
        free(want);
    }
    pipeline_free(&p);
}

Test(serve_render, leaves_the_stream_and_pending_output_alone)
{
    pipeline p;
    pipeline_new(&p);
    cred_post post;
    cred_dup_match dm;
    cred_dup_cluster cl;
    cred_scored_post rec;
    score(&p, &post, "m2", "Segundo o Ministério da Saúde, a campanha de vacinação começa segunda-feira.", &dm, &cl,
          &rec);
    char *one = write_with_score(CRED_OUT_JSONL, &rec, 1);
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    cred_out *o;
    cr_assert_eq(cred_out_new(&o, f, CRED_OUT_JSONL), 0);
    cr_assert_eq(cred_out_score(o, &rec), 0); /* pending in the writer */
    const char *out;
    size_t n;
    cr_assert_eq(cred_out_render(o, &rec, &out, &n), 0);
    cr_expect_eq(n, strlen(one));
    cr_expect(strncmp(out, one, n) == 0);
    cr_assert_eq(cred_out_flush(o), 0);
    fflush(f);
    cr_expect_str_eq(mem, one, "the stream got the scored record once, and nothing of the render");
    cred_out_free(o);
    fclose(f);
    free(mem);
    free(one);
    pipeline_free(&p);
}

Test(serve_render, refuses_summary_formats_and_null_arguments)
{
    pipeline p;
    pipeline_new(&p);
    cred_post post;
    cred_dup_match dm;
    cred_dup_cluster cl;
    cred_scored_post rec;
    score(&p, &post, "m3", "Meeting moved to 6pm tomorrow, bring your notes.", &dm, &cl, &rec);
    const char *out;
    size_t n;
    cred_out *o;
    cr_assert_eq(cred_out_new(&o, NULL, CRED_OUT_TABLE), 0);
    cr_expect_eq(cred_out_render(o, &rec, &out, &n), CRED_EINVAL);
    cred_out_free(o);
    cr_assert_eq(cred_out_new(&o, NULL, CRED_OUT_JSONL), 0);
    cr_expect_eq(cred_out_render(o, NULL, &out, &n), CRED_EINVAL);
    cr_expect_eq(cred_out_render(o, &rec, NULL, &n), CRED_EINVAL);
    cr_expect_eq(cred_out_render(NULL, &rec, &out, &n), CRED_EINVAL);
    cred_scored_post no_score = rec;
    no_score.score = NULL;
    cr_expect_eq(cred_out_render(o, &no_score, &out, &n), CRED_EINVAL);
    cred_out_free(o);
    pipeline_free(&p);
}
