/* The CSV reader: delimiters, quoting, columns, bad rows, real datasets. */
#include "io/collect.h"

#include <criterion/criterion.h>
#include <unistd.h>

Test(io, csv_maps_named_columns_and_numbers_records_without_id)
{
    const char *in = "Author,text,source,date,lang,url\n"
                     "Ann,hello world,chan,2021-03-04T05:06:07Z,en,https://x.example/1\n"
                     "Bob,second,,,,\n";
    tread t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.format, CRED_FORMAT_CSV);
    cr_assert_eq(t.n, 2);
    tpost *p = &t.posts[0];
    cr_assert_str_eq(p->text, "hello world");
    cr_assert_str_eq(p->author, "Ann", "column names match case-insensitively");
    cr_assert_str_eq(p->source, "chan");
    cr_assert_eq(p->date, 1614834367);
    cr_assert_str_eq(p->lang, "en");
    cr_assert_str_eq(p->url, "https://x.example/1");
    cr_assert_str_eq(p->id, "1");
    cr_assert_eq(p->line, 2);
    cr_assert_str_eq(t.posts[1].id, "2");
    cr_assert_str_eq(t.posts[1].source, "mem", "an empty source falls back to the input name");
    cr_assert_str_eq(t.posts[1].author, "Bob");
    cr_assert_null(t.posts[1].lang, "empty fields are absent");
    cr_assert_eq(t.posts[1].date, CRED_DATE_UNKNOWN);
    cr_assert_eq(t.nd, 0);
    tread_free(&t);
}

Test(io, csv_columns_named_in_options_win)
{
    const char *in = "k;who;body;when;tweet\n"
                     "a1;Zé;corpo;1614834367;ignored\n";
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_CSV;
    o.text_col = "body";
    o.id_col = "k";
    o.author_col = "who";
    o.date_col = "when";
    o.source_col = "tweet";
    tread t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.posts[0].text, "corpo");
    cr_assert_str_eq(t.posts[0].id, "a1");
    cr_assert_str_eq(t.posts[0].author, "Zé");
    cr_assert_str_eq(t.posts[0].source, "ignored");
    cr_assert_eq(t.posts[0].date, 1614834367);
    tread_free(&t);
}

Test(io, csv_default_text_column_is_the_first_known_name)
{
    tread t = read_mem("id,label,Tweet,claim\n7,fake,the tweet,the claim\n", CRED_FORMAT_CSV);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.posts[0].text, "the tweet");
    cr_assert_str_eq(t.posts[0].id, "7");
    tread_free(&t);
}

Test(io, csv_reads_quoted_fields_with_delimiters_quotes_and_newlines)
{
    const char *in = "id,text,label\r\n"
                     "1,\"a, b and \"\"c\"\"\",x\r\n"
                     "2,\"line one\r\nline two\n\nline four\",y\r\n"
                     "3,plain \"inner\" quote,z\r\n";
    tread t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.format, CRED_FORMAT_CSV);
    cr_assert_eq(t.n, 3);
    cr_assert_str_eq(t.posts[0].text, "a, b and \"c\"");
    cr_assert_str_eq(t.posts[1].text, "line one\nline two\n\nline four");
    cr_assert_eq(t.posts[1].line, 3);
    cr_assert_eq(t.posts[2].line, 7, "the line after a multi-line record is counted right");
    cr_assert_str_eq(t.posts[2].text, "plain \"inner\" quote");
    cr_assert_eq(t.stats.skipped, 0);
    tread_free(&t);
}

