/*
 * engine/text/lang.c: language identification of raw text.
 *
 * One pass over at most the first LANG_SCAN_BYTES bytes, no allocation:
 *   1. every letter is counted by script (Latin, Cyrillic, Arabic, Hebrew, Greek, Devanagari, Thai,
 *      Hangul, Kana, Han); letters that tell languages of one script apart are counted on the way
 *      (ã õ → pt, ñ → es, ß → de, і ї є ґ → uk, ы э ъ ё → ru, پ چ ژ گ ی ک → fa, ة ي ى ك → ar, ...);
 *   2. every word is lower-cased (Arabic ي ى ك folded to ی ک, harakat and tatweel dropped) and looked
 *      up by XXH3 hash in one static stop-word table built once (pthread_once) from the lists below.
 *      A word shared by k languages adds 2/k to each; a few word endings (-ção, -ción, -ung ...) add 1.
 * The script with most letters decides the candidates; a script used by one language answers at once.
 * "und" when there are too few letters, no script has a majority, or the best language's score is low
 * or too close to the runner-up. Must run on RAW text: normalisation folds the letters that separate
 * Persian from Arabic. URLs (from "://" or "www." to the next space) are skipped.
 *
 * The pipeline (analyse.c) reaches the same decision without a second pass over the raw text: the same
 * word reading over each token of the normalised text, once per distinct word form (cached by
 * stem.c), against a second key set of the stop words folded as the normaliser folds them (آ أ إ → ا,
 * ة → ه), plus the raw letters that normalisation removed, counted by the normaliser.
 */
#include "text/text.h"

#include <pthread.h>
#include <utf8proc.h>
#define XXH_INLINE_ALL /* the same XXH3 as cred_hash64(), inlined into the per-word lookup */
#include <xxhash.h>

#define LANG_SCAN_BYTES 4096
#define WORD_MAX 48 /* bytes of a lower-cased word key; longer words are not looked up */

enum { L_EN, L_PT, L_ES, L_FR, L_DE, L_IT, L_NL, L_TR, L_ID, L_RU, L_UK, L_FA, L_AR, L_COUNT };
#define L_LATIN_LAST L_ID

static const char *const lang_code[L_COUNT] = {"en", "pt", "es", "fr", "de", "it", "nl",
                                               "tr", "id", "ru", "uk", "fa", "ar"};

enum { S_LATIN, S_CYRILLIC, S_ARABIC, S_HEBREW, S_GREEK, S_DEVANAGARI, S_THAI, S_HANGUL, S_KANA, S_HAN,
       S_OTHER, S_COUNT };
_Static_assert(L_COUNT <= 16 && S_COUNT <= 12, "cred_lang_ev is too small");

