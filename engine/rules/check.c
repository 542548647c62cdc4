/*
 * Semantic checks over a parsed rule set: duplicate names, references, list files, weights,
 * templates, cycles and the evaluation order, plus the lint warnings of `credence rules check`.
 */
#include "rules/rules_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

enum { NK_RULE, NK_LIST, NK_GROUP };

typedef struct named {
    const char *name;
    int kind;
    size_t index;
    const rpos *pos;
} named;

static int cmp_named(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    /* earlier definitions first */
    if (x->pos->file != y->pos->file)
        return 0;
    return x->pos->off < y->pos->off ? -1 : x->pos->off > y->pos->off;
}

static const char *kind_name(int k) { return k == NK_RULE ? "rule" : k == NK_LIST ? "list" : "group"; }

typedef struct names {
    named *v;
    size_t n;
} names;

static const named *lookup(const names *ns, const char *name)
{
    size_t lo = 0, hi = ns->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ns->v[mid].name, name);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ns->n && strcmp(ns->v[lo].name, name) == 0 ? &ns->v[lo] : NULL;
}

static void build_names(rctx *cx, names *ns)
{
    size_t n = cx->n_rules + cx->n_lists + cx->n_groups, k = 0;
    ns->v = calloc(n ? n : 1, sizeof *ns->v);
    if (!ns->v) {
        cx->oom = 1;
        ns->n = 0;
        return;
    }
    for (size_t i = 0; i < cx->n_rules; i++)
        ns->v[k++] = (named){cx->rules[i].info.id, NK_RULE, i, &cx->rules[i].pos};
    for (size_t i = 0; i < cx->n_lists; i++)
        if (cx->lists[i].name)
            ns->v[k++] = (named){cx->lists[i].name, NK_LIST, i, &cx->lists[i].pos};
    for (size_t i = 0; i < cx->n_groups; i++)
        ns->v[k++] = (named){cx->groups[i].name, NK_GROUP, i, &cx->groups[i].pos};
    qsort(ns->v, k, sizeof *ns->v, cmp_named);
    /* report duplicates, keep the first of each name */
    size_t w = 0;
    for (size_t i = 0; i < k; i++) {
        if (w > 0 && strcmp(ns->v[w - 1].name, ns->v[i].name) == 0) {
            const named *first = &ns->v[w - 1], *dup = &ns->v[i];
            if (first->kind == dup->kind)
                rc__diag(cx, CRED_SEV_ERROR, dup->pos, "duplicate %s id %s (first defined at %s:%u:%u)",
                         kind_name(dup->kind), dup->name, first->pos->file, first->pos->line, first->pos->col);
            else
                rc__diag(cx, CRED_SEV_ERROR, dup->pos, "%s %s has the name of the %s defined at %s:%u:%u",
                         kind_name(dup->kind), dup->name, kind_name(first->kind), first->pos->file,
                         first->pos->line, first->pos->col);
            continue;
        }
        ns->v[w++] = ns->v[i];
    }
    ns->n = w;
}

/* ---- list files --------------------------------------------------------------------------------- */

static void load_list(rctx *cx, rlist *l)
{
    char path[4096];
    const char *p = l->path;
    if (p[0] == '/') {
        snprintf(path, sizeof path, "%s", p);
    } else if (cx->base_dir) {
        snprintf(path, sizeof path, "%s/%s", cx->base_dir, p);
    } else {
        const char *f = l->path_pos.file ? l->path_pos.file : "";
        const char *slash = strrchr(f, '/');
        if (slash)
            snprintf(path, sizeof path, "%.*s/%s", (int)(slash - f), f, p);
        else
            snprintf(path, sizeof path, "%s", p);
    }
    char *data = NULL;
    size_t len = 0;
    int rc = cred__read_file(&data, &len, path, CRED_LIMIT_RULE_SOURCE_BYTES);
    if (rc < 0) {
        if (rc == CRED_ENOMEM)
            cx->oom = 1;
        rc__diag(cx, CRED_SEV_ERROR, &l->path_pos, "cannot read list file \"%s\": %s", p,
                 cred_error_last()->message);
        return;
    }
    cx->digest = cred_hash64(data, len, cx->digest);
    size_t cap = 0;
    const char *s = data, *end = data + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        const char *a = s, *b = e;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if (a < b && *a != '#') {
            if (cred__grow((void **)&l->entries, &cap, l->n_entries + 1, sizeof *l->entries) < 0 ||
                !(l->entries[l->n_entries] = cred_arena_strndup(cx->arena, a, (size_t)(b - a)))) {
                cx->oom = 1;
                break;
            }
            l->n_entries++;
        }
        s = nl ? nl + 1 : end;
    }
    free(data);
    l->loaded = true;
}

