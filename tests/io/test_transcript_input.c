/* Transcript readers against bad input: truncation, NULs, garbage, huge cues, empty and foreign files. */
#include "io/tr_helpers.h"

#include <unistd.h>

Test(io, transcript_probes_recognise_each_format_and_nothing_else)
{
    struct {
        const char *in;
        cred_format want;
    } cases[] = {
        {"WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", CRED_FORMAT_VTT},
        {"\xEF\xBB\xBFWEBVTT Kind: captions\n", CRED_FORMAT_VTT},
        {"1\n00:00:01,000 --> 00:00:02,000\nhi\n", CRED_FORMAT_SRT},
        {"\n\n12\r\n00:00:01.000 --> 00:00:02.000\r\nhi\r\n", CRED_FORMAT_SRT},
        {" {\"wireMagic\":\"pb3\",\"events\":[{\"tStartMs\":0}]}", CRED_FORMAT_JSON3},
        {"<?xml version=\"1.0\"?><timedtext format=\"3\"><body></body></timedtext>", CRED_FORMAT_SRV3},
        {"<transcript><text start=\"1\" dur=\"2\">x</text></transcript>", CRED_FORMAT_SRV3},
    };
    for (size_t i = 0; i < CRED_ARRAY_LEN(cases); i++)
        cr_expect_eq(cred_format_detect(cases[i].in, strlen(cases[i].in)), cases[i].want, "case %zu", i);
    const char *not_ours[] = {"WEBVTTX\n", "1\nnot a timing line\n", "{\"events\":[]}", "<html><body>x</body></html>",
                              "Claim: 00:01 --> 00:02 is a time range.\n"};
    for (size_t i = 0; i < CRED_ARRAY_LEN(not_ours); i++) {
        cred_format f = cred_format_detect(not_ours[i], strlen(not_ours[i]));
        cr_expect(f != CRED_FORMAT_VTT && f != CRED_FORMAT_SRT && f != CRED_FORMAT_JSON3 && f != CRED_FORMAT_SRV3,
                  "not_ours %zu detected as %s", i, cred_format_name(f));
    }
}

Test(io, empty_transcripts_give_no_posts_and_no_errors)
{
    cred_format fmts[] = {CRED_FORMAT_VTT, CRED_FORMAT_SRT, CRED_FORMAT_JSON3, CRED_FORMAT_SRV3};
    const char *inputs[] = {"", "WEBVTT\n", "\xEF\xBB\xBF", "\n\n\n"};
    for (size_t f = 0; f < CRED_ARRAY_LEN(fmts); f++)
        for (size_t i = 0; i < CRED_ARRAY_LEN(inputs); i++) {
            tread t = read_mem(inputs[i], fmts[f]);
            cr_expect_eq(t.open_rc, 0, "%s input %zu: %s", cred_format_name(fmts[f]), i, t.error);
            cr_expect_eq(t.n, 0, "%s input %zu", cred_format_name(fmts[f]), i);
            cr_expect_eq(t.rc, 0);
            tread_free(&t);
        }
}

Test(io, every_prefix_of_a_transcript_reads_without_failing)
{
    const char *files[][2] = {
        {"synthetic/youtube-auto-rolling.vtt", "vtt"}, {"synthetic/srt-pitfalls/01-bom-crlf.srt", "srt"},
        {"synthetic/srt-pitfalls/06-utf16le-bom.srt", "srt"}, {"synthetic/youtube.json3.json", "json3"},
        {"synthetic/youtube.srv3.xml", "srv3"}, {"synthetic/youtube.srv1.xml", "srv3"},
    };
    for (size_t f = 0; f < CRED_ARRAY_LEN(files); f++) {
        size_t n;
        char *s = tr_slurp_fixture(files[f][0], &n);
        cred_reader_options o = CRED_READER_OPTIONS_INIT;
        cr_assert_eq(cred_format_parse(&o.format, files[f][1]), 0);
        size_t last_posts = 0;
        for (size_t k = 0; k <= n; k += (n > 2000 ? 7 : 1)) {
            char *copy = malloc(k + 1); /* exactly sized, so ASan sees a read past the end */
            memcpy(copy, s, k);
            tread t = read_mem_opts(copy, k, &o);
            cr_assert_eq(t.open_rc, 0, "%s cut at %zu: %s", files[f][0], k, t.error);
            cr_assert_eq(t.rc, 0, "%s cut at %zu", files[f][0], k);
            last_posts = t.n;
            tread_free(&t);
            free(copy);
        }
        cr_expect_gt(last_posts, 0, "%s", files[f][0]);
        free(s);
    }
}