Test(io, csv_detects_semicolon_tab_and_pipe_delimiters)
{
    const char *ins[] = {"id;text;n\n1;um, dois;3\n2;\"x;y\";4\n", "id\ttext\tn\n1\tum, dois\t3\n2\t\"x\ty\"\t4\n",
                         "id|text|n\n1|um, dois|3\n2|\"x|y\"|4\n"};
    const char *second[] = {"x;y", "x\ty", "x|y"};
    for (int i = 0; i < 3; i++) {
        tread t = read_mem(ins[i], CRED_FORMAT_AUTO);
        cr_assert_eq(t.format, CRED_FORMAT_CSV, "input %d", i);
        cr_assert_eq(t.n, 2, "input %d", i);
        cr_assert_str_eq(t.posts[0].text, "um, dois");
        cr_assert_str_eq(t.posts[1].text, second[i]);
        cr_assert_eq(t.stats.skipped, 0);
        tread_free(&t);
    }
}

Test(io, csv_delimiter_option_overrides_detection)
{
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_CSV;
    o.csv_delimiter = ';';
    const char *in = "text;id\na,b,c,d;9\n";
    tread t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.posts[0].text, "a,b,c,d");
    cr_assert_str_eq(t.posts[0].id, "9");
    tread_free(&t);
}

Test(io, csv_unknown_text_column_fails_at_open_listing_the_columns)
{
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.text_col = "nope";
    const char *in = "id,tweet,label\n1,x,fake\n";
    tread t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.open_rc, CRED_ENOTFOUND);
    cr_assert(strstr(t.error, "nope"), "%s", t.error);
    cr_assert(strstr(t.error, "\"tweet\""), "%s", t.error);
    cr_assert(strstr(t.error, "\"label\""), "%s", t.error);
    tread_free(&t);
    tread u = read_mem("a,b\n1,2\n", CRED_FORMAT_CSV);
    cr_assert_eq(u.open_rc, CRED_ENOTFOUND, "no text column at all");
    tread_free(&u);
}

Test(io, csv_skips_short_rows_and_unterminated_quotes_with_positions)
{
    const char *in = "id,text,label\n"
                     "1,good,x\n"
                     "2,short\n"
                     "3,extra,x,y\n"
                     "4,\"never closed,x\n"
                     "5,lost,x\n";
    tread t = read_mem(in, CRED_FORMAT_CSV);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.posts[0].text, "good");
    cr_assert_str_eq(t.posts[1].text, "extra", "extra fields are ignored with a warning");
    cr_assert_eq(t.stats.skipped, 2);
    cr_assert_eq(t.stats.repaired, 1);
    cr_assert_eq(t.nd, 3);
    cr_assert_eq(t.diags[0].line, 3);
    cr_assert_eq(t.diags[0].column, 8, "just past the short row");
    cr_assert_eq(t.diags[0].sev, CRED_SEV_ERROR);
    cr_assert_eq(t.diags[1].sev, CRED_SEV_WARNING);
    cr_assert_eq(t.diags[2].line, 5, "%s", t.diags[2].message);
    cr_assert_eq(t.diags[2].column, 3, "the opening quote");
    cr_assert(strstr(t.diags[2].message, "never closed"), "%s", t.diags[2].message);
    tread_free(&t);
}

Test(io, csv_skips_rows_over_the_column_limit_and_keeps_going)
{
    size_t cols = CRED_LIMIT_CSV_COLUMNS + 10;
    char *in = malloc(cols * 2 + 64);
    size_t n = (size_t)sprintf(in, "id,text\n1,");
    for (size_t i = 0; i < cols; i++) {
        in[n++] = 'x';
        in[n++] = ',';
    }
    n += (size_t)sprintf(in + n, "\n2,fine\n");
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    tread t = read_mem_opts(in, n, &o);
    cr_assert_eq(t.format, CRED_FORMAT_CSV);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.posts[0].text, "fine");
    cr_assert_str_eq(t.posts[0].id, "2");
    cr_assert_eq(t.stats.skipped, 1);
    cr_assert_eq(t.diags[0].code, CRED_ELIMIT);
    cr_assert_eq(t.diags[0].line, 2);
    cr_assert_eq(t.diags[0].column, 2 + 2 * (CRED_LIMIT_CSV_COLUMNS - 1) + 1);
    tread_free(&t);
    free(in);
}

