/* Scored post records: jsonl fields, csv quoting, table order, html content. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "credence.h"

typedef struct fixture {
    cred_post post;
    cred_contribution c[3];
    cred_score score;
    cred_dup_match dup;
    cred_dup_cluster cl;
} fixture;

static void make(fixture *f, const char *id, const char *text, int validity)
{
    memset(f, 0, sizeof *f);
    f->post.id = id;
    f->post.text = text;
    f->post.text_len = strlen(text);
    f->post.source = "Grupo, \"Saúde\"";
    f->post.author = "Ana";
    f->post.date = 1709280000; /* 2024-03-01T08:00:00Z */
    f->post.start = f->post.end = -1;
    f->post.line = 3;
    f->c[0] = (cred_contribution){CRED_CONTRIB_RULE, "CURE", "claim", 2.0, 2.0, 0, 1, {6, 10}, CRED_TARGET_NORM,
                                  text + 6, 4, "Unsourced cure claim"};
    f->c[1] = (cred_contribution){CRED_CONTRIB_RULE, "SHARE", "pressure", 0, 0.8, CRED_HIT_CAPPED, 1, {0, 5},
                                  CRED_TARGET_NORM, text, 5, "Share call"};
    f->c[2] = (cred_contribution){CRED_CONTRIB_DUPLICATE, "NEAR_DUPLICATE", "duplicate", 0.6, 0.6, 0, 0, {0, 0},
                                  CRED_TARGET_NORM, NULL, 0, "Edited copy"};
    f->score.z = 1.6;
    f->score.p_unreliable = 0.832;
    f->score.validity = validity;
    f->score.verdict = validity < 40 ? CRED_VERDICT_UNRELIABLE : CRED_VERDICT_CREDIBLE;
    f->score.flags = CRED_FLAG_UNSOURCED_CLAIM | CRED_FLAG_NEAR_DUPLICATE;
    f->score.contribs = f->c;
    f->score.n_contribs = 3;
    f->score.suppressed = 1;
    f->score.suppressed_points = 0.8;
    f->dup = (cred_dup_match){1, 0, 0, 0.875, CRED_DUP_NEAR};
    f->cl = (cred_dup_cluster){0, 2, 1, 1709270000, 1709280000};
}

static char *write_all(cred_out_format fmt, fixture *fs, size_t n, unsigned flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    cred_out *o;
    cred_out_options oo = CRED_OUT_OPTIONS_INIT;
    oo.flags = flags;
    cr_assert_eq(cred_out_open(&o, fp, fmt, &oo), 0);
    for (size_t i = 0; i < n; i++) {
        cred_scored_post r = {&fs[i].post, NULL, &fs[i].score, &fs[i].dup, &fs[i].cl, "p0", "p0", "Origin Chan"};
        cr_assert_eq(cred_out_score(o, &r), 0);
    }
    cr_assert_eq(cred_out_finish(o), 0);
    cred_out_free(o);
    fclose(fp);
    return buf;
}

static yajl_val at(yajl_val v, const char *a, const char *b, const char *c)
{
    const char *path[4] = {a, b, c, NULL};
    return yajl_tree_get(v, path, yajl_t_any);
}

