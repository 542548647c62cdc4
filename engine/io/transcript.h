/*
 * Internal interface of the transcript readers (WebVTT, SubRip, YouTube json3 / srv3 / srv1).
 *
 * Each format parses its whole input into a list of cues (cred_cues); the shared transcript driver core
 * (transcript.c) then collapses rolling captions and turns the cues into posts:
 *
 *   1. one CRED_KIND_TRANSCRIPT post for the whole input: id "<source>", text = the cues' plain texts
 *      joined by " " (cue line breaks become spaces too), start = first cue start, end = last cue end;
 *   2. then, in time order, one CRED_KIND_WINDOW post per non-empty window: window k holds the cues whose
 *      start lies in [k*W, (k+1)*W) seconds (W = opts.window_seconds, default 30); its start/end are
 *      those of its first/last cue and its id is "<source>#<start>-<end>" with seconds printed with up to
 *      three decimals ("talk.vtt#30.5-58"), so that a claim can be located in the video.
 *
 * Posts leave out lines that are only a sound annotation ("[Music]", "[Applause]"); cues keep them.
 * The cue-level functions are exposed so that tests can compare cues with other parsers' golden files.
 */
#ifndef CRED_IO_TRANSCRIPT_H
#define CRED_IO_TRANSCRIPT_H

#include "io.h"

/** One cue. Strings are NUL-terminated UTF-8 owned by the cred_cues arena; never NULL. */
typedef struct cred_cue {
    const char *id;       /**< cue identifier as written ("" when none) */
    double start, end;    /**< seconds; end may be < start when the input says so (reported) */
    const char *raw;      /**< cue payload as written (WebVTT: with tags), lines joined by "\n" */
    const char *text;     /**< plain text: tags stripped, entities decoded, lines joined by "\n" */
    const char *settings; /**< WebVTT cue settings / SubRip coordinates after the end time, or "" */
    uint64_t line;        /**< 1-based input line of the timing line (or of the element) */
} cred_cue;

/** A growable list of cues plus the arena holding their strings. Zero-initialise, then cred_cues_free. */
typedef struct cred_cues {
    cred_cue *v;
    size_t n, cap;
    cred_arena mem;
    const char *lang; /**< language declared by the input (WebVTT "Language:" header), or NULL */
} cred_cues;

void cred_cues_init(cred_cues *c);
void cred_cues_free(cred_cues *c);
/** Append a cue, copying the strings (NULL stands for ""). 0 or CRED_ENOMEM. */
int cred_cues_add(cred_cues *c, const char *id, double start, double end, const char *raw, size_t raw_len,
                  const char *text, size_t text_len, const char *settings, uint64_t line);

/*
 * The parsers. Each reads a whole input (raw bytes as stored, with or without BOM) into `out`, which the
 * caller initialised. Problems are reported through `r` (cred_io__diag; r may be NULL for no reports):
 * a cue whose timing cannot be read is skipped with an error naming line and column, a repaired oddity
 * is a warning; a json3/srv3 document that stops parsing is reported and the cues read before the
 * problem are kept. Returns 0, or CRED_ENOMEM (the cues added so far stay in `out`).
 */
int cred_vtt__parse(cred_cues *out, const char *s, size_t n, cred_reader *r);
int cred_srt__parse(cred_cues *out, const char *s, size_t n, cred_reader *r);
int cred_json3__parse(cred_cues *out, const char *s, size_t n, cred_reader *r);
int cred_srv3__parse(cred_cues *out, const char *s, size_t n, cred_reader *r);

/**
 * Plain text of a WebVTT cue payload, following the spec's cue text tokenizer: every tag (<c.x>,
 * <v Speaker>, <b>, <i>, <u>, <ruby>, <rt>, <lang en>, timestamps <00:00:01.000>, unknown ones) is
 * dropped and the text tokens are concatenated, with character references decoded
 * (cred_tr__entity). Appends to `out`. 0 or CRED_ENOMEM.
 */
int cred_vtt__cue_text(cred_buf *out, const char *s, size_t n);

/**
 * Decode an HTML character reference at s[0..n) (s[0] == '&') the way the HTML tokenizer does outside
 * attributes: numeric (&#32; &#x20;, with or without ';') and named ones. Names known: the HTML 4 set
 * of 253 (&amp; &lt; &gt; &quot; &apos; &nbsp; &copy; &notin; ... via libxml2's table), plus &lrm;
 * &rlm; &zwj; &zwnj; and the upper-case &AMP; &LT; &GT; &QUOT; &COPY; &REG;; the legacy names may
 * omit the ';' ("&amp" "&not"). The other HTML 5 names (e.g. &ClockwiseContourIntegral;) are left as
 * written. On success appends the character(s) to `out` and returns the bytes consumed; returns 0 when
 * s does not start a reference (the caller keeps the '&'), or CRED_ENOMEM.
 */
long cred_tr__entity(cred_buf *out, const char *s, size_t n);

/** Decode every character reference in s[0..n) into `out` (appending). 0 or CRED_ENOMEM. */
int cred_tr__decode_entities(cred_buf *out, const char *s, size_t n);

/**
 * Convert a text transcript's bytes to UTF-8 in `out` (replacing its content): a UTF-8 BOM is dropped;
 * UTF-16 LE/BE is recognised by its BOM or, without one, by NUL bytes in the odd (even) positions, and
 * converted with iconv; input that is not valid UTF-8 is read as windows-1252 when `cp1252` is set and
 * it holds no valid multi-byte UTF-8 sequence, else invalid bytes become U+FFFD; NUL becomes U+FFFD.
 * Each repair is reported once as a warning. 0 or CRED_ENOMEM.
 */
int cred_tr__to_utf8(cred_buf *out, const char *s, size_t n, bool cp1252, cred_reader *r);

/**
 * Collapse rolling captions (YouTube auto-captions and other roll-up sources), in place:
 *  - a cue lasting at most CRED_TR_SNAPSHOT_SECONDS whose every line repeats a line of the previous kept
 *    cue or of the next cue is dropped (the ~10 ms "snapshot" cues);
 *  - leading lines of a cue that repeat the trailing lines of the previous cue are dropped, as long as
 *    one line of the cue is left (a cue that only repeats is kept: people do say "No." twice).
 * Lines are compared after trimming whitespace; blank lines are ignored.
 * @return the number of cues dropped or trimmed, or CRED_ENOMEM.
 */
#define CRED_TR_SNAPSHOT_SECONDS 0.020
long cred_tr__dedup(cred_cues *c);

/** Report a diagnostic through r when r is not NULL (cred_io__diag). */
void cred_tr__diag(cred_reader *r, cred_severity sev, int code, uint64_t line, uint64_t column,
                   const char *fmt, ...) CRED_PRINTF(6, 7);

/** Skip a UTF-8 BOM, XML declaration-free whitespace; used by the probes. */
const char *cred_tr__skip_bom(const char *s, size_t *n);

/**
 * The shared driver: open() slurps the input (at most CRED_LIMIT_TRANSCRIPT_BYTES), runs `parse`,
 * collapses rolling captions and prepares the posts; next() emits them; close() frees everything.
 */
typedef int (*cred_tr_parse_fn)(cred_cues *out, const char *s, size_t n, cred_reader *r);
int cred_tr__open(cred_reader *r, cred_tr_parse_fn parse);
int cred_tr__next(cred_reader *r, cred_post *post);
void cred_tr__close(cred_reader *r);

#endif
