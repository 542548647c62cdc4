/*
 * Rule-file parser: builds rrule/rlist/rgroup records in a compile context. Every problem is reported
 * with its position; after an error the parser skips the rest of the line (or the block) and goes on,
 * so one run shows every mistake of a file.
 */
#include "rules/rules_int.h"

#include <stdio.h>
#include <stdlib.h>

void rc__diag(rctx *cx, cred_severity sev, const rpos *pos, const char *fmt, ...)
{
    if (sev == CRED_SEV_WARNING && !(cx->flags & CRED_RULES_LINT))
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sev == CRED_SEV_ERROR) {
        if (cx->n_errors++ == 0) {
            snprintf(cx->first_message, sizeof cx->first_message, "%s", msg);
            snprintf(cx->first_file, sizeof cx->first_file, "%s", pos && pos->file ? pos->file : "");
            cx->first_error.code = CRED_ESYNTAX;
            cx->first_error.message = cx->first_message;
            cx->first_error.file = cx->first_file;
            cx->first_error.line = pos ? pos->line : 0;
            cx->first_error.column = pos ? pos->col : 0;
            cx->first_error.offset = pos ? pos->off : 0;
        }
    } else {
        cx->n_warnings++;
    }
    if (cx->on_diag) {
        cred_diag d = {sev, sev == CRED_SEV_ERROR ? CRED_ESYNTAX : 0, pos ? pos->file : NULL,
                       pos ? pos->line : 0, pos ? pos->col : 0, pos ? pos->off : 0, msg};
        cx->on_diag(&d, cx->diag_payload);
    }
}

/* ---- names -------------------------------------------------------------------------------------- */

static const char *const target_names[CRED_TARGET_COUNT_] = {
    "norm", "raw", "stems", "urls", "domains", "forwarded_from", "author", "source"};

const char *cred_rule_target_name(cred_rule_target target)
{
    return (unsigned)target < CRED_TARGET_COUNT_ ? target_names[target] : "?";
}

int rc__target_parse(const char *s, size_t n)
{
    for (int i = 0; i < CRED_TARGET_COUNT_; i++)
        if (strlen(target_names[i]) == n && memcmp(target_names[i], s, n) == 0)
            return i;
    return -1;
}

const char *const rc__categories[] = {"claim", "source", "attribution", "pressure", "style",
                                      "commercial", "forward", "link", "other", NULL};

int rc__category_parse(const char *s, size_t n)
{
    for (int i = 0; rc__categories[i]; i++)
        if (strlen(rc__categories[i]) == n && memcmp(rc__categories[i], s, n) == 0)
            return i;
    return -1;
}

static const char *const key_names[K_COUNT] = {"describe", "category", "lang", "group",
                                                "target", "weight", "cap", "explain"};

/* ---- parser state ------------------------------------------------------------------------------- */

typedef struct parser {
    lexer lx;
    rctx *cx;
    token cur;
} parser;

static void advance(parser *ps) { ps->cur = rl__next(&ps->lx, ps->cx); }

static bool is_word(const token *t, const char *w)
{
    return t->kind == T_WORD && strlen(w) == t->len && memcmp(t->text, w, t->len) == 0;
}

static bool is_clause_key(const token *t)
{
    static const char *const keys[] = {"describe", "category", "lang", "group", "target", "match",
                                       "require", "unless", "weight", "cap", "explain", "test", NULL};
    for (int i = 0; keys[i]; i++)
        if (is_word(t, keys[i]))
            return true;
    return false;
}

static const char *tok_desc(const token *t, char *buf, size_t cap)
{
    switch (t->kind) {
    case T_EOF: return "end of file";
    case T_STRING: return "a string";
    case T_REGEX: return "a pattern";
    case T_NUMBER: return "a number";
    case T_LBRACE: return "'{'";
    case T_RBRACE: return "'}'";
    case T_LPAREN: return "'('";
    case T_RPAREN: return "')'";
    case T_COMMA: return "','";
    case T_ERROR: return "an invalid token";
    case T_WORD:
    case T_NAME:
        snprintf(buf, cap, "'%.*s'", (int)CRED_MIN(t->len, 60), t->text);
        return buf;
    default: return "an operator";
    }
}

