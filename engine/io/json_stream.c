/* Streaming JSON for chat exports: a repairing filter in front of yajl, positions, a record queue. */
#include "io/json_stream.h"

#include <stdio.h>
#include <stdlib.h>

#include <yajl/yajl_parse.h>

/* ---- record queue ------------------------------------------------------------------------------ */

#define FIELD_KEEP (CRED_LIMIT_FIELD_BYTES + 4u)
#define TEXT_KEEP (CRED_LIMIT_POST_BYTES + 4u)

void cred_jq_begin(cred_jq *q, uint64_t line)
{
    if (q->open)
        cred_jq_drop(q);
    memset(&q->cur, 0, sizeof q->cur);
    for (int i = 0; i < CRED_JQ_SLOTS; i++)
        q->cur.off[i] = CRED_JQ_ABSENT;
    q->cur.base = q->data.len;
    q->cur.link0 = q->nlinks;
    q->cur.line = line;
    q->link_bytes = 0;
    q->text.len = 0;
    q->open = true;
}

int cred_jq_set(cred_jq *q, int slot, const char *s, size_t n)
{
    if (n > FIELD_KEEP)
        n = FIELD_KEEP;
    q->cur.off[slot] = q->data.len;
    q->cur.len[slot] = n;
    return cred_buf_put(&q->data, s, n) < 0 ? cred__error_nomem() : 0;
}

int cred_jq_text(cred_jq *q, const char *s, size_t n)
{
    if (q->text.len >= TEXT_KEEP)
        return 0;
    if (n > TEXT_KEEP - q->text.len)
        n = TEXT_KEEP - q->text.len;
    return cred_buf_put(&q->text, s, n) < 0 ? cred__error_nomem() : 0;
}

int cred_jq_link(cred_jq *q, const char *s, size_t n)
{
    if (n == 0 || n > FIELD_KEEP || q->link_bytes + n > CRED_LIMIT_POST_BYTES)
        return 0;
    if (q->nlinks == q->links_cap && CRED_GROW(q->links, q->links_cap, q->nlinks + 1) < 0)
        return cred__error_nomem();
    q->links[q->nlinks].off = q->data.len;
    q->links[q->nlinks].len = n;
    if (cred_buf_put(&q->data, s, n) < 0)
        return cred__error_nomem();
    q->nlinks++;
    q->cur.nlinks++;
    q->link_bytes += n;
    return 0;
}

int cred_jq_commit(cred_jq *q, int text_slot)
{
    if (!q->open)
        return 0;
    int rc = cred_jq_set(q, text_slot, q->text.ptr ? q->text.ptr : "", 0);
    q->cur.len[text_slot] = q->text.len;
    if (rc == 0 && q->text.len && cred_buf_put(&q->data, q->text.ptr, q->text.len) < 0)
        rc = cred__error_nomem();
    if (rc == 0 && q->count == q->cap && CRED_GROW(q->recs, q->cap, q->count + 1) < 0)
        rc = cred__error_nomem();
    if (rc < 0)
        return rc;
    q->recs[q->count++] = q->cur;
    q->open = false;
    return 0;
}

void cred_jq_drop(cred_jq *q)
{
    if (!q->open)
        return;
    q->data.len = q->cur.base;
    q->nlinks = q->cur.link0;
    q->open = false;
}

const cred_jrec *cred_jq_pop(cred_jq *q)
{
    return q->head < q->count ? &q->recs[q->head++] : NULL;
}

