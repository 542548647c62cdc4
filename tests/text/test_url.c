/* URL recognition (cred_text__url_len), canonical form, host and registrable domain. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "text/text.h"

/* Length of the URL recognised at the start of s. */
static size_t ulen(const char *s)
{
    return cred_text__url_len(s, strlen(s), 0);
}

/* The URL recognised at the start of s, as a string (static buffer). */
static const char *found(const char *s)
{
    static char buf[4096];
    size_t n = ulen(s);
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static const char *canon(const char *s)
{
    static char buf[4096];
    int rc = cred_url_canonical(buf, sizeof(buf), s, strlen(s));
    cr_assert_eq(rc, 0, "cred_url_canonical(\"%s\") = %d", s, rc);
    return buf;
}

static const char *domain(const char *host)
{
    static char buf[512];
    int rc = cred_url_domain(buf, sizeof(buf), host, strlen(host));
    cr_assert_eq(rc, 0, "cred_url_domain(\"%s\") = %d", host, rc);
    return buf;
}

/* ---- recognition -------------------------------------------------------------------------------- */

Test(text, url_len_recognises_scheme_urls_up_to_the_next_space)
{
    cr_assert_str_eq(found("https://www.bbc.co.uk/news/health-123 says"), "https://www.bbc.co.uk/news/health-123");
    cr_assert_str_eq(found("http://example.com"), "http://example.com");
    cr_assert_str_eq(found("ftp://files.example.org/a.pdf\tnext"), "ftp://files.example.org/a.pdf");
}

Test(text, url_len_recognises_defanged_schemes)
{
    cr_assert_str_eq(found("hxxp://evil.example.com/x y"), "hxxp://evil.example.com/x");
    cr_assert_str_eq(found("hxxps[:]//evil.example.com/x y"), "hxxps[:]//evil.example.com/x");
    cr_assert_str_eq(found("h**ps://site.org/p"), "h**ps://site.org/p");
    cr_assert_str_eq(found("https(:)//site.org"), "https(:)//site.org");
}

Test(text, url_len_recognises_www_hosts_without_a_scheme)
{
    cr_assert_str_eq(found("www.saude.gov.br/noticias."), "www.saude.gov.br/noticias");
    cr_assert_str_eq(found("www.example.com, see"), "www.example.com");
}

Test(text, url_len_accepts_scheme_less_domains_only_with_a_public_suffix)
{
    cr_assert_str_eq(found("g1.globo.com/bemestar/x.ghtml now"), "g1.globo.com/bemestar/x.ghtml");
    cr_assert_str_eq(found("bit.ly/3abcD"), "bit.ly/3abcD");
    cr_assert_str_eq(found("who.int."), "who.int");
    cr_assert_eq(ulen("file.txt"), 0);
    cr_assert_eq(ulen("report.pdf is attached"), 0);
    cr_assert_eq(ulen("3.5"), 0);
    cr_assert_eq(ulen("1.000.000 mortes"), 0);
    cr_assert_eq(ulen("e.g. this"), 0);
    cr_assert_eq(ulen("a.m."), 0);
    cr_assert_eq(ulen("fim.depois"), 0);
    cr_assert_eq(ulen("hello world"), 0);
}

Test(text, url_len_leaves_bare_file_extension_suffixes_alone_unless_a_path_follows)
{
    cr_assert_eq(ulen("archive.zip"), 0);
    cr_assert_eq(ulen("script.py"), 0);
    cr_assert_str_eq(found("example.zip/download"), "example.zip/download");
}

Test(text, url_len_recognises_bracketed_dot_obfuscation)
{
    cr_assert_str_eq(found("example[.]com/path x"), "example[.]com/path");
    cr_assert_str_eq(found("example(.)com"), "example(.)com");
    cr_assert_str_eq(found("evil[dot]example[dot]org/x"), "evil[dot]example[dot]org/x");
    cr_assert_eq(ulen("[.]"), 0);
    cr_assert_eq(ulen("example[.]"), 0);
}

Test(text, url_len_accepts_internationalised_host_names)
{
    cr_assert_str_eq(found("пример.рф/страница тест"), "пример.рф/страница");
    cr_assert_str_eq(found("http://bücher.de/x"), "http://bücher.de/x");
}

Test(text, url_len_excludes_trailing_punctuation_and_unbalanced_brackets)
{
    cr_assert_str_eq(found("http://x.com/a.b!?"), "http://x.com/a.b");
    cr_assert_str_eq(found("http://x.com/a),"), "http://x.com/a");
    cr_assert_str_eq(found("https://en.wikipedia.org/wiki/Foo_(bar))"), "https://en.wikipedia.org/wiki/Foo_(bar)");
    cr_assert_str_eq(found("http://x.com/a\"quoted"), "http://x.com/a");
    cr_assert_str_eq(found("http://x.com/a'"), "http://x.com/a");
    cr_assert_str_eq(found("http://x.com/a]"), "http://x.com/a");
    cr_assert_str_eq(found("www.site.com.br*"), "www.site.com.br");
}

Test(text, url_len_handles_ports_userinfo_ipv4_and_ipv6)
{
    cr_assert_str_eq(found("http://192.168.0.1:8080/admin x"), "http://192.168.0.1:8080/admin");
    cr_assert_str_eq(found("http://user:pass@host.com/x"), "http://user:pass@host.com/x");
    cr_assert_str_eq(found("http://[2001:db8::1]:443/x"), "http://[2001:db8::1]:443/x");
    cr_assert_str_eq(found("http://localhost:3000"), "http://localhost:3000");
    cr_assert_eq(ulen("http://host.com:999999/"), 0);
    cr_assert_eq(ulen("http://[zz]/"), 0);
}

Test(text, url_len_rejects_empty_and_degenerate_inputs)
{
    cr_assert_eq(ulen("http://"), 0);
    cr_assert_eq(ulen("https:// x"), 0);
    cr_assert_eq(ulen("..."), 0);
    cr_assert_eq(ulen("."), 0);
    cr_assert_eq(ulen(""), 0);
    cr_assert_eq(cred_text__url_len(NULL, 0, 0), 0);
    cr_assert_eq(cred_text__url_len("abc", 3, 7), 0);
}

Test(text, url_len_does_not_take_email_domains_for_links)
{
    const char *s = "maria.pt@gmail.com";
    cr_assert_eq(cred_text__url_len(s, strlen(s), 0), 0);
    cr_assert_eq(cred_text__url_len(s, strlen(s), 9), 0);
}

Test(text, url_len_works_in_the_middle_of_text_and_stays_within_bounds)
{
    const char *s = "veja em www.who.int/news hoje";
    cr_assert_eq(cred_text__url_len(s, strlen(s), 8), strlen("www.who.int/news"));
    /* a length that cuts the URL short: the URL ends at the cut */
    cr_assert_eq(cred_text__url_len(s, 19, 8), strlen("www.who.int"));
}

Test(text, url_len_rejects_very_long_words_and_labels_quickly)
{
    size_t n = 1u << 20;
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memset(s, 'a', n);
    s[n] = '\0';
    cr_assert_eq(cred_text__url_len(s, n, 0), 0);
    for (size_t i = 1; i < n; i += 2)
        s[i] = '.';
    cr_assert_eq(cred_text__url_len(s, n, 0), 0);
    free(s);
}

Test(text, url_len_accepts_a_very_long_path)
{
    size_t n = 1u << 20;
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memcpy(s, "http://x.com/", 13);
    memset(s + 13, 'p', n - 13);
    s[n] = '\0';
    cr_assert_eq(cred_text__url_len(s, n, 0), n);
    free(s);
}

/* ---- canonical form ----------------------------------------------------------------------------- */

Test(text, canonical_adds_a_scheme_and_lower_cases_scheme_and_host_only)
{
    cr_assert_str_eq(canon("WWW.Example.COM/Path/To?Q=A"), "http://www.example.com/Path/To?Q=A");
    cr_assert_str_eq(canon("HTTPS://News.Google.com"), "https://news.google.com/");
    cr_assert_str_eq(canon("http://BÜCHER.de/Ä"), "http://bücher.de/Ä");
}

Test(text, canonical_undoes_obfuscation)
{
    cr_assert_str_eq(canon("hxxps[:]//evil[.]example[.]com/x"), "https://evil.example.com/x");
    cr_assert_str_eq(canon("h**p://a(dot)b.org"), "http://a.b.org/");
    cr_assert_str_eq(canon("fxp://files.example.org/f"), "ftp://files.example.org/f");
}

Test(text, canonical_removes_default_ports_only)
{
    cr_assert_str_eq(canon("http://a.com:80/x"), "http://a.com/x");
    cr_assert_str_eq(canon("https://a.com:443/x"), "https://a.com/x");
    cr_assert_str_eq(canon("http://a.com:443/x"), "http://a.com:443/x");
    cr_assert_str_eq(canon("https://a.com:8443"), "https://a.com:8443/");
    cr_assert_str_eq(canon("http://a.com:0080/"), "http://a.com/");
}

Test(text, canonical_drops_userinfo_fragment_and_trailing_host_dot)
{
    cr_assert_str_eq(canon("http://user:pass@a.com/x#top"), "http://a.com/x");
    cr_assert_str_eq(canon("http://a.com./x"), "http://a.com/x");
    cr_assert_str_eq(canon("https://a.com/#/route"), "https://a.com/");
}

Test(text, canonical_removes_tracking_parameters_and_keeps_the_rest_in_order)
{
    cr_assert_str_eq(canon("https://a.com/p?utm_source=wa&id=7&fbclid=XyZ&b=2&utm_medium=x"),
                     "https://a.com/p?id=7&b=2");
    cr_assert_str_eq(canon("https://a.com/p?gclid=1&msclkid=2&igshid=3&mc_cid=4&mc_eid=5&_ga=6&yclid=7"),
                     "https://a.com/p");
    cr_assert_str_eq(canon("https://a.com/p?&&z=1&&"), "https://a.com/p?z=1");
    cr_assert_str_eq(canon("https://a.com/?q=vacina"), "https://a.com/?q=vacina");
}

Test(text, canonical_removes_share_parameters_only_on_their_sites)
{
    cr_assert_str_eq(canon("https://twitter.com/who/status/1?s=20&t=abc"), "https://twitter.com/who/status/1");
    cr_assert_str_eq(canon("https://x.com/who/status/1?s=46"), "https://x.com/who/status/1");
    cr_assert_str_eq(canon("https://youtu.be/abc?si=Qw12"), "https://youtu.be/abc");
    cr_assert_str_eq(canon("https://www.youtube.com/watch?v=abc&feature=share"),
                     "https://www.youtube.com/watch?v=abc");
    cr_assert_str_eq(canon("https://www.youtube.com/watch?v=abc&feature=related"),
                     "https://www.youtube.com/watch?v=abc&feature=related");
    cr_assert_str_eq(canon("https://open.spotify.com/track/1?si=ab"), "https://open.spotify.com/track/1");
    /* elsewhere s, t and si carry meaning */
    cr_assert_str_eq(canon("https://search.example.com/?s=vacina&si=2"), "https://search.example.com/?s=vacina&si=2");
}

Test(text, canonical_upper_cases_percent_escapes_and_nothing_else)
{
    cr_assert_str_eq(canon("http://a.com/caf%c3%a9?q=a%2fb"), "http://a.com/caf%C3%A9?q=a%2Fb");
    cr_assert_str_eq(canon("http://a.com/100%zz"), "http://a.com/100%zz");
}

Test(text, canonical_accepts_ip_hosts)
{
    cr_assert_str_eq(canon("http://192.168.0.1:8080/admin"), "http://192.168.0.1:8080/admin");
    cr_assert_str_eq(canon("http://[2001:DB8::1]/x"), "http://[2001:db8::1]/x");
}

Test(text, canonical_is_idempotent)
{
    const char *in[] = {"hxxps[:]//Evil[.]Example[.]com:443/A%2f?utm_x=1&k=v#f", "www.bbc.co.uk",
                        "http://user@a.com./", "g1.globo.com/x?fbclid=1", "http://[::1]:80"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        char a[512], b[512];
        cr_assert_eq(cred_url_canonical(a, sizeof(a), in[i], strlen(in[i])), 0, "%s", in[i]);
        cr_assert_eq(cred_url_canonical(b, sizeof(b), a, strlen(a)), 0, "%s", a);
        cr_assert_str_eq(a, b);
    }
}

Test(text, canonical_rejects_what_is_not_a_url)
{
    char out[64];
    const char *bad[] = {"", "   ", "http://", "file.txt", "hello world", "http://a.com/ b", "[.]", "3.5",
                         "http://a.com:99999/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(cred_url_canonical(out, sizeof(out), bad[i], strlen(bad[i])), CRED_EINVAL, "%s", bad[i]);
        cr_assert_str_eq(out, "");
    }
    cr_assert_eq(cred_url_canonical(NULL, 10, "a.com", 5), CRED_EINVAL);
    cr_assert_eq(cred_url_canonical(out, 0, "a.com", 5), CRED_EINVAL);
}

Test(text, canonical_cuts_output_that_does_not_fit_and_says_so)
{
    char out[16];
    memset(out, 'X', sizeof(out));
    const char *u = "https://example.com/a/long/path";
    cr_assert_eq(cred_url_canonical(out, sizeof(out), u, strlen(u)), CRED_ELIMIT);
    cr_assert(memchr(out, '\0', sizeof(out)) != NULL);
    cr_assert_eq(strncmp(out, "https://", 8), 0);
    cr_assert_eq(cred_error_last()->code, CRED_ELIMIT);
}

/* ---- domains and links -------------------------------------------------------------------------- */

Test(text, domain_is_the_registrable_domain_including_private_suffixes)
{
    cr_assert_str_eq(domain("www.bbc.co.uk"), "bbc.co.uk");
    cr_assert_str_eq(domain("news.google.com"), "google.com");
    cr_assert_str_eq(domain("x.blogspot.com"), "x.blogspot.com");
    cr_assert_str_eq(domain("WWW.Saude.GOV.br."), "saude.gov.br");
    cr_assert_str_eq(domain("bit.ly"), "bit.ly");
    cr_assert_str_eq(domain("192.168.0.1"), "192.168.0.1");
    cr_assert_str_eq(domain("localhost"), "localhost");
    cr_assert_str_eq(domain("пример.рф"), "пример.рф");
}

Test(text, domain_rejects_what_is_not_a_host_name)
{
    char out[64];
    cr_assert_eq(cred_url_domain(out, sizeof(out), "", 0), CRED_EINVAL);
    cr_assert_eq(cred_url_domain(out, sizeof(out), "a b.com", 7), CRED_EINVAL);
    cr_assert_eq(cred_url_domain(out, sizeof(out), "a..com", 6), CRED_EINVAL);
    cr_assert_eq(cred_url_domain(out, sizeof(out), "http://a.com", 12), CRED_EINVAL);
    cr_assert_eq(cred_url_domain(out, 4, "www.bbc.co.uk", 13), CRED_ELIMIT);
    cr_assert_eq(strlen(out), 3);
}

Test(text, link_parse_fills_url_host_and_domain_in_the_arena)
{
    cred_arena a;
    cred_arena_init(&a, 4096);
    cred_link l;
    memset(&l, 0, sizeof(l));
    const char *raw = "HTTPS://WWW.BBC.CO.UK/News/Health?utm_source=whatsapp";
    cr_assert_eq(cred_text__link_parse(&a, raw, strlen(raw), &l), 0);
    cr_assert_str_eq(l.url, "https://www.bbc.co.uk/News/Health");
    cr_assert_str_eq(l.host, "www.bbc.co.uk");
    cr_assert_str_eq(l.domain, "bbc.co.uk");
    cr_assert_eq(cred_text__link_parse(&a, "e.g.", 4, &l), CRED_EINVAL);
    raw = "x.blogspot.com/p";
    cr_assert_eq(cred_text__link_parse(&a, raw, strlen(raw), &l), 0);
    cr_assert_str_eq(l.domain, "x.blogspot.com");
    cred_arena_free(&a);
}
