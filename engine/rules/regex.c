/*
 * Regex text helpers: the regex of a word list, and the heuristics behind the lint warnings
 * (required literal length, nested unbounded quantifiers, upper-case literals on folded targets).
 * The heuristics read PCRE2 syntax approximately; PCRE2 itself decides what is valid.
 */
#include "rules/rules_int.h"

#include <stdlib.h>

static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

/* Length of the UTF-8 character that starts with byte c (1 for stray bytes). */
static size_t utf8_len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/*
 * Whether the character at s (of at most n bytes) is a word character for PCRE2's \b in UCP mode,
 * decided by PCRE2 itself (`re` is an anchored `\w`), so list boundaries follow the text's \b exactly.
 * Emoji and punctuation are not word characters: an entry starting or ending with them gets no \b.
 */
static bool word_char(pcre2_code *re, pcre2_match_data *md, const unsigned char *s, size_t n)
{
    if (!re || !md)
        return word_byte(s[0]);
    return pcre2_match(re, (PCRE2_SPTR)s, CRED_MIN(n, utf8_len(s[0])), 0, 0, md, NULL) >= 0;
}

static int cmp_len_desc(const void *a, const void *b)
{
    size_t x = strlen(*(const char *const *)a), y = strlen(*(const char *const *)b);
    if (x != y)
        return x < y ? 1 : -1;
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * (?:\bone\b|\btwo words\b|...) with the longest entries first, so that at one starting position
 * the longest entry wins (leftmost-longest, the same in PCRE2 and in the prefilter).
 */
char *rx__list_regex(cred_arena *a, const char *const *entries, size_t n, size_t *len_out)
{
    const char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (entries[i] && entries[i][0])
            sorted[k++] = entries[i];
    qsort(sorted, k, sizeof *sorted, cmp_len_desc);
    int err;
    PCRE2_SIZE eoff;
    pcre2_code *wre = pcre2_compile((PCRE2_SPTR) "\\w", 2, PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED | PCRE2_MATCH_INVALID_UTF,
                                    &err, &eoff, NULL);
    pcre2_match_data *wmd = wre ? pcre2_match_data_create_from_pattern(wre, NULL) : NULL;
    cred_buf b = CRED_BUF_INIT;
    char *out = NULL;
    int rc = cred_buf_puts(&b, "(?:");
    size_t emitted = 0;
    for (size_t i = 0; i < k && rc == 0; i++) {
        if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
            continue;
        const unsigned char *s = (const unsigned char *)sorted[i];
        size_t len = strlen(sorted[i]);
        if (emitted++)
            rc |= cred_buf_putc(&b, '|');
        if (word_char(wre, wmd, s, len))
            rc |= cred_buf_puts(&b, "\\b");
        for (size_t j = 0; j < len; j++) {
            unsigned char c = s[j];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                while (j + 1 < len && (s[j + 1] == ' ' || s[j + 1] == '\t' || s[j + 1] == '\n' || s[j + 1] == '\r'))
                    j++;
                rc |= cred_buf_puts(&b, "\\s+");
            } else if (word_byte(c)) {
                rc |= cred_buf_putc(&b, (char)c);
            } else if (c < 0x20 || c == 0x7f) {
                rc |= cred_buf_printf(&b, "\\x{%02x}", c);
            } else {
                rc |= cred_buf_putc(&b, '\\');
                rc |= cred_buf_putc(&b, (char)c);
            }
        }
        size_t last = len - 1;
        while (last > 0 && (s[last] & 0xC0) == 0x80)
            last--;
        if (word_char(wre, wmd, s + last, len - last))
            rc |= cred_buf_puts(&b, "\\b");
    }
    rc |= cred_buf_putc(&b, ')');
    if (rc == 0 && emitted > 0) {
        out = cred_arena_strndup(a, b.ptr, b.len);
        *len_out = b.len;
    }
    cred_buf_free(&b);
    free(sorted);
    pcre2_match_data_free(wmd);
    pcre2_code_free(wre);
    return out;
}

