/*
 * WebVTT reader, following the W3C WebVTT parser algorithm (file parsing, "collect a WebVTT block",
 * cue timings, cue text tokenizer), checked against the WPT golden files.
 *
 * Departures from the spec, all on input the spec rejects: a file without the "WEBVTT" signature is
 * reported (error) and still read as if it had one; lines outside any cue (other than NOTE, STYLE and
 * REGION blocks and the header) are reported and skipped; a cue whose timing line does not parse is
 * reported with line and column and skipped, as the spec drops it. Cue settings are kept as written.
 * Memory: the input, its UTF-8/LF-normalised copy and the cues.
 */
#include "transcript.h"

#include <stdlib.h>

typedef struct vtt {
    const char *s; /* UTF-8, line feeds only */
    size_t n, pos;
    uint64_t line;      /* 1-based line at pos */
    bool seen_cue;
    cred_cues *out;
    cred_reader *r;
    cred_buf buf;       /* block buffer */
    cred_buf text;      /* plain text scratch */
} vtt;

enum { B_NONE, B_CUE, B_STYLE, B_REGION, B_FAILED };

static bool ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Collect a WebVTT timestamp at s[*i..n). Returns 0 and the seconds, or -1 with *i at the problem. */
static int timestamp(const char *s, size_t n, size_t *i, double *out, const char **why)
{
    bool hours = false;
    *why = "timestamp must start with a digit";
    if (*i >= n || !digit(s[*i]))
        return -1;
    size_t d = *i;
    uint64_t v1 = 0, v2 = 0, v3 = 0, v4 = 0;
    for (; *i < n && digit(s[*i]); (*i)++)
        v1 = v1 > 100000000000ull ? v1 : v1 * 10 + (uint64_t)(s[*i] - '0');
    if (*i - d != 2 || v1 > 59)
        hours = true;
    *why = "expected ':' in timestamp";
    if (*i >= n || s[*i] != ':')
        return -1;
    (*i)++;
    *why = "minutes must be exactly two digits";
    d = *i;
    for (; *i < n && digit(s[*i]); (*i)++)
        v2 = v2 * 10 + (uint64_t)(s[*i] - '0');
    if (*i - d != 2)
        return -1;
    if (hours || (*i < n && s[*i] == ':')) {
        *why = "expected ':' before seconds";
        if (*i >= n || s[*i] != ':')
            return -1;
        (*i)++;
        *why = "seconds must be exactly two digits";
        d = *i;
        for (; *i < n && digit(s[*i]); (*i)++)
            v3 = v3 * 10 + (uint64_t)(s[*i] - '0');
        if (*i - d != 2)
            return -1;
    } else {
        v3 = v2;
        v2 = v1;
        v1 = 0;
    }
    *why = "expected '.' before milliseconds";
    if (*i >= n || s[*i] != '.')
        return -1;
    (*i)++;
    *why = "milliseconds must be exactly three digits";
    d = *i;
    for (; *i < n && digit(s[*i]); (*i)++)
        v4 = v4 * 10 + (uint64_t)(s[*i] - '0');
    if (*i - d != 3)
        return -1;
    *why = "minutes and seconds must be at most 59";
    if (v2 > 59 || v3 > 59)
        return -1;
    *out = (double)v1 * 3600 + (double)v2 * 60 + (double)v3 + (double)v4 / 1000;
    return 0;
}

/* Parse a cue timing line; on failure report it (line, column) and return -1. */
static int timings(vtt *p, const char *s, size_t n, uint64_t line, double *start, double *end,
                   const char **settings, size_t *settings_len, bool quiet)
{
    size_t i = 0;
    const char *why;
    while (i < n && ws(s[i]))
        i++;
    if (timestamp(s, n, &i, start, &why) < 0)
        goto bad;
    while (i < n && ws(s[i]))
        i++;
    why = "expected '-->' after the start time";
    if (n - i < 3 || memcmp(s + i, "-->", 3) != 0)
        goto bad;
    i += 3;
    while (i < n && ws(s[i]))
        i++;
    if (timestamp(s, n, &i, end, &why) < 0)
        goto bad;
    while (i < n && ws(s[i]))
        i++;
    *settings = s + i;
    *settings_len = n - i;
    while (*settings_len && ws((*settings)[*settings_len - 1]))
        (*settings_len)--;
    if (*end < *start)
        cred_tr__diag(p->r, CRED_SEV_NOTE, CRED_ESYNTAX, line, 1, "cue ends before it starts");
    return 0;
bad:
    if (!quiet)
        cred_tr__diag(p->r, CRED_SEV_ERROR, CRED_ESYNTAX, line, i + 1, "bad cue timing: %s; cue skipped", why);
    return -1;
}

