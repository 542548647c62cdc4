/*
 * engine/text/url.c: URL recognition in normalised text, canonical form, host and registrable domain.
 *
 * One parser serves both uses. In "scan" mode (cred_text__url_len) it runs over normalised, lower-case
 * text from a word start, rejects quickly (a plain word costs one pass over its letters and no lookup),
 * and trims sentence punctuation from the end. In "whole" mode (cred_url_canonical, link parsing) the
 * whole input must be one URL, as written (any case), and nothing is trimmed.
 *
 * Recognised forms:
 *   scheme URLs     http, https, ftp and the defanged hxxp, h**p, fxp; separator ':' or "[:]" / "(:)"
 *   www. hosts      www.<label>.<letters>, any last label of two or more letters
 *   scheme-less     domain.tld and domain.tld/path where tld is in the Public Suffix List (ICANN or
 *                   private section, without the implicit "*" rule, so "file.txt" and "e.g." fail)
 *   dot obfuscation "[.]", "(.)", "{.}", "[dot]", "(dot)" between host labels
 * Bare scheme-less hosts (no path) whose suffix is mostly seen as a file extension (zip, mov, py, sh,
 * md) are not taken for URLs; with a scheme, www. or a path they are.
 *
 * Canonical form: see cred_link.url in credence.h and write_canonical() below. The Public Suffix List
 * comes from libpsl: psl_latest(NULL) (the Debian `publicsuffix` data when newer) else the list
 * compiled into libpsl. Registrable domains include private suffixes (x.blogspot.com, y.github.io
 * stay whole), which is the better identity for hosting services and link shorteners.
 */
#include "text/text.h"

#include <libpsl.h>
#include <pthread.h>
#include <utf8proc.h>

#define HOST_MAX 1024  /* bytes of a host as written (obfuscated forms are longer than 253) */
#define LABEL_MAX 63   /* code points in one label */
#define USERINFO_MAX 256

enum { SCHEME_NONE = 0, SCHEME_HTTP, SCHEME_HTTPS, SCHEME_FTP };

typedef struct url_parts {
    int scheme;
    bool www;                    /* scheme-less form starting with www. */
    bool ipv6;
    size_t host_start, host_end; /* as written, may contain [.] forms */
    size_t port_start, port_end; /* digits only; empty when no port */
    size_t rest_start, end;      /* path, query and fragment: [rest_start, end) */
    size_t nlabels;
    size_t last_start, last_end; /* last host label */
} url_parts;

/* ---- Public Suffix List ------------------------------------------------------------------------- */

static const psl_ctx_t *g_psl;
static pthread_once_t g_psl_once = PTHREAD_ONCE_INIT;

static void psl_init(void)
{
    psl_ctx_t *latest = psl_latest(NULL);
    g_psl = latest ? latest : psl_builtin();
}

static const psl_ctx_t *psl(void)
{
    pthread_once(&g_psl_once, psl_init);
    return g_psl;
}

/* ---- character classes -------------------------------------------------------------------------- */

static inline unsigned char lc(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static inline bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline bool is_hex(unsigned char c)
{
    return is_digit(c) || (lc(c) >= 'a' && lc(c) <= 'f');
}

/* A letter, mark or digit outside ASCII (host labels and scanned paths accept these). */
static inline bool cp_is_word(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return true;
    default:
        return false;
    }
}

/* Length of a dot separator at s: '.', "[.]", "(.)", "{.}", "[dot]", "(dot)"; 0 when none. */
static size_t dot_sep(const unsigned char *s, size_t n)
{
    if (n >= 1 && s[0] == '.')
        return 1;
    if (n >= 3 && s[1] == '.' &&
        ((s[0] == '[' && s[2] == ']') || (s[0] == '(' && s[2] == ')') || (s[0] == '{' && s[2] == '}')))
        return 3;
    if (n >= 5 && (s[0] == '[' || s[0] == '(') && lc(s[1]) == 'd' && lc(s[2]) == 'o' && lc(s[3]) == 't' &&
        s[4] == (s[0] == '[' ? ']' : ')'))
        return 5;
    return 0;
}