void rx__entry_bounds(const char *const *entries, size_t n, uint8_t *out)
{
    int err;
    PCRE2_SIZE eoff;
    uint32_t opt = PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED | PCRE2_MATCH_INVALID_UTF;
    pcre2_code *wre = pcre2_compile((PCRE2_SPTR) "\\w", 2, opt, &err, &eoff, NULL);
    pcre2_match_data *wmd = wre ? pcre2_match_data_create_from_pattern(wre, NULL) : NULL;
    for (size_t i = 0; i < n; i++) { /* as rx__list_regex() decides */
        const unsigned char *s = (const unsigned char *)entries[i];
        size_t len = s ? strlen(entries[i]) : 0;
        out[i] = 0;
        if (len == 0)
            continue;
        if (word_char(wre, wmd, s, len))
            out[i] |= RX_B_START;
        size_t last = len - 1;
        while (last > 0 && (s[last] & 0xC0) == 0x80)
            last--;
        if (word_char(wre, wmd, s + last, len - last))
            out[i] |= RX_B_END;
        if (strpbrk(entries[i], " \t\n\r"))
            out[i] |= RX_B_SPACE;
    }
    pcre2_match_data_free(wmd);
    pcre2_code_free(wre);
}

static bool entry_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool rx__entry_rigid(const char *entry, bool caseless)
{
    size_t len = strlen(entry);
    if (len == 0 || entry_space(entry[len - 1]) || entry_space(entry[0]))
        return false;
    if (!caseless)
        return true;
    /* PCRE2 folds k and s to the Kelvin sign and the long s, and non-ASCII letters to other lengths */
    for (const unsigned char *p = (const unsigned char *)entry; *p; p++)
        if (*p >= 0x80 || *p == 'k' || *p == 'K' || *p == 's' || *p == 'S')
            return false;
    return true;
}

size_t rx__entry_tail(const char *entry, const char **tail)
{
    size_t len = strlen(entry), i = len, bytes = 0;
    for (;;) {
        while (i > 0 && !entry_space(entry[i - 1])) {
            i--;
            bytes++;
        }
        if (bytes >= RX_TAIL_MIN || i == 0)
            break;
        while (i > 0 && entry_space(entry[i - 1])) /* a short last word: take the word before it too */
            i--;
    }
    *tail = entry + i;
    return len - i;
}

/* The NUL-terminated string built in b (an empty string when nothing was put), or NULL when rc < 0
 * or memory ran out; b is freed on failure and handed over on success. */
static char *take_string(cred_buf *b, int rc)
{
    if (rc == 0)
        rc = cred_buf_terminate(b);
    char *s = rc < 0 ? NULL : b->ptr ? b->ptr : calloc(1, 1);
    if (!s)
        cred_buf_free(b);
    return s;
}


char *rx__tail_expr(const char *tail, size_t len)
{
    cred_buf b = CRED_BUF_INIT;
    int rc = 0;
    for (size_t j = 0; j < len && rc == 0;) {
        size_t k = j;
        while (k < len && !entry_space(tail[k]))
            k++;
        char *word = rx__literal_expr(tail + j, k - j);
        rc = word ? cred_buf_puts(&b, word) : -1;
        free(word);
        if (k < len) /* a white-space run of the entry: wider than PCRE2's \s+ (UCP), and compiles fast */
            rc |= cred_buf_puts(&b, "[^a-zA-Z0-9_]+");
        while (k < len && entry_space(tail[k]))
            k++;
        j = k;
    }
    return take_string(&b, rc);
}

char *rx__literal_expr(const char *s, size_t len)
{
    cred_buf b = CRED_BUF_INIT;
    int rc = 0;
    for (size_t j = 0; j < len && rc == 0; j++) {
        unsigned char c = (unsigned char)s[j];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80)
            rc = cred_buf_putc(&b, (char)c);
        else
            rc = cred_buf_printf(&b, "\\x%02x", c);
    }
    return take_string(&b, rc);
}

