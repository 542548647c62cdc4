/*
 * The query language (see cred_corpus_search in credence.h) parsed into a tree. Words are kept as
 * written; search.c turns them into dictionary terms. Errors carry the 1-based column.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "index/query.h"

typedef struct parser {
    const char *s;
    size_t len, i;
    size_t n_leaves;
    int depth;
} parser;

static int err(parser *p, size_t at, const char *msg)
{
    return cred__error_at(CRED_ESYNTAX, "<query>", 1, at + 1, at, "query column %zu: %s", at + 1, msg);
}

static q_node *node(q_kind k, size_t col)
{
    q_node *n = calloc(1, sizeof *n);
    if (n) {
        n->kind = k;
        n->col = col;
    }
    return n;
}

void q_free(q_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_kids; i++)
        q_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n);
}

static int add_kid(q_node *n, q_node *k)
{
    q_node **v = realloc(n->kids, (n->n_kids + 1) * sizeof *v);
    if (!v)
        return cred__error_nomem();
    n->kids = v;
    n->kids[n->n_kids++] = k;
    return 0;
}

static void skip_ws(parser *p)
{
    while (p->i < p->len && isspace((unsigned char)p->s[p->i]))
        p->i++;
}

static bool is_word_end(char ch)
{
    return isspace((unsigned char)ch) || ch == '(' || ch == ')' || ch == '"';
}

static bool keyword(parser *p, const char *kw)
{
    size_t n = strlen(kw);
    return p->i + n <= p->len && memcmp(p->s + p->i, kw, n) == 0 &&
           (p->i + n == p->len || is_word_end(p->s[p->i + n]));
}

/* A quoted string or a bare word; sets *out (malloc'd) and *n. */
static int value(parser *p, char **out, size_t *n)
{
    size_t start = p->i;
    if (p->i < p->len && p->s[p->i] == '"') {
        size_t j = p->i + 1;
        while (j < p->len && p->s[j] != '"')
            j++;
        if (j >= p->len)
            return err(p, start, "unterminated quote");
        *out = cred__strndup(p->s + p->i + 1, j - p->i - 1);
        *n = j - p->i - 1;
        p->i = j + 1;
    } else {
        size_t j = p->i;
        while (j < p->len && !is_word_end(p->s[j]))
            j++;
        *out = cred__strndup(p->s + p->i, j - p->i);
        *n = j - p->i;
        p->i = j;
    }
    if (!*out)
        return cred__error_nomem();
    return 0;
}

static bool parse_date(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int y, mo, d, h = 0, mi = 0, sec = 0;
    char tail;
    int n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail);
    if (n < 3 || n == 7 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    if (n == 3 && strlen(s) != 10)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm);
    return true;
}

static int parse_or(parser *p, q_node **out);

static int leaf(parser *p)
{
    if (++p->n_leaves > CRED_LIMIT_QUERY_TERMS)
        return cred__error_at(CRED_ELIMIT, "<query>", 1, p->i + 1, p->i,
                              "query column %zu: more than %d terms", p->i + 1, CRED_LIMIT_QUERY_TERMS);
    return 0;
}

static int parse_primary(parser *p, q_node **out)
{
    skip_ws(p);
    size_t col = p->i;
    int rc;
    if (p->i >= p->len)
        return err(p, col, "expected a word, a phrase, a filter or '('");
    char ch = p->s[p->i];
    if (ch == '(') {
        if (++p->depth > 32)
            return err(p, col, "parentheses nested too deep");
        p->i++;
        if ((rc = parse_or(p, out)) < 0)
            return rc;
        skip_ws(p);
        if (p->i >= p->len || p->s[p->i] != ')') {
            q_free(*out);
            *out = NULL;
            return err(p, p->i, "expected ')'");
        }
        p->i++;
        p->depth--;
        return 0;
    }
    if (ch == ')')
        return err(p, col, "unexpected ')'");
    if ((rc = leaf(p)) < 0)
        return rc;
    q_node *n = NULL;
    if (ch == '"') {
        n = node(Q_PHRASE, col);
        if (!n)
            return cred__error_nomem();
        if ((rc = value(p, &n->text, &n->len)) < 0) {
            q_free(n);
            return rc;
        }
        *out = n;
        return 0;
    }
    /* field or validity comparison? */
    size_t j = p->i;
    while (j < p->len && (isalpha((unsigned char)p->s[j]) || p->s[j] == '_'))
        j++;
    size_t nl = j - p->i;
    if (nl == 8 && memcmp(p->s + p->i, "validity", 8) == 0 && j < p->len && (p->s[j] == '<' || p->s[j] == '>')) {
        n = node(Q_VALIDITY, col);
        if (!n)
            return cred__error_nomem();
        n->op = p->s[j] == '<' ? -1 : 1;
        j++;
        if (j < p->len && p->s[j] == '=')
            n->op *= 2, j++;
        char *end;
        char buf[64];
        size_t k = 0;
        while (j + k < p->len && !is_word_end(p->s[j + k]) && k < sizeof buf - 1)
            buf[k] = p->s[j + k], k++;
        buf[k] = '\0';
        n->num = strtod(buf, &end);
        if (k == 0 || *end) {
            q_free(n);
            return err(p, j, "expected a number after the comparison");
        }
        p->i = j + k;
        *out = n;
        return 0;
    }
    if (j < p->len && p->s[j] == ':' && nl > 0) {
        static const char *const fields[] = {"source", "author", "lang", "flag", "cluster", "after", "before"};
        static const char letters[] = {'s', 'a', 'l', 'f', 'c', '>', '<'};
        int f = -1;
        for (size_t k = 0; k < CRED_ARRAY_LEN(fields); k++)
            if (strlen(fields[k]) == nl && memcmp(p->s + p->i, fields[k], nl) == 0)
                f = (int)k;
        if (f < 0)
            return err(p, col, "unknown field (source, author, lang, flag, cluster, after, before)");
        p->i = j + 1;
        size_t vcol = p->i;
        n = node(letters[f] == '>' || letters[f] == '<' ? Q_DATE : Q_FIELD, col);
        if (!n)
            return cred__error_nomem();
        n->field = letters[f];
        if ((rc = value(p, &n->text, &n->len)) < 0) {
            q_free(n);
            return rc;
        }
        if (n->len == 0) {
            q_free(n);
            return err(p, vcol, "empty field value");
        }
        if (n->kind == Q_DATE && !parse_date(n->text, &n->date)) {
            q_free(n);
            return err(p, vcol, "expected a date YYYY-MM-DD[THH:MM[:SS]]");
        }
        *out = n;
        return 0;
    }
    bool exact = ch == '=';
    if (exact)
        p->i++;
    n = node(Q_WORD, col);
    if (!n)
        return cred__error_nomem();
    n->exact = exact;
    if ((rc = value(p, &n->text, &n->len)) < 0) {
        q_free(n);
        return rc;
    }
    if (n->len && n->text[n->len - 1] == '*') {
        n->kind = Q_PREFIX;
        n->text[--n->len] = '\0';
    }
    if (n->len == 0) {
        q_free(n);
        return err(p, col, exact ? "expected a word after '='" : "expected a word before '*'");
    }
    *out = n;
    return 0;
}

