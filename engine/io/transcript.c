/*
 * Shared parts of the transcript readers: the cue list, character references, conversion to UTF-8,
 * rolling-caption collapse, and the driver core that turns cues into one whole-transcript post plus
 * time-window posts (see transcript.h for the contract).
 */
#include "transcript.h"

#include <errno.h>
#include <iconv.h>
#include <libxml/HTMLparser.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- cues -------------------------------------------------------------------------------------- */

void cred_cues_init(cred_cues *c)
{
    memset(c, 0, sizeof *c);
    cred_arena_init(&c->mem, 64 * 1024);
}

void cred_cues_free(cred_cues *c)
{
    if (!c)
        return;
    free(c->v);
    cred_arena_free(&c->mem);
    memset(c, 0, sizeof *c);
}

int cred_cues_add(cred_cues *c, const char *id, double start, double end, const char *raw, size_t raw_len,
                  const char *text, size_t text_len, const char *settings, uint64_t line)
{
    if (CRED_GROW(c->v, c->cap, c->n + 1) < 0)
        return cred__error_nomem();
    cred_cue *q = &c->v[c->n];
    q->id = cred_arena_strndup(&c->mem, id ? id : "", id ? strlen(id) : 0);
    q->raw = cred_arena_strndup(&c->mem, raw ? raw : "", raw ? raw_len : 0);
    q->text = cred_arena_strndup(&c->mem, text ? text : "", text ? text_len : 0);
    q->settings = cred_arena_strndup(&c->mem, settings ? settings : "", settings ? strlen(settings) : 0);
    if (!q->id || !q->raw || !q->text || !q->settings)
        return cred__error_nomem();
    q->start = start;
    q->end = end;
    q->line = line;
    c->n++;
    return 0;
}

void cred_tr__diag(cred_reader *r, cred_severity sev, int code, uint64_t line, uint64_t column,
                   const char *fmt, ...)
{
    if (!r)
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cred_io__diag(r, sev, code, line, column, "%s", msg);
}

const char *cred_tr__skip_bom(const char *s, size_t *n)
{
    if (*n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        *n -= 3;
        return s + 3;
    }
    return s;
}

/* ---- character references ---------------------------------------------------------------------- */

static int put_cp(cred_buf *out, int32_t cp)
{
    char u[4];
    if (cp <= 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    return cred_buf_put(out, u, (size_t)cred_utf8_encode(cp, u));
}

/* HTML maps numeric references to C1 controls through windows-1252 (0x80..0x9F; 0 = keep as is). */
static const uint16_t c1_map[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,
    0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0, 0x017E, 0x0178,
};

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Code point of a named reference, or 0. `legacy_only` accepts only names valid without ';'. */
static int32_t named(const char *name, size_t len, bool legacy_only)
{
    static const struct {
        const char *upper;
        int32_t cp;
    } upper[] = {{"AMP", '&'}, {"LT", '<'}, {"GT", '>'}, {"QUOT", '"'}, {"COPY", 0xA9}, {"REG", 0xAE}};
    char buf[40];
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, name, len);
    buf[len] = '\0';
    for (size_t i = 0; i < CRED_ARRAY_LEN(upper); i++)
        if (strcmp(buf, upper[i].upper) == 0)
            return upper[i].cp;
    const htmlEntityDesc *d = htmlEntityLookup((const xmlChar *)buf);
    if (!d)
        return 0;
    /* HTML's legacy names (usable without ';') are exactly the Latin-1 ones plus amp lt gt quot. */
    if (legacy_only && !(d->value == '"' || d->value == '&' || d->value == '<' || d->value == '>' ||
                         (d->value >= 0xA0 && d->value <= 0xFF)))
        return 0;
    return (int32_t)d->value;
}

