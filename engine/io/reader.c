/* The reader core: input window, format detection, diagnostics and the per-record arena. */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK_BYTES (1u << 20)
#define HEAD_BYTES (64u << 10)

/* Every driver, in detection order (ties go to the earlier one). Add a driver here. */
static const cred_io_driver *const drivers[] = {
    &cred_io__jsonl,
    &cred_io__csv,
    &cred_io__text,
    &cred_io__vtt,
    &cred_io__srt,
    &cred_io__json3,
    &cred_io__srv3,
    &cred_io__telegram,
    &cred_io__facebook,
    &cred_io__whatsapp,
};

static const char *const format_names[CRED_FORMAT_COUNT_] = {
    "auto", "jsonl", "csv", "text", "telegram", "whatsapp", "facebook", "vtt", "srt", "json3", "srv3",
};

const char *cred_format_name(cred_format format)
{
    return (unsigned)format < CRED_FORMAT_COUNT_ ? format_names[format] : "unknown";
}

int cred_format_parse(cred_format *out, const char *name)
{
    for (int i = 0; i < CRED_FORMAT_COUNT_; i++)
        if (strcmp(format_names[i], name) == 0) {
            *out = (cred_format)i;
            return 0;
        }
    if (strcmp(name, "srv1") == 0 || strcmp(name, "timedtext") == 0) {
        *out = CRED_FORMAT_SRV3;
        return 0;
    }
    if (strcmp(name, "webvtt") == 0 || strcmp(name, "subrip") == 0) {
        *out = name[0] == 'w' ? CRED_FORMAT_VTT : CRED_FORMAT_SRT;
        return 0;
    }
    return cred__error(CRED_ENOTFOUND, "unknown format '%s'", name);
}

const char *cred_post_kind_name(cred_post_kind kind)
{
    static const char *const names[] = {"message", "post", "comment", "transcript", "window"};
    return (unsigned)kind < CRED_ARRAY_LEN(names) ? names[kind] : "message";
}

static const cred_io_driver *driver_for(cred_format f)
{
    for (size_t i = 0; i < CRED_ARRAY_LEN(drivers); i++)
        if (drivers[i]->format == f)
            return drivers[i];
    return NULL;
}

static const cred_io_driver *detect(const char *head, size_t len)
{
    const cred_io_driver *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < CRED_ARRAY_LEN(drivers); i++) {
        int s = drivers[i]->probe(head, len);
        if (s > best_score) {
            best_score = s;
            best = drivers[i];
        }
    }
    return best;
}

cred_format cred_format_detect(const void *head, size_t len)
{
    const cred_io_driver *d = detect(head, CRED_MIN(len, HEAD_BYTES));
    return d ? d->format : CRED_FORMAT_AUTO;
}

/* ---- input window ------------------------------------------------------------------------------ */

/* Read more input so that at least `want` unread bytes are buffered (or EOF). 0 or CRED_EIO. */
static int fill(cred_reader *r, size_t want)
{
    if (r->fd < 0 || r->eof)
        return 0;
    if (r->pos > 0 && (r->end - r->pos < want || r->end == r->cap)) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->offset += r->pos;
        r->end -= r->pos;
        r->pos = 0;
    }
    while (r->end - r->pos < want && !r->eof) {
        if (r->end == r->cap) {
            size_t ncap = r->cap ? r->cap * 2 : CHUNK_BYTES;
            char *nb = realloc(r->buf, ncap + 1);
            if (!nb)
                return cred__error_nomem();
            r->buf = nb;
            r->cap = ncap;
        }
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cred__error_os("cannot read", r->name);
        }
        if (n == 0)
            r->eof = true;
        r->end += (size_t)n;
    }
    return 0;
}

uint64_t cred_io__offset(const cred_reader *r)
{
    return r->offset + r->pos;
}

int cred_io__chunk(cred_reader *r, const char **data, size_t *len)
{
    if (r->pos == r->end) {
        int rc = fill(r, CHUNK_BYTES);
        if (rc < 0)
            return rc;
    }
    if (r->pos == r->end)
        return 0;
    *data = r->buf + r->pos;
    *len = r->end - r->pos;
    r->pos = r->end;
    r->stats.bytes = cred_io__offset(r);
    return 1;
}

