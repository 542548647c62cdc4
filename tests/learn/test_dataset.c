/* Labelled files: CSV with quotes, TSV without header, JSONL; label mapping; the registry; SHA-256. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credence.h"

static char *write_tmp(const char *suffix, const char *content)
{
    char tmpl[] = "/tmp/cred_learn_XXXXXX";
    int fd = mkstemp(tmpl);
    cr_assert(fd >= 0);
    close(fd);
    unlink(tmpl);
    char *path = malloc(strlen(tmpl) + strlen(suffix) + 1);
    sprintf(path, "%s%s", tmpl, suffix);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fputs(content, f);
    fclose(f);
    return path;
}

Test(learn, csv_with_quotes_and_multiline_fields_maps_labels)
{
    char *path = write_tmp(".csv", "id,tweet,label\r\n"
                                   "1,\"Cure, \"\"miracle\"\"\nsecond line\",fake\r\n"
                                   "2,Official bulletin,real\r\n"
                                   "3,Unlabelled row,\r\n"
                                   "4,Other label,maybe\r\n");
    cred_dataset_options o = CRED_DATASET_OPTIONS_INIT;
    o.text_col = "tweet";
    o.positive = "FAKE";
    o.negative = "real";
    cred_dataset *ds;
    cr_assert_eq(cred_dataset_load(&ds, path, &o), 0);
    cr_assert_eq(cred_dataset_count(ds), 2);
    cr_expect_eq(cred_dataset_skipped(ds), 2, "empty and unmapped labels are skipped");
    cr_expect_eq(cred_dataset_positives(ds), 1);
    const cred_example *e = cred_dataset_get(ds, 0);
    cr_expect_str_eq(e->id, "1");
    cr_expect_str_eq(e->text, "Cure, \"miracle\"\nsecond line");
    cr_expect_eq(e->label, 1);
    cr_expect_eq(e->line, 2);
    cr_expect_eq(cred_dataset_get(ds, 1)->label, 0);
    cr_expect_eq(cred_dataset_get(ds, 1)->line, 4);
    cr_expect_null(cred_dataset_get(ds, 2));
    cred_dataset_free(ds);
    unlink(path);
    free(path);
}

Test(learn, tsv_without_header_names_columns_by_number_and_keeps_quotes)
{
    char *path = write_tmp(".tsv", "a.json\tpants-fire\t\"Says the moon is cheese.\n"
                                   "b.json\ttrue\tTaxes rose 2%.\n"
                                   "c.json\thalf-true\tShort row\n"
                                   "d.json\n");
    cred_dataset_options o = CRED_DATASET_OPTIONS_INIT;
    o.header = 0;
    o.text_col = "#3";
    o.label_col = "#2";
    o.id_col = "#1";
    o.positive = "pants-fire,false,barely-true";
    cred_dataset *ds;
    cr_assert_eq(cred_dataset_load(&ds, path, &o), 0);
    cr_assert_eq(cred_dataset_count(ds), 3);
    cr_expect_eq(cred_dataset_skipped(ds), 1, "the short row is skipped");
    cr_expect_str_eq(cred_dataset_get(ds, 0)->text, "\"Says the moon is cheese.");
    cr_expect_str_eq(cred_dataset_get(ds, 0)->id, "a.json");
    cr_expect_eq(cred_dataset_get(ds, 0)->label, 1);
    cr_expect_eq(cred_dataset_get(ds, 1)->label, 0);
    cred_dataset_free(ds);
    unlink(path);
    free(path);
}

Test(learn, jsonl_numbers_match_labels_numerically_and_text_columns_join)
{
    char *path = write_tmp(".jsonl", "{\"title\":\"Vaccines\",\"description\":\"A hoax\",\"y\":1.0}\n"
                                     "\n"
                                     "{\"title\":\"Clinic hours\",\"description\":\"\",\"y\":0,\"lang\":\"en\"}\n"
                                     "{\"title\":\"No label\"}\n");
    cred_dataset_options o = CRED_DATASET_OPTIONS_INIT;
    o.text_col = "title+description";
    o.label_col = "y";
    o.lang_col = "lang";
    cred_dataset *ds;
    cr_assert_eq(cred_dataset_load(&ds, path, &o), 0);
    cr_assert_eq(cred_dataset_count(ds), 2);
    cr_expect_eq(cred_dataset_skipped(ds), 1);
    cr_expect_str_eq(cred_dataset_get(ds, 0)->text, "Vaccines\n\nA hoax");
    cr_expect_eq(cred_dataset_get(ds, 0)->label, 1, "1.0 matches the positive value 1");
    cr_expect_null(cred_dataset_get(ds, 0)->lang);
    cr_expect_str_eq(cred_dataset_get(ds, 1)->text, "Clinic hours");
    cr_expect_str_eq(cred_dataset_get(ds, 1)->lang, "en");
    cr_expect_str_eq(cred_dataset_get(ds, 1)->id, "3", "the row number when there is no id");
    cred_dataset_free(ds);
    unlink(path);
    free(path);
}

Test(learn, a_missing_column_names_the_header)
{
    char *path = write_tmp(".csv", "id,text,verdict\n1,x,1\n");
    cred_dataset *ds = NULL;
    cr_expect_eq(cred_dataset_load(&ds, path, NULL), CRED_ENOTFOUND);
    cr_expect_null(ds);
    cr_expect(strstr(cred_error_last()->message, "\"verdict\"") != NULL, "%s", cred_error_last()->message);
    char *bad = write_tmp(".csv", "text,label\n\"never ends,1\n");
    cr_expect_eq(cred_dataset_load(&ds, bad, NULL), CRED_ESYNTAX);
    cr_expect_eq(cred_dataset_load(&ds, "/nonexistent/x.csv", NULL), CRED_EIO);
    unlink(path);
    unlink(bad);
    free(path);
    free(bad);
}

Test(learn, a_row_that_does_not_parse_fails_the_load_where_it_is)
{
    char *jsonl = write_tmp(".jsonl", "{\"text\":\"a\",\"label\":1}\n{\"text\": oops}\n{\"text\":\"b\",\"label\":0}\n");
    cred_dataset *ds = NULL;
    cr_expect_eq(cred_dataset_load(&ds, jsonl, NULL), CRED_ESYNTAX);
    cr_expect_null(ds);
    cr_expect_eq(cred_error_last()->line, 2, "%s", cred_error_last()->message);
    cr_expect_gt(cred_error_last()->column, 1);
    char *csv = write_tmp(".csv", "text,label\nfine,1\n\"never ends,1\nlost,0\n");
    cr_expect_eq(cred_dataset_load(&ds, csv, NULL), CRED_ESYNTAX);
    cr_expect_eq(cred_error_last()->line, 3, "%s", cred_error_last()->message);
    unlink(jsonl), unlink(csv);
    free(jsonl), free(csv);
}

Test(learn, tsv_with_quotes_on_and_short_rows_under_a_header)
{
    char *path = write_tmp(".tsv", "id\ttext\tlabel\n"
                                   "1\t\"tab\tinside\"\t1\n"
                                   "2\tshort\n"
                                   "3\tplain\t0\n");
    cred_dataset_options o = CRED_DATASET_OPTIONS_INIT;
    o.quotes = 1;
    cred_dataset *ds;
    cr_assert_eq(cred_dataset_load(&ds, path, &o), 0, "%s", cred_error_last()->message);
    cr_assert_eq(cred_dataset_count(ds), 2);
    cr_expect_eq(cred_dataset_skipped(ds), 1, "the short row is skipped, not an error");
    cr_expect_str_eq(cred_dataset_get(ds, 0)->text, "tab\tinside");
    cr_expect_str_eq(cred_dataset_get(ds, 1)->id, "3");
    cr_expect_eq(cred_dataset_get(ds, 1)->line, 4);
    cred_dataset_free(ds);
    unlink(path);
    free(path);
}

Test(learn, sha256_matches_the_standard_vectors)
{
    char sum[65];
    char *empty = write_tmp(".txt", "");
    char *abc = write_tmp(".txt", "abc");
    char *two = write_tmp(".txt", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    cr_assert_eq(cred_sha256_file(sum, empty), 0);
    cr_expect_str_eq(sum, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cr_assert_eq(cred_sha256_file(sum, abc), 0);
    cr_expect_str_eq(sum, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_eq(cred_sha256_file(sum, two), 0);
    cr_expect_str_eq(sum, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    cr_expect_eq(cred_sha256_file(sum, "/nonexistent/file"), CRED_EIO);
    unlink(empty), unlink(abc), unlink(two);
    free(empty), free(abc), free(two);
}

Test(learn, the_registry_resolves_files_columns_and_label_mapping)
{
    char *path = write_tmp(".json",
                           "{\"datasets\":[{\"name\":\"toy\",\"dir\":\"toy_dir\",\"format\":\"tsv\",\"header\":false,"
                           "\"text\":\"#3\",\"label\":\"#2\",\"positive\":[\"false\",\"pants-fire\"],"
                           "\"negative\":[\"true\"],\"licence\":\"CC0\",\"files\":["
                           "{\"split\":\"train\",\"file\":\"train.tsv\",\"sha256\":\"ab\"},"
                           "{\"split\":\"test\",\"file\":\"test.tsv\",\"label\":\"#4\"}]},"
                           "{\"name\":\"mine\",\"local\":true,\"dir\":\"sample\",\"text\":\"t\",\"label\":\"l\","
                           "\"positive\":\"1\",\"files\":[{\"split\":\"all\",\"file\":\"x.jsonl\"}]}]}");
    cred_registry *r;
    cr_assert_eq(cred_registry_load(&r, path, "/data"), 0);
    cr_assert_eq(cred_registry_count(r), 2);
    const cred_registry_entry *e = cred_registry_find(r, "toy");
    cr_assert_not_null(e);
    cr_expect_eq(e->options.format, CRED_DATASET_TSV);
    cr_expect_eq(e->options.header, 0);
    cr_expect_str_eq(e->options.positive, "false,pants-fire");
    cr_expect_str_eq(e->options.negative, "true");
    cr_expect_str_eq(e->licence, "CC0");
    const cred_dataset_file *f = cred_registry_file(e, "train");
    cr_assert_not_null(f);
    cr_expect_str_eq(f->path, "/data/toy_dir/train.tsv");
    cr_expect_str_eq(f->sha256, "ab");
    cr_expect_str_eq(cred_registry_file(e, "test")->label_col, "#4");
    cr_expect_null(cred_registry_file(e, "val"));
    const cred_registry_entry *mine = cred_registry_find(r, "mine");
    cr_assert_not_null(mine);
    cr_expect_str_eq(cred_registry_file(mine, "all")->path, "/tmp/sample/x.jsonl");
    cr_expect_null(cred_registry_find(r, "nope"));
    cred_registry_free(r);
    char *bad = write_tmp(".json", "{\"datasets\":[{\"name\":\"x\"}]}");
    cr_expect_eq(cred_registry_load(&r, bad, NULL), CRED_EFORMAT);
    unlink(path), unlink(bad);
    free(path), free(bad);
}

Test(learn, the_shipped_registry_loads_and_its_sample_matches_its_checksum)
{
    cred_registry *r;
    cr_assert_eq(cred_registry_load(&r, "datasets/registry.json", NULL), 0, "%s", cred_error_last()->message);
    const cred_registry_entry *e = cred_registry_find(r, "sample-health");
    cr_assert_not_null(e);
    const cred_dataset_file *f = cred_registry_file(e, "all");
    char sum[65];
    cr_assert_eq(cred_sha256_file(sum, f->path), 0);
    cr_expect_str_eq(sum, f->sha256);
    cred_dataset *ds;
    cr_assert_eq(cred_dataset_load(&ds, f->path, &e->options), 0);
    cr_expect_eq(cred_dataset_count(ds), 20);
    cr_expect_eq(cred_dataset_positives(ds), 10);
    cred_dataset_free(ds);
    for (const char *name = "constraint-covid19"; name; name = NULL) {
        const cred_registry_entry *c = cred_registry_find(r, name);
        cr_assert_not_null(c);
        cr_expect_not_null(cred_registry_file(c, "train"));
        cr_expect_not_null(cred_registry_file(c, "val"));
        cr_expect_not_null(cred_registry_file(c, "test"));
    }
    cred_registry_free(r);
}