/* ---- references -------------------------------------------------------------------------------- */

static void resolve_expr(rctx *cx, const names *ns, rexpr *e, rrule *owner)
{
    if (!e)
        return;
    resolve_expr(cx, ns, e->a, owner);
    resolve_expr(cx, ns, e->b, owner);
    for (size_t i = 0; i < e->n_names; i++) {
        const named *nd = lookup(ns, e->names[i]);
        if (!nd)
            rc__diag(cx, CRED_SEV_ERROR, &e->name_pos[i], "undefined rule %s", e->names[i]);
        else if (nd->kind != NK_RULE)
            rc__diag(cx, CRED_SEV_ERROR, &e->name_pos[i], "%s is a %s, not a rule%s", e->names[i],
                     kind_name(nd->kind), nd->kind == NK_LIST ? " (match it in a rule of its own)" : "");
        else {
            e->refs[i] = (int)nd->index;
            cx->rules[nd->index].referenced = true;
            if (&cx->rules[nd->index] == owner)
                rc__diag(cx, CRED_SEV_ERROR, &e->name_pos[i], "rule %s refers to itself", owner->info.id);
        }
    }
}

static void check_template(rctx *cx, rrule *r)
{
    const char *t = r->explain;
    for (const char *p = t; *p; p++) {
        if (*p != '{')
            continue;
        const char *q = strchr(p, '}');
        size_t n = q ? (size_t)(q - p - 1) : 0;
        if (q && ((n == 5 && !memcmp(p + 1, "match", 5)) || (n == 4 && !memcmp(p + 1, "rule", 4)) ||
                  (n == 8 && !memcmp(p + 1, "describe", 8)))) {
            p = q;
            continue;
        }
        rpos pos = r->key_pos[K_EXPLAIN];
        rc__diag(cx, CRED_SEV_ERROR, &pos, "unknown field '%.*s' in explain of rule %s (fields: {match}, {rule}, {describe})",
                 q ? (int)(n + 2) : (int)strlen(p), p, r->info.id);
        return;
    }
}

