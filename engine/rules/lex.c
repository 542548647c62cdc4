/* Rule-file lexer: free-form tokens with 1-based line and byte column, '#' comments. */
#include "rules/rules_int.h"

#include <math.h>
#include <stdlib.h>

void rl__init(lexer *lx, const char *src, size_t len, const char *file, cred_arena *arena)
{
    lx->src = lx->p = lx->line_start = src;
    lx->end = src + len;
    lx->file = file;
    lx->line = 1;
    lx->arena = arena;
}

static rpos here(const lexer *lx)
{
    rpos p = {lx->file, lx->line, (uint32_t)(lx->p - lx->line_start) + 1, (uint32_t)(lx->p - lx->src)};
    return p;
}

static bool is_ident_start(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_ident(int c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static void skip_space(lexer *lx)
{
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == '\n') {
            lx->p++;
            lx->line++;
            lx->line_start = lx->p;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx->p++;
        } else if (c == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
        } else {
            break;
        }
    }
}

static token error_tok(lexer *lx, rctx *cx, rpos pos, const char *msg)
{
    token t;
    memset(&t, 0, sizeof t);
    t.kind = T_ERROR;
    t.pos = pos;
    rc__diag(cx, CRED_SEV_ERROR, &pos, "%s", msg);
    /* resynchronise at the end of the line */
    while (lx->p < lx->end && *lx->p != '\n')
        lx->p++;
    return t;
}

static token lex_string(lexer *lx, rctx *cx, token t)
{
    cred_buf b = CRED_BUF_INIT;
    lx->p++; /* opening quote */
    while (lx->p < lx->end && *lx->p != '"') {
        char c = *lx->p;
        if (c == '\n') {
            cred_buf_free(&b);
            return error_tok(lx, cx, t.pos, "unterminated string (strings end on the line they start)");
        }
        if (c == '\\') {
            rpos ep = here(lx);
            char e = lx->p + 1 < lx->end ? lx->p[1] : '\0';
            switch (e) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default:
                cred_buf_free(&b);
                return error_tok(lx, cx, ep, "unknown escape in string (use \\\" \\\\ \\n or \\t)");
            }
            lx->p++;
        }
        if (cred_buf_putc(&b, c) < 0)
            cx->oom = 1;
        lx->p++;
    }
    if (lx->p >= lx->end) {
        cred_buf_free(&b);
        return error_tok(lx, cx, t.pos, "unterminated string");
    }
    lx->p++; /* closing quote */
    t.kind = T_STRING;
    t.len = b.len;
    t.text = cred_arena_strndup(lx->arena, b.ptr ? b.ptr : "", b.len);
    if (!t.text)
        cx->oom = 1;
    cred_buf_free(&b);
    return t;
}

static token lex_regex(lexer *lx, rctx *cx, token t)
{
    const char *start = ++lx->p;
    bool in_class = false;
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == '\n')
            break;
        if (c == '\\' && lx->p + 1 < lx->end && lx->p[1] != '\n') {
            lx->p += 2;
            continue;
        }
        if (c == '[')
            in_class = true;
        else if (c == ']')
            in_class = false;
        else if (c == '/' && !in_class)
            break;
        lx->p++;
    }
    if (lx->p >= lx->end || *lx->p != '/')
        return error_tok(lx, cx, t.pos, "unterminated pattern (patterns end with '/' on the line they start)");
    t.kind = T_REGEX;
    t.text = start;
    t.len = (size_t)(lx->p - start);
    lx->p++;
    size_t nf = 0;
    while (lx->p < lx->end && is_ident(*lx->p)) {
        char f = *lx->p;
        if (!strchr("ismx", f)) {
            rpos fp = here(lx);
            char msg[96];
            snprintf(msg, sizeof msg, "unknown pattern flag '%c' (flags are i, s, m and x)", f);
            return error_tok(lx, cx, fp, msg);
        }
        if (nf + 1 < sizeof t.flags)
            t.flags[nf++] = f;
        lx->p++;
    }
    t.flags[nf] = '\0';
    return t;
}

static token lex_number(lexer *lx, rctx *cx, token t)
{
    const char *s = lx->p;
    t.has_sign = *s == '+' || *s == '-';
    const char *q = s + (t.has_sign ? 1 : 0);
    if (q >= lx->end || !is_digit(*q)) {
        lx->p++;
        return error_tok(lx, cx, t.pos, "expected a number after the sign");
    }
    while (q < lx->end && is_digit(*q))
        q++;
    t.is_int = true;
    if (q + 1 < lx->end && *q == '.' && is_digit(q[1])) {
        t.is_int = false;
        q++;
        while (q < lx->end && is_digit(*q))
            q++;
    }
    if (q < lx->end && is_ident(*q)) {
        lx->p = q;
        return error_tok(lx, cx, t.pos, "malformed number");
    }
    char buf[64];
    size_t n = CRED_MIN((size_t)(q - s), sizeof buf - 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    t.num = strtod(buf, NULL);
    if (!isfinite(t.num) || fabs(t.num) > 1e9) {
        lx->p = q;
        return error_tok(lx, cx, t.pos, "number out of range");
    }
    t.kind = T_NUMBER;
    t.text = s;
    t.len = (size_t)(q - s);
    lx->p = q;
    return t;
}

token rl__next(lexer *lx, rctx *cx)
{
    skip_space(lx);
    token t;
    memset(&t, 0, sizeof t);
    t.pos = here(lx);
    if (lx->p >= lx->end) {
        t.kind = T_EOF;
        return t;
    }
    char c = *lx->p;
    if (c == '"')
        return lex_string(lx, cx, t);
    if (c == '/')
        return lex_regex(lx, cx, t);
    if (is_digit(c) || ((c == '+' || c == '-') && lx->p + 1 < lx->end && is_digit(lx->p[1])))
        return lex_number(lx, cx, t);
    if (is_ident_start(c)) {
        const char *s = lx->p;
        bool upper = true, lower_start = !(c >= 'A' && c <= 'Z');
        while (lx->p < lx->end && is_ident(*lx->p)) {
            if (*lx->p >= 'a' && *lx->p <= 'z')
                upper = false;
            lx->p++;
        }
        t.text = s;
        t.len = (size_t)(lx->p - s);
        if (lower_start) {
            t.kind = T_WORD;
        } else if (upper) {
            t.kind = T_NAME;
        } else {
            lx->p = s;
            return error_tok(lx, cx, t.pos,
                             "names of rules, lists and groups are UPPER_SNAKE_CASE (keywords are lower case)");
        }
        return t;
    }
    lx->p++;
    switch (c) {
    case '{': t.kind = T_LBRACE; return t;
    case '}': t.kind = T_RBRACE; return t;
    case '(': t.kind = T_LPAREN; return t;
    case ')': t.kind = T_RPAREN; return t;
    case ',': t.kind = T_COMMA; return t;
    case '>':
    case '<':
        if (lx->p < lx->end && *lx->p == '=') {
            lx->p++;
            t.kind = c == '>' ? T_GE : T_LE;
        } else {
            t.kind = c == '>' ? T_GT : T_LT;
        }
        return t;
    case '=':
        if (lx->p < lx->end && *lx->p == '=') {
            lx->p++;
            t.kind = T_EQ;
            return t;
        }
        break;
    default:
        break;
    }
    lx->p--;
    char msg[80];
    if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
        snprintf(msg, sizeof msg, "unexpected character '%c'", c);
    else
        snprintf(msg, sizeof msg, "unexpected byte 0x%02x", (unsigned char)c);
    return error_tok(lx, cx, t.pos, msg);
}