/* Stop words: the most frequent function words of each language, as written (lower case). */
static const char *const stop_words[L_COUNT] = {
    [L_EN] = "the and is are of to in that this it for with was you not be have on they from by has will "
             "your but as at or we please all can do if people who what been were an their there would "
             "should about a i my me he she his her them our us so no just this these those which when "
             "more than only also after before because into now very how new out up one get its says said "
             "over against during amid while may could via why",
    [L_PT] = "de a o que e do da em um para com não uma os no se na por mais as dos como mas ao ele das à "
             "seu sua ou quando muito nos já eu também só pelo pela até isso ela entre depois sem mesmo "
             "aos seus quem nas me esse eles você essa num nem suas meu às minha numa pelos elas qual nós "
             "lhe deles essas esses pelas este dele vocês lhes meus minhas nosso nossa está todos todas tudo "
             "estão são foi ser tem vai pra porque então pessoas isto aqui ainda estamos têm fazer pode "
             "podem deve vez ano anos dia dias novo nova contra sobre após diz agora hoje bem ter quer veja "
             "sim onde antes é",
    [L_ES] = "de la que el en y a los del se las por un para con no una su al lo como más pero sus le ya o "
             "este sí porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo "
             "nos durante todos uno les ni contra otros ese eso ante ellos esto mí antes algunos qué "
             "unos yo otro otras otra él tanto esa estos mucho quienes nada muchos cual poco ella estar "
             "estas algunas algo nosotros es son está están fue ha han hoy pueden puede personas usted tu "
             "tus hay muy ustedes",
    [L_FR] = "de la le et les des en un du une que est pour qui dans a par plus pas au sur ne se ce il "
             "sont avec ou mais nous vous leur elle ils on été cette aux son sa ses très tout tous faire "
             "fait comme être avoir aussi même donc ça qu c l d j n y sans peut était ont votre notre",
    [L_DE] = "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an "
             "werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum "
             "war haben nur oder aber vor zur bis mehr durch man kann wir ich sein wenn schon diese "
             "dieser ihr jetzt alle keine sehr wurde gibt ihre",
    [L_IT] = "di e il la che in a per un è del non sono le con i da si della al una gli lo dei come anche "
             "più ma nel alla questo se delle ha nella ci ho mi tutti degli essere sul cosa questa molto "
             "perché già loro solo stato fatto l d ad ed sua suo dopo",
    [L_NL] = "de en van het een in is dat op te zijn met voor niet die aan er ook als bij door om maar ze "
             "dan naar wordt nog worden heeft hij wat uit kan was zo deze geen je we wij ik meer moet "
             "hebben alle mensen u jullie veel",
    [L_TR] = "ve bir bu da de için ile çok ne gibi daha olarak ama var kadar en sonra ya mi olan değil "
             "her diye şey ben sen o biz onlar ki yok veya göre nasıl neden şu olduğu tüm hiç bunu şimdi",
    [L_ID] = "yang dan di ini itu dengan untuk dari tidak dalam akan pada ada juga ke karena oleh saya kita "
             "kami bisa atau sudah telah jika mereka tersebut lebih harus bahwa seperti hanya banyak orang "
             "dapat belum agar sangat kalau apa tapi",
    [L_RU] = "и в не на я что с он как это по но к а из у так за от же все для о вы мы они бы был только "
             "его она если уже или ещё еще нет есть при чтобы может очень когда даже этот быть их была "
             "были будет также всё вот меня надо нужно",
    [L_UK] = "і в не на що з та як це до у але від за й для по про ми ви вони він вона так вже чи є бути "
             "його її їх або якщо також лише тільки ще може дуже коли навіть цей який яка які ні немає "
             "треба щоб всі усі було буде",
    [L_FA] = "است این که را از به می های ها در با برای آن یک تا شده شود کرد کند کنید خود شما او نیز بر "
             "هر بود باید نمی اگر چه همه دارد هست نیست شد و من ما یا هم بعد بین اما",
    [L_AR] = "في من على إلى الى الذي هذا عن أن ان التي مع هذه كان لا ما إن قد كل بعد لم أو ذلك هو هي كما "
             "بين عند ثم إلا لكن و يا هم اما الله ليس",
};

/* ---- the stop-word table ------------------------------------------------------------------------ */

#define TABLE_SIZE 4096 /* power of two, well above the ~800 words */

/* Two key sets share the slots: [K_RAW] keys as cred_lang_detect() forms them from raw text, [K_NORM]
   keys of normalised text (alef variants and teh marbuta folded too). */
enum { K_RAW, K_NORM };
static uint64_t g_keys[TABLE_SIZE];
static uint16_t g_masks[2][TABLE_SIZE];
static float g_weight[2][TABLE_SIZE]; /* 2/k for a word shared by k languages */
static size_t g_key_max;           /* longest key in bytes: longer words are not looked up */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/*
 * What the pass needs of each code point below U+0800 (Latin, Greek, Cyrillic, Hebrew, Arabic), filled
 * once with the table so that the pass makes no utf8proc call for them.
 */
enum { K_OTHER = 0, K_LETTER, K_MARK }; /* word end / letter / inside the word, not part of its key */
typedef struct cpinfo {
    int32_t key;    /* key_cp() */
    int32_t lower;  /* the code point letter_evidence() receives */
    uint8_t kind;   /* K_* (tatweel U+0640 is K_MARK) */
    uint8_t script; /* S_* of a letter */
} cpinfo;
#define CPINFO_END 0x800
static cpinfo g_cp[CPINFO_END];

/* Map a code point to its key form: lower case, Arabic ي ى → ی and ك → ک; -1 when dropped (marks, tatweel). */
static int32_t key_cp(int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    switch (cp) {
    case 0x064A: case 0x0649: return 0x06CC;
    case 0x0643: return 0x06A9;
    case 0x0640: return -1;
    case 0x2019: return '\''; /* ’ */
    default: break;
    }
    utf8proc_category_t c = utf8proc_category(cp);
    if (c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME)
        return -1;
    return utf8proc_tolower(cp);
}