/*
 * Length of a host label at s: ASCII letters, digits, '-', '_' and non-ASCII letters/marks/digits,
 * starting and ending with a letter or digit, at most LABEL_MAX code points. 0 when none.
 */
static size_t label_len(const unsigned char *s, size_t n)
{
    size_t i = 0, good = 0, ncp = 0;
    while (i < n && ncp <= LABEL_MAX) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (is_alnum(c)) {
                i++;
                good = i;
            } else if ((c == '-' || c == '_') && i > 0) {
                i++;
            } else {
                break;
            }
        } else {
            int32_t cp;
            int k = cred_utf8_decode(s + i, n - i, &cp);
            if (cp < 0 || !cp_is_word(cp))
                break;
            i += (size_t)k;
            good = i;
        }
        ncp++;
    }
    if (ncp > LABEL_MAX)
        return 0;
    return good;
}

/* Parse dot-separated labels at s[pos..len); fills host fields of u; returns the end, 0 when none. */
static size_t host_parse(const unsigned char *s, size_t len, size_t pos, url_parts *u)
{
    size_t p = pos, end = 0;
    u->nlabels = 0;
    for (;;) {
        size_t l = label_len(s + p, len - p);
        if (l == 0)
            break;
        u->last_start = p;
        u->last_end = p + l;
        u->nlabels++;
        p += l;
        end = p;
        if (end - pos > HOST_MAX)
            return 0;
        size_t d = dot_sep(s + p, len - p);
        if (d == 0)
            break;
        p += d;
    }
    if (u->nlabels == 0)
        return 0;
    u->host_start = pos;
    u->host_end = end;
    return end;
}

/* Lower-case (ASCII and Unicode simple mapping) s[0..n) into buf (cap bytes); false when too long. */
static bool lower_copy(char *buf, size_t cap, const unsigned char *s, size_t n, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        int k = cred_utf8_decode(s + i, n - i, &cp);
        if (cp < 0)
            return false;
        cp = cp < 0x80 ? (int32_t)lc((unsigned char)cp) : utf8proc_tolower(cp);
        if (o + 4 >= cap)
            return false;
        o += (size_t)cred_utf8_encode(cp, buf + o);
        i += (size_t)k;
    }
    buf[o] = '\0';
    *out_len = o;
    return true;
}

static bool all_digits(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return n > 0;
}

/* The last label is a real public suffix (no implicit "*" rule). */
static bool tld_ok(const unsigned char *s, size_t n, bool bare)
{
    char buf[4 * LABEL_MAX + 8];
    size_t bl;
    if (all_digits(s, n) || !lower_copy(buf, sizeof(buf), s, n, &bl))
        return false;
    if (bare) {
        static const char *const ext[] = {"zip", "mov", "py", "sh", "md"};
        for (size_t i = 0; i < CRED_ARRAY_LEN(ext); i++)
            if (strcmp(buf, ext[i]) == 0)
                return false;
    }
    const psl_ctx_t *ctx = psl();
    return ctx && psl_is_public_suffix2(ctx, buf, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) == 1;
}

/* Scheme at s: returns bytes up to and including "//", 0 when none. */
static size_t match_scheme(const unsigned char *s, size_t n, int *scheme)
{
    size_t i;
    if (n < 6)
        return 0;
    unsigned char c0 = lc(s[0]);
    if (c0 == 'h') {
        unsigned char a = lc(s[1]), b = lc(s[2]);
        if (!((a == 't' && b == 't') || (a == 'x' && b == 'x') || (a == '*' && b == '*')) || lc(s[3]) != 'p')
            return 0;
        i = 4;
        *scheme = SCHEME_HTTP;
        if (lc(s[i]) == 's') {
            *scheme = SCHEME_HTTPS;
            i++;
        }
    } else if (c0 == 'f') {
        unsigned char a = lc(s[1]);
        if ((a != 't' && a != 'x') || lc(s[2]) != 'p')
            return 0;
        i = 3;
        *scheme = SCHEME_FTP;
    } else {
        return 0;
    }
    if (i < n && s[i] == ':')
        i++;
    else if (i + 2 < n && ((s[i] == '[' && s[i + 1] == ':' && s[i + 2] == ']') ||
                           (s[i] == '(' && s[i + 1] == ':' && s[i + 2] == ')')))
        i += 3;
    else
        return 0;
    if (i + 1 < n && s[i] == '/' && s[i + 1] == '/')
        return i + 2;
    return 0;
}