/* Report "expected X, found Y" at the current token. Lexer errors were already reported. */
static void unexpected(parser *ps, const char *expected)
{
    if (ps->cur.kind == T_ERROR)
        return;
    char b[80];
    rc__diag(ps->cx, CRED_SEV_ERROR, &ps->cur.pos, "expected %s, found %s", expected,
             tok_desc(&ps->cur, b, sizeof b));
}

static char *tok_str(parser *ps, const token *t)
{
    char *s = cred_arena_strndup(ps->cx->arena, t->text, t->len);
    if (!s)
        ps->cx->oom = 1;
    return s;
}

/* Skip the rest of the current line inside a block (stopping before '}' or EOF). */
static void skip_line(parser *ps, uint32_t line)
{
    while (ps->cur.kind != T_EOF && ps->cur.kind != T_RBRACE && ps->cur.pos.line == line)
        advance(ps);
}

static void *grow_in(rctx *cx, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (cred__grow(arr, cap, n + 1, elem) < 0) {
        cx->oom = 1;
        return NULL;
    }
    char *p = (char *)*arr + n * elem;
    memset(p, 0, elem);
    return p;
}

/* ---- lists and groups ------------------------------------------------------------------------- */

/* Parse `{ "a" "b" }` (the current token is '{') into a new list; returns its index or -1. */
static int parse_inline_entries(parser *ps, const char *name, rpos pos)
{
    rctx *cx = ps->cx;
    rlist *l = grow_in(cx, (void **)&cx->lists, &cx->cap_lists, cx->n_lists, sizeof *cx->lists);
    if (!l)
        return -1;
    int idx = (int)cx->n_lists++;
    l->name = name;
    l->pos = pos;
    l->loaded = true;
    size_t cap = 0;
    advance(ps);
    while (ps->cur.kind == T_STRING) {
        l = &cx->lists[idx];
        if (cred__grow((void **)&l->entries, &cap, l->n_entries + 1, sizeof *l->entries) < 0) {
            cx->oom = 1;
            return -1;
        }
        l->entries[l->n_entries++] = ps->cur.text;
        advance(ps);
    }
    if (ps->cur.kind != T_RBRACE) {
        unexpected(ps, "a string or '}' closing the list");
        return idx;
    }
    advance(ps);
    return idx;
}

static void parse_list(parser *ps)
{
    advance(ps); /* list */
    if (ps->cur.kind != T_NAME) {
        unexpected(ps, "a list name (UPPER_SNAKE_CASE)");
        return;
    }
    const char *name = tok_str(ps, &ps->cur);
    rpos pos = ps->cur.pos;
    advance(ps);
    if (ps->cur.kind == T_LBRACE) {
        parse_inline_entries(ps, name, pos);
        return;
    }
    if (!is_word(&ps->cur, "from")) {
        unexpected(ps, "'from \"file\"' or '{' after the list name");
        return;
    }
    advance(ps);
    if (ps->cur.kind != T_STRING) {
        unexpected(ps, "the list file name as a string");
        return;
    }
    rctx *cx = ps->cx;
    rlist *l = grow_in(cx, (void **)&cx->lists, &cx->cap_lists, cx->n_lists, sizeof *cx->lists);
    if (!l)
        return;
    cx->n_lists++;
    l->name = name;
    l->pos = pos;
    l->path = ps->cur.text;
    l->path_pos = ps->cur.pos;
    advance(ps);
}

