/*
 * Seeded generator of forwarded-message chains in en, pt, es, fa and ar, for bench_dedup.
 *
 * Origins are synthetic messages (lines of words from a per-language vocabulary, with numbers and
 * links; 30% are short posts under 100 bytes). Each cluster grows by forwards of a random earlier
 * member (so chains of forwards-of-forwards), each forward applying 1-3 edits: emoji added, a forward
 * boilerplate line on top, a line cut, a channel signature appended, tracking parameters on links, a
 * typo, Arabic/Persian yeh and kaf swapped, ZWNJ dropped, digits changed between Persian/Arabic-Indic
 * and ASCII, punctuation and spacing changed. A few viral clusters reach thousands of posts.
 * Hard negatives: template families whose bulletins share header and signature but differ in numbers,
 * dates, names or links (a third differ in one number only); each bulletin is its own origin.
 *
 *   gen_forwards [-seed N] [-posts N] [-shuffle PCT] > corpus.jsonl
 * writes JSONL posts {"id","text","source","date"} with truth fields "truth_origin", "truth_family",
 * "short" that readers ignore.
 */
#include "gen_forwards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const gen_lang_names[5] = {"en", "pt", "es", "fa", "ar"};

/* ---- random numbers and strings ---------------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t below(rng *r, size_t n)
{
    return n ? (size_t)(next(r) % n) : 0;
}

static int chance(rng *r, unsigned pct)
{
    return below(r, 100) < pct;
}

typedef struct sb {
    char *p;
    size_t len, cap;
} sb;

static void sb_put(sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            abort();
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sb *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* ---- vocabulary -------------------------------------------------------------------------------- */

static const char *const function_words[5][24] = {
    {"the", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "on", "be", "at", "by", "this",
     "from", "are", "not", "all", "will", "now", "very", "our"},
    {"o", "de", "e", "que", "a", "do", "da", "em", "um", "para", "com", "não", "uma", "os", "no", "se", "na",
     "por", "mais", "as", "dos", "como", "mas", "foi"},
    {"el", "de", "que", "y", "a", "en", "un", "ser", "se", "no", "por", "con", "su", "para", "como", "estar",
     "tener", "le", "lo", "todo", "pero", "más", "hacer", "muy"},
    {"و", "در", "به", "از", "که", "این", "را", "با", "است", "برای", "آن", "یک", "خود", "تا", "کرد", "بر", "هم",
     "نیز", "می‌شود", "شده", "کنید", "های", "همه", "ما"},
    {"في", "من", "على", "إلى", "أن", "عن", "مع", "هذا", "التي", "الذي", "كان", "لا", "ما", "هذه", "كل", "بعد",
     "قبل", "بين", "ذلك", "لكن", "عند", "كما", "يكون", "نحن"},
};

static const char *const syllables[5][20] = {
    {"ca", "ter", "min", "pro", "sta", "vel", "dor", "ment", "lan", "ric", "bo", "sen", "ful", "gra", "pli", "tor",
     "ney", "wa", "chi", "ous"},
    {"ção", "ra", "men", "do", "te", "lhe", "pra", "vi", "sa", "nho", "cu", "re", "gem", "pa", "ti", "ble", "cor",
     "ma", "fi", "são"},
    {"ción", "ra", "mien", "to", "que", "lla", "pro", "ve", "sa", "ño", "cu", "re", "gen", "pa", "ti", "ble",
     "cor", "ma", "fi", "dad"},
    {"کار", "دا", "نی", "سر", "ری", "ست", "ان", "بر", "گو", "یک", "شه", "ور", "زی", "مند", "گاه", "کی", "پی",
     "ده", "نو", "تی"},
    {"كا", "مي", "نا", "تر", "سل", "يم", "عل", "حق", "ور", "دي", "با", "كي", "قا", "لي", "مس", "رك", "فو", "جا",
     "شي", "هم"},
};

static const char *const names[5][8] = {
    {"John Carter", "Mary Lewis", "Peter Hall", "Susan Reed", "Mark Young", "Laura King", "David Ross", "Emma Stone"},
    {"João Lima", "Ana Souza", "Pedro Alves", "Maria Costa", "Lucas Rocha", "Julia Melo", "Carlos Dias", "Rita Nunes"},
    {"José García", "Lucía Pérez", "Juan Torres", "Carmen Ruiz", "Luis Gómez", "Elena Díaz", "Diego Ramos", "Sara Gil"},
    {"علی رضایی", "مریم کریمی", "حسین احمدی", "زهرا محمدی", "رضا یوسفی", "سارا نوری", "مهدی کاظمی", "نرگس امینی"},
    {"محمد علي", "فاطمة حسن", "أحمد كريم", "مريم يوسف", "خالد سعيد", "ليلى عمر", "يوسف مالك", "نور الدين"},
};

