/* WebVTT: the W3C/WPT golden files, cue text extraction, rolling captions, bad input. */
#include "io/tr_helpers.h"

/* Every .vtt with a golden file: the cues' ids, times and texts must equal the golden ones. */
Test(io, vtt_cues_match_every_w3c_golden_file)
{
    const char *dir = TR_FIXTURES "/w3c-webvtt/golden-file-parsing";
    DIR *d = opendir(dir);
    cr_assert(d, "%s missing", dir);
    struct dirent *e;
    int files = 0, files_ok = 0, cues = 0, cues_ok = 0;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".golden.json"))
            continue;
        char rel[1024];
        snprintf(rel, sizeof rel, "w3c-webvtt/golden-file-parsing/%s", e->d_name);
        yajl_val g = tr_json(rel);
        yajl_val src = tr_get(g, "source"), gc = tr_get(g, "cues");
        cr_assert(YAJL_IS_STRING(src) && YAJL_IS_ARRAY(gc), "%s", rel);
        snprintf(rel, sizeof rel, "w3c-webvtt/test/wpt-file-parsing/%s", YAJL_GET_STRING(src));
        cred_cues c;
        tr_cues(&c, cred_vtt__parse, rel);
        size_t want = YAJL_GET_ARRAY(gc)->len;
        bool file_ok = c.n == want;
        for (size_t i = 0; i < want; i++) {
            yajl_val q = YAJL_GET_ARRAY(gc)->values[i];
            cues++;
            if (i >= c.n)
                continue;
            bool ok = strcmp(tr_str(q, "id"), c.v[i].id) == 0 &&
                      tr_near(YAJL_GET_DOUBLE(tr_get(q, "startTime")), c.v[i].start) &&
                      tr_near(YAJL_GET_DOUBLE(tr_get(q, "endTime")), c.v[i].end) &&
                      strcmp(tr_str(q, "text"), c.v[i].raw) == 0;
            if (!ok)
                cr_log_error("%s cue %zu: got id '%s' %g-%g '%s'", rel, i, c.v[i].id, c.v[i].start, c.v[i].end,
                             c.v[i].raw);
            cues_ok += ok;
            file_ok &= ok;
        }
        if (c.n != want)
            cr_log_error("%s: %zu cues, golden has %zu", rel, c.n, want);
        files++;
        files_ok += file_ok;
        cred_cues_free(&c);
        yajl_tree_free(g);
    }
    closedir(d);
    fprintf(stderr, "w3c golden: %d/%d files, %d/%d cues\n", files_ok, files, cues_ok, cues);
    cr_assert_eq(files, 37);
    cr_expect_eq(files_ok, files);
    cr_expect_eq(cues_ok, cues);
}

/* Concatenated text nodes of a WPT expected tree ("| \"text\"" lines; a text node may span lines). */
static char *tree_text(const char *tree)
{
    cred_buf b = CRED_BUF_INIT;
    const char *p = tree;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t k = 0;
        if (n >= 2 && p[0] == '|' && p[1] == ' ')
            k = 2;
        while (k < n && p[k] == ' ')
            k++;
        if (k < n && p[k] == '"') {
            /* a text node runs to the closing quote at the end of a (possibly later) line */
            const char *start = p + k + 1, *q = start;
            for (;;) {
                const char *eol = strchr(q, '\n');
                const char *end = eol ? eol : q + strlen(q);
                if (end > start && end[-1] == '"' && (end - 1 > start || q > start)) {
                    cred_buf_put(&b, start, (size_t)(end - 1 - start));
                    p = eol ? eol + 1 : end;
                    break;
                }
                if (!eol) {
                    cred_buf_puts(&b, start);
                    p = end;
                    break;
                }
                q = eol + 1;
            }
            continue;
        }
        p = nl ? nl + 1 : p + n;
    }
    cred_buf_terminate(&b);
    return b.ptr ? b.ptr : tdup("");
}

/* HTML 5 names outside libxml2's HTML 4 table (transcript.h documents the subset). */
static const char *const known_entity_gaps[] = {"&ClockwiseContourIntegral;\n", "&nsubE;\n"};

