/*
 * SubRip (.srt) reader, lenient about what real files get wrong:
 *  - encodings: UTF-8 with or without BOM, UTF-16 LE/BE (BOM, or NULs in every other byte), and
 *    windows-1252 when the file is not UTF-8 (iconv); CRLF, CR and LF line ends;
 *  - a cue is [index line] timing line, text lines, blank line; a cue may start without its index, or
 *    without the blank line before it (a lone integer line followed by a timing line starts a cue; a
 *    lone integer not followed by one is text); whitespace-only lines count as blank;
 *  - times "hh:mm:ss,mmm", also with '.', unpadded fields ("1:2:3,4" reads 4 ms) and "mm:ss,mmm";
 *    coordinates after the end time ("X1:100 ...") are kept as the cue settings;
 *  - a timing line that does not parse is reported with line and column, and its cue skipped; times
 *    that parse but are odd (end before start, out of order, a field over 59) are kept and reported.
 * The plain text drops <i> <b> <u> <s> <font ...> tags and ASS overrides such as "{\an8}".
 */
#include "transcript.h"

#include <stdlib.h>
#include <strings.h>

typedef struct line_t {
    const char *s;
    size_t n;
} line_t;

typedef struct oddity {
    uint64_t count, first_line;
} oddity;

enum { ODD_DOT, ODD_UNPADDED, ODD_NO_INDEX, ODD_SETTINGS, ODD_BLANK_WS, ODD_COUNT };

static const char *const odd_what[ODD_COUNT] = {
    "cue time(s) with '.' instead of ',' before the milliseconds",
    "cue time(s) with fields not padded to 2 (3) digits (\",4\" read as 4 ms)",
    "cue(s) without an index line",
    "cue(s) with settings or coordinates after the end time (kept as settings)",
    "whitespace-only line(s) read as blank",
};

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool blank(line_t l)
{
    for (size_t i = 0; i < l.n; i++)
        if (l.s[i] != ' ' && l.s[i] != '\t' && l.s[i] != '\f' && l.s[i] != '\v')
            return false;
    return true;
}

static bool is_index(line_t l)
{
    size_t a = 0, b = l.n;
    while (a < b && (l.s[a] == ' ' || l.s[a] == '\t'))
        a++;
    while (b > a && (l.s[b - 1] == ' ' || l.s[b - 1] == '\t'))
        b--;
    if (a == b || b - a > 12)
        return false;
    for (size_t i = a; i < b; i++)
        if (!digit(l.s[i]))
            return false;
    return true;
}

static bool has_arrow(line_t l)
{
    return l.n >= 3 && memmem(l.s, l.n, "-->", 3) != NULL;
}

typedef struct tflags {
    bool dot, unpadded, over59;
} tflags;

/* "h:m:s,ms" or "m:s,ms" with 1+ digits per field. -1 with *i at the problem. */
static int srt_time(const char *s, size_t n, size_t *i, double *out, tflags *f, const char **why)
{
    uint64_t v[3] = {0, 0, 0};
    size_t len[3] = {0, 0, 0}, k = 0;
    while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
        (*i)++;
    for (;;) {
        *why = "expected digits";
        size_t d = *i;
        while (*i < n && digit(s[*i]) && *i - d < 9)
            v[k] = v[k] * 10 + (uint64_t)(s[(*i)++] - '0');
        len[k] = *i - d;
        if (len[k] == 0)
            return -1;
        if (k < 2 && *i < n && s[*i] == ':') {
            (*i)++;
            k++;
            continue;
        }
        break;
    }
    *why = "expected hours:minutes:seconds";
    if (k == 0)
        return -1;
    *why = "expected ',' and milliseconds";
    if (*i >= n || (s[*i] != ',' && s[*i] != '.'))
        return -1;
    f->dot |= s[*i] == '.';
    (*i)++;
    size_t d = *i;
    uint64_t ms = 0;
    while (*i < n && digit(s[*i]) && *i - d < 9)
        ms = ms * 10 + (uint64_t)(s[(*i)++] - '0');
    if (*i == d)
        return -1;
    double h = k == 2 ? (double)v[0] : 0, m = (double)v[k - 1], sec = (double)v[k];
    f->unpadded |= *i - d != 3 || len[k] != 2 || len[k - 1] != 2 || (k == 2 && len[0] < 2);
    f->over59 |= v[k] > 59 || v[k - 1] > 59;
    /* more than three millisecond digits: read as a fraction of a second */
    double div = 1000.0;
    for (size_t q = 3; q < *i - d; q++)
        div *= 10;
    double frac = (double)ms / div;
    *out = h * 3600 + m * 60 + sec + frac;
    return 0;
}

typedef struct srt {
    cred_cues *out;
    cred_reader *r;
    oddity odd[ODD_COUNT];
    double last_start;
    bool any;
} srt;

static void odd(srt *p, int what, uint64_t line)
{
    if (p->odd[what].count++ == 0)
        p->odd[what].first_line = line;
}

