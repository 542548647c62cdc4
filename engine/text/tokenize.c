/*
 * Tokens and sentences of normalised text, in one left-to-right pass.
 *
 * At each position the first reading that applies wins, in this order: e-mail, URL
 * (cred_text__url_len), keycap emoji, number (with decimals, thousands, % and attached units), word
 * (letters of any script with marks and digits, inner apostrophes and hyphens), @mention, #hashtag,
 * emoji. Sentences end at every newline and after a run of . ! ? … ؟ ۔ 。 followed by space, end or
 * a closing quote/bracket (。 needs nothing after it), unless the run is a single dot after an
 * abbreviation. Terminators inside tokens (3.5, URLs, e-mails) never end a sentence because tokens
 * are consumed whole.
 */
#include "text/pipeline.h"

#define IS_DIGIT(c) ((unsigned)(c) - '0' < 10u)
#define IS_ALNUM(c) (IS_DIGIT(c) || (unsigned)((c) | 0x20) - 'a' < 26u)

/* Bytes that are ASCII letters (1) or digits (3); 0 for every other byte, NUL included. */
static const uint8_t ALNUM[256] = {
    ['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3, ['6'] = 3, ['7'] = 3, ['8'] = 3, ['9'] = 3,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

typedef struct scan {
    cred_norm *n;
    const unsigned char *s;
    size_t len;
} scan;

/* Class of the code point at i; *cp and *k receive it and its length. */
static inline uint8_t cls_at(const scan *sc, size_t i, int32_t *cp, int *k)
{
    unsigned c = sc->s[i];
    if (c < 0x80) {
        *cp = (int32_t)c;
        *k = 1;
        return cred_text__ascii_cls[c];
    }
    *k = cred_text__utf8_decode(sc->s + i, sc->len - i, cp);
    if (*cp < 0)
        return CRED_CLS_OTHER;
    return cred_text__cpinfo_fast(sc->n, *cp)->cls;
}

static inline int is_wordy(uint8_t cls)
{
    return cls == CRED_CLS_LETTER || cls == CRED_CLS_MARK || cls == CRED_CLS_DIGIT;
}

/*
 * A word at i: letters, marks and digits, with inner ' - · before a letter (or a digit after '-').
 * s[i..j) is already known to be ASCII letters and digits (j == i when nothing is known). *digit
 * receives 2 when an ASCII digit follows j in the word (unchanged otherwise).
 */
static size_t word_len(const scan *sc, size_t i, size_t j, unsigned *digit)
{
    while (j < sc->len) {
        unsigned a = ALNUM[sc->s[j]];
        if (a) { /* fast path: ASCII letters and digits */
            *digit |= a & 2;
            j++;
            continue;
        }
        int32_t cp;
        int k;
        uint8_t c = cls_at(sc, j, &cp, &k);
        if (is_wordy(c)) {
            j += (size_t)k;
            continue;
        }
        if (j > i && (cp == '\'' || cp == '-' || cp == 0xB7) && j + (size_t)k < sc->len) {
            int32_t cp2;
            int k2;
            uint8_t c2 = cls_at(sc, j + (size_t)k, &cp2, &k2);
            if (c2 == CRED_CLS_LETTER || (cp == '-' && c2 == CRED_CLS_DIGIT)) {
                *digit |= IS_DIGIT(cp2) ? 2u : 0u;
                j += (size_t)(k + k2);
                continue;
            }
        }
        break;
    }
    return j - i;
}

#define W(s) {s, sizeof(s) - 1}
typedef struct word_ent {
    const char *s;
    size_t n;
} word_ent;

static const word_ent UNITS[] = {
    W("mg"), W("g"), W("kg"), W("mcg"), W("\xCE\xBCg"), W("ug"), W("ml"), W("l"), W("dl"), W("cl"), W("iu"),
    W("ui"), W("km"), W("m"), W("cm"), W("mm"), W("nm"), W("h"), W("hr"), W("hrs"), W("min"), W("s"), W("ms"),
    W("x"), W("k"), W("mil"), W("mi"), W("bi"), W("\xC2\xB0"), W("\xC2\xB0" "c"), W("\xC2\xB0" "f"), W("mmhg"),
    W("kcal"), W("cal"), W("lb"), W("lbs"), W("oz"), W("kb"), W("mb"), W("gb"), W("tb"), W("st"), W("nd"),
    W("rd"), W("th"), W("o"), W("a"), W("am"), W("pm"), W("ppm"), W("mmol"), W("kwh"), W("kw"), W("w"), W("v"),
    W("mah"), W("kmh"), W("mph"), W("t"), W("ha"),
};

static int in_list(const word_ent *list, size_t n, const unsigned char *w, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].n == len && list[i].s[0] == (char)w[0] && memcmp(list[i].s, w, len) == 0)
            return 1;
    return 0;
}