/* Bytes of the \s character (PCRE2, UCP: Z or HT LF VT FF CR) that ends at s[j-1], or 0. */
static size_t space_before(const unsigned char *s, size_t j)
{
    if (j == 0)
        return 0;
    unsigned char c = s[j - 1];
    if (c == ' ' || (c >= 0x09 && c <= 0x0d))
        return 1;
    if (j >= 2 && s[j - 2] == 0xC2 && c == 0xA0)
        return 2;
    if (j < 3)
        return 0;
    unsigned char a = s[j - 3], b = s[j - 2];
    if (a == 0xE1 && b == 0x9A && c == 0x80) /* U+1680 */
        return 3;
    if (a == 0xE2 && b == 0x80 && ((c >= 0x80 && c <= 0x8A) || c == 0xA8 || c == 0xA9 || c == 0xAF))
        return 3; /* U+2000-200A, U+2028, U+2029, U+202F */
    if (a == 0xE2 && b == 0x81 && c == 0x9F) /* U+205F */
        return 3;
    if (a == 0xE3 && b == 0x80 && c == 0x80) /* U+3000 */
        return 3;
    return 0;
}

static bool byte_eq(unsigned char x, unsigned char y, bool caseless)
{
    if (x == y)
        return true;
    if (!caseless)
        return false;
    if (x >= 'A' && x <= 'Z')
        x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z')
        y = (unsigned char)(y + 32);
    return x == y;
}

bool rx__entry_tail_eq(const char *tail, size_t len, const char *at, bool caseless)
{
    for (size_t i = 0; i < len; i++)
        if (!byte_eq((unsigned char)tail[i], (unsigned char)at[i], caseless))
            return false;
    return true;
}

long rx__entry_start(const char *entry, size_t elen, const char *subj, size_t end, bool caseless)
{
    const unsigned char *e = (const unsigned char *)entry, *t = (const unsigned char *)subj;
    size_t i = elen, j = end;
    while (i > 0) {
        if (entry_space((char)e[i - 1])) {
            while (i > 0 && entry_space((char)e[i - 1]))
                i--;
            size_t k, n = 0;
            while ((k = space_before(t, j)) > 0) {
                j -= k;
                n++;
            }
            if (n == 0)
                return -1;
        } else {
            if (j == 0 || !byte_eq(e[i - 1], t[j - 1], caseless))
                return -1;
            i--;
            j--;
        }
    }
    return (long)j;
}

/* ---- a small walker over pattern syntax --------------------------------------------------------- */

typedef struct walk {
    const char *p, *end, *start;
    long nested_at; /* offset of the first group with nested unbounded quantifiers */
} walk;

/* Skip an escape starting at the backslash; returns true when it stands for one literal character. */
static bool skip_escape(walk *w)
{
    w->p++; /* backslash */
    if (w->p >= w->end)
        return false;
    char c = *w->p++;
    if ((c == 'p' || c == 'P' || c == 'x' || c == 'N' || c == 'o' || c == 'g' || c == 'k') && w->p < w->end &&
        (*w->p == '{' || *w->p == '<')) {
        char close = *w->p == '{' ? '}' : '>';
        while (w->p < w->end && *w->p != close)
            w->p++;
        if (w->p < w->end)
            w->p++;
        return c == 'x' || c == 'N' || c == 'o';
    }
    if (c == 'x') { /* \xHH */
        for (int i = 0; i < 2 && w->p < w->end && strchr("0123456789abcdefABCDEF", *w->p); i++)
            w->p++;
        return true;
    }
    if (c == 'Q') {
        while (w->p + 1 < w->end && !(w->p[0] == '\\' && w->p[1] == 'E'))
            w->p++;
        w->p = w->p + 1 < w->end ? w->p + 2 : w->end;
        return false;
    }
    /* letters and digits are classes, anchors or references; punctuation is a literal */
    return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
}

