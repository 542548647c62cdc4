/*
 * WhatsApp chat exports: "_chat.txt", "WhatsApp Chat with X.txt", and the .zip that "export with
 * media" produces (recognised by content; the chat entry is streamed out of it with libarchive and
 * the media entries are skipped).
 *
 * Messages are a header line ("12/01/2024, 09:00 - Alice: hi", "[14/10/2021, 3:34:09 PM] Carol: hi")
 * followed by continuation lines, appended to the text with "\n". Lines that parse as headers but do
 * not have the first header's style are continuation lines, so a pasted "2016-04-29 10:30:00" stays
 * in its message.
 *
 * Day/month order. Whether 3/6/18 is the 3rd of June is a per-file fact. Before the first post is
 * returned, the driver looks ahead through the input (which it buffers, without consuming it) until a
 * header shows a day above 12 beside a month; in a real chat that happens within a few days of
 * messages, so the look-ahead is usually a few kilobytes and the file is read once, streaming, at full
 * speed (no second pass, no slurp: memory stays at the window size). A file with no such day at all is
 * read to its end (or to CRED_LIMIT_DATE_SCAN_BYTES) before its first post: then the order is inferred
 * from the sequence of dates (a component that goes down within a year is the day), or, failing that,
 * cred_reader_options.date_order, or day-first (the order of most locales); either way a warning says
 * the order was not certain. When the look-ahead stopped at the limit, a later date that is only valid
 * the other way round flips the order from there on, with a warning. An explicit date_order is obeyed
 * as given (dates invalid under it are left unknown, with a warning).
 *
 * Posts: id = the 1-based line of the header; source = the chat name from the file or zip-entry name
 * ("WhatsApp Chat with X.txt" → "X"), else the reader's source; date = the local time of the header
 * read as UTC (exports carry no zone) and date_text the date as written. Timestamps that go backwards
 * are kept in file order (one note). System notices are counted in stats.system, not returned.
 */
#include "whatsapp.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>

#define PULL_BYTES (1u << 20)

typedef struct wa_state {
    const char *w;             /* input window: w[pos..end) is unread; the core's buffer (peeked, */
    size_t pos, end;           /* not copied), or zbuf for a .zip export */
    char *zbuf;
    size_t zcap;
    bool eof;
    uint64_t lineno;           /* lines consumed */
    struct archive *ar;        /* .zip export: the chat entry is read from here */
    uint64_t entry_bytes;
    int style;                 /* WA_SEP_* of the first header, 0 before it */
    wa_evidence ev;
    wa_order order;
    bool decided, recheck, flipped, backwards_noted;
    int64_t last_date;
    bool pending;              /* `pend` is the parsed header of the line at the read position */
    wa_header pend;
    cred_buf text;             /* the message being assembled */
    char *source;              /* chat name, or NULL for the reader's source */
} wa_state;

/* ---- input window -------------------------------------------------------------------------------- */

static int reserve(wa_state *st, size_t extra)
{
    if (st->zcap - st->end >= extra)
        return 0;
    size_t ncap = st->zcap ? st->zcap : PULL_BYTES;
    while (ncap - st->end < extra)
        ncap *= 2;
    char *nw = realloc(st->zbuf, ncap);
    if (!nw)
        return cred__error_nomem();
    st->w = st->zbuf = nw;
    st->zcap = ncap;
    return 0;
}

