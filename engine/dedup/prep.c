/*
 * The dedup text of a post: what is left of the normalised text once the edits that forwarding makes
 * (emoji, "Forwarded as received" lines, channel signatures, tracking parameters and schemes on links,
 * punctuation and spacing) are taken out, plus the facts (numbers, dates, links) that tell two bulletins
 * of one template apart.
 */
#include <pthread.h>
#include <stdlib.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup.h"

void cred_dedup__prep_free(dd_prep *p)
{
    cred_buf_free(&p->text);
    free(p->word_start);
    free(p->word_end);
    free(p->facts);
    free(p->lines);
    free(p->drop);
    memset(p, 0, sizeof *p);
}

static void prep_reset(dd_prep *p)
{
    cred_buf_clear(&p->text);
    p->n_words = 0;
    p->n_facts = 0;
}

/* Make room for up to `words` words (and as many facts) of `bytes` bytes in all, separators and the
 * final NUL included, so that add_word() and add_fact() need no checks. */
static int prep_reserve(dd_prep *p, size_t words, size_t bytes)
{
    int rc = 0;
    CRED_TRY(cred_buf_reserve(&p->text, bytes + words + 1));
    CRED_TRY(CRED_GROW(p->word_start, p->cap_words, words));
    CRED_TRY(CRED_GROW(p->word_end, p->cap_words2, words));
    CRED_TRY(CRED_GROW(p->facts, p->cap_facts, words));
done:
    return rc;
}

static inline void add_fact(dd_prep *p, const char *s, size_t len)
{
    p->facts[p->n_facts++] = cred_hash64(s, len, 0x5eedfac7ULL);
}

static inline void add_word(dd_prep *p, const char *s, size_t len)
{
    char *t = p->text.ptr;
    if (p->n_words)
        t[p->text.len++] = ' ';
    p->word_start[p->n_words] = (uint32_t)p->text.len;
    memcpy(t + p->text.len, s, len);
    p->text.len += len;
    p->word_end[p->n_words] = (uint32_t)p->text.len;
    p->n_words++;
}

int cred_dedup__prep_text(dd_prep *p, const char *s, size_t len)
{
    int rc = 0;
    prep_reset(p);
    CRED_TRY(prep_reserve(p, len / 2 + 1, len));
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t'))
            i++;
        size_t start = i;
        bool fact = false;
        while (i < len && s[i] != ' ' && s[i] != '\n' && s[i] != '\t') {
            if ((s[i] >= '0' && s[i] <= '9') || (s[i] == ':' && i + 2 < len && s[i + 1] == '/' && s[i + 2] == '/'))
                fact = true;
            i++;
        }
        if (i > start) {
            add_word(p, s + start, i - start);
            if (fact)
                add_fact(p, s + start, i - start);
        }
    }
    CRED_TRY(cred_buf_terminate(&p->text));
done:
    return rc;
}

/* ---- line classification ------------------------------------------------------------------------ */

/* Forward boilerplate: a short line whose first words are one of these (normalised forms). */
static const char *const forward_lines[] = {
    "forwarded", "fwd", "fw", "forward", "encaminhado", "encaminhada", "encaminhadas", "mensagem encaminhada",
    "reenviado", "reenviada", "mensaje reenviado", "reenviar", "فوروارد", "فورواردی", "بازارسال",
    "ارسال شده", "هدایت شده", "منقول", "تم التحويل", "رسالة محولة", "محولة", "محول", "تمت إعادة توجيه",
    "معاد توجيهها",
};

/* Words that make a short trailing line a channel signature. */
static const char *const join_words[] = {
    "join", "subscribe", "follow", "channel", "inscreva", "inscreva-se", "canal", "siga", "únete", "unete",
    "suscríbete", "suscribete", "síguenos", "عضو", "بپیوندید", "کانال", "انضم", "انضموا", "اشترك", "قناة",
    "قناتنا",
};

/* Invite and channel link hosts. */
static const char *const invite_hosts[] = {
    "t.me", "telegram.me", "telegram.dog", "chat.whatsapp.com", "wa.me", "whatsapp.com",
};

/* Month and weekday names count as facts (dates). */
static const char *const date_words[] = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
    "novembro", "dezembro", "segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo", "enero",
    "febrero", "marzo", "mayo", "junio", "julio", "septiembre", "octubre", "noviembre", "diciembre", "lunes",
    "martes", "miércoles", "jueves", "viernes", "شنبه", "یکشنبه", "دوشنبه", "سهشنبه", "چهارشنبه", "پنجشنبه",
    "جمعه", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد",
};

/* The words of the lists above in one hash table, built once: each word token costs one hash and, on a
 * hit, one memcmp, whatever the lists' length. */
