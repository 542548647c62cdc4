/*
 * credence: tells moderators which shared posts deserve trust.
 *
 * This header is the whole public API and its manual. Conventions:
 *  - Every function that can fail returns int: 0 on success, a negative CRED_E* code on failure.
 *    cred_error_last() then describes the failure (thread-local, valid until the next failing call
 *    on the same thread).
 *  - Objects returned through `**out` are owned by the caller and released with the matching _free();
 *    _free(NULL) does nothing. Pointers returned directly are borrowed: they live as long as their
 *    parent object, or as documented.
 *  - Text is UTF-8 passed as (const char *s, size_t len); it need not be NUL-terminated and may contain
 *    NUL bytes. Spans are [start, end) byte offsets.
 *  - Options structs begin with `unsigned int version`; initialise them with their _INIT macro.
 *    NULL options mean defaults.
 *  - Immutable compiled objects may be shared by threads; working objects (cred_text, cred_reader)
 *    belong to one thread at a time.
 */
#ifndef CREDENCE_H
#define CREDENCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(CRED_STATIC_ONLY)
#define CRED_API __attribute__((visibility("default")))
#else
#define CRED_API
#endif

#define CRED_VERSION_MAJOR 0
#define CRED_VERSION_MINOR 1
#define CRED_VERSION_PATCH 0
#define CRED_VERSION_STRING "0.1.0"

/** @return the library version string, e.g. "0.1.0". */
CRED_API const char *cred_version(void);

/* ------------------------------------------------------------------------------------------------ */
/* Errors                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

/** Return codes. Every failing call returns one of these (negative) values. */
enum {
    CRED_OK = 0,
    CRED_ERROR = -1,     /**< unspecified failure */
    CRED_ENOMEM = -2,    /**< out of memory */
    CRED_EINVAL = -3,    /**< invalid argument (a bug in the caller) */
    CRED_EIO = -4,       /**< operating-system I/O error; the message names the file and errno text */
    CRED_ESYNTAX = -5,   /**< input does not parse; the error carries file, line, column and offset */
    CRED_ELIMIT = -6,    /**< a limit from the "Limits" section below was exceeded */
    CRED_EFORMAT = -7,   /**< input is not in the expected or any known format */
    CRED_ECORRUPT = -8,  /**< a stored file fails its checksum or structure checks */
    CRED_EVERSION = -9,  /**< a stored file has an unsupported format version */
    CRED_ENOTFOUND = -10 /**< a named thing (file, id, column, language) does not exist */
};

/** Description of the last failure on the calling thread. Fields not applicable are 0 / NULL. */
typedef struct cred_error {
    int code;            /**< the CRED_E* code that was returned */
    const char *message; /**< human-readable, one line, never NULL */
    const char *file;    /**< input file name, or NULL */
    uint64_t line;       /**< 1-based line in `file`, 0 when unknown */
    uint64_t column;     /**< 1-based column (in bytes) in `line`, 0 when unknown */
    uint64_t offset;     /**< 0-based byte offset in `file` */
} cred_error;

/**
 * The last error raised on this thread. Never NULL: when nothing failed yet, code is 0 and message "".
 * The returned object is overwritten by the next failure on this thread.
 */
CRED_API const cred_error *cred_error_last(void);

/** Static English name of a return code, e.g. "syntax error" for CRED_ESYNTAX. */
CRED_API const char *cred_strerror(int code);

/* ------------------------------------------------------------------------------------------------ */
/* Limits on untrusted input. Each is enforced where the input is read and tested in tests/.         */
/* ------------------------------------------------------------------------------------------------ */

#define CRED_LIMIT_POST_BYTES (4u << 20)       /**< longest post text kept; longer text is cut and counted */
#define CRED_LIMIT_LINE_BYTES (64u << 20)      /**< longest input line (JSONL, CSV, chat exports) read */
#define CRED_LIMIT_FIELD_BYTES (1u << 20)      /**< longest metadata field (id, author, source, url) */
#define CRED_LIMIT_JSON_DEPTH 64               /**< deepest JSON nesting accepted */
#define CRED_LIMIT_CSV_COLUMNS 4096            /**< most CSV columns in a row */
#define CRED_LIMIT_TOKENS_PER_POST (1u << 20)  /**< most tokens analysed in one post */
#define CRED_LIMIT_ZIP_ENTRY_BYTES (1ull << 32) /**< largest chat file inside a .zip export */
#define CRED_LIMIT_DATE_SCAN_BYTES (64u << 20) /**< WhatsApp: most input held in memory while looking
                                                    ahead for day/month evidence; beyond it the order is
                                                    guessed, with a warning, and re-checked */
#define CRED_LIMIT_TRANSCRIPT_BYTES (64u << 20) /**< largest transcript (VTT, SRT, json3, srv3) read whole;
                                                     a larger one fails to open with CRED_ELIMIT */

/* ------------------------------------------------------------------------------------------------ */
/* Posts                                                                                             */
/* ------------------------------------------------------------------------------------------------ */

/** What a post record stands for. */
typedef enum cred_post_kind {
    CRED_KIND_MESSAGE = 0,    /**< a chat or channel message */
    CRED_KIND_POST,           /**< a social-network post */
    CRED_KIND_COMMENT,        /**< a comment on a post */
    CRED_KIND_TRANSCRIPT,     /**< the whole text of a video or audio transcript */
    CRED_KIND_WINDOW          /**< a time window of a transcript (start/end set) */
} cred_post_kind;

/** Name of a kind as written in JSON output: "message", "post", "comment", "transcript", "window". */
CRED_API const char *cred_post_kind_name(cred_post_kind kind);

#define CRED_DATE_UNKNOWN INT64_MIN

/**
 * Write date t (UTC seconds) as ISO 8601, "2020-03-01T00:00:32Z", the form every output uses.
 * @return its length; 0 (and out = "") when t is CRED_DATE_UNKNOWN, out of range, or cap < 21.
 */
CRED_API size_t cred_date_iso(char *out, size_t cap, int64_t t);

/** Post flags. */
enum {
    CRED_POST_EDITED = 1u << 0,    /**< the input marks the message as edited */
    CRED_POST_DELETED = 1u << 1,   /**< a "this message was deleted" placeholder */
    CRED_POST_MEDIA = 1u << 2,     /**< the message carries or stands for a media attachment */
    CRED_POST_TRUNCATED = 1u << 3  /**< text was cut at CRED_LIMIT_POST_BYTES */
};

/**
 * A normalised post record, as every input adapter produces it. Strings are NUL-terminated UTF-8
 * (text may also contain NUL bytes: use text_len); absent fields are NULL.
 * Records returned by cred_reader_next() are borrowed and valid until the next call on that reader.
 */
typedef struct cred_post {
    const char *id;             /**< stable id: given by the input, else the 1-based input line (or record
                                     number) as a decimal string; never NULL */
    const char *text;           /**< raw message text as written; never NULL (may be "") */
    size_t text_len;            /**< length of text in bytes */
    const char *source;         /**< channel, group, chat or file name */
    const char *author;         /**< display name of the sender */
    const char *author_id;      /**< platform id of the sender (e.g. "user123") */
    int64_t date;               /**< UTC seconds since the epoch, or CRED_DATE_UNKNOWN */
    const char *date_text;      /**< the date as written in the input (often local time), or NULL */
    const char *forwarded_from; /**< original sender of a forward; "unknown" when a forward is detected
                                     without a sender; NULL when not forwarded */
    const char *url;            /**< permalink of the post, if the input has one */
    const char *lang;           /**< language declared by the input (not detected), or NULL */
    const char *reply_to;       /**< id of the message this one replies to, or NULL */
    const char *media;          /**< media type ("photo", "video_file", ...) or NULL */
    cred_post_kind kind;
    unsigned int flags;         /**< CRED_POST_* bits */
    double start, end;          /**< transcript time span in seconds; both -1 when not applicable */
    const char *const *links;   /**< links the input gives outside the text (entities, attachments) */
    size_t n_links;
    uint64_t line;              /**< 1-based input line where the record starts (0 when unknown) */
    const char *label;          /**< CSV/JSONL: the value of cred_reader_options.label_col as written (a
                                     JSONL number or boolean as its text); NULL when not asked for, absent
                                     or empty */
} cred_post;

/* ------------------------------------------------------------------------------------------------ */
/* Input: format detection and streaming readers                                                     */
/* ------------------------------------------------------------------------------------------------ */

/** Input formats. CRED_FORMAT_AUTO detects the format from the content, never from the file name. */
typedef enum cred_format {
    CRED_FORMAT_AUTO = 0,
    CRED_FORMAT_JSONL,     /**< one JSON object per line: {"id","text","source","author","date",...} */
    CRED_FORMAT_CSV,       /**< comma/semicolon/tab separated with a header row */
    CRED_FORMAT_TEXT,      /**< plain text, one post per blank-line-separated paragraph */
    CRED_FORMAT_TELEGRAM,  /**< Telegram Desktop export result.json */
    CRED_FORMAT_WHATSAPP,  /**< WhatsApp chat export .txt (or the .zip "export with media") */
    CRED_FORMAT_FACEBOOK,  /**< Facebook / Instagram "Download your information" JSON */
    CRED_FORMAT_VTT,       /**< WebVTT transcript */
    CRED_FORMAT_SRT,       /**< SubRip transcript */
    CRED_FORMAT_JSON3,     /**< YouTube timedtext json3 */
    CRED_FORMAT_SRV3,      /**< YouTube timedtext srv3 / srv1 XML */
    CRED_FORMAT_COUNT_
} cred_format;

/** Lower-case name of a format ("auto", "jsonl", "csv", "text", "telegram", ...). */
CRED_API const char *cred_format_name(cred_format format);

/**
 * Parse a format name as given on a command line.
 * @return 0, or CRED_ENOTFOUND when the name is unknown.
 */
CRED_API int cred_format_parse(cred_format *out, const char *name);

/**
 * Detect the format of the first bytes of an input (at least 4 KiB when available).
 * @return the format, or CRED_FORMAT_AUTO when nothing matched.
 */
CRED_API cred_format cred_format_detect(const void *head, size_t len);

/** Severity of a reader diagnostic. */
typedef enum cred_severity { CRED_SEV_NOTE = 0, CRED_SEV_WARNING, CRED_SEV_ERROR } cred_severity;

/**
 * A problem found in the input that did not stop the reader: something was repaired (warning),
 * or a record was skipped (error). Strings are borrowed for the duration of the callback.
 */
typedef struct cred_diag {
    cred_severity severity;
    int code;             /**< CRED_E* code describing the problem. CSV and JSONL skip a record with
                               CRED_ESYNTAX when it does not parse (a quote never closed, invalid JSON),
                               CRED_ENOTFOUND when it lacks a column or key the reader needs (a short
                               row, an object without its text), CRED_ELIMIT when over a limit */
    const char *file;     /**< input name */
    uint64_t line;        /**< 1-based, 0 when unknown */
    uint64_t column;      /**< 1-based, 0 when unknown */
    uint64_t offset;      /**< byte offset in the input */
    const char *message;
} cred_diag;

typedef void (*cred_diag_fn)(const cred_diag *diag, void *payload);

/** Whatsapp day/month order. */
typedef enum cred_date_order { CRED_DATE_ORDER_AUTO = 0, CRED_DATE_ORDER_DMY, CRED_DATE_ORDER_MDY, CRED_DATE_ORDER_YMD } cred_date_order;

/**
 * How a reader reads its input. The *_col options name a CSV column or a JSONL key (other formats
 * ignore them). A CSV column is a header name (exact, else case-insensitive) or "#N", the N-th column
 * (1-based; the only way to name columns when csv_no_header is set). A named column missing from the
 * header (or "#N" beyond it) fails cred_reader_open() with CRED_ENOTFOUND; a JSONL record without a
 * named key has that field absent (without its text key, the record is skipped).
 *
 * text_col may join up to 8 columns or keys with '+' ("title+description"): when no column has the
 * whole name, the text is the non-empty parts in that order, separated by a blank line ("\n\n").
 */
typedef struct cred_reader_options {
    unsigned int version;
    cred_format format;        /**< CRED_FORMAT_AUTO to detect */
    const char *text_col;      /**< text column (default: "text"; CSV: else the first column named
                                    like content/message/tweet/body/statement) */
    const char *id_col;        /**< id column (default "id"; else the record number, JSONL the line) */
    const char *author_col;    /**< author column (default "author") */
    const char *source_col;    /**< source column (default "source") */
    const char *date_col;      /**< date column (default "date") */
    char csv_delimiter;        /**< CSV: 0 to detect among ',', ';', '\t' and '|' */
    cred_date_order date_order;/**< WhatsApp: day/month order, AUTO to decide from the whole file (a day
                                    above 12; else the sequence of dates; else day-first, with a warning).
                                    DMY/MDY/YMD are obeyed as given */
    double window_seconds;     /**< transcripts: window length for CRED_KIND_WINDOW posts (default 30) */
    const char *source;        /**< source name to use when the input has none (default: file name) */
    cred_diag_fn on_diag;      /**< called for each repaired or skipped part of the input, or NULL */
    void *diag_payload;
    const char *label_col;     /**< column delivered as cred_post.label (default: none, label is NULL) */
    const char *lang_col;      /**< declared-language column (default "lang") */
    int csv_no_header;         /**< CSV: nonzero when the first row is data; columns are then named
                                    "#N" only, and a record with fewer fields than the highest column
                                    named is skipped (CRED_ENOTFOUND) */
    int csv_no_quotes;         /**< CSV: nonzero to read '"' as an ordinary character (no quoting, so
                                    fields never hold a delimiter or newline): for TSV files such as
                                    LIAR's, whose fields hold unbalanced quotes */
} cred_reader_options;