void cred_jq_compact(cred_jq *q)
{
    q->head = q->count = 0;
    if (!q->open) {
        q->data.len = 0;
        q->nlinks = 0;
        return;
    }
    /* Move the record in progress to the front and rebase its offsets. */
    size_t base = q->cur.base, link0 = q->cur.link0;
    if (q->data.len > base)
        memmove(q->data.ptr, q->data.ptr + base, q->data.len - base);
    q->data.len -= base;
    for (int i = 0; i < CRED_JQ_SLOTS; i++)
        if (q->cur.off[i] != CRED_JQ_ABSENT)
            q->cur.off[i] -= base;
    if (q->nlinks > link0)
        memmove(q->links, q->links + link0, (q->nlinks - link0) * sizeof *q->links);
    q->nlinks -= link0;
    for (size_t i = 0; i < q->nlinks; i++)
        q->links[i].off -= base;
    q->cur.base = 0;
    q->cur.link0 = 0;
}

int cred_jq_links_to_post(const cred_jq *q, const cred_jrec *rec, cred_reader *r, cred_post *post)
{
    if (rec->nlinks == 0)
        return 0;
    const char **links = cred_arena_alloc(&r->rec, rec->nlinks * sizeof *links);
    if (!links)
        return cred__error_nomem();
    for (size_t i = 0; i < rec->nlinks; i++) {
        size_t k = rec->link0 + i;
        if (!(links[i] = cred_io__field(r, rec->line, "link", q->data.ptr + q->links[k].off, q->links[k].len)))
            return cred__error_nomem();
    }
    post->links = links;
    post->n_links = rec->nlinks;
    return 0;
}

void cred_jq_free(cred_jq *q)
{
    cred_buf_free(&q->data);
    cred_buf_free(&q->text);
    free(q->links);
    free(q->recs);
    memset(q, 0, sizeof *q);
}

/* ---- positions --------------------------------------------------------------------------------- */

/* Advance a line tracker up to in[idx]. */
static void count_lines(const cred_jstream *js, cred_jlines *t, size_t idx)
{
    if (idx > js->in_len)
        idx = js->in_len;
    while (t->scan < idx) {
        const char *nl = memchr(js->in + t->scan, '\n', idx - t->scan);
        if (!nl) {
            t->scan = idx;
            break;
        }
        t->scan = (size_t)(nl - js->in) + 1;
        t->line++;
        t->line_start = js->in_base + t->scan;
    }
}

/* Index in the raw chunk of a byte offset in the filtered output. */
static size_t out_to_in(const cred_jstream *js, size_t out)
{
    size_t lo = 0, hi = js->nmap; /* last map entry with .out <= out */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (js->map[mid].out <= out)
            lo = mid;
        else
            hi = mid;
    }
    if (js->nmap == 0)
        return out;
    size_t in = js->map[lo].in + (out - js->map[lo].out);
    return in > js->in_len ? js->in_len : in;
}

static void pos_at_in(cred_jstream *js, cred_jlines *t, size_t idx, uint64_t *line, uint64_t *column,
                      uint64_t *offset)
{
    count_lines(js, t, idx);
    uint64_t off = js->in_base + (idx < t->scan ? t->scan : idx);
    *line = t->line;
    *column = off >= t->line_start ? off - t->line_start + 1 : 1;
    *offset = off;
}

void cred_jstream_pos(cred_jstream *js, uint64_t *line, uint64_t *column, uint64_t *offset)
{
    pos_at_in(js, &js->pt, out_to_in(js, yajl_get_bytes_consumed(js->h)), line, column, offset);
}

int cred_jstream_cancel(cred_jstream *js, int code, const char *fmt, ...)
{
    uint64_t line, col, off;
    cred_jstream_pos(js, &line, &col, &off);
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    js->cancel_rc = cred__error_at(code, js->r->name, line, col, off, "%s:%llu:%llu: %s", js->r->name,
                                   (unsigned long long)line, (unsigned long long)col, msg);
    return 0;
}

/* ---- the repairing filter ---------------------------------------------------------------------- */

enum { S_OUT, S_STR, S_ESC, S_HEX, S_BARE };

