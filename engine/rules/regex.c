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
        if (word_byte(s[0]))
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
        if (word_byte(s[len - 1]))
            rc |= cred_buf_puts(&b, "\\b");
    }
    rc |= cred_buf_putc(&b, ')');
    if (rc == 0 && emitted > 0) {
        out = cred_arena_strndup(a, b.ptr, b.len);
        *len_out = b.len;
    }
    cred_buf_free(&b);
    free(sorted);
    return out;
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
            size_t group_lit = 0;
            bool is_group = false;
            if (c == '\\') {
                lit = skip_escape(w);
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
                w->p++;
                lit = true;
                while (w->p < w->end && ((unsigned char)*w->p & 0xC0) == 0x80) /* rest of a UTF-8 char */
                    w->p++;
            }
            CRED_UNUSED(is_group);
            int q = quantifier(w, &unb);
            if (unb)
                *has_unbounded = true;
            if (lit && q == 0) {
                run++;
            } else if (lit && q >= 2) {
                run++;
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
 * The expression given to vectorscan for a pattern. Vectorscan does not support \b in UCP mode and
 * compiles Unicode classes slowly, so the prefilter runs without UCP on a widened regex: \b and \B
 * are dropped, \w \d become "not ASCII space", \s becomes "not ASCII word", \W \S \D and any class
 * that uses a class escape or a POSIX class become "any character". Each step only widens what
 * matches, so the result is a correct prefilter; PCRE2 then confirms with the real pattern.
 */
char *rx__prefilter_expr(const char *pat, size_t len, bool extended)
{
    cred_buf b = CRED_BUF_INIT;
    int rc = extended ? cred_buf_puts(&b, "(?x)") : 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        char c = pat[i];
        if (c == '\\' && i + 1 < len) {
            char e = pat[++i];
            switch (e) {
            case 'b': case 'B': break;
            case 'w': case 'd': rc = cred_buf_puts(&b, "[^\\s]"); break;
            case 's': rc = cred_buf_puts(&b, "[^a-zA-Z0-9_]"); break;
            case 'W': case 'S': case 'D': rc = cred_buf_puts(&b, "[\\s\\S]"); break;
            default:
                rc = cred_buf_putc(&b, '\\');
                rc |= cred_buf_putc(&b, e);
            }
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
            if (wide)
                rc = cred_buf_puts(&b, "[\\s\\S]");
            else
                rc = cred_buf_put(&b, pat + i, CRED_MIN(j + 1, len) - i);
            i = j;
            continue;
        }
        rc = cred_buf_putc(&b, c);
    }
    if (rc == 0)
        rc = cred_buf_terminate(&b);
    if (rc < 0) {
        cred_buf_free(&b);
        return NULL;
    }
    return b.ptr ? b.ptr : calloc(1, 1);
}