enum { W_DATE = 1, W_JOIN = 2, W_HOST = 4, W_FORWARD = 8 };
#define SET_SLOTS 512       /* power of two, > 2 * the words of the lists */
#define SET_MAX_LEN 32      /* longer words are in no list */
#define SET_SEED 0x3c6ef372fe94f82bULL

typedef struct set_slot {
    uint64_t h;
    const char *w; /* NULL: empty */
    uint32_t len, kinds;
} set_slot;

static set_slot g_set[SET_SLOTS];
static uint32_t g_set_lens[256]; /* by first byte: bit len - 1 set when some word has that start and length */
static pthread_once_t g_set_once = PTHREAD_ONCE_INIT;

static void set_add(const char *w, size_t len, unsigned kind)
{
    if (len == 0 || len > SET_MAX_LEN)
        return; /* word_kinds() could never find it */
    uint64_t h = XXH3_64bits_withSeed(w, len, SET_SEED);
    size_t j = h & (SET_SLOTS - 1);
    g_set_lens[(unsigned char)w[0]] |= 1u << (len - 1);
    while (g_set[j].w && !(g_set[j].h == h && g_set[j].len == len && memcmp(g_set[j].w, w, len) == 0))
        j = (j + 1) & (SET_SLOTS - 1);
    g_set[j].h = h;
    g_set[j].w = w;
    g_set[j].len = (uint32_t)len;
    g_set[j].kinds |= kind;
}

static void set_init(void)
{
    for (size_t i = 0; i < CRED_ARRAY_LEN(date_words); i++)
        set_add(date_words[i], strlen(date_words[i]), W_DATE);
    for (size_t i = 0; i < CRED_ARRAY_LEN(join_words); i++)
        set_add(join_words[i], strlen(join_words[i]), W_JOIN);
    for (size_t i = 0; i < CRED_ARRAY_LEN(invite_hosts); i++)
        set_add(invite_hosts[i], strlen(invite_hosts[i]), W_HOST);
    for (size_t i = 0; i < CRED_ARRAY_LEN(forward_lines); i++) {
        const char *sp = strchr(forward_lines[i], ' ');
        set_add(forward_lines[i], sp ? (size_t)(sp - forward_lines[i]) : strlen(forward_lines[i]), W_FORWARD);
    }
}

/* The W_* classes of a word (0 for most words). set_init() must have run. */
static unsigned word_kinds(const char *s, size_t len)
{
    if (len == 0 || len > SET_MAX_LEN || !(g_set_lens[(unsigned char)s[0]] & (1u << (len - 1))))
        return 0;
    uint64_t h = XXH3_64bits_withSeed(s, len, SET_SEED);
    for (size_t j = h & (SET_SLOTS - 1); g_set[j].w; j = (j + 1) & (SET_SLOTS - 1))
        if (g_set[j].h == h && g_set[j].len == len && memcmp(g_set[j].w, s, len) == 0)
            return g_set[j].kinds;
    return 0;
}

static bool word_is(const char *s, size_t len, const char *w)
{
    return len && w[0] == s[0] && strlen(w) == len && memcmp(s, w, len) == 0;
}

typedef dd_line line_info;

/* Whether the line's first content tokens spell one of the forward_lines phrases. */
static bool is_forward_line(const cred_doc *doc, const line_info *l)
{
    if (l->n_content == 0 || l->n_content > 8)
        return false;
    const cred_token *words[2] = {NULL, NULL};
    size_t nw = 0;
    for (size_t t = l->first; t < l->end && nw < 2; t++)
        if (doc->tokens[t].kind != CRED_TOK_EMOJI)
            words[nw++] = &doc->tokens[t];
    if (!(word_kinds(doc->norm + words[0]->start, words[0]->len) & W_FORWARD))
        return false;
    for (size_t i = 0; i < CRED_ARRAY_LEN(forward_lines); i++) {
        const char *pat = forward_lines[i], *sp = strchr(pat, ' ');
        size_t l0 = sp ? (size_t)(sp - pat) : strlen(pat);
        if (words[0]->len != l0 || memcmp(doc->norm + words[0]->start, pat, l0) != 0)
            continue;
        if (!sp)
            return true;
        if (words[1] && word_is(doc->norm + words[1]->start, words[1]->len, sp + 1))
            return true;
    }
    return false;
}

static const cred_link *link_of(const cred_doc *doc, size_t tok)
{
    for (size_t i = 0; i < doc->n_links; i++)
        if (doc->links[i].token == tok)
            return &doc->links[i];
    return NULL;
}