#define CRED_READER_OPTIONS_VERSION 1
#define CRED_READER_OPTIONS_INIT {CRED_READER_OPTIONS_VERSION, CRED_FORMAT_AUTO, NULL, NULL, NULL, NULL, NULL, 0, \
                                  CRED_DATE_ORDER_AUTO, 30.0, NULL, NULL, NULL, NULL, NULL, 0, 0}

/** Counters of a reader, updated as it reads. */
typedef struct cred_reader_stats {
    uint64_t posts;     /**< post records returned */
    uint64_t skipped;   /**< records or lines that could not be read and were skipped */
    uint64_t repaired;  /**< problems repaired with a warning */
    uint64_t system;    /**< service / system messages left out (Telegram service, WhatsApp system) */
    uint64_t bytes;     /**< input bytes consumed so far */
} cred_reader_stats;

typedef struct cred_reader cred_reader;

/**
 * Open a file for streaming. "-" reads standard input. Memory stays bounded whatever the file size.
 * @param[out] out  receives the reader; release with cred_reader_free().
 * @param path      file name, or "-".
 * @param opts      options, or NULL for defaults.
 * @return 0; CRED_EIO when the file cannot be opened; CRED_EFORMAT when format is AUTO and the content
 *         matches no format (an empty input is not an error: it yields no post).
 */
CRED_API int cred_reader_open(cred_reader **out, const char *path, const cred_reader_options *opts);

/**
 * Open an in-memory buffer. The buffer is borrowed and must outlive the reader.
 * @param name  name used in diagnostics and as default source.
 */
CRED_API int cred_reader_open_memory(cred_reader **out, const char *name, const void *data, size_t len,
                                     const cred_reader_options *opts);

/**
 * Read the next post.
 * @param[out] post  receives a borrowed record, valid until the next call or cred_reader_free().
 * @return 1 when a post was read, 0 at the end of input, or a negative code when the input cannot be
 *         read any further (cred_error_last() has file, line, column). Records that cannot be read are
 *         skipped, counted and reported to on_diag; they do not end the stream.
 */
CRED_API int cred_reader_next(cred_reader *r, const cred_post **post);

/** The format being read (the detected one when opened with AUTO). */
CRED_API cred_format cred_reader_format(const cred_reader *r);

/** Live counters of the reader. Borrowed. */
CRED_API const cred_reader_stats *cred_reader_stats_get(const cred_reader *r);

CRED_API void cred_reader_free(cred_reader *r);

/* ------------------------------------------------------------------------------------------------ */
/* Text pipeline                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

/** A [start, end) byte range. */
typedef struct cred_span {
    uint32_t start;
    uint32_t end;
} cred_span;

/** Token classes. */
typedef enum cred_token_kind {
    CRED_TOK_WORD = 1,  /**< letters (any script), with inner apostrophes/hyphens */
    CRED_TOK_NUMBER,    /**< digits with decimals, thousands separators, %, attached units */
    CRED_TOK_URL,       /**< a URL, including scheme-less www./domain.tld/path and hxxp/[.] forms */
    CRED_TOK_EMAIL,
    CRED_TOK_MENTION,   /**< @name */
    CRED_TOK_HASHTAG,   /**< #tag */
    CRED_TOK_EMOJI      /**< one emoji (with its modifiers) */
} cred_token_kind;

/** Token flags. */
enum {
    CRED_TOKF_UPPER = 1u << 0,  /**< all letters were upper case in the raw text (and there are ≥ 2) */
    CRED_TOKF_TITLE = 1u << 1,  /**< first letter upper case in the raw text */
    CRED_TOKF_DIGIT = 1u << 2   /**< contains a digit */
};

/** One token. Offsets index cred_doc.norm; map them to raw text with cred_doc_raw_span(). */
typedef struct cred_token {
    uint32_t start, len;   /**< in the normalised text */
    uint32_t sentence;     /**< index into cred_doc.sentences */
    uint8_t kind;          /**< cred_token_kind */
    uint8_t flags;         /**< CRED_TOKF_* */
    uint16_t reserved_;
    const char *stem;      /**< Snowball stem of a WORD in the doc's language (else the token itself) */
    uint32_t stem_len;
} cred_token;

/** A link found in the text. Strings are NUL-terminated and borrowed from the doc. */
typedef struct cred_link {
    const char *url;       /**< canonical form: lower-case scheme and host, default port and tracking
                                parameters removed, hxxp/[.] de-obfuscated; scheme added when absent */
    const char *host;      /**< lower-case host name */
    const char *domain;    /**< registrable domain (public suffix + 1 label), or the host */
    cred_span raw;         /**< where the link stands in the raw text */
    uint32_t token;        /**< index of its CRED_TOK_URL token */
} cred_link;

/**
 * The analysed text of one post. Owned by the cred_text that produced it; valid until the next
 * cred_text_analyse() on that analyser. All offsets in tokens and sentences index `norm`.
 */
typedef struct cred_doc {
    const char *raw;            /**< the input text (borrowed from the caller) */
    size_t raw_len;
    const char *norm;           /**< normalised text: valid UTF-8, NFKC, case-folded, Arabic-script
                                     folded, ASCII digits, space separators as ' ', ’ as ', default-
                                     ignorable, bidi and C1 controls removed (ASCII controls and NUL
                                     bytes kept); NUL-terminated */
    size_t norm_len;
    const cred_token *tokens;
    size_t n_tokens;
    const cred_span *sentences; /**< sentence spans in norm, in order, covering every token */
    size_t n_sentences;
    const cred_link *links;
    size_t n_links;
    const char *lang;           /**< detected ISO 639-1 code ("en", "pt", "fa", ...) or "und" */
    float lang_confidence;      /**< 0..1 */
    size_t invalid_bytes;       /**< invalid UTF-8 bytes replaced by U+FFFD */
    /* private: the offset map; use cred_doc_raw_offset() */
    const void *map_;
    size_t map_len_;
} cred_doc;

/** Map an offset in doc->norm to the corresponding offset in doc->raw. O(log n). */
CRED_API size_t cred_doc_raw_offset(const cred_doc *doc, size_t norm_offset);

/** Map a span of doc->norm to the raw bytes that produced it (covering whole characters). */
CRED_API cred_span cred_doc_raw_span(const cred_doc *doc, cred_span norm);

/** Analyser options. */
typedef struct cred_text_options {
    unsigned int version;
    unsigned int flags;       /**< CRED_TEXT_* bits */
    size_t cache_bytes;       /**< memory for the normalisation and stem caches (default 8 MiB) */
} cred_text_options;

enum {
    CRED_TEXT_NO_STEMS = 1u << 0,  /**< skip stemming (stem = surface form) */
    CRED_TEXT_NO_LANG = 1u << 1    /**< skip language identification (use the hint or "und") */
};

#define CRED_TEXT_OPTIONS_VERSION 1
#define CRED_TEXT_OPTIONS_INIT {CRED_TEXT_OPTIONS_VERSION, 0, 0}

/** A text analyser: arena, caches and stemmers for one thread. Not thread-safe; make one per thread. */
typedef struct cred_text cred_text;

CRED_API int cred_text_new(cred_text **out, const cred_text_options *opts);
CRED_API void cred_text_free(cred_text *t);

/**
 * Validate, normalise, tokenise, split sentences, extract links, identify the language and stem.
 * Work is linear in len; memory is reused from call to call.
 * @param[out] out   receives the analysed doc, owned by t and valid until the next call on t.
 * @param text       raw UTF-8 (invalid bytes are replaced and counted, NUL bytes are kept).
 * @param lang_hint  ISO code to use instead of detection (e.g. the input's declared language), or NULL.
 * @return 0; CRED_ELIMIT when len exceeds CRED_LIMIT_POST_BYTES; CRED_ENOMEM.
 */
CRED_API int cred_text_analyse(cred_text *t, const cred_doc **out, const char *text, size_t len,
                               const char *lang_hint);

/**
 * Normalise text alone (no tokens): writes the normalised form to a buffer owned by t.
 * @param[out] out      receives a pointer to the NUL-terminated normalised text, valid until the next call.
 * @param[out] out_len  receives its length.
 */
CRED_API int cred_text_normalise(cred_text *t, const char **out, size_t *out_len, const char *text,
                                 size_t len);

/**
 * Identify the language of a RAW text (not normalised: normalisation folds the letters that tell
 * Persian from Arabic): script first, then stop words, distinctive letters and word endings.
 * Reads at most the first 4 KiB; URLs are skipped; no allocation. Thread-safe.
 * @param[out] confidence  receives 0..1 (0 with "und"), or NULL.
 * @return a static ISO 639-1 code for en, pt, es, fr, de, it, nl, ru, uk, fa, ar, he, el, hi, th, zh,
 *         ja, ko, tr, id, or "und" when the text is empty or too short, no script has a majority of
 *         the letters, or the two best languages are too close.
 */
CRED_API const char *cred_lang_detect(const char *text, size_t len, float *confidence);

/**
 * Canonicalise one URL (see cred_link.url): hxxp/h**p/fxp, "[:]" and "[.]"/"(.)"/"[dot]" undone;
 * "http://" added when there is no scheme (then the host must end in a public suffix); scheme and
 * host lower-cased, trailing host dot, userinfo, default port and fragment removed; empty path
 * becomes "/"; tracking parameters (utm_*, fbclid, gclid, msclkid, igshid, ... and per-site share
 * ids such as si on YouTube/Spotify, s and t on x.com; the list is in engine/text/url.c) removed,
 * other parameters kept in order, "?" dropped when none is left; path case kept; percent-escape hex
 * upper-cased. Idempotent. Leading and trailing white space is ignored. Thread-safe.
 * @param[out] out      buffer receiving the NUL-terminated canonical URL ("" on CRED_EINVAL).
 * @param cap           size of out; the result is cut (and CRED_ELIMIT returned) when it does not fit.
 * @return 0; CRED_EINVAL when the whole text is not one URL; CRED_ELIMIT.
 */
CRED_API int cred_url_canonical(char *out, size_t cap, const char *url, size_t len);

/**
 * Registrable domain of a host name ("www.bbc.co.uk" → "bbc.co.uk"), using the Public Suffix List
 * (libpsl; private suffixes count, so "x.blogspot.com" stays whole). The host is lower-cased and a
 * trailing dot ignored; IP addresses and names without a registrable part (localhost) are returned
 * as they are. Thread-safe.
 * @return 0; CRED_EINVAL when host is not a host name; CRED_ELIMIT when out is too small (cut).
 */
CRED_API int cred_url_domain(char *out, size_t cap, const char *host, size_t len);

/* ------------------------------------------------------------------------------------------------ */
/* Rules: rule files (rules/README.md) compiled into an immutable set, scanned per thread            */
/* ------------------------------------------------------------------------------------------------ */

#define CRED_LIMIT_RULE_SOURCE_BYTES (16u << 20) /**< largest rule file or list file read */
#define CRED_LIMIT_RULES 65536                   /**< most rules in one rule set */
#define CRED_LIMIT_REGEX_MATCH 1000000u          /**< PCRE2 match limit per pattern and target */
#define CRED_LIMIT_HITS_PER_RULE 1024            /**< hits kept per rule and post; more are counted only */

/** What a rule's `match` clause looks at (see the targets table in rules/README.md). */
typedef enum cred_rule_target {
    CRED_TARGET_NORM = 0,       /**< normalised text (default) */
    CRED_TARGET_RAW,            /**< raw text as sent */
    CRED_TARGET_STEMS,          /**< token stems joined by spaces */
    CRED_TARGET_URLS,           /**< each canonical link URL */
    CRED_TARGET_DOMAINS,        /**< each link's registrable domain (lists: host suffixes) */
    CRED_TARGET_FORWARDED_FROM, /**< cred_post.forwarded_from */
    CRED_TARGET_AUTHOR,         /**< cred_post.author */
    CRED_TARGET_SOURCE,         /**< cred_post.source */
    CRED_TARGET_COUNT_
} cred_rule_target;

/** Name of a target as written in rule files ("norm", "raw", "stems", "urls", ...). */
CRED_API const char *cred_rule_target_name(cred_rule_target target);

/** A compiled rule set: immutable, reference-counted, safe to share between threads. */
typedef struct cred_rules cred_rules;