int cred_io__line(cred_reader *r, const char **line, size_t *len)
{
    size_t scanned = 0;
    for (;;) {
        char *start = r->buf + r->pos;
        char *nl = memchr(start + scanned, '\n', r->end - r->pos - scanned);
        if (nl) {
            size_t n = (size_t)(nl - start);
            r->pos += n + 1;
            r->line++;
            r->stats.bytes = cred_io__offset(r);
            if (n > CRED_LIMIT_LINE_BYTES) {
                cred_io__diag(r, CRED_SEV_ERROR, CRED_ELIMIT, r->line, 1,
                              "line is longer than %u bytes; skipped", CRED_LIMIT_LINE_BYTES);
                scanned = 0;
                continue;
            }
            if (n && start[n - 1] == '\r')
                n--;
            *line = start;
            *len = n;
            return 1;
        }
        scanned = r->end - r->pos;
        if (r->eof || r->fd < 0) {
            if (scanned == 0)
                return 0;
            *line = start;
            *len = scanned;
            r->pos = r->end;
            r->line++;
            r->stats.bytes = cred_io__offset(r);
            if (*len && start[*len - 1] == '\r')
                (*len)--;
            return 1;
        }
        if (scanned > CRED_LIMIT_LINE_BYTES) {
            /* Drop the over-long line's bytes as they come, keeping memory bounded. */
            uint64_t lineno = r->line + 1;
            for (;;) {
                char *p = memchr(r->buf + r->pos, '\n', r->end - r->pos);
                if (p) {
                    r->pos = (size_t)(p - r->buf) + 1;
                    break;
                }
                r->pos = r->end;
                int rc = fill(r, CHUNK_BYTES);
                if (rc < 0)
                    return rc;
                if (r->pos == r->end)
                    break;
            }
            r->line = lineno;
            cred_io__diag(r, CRED_SEV_ERROR, CRED_ELIMIT, lineno, 1, "line is longer than %u bytes; skipped",
                          CRED_LIMIT_LINE_BYTES);
            scanned = 0;
            continue;
        }
        size_t before = r->pos;
        int rc = fill(r, scanned + CHUNK_BYTES);
        if (rc < 0)
            return rc;
        CRED_UNUSED(before);
    }
}

int cred_io__peek(cred_reader *r, size_t want, const char **data, size_t *len)
{
    int rc = fill(r, want);
    if (rc < 0)
        return rc;
    *data = r->buf + r->pos;
    *len = r->end - r->pos;
    return 0;
}

void cred_io__consume(cred_reader *r, size_t n)
{
    r->pos += CRED_MIN(n, r->end - r->pos);
    r->stats.bytes = cred_io__offset(r);
}

int cred_io__slurp(cred_reader *r, const char **data, size_t *len, size_t max)
{
    while (!r->eof && r->fd >= 0) {
        if (r->end - r->pos > max)
            break;
        int rc = fill(r, r->end - r->pos + CHUNK_BYTES);
        if (rc < 0)
            return rc;
    }
    if (r->end - r->pos > max)
        return cred__error_at(CRED_ELIMIT, r->name, 0, 0, cred_io__offset(r), "%s is larger than %zu bytes",
                              r->name, max);
    *data = r->buf + r->pos;
    *len = r->end - r->pos;
    r->pos = r->end;
    r->stats.bytes = cred_io__offset(r);
    return 0;
}

/* ---- diagnostics and record helpers ------------------------------------------------------------ */

void cred_io__diag(cred_reader *r, cred_severity sev, int code, uint64_t line, uint64_t column,
                   const char *fmt, ...)
{
    if (sev == CRED_SEV_ERROR)
        r->stats.skipped++;
    else if (sev == CRED_SEV_WARNING)
        r->stats.repaired++;
    if (!r->opts.on_diag)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cred_diag d = {sev, code, r->name, line, column, cred_io__offset(r), msg};
    r->opts.on_diag(&d, r->opts.diag_payload);
}

char *cred_io__str(cred_reader *r, const char *s, size_t n)
{
    return cred_arena_strndup(&r->rec, s, n);
}