/* Byte classes outside strings. */
enum { C_OTHER = 0, C_WS, C_OPEN, C_CLOSE, C_PUNCT, C_QUOTE, C_CTRL };
static unsigned char out_class[256];
/* Bytes that stop the fast scan inside a string: '"', '\\' and control bytes. */
static unsigned char str_stop[256];
/* Bytes that end a bare value. */
static unsigned char bare_stop[256];

static void init_tables(void)
{
    if (out_class[' '])
        return;
    for (int c = 0; c < 0x20; c++) {
        out_class[c] = C_CTRL;
        str_stop[c] = 1;
    }
    out_class[0x7f] = C_CTRL;
    out_class[' '] = out_class['\t'] = out_class['\n'] = out_class['\r'] = C_WS;
    out_class['{'] = out_class['['] = C_OPEN;
    out_class['}'] = out_class[']'] = C_CLOSE;
    out_class[':'] = out_class[','] = C_PUNCT;
    out_class['"'] = C_QUOTE;
    str_stop['"'] = str_stop['\\'] = 1;
    bare_stop[','] = bare_stop['}'] = bare_stop[']'] = bare_stop['\r'] = bare_stop['\n'] = 1;
}

static bool is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A JSON literal or number, exactly. */
static bool valid_bare(const char *s, size_t n)
{
    if ((n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "null", 4) == 0)) ||
        (n == 5 && memcmp(s, "false", 5) == 0))
        return true;
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return false;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return false;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* Note that out[len] now corresponds to in[idx]. */
static int mark(cred_jstream *js, size_t idx)
{
    if (js->nmap == js->map_cap && CRED_GROW(js->map, js->map_cap, js->nmap + 1) < 0)
        return cred__error_nomem();
    js->map[js->nmap].out = js->out.len;
    js->map[js->nmap].in = idx;
    js->nmap++;
    return 0;
}

/* A repair at in[idx] (positions from the filter's own line tracker). */
static void warn_at(cred_jstream *js, size_t idx, const char *what)
{
    uint64_t line, col, off;
    pos_at_in(js, &js->ft, idx, &line, &col, &off);
    cred_io__diag(js->r, CRED_SEV_WARNING, CRED_ESYNTAX, line, col, "%s:%llu:%llu: %s", js->r->name,
                  (unsigned long long)line, (unsigned long long)col, what);
}

static int fail_at(cred_jstream *js, cred_jlines *t, size_t idx, int code, const char *fmt, ...)
    CRED_PRINTF(5, 6);
static int fail_at(cred_jstream *js, cred_jlines *t, size_t idx, int code, const char *fmt, ...)
{
    uint64_t line, col, off;
    pos_at_in(js, t, idx, &line, &col, &off);
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return cred__error_at(code, js->r->name, line, col, off, "%s:%llu:%llu: %s", js->r->name,
                          (unsigned long long)line, (unsigned long long)col, what);
}

static int put_u00(cred_buf *b, unsigned char c)
{
    char esc[7];
    snprintf(esc, sizeof esc, "\\u%04x", c);
    return cred_buf_put(b, esc, 6);
}

/* Copy the unchanged input in[flushed..k) to out (noting where it came from). */
static int sync_to(cred_jstream *js, const char *in, size_t k)
{
    if (k <= js->flushed)
        return 0;
    if (mark(js, js->flushed) < 0 || cred_buf_put(&js->out, in + js->flushed, k - js->flushed) < 0)
        return cred__error_nomem();
    js->flushed = k;
    return 0;
}

/*
 * A bare value ends before in[i]. It is tok (when it began in an earlier chunk: the first `held`
 * bytes were withheld from yajl) plus in[0..i), or in[tok_start..i) when it began in this chunk.
 */