enum {
    CRED_RULES_NO_PREFILTER = 1u << 0, /**< no vectorscan: run every pattern with PCRE2 (for comparison) */
    CRED_RULES_NO_JIT = 1u << 1,       /**< interpret PCRE2 patterns instead of JIT-compiling them */
    CRED_RULES_LINT = 1u << 2,         /**< also report warnings (slow or catastrophic patterns, unused
                                            lists, rules without tests) to on_diag */
    CRED_RULES_NO_CACHE = 1u << 3      /**< cred_rules_load(): neither read nor write the database cache */
};

typedef struct cred_rules_options {
    unsigned int version;
    unsigned int flags;        /**< CRED_RULES_* bits */
    const char *base_dir;      /**< directory list files are relative to; default: the rule file's */
    cred_diag_fn on_diag;      /**< receives every error and (with CRED_RULES_LINT) warning, or NULL */
    void *diag_payload;
} cred_rules_options;

#define CRED_RULES_OPTIONS_VERSION 1
#define CRED_RULES_OPTIONS_INIT {CRED_RULES_OPTIONS_VERSION, 0, NULL, NULL, NULL}

/**
 * Compile rule source text into an immutable rule set. All problems are reported to opts->on_diag
 * (file:line:col and message); compilation goes on after an error to find the others.
 * @param[out] out  receives the set (reference count 1); release it with cred_rules_free().
 * @param src       rule text, need not be NUL-terminated.
 * @param len       length of src in bytes.
 * @param name      file name used in messages and to resolve list files ("lists/x.txt" is read
 *                  relative to name's directory unless opts->base_dir is set); NULL means "<rules>".
 * @param opts      options, or NULL for defaults.
 * @return 0; CRED_ESYNTAX when the rules have errors (cred_error_last() has the first one with its
 *         file, line and column); CRED_ELIMIT; CRED_ENOMEM.
 */
CRED_API int cred_rules_compile(cred_rules **out, const char *src, size_t len, const char *name,
                                const cred_rules_options *opts);

/**
 * Compile a rule file, or every `*.rules` file directly in a directory (in name order) as one set.
 * The vectorscan databases (most of the compile time of a large set) are cached in
 * $XDG_CACHE_HOME/credence/ (or ~/.cache/credence/), one file per rule-set path, keyed by a hash of
 * every expression given to vectorscan and its version; a missing, stale or corrupt file means
 * compiling and rewriting it (atomically). The result is the same either way; CRED_RULES_NO_CACHE
 * turns the cache off. cred_rules_compile() never uses it.
 * @return as cred_rules_compile(); CRED_EIO when a file cannot be read; CRED_ENOTFOUND when a
 *         directory holds no *.rules file.
 */
CRED_API int cred_rules_load(cred_rules **out, const char *path, const cred_rules_options *opts);

/** Take one more reference to a set (for another owner, e.g. a scanner or a reload slot). Thread-safe. */
CRED_API cred_rules *cred_rules_ref(cred_rules *rules);

/** Drop a reference; the set is freed with the last one. NULL does nothing. Thread-safe. */
CRED_API void cred_rules_free(cred_rules *rules);

/** A rule's description, borrowed from its set. */
typedef struct cred_rule_info {
    const char *id;          /**< e.g. "VAGUE_AUTHORITY" */
    const char *describe;    /**< one line, "" when absent */
    const char *category;    /**< "claim", "source", ... ("other" when absent) */
    const char *group;       /**< group name or NULL */
    const char *file;        /**< rule file it comes from */
    uint32_t line;           /**< line of the `rule` keyword */
    double weight;           /**< log-odds points per hit (negative for nice rules) */
    uint32_t cap;            /**< hits that score, per post */
    int nice;                /**< 1 for a `nice rule` */
} cred_rule_info;

/** Number of rules in a set (including weight-0 building blocks). */
CRED_API size_t cred_rules_count(const cred_rules *rules);

/** Rule i (0 <= i < cred_rules_count()) in definition order, or NULL when out of range. */
CRED_API const cred_rule_info *cred_rules_info(const cred_rules *rules, size_t i);

/** Hex digest of the compiled set (rule text and list contents); equal sets have equal digests. */
CRED_API const char *cred_rules_digest(const cred_rules *rules);

/** One inline test outcome, passed to the cred_rules_test() callback. Strings are borrowed. */
typedef struct cred_rule_test_result {
    const char *rule;     /**< rule id */
    const char *file;     /**< file of the `test` clause */
    uint32_t line, column;
    int expect_match;     /**< 1 for `test match`, 0 for `test nomatch` */
    int passed;
    const char *input;    /**< the test text */
    const char *matched;  /**< raw quote of the rule's first hit, or NULL when it did not hit */
    const char *message;  /**< why it failed ("" when passed) */
} cred_rule_test_result;

typedef void (*cred_rule_test_fn)(const cred_rule_test_result *result, void *payload);

/**
 * Run every inline test of a set (analysing each input with a private cred_text).
 * @param[out] failed  receives the number of failing tests, or NULL.
 * @param fn           called for every test (passed or not), or NULL.
 * @return 0 (whether tests pass or not); CRED_ENOMEM.
 */
CRED_API int cred_rules_test(size_t *failed, const cred_rules *rules, cred_rule_test_fn fn,
                             void *payload);

/** Hit flags. */
enum {
    CRED_HIT_CAPPED = 1u << 0,        /**< beyond the rule's cap: scored 0 */
    CRED_HIT_GROUP_LIMITED = 1u << 1  /**< cut (partly or wholly) by its group's max/min */
};

#define CRED_NO_SENTENCE UINT32_MAX

/** One scored hit. Strings are borrowed from the set, the doc or the scanner (see cred_scan_result). */
typedef struct cred_rule_hit {
    const cred_rule_info *rule;
    uint32_t rule_index;      /**< index for cred_rules_info() */
    cred_rule_target target;  /**< where the anchoring match was found */
    cred_span span;           /**< raw byte offsets in doc->raw; for metadata targets, offsets in the field */
    uint32_t sentence;        /**< sentence index in the doc, or CRED_NO_SENTENCE (metadata) */
    double raw_points;        /**< the rule's weight */
    double points;            /**< after the cap and the group bound */
    unsigned int flags;       /**< CRED_HIT_* */
    const char *quote;        /**< the matched raw bytes (not NUL-terminated) */
    size_t quote_len;
    const char *explain;      /**< rendered explanation, NUL-terminated */
} cred_rule_hit;

/** Hits of one post, in rule order then text order. Owned by the scanner, valid until its next scan. */
typedef struct cred_scan_result {
    const cred_rule_hit *hits;
    size_t n_hits;            /**< scored hits only (rules with weight 0 are left out) */
    double total;             /**< sum of points */
    size_t suppressed;        /**< hits whose points were reduced by a cap or a group */
} cred_scan_result;

/** Per-thread scanning state: vectorscan scratch, PCRE2 match data, result buffers, statistics. */
typedef struct cred_scanner cred_scanner;

enum { CRED_SCANNER_PROFILE = 1u << 0 /**< time every rule (costs two clock reads per confirm) */ };

/**
 * Make a scanner for one thread. It holds a reference to rules until freed.
 * @return 0; CRED_ENOMEM.
 */
CRED_API int cred_scanner_new(cred_scanner **out, cred_rules *rules, unsigned int flags);
CRED_API void cred_scanner_free(cred_scanner *s);

/** The set a scanner uses (borrowed). */
CRED_API cred_rules *cred_scanner_rules(const cred_scanner *s);

/**
 * Scan an analysed post with every rule. Work is one vectorscan pass per non-empty target plus one
 * PCRE2 run per candidate clause; no allocation once buffers have grown.
 * @param[out] out  receives the result, owned by s and valid until the next scan or free.
 * @param doc       the analysed text (spans in hits are raw offsets of doc->raw).
 * @param post      metadata (forwarded_from, author, source), or NULL.
 * @return 0; CRED_ENOMEM; CRED_ELIMIT when a pattern hit CRED_LIMIT_REGEX_MATCH (the result is
 *         still complete for every other clause).
 */
CRED_API int cred_scanner_scan(cred_scanner *s, const cred_scan_result **out, const cred_doc *doc,
                               const cred_post *post);

/** Counters of one rule in one scanner since it was made or reset. */
typedef struct cred_rule_stats {
    uint64_t posts;      /**< posts where the rule hit */
    uint64_t hits;       /**< hits (before caps) */
    uint64_t confirms;   /**< PCRE2 runs made for the rule's clauses */
    uint64_t ns;         /**< time in the rule (with CRED_SCANNER_PROFILE only) */
} cred_rule_stats;

/**
 * Per-rule counters, indexed like cred_rules_info(). Add several scanners' arrays for totals.
 * @param[out] out  receives a borrowed array of cred_rules_count() entries.
 */
CRED_API void cred_scanner_stats(const cred_scanner *s, const cred_rule_stats **out);
CRED_API void cred_scanner_stats_reset(cred_scanner *s);

/**
 * A reload slot: holds the current set, swapped atomically when rules are recompiled.
 * Readers take a reference with cred_rules_slot_get() (e.g. once per batch) and free it after.
 */
typedef struct cred_rules_slot cred_rules_slot;

CRED_API int cred_rules_slot_new(cred_rules_slot **out, cred_rules *initial);
/** Current set with a new reference (release with cred_rules_free()), or NULL when empty. */
CRED_API cred_rules *cred_rules_slot_get(cred_rules_slot *slot);
/** Install rules (the slot takes over the caller's reference) and drop the slot's old reference. */
CRED_API void cred_rules_slot_swap(cred_rules_slot *slot, cred_rules *rules);
CRED_API void cred_rules_slot_free(cred_rules_slot *slot);

/* ------------------------------------------------------------------------------------------------ */
/* Near-duplicates: forwarded copies, their origin and spread                                        */
/* ------------------------------------------------------------------------------------------------ */

/**
 * How a post relates to the earlier post it was linked to:
 *  - NONE:    no earlier post is similar enough; the post starts its own cluster.
 *  - EXACT:   same dedup text (normalised text without emoji, forward lines, channel signature and
 *             link query strings) as an earlier post.
 *  - NEAR:    an edited copy: estimated Jaccard similarity >= the threshold and the same facts.
 *  - VARIANT: same template, different facts: similar text, but each post has numbers, dates or links
 *             the other lacks. A variant is NOT a copy: it keeps its own cluster; `parent` names the
 *             sibling it resembles most.
 *  - PART:    a piece of an earlier post named by the caller (a time window of a transcript, added with
 *             cred_dedup_add_part()) that is no copy of anything else: `parent` is the whole, `origin`
 *             the whole's origin, similarity 1. A part is not a copy: it is not counted in cluster size
 *             or spread, and it never matches its own whole or the whole's other parts.
 */
typedef enum cred_dup_relation {
    CRED_DUP_NONE = 0,
    CRED_DUP_EXACT,
    CRED_DUP_NEAR,
    CRED_DUP_VARIANT,
    CRED_DUP_PART
} cred_dup_relation;

/** Name of a relation as written in output: "none", "exact", "near", "variant", "part". */
CRED_API const char *cred_dup_relation_name(cred_dup_relation relation);

/** A doc number that names no post. */
#define CRED_DUP_NO_DOC UINT32_MAX

typedef struct cred_dedup_options {
    unsigned int version;
    double threshold;        /**< estimated Jaccard needed to call two posts copies (default 0.45) */
    unsigned int bands;      /**< LSH bands (default 32); bands * rows <= 128 */
    unsigned int rows;       /**< signature bins per band (default 4) */
    double exemplar;         /**< a post whose best match is at least this similar (default 0.9) is
                                  attached to it but not indexed itself, which keeps viral clusters
                                  small in the index; 1 indexes every post */
    unsigned int long_words; /**< posts of more words are signed per window of word pairs, so that a
                                  clip of a longer transcript is found (default 150) */
    unsigned int window_words; /**< words per window (default 50; windows overlap by half) */
    size_t capacity;         /**< expected number of posts, to size the tables once (0: grow); the
                                  links do not depend on it */
} cred_dedup_options;

#define CRED_DEDUP_OPTIONS_VERSION 1
#define CRED_DEDUP_OPTIONS_INIT {CRED_DEDUP_OPTIONS_VERSION, 0.45, 32, 4, 0.9, 150, 50, 0}

/** Where one post stands. Doc numbers are given in insertion order from 0. */
typedef struct cred_dup_match {
    uint32_t doc;                /**< this post's number (CRED_DUP_NO_DOC for cred_dedup_query()) */
    uint32_t parent;             /**< best earlier match, or CRED_DUP_NO_DOC (relation NONE) */
    uint32_t origin;             /**< root of the chain through parents: the earliest known origin;
                                      the post itself for NONE and VARIANT */
    double similarity;           /**< estimated Jaccard with parent (1 for EXACT, 0 for NONE) */
    cred_dup_relation relation;
} cred_dup_match;

