/*
 * Facebook / Instagram "Download your information" JSON reader, streaming like the Telegram reader.
 *
 * Records are the objects of the first array met from the top of the document: the top-level array
 * of your_posts_1.json and Instagram posts_1.json, or the array under any key of a top-level object
 * ({"group_posts_v2": [...]}, {"group_posts": {"activity_log_data": [...]}}, {"comments_v2": [...]},
 * {"media": [...]}, ...). In a record:
 *  - timestamp / creation_timestamp / taken_at: epoch seconds → date (date_text keeps it as written);
 *  - data[].post → text (several posts joined with "\n"); data[].comment {comment, author, timestamp,
 *    group} → a CRED_KIND_COMMENT with that text, author and source;
 *  - attachments[].data[].external_context.url → links; attachments' and Instagram's media[] items
 *    {uri, title, creation_timestamp} → media ("photo", "video" or "media", from the file extension);
 *  - title: Instagram's title is the caption, used as text when the record has no post text; Facebook's
 *    title is generated ("Jane Doe posted in Group Name.") and gives author and source (English forms
 *    only: "<author> posted in <group>", "<author> shared|updated|wrote|commented|replied|posted|added").
 * Records without text, link or media are left out and counted in stats.system.
 *
 * Mojibake: these exports write UTF-8 bytes as Latin-1 escapes ("caf\u00c3\u00a9" for "café"). Every
 * string whose code points are all below U+0100, with at least one above U+007F, and whose code points
 * taken as bytes form valid UTF-8, is re-read as those bytes. Correct Latin-1 text ("café" as
 * "caf\u00e9") is left alone: a lone 0xE9 byte is not valid UTF-8.
 */
#include "io/json_stream.h"

#include <stdlib.h>

enum { P_TS, P_TITLE, P_AUTHOR, P_GROUP, P_MEDIA, P_MTITLE, P_TEXT };
enum { B_COMMENT = 1, B_IG = 2, B_HAS_TEXT = 4 };

enum { F_TOP, F_LIST, F_REC, F_DATA, F_DATA_ITEM, F_COMMENT, F_ATT, F_ATT_ITEM, F_ATT_DATA, F_ATT_DATA_ITEM,
       F_EXT, F_MEDIA_LIST, F_MEDIA, F_SKIP = CRED_JW_SKIP };

enum { K_OTHER, K_TIMESTAMP, K_CTIMESTAMP, K_TAKEN_AT, K_TITLE, K_DATA, K_POST, K_COMMENT, K_AUTHOR, K_GROUP,
       K_ATTACHMENTS, K_EXTERNAL, K_URL, K_MEDIA, K_URI, K_CAPTION, K_DESCRIPTION };

typedef struct fb_state {
    cred_jwalk w;
    cred_jq q;
    bool done;
    int rc;
    cred_buf fix;               /* mojibake repair scratch */
} fb_state;

#define KEY(lit) (n == sizeof(lit) - 1 && memcmp(s, lit, n) == 0)

static int key_id(const char *s, size_t n)
{
    return KEY("timestamp") ? K_TIMESTAMP : KEY("creation_timestamp") ? K_CTIMESTAMP : KEY("taken_at") ? K_TAKEN_AT
         : KEY("title") ? K_TITLE : KEY("data") ? K_DATA : KEY("post") ? K_POST : KEY("comment") ? K_COMMENT
         : KEY("author") ? K_AUTHOR : KEY("group") ? K_GROUP : KEY("attachments") ? K_ATTACHMENTS
         : KEY("external_context") ? K_EXTERNAL : KEY("url") ? K_URL : KEY("media") ? K_MEDIA : KEY("uri") ? K_URI
         : KEY("caption") ? K_CAPTION : KEY("description") ? K_DESCRIPTION : K_OTHER;
}