Test(out, jsonl_record_has_the_documented_fields)
{
    fixture f;
    make(&f, "p1", "share cure\nnow", 17);
    char *s = write_all(CRED_OUT_JSONL, &f, 1, 0);
    cr_assert(strchr(s, '\n') == s + strlen(s) - 1, "one line per record: %s", s);
    char err[128];
    yajl_val v = yajl_tree_parse(s, err, sizeof err);
    cr_assert(v, "%s", err);
    cr_expect_str_eq(YAJL_GET_STRING(at(v, "id", NULL, NULL)), "p1");
    cr_expect_str_eq(YAJL_GET_STRING(at(v, "date", NULL, NULL)), "2024-03-01T08:00:00Z");
    cr_expect_eq(YAJL_GET_INTEGER(at(v, "validity", NULL, NULL)), 17);
    cr_expect_float_eq(YAJL_GET_DOUBLE(at(v, "p_unreliable", NULL, NULL)), 0.832, 1e-9);
    cr_expect_str_eq(YAJL_GET_STRING(at(v, "verdict", NULL, NULL)), "unreliable");
    yajl_val flags = at(v, "flags", NULL, NULL);
    cr_assert(YAJL_IS_ARRAY(flags));
    cr_expect_eq(flags->u.array.len, 2);
    cr_expect_str_eq(YAJL_GET_STRING(flags->u.array.values[0]), "unsourced_claim");
    cr_expect_str_eq(YAJL_GET_STRING(flags->u.array.values[1]), "near_duplicate");
    yajl_val reasons = at(v, "reasons", NULL, NULL);
    cr_assert(YAJL_IS_ARRAY(reasons) && reasons->u.array.len == 3);
    yajl_val r0 = reasons->u.array.values[0], r1 = reasons->u.array.values[1];
    cr_expect_str_eq(YAJL_GET_STRING(at(r0, "rule", NULL, NULL)), "CURE");
    cr_expect_str_eq(YAJL_GET_STRING(at(r0, "category", NULL, NULL)), "claim");
    cr_expect_str_eq(YAJL_GET_STRING(at(r0, "quote", NULL, NULL)), "cure");
    cr_expect_eq(YAJL_GET_INTEGER(at(r0, "start", NULL, NULL)), 6);
    cr_expect_eq(YAJL_GET_INTEGER(at(r0, "end", NULL, NULL)), 10);
    cr_expect_str_eq(YAJL_GET_STRING(at(r0, "explain", NULL, NULL)), "Unsourced cure claim");
    cr_expect_null(at(r0, "capped", NULL, NULL));
    cr_expect(YAJL_IS_TRUE(at(r1, "capped", NULL, NULL)));
    cr_expect_float_eq(YAJL_GET_DOUBLE(at(r1, "raw_points", NULL, NULL)), 0.8, 1e-9);
    cr_expect_str_eq(YAJL_GET_STRING(at(v, "duplicate", "relation", NULL)), "near");
    cr_expect_str_eq(YAJL_GET_STRING(at(v, "duplicate", "origin", NULL)), "p0");
    cr_expect_str_eq(YAJL_GET_STRING(at(v, "duplicate", "parent", NULL)), "p0");
    cr_expect_eq(YAJL_GET_INTEGER(at(v, "duplicate", "cluster", "size")), 2);
    cr_expect_eq(YAJL_GET_INTEGER(at(v, "duplicate", "cluster", "sources")), 1);
    cr_expect_str_eq(YAJL_GET_STRING(at(v, "duplicate", "cluster", "first_seen")), "2024-03-01T05:13:20Z");
    cr_expect_eq(YAJL_GET_INTEGER(at(v, "suppressed", "hits", NULL)), 1);
    cr_expect_str_eq(YAJL_GET_STRING(at(v, "text", NULL, NULL)), "share cure\nnow");
    yajl_tree_free(v);
    free(s);
    s = write_all(CRED_OUT_JSONL, &f, 1, CRED_OUT_NO_TEXT);
    cr_expect_null(strstr(s, "\"text\""));
    free(s);
}

Test(out, csv_quotes_fields_and_joins_flags)
{
    fixture f[2];
    make(&f[0], "p1", "share cure, \"now\"\nplease", 17);
    make(&f[1], "p2", "plain text, no share", 90);
    char *s = write_all(CRED_OUT_CSV, f, 2, 0);
    const char *header = "id,source,author,date,lang,validity,p_unreliable,verdict,flags,reasons,relation,origin,"
                         "cluster_size,cluster_sources,text\r\n";
    cr_assert(strncmp(s, header, strlen(header)) == 0, "%s", s);
    const char *row = s + strlen(header);
    const char *want = "p1,\"Grupo, \"\"Saúde\"\"\",Ana,2024-03-01T08:00:00Z,,17,0.8320,unreliable,"
                       "unsourced_claim|near_duplicate,CURE(+2.00)|SHARE(+0.00)|NEAR_DUPLICATE(+0.60),near,p0,2,1,"
                       "\"share cure, \"\"now\"\"\nplease\"\r\n";
    cr_expect(strncmp(row, want, strlen(want)) == 0, "got:\n%s\nwant:\n%s", row, want);
    cr_expect(strstr(s, "\r\np2,") != NULL);
    free(s);
}

Test(out, table_lists_the_worst_first)
{
    fixture f[3];
    make(&f[0], "good", "fine text", 95);
    make(&f[1], "bad", "share cure", 5);
    make(&f[2], "middling", "share cure", 30);
    char *s = write_all(CRED_OUT_TABLE, f, 3, 0);
    char *bad = strstr(s, "bad"), *mid = strstr(s, "middling"), *good = strstr(s, "good");
    cr_assert(bad && mid && good, "%s", s);
    cr_expect(bad < mid && mid < good, "%s", s);
    cr_expect(strstr(s, "3 posts") != NULL);
    cr_expect_null(strchr(s, '\033'), "no colour unless asked");
    free(s);
}

Test(out, table_quotes_non_latin_text_whole)
{
    fixture f[1];
    const char *text = "share \u0639\u0627\u062c\u0644 now"; /* Arabic "urgent": 8 bytes at offset 6 */
    make(&f[0], "ar", text, 5);
    f[0].c[0].span = (cred_span){6, 14};
    f[0].c[0].quote = text + 6;
    f[0].c[0].quote_len = 8;
    char *s = write_all(CRED_OUT_TABLE, f, 1, 0);
    cr_expect(strstr(s, "\u00ab\u0639\u0627\u062c\u0644\u00bb") != NULL, "the last letter is kept: %s", s);
    cr_expect(strstr(s, "share \u0639\u0627\u062c\u0644 now") != NULL, "%s", s);
    free(s);
}