static void parse_group(parser *ps)
{
    rctx *cx = ps->cx;
    advance(ps); /* group */
    if (ps->cur.kind != T_NAME) {
        unexpected(ps, "a group name (UPPER_SNAKE_CASE)");
        return;
    }
    rgroup *g = grow_in(cx, (void **)&cx->groups, &cx->cap_groups, cx->n_groups, sizeof *cx->groups);
    if (!g)
        return;
    cx->n_groups++;
    g->name = tok_str(ps, &ps->cur);
    g->pos = ps->cur.pos;
    advance(ps);
    if (ps->cur.kind != T_LBRACE) {
        unexpected(ps, "'{' opening the group");
        return;
    }
    advance(ps);
    while (ps->cur.kind != T_RBRACE && ps->cur.kind != T_EOF) {
        token key = ps->cur;
        advance(ps);
        if (is_word(&key, "describe") && ps->cur.kind == T_STRING) {
            g->describe = ps->cur.text;
        } else if ((is_word(&key, "max") || is_word(&key, "min")) && ps->cur.kind == T_NUMBER) {
            bool mx = is_word(&key, "max");
            double v = ps->cur.num;
            if (mx ? v < 0 : v > 0)
                rc__diag(cx, CRED_SEV_ERROR, &ps->cur.pos, "group %s must be %s", mx ? "max" : "min",
                         mx ? "zero or positive" : "zero or negative");
            if (mx) {
                g->max = v;
                g->has_max = true;
            } else {
                g->min = v;
                g->has_min = true;
            }
        } else if (is_word(&key, "describe") || is_word(&key, "max") || is_word(&key, "min")) {
            unexpected(ps, is_word(&key, "describe") ? "a string" : "a number");
            skip_line(ps, key.pos.line);
            continue;
        } else {
            char b[80];
            if (key.kind != T_ERROR)
                rc__diag(cx, CRED_SEV_ERROR, &key.pos,
                         "unknown key %s in group %s (expected describe, max or min)",
                         tok_desc(&key, b, sizeof b), g->name);
            skip_line(ps, key.pos.line);
            continue;
        }
        advance(ps);
    }
    if (ps->cur.kind != T_RBRACE) {
        unexpected(ps, "'}' closing the group");
        return;
    }
    advance(ps);
}

/* ---- expressions -------------------------------------------------------------------------------- */

static rexpr *new_expr(parser *ps, expr_op op, rpos pos)
{
    rexpr *e = cred_arena_alloc(ps->cx->arena, sizeof *e);
    if (!e) {
        ps->cx->oom = 1;
        return NULL;
    }
    memset(e, 0, sizeof *e);
    e->op = op;
    e->pos = pos;
    return e;
}

static bool set_names(parser *ps, rexpr *e, const token *names, size_t n)
{
    cred_arena *a = ps->cx->arena;
    e->names = cred_arena_alloc(a, n * sizeof *e->names);
    e->name_pos = cred_arena_alloc(a, n * sizeof *e->name_pos);
    e->refs = cred_arena_alloc(a, n * sizeof *e->refs);
    if (!e->names || !e->name_pos || !e->refs) {
        ps->cx->oom = 1;
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        e->names[i] = tok_str(ps, &names[i]);
        e->name_pos[i] = names[i].pos;
        e->refs[i] = -1;
    }
    e->n_names = n;
    return true;
}

static rexpr *parse_or(parser *ps);

