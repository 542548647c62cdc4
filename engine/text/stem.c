/*
 * Snowball stemming (libstemmer) with a surface-form cache.
 *
 * One sb_stemmer per language, created on first use. Each distinct (language, word) is stemmed once:
 * an open-addressing table keyed by XXH3 of the word holds pointers to the word and its stem, both
 * copied into a cache arena. The cache is bounded by cache_bytes and cleared between documents when
 * it is over budget, so stems handed out stay valid for the whole document.
 */
#include "text/pipeline.h"

#include <libstemmer.h>
#include <stdlib.h>
#define XXH_INLINE_ALL /* the same XXH3 as cred_hash64(), inlined into the per-token lookup */
#include <xxhash.h>

#define DEFAULT_CACHE_BYTES (8u << 20)
#define MAX_STEM_INPUT 128 /* longer "words" are left as they are */

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
    const char *word; /* NULL: empty slot */
    const char *stem;
    uint32_t word_len, stem_len;
    uint32_t lang;
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
        if (!s->tab[i].word)
            continue;
        size_t h = (size_t)s->tab[i].hash & (ncap - 1);
        while (nt[h].word)
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

/* Stem of word[0..len) in language li, through the cache. */
static int stem_one(cred_stemmer *s, int li, const char *word, uint32_t len, const char **stem, uint32_t *stem_len)
{
    uint64_t h = XXH3_64bits_withSeed(word, len, (uint64_t)li + 1);
    if (CRED_UNLIKELY((s->used + 1) * 4 > s->cap * 3) && grow_table(s) < 0)
        return CRED_ENOMEM;
    size_t mask = s->cap - 1, i = (size_t)h & mask;
    while (s->tab[i].word) {
        slot *e = &s->tab[i];
        if (e->hash == h && e->word_len == len && e->lang == (uint32_t)li && memcmp(e->word, word, len) == 0) {
            *stem = e->stem;
            *stem_len = e->stem_len;
            return 0;
        }
        i = (i + 1) & mask;
    }
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
    char *w = cred_arena_strndup(&s->arena, word, len);
    if (!w)
        return cred__error_nomem();
    const char *st = w;
    if (arabic || (uint32_t)rl != len || memcmp(r, word, len) != 0) {
        char *copy = cred_arena_strndup(&s->arena, (const char *)r, (size_t)rl);
        if (!copy)
            return cred__error_nomem();
        if (arabic)
            arabic_swap(copy, (size_t)rl, 0);
        st = copy;
    }
    s->tab[i] = (slot){h, w, st, len, (uint32_t)rl, (uint32_t)li};
    s->used++;
    *stem = st;
    *stem_len = (uint32_t)rl;
    return 0;
}

int cred_text__stem_tokens(cred_stemmer *s, const char *lang, const char *norm, cred_token *tokens,
                           size_t n_tokens)
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
        int rc = stem_one(s, li, norm + t->start, t->len, &t->stem, &t->stem_len);
        if (rc < 0)
            return rc;
    }
    return 0;
}
