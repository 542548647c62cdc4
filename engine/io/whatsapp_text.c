/*
 * What a WhatsApp message body stands for. Exports write system notices, media placeholders,
 * deletions and edits as plain text in the phone's language; the tables below hold the forms seen in
 * exports (English, Portuguese, Spanish, German, French, Italian, Dutch, Russian, Turkish, Persian,
 * Arabic, Indonesian). Matching is on whole lines or line ends, after bidi marks are skipped, so that
 * a user who merely mentions "image omitted" in a sentence keeps a normal message.
 */
#include "whatsapp.h"

static inline unsigned char at(const char *s, size_t i)
{
    return (unsigned char)s[i];
}

/* A phrase with its length, so that tables are scanned with length checks before any comparison. */
typedef struct lit {
    const char *s;
    size_t n;
} lit;
#define L(str) {str, sizeof(str) - 1}

/* a[0..n) equals b[0..n), ASCII letters compared without case */
static bool ieqn(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned x = at(a, i), y = at(b, i);
        if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) - 'a' >= 26))
            return false;
    }
    return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return m <= n && memcmp(s + n - m, suffix, m) == 0;
}

static inline bool lit_eq(const char *a, size_t n, lit l)
{
    return n == l.n && ieqn(a, l.s, n);
}

static inline bool lit_suffix(const char *a, size_t n, lit l)
{
    return n >= l.n && ieqn(a + n - l.n, l.s, l.n);
}

static bool contains(const char *s, size_t n, lit l)
{
    return l.n <= n && memmem(s, n, l.s, l.n) != NULL;
}

/* Trim bidi marks and spaces (ASCII, NBSP, NNBSP) at both ends of s[*b..*e). */
static void trim(const char *s, size_t *b, size_t *e)
{
    for (;;) {
        size_t i = cred_wa__skip_marks(s, *e, *b);
        if (i < *e && (s[i] == ' ' || s[i] == '\t'))
            i++;
        else if (i + 1 < *e && at(s, i) == 0xC2 && at(s, i + 1) == 0xA0)
            i += 2;
        else if (i + 2 < *e && at(s, i) == 0xE2 && at(s, i + 1) == 0x80 && at(s, i + 2) == 0xAF)
            i += 3;
        if (i == *b)
            break;
        *b = i;
    }
    for (;;) {
        size_t e0 = *e;
        if (*e > *b && (s[*e - 1] == ' ' || s[*e - 1] == '\t' || s[*e - 1] == '\r'))
            (*e)--;
        else if (*e >= *b + 2 && at(s, *e - 2) == 0xC2 && at(s, *e - 1) == 0xA0)
            *e -= 2;
        else if (*e >= *b + 3 && at(s, *e - 3) == 0xE2 && at(s, *e - 2) == 0x80 &&
                 (at(s, *e - 1) == 0x8E || at(s, *e - 1) == 0x8F || at(s, *e - 1) == 0xAF))
            *e -= 3;
        if (*e == e0)
            break;
    }
}

/* ---- system messages ----------------------------------------------------------------------------- */

/* Verbs of system notices that quote a group name or subject (which may hold ": "), seen in the
 * would-be author part: `Alice created group "News: daily"`. */
static const lit system_author_phrases[] = {
    L(" created group"),
    L(" created this group"),
    L(" changed the subject"),
    L(" changed the group"),
    L(" changed this group"),
    L(" changed to "),
    L(" criou o grupo"),
    L(" criou este grupo"),
    L(" mudou o assunto"),
    L(" mudou o nome"),
    L(" alterou o nome"),
    L(" creó el grupo"),
    L(" cambió el asunto"),
    L(" cambió el nombre"),
    L(" hat die Gruppe"),
    L(" hat den Betreff"),
    L(" a créé le groupe"),
    L(" a modifié le"),
    L(" a changé le"),
    L(" ha creato il gruppo"),
    L(" ha cambiato"),
    L(" heeft de groep"),
    L(" heeft groep"),
    L(" создал"),
    L(" изменил"),
    L(" grubunu oluşturdu"),
    L(" membuat grup"),
    L(" \xD8\xA7\xDB\x8C\xD8\xAC\xD8\xA7\xD8\xAF \xDA\xA9\xD8\xB1\xD8\xAF"), /* fa ایجاد کرد */
    L(" \xD8\xA3\xD9\x86\xD8\xB4\xD8\xA3"), /* ar أنشأ */
    L(" \xD8\xBA\xD9\x8A\xD9\x91\xD8\xB1"), /* ar غيّر */
};