static void check_rule(rctx *cx, const names *ns, rrule *r)
{
    const char *id = r->info.id;
    if (r->n_clauses == 0)
        rc__diag(cx, CRED_SEV_ERROR, &r->pos, "rule %s has no 'match' clause", id);
    rpos wpos = r->has[K_WEIGHT] ? r->key_pos[K_WEIGHT] : r->pos;
    if (r->info.nice && r->info.weight >= 0)
        rc__diag(cx, CRED_SEV_ERROR, &wpos,
                 "nice rule %s has weight %+g: a nice rule makes a post more credible and needs a negative weight",
                 id, r->info.weight);
    else if (!r->info.nice && r->info.weight < 0)
        rc__diag(cx, CRED_SEV_ERROR, &wpos,
                 "rule %s has a negative weight (%+g): write 'nice rule %s' for rules that make a post more credible",
                 id, r->info.weight, id);
    if (r->info.weight != 0) {
        if (!r->has[K_DESCRIBE])
            rc__diag(cx, CRED_SEV_ERROR, &r->pos, "rule %s has a weight but no 'describe'", id);
        if (!r->has[K_CATEGORY])
            rc__diag(cx, CRED_SEV_ERROR, &r->pos, "rule %s has a weight but no 'category'", id);
    } else if (r->has[K_CAP] || r->has[K_GROUP]) {
        rc__diag(cx, CRED_SEV_ERROR, &r->key_pos[r->has[K_CAP] ? K_CAP : K_GROUP],
                 "rule %s has weight 0: 'cap' and 'group' have no effect on it", id);
    }
    if (r->explain)
        check_template(cx, r);
    if (r->group_name) {
        const named *nd = lookup(ns, r->group_name);
        if (!nd || nd->kind != NK_GROUP)
            rc__diag(cx, CRED_SEV_ERROR, &r->group_pos, "undefined group %s (declare it with 'group %s { max N }')",
                     r->group_name, r->group_name);
        else {
            r->group = (int)nd->index;
            r->info.group = cx->groups[nd->index].name;
        }
    }
    for (size_t i = 0; i < r->n_clauses; i++) {
        rclause *c = &r->clauses[i];
        if (c->kind == CL_PATTERN || !c->ref_name)
            continue;
        const named *nd = lookup(ns, c->ref_name);
        if (c->kind == CL_RULE) {
            if (!nd)
                rc__diag(cx, CRED_SEV_ERROR, &c->pos, "undefined rule %s", c->ref_name);
            else if (nd->kind == NK_LIST)
                rc__diag(cx, CRED_SEV_ERROR, &c->pos, "%s is a list: write 'match in %s'", c->ref_name, c->ref_name);
            else if (nd->kind != NK_RULE)
                rc__diag(cx, CRED_SEV_ERROR, &c->pos, "%s is a group, not a rule", c->ref_name);
            else if (&cx->rules[nd->index] == r)
                rc__diag(cx, CRED_SEV_ERROR, &c->pos, "rule %s refers to itself", id);
            else {
                c->ref = (int)nd->index;
                cx->rules[nd->index].referenced = true;
            }
        } else {
            if (!nd)
                rc__diag(cx, CRED_SEV_ERROR, &c->pos, "undefined list %s", c->ref_name);
            else if (nd->kind != NK_LIST)
                rc__diag(cx, CRED_SEV_ERROR, &c->pos, "%s is a %s, not a list%s", c->ref_name,
                         kind_name(nd->kind), nd->kind == NK_RULE ? " (write 'match NAME' to use its hits)" : "");
            else {
                c->list = (int)nd->index;
                cx->lists[nd->index].used = true;
            }
        }
    }
    for (size_t i = 0; i < r->n_filters; i++)
        resolve_expr(cx, ns, r->filters[i].e, r);
}

/* ---- cycles and order --------------------------------------------------------------------------- */

typedef struct dfs {
    rctx *cx;
    uint8_t *state; /* 0 new, 1 on stack, 2 done */
    uint32_t *stack;
    size_t depth;
    uint32_t *order;
    size_t n_order;
} dfs;

static void visit(dfs *d, uint32_t r);

static void visit_expr(dfs *d, const rexpr *e)
{
    if (!e)
        return;
    visit_expr(d, e->a);
    visit_expr(d, e->b);
    for (size_t i = 0; i < e->n_names; i++)
        if (e->refs[i] >= 0)
            visit(d, (uint32_t)e->refs[i]);
}

static void visit(dfs *d, uint32_t r)
{
    rctx *cx = d->cx;
    if (d->state[r] == 2)
        return;
    if (d->state[r] == 1) {
        /* report the cycle from the first occurrence of r on the stack */
        size_t k = d->depth;
        while (k > 0 && d->stack[k - 1] != r)
            k--;
        cred_buf b = CRED_BUF_INIT;
        for (size_t i = k - 1; i < d->depth; i++)
            cred_buf_printf(&b, "%s -> ", cx->rules[d->stack[i]].info.id);
        cred_buf_printf(&b, "%s", cx->rules[r].info.id);
        rc__diag(cx, CRED_SEV_ERROR, &cx->rules[r].pos, "reference cycle: %s", b.ptr ? b.ptr : "?");
        cred_buf_free(&b);
        return;
    }
    d->state[r] = 1;
    d->stack[d->depth++] = r;
    const rrule *rr = &cx->rules[r];
    for (size_t i = 0; i < rr->n_clauses; i++)
        if (rr->clauses[i].kind == CL_RULE && rr->clauses[i].ref >= 0)
            visit(d, (uint32_t)rr->clauses[i].ref);
    for (size_t i = 0; i < rr->n_filters; i++)
        visit_expr(d, rr->filters[i].e);
    d->depth--;
    d->state[r] = 2;
    d->order[d->n_order++] = r;
}

