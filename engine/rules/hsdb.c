/*
 * The vectorscan side of a compiled rule set: one database per target, and a cache of those databases
 * on disk so that loading a large rule set does not pay vectorscan's compile time again.
 *
 * A regex clause is given to vectorscan as its widened copy (rx__prefilter_expr): a report only makes
 * the clause a candidate, which PCRE2 then confirms over the whole text. A word list on norm, raw or
 * stems ("som" clause) is given as the distinct last words of its entries (with the words before a last
 * word shorter than RX_TAIL_MIN bytes: a lone "a" is everywhere), near-literals that compile fast;
 * scan.c reads each entry backwards from where its last word ends (rx__entry_start) to get the
 * only start it can have there, and takes at each start the entry the list regex would (ent_rank,
 * ent_bounds; the anchored regex decides next to non-ASCII characters). Every place PCRE2's list regex
 * matches is such a start, so the hits are those of PCRE2 alone, without PCRE2 walking the whole text
 * through a large alternation. (HS_FLAG_SOM_LEFTMOST on whole entries gives the same starts
 * but made the shipped packs compile 3x slower.)
 *
 * Cache file ($XDG_CACHE_HOME/credence/rules-<hash of the rule set's path>.hsdb, or ~/.cache/...),
 * native byte order (vectorscan databases are platform-specific anyway):
 *   "CREDHSDB" | u32 version | u32 0 | u64 key | u64 n_clauses | n_clauses x (u8 hsm, u8 som)
 *   | per target: u32 n_ids | u32 n_always | u64 db_len | u32 clause_of[n_ids] | u32 tail_of[n_ids]
 *                 | u32 always[n_always] | db_len bytes of hs_serialize_database()
 *   | u64 checksum (cred_hash64 of everything before it)
 * key hashes every expression and flag given to vectorscan, vectorscan's version and this format, so a
 * changed rule set or library simply misses; a file that fails any check is ignored and rewritten.
 */
#include "rules/rules_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define HSDB_MAGIC "CREDHSDB"
#define HSDB_VERSION 3u /* 3: databases compiled for the baseline platform (rh__platform) */
#define HSDB_MAX_BYTES (256u << 20)

/* ---- expressions -------------------------------------------------------------------------------- */

static unsigned int hs_flags_of(const rclause *c, bool prefilter)
{
    /* No UCP: see rx__prefilter_expr(). HS_FLAG_SINGLEMATCH: a regex clause is only made a candidate,
     * so one report is enough (it used to drop matches, like the rest, in the AVX-512 code: rh__platform). */
    unsigned int f = HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;
    if (c->rflags & RF_CASELESS)
        f |= HS_FLAG_CASELESS;
    if (c->rflags & RF_DOTALL)
        f |= HS_FLAG_DOTALL;
    if (c->rflags & RF_MULTILINE)
        f |= HS_FLAG_MULTILINE;
    if (prefilter)
        f |= HS_FLAG_PREFILTER;
    return f;
}

static bool hs_accepts(const char *expr, unsigned int flags)
{
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *err = NULL;
    hs_error_t e = hs_expression_info(expr, flags, &info, &err);
    if (err)
        hs_free_compile_error(err);
    free(info);
    return e == HS_SUCCESS;
}

typedef struct texpr {
    char *expr;
    unsigned int flags;
    uint32_t clause;
    uint32_t tail; /* last-word index in a som clause, or UINT32_MAX */
} texpr;

typedef struct tinput {
    texpr *e;
    size_t n, cap;
} tinput;

static bool som_eligible(const rclause *c)
{
    if (c->kind != CL_LIST || !c->re_at || !c->entries)
        return false;
    if (c->target != CRED_TARGET_NORM && c->target != CRED_TARGET_RAW && c->target != CRED_TARGET_STEMS)
        return false;
    for (size_t i = 0; i < c->n_entries; i++)
        if (!c->entries[i] || !rx__entry_rigid(c->entries[i], c->rflags & RF_CASELESS))
            return false;
    return c->n_entries > 0;
}