static int parse_unary(parser *p, q_node **out)
{
    skip_ws(p);
    size_t col = p->i;
    bool neg = false;
    if (keyword(p, "NOT")) {
        p->i += 3;
        neg = true;
    } else if (p->i < p->len && p->s[p->i] == '-') {
        p->i++;
        neg = true;
    }
    if (!neg)
        return parse_primary(p, out);
    q_node *k = NULL, *n = node(Q_NOT, col);
    if (!n)
        return cred__error_nomem();
    int rc = parse_unary(p, &k);
    if (rc < 0 || (rc = add_kid(n, k)) < 0) {
        q_free(k);
        q_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

/*
 * Adds operand k to the n-ary node *n of kind `kind`, creating it (with *first as its first operand)
 * on the second operand. On failure k is freed; *n and *first stay for the caller to free.
 */
static int join(q_node **n, q_node **first, q_node *k, q_kind kind, size_t col)
{
    int rc;
    if (!*n) {
        if (!(*n = node(kind, col))) {
            q_free(k);
            return cred__error_nomem();
        }
        if ((rc = add_kid(*n, *first)) < 0) {
            q_free(k);
            return rc;
        }
        *first = NULL;
    }
    if ((rc = add_kid(*n, k)) < 0)
        q_free(k);
    return rc;
}

static bool at_and_end(parser *p)
{
    skip_ws(p);
    return p->i >= p->len || p->s[p->i] == ')' || keyword(p, "OR");
}

static int parse_and(parser *p, q_node **out)
{
    q_node *first = NULL, *n = NULL;
    size_t col = p->i;
    int rc = parse_unary(p, &first);
    if (rc < 0)
        return rc;
    while (!at_and_end(p)) {
        if (keyword(p, "AND")) {
            p->i += 3;
            if (at_and_end(p)) {
                rc = err(p, p->i, "expected a term after AND");
                goto fail;
            }
        }
        q_node *k = NULL;
        if ((rc = parse_unary(p, &k)) < 0)
            goto fail;
        if ((rc = join(&n, &first, k, Q_AND, col)) < 0)
            goto fail;
    }
    *out = n ? n : first;
    return 0;
fail:
    q_free(first);
    q_free(n);
    return rc;
}

static int parse_or(parser *p, q_node **out)
{
    q_node *first = NULL, *n = NULL;
    size_t col = p->i;
    int rc = parse_and(p, &first);
    if (rc < 0)
        return rc;
    for (;;) {
        skip_ws(p);
        if (!keyword(p, "OR"))
            break;
        p->i += 2;
        q_node *k = NULL;
        if ((rc = parse_and(p, &k)) < 0)
            goto fail;
        if ((rc = join(&n, &first, k, Q_OR, col)) < 0)
            goto fail;
    }
    *out = n ? n : first;
    return 0;
fail:
    q_free(first);
    q_free(n);
    return rc;
}

int q_parse(q_node **out, const char *s, size_t len)
{
    *out = NULL;
    if (len > CRED_LIMIT_QUERY_BYTES)
        return cred__error(CRED_ELIMIT, "query of %zu bytes exceeds CRED_LIMIT_QUERY_BYTES", len);
    parser p = {s, len, 0, 0, 0};
    skip_ws(&p);
    if (p.i >= len)
        return err(&p, 0, "empty query");
    int rc = parse_or(&p, out);
    if (rc < 0)
        return rc;
    skip_ws(&p);
    if (p.i < len) {
        q_free(*out);
        *out = NULL;
        return err(&p, p.i, p.s[p.i] == ')' ? "unexpected ')'" : "unexpected text");
    }
    return 0;
}