char *cred_io__strf(cred_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = cred_arena_alloc(&r->rec, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

char *cred_io__field(cred_reader *r, uint64_t line, const char *what, const char *s, size_t n)
{
    if (n > CRED_LIMIT_FIELD_BYTES) {
        n = CRED_LIMIT_FIELD_BYTES;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
        cred_io__diag(r, CRED_SEV_WARNING, CRED_ELIMIT, line, 0, "%s longer than %u bytes was cut", what,
                      CRED_LIMIT_FIELD_BYTES);
    }
    return cred_io__str(r, s, n);
}

int cred_io__set_text(cred_reader *r, cred_post *post, const char *s, size_t n)
{
    if (n > CRED_LIMIT_POST_BYTES) {
        n = CRED_LIMIT_POST_BYTES;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
        post->flags |= CRED_POST_TRUNCATED;
        cred_io__diag(r, CRED_SEV_WARNING, CRED_ELIMIT, post->line, 0,
                      "post text longer than %u bytes was cut", CRED_LIMIT_POST_BYTES);
    }
    char *t = cred_io__str(r, s, n);
    if (!t)
        return cred__error_nomem();
    post->text = t;
    post->text_len = n;
    return 0;
}

size_t cred_io__text_parts(const char *spec, const char *part[CRED_IO_TEXT_PARTS], size_t len[CRED_IO_TEXT_PARTS])
{
    size_t n = 0;
    for (const char *p = spec; p;) {
        const char *plus = strchr(p, '+');
        if (n == CRED_IO_TEXT_PARTS)
            return 0;
        part[n] = p;
        len[n++] = plus ? (size_t)(plus - p) : strlen(p);
        p = plus ? plus + 1 : NULL;
    }
    return n;
}

int cred_io__set_text_parts(cred_reader *r, cred_post *post, const char *const *s, const size_t *n, size_t count)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += n[i] + 2;
    char *t = cred_arena_alloc(&r->rec, total + 1);
    if (!t)
        return cred__error_nomem();
    size_t len = 0;
    for (size_t i = 0; i < count; i++) {
        if (n[i] == 0)
            continue;
        if (len) {
            t[len++] = '\n';
            t[len++] = '\n';
        }
        memcpy(t + len, s[i], n[i]);
        len += n[i];
    }
    return cred_io__set_text(r, post, t, len);
}

/* ---- dates ------------------------------------------------------------------------------------- */

int64_t cred_io__timegm(int year, int month, int day, int hour, int min, int sec)
{
    /* days from civil, Howard Hinnant's algorithm */
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

static int digits(const char *s, size_t n, size_t *i, int count, int *out)
{
    int v = 0;
    for (int k = 0; k < count; k++, (*i)++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return 0;
}

int cred_io__parse_date(int64_t *out, const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    if (n == 0)
        return CRED_ESYNTAX;
    size_t i = 0;
    /* integer epoch seconds (or milliseconds when 13+ digits) */
    bool all_digits = true;
    for (size_t k = (s[0] == '-'); k < n; k++)
        all_digits &= s[k] >= '0' && s[k] <= '9';
    if (all_digits && n > (size_t)(s[0] == '-') && n <= 19 && n != 8) {
        /* s is not NUL-terminated: no strtoll */
        bool neg = s[0] == '-';
        uint64_t v = 0;
        for (size_t k = neg; k < n; k++) {
            if (v > (UINT64_C(9223372036854775807) - (uint64_t)(s[k] - '0')) / 10)
                return CRED_ESYNTAX;
            v = v * 10 + (uint64_t)(s[k] - '0');
        }
        int64_t sv = neg ? -(int64_t)v : (int64_t)v;
        *out = n - neg >= 13 ? sv / 1000 : sv;
        return 0;
    }
    int Y, M, D, h = 0, m = 0, sec = 0;
    if (digits(s, n, &i, 4, &Y) || i >= n || s[i++] != '-' || digits(s, n, &i, 2, &M) || i >= n ||
        s[i++] != '-' || digits(s, n, &i, 2, &D))
        return CRED_ESYNTAX;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] ||
        (M == 2 && D == 29 && (Y % 4 != 0 || (Y % 100 == 0 && Y % 400 != 0))))
        return CRED_ESYNTAX;
    int64_t tz = 0;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || digits(s, n, &i, 2, &m))
            return CRED_ESYNTAX;
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, &sec))
                return CRED_ESYNTAX;
        }
        if (i < n && (s[i] == '.' || s[i] == ','))
            for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                ;
        if (h > 23 || m > 59 || sec > 60)
            return CRED_ESYNTAX;
        if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int sign = s[i++] == '-' ? -1 : 1, th, tm = 0;
            if (digits(s, n, &i, 2, &th))
                return CRED_ESYNTAX;
            if (i < n && s[i] == ':')
                i++;
            if (i < n && digits(s, n, &i, 2, &tm))
                return CRED_ESYNTAX;
            if (th > 23 || tm > 59)
                return CRED_ESYNTAX;
            tz = sign * (th * 3600 + tm * 60);
        }
    }
    if (i != n)
        return CRED_ESYNTAX;
    *out = cred_io__timegm(Y, M, D, h, m, sec) - tz;
    return 0;
}