Test(io, csv_warns_about_text_after_a_closing_quote_and_keeps_it)
{
    tread t = read_mem("text,id\n\"quoted\" tail,1\n", CRED_FORMAT_CSV);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.posts[0].text, "quoted tail");
    cr_assert_eq(t.stats.repaired, 1);
    cr_assert_eq(t.diags[0].column, 9);
    tread_free(&t);
}

Test(io, csv_with_a_bom_and_blank_lines_reads_cleanly)
{
    tread t = read_mem("\xEF\xBB\xBFtext,id\n\nfirst,a\n\n\nsecond,b\n", CRED_FORMAT_AUTO);
    cr_assert_eq(t.format, CRED_FORMAT_CSV);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.posts[1].text, "second");
    cr_assert_eq(t.posts[1].line, 6);
    cr_assert_eq(t.nd, 0);
    tread_free(&t);
}

Test(io, csv_empty_file_and_header_only_give_no_posts)
{
    tread t = read_mem("", CRED_FORMAT_CSV);
    cr_assert_eq(t.open_rc, 0);
    cr_assert_eq(t.n, 0);
    cr_assert_eq(t.rc, 0);
    tread_free(&t);
    t = read_mem("id,text\n", CRED_FORMAT_CSV);
    cr_assert_eq(t.open_rc, 0);
    cr_assert_eq(t.n, 0);
    cr_assert_eq(t.nd, 0);
    tread_free(&t);
}

Test(io, csv_label_and_lang_columns_are_delivered_as_written)
{
    const char *in = "id,tweet,verdict,language,lang\n"
                     "1,first, fake ,pt,en\n"
                     "2,second,,,en\n";
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.text_col = "tweet";
    o.label_col = "Verdict";
    o.lang_col = "language";
    tread t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.posts[0].label, " fake ", "as written: the caller decides how to compare");
    cr_assert_str_eq(t.posts[0].lang, "pt", "lang_col replaces the \"lang\" column");
    cr_assert_null(t.posts[1].label, "an empty label is absent");
    cr_assert_null(t.posts[1].lang);
    tread_free(&t);
    o.label_col = "label";
    t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.open_rc, CRED_ENOTFOUND);
    cr_assert(strstr(t.error, "no label column \"label\""), "%s", t.error);
    tread_free(&t);
    t = read_mem(in, CRED_FORMAT_CSV);
    cr_assert_null(t.posts[0].label, "no label unless label_col asks for one");
    tread_free(&t);
}

Test(io, csv_columns_named_by_number_with_and_without_a_header)
{
    const char *in = "a.json\tpants-fire\tThe moon is cheese.\textra\n"
                     "b.json\ttrue\tTaxes rose.\n"
                     "c.json\thalf-true\n"
                     "\n"
                     "d.json\tfalse\tLast.\n";
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_CSV;
    o.csv_no_header = 1;
    o.text_col = "#3";
    o.label_col = "#2";
    o.id_col = "#1";
    tread t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.n, 3);
    cr_assert_str_eq(t.posts[0].text, "The moon is cheese.");
    cr_assert_str_eq(t.posts[0].id, "a.json");
    cr_assert_str_eq(t.posts[0].label, "pants-fire");
    cr_assert_eq(t.posts[0].line, 1, "the first row is data");
    cr_assert_str_eq(t.posts[2].text, "Last.");
    cr_assert_eq(t.posts[2].line, 5);
    cr_assert_eq(t.stats.skipped, 1, "the row without column 3");
    cr_assert_eq(t.stats.repaired, 0, "rows may have more columns than are read");
    cr_assert_eq(t.diags[0].code, CRED_ENOTFOUND);
    cr_assert_eq(t.diags[0].line, 3);
    tread_free(&t);
    o.text_col = "text";
    t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.open_rc, CRED_ENOTFOUND, "without a header only #N names a column");
    cr_assert(strstr(t.error, "#1"), "%s", t.error);
    tread_free(&t);
    tread h = read_mem("id,text\n1,x\n", CRED_FORMAT_CSV);
    cr_assert_str_eq(h.posts[0].text, "x");
    tread_free(&h);
    cred_reader_options n = CRED_READER_OPTIONS_INIT;
    n.text_col = "#2";
    h = read_mem_opts("id,body\n1,x\n", 12, &n);
    cr_assert_eq(h.n, 1);
    cr_assert_str_eq(h.posts[0].text, "x", "#N also names a column of a file with a header");
    tread_free(&h);
    n.text_col = "#3";
    h = read_mem_opts("id,body\n1,x\n", 12, &n);
    cr_assert_eq(h.open_rc, CRED_ENOTFOUND, "beyond the header");
    tread_free(&h);
}

