/*
 * Snowball stemming (libstemmer) with a surface-form cache.
 *
 * One sb_stemmer per language, created on first use. Each distinct word form has one entry (cred_form,
 * in a cache arena, found through an open-addressing table keyed by XXH3 of the word) holding a copy
 * of the word, its stem in the first language it was stemmed in, and its language evidence (lang.c),
 * computed on first use. The rare stem of a form in a second language has an entry of its own, keyed
 * by the word and that language. The cache is bounded by cache_bytes and cleared between documents
 * when it is over budget, so stems and forms handed out stay valid for the whole document.
 */
#include "text/pipeline.h"

#include <libstemmer.h>
#include <stdlib.h>
#define XXH_INLINE_ALL /* the same XXH3 as cred_hash64(), inlined into the per-token lookup */
#include <xxhash.h>

#define DEFAULT_CACHE_BYTES (8u << 20)
#define MAX_STEM_INPUT CRED_STEM_MAX_INPUT

/* ISO 639-1 (and a few other) codes → libstemmer 2.2 algorithm names. Persian has none. */
static const struct { const char *iso, *algo; } LANGS[] = {
    {"en", "english"},    {"pt", "portuguese"}, {"es", "spanish"},   {"fr", "french"},    {"de", "german"},
    {"it", "italian"},    {"nl", "dutch"},      {"ru", "russian"},   {"ar", "arabic"},    {"tr", "turkish"},
    {"id", "indonesian"}, {"ms", "indonesian"}, {"el", "greek"},     {"hi", "hindi"},     {"sv", "swedish"},
    {"da", "danish"},     {"no", "norwegian"},  {"nb", "norwegian"}, {"nn", "norwegian"}, {"fi", "finnish"},
    {"hu", "hungarian"},  {"ro", "romanian"},   {"ta", "tamil"},     {"ga", "irish"},     {"lt", "lithuanian"},
    {"ne", "nepali"},     {"sr", "serbian"},    {"ca", "catalan"},   {"eu", "basque"},    {"hy", "armenian"},
    {"yi", "yiddish"},
};
#define N_LANGS CRED_ARRAY_LEN(LANGS)


typedef struct slot {
    uint64_t hash;
    cred_form *f; /* NULL: empty slot */
} slot;

struct cred_stemmer {
    size_t budget;
    cred_arena arena;
    slot *tab;
    size_t cap, used; /* cap is a power of two */
    struct sb_stemmer *sb[N_LANGS];
    uint8_t failed[N_LANGS];
};

/* Index into LANGS for an ISO code or tag ("pt-BR", "en_US"), or -1. */
static int lang_index(const char *lang)
{
    if (!lang)
        return -1;
    char code[4];
    size_t n = 0;
    while (lang[n] && lang[n] != '-' && lang[n] != '_' && n < 3) {
        char c = lang[n];
        code[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    if (n != 2 || (lang[n] && lang[n] != '-' && lang[n] != '_'))
        return -1;
    code[n] = '\0';
    for (size_t i = 0; i < N_LANGS; i++)
        if (memcmp(LANGS[i].iso, code, 3) == 0)
            return (int)i;
    return -1;
}

int cred_text__stemmer_new(cred_stemmer **out, size_t cache_bytes)
{
    cred_stemmer *s = calloc(1, sizeof *s);
    if (!s)
        return cred__error_nomem();
    s->budget = cache_bytes ? cache_bytes : DEFAULT_CACHE_BYTES;
    cred_arena_init(&s->arena, 64 * 1024);
    *out = s;
    return 0;
}

void cred_text__stemmer_free(cred_stemmer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < N_LANGS; i++)
        if (s->sb[i])
            sb_stemmer_delete(s->sb[i]);
    cred_arena_free(&s->arena);
    free(s->tab);
    free(s);
}

void cred_text__stemmer_trim(cred_stemmer *s)
{
    if (s->arena.used_total + s->cap * sizeof(slot) <= s->budget || s->used == 0)
        return;
    cred_arena_reset(&s->arena);
    memset(s->tab, 0, s->cap * sizeof(slot));
    s->used = 0;
}

static int grow_table(cred_stemmer *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 1024;
    slot *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return cred__error_nomem();
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->tab[i].f)
            continue;
        size_t h = (size_t)s->tab[i].hash & (ncap - 1);
        while (nt[h].f)
            h = (h + 1) & (ncap - 1);
        nt[h] = s->tab[i];
    }
    free(s->tab);
    s->tab = nt;
    s->cap = ncap;
    return 0;
}

/*
 * Swap the normalised (Persian) forms ی U+06CC and ک U+06A9 with the Arabic ي U+064A and ك U+0643
 * in place (to_arabic), or back (also ى U+0649 → ی). Every one of them is two bytes long.
 */
static void arabic_swap(char *p, size_t len, int to_arabic)
{
    unsigned char *u = (unsigned char *)p;
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned a = u[i], b = u[i + 1];
        if (to_arabic) {
            if (a == 0xDB && b == 0x8C)
                u[i] = 0xD9, u[i + 1] = 0x8A;
            else if (a == 0xDA && b == 0xA9)
                u[i] = 0xD9, u[i + 1] = 0x83;
        } else if (a == 0xD9 && (b == 0x8A || b == 0x89)) {
            u[i] = 0xDB, u[i + 1] = 0x8C;
        } else if (a == 0xD9 && b == 0x83) {
            u[i] = 0xDA, u[i + 1] = 0xA9;
        }
    }
}