/* The normaliser's foldings of letters that occur in stop words (normalize.c fold_cp). */
static int32_t norm_fold(int32_t cp)
{
    switch (cp) {
    case 0x0629: case 0x06C0: return 0x0647;                            /* ة ۀ → ه */
    case 0x0622: case 0x0623: case 0x0625: case 0x0671: return 0x0627; /* آ أ إ ٱ → ا */
    default: return cp;
    }
}

static void table_add(const char *w, size_t n, int lang, int set)
{
    char key[WORD_MAX];
    size_t kl = 0;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        i += (size_t)cred_text__utf8_decode((const unsigned char *)w + i, n - i, &cp);
        cp = key_cp(set == K_NORM ? norm_fold(cp) : cp);
        if (cp >= 0 && kl + 4 < sizeof(key))
            kl += (size_t)cred_utf8_encode(cp, key + kl);
    }
    uint64_t h = XXH3_64bits_withSeed(key, kl, 0) | 1; /* 0 marks an empty slot */
    if (kl > g_key_max)
        g_key_max = kl;
    for (size_t i = (size_t)h & (TABLE_SIZE - 1);; i = (i + 1) & (TABLE_SIZE - 1)) {
        if (g_keys[i] == 0 || g_keys[i] == h) {
            g_keys[i] = h;
            g_masks[set][i] |= (uint16_t)(1u << lang);
            return;
        }
    }
}

static int script_of(int32_t cp);
static bool is_letter_cat(utf8proc_category_t c);
static bool is_mark_cat(utf8proc_category_t c);

static void table_init(void)
{
    for (int32_t cp = 0; cp < CPINFO_END; cp++) {
        utf8proc_category_t cat = utf8proc_category(cp);
        cpinfo *ci = &g_cp[cp];
        ci->kind = is_letter_cat(cat) ? K_LETTER : (is_mark_cat(cat) || cp == 0x640) ? K_MARK : K_OTHER;
        ci->script = (uint8_t)script_of(cp);
        ci->key = key_cp(cp);
        ci->lower = cp < 0x600 ? utf8proc_tolower(cp) : cp;
    }
    for (int l = 0; l < L_COUNT; l++) {
        const char *s = stop_words[l];
        while (*s) {
            while (*s == ' ')
                s++;
            const char *e = s;
            while (*e && *e != ' ')
                e++;
            if (e > s) {
                table_add(s, (size_t)(e - s), l, K_RAW);
                table_add(s, (size_t)(e - s), l, K_NORM);
            }
            s = e;
        }
    }
    for (int set = K_RAW; set <= K_NORM; set++)
        for (size_t i = 0; i < TABLE_SIZE; i++)
            if (g_masks[set][i])
                g_weight[set][i] = 2.0f / (float)__builtin_popcount(g_masks[set][i]);
}

/* Slot of a key in the table, or -1 (words longer than every stop word are not hashed). */
static inline long lookup(const char *key, size_t n)
{
    if (n > g_key_max)
        return -1;
    uint64_t h = XXH3_64bits_withSeed(key, n, 0) | 1;
    for (size_t i = (size_t)h & (TABLE_SIZE - 1);; i = (i + 1) & (TABLE_SIZE - 1)) {
        if (g_keys[i] == h)
            return (long)i;
        if (g_keys[i] == 0)
            return -1;
    }
}

/* ---- scripts and distinctive letters ------------------------------------------------------------ */

static int script_of(int32_t cp)
{
    if (cp < 0x250)
        return S_LATIN;
    if (cp >= 0x1E00 && cp <= 0x1EFF)
        return S_LATIN;
    if (cp >= 0x370 && cp <= 0x3FF)
        return S_GREEK;
    if (cp >= 0x1F00 && cp <= 0x1FFF)
        return S_GREEK;
    if (cp >= 0x400 && cp <= 0x52F)
        return S_CYRILLIC;
    if (cp >= 0x590 && cp <= 0x5FF)
        return S_HEBREW;
    if ((cp >= 0x600 && cp <= 0x6FF) || (cp >= 0x750 && cp <= 0x77F) || (cp >= 0xFB50 && cp <= 0xFEFF))
        return S_ARABIC;
    if (cp >= 0x900 && cp <= 0x97F)
        return S_DEVANAGARI;
    if (cp >= 0xE00 && cp <= 0xE7F)
        return S_THAI;
    if ((cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F))
        return S_HANGUL;
    if (cp >= 0x3040 && cp <= 0x30FF)
        return S_KANA;
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0x20000 && cp <= 0x2FFFF))
        return S_HAN;
    return S_OTHER;
}