static rexpr *parse_unary(parser *ps)
{
    token t = ps->cur;
    if (is_word(&t, "not")) {
        advance(ps);
        rexpr *e = new_expr(ps, EX_NOT, t.pos);
        if (!e || !(e->a = parse_unary(ps)))
            return NULL;
        return e;
    }
    if (t.kind == T_LPAREN) {
        advance(ps);
        rexpr *e = parse_or(ps);
        if (!e)
            return NULL;
        if (ps->cur.kind != T_RPAREN) {
            unexpected(ps, "')'");
            return NULL;
        }
        advance(ps);
        return e;
    }
    if (t.kind == T_NAME) {
        advance(ps);
        rexpr *e = new_expr(ps, EX_REF, t.pos);
        if (!e || !set_names(ps, e, &t, 1))
            return NULL;
        return e;
    }
    if (is_word(&t, "count")) {
        advance(ps);
        if (ps->cur.kind != T_LPAREN) {
            unexpected(ps, "'(' after count");
            return NULL;
        }
        advance(ps);
        token name = ps->cur;
        if (name.kind != T_NAME) {
            unexpected(ps, "a rule name");
            return NULL;
        }
        advance(ps);
        if (ps->cur.kind != T_RPAREN) {
            unexpected(ps, "')'");
            return NULL;
        }
        advance(ps);
        cmp_op op;
        switch (ps->cur.kind) {
        case T_GE: op = CMP_GE; break;
        case T_GT: op = CMP_GT; break;
        case T_LE: op = CMP_LE; break;
        case T_LT: op = CMP_LT; break;
        case T_EQ: op = CMP_EQ; break;
        default: unexpected(ps, "a comparison (>=, >, <=, < or ==) after count(...)"); return NULL;
        }
        advance(ps);
        if (ps->cur.kind != T_NUMBER || !ps->cur.is_int || ps->cur.has_sign) {
            unexpected(ps, "a whole number");
            return NULL;
        }
        rexpr *e = new_expr(ps, EX_COUNT, t.pos);
        if (!e || !set_names(ps, e, &name, 1))
            return NULL;
        e->cmp = op;
        e->n = (long)ps->cur.num;
        advance(ps);
        return e;
    }
    if (t.kind == T_NUMBER && t.is_int && !t.has_sign) {
        advance(ps);
        if (!is_word(&ps->cur, "of")) {
            unexpected(ps, "'of' (as in '2 of (A, B, C)')");
            return NULL;
        }
        advance(ps);
        if (ps->cur.kind != T_LPAREN) {
            unexpected(ps, "'(' after 'of'");
            return NULL;
        }
        advance(ps);
        token names[64];
        size_t n = 0;
        for (;;) {
            if (ps->cur.kind != T_NAME) {
                unexpected(ps, "a rule name");
                return NULL;
            }
            if (n == CRED_ARRAY_LEN(names)) {
                rc__diag(ps->cx, CRED_SEV_ERROR, &ps->cur.pos, "at most 64 names in 'N of (...)'");
                return NULL;
            }
            names[n++] = ps->cur;
            advance(ps);
            if (ps->cur.kind == T_RPAREN)
                break;
            if (ps->cur.kind != T_COMMA) {
                unexpected(ps, "',' or ')'");
                return NULL;
            }
            advance(ps);
        }
        advance(ps);
        rexpr *e = new_expr(ps, EX_NOF, t.pos);
        if (!e || !set_names(ps, e, names, n))
            return NULL;
        e->n = (long)t.num;
        if (e->n < 1 || (size_t)e->n > n)
            rc__diag(ps->cx, CRED_SEV_ERROR, &t.pos, "'%ld of' needs between 1 and %zu (the names listed)",
                     e->n, n);
        return e;
    }
    unexpected(ps, "a rule name, 'not', '(', 'count(NAME)' or 'N of (...)'");
    return NULL;
}

/* A left-associative chain `next (WORD next)*` of one binary operator. */
static rexpr *parse_chain(parser *ps, const char *word, expr_op kind, rexpr *(*next)(parser *))
{
    rexpr *a = next(ps);
    while (a && is_word(&ps->cur, word)) {
        rpos pos = ps->cur.pos;
        advance(ps);
        rexpr *b = next(ps);
        rexpr *e = b ? new_expr(ps, kind, pos) : NULL;
        if (!e)
            return NULL;
        e->a = a;
        e->b = b;
        a = e;
    }
    return a;
}

static rexpr *parse_and(parser *ps)
{
    return parse_chain(ps, "and", EX_AND, parse_unary);
}