static void skip_class(walk *w)
{
    w->p++; /* [ */
    if (w->p < w->end && *w->p == '^')
        w->p++;
    if (w->p < w->end && *w->p == ']')
        w->p++;
    while (w->p < w->end && *w->p != ']') {
        if (*w->p == '\\' && w->p + 1 < w->end)
            w->p += 2;
        else if (*w->p == '[' && w->p + 1 < w->end && w->p[1] == ':') {
            const char *q = strstr(w->p + 2, ":]");
            w->p = q && q < w->end ? q + 2 : w->p + 1;
        } else
            w->p++;
    }
    if (w->p < w->end)
        w->p++;
}

/* Quantifier at w->p: 0 none, 1 optional (? * {0,...}), 2 mandatory bounded ({n}), 3 mandatory unbounded (+ {n,}) */
static int quantifier(walk *w, bool *unbounded)
{
    *unbounded = false;
    if (w->p >= w->end)
        return 0;
    int kind = 0;
    char c = *w->p;
    if (c == '?' || c == '*' || c == '+') {
        w->p++;
        *unbounded = c != '?';
        kind = c == '+' ? 3 : 1;
    } else if (c == '{') {
        const char *q = w->p + 1;
        long lo = 0;
        bool digits = false;
        while (q < w->end && *q >= '0' && *q <= '9') {
            lo = lo * 10 + (*q++ - '0');
            digits = true;
        }
        if (!digits)
            return 0;
        bool comma = q < w->end && *q == ',';
        if (comma)
            q++;
        bool hi_digits = false;
        while (q < w->end && *q >= '0' && *q <= '9') {
            q++;
            hi_digits = true;
        }
        if (q >= w->end || *q != '}')
            return 0;
        w->p = q + 1;
        *unbounded = comma && !hi_digits;
        kind = lo == 0 ? 1 : *unbounded ? 3 : 2;
    } else {
        return 0;
    }
    if (w->p < w->end && (*w->p == '?' || *w->p == '+')) /* lazy / possessive */
        w->p++;
    return kind;
}

/*
 * Walk a sequence of alternatives until ')' or the end. Returns the length of the longest literal
 * run that every alternative must contain (the minimum over alternatives); sets *has_unbounded when
 * an unbounded quantifier occurs inside.
 */