/* Evidence from one lower-case letter (Latin, Cyrillic and Arabic letters that tell languages apart). */
static void letter_evidence(float *s, int32_t cp, uint32_t *urdu)
{
    switch (cp) {
    case 0xE3: case 0xF5: s[L_PT] += 1.0f; break;                          /* ã õ */
    case 0xE7: s[L_PT] += 0.4f; s[L_FR] += 0.3f; s[L_TR] += 0.3f; break; /* ç */
    case 0xEA: s[L_PT] += 0.3f; s[L_FR] += 0.4f; break;                  /* ê */
    case 0xE2: case 0xF4: s[L_PT] += 0.3f; s[L_FR] += 0.3f; break;       /* â ô */
    case 0xE1: case 0xED: case 0xF3: case 0xFA: s[L_PT] += 0.25f; s[L_ES] += 0.3f; break; /* á í ó ú */
    case 0xE9: s[L_PT] += 0.2f; s[L_ES] += 0.2f; s[L_FR] += 0.3f; break; /* é */
    case 0xF1: s[L_ES] += 1.0f; break;                                   /* ñ */
    case 0xDF: s[L_DE] += 1.0f; break;                                   /* ß */
    case 0xE4: s[L_DE] += 0.7f; break;                                   /* ä */
    case 0xF6: case 0xFC: s[L_DE] += 0.5f; s[L_TR] += 0.4f; break;       /* ö ü */
    case 0x153: s[L_FR] += 1.0f; break;                                  /* œ */
    case 0xE8: s[L_FR] += 0.5f; s[L_IT] += 0.4f; break;                  /* è */
    case 0xE0: s[L_FR] += 0.3f; s[L_PT] += 0.2f; s[L_IT] += 0.3f; break; /* à */
    case 0xF9: s[L_FR] += 0.4f; s[L_IT] += 0.3f; break;                  /* ù */
    case 0xEE: case 0xEF: case 0xEB: case 0xFB: s[L_FR] += 0.5f; break;  /* î ï ë û */
    case 0xEC: case 0xF2: s[L_IT] += 0.7f; break;                        /* ì ò */
    case 0x15F: case 0x11F: case 0x131: s[L_TR] += 1.0f; break;          /* ş ğ ı */
    case 0x456: case 0x457: case 0x454: case 0x491: s[L_UK] += 1.0f; break; /* і ї є ґ */
    case 0x44B: case 0x44D: case 0x44A: case 0x451: s[L_RU] += 1.0f; break; /* ы э ъ ё */
    case 0x67E: case 0x686: case 0x698: case 0x6AF: case 0x6CC: case 0x6A9:  /* پ چ ژ گ ی ک */
        s[L_FA] += 1.0f;
        break;
    case 0x629: case 0x64A: case 0x649: case 0x643: s[L_AR] += 1.0f; break; /* ة ي ى ك */
    case 0x679: case 0x688: case 0x691: case 0x6BA: case 0x6D2: case 0x6BE:  /* Urdu: ٹ ڈ ڑ ں ے ھ */
        (*urdu)++;
        break;
    default: break;
    }
}

/*
 * Evidence from a word's ending (n >= 1). At most one of the endings can match a given last byte
 * (ção and ão score alike), so dispatching on it gives the result of trying them all in turn.
 */