/* iOS writes system notices under the chat's name, their text starting with U+200E. */
static const lit ios_system_phrases[] = {
    L("end-to-end"),
    L("ponta a ponta"),
    L("extremo a extremo"),
    L("Ende-zu-Ende"),
    L("bout en bout"),
    L("created group"),
    L("created this group"),
    L("criou o grupo"),
    L("creó el grupo"),
    L(" added "),
    L(" adicionou "),
    L(" añadió "),
    L(" removed "),
    L(" removeu "),
    L(" eliminó a "),
    L(" left"),
    L(" saiu"),
    L(" salió"),
    L("joined using"),
    L(" entrou usando"),
    L(" se unió"),
    L("changed the"),
    L("changed this"),
    L("changed their"),
    L(" mudou "),
    L(" cambió "),
    L("security code"),
    L("de segurança"),
    L("de seguridad"),
    L("Missed voice call"),
    L("Missed video call"),
    L("Missed group"),
    L("now an admin"),
    L("agora é admin"),
    L("ahora es admin"),
    L("isappearing messages"),
    L("mensagens temporárias"),
    L("mensajes temporales"),
    L("business account"),
    L("blocked this contact"),
    L("You blocked"),
    L("You unblocked"),
    L("pinned a message"),
    L("You're now"),
    L("\xD8\xB1\xD9\x85\xD8\xB2\xDA\xAF\xD8\xB0\xD8\xA7\xD8\xB1\xDB\x8C \xD8\xB3\xD8\xB1\xD8\xAA\xD8\xA7\xD8\xB3\xD8\xB1\xDB\x8C"), /* fa رمزگذاری سرتاسری */
    L("\xD8\xA8\xD9\x8A\xD9\x86 \xD8\xA7\xD9\x84\xD8\xB7\xD8\xB1\xD9\x81\xD9\x8A\xD9\x86"), /* ar بين الطرفين */
};

bool cred_wa__system(const char *rest, size_t n, size_t colon)
{
    if (colon >= n)
        return true; /* Android: no "Author:" part */
    /* every phrase starts with a space: try them at the (few) spaces of the would-be author */
    for (const char *sp = rest; (sp = memchr(sp, ' ', (size_t)(rest + colon - sp))) != NULL; sp++) {
        size_t left = (size_t)(rest + colon - sp);
        for (size_t i = 0; i < CRED_ARRAY_LEN(system_author_phrases); i++) {
            lit l = system_author_phrases[i];
            if (l.n <= left && sp[1] == l.s[1] && memcmp(sp, l.s, l.n) == 0)
                return true;
        }
    }
    if (memchr(rest, '"', colon))
        return true; /* a quoted group name before the colon: `X changed the icon of "A: B"` */
    for (const char *q = rest; (q = memchr(q, 0xE2, (size_t)(rest + colon - q))) != NULL; q++)
        if (q + 2 < rest + colon && at(q, 1) == 0x80 && (at(q, 2) == 0x9C || at(q, 2) == 0x9E))
            return true; /* “ „ */
    size_t m = colon + 1;
    while (m < n && rest[m] == ' ')
        m++;
    if (!(m + 2 < n && at(rest, m) == 0xE2 && at(rest, m + 1) == 0x80 && at(rest, m + 2) == 0x8E))
        return false;
    const char *msg = rest + m;
    size_t len = n - m;
    const char *nl = memchr(msg, '\n', len);
    if (nl)
        len = (size_t)(nl - msg);
    for (size_t i = 0; i < CRED_ARRAY_LEN(ios_system_phrases); i++)
        if (contains(msg, len, ios_system_phrases[i]))
            return true;
    return false;
}

/* ---- media, deleted ---------------------------------------------------------------------------- */