static int push(tinput *in, char *expr, unsigned int flags, uint32_t clause, uint32_t tail)
{
    if (!expr)
        return cred__error_nomem();
    if (CRED_GROW(in->e, in->cap, in->n + 1) < 0) {
        free(expr);
        return cred__error_nomem();
    }
    in->e[in->n++] = (texpr){expr, flags, clause, tail};
    return 0;
}

typedef struct ranked {
    const char *e;
    uint32_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b) /* the order of rx__list_regex(): longest first */
{
    const ranked *x = a, *y = b;
    size_t lx = strlen(x->e), ly = strlen(y->e);
    if (lx != ly)
        return lx < ly ? 1 : -1;
    int c = strcmp(x->e, y->e);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Each entry's place among the list regex's alternatives, and the \b around it (see scan.c run_ends). */
static int rank_entries(cred_rules *rs, rclause *c)
{
    size_t n = c->n_entries;
    ranked *tmp = malloc(n * sizeof *tmp);
    c->ent_rank = cred_arena_alloc(&rs->arena, n * sizeof *c->ent_rank);
    c->ent_bounds = cred_arena_alloc(&rs->arena, n);
    if (!tmp || !c->ent_rank || !c->ent_bounds) {
        free(tmp);
        return cred__error_nomem();
    }
    for (size_t j = 0; j < n; j++)
        tmp[j] = (ranked){c->entries[j], (uint32_t)j};
    qsort(tmp, n, sizeof *tmp, cmp_ranked);
    for (size_t j = 0; j < n; j++)
        c->ent_rank[tmp[j].i] = (uint32_t)j;
    free(tmp);
    rx__entry_bounds(c->entries, n, c->ent_bounds);
    return 0;
}

/* Group a som clause's entries by last word (entries with the same one share an expression). */
static int group_tails(cred_rules *rs, rclause *c)
{
    size_t n = c->n_entries;
    if (rank_entries(rs, c) < 0)
        return CRED_ENOMEM;
    uint32_t *tail_of = malloc(n * sizeof *tail_of);
    c->tail_first = cred_arena_alloc(&rs->arena, n * sizeof *c->tail_first);
    c->tail_count = cred_arena_alloc(&rs->arena, n * sizeof *c->tail_count);
    c->tail_ents = cred_arena_alloc(&rs->arena, n * sizeof *c->tail_ents);
    c->ent_len = cred_arena_alloc(&rs->arena, n * sizeof *c->ent_len);
    if (!tail_of || !c->tail_first || !c->tail_count || !c->tail_ents || !c->ent_len) {
        free(tail_of);
        return cred__error_nomem();
    }
    uint32_t nt = 0;
    for (size_t j = 0; j < n; j++) {
        const char *tail, *other;
        size_t tl = rx__entry_tail(c->entries[j], &tail);
        c->ent_len[j] = (uint32_t)strlen(c->entries[j]);
        uint32_t k = 0;
        for (; k < nt; k++) {
            size_t ol = rx__entry_tail(c->entries[c->tail_first[k]], &other); /* tail_first: a witness for now */
            if (ol == tl && memcmp(other, tail, tl) == 0)
                break;
        }
        if (k == nt) {
            c->tail_first[nt] = (uint32_t)j;
            c->tail_count[nt++] = 0;
        }
        c->tail_count[k]++;
        tail_of[j] = k;
    }
    uint32_t at = 0;
    for (uint32_t k = 0; k < nt; k++) {
        uint32_t cnt = c->tail_count[k];
        c->tail_first[k] = at;
        c->tail_count[k] = 0;
        at += cnt;
    }
    for (size_t j = 0; j < n; j++)
        c->tail_ents[c->tail_first[tail_of[j]] + c->tail_count[tail_of[j]]++] = (uint32_t)j;
    c->n_tails = nt;
    free(tail_of);
    return 0;
}

/* The expressions of target t before any vectorscan call (cheap: this is what the cache key hashes). */
static int collect(cred_rules *rs, int t, tinput *in)
{
    for (size_t i = 0; i < rs->n_clauses; i++) {
        rclause *c = rs->clauses[i];
        if (c->target != (cred_rule_target)t || c->kind == CL_RULE || c->dead || c->hsm == HSM_NONE)
            continue;
        c->som = som_eligible(c);
        if (c->som) {
            int rc = group_tails(rs, c);
            if (rc < 0)
                return rc;
            unsigned int f = HS_FLAG_UTF8 | (c->rflags & RF_CASELESS ? HS_FLAG_CASELESS : 0);
            for (uint32_t k = 0; k < c->n_tails; k++) {
                const char *tail;
                size_t tl = rx__entry_tail(c->entries[c->tail_ents[c->tail_first[k]]], &tail);
                if (push(in, rx__tail_expr(tail, tl), f, c->id, k) < 0)
                    return CRED_ENOMEM;
            }
            continue;
        }
        if (push(in, rx__prefilter_expr(c->pattern, c->pattern_len, c->rflags & RF_EXTENDED), hs_flags_of(c, false),
                 c->id, UINT32_MAX) < 0)
            return CRED_ENOMEM;
    }
    return 0;
}

static void tinput_free(tinput *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->e[i].expr);
    free(in->e);
    memset(in, 0, sizeof *in);
}