Test(out, html_is_self_contained_and_escaped)
{
    fixture f[2];
    make(&f[0], "p1", "share cure <script>alert(1)</script>", 5);
    make(&f[1], "p2", "ok, no cure to share", 90);
    char *s = write_all(CRED_OUT_HTML, f, 2, 0);
    cr_expect(strncmp(s, "<!DOCTYPE html>", 15) == 0);
    cr_expect_null(strstr(s, "<script>alert(1)"), "post text must be escaped");
    cr_expect(strstr(s, "&lt;script&gt;alert(1)") != NULL);
    cr_expect(strstr(s, "<mark class=\"hit\" data-rule=\"CURE\"") != NULL);
    cr_expect(strstr(s, "id=\"count-posts\"><b>2</b>") != NULL);
    cr_expect(strstr(s, "class=\"bar\"") != NULL);
    cr_expect(strstr(s, "Origin Chan") != NULL, "the cluster shows its origin");
    cr_expect_null(strstr(s, "src=\"http"), "no external resources");
    cr_expect_null(strstr(s, "href=\"http"));
    free(s);
}

Test(out, formats_have_names)
{
    cred_out_format f;
    cr_expect_eq(cred_out_format_parse(&f, "html"), 0);
    cr_expect_eq(f, CRED_OUT_HTML);
    cr_expect_eq(cred_out_format_parse(&f, "xml"), CRED_ENOTFOUND);
    cr_expect_str_eq(cred_out_format_name(CRED_OUT_CSV), "csv");
}

#define EXPECTED_JSONL \
    "{\"id\":\"p\\\"1\",\"source\":\"Grupo, \\\"Sa\xc3""\xba""de\\\"\",\"author\":\"A\\u0002/\\\\\",\"date\":\"1960-01-01T00:00:00Z\"," \
    "\"validity\":17,\"p_unreliable\":0.8321,\"verdict\":\"unreliable\",\"z\":0,\"flags\":[\"unsourced_claim\"," \
    "\"near_duplicate\"],\"reasons\":[{\"rule\":\"CURE\",\"category\":\"claim\",\"points\":-2.5," \
    "\"quote\":\"ure\\\\\",\"start\":6,\"end\":10,\"explain\":\"Unsourced cure claim\"},{\"rule\":\"SHARE\"," \
    "\"category\":\"pressure\",\"points\":0,\"quote\":\"say \\\"\",\"start\":0,\"end\":5,\"explain\":\"Share call\"," \
    "\"capped\":true,\"raw_points\":0.8},{\"rule\":\"NEAR_DUPLICATE\",\"category\":\"duplicate\"," \
    "\"points\":0.6,\"explain\":\"Edited copy\"}],\"suppressed\":{\"hits\":1,\"points\":0.8}," \
    "\"duplicate\":{\"relation\":\"near\",\"parent\":\"p0\",\"origin\":\"p0\",\"similarity\":0.875," \
    "\"cluster\":{\"id\":\"p0\",\"size\":2,\"sources\":1,\"first_seen\":\"2024-03-01T05:13:20Z\"," \
    "\"last_seen\":\"10000-01-01T00:00:00Z\"}},\"forwarded_from\":\"Canal \xc3""\xa9\",\"line\":3," \
    "\"text\":\"say \\\"cure\\\\now\\\"/\\t\\u0001\\u001F\x7f\\n\xe2""\x82""\xac""\xef""\xbf""\xbd!\\u0000end\"}\n"

/* The jsonl writer's exact bytes: escapes (quote, backslash, control bytes, NUL; "/" and DEL as is),
 * invalid UTF-8 repaired, numbers without trailing zeros ("-0" as "0"), dates before 1970 and after
 * 9999. These are the bytes yajl_gen wrote before the writer was hand-tuned. */
Test(out, jsonl_record_bytes_are_exact)
{
    static const char text[] = "say \"cure\\now\"/\t\x01\x1f\x7f\n\xe2\x82\xac\xff!\0end";
    fixture f;
    make(&f, "p\"1", text, 17);
    f.post.text_len = sizeof text - 1;
    f.post.author = "A\x02/\\";
    f.post.forwarded_from = "Canal \xc3\xa9";
    f.post.date = -315619200; /* 1960-01-01 */
    f.cl.last_seen = 253402300800LL; /* 10000-01-01: past what the fast path converts */
    f.score.z = -0.0004;
    f.score.p_unreliable = 0.83215;
    f.c[0].points = -2.5;
    f.c[0].raw_points = -2.5;
    char *s = write_all(CRED_OUT_JSONL, &f, 1, 0);
    cr_expect_str_eq(s, EXPECTED_JSONL);
    free(s);
}