static const lit deleted_phrases[] = {
    L("This message was deleted"),
    L("You deleted this message"),
    L("Esta mensagem foi apagada"),
    L("Você apagou esta mensagem"),
    L("Mensagem apagada"),
    L("Se eliminó este mensaje"),
    L("Eliminaste este mensaje"),
    L("Este mensaje fue eliminado"),
    L("Diese Nachricht wurde gelöscht"),
    L("Du hast diese Nachricht gelöscht"),
    L("Ce message a été supprimé"),
    L("Vous avez supprimé ce message"),
    L("Questo messaggio è stato eliminato"),
    L("Hai eliminato questo messaggio"),
    L("Dit bericht is verwijderd"),
    L("Je hebt dit bericht verwijderd"),
    L("Сообщение удалено"),
    L("Вы удалили это сообщение"),
    L("Данное сообщение удалено"),
    L("Bu mesaj silindi"),
    L("Bu mesajı sildiniz"),
    L("Pesan ini telah dihapus"),
    L("Anda menghapus pesan ini"),
    L("\xD8\xA7\xDB\x8C\xD9\x86 \xD9\xBE\xDB\x8C\xD8\xA7\xD9\x85 \xD8\xAD\xD8\xB0\xD9\x81 \xD8\xB4\xD8\xAF"), /* این پیام حذف شد */
    L("\xD8\xB4\xD9\x85\xD8\xA7 \xD8\xA7\xDB\x8C\xD9\x86 \xD9\xBE\xDB\x8C\xD8\xA7\xD9\x85 \xD8\xB1\xD8\xA7 \xD8\xAD\xD8\xB0\xD9\x81 \xDA\xA9\xD8\xB1\xD8\xAF\xDB\x8C\xD8\xAF"), /* شما این پیام را حذف کردید */
    L("\xD8\xAA\xD9\x85 \xD8\xAD\xD8\xB0\xD9\x81 \xD9\x87\xD8\xB0\xD9\x87 \xD8\xA7\xD9\x84\xD8\xB1\xD8\xB3\xD8\xA7\xD9\x84\xD8\xA9"), /* تم حذف هذه الرسالة */
    L("\xD9\x84\xD9\x82\xD8\xAF \xD8\xAD\xD8\xB0\xD9\x81\xD8\xAA \xD9\x87\xD8\xB0\xD9\x87 \xD8\xA7\xD9\x84\xD8\xB1\xD8\xB3\xD8\xA7\xD9\x84\xD8\xA9"), /* لقد حذفت هذه الرسالة */
};

/* Android "<Media omitted>" in its languages. */
static const lit media_omitted[] = {
    L("<Media omitted>"),
    L("<Mídia oculta>"),
    L("<Multimedia omitido>"),
    L("<Archivo omitido>"),
    L("<Medien ausgeschlossen>"),
    L("<Médias omis>"),
    L("<Media omessi>"),
    L("<Media weggelaten>"),
    L("<Без медиафайлов>"),
    L("<Medya dahil edilmedi>"),
    L("<Media tidak disertaken>"),
    L("<\xD8\xB1\xD8\xB3\xD8\xA7\xD9\x86\xD9\x87 \xD8\xAD\xD8\xB0\xD9\x81 \xD8\xB4\xD8\xAF>"), /* <رسانه حذف شد> */
    L("<\xD8\xAA\xD9\x85 \xD8\xA7\xD8\xB3\xD8\xAA\xD8\xA8\xD8\xB9\xD8\xA7\xD8\xAF \xD8\xA7\xD9\x84\xD9\x88\xD8\xB3\xD8\xA7\xD8\xA6\xD8\xB7>"), /* <تم استبعاد الوسائط> */
};

/* iOS "<kind> omitted" (the whole line, or its end after a U+200E: "Report.pdf • ‎2 pages ‎document omitted"). */
static const struct {
    lit s;
    const char *media;
} ios_omitted[] = {
    {L("image omitted"), "photo"}, {L("video omitted"), "video_file"}, {L("audio omitted"), "audio_file"},
    {L("sticker omitted"), "sticker"}, {L("GIF omitted"), "animation"}, {L("document omitted"), "file"},
    {L("Contact card omitted"), "contact"}, {L("imagem ocultada"), "photo"}, {L("vídeo omitido"), "video_file"},
    {L("áudio ocultado"), "audio_file"}, {L("figurinha omitida"), "sticker"}, {L("GIF omitido"), "animation"},
    {L("documento omitido"), "file"}, {L("imagen omitida"), "photo"}, {L("video omitido"), "video_file"},
    {L("audio omitido"), "audio_file"}, {L("sticker omitido"), "sticker"}, {L("Bild weggelassen"), "photo"},
    {L("Video weggelassen"), "video_file"}, {L("Audio weggelassen"), "audio_file"},
    {L("Sticker weggelassen"), "sticker"}, {L("Dokument weggelassen"), "file"}, {L("image absente"), "photo"},
    {L("vidéo absente"), "video_file"}, {L("audio omis"), "audio_file"},
};

