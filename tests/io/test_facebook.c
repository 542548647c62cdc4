/* Facebook / Instagram "Download your information" reader: samples, mojibake, bad input. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "tg_helpers.h"

#define FB "tests/fixtures/facebook/"

Test(io, facebook_samples_are_detected_and_read_with_their_expected_posts)
{
    static const struct { const char *file; size_t posts, left_out; } cases[] = {
        {"your_posts_1.json", 3, 1}, {"group_posts.json", 2, 0}, {"group_posts_v2.json", 1, 0},
        {"comments.json", 2, 0}, {"instagram_posts_1.json", 2, 0},
    };
    unsigned pass = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, FB "%s", cases[i].file);
        size_t len = 0;
        char *text = slurp(path, &len);
        cr_assert_not_null(text, "%s", path);
        cr_expect_eq(cred_format_detect(text, len), CRED_FORMAT_FACEBOOK, "%s", cases[i].file);
        result res = read_path(path, CRED_FORMAT_AUTO);
        cr_expect_eq(res.rc, 0, "%s: %s", cases[i].file, res.err_msg);
        cr_expect_eq(res.n, cases[i].posts, "%s: %zu posts", cases[i].file, res.n);
        cr_expect_eq(res.stats.system, cases[i].left_out, "%s", cases[i].file);
        for (size_t k = 0; k < res.n; k++) /* every record has an epoch date */
            cr_expect_neq(res.recs[k].date, CRED_DATE_UNKNOWN, "%s #%zu", cases[i].file, k);
        if (res.rc == 0 && res.n == cases[i].posts && res.format == CRED_FORMAT_FACEBOOK)
            pass++;
        result_free(&res);
        free(text);
    }
    cr_log_info("facebook samples: %u/%zu pass", pass, sizeof cases / sizeof cases[0]);
}

Test(io, facebook_posts_get_text_date_links_and_author_with_mojibake_repaired)
{
    result res = read_path(FB "your_posts_1.json", CRED_FORMAT_FACEBOOK);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 3);
    cr_expect_str_eq(res.recs[0].text, "Caf\xC3\xA9 owners say this cures everything \xF0\x9F\x98\xB1 share before they delete it!");
    cr_expect_eq(res.recs[0].date, 1617181920);
    cr_expect_str_eq(res.recs[0].date_text, "1617181920");
    cr_expect_str_eq(res.recs[0].author, "Jo\xC3\xA3o Silva");
    cr_expect_eq(res.recs[0].kind, CRED_KIND_POST);
    cr_assert_eq(res.recs[0].n_links, 1);
    cr_expect_str_eq(res.recs[0].links[0], "https://example.org/miracle-cure");
    cr_expect_str_eq(res.recs[1].media, "photo");
    cr_expect(res.recs[1].flags & CRED_POST_MEDIA);
    cr_expect_eq(res.recs[1].line, 27);
    /* correct Latin-1 (caf\u00e9) is not mojibake and is left alone */
    cr_expect_str_eq(res.recs[2].text, "Plain Latin-1 text stays as it is: caf\xC3\xA9");
    result_free(&res);
}

Test(io, facebook_group_posts_take_the_group_from_the_title)
{
    result res = read_path(FB "group_posts.json", CRED_FORMAT_AUTO);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 2);
    cr_expect_str_eq(res.recs[0].source, "Vecinos de M\xC3\xA1laga");
    cr_expect_str_eq(res.recs[0].author, "Ana P\xC3\xA9rez");
    cr_expect_str_eq(res.recs[0].text, "Vaccines contain microchips, my cousin\xE2\x80\x99s friend saw it.");
    cr_expect_str_eq(res.recs[1].links[0], "https://news.example.com/story?id=42&utm_source=fb");
    result_free(&res);
    res = read_path(FB "group_posts_v2.json", CRED_FORMAT_AUTO);
    cr_assert_eq(res.n, 1);
    cr_expect_str_eq(res.recs[0].text, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"); /* Привет */
    cr_expect_str_eq(res.recs[0].source, "Test Group");
    result_free(&res);
}

Test(io, facebook_comments_are_comment_records_with_author_and_group)
{
    result res = read_path(FB "comments.json", CRED_FORMAT_AUTO);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 2);
    cr_expect_eq(res.recs[0].kind, CRED_KIND_COMMENT);
    cr_expect_str_eq(res.recs[0].author, "S\xC3\xB8ren Jensen");
    cr_expect_str_eq(res.recs[0].source, "Local News");
    cr_expect_str_eq(res.recs[0].text, "Source? This looks fake.");
    cr_expect_eq(res.recs[1].text_len, 0); /* a GIF reply: no text, one link */
    cr_expect_str_eq(res.recs[1].links[0], "https://media.example.net/reaction.gif");
    result_free(&res);
}

Test(io, instagram_posts_use_the_title_as_caption_and_the_media_type)
{
    result res = read_path(FB "instagram_posts_1.json", CRED_FORMAT_AUTO);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 2);
    cr_expect_str_eq(res.recs[0].text, "Sunset at the beach \xE2\x98\x80\xEF\xB8\x8F #nofilter");
    cr_expect_str_eq(res.recs[0].media, "photo");
    cr_expect_eq(res.recs[0].date, 1673000000);
    cr_expect_str_eq(res.recs[1].text, "Two clips from the rally");
    cr_expect_str_eq(res.recs[1].media, "video");
    cr_expect_eq(res.recs[1].date, 1675000001);
    result_free(&res);
}

Test(io, a_truncated_facebook_file_returns_the_records_before_the_cut)
{
    size_t len = 0;
    char *full = slurp(FB "your_posts_1.json", &len);
    cr_assert_not_null(full);
    for (size_t cut = 1; cut + 3 < len; cut++) {
        char *part = malloc(cut);
        memcpy(part, full, cut);
        result res = read_mem(part, cut, CRED_FORMAT_FACEBOOK);
        cr_assert_lt(res.rc, 0, "cut %zu", cut);
        cr_assert_leq(res.n, 3);
        result_free(&res);
        free(part);
    }
    const char *second = strstr(full, "Look at this photo");
    second = strstr(second, "updated his status.");
    second = strchr(second, '}');
    size_t cut = (size_t)(second - full) + 1;
    result res = read_mem(full, cut, CRED_FORMAT_FACEBOOK);
    cr_expect_eq(res.n, 2);
    cr_expect_eq(res.rc, CRED_ESYNTAX);
    cr_expect_gt(res.err.line, 0);
    result_free(&res);
    free(full);
}

Test(io, other_json_is_not_claimed_as_facebook)
{
    size_t len = 0;
    char *tg = slurp("tests/fixtures/telegram/synthetic/result-single-chat-modern.json", &len);
    cr_assert_not_null(tg);
    cr_expect_neq(cred_format_detect(tg, len), CRED_FORMAT_FACEBOOK);
    free(tg);
    static const char arr[] = "[1, 2, 3]";
    cr_expect_neq(cred_format_detect(arr, sizeof arr - 1), CRED_FORMAT_FACEBOOK);
    /* forced: no record, no error */
    result res = read_mem(arr, sizeof arr - 1, CRED_FORMAT_FACEBOOK);
    cr_expect_eq(res.rc, 0);
    cr_expect_eq(res.n, 0);
    result_free(&res);
}