static void suffix_evidence(float *s, const char *w, size_t n)
{
#define ENDS(lit) (n > sizeof(lit) - 1 + 1 && memcmp(w + n - (sizeof(lit) - 1), lit, sizeof(lit) - 1) == 0)
    switch (w[n - 1]) {
    case 'o':
        if (ENDS("ção") || ENDS("ão")) {
            s[L_PT] += 1.0f;
        } else if (ENDS("mento")) {
            s[L_PT] += 0.4f; /* Spanish has -miento */
            s[L_IT] += 0.4f;
        }
        break;
    case 's':
        if (ENDS("ções") || ENDS("ões")) {
            s[L_PT] += 1.0f;
        } else if (ENDS("ciones")) {
            s[L_ES] += 0.6f;
        } else if (ENDS("mentos")) {
            s[L_PT] += 0.4f;
            s[L_IT] += 0.4f;
        }
        break;
    case 'n':
        if (ENDS("ción"))
            s[L_ES] += 0.6f;
        else if (ENDS("ungen"))
            s[L_DE] += 0.8f;
        break;
    case 'd':
        if (ENDS("dad"))
            s[L_ES] += 0.6f;
        else if (ENDS("heid"))
            s[L_NL] += 0.8f;
        else if (ENDS("ed"))
            s[L_EN] += 0.4f;
        break;
    case 'e':
        if (ENDS("mente"))
            s[L_ES] += 0.6f;
        else if (ENDS("zione"))
            s[L_IT] += 0.6f;
        break;
    case 'g':
        if (ENDS("ung"))
            s[L_DE] += 0.8f;
        else if (ENDS("ing"))
            s[L_EN] += 0.4f;
        break;
    case 't':
        if (ENDS("keit"))
            s[L_DE] += 0.8f;
        break;
    case 'h':
        if (ENDS("lich") || ENDS("sch"))
            s[L_DE] += 0.8f;
        break;
    case 'i':
        if (ENDS("zioni"))
            s[L_IT] += 0.6f;
        break;
    case 'k':
        if (ENDS("lijk"))
            s[L_NL] += 0.8f;
        break;
    case 'y':
        if (ENDS("ly"))
            s[L_EN] += 0.4f;
        break;
    case 'a':
        if (ENDS("nya"))
            s[L_ID] += 0.6f;
        break;
    default:
        break;
    }
    /* Portuguese nh / lh (minha, trabalha) against Spanish ñ / ll */
    for (size_t i = 0; i + 1 < n; i++)
        if ((w[i] == 'n' || w[i] == 'l') && w[i + 1] == 'h')
            s[L_PT] += 0.5f;
        else if (w[i] == 't' && w[i + 1] == 'h')
            s[L_EN] += 0.3f;
        else if ((w[i + 1] == 'e' && (w[i] == 'u' || w[i] == 'i')) && (i == 0 || (w[i - 1] != 'q' && w[i - 1] != 'g')))
            s[L_ES] += 0.3f; /* diphthongs of puede, tiene, nuevo, bien */
    /* final -m after a vowel: em, um, tem, também, defendem */
    if (n >= 2 && w[n - 1] == 'm' && strchr("aeiou", w[n - 2]) != NULL)
        s[L_PT] += 0.4f;
#undef ENDS
}

/* ---- the pass ----------------------------------------------------------------------------------- */

typedef struct pass {
    cred_lang_ev *ev;     /* al_words: Arabic-script words starting with ال */
    const uint16_t *masks; /* g_masks[K_RAW or K_NORM] */
    const float *weight;
    char key[WORD_MAX];
    size_t kl;
    bool too_long;
    bool arabic_word;
} pass;

static void word_end(pass *p)
{
    if (p->kl > 0 && !p->too_long) {
        long slot = lookup(p->key, p->kl);
        if (slot >= 0) {
            float w = p->weight[slot];
            for (unsigned m = p->masks[slot]; m; m &= m - 1)
                p->ev->score[__builtin_ctz(m)] += w;
        }
        if (p->arabic_word) {
            if (p->kl > 6 && memcmp(p->key, "\xD8\xA7\xD9\x84", 4) == 0) /* ال + at least 2 more */
                p->ev->al_words++;
        } else {
            suffix_evidence(p->ev->score, p->key, p->kl);
        }
    }
    p->kl = 0;
    p->too_long = false;
    p->arabic_word = false;
}

static inline void word_add(pass *p, int32_t kcp)
{
    if (p->kl + 4 >= sizeof(p->key)) {
        p->too_long = true;
        return;
    }
    if (kcp < 0x80)
        p->key[p->kl++] = (char)kcp;
    else
        p->kl += (size_t)cred_utf8_encode(kcp, p->key + p->kl);
}