static rexpr *parse_or(parser *ps)
{
    return parse_chain(ps, "or", EX_OR, parse_and);
}

/* ---- rule clauses ------------------------------------------------------------------------------- */

static bool parse_filter(parser *ps, rrule *r, bool unless, rpos pos)
{
    rexpr *e = parse_or(ps);
    if (!e)
        return false;
    rfilter f = {unless, e, SC_POST, 0, 0, pos};
    if (is_word(&ps->cur, "within")) {
        advance(ps);
        f.scope = SC_WITHIN;
        if (is_word(&ps->cur, "sentence")) {
            advance(ps);
        } else if (ps->cur.kind == T_NUMBER && ps->cur.is_int && !ps->cur.has_sign) {
            if (ps->cur.num > 1000) {
                rc__diag(ps->cx, CRED_SEV_ERROR, &ps->cur.pos, "at most 1000 sentences");
                return false;
            }
            f.n = (uint32_t)ps->cur.num;
            advance(ps);
            if (!is_word(&ps->cur, "sentence") && !is_word(&ps->cur, "sentences")) {
                unexpected(ps, "'sentences'");
                return false;
            }
            advance(ps);
            if (is_word(&ps->cur, "before") || is_word(&ps->cur, "after")) {
                f.dir = is_word(&ps->cur, "before") ? -1 : 1;
                advance(ps);
            }
        } else {
            unexpected(ps, "'sentence' or a number of sentences after 'within'");
            return false;
        }
    } else if (is_word(&ps->cur, "in")) {
        advance(ps);
        if (!is_word(&ps->cur, "post")) {
            unexpected(ps, "'post' (as in 'in post')");
            return false;
        }
        advance(ps);
    }
    rfilter *slot = grow_in(ps->cx, (void **)&r->filters, &r->cap_filters, r->n_filters, sizeof *r->filters);
    if (!slot)
        return false;
    *slot = f;
    r->n_filters++;
    return true;
}

static bool parse_match(parser *ps, rrule *r)
{
    rctx *cx = ps->cx;
    rclause c;
    memset(&c, 0, sizeof c);
    c.target = r->target;
    c.list = -1;
    c.ref = -1;
    if (ps->cur.kind == T_WORD && !is_word(&ps->cur, "in")) {
        int t = rc__target_parse(ps->cur.text, ps->cur.len);
        if (t < 0) {
            char b[80];
            rc__diag(cx, CRED_SEV_ERROR, &ps->cur.pos,
                     "unknown target %s (targets: norm, raw, stems, urls, domains, forwarded_from, author, source)",
                     tok_desc(&ps->cur, b, sizeof b));
            return false;
        }
        c.target = (cred_rule_target)t;
        advance(ps);
    }
    c.pos = ps->cur.pos;
    if (ps->cur.kind == T_REGEX) {
        c.kind = CL_PATTERN;
        c.pattern = tok_str(ps, &ps->cur);
        c.pattern_len = ps->cur.len;
        for (const char *f = ps->cur.flags; *f; f++)
            c.rflags |= *f == 'i' ? RF_CASELESS : *f == 's' ? RF_DOTALL : *f == 'm' ? RF_MULTILINE : RF_EXTENDED;
        advance(ps);
    } else if (ps->cur.kind == T_STRING) {
        c.kind = CL_LIST;
        rlist *l = grow_in(cx, (void **)&cx->lists, &cx->cap_lists, cx->n_lists, sizeof *cx->lists);
        if (!l)
            return false;
        l->pos = ps->cur.pos;
        l->loaded = l->used = true;
        l->entries = malloc(sizeof *l->entries);
        if (!l->entries) {
            cx->oom = 1;
            return false;
        }
        l->entries[0] = ps->cur.text;
        l->n_entries = 1;
        c.list = (int)cx->n_lists++;
        advance(ps);
    } else if (is_word(&ps->cur, "in")) {
        c.kind = CL_LIST;
        advance(ps);
        c.pos = ps->cur.pos;
        if (ps->cur.kind == T_NAME) {
            c.ref_name = tok_str(ps, &ps->cur);
            advance(ps);
        } else if (ps->cur.kind == T_LBRACE) {
            c.list = parse_inline_entries(ps, NULL, ps->cur.pos);
            if (c.list < 0)
                return false;
            cx->lists[c.list].used = true;
        } else {
            unexpected(ps, "a list name or '{' after 'in'");
            return false;
        }
    } else if (ps->cur.kind == T_NAME) {
        if (c.target != r->target) {
            rc__diag(cx, CRED_SEV_ERROR, &ps->cur.pos,
                     "'match TARGET NAME' is not allowed: a rule reference has no target (write 'match NAME')");
            return false;
        }
        c.kind = CL_RULE;
        c.ref_name = tok_str(ps, &ps->cur);
        advance(ps);
    } else {
        unexpected(ps, "a /pattern/, a \"phrase\", 'in LIST' or a rule name after 'match'");
        return false;
    }
    rclause *slot = grow_in(cx, (void **)&r->clauses, &r->cap_clauses, r->n_clauses, sizeof *r->clauses);
    if (!slot)
        return false;
    *slot = c;
    r->n_clauses++;
    return true;
}