/* Undo UTF-8-as-Latin-1 escaping (see the file comment); *s and *n are replaced when it applies. */
static int fix_mojibake(fb_state *st, const char **s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t len = *n, i = 0;
    while (i < len && p[i] < 0x80)
        i++;
    if (i == len)
        return 0;
    st->fix.len = 0;
    if (cred_buf_reserve(&st->fix, len) < 0)
        return -1;
    memcpy(st->fix.ptr, p, i);
    size_t o = i;
    while (i < len) {
        if (p[i] < 0x80) {
            st->fix.ptr[o++] = (char)p[i++];
        } else if ((p[i] == 0xC2 || p[i] == 0xC3) && i + 1 < len && (p[i + 1] & 0xC0) == 0x80) {
            st->fix.ptr[o++] = (char)(((p[i] & 0x03) << 6) | (p[i + 1] & 0x3F));
            i += 2;
        } else {
            return 0; /* a code point ≥ U+0100: real text */
        }
    }
    if (cred_utf8_invalid_count(st->fix.ptr, o) != 0)
        return 0;
    *s = st->fix.ptr;
    *n = o;
    return 0;
}

static int nomem(fb_state *st)
{
    st->w.js.cancel_rc = cred__error_nomem();
    return 0;
}

static int add_text(cred_jq *q, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if ((q->cur.bits & B_HAS_TEXT) && cred_jq_text(q, "\n", 1) < 0)
        return -1;
    q->cur.bits |= B_HAS_TEXT;
    return cred_jq_text(q, s, n);
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        char c = s[n - k + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return false;
    }
    return true;
}

static const char *media_kind(const char *s, size_t n)
{
    static const char *const photo[] = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".bmp"};
    static const char *const video[] = {".mp4", ".mov", ".webm", ".m4v", ".avi", ".mkv"};
    for (size_t i = 0; i < CRED_ARRAY_LEN(photo); i++)
        if (ends_with(s, n, photo[i]))
            return "photo";
    for (size_t i = 0; i < CRED_ARRAY_LEN(video); i++)
        if (ends_with(s, n, video[i]))
            return "video";
    return "media";
}

static int on_scalar(void *ctx, int frame, int key, const char *s, size_t n, bool is_str)
{
    fb_state *st = ctx;
    if (!s || frame == CRED_JW_TOP)
        return 1;
    if (is_str && fix_mojibake(st, &s, &n) < 0)
        return nomem(st);
    cred_jq *q = &st->q;
    int rc = 0;
    switch (frame) {
    case F_REC:
        if (key == K_TIMESTAMP || key == K_TAKEN_AT || key == K_CTIMESTAMP) {
            if (key == K_CTIMESTAMP)
                q->cur.bits |= B_IG;
            rc = cred_jq_set(q, P_TS, s, n);
        } else if (key == K_TITLE && is_str) {
            rc = cred_jq_set(q, P_TITLE, s, n);
        } else if ((key == K_POST || key == K_CAPTION) && is_str) {
            rc = add_text(q, s, n);
        } else if (key == K_URI && is_str) {
            const char *m = media_kind(s, n);
            rc = cred_jq_set(q, P_MEDIA, m, strlen(m));
        }
        break;
    case F_DATA_ITEM:
        if ((key == K_POST || key == K_COMMENT) && is_str) {
            if (key == K_COMMENT)
                q->cur.bits |= B_COMMENT;
            rc = add_text(q, s, n);
        }
        break;
    case F_COMMENT:
        if (key == K_COMMENT && is_str)
            rc = add_text(q, s, n);
        else if (key == K_AUTHOR && is_str)
            rc = cred_jq_set(q, P_AUTHOR, s, n);
        else if (key == K_GROUP && is_str)
            rc = cred_jq_set(q, P_GROUP, s, n);
        else if (key == K_TIMESTAMP && q->cur.off[P_TS] == CRED_JQ_ABSENT)
            rc = cred_jq_set(q, P_TS, s, n);
        break;
    case F_EXT:
        if (key == K_URL && is_str)
            rc = cred_jq_link(q, s, n);
        break;
    case F_MEDIA:
        if (key == K_URI && is_str) {
            const char *m = media_kind(s, n);
            if (q->cur.off[P_MEDIA] == CRED_JQ_ABSENT)
                rc = cred_jq_set(q, P_MEDIA, m, strlen(m));
        } else if ((key == K_TITLE || key == K_DESCRIPTION) && is_str && n &&
                   q->cur.off[P_MTITLE] == CRED_JQ_ABSENT) {
            rc = cred_jq_set(q, P_MTITLE, s, n);
        } else if (key == K_CTIMESTAMP && q->cur.off[P_TS] == CRED_JQ_ABSENT) {
            rc = cred_jq_set(q, P_TS, s, n);
        }
        break;
    default: break;
    }
    return rc < 0 ? nomem(st) : 1;
}