static bool is_letter_cat(utf8proc_category_t c)
{
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

static bool is_mark_cat(utf8proc_category_t c)
{
    return c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME;
}

static void run_pass(pass *p, const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
                /* "www." and "scheme://" start a URL: skip it to the next space */
                if ((c | 0x20) == 'w' && p->kl == 0 && i + 4 <= n && (s[i + 1] | 0x20) == 'w' &&
                    (s[i + 2] | 0x20) == 'w' && s[i + 3] == '.') {
                    while (i < n && s[i] > 0x20)
                        i++;
                    continue;
                }
                p->ev->script[S_LATIN]++;
                p->ev->letters++;
                word_add(p, (int32_t)(c | 0x20));
            } else if (c == ':' && i + 2 < n && s[i + 1] == '/' && s[i + 2] == '/') {
                /* the scheme letters were counted; drop the word and skip the rest */
                p->kl = 0;
                while (i < n && s[i] > 0x20)
                    i++;
                continue;
            } else if (c == '\'' && p->kl > 0) {
                word_end(p); /* elision: l'eau, c'est, dell'anno */
            } else {
                word_end(p);
            }
            i++;
            continue;
        }
        int32_t cp;
        int k = cred_text__utf8_decode(s + i, n - i, &cp);
        i += (size_t)k;
        if (cp < 0) {
            word_end(p);
            continue;
        }
        if (cp == 0xBF || cp == 0xA1) /* ¿ ¡ */
            p->ev->score[L_ES] += 1.0f;
        if (cp < CPINFO_END) { /* the same steps as below, from the table */
            const cpinfo *ci = &g_cp[cp];
            if (ci->kind == K_LETTER) {
                p->ev->script[ci->script]++;
                p->ev->letters++;
                letter_evidence(p->ev->score, ci->lower, &p->ev->urdu);
                if (ci->script == S_ARABIC)
                    p->arabic_word = true;
                if (ci->key >= 0)
                    word_add(p, ci->key);
            } else if (ci->kind == K_OTHER) {
                word_end(p);
            }
            continue;
        }
        utf8proc_category_t cat = utf8proc_category(cp);
        if (is_letter_cat(cat)) {
            int sc = script_of(cp);
            p->ev->script[sc]++;
            p->ev->letters++;
            int32_t kc = key_cp(cp);
            letter_evidence(p->ev->score, cp < 0x600 ? utf8proc_tolower(cp) : cp, &p->ev->urdu);
            if (sc == S_ARABIC)
                p->arabic_word = true;
            if (kc >= 0)
                word_add(p, kc);
        } else if (is_mark_cat(cat) || cp == 0x640) {
            /* harakat, combining accents, tatweel: inside the word, not part of its key */
        } else {
            word_end(p); /* spaces, punctuation, digits, ZWNJ (Persian می‌شود → می + شود) */
        }
    }
    word_end(p);
}

/* Best and runner-up among languages [lo, hi]. */
static int pick(const float *sc, int lo, int hi, float *best, float *second)
{
    int b = -1;
    *best = 0.0f;
    *second = 0.0f;
    for (int l = lo; l <= hi; l++) {
        float v = sc[l];
        if (v > *best) {
            *second = *best;
            *best = v;
            b = l;
        } else if (v > *second) {
            *second = v;
        }
    }
    return b;
}

static void pass_init(pass *p, cred_lang_ev *ev, int set)
{
    p->ev = ev;
    p->masks = g_masks[set];
    p->weight = g_weight[set];
    p->kl = 0;
    p->too_long = false;
    p->arabic_word = false;
}

const char *cred_lang_detect(const char *text, size_t len, float *confidence)
{
    pass p;
    cred_lang_ev ev;
    if (confidence)
        *confidence = 0.0f;
    if (text == NULL || len == 0)
        return "und";
    pthread_once(&g_once, table_init);

    size_t n = len;
    if (n > LANG_SCAN_BYTES) {
        n = LANG_SCAN_BYTES;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--; /* stop on a character boundary */
    }
    memset(&ev, 0, sizeof(ev));
    pass_init(&p, &ev, K_RAW);
    run_pass(&p, (const unsigned char *)text, n);
    return cred_text__lang_decide(&ev, confidence);
}

void cred_text__lang_eval(cred_lang_ev *ev, const char *s, size_t n)
{
    pass p;
    pthread_once(&g_once, table_init);
    pass_init(&p, ev, K_NORM);
    run_pass(&p, (const unsigned char *)s, n);
}

