/* The JSONL reader: field mapping, bad lines, limits. */
#include "io/collect.h"

#include <criterion/criterion.h>

Test(io, jsonl_maps_every_field)
{
    const char *in =
        "{\"id\":\"m1\",\"text\":\"Drink hot water\",\"source\":\"chan\",\"author\":\"Ann\",\"author_id\":\"user7\","
        "\"date\":\"2021-03-04T05:06:07Z\",\"forwarded_from\":\"Bob\",\"url\":\"https://t.me/c/1\",\"lang\":\"en\","
        "\"kind\":\"comment\",\"reply_to\":\"m0\",\"links\":[\"https://a.example/x\",\"https://b.example\"],"
        "\"start\":1.5,\"end\":31}\n";
    tread t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.format, CRED_FORMAT_JSONL);
    cr_assert_eq(t.n, 1);
    tpost *p = &t.posts[0];
    cr_assert_str_eq(p->id, "m1");
    cr_assert_str_eq(p->text, "Drink hot water");
    cr_assert_eq(p->text_len, 15);
    cr_assert_str_eq(p->source, "chan");
    cr_assert_str_eq(p->author, "Ann");
    cr_assert_str_eq(p->author_id, "user7");
    cr_assert_eq(p->date, 1614834367);
    cr_assert_str_eq(p->date_text, "2021-03-04T05:06:07Z");
    cr_assert_str_eq(p->forwarded_from, "Bob");
    cr_assert_str_eq(p->url, "https://t.me/c/1");
    cr_assert_str_eq(p->lang, "en");
    cr_assert_eq(p->kind, CRED_KIND_COMMENT);
    cr_assert_str_eq(p->reply_to, "m0");
    cr_assert_eq(p->n_links, 2);
    cr_assert_str_eq(p->links[0], "https://a.example/x");
    cr_assert_str_eq(p->links[1], "https://b.example");
    cr_assert_float_eq(p->start, 1.5, 1e-9);
    cr_assert_float_eq(p->end, 31.0, 1e-9);
    cr_assert_eq(p->line, 1);
    cr_assert_eq(t.stats.skipped, 0);
    tread_free(&t);
}

Test(io, jsonl_defaults_missing_fields_and_uses_line_numbers_as_ids)
{
    const char *in = "{\"text\":\"a\"}\n\n{\"text\":\"b\",\"forwarded_from\":null,\"date\":null}\n";
    tread t = read_mem(in, CRED_FORMAT_JSONL);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.posts[0].id, "1");
    cr_assert_str_eq(t.posts[1].id, "3");
    cr_assert_eq(t.posts[1].line, 3);
    cr_assert_null(t.posts[1].forwarded_from);
    cr_assert_null(t.posts[1].author);
    cr_assert_eq(t.posts[1].date, CRED_DATE_UNKNOWN);
    cr_assert_str_eq(t.posts[0].source, "mem");
    cr_assert_eq(t.posts[0].kind, CRED_KIND_MESSAGE);
    cr_assert_eq(t.posts[0].start, -1);
    cr_assert_eq(t.nd, 0, "blank lines are skipped silently");
    tread_free(&t);
}

Test(io, jsonl_numeric_ids_and_epoch_dates_are_read_as_written)
{
    const char *in = "{\"id\":12345678901234,\"text\":\"x\",\"date\":1614834367}\n"
                     "{\"id\":7,\"text\":\"y\",\"date\":1614834367.9}\n"
                     "{\"id\":8,\"text\":\"z\",\"date\":\"2021-03-04 07:06:07+02:00\"}\n";
    tread t = read_mem(in, CRED_FORMAT_JSONL);
    cr_assert_eq(t.n, 3);
    cr_assert_str_eq(t.posts[0].id, "12345678901234");
    cr_assert_eq(t.posts[0].date, 1614834367);
    cr_assert_str_eq(t.posts[1].id, "7");
    cr_assert_eq(t.posts[1].date, 1614834367);
    cr_assert_eq(t.posts[2].date, 1614834367);
    tread_free(&t);
}