/* Make more input visible in the window. 1, 0 at end of input, or a negative code. Moves the window. */
static int pull(cred_reader *r, wa_state *st)
{
    if (st->eof)
        return 0;
    if (!st->ar) { /* hand the consumed bytes back to the core and look further ahead */
        size_t have = st->end - st->pos;
        cred_io__consume(r, st->pos);
        int rc = cred_io__peek(r, have + PULL_BYTES, &st->w, &st->end);
        st->pos = 0;
        if (rc < 0)
            return rc;
        st->eof = st->end == have;
        return !st->eof;
    }
    if (st->pos > 0 && (st->pos == st->end || st->pos >= st->zcap / 2)) {
        memmove(st->zbuf, st->zbuf + st->pos, st->end - st->pos);
        st->end -= st->pos;
        st->pos = 0;
    }
    /* blocks as libarchive decodes them: a damaged entry still yields the bytes before the damage */
    const void *block;
    size_t n;
    la_int64_t at;
    int rc = archive_read_data_block(st->ar, &block, &n, &at);
    if (rc == ARCHIVE_EOF) {
        st->eof = true;
        return 0;
    }
    if (rc < ARCHIVE_WARN) {
        cred_io__diag(r, CRED_SEV_ERROR, CRED_ECORRUPT, st->lineno + 1, 0,
                      "zip: the chat cannot be read past this point: %s", archive_error_string(st->ar));
        st->eof = true;
        return 0;
    }
    if (st->entry_bytes + (uint64_t)n > CRED_LIMIT_ZIP_ENTRY_BYTES) {
        n = (size_t)(CRED_LIMIT_ZIP_ENTRY_BYTES - st->entry_bytes);
        st->eof = true;
        cred_io__diag(r, CRED_SEV_ERROR, CRED_ELIMIT, st->lineno + 1, 0,
                      "zip: the chat is larger than %llu bytes; the rest is not read",
                      (unsigned long long)CRED_LIMIT_ZIP_ENTRY_BYTES);
    }
    if (n == 0)
        return 1; /* an empty block: the caller asks again */
    if (reserve(st, n) < 0)
        return CRED_ENOMEM;
    memcpy(st->zbuf + st->end, block, n);
    st->entry_bytes += (uint64_t)n;
    st->end += n;
    return 1;
}

/* Tell the core what was consumed (keeps stats.bytes current). */
static void sync_consumed(cred_reader *r, wa_state *st)
{
    if (!st->ar && st->pos) {
        cred_io__consume(r, st->pos);
        st->w += st->pos;
        st->end -= st->pos;
        st->pos = 0;
    }
}

/*
 * The line starting `off` bytes after the read position, without consuming it: *len without "\n" or
 * "\r\n", *adv with it. 1, 0 at end of input, 2 when the line is longer than CRED_LIMIT_LINE_BYTES,
 * or a negative code. The line lives at st->w + st->pos + off until the next pull.
 */
static int line_at(cred_reader *r, wa_state *st, size_t off, size_t *len, size_t *adv)
{
    size_t scanned = 0;
    for (;;) {
        const char *s = st->w + st->pos + off;
        size_t avail = st->end - st->pos - off;
        const char *nl = avail > scanned ? memchr(s + scanned, '\n', avail - scanned) : NULL;
        if (nl || st->eof) {
            size_t n = nl ? (size_t)(nl - s) : avail;
            if (n == 0 && !nl)
                return 0;
            *adv = nl ? n + 1 : n;
            if (n > CRED_LIMIT_LINE_BYTES)
                return 2;
            if (n && s[n - 1] == '\r')
                n--;
            *len = n;
            return 1;
        }
        scanned = avail;
        if (avail > CRED_LIMIT_LINE_BYTES)
            return 2;
        int rc = pull(r, st);
        if (rc < 0)
            return rc;
    }
}

/* Drop the over-long line at the read position as it comes (memory stays bounded) and report it. */
static int skip_long_line(cred_reader *r, wa_state *st)
{
    for (;;) {
        const char *nl = memchr(st->w + st->pos, '\n', st->end - st->pos);
        if (nl) {
            st->pos = (size_t)(nl - st->w) + 1;
            break;
        }
        st->pos = st->end;
        int rc = pull(r, st);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
    }
    st->lineno++;
    cred_io__diag(r, CRED_SEV_ERROR, CRED_ELIMIT, st->lineno, 1, "line is longer than %u bytes; skipped",
                  CRED_LIMIT_LINE_BYTES);
    return 0;
}

static bool header_ok(const wa_state *st, const char *s, size_t n, wa_header *h)
{
    return cred_wa__header(s, n, h) && (st->style == 0 || h->style == st->style);
}

/* ---- day/month order ----------------------------------------------------------------------------- */