Test(io, csv_without_quoting_reads_quotes_as_ordinary_characters)
{
    const char *in = "id\ttext\n"
                     "1\t\"Unbalanced quote\n"
                     "2\tsays \"x\" twice\n";
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_CSV;
    o.csv_no_quotes = 1;
    tread t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.posts[0].text, "\"Unbalanced quote");
    cr_assert_str_eq(t.posts[1].text, "says \"x\" twice");
    cr_assert_eq(t.nd, 0);
    tread_free(&t);
    t = read_mem(in, CRED_FORMAT_CSV);
    cr_assert_eq(t.n, 1);
    cr_assert(strstr(t.posts[0].text, "quote\n2\tsays"), "with quoting, the first row runs into the second");
    tread_free(&t);
}

Test(io, csv_text_col_joins_columns_with_a_blank_line)
{
    const char *in = "vid_title,description,label\n"
                     "Vaccines,A hoax,1\n"
                     "Clinic hours,,0\n";
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.text_col = "vid_title+description";
    tread t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.posts[0].text, "Vaccines\n\nA hoax");
    cr_assert_str_eq(t.posts[1].text, "Clinic hours", "empty parts are left out");
    tread_free(&t);
    o.text_col = "a+b";
    t = read_mem_opts("a+b,a,b\nwhole,x,y\n", 18, &o);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.posts[0].text, "whole", "a column with the whole name wins");
    tread_free(&t);
    o.text_col = "vid_title+summary";
    t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.open_rc, CRED_ENOTFOUND);
    cr_assert(strstr(t.error, "vid_title+summary"), "%s", t.error);
    tread_free(&t);
    o.text_col = "a+b+c+d+e+f+g+h+i";
    t = read_mem_opts(in, strlen(in), &o);
    cr_assert_eq(t.open_rc, CRED_ENOTFOUND, "more than 8 parts");
    tread_free(&t);
}

static void dataset(const char *rel, const char *text_col, size_t rows)
{
    const char *shared = getenv("CRED_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/datasets/%s", shared ? shared : "../shared", rel);
    if (access(path, R_OK) != 0)
        cr_skip_test("%s is absent (the shared datasets sit beside the repository)", path);
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.text_col = text_col;
    tread t = read_path(path, &o);
    cr_assert_eq(t.open_rc, 0, "%s: %s", path, t.error);
    cr_assert_eq(t.format, CRED_FORMAT_CSV);
    cr_assert_eq(t.rc, 0);
    cr_assert_eq(t.n, rows, "%s: %zu rows", rel, t.n);
    cr_assert_eq(t.stats.skipped, 0);
    for (size_t i = 0; i < t.n; i++)
        cr_assert_gt(t.posts[i].text_len, 0, "%s row %zu", rel, i + 1);
    tread_free(&t);
}

Test(io, csv_reads_every_row_of_the_constraint_and_fakewhatsapp_datasets)
{
    dataset("constraint_covid19/Constraint_Val.csv", NULL, 2140);
    dataset("fakewhatsapp_br/wpp_2020_covid.csv", NULL, 2898);
    dataset("fakewhatsapp_br/wpp_2018_first_labels.csv", "MSG", 5338);
}
