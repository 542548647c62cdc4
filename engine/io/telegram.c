/*
 * Telegram Desktop export reader (result.json), streaming.
 *
 * Reads single-chat exports {name, type, id, messages[]} and full-account exports, whose chats are in
 * chats.list[] and left_chats.list[] (personal_information, contacts, ... are skipped). The document
 * is parsed by yajl one chunk at a time (json_stream.c); only the message being read is assembled, so
 * memory stays bounded on exports of any size.
 *
 * Mapping of a message to a cred_post:
 *  - id "<chat id>:<message id>" (the message id alone when the chat has none, the input line when the
 *    message has no id); source = chat name ("Saved Messages" for a saved_messages chat, which has no
 *    name; the reader's default when the name is not known before the message, or absent).
 *  - date: date_unixtime (UTC) when present, else `date` (local time, read as UTC); date_text = `date`.
 *  - author/author_id = from/from_id (from_id may be "user123" or, in old exports, a number). When
 *    `from` is null or absent, the channel signature `author` stands in.
 *  - forwarded_from: the name; "unknown" when the key is present with null (deleted account); when
 *    there is none but saved_from is set, the chat it was saved from.
 *  - reply_to = "<chat id>:<reply_to_message_id>"; `edited` → CRED_POST_EDITED.
 *  - media: media_type, else "photo" / "file" for those keys, else "poll", "location", "contact";
 *    CRED_POST_MEDIA is set with it. Media-only messages are posts with empty text.
 *  - text: a string, or an array of strings and entities {type, text, href} whose texts are
 *    concatenated exactly (no separator: the parts are consecutive pieces of the message). `link`
 *    entities add their text and `text_link` entities their href to post->links. text_entities is
 *    read only when `text` is absent.
 *  - type "service" and "unsupported" (Telegram's placeholder) are left out and counted in
 *    stats.system; any other unknown type is read as a message with a warning.
 *  - not mapped (no field in cred_post): via_bot, reactions, polls' questions.
 */
#include "io/json_stream.h"

#include <stdlib.h>

/* string slots of a queued message */
enum { T_ID, T_TYPE, T_DATE, T_UNIX, T_FROM, T_FROM_ID, T_FWD, T_SAVED, T_REPLY, T_MEDIA, T_SIG, T_CHAT,
       T_CHATID, T_TEXT };
/* bits of a queued message */
enum { B_EDITED = 1, B_FWD_NULL = 2, B_PHOTO = 4, B_FILE = 8, B_TEXT = 16, B_POLL = 32, B_LOCATION = 64,
       B_CONTACT = 128, B_SAVED_CHAT = 256 };

/* what a JSON container stands for */
enum { F_CHAT, F_CHATS, F_CHATLIST, F_MSGS, F_MSG, F_TEXT, F_ENT, F_SKIP = CRED_JW_SKIP };

/* keys the reader knows */
enum { K_OTHER, K_NAME, K_TYPE, K_ID, K_MESSAGES, K_CHATS, K_LEFT_CHATS, K_LIST, K_DATE, K_UNIX, K_FROM,
       K_FROM_ID, K_FWD, K_SAVED, K_REPLY, K_EDITED, K_AUTHOR, K_MEDIA_TYPE, K_PHOTO, K_FILE, K_TEXT,
       K_TEXT_ENT, K_HREF, K_POLL, K_LOCATION, K_CONTACT };

typedef struct tg_state {
    cred_jwalk w;
    cred_jq q;
    bool seen_messages, done;
    int rc;
    cred_buf chat_name, chat_id, chat_type;
    bool chat_has_name;
    cred_buf ent_type, ent_text, ent_href;
    bool ent_has_text, ent_has_href;
} tg_state;

#define KEY(lit) (n == sizeof(lit) - 1 && memcmp(s, lit, n) == 0)