static bool parse_test(parser *ps, rrule *r, rpos pos)
{
    rtest t;
    memset(&t, 0, sizeof t);
    t.pos = pos;
    if (is_word(&ps->cur, "match") || is_word(&ps->cur, "nomatch")) {
        t.expect = is_word(&ps->cur, "match");
    } else {
        unexpected(ps, "'match' or 'nomatch' after 'test'");
        return false;
    }
    advance(ps);
    if (ps->cur.kind != T_STRING) {
        unexpected(ps, "the test text as a string");
        return false;
    }
    t.text = ps->cur.text;
    t.len = ps->cur.len;
    advance(ps);
    while (is_word(&ps->cur, "with")) {
        advance(ps);
        static const char *const fields[META_COUNT] = {"forwarded_from", "author", "source", "lang"};
        int f = -1;
        for (int i = 0; i < META_COUNT; i++)
            if (is_word(&ps->cur, fields[i]))
                f = i;
        if (f < 0) {
            unexpected(ps, "forwarded_from, author, source or lang after 'with'");
            return false;
        }
        advance(ps);
        if (ps->cur.kind != T_STRING) {
            unexpected(ps, "a string");
            return false;
        }
        t.meta[f] = ps->cur.text;
        advance(ps);
    }
    if (is_word(&ps->cur, "quote")) {
        advance(ps);
        if (ps->cur.kind != T_STRING) {
            unexpected(ps, "the expected quote as a string");
            return false;
        }
        if (!t.expect) {
            rc__diag(ps->cx, CRED_SEV_ERROR, &ps->cur.pos, "'quote' only makes sense in 'test match'");
            return false;
        }
        t.quote = ps->cur.text;
        t.quote_len = ps->cur.len;
        advance(ps);
    }
    rtest *slot = grow_in(ps->cx, (void **)&r->tests, &r->cap_tests, r->n_tests, sizeof *r->tests);
    if (!slot)
        return false;
    *slot = t;
    r->n_tests++;
    return true;
}