static bool is_signature_line(const cred_doc *doc, const line_info *l)
{
    if (l->n_content == 0 || l->n_content > 8)
        return false;
    bool join = false;
    for (size_t t = l->first; t < l->end; t++) {
        const cred_token *tk = &doc->tokens[t];
        if (tk->kind == CRED_TOK_MENTION)
            return true;
        if (tk->kind == CRED_TOK_URL) {
            const cred_link *lk = link_of(doc, t);
            if (lk && lk->host && (word_kinds(lk->host, strlen(lk->host)) & W_HOST))
                return true;
        }
        if (tk->kind == CRED_TOK_WORD && (word_kinds(doc->norm + tk->start, tk->len) & W_JOIN))
            join = true;
    }
    return join && l->n_content <= 5;
}

/* A URL without scheme, "www.", query, fragment and trailing slash. */
static void strip_url(const char *u, size_t len, const char **out, size_t *out_len)
{
    const char *end = u + len, *p = u;
    for (const char *q = u; q + 3 <= end; q++)
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            p = q + 3;
            break;
        }
    if (end - p >= 4 && memcmp(p, "www.", 4) == 0)
        p += 4;
    size_t n = 0;
    while (p + n < end && p[n] != '?' && p[n] != '#')
        n++;
    while (n > 0 && p[n - 1] == '/')
        n--;
    *out = p;
    *out_len = n;
}

static void emit_tokens(dd_prep *p, const cred_doc *doc, const unsigned char *drop, bool keep_emoji)
{
    for (size_t t = 0; t < doc->n_tokens; t++) {
        const cred_token *tk = &doc->tokens[t];
        if (drop[t] || (tk->kind == CRED_TOK_EMOJI && !keep_emoji))
            continue;
        const char *s = doc->norm + tk->start;
        size_t len = tk->len;
        if (tk->kind == CRED_TOK_URL) {
            /* the normalised token (ASCII digits, folded case) rather than the canonical link, which
             * keeps the raw digits; the query goes anyway */
            strip_url(s, len, &s, &len);
            add_fact(p, s, len);
        } else if (tk->kind == CRED_TOK_NUMBER || (tk->flags & CRED_TOKF_DIGIT)) {
            add_fact(p, s, len);
        } else if (tk->kind == CRED_TOK_WORD && (word_kinds(s, len) & W_DATE)) {
            add_fact(p, s, len);
        }
        if (len)
            add_word(p, s, len);
    }
}

int cred_dedup__prep_doc(dd_prep *p, const cred_doc *doc)
{
    int rc = 0;
    size_t n_lines = 0;
    prep_reset(p);
    if (doc->n_tokens == 0)
        return cred_buf_terminate(&p->text);
    pthread_once(&g_set_once, set_init);
    /* the dedup text is made of pieces of distinct tokens: no longer than norm plus separators */
    CRED_TRY(prep_reserve(p, doc->n_tokens, doc->norm_len));
    CRED_TRY(CRED_GROW(p->drop, p->cap_drop, doc->n_tokens));
    unsigned char *drop = p->drop;
    memset(drop, 0, doc->n_tokens);

    /* Lines: tokens are in text order; a line ends at each '\n' of the normalised text. */
    size_t t = 0, pos = 0;
    while (t < doc->n_tokens) {
        const char *nl = memchr(doc->norm + pos, '\n', doc->norm_len - pos);
        size_t line_end = nl ? (size_t)(nl - doc->norm) : doc->norm_len;
        line_info l = {t, t, 0};
        while (l.end < doc->n_tokens && doc->tokens[l.end].start < line_end) {
            l.n_content += doc->tokens[l.end].kind != CRED_TOK_EMOJI;
            l.end++;
        }
        if (l.end > l.first) {
            CRED_TRY(CRED_GROW(p->lines, p->cap_lines, n_lines + 1));
            p->lines[n_lines++] = l;
        }
        t = l.end;
        pos = line_end + 1;
        if (!nl)
            break;
    }

    /* Forward boilerplate anywhere (it is usually on top); signatures among the last two lines. Never
     * drop every line. */
    line_info *lines = p->lines;
    size_t kept = n_lines;
    for (size_t i = 0; i < n_lines && kept > 1; i++)
        if (is_forward_line(doc, &lines[i])) {
            memset(drop + lines[i].first, 1, lines[i].end - lines[i].first);
            kept--;
        }
    for (size_t k = 0; k < 2 && k < n_lines && kept > 1; k++) {
        line_info *l = &lines[n_lines - 1 - k];
        if (drop[l->first] || l->n_content == 0)
            continue;
        if (!is_signature_line(doc, l))
            break;
        memset(drop + l->first, 1, l->end - l->first);
        kept--;
    }

    emit_tokens(p, doc, drop, false);
    if (p->n_words == 0) {
        prep_reset(p);
        emit_tokens(p, doc, drop, true);
    }
    p->text.ptr[p->text.len] = '\0';
done:
    return rc;
}