static const char *const forward_lines[5][3] = {
    {"Forwarded as received", "Forwarded many times", "Fwd:"},
    {"Encaminhada com frequência", "Encaminhado", "Mensagem encaminhada"},
    {"Reenviado", "Reenviado muchas veces", "Mensaje reenviado"},
    {"فوروارد شده", "بازارسال", "ارسال شده"},
    {"منقول", "رسالة محولة", "تم التحويل"},
};

static const char *const emoji[] = {"🔥", "‼️", "👇", "🙏", "⚠️", "✅", "😱", "📢", "❤️", "👉🏽", "🚨", "💯"};

static const char *const hosts[] = {"news-daily.com", "saude.gov.br", "salud.gob.es", "khabar.ir",
                                    "akhbar.net", "health-watch.org", "bit.ly", "youtube.com"};

#define VOCAB 4000

typedef struct vocab {
    char *w[5][VOCAB];
} vocab;

static void vocab_init(vocab *v, rng *r)
{
    for (int l = 0; l < 5; l++)
        for (int i = 0; i < VOCAB; i++) {
            sb b = {0};
            size_t n = 2 + below(r, 3);
            for (size_t k = 0; k < n; k++) {
                if (l == 3 && k == 0 && chance(r, 8))
                    sb_puts(&b, "می\u200c"); /* Persian verb prefix with ZWNJ */
                sb_puts(&b, syllables[l][below(r, 20)]);
            }
            v->w[l][i] = b.p;
        }
}

static void vocab_free(vocab *v)
{
    for (int l = 0; l < 5; l++)
        for (int i = 0; i < VOCAB; i++)
            free(v->w[l][i]);
}

static const char *word(const vocab *v, rng *r, int lang)
{
    if (chance(r, 35))
        return function_words[lang][below(r, 24)];
    /* Zipf-like: a small head of frequent content words */
    size_t i = chance(r, 30) ? below(r, 100) : below(r, VOCAB);
    return v->w[lang][i];
}

static void put_number(sb *b, rng *r)
{
    char num[32];
    switch (below(r, 4)) {
    case 0: snprintf(num, sizeof num, "%zu", 2 + below(r, 998)); break;
    case 1: snprintf(num, sizeof num, "%zu%%", below(r, 100)); break;
    case 2: snprintf(num, sizeof num, "%zu/%zu", 1 + below(r, 28), 1 + below(r, 12)); break;
    default: snprintf(num, sizeof num, "%zu.%03zu", 1 + below(r, 99), below(r, 1000)); break;
    }
    sb_puts(b, num);
}

static void put_url(sb *b, const vocab *v, rng *r)
{
    char u[160];
    snprintf(u, sizeof u, "https://%s/%s/%zu", hosts[below(r, 8)], v->w[0][below(r, VOCAB)], below(r, 100000));
    sb_puts(b, u);
}

static void put_sentence(sb *b, const vocab *v, rng *r, int lang, size_t words, int facts)
{
    for (size_t i = 0; i < words; i++) {
        if (i)
            sb_puts(b, " ");
        if (facts && i > 1 && chance(r, 6))
            put_number(b, r);
        else
            sb_puts(b, word(v, r, lang));
    }
    sb_puts(b, chance(r, 70) ? "." : chance(r, 50) ? "!" : "");
}

/* An original message: a short post (one line, under 100 bytes) or 2-6 lines. */
static char *make_origin(const vocab *v, rng *r, int lang, int is_short)
{
    sb b = {0};
    if (is_short) {
        put_sentence(&b, v, r, lang, 5 + below(r, 6), 1);
        while (b.len >= 100) { /* cut whole words until it fits */
            char *sp = strrchr(b.p, ' ');
            if (!sp)
                break;
            b.len = (size_t)(sp - b.p);
            b.p[b.len] = '\0';
        }
        return b.p;
    }
    size_t lines = 2 + below(r, 5);
    for (size_t l = 0; l < lines; l++) {
        if (l)
            sb_puts(&b, "\n");
        put_sentence(&b, v, r, lang, 6 + below(r, 14), 1);
    }
    if (chance(r, 40)) {
        sb_puts(&b, "\n");
        put_url(&b, v, r);
    }
    return b.p;
}