static uint64_t key_of(const tinput *in)
{
    uint64_t h = cred_hash64(HSDB_MAGIC, 8, HSDB_VERSION);
    const char *v = hs_version();
    h = cred_hash64(v, strlen(v), h);
    for (int t = 0; t < CRED_TARGET_COUNT_; t++) {
        uint64_t n = in[t].n;
        h = cred_hash64(&n, sizeof n, h + (uint64_t)t);
        for (size_t i = 0; i < in[t].n; i++) {
            const texpr *e = &in[t].e[i];
            uint32_t meta[3] = {e->flags, e->clause, e->tail};
            h = cred_hash64(meta, sizeof meta, h);
            h = cred_hash64(e->expr, strlen(e->expr) + 1, h);
        }
    }
    return h;
}

/* ---- compiling ---------------------------------------------------------------------------------- */

/*
 * vectorscan 5.4.9's AVX2 and AVX-512 code paths drop matches: `(?:my|a) (?:[^\s]+ )?(?:cousin|sister-in-law)`
 * finds nothing in "xxxxxxxxxxxxxxx my cousin is a nurse" (missed at some offsets of the match, not
 * others), and the shipped EN_ANONYMOUS_SOURCE missed 32 of 5000 generated posts. The same databases
 * scanned by the library's SSE4.2 ("corei7") implementation miss nothing, provided they are compiled
 * without AVX2/AVX-512 features (a database built for AVX-512 scanned by the SSE path misses more).
 * So every database is compiled for the baseline platform and scan.c calls the SSE entry point.
 */
static hs_platform_info_t rh__platform(void)
{
    hs_platform_info_t pl;
    memset(&pl, 0, sizeof pl);
    pl.tune = HS_TUNE_FAMILY_GENERIC;
    pl.cpu_features = 0; /* no AVX2, no AVX-512 */
    return pl;
}

static void to_always(rtarget_db *td, rclause *c)
{
    c->hsm = HSM_PCRE_ONLY;
    c->som = false;
    td->always[td->n_always++] = c->id;
}

