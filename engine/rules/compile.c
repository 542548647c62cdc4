/*
 * Compilation of a checked rule set: PCRE2 (JIT) code per clause, list entries transformed for their
 * target, one vectorscan database per target; plus the cred_rules lifetime and the load entry points.
 */
#include "rules/rules_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ---- PCRE2 ------------------------------------------------------------------------------------- */

static uint32_t pcre_options(unsigned int rf)
{
    uint32_t o = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
    if (rf & RF_CASELESS)
        o |= PCRE2_CASELESS;
    if (rf & RF_DOTALL)
        o |= PCRE2_DOTALL;
    if (rf & RF_MULTILINE)
        o |= PCRE2_MULTILINE;
    if (rf & RF_EXTENDED)
        o |= PCRE2_EXTENDED;
    return o;
}

/* Compile c->pattern; reports errors at the offending column. */
static void compile_pcre(rctx *cx, const rrule *r, rclause *c, bool from_list, pcre2_match_data *md)
{
    int err;
    PCRE2_SIZE eoff;
    c->re = pcre2_compile((PCRE2_SPTR)c->pattern, c->pattern_len, pcre_options(c->rflags), &err, &eoff, NULL);
    if (!c->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        rpos p = c->pos;
        if (!from_list) {
            p.col += 1 + (uint32_t)eoff;
            p.off += 1 + (uint32_t)eoff;
        }
        rc__diag(cx, CRED_SEV_ERROR, &p, "invalid pattern in rule %s: %s", r->info.id, (const char *)msg);
        return;
    }
    if (!(cx->flags & CRED_RULES_NO_JIT))
        pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter on failure */
    if (md && pcre2_match(c->re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) >= 0)
        rc__diag(cx, CRED_SEV_ERROR, &c->pos, "pattern of rule %s can match the empty string", r->info.id);
}

/* ---- list clauses ------------------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Domain lists: sorted hashes of lower-case entries without leading "*." or ".". */
static void build_domain_hashes(rctx *cx, rlist *l)
{
    if (l->hashes || l->n_entries == 0)
        return;
    l->hashes = malloc(l->n_entries * sizeof *l->hashes);
    if (!l->hashes) {
        cx->oom = 1;
        return;
    }
    for (size_t i = 0; i < l->n_entries; i++) {
        const char *e = l->entries[i];
        if (e[0] == '*' && e[1] == '.')
            e += 2;
        while (*e == '.')
            e++;
        char buf[256];
        size_t n = 0;
        for (; e[n] && n < sizeof buf - 1; n++)
            buf[n] = (char)(e[n] >= 'A' && e[n] <= 'Z' ? e[n] + 32 : e[n]);
        while (n > 0 && buf[n - 1] == '.')
            n--;
        l->hashes[i] = cred_hash64(buf, n, 0);
    }
    qsort(l->hashes, l->n_entries, sizeof *l->hashes, cmp_u64);
}

/* Entries of a list transformed like the clause's target (normalised, stemmed or as written). */
static const char **transform_entries(rctx *cx, cred_text *tx, const rrule *r, const rclause *c, const rlist *l)
{
    const char **out = cred_arena_alloc(cx->arena, (l->n_entries ? l->n_entries : 1) * sizeof *out);
    if (!out) {
        cx->oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < l->n_entries; i++) {
        const char *e = l->entries[i];
        out[i] = e;
        if (!tx)
            continue;
        if (c->target == CRED_TARGET_NORM) {
            const char *norm;
            size_t nlen;
            if (cred_text_normalise(tx, &norm, &nlen, e, strlen(e)) == 0)
                out[i] = cred_arena_strndup(cx->arena, norm, nlen);
        } else if (c->target == CRED_TARGET_STEMS) {
            const cred_doc *doc;
            if (cred_text_analyse(tx, &doc, e, strlen(e), r->n_langs ? r->langs[0] : NULL) == 0) {
                cred_buf b = CRED_BUF_INIT;
                for (size_t t = 0; t < doc->n_tokens; t++) {
                    if (t)
                        cred_buf_putc(&b, ' ');
                    cred_buf_put(&b, doc->tokens[t].stem, doc->tokens[t].stem_len);
                }
                out[i] = cred_arena_strndup(cx->arena, b.ptr ? b.ptr : "", b.len);
                cred_buf_free(&b);
            }
        }
        if (!out[i]) {
            cx->oom = 1;
            return NULL;
        }
    }
    return out;
}

/* ---- the set ------------------------------------------------------------------------------------ */

static void rules_destroy(cred_rules *rs)
{
    for (size_t i = 0; i < rs->n_clauses; i++) {
        pcre2_code_free(rs->clauses[i]->re);
        pcre2_code_free(rs->clauses[i]->re_at);
    }
    for (int t = 0; t < CRED_TARGET_COUNT_; t++) {
        hs_free_database(rs->tgt[t].db);
        free(rs->tgt[t].clause_of);
        free(rs->tgt[t].tail_of);
        free(rs->tgt[t].always);
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        rrule *r = &rs->rules[i];
        free(r->clauses);
        free(r->filters);
        free(r->tests);
        free(r->langs);
    }
    for (size_t i = 0; i < rs->n_lists; i++) {
        free(rs->lists[i].entries);
        free(rs->lists[i].hashes);
    }
    free(rs->rules);
    free(rs->lists);
    free(rs->groups);
    free(rs->clauses);
    free(rs->order);
    cred_arena_free(&rs->arena);
    free(rs);
}