/* A template bulletin: fixed header and body words from the family seed, slots from the sibling rng. */
static char *make_bulletin(const vocab *v, uint64_t family_seed, rng *r, int lang, const size_t *slots)
{
    rng f = {family_seed};
    sb b = {0};
    sb_puts(&b, emoji[below(&f, 12)]);
    sb_puts(&b, " ");
    put_sentence(&b, v, &f, lang, 5, 0);
    sb_puts(&b, "\n");
    for (int part = 0; part < 3; part++) {
        put_sentence(&b, v, &f, lang, 3 + below(&f, 4), 0);
        char s[64];
        snprintf(s, sizeof s, " %zu", slots[part]);
        sb_puts(&b, s);
        sb_puts(&b, "\n");
    }
    put_sentence(&b, v, &f, lang, 3, 0);
    char d[64];
    snprintf(d, sizeof d, " %zu/%zu ", 1 + slots[3] % 28, 1 + slots[3] / 28 % 12);
    sb_puts(&b, d);
    sb_puts(&b, names[lang][slots[4] % 8]);
    sb_puts(&b, "\n");
    char u[128];
    snprintf(u, sizeof u, "https://%s/bulletin/%zu", hosts[below(&f, 8)], slots[5]);
    sb_puts(&b, u);
    sb_puts(&b, "\n@");
    sb_puts(&b, v->w[0][below(&f, VOCAB)]);
    (void)r;
    return b.p;
}

/* ---- edits ------------------------------------------------------------------------------------- */

static void replace_all(sb *b, const char *from, const char *to)
{
    sb o = {0};
    size_t fl = strlen(from);
    const char *p = b->p;
    for (const char *q; (q = strstr(p, from)); p = q + fl) {
        sb_put(&o, p, (size_t)(q - p));
        sb_puts(&o, to);
    }
    sb_puts(&o, p);
    free(b->p);
    *b = o;
}