long cred_tr__entity(cred_buf *out, const char *s, size_t n)
{
    if (n < 2 || s[0] != '&')
        return 0;
    size_t i = 1;
    if (s[1] == '#') {
        i = 2;
        bool hex = i < n && (s[i] == 'x' || s[i] == 'X');
        i += hex;
        size_t d0 = i;
        uint32_t v = 0;
        for (; i < n; i++) {
            int dv;
            char c = s[i];
            if (c >= '0' && c <= '9')
                dv = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                dv = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                dv = c - 'A' + 10;
            else
                break;
            v = v > 0x10FFFF ? v : v * (hex ? 16u : 10u) + (uint32_t)dv;
        }
        if (i == d0)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        if (v >= 0x80 && v <= 0x9F && c1_map[v - 0x80])
            v = c1_map[v - 0x80];
        int rc = put_cp(out, v > 0x10FFFF ? 0xFFFD : (int32_t)v);
        return rc < 0 ? rc : (long)i;
    }
    size_t e = 1;
    while (e < n && e < 40 && is_alnum(s[e]))
        e++;
    if (e < n && s[e] == ';') {
        int32_t cp = named(s + 1, e - 1, false);
        if (cp) {
            int rc = put_cp(out, cp);
            return rc < 0 ? rc : (long)(e + 1);
        }
    }
    /* Longest legacy name that prefixes the run ("&notit;" reads as "¬it;"). */
    for (size_t k = CRED_MIN(e - 1, 6); k >= 2; k--) { /* legacy names have 2..6 letters */
        int32_t cp = named(s + 1, k, true);
        if (cp) {
            int rc = put_cp(out, cp);
            return rc < 0 ? rc : (long)(k + 1);
        }
    }
    return 0;
}

int cred_tr__decode_entities(cred_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t k = amp ? (size_t)(amp - s) : n;
        if (cred_buf_put(out, s + i, k - i) < 0)
            return cred__error_nomem();
        if (!amp)
            break;
        long used = cred_tr__entity(out, s + k, n - k);
        if (used < 0)
            return (int)used;
        if (used == 0) {
            if (cred_buf_putc(out, '&') < 0)
                return cred__error_nomem();
            used = 1;
        }
        i = k + (size_t)used;
    }
    return 0;
}

/* ---- conversion to UTF-8 ----------------------------------------------------------------------- */

/* Convert with iconv; an unconvertible unit becomes U+FFFD (skipping `unit` bytes). Returns the count
 * of replacements, or CRED_ENOMEM. */
static long iconv_all(cred_buf *out, const char *from, const char *s, size_t n, size_t unit)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return cred__error(CRED_ERROR, "iconv cannot convert from %s", from);
    long bad = 0;
    char *in = (char *)s;
    size_t left = n;
    while (left > 0) {
        if (cred_buf_reserve(out, left * 2 + 16) < 0) {
            iconv_close(cd);
            return cred__error_nomem();
        }
        char *o = out->ptr + out->len;
        size_t room = out->cap - out->len;
        size_t rc = iconv(cd, &in, &left, &o, &room);
        out->len = (size_t)(o - out->ptr);
        if (rc != (size_t)-1 || errno == E2BIG)
            continue;
        /* EILSEQ or EINVAL (truncated at the end): replace one unit and go on */
        size_t skip = CRED_MIN(unit, left);
        in += skip;
        left -= skip;
        bad++;
        if (cred_buf_put(out, "\xEF\xBF\xBD", 3) < 0) {
            iconv_close(cd);
            return cred__error_nomem();
        }
    }
    iconv_close(cd);
    return bad;
}

/* 1 = UTF-16LE, 2 = UTF-16BE, 0 = neither: NULs mostly in odd (LE) or even (BE) positions. */
static int utf16_guess(const char *s, size_t n)
{
    size_t lim = CRED_MIN(n, 4096) & ~(size_t)1, even = 0, odd = 0;
    if (lim < 4)
        return 0;
    for (size_t i = 0; i < lim; i += 2) {
        even += s[i] == 0;
        odd += s[i + 1] == 0;
    }
    size_t pairs = lim / 2;
    if (odd * 10 >= pairs * 3 && even * 10 < pairs)
        return 1;
    if (even * 10 >= pairs * 3 && odd * 10 < pairs)
        return 2;
    return 0;
}

static bool has_multibyte_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x80)
            continue;
        int32_t cp;
        if (cred_utf8_decode((const unsigned char *)s + i, n - i, &cp) > 1)
            return true;
    }
    return false;
}