/* Length of a known unit at s[i..] followed by a non-word character, or 0. */
static size_t unit_len(const scan *sc, size_t i)
{
    size_t j = i;
    while (j < sc->len && j - i < 6) {
        unsigned c = sc->s[j];
        if ((unsigned)(c - 'a') < 26u)
            j++;
        else if (c == 0xC2 && j + 1 < sc->len && sc->s[j + 1] == 0xB0 && j == i)
            j += 2; /* ° */
        else if (c == 0xCE && j + 1 < sc->len && sc->s[j + 1] == 0xBC && j == i)
            j += 2; /* μ */
        else
            break;
    }
    if (j == i)
        return 0;
    if (j < sc->len) {
        int32_t cp;
        int k;
        if (is_wordy(cls_at(sc, j, &cp, &k)))
            return 0;
    }
    return in_list(UNITS, CRED_ARRAY_LEN(UNITS), sc->s + i, j - i) ? j - i : 0;
}

/*
 * A number at i (an ASCII digit): 1,000.50 / 3,5 / 12% / 500mg. Returns 0 when the digits run
 * straight into letters that are no unit (then the caller reads a word, e.g. "4chan").
 */
static size_t number_len(const scan *sc, size_t i)
{
    const unsigned char *s = sc->s;
    size_t j = i, len = sc->len;
    int seps = 0;
    while (j < len && IS_DIGIT(s[j]))
        j++;
    while (j + 1 < len && (s[j] == '.' || s[j] == ',') && IS_DIGIT(s[j + 1])) {
        j++;
        while (j < len && IS_DIGIT(s[j]))
            j++;
        seps++;
    }
    if (j < len && s[j] == '%')
        return j + 1 - i;
    size_t u = unit_len(sc, j);
    if (u)
        return j + u - i;
    if (!seps && j < len) {
        int32_t cp;
        int k;
        uint8_t c = cls_at(sc, j, &cp, &k);
        if (c == CRED_CLS_LETTER || c == CRED_CLS_MARK)
            return 0;
    }
    return j - i;
}

/* An e-mail address at i: local@label.label(.label)*, ASCII. */
static size_t email_len(const scan *sc, size_t i)
{
    const unsigned char *s = sc->s;
    size_t j = i, len = sc->len;
    while (j < len && (IS_ALNUM(s[j]) || s[j] == '.' || s[j] == '_' || s[j] == '%' || s[j] == '+' || s[j] == '-'))
        j++;
    if (j == i || j + 1 >= len || s[j] != '@' || s[j - 1] == '.')
        return 0;
    size_t d = j + 1, labels = 0, last = d;
    for (;;) {
        size_t ls = d;
        while (d < len && (IS_ALNUM(s[d]) || s[d] == '-'))
            d++;
        if (d == ls)
            return 0;
        labels++;
        last = ls;
        if (d + 1 < len && s[d] == '.' && IS_ALNUM(s[d + 1]))
            d++;
        else
            break;
    }
    if (labels < 2 || d - last < 2)
        return 0;
    for (size_t x = last; x < d; x++)
        if (!IS_DIGIT(s[x]))
            return d - i;
    return 0;
}

/* Name after @ or # at i: letters, marks, digits, '_' and inner '.' (mentions). 0 when empty. */
static size_t tag_len(const scan *sc, size_t i, int dots, int need_letter)
{
    size_t j = i + 1;
    int letter = 0;
    while (j < sc->len) {
        int32_t cp;
        int k;
        uint8_t c = cls_at(sc, j, &cp, &k);
        if (is_wordy(c) || cp == '_') {
            letter |= c == CRED_CLS_LETTER || cp == '_';
            j += (size_t)k;
        } else if (dots && cp == '.' && j + 1 < sc->len && (IS_ALNUM(sc->s[j + 1]) || sc->s[j + 1] == '_')) {
            j++;
        } else {
            break;
        }
    }
    if (j == i + 1 || (need_letter && !letter))
        return 0;
    return j - i;
}

