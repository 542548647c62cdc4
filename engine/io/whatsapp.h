/*
 * Internal interface of the WhatsApp chat driver, split in three files:
 *   whatsapp_header.c  message-header recognition ("12/01/2024, 09:00 - Alice: hi",
 *                      "[14/10/2021, 3:34:09 PM] Carol: hi", ...) and the day/month decision;
 *   whatsapp_text.c    what a message body stands for: system, media, deleted, edited, forwarded;
 *   whatsapp.c         the driver: input window, .zip exports, lines, posts.
 */
#ifndef CRED_IO_WHATSAPP_H
#define CRED_IO_WHATSAPP_H

#include "io.h"

/* ---- headers ------------------------------------------------------------------------------------ */

/** How a header separates the time from the rest; a file keeps one style throughout. */
enum {
    WA_SEP_DASH = 1,   /* "12/01/2024, 09:00 - Alice: hi" (Android) */
    WA_SEP_COLON,      /* "13.06.18 21.25.15: Alice: hi" */
    WA_SEP_SPACE,      /* "13. 6. 2018. 21:25:15 Alice: hi" */
    WA_SEP_BRACKET     /* "[14/10/2021, 3:34:09 PM] Alice: hi" (iOS) */
};

/** A recognised message header. Offsets index the line it was parsed from. */
typedef struct wa_header {
    int comp[3];           /* the three date components in written order */
    uint8_t ndig[3];       /* digits of each component */
    int hour, min, sec;    /* 24-hour clock (AM/PM applied) */
    int style;             /* WA_SEP_* */
    size_t dt_start, dt_end; /* the date-time as written (for cred_post.date_text) */
    size_t rest;           /* start of "Author: message" or of the system text */
} wa_header;

/**
 * Recognise a message header at the start of line s[0..n): optional bidi marks and '[', a date of
 * three 1-4 digit components (ASCII, Arabic-Indic or Persian digits; '/', '.' or '-', spaces allowed
 * after them, an optional trailing '.'), a short gap (", ", " klo ", a prefix AM/PM such as 午後),
 * h:mm[:ss] with ':' or '.', an optional AM/PM in many locales, then the WA_SEP_* separator.
 * Only the shape is checked here; component ranges depend on the file's day/month order.
 * @return true when the line is a header (h filled).
 */
bool cred_wa__header(const char *s, size_t n, wa_header *h);

/** The day/month/year layout of a file's dates. */
typedef struct wa_order {
    int ypos;              /* index of the year component (0..2) */
    int dpos, mpos;        /* index of the day and of the month */
} wa_order;

/** Evidence about the layout, gathered over a file's headers. */
typedef struct wa_evidence {
    int ypos;              /* -1 until a 3-4 digit or > 31 component shows where the year stands */
    bool over12[3];        /* a component at this index was > 12 (so it is the day, unless the year) */
    bool decreased[3];     /* within one year, the component at this index went down between headers */
    int prev[3];           /* previous header's components (prev_ok when set) */
    bool prev_ok;
    uint64_t headers;
} wa_evidence;

void cred_wa__evidence_init(wa_evidence *e);
void cred_wa__evidence_add(wa_evidence *e, const wa_header *h);

/** Year position implied by one header alone (3-4 digits or > 31), or -1. */
int cred_wa__year_pos(const wa_header *h);

/**
 * Decide the layout from evidence. `hint` is the caller's cred_date_order (AUTO when none).
 * @param[out] how  0 = forced by hint, 1 = decided by a component > 12, 2 = guessed from the order of
 *                  the dates (a day component that goes down), 3 = no evidence: hint or default.
 * @return the layout. Without evidence or hint the default is day before month, year last.
 */
wa_order cred_wa__decide(const wa_evidence *e, cred_date_order hint, int *how);

/** True when the evidence settles the order for good (a component > 12 beside the year). */
bool cred_wa__decisive(const wa_evidence *e);

/**
 * UTC seconds of a header's local time under layout o (2-digit years are 20yy).
 * @return 0, or -1 when the day or month is out of range for that layout.
 */
int cred_wa__date(const wa_header *h, wa_order o, int64_t *out);

/* ---- message bodies ----------------------------------------------------------------------------- */

/**
 * Is the text after the header's separator a system message? `rest` is the whole "Author: message"
 * part; `colon` is the offset of the author's ": " (or n when none).
 */
bool cred_wa__system(const char *rest, size_t n, size_t colon);

/** What the first line of a message body stands for. */
typedef struct wa_body {
    unsigned int flags;    /* CRED_POST_DELETED / CRED_POST_MEDIA */
    const char *media;     /* media type name when CRED_POST_MEDIA */
    bool drop_first_line;  /* the first line is a placeholder: remove it from the text */
} wa_body;

/** Classify a message from its first line (s[0..n), without the author). */
void cred_wa__classify(const char *s, size_t n, wa_body *out);

/**
 * Find a trailing "<This message was edited>" marker (in any known locale) at the end of s[0..n).
 * @return the length of the text without the marker (and the space or mark before it), or n.
 */
size_t cred_wa__edited(const char *s, size_t n);

/**
 * Look for forward boilerplate ("Forwarded as received", "⏩ Encaminhada com frequência", a pasted
 * Telegram "[Forwarded from X]" line ...) on a line of its own.
 * @param[out] from, from_len  the original sender when the boilerplate names one (else NULL).
 * @return true when the text says it was forwarded.
 */
bool cred_wa__forwarded(const char *s, size_t n, const char **from, size_t *from_len);

/**
 * Chat name from a file or zip-entry name: "WhatsApp Chat with X.txt", "WhatsApp Chat - X.zip",
 * "Conversa do WhatsApp com X.txt" ... → X.
 * @return true when a name was found (out/out_len point into name).
 */
bool cred_wa__chat_name(const char *name, const char **out, size_t *out_len);

/** Skip bidi marks and the BOM (U+200E, U+200F, U+061C, U+202A..U+202E, U+2066..U+2069, U+FEFF). */
size_t cred_wa__skip_marks(const char *s, size_t n, size_t i);

#endif