static const char *order_name(wa_order o)
{
    static char names[3][4][6];
    char *p = names[o.ypos][o.dpos];
    char parts[3] = {0};
    parts[o.ypos] = 'Y';
    parts[o.mpos] = 'M';
    parts[o.dpos] = 'D';
    p[0] = parts[0], p[1] = '/', p[2] = parts[1], p[3] = '/', p[4] = parts[2], p[5] = 0;
    return p;
}

/* Look ahead from the read position for day/month evidence, then decide (see the file comment). */
static int decide_order(cred_reader *r, wa_state *st)
{
    size_t off = 0, len, adv;
    bool capped = false;
    wa_header h;
    while (!cred_wa__decisive(&st->ev)) {
        if (off > CRED_LIMIT_DATE_SCAN_BYTES) {
            capped = true;
            break;
        }
        int rc = line_at(r, st, off, &len, &adv);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        if (rc == 2) {
            capped = true;
            break;
        }
        if (header_ok(st, st->w + st->pos + off, len, &h))
            cred_wa__evidence_add(&st->ev, &h);
        off += adv;
    }
    int how;
    cred_date_order hint = r->opts.date_order;
    if (hint != CRED_DATE_ORDER_DMY && hint != CRED_DATE_ORDER_MDY && hint != CRED_DATE_ORDER_YMD)
        hint = CRED_DATE_ORDER_AUTO;
    st->order = cred_wa__decide(&st->ev, hint, &how);
    st->decided = true;
    st->recheck = capped && how >= 2;
    if (how == 2)
        cred_io__diag(r, CRED_SEV_WARNING, CRED_EFORMAT, st->lineno + 1, 0,
                      "day/month order is ambiguous (no day above 12 in %llu dates%s); read as %s from "
                      "the sequence of dates; set the date order to choose",
                      (unsigned long long)st->ev.headers, capped ? " looked at" : "", order_name(st->order));
    else if (how == 3)
        cred_io__diag(r, CRED_SEV_WARNING, CRED_EFORMAT, st->lineno + 1, 0,
                      "day/month order is ambiguous (no day above 12 in %llu dates%s); read as %s; set the "
                      "date order to choose",
                      (unsigned long long)st->ev.headers, capped ? " looked at" : "", order_name(st->order));
    return 0;
}

/* ---- posts --------------------------------------------------------------------------------------- */