static size_t walk_alts(walk *w, bool *has_unbounded)
{
    size_t result = SIZE_MAX;
    *has_unbounded = false;
    for (;;) {
        size_t best = 0, run = 0;
        while (w->p < w->end && *w->p != '|' && *w->p != ')') {
            char c = *w->p;
            bool lit = false, unb;
            size_t group_lit = 0, lit_bytes = 1;
            bool is_group = false;
            if (c == '\\') {
                const char *esc = w->p;
                lit = skip_escape(w);
                if (lit && esc + 2 < w->end && esc[1] == 'x' && esc[2] == '{') { /* \x{HHHH}: its UTF-8 length */
                    unsigned long cp = strtoul(esc + 3, NULL, 16);
                    lit_bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                }
                if (!lit) { /* \b \B \A \z are zero-width: do not break the run */
                    char e = w->p[-1];
                    if (e == 'b' || e == 'B')
                        continue;
                }
            } else if (c == '[') {
                skip_class(w);
            } else if (c == '(') {
                w->p++;
                const char *gstart = w->p - 1;
                bool lookaround = false;
                if (w->p < w->end && *w->p == '*') { /* (*VERB) */
                    while (w->p < w->end && *w->p != ')')
                        w->p++;
                    if (w->p < w->end)
                        w->p++;
                    continue;
                }
                if (w->p < w->end && *w->p == '?') {
                    w->p++;
                    if (w->p < w->end && (*w->p == '=' || *w->p == '!'))
                        lookaround = true;
                    else if (w->p + 1 < w->end && *w->p == '<' && (w->p[1] == '=' || w->p[1] == '!'))
                        lookaround = true;
                    /* skip the group prefix up to ':' or a name, or an option setting (?i) */
                    if (w->p < w->end && (*w->p == '<' || *w->p == '\'' || *w->p == 'P') && !lookaround) {
                        w->p++;
                        while (w->p < w->end && *w->p != '>' && *w->p != '\'' && *w->p != ')')
                            w->p++;
                        if (w->p < w->end && *w->p != ')')
                            w->p++;
                    } else {
                        while (w->p < w->end && *w->p != ':' && *w->p != ')' && *w->p != '(')
                            w->p++;
                        if (w->p < w->end && *w->p == ')') { /* option setting (?i) */
                            w->p++;
                            continue;
                        }
                        if (w->p < w->end && *w->p == ':')
                            w->p++;
                    }
                }
                bool inner_unb;
                group_lit = walk_alts(w, &inner_unb);
                if (w->p < w->end && *w->p == ')')
                    w->p++;
                if (lookaround)
                    group_lit = 0;
                is_group = true;
                int q = quantifier(w, &unb);
                if (unb)
                    *has_unbounded = true;
                if (inner_unb) {
                    *has_unbounded = true;
                    if (unb && w->nested_at < 0)
                        w->nested_at = (long)(gstart - w->start);
                }
                if (q == 1)
                    group_lit = 0;
                best = CRED_MAX(best, run);
                best = CRED_MAX(best, group_lit);
                run = 0;
                continue;
            } else if (c == '.' || c == '^' || c == '$') {
                w->p++;
            } else {
                const char *ch = w->p++;
                lit = true;
                while (w->p < w->end && ((unsigned char)*w->p & 0xC0) == 0x80) /* rest of a UTF-8 char */
                    w->p++;
                lit_bytes = (size_t)(w->p - ch); /* the heuristic counts bytes, as vectorscan sees them */
            }
            CRED_UNUSED(is_group);
            int q = quantifier(w, &unb);
            if (unb)
                *has_unbounded = true;
            if (lit && q == 0) {
                run += lit_bytes;
            } else if (lit && q >= 2) {
                run += lit_bytes;
                best = CRED_MAX(best, run);
                run = 0;
            } else {
                best = CRED_MAX(best, run);
                run = 0;
            }
        }
        best = CRED_MAX(best, run);
        result = CRED_MIN(result, best);
        if (w->p < w->end && *w->p == '|') {
            w->p++;
            continue;
        }
        break;
    }
    return result == SIZE_MAX ? 0 : result;
}

size_t rx__min_literal(const char *pat, size_t len)
{
    walk w = {pat, pat + len, pat, -1};
    bool unb;
    size_t best = walk_alts(&w, &unb);
    while (w.p < w.end) { /* unbalanced ')': keep going */
        w.p++;
        best = CRED_MIN(best, walk_alts(&w, &unb));
    }
    return best;
}

long rx__nested_quantifier(const char *pat, size_t len)
{
    walk w = {pat, pat + len, pat, -1};
    bool unb;
    walk_alts(&w, &unb);
    while (w.p < w.end && w.nested_at < 0) {
        w.p++;
        walk_alts(&w, &unb);
    }
    return w.nested_at;
}