/* Parse a timing line. 0, or -1 after reporting it. */
static int timing(srt *p, line_t l, uint64_t lineno, double *a, double *b, line_t *settings)
{
    size_t i = 0;
    tflags f = {0};
    const char *why;
    if (srt_time(l.s, l.n, &i, a, &f, &why) < 0)
        goto bad;
    while (i < l.n && (l.s[i] == ' ' || l.s[i] == '\t'))
        i++;
    why = "expected '-->' after the start time";
    if (l.n - i < 3 || memcmp(l.s + i, "-->", 3) != 0)
        goto bad;
    i += 3;
    if (srt_time(l.s, l.n, &i, b, &f, &why) < 0)
        goto bad;
    while (i < l.n && (l.s[i] == ' ' || l.s[i] == '\t'))
        i++;
    *settings = (line_t){l.s + i, l.n - i};
    while (settings->n && (settings->s[settings->n - 1] == ' ' || settings->s[settings->n - 1] == '\t'))
        settings->n--;
    if (settings->n)
        odd(p, ODD_SETTINGS, lineno);
    if (f.dot)
        odd(p, ODD_DOT, lineno);
    if (f.unpadded)
        odd(p, ODD_UNPADDED, lineno);
    if (f.over59)
        cred_tr__diag(p->r, CRED_SEV_WARNING, CRED_ESYNTAX, lineno, 1, "minutes or seconds field over 59 (kept)");
    if (*b < *a)
        cred_tr__diag(p->r, CRED_SEV_WARNING, CRED_ESYNTAX, lineno, 1, "cue ends before it starts (kept)");
    if (p->any && *a < p->last_start)
        cred_tr__diag(p->r, CRED_SEV_WARNING, CRED_ESYNTAX, lineno, 1,
                      "cue starts before the previous one (kept; posts are ordered by time)");
    p->any = true;
    p->last_start = *a;
    return 0;
bad:
    cred_tr__diag(p->r, CRED_SEV_ERROR, CRED_ESYNTAX, lineno, i + 1, "bad cue timing: %s; cue skipped", why);
    return -1;
}

/* Plain text of a cue: drop <i> <b> <u> <s> <font ...> (and closing) tags and "{\...}" overrides. */
static int plain(cred_buf *out, const char *s, size_t n)
{
    static const char *const tags[] = {"i", "b", "u", "s", "font"};
    size_t i = 0;
    while (i < n) {
        if (s[i] == '<') {
            size_t j = i + 1 + (i + 1 < n && s[i + 1] == '/');
            size_t k = j;
            while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z')))
                k++;
            const char *gt = memchr(s + k, '>', n - k);
            bool known = false;
            for (size_t t = 0; t < CRED_ARRAY_LEN(tags) && !known; t++)
                known = strlen(tags[t]) == k - j && strncasecmp(s + j, tags[t], k - j) == 0;
            if (known && gt && (s[k] == '>' || s[k] == ' ' || s[k] == '\t') && !memchr(s + k, '\n', (size_t)(gt - (s + k)))) {
                i = (size_t)(gt - s) + 1;
                continue;
            }
        } else if (s[i] == '{' && i + 1 < n && s[i + 1] == '\\') {
            const char *cb = memchr(s + i, '}', n - i);
            if (cb && !memchr(s + i, '\n', (size_t)(cb - (s + i)))) {
                i = (size_t)(cb - s) + 1;
                continue;
            }
        }
        if (cred_buf_putc(out, s[i++]) < 0)
            return cred__error_nomem();
    }
    return cred_buf_terminate(out) < 0 ? cred__error_nomem() : 0;
}

/* Does l look like an SRT timing line? */
static bool timing_like(line_t l)
{
    size_t i = 0;
    double t;
    tflags f = {0};
    const char *why;
    if (srt_time(l.s, l.n, &i, &t, &f, &why) < 0)
        return false;
    while (i < l.n && (l.s[i] == ' ' || l.s[i] == '\t'))
        i++;
    if (l.n - i < 3 || memcmp(l.s + i, "-->", 3) != 0)
        return false;
    i += 3;
    return srt_time(l.s, l.n, &i, &t, &f, &why) == 0;
}

/* Does a new cue start at line i of a cue's text (index + timing line, or a timing line)? */
static bool cue_starts(const line_t *v, size_t nl, size_t i)
{
    return timing_like(v[i]) || (is_index(v[i]) && i + 1 < nl && timing_like(v[i + 1]));
}