Test(io, jsonl_ignores_unknown_keys_even_nested_ones)
{
    const char *in = "{\"meta\":{\"text\":\"inner\",\"deep\":[[{\"id\":\"no\"}]]},\"id\":\"ok\",\"extra\":[1,2,{}],"
                     "\"text\":\"outer\",\"flag\":true}\n";
    tread t = read_mem(in, CRED_FORMAT_JSONL);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.posts[0].text, "outer");
    cr_assert_str_eq(t.posts[0].id, "ok");
    tread_free(&t);
}

Test(io, jsonl_skips_bad_lines_with_their_position_and_reads_the_rest)
{
    const char *in = "{\"text\":\"good 1\"}\n"
                     "{\"text\": oops}\n"           /* invalid JSON */
                     "[1,2]\n"                      /* not an object */
                     "{\"id\":\"x\"}\n"             /* no text */
                     "{\"text\":42}\n"              /* text not a string */
                     "{\"text\":\"open\"\n"         /* object not closed */
                     "\"just a string\"\n"
                     "{\"text\":\"a\"}{\"text\":\"b\"}\n"
                     "{\"text\":\"good 2\"}";       /* last line without newline */
    tread t = read_mem(in, CRED_FORMAT_JSONL);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.posts[0].text, "good 1");
    cr_assert_str_eq(t.posts[1].text, "good 2");
    cr_assert_str_eq(t.posts[1].id, "9");
    cr_assert_eq(t.stats.skipped, 7);
    cr_assert_eq(t.stats.posts, 2);
    cr_assert_eq(count_sev(&t, CRED_SEV_ERROR), 7);
    uint64_t lines[] = {2, 3, 4, 5, 6, 7, 8};
    for (size_t i = 0; i < 7; i++) {
        cr_assert_eq(t.diags[i].line, lines[i], "diag %zu: %s", i, t.diags[i].message);
        cr_assert_eq(t.diags[i].code, i == 2 ? CRED_ENOTFOUND : CRED_ESYNTAX, "a missing key is not a syntax error");
        cr_assert_gt(t.diags[i].column, 0);
    }
    /* "{"text": oops}": yajl stops at the bad token, past the colon */
    cr_assert_eq(t.diags[0].column, 10, "%llu", (unsigned long long)t.diags[0].column);
    cr_assert_eq(t.diags[1].column, 1);
    cr_assert(strstr(t.diags[2].message, "\"text\""), "%s", t.diags[2].message);
    cr_assert(strstr(t.diags[3].message, "not a string"), "%s", t.diags[3].message);
    cr_assert_eq(t.diags[4].column, 15, "object left open: column after the line's end");
    cr_assert(strstr(t.diags[6].message, "more than one"), "%s", t.diags[6].message);
    tread_free(&t);
}

Test(io, jsonl_skips_a_bom_and_handles_crlf)
{
    const char *in = "\xEF\xBB\xBF{\"text\":\"one\"}\r\n\r\n{\"text\":\"two\\r\\nlines\"}\r\n";
    tread t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.format, CRED_FORMAT_JSONL);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.posts[0].text, "one");
    cr_assert_str_eq(t.posts[1].text, "two\r\nlines");
    cr_assert_eq(t.stats.skipped, 0);
    tread_free(&t);
}

Test(io, jsonl_keeps_nul_bytes_and_invalid_utf8_in_text)
{
    const char in[] = "{\"text\":\"a\\u0000b\xff\"}\n";
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_JSONL;
    tread t = read_mem_opts(in, sizeof in - 1, &o);
    cr_assert_eq(t.n, 1);
    cr_assert_eq(t.posts[0].text_len, 4);
    cr_assert_eq(memcmp(t.posts[0].text, "a\0b\xff", 4), 0);
    tread_free(&t);
}