static bool parse_key(parser *ps, rrule *r, int k, rpos pos)
{
    rctx *cx = ps->cx;
    if (r->has[k]) {
        rc__diag(cx, CRED_SEV_ERROR, &pos, "'%s' given twice in rule %s (first at line %u)", key_names[k],
                 r->info.id, r->key_pos[k].line);
        return false;
    }
    r->has[k] = true;
    r->key_pos[k] = pos;
    token v = ps->cur;
    switch (k) {
    case K_DESCRIBE:
    case K_EXPLAIN:
        if (v.kind != T_STRING) {
            unexpected(ps, "a string");
            return false;
        }
        if (k == K_DESCRIBE)
            r->info.describe = v.text;
        else
            r->explain = v.text;
        break;
    case K_CATEGORY: {
        int c = v.kind == T_WORD ? rc__category_parse(v.text, v.len) : -1;
        if (c < 0) {
            char b[80];
            rc__diag(cx, CRED_SEV_ERROR, &v.pos,
                     "unknown category %s (categories: claim, source, attribution, pressure, style, commercial, "
                     "forward, link, other)", tok_desc(&v, b, sizeof b));
            return false;
        }
        r->info.category = rc__categories[c];
        break;
    }
    case K_LANG: {
        size_t cap = 0;
        while (ps->cur.kind == T_WORD && !is_clause_key(&ps->cur)) {
            token l = ps->cur;
            bool any = is_word(&l, "any");
            bool ok = any || l.len == 2 || l.len == 3;
            for (size_t i = 0; ok && !any && i < l.len; i++)
                ok = l.text[i] >= 'a' && l.text[i] <= 'z';
            if (!ok) {
                char b[80];
                rc__diag(cx, CRED_SEV_ERROR, &l.pos, "%s is not a language code (ISO 639-1 like en, pt, es; or any)",
                         tok_desc(&l, b, sizeof b));
                return false;
            }
            if (!any) {
                if (cred__grow((void **)&r->langs, &cap, r->n_langs + 1, sizeof *r->langs) < 0) {
                    cx->oom = 1;
                    return false;
                }
                r->langs[r->n_langs++] = tok_str(ps, &l);
            }
            advance(ps);
        }
        if (ps->cur.pos.off == v.pos.off) {
            unexpected(ps, "a language code");
            return false;
        }
        return true;
    }
    case K_GROUP:
        if (v.kind != T_NAME) {
            unexpected(ps, "a group name");
            return false;
        }
        r->group_name = tok_str(ps, &v);
        r->group_pos = v.pos;
        break;
    case K_TARGET: {
        int t = v.kind == T_WORD ? rc__target_parse(v.text, v.len) : -1;
        if (t < 0) {
            char b[80];
            rc__diag(cx, CRED_SEV_ERROR, &v.pos,
                     "unknown target %s (targets: norm, raw, stems, urls, domains, forwarded_from, author, source)",
                     tok_desc(&v, b, sizeof b));
            return false;
        }
        r->target = (cred_rule_target)t;
        break;
    }
    case K_WEIGHT:
        if (v.kind != T_NUMBER) {
            unexpected(ps, "a number (log-odds points, e.g. +1.5 or -0.8)");
            return false;
        }
        if (v.num > 20 || v.num < -20) {
            rc__diag(cx, CRED_SEV_ERROR, &v.pos, "weight %g is out of range (-20 .. +20)", v.num);
            return false;
        }
        r->info.weight = v.num;
        break;
    case K_CAP:
        if (v.kind != T_NUMBER || !v.is_int || v.has_sign || v.num < 1 || v.num > 1000) {
            unexpected(ps, "a whole number from 1 to 1000");
            return false;
        }
        r->info.cap = (uint32_t)v.num;
        break;
    default:
        break;
    }
    advance(ps);
    return true;
}