static size_t count_lines(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A message in three parts: forward header lines, the body, trailing signature lines. */
typedef struct msg {
    sb pre, body, suf;
} msg;

static void edit_once(msg *m, const vocab *v, rng *r, int lang)
{
    sb *b = &m->body;
    static const char *const fa_digits[10] = {"۰", "۱", "۲", "۳", "۴", "۵", "۶", "۷", "۸", "۹"};
    static const char *const ar_digits[10] = {"٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"};
    size_t kind = below(r, 10);
    if (lang < 3 && kind >= 7)
        kind = below(r, 7); /* script edits only for fa/ar */
    switch (kind) {
    case 0: { /* emoji on the header, the signature, or the start or end of the body */
        const char *e = emoji[below(r, 12)];
        sb *t = chance(r, 30) ? &m->pre : chance(r, 40) ? &m->suf : b;
        sb o = {0};
        if (chance(r, 50)) {
            sb_puts(&o, e);
            sb_puts(&o, " ");
            sb_puts(&o, t->p ? t->p : "");
        } else {
            sb_puts(&o, t->p ? t->p : "");
            sb_puts(&o, " ");
            sb_puts(&o, e);
        }
        free(t->p);
        *t = o;
        break;
    }
    case 1: { /* forward boilerplate line on top (at most two) */
        if (m->pre.p && count_lines(m->pre.p) >= 2)
            break;
        sb o = {0};
        if (chance(r, 40))
            sb_puts(&o, "↪️ ");
        sb_puts(&o, forward_lines[lang][below(r, 3)]);
        sb_puts(&o, "\n");
        sb_puts(&o, m->pre.p ? m->pre.p : "");
        free(m->pre.p);
        m->pre = o;
        break;
    }
    case 2: { /* a line cut (not the first), only from messages of 3+ lines */
        size_t n = count_lines(b->p);
        if (n < 3)
            break;
        size_t cut = 1 + below(r, n - 1), line = 0;
        sb o = {0};
        const char *p = b->p;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
            if (line != cut)
                sb_put(&o, p, len);
            p += len;
            line++;
        }
        while (o.len && o.p[o.len - 1] == '\n')
            o.p[--o.len] = '\0';
        free(b->p);
        *b = o;
        break;
    }
    case 3: { /* channel signature (at most two lines) */
        char s[160];
        if (m->suf.p && count_lines(m->suf.p) > 2)
            break;
        const char *h = v->w[0][below(r, VOCAB)];
        switch (below(r, 3)) {
        case 0: snprintf(s, sizeof s, "\n\n@%s_channel", h); break;
        case 1: snprintf(s, sizeof s, "\n🆔 @%s", h); break;
        default: snprintf(s, sizeof s, "\nJoin: https://t.me/%s", h); break;
        }
        sb_puts(&m->suf, s);
        break;
    }
    case 4: { /* tracking parameters on every link */
        const char *param = chance(r, 50) ? "utm_source=whatsapp&utm_medium=social" : "fbclid=IwAR3x9kq";
        sb o = {0};
        const char *p = b->p;
        for (const char *q; (q = strstr(p, "https://"));) {
            size_t n = strcspn(q, " \n");
            sb_put(&o, p, (size_t)(q - p) + n);
            sb_puts(&o, memchr(q, '?', n) ? "&" : "?");
            sb_puts(&o, param);
            p = q + n;
        }
        sb_puts(&o, p);
        free(b->p);
        *b = o;
        break;
    }
    case 5: { /* typo in a letter word of 4+ bytes: drop or double a character, or swap two ASCII letters */
        for (int tries = 0; tries < 8; tries++) {
            size_t at = below(r, b->len);
            while (at > 0 && b->p[at - 1] != ' ' && b->p[at - 1] != '\n')
                at--;
            size_t end = at;
            while (end < b->len && b->p[end] != ' ' && b->p[end] != '\n')
                end++;
            int letters = end - at >= 4;
            for (size_t i = at; i < end && letters; i++)
                if ((b->p[i] >= '0' && b->p[i] <= '9') || b->p[i] == '@' || b->p[i] == '/' || b->p[i] == ':' ||
                    b->p[i] == '%' || b->p[i] == '.' ||
                    ((unsigned char)b->p[i] == 0xD9 && i + 1 < end && (unsigned char)b->p[i + 1] >= 0xA0 &&
                     (unsigned char)b->p[i + 1] <= 0xA9) ||
                    ((unsigned char)b->p[i] == 0xDB && i + 1 < end && (unsigned char)b->p[i + 1] >= 0xB0 &&
                     (unsigned char)b->p[i + 1] <= 0xB9))
                    letters = 0;
            if (!letters)
                continue;
            size_t pos = at + 1; /* keep the first letter */
            while (pos < end && ((unsigned char)b->p[pos] & 0xC0) == 0x80)
                pos++;
            size_t clen = 1;
            while (pos + clen < end && ((unsigned char)b->p[pos + clen] & 0xC0) == 0x80)
                clen++;
            if (pos >= end)
                continue;
            sb o = {0};
            sb_put(&o, b->p, pos);
            if (chance(r, 40)) { /* doubled */
                sb_put(&o, b->p + pos, clen);
                sb_puts(&o, b->p + pos);
            } else if (clen == 1 && pos + 1 < end && (unsigned char)b->p[pos + 1] < 0x80 && chance(r, 50)) {
                sb_put(&o, b->p + pos + 1, 1); /* swapped */
                sb_put(&o, b->p + pos, 1);
                sb_puts(&o, b->p + pos + 2);
            } else { /* dropped */
                sb_puts(&o, b->p + pos + clen);
            }
            free(b->p);
            *b = o;
            break;
        }
        break;
    }
    case 6: /* punctuation and spacing at sentence ends */
        if (chance(r, 50)) {
            replace_all(b, ".\n", "!!!\n");
            replace_all(b, "!\n", " !\n");
        } else {
            replace_all(b, " ", "  ");
        }
        break;
    case 7: /* yeh and kaf between Arabic and Persian forms */
        if (lang == 3) {
            replace_all(b, "ی", "ي");
            replace_all(b, "ک", "ك");
        } else {
            replace_all(b, "ي", "ی");
            replace_all(b, "ك", "ک");
        }
        break;
    case 8: /* ZWNJ dropped (or replaced by a space, which changes the text) */
        replace_all(b, "\u200c", "");
        break;
    default: /* digits to Persian or Arabic-Indic */
        for (int dg = 0; dg < 10; dg++) {
            char a[2] = {(char)('0' + dg), 0};
            replace_all(b, a, lang == 3 ? fa_digits[dg] : ar_digits[dg]);
        }
        break;
    }
}

/* ---- corpus ------------------------------------------------------------------------------------ */