Test(io, jsonl_rejects_nesting_deeper_than_the_limit)
{
    char in[4096];
    size_t n = 0;
    n += (size_t)sprintf(in + n, "{\"text\":\"t\",\"x\":");
    for (int i = 0; i < CRED_LIMIT_JSON_DEPTH; i++)
        in[n++] = '[';
    for (int i = 0; i < CRED_LIMIT_JSON_DEPTH; i++)
        in[n++] = ']';
    n += (size_t)sprintf(in + n, "}\n{\"text\":\"ok\",\"x\":");
    for (int i = 0; i < CRED_LIMIT_JSON_DEPTH - 2; i++)
        in[n++] = '[';
    for (int i = 0; i < CRED_LIMIT_JSON_DEPTH - 2; i++)
        in[n++] = ']';
    n += (size_t)sprintf(in + n, "}\n");
    tread t = read_mem(in, CRED_FORMAT_JSONL);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.posts[0].text, "ok");
    cr_assert_eq(t.stats.skipped, 1);
    cr_assert(strstr(t.diags[0].message, "deeper"), "%s", t.diags[0].message);
    tread_free(&t);
}

Test(io, jsonl_reads_a_5_mb_single_line_and_cuts_text_over_the_post_limit)
{
    size_t big = 5u << 20;
    char *in = malloc(big + 64);
    size_t n = (size_t)sprintf(in, "{\"id\":\"big\",\"text\":\"");
    memset(in + n, 'a', big);
    n += big;
    n += (size_t)sprintf(in + n, "\"}\n{\"text\":\"after\"}\n");
    tread t = read_mem_opts(in, n, NULL);
    cr_assert_eq(t.format, CRED_FORMAT_JSONL);
    cr_assert_eq(t.n, 2);
    cr_assert_eq(t.posts[0].text_len, CRED_LIMIT_POST_BYTES);
    cr_assert(t.posts[0].flags & CRED_POST_TRUNCATED);
    cr_assert_eq(t.stats.repaired, 1);
    cr_assert_eq(t.posts[1].flags & CRED_POST_TRUNCATED, 0);
    cr_assert_str_eq(t.posts[1].text, "after");
    tread_free(&t);
    free(in);
}

Test(io, jsonl_truncation_never_splits_a_utf8_sequence)
{
    size_t big = CRED_LIMIT_POST_BYTES + 10;
    char *in = malloc(big + 64);
    size_t n = (size_t)sprintf(in, "{\"text\":\"a");
    for (size_t i = 0; i + 2 <= big; i += 2) {
        in[n++] = '\xd8'; /* Persian/Arabic letters, two bytes each, offset by one byte */
        in[n++] = '\xb3';
    }
    n += (size_t)sprintf(in + n, "\"}\n");
    tread t = read_mem_opts(in, n, NULL);
    cr_assert_eq(t.n, 1);
    cr_assert_leq(t.posts[0].text_len, CRED_LIMIT_POST_BYTES);
    cr_assert_eq(t.posts[0].text_len % 2, 1, "cut on a character boundary");
    cr_assert(t.posts[0].flags & CRED_POST_TRUNCATED);
    tread_free(&t);
    free(in);
}

Test(io, jsonl_warns_about_unreadable_dates_and_unknown_kinds_but_keeps_the_post)
{
    tread t = read_mem("{\"text\":\"x\",\"date\":\"yesterday\",\"kind\":\"story\"}\n", CRED_FORMAT_JSONL);
    cr_assert_eq(t.n, 1);
    cr_assert_eq(t.posts[0].date, CRED_DATE_UNKNOWN);
    cr_assert_str_eq(t.posts[0].date_text, "yesterday");
    cr_assert_eq(t.posts[0].kind, CRED_KIND_MESSAGE);
    cr_assert_eq(t.stats.repaired, 2);
    cr_assert_eq(t.stats.skipped, 0);
    tread_free(&t);
}