/* One emoji at i (class EMOJI, EMOJI_MOD or REGIONAL) with its modifiers; a flag is a pair. */
static size_t emoji_len(const scan *sc, size_t i, uint8_t cls, int k)
{
    size_t j = i + (size_t)k;
    int32_t cp;
    int k2;
    if (cls == CRED_CLS_REGIONAL) {
        if (j < sc->len && cls_at(sc, j, &cp, &k2) == CRED_CLS_REGIONAL)
            j += (size_t)k2;
        return j - i;
    }
    while (j < sc->len) {
        uint8_t c = cls_at(sc, j, &cp, &k2);
        if (c != CRED_CLS_EMOJI_MOD && cp != 0x20E3)
            break;
        j += (size_t)k2;
    }
    return j - i;
}

static int is_keycap(const scan *sc, size_t i)
{
    return i + 3 < sc->len && sc->s[i + 1] == 0xE2 && sc->s[i + 2] == 0x83 && sc->s[i + 3] == 0xA3;
}

/* Abbreviations that never end a sentence, and those that do not before a digit ("No. 5"). */
static const word_ent ABBREV[] = {
    W("dr"), W("mr"), W("mrs"), W("ms"), W("prof"), W("profa"), W("sr"), W("sra"), W("srta"), W("dra"), W("jr"),
    W("st"), W("vs"), W("etc"), W("approx"), W("dept"), W("inc"), W("ltd"), W("co"), W("corp"), W("gen"), W("gov"),
    W("sen"), W("rep"), W("av"), W("eng"), W("lic"), W("ing"), W("arq"), W("sto"), W("sta"), W("cf"), W("aprox"),
    W("ex"), W("obs"), W("ibid"), W("esq"), W("capt"), W("col"), W("lt"), W("sgt"), W("rev"), W("hon"), W("exmo"),
    W("exma"),
};
static const word_ent ABBREV_NUM[] = {
    W("no"), W("n"), W("nr"), W("nos"), W("fig"), W("figs"), W("p"), W("pp"), W("pag"), W("p\xC3\xA1g"), W("vol"),
    W("cap"), W("art"), W("tel"), W("ed"), W("jan"), W("feb"), W("fev"), W("mar"), W("apr"), W("abr"), W("jun"),
    W("jul"), W("aug"), W("ago"), W("sep"), W("set"), W("sept"), W("oct"), W("out"), W("nov"), W("dec"), W("dez"),
    W("dic"), W("ene"),
};

/* Is the '.' at `dot` (right after word token t) the dot of an abbreviation? */
static int is_abbrev(const scan *sc, const cred_token *t, size_t dot)
{
    const unsigned char *w = sc->s + t->start;
    if (t->len > 6)
        return 0;
    if (in_list(ABBREV, CRED_ARRAY_LEN(ABBREV), w, t->len))
        return 1;
    /* a single letter after another dot: e.g. i.e. U.S. */
    int32_t cp;
    int k = cred_text__utf8_decode(w, t->len, &cp);
    if ((uint32_t)k == t->len && t->start > 0 && sc->s[t->start - 1] == '.')
        return 1;
    if (in_list(ABBREV_NUM, CRED_ARRAY_LEN(ABBREV_NUM), w, t->len)) {
        size_t j = dot + 1;
        while (j < sc->len && sc->s[j] == ' ')
            j++;
        return j < sc->len && IS_DIGIT(sc->s[j]);
    }
    return 0;
}

/*
 * UPPER / TITLE flags from the raw characters of a token. The first lower-case letter settles both
 * (no UPPER; TITLE when an upper-case letter came first), so most words are decided by their first
 * one or two letters.
 */
static uint8_t case_flags(cred_norm *n, const unsigned char *raw, size_t rs, size_t re)
{
    int upper = 0, first = -1;
    for (size_t i = rs; i < re;) {
        unsigned c = raw[i];
        if (c < 0x80) {
            if (c - 'A' < 26u) {
                upper++;
                first = first < 0 ? 1 : first;
            } else if (c - 'a' < 26u) {
                return first == 1 ? CRED_TOKF_TITLE : 0;
            }
            i++;
            continue;
        }
        int32_t cp;
        int k = cred_text__utf8_decode(raw + i, re - i, &cp);
        i += (size_t)k;
        if (cp < 0)
            continue;
        const cred_cpinfo *ci = cred_text__cpinfo_fast(n, cp);
        if (ci->flags & CRED_CPF_UPPER) {
            upper++;
            first = first < 0 ? 1 : first;
        } else if (ci->flags & CRED_CPF_LOWER) {
            return first == 1 ? CRED_TOKF_TITLE : 0;
        } else if (ci->cls == CRED_CLS_LETTER && first < 0) {
            first = 0;
        }
    }
    return (uint8_t)((upper >= 2 ? CRED_TOKF_UPPER : 0) | (first == 1 ? CRED_TOKF_TITLE : 0)); /* no lower */
}