long rx__uppercase_literal(const char *pat, size_t len)
{
    walk w = {pat, pat + len, pat, -1};
    while (w.p < w.end) {
        char c = *w.p;
        if (c == '\\') {
            skip_escape(&w);
        } else if (c == '[') {
            skip_class(&w);
        } else if (c == '(' && w.p + 1 < w.end && (w.p[1] == '?' || w.p[1] == '*')) {
            const char *q = w.p + 2;
            if (w.p[1] == '?' && q < w.end && *q != '<' && *q != 'P' && *q != '\'' && *q != '=' && *q != '!') {
                /* option setting: (?i) or (?i:...) makes the rest case-insensitive */
                for (const char *o = q; o < w.end && *o != ')' && *o != ':'; o++)
                    if (*o == 'i')
                        return -1;
            }
            if (q < w.end && (*q == '<' || *q == 'P' || *q == '\'' || w.p[1] == '*')) {
                while (q < w.end && *q != '>' && *q != ')' && !(q > w.p + 2 && *q == '\''))
                    q++;
            }
            w.p = q < w.end ? q + 1 : w.end;
        } else if (c == '{') {
            while (w.p < w.end && *w.p != '}')
                w.p++;
        } else if (c >= 'A' && c <= 'Z') {
            return (long)(w.p - pat);
        } else {
            w.p++;
        }
    }
    return -1;
}

/*
 * Non-ASCII characters less the blocks from Hebrew to Arabic Extended-A (U+0590-08FF), which hold no
 * cased letter and no white space: what \p{Lu}, \p{Ll} and \s can match beyond ASCII, narrowed enough
 * that a post in Arabic or Persian script is no candidate. (Exact sets of Unicode white space or cased
 * letters made bounded repeats such as ALL_CAPS_RUN's compile 5 to 15 times slower.)
 */
#define NONASCII_SPACE "[^\\x00-\\x7f\\x{590}-\\x{8ff}]"
#define NONASCII_CASED NONASCII_SPACE

/* What the positive escape e (w s d h v) matches beyond ASCII, as a vectorscan class. */
static const char *nonascii_of_escape(char e)
{
    return e == 's' || e == 'h' || e == 'v' ? NONASCII_SPACE : "[^\\x00-\\x7f]";
}

/* The ASCII members of class escape e (w s d h v, upper case: their complement), or NULL. */
static const char *ascii_of_escape(char e, bool *negated)
{
    *negated = e >= 'A' && e <= 'Z';
    switch (e) {
    case 'w': case 'W': return "a-zA-Z0-9_";
    case 's': case 'S': return "\\x09-\\x0d\\x20";
    case 'd': case 'D': return "0-9";
    case 'h': case 'H': return "\\x09\\x20";
    case 'v': case 'V': return "\\x0a-\\x0d";
    default: return NULL;
    }
}

/*
 * Write the bracket class pat[i..j] (j at its ']') with each of its class escapes replaced by its ASCII
 * members, plus the non-ASCII characters they can match (a positive class; a negated one then excludes
 * only ASCII), and set *done; leave *done false when the class holds anything else that needs Unicode
 * (a complement escape, a property, a POSIX class, \Q..\E). Returns 0 or CRED_ENOMEM.
 */
static int widen_class(cred_buf *b, const char *pat, size_t i, size_t j, bool *done)
{
    *done = false;
    size_t k = i + 1;
    bool neg = k < j && pat[k] == '^';
    if (neg)
        k++;
    cred_buf members = CRED_BUF_INIT, extra = CRED_BUF_INIT;
    int rc = 0;
    bool after_class = false, ok = true, only_space = true;
    if (k < j && pat[k] == ']') { /* a leading ']' is a member */
        rc |= cred_buf_puts(&members, "\\]");
        k++;
    }
    for (; k < j && ok && rc == 0; k++) {
        if (pat[k] == '\\' && k + 1 < j) {
            char e = pat[++k];
            bool cneg;
            const char *asc = ascii_of_escape(e, &cneg);
            if (asc && !cneg) {
                rc |= cred_buf_puts(&extra, asc);
                only_space &= strcmp(nonascii_of_escape(e), NONASCII_SPACE) == 0;
                after_class = true;
                continue;
            }
            if (asc || strchr("pPNXQE", e)) {
                ok = false; /* a complement or a property inside a class: keep it wide */
                break;
            }
            rc |= cred_buf_putc(&members, '\\');
            rc |= cred_buf_putc(&members, e);
        } else if (pat[k] == '[' && k + 1 < j && pat[k + 1] == ':') {
            ok = false;
            break;
        } else if (pat[k] == '-' && after_class) {
            rc |= cred_buf_puts(&members, "\\-"); /* a '-' after a class escape is literal */
        } else {
            rc |= cred_buf_putc(&members, pat[k]);
        }
        after_class = false;
    }
    if (ok && rc == 0 && extra.len > 0) {
        /* a '-' left last before the appended ranges would make a range: escape it */
        if (members.len > 0 && members.ptr[members.len - 1] == '-' &&
            !(members.len > 1 && members.ptr[members.len - 2] == '\\')) {
            members.len--;
            rc |= cred_buf_puts(&members, "\\-");
        }
        rc |= cred_buf_puts(b, neg ? "[^" : "(?:[");
        rc |= cred_buf_put(b, members.ptr ? members.ptr : "", members.len);
        rc |= cred_buf_put(b, extra.ptr, extra.len);
        if (neg)
            rc |= cred_buf_putc(b, ']');
        else
            rc |= cred_buf_printf(b, "]|%s)", only_space ? NONASCII_SPACE : "[^\\x00-\\x7f]");
        *done = true;
    }
    cred_buf_free(&members);
    cred_buf_free(&extra);
    return rc;
}