static int key_id(const char *s, size_t n)
{
    switch (n) {
    case 2: return KEY("id") ? K_ID : K_OTHER;
    case 4:
        return KEY("text") ? K_TEXT : KEY("type") ? K_TYPE : KEY("date") ? K_DATE : KEY("from") ? K_FROM
             : KEY("name") ? K_NAME : KEY("file") ? K_FILE : KEY("href") ? K_HREF : KEY("list") ? K_LIST
             : KEY("poll") ? K_POLL : K_OTHER;
    case 5: return KEY("photo") ? K_PHOTO : KEY("chats") ? K_CHATS : K_OTHER;
    case 6: return KEY("edited") ? K_EDITED : KEY("author") ? K_AUTHOR : K_OTHER;
    case 7: return KEY("from_id") ? K_FROM_ID : K_OTHER;
    case 8: return KEY("messages") ? K_MESSAGES : K_OTHER;
    case 10:
        return KEY("media_type") ? K_MEDIA_TYPE : KEY("saved_from") ? K_SAVED : KEY("left_chats") ? K_LEFT_CHATS
                                                                                                 : K_OTHER;
    case 13: return KEY("date_unixtime") ? K_UNIX : KEY("text_entities") ? K_TEXT_ENT : K_OTHER;
    case 14: return KEY("forwarded_from") ? K_FWD : K_OTHER;
    case 19:
        return KEY("reply_to_message_id") ? K_REPLY : KEY("contact_information") ? K_CONTACT : K_OTHER;
    case 20: return KEY("location_information") ? K_LOCATION : K_OTHER;
    default: return K_OTHER;
    }
}

static int nomem(tg_state *st)
{
    st->w.js.cancel_rc = cred__error_nomem();
    return 0;
}

static int put(cred_buf *b, const char *s, size_t n)
{
    b->len = 0;
    return cred_buf_put(b, s, CRED_MIN(n, (size_t)CRED_LIMIT_FIELD_BYTES + 4)) < 0 ? -1 : 0;
}

/* A scalar value (string, number as written, or NULL for null; `is_str` tells strings apart). */
static int on_scalar(void *ctx, int frame, int key, const char *s, size_t n, bool is_str)
{
    tg_state *st = ctx;
    if (frame == CRED_JW_TOP)
        return cred_jstream_cancel(&st->w.js, CRED_EFORMAT, "not a Telegram export: the top level is not an object");
    int rc = 0;
    cred_jq *q = &st->q;
    switch (frame) {
    case F_CHAT:
        if (!s)
            break;
        if (key == K_NAME) {
            rc = put(&st->chat_name, s, n);
            st->chat_has_name = true;
        } else if (key == K_ID) {
            rc = put(&st->chat_id, s, n);
        } else if (key == K_TYPE) {
            rc = put(&st->chat_type, s, n);
        }
        break;
    case F_MSG:
        switch (key) {
        case K_ID: if (s) rc = cred_jq_set(q, T_ID, s, n); break;
        case K_TYPE: if (s) rc = cred_jq_set(q, T_TYPE, s, n); break;
        case K_DATE: if (s) rc = cred_jq_set(q, T_DATE, s, n); break;
        case K_UNIX: if (s) rc = cred_jq_set(q, T_UNIX, s, n); break;
        case K_FROM: if (s) rc = cred_jq_set(q, T_FROM, s, n); break;
        case K_FROM_ID: if (s) rc = cred_jq_set(q, T_FROM_ID, s, n); break;
        case K_SAVED: if (s) rc = cred_jq_set(q, T_SAVED, s, n); break;
        case K_REPLY: if (s) rc = cred_jq_set(q, T_REPLY, s, n); break;
        case K_AUTHOR: if (s) rc = cred_jq_set(q, T_SIG, s, n); break;
        case K_MEDIA_TYPE: if (s) rc = cred_jq_set(q, T_MEDIA, s, n); break;
        case K_FWD:
            if (s)
                rc = cred_jq_set(q, T_FWD, s, n);
            else
                q->cur.bits |= B_FWD_NULL;
            break;
        case K_EDITED: if (s) q->cur.bits |= B_EDITED; break;
        case K_PHOTO: if (s) q->cur.bits |= B_PHOTO; break;
        case K_FILE: if (s) q->cur.bits |= B_FILE; break;
        case K_TEXT:
            q->text.len = 0;
            q->cur.bits |= B_TEXT;
            if (s && is_str)
                rc = cred_jq_text(q, s, n);
            break;
        default: break;
        }
        break;
    case F_TEXT:
        if (s && is_str)
            rc = cred_jq_text(q, s, n);
        break;
    case F_ENT:
        if (s && is_str) {
            if (key == K_TYPE) {
                rc = put(&st->ent_type, s, n);
            } else if (key == K_TEXT) {
                st->ent_text.len = 0;
                rc = cred_buf_put(&st->ent_text, s, n) < 0 ? -1 : 0;
                st->ent_has_text = true;
            } else if (key == K_HREF) {
                rc = put(&st->ent_href, s, n);
                st->ent_has_href = true;
            }
        }
        break;
    default: break;
    }
    return rc < 0 ? nomem(st) : 1;
}