static int on_start(void *ctx, int frame, int key, bool is_map)
{
    fb_state *st = ctx;
    if (frame == CRED_JW_TOP)
        return is_map ? F_TOP : F_LIST;
    int next = F_SKIP;
    switch (frame) {
    case F_TOP: next = is_map ? F_TOP : F_LIST; break;
    case F_LIST:
        if (is_map) {
            uint64_t line, col, off;
            cred_jstream_pos(&st->w.js, &line, &col, &off);
            cred_jq_begin(&st->q, line);
            next = F_REC;
        }
        break;
    case F_REC:
        if (!is_map)
            next = key == K_DATA ? F_DATA : key == K_ATTACHMENTS ? F_ATT : key == K_MEDIA ? F_MEDIA_LIST : F_SKIP;
        if (!is_map && key == K_MEDIA)
            st->q.cur.bits |= B_IG;
        break;
    case F_DATA: next = is_map ? F_DATA_ITEM : F_SKIP; break;
    case F_DATA_ITEM:
        if (is_map && key == K_COMMENT) {
            st->q.cur.bits |= B_COMMENT;
            next = F_COMMENT;
        }
        break;
    case F_ATT: next = is_map ? F_ATT_ITEM : F_SKIP; break;
    case F_ATT_ITEM: next = !is_map && key == K_DATA ? F_ATT_DATA : F_SKIP; break;
    case F_ATT_DATA: next = is_map ? F_ATT_DATA_ITEM : F_SKIP; break;
    case F_ATT_DATA_ITEM: next = !is_map ? F_SKIP : key == K_EXTERNAL ? F_EXT : key == K_MEDIA ? F_MEDIA : F_SKIP; break;
    case F_MEDIA_LIST: next = is_map ? F_MEDIA : F_SKIP; break;
    default: break;
    }
    return next;
}

static int end_record(fb_state *st)
{
    cred_jq *q = &st->q;
    cred_jrec *c = &q->cur;
    int rc = 0;
    if (!(c->bits & B_HAS_TEXT) && (c->bits & B_IG)) {
        size_t n;
        const char *t = cred_jq_get(q, c, P_TITLE, &n);
        if (!t || !n)
            t = cred_jq_get(q, c, P_MTITLE, &n);
        if (t && n)
            rc = add_text(q, t, n);
    }
    if (rc == 0 && !(c->bits & B_HAS_TEXT) && c->nlinks == 0 && c->off[P_MEDIA] == CRED_JQ_ABSENT) {
        st->w.js.r->stats.system++;
        cred_jq_drop(q);
        return 1;
    }
    if (rc == 0)
        rc = cred_jq_commit(q, P_TEXT);
    return rc < 0 ? nomem(st) : 1;
}

static int on_end(void *ctx, int frame)
{
    return frame == F_REC ? end_record(ctx) : 1;
}

static const cred_jwalk_ops walk = {key_id, on_scalar, on_start, on_end, .true_as_text = false};

/* ---- driver ------------------------------------------------------------------------------------ */

static bool has(const char *head, size_t len, const char *needle)
{
    return memmem(head, len, needle, strlen(needle)) != NULL;
}

static int probe(const char *head, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r'))
        i++;
    if (i >= len || (head[i] != '{' && head[i] != '['))
        return 0;
    static const char *const strong[] = {"\"group_posts\"", "\"group_posts_v2\"", "\"activity_log_data\"",
                                         "\"external_context\"", "\"comments_v2\"", "\"status_updates\"",
                                         "\"status_updates_v2\""};
    for (size_t k = 0; k < CRED_ARRAY_LEN(strong); k++)
        if (has(head, len, strong[k]))
            return 90;
    bool ts = has(head, len, "\"timestamp\""), data = has(head, len, "\"data\"");
    if (ts && data && (has(head, len, "\"post\"") || has(head, len, "\"comment\"")))
        return 85;
    if (has(head, len, "\"creation_timestamp\"") && has(head, len, "\"uri\"") && has(head, len, "\"media\""))
        return 80;
    if (ts && (has(head, len, "\"attachments\"") || has(head, len, "\"title\"")) && !has(head, len, "\"text\""))
        return 55;
    return 0;
}