/*
 * The expression given to vectorscan for a pattern. Vectorscan does not support \b in UCP mode and
 * compiles Unicode classes slowly, so the prefilter runs without UCP on a widened regex: \b and \B
 * are dropped; \w becomes "not ASCII white space" (fast to compile), \d [0-9] or non-ASCII (as \p{N};
 * "not white space" let any word stand for a number, in dosage patterns for one); the other class escapes
 * keep their ASCII members and take non-ASCII characters (\s becomes [\x09-\x0d\x20] or non-ASCII
 * less U+0590-08FF, see NONASCII_SPACE; \W becomes [^a-zA-Z0-9_], \S \D \H \V likewise); in a bracket
 * class \w \d \s \h \v become their ASCII members, the class then taking non-ASCII characters;
 * \p{Lu} becomes [A-Z] or non-ASCII less U+0590-08FF (\p{Ll} [a-z] likewise; PCRE2's /i does not fold
 * properties, vectorscan's folds [A-Z], which only widens), other letters [A-Za-z] or non-ASCII,
 * \p{N..} [0-9] or non-ASCII; a class with a complement escape, a POSIX class or another property
 * becomes "any character"; lookarounds and the end anchors $ \z \Z are left out (the scanner gives
 * vectorscan the text followed by padding, see scan.c). Each step only widens what matches, so the
 * result is a correct prefilter; PCRE2 then confirms with the real pattern.
 */
