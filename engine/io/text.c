/*
 * Plain-text reader: one post per paragraph, paragraphs separated by blank (or whitespace-only) lines.
 * The lines of a paragraph are joined with "\n" (CRLF endings lose their "\r"); the post's line and id
 * are those of the paragraph's first line. A paragraph is gathered in a buffer kept just above
 * CRED_LIMIT_POST_BYTES: the rest of an over-long paragraph is dropped as it streams by, and the
 * post is flagged CRED_POST_TRUNCATED by cred_io__set_text().
 */
#include "io.h"

#include <stdlib.h>

typedef struct text_state {
    cred_buf para;
} text_state;

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
            return false;
    return true;
}

static int text_open(cred_reader *r)
{
    text_state *t = calloc(1, sizeof *t);
    if (!t)
        return cred__error_nomem();
    r->state = t;
    return 0;
}

static void text_close(cred_reader *r)
{
    text_state *t = r->state;
    if (!t)
        return;
    cred_buf_free(&t->para);
    free(t);
    r->state = NULL;
}

/* Append to the paragraph, keeping at most CRED_LIMIT_POST_BYTES + 4 bytes (enough for set_text to
 * see that the text is too long and to cut it on a UTF-8 boundary). */
static int append(cred_buf *b, const char *s, size_t n)
{
    size_t room = CRED_LIMIT_POST_BYTES + 4 - CRED_MIN(b->len, CRED_LIMIT_POST_BYTES + 4);
    return cred_buf_put(b, s, CRED_MIN(n, room));
}

static int text_next(cred_reader *r, cred_post *post)
{
    text_state *t = r->state;
    const char *s;
    size_t n;
    int rc;
    cred_buf_clear(&t->para);
    bool in_para = false;
    while ((rc = cred_io__line(r, &s, &n)) == 1) {
        if (r->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
        if (blank(s, n)) {
            if (in_para)
                break;
            continue;
        }
        if (!in_para) {
            in_para = true;
            post->line = r->line;
        } else if (append(&t->para, "\n", 1) < 0) {
            return cred__error_nomem();
        }
        if (append(&t->para, s, n) < 0)
            return cred__error_nomem();
    }
    if (rc < 0)
        return rc;
    if (!in_para)
        return 0;
    if (cred_io__set_text(r, post, t->para.ptr, t->para.len) < 0)
        return cred__error_nomem();
    return 1;
}

/*
 * 5 for text that looks like UTF-8 prose (so every specific format wins), 0 for binary data: a NUL
 * byte, more than 1 in 64 bytes invalid UTF-8, or many control characters.
 */
static int text_probe(const char *head, size_t len)
{
    const unsigned char *s = (const unsigned char *)head;
    size_t invalid = 0, controls = 0, i = 0;
    while (i < len) {
        int32_t cp;
        int k = cred_utf8_decode(s + i, len - i, &cp);
        if (cp < 0) {
            if (len - i < 4 && s[i] >= 0xC2)
                break; /* a sequence cut by the end of the head */
            invalid++;
        } else if (cp == 0) {
            return 0;
        } else if (cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t' && cp != '\f') {
            controls++;
        } else if (cp == 0x7F) {
            controls++;
        }
        i += (size_t)k;
    }
    if (invalid * 64 > len || controls * 64 > len)
        return 0;
    return 5;
}

const cred_io_driver cred_io__text = {CRED_FORMAT_TEXT, text_probe, text_open, text_next, text_close};