static int open_(cred_reader *r)
{
    fb_state *st = calloc(1, sizeof *st);
    if (!st)
        return cred__error_nomem();
    r->state = st;
    return cred_jwalk_init(&st->w, r, &walk, st);
}

static void close_(cred_reader *r)
{
    fb_state *st = r->state;
    if (!st)
        return;
    cred_jstream_free(&st->w.js);
    cred_jq_free(&st->q);
    cred_buf_free(&st->fix);
    free(st);
    r->state = NULL;
}

static int field(cred_reader *r, const cred_jq *q, const cred_jrec *m, int slot, const char *what,
                 const char **out)
{
    size_t n;
    const char *s = cred_jq_get(q, m, slot, &n);
    *out = NULL;
    if (!s)
        return 0;
    *out = cred_io__field(r, m->line, what, s, n);
    return *out ? 0 : cred__error_nomem();
}

/* Author (and group) from a generated English title such as "Jane Doe posted in Group Name.". */
static int from_title(cred_reader *r, const cred_jrec *m, cred_post *post, const char *t)
{
    static const char *const verbs[] = {" shared ", " updated ", " wrote ", " commented ", " replied ",
                                        " posted ", " added "};
    const char *in = strstr(t, " posted in ");
    const char *cut = in;
    for (size_t i = 0; !cut && i < CRED_ARRAY_LEN(verbs); i++)
        cut = strstr(t, verbs[i]);
    if (!cut || cut == t)
        return 0;
    if (!post->author && !(post->author = cred_io__field(r, m->line, "author", t, (size_t)(cut - t))))
        return cred__error_nomem();
    if (in && !post->source) {
        const char *g = in + strlen(" posted in ");
        size_t n = strlen(g);
        if (n && g[n - 1] == '.')
            n--;
        if (n && !(post->source = cred_io__field(r, m->line, "group", g, n)))
            return cred__error_nomem();
    }
    return 0;
}

static int fill_post(cred_reader *r, fb_state *st, const cred_jrec *m, cred_post *post)
{
    cred_jq *q = &st->q;
    int rc = 0;
    const char *title;
    post->line = m->line;
    post->kind = (m->bits & B_COMMENT) ? CRED_KIND_COMMENT : CRED_KIND_POST;
    CRED_TRY(field(r, q, m, P_TS, "date", &post->date_text));
    CRED_TRY(field(r, q, m, P_AUTHOR, "author", &post->author));
    CRED_TRY(field(r, q, m, P_GROUP, "group", &post->source));
    CRED_TRY(field(r, q, m, P_MEDIA, "media type", &post->media));
    CRED_TRY(field(r, q, m, P_TITLE, "title", &title));
    if (title && !(m->bits & B_IG))
        CRED_TRY(from_title(r, m, post, title));
    int64_t d;
    if (post->date_text && cred_io__parse_date(&d, post->date_text, strlen(post->date_text)) == 0)
        post->date = d;
    else if (post->date_text)
        cred_io__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, m->line, 0, "%s:%llu: timestamp '%.40s' not understood",
                      r->name, (unsigned long long)m->line, post->date_text);
    if (post->media)
        post->flags |= CRED_POST_MEDIA;
    size_t tn;
    const char *text = cred_jq_get(q, m, P_TEXT, &tn);
    CRED_TRY(cred_io__set_text(r, post, text ? text : "", text ? tn : 0));
    CRED_TRY(cred_jq_links_to_post(q, m, r, post));
    return 1;
done:
    return rc;
}

static int next(cred_reader *r, cred_post *post)
{
    fb_state *st = r->state;
    for (;;) {
        const cred_jrec *m = cred_jq_pop(&st->q);
        if (m)
            return fill_post(r, st, m, post);
        if (st->done)
            return st->rc;
        cred_jq_compact(&st->q);
        int rc = cred_jstream_step(&st->w.js);
        if (rc == 1)
            continue;
        st->done = true;
        if (rc < 0 && st->q.open) {
            cred_io__diag(r, CRED_SEV_ERROR, CRED_ESYNTAX, st->q.cur.line, 0,
                          "%s:%llu: record cut short by the error that ends the input; skipped", r->name,
                          (unsigned long long)st->q.cur.line);
            cred_jq_drop(&st->q);
        }
        st->rc = rc;
    }
}

const cred_io_driver cred_io__facebook = {CRED_FORMAT_FACEBOOK, probe, open_, next, close_};
