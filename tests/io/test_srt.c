/* SubRip: the synthetic pitfalls with expected.json, other projects' samples, encodings, bad input. */
#include "io/tr_helpers.h"

Test(io, srt_pitfall_files_give_the_expected_cues_and_warnings)
{
    yajl_val want = tr_json("synthetic/srt-pitfalls/expected.json");
    int files = 0, ok_files = 0;
    for (size_t f = 0; f < want->u.object.len; f++) {
        const char *name = want->u.object.keys[f];
        if (name[0] == '_')
            continue;
        yajl_val exp = want->u.object.values[f], cues = tr_get(exp, "cues");
        char rel[512];
        snprintf(rel, sizeof rel, "synthetic/srt-pitfalls/%s", name);
        cred_cues c;
        tr_cues(&c, cred_srt__parse, rel);
        bool ok = c.n == YAJL_GET_ARRAY(cues)->len;
        cr_expect_eq(c.n, YAJL_GET_ARRAY(cues)->len, "%s", name);
        for (size_t i = 0; ok && i < c.n; i++) {
            yajl_val q = YAJL_GET_ARRAY(cues)->values[i];
            double a = YAJL_GET_DOUBLE(YAJL_GET_ARRAY(q)->values[0]), b = YAJL_GET_DOUBLE(YAJL_GET_ARRAY(q)->values[1]);
            const char *text = YAJL_GET_STRING(YAJL_GET_ARRAY(q)->values[2]);
            bool same = tr_near(c.v[i].start, a) && tr_near(c.v[i].end, b) && text && strcmp(c.v[i].text, text) == 0;
            cr_expect(same, "%s cue %zu: got %g-%g '%s', want %g-%g '%s'", name, i, c.v[i].start, c.v[i].end,
                      c.v[i].text, a, b, text);
            ok &= same;
        }
        /* through the reader: detected as SRT, and oddities reported as warnings when expected */
        tread t = tr_read(rel, CRED_FORMAT_AUTO);
        cr_expect_eq(t.format, CRED_FORMAT_SRT, "%s", name);
        yajl_val w = tr_get(exp, "warnings");
        size_t nw = w && YAJL_IS_ARRAY(w) ? YAJL_GET_ARRAY(w)->len : 0;
        if (nw) {
            cr_expect_geq(count_sev(&t, CRED_SEV_WARNING), 1, "%s: expected warnings", name);
            ok &= count_sev(&t, CRED_SEV_WARNING) >= 1;
        }
        cr_expect_eq(count_sev(&t, CRED_SEV_ERROR), 0, "%s", name);
        tread_free(&t);
        files++;
        ok_files += ok;
        cred_cues_free(&c);
    }
    fprintf(stderr, "synthetic srt pitfalls: %d/%d files\n", ok_files, files);
    cr_assert_eq(files, 10);
    yajl_tree_free(want);
}

Test(io, srt_tags_and_ass_overrides_are_stripped_but_raw_text_is_kept)
{
    cred_cues c;
    tr_cues(&c, cred_srt__parse, "synthetic/srt-pitfalls/05-tags.srt");
    cr_assert_eq(c.n, 2);
    cr_expect_str_eq(c.v[0].raw, "<i>italic</i> <b>bold</b> <font color=\"#ff0000\">red</font>");
    cr_expect_str_eq(c.v[1].raw, "{\\an8}top-positioned ASS override");
    cred_cues_free(&c);
}

Test(io, srt_comma_and_dot_separators_read_the_same)
{
    cred_cues a, b;
    tr_cues(&a, cred_srt__parse, "srt-parser-2/correct.srt");
    tr_cues(&b, cred_srt__parse, "srt-parser-2/dot-as-separator.srt");
    cr_assert_gt(a.n, 0);
    cr_assert_eq(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        cr_expect(tr_near(a.v[i].start, b.v[i].start) && tr_near(a.v[i].end, b.v[i].end), "cue %zu", i);
        cr_expect_str_eq(a.v[i].text, b.v[i].text, "cue %zu", i);
    }
    fprintf(stderr, "srt-parser-2: %zu cues, comma = dot\n", a.n);
    cred_cues_free(&a);
    cred_cues_free(&b);
}