char *rx__prefilter_expr(const char *pat, size_t len, bool extended)
{
    cred_buf b = CRED_BUF_INIT;
    int rc = extended ? cred_buf_puts(&b, "(?x)") : 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        char c = pat[i];
        if (c == '\\' && i + 1 < len) {
            char e = pat[++i];
            if ((e == 'p' || e == 'P') && i + 1 < len) {
                /* \p{L..} and \p{N..}: ASCII letters (digits) or any non-ASCII character. Vectorscan's
                 * Unicode property classes are large, and blow up inside bounded repeats (the shipped
                 * ALL_CAPS_RUN took 2.5 s to be rejected); this superset compiles in milliseconds. */
                char prop = pat[i + 1] == '{' && i + 2 < len ? pat[i + 2] : pat[i + 1];
                if (pat[i + 1] == '{' && prop == '^')
                    prop = 0; /* negated inside the braces: keep as written */
                size_t close = i + 1;
                if (pat[i + 1] == '{')
                    while (close < len && pat[close] != '}')
                        close++;
                if (e == 'p' && (prop == 'L' || prop == 'N') && close < len) {
                    /* \p{Lu} \p{Ll}: the ASCII letters of that case (PCRE2 /i does not fold properties;
                     * vectorscan's caseless mode folds [A-Z], which only widens) */
                    char sub = pat[i + 1] == '{' && close == i + 4 ? pat[i + 3] : 0;
                    rc = cred_buf_puts(&b, prop == 'N'   ? "(?:[0-9]|[^\\x00-\\x7f])"
                                           : sub == 'u' ? "(?:[A-Z]|" NONASCII_CASED ")"
                                           : sub == 'l' ? "(?:[a-z]|" NONASCII_CASED ")"
                                                        : "(?:[A-Za-z]|[^\\x00-\\x7f])");
                    i = close;
                    continue;
                }
            }
            switch (e) {
            case 'b': case 'B': case 'z': case 'Z': break; /* end anchors: see the padding in scan.c */
            case 'w': case 'd': case 's': case 'h': case 'v':
            case 'W': case 'D': case 'S': case 'H': case 'V': {
                bool neg;
                const char *asc = ascii_of_escape(e, &neg);
                if (e == 'w') /* "not white space" compiles faster than the union */
                    rc = cred_buf_puts(&b, "[^\\x09-\\x0d\\x20]");
                else if (e == 'd') /* as \p{N}: ASCII digits or any non-ASCII character */
                    rc = cred_buf_puts(&b, "(?:[0-9]|[^\\x00-\\x7f])");
                else
                    rc = neg ? cred_buf_printf(&b, "[^%s]", asc)
                             : cred_buf_printf(&b, "(?:[%s]|%s)", asc, nonascii_of_escape(e));
                break;
            }
            default:
                rc = cred_buf_putc(&b, '\\');
                rc |= cred_buf_putc(&b, e);
            }
            continue;
        }
        if (c == '(' && i + 2 < len && pat[i + 1] == '?' &&
            (pat[i + 2] == '=' || pat[i + 2] == '!' ||
             (pat[i + 2] == '<' && i + 3 < len && (pat[i + 3] == '=' || pat[i + 3] == '!')))) {
            /* a lookaround is left out: dropping an assertion only widens, whereas widening what a
             * negative one looks for would narrow (`(?<![\w.])` became "at the start of the text") */
            int depth = 0;
            size_t j = i;
            for (; j < len; j++) {
                if (pat[j] == '\\') {
                    j++;
                } else if (pat[j] == '[') {
                    j++;
                    if (j < len && pat[j] == '^')
                        j++;
                    if (j < len && pat[j] == ']')
                        j++;
                    while (j < len && pat[j] != ']')
                        j += pat[j] == '\\' ? 2 : 1;
                } else if (pat[j] == '(') {
                    depth++;
                } else if (pat[j] == ')' && --depth == 0) {
                    break;
                }
            }
            i = j;
            continue;
        }
        if (c == '[') {
            size_t j = i + 1;
            bool wide = false;
            if (j < len && pat[j] == '^')
                j++;
            if (j < len && pat[j] == ']')
                j++;
            for (; j < len && pat[j] != ']'; j++) {
                if (pat[j] == '\\' && j + 1 < len) {
                    j++;
                    wide |= strchr("wWdDsShHvVpP", pat[j]) != NULL;
                } else if (pat[j] == '[' && j + 1 < len && pat[j + 1] == ':') {
                    wide = true;
                    const char *q = strstr(pat + j, ":]");
                    j = q && (size_t)(q - pat) < len ? (size_t)(q - pat) + 1 : j;
                }
            }
            bool done = false;
            if (wide && j < len)
                rc = widen_class(&b, pat, i, j, &done);
            if (rc == 0 && !done)
                rc = wide ? cred_buf_puts(&b, "[\\s\\S]") : cred_buf_put(&b, pat + i, CRED_MIN(j + 1, len) - i);
            i = j;
            continue;
        }
        if (c == '$') /* dropped: the scanner pads the text it gives vectorscan (scan.c) */
            continue;
        rc = cred_buf_putc(&b, c);
    }
    return take_string(&b, rc);
}
