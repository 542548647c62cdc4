/*
 * Streaming JSON for the chat-export drivers (telegram.c, facebook.c): a repairing byte filter in front
 * of yajl, input positions for diagnostics, and a small queue of finished records.
 *
 * cred_jstream pulls the reader's input with cred_io__chunk(), repairs what exporters are known to get
 * wrong, and feeds the result to yajl_parse() one chunk (≤ 1 MiB) at a time, so memory stays bounded
 * whatever the file size. A cred_jwalk keeps the stack of containers and the current key and calls the
 * driver with the frame a value is in; the driver assembles records into a cred_jq; one chunk may
 * finish several records, which the driver then hands out one per next() call.
 *
 * Repairs (each reported as a warning and counted in stats.repaired):
 *  - `\xNN` escapes (Telegram Desktop wrote them for control characters) become `\u00NN`, i.e. the
 *    code point U+00NN. For NN < 0x80 that is the byte itself; a lone byte ≥ 0x80 is not UTF-8, so it
 *    is read as Latin-1 (the only reading that keeps the information).
 *  - any other invalid escape `\c` keeps the backslash as text (`\\c`).
 *  - raw control bytes inside strings (NUL, newline, ...) become `\u00NN` escapes.
 *  - a bare value that is not true/false/null or a number (Telegram wrote unquoted `document_id` file
 *    names) becomes a string: everything up to the next `,` `}` `]` or end of line, trimmed.
 *  - control bytes outside strings (other than whitespace) are dropped, as is a UTF-8 byte-order mark.
 * Limits: a single JSON string longer than CRED_LIMIT_LINE_BYTES, a bare value longer than
 * CRED_LIMIT_FIELD_BYTES, or nesting deeper than CRED_LIMIT_JSON_DEPTH end the stream with CRED_ELIMIT.
 * String bytes are not validated as UTF-8 (yajl_dont_validate_strings): text is kept as written and the
 * text pipeline replaces invalid bytes later.
 */
#ifndef CRED_IO_JSON_STREAM_H
#define CRED_IO_JSON_STREAM_H

#include "io/io.h"

#include <yajl/yajl_parse.h>

/* ---- record queue ------------------------------------------------------------------------------ */

#define CRED_JQ_SLOTS 16
#define CRED_JQ_ABSENT ((size_t)-1)

/** One finished (or in-progress) record: string slots and links stored in the queue's data buffer. */
typedef struct cred_jrec {
    size_t off[CRED_JQ_SLOTS];  /* CRED_JQ_ABSENT when the slot is not set */
    size_t len[CRED_JQ_SLOTS];
    size_t link0, nlinks;       /* index range in cred_jq.links */
    size_t base;                /* first byte of this record in cred_jq.data */
    uint64_t line;              /* input line where the record starts */
    unsigned int bits;          /* driver-defined flags */
} cred_jrec;

typedef struct cred_jq {
    cred_buf data;              /* bytes of every queued record, then the current one's */
    struct { size_t off, len; } *links;
    size_t nlinks, links_cap, link_bytes;
    cred_jrec *recs;            /* finished records [head, count) */
    size_t head, count, cap;
    cred_jrec cur;              /* the record being assembled */
    bool open;                  /* cur is in progress */
    cred_buf text;              /* text of cur, capped a little above CRED_LIMIT_POST_BYTES */
} cred_jq;

/** Start a record at input line `line` (drops any unfinished one). */
void cred_jq_begin(cred_jq *q, uint64_t line);
/** Set slot `slot` of the current record to a copy of s[0..n) (cut a little above
 *  CRED_LIMIT_FIELD_BYTES; cred_io__field() makes the final cut). 0 or CRED_ENOMEM. */
int cred_jq_set(cred_jq *q, int slot, const char *s, size_t n);
/** Append to the current record's text (bytes beyond CRED_LIMIT_POST_BYTES + 4 are dropped). */
int cred_jq_text(cred_jq *q, const char *s, size_t n);
/** Add a link to the current record (links beyond CRED_LIMIT_POST_BYTES in total are dropped). */
int cred_jq_link(cred_jq *q, const char *s, size_t n);
/** Finish the current record: it joins the queue (its text goes to slot `text_slot`). */
int cred_jq_commit(cred_jq *q, int text_slot);
/** Drop the current record. */
void cred_jq_drop(cred_jq *q);
/** Next finished record, or NULL when the queue is empty. Borrowed until the next cred_jq_* call. */
const cred_jrec *cred_jq_pop(cred_jq *q);
/** Forget every popped record, keeping the current one (call before feeding more input). */
void cred_jq_compact(cred_jq *q);
/** A slot's bytes, or NULL when absent. */
static inline const char *cred_jq_get(const cred_jq *q, const cred_jrec *rec, int slot, size_t *n)
{
    if (rec->off[slot] == CRED_JQ_ABSENT)
        return NULL;
    *n = rec->len[slot];
    return q->data.ptr ? q->data.ptr + rec->off[slot] : ""; /* NULL: nothing stored yet */
}
/** Copy a record's links into the reader's record arena as post->links. 0 or CRED_ENOMEM. */
int cred_jq_links_to_post(const cred_jq *q, const cred_jrec *rec, cred_reader *r, cred_post *post);
void cred_jq_free(cred_jq *q);