/* subsrt's sample.json is that project's reading of its sample.srt: start/end in ms, "content" as written. */
Test(io, srt_subsrt_sample_matches_the_subsrt_json_reading)
{
    yajl_val want = tr_json("subsrt/test/fixtures/sample.json");
    cred_cues c;
    tr_cues(&c, cred_srt__parse, "subsrt/test/fixtures/sample.srt");
    cr_assert_eq(c.n, YAJL_GET_ARRAY(want)->len);
    size_t ok = 0;
    for (size_t i = 0; i < c.n; i++) {
        yajl_val q = YAJL_GET_ARRAY(want)->values[i];
        char content[512]; /* subsrt wrote it from a CRLF copy: compare without the CRs */
        size_t k = 0;
        for (const char *p = tr_str(q, "content"); *p && k + 1 < sizeof content; p++)
            if (*p != '\r')
                content[k++] = *p;
        content[k] = '\0';
        bool same = tr_near(c.v[i].start, YAJL_GET_DOUBLE(tr_get(q, "start")) / 1000) &&
                    tr_near(c.v[i].end, YAJL_GET_DOUBLE(tr_get(q, "end")) / 1000) && strcmp(c.v[i].raw, content) == 0;
        cr_expect(same, "cue %zu: '%s'", i, c.v[i].raw);
        ok += same;
    }
    fprintf(stderr, "subsrt sample.srt vs sample.json: %zu/%zu cues\n", ok, c.n);
    cred_cues_free(&c);
    yajl_tree_free(want);
}

Test(io, vtt_subsrt_sample_skips_note_and_style_and_keeps_cue_ids)
{
    cred_cues c;
    tr_cues(&c, cred_vtt__parse, "subsrt/test/fixtures/sample.vtt");
    cr_assert_eq(c.n, 5);
    cr_expect_str_eq(c.v[0].text, "\xE2\x80\x94 Hi, my name is Alice Miller and this is John Brown.\n"
                                  "\xE2\x80\x94 And we're the owners of Miller Bakery.");
    cr_expect_str_eq(c.v[2].id, "test");
    cr_expect_str_eq(c.v[3].id, "123");
    cr_expect_str_eq(c.v[4].id, "cr\xC3\xA9" "dit de transcription");
    cr_expect(tr_near(c.v[4].start, 24) && tr_near(c.v[4].end, 30));
    cred_cues_free(&c);
}

/* webvtt-py's sample.srt holds the first cues of its sample.vtt: same times and text. */
Test(io, srt_and_vtt_versions_of_one_dialogue_give_the_same_cues)
{
    const char *pairs[][2] = {
        {"webvtt-py/tests/subtitles/sample.srt", "webvtt-py/tests/subtitles/sample.vtt"},
        {"webvtt-py/tests/subtitles/one_caption.srt", "webvtt-py/tests/subtitles/one_caption.vtt"},
    };
    for (size_t p = 0; p < CRED_ARRAY_LEN(pairs); p++) {
        cred_cues a, b;
        tr_cues(&a, cred_srt__parse, pairs[p][0]);
        tr_cues(&b, cred_vtt__parse, pairs[p][1]);
        cr_assert_gt(a.n, 0);
        cr_assert_geq(b.n, a.n);
        for (size_t i = 0; i < a.n; i++) {
            cr_expect(tr_near(a.v[i].start, b.v[i].start) && tr_near(a.v[i].end, b.v[i].end), "%s %zu", pairs[p][0], i);
            cr_expect_str_eq(a.v[i].text, b.v[i].text, "%s %zu", pairs[p][0], i);
        }
        fprintf(stderr, "%s = first %zu cues of %s\n", pairs[p][0], a.n, pairs[p][1]);
        cred_cues_free(&a);
        cred_cues_free(&b);
    }
}