/* Compile target t from its inputs: clauses vectorscan rejects are confirmed on every post. */
static int compile_target(cred_rules *rs, int t, tinput *in)
{
    rtarget_db *td = &rs->tgt[t];
    size_t n = in->n;
    const char **exprs = calloc(n ? n : 1, sizeof *exprs);
    unsigned int *flags = calloc(n ? n : 1, sizeof *flags), *ids = calloc(n ? n : 1, sizeof *ids);
    int rc = 0;
    if (!exprs || !flags || !ids) {
        rc = cred__error_nomem();
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        texpr *e = &in->e[i];
        rclause *c = rs->clauses[e->clause];
        if (c->hsm == HSM_PCRE_ONLY) /* an earlier entry of the list failed */
            continue;
        if (e->tail == UINT32_MAX) {
            if (hs_accepts(e->expr, e->flags)) {
                c->hsm = HSM_NORMAL;
            } else if (hs_accepts(e->expr, e->flags | HS_FLAG_PREFILTER)) {
                c->hsm = HSM_PREFILTER;
                e->flags |= HS_FLAG_PREFILTER;
            } else {
                to_always(td, c);
                continue;
            }
        } else {
            c->hsm = HSM_NORMAL;
        }
        exprs[k] = e->expr;
        flags[k] = e->flags;
        ids[k] = (unsigned int)k;
        td->clause_of[k] = e->clause;
        td->tail_of[k] = e->tail;
        k++;
    }
    hs_platform_info_t platform = rh__platform();
    while (k > 0) {
        hs_compile_error_t *err = NULL;
        /* block mode: starts are exact at any distance (the SOM horizon flags are for streaming only) */
        if (hs_compile_multi(exprs, flags, ids, (unsigned int)k, HS_MODE_BLOCK, &platform, &td->db, &err) ==
            HS_SUCCESS)
            break;
        int bad = err ? err->expression : -1;
        if (err)
            hs_free_compile_error(err);
        if (bad < 0 || (size_t)bad >= k) { /* a failure of the whole set: confirm everything with PCRE2 */
            for (size_t j = 0; j < k; j++)
                if (rs->clauses[td->clause_of[j]]->hsm != HSM_PCRE_ONLY)
                    to_always(td, rs->clauses[td->clause_of[j]]);
            k = 0;
            break;
        }
        rclause *c = rs->clauses[td->clause_of[bad]];
        if (c->hsm == HSM_NORMAL && td->tail_of[bad] == UINT32_MAX) {
            c->hsm = HSM_PREFILTER;
            flags[bad] |= HS_FLAG_PREFILTER;
            continue;
        }
        to_always(td, c);
        /* remove every expression of that clause (ids are positions, so renumber) */
        size_t w = 0;
        for (size_t j = 0; j < k; j++) {
            if (td->clause_of[j] == c->id)
                continue;
            exprs[w] = exprs[j];
            flags[w] = flags[j];
            td->clause_of[w] = td->clause_of[j];
            td->tail_of[w] = td->tail_of[j];
            w++;
        }
        k = w;
    }
    td->n_ids = k;
done:
    free(exprs);
    free(flags);
    free(ids);
    return rc;
}

/* ---- the cache ---------------------------------------------------------------------------------- */

static int cache_path(char *out, size_t cap, const char *cache_key)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[1024];
    if (xdg && xdg[0] == '/')
        snprintf(dir, sizeof dir, "%s/credence", xdg);
    else if (home && home[0] == '/')
        snprintf(dir, sizeof dir, "%s/.cache/credence", home);
    else
        return -1;
    int n = snprintf(out, cap, "%s/rules-%016llx.hsdb", dir,
                     (unsigned long long)cred_hash64(cache_key, strlen(cache_key), 0x68736462));
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static void mkdir_parents(const char *path)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return;
        *p = '/';
    }
}

typedef struct rd {
    const unsigned char *p, *end;
    bool bad;
} rd;

static const void *take(rd *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    const void *at = r->p;
    r->p += n;
    return at;
}

static uint64_t take_u64(rd *r)
{
    uint64_t v = 0;
    const void *at = take(r, sizeof v);
    if (at)
        memcpy(&v, at, sizeof v);
    return v;
}

static uint32_t take_u32(rd *r)
{
    uint32_t v = 0;
    const void *at = take(r, sizeof v);
    if (at)
        memcpy(&v, at, sizeof v);
    return v;
}

static void drop_dbs(cred_rules *rs)
{
    for (int t = 0; t < CRED_TARGET_COUNT_; t++) {
        hs_free_database(rs->tgt[t].db);
        rs->tgt[t].db = NULL;
        rs->tgt[t].n_ids = rs->tgt[t].n_always = 0;
    }
}