static int on_start(void *ctx, int frame, int key, bool is_map)
{
    tg_state *st = ctx;
    if (frame == CRED_JW_TOP) {
        if (!is_map) {
            cred_jstream_cancel(&st->w.js, CRED_EFORMAT, "not a Telegram export: the top level is an array, not an object");
            return CRED_JW_CANCEL;
        }
        return F_CHAT;
    }
    switch (frame) {
    case F_CHAT:
        if (is_map && (key == K_CHATS || key == K_LEFT_CHATS))
            return F_CHATS;
        if (!is_map && key == K_MESSAGES) {
            st->seen_messages = true;
            return F_MSGS;
        }
        break;
    case F_CHATS:
        if (!is_map && key == K_LIST) {
            st->seen_messages = true;
            return F_CHATLIST;
        }
        break;
    case F_CHATLIST:
        if (is_map) {
            st->chat_name.len = st->chat_id.len = st->chat_type.len = 0;
            st->chat_has_name = false;
            return F_CHAT;
        }
        break;
    case F_MSGS:
        if (is_map) {
            uint64_t line, col, off;
            cred_jstream_pos(&st->w.js, &line, &col, &off);
            cred_jq_begin(&st->q, line);
            return F_MSG;
        }
        break;
    case F_MSG:
        if (key == K_TEXT || (key == K_TEXT_ENT && !(st->q.cur.bits & B_TEXT))) {
            st->q.text.len = 0;
            st->q.cur.bits |= B_TEXT;
            if (!is_map)
                return F_TEXT;
            uint64_t line, col, off;
            cred_jstream_pos(&st->w.js, &line, &col, &off);
            cred_io__diag(st->w.js.r, CRED_SEV_WARNING, CRED_EFORMAT, line, col,
                          "%s:%llu:%llu: message text is an object; read as empty", st->w.js.r->name,
                          (unsigned long long)line, (unsigned long long)col);
        }
        if (key == K_POLL)
            st->q.cur.bits |= B_POLL;
        else if (key == K_LOCATION)
            st->q.cur.bits |= B_LOCATION;
        else if (key == K_CONTACT)
            st->q.cur.bits |= B_CONTACT;
        break;
    case F_TEXT:
        if (is_map) {
            st->ent_type.len = st->ent_text.len = st->ent_href.len = 0;
            st->ent_has_text = st->ent_has_href = false;
            return F_ENT;
        }
        break;
    default: break;
    }
    return F_SKIP;
}

#define IS(b, lit) ((b).len == sizeof(lit) - 1 && memcmp((b).ptr, lit, sizeof(lit) - 1) == 0)