/** A cluster: an origin and every post linked to it through copies. */
typedef struct cred_dup_cluster {
    uint32_t origin;     /**< doc number of the origin (the cluster's name) */
    uint32_t size;       /**< posts in the cluster, the origin included */
    uint32_t sources;    /**< distinct sources (channels, groups) among them; posts without one are
                              not counted */
    int64_t first_seen;  /**< date of the origin (CRED_DATE_UNKNOWN when unknown) */
    int64_t last_seen;   /**< latest known date in the cluster */
} cred_dup_cluster;

/**
 * A near-duplicate index: exact keys, 8-bit one-permutation MinHash signatures (character 5-grams;
 * word pairs per window for long posts) and a banded LSH index, with each post linked to its best
 * earlier match so that clusters are forests rooted at their origins. Not thread-safe: one writer.
 * Memory is about 350 bytes per indexed post and 40 per attached one.
 */
typedef struct cred_dedup cred_dedup;

/**
 * @param[out] out  receives the index; release it with cred_dedup_free().
 * @param opts      options, or NULL for defaults.
 * @return 0; CRED_EINVAL when an option is out of range (threshold and exemplar outside (0, 1],
 *         bands * rows > 128 or 0, window_words < 2); CRED_ENOMEM.
 */
CRED_API int cred_dedup_new(cred_dedup **out, const cred_dedup_options *opts);
CRED_API void cred_dedup_free(cred_dedup *d);   /* NULL does nothing */

/**
 * Look up one post against every post added so far and add it (the bot path). The post is linked to
 * the most similar earlier post whose similarity reaches the threshold and whose facts agree
 * (relation EXACT or NEAR); failing that it is a VARIANT of the most similar template sibling, or NONE.
 * "Earlier" means added before it and not dated after it: posts whose date is unknown (on either side)
 * count as earlier. Posts are never re-linked, so a post that arrives late with an older date does not
 * become the origin of copies already added: add posts in date order for exact origins (the CLI sorts
 * each batch by date). Cost: one signature (linear in the text) and one LSH probe per band and window.
 * @param[out] out  receives the post's links, or NULL.
 * @param doc       the analysed text (cred_text_analyse()).
 * @param date      UTC seconds, or CRED_DATE_UNKNOWN.
 * @param source    channel or group name for the cluster's spread, or NULL.
 * @return 0; CRED_ELIMIT when the index already holds 2^32 - 2 posts; CRED_ENOMEM.
 */
CRED_API int cred_dedup_add(cred_dedup *d, cred_dup_match *out, const cred_doc *doc, int64_t date,
                            const char *source);

/**
 * Add a post that is a piece of an earlier post, such as a CRED_KIND_WINDOW post of the
 * CRED_KIND_TRANSCRIPT post it was cut from. It is linked like cred_dedup_add() would link it, except
 * that `whole` and the other parts of `whole` are never candidates (a window is not a copy of its own
 * transcript); when no other post is a copy, it is linked to `whole` with relation CRED_DUP_PART.
 * It is indexed, so that a short clip forwarded later is found through it and joins the whole's cluster.
 * @param whole  doc number of the whole, as cred_dedup_add() returned it.
 * @return 0; CRED_ENOTFOUND when whole is not a post number of d; as cred_dedup_add() otherwise.
 */
CRED_API int cred_dedup_add_part(cred_dedup *d, cred_dup_match *out, const cred_doc *doc, int64_t date,
                                 const char *source, uint32_t whole);

/**
 * Look up one post without adding it: the links cred_dedup_add() would give it (out->doc is
 * CRED_DUP_NO_DOC). Not thread-safe either (it uses the index's scratch space).
 * @return 0; CRED_ENOMEM.
 */
CRED_API int cred_dedup_query(cred_dedup *d, cred_dup_match *out, const cred_doc *doc, int64_t date);

/** Bytes per MinHash signature in cred_dup_signature.sigs. */
#define CRED_DUP_SIG_BYTES 128

/**
 * What the index needs to know of one post, computed from its analysed text alone: the exact key of
 * its dedup text, its 8-bit MinHash signatures (sigs[0 .. CRED_DUP_SIG_BYTES) from character 5-grams,
 * then one per window of word pairs when the post has at least window_words words), its word count and
 * the hashed facts (numbers, dates, links) of the template-sibling test. Made by cred_dedup_sign(),
 * which is thread-safe and needs no cred_dedup: sign in worker threads, then add or query in the one
 * writer. The fields may be copied; a copy whose sigs and fact_bits point to copies of their arrays
 * (n_sigs * CRED_DUP_SIG_BYTES bytes, n_facts values) and whose priv_ is NULL is as good as the
 * original (and needs no cred_dup_signature_free()). Start with CRED_DUP_SIGNATURE_INIT and reuse it
 * from post to post: its buffers only grow.
 */
typedef struct cred_dup_signature {
    uint64_t key_lo, key_hi;     /**< exact key (XXH3-128 of the dedup text); 0 when empty */
    uint64_t facts;              /**< mask of the fact hashes (2 bits each) */
    const uint64_t *fact_bits;   /**< the facts' masks, one per fact */
    size_t n_facts;
    const uint8_t *sigs;         /**< n_sigs signatures of CRED_DUP_SIG_BYTES */
    size_t n_sigs;
    uint32_t n_words;            /**< words of the dedup text */
    unsigned int long_words, window_words; /**< the options it was signed with */
    int empty;                   /**< nonzero when the dedup text is empty (no key, never matches) */
    void *priv_;                 /**< owned buffers and scratch; NULL in a copy */
} cred_dup_signature;

#define CRED_DUP_SIGNATURE_INIT {0, 0, 0, NULL, 0, NULL, 0, 0, 0, 0, 0, NULL}

/**
 * Sign one post for near-duplicate lookup (see cred_dup_signature). Thread-safe: it touches only *out
 * (each thread signs into its own). Cost: linear in the text; no allocation once buffers have grown.
 * @param opts  the options of the index the signature will be used with (long_words and window_words
 *              matter), or NULL for defaults.
 * @return 0; CRED_EINVAL when opts are out of range; CRED_ENOMEM.
 */
CRED_API int cred_dedup_sign(cred_dup_signature *out, const cred_doc *doc, const cred_dedup_options *opts);

/** Release the buffers of a signature made by cred_dedup_sign() (not of copies). NULL does nothing. */
CRED_API void cred_dup_signature_free(cred_dup_signature *sig);

/**
 * cred_dedup_add(), cred_dedup_add_part() and cred_dedup_query() from a signature of cred_dedup_sign()
 * instead of the doc: same links, same index. The signature must be made with the index's long_words
 * and window_words. @return as those; CRED_EINVAL when the signature does not fit the index.
 */
CRED_API int cred_dedup_add_signed(cred_dedup *d, cred_dup_match *out, const cred_dup_signature *sig, int64_t date,
                                   const char *source);
CRED_API int cred_dedup_add_part_signed(cred_dedup *d, cred_dup_match *out, const cred_dup_signature *sig,
                                        int64_t date, const char *source, uint32_t whole);
CRED_API int cred_dedup_query_signed(cred_dedup *d, cred_dup_match *out, const cred_dup_signature *sig,
                                     int64_t date);

/** Number of posts added. */
CRED_API size_t cred_dedup_count(const cred_dedup *d);

/**
 * The stored links of post `doc` (as returned when it was added).
 * @return 0; CRED_ENOTFOUND when doc is not a post number of d.
 */
CRED_API int cred_dedup_get(const cred_dedup *d, cred_dup_match *out, uint32_t doc);

/**
 * The cluster of post `doc` (that of its origin; a VARIANT or NONE post heads its own).
 * @return 0; CRED_ENOTFOUND when doc is not a post number of d.
 */
CRED_API int cred_dedup_cluster(const cred_dedup *d, cred_dup_cluster *out, uint32_t doc);

/** Bytes of memory held by the index (tables, signatures, per-post records). */
CRED_API size_t cred_dedup_memory(const cred_dedup *d);

/* ------------------------------------------------------------------------------------------------ */
/* Scores: an additive log-odds model turning rule hits, near-duplicate evidence, forward metadata    */
/* and an optional learned lexical signal into a validity (0-100), a verdict and flags               */
/* ------------------------------------------------------------------------------------------------ */

/**
 * The model. For one post:
 *
 *     z = bias + Σ rule points + duplicate evidence + forward evidence + lexical signal
 *     p_unreliable = calibrate(z)        σ(z) = 1 / (1 + e^-z) when there is no calibration
 *     validity     = round(100 · (1 − p_unreliable))
 *
 *  - rule points: each hit's points after its rule's cap and its group's bound (cred_rule_hit.points);
 *    a model may override a rule's weight by rule id, which scales the hit's points by
 *    override / rule weight (so capped hits stay at 0 and a group-limited hit keeps its share).
 *  - duplicate evidence (relation EXACT or NEAR only): dup_base + dup_similarity · (s − t) / (1 − t)
 *    for similarity s and match threshold t (it starts at dup_base at the threshold, not at zero
 *    similarity), plus dup_per_source · ln(sources) (spread over distinct channels) plus
 *    dup_per_repeat · ln(size / sources) (one channel repeating itself, worth less), bounded by dup_max.
 *  - forward evidence: `forwarded` when cred_post.forwarded_from names a sender, `forwarded_unknown`
 *    when it is "unknown".
 *  - lexical signal: lexical_scale · Σ w[bucket] · v over the post's hashed n-gram features (see
 *    cred_lexical_features()); absent unless the model has a lexical table.
 *
 * Verdicts: `insufficient` when no evidence fired (no rule hit with non-zero points, no duplicate or
 * forward evidence, |lexical| < lexical_min): no evidence is not a perfect score. Otherwise `credible`
 * when validity >= credible_min, `unreliable` when validity < unreliable_below, else `review`.
 *
 * A cred_model is built once (cred_model_default(), cred_model_load()), may be changed by its owner
 * (the cred_model_set_* functions: e.g. a trainer), and is then read by any number of threads at
 * once; changing it while another thread scores with it is a data race.
 */
typedef struct cred_model cred_model;

/** Verdicts, from the model's bands. */
typedef enum cred_verdict {
    CRED_VERDICT_INSUFFICIENT = 0, /**< no evidence either way fired */
    CRED_VERDICT_CREDIBLE,         /**< validity >= credible_min */
    CRED_VERDICT_REVIEW,           /**< in between: a moderator should look */
    CRED_VERDICT_UNRELIABLE        /**< validity < unreliable_below */
} cred_verdict;

/** Name as written in output: "insufficient", "credible", "review", "unreliable". */
CRED_API const char *cred_verdict_name(cred_verdict verdict);

/** Score flags (cred_score.flags). */
enum {
    CRED_FLAG_UNSOURCED_CLAIM = 1u << 0, /**< a positive-points hit of a rule in category `claim` */
    CRED_FLAG_SOURCED = 1u << 1,         /**< a negative-points (nice) hit in category `source` */
    CRED_FLAG_FORWARDED = 1u << 2,       /**< forwarded_from is set, or a hit in category `forward` */
    CRED_FLAG_NEAR_DUPLICATE = 1u << 3,  /**< relation EXACT or NEAR: a copy of an earlier post */
    CRED_FLAG_SHARE_PRESSURE = 1u << 4,  /**< a hit in category `pressure` */
    CRED_FLAG_VARIANT = 1u << 5,         /**< relation VARIANT: same template, different facts */
    CRED_FLAG_COUNT_ = 6
};

/** Name of one flag bit as written in output ("unsourced_claim", "sourced", "forwarded",
 *  "near_duplicate", "share_pressure", "variant"), or NULL when flag is not exactly one known bit. */
CRED_API const char *cred_flag_name(unsigned int flag);

/** The scalar parameters of a model. Get them, change some, set them back. */
typedef struct cred_model_params {
    unsigned int version;
    double bias;             /**< log-odds of a post with no evidence (default -1.0: validity 73) */
    double credible_min;     /**< validity >= this is credible (default 70) */
    double unreliable_below; /**< validity < this is unreliable (default 40); <= credible_min */
    double dup_threshold;    /**< similarity at which duplicate evidence starts: the dedup threshold
                                  (default 0.45, as CRED_DEDUP_OPTIONS_INIT) */
    double dup_base;         /**< evidence of any copy, at the threshold (default 0.3) */
    double dup_similarity;   /**< added as similarity grows from the threshold to 1 (default 0.3) */
    double dup_per_source;   /**< per ln(distinct sources of the cluster) (default 0.45) */
    double dup_per_repeat;   /**< per ln(size / sources): repeats within the same sources (default 0.1) */
    double dup_max;          /**< bound on the whole duplicate evidence (default 2.0) */
    double forwarded;        /**< forwarded_from names a sender (default 0.1) */
    double forwarded_unknown;/**< forwarded_from is "unknown" (default 0: the shipped rule
                                  FORWARDED_UNKNOWN already scores it) */
    double lexical_scale;    /**< multiplier of the lexical signal (default 1) */
    double lexical_min;      /**< |lexical signal| that counts as evidence for the verdict (default 0.25) */
} cred_model_params;