Test(io, vtt_cue_text_matches_the_wpt_cue_parsing_trees)
{
    const char *sets[] = {"entities", "tags", "text", "timestamps", "tree-building"};
    int total = 0, pass = 0, gaps = 0;
    for (size_t s = 0; s < CRED_ARRAY_LEN(sets); s++) {
        char rel[256];
        snprintf(rel, sizeof rel, "w3c-webvtt/test/wpt-cue-parsing/%s.json", sets[s]);
        yajl_val tests = tr_json(rel);
        snprintf(rel, sizeof rel, "w3c-webvtt/test/wpt-cue-parsing/%s.vtt", sets[s]);
        cred_cues c;
        tr_cues(&c, cred_vtt__parse, rel);
        int set_pass = 0, set_total = (int)YAJL_GET_ARRAY(tests)->len;
        for (int i = 0; i < set_total; i++) {
            yajl_val t = YAJL_GET_ARRAY(tests)->values[i];
            const char *input = tr_str(t, "text");
            char *want = tree_text(tr_str(t, "expectedTree"));
            const cred_cue *q = NULL;
            for (size_t k = 0; k < c.n && !q; k++) /* cue i runs from i to i+1 seconds */
                if (tr_near(c.v[k].start, i))
                    q = &c.v[k];
            bool ok = q && strcmp(q->text, want) == 0;
            bool gap = false;
            for (size_t g = 0; g < CRED_ARRAY_LEN(known_entity_gaps); g++)
                gap |= strcmp(input, known_entity_gaps[g]) == 0;
            if (!ok && !gap)
                cr_log_error("%s #%d %s: got '%s', want '%s'", sets[s], i, input, q ? q->text : "(no cue)", want);
            gaps += !ok && gap;
            set_pass += ok;
            free(want);
        }
        fprintf(stderr, "wpt cue parsing %s: %d/%d\n", sets[s], set_pass, set_total);
        total += set_total;
        pass += set_pass;
        cred_cues_free(&c);
        yajl_tree_free(tests);
    }
    fprintf(stderr, "wpt cue parsing: %d/%d (%d unknown HTML 5 entity names)\n", pass, total, gaps);
    cr_assert_eq(total, 77);
    cr_expect_eq(pass + gaps, total);
}

Test(io, vtt_tags_are_stripped_and_entities_decoded)
{
    const char *cases[][2] = {
        {"<v Roger Bingham>We are in <b>New York</b> &amp; <i>LA</i>", "We are in New York & LA"},
        {"<c.yellow.bg_blue>x</c> <u>y</u> <lang en-GB>z</lang>", "x y z"},
        {"<ruby>漢<rt>kan</rt></ruby>字", "漢kan字"},
        {"so<00:00:00.480><c> today</c>", "so today"},
        {"&lt;&gt;&quot;&apos;&nbsp;&lrm;&rlm;&#65;&#x42;&#x1F600;", "<>\"'\xC2\xA0\xE2\x80\x8E\xE2\x80\x8F" "AB\xF0\x9F\x98\x80"},
        {"AT&T &unknown; &#0; &notit;", "AT&T &unknown; \xEF\xBF\xBD \xC2\xACit;"},
        {"a < b", "a "},
    };
    for (size_t i = 0; i < CRED_ARRAY_LEN(cases); i++) {
        cred_buf b = CRED_BUF_INIT;
        cr_assert_eq(cred_vtt__cue_text(&b, cases[i][0], strlen(cases[i][0])), 0);
        cr_expect_str_eq(b.ptr, cases[i][1], "case %zu", i);
        cred_buf_free(&b);
    }
}

Test(io, vtt_youtube_rolling_captions_give_each_phrase_once)
{
    yajl_val want = tr_json("synthetic/youtube-auto-rolling.expected.json");
    tread t = tr_read("synthetic/youtube-auto-rolling.vtt", CRED_FORMAT_AUTO);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.format, CRED_FORMAT_VTT);
    cr_assert_geq(t.n, 2);
    cr_assert_eq(t.posts[0].kind, CRED_KIND_TRANSCRIPT);
    cr_expect_str_eq(t.posts[0].text, tr_str(want, "deduplicated_text"));
    cr_expect_str_eq(t.posts[0].lang, "en");
    cr_expect(tr_near(t.posts[0].start, 0.16));
    cr_expect(tr_near(t.posts[0].end, 4.87));
    cr_expect_str_eq(t.posts[0].id, "youtube-auto-rolling.vtt");
    /* one 30 s window holds the whole video */
    cr_assert_eq(t.n, 2);
    cr_expect_eq(t.posts[1].kind, CRED_KIND_WINDOW);
    cr_expect_str_eq(t.posts[1].text, t.posts[0].text);
    cr_expect_str_eq(t.posts[1].id, "youtube-auto-rolling.vtt#0.16-4.87");
    tread_free(&t);
    yajl_tree_free(want);
}

Test(io, vtt_rolling_collapse_keeps_a_genuinely_repeated_line)
{
    const char *in = "WEBVTT\n\n00:01.000 --> 00:02.000\nNo.\n\n00:02.000 --> 00:03.000\nNo.\n\n"
                     "00:03.000 --> 00:03.010\nNo.\n";
    cred_cues c;
    cred_cues_init(&c);
    cr_assert_eq(cred_vtt__parse(&c, in, strlen(in), NULL), 0);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(cred_tr__dedup(&c), 1); /* only the 10 ms snapshot goes */
    cr_assert_eq(c.n, 2);
    cr_expect_str_eq(c.v[0].text, "No.");
    cr_expect_str_eq(c.v[1].text, "No.");
    cred_cues_free(&c);
}