static int end_bare(cred_jstream *js, const char *in, size_t i)
{
    bool carried = js->held > 0;
    const char *s = carried ? js->tok.ptr : in + js->tok_start;
    size_t full = carried ? js->tok.len : i - js->tok_start, n = full;
    while (n && out_class[(unsigned char)s[n - 1]] == C_WS)
        n--;
    int rc = 0;
    js->state = S_OUT;
    if (js->depth == 0 || valid_bare(s, n)) {
        /* Valid, or at the top level where a bare word means "not JSON": let yajl judge. */
        if (carried && cred_buf_put(&js->out, js->tok.ptr, js->held) < 0)
            rc = -1;
    } else {
        char what[160];
        snprintf(what, sizeof what, "unquoted value '%.*s' read as a string", (int)CRED_MIN(n, 60u), s);
        warn_at(js, i, what);
        if (!carried && sync_to(js, in, js->tok_start) < 0)
            return cred__error_nomem();
        rc = cred_buf_putc(&js->out, '"');
        for (size_t k = 0; rc >= 0 && k < n; k++) {
            unsigned char c = (unsigned char)s[k];
            if (c == '"' || c == '\\') {
                char e[2] = {'\\', (char)c};
                rc = cred_buf_put(&js->out, e, 2);
            } else if (c < 0x20) {
                rc = put_u00(&js->out, c);
            } else {
                rc = cred_buf_putc(&js->out, (char)c);
            }
        }
        if (rc >= 0)
            rc = cred_buf_putc(&js->out, '"');
        if (rc >= 0)
            rc = cred_buf_put(&js->out, s + n, full - n); /* trailing blanks stay outside */
        js->flushed = i;
    }
    js->held = 0;
    js->tok.len = 0;
    return rc < 0 ? cred__error_nomem() : 0;
}

/*
 * An escape that began with the backslash at in[esc_start] (or in an earlier chunk: pend[0..held)
 * were withheld) ends before in[i]. keep: pass it on as written; else write `repl` in its place.
 */
static int end_escape(cred_jstream *js, const char *in, size_t i, bool keep, const char *repl, size_t repl_len)
{
    int rc = 0;
    if (keep) {
        if (js->held && cred_buf_put(&js->out, js->pend, js->held) < 0)
            rc = -1;
    } else {
        if (!js->held && sync_to(js, in, js->esc_start) < 0)
            return cred__error_nomem();
        if (cred_buf_put(&js->out, repl, repl_len) < 0)
            rc = -1;
        js->flushed = i;
    }
    js->held = 0;
    js->npend = 0;
    js->state = S_STR;
    return rc < 0 ? cred__error_nomem() : 0;
}

/* The escape in pend is invalid: keep its backslash as text ("\\" + the rest). c is read again. */
static int bad_escape(cred_jstream *js, const char *in, size_t i)
{
    char repl[sizeof js->pend + 1];
    repl[0] = '\\';
    memcpy(repl + 1, js->pend, js->npend);
    warn_at(js, i, "invalid escape: backslash kept as text");
    return end_escape(js, in, i, false, repl, js->npend + 1);
}

/*
 * Filter in[0..n). Unchanged input is not copied: when nothing needs repair, js->feed points at `in`
 * itself; otherwise the repaired text is built in js->out. Returns 0, or a negative code when the
 * input breaks a limit (js->feed then holds the bytes before the offending one). `final` ends a
 * pending bare value at the end of input.
 */