#define CRED_MODEL_PARAMS_VERSION 1
#define CRED_MODEL_PARAMS_INIT {CRED_MODEL_PARAMS_VERSION, -1.0, 70, 40, 0.45, 0.3, 0.3, 0.45, 0.1, 2.0, 0.1, 0.0, 1.0, 0.25}

/** Calibration of z into p_unreliable. */
typedef enum cred_calibration_kind {
    CRED_CALIB_NONE = 0,  /**< p = σ(z) */
    CRED_CALIB_PLATT,     /**< p = σ(a · z + b) */
    CRED_CALIB_ISOTONIC   /**< p interpolated linearly in a table of n (z[i], p[i]) points, z strictly
                               increasing, p non-decreasing in [0, 1]; flat beyond the ends */
} cred_calibration_kind;

typedef struct cred_calibration {
    cred_calibration_kind kind;
    double a, b;          /**< Platt */
    const double *z, *p;  /**< isotonic table (borrowed from the model when read back) */
    size_t n;             /**< isotonic points, 2 .. CRED_LIMIT_CALIBRATION_POINTS */
} cred_calibration;

#define CRED_LIMIT_CALIBRATION_POINTS 4096   /**< most points in an isotonic table */
#define CRED_LIMIT_MODEL_RULES 65536         /**< most per-rule weight overrides in a model */
#define CRED_LIMIT_MODEL_HEADER (16u << 20)  /**< largest JSON header of a weights file */
#define CRED_LEXICAL_BITS_MIN 8              /**< smallest lexical table: 2^8 buckets */
#define CRED_LEXICAL_BITS_MAX 26             /**< largest lexical table: 2^26 buckets (256 MiB) */

/** Lexical features: hashed word and character n-grams of a cred_doc. */
typedef struct cred_lexical_options {
    unsigned int version;
    unsigned int bits;        /**< the table has 2^bits weights (default 18) */
    unsigned int word_max;    /**< word n-grams of 1 .. word_max stems (default 2; 0: none) */
    unsigned int char_min;    /**< character n-grams of char_min .. char_max code points inside each */
    unsigned int char_max;    /**<   word, padded with a space on both sides (default 3..5; 0: none) */
    unsigned int links;       /**< 1: also link features: each link's registrable domain, its host when
                                   that differs and the words of its path (default 0) */
} cred_lexical_options;

#define CRED_LEXICAL_OPTIONS_VERSION 2
#define CRED_LEXICAL_OPTIONS_INIT {CRED_LEXICAL_OPTIONS_VERSION, 18, 2, 3, 5, 0}

/**
 * The built-in model: CRED_MODEL_PARAMS_INIT, no rule override, no calibration, no lexical table
 * (rule weights are those of the rule files).
 * @param[out] out  receives the model; release it with cred_model_free().
 * @return 0; CRED_ENOMEM.
 */
CRED_API int cred_model_default(cred_model **out);

/**
 * Read a weights file written by cred_model_save(). The whole file is checked before use.
 * Format (little-endian): "CREDMODL", u32 format version (2), u32 header length H, u64 blob length B,
 * u64 XXH3-64 of the H + B bytes that follow, a JSON header of H bytes (params, bands, rule weights
 * by id, calibration, lexical options and note) and B bytes of zstd-compressed float32 lexical
 * weights (B = 0 when the model has no lexical table).
 * @return 0; CRED_EIO when the file cannot be read; CRED_ECORRUPT when it is not a weights file or
 *         fails its checksum or structure checks; CRED_EVERSION when its format version is newer.
 */
CRED_API int cred_model_load(cred_model **out, const char *path);

/**
 * Write the model to path atomically (temporary file, fsync, rename). The output is a function of the
 * model alone: save → load → save is byte-identical. Rule overrides are written sorted by id.
 * @return 0; CRED_EIO; CRED_ENOMEM.
 */
CRED_API int cred_model_save(const cred_model *m, const char *path);

/** A deep copy (e.g. to fit from a starting point). @return 0; CRED_ENOMEM. */
CRED_API int cred_model_copy(cred_model **out, const cred_model *m);

CRED_API void cred_model_free(cred_model *m);   /* NULL does nothing */

/** Copy the model's scalar parameters into *out (out->version is set). */
CRED_API void cred_model_params_get(const cred_model *m, cred_model_params *out);

/**
 * Replace the scalar parameters.
 * @return 0; CRED_EINVAL when a value is not finite, a band is outside [0, 100] or
 *         unreliable_below > credible_min, dup_threshold outside (0, 1), dup_max < 0.
 */
CRED_API int cred_model_params_set(cred_model *m, const cred_model_params *params);

/**
 * Override the weight of rule `id` (log-odds points per scoring hit, instead of the rule file's).
 * Overrides apply to rules with a non-zero weight in the rule files (weight-0 rules never score).
 * @return 0; CRED_EINVAL when w is not finite or |w| > 20 or id is empty; CRED_ELIMIT; CRED_ENOMEM.
 */
CRED_API int cred_model_rule_weight_set(cred_model *m, const char *id, double w);

/** Remove the override of rule `id`. @return 0; CRED_ENOTFOUND when there is none. */
CRED_API int cred_model_rule_weight_clear(cred_model *m, const char *id);

/** The override of rule `id`. @return 0; CRED_ENOTFOUND when the model has none. */
CRED_API int cred_model_rule_weight(double *out, const cred_model *m, const char *id);

/** Number of rule overrides; with cred_model_rule_weight_at() lists them in id order. */
CRED_API size_t cred_model_rule_weight_count(const cred_model *m);

/** Override i in id order: *id is borrowed from the model. @return 0; CRED_ENOTFOUND out of range. */
CRED_API int cred_model_rule_weight_at(const char **id, double *w, const cred_model *m, size_t i);

/** Set (copying any table) or remove (kind NONE) the calibration. @return 0; CRED_EINVAL. */
CRED_API int cred_model_calibration_set(cred_model *m, const cred_calibration *c);

/** The calibration; isotonic tables are borrowed from the model. */
CRED_API void cred_model_calibration_get(const cred_model *m, cred_calibration *out);

/**
 * Give the model a lexical table of 2^opts->bits weights, all zero (replacing any table).
 * @param opts  options, or NULL for defaults.
 * @return 0; CRED_EINVAL when bits is outside [CRED_LEXICAL_BITS_MIN, CRED_LEXICAL_BITS_MAX], there
 *         are no features (word_max 0 and char_max 0), or char_min > char_max; CRED_ENOMEM.
 */
CRED_API int cred_model_lexical_init(cred_model *m, const cred_lexical_options *opts);

/** Remove the lexical table. */
CRED_API void cred_model_lexical_clear(cred_model *m);

/**
 * The lexical table, writable by the model's owner (a trainer updates weights in place).
 * @param[out] n     receives the number of weights (2^bits), or 0.
 * @param[out] opts  receives the lexical options, or NULL.
 * @return the table, or NULL when the model has none.
 */
CRED_API float *cred_model_lexical_table(cred_model *m, size_t *n, cred_lexical_options *opts);

/** One lexical feature occurrence. */
typedef struct cred_lexical_feature {
    uint32_t bucket;   /**< index into the lexical table */
    float value;       /**< feature value: 1 / sqrt(number of features of the doc) */
    uint8_t word;      /**< 1 for a word n-gram, 0 for a character n-gram */
    uint8_t n;         /**< n-gram length (words or code points) */
    cred_span raw;     /**< the n-gram's bytes in doc->raw (whole words for a character n-gram) */
} cred_lexical_feature;

typedef void (*cred_lexical_fn)(const cred_lexical_feature *f, void *payload);

/**
 * Call fn for every lexical feature of doc, in text order, with the model's lexical options (use
 * this in a trainer, so that fitting and scoring hash alike). Words are CRED_TOK_WORD tokens (their
 * stems), numbers stand as "<num>" and links as "<url>" in word n-grams; n-grams do not cross
 * sentences. With opts links, each link also gives its domain, host and path words (as word 1-grams). Linear in the text; no allocation. Thread-safe for a model nobody changes.
 * @return the number of features; CRED_EINVAL when the model has no lexical table.
 */
CRED_API long cred_lexical_features(const cred_model *m, const cred_doc *doc, cred_lexical_fn fn,
                                    void *payload);

/** One n-gram that moved a post's lexical signal. */
typedef struct cred_lexical_term {
    cred_span raw;     /**< first occurrence in doc->raw */
    double points;     /**< its part of the signal (lexical_scale included), summed over occurrences */
    uint32_t bucket;
    uint8_t word, n;
} cred_lexical_term;

/**
 * Score doc with the model's lexical table alone.
 * @param[out] z      receives the lexical signal (0 when the model has none).
 * @param[out] top    receives up to k terms with the largest |points|, largest first (may be NULL
 *                    when k is 0).
 * @param[out] n_top  receives how many were written, or NULL.
 * @return 0; CRED_ENOMEM.
 */
CRED_API int cred_model_lexical_score(double *z, cred_lexical_term *top, size_t k, size_t *n_top,
                                      const cred_model *m, const cred_doc *doc);

/** Free-text note stored with the model (e.g. the data set and metrics it was fitted on); "" if none. */
CRED_API const char *cred_model_note(const cred_model *m);
/** Replace the note (copied). @return 0; CRED_ENOMEM. */
CRED_API int cred_model_note_set(cred_model *m, const char *note);

/** What a contribution stands for. */
typedef enum cred_contrib_kind {
    CRED_CONTRIB_RULE = 0,  /**< a rule hit */
    CRED_CONTRIB_DUPLICATE, /**< near-duplicate evidence */
    CRED_CONTRIB_FORWARD,   /**< forward metadata */
    CRED_CONTRIB_LEXICAL    /**< the learned lexical signal (terms in cred_score.terms) */
} cred_contrib_kind;

/** One reason of a score. Strings are borrowed from the rule set, the doc or the scorer. */
typedef struct cred_contribution {
    cred_contrib_kind kind;
    const char *rule;       /**< rule id; "NEAR_DUPLICATE", "FORWARD_METADATA" or "LEXICAL" for the others */
    const char *category;   /**< rule category; "duplicate", "forward", "lexical" for the others */
    double points;          /**< log-odds points added to z (after caps, groups and overrides) */
    double raw_points;      /**< before the cap and the group bound (the weight, for a rule) */
    unsigned int hit_flags; /**< CRED_HIT_* (capped, group-limited) for rule hits */
    int has_span;           /**< 1 when span/quote are set */
    cred_span span;         /**< raw byte offsets in the post text (or in the metadata field) */
    cred_rule_target target;/**< where span points */
    const char *quote;      /**< the quoted bytes (not NUL-terminated), or NULL */
    size_t quote_len;
    const char *explain;    /**< NUL-terminated explanation, never NULL */
} cred_contribution;

/** A scored post. Owned by the scorer, valid until its next cred_scorer_score(). */
typedef struct cred_score {
    double z;                 /**< log-odds of unreliability */
    double p_unreliable;      /**< calibrated probability */
    int validity;             /**< round(100 · (1 − p_unreliable)) */
    cred_verdict verdict;
    unsigned int flags;       /**< CRED_FLAG_* */
    double bias;
    double rules, duplicate, forward, lexical; /**< z split by kind of evidence */
    const cred_contribution *contribs; /**< rule hits in scan order, then duplicate, forward, lexical */
    size_t n_contribs;
    size_t suppressed;        /**< hits whose points a cap or a group bound reduced */
    double suppressed_points; /**< points they lost (raw − points, summed) */
    const cred_lexical_term *terms; /**< the n-grams that moved the lexical signal most */
    size_t n_terms;
} cred_score;

/** What is known about one post when it is scored; every pointer but post and doc may be NULL. */
typedef struct cred_score_input {
    const cred_post *post;         /**< metadata (forwarded_from) */
    const cred_doc *doc;           /**< analysed text (lexical signal) */
    const cred_scan_result *scan;  /**< rule hits, or NULL */
    const cred_dup_match *dup;     /**< near-duplicate links, or NULL */
    const cred_dup_cluster *cluster; /**< the cluster of dup (as it stands when scored), or NULL */
} cred_score_input;

/** Per-thread scoring state: buffers for contributions and lexical terms. */
typedef struct cred_scorer cred_scorer;

/** Most lexical terms kept in cred_score.terms. */
#define CRED_SCORE_TERMS 5

/** A post's lexical signal computed ahead (e.g. in another thread than the scorer's). */
typedef struct cred_lexical_signal {
    double z;                                  /**< the signal */
    cred_lexical_term terms[CRED_SCORE_TERMS]; /**< its top terms, largest |points| first */
    size_t n_terms;
} cred_lexical_signal;

/**
 * Compute a post's lexical signal as cred_scorer_score() would (cred_model_lexical_score() with
 * k = CRED_SCORE_TERMS). Thread-safe (the model is only read). z is 0 when the model has no table.
 * @return 0; CRED_EINVAL; CRED_ENOMEM.
 */