/* ---- lint --------------------------------------------------------------------------------------- */

static void lint_pattern(rctx *cx, const rrule *r, const rclause *c)
{
    long off;
    bool folded = c->target == CRED_TARGET_NORM || c->target == CRED_TARGET_STEMS;
    if (folded && !(c->rflags & RF_CASELESS) && (off = rx__uppercase_literal(c->pattern, c->pattern_len)) >= 0) {
        rpos p = c->pos;
        p.col += 1 + (uint32_t)off;
        p.off += 1 + (uint32_t)off;
        rc__diag(cx, CRED_SEV_ERROR, &p,
                 "upper-case '%c' can never match the case-folded %s text of rule %s (add the i flag or write it in lower case)",
                 c->pattern[off], cred_rule_target_name(c->target), r->info.id);
    }
    if ((off = rx__nested_quantifier(c->pattern, c->pattern_len)) >= 0) {
        rpos p = c->pos;
        p.col += 1 + (uint32_t)off;
        p.off += 1 + (uint32_t)off;
        rc__diag(cx, CRED_SEV_WARNING, &p,
                 "nested unbounded quantifiers in rule %s can backtrack catastrophically", r->info.id);
    }
    if (rx__min_literal(c->pattern, c->pattern_len) < 3)
        rc__diag(cx, CRED_SEV_WARNING, &c->pos,
                 "pattern of rule %s has no literal of 3 or more bytes: slow to prefilter", r->info.id);
}

static void lint(rctx *cx)
{
    for (size_t i = 0; i < cx->n_rules; i++) {
        const rrule *r = &cx->rules[i];
        if (r->n_tests == 0)
            rc__diag(cx, CRED_SEV_WARNING, &r->pos, "rule %s has no tests", r->info.id);
        if (r->info.weight == 0 && !r->referenced)
            rc__diag(cx, CRED_SEV_WARNING, &r->pos, "rule %s has weight 0 and no rule refers to it: it has no effect",
                     r->info.id);
    }
    for (size_t i = 0; i < cx->n_lists; i++) {
        const rlist *l = &cx->lists[i];
        if (l->name && !l->used)
            rc__diag(cx, CRED_SEV_WARNING, &l->pos, "list %s is never used", l->name);
        if (l->loaded && l->n_entries == 0)
            rc__diag(cx, CRED_SEV_WARNING, l->path ? &l->path_pos : &l->pos, "list %s is empty",
                     l->name ? l->name : "(inline)");
    }
}

void rc__check(rctx *cx, uint32_t **order_out)
{
    *order_out = NULL;
    names ns;
    build_names(cx, &ns);
    for (size_t i = 0; i < cx->n_lists && !cx->oom; i++)
        if (cx->lists[i].path && !cx->lists[i].loaded)
            load_list(cx, &cx->lists[i]);
    for (size_t i = 0; i < cx->n_rules && !cx->oom; i++)
        check_rule(cx, &ns, &cx->rules[i]);
    for (size_t i = 0; i < cx->n_rules; i++) {
        const rrule *r = &cx->rules[i];
        for (size_t j = 0; j < r->n_clauses; j++)
            if (r->clauses[j].kind == CL_PATTERN)
                lint_pattern(cx, r, &r->clauses[j]);
    }
    free(ns.v);
    dfs d = {cx, calloc(cx->n_rules + 1, 1), calloc(cx->n_rules + 1, sizeof(uint32_t)), 0,
             calloc(cx->n_rules + 1, sizeof(uint32_t)), 0};
    if (!d.state || !d.stack || !d.order) {
        cx->oom = 1;
    } else {
        for (uint32_t i = 0; i < cx->n_rules; i++)
            visit(&d, i);
    }
    free(d.state);
    free(d.stack);
    lint(cx);
    *order_out = d.order;
}