static bool userinfo_char(unsigned char c)
{
    return is_alnum(c) || (c != 0 && strchr("-._~%!$&'()*+,;=:", c) != NULL);
}

/* A byte that may appear in a path/query/fragment found in running text (ASCII part). */
static bool scan_rest_ascii(unsigned char c)
{
    return c > 0x20 && c < 0x7F && c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' && c != '`' &&
           c != '|';
}

/*
 * Parse one URL at s[pos..len). whole: the URL must fill the input exactly (no trimming), any case.
 * @return the end offset, or 0 when no URL is there.
 */
static size_t url_parse(const unsigned char *s, size_t len, size_t pos, bool whole, url_parts *u)
{
    memset(u, 0, sizeof(*u));
    if (pos >= len)
        return 0;
    unsigned char c = s[pos];
    if (c < 0x80 && !is_alnum(c))
        return 0;

    size_t p = pos;
    size_t sl = (lc(c) == 'h' || lc(c) == 'f') ? match_scheme(s + pos, len - pos, &u->scheme) : 0;
    if (sl) {
        p += sl;
        /* userinfo@ is skipped (and dropped from the canonical form) */
        size_t q = p;
        while (q < len && q - p < USERINFO_MAX && userinfo_char(s[q]))
            q++;
        if (q < len && s[q] == '@')
            p = q + 1;
        if (p < len && s[p] == '[') {
            size_t q6 = p + 1, colons = 0;
            while (q6 < len && q6 - p < 64 && (is_hex(s[q6]) || s[q6] == ':' || s[q6] == '.')) {
                colons += s[q6] == ':';
                q6++;
            }
            if (q6 >= len || s[q6] != ']' || colons < 2)
                return 0;
            u->ipv6 = true;
            u->host_start = p;
            u->host_end = q6 + 1;
            p = q6 + 1;
        } else {
            if (!host_parse(s, len, p, u))
                return 0;
            p = u->host_end;
        }
    } else {
        if (pos > 0 && s[pos - 1] == '@')
            return 0; /* the domain of an e-mail address */
        if (!host_parse(s, len, pos, u) || u->nlabels < 2)
            return 0;
        p = u->host_end;
        u->www = u->nlabels >= 3 && u->last_start > pos && lc(s[pos]) == 'w' && lc(s[pos + 1]) == 'w' &&
                 lc(s[pos + 2]) == 'w' && dot_sep(s + pos + 3, len - pos - 3) != 0;
        if (u->www) {
            /* www.<...>.<letters>: the last label needs two letters, no list lookup */
            size_t ll = u->last_end - u->last_start;
            if (ll < 2 || all_digits(s + u->last_start, ll))
                return 0;
        }
    }

    /* a trailing dot on the host ("example.com./x") belongs to the host and is dropped */
    if (p < len && s[p] == '.' && !u->ipv6 &&
        ((whole && p + 1 == len) || (p + 1 < len && (s[p + 1] == ':' || s[p + 1] == '/' || s[p + 1] == '?' || s[p + 1] == '#'))))
        p++;
    if (p < len && s[p] == ':' && p + 1 < len && is_digit(s[p + 1])) {
        size_t q = p + 1;
        unsigned long port = 0;
        while (q < len && is_digit(s[q]) && q - p <= 5)
            port = port * 10 + (unsigned long)(s[q++] - '0');
        if (port > 65535 || (q < len && is_digit(s[q])))
            return 0;
        u->port_start = p + 1;
        u->port_end = q;
        p = q;
    }
    size_t host_done = p;
    u->rest_start = p;
    if (p < len && (s[p] == '/' || s[p] == '?' || s[p] == '#')) {
        while (p < len) {
            unsigned char b = s[p];
            if (b < 0x80) {
                if (whole ? (b <= 0x20 || b == 0x7F) : !scan_rest_ascii(b))
                    break;
                p++;
            } else {
                int32_t cp;
                int k = cred_utf8_decode(s + p, len - p, &cp);
                if (cp < 0)
                    break;
                if (whole) {
                    utf8proc_category_t cat = utf8proc_category(cp);
                    if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
                        cat == UTF8PROC_CATEGORY_ZP || cat == UTF8PROC_CATEGORY_CC)
                        break;
                } else if (!cp_is_word(cp)) {
                    break;
                }
                p += (size_t)k;
            }
        }
    }
    u->end = p;

    if (whole) {
        if (p != len)
            return 0;
    } else {
        if (p < len && s[p] == '@')
            return 0; /* user@host: an e-mail address or a mention, not a link */
        /* trailing sentence punctuation, markup and unbalanced closing brackets are not part of it */
        long paren = 0, square = 0, curly = 0;
        for (size_t i = u->rest_start; i < p; i++) {
            paren += (s[i] == '(') - (s[i] == ')');
            square += (s[i] == '[') - (s[i] == ']');
            curly += (s[i] == '{') - (s[i] == '}');
        }
        while (p > host_done) {
            unsigned char b = s[p - 1];
            if (strchr(".,;:!?'\"*_~", b) != NULL && b != 0) {
                p--;
            } else if (b == ')' && paren < 0) {
                paren++;
                p--;
            } else if (b == ']' && square < 0) {
                square++;
                p--;
            } else if (b == '}' && curly < 0) {
                curly++;
                p--;
            } else {
                break;
            }
        }
        if (p < u->rest_start)
            p = u->rest_start;
        u->end = p;
    }
    if (u->end < u->rest_start)
        u->rest_start = u->end;

    /* scheme-less hosts must end in a real public suffix ("www." forms were checked above) */
    if (u->scheme == SCHEME_NONE && !u->www) {
        bool bare = u->end == u->rest_start && u->port_end == 0;
        if (!tld_ok(s + u->last_start, u->last_end - u->last_start, bare))
            return 0;
    }
    return u->end;
}

/* ---- canonical form ----------------------------------------------------------------------------- */

typedef struct writer {
    char *out;
    size_t cap, len;
    bool full;
} writer;

static void put(writer *w, const void *data, size_t n)
{
    if (w->full)
        return;
    if (w->len + n >= w->cap) {
        w->full = true;
        return;
    }
    memcpy(w->out + w->len, data, n);
    w->len += n;
}

static void putc_(writer *w, char c)
{
    put(w, &c, 1);
}

/* Copy s[0..n) upper-casing the hex digits of percent escapes. */
static void put_pct(writer *w, const unsigned char *s, size_t n)
{
    size_t i = 0, run = 0;
    while (i < n) {
        if (s[i] == '%' && i + 2 < n && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
            put(w, s + run, i - run);
            char esc[3] = {'%', (char)s[i + 1], (char)s[i + 2]};
            for (int k = 1; k < 3; k++)
                if (esc[k] >= 'a' && esc[k] <= 'f')
                    esc[k] = (char)(esc[k] - 32);
            put(w, esc, 3);
            i += 3;
            run = i;
        } else {
            i++;
        }
    }
    put(w, s + run, n - run);
}

static bool key_is(const unsigned char *k, size_t kn, const char *name)
{
    size_t n = strlen(name);
    if (kn != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lc(k[i]) != (unsigned char)name[i])
            return false;
    return true;
}

static bool key_has_prefix(const unsigned char *k, size_t kn, const char *prefix)
{
    size_t n = strlen(prefix);
    return kn >= n && key_is(k, n, prefix);
}

/* host equals name or ends with "." name */
static bool host_in(const char *host, size_t hn, const char *name)
{
    size_t n = strlen(name);
    if (hn < n || memcmp(host + hn - n, name, n) != 0)
        return false;
    return hn == n || host[hn - n - 1] == '.';
}

enum { SITE_OTHER = 0, SITE_TWITTER, SITE_YOUTUBE, SITE_SPOTIFY, SITE_TIKTOK };

static int site_of(const char *host, size_t hn)
{
    if (host_in(host, hn, "twitter.com") || host_in(host, hn, "x.com"))
        return SITE_TWITTER;
    if (host_in(host, hn, "youtube.com") || host_in(host, hn, "youtu.be"))
        return SITE_YOUTUBE;
    if (host_in(host, hn, "spotify.com"))
        return SITE_SPOTIFY;
    if (host_in(host, hn, "tiktok.com"))
        return SITE_TIKTOK;
    return SITE_OTHER;
}

/*
 * Query parameters removed from canonical URLs. They identify the campaign, click or sharer, never
 * the document, so two shares of one page compare equal without them:
 *   utm_*                       Google Analytics / Urchin campaign tags
 *   fbclid, mibextid, __cft__*, __tn__   Facebook click and share ids
 *   gclid, gclsrc, dclid, gbraid, wbraid, _ga, _gl   Google Ads, DoubleClick, GA cross-domain linker
 *   msclkid (Microsoft Ads), yclid (Yandex), twclid (X/Twitter ads), ttclid (TikTok ads),
 *   li_fat_id (LinkedIn), mc_cid, mc_eid (Mailchimp), igshid, igsh (Instagram share),
 *   _hsenc, _hsmi (HubSpot), mkt_tok (Marketo), wt_mc, wt.mc_id (Webtrends), ref_src, ref_url
 *   (Twitter embeds).
 * Site-specific, because elsewhere the same names carry meaning: s and t on twitter.com / x.com
 * (share source and token), si on YouTube and Spotify (share id), feature=share|shared|youtu.be on
 * YouTube, is_from_webapp, sender_device, _r and _t on TikTok.
 */
static bool is_tracking(const unsigned char *k, size_t kn, const unsigned char *v, size_t vn, int site)
{
    static const char *const global[] = {
        "fbclid", "mibextid", "__tn__", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "_ga", "_gl",
        "msclkid", "yclid", "twclid", "ttclid", "li_fat_id", "mc_cid", "mc_eid", "igshid", "igsh",
        "_hsenc", "_hsmi", "mkt_tok", "wt_mc", "wt.mc_id", "ref_src", "ref_url"};
    if (key_has_prefix(k, kn, "utm_") || key_has_prefix(k, kn, "__cft__"))
        return true;
    for (size_t i = 0; i < CRED_ARRAY_LEN(global); i++)
        if (key_is(k, kn, global[i]))
            return true;
    switch (site) {
    case SITE_TWITTER:
        return key_is(k, kn, "s") || key_is(k, kn, "t");
    case SITE_YOUTUBE:
        return key_is(k, kn, "si") ||
               (key_is(k, kn, "feature") &&
                (key_is(v, vn, "share") || key_is(v, vn, "shared") || key_is(v, vn, "youtu.be")));
    case SITE_SPOTIFY:
        return key_is(k, kn, "si");
    case SITE_TIKTOK:
        return key_is(k, kn, "is_from_webapp") || key_is(k, kn, "sender_device") || key_is(k, kn, "_r") ||
               key_is(k, kn, "_t");
    default:
        return false;
    }
}

/*
 * Write the canonical form of the parsed URL: scheme (http:// added when absent, hxxp/fxp restored),
 * host de-obfuscated, lower-cased and without a trailing dot, userinfo dropped, port kept unless it
 * is the scheme's default, path as written ("/" when empty) with percent-escape hex upper-cased,
 * query without tracking parameters (order kept, empty parameters and an empty query dropped),
 * fragment dropped. host_off/host_len receive where the host stands in the output.
 */
static void write_canonical(writer *w, const unsigned char *s, const url_parts *u, size_t *host_off,
                            size_t *host_len)
{
    static const char *const prefix[] = {"http://", "http://", "https://", "ftp://"};
    put(w, prefix[u->scheme], strlen(prefix[u->scheme]));

    *host_off = w->len;
    for (size_t i = u->host_start; i < u->host_end;) {
        size_t d = u->ipv6 ? 0 : dot_sep(s + i, u->host_end - i);
        if (d) {
            putc_(w, '.');
            i += d;
            continue;
        }
        int32_t cp;
        int k = cred_utf8_decode(s + i, u->host_end - i, &cp);
        char enc[4];
        cp = cp < 0x80 ? (int32_t)lc((unsigned char)cp) : utf8proc_tolower(cp);
        put(w, enc, (size_t)cred_utf8_encode(cp, enc));
        i += (size_t)k;
    }
    *host_len = w->full ? 0 : w->len - *host_off;

    if (u->port_end > u->port_start) {
        unsigned long port = 0;
        for (size_t i = u->port_start; i < u->port_end; i++)
            port = port * 10 + (unsigned long)(s[i] - '0');
        unsigned long dflt = u->scheme == SCHEME_HTTPS ? 443 : u->scheme == SCHEME_FTP ? 21 : 80;
        if (port != dflt) {
            char num[16];
            int n = snprintf(num, sizeof(num), ":%lu", port);
            put(w, num, (size_t)n);
        }
    }

    const unsigned char *r = s + u->rest_start;
    size_t rn = u->end - u->rest_start;
    const unsigned char *hash = memchr(r, '#', rn);
    if (hash)
        rn = (size_t)(hash - r);
    const unsigned char *q = memchr(r, '?', rn);
    size_t pn = q ? (size_t)(q - r) : rn;
    if (pn == 0)
        putc_(w, '/');
    else
        put_pct(w, r, pn);
    if (!q)
        return;

    int site = site_of(w->out + *host_off, *host_len);
    const unsigned char *qe = r + rn;
    bool first = true;
    for (const unsigned char *a = q + 1; a < qe;) {
        const unsigned char *amp = memchr(a, '&', (size_t)(qe - a));
        const unsigned char *e = amp ? amp : qe;
        if (e > a) {
            const unsigned char *eq = memchr(a, '=', (size_t)(e - a));
            size_t kn = eq ? (size_t)(eq - a) : (size_t)(e - a);
            const unsigned char *v = eq ? eq + 1 : e;
            if (!is_tracking(a, kn, v, (size_t)(e - v), site)) {
                putc_(w, first ? '?' : '&');
                put_pct(w, a, (size_t)(e - a));
                first = false;
            }
        }
        a = e + 1;
    }
}

/* Trim ASCII white space on both ends. */
static void trim(const char **s, size_t *len)
{
    while (*len && ((unsigned char)**s <= 0x20)) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((unsigned char)(*s)[*len - 1] <= 0x20))
        (*len)--;
}

/* Finish w into a NUL-terminated string. Writes are all-or-nothing per piece, so a cut output ends
 * on a character boundary. */
static int finish(writer *w)
{
    w->out[w->len] = '\0';
    if (!w->full)
        return 0;
    return cred__error(CRED_ELIMIT, "canonical URL longer than %zu bytes", w->cap - 1);
}

size_t cred_text__url_len(const char *s, size_t len, size_t pos)
{
    url_parts u;
    if (s == NULL || pos >= len)
        return 0;
    size_t end = url_parse((const unsigned char *)s, len, pos, false, &u);
    return end > pos ? end - pos : 0;
}

int cred_url_canonical(char *out, size_t cap, const char *url, size_t len)
{
    url_parts u;
    size_t ho, hl;
    if (out == NULL || cap == 0 || (url == NULL && len))
        return cred__error(CRED_EINVAL, "cred_url_canonical: invalid argument");
    out[0] = '\0';
    trim(&url, &len);
    if (len == 0 || !url_parse((const unsigned char *)url, len, 0, true, &u))
        return cred__error(CRED_EINVAL, "not a URL");
    writer w = {out, cap, 0, false};
    write_canonical(&w, (const unsigned char *)url, &u, &ho, &hl);
    return finish(&w);
}

static bool is_ipv4(const char *h, size_t n)
{
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i] == '.')
            dots++;
        else if (!is_digit((unsigned char)h[i]))
            return false;
    }
    return dots == 3;
}

/*
 * The answers of libpsl for recent hosts, per thread: posts link to few hosts over and over, and one
 * psl_registrable_domain() call costs thousands of instructions. Direct-mapped by XXH3 of the host.
 */
#define REG_CACHE_SLOTS 256
#define REG_CACHE_HOST 62
typedef struct reg_slot {
    uint8_t len;                 /* host length; 0: empty */
    uint8_t off;                 /* the registrable domain is host + off */
    char host[REG_CACHE_HOST];
} reg_slot;
static _Thread_local reg_slot t_reg[REG_CACHE_SLOTS];

/* Registrable domain of a lower-case, NUL-terminated host: a suffix of host (or host itself). */
static const char *registrable(const char *host, size_t n)
{
    if (n == 0 || host[0] == '[' || is_ipv4(host, n))
        return host;
    reg_slot *slot = NULL;
    if (n < REG_CACHE_HOST) {
        slot = &t_reg[cred_hash64(host, n, 0) & (REG_CACHE_SLOTS - 1)];
        if (slot->len == n && memcmp(slot->host, host, n) == 0)
            return host + slot->off;
    }
    const psl_ctx_t *ctx = psl();
    const char *d = ctx ? psl_registrable_domain(ctx, host) : NULL;
    d = d ? d : host;
    if (slot) {
        slot->len = (uint8_t)n;
        slot->off = (uint8_t)(d - host);
        memcpy(slot->host, host, n);
    }
    return d;
}

int cred_url_domain(char *out, size_t cap, const char *host, size_t len)
{
    char buf[HOST_MAX + 8];
    size_t bl;
    url_parts u;
    if (out == NULL || cap == 0 || (host == NULL && len))
        return cred__error(CRED_EINVAL, "cred_url_domain: invalid argument");
    out[0] = '\0';
    trim(&host, &len);
    if (len > 0 && host[len - 1] == '.')
        len--;
    if (len == 0 || len > HOST_MAX || !lower_copy(buf, sizeof(buf), (const unsigned char *)host, len, &bl))
        return cred__error(CRED_EINVAL, "not a host name");
    /* plain dots only: a host name, not running text */
    if (memchr(buf, '[', bl) || host_parse((const unsigned char *)buf, bl, 0, &u) != bl)
        return cred__error(CRED_EINVAL, "not a host name");
    const char *d = registrable(buf, bl);
    size_t dn = bl - (size_t)(d - buf);
    if (dn >= cap) {
        memcpy(out, d, cap - 1);
        out[cap - 1] = '\0';
        return cred__error(CRED_ELIMIT, "domain longer than %zu bytes", cap - 1);
    }
    memcpy(out, d, dn + 1);
    return 0;
}

int cred_text__link_parse(cred_arena *arena, const char *raw, size_t len, cred_link *out)
{
    url_parts u;
    size_t ho = 0, hl = 0;
    if (arena == NULL || out == NULL || (raw == NULL && len))
        return cred__error(CRED_EINVAL, "cred_text__link_parse: invalid argument");
    trim(&raw, &len);
    if (len == 0 || !url_parse((const unsigned char *)raw, len, 0, true, &u))
        return cred__error(CRED_EINVAL, "not a URL");
    /* output ≤ scheme + input + "/" ; lower-casing grows a character by at most 2x */
    size_t cap = 2 * len + 16;
    char *buf = cred_arena_alloc(arena, cap);
    if (buf == NULL)
        return cred__error_nomem();
    writer w = {buf, cap, 0, false};
    write_canonical(&w, (const unsigned char *)raw, &u, &ho, &hl);
    if (finish(&w) < 0)
        return cred__error(CRED_EINVAL, "URL does not fit its canonical buffer");
    char *host = cred_arena_strndup(arena, buf + ho, hl);
    if (host == NULL)
        return cred__error_nomem();
    const char *d = registrable(host, hl);
    out->url = buf;
    out->host = host;
    out->domain = d; /* a suffix of host, NUL-terminated with it */
    return 0;
}