CRED_API int cred_lexical_signal_compute(cred_lexical_signal *out, const cred_model *m, const cred_doc *doc);

/**
 * Make a scorer. The model is borrowed: it must outlive the scorer and not change while it scores.
 * @return 0; CRED_ENOMEM.
 */
CRED_API int cred_scorer_new(cred_scorer **out, const cred_model *m);
CRED_API void cred_scorer_free(cred_scorer *s);   /* NULL does nothing */

/**
 * Score one post: contributions, z, p_unreliable, validity, verdict and flags. Work is linear in the
 * hits (plus the text, with a lexical table); no allocation once buffers have grown.
 * @param[out] out  receives the score, owned by s and valid until the next call or free.
 * @return 0; CRED_EINVAL when in or in->post is NULL; CRED_ENOMEM.
 */
CRED_API int cred_scorer_score(cred_scorer *s, const cred_score **out, const cred_score_input *in);

/**
 * cred_scorer_score() with the lexical signal given (from cred_lexical_signal_compute() with the same
 * model) instead of computed from in->doc, which may then be NULL. lex NULL: as cred_scorer_score().
 */
CRED_API int cred_scorer_score_lexical(cred_scorer *s, const cred_score **out, const cred_score_input *in,
                                       const cred_lexical_signal *lex);

/** p from z with the model's calibration (σ(z) without one). Thread-safe. */
CRED_API double cred_model_probability(const cred_model *m, double z);

/** Validity 0..100 from p_unreliable: round(100 · (1 − p)). */
CRED_API int cred_validity(double p_unreliable);

/** Verdict of a validity under the model's bands (evidence 0: insufficient). */
CRED_API cred_verdict cred_model_verdict(const cred_model *m, int validity, int evidence);

/* ------------------------------------------------------------------------------------------------ */
/* Learning and evaluation: labelled data sets, metrics, fitting rule weights and a lexical signal   */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Labels are binary and the positive class is "unreliable" (1); reliable is 0. Everything here is
 * deterministic: the same data, options and seed give byte-identical models and reports.
 */

/** How a labelled file is laid out. AUTO decides from the name: .jsonl/.ndjson → JSONL, .tsv → TSV, else CSV. */
typedef enum cred_dataset_format {
    CRED_DATASET_AUTO = 0,
    CRED_DATASET_CSV,    /**< comma separated, RFC 4180 quotes (fields may span lines) */
    CRED_DATASET_TSV,    /**< tab separated; quotes are ordinary characters unless quotes is 1 */
    CRED_DATASET_JSONL   /**< one flat JSON object per line; columns are keys */
} cred_dataset_format;

/**
 * Where the text and the label of a labelled file are. Columns are header names, or "#N" for the N-th
 * (1-based) column, which also works for files without a header. Several text columns joined by '+'
 * ("vid_title+description") are concatenated with a blank line. Label values are compared after
 * trimming spaces, case-insensitively, and numerically when both sides are numbers ("1.0" = "1").
 */
typedef struct cred_dataset_options {
    unsigned int version;
    cred_dataset_format format;
    const char *text_col;   /**< default "text" */
    const char *label_col;  /**< default "label" */
    const char *positive;   /**< comma-separated label values meaning unreliable (default "1") */
    const char *negative;   /**< comma-separated values meaning reliable; NULL: every other value.
                                 Rows whose label is in neither list, or empty, are skipped and counted */
    const char *id_col;     /**< default "id" when the file has one, else the line number */
    const char *lang_col;   /**< column of a declared language, or NULL */
    int header;             /**< CSV/TSV: 1 (default) the first row names the columns, 0 it does not */
    int quotes;             /**< CSV/TSV: 1 RFC 4180 quotes, 0 none, -1 (default) CSV 1 and TSV 0 */
} cred_dataset_options;

#define CRED_DATASET_OPTIONS_VERSION 1
#define CRED_DATASET_OPTIONS_INIT {CRED_DATASET_OPTIONS_VERSION, CRED_DATASET_AUTO, NULL, NULL, NULL, NULL, NULL, NULL, 1, -1}

#define CRED_LIMIT_DATASET_ROWS (16u << 20)   /**< most examples in one labelled file (CRED_ELIMIT beyond) */

/** One labelled example. Strings are NUL-terminated and owned by the data set. */
typedef struct cred_example {
    const char *id;      /**< id column, else the record number the reader gives (CSV: the row, 1 = the
                              first data row; JSONL: the line) */
    const char *text;
    size_t text_len;
    int label;           /**< 1 unreliable (positive), 0 reliable */
    const char *lang;    /**< declared language (lang_col), or NULL */
    uint64_t line;       /**< 1-based line where the row starts */
} cred_example;

/** A labelled data set held in memory. Immutable once loaded: may be read by several threads. */
typedef struct cred_dataset cred_dataset;

/**
 * Read a labelled file whole, through the CSV or JSONL reader (cred_reader_open() with the columns,
 * label_col, csv_no_header and csv_no_quotes set from opts). Rows too short for the named columns,
 * objects without the text key, rows over a reader limit and rows without a usable label are skipped
 * and counted (cred_dataset_skipped()); a row that does not parse fails the load.
 * @param[out] out  receives the data set; release it with cred_dataset_free().
 * @param opts      options, or NULL for defaults.
 * @return 0; CRED_EIO when the file cannot be read; CRED_ENOTFOUND when a named column is not in the
 *         header (the message lists the header); CRED_ESYNTAX when a quoted field never ends or a
 *         JSONL line does not parse (line in cred_error_last()); CRED_ELIMIT; CRED_ENOMEM.
 */
CRED_API int cred_dataset_load(cred_dataset **out, const char *path, const cred_dataset_options *opts);
CRED_API void cred_dataset_free(cred_dataset *ds);   /* NULL does nothing */
/** Number of examples. */
CRED_API size_t cred_dataset_count(const cred_dataset *ds);
/** Example i (0 <= i < count), borrowed from the data set; NULL out of range. */
CRED_API const cred_example *cred_dataset_get(const cred_dataset *ds, size_t i);
/** Rows skipped because a column was missing or the label was empty or unmapped. */
CRED_API size_t cred_dataset_skipped(const cred_dataset *ds);
/** Positive examples. */
CRED_API size_t cred_dataset_positives(const cred_dataset *ds);

/** One file of a registered data set. */
typedef struct cred_dataset_file {
    const char *split;      /**< "train", "val", "test" or "all" */
    const char *path;       /**< resolved path: the data directory (or, for a data set shipped in the
                                 repository, the registry's directory) joined with dir and the file name */
    const char *sha256;     /**< expected lower-case hex SHA-256, or NULL */
    const char *label_col;  /**< this file's label column when it differs from the data set's, or NULL */
} cred_dataset_file;

/** A registered data set. Strings are borrowed from the registry. */
typedef struct cred_registry_entry {
    const char *name;       /**< e.g. "constraint-covid19" */
    const char *title;
    const char *url;        /**< where to fetch it */
    const char *licence;
    const char *language;   /**< ISO code(s) of the texts, e.g. "en" */
    const char *positive_means; /**< what a positive label stands for in this data set */
    const char *notes;
    cred_dataset_options options;  /**< columns and label mapping (strings borrowed from the registry) */
    const cred_dataset_file *files;
    size_t n_files;
} cred_registry_entry;

/** The data set registry (datasets/registry.json). */
typedef struct cred_registry cred_registry;

/**
 * Read a registry. File paths are resolved against data_dir (NULL: "../shared/datasets"), except for
 * data sets marked "local", resolved against the registry file's directory.
 * @return 0; CRED_EIO; CRED_ESYNTAX when the JSON does not parse; CRED_EFORMAT when an entry lacks a
 *         name, a text or label column or files; CRED_ENOMEM.
 */
CRED_API int cred_registry_load(cred_registry **out, const char *path, const char *data_dir);
CRED_API void cred_registry_free(cred_registry *r);   /* NULL does nothing */
CRED_API size_t cred_registry_count(const cred_registry *r);
/** Entry i in file order, or NULL out of range. */
CRED_API const cred_registry_entry *cred_registry_at(const cred_registry *r, size_t i);
/** The entry named name, or NULL. */
CRED_API const cred_registry_entry *cred_registry_find(const cred_registry *r, const char *name);
/** The file of a split ("train", "val", "test", "all"), or NULL when the data set has none. */
CRED_API const cred_dataset_file *cred_registry_file(const cred_registry_entry *e, const char *split);

/**
 * SHA-256 of a file, as 64 lower-case hex digits and a NUL.
 * @return 0; CRED_EIO.
 */
CRED_API int cred_sha256_file(char out[65], const char *path);

/** Bins of the reliability table and of the expected calibration error. */
#define CRED_METRICS_BINS 10

/** One bin of predicted probability: [lo, hi), the last one closed. */
typedef struct cred_reliability_bin {
    double lo, hi;
    size_t n;            /**< examples whose p falls in the bin */
    size_t positives;
    double mean_p;       /**< mean predicted p (0 when empty) */
    double frac_pos;     /**< observed fraction of positives (0 when empty) */
} cred_reliability_bin;

/** Ranking, decision and calibration figures of probabilities against labels. */
typedef struct cred_metrics {
    size_t n, positives;
    double roc_auc;      /**< area under the ROC curve, ties counted half (Mann-Whitney); NAN with one class */
    double pr_auc;       /**< average precision (step-wise area under the precision-recall curve, tied
                                 scores taken together); NAN without positives */
    double threshold;    /**< p >= threshold predicts unreliable */
    size_t tp, fp, tn, fn;
    double precision;    /**< tp / (tp + fp); 0 when nothing is predicted positive */
    double recall;       /**< tp / (tp + fn); 0 without positives */
    double f1;           /**< harmonic mean of precision and recall; 0 when both are 0 */
    double accuracy;
    double brier;        /**< mean squared error of p */
    double ece;          /**< expected calibration error: Σ n_bin / n · |mean_p − frac_pos| over the bins */
    cred_reliability_bin bins[CRED_METRICS_BINS];
} cred_metrics;

/**
 * Compute every figure in one sort. p values outside [0, 1] are clamped for the bins.
 * @param p          predicted probability of "unreliable", n values.
 * @param y          labels, 1 unreliable, 0 reliable.
 * @param threshold  decision threshold (the CLI uses the model's unreliable band: 1 − unreliable_below/100).
 * @return 0; CRED_EINVAL when n is 0 or a p is NAN; CRED_ENOMEM.
 */
CRED_API int cred_metrics_compute(cred_metrics *out, const double *p, const unsigned char *y, size_t n,
                                  double threshold);

/**
 * Features of a labelled data set for fitting: per example, the rule-hit vector (for each scoring
 * rule, Σ over its hits of points / rule weight: the number of hits that score, after caps and group
 * bounds, so that z = Σ weight · x exactly as cred_scorer_score() adds overridden weights) and the
 * hashed lexical features (cred_lexical_features()), plus the detected language.
 */
typedef struct cred_features cred_features;

/**
 * Analyse and scan every example (one thread; about the cost of `credence score` without copies).
 * @param rules  rule set (borrowed, a reference is kept), or NULL for lexical features only.
 * @param lex    lexical options, or NULL for no lexical features.
 * @return 0; CRED_EINVAL when both are NULL or lex is invalid; CRED_ENOMEM.
 */
CRED_API int cred_features_build(cred_features **out, const cred_dataset *ds, cred_rules *rules,
                                 const cred_lexical_options *lex);
CRED_API void cred_features_free(cred_features *f);   /* NULL does nothing */
CRED_API size_t cred_features_count(const cred_features *f);
/** Detected (or declared) language of example i ("und" when unknown); NULL out of range. */
CRED_API const char *cred_features_lang(const cred_features *f, size_t i);

/**
 * p_unreliable of every example under model m, from the stored features (rules, overrides, bias,
 * lexical table when m's options match the features', calibration; no copy or forward evidence).
 * @param[out] p  receives cred_features_count() probabilities.
 * @return 0; CRED_EINVAL when the model's lexical options differ from the features'.
 */
CRED_API int cred_features_predict(double *p, const cred_features *f, const cred_model *m);