/* Fill the databases from a cache file's bytes; false (and nothing kept) when it does not fit. */
static bool cache_read(cred_rules *rs, const tinput *in, const char *buf, size_t len, uint64_t key)
{
    if (len < 8 + 4 + 4 + 8 + 8 + 8 || memcmp(buf, HSDB_MAGIC, 8) != 0)
        return false;
    uint64_t sum;
    memcpy(&sum, buf + len - 8, 8);
    if (cred_hash64(buf, len - 8, HSDB_VERSION) != sum)
        return false;
    rd r = {(const unsigned char *)buf + 8, (const unsigned char *)buf + len - 8, false};
    if (take_u32(&r) != HSDB_VERSION || take_u32(&r) != 0 || take_u64(&r) != key || take_u64(&r) != rs->n_clauses)
        return false;
    const unsigned char *cl = take(&r, 2 * rs->n_clauses);
    if (!cl)
        return false;
    for (size_t i = 0; i < rs->n_clauses; i++) /* som was decided by collect(): the file must agree */
        if (cl[2 * i] > HSM_NONE || cl[2 * i + 1] > 1 || (cl[2 * i + 1] && !rs->clauses[i]->som))
            return false;
    for (int t = 0; t < CRED_TARGET_COUNT_ && !r.bad; t++) {
        rtarget_db *td = &rs->tgt[t];
        uint32_t n_ids = take_u32(&r), n_always = take_u32(&r);
        uint64_t db_len = take_u64(&r);
        if (n_ids > in[t].n || n_always > td->n_clauses || (n_ids && !td->clause_of)) {
            r.bad = true;
            break;
        }
        const unsigned char *co = take(&r, 4u * n_ids), *so = take(&r, 4u * n_ids), *al = take(&r, 4u * n_always);
        const char *db = take(&r, db_len);
        if (r.bad)
            break;
        for (size_t i = 0; i < n_ids && !r.bad; i++) {
            uint32_t c, tail;
            memcpy(&c, co + 4 * i, 4);
            memcpy(&tail, so + 4 * i, 4);
            r.bad = c >= rs->n_clauses || rs->clauses[c]->target != (cred_rule_target)t ||
                    (tail != UINT32_MAX && (!rs->clauses[c]->som || tail >= rs->clauses[c]->n_tails));
            td->clause_of[i] = c;
            td->tail_of[i] = tail;
        }
        for (size_t i = 0; i < n_always && !r.bad; i++) {
            uint32_t c;
            memcpy(&c, al + 4 * i, 4);
            r.bad = c >= rs->n_clauses || rs->clauses[c]->target != (cred_rule_target)t;
            td->always[i] = c;
        }
        if (r.bad)
            break;
        td->n_ids = n_ids;
        td->n_always = n_always;
        if (n_ids && (db_len == 0 || hs_deserialize_database(db, (size_t)db_len, &td->db) != HS_SUCCESS))
            r.bad = true;
    }
    if (r.bad || r.p != r.end) {
        drop_dbs(rs);
        return false;
    }
    for (size_t i = 0; i < rs->n_clauses; i++) {
        rclause *c = rs->clauses[i];
        if (c->hsm == HSM_NONE)
            continue; /* domain lists: decided at compile, not by vectorscan */
        c->hsm = (hs_mode)cl[2 * i];
        c->som = cl[2 * i + 1] && c->re_at;
    }
    return true;
}

static int put(cred_buf *b, const void *p, size_t n) { return cred_buf_put(b, p, n); }

static void cache_write(const cred_rules *rs, const char *path, uint64_t key)
{
    cred_buf b = CRED_BUF_INIT;
    uint32_t v = HSDB_VERSION, zero = 0;
    uint64_t nc = rs->n_clauses;
    int rc = put(&b, HSDB_MAGIC, 8) | put(&b, &v, 4) | put(&b, &zero, 4) | put(&b, &key, 8) | put(&b, &nc, 8);
    for (size_t i = 0; i < rs->n_clauses && rc == 0; i++) {
        unsigned char two[2] = {(unsigned char)rs->clauses[i]->hsm, (unsigned char)rs->clauses[i]->som};
        rc = put(&b, two, 2);
    }
    for (int t = 0; t < CRED_TARGET_COUNT_ && rc == 0; t++) {
        const rtarget_db *td = &rs->tgt[t];
        char *db = NULL;
        size_t db_len = 0;
        if (td->db && hs_serialize_database(td->db, &db, &db_len) != HS_SUCCESS) {
            rc = -1;
            break;
        }
        uint32_t n_ids = (uint32_t)td->n_ids, n_always = (uint32_t)td->n_always;
        uint64_t dl = db_len;
        rc = put(&b, &n_ids, 4) | put(&b, &n_always, 4) | put(&b, &dl, 8);
        if (rc == 0 && n_ids)
            rc = put(&b, td->clause_of, 4u * n_ids) | put(&b, td->tail_of, 4u * n_ids);
        if (rc == 0 && n_always)
            rc = put(&b, td->always, 4u * n_always);
        if (rc == 0 && db_len)
            rc = put(&b, db, db_len);
        free(db);
    }
    if (rc == 0) {
        uint64_t sum = cred_hash64(b.ptr, b.len, HSDB_VERSION);
        rc = put(&b, &sum, 8);
    }
    if (rc == 0 && b.len <= HSDB_MAX_BYTES) {
        mkdir_parents(path);
        (void)cred__write_file_atomic(path, b.ptr, b.len); /* a cache that cannot be written is no error */
    }
    cred_buf_free(&b);
}