static bool only_ws_after(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n < k || memcmp(s, word, k) != 0)
        return false;
    for (size_t i = k; i < n; i++)
        if (!ws(s[i]))
            return false;
    return true;
}

static int add_cue(vtt *p, const char *id, double start, double end, const char *settings, uint64_t line)
{
    p->text.len = 0;
    int rc = cred_vtt__cue_text(&p->text, p->buf.ptr ? p->buf.ptr : "", p->buf.len);
    if (rc < 0)
        return rc;
    return cred_cues_add(p->out, id, start, end, p->buf.ptr, p->buf.len, p->text.ptr, p->text.len, settings,
                         line);
}

/* "Collect a WebVTT block". Returns B_* or a negative code (ENOMEM). */
static int block(vtt *p, bool in_header)
{
    size_t line_count = 0, prev_pos = p->pos;
    uint64_t prev_line = p->line, cue_line = 0, first_line = p->line;
    bool seen_eof = false, seen_arrow = false, have_cue = false, failed = false;
    int kind = B_NONE;
    double start = 0, end = 0;
    char *id = NULL, *settings = NULL;
    int rc = 0;
    p->buf.len = 0;
    for (;;) {
        const char *line = p->s + p->pos;
        const char *nl = memchr(line, '\n', p->n - p->pos);
        size_t len = nl ? (size_t)(nl - line) : p->n - p->pos;
        uint64_t lineno = p->line;
        p->pos += len;
        line_count++;
        if (p->pos >= p->n) {
            seen_eof = true;
        } else {
            p->pos++;
            p->line++;
        }
        if (len >= 3 && memmem(line, len, "-->", 3)) {
            if (!in_header && (line_count == 1 || (line_count == 2 && !seen_arrow))) {
                seen_arrow = true;
                prev_pos = p->pos;
                prev_line = p->line;
                const char *set;
                size_t set_len;
                free(id);
                free(settings);
                id = settings = NULL;
                have_cue = false;
                /* an arrow inside a NOTE block is not a cue the author meant: no report */
                bool note = p->buf.len >= 4 && memcmp(p->buf.ptr, "NOTE", 4) == 0 &&
                            (p->buf.len == 4 || ws(p->buf.ptr[4]));
                if (timings(p, line, len, lineno, &start, &end, &set, &set_len, note) == 0) {
                    id = cred__strndup(p->buf.ptr ? p->buf.ptr : "", p->buf.len);
                    settings = cred__strndup(set, set_len);
                    CRED_TRY_ALLOC(id);
                    CRED_TRY_ALLOC(settings);
                    p->buf.len = 0;
                    p->seen_cue = true;
                    have_cue = true;
                    cue_line = lineno;
                } else {
                    failed = true;
                }
            } else {
                if (!in_header && have_cue)
                    cred_tr__diag(p->r, CRED_SEV_WARNING, CRED_ESYNTAX, lineno, 1,
                                  "missing blank line before this cue timing line");
                p->pos = prev_pos;
                p->line = prev_line;
                break;
            }
        } else if (len == 0) {
            break;
        } else {
            if (!in_header && line_count == 2 && !p->seen_cue && p->buf.ptr) {
                if (only_ws_after(p->buf.ptr, p->buf.len, "STYLE")) {
                    kind = B_STYLE;
                    p->buf.len = 0;
                } else if (only_ws_after(p->buf.ptr, p->buf.len, "REGION")) {
                    kind = B_REGION;
                    p->buf.len = 0;
                }
            }
            if (p->buf.len && cred_buf_putc(&p->buf, '\n') < 0)
                CRED_TRY(cred__error_nomem());
            if (cred_buf_put(&p->buf, line, len) < 0)
                CRED_TRY(cred__error_nomem());
            prev_pos = p->pos;
            prev_line = p->line;
        }
        if (seen_eof)
            break;
    }
    if (have_cue) {
        CRED_TRY(add_cue(p, id, start, end, settings, cue_line));
        rc = B_CUE;
    } else if (kind != B_NONE) {
        rc = kind;
    } else if (failed) {
        rc = B_FAILED;
    } else {
        rc = B_NONE;
        if (!in_header && p->buf.len && !(p->buf.len >= 4 && memcmp(p->buf.ptr, "NOTE", 4) == 0 &&
                                          (p->buf.len == 4 || ws(p->buf.ptr[4]))))
            cred_tr__diag(p->r, CRED_SEV_ERROR, CRED_ESYNTAX, first_line, 1,
                          "text without a cue timing line; skipped");
    }
done:
    free(id);
    free(settings);
    return rc;
}

