/* The plain-text reader: paragraphs, line numbers, CRLF, limits. */
#include "io/collect.h"

#include <criterion/criterion.h>

Test(io, text_reads_one_post_per_paragraph_with_its_first_line_as_id)
{
    const char *in = "\n\nFirst paragraph\nstill first.\n\n  \t\nSecond one.\n\n\nThird\nhas\nthree lines";
    tread t = read_mem(in, CRED_FORMAT_AUTO);
    cr_assert_eq(t.format, CRED_FORMAT_TEXT);
    cr_assert_eq(t.n, 3);
    cr_assert_str_eq(t.posts[0].text, "First paragraph\nstill first.");
    cr_assert_eq(t.posts[0].line, 3);
    cr_assert_str_eq(t.posts[0].id, "3");
    cr_assert_str_eq(t.posts[1].text, "Second one.");
    cr_assert_eq(t.posts[1].line, 7);
    cr_assert_str_eq(t.posts[2].text, "Third\nhas\nthree lines");
    cr_assert_str_eq(t.posts[2].id, "10");
    cr_assert_eq(t.nd, 0);
    tread_free(&t);
}

Test(io, text_handles_crlf_and_a_bom)
{
    tread t = read_mem("\xEF\xBB\xBFUm\r\ndois\r\n\r\ntrês\r\n", CRED_FORMAT_TEXT);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.posts[0].text, "Um\ndois");
    cr_assert_str_eq(t.posts[1].text, "três");
    cr_assert_eq(t.posts[1].line, 4);
    tread_free(&t);
}

Test(io, text_empty_input_gives_no_posts_and_no_error)
{
    tread t = read_mem("", CRED_FORMAT_AUTO);
    cr_assert_eq(t.open_rc, 0);
    cr_assert_eq(t.n, 0);
    cr_assert_eq(t.rc, 0);
    tread_free(&t);
    t = read_mem("\n\n  \n", CRED_FORMAT_TEXT);
    cr_assert_eq(t.n, 0);
    cr_assert_eq(t.rc, 0);
    tread_free(&t);
}

Test(io, text_paragraph_longer_than_the_post_limit_is_cut_and_flagged)
{
    size_t lines = CRED_LIMIT_POST_BYTES / 100 + 100;
    size_t cap = lines * 101 + 64;
    char *in = malloc(cap);
    size_t n = 0;
    for (size_t i = 0; i < lines; i++) {
        memset(in + n, 'w', 100);
        n += 100;
        in[n++] = '\n';
    }
    n += (size_t)sprintf(in + n, "\nnext paragraph\n");
    tread t = read_mem_opts(in, n, NULL);
    cr_assert_eq(t.n, 2);
    cr_assert_eq(t.posts[0].text_len, CRED_LIMIT_POST_BYTES);
    cr_assert(t.posts[0].flags & CRED_POST_TRUNCATED);
    cr_assert_str_eq(t.posts[1].text, "next paragraph");
    cr_assert_eq(t.posts[1].line, lines + 2);
    cr_assert_eq(t.stats.repaired, 1);
    tread_free(&t);
    free(in);
}

Test(io, text_probe_rejects_binary_and_accepts_utf8_prose)
{
    const char prose[] = "سلام، این یک پیام است.\nПривет! Это сообщение.\n";
    cr_assert_eq(cred_format_detect(prose, sizeof prose - 1), CRED_FORMAT_TEXT);
    const char nul[] = "abc\0def";
    cr_assert_eq(cred_format_detect(nul, sizeof nul - 1), CRED_FORMAT_AUTO);
    unsigned char noise[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        x = x * 1103515245u + 12345u;
        noise[i] = (unsigned char)((x >> 16) | 0x80);
    }
    cr_assert_eq(cred_format_detect(noise, sizeof noise), CRED_FORMAT_AUTO);
}