cred_rules *cred_rules_ref(cred_rules *rules)
{
    if (rules)
        atomic_fetch_add_explicit(&rules->refs, 1, memory_order_relaxed);
    return rules;
}

void cred_rules_free(cred_rules *rules)
{
    if (rules && atomic_fetch_sub_explicit(&rules->refs, 1, memory_order_acq_rel) == 1)
        rules_destroy(rules);
}

size_t cred_rules_count(const cred_rules *rules) { return rules ? rules->n_rules : 0; }

const cred_rule_info *cred_rules_info(const cred_rules *rules, size_t i)
{
    return rules && i < rules->n_rules ? &rules->rules[i].info : NULL;
}

const char *cred_rules_digest(const cred_rules *rules) { return rules ? rules->digest : ""; }

/* Compile every clause of every rule (PCRE2 even after earlier errors, so `check` shows them all). */
static void compile_clauses(cred_rules *rs, rctx *cx)
{
    cred_text *tx = NULL;
    bool need_tx = false;
    for (size_t i = 0; i < rs->n_clauses; i++)
        need_tx |= rs->clauses[i]->kind == CL_LIST;
    if (need_tx && cred_text_new(&tx, NULL) < 0)
        tx = NULL; /* entries are then used as written */
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    for (size_t i = 0; i < rs->n_clauses && !cx->oom; i++) {
        rclause *c = rs->clauses[i];
        const rrule *r = &rs->rules[c->rule];
        if (c->kind == CL_PATTERN) {
            compile_pcre(cx, r, c, false, md);
        } else if (c->kind == CL_LIST && c->list >= 0) {
            rlist *l = &rs->lists[c->list];
            if (c->target == CRED_TARGET_DOMAINS) {
                build_domain_hashes(cx, l);
                c->hsm = HSM_NONE;
                c->dead = l->n_entries == 0;
                continue;
            }
            if (c->target == CRED_TARGET_STEMS && r->n_langs == 0) {
                rc__diag(cx, CRED_SEV_ERROR, &c->pos,
                         "a word list on stems needs the rule's language to stem its entries (add 'lang en' or similar)");
                continue;
            }
            if (c->target != CRED_TARGET_NORM && c->target != CRED_TARGET_STEMS)
                c->rflags |= RF_CASELESS;
            const char **entries = transform_entries(cx, tx, r, c, l);
            size_t len = 0;
            c->pattern = entries ? rx__list_regex(cx->arena, entries, l->n_entries, &len) : NULL;
            c->pattern_len = len;
            if (!c->pattern) {
                c->dead = true;
                continue;
            }
            compile_pcre(cx, r, c, true, md);
            c->entries = entries;
            c->n_entries = l->n_entries;
            if (c->re && (c->target == CRED_TARGET_NORM || c->target == CRED_TARGET_RAW ||
                          c->target == CRED_TARGET_STEMS)) {
                int err;
                PCRE2_SIZE eoff;
                c->re_at = pcre2_compile((PCRE2_SPTR)c->pattern, c->pattern_len,
                                         pcre_options(c->rflags) | PCRE2_ANCHORED, &err, &eoff, NULL);
                if (c->re_at && !(cx->flags & CRED_RULES_NO_JIT))
                    pcre2_jit_compile(c->re_at, PCRE2_JIT_COMPLETE);
            }
        }
    }
    pcre2_match_data_free(md);
    cred_text_free(tx);
}

