/*
 * Internal interface of engine/io/: the reader core (reader.c) and the format drivers.
 *
 * A driver turns a byte stream into cred_post records. The core owns the input (a file descriptor read
 * in chunks, or a memory buffer), format detection, the per-record arena, counters and diagnostics.
 * Drivers pull input through cred_io__line() (line formats) or cred_io__chunk() (streaming parsers),
 * or take the whole remaining input with cred_io__slurp() when the format is small by nature
 * (transcripts) or needs random access (zip).
 *
 * Memory: everything a record points to is allocated from r->rec, which is reset before each
 * driver->next() call, so a reader holds at most one record plus its input window.
 */
#ifndef CRED_IO_H
#define CRED_IO_H

#include "util/util.h"

typedef struct cred_io_driver {
    cred_format format;
    /** Confidence 0..100 that `head` (the first bytes of the input, ≤ 64 KiB) is this format. */
    int (*probe)(const char *head, size_t len);
    /** Set up r->state. Return 0 or a negative code (with cred__error set). */
    int (*open)(cred_reader *r);
    /** Fill *post (zeroed by the core, strings in r->rec). Return 1, 0 at end, or negative (fatal). */
    int (*next)(cred_reader *r, cred_post *post);
    /** Release r->state (may be NULL). */
    void (*close)(cred_reader *r);
} cred_io_driver;

struct cred_reader {
    const cred_io_driver *drv;
    void *state;                /* the driver's */
    cred_reader_options opts;
    char *name;                 /* input name for diagnostics ("-" reads as "<stdin>") */
    char *source;               /* default source: opts.source, else the file's base name */
    cred_reader_stats stats;
    cred_arena rec;             /* per-record allocations */
    cred_post post;

    /* input window: buf[pos..end) is unread; `offset` is the input offset of buf[0] */
    int fd;                     /* -1 for memory input */
    bool owns_buf, eof;
    char *buf;
    size_t cap, pos, end;
    uint64_t offset;
    uint64_t line;              /* lines returned by cred_io__line() so far */
};

/**
 * Next line (without its "\n" or "\r\n"), borrowed until the next input call.
 * Lines longer than CRED_LIMIT_LINE_BYTES are skipped with a diagnostic (they are counted, and the
 * reader goes on with the following line). A final line without newline is returned too.
 * @return 1, 0 at end of input, or a negative code on an I/O error.
 */
int cred_io__line(cred_reader *r, const char **line, size_t *len);

/**
 * Next chunk of raw input (up to 1 MiB), borrowed until the next input call.
 * @return 1, 0 at end, or negative on I/O error.
 */
int cred_io__chunk(cred_reader *r, const char **data, size_t *len);

/**
 * The whole remaining input (at most `max` bytes, else CRED_ELIMIT), owned by the reader until it is
 * freed. Afterwards, cred_io__line()/cred_io__chunk() return 0.
 */
int cred_io__slurp(cred_reader *r, const char **data, size_t *len, size_t max);

/**
 * Look ahead without consuming: buffer at least `want` unread bytes (fewer at end of input) and return
 * the whole unread window, borrowed until the next input call. Nothing is copied; memory grows with
 * `want`. Pair with cred_io__consume(). (Used by drivers that decide from later input, e.g. WhatsApp.)
 * @return 0, or a negative code on an I/O error.
 */
int cred_io__peek(cred_reader *r, size_t want, const char **data, size_t *len);

/** Mark the first n bytes of the window returned by cred_io__peek() as consumed. */
void cred_io__consume(cred_reader *r, size_t n);

/** Input offset of the next unread byte. */
uint64_t cred_io__offset(const cred_reader *r);

/**
 * Report a diagnostic to the caller's on_diag and count it: CRED_SEV_ERROR counts as skipped,
 * CRED_SEV_WARNING as repaired. `line`/`column` are 1-based (0 when unknown).
 */
void cred_io__diag(cred_reader *r, cred_severity sev, int code, uint64_t line, uint64_t column,
                   const char *fmt, ...) CRED_PRINTF(6, 7);

/** Copy n bytes into the record arena (NUL-terminated). NULL on ENOMEM. */
char *cred_io__str(cred_reader *r, const char *s, size_t n);
char *cred_io__strf(cred_reader *r, const char *fmt, ...) CRED_PRINTF(2, 3);

/**
 * Copy a metadata field (id, author, source, url, ...) into the record arena, cutting it at
 * CRED_LIMIT_FIELD_BYTES on a UTF-8 boundary with a warning naming `what`. NULL on ENOMEM.
 */
char *cred_io__field(cred_reader *r, uint64_t line, const char *what, const char *s, size_t n);

/**
 * Set post->text from s[0..n), cutting at CRED_LIMIT_POST_BYTES on a UTF-8 boundary (flag
 * CRED_POST_TRUNCATED and a warning). The bytes are copied into the record arena. 0 or CRED_ENOMEM.
 */
int cred_io__set_text(cred_reader *r, cred_post *post, const char *s, size_t n);

/** Most columns cred_reader_options.text_col may join with '+'. */
#define CRED_IO_TEXT_PARTS 8

/**
 * Split a text_col spec "a+b+c" into its parts (pointers into spec, with lengths).
 * @return the number of parts, or 0 when spec has none or more than CRED_IO_TEXT_PARTS.
 */
size_t cred_io__text_parts(const char *spec, const char *part[CRED_IO_TEXT_PARTS], size_t len[CRED_IO_TEXT_PARTS]);

/**
 * Set post->text to the non-empty parts s[i][0..n[i]) joined by a blank line ("\n\n"), cut like
 * cred_io__set_text(). 0 or CRED_ENOMEM.
 */
int cred_io__set_text_parts(cred_reader *r, cred_post *post, const char *const *s, const size_t *n, size_t count);

/** Parse an ISO-8601 / RFC 3339 date-time ("2021-03-04T05:06:07Z", "+02:00", " " separator,
 *  date only) or integer epoch seconds into UTC seconds. Local times without zone are read as UTC.
 *  @return 0, or CRED_ESYNTAX. */
int cred_io__parse_date(int64_t *out, const char *s, size_t n);

/** UTC seconds of a civil date-time (proleptic Gregorian). */
int64_t cred_io__timegm(int year, int month, int day, int hour, int min, int sec);

/* The drivers (one per format file). NULL entries are formats not built yet. */
extern const cred_io_driver cred_io__jsonl;
extern const cred_io_driver cred_io__csv;
extern const cred_io_driver cred_io__text;
extern const cred_io_driver cred_io__telegram;
extern const cred_io_driver cred_io__whatsapp;
extern const cred_io_driver cred_io__facebook;
extern const cred_io_driver cred_io__vtt;
extern const cred_io_driver cred_io__srt;
extern const cred_io_driver cred_io__json3;
extern const cred_io_driver cred_io__srv3;

#endif