static int filter(cred_jstream *js, const char *in, size_t n, bool final)
{
    size_t i = 0;
    int rc = 0;
    js->out.len = 0;
    js->nmap = 0;
    js->flushed = 0;
    if (!js->started && n) {
        js->started = true;
        if (n >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0)
            i = js->flushed = 3;
    }
    while (i < n) {
        unsigned char c;
        switch (js->state) {
        case S_OUT:
            while (i < n && (out_class[(unsigned char)in[i]] == C_WS || out_class[(unsigned char)in[i]] == C_PUNCT))
                i++;
            if (i == n)
                break;
            c = (unsigned char)in[i];
            switch (out_class[c]) {
            case C_OPEN:
                js->content = true;
                if (++js->depth > CRED_LIMIT_JSON_DEPTH) {
                    rc = fail_at(js, &js->ft, i, CRED_ELIMIT, "JSON nested deeper than %d levels",
                                 CRED_LIMIT_JSON_DEPTH);
                    goto done;
                }
                i++;
                break;
            case C_CLOSE:
                js->content = true;
                if (js->depth > 0)
                    js->depth--;
                i++;
                break;
            case C_QUOTE:
                js->content = true;
                js->state = S_STR;
                js->str_bytes = 0;
                i++;
                break;
            case C_CTRL: {
                char what[64];
                snprintf(what, sizeof what, "control byte 0x%02x outside a string removed", c);
                warn_at(js, i, what);
                CRED_TRY(sync_to(js, in, i));
                js->flushed = ++i;
                break;
            }
            default:
                js->content = true;
                js->state = S_BARE;
                js->tok_start = i;
                break;
            }
            break;
        case S_STR: {
            size_t run = i;
            while (run < n && !str_stop[(unsigned char)in[run]])
                run++;
            js->str_bytes += run - i;
            if (js->str_bytes > CRED_LIMIT_LINE_BYTES) {
                rc = fail_at(js, &js->ft, i, CRED_ELIMIT, "JSON string longer than %u bytes", CRED_LIMIT_LINE_BYTES);
                goto done;
            }
            i = run;
            if (i == n)
                break;
            c = (unsigned char)in[i];
            if (c == '"') {
                js->state = S_OUT;
                i++;
            } else if (c == '\\') {
                js->state = S_ESC;
                js->esc_start = i;
                js->pend[0] = '\\';
                js->npend = 1;
                i++;
            } else {
                char what[64];
                snprintf(what, sizeof what, "raw control byte 0x%02x in a string escaped", c);
                warn_at(js, i, what);
                CRED_TRY(sync_to(js, in, i));
                CRED_TRY(put_u00(&js->out, c) < 0 ? cred__error_nomem() : 0);
                js->flushed = ++i;
            }
            break;
        }
        case S_ESC:
            c = (unsigned char)in[i];
            if (c && strchr("\"\\/bfnrt", c)) {
                CRED_TRY(end_escape(js, in, ++i, true, NULL, 0));
            } else if (c == 'u' || c == 'x') {
                js->pend[js->npend++] = (char)c;
                js->state = S_HEX;
                i++;
            } else {
                CRED_TRY(bad_escape(js, in, i)); /* c is read again as string content */
            }
            break;
        case S_HEX:
            c = (unsigned char)in[i];
            if (!is_hex(c)) {
                CRED_TRY(bad_escape(js, in, i));
                break;
            }
            js->pend[js->npend++] = (char)c;
            i++;
            if (js->pend[1] == 'u' && js->npend == 6) {
                CRED_TRY(end_escape(js, in, i, true, NULL, 0));
            } else if (js->pend[1] == 'x' && js->npend == 4) {
                char hex[3] = {js->pend[2], js->pend[3], 0}, what[64], repl[8];
                unsigned v = (unsigned)strtoul(hex, NULL, 16);
                snprintf(what, sizeof what, "invalid escape \\x%02x read as \\u%04x", v, v);
                warn_at(js, i, what);
                snprintf(repl, sizeof repl, "\\u%04x", v);
                CRED_TRY(end_escape(js, in, i, false, repl, 6));
            }
            break;
        case S_BARE: {
            size_t run = i;
            while (run < n && !bare_stop[(unsigned char)in[run]])
                run++;
            size_t so_far = js->held ? js->tok.len + (run - i) : run - js->tok_start;
            if (so_far > CRED_LIMIT_FIELD_BYTES) {
                if (js->depth)
                    rc = fail_at(js, &js->ft, i, CRED_ELIMIT, "bare JSON value longer than %u bytes",
                                 CRED_LIMIT_FIELD_BYTES);
                else
                    rc = fail_at(js, &js->ft, i, CRED_ESYNTAX, "not JSON: text outside any object or array");
                goto done;
            }
            if (js->held)
                CRED_TRY(cred_buf_put(&js->tok, in + i, run - i) < 0 ? cred__error_nomem() : 0);
            i = run;
            if (i < n)
                CRED_TRY(end_bare(js, in, i));
            break;
        }
        }
    }
    if (final && js->state == S_BARE) {
        CRED_TRY(end_bare(js, in, n));
    } else if (js->state == S_BARE || js->state == S_ESC || js->state == S_HEX) {
        /* Withhold a value or escape cut by the chunk end until it can be judged. */
        bool bare = js->state == S_BARE;
        size_t start = bare ? js->tok_start : js->esc_start;
        if (!js->held) {
            CRED_TRY(sync_to(js, in, start));
            if (bare) {
                js->tok.len = 0;
                CRED_TRY(cred_buf_put(&js->tok, in + start, n - start) < 0 ? cred__error_nomem() : 0);
            }
            js->held = bare ? js->tok.len : js->npend;
        } else {
            js->held = bare ? js->tok.len : js->npend;
        }
        js->flushed = n;
    }
done:
    /* What yajl gets: the input itself when nothing changed, else the repaired copy. */
    if (js->out.len == 0 && js->flushed == 0 && !(js->state == S_BARE && js->held)) {
        size_t upto = rc < 0 ? i : n;
        js->feed = in;
        js->feed_len = upto;
        js->nmap = 0;
    } else {
        if (sync_to(js, in, rc < 0 ? i : n) < 0 && rc == 0)
            rc = cred__error_nomem();
        js->feed = js->out.ptr;
        js->feed_len = js->out.len;
    }
    return rc;
}