/** Training options. */
typedef struct cred_train_options {
    unsigned int version;
    double cost_fp;          /**< loss weight of a reliable example (default 1.5): flagging a reliable post
                                  costs as much as missing cost_fp unreliable ones. The model's unreliable
                                  band is set to p >= cost_fp / (1 + cost_fp) (validity < 40 at 1.5) */
    double l2_rules;         /**< L2 penalty on rule weights, pulling them towards the rule files'
                                  weights (default 2) */
    double l2_lexical;       /**< L2 penalty on lexical weights (default 0.05; features of a post have
                                  unit norm) */
    unsigned int epochs;     /**< most coordinate-descent passes (default 60) */
    int sign_constraints;    /**< 1 (default): rules with a positive weight stay >= 0, nice rules <= 0 */
    int lexical;             /**< 1: also fit a lexical table (with features built with lex options) */
    cred_calibration_kind calibration; /**< default CRED_CALIB_PLATT */
    double holdout;          /**< fraction kept for calibration when no calibration set is given
                                  (default 0.2, stratified) */
    uint64_t seed;           /**< hold-out and folds (default 1) */
    double nb_alpha;         /**< > 0: scale each lexical feature by its naive-Bayes log-count ratio on the
                                  fitted examples, smoothed by nb_alpha (NB-LR, after Wang & Manning 2012);
                                  the table stores the scaled weights, so scoring is unchanged. 0: off */
    int refit;               /**< 1: after calibrating on the hold-out, fit again on the fitted and held-out
                                  examples together and keep that calibration (no effect with a separate
                                  calibration set or without a hold-out) */
    int threshold_f1;        /**< 1: set the unreliable band to the threshold that maximises F1 on the
                                  calibration examples instead of cost_fp / (1 + cost_fp) */
    unsigned int calib_folds; /**< >= 2 (and no calibration set): cross-fitted calibration instead of a
                                  hold-out: every example gets a margin from a model fitted on the other
                                  calib_folds - 1 folds (copies kept together), calibration and threshold
                                  are chosen on all of them, and the model is fitted on all examples
                                  (calib_folds + 1 fits). 0 (default): hold-out and refit */
} cred_train_options;

#define CRED_TRAIN_OPTIONS_VERSION 3
#define CRED_TRAIN_OPTIONS_INIT {CRED_TRAIN_OPTIONS_VERSION, 1.5, 2.0, 0.05, 60, 1, 0, CRED_CALIB_PLATT, 0.2, 1, 0, 0, 0, 0}

/** What a fit did. */
typedef struct cred_train_report {
    size_t n_fit, n_calib;   /**< examples used to fit weights, to calibrate */
    unsigned int epochs;     /**< passes made */
    double loss;             /**< final weighted log-loss per fitted example (penalties excluded) */
    size_t rules_hit;        /**< rules that hit at least one fitted example */
    size_t lexical_buckets;  /**< lexical weights that are not zero */
} cred_train_report;

/**
 * Fit a model: bias and rule weights (and, with opts->lexical, the lexical table) by L2-regularised,
 * cost-weighted logistic regression, minimised by cyclic coordinate descent with one-dimensional
 * Newton steps and backtracking (deterministic); then calibrate z on the calibration set. Cost is
 * linear in the non-zero features per pass.
 * @param[out] out     receives the model (copied from base, or the built-in model when base is NULL).
 * @param[out] report  receives what the fit did, or NULL.
 * @param calib        calibration examples, or NULL to hold out opts->holdout of f.
 * @return 0; CRED_EINVAL when a set lacks one of the classes or options are out of range; CRED_ENOMEM.
 */
CRED_API int cred_train(cred_model **out, cred_train_report *report, const cred_features *f,
                        const cred_features *calib, const cred_model *base, const cred_train_options *opts);

/**
 * k-fold cross-validation (stratified, folds drawn with opts->seed): for each fold, fit on the
 * others (calibrating on a hold-out of them) and predict the fold. With lexical features, copies of
 * a post (the same lexical features: equal up to case, punctuation and spacing) form one group, and
 * a group is never split between folds, so a forwarded copy cannot leak a label into its own test.
 * @param[out] p  receives the out-of-fold probability of every example.
 * @return as cred_train(); CRED_EINVAL when k < 2 or k exceeds either class's count.
 */
CRED_API int cred_train_cv(double *p, const cred_features *f, unsigned int k, const cred_model *base,
                           const cred_train_options *opts);

/**
 * cred_train_cv(), also giving per example the verdict threshold of the fold's model (p >= t is
 * unreliable; chosen on that model's own calibration examples with opts->threshold_f1).
 * @param[out] t  receives the threshold of every example, or NULL.
 */
CRED_API int cred_train_cv_verdicts(double *p, double *t, const cred_features *f, unsigned int k,
                                    const cred_model *base, const cred_train_options *opts);

/** One lexical weight with the first n-gram seen in its bucket (collisions share a bucket). */
typedef struct cred_lexical_weight {
    uint32_t bucket;
    float weight;
    const char *text;    /**< the n-gram's raw text (a character n-gram shows its whole word) */
    uint8_t word, n;     /**< word or character n-gram and its length */
} cred_lexical_weight;

/**
 * The k lexical weights of m with the largest |weight| among buckets seen in f, largest first, with
 * the n-gram text from f. @return the number written (<= k).
 */
CRED_API size_t cred_features_top_lexical(cred_lexical_weight *out, size_t k, const cred_features *f,
                                          const cred_model *m);

/* ------------------------------------------------------------------------------------------------ */
/* Corpus and search: a persistent, searchable store of posts                                        */
/* ------------------------------------------------------------------------------------------------ */

#define CRED_LIMIT_QUERY_BYTES 4096     /**< longest search query accepted (CRED_ELIMIT beyond) */
#define CRED_LIMIT_QUERY_TERMS 64       /**< most words, phrases, prefixes and filters in one query */
#define CRED_LIMIT_PREFIX_TERMS 64      /**< a prefix expands to at most this many terms per segment
                                             (the most frequent ones); rarer expansions are left out */
#define CRED_LIMIT_SEARCH_RESULTS 10000 /**< most hits one search returns */

/**
 * A corpus: a directory holding immutable segment files (`seg-NNNNNN.cseg`), a write-ahead log
 * (`wal.log`) and a `MANIFEST` naming the live segments. Every file starts with a magic and a
 * format version and carries XXH64 checksums; segments are written to a temp file, fsynced and
 * renamed, and read through mmap. Stored per post: the record (id, text, source, author, date, ...),
 * its latest score and flags, the inverted index (stems and surface forms, positions), its
 * near-duplicate signature and its place in the cluster forest. A post whose id is already stored
 * replaces the older version. One writer at a time (a lock file); any number of readers, each
 * seeing the state of the moment it opened. A handle is used by one thread at a time.
 */
typedef struct cred_corpus cred_corpus;

enum {
    CRED_CORPUS_WRITE = 1u << 0,  /**< open for adding (takes the directory's writer lock) */
    CRED_CORPUS_CREATE = 1u << 1  /**< create the directory and an empty corpus when absent (implies WRITE) */
};

typedef struct cred_corpus_options {
    unsigned int version;
    unsigned int flags;       /**< CRED_CORPUS_* bits */
    unsigned int threads;     /**< analysis threads when building segments (default 2) */
    size_t flush_posts;       /**< posts kept in the log before they are written as a segment
                                   (default 4096); a commit of more goes straight to a segment */
    double threshold;         /**< near-duplicate threshold for stored links (default 0.45) */
} cred_corpus_options;

#define CRED_CORPUS_OPTIONS_VERSION 1
#define CRED_CORPUS_OPTIONS_INIT {CRED_CORPUS_OPTIONS_VERSION, 0, 2, 4096, 0.45}

/**
 * Open a corpus directory. Checks every segment's whole-file checksum and structure, replays the
 * log (a torn tail left by a crash is ignored, and truncated when opened for writing).
 * @param[out] out  receives the handle; release with cred_corpus_free().
 * @return 0; CRED_ENOTFOUND when dir holds no corpus (and CREATE is not set); CRED_ECORRUPT (with the
 *         file and byte offset in cred_error_last()) or CRED_EVERSION for a damaged or newer file;
 *         CRED_EIO (including "locked by another writer"); CRED_ENOMEM.
 */
CRED_API int cred_corpus_open(cred_corpus **out, const char *dir, const cred_corpus_options *opts);

/** Close the handle. Posts added but not committed are lost. NULL does nothing. */
CRED_API void cred_corpus_free(cred_corpus *c);

/** The latest score of a post, stored beside it. */
typedef struct cred_corpus_score {
    double validity;     /**< 0..100, or NAN when the post was not scored */
    const char *flags;   /**< space-separated flag names (e.g. "unsourced_claim"), or NULL */
} cred_corpus_score;

/**
 * Queue a post (and its score, or NULL) for the next commit. The post is copied.
 * @return 0; CRED_EINVAL when the corpus is read-only; CRED_ELIMIT when the text exceeds
 *         CRED_LIMIT_POST_BYTES; CRED_ENOMEM.
 */
CRED_API int cred_corpus_add(cred_corpus *c, const cred_post *post, const cred_corpus_score *score);

/**
 * Make queued posts durable: appended to the log and fsynced (small batches), or written as a new
 * segment (batches of flush_posts or more). When this returns 0 the posts survive a crash; they are
 * searchable through this handle at once. Segments are merged when there are more than 16.
 * @return 0; CRED_EIO; CRED_ENOMEM.
 */
CRED_API int cred_corpus_commit(cred_corpus *c);

/** Rewrite every live post into one segment (dropping replaced versions) and empty the log. */
CRED_API int cred_corpus_compact(cred_corpus *c);

/** Figures of an opened corpus. */
typedef struct cred_corpus_stats {
    uint64_t posts;          /**< live posts (replaced versions not counted) */
    uint64_t replaced;       /**< stored versions superseded by a newer post with the same id */
    uint64_t segments;       /**< segment files */
    uint64_t log_posts;      /**< posts held in the log only */
    uint64_t terms;          /**< dictionary entries summed over segments */
    uint64_t clusters;       /**< posts that start a cluster (relation none) */
    uint64_t index_bytes;    /**< the search index: dictionary, postings, positions and the per-post
                                  date, length and validity it ranks and filters with */
    uint64_t store_bytes;    /**< id map and per-post links (seq, parent, origin, text block) */
    uint64_t text_bytes;     /**< compressed stored records */
    uint64_t dedup_bytes;    /**< near-duplicate signatures */
    uint64_t file_bytes;     /**< all segment files */
    int64_t first_date, last_date; /**< CRED_DATE_UNKNOWN when no post is dated */
    uint64_t dict_bytes, postings_bytes, positions_bytes, doc_table_bytes; /**< parts of index_bytes */
    uint64_t pairs_bytes;    /**< part of index_bytes: the frequent-pair index (phrase filter) */
} cred_corpus_stats;

CRED_API int cred_corpus_stats_get(const cred_corpus *c, cred_corpus_stats *out);

/**
 * Check every checksum of every file (segment sections, each compressed text block, the log) and
 * decode every record and posting list. Does not modify anything.
 * @return 0 when all is sound; CRED_ECORRUPT with the file and offset of the first damage.
 */
CRED_API int cred_corpus_verify(cred_corpus *c);

/** A stored post as returned by lookups. Strings are owned by the handle, valid until its next call. */
typedef struct cred_corpus_post {
    cred_post post;              /**< the record (lang: declared, else detected) */
    uint64_t seq;                /**< insertion number, unique in the corpus */
    double validity;             /**< latest score, NAN when unscored */
    const char *flags;           /**< space-separated flags ("" when none) */
    cred_dup_relation relation;  /**< link to its earlier copy when it was stored */
    double similarity;
    const char *parent_id;       /**< id of the post it copies, or NULL */
    const char *origin_id;       /**< id of its cluster's origin (its own id when it heads one) */
} cred_corpus_post;

/**
 * Find the live post with this id.
 * @return 0; CRED_ENOTFOUND; CRED_ECORRUPT.
 */
CRED_API int cred_corpus_get(cred_corpus *c, cred_corpus_post *out, const char *id);

/**
 * Look an analysed text up against the stored posts dated no later than `date` (unknown dates
 * count as earlier): exact copies first, then the most similar near-duplicate (estimated Jaccard
 * >= threshold). For `credence score --index`. out->post.id is "" when nothing matched.
 * @return 0 (relation CRED_DUP_NONE when no earlier copy is stored); CRED_ENOMEM; CRED_ECORRUPT.
 */
CRED_API int cred_corpus_find_copy(cred_corpus *c, cred_corpus_post *out, const cred_doc *doc, int64_t date);

/** A stored cluster: the posts whose cluster forest leads to one origin post, the origin included. */
typedef struct cred_corpus_cluster_info {
    const char *origin_id;      /**< id of the cluster's origin ("" when none of its versions is stored) */
    uint64_t origin_seq;        /**< the origin's insertion number */
    uint64_t size;              /**< live stored posts in the cluster (replaced versions not counted) */
    uint64_t sources;           /**< distinct non-empty sources among them */
    int64_t first_seen;         /**< earliest post date, CRED_DATE_UNKNOWN when none is dated */
    int64_t last_seen;          /**< latest post date, CRED_DATE_UNKNOWN when none is dated */
    const char *const *members; /**< ids of the n_members earliest posts (by date, undated first,
                                     then insertion) */
    size_t n_members;           /**< min(size, max_members) */
} cred_corpus_cluster_info;

/**
 * The cluster of the live post with this id, from the cluster's postings in every segment and the
 * log (not capped: one pass over its members, reading each member's stored record for its source).
 * Strings are owned by the handle, valid until its next call.
 * @param max_members  member ids wanted in out->members (0: none)
 * @return 0; CRED_ENOTFOUND when no live post has this id; CRED_ECORRUPT; CRED_ENOMEM.
 */