Test(io, srt_webvtt_py_invalid_files_are_reported_not_fatal)
{
    const char *files[] = {"invalid_format1.srt", "invalid_format2.srt", "invalid_format3.srt",
                           "invalid_format4.srt", "invalid_timeframe.srt", "missing_timeframe.srt",
                           "missing_caption_text.srt"};
    for (size_t i = 0; i < CRED_ARRAY_LEN(files); i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "webvtt-py/tests/subtitles/%s", files[i]);
        tread t = tr_read(rel, CRED_FORMAT_SRT);
        cr_expect_eq(t.open_rc, 0, "%s", rel);
        cr_expect_eq(t.rc, 0, "%s", rel);
        if (strncmp(files[i], "missing_caption", 15) != 0)
            cr_expect_gt(count_sev(&t, CRED_SEV_ERROR) + count_sev(&t, CRED_SEV_WARNING), 0, "%s", rel);
        tread_free(&t);
    }
}

Test(io, srt_utf16_without_bom_is_recognised_by_its_nul_bytes)
{
    const char *ascii = "1\r\n00:00:01,000 --> 00:00:02,000\r\nplain \xC3\xA9t\xC3\xA9\r\n\r\n";
    /* to UTF-16LE and BE by hand: é is U+00E9 */
    char le[256], be[256];
    size_t n = 0;
    for (const char *p = ascii; *p; p++) {
        unsigned cp = (unsigned char)*p;
        if (cp == 0xC3) {
            cp = 0xC0 | ((unsigned char)p[1] & 0x3F);
            p++;
        }
        le[n] = (char)cp, le[n + 1] = 0;
        be[n] = 0, be[n + 1] = (char)cp;
        n += 2;
    }
    cr_assert_eq(cred_format_detect(le, n), CRED_FORMAT_SRT);
    cr_assert_eq(cred_format_detect(be, n), CRED_FORMAT_SRT);
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    tread t = read_mem_opts(le, n, &o);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "plain \xC3\xA9t\xC3\xA9");
    cr_expect_geq(count_sev(&t, CRED_SEV_WARNING), 1); /* "no byte-order mark" */
    tread_free(&t);
    t = read_mem_opts(be, n, &o);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "plain \xC3\xA9t\xC3\xA9");
    tread_free(&t);
}

Test(io, srt_bad_times_are_reported_with_position_and_the_cue_skipped)
{
    const char *in = "1\n00:00:01,000 --> 00:00:02,000\nkept\n\n2\n00:0a:01,000 --> 00:00:02,000\nlost\n\n"
                     "3\n00:00:03,000 --> garbage\nlost too\n\n4\n00:00:04,000 --> 00:00:05,000\nkept too\n";
    tread t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.format, CRED_FORMAT_SRT);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "kept kept too");
    cr_assert_eq(count_sev(&t, CRED_SEV_ERROR), 2);
    cr_expect_eq(t.diags[0].line, 6);
    cr_expect_eq(t.diags[0].column, 5);
    cr_expect_eq(t.diags[1].line, 10);
    cr_expect_eq(t.diags[1].column, 18);
    cr_expect_eq(t.stats.skipped, 2);
    tread_free(&t);
}

Test(io, srt_numeric_line_followed_by_timing_starts_a_cue_otherwise_it_is_text)
{
    const char *in = "1\n00:00:01,000 --> 00:00:02,000\n1984\n2\n00:00:02,000 --> 00:00:03,000\nnext\n";
    cred_cues c;
    cred_cues_init(&c);
    cr_assert_eq(cred_srt__parse(&c, in, strlen(in), NULL), 0);
    cr_assert_eq(c.n, 2);
    cr_expect_str_eq(c.v[0].text, "1984");
    cr_expect_str_eq(c.v[1].text, "next");
    cred_cues_free(&c);
}