/*
 * Can a URL start at i, where s[i..run) are ASCII letters and digits? A cheap necessary condition for
 * cred_text__url_len(): a scheme (h..., f...) goes on with ':' '[' '(' '*'; without one, a URL needs a
 * second host label, so the first (letters, digits, - _, non-ASCII) must end at a dot separator
 * ('.' before a label character, or "[.]" "(.)" "{.}" "[dot]" "(dot)").
 */
static inline int url_possible(const unsigned char *s, size_t i, size_t run)
{
    unsigned c = s[run], f = s[i] | 0x20u;
    if ((f == 'h' || f == 'f') && (c == ':' || c == '[' || c == '(' || c == '*'))
        return 1;
    size_t q = run; /* s[len] is the NUL that ends the norm */
    while (ALNUM[s[q]] || s[q] >= 0x80 || s[q] == '-' || s[q] == '_')
        q++;
    c = s[q];
    return (c == '.' && (ALNUM[s[q + 1]] || s[q + 1] >= 0x80)) || c == '[' || c == '(' || c == '{';
}

static int push_sentence(cred_tok_out *o, size_t start, size_t end)
{
    if (o->n_sents == o->cap_sents && CRED_GROW(o->sents, o->cap_sents, o->n_sents + 1) < 0)
        return CRED_ENOMEM;
    o->sents[o->n_sents++] = (cred_span){(uint32_t)start, (uint32_t)end};
    return 0;
}