Test(io, nul_bytes_become_replacement_characters_and_are_reported)
{
    const char vtt[] = "WEBVTT\n\n00:01.000 --> 00:02.000\nfoo\0bar\n";
    tread t = read_mem_opts(vtt, sizeof vtt - 1, &(cred_reader_options)CRED_READER_OPTIONS_INIT);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "foo\xEF\xBF\xBD" "bar");
    cr_expect_eq(count_sev(&t, CRED_SEV_WARNING), 1);
    tread_free(&t);
    const char srt[] = "1\n00:00:01,000 --> 00:00:02,000\na\0b\n";
    t = read_mem_opts(srt, sizeof srt - 1, &(cred_reader_options)CRED_READER_OPTIONS_INIT);
    cr_assert_eq(t.format, CRED_FORMAT_SRT);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "a\xEF\xBF\xBD" "b");
    tread_free(&t);
}

Test(io, timing_garbage_is_skipped_and_counted)
{
    cred_buf b = CRED_BUF_INIT;
    cred_buf_puts(&b, "WEBVTT\n\n");
    for (int i = 0; i < 50; i++)
        cred_buf_printf(&b, "%d%s --> -->%c\ngarbage %d\n\n", i * 37, i % 2 ? ":99" : "", 'a' + i % 26, i);
    cred_buf_puts(&b, "00:10.000 --> 00:11.000\nsurvivor\n");
    tread t = read_mem_opts(b.ptr, b.len, &(cred_reader_options)CRED_READER_OPTIONS_INIT);
    cr_assert_eq(t.open_rc, 0);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "survivor");
    cr_expect_eq(t.stats.skipped, 50);
    for (size_t i = 0; i < t.nd; i++)
        cr_expect(t.diags[i].line > 0 && t.diags[i].column > 0, "diag %zu has no position", i);
    tread_free(&t);
    cred_buf_free(&b);
}

Test(io, a_five_megabyte_cue_is_cut_at_the_post_limit_not_lost)
{
    size_t big = 5u << 20;
    cred_buf b = CRED_BUF_INIT;
    cred_buf_puts(&b, "1\n00:00:01,000 --> 00:00:02,000\n");
    cred_buf_reserve(&b, big + 64);
    memset(b.ptr + b.len, 'x', big);
    b.len += big;
    cred_buf_puts(&b, "\n\n2\n00:00:03,000 --> 00:00:04,000\nafter\n");
    char *path = temp_file(b.ptr, b.len);
    tread t = read_path(path, NULL);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.format, CRED_FORMAT_SRT);
    cr_assert_eq(t.n, 2);
    cr_expect_eq(t.posts[0].text_len, CRED_LIMIT_POST_BYTES);
    cr_expect(t.posts[0].flags & CRED_POST_TRUNCATED);
    cr_expect_geq(count_sev(&t, CRED_SEV_WARNING), 1);
    tread_free(&t);
    unlink(path);
    free(path);
    cred_buf_free(&b);
}

Test(io, a_transcript_over_the_size_limit_fails_to_open_with_elimit)
{
    size_t n = (size_t)CRED_LIMIT_TRANSCRIPT_BYTES + 16;
    char *s = malloc(n);
    cr_assert(s);
    memset(s, '\n', n);
    memcpy(s, "WEBVTT\n", 7);
    cred_reader *r = NULL;
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    cr_expect_eq(cred_reader_open_memory(&r, "big.vtt", s, n, &o), CRED_ELIMIT);
    cr_expect_null(r);
    free(s);
}

Test(io, a_file_that_is_not_a_transcript_read_as_one_gives_errors_not_posts)
{
    const char *in = "Claim: garlic cures covid.\n\nShare with everyone!\n";
    cred_format fmts[] = {CRED_FORMAT_VTT, CRED_FORMAT_SRT, CRED_FORMAT_JSON3, CRED_FORMAT_SRV3};
    for (size_t f = 0; f < CRED_ARRAY_LEN(fmts); f++) {
        tread t = read_mem(in, fmts[f]);
        cr_expect_eq(t.open_rc, 0, "%s", cred_format_name(fmts[f]));
        cr_expect_eq(t.n, 0, "%s", cred_format_name(fmts[f]));
        cr_expect_gt(count_sev(&t, CRED_SEV_ERROR), 0, "%s", cred_format_name(fmts[f]));
        tread_free(&t);
    }
}

Test(io, windows_1252_srt_is_converted_and_reported)
{
    tread t = tr_read("synthetic/srt-pitfalls/07-cp1252.srt", CRED_FORMAT_AUTO);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "caf\xC3\xA9 \xE2\x80\x93 \xE2\x80\x9Cquoted\xE2\x80\x9D");
    cr_expect_eq(count_sev(&t, CRED_SEV_WARNING), 1);
    tread_free(&t);
    /* mostly UTF-8 with one stray byte: the stray byte is replaced, the UTF-8 kept */
    const char *in = "1\n00:00:01,000 --> 00:00:02,000\ncaf\xC3\xA9 \xFF ok\n";
    t = read_mem(in, CRED_FORMAT_SRT);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "caf\xC3\xA9 \xEF\xBF\xBD ok");
    tread_free(&t);
}