static char *decimal(cred_reader *r, uint64_t v)
{
    char buf[24];
    int k = (int)sizeof buf;
    do {
        buf[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return cred_io__str(r, buf + k, sizeof buf - (size_t)k);
}

/* Offset of the author's ": " in rest (a ':' ending the line counts), or n. */
static size_t author_colon(const char *rest, size_t n)
{
    for (const char *p = rest; (p = memchr(p, ':', (size_t)(rest + n - p))) != NULL; p++) {
        size_t i = (size_t)(p - rest);
        if (i > 0 && (i + 1 == n || rest[i + 1] == ' '))
            return i;
    }
    return n;
}

static int next(cred_reader *r, cred_post *post)
{
    wa_state *st = r->state;
    size_t len, adv;
    wa_header h;
    int rc;
    for (;;) {
        /* the next header; lines before the first one are reported as one block */
        uint64_t orphan_from = 0, orphans = 0;
        for (;;) {
            rc = line_at(r, st, 0, &len, &adv);
            if (rc < 0)
                return rc;
            if (rc == 2) {
                if ((rc = skip_long_line(r, st)) < 0)
                    return rc;
                continue;
            }
            if (rc == 1 && st->pending) {
                h = st->pend;
                break;
            }
            if (rc == 1 && header_ok(st, st->w + st->pos, len, &h))
                break;
            if (rc == 0)
                break;
            if (!orphans++)
                orphan_from = st->lineno + 1;
            st->pos += adv;
            st->lineno++;
        }
        if (orphans)
            cred_io__diag(r, CRED_SEV_ERROR, CRED_ESYNTAX, orphan_from, 1,
                          "%llu line(s) of text before the first message header; skipped",
                          (unsigned long long)orphans);
        if (rc == 0) {
            sync_consumed(r, st);
            return 0;
        }

        st->pending = false;
        uint64_t hline = st->lineno + 1;
        if (!st->style)
            st->style = h.style;
        if (!st->decided) {
            if ((rc = decide_order(r, st)) < 0)
                return rc;
            if ((rc = line_at(r, st, 0, &len, &adv)) != 1) /* the window may have moved */
                return rc < 0 ? rc : cred__error(CRED_ERROR, "whatsapp: lost the header line");
            cred_wa__header(st->w + st->pos, len, &h);
        }
        const char *s = st->w + st->pos;
        const char *rest = s + h.rest;
        size_t rn = len - h.rest;
        size_t colon = author_colon(rest, rn);
        bool system = cred_wa__system(rest, rn, colon);
        if (!system) {
            int64_t date = CRED_DATE_UNKNOWN;
            if (cred_wa__date(&h, st->order, &date) < 0) {
                wa_order o = st->order;
                o.dpos = st->order.mpos;
                o.mpos = st->order.dpos;
                if (st->recheck && !st->flipped && cred_wa__date(&h, o, &date) == 0) {
                    st->order = o;
                    st->flipped = true;
                    cred_io__diag(r, CRED_SEV_WARNING, CRED_EFORMAT, hline, (uint64_t)h.dt_start + 1,
                                  "this date is only valid as %s: reading dates as %s from here on (earlier "
                                  "dates were read the other way)", order_name(o), order_name(o));
                } else {
                    date = CRED_DATE_UNKNOWN;
                    cred_io__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, hline, (uint64_t)h.dt_start + 1,
                                  "'%.*s' is not a valid %s date; date left unknown", (int)(h.dt_end - h.dt_start),
                                  s + h.dt_start, order_name(st->order));
                }
            }
            if (date != CRED_DATE_UNKNOWN) {
                if (st->last_date != CRED_DATE_UNKNOWN && date < st->last_date && !st->backwards_noted) {
                    st->backwards_noted = true;
                    cred_io__diag(r, CRED_SEV_NOTE, 0, hline, (uint64_t)h.dt_start + 1,
                                  "timestamps go backwards here (kept in file order)");
                }
                st->last_date = date;
            }
            post->date = date;
            post->date_text = cred_io__str(r, s + h.dt_start, h.dt_end - h.dt_start);
            post->author = cred_io__field(r, hline, "author", rest, colon);
            if (!post->date_text || !post->author)
                return cred__error_nomem();
        }
        cred_buf_clear(&st->text);
        if (!system && colon < rn) {
            size_t m = colon + 1 + (colon + 1 < rn && rest[colon + 1] == ' ');
            if (cred_buf_put(&st->text, rest + m, rn - m) < 0)
                return CRED_ENOMEM;
        }
        st->pos += adv;
        st->lineno++;

        /* continuation lines, up to the next header */
        for (;;) {
            rc = line_at(r, st, 0, &len, &adv);
            if (rc < 0)
                return rc;
            if (rc == 0)
                break;
            if (rc == 2) {
                if ((rc = skip_long_line(r, st)) < 0)
                    return rc;
                continue;
            }
            s = st->w + st->pos;
            if (header_ok(st, s, len, &st->pend)) {
                st->pending = true;
                break;
            }
            if (!system && st->text.len <= CRED_LIMIT_POST_BYTES) {
                size_t room = CRED_LIMIT_POST_BYTES + 1 - st->text.len;
                if (cred_buf_putc(&st->text, '\n') < 0 || cred_buf_put(&st->text, s, CRED_MIN(len, room)) < 0)
                    return CRED_ENOMEM;
            }
            st->pos += adv;
            st->lineno++;
        }
        if (system) {
            r->stats.system++;
            continue;
        }

        const char *t = st->text.ptr ? st->text.ptr : "";
        size_t tn = st->text.len;
        const char *nl = memchr(t, '\n', tn);
        wa_body body;
        cred_wa__classify(t, nl ? (size_t)(nl - t) : tn, &body);
        if (body.drop_first_line) {
            size_t cut = nl ? (size_t)(nl - t) + 1 : tn;
            t += cut;
            tn -= cut;
        }
        post->flags |= body.flags;
        post->media = body.media;
        if (!(body.flags & CRED_POST_DELETED)) {
            size_t e = cred_wa__edited(t, tn);
            if (e != tn) {
                post->flags |= CRED_POST_EDITED;
                tn = e;
            }
        }
        const char *from;
        size_t from_len;
        if (cred_wa__forwarded(t, tn, &from, &from_len)) {
            post->forwarded_from = from ? cred_io__field(r, hline, "forwarded_from", from, from_len) : "unknown";
            if (!post->forwarded_from)
                return cred__error_nomem();
        }
        if ((rc = cred_io__set_text(r, post, t, tn)) < 0)
            return rc;
        post->kind = CRED_KIND_MESSAGE;
        post->line = hline;
        post->id = decimal(r, hline);
        post->source = st->source ? st->source : r->source;
        sync_consumed(r, st);
        return post->id ? 1 : cred__error_nomem();
    }
}

/* ---- .zip exports -------------------------------------------------------------------------------- */

static la_ssize_t zip_read(struct archive *a, void *payload, const void **buf)
{
    cred_reader *r = payload;
    const char *d;
    size_t n;
    int rc = cred_io__chunk(r, &d, &n);
    if (rc < 0) {
        archive_set_error(a, EIO, "%s", cred_error_last()->message);
        return -1;
    }
    *buf = d;
    return rc == 0 ? 0 : (la_ssize_t)n;
}

static bool ends_txt(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcasecmp(name + n - 4, ".txt") == 0;
}

/* Is this zip entry the chat? "_chat.txt", "WhatsApp Chat with X.txt" and localised names. */
static bool chat_entry(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    return ends_txt(base) && (strcmp(base, "_chat.txt") == 0 || strcasestr(base, "whatsapp") != NULL);
}

static int set_source(wa_state *st, const char *name)
{
    const char *c;
    size_t n;
    if (st->source || !cred_wa__chat_name(name, &c, &n))
        return 0;
    if (n > CRED_LIMIT_FIELD_BYTES)
        n = CRED_LIMIT_FIELD_BYTES;
    st->source = cred__strndup(c, n);
    return st->source ? 0 : cred__error_nomem();
}

static int probe(const char *head, size_t len);

/* Find the chat entry, skipping media. A plain .txt entry is taken when its content looks like a chat. */
static int open_zip(cred_reader *r, wa_state *st)
{
    st->ar = archive_read_new();
    if (!st->ar)
        return cred__error_nomem();
    archive_read_support_format_zip(st->ar);
    if (archive_read_open(st->ar, r, NULL, zip_read, NULL) != ARCHIVE_OK)
        return cred__error_at(CRED_ECORRUPT, r->name, 0, 0, 0, "%s: cannot read the zip archive: %s", r->name,
                              archive_error_string(st->ar));
    for (;;) {
        struct archive_entry *e;
        int rc = archive_read_next_header(st->ar, &e);
        if (rc == ARCHIVE_EOF)
            return cred__error_at(CRED_EFORMAT, r->name, 0, 0, cred_io__offset(r),
                                  "%s: the zip archive has no WhatsApp chat (_chat.txt or \"WhatsApp Chat "
                                  "with ….txt\") entry", r->name);
        if (rc < ARCHIVE_WARN)
            return cred__error_at(CRED_ECORRUPT, r->name, 0, 0, cred_io__offset(r),
                                  "%s: broken or truncated zip archive: %s", r->name, archive_error_string(st->ar));
        const char *name = archive_entry_pathname(e);
        if (!name)
            name = archive_entry_pathname_utf8(e);
        if (name && ends_txt(name) && archive_entry_filetype(e) == AE_IFREG) {
            bool named = chat_entry(name);
            if (!named) { /* a document sent in the chat, or the chat under another name? */
                int prc;
                while ((prc = pull(r, st)) > 0 && st->end < 4096)
                    ;
                if (prc < 0)
                    return prc;
                named = probe(st->zbuf ? st->zbuf : "", st->end) >= 50;
                if (!named) {
                    st->pos = st->end = 0;
                    st->eof = false;
                    st->entry_bytes = 0;
                }
            }
            if (named) {
                if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > CRED_LIMIT_ZIP_ENTRY_BYTES)
                    cred_io__diag(r, CRED_SEV_ERROR, CRED_ELIMIT, 0, 0,
                                  "zip: the chat entry %s has %lld bytes; only the first %llu are read", name,
                                  (long long)archive_entry_size(e), (unsigned long long)CRED_LIMIT_ZIP_ENTRY_BYTES);
                int src = set_source(st, name);
                return src < 0 ? src : set_source(st, r->name);
            }
        }
        if (archive_read_data_skip(st->ar) < ARCHIVE_WARN)
            return cred__error_at(CRED_ECORRUPT, r->name, 0, 0, cred_io__offset(r),
                                  "%s: broken or truncated zip archive: %s", r->name, archive_error_string(st->ar));
    }
}