int cred_text__tokenise(cred_tok_out *o, cred_norm *n, const char *raw, size_t raw_len)
{
    scan sc = {n, (const unsigned char *)n->out.ptr, n->out.len};
    const unsigned char *s = sc.s;
    const unsigned char *r = (const unsigned char *)raw;
    size_t len = sc.len, i = 0;
    size_t sent_start = SIZE_MAX, sent_end = 0;
    int rc = 0;

    o->n_tokens = 0;
    o->n_sents = 0;
    while (i < len) {
        int32_t cp;
        int k;
        uint8_t cls = cls_at(&sc, i, &cp, &k);
        if (cls == CRED_CLS_SPACE) {
            i += (size_t)k;
            continue;
        }
        if (cls == CRED_CLS_NEWLINE) {
            if (sent_start != SIZE_MAX)
                CRED_TRY(push_sentence(o, sent_start, sent_end));
            sent_start = SIZE_MAX;
            i += (size_t)k;
            continue;
        }
        if (sent_start == SIZE_MAX)
            sent_start = i;

        size_t tl = 0;
        uint8_t kind = 0;
        size_t run = i; /* end of the run of ASCII letters and digits at i */
        unsigned run_digit = 0;
        if (cls == CRED_CLS_LETTER || cls == CRED_CLS_DIGIT || cls == CRED_CLS_MARK) {
            if (cp < 0x80) {
                unsigned a;
                while ((a = ALNUM[s[run]]) != 0) { /* s[len] is the NUL that ends the norm */
                    run_digit |= a;
                    run++;
                }
                run_digit &= 2;
                /* What follows the run rules out most readings at once: an e-mail address needs
                   [._%+-]* then '@'; a URL needs a scheme separator (: [:] (:)), h**p, a dot before
                   another label (. [.] (.) {.}) or a host label going on (- _ or a non-ASCII letter). */
                unsigned c = run < len ? s[run] : 0;
                if ((c == '@' || c == '.' || c == '_' || c == '%' || c == '+' || c == '-') &&
                    (tl = email_len(&sc, i)) != 0)
                    kind = CRED_TOK_EMAIL;
                else if (((c == '.' && (ALNUM[s[run + 1]] || s[run + 1] >= 0x80)) || c == ':' || c == '[' ||
                          c == '(' || c == '{' || c == '*' || c == '-' || c == '_' || c >= 0x80) &&
                         url_possible(s, i, run) && (tl = cred_text__url_len((const char *)s, len, i)) != 0)
                    kind = CRED_TOK_URL;
            }
            if (!tl && cls == CRED_CLS_DIGIT && cp < 0x80) {
                if (is_keycap(&sc, i)) {
                    tl = 4;
                    kind = CRED_TOK_EMOJI;
                } else if ((tl = number_len(&sc, i)) != 0) {
                    kind = CRED_TOK_NUMBER;
                }
            }
            if (!tl) {
                tl = word_len(&sc, i, run, &run_digit);
                kind = CRED_TOK_WORD;
            }
        } else if (cp == '@' || cp == '#') {
            if ((cp == '#' && is_keycap(&sc, i))) {
                tl = 4;
                kind = CRED_TOK_EMOJI;
            } else if (i == 0 || !IS_ALNUM(s[i - 1])) {
                tl = tag_len(&sc, i, cp == '@', cp == '#');
                kind = cp == '@' ? CRED_TOK_MENTION : CRED_TOK_HASHTAG;
            }
        } else if (cp == '*' && is_keycap(&sc, i)) {
            tl = 4;
            kind = CRED_TOK_EMOJI;
        } else if (cls == CRED_CLS_EMOJI || cls == CRED_CLS_EMOJI_MOD || cls == CRED_CLS_REGIONAL) {
            tl = emoji_len(&sc, i, cls, k);
            kind = CRED_TOK_EMOJI;
        } else if (cp == '.' || cp == '!' || cp == '?' || cls == CRED_CLS_TERM) {
            size_t j = i;
            int cjk = 0; /* 。 needs no space after it */
            while (j < len) {
                int32_t c2;
                int k2;
                uint8_t cl2 = cls_at(&sc, j, &c2, &k2);
                if (c2 != '.' && c2 != '!' && c2 != '?' && cl2 != CRED_CLS_TERM)
                    break;
                cjk |= c2 == 0x3002 || c2 == 0xFF61;
                j += (size_t)k2;
            }
            size_t q = j;
            int32_t c3 = 0;
            int k3 = 0;
            uint8_t cl3 = CRED_CLS_SPACE;
            while (q < len && (cl3 = cls_at(&sc, q, &c3, &k3)) == CRED_CLS_CLOSE)
                q += (size_t)k3;
            int boundary = cjk || q == len || cl3 == CRED_CLS_SPACE || cl3 == CRED_CLS_NEWLINE;
            if (boundary && j == i + 1 && cp == '.' && o->n_tokens) {
                const cred_token *t = &o->tokens[o->n_tokens - 1];
                if (t->start + t->len == i && t->kind == CRED_TOK_WORD && is_abbrev(&sc, t, i))
                    boundary = 0;
            }
            sent_end = q;
            i = q;
            if (boundary) {
                CRED_TRY(push_sentence(o, sent_start, sent_end));
                sent_start = SIZE_MAX;
            }
            continue;
        }
        if (!tl) {
            i += (size_t)k;
            sent_end = i;
            continue;
        }
        if (o->n_tokens >= CRED_LIMIT_TOKENS_PER_POST) {
            sent_end = i;
            break;
        }
        if (o->n_tokens == o->cap_tokens && CRED_GROW(o->tokens, o->cap_tokens, o->n_tokens + 1) < 0) {
            rc = CRED_ENOMEM;
            goto done;
        }
        cred_token *t = &o->tokens[o->n_tokens++];
        memset(t, 0, sizeof *t);
        t->start = (uint32_t)i;
        t->len = (uint32_t)tl;
        t->kind = kind;
        t->sentence = (uint32_t)o->n_sents;
        if (run == i + tl || kind == CRED_TOK_NUMBER || kind == CRED_TOK_WORD) {
            /* the run was the token, or word_len() added the digits after the run; a number starts
               with a digit */
            if (run_digit || kind == CRED_TOK_NUMBER)
                t->flags |= CRED_TOKF_DIGIT;
        } else {
            for (size_t x = i; x < i + tl; x++)
                if (IS_DIGIT(s[x])) {
                    t->flags |= CRED_TOKF_DIGIT;
                    break;
                }
        }
        if (kind == CRED_TOK_WORD || kind == CRED_TOK_MENTION || kind == CRED_TOK_HASHTAG) {
            size_t rs = i, re = i + tl; /* no map entry: norm is raw byte for byte (len <= raw_len) */
            if (n->map_len) {
                rs = cred_text__map_start(n->map, n->map_len, len, raw_len, i);
                re = cred_text__map_end(n->map, n->map_len, len, raw_len, i + tl);
            }
            t->flags |= case_flags(n, r, rs, re);
        }
        i += tl;
        sent_end = i;
    }
    if (sent_start != SIZE_MAX)
        CRED_TRY(push_sentence(o, sent_start, sent_end));
done:
    return rc < 0 ? cred__error_nomem() : 0;
}