static int end_message(tg_state *st)
{
    cred_jq *q = &st->q;
    size_t n;
    const char *type = cred_jq_get(q, &q->cur, T_TYPE, &n);
    if (type && ((n == 7 && memcmp(type, "service", 7) == 0) || (n == 11 && memcmp(type, "unsupported", 11) == 0))) {
        st->w.js.r->stats.system++;
        cred_jq_drop(q);
        return 1;
    }
    if (type && !(n == 7 && memcmp(type, "message", 7) == 0))
        cred_io__diag(st->w.js.r, CRED_SEV_WARNING, CRED_EFORMAT, q->cur.line, 0,
                      "%s:%llu: unknown message type '%.*s' read as a message", st->w.js.r->name,
                      (unsigned long long)q->cur.line, (int)CRED_MIN(n, 40u), type);
    int rc = 0;
    if (st->chat_has_name)
        rc = cred_jq_set(q, T_CHAT, st->chat_name.ptr ? st->chat_name.ptr : "", st->chat_name.len);
    else if (IS(st->chat_type, "saved_messages"))
        q->cur.bits |= B_SAVED_CHAT;
    if (rc == 0 && st->chat_id.len)
        rc = cred_jq_set(q, T_CHATID, st->chat_id.ptr, st->chat_id.len);
    if (rc == 0)
        rc = cred_jq_commit(q, T_TEXT);
    return rc < 0 ? nomem(st) : 1;
}

static int end_entity(tg_state *st)
{
    cred_jq *q = &st->q;
    int rc = 0;
    if (st->ent_has_text && st->ent_text.len)
        rc = cred_jq_text(q, st->ent_text.ptr, st->ent_text.len);
    if (rc == 0 && IS(st->ent_type, "link") && st->ent_has_text)
        rc = cred_jq_link(q, st->ent_text.ptr, st->ent_text.len);
    else if (rc == 0 && IS(st->ent_type, "text_link") && st->ent_has_href)
        rc = cred_jq_link(q, st->ent_href.ptr, st->ent_href.len);
    return rc < 0 ? nomem(st) : 1;
}

static int on_end(void *ctx, int frame)
{
    return frame == F_MSG ? end_message(ctx) : frame == F_ENT ? end_entity(ctx) : 1;
}

static const cred_jwalk_ops walk = {key_id, on_scalar, on_start, on_end, .true_as_text = true};

/* ---- driver ------------------------------------------------------------------------------------ */

/* Find `needle` in head[0..len). */
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
    if (i >= len || head[i] != '{')
        return 0;
    bool messages = has(head, len, "\"messages\""), chats = has(head, len, "\"chats\"");
    if (!messages && !chats)
        return 0;
    static const char *const markers[] = {
        "\"date_unixtime\"", "\"from_id\"", "\"personal_chat\"", "\"private_supergroup\"", "\"public_supergroup\"",
        "\"private_channel\"", "\"public_channel\"", "\"private_group\"", "\"saved_messages\"", "\"bot_chat\"",
        "\"personal_information\"", "\"forwarded_from\"", "\"text_entities\"",
    };
    int hits = 0;
    for (size_t k = 0; k < CRED_ARRAY_LEN(markers); k++)
        hits += has(head, len, markers[k]);
    if (hits >= 2)
        return 95;
    if (hits == 1)
        return 85;
    /* an export with an empty message list, or old messages without from_id */
    return messages && (has(head, len, "\"type\": \"message\"") || has(head, len, "\"type\":\"message\"")) ? 60 : 0;
}

static int open_(cred_reader *r)
{
    tg_state *st = calloc(1, sizeof *st);
    if (!st)
        return cred__error_nomem();
    r->state = st;
    return cred_jwalk_init(&st->w, r, &walk, st);
}

static void close_(cred_reader *r)
{
    tg_state *st = r->state;
    if (!st)
        return;
    cred_jstream_free(&st->w.js);
    cred_jq_free(&st->q);
    cred_buf_free(&st->chat_name);
    cred_buf_free(&st->chat_id);
    cred_buf_free(&st->chat_type);
    cred_buf_free(&st->ent_type);
    cred_buf_free(&st->ent_text);
    cred_buf_free(&st->ent_href);
    free(st);
    r->state = NULL;
}

/* Copy a slot into the record arena as a metadata field; NULL when absent. */
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