static void parse_rule(parser *ps, bool nice)
{
    rctx *cx = ps->cx;
    rpos rule_pos = ps->cur.pos;
    advance(ps); /* rule */
    if (ps->cur.kind != T_NAME) {
        unexpected(ps, "a rule id (UPPER_SNAKE_CASE)");
        return;
    }
    rrule *r = grow_in(cx, (void **)&cx->rules, &cx->cap_rules, cx->n_rules, sizeof *cx->rules);
    if (!r)
        return;
    size_t ri = cx->n_rules++;
    r->info.id = tok_str(ps, &ps->cur);
    r->info.nice = nice;
    r->info.cap = 1;
    r->info.file = rule_pos.file;
    r->info.line = rule_pos.line;
    r->info.describe = "";
    r->info.category = "other";
    r->pos = ps->cur.pos;
    r->group = -1;
    r->target = CRED_TARGET_NORM;
    advance(ps);
    if (ps->cur.kind != T_LBRACE) {
        unexpected(ps, "'{' opening the rule");
        return;
    }
    advance(ps);
    while (ps->cur.kind != T_RBRACE && ps->cur.kind != T_EOF) {
        r = &cx->rules[ri]; /* the array may move while parsing inline lists: no, but be safe */
        token key = ps->cur;
        if (key.kind == T_ERROR) {
            advance(ps);
            continue;
        }
        if (is_word(&key, "rule") || is_word(&key, "nice") || is_word(&key, "list")) {
            rc__diag(cx, CRED_SEV_ERROR, &key.pos, "'%.*s' inside rule %s: is a '}' missing above?",
                     (int)key.len, key.text, r->info.id);
            return;
        }
        advance(ps);
        bool ok = true;
        int k = -1;
        for (int i = 0; i < K_COUNT; i++)
            if (is_word(&key, key_names[i]))
                k = i;
        if (k >= 0)
            ok = parse_key(ps, r, k, key.pos);
        else if (is_word(&key, "match"))
            ok = parse_match(ps, r);
        else if (is_word(&key, "require") || is_word(&key, "unless"))
            ok = parse_filter(ps, r, is_word(&key, "unless"), key.pos);
        else if (is_word(&key, "test"))
            ok = parse_test(ps, r, key.pos);
        else {
            char b[80];
            rc__diag(cx, CRED_SEV_ERROR, &key.pos,
                     "unknown key %s in rule %s (expected describe, category, lang, group, target, match, "
                     "require, unless, weight, cap, explain or test)", tok_desc(&key, b, sizeof b), r->info.id);
            ok = false;
        }
        if (!ok)
            skip_line(ps, ps->cur.pos.line == key.pos.line ? key.pos.line : ps->cur.pos.line);
        if (!ok && ps->cur.kind != T_RBRACE && ps->cur.kind != T_EOF && !is_clause_key(&ps->cur))
            skip_line(ps, ps->cur.pos.line);
    }
    if (ps->cur.kind != T_RBRACE) {
        rc__diag(cx, CRED_SEV_ERROR, &rule_pos, "rule %s is not closed with '}'", cx->rules[ri].info.id);
        return;
    }
    advance(ps);
}

static bool is_top(const token *t)
{
    return is_word(t, "rule") || is_word(t, "nice") || is_word(t, "list") || is_word(t, "group");
}

void rc__parse(rctx *cx, const char *src, size_t len, const char *file)
{
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.cx = cx;
    rl__init(&ps.lx, src, len, file, cx->arena);
    advance(&ps);
    while (ps.cur.kind != T_EOF && !cx->oom) {
        size_t before = cx->n_errors;
        if (is_word(&ps.cur, "rule")) {
            parse_rule(&ps, false);
        } else if (is_word(&ps.cur, "nice")) {
            advance(&ps);
            if (!is_word(&ps.cur, "rule")) {
                unexpected(&ps, "'rule' after 'nice'");
                continue;
            }
            parse_rule(&ps, true);
        } else if (is_word(&ps.cur, "list")) {
            parse_list(&ps);
        } else if (is_word(&ps.cur, "group")) {
            parse_group(&ps);
        } else {
            if (ps.cur.kind != T_ERROR)
                unexpected(&ps, "'rule', 'nice rule', 'list' or 'group'");
            advance(&ps);
        }
        /* after a broken item, resume silently at the next top-level keyword */
        if (cx->n_errors > before)
            while (ps.cur.kind != T_EOF && !is_top(&ps.cur))
                advance(&ps);
    }
}