/* Android "NAME (file attached)" in its languages. */
static const lit file_attached[] = {
    L("(file attached)"),
    L("(Datei angehängt)"),
    L("(arquivo anexado)"),
    L("(archivo adjunto)"),
    L("(fichier joint)"),
    L("(file allegato)"),
    L("(bestand bijgevoegd)"),
    L("(dosya ekli)"),
    L("(file terlampir)"),
    L("(\xD9\x81\xD8\xA7\xDB\x8C\xD9\x84 \xD9\xBE\xDB\x8C\xD9\x88\xD8\xB3\xD8\xAA \xD8\xB4\xD8\xAF)"), /* (فایل پیوست شد) */
    L("(\xD9\x85\xD9\x84\xD9\x81 \xD9\x85\xD8\xB1\xD9\x81\xD9\x82)"), /* (ملف مرفق) */
};

static bool has_ci(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (ieqn(s + i, needle, m))
            return true;
    return false;
}

/* Media type from an attachment's file name (WhatsApp names: IMG-…, PTT-…, 00000012-PHOTO-….jpg). */
static const char *media_of_name(const char *s, size_t n)
{
    if (has_ci(s, n, "STICKER") || has_ci(s, n, ".webp"))
        return "sticker";
    if (has_ci(s, n, "GIF"))
        return "animation";
    if (has_ci(s, n, "PTT-") || has_ci(s, n, ".opus"))
        return "voice_message";
    if (has_ci(s, n, "PHOTO") || has_ci(s, n, "IMG-") || has_ci(s, n, ".jpg") || has_ci(s, n, ".jpeg") ||
        has_ci(s, n, ".png") || has_ci(s, n, ".heic"))
        return "photo";
    if (has_ci(s, n, "VIDEO") || has_ci(s, n, "VID-") || has_ci(s, n, ".mp4") || has_ci(s, n, ".mov") ||
        has_ci(s, n, ".3gp"))
        return "video_file";
    if (has_ci(s, n, "AUDIO") || has_ci(s, n, "AUD-") || has_ci(s, n, ".m4a") || has_ci(s, n, ".mp3") ||
        has_ci(s, n, ".aac") || has_ci(s, n, ".ogg"))
        return "audio_file";
    if (has_ci(s, n, ".vcf"))
        return "contact";
    return "file";
}

void cred_wa__classify(const char *s, size_t n, wa_body *out)
{
    memset(out, 0, sizeof *out);
    size_t b = 0, e = n;
    trim(s, &b, &e);
    const char *t = s + b;
    size_t len = e - b;
    if (len == 0 || len > 512)
        return;
    size_t dl = len;
    if (t[dl - 1] == '.')
        dl--;
    for (size_t i = 0; i < CRED_ARRAY_LEN(deleted_phrases) && dl <= 80; i++)
        if (lit_eq(t, dl, deleted_phrases[i])) {
            out->flags = CRED_POST_DELETED;
            out->drop_first_line = true;
            return;
        }
    if (t[0] == '<' && t[len - 1] == '>') {
        for (size_t i = 0; i < CRED_ARRAY_LEN(media_omitted); i++)
            if (lit_eq(t, len, media_omitted[i]))
                goto media;
        size_t k = cred_wa__skip_marks(t, len, 1);
        while (k < len && t[k] == ' ')
            k++;
        if (len - k > 9 && ieqn(t + k, "attached:", 9)) { /* iOS "<attached: 00000012-PHOTO-….jpg>" */
            out->media = media_of_name(t + k + 9, len - k - 10);
            goto attached;
        }
    }
    for (size_t i = 0; i < CRED_ARRAY_LEN(ios_omitted); i++) {
        /* the whole line, or after a U+200E: "Report.pdf • ‎2 pages ‎document omitted" */
        lit p = ios_omitted[i].s;
        size_t m = p.n;
        if (m > len || (m < len && (len - m < 3 || at(t, len - m - 1) != 0x8E || at(t, len - m - 2) != 0x80)))
            continue;
        if (lit_suffix(t, len, p)) {
            out->media = ios_omitted[i].media;
            goto attached;
        }
    }
    if (ends_with(t, len, "attached>")) { /* old iOS "2015-08-04-PHOTO-00004762.jpg <‎attached>" */
        out->media = media_of_name(t, len);
        goto attached;
    }
    if (t[len - 1] == ')')
        for (size_t i = 0; i < CRED_ARRAY_LEN(file_attached); i++)
            if (lit_suffix(t, len, file_attached[i])) {
                out->media = media_of_name(t, len - file_attached[i].n);
                goto attached;
            }
    return;
media:
    out->media = "media";
attached:
    out->flags = CRED_POST_MEDIA;
    out->drop_first_line = true;
}