Test(io, jsonl_probe_does_not_claim_json_documents_spanning_lines)
{
    const char *telegram = "{\n \"name\": \"Chan\",\n \"type\": \"public_channel\",\n \"messages\": [\n"
                           "  {\"id\": 1, \"type\": \"message\", \"text\": \"hi\"}\n ]\n}\n";
    cr_assert_neq(cred_format_detect(telegram, strlen(telegram)), CRED_FORMAT_JSONL);
    const char *one_line = "{\"name\":\"Chan\",\"messages\":[{\"id\":1,\"text\":\"hi\"}]}\n";
    cr_assert_neq(cred_format_detect(one_line, strlen(one_line)), CRED_FORMAT_JSONL);
    const char *jsonl = "\n  {\"text\":\"hi\"}\n{\"text\":\"there\"}\n";
    cr_assert_eq(cred_format_detect(jsonl, strlen(jsonl)), CRED_FORMAT_JSONL);
}

Test(io, jsonl_empty_or_blank_input_gives_no_posts_and_no_error)
{
    tread t = read_mem("", CRED_FORMAT_JSONL);
    cr_assert_eq(t.open_rc, 0);
    cr_assert_eq(t.rc, 0);
    cr_assert_eq(t.n, 0);
    tread_free(&t);
    t = read_mem("\n\r\n   \n", CRED_FORMAT_JSONL);
    cr_assert_eq(t.rc, 0);
    cr_assert_eq(t.n, 0);
    cr_assert_eq(t.nd, 0);
    tread_free(&t);
}

Test(io, jsonl_options_rename_keys_and_deliver_the_label_as_written)
{
    const char *in = "{\"body\":\"Cure\",\"text\":\"ignored\",\"k\":\"a1\",\"y\":\"fake\",\"l\":\"pt\",\"lang\":\"en\"}\n"
                     "{\"body\":\"Two\",\"y\":1.0}\n"
                     "{\"body\":\"Three\",\"y\":true}\n"
                     "{\"body\":\"Four\",\"y\":null}\n"
                     "{\"text\":\"no body\",\"y\":0}\n";
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_JSONL;
    o.text_col = "body";
    o.id_col = "k";
    o.label_col = "y";
    o.lang_col = "l";
    tread t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.n, 4);
    cr_assert_str_eq(t.posts[0].text, "Cure", "text_col replaces the \"text\" key");
    cr_assert_str_eq(t.posts[0].id, "a1");
    cr_assert_str_eq(t.posts[0].label, "fake");
    cr_assert_str_eq(t.posts[0].lang, "pt");
    cr_assert_str_eq(t.posts[1].label, "1.0", "numbers as written");
    cr_assert_str_eq(t.posts[1].id, "2");
    cr_assert_str_eq(t.posts[2].label, "true");
    cr_assert_null(t.posts[3].label, "null is absent");
    cr_assert_eq(t.stats.skipped, 1);
    cr_assert_eq(t.diags[0].code, CRED_ENOTFOUND);
    cr_assert(strstr(t.diags[0].message, "\"body\""), "%s", t.diags[0].message);
    tread_free(&t);
    tread u = read_mem("{\"text\":\"x\",\"label\":\"1\"}\n", CRED_FORMAT_JSONL);
    cr_assert_null(u.posts[0].label, "no label unless label_col asks for one");
    tread_free(&u);
}

Test(io, jsonl_text_col_joins_keys_with_a_blank_line)
{
    const char *in = "{\"description\":\"A hoax\",\"title\":\"Vaccines\"}\n"
                     "{\"title\":\"Clinic hours\",\"description\":\"\"}\n"
                     "{\"title\":\"no description\"}\n"
                     "{\"title+description\":\"whole\",\"title\":\"t\"}\n";
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_JSONL;
    o.text_col = "title+description";
    tread t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.n, 3);
    cr_assert_str_eq(t.posts[0].text, "Vaccines\n\nA hoax", "in the order of text_col");
    cr_assert_str_eq(t.posts[1].text, "Clinic hours", "empty parts are left out");
    cr_assert_str_eq(t.posts[2].text, "whole", "a key with the whole name wins");
    cr_assert_eq(t.stats.skipped, 1);
    cr_assert_eq(t.diags[0].line, 3);
    cr_assert_eq(t.diags[0].code, CRED_ENOTFOUND);
    tread_free(&t);
}