static int fill_post(cred_reader *r, tg_state *st, const cred_jrec *m, cred_post *post)
{
    cred_jq *q = &st->q;
    int rc = 0;
    const char *msg_id, *chat_id, *reply, *unix_, *type;
    post->line = m->line;
    post->kind = CRED_KIND_MESSAGE;
    CRED_TRY(field(r, q, m, T_ID, "message id", &msg_id));
    CRED_TRY(field(r, q, m, T_CHATID, "chat id", &chat_id));
    CRED_TRY(field(r, q, m, T_REPLY, "reply id", &reply));
    CRED_TRY(field(r, q, m, T_UNIX, "date", &unix_));
    CRED_TRY(field(r, q, m, T_TYPE, "type", &type));
    CRED_TRY(field(r, q, m, T_CHAT, "chat name", &post->source));
    CRED_TRY(field(r, q, m, T_FROM, "author", &post->author));
    CRED_TRY(field(r, q, m, T_FROM_ID, "author id", &post->author_id));
    CRED_TRY(field(r, q, m, T_DATE, "date", &post->date_text));
    CRED_TRY(field(r, q, m, T_FWD, "forwarded_from", &post->forwarded_from));
    CRED_TRY(field(r, q, m, T_MEDIA, "media type", &post->media));
    if (!post->author)
        CRED_TRY(field(r, q, m, T_SIG, "author", &post->author));
    if (!post->forwarded_from && (m->bits & B_FWD_NULL))
        post->forwarded_from = "unknown";
    if (!post->forwarded_from)
        CRED_TRY(field(r, q, m, T_SAVED, "saved_from", &post->forwarded_from));
    if (!post->source && (m->bits & B_SAVED_CHAT))
        post->source = "Saved Messages";
    if (msg_id)
        CRED_TRY_ALLOC(post->id = chat_id ? cred_io__strf(r, "%s:%s", chat_id, msg_id) : msg_id);
    if (reply)
        CRED_TRY_ALLOC(post->reply_to = chat_id ? cred_io__strf(r, "%s:%s", chat_id, reply) : reply);
    int64_t d;
    const char *dt = unix_ ? unix_ : post->date_text;
    if (dt && cred_io__parse_date(&d, dt, strlen(dt)) == 0)
        post->date = d;
    else if (unix_ && post->date_text && cred_io__parse_date(&d, post->date_text, strlen(post->date_text)) == 0)
        post->date = d;
    else if (dt)
        cred_io__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, m->line, 0, "%s:%llu: date '%.40s' not understood",
                      r->name, (unsigned long long)m->line, dt);
    if (!post->media)
        post->media = (m->bits & B_PHOTO) ? "photo" : (m->bits & B_FILE) ? "file" : (m->bits & B_POLL) ? "poll"
                      : (m->bits & B_LOCATION) ? "location" : (m->bits & B_CONTACT) ? "contact" : NULL;
    if (post->media)
        post->flags |= CRED_POST_MEDIA;
    if (m->bits & B_EDITED)
        post->flags |= CRED_POST_EDITED;
    size_t tn;
    const char *text = cred_jq_get(q, m, T_TEXT, &tn);
    CRED_TRY(cred_io__set_text(r, post, text ? text : "", text ? tn : 0));
    CRED_TRY(cred_jq_links_to_post(q, m, r, post));
    return 1;
done:
    return rc;
}

static int next(cred_reader *r, cred_post *post)
{
    tg_state *st = r->state;
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
        if (rc == 0 && !st->seen_messages && !cred_jstream_empty(&st->w.js))
            rc = cred__error_at(CRED_EFORMAT, r->name, 1, 1, 0,
                                "%s: not a Telegram export: no \"messages\" or \"chats\" list", r->name);
        if (rc < 0 && st->q.open) {
            cred_io__diag(r, CRED_SEV_ERROR, CRED_ESYNTAX, st->q.cur.line, 0,
                          "%s:%llu: message cut short by the error that ends the input; skipped", r->name,
                          (unsigned long long)st->q.cur.line);
            cred_jq_drop(&st->q);
        }
        st->rc = rc;
    }
}

const cred_io_driver cred_io__telegram = {CRED_FORMAT_TELEGRAM, probe, open_, next, close_};