int cred_tr__to_utf8(cred_buf *out, const char *s, size_t n, bool cp1252, cred_reader *r)
{
    out->len = 0;
    const char *from = NULL;
    s = cred_tr__skip_bom(s, &n);
    if (n >= 2 && (unsigned char)s[0] == 0xFF && (unsigned char)s[1] == 0xFE) {
        from = "UTF-16LE";
        s += 2, n -= 2;
    } else if (n >= 2 && (unsigned char)s[0] == 0xFE && (unsigned char)s[1] == 0xFF) {
        from = "UTF-16BE";
        s += 2, n -= 2;
    } else {
        int g = utf16_guess(s, n);
        if (g) {
            from = g == 1 ? "UTF-16LE" : "UTF-16BE";
            cred_tr__diag(r, CRED_SEV_WARNING, CRED_EFORMAT, 1, 1, "no byte-order mark: read as %s", from);
        }
    }
    long bad = 0;
    cred_buf tmp = CRED_BUF_INIT;
    if (from) {
        bad = iconv_all(&tmp, from, s, n, 2);
        if (bad > 0)
            cred_tr__diag(r, CRED_SEV_WARNING, CRED_EFORMAT, 0, 0,
                          "%ld invalid %s code unit(s) replaced by U+FFFD", bad, from);
    } else if (cred_utf8_invalid_count(s, n) > 0) {
        if (cp1252 && !has_multibyte_utf8(s, n)) {
            bad = iconv_all(&tmp, "WINDOWS-1252", s, n, 1);
            cred_tr__diag(r, CRED_SEV_WARNING, CRED_EFORMAT, 0, 0, "invalid UTF-8, decoded as windows-1252");
        } else {
            bad = cred_utf8_sanitize(&tmp, s, n);
            cred_tr__diag(r, CRED_SEV_WARNING, CRED_EFORMAT, 0, 0,
                          "%ld invalid UTF-8 byte(s) replaced by U+FFFD", bad);
        }
    } else {
        bad = cred_buf_put(&tmp, s, n);
    }
    if (bad < 0) {
        cred_buf_free(&tmp);
        return (int)bad;
    }
    /* A BOM may follow a UTF-16 BOM-less guess; NUL becomes U+FFFD (as the WebVTT spec says). */
    size_t tn = tmp.len;
    const char *t = tmp.ptr ? cred_tr__skip_bom(tmp.ptr, &tn) : "";
    size_t nuls = 0;
    for (size_t i = 0; i < tn; i++) {
        int rc = t[i] ? cred_buf_putc(out, t[i]) : cred_buf_put(out, "\xEF\xBF\xBD", 3);
        nuls += t[i] == 0;
        if (rc < 0) {
            cred_buf_free(&tmp);
            return cred__error_nomem();
        }
    }
    cred_buf_free(&tmp);
    if (nuls)
        cred_tr__diag(r, CRED_SEV_WARNING, CRED_EFORMAT, 0, 0, "%zu NUL byte(s) replaced by U+FFFD", nuls);
    return cred_buf_terminate(out) < 0 ? cred__error_nomem() : 0;
}

/* ---- rolling captions -------------------------------------------------------------------------- */

typedef struct line_ref {
    const char *s;
    size_t n;
} line_ref;

/* Split text into trimmed, non-blank lines (up to cap). Returns the count. */
static size_t split_lines(const char *s, line_ref *v, size_t cap)
{
    size_t k = 0;
    while (*s && k < cap) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        const char *a = s, *b = s + n;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\f'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r' || b[-1] == '\f'))
            b--;
        if (b > a)
            v[k++] = (line_ref){a, (size_t)(b - a)};
        s = e ? e + 1 : s + n;
    }
    return k;
}

static bool line_eq(line_ref a, line_ref b)
{
    return a.n == b.n && memcmp(a.s, b.s, a.n) == 0;
}

#define DEDUP_LINES 16 /* lines of a cue compared; rolling captions have two or three */