/* ---- driving yajl ------------------------------------------------------------------------------ */

int cred_jstream_init(cred_jstream *js, cred_reader *r, const yajl_callbacks *cb, void *ctx)
{
    init_tables();
    memset(js, 0, sizeof *js);
    js->r = r;
    js->pt.line = 1;
    js->ft = js->pt;
    js->h = yajl_alloc(cb, NULL, ctx);
    if (!js->h)
        return cred__error_nomem();
    yajl_config(js->h, yajl_dont_validate_strings, 1);
    return 0;
}

static int yajl_failure(cred_jstream *js, yajl_status st)
{
    if (st == yajl_status_client_canceled)
        return js->cancel_rc ? js->cancel_rc : cred__error(CRED_ERROR, "JSON parse cancelled");
    unsigned char *err = yajl_get_error(js->h, 0, NULL, 0);
    char msg[200];
    snprintf(msg, sizeof msg, "%s", err ? (const char *)err : "JSON parse error");
    if (err)
        yajl_free_error(js->h, err);
    size_t l = strlen(msg);
    while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
        msg[--l] = '\0';
    const char *m = strncmp(msg, "parse error: ", 13) == 0 ? msg + 13 : msg;
    size_t idx = js->eof ? js->in_len : out_to_in(js, yajl_get_bytes_consumed(js->h));
    return fail_at(js, &js->pt, idx, CRED_ESYNTAX, "invalid JSON: %s", m);
}