/* ---- public reader API ------------------------------------------------------------------------- */

static int reader_new(cred_reader **out, const char *name, const cred_reader_options *opts)
{
    cred_reader *r = calloc(1, sizeof *r);
    if (!r)
        return cred__error_nomem();
    cred_reader_options defaults = CRED_READER_OPTIONS_INIT;
    r->opts = opts ? *opts : defaults;
    if (r->opts.window_seconds <= 0)
        r->opts.window_seconds = 30.0;
    r->fd = -1;
    r->name = cred__strndup(name, strlen(name));
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *src = r->opts.source ? r->opts.source : base;
    r->source = cred__strndup(src, strlen(src));
    cred_arena_init(&r->rec, 64 * 1024);
    if (!r->name || !r->source) {
        cred_reader_free(r);
        return cred__error_nomem();
    }
    *out = r;
    return 0;
}

static int reader_start(cred_reader *r)
{
    int rc = fill(r, HEAD_BYTES);
    if (rc < 0)
        return rc;
    const char *head = r->buf + r->pos;
    size_t len = CRED_MIN(r->end - r->pos, HEAD_BYTES); /* files and memory probe the same bytes */
    if (r->opts.format != CRED_FORMAT_AUTO) {
        r->drv = driver_for(r->opts.format);
        if (!r->drv)
            return cred__error(CRED_ENOTFOUND, "format '%s' is not supported yet", cred_format_name(r->opts.format));
    } else if (len == 0) {
        r->drv = &cred_io__text; /* empty input: no posts, no error */
    } else {
        r->drv = detect(head, len);
        if (!r->drv)
            return cred__error_at(CRED_EFORMAT, r->name, 1, 1, 0,
                                  "%s: not a format credence reads (jsonl, csv, text, telegram, whatsapp, "
                                  "facebook, vtt, srt, json3, srv3)", r->name);
    }
    return r->drv->open ? r->drv->open(r) : 0;
}

int cred_reader_open(cred_reader **out, const char *path, const cred_reader_options *opts)
{
    if (!out || !path)
        return cred__error(CRED_EINVAL, "cred_reader_open: NULL argument");
    bool is_stdin = strcmp(path, "-") == 0;
    cred_reader *r;
    int rc = reader_new(&r, is_stdin ? "<stdin>" : path, opts);
    if (rc < 0)
        return rc;
    r->owns_buf = true;
    r->fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        rc = cred__error_os("cannot open", path);
        cred_reader_free(r);
        return rc;
    }
    if ((rc = reader_start(r)) < 0) {
        cred_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int cred_reader_open_memory(cred_reader **out, const char *name, const void *data, size_t len,
                            const cred_reader_options *opts)
{
    if (!out || (!data && len))
        return cred__error(CRED_EINVAL, "cred_reader_open_memory: NULL argument");
    cred_reader *r;
    int rc = reader_new(&r, name ? name : "<memory>", opts);
    if (rc < 0)
        return rc;
    r->buf = (char *)(data ? data : "");
    r->cap = r->end = len;
    r->eof = true;
    if ((rc = reader_start(r)) < 0) {
        cred_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int cred_reader_next(cred_reader *r, const cred_post **post)
{
    cred_arena_reset(&r->rec);
    memset(&r->post, 0, sizeof r->post);
    r->post.date = CRED_DATE_UNKNOWN;
    r->post.start = r->post.end = -1;
    int rc = r->drv->next(r, &r->post);
    if (rc == 1) {
        if (!r->post.text) {
            r->post.text = "";
            r->post.text_len = 0;
        }
        if (!r->post.source)
            r->post.source = r->source;
        if (!r->post.id && !(r->post.id = cred_io__strf(r, "%llu", (unsigned long long)r->post.line)))
            return cred__error_nomem();
        r->stats.posts++;
        *post = &r->post;
    }
    return rc;
}

cred_format cred_reader_format(const cred_reader *r)
{
    return r->drv ? r->drv->format : CRED_FORMAT_AUTO;
}

const cred_reader_stats *cred_reader_stats_get(const cred_reader *r)
{
    return &r->stats;
}

void cred_reader_free(cred_reader *r)
{
    if (!r)
        return;
    if (r->drv && r->drv->close)
        r->drv->close(r);
    if (r->fd > STDIN_FILENO)
        close(r->fd);
    if (r->owns_buf)
        free(r->buf);
    cred_arena_free(&r->rec);
    free(r->name);
    free(r->source);
    free(r);
}