static bool all_lines_in(const line_ref *a, size_t na, const line_ref *b, size_t nb)
{
    for (size_t i = 0; i < na; i++) {
        bool found = false;
        for (size_t j = 0; j < nb && !found; j++)
            found = line_eq(a[i], b[j]);
        if (!found)
            return false;
    }
    return na > 0;
}

long cred_tr__dedup(cred_cues *c)
{
    long changed = 0;
    line_ref prev[DEDUP_LINES], cur[DEDUP_LINES], nxt[DEDUP_LINES];
    size_t np = 0, w = 0;
    const char *prev_text = NULL;
    for (size_t i = 0; i < c->n; i++) {
        cred_cue q = c->v[i];
        size_t nc = split_lines(q.text, cur, DEDUP_LINES);
        if (prev_text)
            np = split_lines(prev_text, prev, DEDUP_LINES);
        if (q.end - q.start <= CRED_TR_SNAPSHOT_SECONDS + 1e-9 && nc > 0) {
            size_t nn = i + 1 < c->n ? split_lines(c->v[i + 1].text, nxt, DEDUP_LINES) : 0;
            if ((prev_text && all_lines_in(cur, nc, prev, np)) || all_lines_in(cur, nc, nxt, nn)) {
                changed++;
                continue; /* a snapshot cue: dropped, and not the "previous" of the next one */
            }
        }
        const char *orig = q.text;
        if (prev_text && nc > 1) {
            /* longest k < nc with prev's last k lines == cur's first k lines */
            for (size_t k = CRED_MIN(nc - 1, np); k > 0; k--) {
                bool eq = true;
                for (size_t j = 0; j < k && eq; j++)
                    eq = line_eq(prev[np - k + j], cur[j]);
                if (!eq)
                    continue;
                cred_buf b = CRED_BUF_INIT;
                for (size_t j = k; j < nc; j++)
                    if ((j > k && cred_buf_putc(&b, '\n') < 0) || cred_buf_put(&b, cur[j].s, cur[j].n) < 0) {
                        cred_buf_free(&b);
                        return cred__error_nomem();
                    }
                q.text = cred_arena_strndup(&c->mem, b.ptr ? b.ptr : "", b.len);
                cred_buf_free(&b);
                if (!q.text)
                    return cred__error_nomem();
                changed++;
                break;
            }
        }
        prev_text = orig;
        c->v[w++] = q;
    }
    c->n = w;
    return changed;
}

/* ---- the driver core --------------------------------------------------------------------------- */

typedef struct tr_state {
    cred_cues cues;
    cred_buf decoded;
    size_t *order;   /* cue indices with text, by start time */
    size_t n_order;
    size_t next;     /* next window's first index into order; SIZE_MAX before the whole post */
    bool whole_done;
} tr_state;

/* A line that is only a sound annotation: "[Music]", "[ Applause ]". */
static bool is_annotation(const char *s, size_t n)
{
    return n >= 2 && s[0] == '[' && s[n - 1] == ']' && !memchr(s + 1, ']', n - 2);
}

/* Append the speech of a cue to b: lines trimmed and joined by " ", annotations left out. */
static int append_speech(cred_buf *b, const char *text)
{
    line_ref v[256];
    size_t k = split_lines(text, v, CRED_ARRAY_LEN(v));
    for (size_t i = 0; i < k; i++) {
        if (is_annotation(v[i].s, v[i].n))
            continue;
        if ((b->len && cred_buf_putc(b, ' ') < 0) || cred_buf_put(b, v[i].s, v[i].n) < 0)
            return cred__error_nomem();
    }
    /* a cue with more than 256 lines: keep the rest as it is */
    if (k == CRED_ARRAY_LEN(v)) {
        const char *rest = v[k - 1].s + v[k - 1].n;
        if (cred_buf_putc(b, ' ') < 0 || cred_buf_puts(b, rest) < 0)
            return cred__error_nomem();
    }
    return 0;
}

static bool has_speech(const char *text)
{
    cred_buf b = CRED_BUF_INIT;
    int rc = append_speech(&b, text);
    bool yes = rc == 0 && b.len > 0;
    cred_buf_free(&b);
    return yes;
}

