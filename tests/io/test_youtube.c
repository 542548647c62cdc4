/* YouTube timed text: json3, srv3, srv1; truncated and hostile documents. */
#include "io/tr_helpers.h"

static const char *const spoken = "so today we're looking at the claim that went viral";

Test(io, json3_events_become_cues_and_one_transcript)
{
    tread t = tr_read("synthetic/youtube.json3.json", CRED_FORMAT_AUTO);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.format, CRED_FORMAT_JSON3);
    cr_assert_eq(t.n, 2);
    cr_expect_eq(t.posts[0].kind, CRED_KIND_TRANSCRIPT);
    cr_expect_str_eq(t.posts[0].text, spoken);
    cr_expect(tr_near(t.posts[0].start, 0.16));
    cr_expect(tr_near(t.posts[0].end, 7.11)); /* "[Music]" is left out of the text, not the time */
    cr_expect_eq(count_sev(&t, CRED_SEV_ERROR), 0);
    tread_free(&t);
    cred_cues c;
    tr_cues(&c, cred_json3__parse, "synthetic/youtube.json3.json");
    cr_assert_eq(c.n, 3); /* the window-definition event and the "\n" append make no cue */
    cr_expect_str_eq(c.v[0].text, "so today we're looking at");
    cr_expect(tr_near(c.v[2].start, 4.88) && tr_near(c.v[2].end, 7.11)); /* times given as strings */
    cr_expect_str_eq(c.v[2].text, "[Music]");
    cred_cues_free(&c);
}

Test(io, srv3_paragraphs_and_double_escaped_entities_are_read)
{
    cred_cues c;
    tr_cues(&c, cred_srv3__parse, "synthetic/youtube.srv3.xml");
    cr_assert_eq(c.n, 4);
    cr_expect_str_eq(c.v[0].text, "so today we're looking at");
    cr_expect(tr_near(c.v[0].start, 0.16) && tr_near(c.v[0].end, 4.87));
    cr_expect_str_eq(c.v[3].text, "manual caption style: text directly in <p>, entities & double-escaped");
    cred_cues_free(&c);
    tread t = tr_read("synthetic/youtube.srv3.xml", CRED_FORMAT_AUTO);
    cr_assert_eq(t.format, CRED_FORMAT_SRV3);
    cr_assert_geq(t.n, 2);
    cr_expect(strncmp(t.posts[0].text, spoken, strlen(spoken)) == 0, "%s", t.posts[0].text);
    tread_free(&t);
}

Test(io, srv1_text_elements_are_read_in_seconds)
{
    tread t = tr_read("synthetic/youtube.srv1.xml", CRED_FORMAT_AUTO);
    cr_assert_eq(t.format, CRED_FORMAT_SRV3);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, spoken);
    cr_expect(tr_near(t.posts[0].start, 0.16) && tr_near(t.posts[0].end, 7.11));
    tread_free(&t);
}

Test(io, truncated_json3_keeps_the_cues_before_the_cut_and_reports_it)
{
    size_t n;
    char *s = tr_slurp_fixture("synthetic/youtube.json3.json", &n);
    char *cut = strstr(s, "\" claim\""); /* inside the third event */
    cr_assert(cut);
    tread t = read_mem_opts(s, (size_t)(cut - s), &(cred_reader_options)CRED_READER_OPTIONS_INIT);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.format, CRED_FORMAT_JSON3);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "so today we're looking at");
    cr_expect_eq(count_sev(&t, CRED_SEV_ERROR), 1);
    tread_free(&t);
    free(s);
}

Test(io, truncated_and_malformed_srv3_is_reported_not_fatal)
{
    const char *in = "<?xml version=\"1.0\"?><timedtext><body><p t=\"1000\" d=\"500\">one &amp; two</p>"
                     "<p t=\"2000\" d=\"500\">three <s>four";
    tread t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.format, CRED_FORMAT_SRV3);
    cr_assert_geq(t.n, 1);
    cr_expect(strncmp(t.posts[0].text, "one & two", 9) == 0, "%s", t.posts[0].text);
    cr_expect_geq(count_sev(&t, CRED_SEV_ERROR), 1);
    cr_expect_gt(t.diags[0].line, 0);
    tread_free(&t);
    in = "<transcript><text start=\"x\" dur=\"1\">no time</text><text start=\"2\">no duration</text></transcript>";
    t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "no duration");
    cr_expect_eq(count_sev(&t, CRED_SEV_ERROR), 1);
    cr_expect_eq(count_sev(&t, CRED_SEV_WARNING), 1);
    tread_free(&t);
}

Test(io, xml_entity_expansion_is_not_performed)
{
    const char *in = "<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>"
                     "<timedtext><body><p t=\"0\" d=\"1000\">x&b;y</p></body></timedtext>";
    tread t = read_mem(in, CRED_FORMAT_SRV3);
    cr_assert_eq(t.open_rc, 0);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "xy");
    tread_free(&t);
}

Test(io, deeply_nested_json3_is_refused_past_the_depth_limit)
{
    cred_buf b = CRED_BUF_INIT;
    cred_buf_puts(&b, "{\"events\":[{\"tStartMs\":0,\"dDurationMs\":1000,\"segs\":[{\"utf8\":\"ok\"}]},");
    for (int i = 0; i < 100000; i++)
        cred_buf_putc(&b, '[');
    tread t = read_mem_opts(b.ptr, b.len, &(cred_reader_options)CRED_READER_OPTIONS_INIT);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.format, CRED_FORMAT_JSON3);
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "ok");
    cr_expect_eq(count_sev(&t, CRED_SEV_ERROR), 1);
    cr_expect_eq(t.diags[0].code, CRED_ELIMIT);
    tread_free(&t);
    cred_buf_free(&b);
}