/* ---- edited -------------------------------------------------------------------------------------- */

static const lit edited_markers[] = {
    L("<This message was edited>"),
    L("<Esta mensagem foi editada>"),
    L("<Mensagem editada>"),
    L("<Se editó este mensaje>"),
    L("<Este mensaje fue editado>"),
    L("<Mensaje editado>"),
    L("<Diese Nachricht wurde bearbeitet>"),
    L("<Ce message a été modifié>"),
    L("<Message modifié>"),
    L("<Questo messaggio è stato modificato>"),
    L("<Dit bericht is bewerkt>"),
    L("<Сообщение изменено>"),
    L("<Bu mesaj düzenlendi>"),
    L("<Pesan ini telah diedit>"),
    L("<\xD8\xA7\xDB\x8C\xD9\x86 \xD9\xBE\xDB\x8C\xD8\xA7\xD9\x85 \xD9\x88\xDB\x8C\xD8\xB1\xD8\xA7\xDB\x8C\xD8\xB4 \xD8\xB4\xD8\xAF>"), /* <این پیام ویرایش شد> */
    L("<\xD8\xAA\xD9\x85 \xD8\xAA\xD8\xB9\xD8\xAF\xD9\x8A\xD9\x84 \xD9\x87\xD8\xB0\xD9\x87 \xD8\xA7\xD9\x84\xD8\xB1\xD8\xB3\xD8\xA7\xD9\x84\xD8\xA9>"), /* <تم تعديل هذه الرسالة> */
};

size_t cred_wa__edited(const char *s, size_t n)
{
    size_t e = n;
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\r'))
        e--;
    if (e == 0 || s[e - 1] != '>')
        return n;
    for (size_t i = 0; i < CRED_ARRAY_LEN(edited_markers); i++) {
        size_t m = edited_markers[i].n;
        if (!lit_suffix(s, e, edited_markers[i]))
            continue;
        size_t b = e - m;
        for (;;) { /* the space and marks before the marker */
            if (b > 0 && s[b - 1] == ' ')
                b--;
            else if (b >= 3 && at(s, b - 3) == 0xE2 && at(s, b - 2) == 0x80 &&
                     (at(s, b - 1) == 0x8E || at(s, b - 1) == 0x8F || at(s, b - 1) == 0xAF))
                b -= 3;
            else
                break;
        }
        return b;
    }
    return n;
}

/* ---- forwards ------------------------------------------------------------------------------------ */

static const lit forward_phrases[] = {
    L("Forwarded"),
    L("Forwarded as received"),
    L("Forwarded many times"),
    L("Forwarded message"),
    L("Encaminhada"),
    L("Encaminhado"),
    L("Encaminhada com frequência"),
    L("Encaminhado com frequência"),
    L("Mensagem encaminhada"),
    L("Reenviado"),
    L("Reenviado muchas veces"),
    L("Mensaje reenviado"),
    L("Weitergeleitet"),
    L("Häufig weitergeleitet"),
    L("Transféré"),
    L("Transféré plusieurs fois"),
    L("Inoltrato"),
    L("Inoltrato molte volte"),
    L("Doorgestuurd"),
    L("Vaak doorgestuurd"),
    L("Переслано"),
    L("Пересланное сообщение"),
    L("İletildi"),
    L("Diteruskan"),
    L("\xD8\xA8\xD8\xA7\xD8\xB2\xD8\xA7\xD8\xB1\xD8\xB3\xD8\xA7\xD9\x84 \xD8\xB4\xD8\xAF\xD9\x87"), /* بازارسال شده */
    L("\xD8\xA8\xD8\xA7\xD8\xB1\xD9\x87\xD8\xA7 \xD8\xA8\xD8\xA7\xD8\xB2\xD8\xA7\xD8\xB1\xD8\xB3\xD8\xA7\xD9\x84 \xD8\xB4\xD8\xAF\xD9\x87"), /* بارها بازارسال شده */
    L("\xD8\xAA\xD9\x85\xD8\xAA \xD8\xA5\xD8\xB9\xD8\xA7\xD8\xAF\xD8\xA9 \xD8\xAA\xD9\x88\xD8\xAC\xD9\x8A\xD9\x87\xD9\x87\xD8\xA7"), /* تمت إعادة توجيهها */
    L("\xD8\xAA\xD9\x85\xD8\xAA \xD8\xA5\xD8\xB9\xD8\xA7\xD8\xAF\xD8\xA9 \xD8\xAA\xD9\x88\xD8\xAC\xD9\x8A\xD9\x87\xD9\x87\xD8\xA7 \xD9\x83\xD8\xAB\xD9\x8A\xD8\xB1\xD9\x8B\xD8\xA7"), /* تمت إعادة توجيهها كثيرًا */
    L("\xD8\xAA\xD9\x85\xD8\xAA \xD8\xA5\xD8\xB9\xD8\xA7\xD8\xAF\xD8\xA9 \xD8\xA7\xD9\x84\xD8\xAA\xD9\x88\xD8\xAC\xD9\x8A\xD9\x87"), /* تمت إعادة التوجيه */
};