/* Header lines such as "Language: en" (YouTube, Kind/Language metadata). */
static int header_meta(vtt *p)
{
    const char *s = p->buf.ptr ? p->buf.ptr : "";
    size_t n = p->buf.len;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (s + i)) : n - i;
        if (len > 9 && len < 64 && strncasecmp(s + i, "Language:", 9) == 0) {
            size_t a = i + 9, b = i + len;
            while (a < b && ws(s[a]))
                a++;
            while (b > a && ws(s[b - 1]))
                b--;
            if (b > a && !(p->out->lang = cred_arena_strndup(&p->out->mem, s + a, b - a)))
                return cred__error_nomem();
        }
        i += len + 1;
    }
    return 0;
}

int cred_vtt__parse(cred_cues *out, const char *src, size_t n, cred_reader *r)
{
    cred_buf u = CRED_BUF_INIT, lf = CRED_BUF_INIT;
    vtt p = {0};
    int rc = cred_tr__to_utf8(&u, src, n, false, r);
    if (rc < 0)
        goto done;
    /* line terminators: CRLF, CR and LF all become LF */
    CRED_TRY(cred_buf_reserve(&lf, u.len + 1) < 0 ? cred__error_nomem() : 0);
    for (size_t i = 0; i < u.len; i++) {
        char c = u.ptr[i];
        if (c == '\r') {
            if (i + 1 < u.len && u.ptr[i + 1] == '\n')
                i++;
            c = '\n';
        }
        lf.ptr[lf.len++] = c;
    }
    p = (vtt){lf.ptr ? lf.ptr : "", lf.len, 0, 1, false, out, r, CRED_BUF_INIT, CRED_BUF_INIT};
    if (p.n < 6 || memcmp(p.s, "WEBVTT", 6) != 0 || (p.n > 6 && p.s[6] != ' ' && p.s[6] != '\t' && p.s[6] != '\n')) {
        cred_tr__diag(r, CRED_SEV_ERROR, CRED_EFORMAT, 1, 1,
                      "missing \"WEBVTT\" signature; read as WebVTT all the same");
    } else {
        const char *nl = memchr(p.s, '\n', p.n);
        if (!nl)
            goto done;
        p.pos = (size_t)(nl - p.s) + 1;
        p.line = 2;
        if (p.pos < p.n && p.s[p.pos] != '\n') {
            CRED_TRY(block(&p, true));
            CRED_TRY(header_meta(&p));
        } else if (p.pos < p.n) {
            p.pos++;
            p.line++;
        }
    }
    for (;;) {
        while (p.pos < p.n && p.s[p.pos] == '\n') {
            p.pos++;
            p.line++;
        }
        if (p.pos >= p.n)
            break;
        CRED_TRY(block(&p, false));
    }
done:
    cred_buf_free(&p.buf);
    cred_buf_free(&p.text);
    cred_buf_free(&u);
    cred_buf_free(&lf);
    return rc < 0 ? rc : 0;
}

int cred_vtt__cue_text(cred_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '<') {
            const char *gt = memchr(s + i, '>', n - i);
            i = gt ? (size_t)(gt - s) + 1 : n;
        } else if (c == '&') {
            long used = cred_tr__entity(out, s + i, n - i);
            if (used < 0)
                return (int)used;
            if (used == 0 && cred_buf_putc(out, '&') < 0)
                return cred__error_nomem();
            i += used ? (size_t)used : 1;
        } else {
            size_t k = i;
            while (k < n && s[k] != '<' && s[k] != '&')
                k++;
            if (cred_buf_put(out, s + i, k - i) < 0)
                return cred__error_nomem();
            i = k;
        }
    }
    return cred_buf_terminate(out) < 0 ? cred__error_nomem() : 0;
}

/* "WEBVTT" at the start (after a BOM), followed by space, tab, line end or the end. */
static int probe(const char *head, size_t len)
{
    head = cred_tr__skip_bom(head, &len);
    if (len >= 6 && memcmp(head, "WEBVTT", 6) == 0 &&
        (len == 6 || head[6] == ' ' || head[6] == '\t' || head[6] == '\n' || head[6] == '\r'))
        return 100;
    return 0;
}

static int open_vtt(cred_reader *r)
{
    return cred_tr__open(r, cred_vtt__parse);
}

const cred_io_driver cred_io__vtt = {CRED_FORMAT_VTT, probe, open_vtt, cred_tr__next, cred_tr__close};