/* ---- the stream -------------------------------------------------------------------------------- */

/** Newline counting over the current chunk: in[0..scan) is counted; `line` is the line of in[scan]. */
typedef struct cred_jlines {
    size_t scan;
    uint64_t line;              /* 1-based */
    uint64_t line_start;        /* input offset where that line starts */
} cred_jlines;

typedef struct cred_jstream {
    cred_reader *r;
    yajl_handle h;
    int cancel_rc;              /* set by a callback (with cred__error_at) before returning 0 */

    /* filter: unchanged input is passed to yajl in place; only repaired chunks are copied */
    const char *feed;           /* what yajl gets for the current chunk: the input or `out` */
    size_t feed_len;
    cred_buf out;               /* the repaired copy of the current chunk, when one is needed */
    size_t flushed;             /* in[0..flushed) is already in `out` (or deliberately left out) */
    cred_buf tok;               /* a bare value withheld at a chunk end */
    size_t tok_start, esc_start;/* where the current bare value / escape began in this chunk */
    char pend[8];               /* the current escape, from its backslash */
    size_t npend;
    size_t held;                /* bytes of tok or pend withheld from an earlier chunk (0: none) */
    int state, depth;
    uint64_t str_bytes;
    bool started;
    struct { size_t out, in; } *map;  /* repair points of the current chunk */
    size_t nmap, map_cap;

    /* positions: the filter runs over a chunk before yajl does, so each has its own line tracker */
    const char *in;             /* current raw chunk */
    size_t in_len;
    uint64_t in_base;           /* input offset of in[0] */
    cred_jlines pt, ft;         /* parser's and filter's */
    bool content;               /* a byte other than whitespace was seen */
    bool eof, failed;
    int fail_rc;
} cred_jstream;

/** Set up a stream on r calling `cb` with `ctx`. 0 or CRED_ENOMEM. */
int cred_jstream_init(cred_jstream *js, cred_reader *r, const yajl_callbacks *cb, void *ctx);

/**
 * Read, repair and parse the next chunk of input (the callbacks run meanwhile).
 * @return 1 when a chunk was parsed, 0 when the input ended cleanly (or was empty), or a negative code
 *         (CRED_ESYNTAX, CRED_ELIMIT, a callback's cancel_rc, CRED_EIO) with cred_error_last() naming
 *         file, line and column. Errors are sticky: later calls return the same code.
 */
int cred_jstream_step(cred_jstream *js);

/** Input line, column and offset just after the token being parsed (valid inside callbacks). */
void cred_jstream_pos(cred_jstream *js, uint64_t *line, uint64_t *column, uint64_t *offset);

/** Cancel the parse from a callback with an error at the current position. Returns 0 (for yajl). */
int cred_jstream_cancel(cred_jstream *js, int code, const char *fmt, ...) CRED_PRINTF(3, 4);

/** True when the input had no byte except whitespace (an empty input is not an error). */
bool cred_jstream_empty(const cred_jstream *js);

void cred_jstream_free(cred_jstream *js);

/* ---- the container walk ------------------------------------------------------------------------ */

/*
 * A driver names what each JSON container stands for with a small number (a "frame"; CRED_JW_SKIP for
 * whatever it ignores, whose keys are then not even looked up) and each key it knows with a number (0
 * for the others). The walk keeps the stack and the key that named the current value, and calls:
 *   scalar(ctx, frame, key, s, n, is_str)  a string, a number as written, "true" (with true_as_text),
 *                                          or s = NULL for null, false (and true without it);
 *   start(ctx, frame, key, is_map)         a container opens: returns the frame it stands for, or
 *                                          CRED_JW_CANCEL after cred_jstream_cancel();
 *   end(ctx, frame)                        a container closes: 1, or 0 after cred_jstream_cancel().
 * frame is CRED_JW_TOP for a value at the top level. scalar returns 1, or 0 to cancel.
 */
#define CRED_JW_SKIP 255
#define CRED_JW_TOP (-1)
#define CRED_JW_CANCEL (-2)

typedef struct cred_jwalk_ops {
    int (*key_id)(const char *s, size_t n);
    int (*scalar)(void *ctx, int frame, int key, const char *s, size_t n, bool is_str);
    int (*start)(void *ctx, int frame, int key, bool is_map);
    int (*end)(void *ctx, int frame);
    bool true_as_text;
} cred_jwalk_ops;

typedef struct cred_jwalk {
    cred_jstream js;
    const cred_jwalk_ops *ops;
    void *ctx;
    int depth, key;
    unsigned char frame[CRED_LIMIT_JSON_DEPTH + 2];
} cred_jwalk;

/** Set up a walk over r's input calling ops with ctx; then drive it with cred_jstream_step(&w->js). */
int cred_jwalk_init(cred_jwalk *w, cred_reader *r, const cred_jwalk_ops *ops, void *ctx);

#endif