/* ---- entry point -------------------------------------------------------------------------------- */

int rh__build(cred_rules *rs, rctx *cx, const char *cache_key)
{
    tinput in[CRED_TARGET_COUNT_];
    memset(in, 0, sizeof in);
    int rc = 0;
    for (int t = 0; t < CRED_TARGET_COUNT_; t++) {
        rtarget_db *td = &rs->tgt[t];
        size_t n = 0;
        for (size_t i = 0; i < rs->n_clauses; i++)
            if (rs->clauses[i]->target == (cred_rule_target)t && rs->clauses[i]->kind != CL_RULE)
                n++;
        td->n_clauses = n;
        if (n == 0)
            continue;
        rs->uses_target[t] = true;
        td->always = calloc(n, sizeof *td->always);
        if (!td->always)
            CRED_TRY(cred__error_nomem());
        if (rs->flags & CRED_RULES_NO_PREFILTER) {
            for (size_t i = 0; i < rs->n_clauses; i++) {
                rclause *c = rs->clauses[i];
                if (c->target == (cred_rule_target)t && c->kind != CL_RULE && !c->dead && c->hsm != HSM_NONE)
                    to_always(td, c);
            }
            continue;
        }
        CRED_TRY(collect(rs, t, &in[t]));
        td->clause_of = calloc(in[t].n ? in[t].n : 1, sizeof *td->clause_of);
        td->tail_of = calloc(in[t].n ? in[t].n : 1, sizeof *td->tail_of);
        if (!td->clause_of || !td->tail_of)
            CRED_TRY(cred__error_nomem());
    }
    if (rs->flags & CRED_RULES_NO_PREFILTER)
        goto done;
    char path[1200];
    bool cached = cache_key && !(rs->flags & CRED_RULES_NO_CACHE) && cache_path(path, sizeof path, cache_key) == 0;
    uint64_t key = cached ? key_of(in) : 0;
    if (cached) {
        char *buf = NULL;
        size_t len = 0;
        if (cred__read_file(&buf, &len, path, HSDB_MAX_BYTES) == 0 && cache_read(rs, in, buf, len, key)) {
            free(buf);
            goto done;
        }
        free(buf); /* missing, stale or corrupt: compile (and rewrite it) */
    }
    for (int t = 0; t < CRED_TARGET_COUNT_; t++)
        if (in[t].n)
            CRED_TRY(compile_target(rs, t, &in[t]));
    if (cached)
        cache_write(rs, path, key);
done:
    if (rc == 0 && !(rs->flags & CRED_RULES_NO_PREFILTER))
        for (int t = 0; t < CRED_TARGET_COUNT_; t++)
            for (size_t i = 0; i < rs->tgt[t].n_always; i++) {
                const rclause *c = rs->clauses[rs->tgt[t].always[i]];
                rc__diag(cx, CRED_SEV_WARNING, &c->pos, "pattern of rule %s cannot be prefiltered: PCRE2 runs it on every post",
                         rs->rules[c->rule].info.id);
            }
    for (int t = 0; t < CRED_TARGET_COUNT_; t++)
        tinput_free(&in[t]);
    return rc;
}