Test(io, vtt_windows_split_the_transcript_by_start_time)
{
    cred_buf in = CRED_BUF_INIT;
    cred_buf_puts(&in, "WEBVTT\n\n");
    for (int i = 0; i < 10; i++) /* a cue every 7 s: starts 0 7 14 21 28 | 35 42 49 56 | 63 */
        cred_buf_printf(&in, "%02d:%02d.000 --> %02d:%02d.500\nline %d\n\n", i * 7 / 60, i * 7 % 60,
                        (i * 7 + 2) / 60, (i * 7 + 2) % 60, i);
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.source = "talk";
    tread t = read_mem_opts(in.ptr, in.len, &o);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.n, 4);
    cr_expect_str_eq(t.posts[0].text, "line 0 line 1 line 2 line 3 line 4 line 5 line 6 line 7 line 8 line 9");
    cr_expect_str_eq(t.posts[1].text, "line 0 line 1 line 2 line 3 line 4");
    cr_expect_str_eq(t.posts[1].id, "talk#0-30.5");
    cr_expect_str_eq(t.posts[2].text, "line 5 line 6 line 7 line 8");
    cr_expect_str_eq(t.posts[2].id, "talk#35-58.5");
    cr_expect(tr_near(t.posts[3].start, 63) && tr_near(t.posts[3].end, 65.5));
    tread_free(&t);
    o.window_seconds = 60;
    t = read_mem_opts(in.ptr, in.len, &o);
    cr_assert_eq(t.n, 3);
    cr_expect_str_eq(t.posts[2].id, "talk#63-65.5");
    tread_free(&t);
    cred_buf_free(&in);
}

Test(io, vtt_bad_cue_timing_is_reported_with_line_and_column_and_skipped)
{
    const char *in = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\ngood one\n\n00:00:0x.000 --> 00:00:04.000\nbad one\n\n"
                     "00:00:05.000 --> 00:00:06.000\ngood two\n";
    tread t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.open_rc, 0);
    cr_assert_eq(t.n, 2); /* the whole transcript and one window */
    cr_expect_str_eq(t.posts[0].text, "good one good two");
    cr_assert_eq(count_sev(&t, CRED_SEV_ERROR), 1);
    cr_expect_eq(t.diags[0].line, 6);
    cr_expect_eq(t.diags[0].column, 8);
    cr_expect_eq(t.stats.skipped, 1);
    tread_free(&t);
}

Test(io, vtt_note_style_and_region_blocks_are_ignored_quietly)
{
    const char *in = "\xEF\xBB\xBFWEBVTT - with header text\nKind: captions\n\nSTYLE\n::cue { color: red }\n\n"
                     "REGION\nid:fred width:40%\n\nNOTE a comment\n--> with an arrow\n\n"
                     "intro\n00:00.000 --> 00:01.000 align:start position:10%\n<v Ann>Hello</v>\n";
    tread t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.format, CRED_FORMAT_VTT);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "Hello");
    cr_expect_eq(count_sev(&t, CRED_SEV_ERROR), 0);
    tread_free(&t);
}

Test(io, vtt_without_signature_is_reported_and_read_anyway)
{
    const char *in = "00:00.000 --> 00:01.000\nno header\n";
    tread t = read_mem(in, CRED_FORMAT_VTT);
    cr_assert_eq(t.open_rc, 0);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "no header");
    cr_expect_eq(count_sev(&t, CRED_SEV_ERROR), 1);
    tread_free(&t);
}

Test(io, vtt_node_webvtt_samples_read_and_malformed_ones_are_reported)
{
    tread t = tr_read("node-webvtt/test/data/acid.vtt", CRED_FORMAT_AUTO);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_expect_eq(t.format, CRED_FORMAT_VTT);
    cr_expect_gt(t.n, 1);
    tread_free(&t);
    t = tr_read("node-webvtt/test/data/subs1.vtt", CRED_FORMAT_AUTO);
    cr_expect_gt(t.n, 1);
    cr_expect_eq(count_sev(&t, CRED_SEV_ERROR), 0);
    tread_free(&t);
    t = tr_read("node-webvtt/test/data/malformed.vtt", CRED_FORMAT_VTT);
    cr_assert_eq(t.open_rc, 0);
    cr_expect_gt(count_sev(&t, CRED_SEV_ERROR), 0);
    tread_free(&t);
}

Test(io, vtt_webvtt_py_samples_read_without_crashing)
{
    DIR *d = opendir(TR_FIXTURES "/webvtt-py/tests/subtitles");
    cr_assert(d);
    struct dirent *e;
    int files = 0, with_posts = 0;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".vtt"))
            continue;
        char rel[1024];
        snprintf(rel, sizeof rel, "webvtt-py/tests/subtitles/%s", e->d_name);
        tread t = tr_read(rel, CRED_FORMAT_VTT);
        cr_expect_eq(t.open_rc, 0, "%s", rel);
        cr_expect_geq(t.rc, 0, "%s", rel);
        files++;
        with_posts += t.n > 0;
        if (strstr(e->d_name, "invalid") || strstr(e->d_name, "missing_timeframe"))
            cr_expect_gt(t.nd, 0, "%s should give diagnostics", rel);
        tread_free(&t);
    }
    closedir(d);
    fprintf(stderr, "webvtt-py vtt: %d files read, %d with posts\n", files, with_posts);
    cr_expect_geq(files, 16);
}
