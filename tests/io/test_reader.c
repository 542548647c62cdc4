/* The reader core seen through the generic formats: detection, files vs memory, dates. */
#include "io/collect.h"
#include "io/io.h"

#include <criterion/criterion.h>
#include <unistd.h>

Test(io, detection_picks_the_right_generic_driver)
{
    struct {
        const char *in;
        cred_format want;
    } cases[] = {
        {"{\"text\":\"a\"}\n{\"text\":\"b\"}\n", CRED_FORMAT_JSONL},
        {"\xEF\xBB\xBF{\"id\":1,\"text\":\"a\"}", CRED_FORMAT_JSONL},
        {"id,tweet,label\n1,\"hi, there\",fake\n2,yo,real\n", CRED_FORMAT_CSV},
        {"a;Text;c\n1;2;3\n4;5;6\n", CRED_FORMAT_CSV},
        {"Claim: garlic cures covid.\n\nShare with everyone!\n", CRED_FORMAT_TEXT},
        {"Hello, world, and more\nthis line, differs\n", CRED_FORMAT_TEXT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cr_assert_eq(cred_format_detect(cases[i].in, strlen(cases[i].in)), cases[i].want, "case %zu", i);
        tread t = read_mem(cases[i].in, CRED_FORMAT_AUTO);
        cr_assert_eq(t.open_rc, 0, "case %zu: %s", i, t.error);
        cr_assert_eq(t.format, cases[i].want, "case %zu", i);
        cr_assert_gt(t.n, 0, "case %zu", i);
        tread_free(&t);
    }
}

Test(io, binary_garbage_is_rejected_by_auto_detection)
{
    unsigned char junk[2048];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 131 + 7);
    cred_reader *r = NULL;
    int rc = cred_reader_open_memory(&r, "junk.bin", junk, sizeof junk, NULL);
    cr_assert_eq(rc, CRED_EFORMAT);
    cr_assert_null(r);
    cr_assert_eq(cred_error_last()->code, CRED_EFORMAT);
    cr_assert(strstr(cred_error_last()->message, "junk.bin"), "%s", cred_error_last()->message);
}

static void same_records(const char *data, size_t len)
{
    char *path = temp_file(data, len);
    tread a = read_path(path, NULL);
    tread b = read_mem_opts(data, len, NULL);
    cr_assert_eq(a.open_rc, 0, "%s", a.error);
    cr_assert_eq(a.format, b.format);
    cr_assert_eq(a.n, b.n);
    cr_assert_eq(a.stats.skipped, b.stats.skipped);
    cr_assert_eq(a.stats.bytes, len);
    cr_assert_eq(b.stats.bytes, len);
    for (size_t i = 0; i < a.n; i++) {
        cr_assert_str_eq(a.posts[i].id, b.posts[i].id);
        cr_assert_eq(a.posts[i].text_len, b.posts[i].text_len);
        cr_assert_eq(memcmp(a.posts[i].text, b.posts[i].text, a.posts[i].text_len), 0);
        cr_assert_eq(a.posts[i].line, b.posts[i].line);
        cr_assert_eq(a.posts[i].date, b.posts[i].date);
    }
    /* the source defaults to the base name of the file */
    if (a.n)
        cr_assert_str_eq(a.posts[0].source, strrchr(path, '/') + 1);
    unlink(path);
    free(path);
    tread_free(&a);
    tread_free(&b);
}

Test(io, a_file_and_the_same_bytes_in_memory_give_identical_records)
{
    /* Larger than the 1 MiB read chunk, so lines and quoted records straddle chunk boundaries. */
    size_t cap = 3u << 20;
    char *buf = malloc(cap);
    size_t n = 0;
    for (int i = 0; n + 200 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "{\"id\":\"p%d\",\"text\":\"post %d, with some words\",\"date\":%d}\n%s",
                              i, i, 1600000000 + i, i % 997 == 0 ? "not json\n" : "");
    same_records(buf, n);
    n = (size_t)sprintf(buf, "id,text\n");
    for (int i = 0; n + 200 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%d,\"multi\nline, %d \"\"q\"\"\"\n", i, i);
    same_records(buf, n);
    n = 0;
    for (int i = 0; n + 200 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "paragraph %d\r\nsecond line\r\n\r\n", i);
    same_records(buf, n);
    free(buf);
}

Test(io, parse_date_reads_iso8601_offsets_fractions_dates_and_epochs)
{
    struct {
        const char *s;
        int64_t want;
    } ok[] = {
        {"2021-03-04T05:06:07Z", 1614834367},
        {"2021-03-04t05:06:07z", 1614834367},
        {"2021-03-04 05:06:07", 1614834367},
        {"2021-03-04T07:06:07+02:00", 1614834367},
        {"2021-03-04T07:06:07+0200", 1614834367},
        {"2021-03-04T01:36:07-03:30", 1614834367},
        {"2021-03-04T05:06:07.999Z", 1614834367},
        {"2021-03-04T05:06:07,5+00:00", 1614834367},
        {"2021-03-04T05:06Z", 1614834360},
        {"2021-03-04", 1614816000},
        {" 2021-03-04 ", 1614816000},
        {"1614834367", 1614834367},
        {"1614834367000", 1614834367},
        {"0", 0},
        {"-86400", -86400},
        {"1970-01-01T00:00:00Z", 0},
        {"2000-02-29", 951782400},
        {"2024-02-29", 1709164800},
        {"1969-12-31T23:59:59Z", -1},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t v = 42;
        cr_assert_eq(cred_io__parse_date(&v, ok[i].s, strlen(ok[i].s)), 0, "%s", ok[i].s);
        cr_assert_eq(v, ok[i].want, "%s: %lld", ok[i].s, (long long)v);
    }
    const char *bad[] = {"", "   ", "garbage", "2021-13-01", "2021-02-30", "2021-02-29", "1900-02-29", "2021-00-10", "2021-03-04T25:00",
                         "2021-03-04T05:06:07Zjunk", "2021-3-4", "20210304", "2021-03-04T", "-", "12:30",
                         "2021-03-04T05:06:07+", "99999999999999999999", "9999999999999999999", "2021-03-04T05:06:07+25:00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t v = 42;
        cr_assert_eq(cred_io__parse_date(&v, bad[i], strlen(bad[i])), CRED_ESYNTAX, "'%s' parsed as %lld", bad[i],
                     (long long)v);
    }
    /* not NUL-terminated: only n bytes are read */
    int64_t v;
    cr_assert_eq(cred_io__parse_date(&v, "2021-03-04XXXX", 10), 0);
    cr_assert_eq(v, 1614816000);
    cr_assert_eq(cred_io__parse_date(&v, "16148343679999", 10), 0, "epoch digits followed by more bytes");
    cr_assert_eq(v, 1614834367);
}