int rc__compile_sources(cred_rules **out, const char *const *srcs, const size_t *lens, const char *const *names,
                        size_t n, const cred_rules_options *opts, const char *cache_key)
{
    *out = NULL;
    cred_rules_options defaults = CRED_RULES_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    cred_rules *rs = calloc(1, sizeof *rs);
    if (!rs)
        return cred__error_nomem();
    atomic_init(&rs->refs, 1);
    cred_arena_init(&rs->arena, 0);
    rs->flags = opts->flags;
    rctx cx;
    memset(&cx, 0, sizeof cx);
    cx.arena = &rs->arena;
    cx.base_dir = opts->base_dir;
    cx.flags = opts->flags;
    cx.on_diag = opts->on_diag;
    cx.diag_payload = opts->diag_payload;
    cx.digest = cred_hash64(&opts->flags, sizeof opts->flags, 0x6372656475);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = cred_arena_strndup(&rs->arena, names[i] ? names[i] : "<rules>",
                                              strlen(names[i] ? names[i] : "<rules>"));
        if (!name) {
            cx.oom = 1;
            break;
        }
        if (lens[i] > CRED_LIMIT_RULE_SOURCE_BYTES) {
            rc = cred__error_at(CRED_ELIMIT, name, 0, 0, 0, "%s is larger than %u bytes", name,
                                CRED_LIMIT_RULE_SOURCE_BYTES);
            goto fail;
        }
        cx.digest = cred_hash64(srcs[i], lens[i], cx.digest);
        rc__parse(&cx, srcs[i], lens[i], name);
    }
    if (cx.n_rules > CRED_LIMIT_RULES) {
        rc = cred__error(CRED_ELIMIT, "%zu rules: more than the limit of %d", cx.n_rules, CRED_LIMIT_RULES);
        goto fail;
    }
    uint32_t *order = NULL;
    if (!cx.oom)
        rc__check(&cx, &order);
    /* hand the records over to the set */
    rs->rules = cx.rules;
    rs->n_rules = cx.n_rules;
    rs->lists = cx.lists;
    rs->n_lists = cx.n_lists;
    rs->groups = cx.groups;
    rs->n_groups = cx.n_groups;
    rs->order = order;
    size_t nc = 0;
    for (size_t i = 0; i < rs->n_rules; i++)
        nc += rs->rules[i].n_clauses;
    rs->clauses = calloc(nc ? nc : 1, sizeof *rs->clauses);
    if (!rs->clauses)
        cx.oom = 1;
    for (size_t i = 0; i < rs->n_rules && rs->clauses; i++)
        for (size_t j = 0; j < rs->rules[i].n_clauses; j++) {
            rclause *c = &rs->rules[i].clauses[j];
            c->id = (uint32_t)rs->n_clauses;
            c->rule = (uint32_t)i;
            rs->clauses[rs->n_clauses++] = c;
        }
    if (!cx.oom)
        compile_clauses(rs, &cx);
    if (cx.oom) {
        rc = cred__error_nomem();
        goto fail;
    }
    if (cx.n_errors > 0) {
        rc = cred__error_at(CRED_ESYNTAX, cx.first_error.file, cx.first_error.line, cx.first_error.column,
                            cx.first_error.offset, "%s", cx.first_message);
        goto fail;
    }
    if ((rc = rh__build(rs, &cx, cache_key)) < 0)
        goto fail;
    snprintf(rs->digest, sizeof rs->digest, "%016llx", (unsigned long long)cx.digest);
    *out = rs;
    return 0;
fail:
    if (!rs->rules) { /* records not handed over yet */
        rs->rules = cx.rules;
        rs->n_rules = cx.n_rules;
        rs->lists = cx.lists;
        rs->n_lists = cx.n_lists;
        rs->groups = cx.groups;
        rs->n_groups = cx.n_groups;
    }
    rules_destroy(rs);
    return rc;
}

int cred_rules_compile(cred_rules **out, const char *src, size_t len, const char *name,
                       const cred_rules_options *opts)
{
    if (!out || (!src && len))
        return cred__error(CRED_EINVAL, "cred_rules_compile: NULL argument");
    const char *s = src ? src : "";
    return rc__compile_sources(out, &s, &len, &name, 1, opts, NULL);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int cred_rules_load(cred_rules **out, const char *path, const cred_rules_options *opts)
{
    if (!out || !path)
        return cred__error(CRED_EINVAL, "cred_rules_load: NULL argument");
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return cred__error_os("cannot open", path);
    char **names = NULL, **srcs = NULL;
    size_t *lens = NULL, n = 0, cap = 0;
    int rc = 0;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return cred__error_os("cannot open directory", path);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            size_t l = strlen(de->d_name);
            if (l <= 6 || strcmp(de->d_name + l - 6, ".rules") != 0 || de->d_name[0] == '.')
                continue;
            if (cred__grow((void **)&names, &cap, n + 1, sizeof *names) < 0) {
                closedir(d);
                rc = CRED_ENOMEM;
                goto done;
            }
            size_t pl = strlen(path) + l + 2;
            names[n] = malloc(pl);
            if (!names[n]) {
                closedir(d);
                rc = cred__error_nomem();
                goto done;
            }
            snprintf(names[n], pl, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
            n++;
        }
        closedir(d);
        if (n == 0) {
            rc = cred__error(CRED_ENOTFOUND, "no *.rules file in %s", path);
            goto done;
        }
        qsort(names, n, sizeof *names, cmp_str);
    } else {
        names = malloc(sizeof *names);
        CRED_TRY_ALLOC(names);
        names[0] = cred__strndup(path, strlen(path));
        CRED_TRY_ALLOC(names[0]);
        n = 1;
    }
    srcs = calloc(n, sizeof *srcs);
    lens = calloc(n, sizeof *lens);
    CRED_TRY_ALLOC(srcs);
    CRED_TRY_ALLOC(lens);
    for (size_t i = 0; i < n; i++)
        CRED_TRY(cred__read_file(&srcs[i], &lens[i], names[i], CRED_LIMIT_RULE_SOURCE_BYTES));
    char *real = realpath(path, NULL); /* the cache holds one file per rule-set location */
    rc = rc__compile_sources(out, (const char *const *)srcs, lens, (const char *const *)names, n, opts,
                             real ? real : path);
    free(real);
done:
    for (size_t i = 0; i < n; i++) {
        free(names ? names[i] : NULL);
        free(srcs ? srcs[i] : NULL);
    }
    free(names);
    free(srcs);
    free(lens);
    return rc;
}