/* ---- driver -------------------------------------------------------------------------------------- */

static bool zip_magic(const char *head, size_t len)
{
    return len >= 4 && memcmp(head, "PK\3\4", 4) == 0;
}

/* Names of the entries whose local headers are within head: a chat entry scores high. */
static int probe_zip(const char *head, size_t len)
{
    int score = 20; /* some zip: maybe an export whose chat comes after media */
    size_t o = 0;
    while (o + 30 <= len && memcmp(head + o, "PK\3\4", 4) == 0) {
        const unsigned char *p = (const unsigned char *)head + o;
        size_t comp = p[18] | (size_t)p[19] << 8 | (size_t)p[20] << 16 | (size_t)p[21] << 24;
        size_t nlen = p[26] | (size_t)p[27] << 8, xlen = p[28] | (size_t)p[29] << 8;
        if (o + 30 + nlen > len || nlen >= 1024)
            break;
        char name[1024];
        memcpy(name, head + o + 30, nlen);
        name[nlen] = 0;
        if (chat_entry(name))
            return 95;
        if (ends_txt(name))
            score = 60;
        if ((p[6] & 8) || comp == 0)
            break; /* sizes in a data descriptor: the next header's place is unknown */
        o += 30 + nlen + xlen + comp;
    }
    return score;
}