int cred_text__lang_word(cred_lang_wev *out, cred_arena *arena, const char *w, size_t n)
{
    cred_lang_ev ev;
    memset(&ev, 0, sizeof(ev));
    cred_text__lang_eval(&ev, w, n);
    memset(out, 0, sizeof(*out));
    int top = 0;
    for (int sc = 1; sc < S_COUNT; sc++)
        if (ev.script[sc] > ev.script[top])
            top = sc;
    bool compact = ev.al_words <= UINT8_MAX && ev.urdu == 0 && ev.script[top] == ev.letters && ev.letters <= UINT16_MAX;
    for (int l = 0; l < L_COUNT && compact; l++) {
        if (ev.score[l] == 0.0f)
            continue;
        if (out->n == CRED_LANG_WEV_SCORES) {
            compact = false;
        } else {
            out->lang[out->n] = (uint8_t)l;
            out->score[out->n++] = ev.score[l];
        }
    }
    out->letters = (uint16_t)ev.letters;
    out->script = (uint8_t)top;
    out->al_words = (uint8_t)ev.al_words;
    if (!compact) {
        memset(out, 0, sizeof(*out));
        cred_lang_ev *f = cred_arena_alloc(arena, sizeof(*f));
        if (!f)
            return CRED_ENOMEM;
        *f = ev;
        out->full = f;
    }
    return 0;
}

void cred_text__lang_raw_letters(cred_lang_ev *ev, const uint32_t counts[CRED_LANGCP_N])
{
    /* as letter_evidence() and run_pass() score them in raw text; the normalised text has ی ک
       (scored Persian by the word reading) where the raw text had ي ى ك, and ه for ة */
    ev->score[L_ES] += 1.0f * (float)counts[CRED_LANGCP_INVERTED];
    ev->score[L_DE] += 1.0f * (float)counts[CRED_LANGCP_SHARP_S];
    ev->score[L_FA] -= 1.0f * (float)counts[CRED_LANGCP_AR_YEH_KAF];
    ev->score[L_AR] += 1.0f * (float)(counts[CRED_LANGCP_AR_YEH_KAF] + counts[CRED_LANGCP_TEH_MARBUTA]);
}

const char *cred_text__lang_decide(const cred_lang_ev *ev, float *confidence)
{
    if (confidence)
        *confidence = 0.0f;
    if (ev->letters < 3)
        return "und";
    int top = 0;
    for (int s = 1; s < S_COUNT; s++)
        if (ev->script[s] > ev->script[top])
            top = s;
    float share = (float)ev->script[top] / (float)ev->letters;
    if (top == S_OTHER || share < 0.5f)
        return "und";
    const char *single = NULL;
    switch (top) {
    case S_HEBREW: single = "he"; break;
    case S_GREEK: single = "el"; break;
    case S_DEVANAGARI: single = "hi"; break;
    case S_THAI: single = "th"; break;
    case S_HANGUL: single = "ko"; break;
    case S_KANA: single = "ja"; break;
    case S_HAN:
        /* Japanese mixes kana into Han text; Chinese has none */
        single = ev->script[S_KANA] * 10 >= ev->script[S_HAN] ? "ja" : "zh";
        break;
    default: break;
    }
    if (single) {
        if (ev->script[top] < 3 && top != S_HAN)
            return "und";
        if (confidence)
            *confidence = share;
        return single;
    }

    int lo, hi;
    float min_score;
    float sc[L_COUNT];
    memcpy(sc, ev->score, sizeof(sc));
    if (top == S_LATIN) {
        lo = L_EN, hi = L_LATIN_LAST, min_score = 2.5f;
    } else if (top == S_CYRILLIC) {
        lo = L_RU, hi = L_UK, min_score = 3.0f;
    } else {
        if (ev->urdu * 20 > ev->script[S_ARABIC])
            return "und"; /* Urdu (or another Arabic-script language we do not profile) */
        sc[L_AR] += 0.5f * (float)ev->al_words;
        lo = L_FA, hi = L_AR, min_score = 3.0f;
    }
    float best, second;
    int b = pick(sc, lo, hi, &best, &second);
    if (b < 0 || best < min_score)
        return "und";
    float margin = (best - second) / best;
    if (margin < 0.3f)
        return "und";
    if (confidence) {
        float strength = best / (3.0f * min_score);
        float c = share * (0.5f + 0.5f * (strength > 1.0f ? 1.0f : strength)) * (margin > 0.5f ? 1.0f : 2.0f * margin);
        *confidence = c > 1.0f ? 1.0f : c;
    }
    return lang_code[b];
}