/* a[0..n) == b[0..n), with overlapping word loads for the short words that make most of the text */
static inline bool same_bytes(const char *a, const char *b, uint32_t n)
{
    if (n >= 8) {
        if (n > 16)
            return memcmp(a, b, n) == 0;
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b1, b + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n >= 4) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + n - 4, 4);
        memcpy(&b1, b + n - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Add the entry of word[0..len) with key and hash h (known missing); NULL on ENOMEM. */
static CRED_TEXT_NOINLINE cred_form *form_add(cred_stemmer *s, uint64_t h, const char *word, uint32_t len, uint32_t key)
{
    if ((s->used + 1) * 4 > s->cap * 3 && grow_table(s) < 0)
        return NULL;
    size_t mask = s->cap - 1, i = (size_t)h & mask;
    while (s->tab[i].f)
        i = (i + 1) & mask;
    cred_form *f = cred_arena_alloc(&s->arena, sizeof *f + len + 1);
    if (!f)
        return NULL;
    char *w = (char *)(f + 1); /* the word right after its entry: one cache line for both */
    memcpy(w, word, len);
    w[len] = '\0';
    memset(f, 0, sizeof *f);
    f->word = w;
    f->word_len = len;
    f->key = key;
    s->tab[i] = (slot){h, f};
    s->used++;
    return f;
}

/* The entry of word[0..len) with key (0, or li + 1), created when missing; NULL on ENOMEM. */
CRED_TEXT_INLINE cred_form *form_get(cred_stemmer *s, const char *word, uint32_t len, uint32_t key)
{
    uint64_t h = key ? XXH3_64bits_withSeed(word, len, key) : XXH3_64bits(word, len);
    if (CRED_LIKELY(s->cap)) {
        size_t mask = s->cap - 1, i = (size_t)h & mask;
        for (const slot *e; (e = &s->tab[i])->f; i = (i + 1) & mask)
            if (e->hash == h && e->f->word_len == len && e->f->key == key && same_bytes(e->f->word, word, len))
                return e->f;
    }
    return form_add(s, h, word, len, key);
}

cred_form *cred_text__form(cred_stemmer *s, const char *word, size_t len)
{
    if (len > MAX_STEM_INPUT)
        return NULL;
    cred_form *f = form_get(s, word, (uint32_t)len, 0);
    if (CRED_UNLIKELY(!f))
        cred__error_nomem();
    return f;
}

const cred_lang_wev *cred_text__form_fill_evidence(cred_stemmer *s, cred_form *f)
{
    if (cred_text__lang_word(&f->ev, &s->arena, f->word, f->word_len) < 0) {
        cred__error_nomem();
        return NULL;
    }
    f->ev_done = true;
    return &f->ev;
}

/* Stem form f (key 0, or li + 1) in language li into f. */
static int stem_form(cred_stemmer *s, int li, cred_form *f)
{
    const char *word = f->word;
    uint32_t len = f->word_len;
    const sb_symbol *r;
    int arabic = LANGS[li].algo[0] == 'a' && LANGS[li].algo[1] == 'r';
    if (arabic) {
        /* The norm folds Arabic yeh/kaf to their Persian forms; the Snowball stemmer wants Arabic. */
        char tmp[MAX_STEM_INPUT];
        memcpy(tmp, word, len);
        arabic_swap(tmp, len, 1);
        r = sb_stemmer_stem(s->sb[li], (const sb_symbol *)tmp, (int)len);
    } else {
        r = sb_stemmer_stem(s->sb[li], (const sb_symbol *)word, (int)len);
    }
    if (!r)
        return cred__error_nomem();
    int rl = sb_stemmer_length(s->sb[li]);
    const char *st = word;
    if (arabic || (uint32_t)rl != len || memcmp(r, word, len) != 0) {
        char *copy = cred_arena_strndup(&s->arena, (const char *)r, (size_t)rl);
        if (!copy)
            return cred__error_nomem();
        if (arabic)
            arabic_swap(copy, (size_t)rl, 0);
        st = copy;
    }
    f->stem = st;
    f->stem_len = (uint32_t)rl;
    f->stem_li = (uint32_t)li + 1;
    return 0;
}

int cred_text__stem_tokens(cred_stemmer *s, const char *lang, const char *norm, cred_token *tokens,
                           size_t n_tokens, cred_form *const *forms)
{
    int li = s ? lang_index(lang) : -1;
    if (li >= 0 && !s->sb[li] && !s->failed[li]) {
        s->sb[li] = sb_stemmer_new(LANGS[li].algo, "UTF_8");
        s->failed[li] = s->sb[li] == NULL; /* unknown algorithm or out of memory: surface forms */
    }
    if (li >= 0 && !s->sb[li])
        li = -1;
    for (size_t i = 0; i < n_tokens; i++) {
        cred_token *t = &tokens[i];
        t->stem = norm + t->start;
        t->stem_len = t->len;
        if (li < 0 || t->kind != CRED_TOK_WORD || t->len > MAX_STEM_INPUT)
            continue;
        cred_form *f = forms && forms[i] ? forms[i] : form_get(s, norm + t->start, t->len, 0);
        if (!f)
            return cred__error_nomem();
        if (f->stem_li != (uint32_t)li + 1) {
            if (f->stem_li == 0) {
                if (stem_form(s, li, f) < 0)
                    return CRED_ENOMEM;
            } else {
                f = form_get(s, f->word, f->word_len, (uint32_t)li + 1);
                if (!f)
                    return cred__error_nomem();
                if (f->stem_li == 0 && stem_form(s, li, f) < 0)
                    return CRED_ENOMEM;
            }
        }
        t->stem = f->stem;
        t->stem_len = f->stem_len;
    }
    return 0;
}