CRED_API int cred_corpus_cluster(cred_corpus *c, cred_corpus_cluster_info *out, const char *id, size_t max_members);

/** Search options. */
typedef struct cred_search_options {
    unsigned int version;
    size_t limit;            /**< hits wanted (default 10, at most CRED_LIMIT_SEARCH_RESULTS) */
    size_t snippet_bytes;    /**< raw bytes of text around the first match (default 160; 0: none) */
} cred_search_options;

#define CRED_SEARCH_OPTIONS_VERSION 1
#define CRED_SEARCH_OPTIONS_INIT {CRED_SEARCH_OPTIONS_VERSION, 10, 160}

/** One hit, best first. */
typedef struct cred_search_hit {
    cred_corpus_post post;   /**< the stored post */
    double score;            /**< BM25 (k1 1.2, b 0.75) summed over the query's words */
    const char *snippet;     /**< raw text around the first match, whole UTF-8 characters */
    size_t snippet_len;
    const cred_span *highlights; /**< matching words, as offsets into snippet */
    size_t n_highlights;
} cred_search_hit;

typedef struct cred_search_result {
    const cred_search_hit *hits;
    size_t n_hits;
    uint64_t matches;        /**< posts matched (a lower bound when ranking skipped whole blocks) */
} cred_search_result;

/**
 * Search the corpus. The query language:
 *   word            posts with the word (any inflection: compared by Snowball stem, per language)
 *   =word           the exact (normalised) surface form
 *   "a b c"         a phrase: the stems in this order, adjacent
 *   vacc*           a prefix of stems or surface forms (see CRED_LIMIT_PREFIX_TERMS)
 *   a b, a AND b    both;  a OR b  either;  NOT a, -a  without;  ( ... ) groups. AND binds tighter.
 *   source:NAME  author:NAME  lang:CODE  flag:NAME  cluster:ID (the cluster of post ID)
 *   after:DATE  before:DATE  (YYYY-MM-DD[THH:MM[:SS]], UTC; after is inclusive, before exclusive)
 *   validity<N  validity<=N  validity>N  validity>=N
 * Values with spaces are quoted: source:"Health News". Filters do not change scores. A query made
 * only of filters lists matching posts, newest first.
 * @param[out] out  receives the result, owned by c and valid until its next call.
 * @return 0; CRED_ESYNTAX when the query does not parse (cred_error_last() has the 1-based column
 *         and the message); CRED_ELIMIT; CRED_ECORRUPT; CRED_ENOMEM.
 */
CRED_API int cred_corpus_search(cred_corpus *c, const cred_search_result **out, const char *query,
                                size_t len, const cred_search_options *opts);

/* ------------------------------------------------------------------------------------------------ */
/* Service: the HTTP API for group bots (`credence serve`, README "Service")                         */
/* ------------------------------------------------------------------------------------------------ */

#define CRED_LIMIT_HTTP_BODY_BYTES (1u << 20)   /**< largest request body of POST /v1/score (413 beyond) */
#define CRED_LIMIT_HTTP_BATCH_BYTES (16u << 20) /**< largest request body of POST /v1/posts (413 beyond) */
#define CRED_LIMIT_HTTP_BATCH_POSTS 10000       /**< most posts in one POST /v1/posts batch (413 beyond) */
#define CRED_LIMIT_HTTP_TEXT_BYTES (64u << 10)  /**< longest post text /v1/score accepts (413 text_too_long) */
#define CRED_LIMIT_HTTP_REQUEST_MS 10000        /**< a request (headers and body) must arrive within this
                                                     time; the connection is closed beyond it */
#define CRED_LIMIT_HTTP_IDLE_SECONDS 5          /**< a connection silent this long is closed (slowloris) */
#define CRED_LIMIT_HTTP_CONNECTIONS 1024        /**< most open connections (more are refused) */
#define CRED_LIMIT_HTTP_TOKEN_BYTES 4096        /**< longest bearer token read from the token file */

/**
 * A running service: a libmicrohttpd daemon with its own thread pool. Every worker thread keeps its
 * own scratch (cred_text, cred_scanner, cred_scorer, output buffer); the rule set and the model are
 * shared, reference-counted and swapped atomically by cred_server_reload(), so a reload never drops
 * a request (requests already running finish with the set they started with). The near-duplicate
 * memory is one store shared by all threads: the embedded cred_dedup behind a mutex (default), or
 * Redis (`redis://HOST:PORT`) shared by several instances. All functions are thread-safe.
 */
typedef struct cred_server cred_server;

typedef struct cred_server_options {
    unsigned int version;
    const char *listen;        /**< "HOST:PORT" (default "127.0.0.1:8080"); port 0 picks a free port
                                    (see cred_server_port()); only literal IPv4 addresses */
    const char *rules;         /**< rule file or directory (default: the shipped rules/) */
    const char *weights;       /**< weights file of `credence train`, or NULL for the built-in model */
    const char *index_dir;     /**< corpus directory (created when absent) for /v1/posts, search and
                                    ?remember=1, or NULL (those endpoints then answer 501 no_index) */
    const char *token_file;    /**< file whose first line is the bearer token for write and admin
                                    endpoints; NULL: those endpoints answer 401 to everybody */
    const char *store;         /**< near-duplicate store: NULL or "memory" (embedded), or
                                    "redis://HOST:PORT" (loopback or a trusted network) */
    unsigned int threads;      /**< HTTP worker threads (default: the number of cores) */
    unsigned int flags;        /**< CRED_SERVER_* bits */
    double rate;               /**< requests per second allowed per client address (default 1000;
                                    a negative value turns the limit off) */
    double burst;              /**< bucket size of that limit (default 2 × rate) */
    unsigned int idle_seconds; /**< connection idle timeout (default CRED_LIMIT_HTTP_IDLE_SECONDS) */
    unsigned int request_ms;   /**< whole-request time limit (default CRED_LIMIT_HTTP_REQUEST_MS) */
    double threshold;          /**< near-duplicate threshold (default 0.45) */
    unsigned int ttl_seconds;  /**< Redis store: expiry of keys and buckets (default 30 days) */
    FILE *log;                 /**< one line per problem (never a token or a body), or NULL */
    const char *store_replicas; /**< Redis store: NULL, or comma-separated "redis://HOST:PORT" read
                                    replicas of `store`: lookups go to them (each thread to one),
                                    writes to `store`, which also answers when no replica does */
} cred_server_options;

enum {
    CRED_SERVER_AUTH_READS = 1u << 0, /**< read endpoints need the bearer token too */
    CRED_SERVER_ANY_ADDRESS = 1u << 1 /**< allow a non-loopback listen address */
};

#define CRED_SERVER_OPTIONS_VERSION 1
#define CRED_SERVER_OPTIONS_INIT {CRED_SERVER_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, \
                                  1000, 0, 0, 0, 0.45, 0, NULL, NULL}

/**
 * Load rules, weights, token and corpus, connect the store, bind and start serving.
 * @param[out] out  receives the running server; stop it with cred_server_stop() and free it.
 * @return 0; CRED_EINVAL for a bad option (a non-loopback address without CRED_SERVER_ANY_ADDRESS,
 *         an unreadable listen string); CRED_ESYNTAX for bad rules; CRED_EIO when the address cannot
 *         be bound or a file cannot be read; CRED_ECORRUPT / CRED_EVERSION for the weights or the
 *         corpus; CRED_ENOMEM. cred_error_last() says which.
 */
CRED_API int cred_server_start(cred_server **out, const cred_server_options *opts);

/** The TCP port the server listens on (useful after listening on port 0). */
CRED_API unsigned int cred_server_port(const cred_server *s);

/**
 * Recompile the rules and reload the weights from the paths given at start, then swap them in
 * atomically. On failure the running set stays in place.
 * @return 0; as cred_rules_load() and cred_model_load().
 */
CRED_API int cred_server_reload(cred_server *s);

/**
 * Graceful stop: stop accepting connections, let requests in flight finish (at most
 * `grace_ms` milliseconds), flush and close the corpus log, stop the threads. Idempotent.
 */
CRED_API void cred_server_stop(cred_server *s, unsigned int grace_ms);

/** Stop (with a 5-second grace) when still running, then free everything. NULL does nothing. */
CRED_API void cred_server_free(cred_server *s);

/* ------------------------------------------------------------------------------------------------ */
/* Output                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Output formats. JSONL and CSV are streamed, one record per post; TABLE and HTML keep bounded
 * summaries (the worst posts, counts, histogram, clusters, sources) and write them at cred_out_finish().
 */
typedef enum cred_out_format {
    CRED_OUT_JSONL = 0, /**< one JSON object per line (README "credence score" documents the fields) */
    CRED_OUT_CSV,       /**< RFC 4180, a header row, one row per post, flags joined by '|' */
    CRED_OUT_TABLE,     /**< terminal table: the worst posts first with their top reasons */
    CRED_OUT_HTML       /**< one self-contained, offline HTML report (inline CSS, JS and SVG) */
} cred_out_format;

/** Name of a format ("jsonl", "csv", "table", "html"). */
CRED_API const char *cred_out_format_name(cred_out_format format);
/** Parse a format name. @return 0; CRED_ENOTFOUND. */
CRED_API int cred_out_format_parse(cred_out_format *out, const char *name);

typedef struct cred_out cred_out;

/**
 * A writer of records to a stdio stream (borrowed; not closed by cred_out_free()). fp may be NULL for
 * a writer used with cred_out_render() only (what cred_out_score() would write is then dropped).
 * @return 0; CRED_ENOMEM.
 */
CRED_API int cred_out_new(cred_out **out, FILE *fp, cred_out_format format);

/**
 * Write one parsed post record (the `credence parse` record): the post's fields plus, when doc is
 * not NULL, "lang" (detected unless the input declared one) and "links" (canonical URLs of the text
 * and of the input's own link entities).
 * @return 0; CRED_EIO when the stream fails.
 */
CRED_API int cred_out_post(cred_out *o, const cred_post *post, const cred_doc *doc);

enum {
    CRED_OUT_COLOR = 1u << 0,   /**< table: ANSI colours (the CLI sets it on a TTY only) */
    CRED_OUT_NO_TEXT = 1u << 1  /**< jsonl/csv: leave the post text out */
};

typedef struct cred_out_options {
    unsigned int version;
    unsigned int flags;   /**< CRED_OUT_* bits */
    size_t top;           /**< table and html: how many of the least credible posts to list (default 25) */
    const char *title;    /**< html: report title (default "credence report") */
} cred_out_options;

#define CRED_OUT_OPTIONS_VERSION 1
#define CRED_OUT_OPTIONS_INIT {CRED_OUT_OPTIONS_VERSION, 0, 25, NULL}

/**
 * A writer of any format with options. cred_out_new() is cred_out_open() with NULL options.
 * @return 0; CRED_EINVAL; CRED_ENOMEM.
 */
CRED_API int cred_out_open(cred_out **out, FILE *fp, cred_out_format format, const cred_out_options *opts);

/** One scored post as the writers take it. Every pointer but post and score may be NULL. */
typedef struct cred_scored_post {
    const cred_post *post;
    const cred_doc *doc;              /**< for the detected language */
    const cred_score *score;
    const cred_dup_match *dup;        /**< near-duplicate links */
    const cred_dup_cluster *cluster;  /**< the cluster as it stands when the post is scored */
    const char *parent_id;            /**< id of dup->parent's post, or NULL */
    const char *origin_id;            /**< id of the cluster's origin post, or NULL */
    const char *origin_source;        /**< source of the origin post, or NULL */
} cred_scored_post;

/**
 * Write (jsonl, csv) or take into the summaries (table, html) one scored post. Memory of the table
 * and html writers is bounded by `top` posts plus one entry per cluster of copies and per source.
 * @return 0; CRED_EIO when the stream fails; CRED_ENOMEM.
 */
CRED_API int cred_out_score(cred_out *o, const cred_scored_post *rec);

/**
 * Render one scored post in memory instead of writing it: the bytes cred_out_score() would write for
 * it (jsonl: the JSON object and its newline, byte for byte the line `credence score --output jsonl`
 * writes for that post; csv: its row, preceded by the header row on the writer's first record).
 * Nothing reaches the stream; output pending from cred_out_score() stays pending. Thread-compatible:
 * one writer per thread. No allocation once the writer's buffers have grown.
 * @param[out] out, len  the rendered bytes, owned by o and valid until its next call.
 * @return 0; CRED_EINVAL for a table or html writer or a NULL argument; CRED_ENOMEM.
 */
CRED_API int cred_out_render(cred_out *o, const cred_scored_post *rec, const char **out, size_t *len);

/** Write what the format writes at the end (table, html) and flush. @return 0; CRED_EIO; CRED_ENOMEM. */
CRED_API int cred_out_finish(cred_out *o);

/** Flush buffered output. @return 0; CRED_EIO. */
CRED_API int cred_out_flush(cred_out *o);
CRED_API void cred_out_free(cred_out *o);

#ifdef __cplusplus
}
#endif
#endif /* CREDENCE_H */