static int probe(const char *head, size_t len)
{
    if (zip_magic(head, len))
        return probe_zip(head, len);
    size_t i = 0, lines = 0, headers = 0;
    int style = 0;
    bool first = false;
    while (i < len && lines < 64) {
        const char *nl = memchr(head + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - head) : len;
        size_t n = e - i;
        if (n && head[e - 1] == '\r')
            n--;
        if (n > 0) {
            wa_header h;
            bool ok = cred_wa__header(head + i, n, &h) && (!style || h.style == style);
            if (ok) {
                if (!style)
                    style = h.style;
                headers++;
            }
            if (lines++ == 0)
                first = ok;
        }
        i = e + 1;
    }
    if (!first)
        return headers >= 3 && headers * 4 >= lines ? 60 : 0;
    if (headers >= 2)
        return 95;
    return lines == 1 ? 80 : 60;
}

static int open_(cred_reader *r)
{
    wa_state *st = calloc(1, sizeof *st);
    if (!st)
        return cred__error_nomem();
    r->state = st;
    st->w = "";
    cred_wa__evidence_init(&st->ev);
    st->last_date = CRED_DATE_UNKNOWN;
    if (r->opts.date_order == CRED_DATE_ORDER_DMY || r->opts.date_order == CRED_DATE_ORDER_MDY ||
        r->opts.date_order == CRED_DATE_ORDER_YMD) {
        int how;
        st->order = cred_wa__decide(&st->ev, r->opts.date_order, &how);
        st->decided = true;
    }
    /* the core has buffered the head of the input (unconsumed) before calling open */
    if (zip_magic(r->buf + r->pos, r->end - r->pos)) {
        int rc = open_zip(r, st);
        if (rc < 0)
            return rc;
    }
    return set_source(st, r->name);
}

static void close_(cred_reader *r)
{
    wa_state *st = r->state;
    if (!st)
        return;
    if (st->ar)
        archive_read_free(st->ar);
    free(st->zbuf);
    free(st->source);
    cred_buf_free(&st->text);
    free(st);
    r->state = NULL;
}

const cred_io_driver cred_io__whatsapp = {CRED_FORMAT_WHATSAPP, probe, open_, next, close_};