static int cmp_start(const void *a, const void *b, void *cues)
{
    const cred_cue *v = cues;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (v[i].start != v[j].start)
        return v[i].start < v[j].start ? -1 : 1;
    return i < j ? -1 : i > j; /* stable */
}

int cred_tr__open(cred_reader *r, cred_tr_parse_fn parse)
{
    tr_state *st = calloc(1, sizeof *st);
    if (!st)
        return cred__error_nomem();
    r->state = st;
    cred_cues_init(&st->cues);
    const char *data;
    size_t len;
    int rc = cred_io__slurp(r, &data, &len, CRED_LIMIT_TRANSCRIPT_BYTES);
    if (rc < 0)
        return rc;
    if ((rc = parse(&st->cues, data, len, r)) < 0 && st->cues.n == 0)
        return rc;
    long d = cred_tr__dedup(&st->cues);
    if (d < 0)
        return (int)d;
    st->order = malloc((st->cues.n + 1) * sizeof *st->order);
    if (!st->order)
        return cred__error_nomem();
    for (size_t i = 0; i < st->cues.n; i++)
        if (has_speech(st->cues.v[i].text))
            st->order[st->n_order++] = i;
    qsort_r(st->order, st->n_order, sizeof *st->order, cmp_start, st->cues.v);
    return 0;
}

/* Seconds as "12.5", "30", "0.16" (at most three decimals). */
static void fmt_seconds(char *out, size_t cap, double s)
{
    snprintf(out, cap, "%.3f", s);
    char *dot = strchr(out, '.');
    if (!dot)
        return;
    char *e = out + strlen(out);
    while (e > dot + 1 && e[-1] == '0')
        *--e = '\0';
    if (e == dot + 1)
        *dot = '\0';
}

static int emit(cred_reader *r, cred_post *post, size_t from, size_t to, bool whole)
{
    tr_state *st = r->state;
    cred_buf b = CRED_BUF_INIT;
    int rc = 0;
    double start = INFINITY, end = -INFINITY;
    for (size_t i = from; i < to; i++) {
        const cred_cue *q = &st->cues.v[st->order[i]];
        start = CRED_MIN(start, q->start);
        end = CRED_MAX(end, CRED_MAX(q->end, q->start));
        CRED_TRY(append_speech(&b, q->text));
    }
    post->kind = whole ? CRED_KIND_TRANSCRIPT : CRED_KIND_WINDOW;
    post->start = start;
    post->end = end;
    post->line = st->cues.v[st->order[from]].line;
    post->lang = st->cues.lang ? cred_io__str(r, st->cues.lang, strlen(st->cues.lang)) : NULL;
    char a[32], z[32];
    fmt_seconds(a, sizeof a, start);
    fmt_seconds(z, sizeof z, end);
    post->id = whole ? r->source : cred_io__strf(r, "%s#%s-%s", r->source, a, z);
    CRED_TRY_ALLOC(post->id);
    CRED_TRY(cred_io__set_text(r, post, b.ptr ? b.ptr : "", b.len));
    rc = 1;
done:
    cred_buf_free(&b);
    return rc;
}

int cred_tr__next(cred_reader *r, cred_post *post)
{
    tr_state *st = r->state;
    if (!st || st->n_order == 0)
        return 0;
    if (!st->whole_done) {
        st->whole_done = true;
        return emit(r, post, 0, st->n_order, true);
    }
    if (st->next >= st->n_order)
        return 0;
    double w = r->opts.window_seconds > 0 ? r->opts.window_seconds : 30.0;
    size_t from = st->next, to = from + 1;
    double k = floor(CRED_MAX(st->cues.v[st->order[from]].start, 0) / w);
    while (to < st->n_order && floor(CRED_MAX(st->cues.v[st->order[to]].start, 0) / w) == k)
        to++;
    st->next = to;
    return emit(r, post, from, to, false);
}

void cred_tr__close(cred_reader *r)
{
    tr_state *st = r->state;
    if (!st)
        return;
    cred_cues_free(&st->cues);
    cred_buf_free(&st->decoded);
    free(st->order);
    free(st);
    r->state = NULL;
}