int cred_jstream_step(cred_jstream *js)
{
    if (js->failed)
        return js->fail_rc;
    if (js->eof)
        return 0;
    /* Finish counting the lines of the previous chunk before its memory goes away. */
    count_lines(js, &js->pt, js->in_len);
    js->in_base += js->in_len;
    js->in = NULL;
    js->in_len = js->pt.scan = 0;
    js->ft = js->pt;

    const char *data;
    size_t len;
    int rc = cred_io__chunk(js->r, &data, &len);
    if (rc < 0)
        goto fail;
    if (rc == 0) {
        js->eof = true;
        rc = filter(js, "", 0, true);
        if (rc == 0 && js->feed_len)
            rc = yajl_parse(js->h, (const unsigned char *)js->feed, js->feed_len) == yajl_status_ok
                     ? 0
                     : yajl_failure(js, yajl_status_error);
        if (rc < 0)
            goto fail;
        if (!js->content)
            return 0; /* empty (or blank) input */
        yajl_status st = yajl_complete_parse(js->h);
        if (st != yajl_status_ok) {
            rc = yajl_failure(js, st);
            goto fail;
        }
        return 0;
    }
    js->in = data;
    js->in_len = len;
    int frc = filter(js, data, len, false);
    yajl_status st = yajl_parse(js->h, (const unsigned char *)js->feed, js->feed_len);
    if (st != yajl_status_ok) {
        rc = yajl_failure(js, st);
        goto fail;
    }
    if (frc < 0) {
        rc = frc;
        goto fail;
    }
    return 1;
fail:
    js->failed = true;
    js->fail_rc = rc;
    return rc;
}

bool cred_jstream_empty(const cred_jstream *js)
{
    return !js->content;
}

void cred_jstream_free(cred_jstream *js)
{
    if (js->h)
        yajl_free(js->h);
    cred_buf_free(&js->out);
    cred_buf_free(&js->tok);
    free(js->map);
    memset(js, 0, sizeof *js);
}

/* ---- the container walk ------------------------------------------------------------------------ */

static int jw_frame(const cred_jwalk *w)
{
    return w->depth ? w->frame[w->depth - 1] : CRED_JW_TOP;
}

static int jw_scalar(cred_jwalk *w, const char *s, size_t n, bool is_str)
{
    return w->ops->scalar(w->ctx, jw_frame(w), w->key, s, n, is_str);
}

static int jw_null(void *ctx)
{
    return jw_scalar(ctx, NULL, 0, false);
}

static int jw_bool(void *ctx, int v)
{
    cred_jwalk *w = ctx;
    return v && w->ops->true_as_text ? jw_scalar(w, "true", 4, false) : jw_scalar(w, NULL, 0, false);
}

static int jw_number(void *ctx, const char *s, size_t n)
{
    return jw_scalar(ctx, s, n, false);
}

static int jw_string(void *ctx, const unsigned char *s, size_t n)
{
    return jw_scalar(ctx, (const char *)s, n, true);
}

static int jw_key(void *ctx, const unsigned char *s, size_t n)
{
    cred_jwalk *w = ctx;
    w->key = jw_frame(w) == CRED_JW_SKIP ? 0 : w->ops->key_id((const char *)s, n);
    return 1;
}

static int jw_start(cred_jwalk *w, bool is_map)
{
    int frame = w->ops->start(w->ctx, jw_frame(w), w->key, is_map);
    if (frame == CRED_JW_CANCEL)
        return 0;
    if (w->depth >= (int)sizeof w->frame)
        return cred_jstream_cancel(&w->js, CRED_ELIMIT, "JSON nested deeper than %d levels", CRED_LIMIT_JSON_DEPTH);
    w->frame[w->depth++] = (unsigned char)frame;
    return 1;
}

static int jw_start_map(void *ctx)
{
    return jw_start(ctx, true);
}

static int jw_start_array(void *ctx)
{
    return jw_start(ctx, false);
}

static int jw_end(void *ctx)
{
    cred_jwalk *w = ctx;
    return w->depth ? w->ops->end(w->ctx, w->frame[--w->depth]) : 1;
}

static const yajl_callbacks jw_callbacks = {
    jw_null, jw_bool, NULL, NULL, jw_number, jw_string, jw_start_map, jw_key, jw_end, jw_start_array, jw_end,
};

int cred_jwalk_init(cred_jwalk *w, cred_reader *r, const cred_jwalk_ops *ops, void *ctx)
{
    w->ops = ops;
    w->ctx = ctx;
    w->depth = w->key = 0;
    return cred_jstream_init(&w->js, r, &jw_callbacks, w);
}