/* Length of decoration at s[i]: markdown, dashes, arrows, ⏩ and emoji selectors, marks, spaces. */
static size_t decoration(const char *s, size_t n, size_t i)
{
    unsigned c = at(s, i);
    if (c == ' ' || c == '*' || c == '_' || c == '~' || c == '-' || c == ':' || c == '!' || c == '>' ||
        c == '\t' || c == '\r')
        return 1;
    if (c == 0xC2 && i + 1 < n && (at(s, i + 1) == 0xBB || at(s, i + 1) == 0xA0))
        return 2; /* » NBSP */
    if (c == 0xE2 && i + 2 < n) {
        unsigned b1 = at(s, i + 1), b2 = at(s, i + 2);
        if ((b1 == 0x80) || (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9) || (b1 == 0x8F && b2 == 0xA9) ||
            (b1 == 0x9E && b2 == 0xA1) || (b1 == 0x86 && (b2 == 0xAA || b2 == 0xB3 || b2 == 0x92)))
            return 3; /* general punctuation and marks, ⏩ ➡ ↪ ↳ → */
    }
    if (c == 0xEF && i + 2 < n && at(s, i + 1) == 0xB8 && at(s, i + 2) == 0x8F)
        return 3; /* VS16 */
    return 0;
}

static bool forward_line(const char *s, size_t n, const char **from, size_t *from_len)
{
    size_t b = 0, e = n, d;
    while (b < e && (d = decoration(s, e, b)) > 0)
        b += d;
    while (e > b) { /* trailing decoration, one UTF-8 character at a time */
        size_t k = e - 1;
        while (k > b && (at(s, k) & 0xC0) == 0x80)
            k--;
        if (decoration(s, e, k) != e - k)
            break;
        e = k;
    }
    if (e <= b)
        return false;
    const char *t = s + b;
    size_t len = e - b;
    if (len > 17 && t[0] == '[' && t[len - 1] == ']' && ieqn(t + 1, "Forwarded from ", 15)) {
        *from = t + 16;
        *from_len = len - 17;
        return true; /* a Telegram message pasted into WhatsApp */
    }
    for (size_t i = 0; i < CRED_ARRAY_LEN(forward_phrases); i++)
        if (lit_eq(t, len, forward_phrases[i]))
            return true;
    return false;
}

bool cred_wa__forwarded(const char *s, size_t n, const char **from, size_t *from_len)
{
    *from = NULL;
    *from_len = 0;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        if (e - i <= 96 && e > i && forward_line(s + i, e - i, from, from_len))
            return true;
        i = e + 1;
    }
    return false;
}

/* ---- chat names ---------------------------------------------------------------------------------- */

bool cred_wa__chat_name(const char *name, const char **out, size_t *out_len)
{
    static const char *const joins[] = {" with ", " mit ", " com ", " con ", " avec ", " met ", " ile ",
                                        " dengan ", " - ", " \xE2\x80\x93 ", " \xD8\xA8\xD8\xA7 " /* با */,
                                        " \xD9\x85\xD8\xB9 " /* مع */};
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strlen(base);
    if (n > 4 && (ieqn(base + n - 4, ".txt", 4) || ieqn(base + n - 4, ".zip", 4)))
        n -= 4;
    size_t w = 0;
    while (w + 8 <= n && !ieqn(base + w, "whatsapp", 8))
        w++;
    if (w + 8 > n)
        return false;
    const char *first = NULL, *best = NULL;
    for (size_t j = 0; j < CRED_ARRAY_LEN(joins); j++) {
        const char *p = memmem(base + w, n - w, joins[j], strlen(joins[j]));
        if (p && (!first || p < first)) {
            first = p;
            best = p + strlen(joins[j]);
        }
    }
    if (!best || best >= base + n)
        return false;
    *out = best;
    *out_len = (size_t)(base + n - best);
    return true;
}