int cred_srt__parse(cred_cues *out, const char *src, size_t n, cred_reader *r)
{
    cred_buf u = CRED_BUF_INIT, raw = CRED_BUF_INIT, txt = CRED_BUF_INIT;
    line_t *v = NULL;
    size_t nl = 0, cap = 0;
    srt p = {.out = out, .r = r};
    char *settings = NULL;
    int rc = cred_tr__to_utf8(&u, src, n, true, r);
    if (rc < 0)
        goto done;
    for (size_t i = 0, a = 0; i <= u.len; i++) {
        if (i == u.len || u.ptr[i] == '\n' || u.ptr[i] == '\r') {
            if (i == u.len && a == i)
                break;
            if (CRED_GROW(v, cap, nl + 1) < 0)
                CRED_TRY(cred__error_nomem());
            v[nl++] = (line_t){u.ptr + a, i - a};
            if (i < u.len && u.ptr[i] == '\r' && i + 1 < u.len && u.ptr[i + 1] == '\n')
                i++;
            a = i + 1;
        }
    }
    size_t i = 0;
    while (i < nl) {
        if (blank(v[i])) {
            if (v[i].n)
                odd(&p, ODD_BLANK_WS, i + 1);
            i++;
            continue;
        }
        if (is_index(v[i]) && i + 1 < nl && has_arrow(v[i + 1])) {
            i++;
        } else if (has_arrow(v[i])) {
            odd(&p, ODD_NO_INDEX, i + 1);
        } else {
            size_t first = i;
            while (i < nl && !blank(v[i]) && !(i > first && cue_starts(v, nl, i)))
                i++;
            cred_tr__diag(r, CRED_SEV_ERROR, CRED_ESYNTAX, first + 1, 1,
                          "%zu line(s) without a cue timing line; skipped", i - first);
            continue;
        }
        double a, b;
        line_t set;
        uint64_t tline = i + 1;
        bool ok = timing(&p, v[i], tline, &a, &b, &set) == 0;
        i++;
        raw.len = txt.len = 0;
        while (i < nl && !blank(v[i])) {
            if (cue_starts(v, nl, i)) {
                cred_tr__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, i + 1, 1,
                              "missing blank line before this cue (a new index and timing line start it)");
                break;
            }
            if ((raw.len && cred_buf_putc(&raw, '\n') < 0) || cred_buf_put(&raw, v[i].s, v[i].n) < 0)
                CRED_TRY(cred__error_nomem());
            i++;
        }
        if (!ok)
            continue;
        CRED_TRY(plain(&txt, raw.ptr ? raw.ptr : "", raw.len));
        free(settings);
        CRED_TRY_ALLOC(settings = cred__strndup(set.s, set.n));
        CRED_TRY(cred_cues_add(out, NULL, a, b, raw.ptr, raw.len, txt.ptr, txt.len, settings, tline));
    }
    for (int k = 0; k < ODD_COUNT; k++)
        if (p.odd[k].count)
            cred_tr__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, p.odd[k].first_line, 1, "%llu %s (first here)",
                          (unsigned long long)p.odd[k].count, odd_what[k]);
done:
    free(settings);
    free(v);
    cred_buf_free(&u);
    cred_buf_free(&raw);
    cred_buf_free(&txt);
    return rc < 0 ? rc : 0;
}

/* ---- probe ------------------------------------------------------------------------------------- */

/* Up to 3 first non-blank lines of an ASCII-compatible head. */
static int probe_utf8(const char *s, size_t n)
{
    line_t l[3];
    size_t k = 0, i = 0, scanned_blank = 0;
    while (i < n && k < 3) {
        size_t a = i;
        while (i < n && s[i] != '\n' && s[i] != '\r')
            i++;
        line_t x = {s + a, i - a};
        if (i < n && s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
            i++;
        if (i >= n && k < 2)
            x.n = i - a; /* the head may end mid-line */
        i++;
        if (blank(x)) {
            if (++scanned_blank > 64)
                return 0;
            continue;
        }
        l[k++] = x;
    }
    if (k >= 2 && is_index(l[0]) && timing_like(l[1]))
        return 95;
    if (k >= 1 && timing_like(l[0]))
        return 80;
    return 0;
}

static int probe(const char *head, size_t len)
{
    head = cred_tr__skip_bom(head, &len);
    bool le = len >= 2 && (unsigned char)head[0] == 0xFF && (unsigned char)head[1] == 0xFE;
    bool be = len >= 2 && (unsigned char)head[0] == 0xFE && (unsigned char)head[1] == 0xFF;
    size_t zeros_odd = 0, zeros_even = 0, lim = CRED_MIN(len, 512) & ~(size_t)1;
    for (size_t i = 0; i < lim; i += 2) {
        zeros_even += head[i] == 0;
        zeros_odd += head[i + 1] == 0;
    }
    if (!le && !be && lim >= 8) {
        le = zeros_odd * 3 >= lim / 2 && zeros_even * 10 < lim / 2;
        be = zeros_even * 3 >= lim / 2 && zeros_odd * 10 < lim / 2;
    }
    if (le || be) {
        /* UTF-16: take every other byte of the first 2 KiB (the ASCII the probe looks at) */
        char tmp[1024];
        size_t k = 0, start = (len >= 2 && ((unsigned char)head[0] >= 0xFE)) ? 2 : 0;
        for (size_t i = start + (be ? 1 : 0); i < len && k < sizeof tmp; i += 2)
            tmp[k++] = head[i];
        return probe_utf8(tmp, k);
    }
    return probe_utf8(head, len);
}

static int open_srt(cred_reader *r)
{
    return cred_tr__open(r, cred_srt__parse);
}

const cred_io_driver cred_io__srt = {CRED_FORMAT_SRT, probe, open_srt, cred_tr__next, cred_tr__close};