typedef struct draft {
    char *pre, *body, *suf, *text;
    int64_t date;
    size_t origin; /* index in drafts */
    int32_t family;
    int lang;
    uint32_t source;
    uint64_t order; /* tie-breaker */
} draft;

static char *dup0(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

/* The text as sent: header lines, body, signature. */
static char *render(const char *pre, const char *body, const char *suf)
{
    sb o = {0};
    sb_puts(&o, pre ? pre : "");
    sb_puts(&o, body);
    sb_puts(&o, suf ? suf : "");
    return o.p;
}

typedef struct drafts {
    draft *d;
    size_t n, cap;
} drafts;

static draft *push(drafts *ds)
{
    if (ds->n == ds->cap) {
        ds->cap = ds->cap ? ds->cap * 2 : 1024;
        ds->d = realloc(ds->d, ds->cap * sizeof *ds->d);
        if (!ds->d)
            abort();
    }
    draft *d = &ds->d[ds->n];
    memset(d, 0, sizeof *d);
    d->order = ds->n++;
    return d;
}

/* Grow a cluster from drafts[first] to `size` members by forwards of random earlier members. */
static void grow_cluster(drafts *ds, size_t first, size_t size, const vocab *v, rng *r)
{
    for (size_t k = 1; k < size; k++) {
        size_t members = k;
        size_t pick = first + (chance(r, 50) ? below(r, members) : members - 1 - below(r, members < 4 ? members : 4));
        draft parent = ds->d[pick];
        msg m = {{0}, {0}, {0}};
        sb_puts(&m.pre, parent.pre ? parent.pre : "");
        sb_puts(&m.body, parent.body);
        sb_puts(&m.suf, parent.suf ? parent.suf : "");
        size_t edits = chance(r, 20) ? 0 : 1 + below(r, 3);
        for (size_t e = 0; e < edits; e++)
            edit_once(&m, v, r, parent.lang);
        draft *d = push(ds);
        d->pre = m.pre.p ? m.pre.p : dup0("");
        d->body = m.body.p;
        d->suf = m.suf.p ? m.suf.p : dup0("");
        d->text = render(d->pre, d->body, d->suf);
        d->date = parent.date + 60 + (int64_t)below(r, 6 * 3600) * (chance(r, 10) ? 8 : 1);
        d->origin = first;
        d->family = -1;
        d->lang = parent.lang;
        d->source = (uint32_t)below(r, 3000);
    }
}

static size_t cluster_size(rng *r)
{
    size_t p = below(r, 100);
    return p < 45 ? 1 : p < 80 ? 2 + below(r, 4) : p < 95 ? 6 + below(r, 25) : 31 + below(r, 170);
}

static int cmp_draft(const void *a, const void *b)
{
    const draft *x = a, *y = b;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

int gen_forwards(gen_post **out, size_t *n_out, const gen_options *o)
{
    rng r = {o->seed ? o->seed : 1};
    rng vr = {0x5eed}; /* the vocabulary is the same for every seed */
    vocab *v = malloc(sizeof *v);
    if (!v)
        return -1;
    vocab_init(v, &vr);
    drafts ds = {0};
    const int64_t span = 30 * 86400;
    unsigned viral = o->viral ? o->viral : (unsigned)(o->posts / 40000 + 1);
    size_t target = o->posts;
    for (unsigned i = 0; i < viral && ds.n < target; i++) {
        size_t first = ds.n;
        draft *d = push(&ds);
        d->lang = (int)below(&r, 5);
        d->body = make_origin(v, &r, d->lang, chance(&r, 50));
        d->text = dup0(d->body);
        d->date = o->start + (int64_t)below(&r, (size_t)span);
        d->origin = first;
        d->family = -1;
        d->source = (uint32_t)below(&r, 3000);
        size_t size = 2000 + below(&r, 2000);
        if (size > target / 4)
            size = target / 4 + 1;
        grow_cluster(&ds, first, size, v, &r);
    }
    int32_t families = 0;
    while (ds.n < target) {
        if (chance(&r, 4)) { /* a template family of 3-12 bulletins, some forwarded */
            int lang = (int)below(&r, 5);
            uint64_t fseed = next(&r);
            size_t slots[6], sib = 3 + below(&r, 10);
            for (int s = 0; s < 6; s++)
                slots[s] = 10 + below(&r, 5000);
            int64_t date = o->start + (int64_t)below(&r, (size_t)span);
            for (size_t s = 0; s < sib && ds.n < target; s++) {
                if (s) { /* next bulletin: one number changed (a third of them), or several facts */
                    slots[below(&r, 3)] += 1 + below(&r, 50);
                    if (!chance(&r, 33))
                        for (int k = 0; k < 6; k++)
                            if (chance(&r, 50))
                                slots[k] = 10 + below(&r, 5000);
                }
                size_t first = ds.n;
                draft *d = push(&ds);
                d->lang = lang;
                d->body = make_bulletin(v, fseed, &r, lang, slots);
                d->text = dup0(d->body);
                d->date = date + (int64_t)(s * 86400);
                d->origin = first;
                d->family = families;
                d->source = (uint32_t)below(&r, 3000);
                grow_cluster(&ds, first, chance(&r, 50) ? 1 : 2 + below(&r, 5), v, &r);
            }
            families++;
            continue;
        }
        size_t first = ds.n;
        draft *d = push(&ds);
        d->lang = (int)below(&r, 5);
        d->body = make_origin(v, &r, d->lang, chance(&r, 30));
        d->text = dup0(d->body);
        d->date = o->start + (int64_t)below(&r, (size_t)span);
        d->origin = first;
        d->family = -1;
        d->source = (uint32_t)below(&r, 3000);
        size_t size = cluster_size(&r);
        if (first + size > target)
            size = target - first;
        grow_cluster(&ds, first, size ? size : 1, v, &r);
    }
    /* Date order; origins keep index links through a rank table. */
    size_t *rank = malloc(ds.n * sizeof *rank);
    gen_post *p = calloc(ds.n, sizeof *p);
    if (!rank || !p)
        abort();
    qsort(ds.d, ds.n, sizeof *ds.d, cmp_draft);
    for (size_t i = 0; i < ds.n; i++)
        rank[ds.d[i].order] = i;
    const char *prefix = o->prefix ? o->prefix : "p";
    for (size_t i = 0; i < ds.n; i++) {
        const draft *d = &ds.d[i];
        char id[64], src[32];
        snprintf(id, sizeof id, "%s%zu", prefix, i);
        snprintf(src, sizeof src, "group%u", d->source);
        p[i].id = strdup(id);
        p[i].source = strdup(src);
        p[i].text = d->text;
        free(d->pre);
        free(d->body);
        free(d->suf);
        p[i].len = strlen(d->text);
        p[i].date = d->date;
        p[i].origin = (uint32_t)rank[d->origin];
        p[i].family = d->family;
        p[i].is_short = p[i].len < 100;
        p[i].lang = (uint8_t)d->lang;
    }
    free(rank);
    free(ds.d);
    vocab_free(v);
    free(v);
    *out = p;
    *n_out = ds.n;
    return 0;
}

void gen_free(gen_post *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        free(p[i].id);
        free(p[i].text);
        free(p[i].source);
    }
    free(p);
}

#ifndef GEN_FORWARDS_NO_MAIN
static void put_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", fp);
        else if (c < 0x20)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

int main(int argc, char **argv)
{
    gen_options o = {1, 20000, 0, 1700000000, "p", 5};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-seed"))
            o.seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-posts"))
            o.posts = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-shuffle"))
            o.shuffle_pct = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-viral"))
            o.viral = (unsigned)atoi(argv[i + 1]);
    }
    gen_post *p;
    size_t n;
    if (gen_forwards(&p, &n, &o) < 0)
        return 1;
    /* file order: date order with a few neighbours swapped, to exercise sorting */
    size_t *ord = malloc(n * sizeof *ord);
    rng r = {o.seed ^ 0xabcdef};
    for (size_t i = 0; i < n; i++)
        ord[i] = i;
    for (size_t i = 0; i + 1 < n; i++)
        if (chance(&r, o.shuffle_pct)) {
            size_t t = ord[i];
            ord[i] = ord[i + 1];
            ord[i + 1] = t;
        }
    for (size_t k = 0; k < n; k++) {
        const gen_post *q = &p[ord[k]];
        char date[32];
        time_t t = (time_t)q->date;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("{\"id\":\"%s\",\"text\":", q->id);
        put_json_string(stdout, q->text);
        printf(",\"source\":\"%s\",\"date\":\"%s\",\"lang_truth\":\"%s\",\"truth_origin\":\"%s\",\"truth_family\":%d,"
               "\"short\":%s}\n",
               q->source, date, gen_lang_names[q->lang], p[q->origin].id, q->family, q->is_short ? "true" : "false");
    }
    free(ord);
    gen_free(p, n);
    return 0;
}
#endif
