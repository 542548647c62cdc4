/*
 * The scanner: one vectorscan pass per target marks candidate clauses, PCRE2 confirms them and gives
 * spans (word lists mostly without PCRE2: run_ends), rules that can hit are then evaluated in reference
 * order (scopes, combinations), and scored hits are made with caps and group bounds. A scanner belongs
 * to one thread; its buffers grow and are reused.
 */
#include "rules/rules_int.h"

#include <stdlib.h>
#include <time.h>

enum {
    CAND_FULL = 1,  /* run the clause's regex over the whole text */
    CAND_ENDS = 2   /* run the anchored list regex where entries ending at the words found start */
};

/* What a clause needs to be evaluated (scanner's ckind): a candidate mark, or nothing. */
enum {
    CK_CAND = 0,    /* a pattern or list: only when vectorscan (or an `always` entry) made it a candidate */
    CK_REF = 1,     /* `match NAME`: copies that rule's hits */
    CK_DOMAINS = 2, /* a domain list: looked up on every link */
    CK_DEAD = 3     /* never matches */
};

/* Which of a clause's regexes were JIT-compiled (scanner's jit): those run with pcre2_jit_match(). */
enum { JIT_RE = 1, JIT_RE_AT = 2 };

/*
 * vectorscan 5.4.9 on AVX-512 machines misses matches in the last, partial 64-byte block of a scan
 * longer than 64 bytes (`@[a-z]` finds nothing in 63 x's followed by " @webmd"). That was one symptom
 * of its AVX2/AVX-512 code dropping matches, now avoided by scanning with its SSE code (scan_db());
 * the padding stays as a second guard: the scanner gives vectorscan every text followed by 64 spaces,
 * so that no byte of the text is in that block. Padding can only add reports: the vectorscan expressions
 * have no end anchors (rx__prefilter_expr drops them), reports past the text are ignored for lists,
 * and PCRE2 confirms everything else on the real text.
 */
#define SCAN_PAD 64

/*
 * The SSE4.2 implementation of hs_scan() in a fat-runtime libhs (Debian's): hs_scan() itself
 * dispatches to the AVX2 or AVX-512 code, which drops matches (see rh__platform() in hsdb.c). Weak, so
 * a libhs without it links, and scans with hs_scan() (as does a CPU without SSE4.2 and POPCNT).
 */
extern hs_error_t corei7_hs_scan(const hs_database_t *db, const char *data, unsigned int length, unsigned int flags,
                                 hs_scratch_t *scratch, match_event_handler onEvent, void *context)
    __attribute__((weak));

static bool sse42(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
#else
    return false;
#endif
}

static hs_error_t scan_db(const hs_database_t *db, const char *data, unsigned int length, hs_scratch_t *scratch,
                          match_event_handler on, void *ctx)
{
    if (corei7_hs_scan && sse42())
        return corei7_hs_scan(db, data, length, 0, scratch, on, ctx);
    return hs_scan(db, data, length, 0, scratch, on, ctx);
}

struct cred_scanner {
    cred_rules *rules;
    unsigned int flags;
    hs_scratch_t *scratch;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    uint8_t *cand;           /* per clause: CAND_* bits for this post */
    /*
     * Rules to evaluate, as bits over their place in the evaluation order: set by a candidate clause
     * (mark), by links for domain lists, and by a hit of a rule that a `match NAME` clause names (its
     * rules come later in the order). Rules without a bit cannot hit, and are not evaluated.
     */
    uint64_t *todo;
    uint64_t *hit_rules;     /* bits over rule indices: the rules with hits in this post */
    size_t n_words;          /* of either */
    uint32_t *pos_of;        /* per rule: its place in the evaluation order */
    uint32_t *cpos;          /* per clause: pos_of its rule */
    uint32_t *refby_first;   /* per rule + 1: its range in refby, the rules whose `match NAME` name it */
    uint32_t *refby;
    uint32_t *domain_rules;  /* rules with a domain list */
    size_t n_domain_rules;
    uint8_t *ckind;          /* per clause: CK_* (a rule's clauses have consecutive ids) */
    uint8_t *jit;            /* per clause: JIT_* */
    uint32_t *cand_set;      /* clauses marked, to clear them */
    size_t n_cand;
    struct wend {            /* where vectorscan found the last word of some entries of a som clause */
        uint32_t end, tail, next;
    } *ends;
    size_t n_ends, cap_ends;
    uint32_t *end_head;      /* per som clause with CAND_ENDS: its first in `ends` (then `next`) */
    struct scand {           /* entries of the som clause being confirmed: start, rank, end, entry */
        uint32_t at, rank, end, ent;
    } *scand;
    size_t cap_scand;
    const char **langs;      /* the language codes rules name (up to 64), and per rule a bit mask */
    size_t n_langs;
    uint64_t *rule_langs;    /* 0: any language */
    uint64_t post_lang;      /* this post's bit; all ones when every rule applies */
    ihit *hits;
    size_t n_hits, cap_hits;
    uint32_t *first, *count; /* per rule */
    cred_span *sent_raw;     /* raw spans of the doc's sentences (computed on demand) */
    size_t cap_sent;
    bool sent_raw_ok;
    cred_buf stems;
    uint32_t *stem_off;      /* per token: offset of its stem in `stems` */
    size_t cap_stem;
    cred_rule_hit *out;
    size_t cap_out;
    size_t *explain_off;
    size_t cap_explain_off;
    cred_buf text;
    char *padded;            /* the text given to vectorscan, followed by SCAN_PAD spaces */
    size_t cap_padded;
    double *gpos, *gneg;
    cred_rule_stats *stats;
    cred_scan_result result;
    const cred_doc *doc;
    const cred_post *post;
    int error;
};

/* ---- lifetime ---------------------------------------------------------------------------------- */

int cred_scanner_new(cred_scanner **out, cred_rules *rules, unsigned int flags)
{
    if (!out || !rules)
        return cred__error(CRED_EINVAL, "cred_scanner_new: NULL argument");
    *out = NULL;
    cred_scanner *s = calloc(1, sizeof *s);
    if (!s)
        return cred__error_nomem();
    s->rules = cred_rules_ref(rules);
    s->flags = flags;
    size_t nr = rules->n_rules ? rules->n_rules : 1, ng = rules->n_groups ? rules->n_groups : 1;
    s->cand = calloc(rules->n_clauses ? rules->n_clauses : 1, 1);
    s->n_words = (nr + 63) / 64;
    s->todo = calloc(s->n_words, sizeof *s->todo);
    s->hit_rules = calloc(s->n_words, sizeof *s->hit_rules);
    s->pos_of = calloc(nr, sizeof *s->pos_of);
    s->cpos = calloc(rules->n_clauses ? rules->n_clauses : 1, sizeof *s->cpos);
    s->refby_first = calloc(nr + 1, sizeof *s->refby_first);
    s->refby = calloc(rules->n_clauses ? rules->n_clauses : 1, sizeof *s->refby);
    s->domain_rules = calloc(nr, sizeof *s->domain_rules);
    s->ckind = calloc(rules->n_clauses ? rules->n_clauses : 1, 1);
    s->jit = calloc(rules->n_clauses ? rules->n_clauses : 1, 1);
    s->cand_set = calloc(rules->n_clauses ? rules->n_clauses : 1, sizeof *s->cand_set);
    s->end_head = calloc(rules->n_clauses ? rules->n_clauses : 1, sizeof *s->end_head);
    s->langs = calloc(64, sizeof *s->langs);
    s->rule_langs = calloc(nr, sizeof *s->rule_langs);
    s->first = calloc(nr, sizeof *s->first);
    s->count = calloc(nr, sizeof *s->count);
    s->stats = calloc(nr, sizeof *s->stats);
    s->gpos = calloc(ng, sizeof *s->gpos);
    s->gneg = calloc(ng, sizeof *s->gneg);
    s->md = pcre2_match_data_create(1, NULL);
    s->mctx = pcre2_match_context_create(NULL);
    if (!s->cand || !s->todo || !s->hit_rules || !s->pos_of || !s->cpos || !s->refby_first || !s->refby ||
        !s->domain_rules || !s->ckind || !s->jit || !s->cand_set || !s->end_head ||
        !s->langs || !s->rule_langs || !s->first || !s->count || !s->stats || !s->gpos || !s->gneg || !s->md ||
        !s->mctx) {
        cred_scanner_free(s);
        return cred__error_nomem();
    }
    pcre2_set_match_limit(s->mctx, CRED_LIMIT_REGEX_MATCH);
    for (size_t i = 0; i < rules->n_clauses; i++) {
        const rclause *c = rules->clauses[i];
        size_t jsz = 0;
        s->ckind[i] = c->dead                                                    ? CK_DEAD
                      : c->kind == CL_RULE                                       ? CK_REF
                      : c->kind == CL_LIST && c->target == CRED_TARGET_DOMAINS ? CK_DOMAINS
                                                                                 : CK_CAND;
        if (c->re && pcre2_pattern_info(c->re, PCRE2_INFO_JITSIZE, &jsz) == 0 && jsz > 0)
            s->jit[i] |= JIT_RE;
        jsz = 0;
        if (c->re_at && pcre2_pattern_info(c->re_at, PCRE2_INFO_JITSIZE, &jsz) == 0 && jsz > 0)
            s->jit[i] |= JIT_RE_AT;
    }
    for (size_t k = 0; k < rules->n_rules; k++)
        s->pos_of[rules->order[k]] = (uint32_t)k;
    for (size_t i = 0; i < rules->n_clauses; i++)
        s->cpos[i] = s->pos_of[rules->clauses[i]->rule];
    /* who names whom: counted, then placed (a rule naming another twice is listed twice: harmless) */
    for (size_t i = 0; i < rules->n_clauses; i++) {
        const rclause *c = rules->clauses[i];
        if (s->ckind[i] == CK_REF && c->ref >= 0 && (size_t)c->ref < rules->n_rules)
            s->refby_first[c->ref + 1]++;
        else if (s->ckind[i] == CK_DOMAINS &&
                 (s->n_domain_rules == 0 || s->domain_rules[s->n_domain_rules - 1] != c->rule))
            s->domain_rules[s->n_domain_rules++] = c->rule; /* a rule's clauses are consecutive */
    }
    for (size_t i = 0; i < rules->n_rules; i++)
        s->refby_first[i + 1] += s->refby_first[i];
    uint32_t *fill = calloc(nr, sizeof *fill);
    if (!fill) {
        cred_scanner_free(s);
        return cred__error_nomem();
    }
    for (size_t i = 0; i < rules->n_clauses; i++) {
        const rclause *c = rules->clauses[i];
        if (s->ckind[i] == CK_REF && c->ref >= 0 && (size_t)c->ref < rules->n_rules)
            s->refby[s->refby_first[c->ref] + fill[c->ref]++] = c->rule;
    }
    free(fill);
    for (size_t i = 0; i < rules->n_rules; i++) { /* language masks: one strcmp per post, not per rule */
        const rrule *r = &rules->rules[i];
        for (size_t j = 0; j < r->n_langs && s->rule_langs[i] != UINT64_MAX; j++) {
            size_t k = 0;
            while (k < s->n_langs && strcmp(s->langs[k], r->langs[j]) != 0)
                k++;
            if (k == s->n_langs && k < 64)
                s->langs[s->n_langs++] = r->langs[j];
            s->rule_langs[i] = k < 64 ? s->rule_langs[i] | (uint64_t)1 << k : UINT64_MAX; /* > 64: any */
        }
    }
    for (int t = 0; t < CRED_TARGET_COUNT_; t++)
        if (rules->tgt[t].db && hs_alloc_scratch(rules->tgt[t].db, &s->scratch) != HS_SUCCESS) {
            cred_scanner_free(s);
            return cred__error_nomem();
        }
    *out = s;
    return 0;
}

void cred_scanner_free(cred_scanner *s)
{
    if (!s)
        return;
    hs_free_scratch(s->scratch);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    free(s->cand);
    free(s->todo);
    free(s->hit_rules);
    free(s->pos_of);
    free(s->cpos);
    free(s->refby_first);
    free(s->refby);
    free(s->domain_rules);
    free(s->ckind);
    free(s->jit);
    free(s->cand_set);
    free(s->ends);
    free(s->end_head);
    free(s->scand);
    free(s->langs);
    free(s->rule_langs);
    free(s->hits);
    free(s->first);
    free(s->count);
    free(s->sent_raw);
    cred_buf_free(&s->stems);
    free(s->stem_off);
    free(s->out);
    free(s->explain_off);
    cred_buf_free(&s->text);
    free(s->padded);
    free(s->gpos);
    free(s->gneg);
    free(s->stats);
    cred_rules_free(s->rules);
    free(s);
}

cred_rules *cred_scanner_rules(const cred_scanner *s) { return s ? s->rules : NULL; }

void cred_scanner_stats(const cred_scanner *s, const cred_rule_stats **out) { *out = s->stats; }

void cred_scanner_stats_reset(cred_scanner *s)
{
    memset(s->stats, 0, (s->rules->n_rules ? s->rules->n_rules : 1) * sizeof *s->stats);
}

/* ---- positions ---------------------------------------------------------------------------------- */

static uint32_t sentence_of_norm(const cred_doc *doc, size_t off)
{
    size_t lo = 0, hi = doc->n_sentences;
    if (hi == 0)
        return CRED_NO_SENTENCE;
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (doc->sentences[mid].start <= off)
            lo = mid;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

static uint32_t sentence_of_raw(cred_scanner *s, size_t off)
{
    const cred_doc *doc = s->doc;
    if (doc->n_sentences == 0)
        return CRED_NO_SENTENCE;
    if (!s->sent_raw_ok) {
        if (CRED_GROW(s->sent_raw, s->cap_sent, doc->n_sentences) < 0) {
            s->error = CRED_ENOMEM;
            return CRED_NO_SENTENCE;
        }
        for (size_t i = 0; i < doc->n_sentences; i++)
            s->sent_raw[i] = cred_doc_raw_span(doc, doc->sentences[i]);
        s->sent_raw_ok = true;
    }
    size_t lo = 0, hi = doc->n_sentences;
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->sent_raw[mid].start <= off)
            lo = mid;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

static uint32_t link_sentence(const cred_doc *doc, const cred_link *l)
{
    return l->token < doc->n_tokens ? doc->tokens[l->token].sentence : CRED_NO_SENTENCE;
}

/* ---- targets ------------------------------------------------------------------------------------ */

static const char *meta_field(const cred_post *post, int t)
{
    if (!post)
        return NULL;
    switch (t) {
    case CRED_TARGET_FORWARDED_FROM: return post->forwarded_from;
    case CRED_TARGET_AUTHOR: return post->author;
    case CRED_TARGET_SOURCE: return post->source;
    default: return NULL;
    }
}

static int build_stems(cred_scanner *s)
{
    const cred_doc *doc = s->doc;
    cred_buf_clear(&s->stems);
    if (CRED_GROW(s->stem_off, s->cap_stem, doc->n_tokens + 1) < 0)
        return CRED_ENOMEM;
    for (size_t i = 0; i < doc->n_tokens; i++) {
        const cred_token *t = &doc->tokens[i];
        if (i && cred_buf_putc(&s->stems, ' ') < 0)
            return CRED_ENOMEM;
        s->stem_off[i] = (uint32_t)s->stems.len;
        const char *st = t->stem ? t->stem : doc->norm + t->start;
        size_t sl = t->stem ? t->stem_len : t->len;
        if (cred_buf_put(&s->stems, st, sl) < 0)
            return CRED_ENOMEM;
    }
    return cred_buf_terminate(&s->stems);
}

static size_t stem_token(const cred_scanner *s, size_t off)
{
    size_t lo = 0, hi = s->doc->n_tokens;
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->stem_off[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static void mark(cred_scanner *s, uint32_t clause, uint8_t bits)
{
    if (!s->cand[clause]) {
        s->cand_set[s->n_cand++] = clause;
        s->todo[s->cpos[clause] / 64] |= (uint64_t)1 << (s->cpos[clause] % 64);
    }
    s->cand[clause] |= bits;
}

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                       void *ctx)
{
    CRED_UNUSED(from);
    CRED_UNUSED(flags);
    void **c = ctx;
    cred_scanner *s = c[0];
    const rtarget_db *td = c[1];
    uint32_t clause = td->clause_of[id];
    uint32_t tail = td->tail_of[id];
    if (tail == UINT32_MAX || to > UINT32_MAX) {
        mark(s, clause, CAND_FULL);
        return 0;
    }
    if (s->cand[clause] & CAND_FULL)
        return 0;
    if (CRED_GROW(s->ends, s->cap_ends, s->n_ends + 1) < 0) {
        mark(s, clause, CAND_FULL); /* no room: scan the whole text instead */
        return 0;
    }
    if (!(s->cand[clause] & CAND_ENDS))
        s->end_head[clause] = UINT32_MAX;
    s->ends[s->n_ends] = (struct wend){(uint32_t)to, tail, s->end_head[clause]};
    s->end_head[clause] = (uint32_t)s->n_ends++;
    mark(s, clause, CAND_ENDS);
    return 0;
}

static void prefilter_item(cred_scanner *s, const rtarget_db *td, const char *text, size_t len, bool valid)
{
    if (len == 0)
        return;
    for (size_t i = 0; i < td->n_always; i++)
        mark(s, td->always[i], CAND_FULL);
    if (!td->db)
        return;
    if (!valid) { /* vectorscan needs valid UTF-8: confirm every clause of the target with PCRE2 */
        for (size_t i = 0; i < s->rules->n_clauses; i++) {
            const rclause *c = s->rules->clauses[i];
            if (c->target == (cred_rule_target)(td - s->rules->tgt) && c->hsm <= HSM_PREFILTER && !c->dead)
                mark(s, c->id, CAND_FULL);
        }
        return;
    }
    void *ctx[2] = {s, (void *)td};
    if (len > UINT32_MAX - SCAN_PAD || CRED_GROW(s->padded, s->cap_padded, len + SCAN_PAD) < 0) {
        s->error = len > UINT32_MAX - SCAN_PAD ? CRED_ERROR : CRED_ENOMEM;
        return;
    }
    memcpy(s->padded, text, len);
    memset(s->padded + len, ' ', SCAN_PAD);
    if (scan_db(td->db, s->padded, (unsigned int)(len + SCAN_PAD), s->scratch, on_hs_match, ctx) != HS_SUCCESS)
        s->error = CRED_ERROR;
}

static int prefilter(cred_scanner *s)
{
    const cred_rules *rs = s->rules;
    const cred_doc *doc = s->doc;
    for (int t = 0; t < CRED_TARGET_COUNT_; t++) {
        if (!rs->uses_target[t])
            continue;
        const rtarget_db *td = &rs->tgt[t];
        switch (t) {
        case CRED_TARGET_NORM: prefilter_item(s, td, doc->norm, doc->norm_len, true); break;
        case CRED_TARGET_RAW: prefilter_item(s, td, doc->raw, doc->raw_len, doc->invalid_bytes == 0); break;
        case CRED_TARGET_STEMS:
            if (build_stems(s) < 0)
                return cred__error_nomem();
            prefilter_item(s, td, s->stems.ptr, s->stems.len, true);
            break;
        case CRED_TARGET_URLS:
        case CRED_TARGET_DOMAINS:
            for (size_t i = 0; i < doc->n_links; i++) {
                const char *v = t == CRED_TARGET_URLS ? doc->links[i].url : doc->links[i].domain;
                if (v)
                    prefilter_item(s, td, v, strlen(v), true);
            }
            break;
        default: {
            const char *v = meta_field(s->post, t);
            if (v) {
                size_t n = strlen(v);
                prefilter_item(s, td, v, n, cred_utf8_invalid_count(v, n) == 0);
            }
        }
        }
    }
    return 0;
}

/* ---- confirmation ------------------------------------------------------------------------------- */

/* One match attempt: straight into the JIT code when the regex has some (the same result as pcre2_match). */
static int match_at(cred_scanner *s, const pcre2_code *re, bool jit, const char *subj, size_t len, size_t off)
{
    if (jit)
        return pcre2_jit_match(re, (PCRE2_SPTR)subj, len, off, 0, s->md, s->mctx);
    return pcre2_match(re, (PCRE2_SPTR)subj, len, off, 0, s->md, s->mctx);
}

static bool add_hit(cred_scanner *s, uint32_t rule_first, ihit h)
{
    if (s->n_hits - rule_first >= CRED_LIMIT_HITS_PER_RULE)
        return false;
    if (CRED_GROW(s->hits, s->cap_hits, s->n_hits + 1) < 0) {
        s->error = CRED_ENOMEM;
        return false;
    }
    s->hits[s->n_hits++] = h;
    return true;
}

/* Map a match [a, b) in a subject of `target` to a hit. */
static ihit make_hit(cred_scanner *s, const rclause *c, const char *subj, size_t a, size_t b, size_t item)
{
    const cred_doc *doc = s->doc;
    ihit h = {{0, 0}, CRED_NO_SENTENCE, (uint8_t)c->target, NULL, 0};
    switch (c->target) {
    case CRED_TARGET_NORM: {
        cred_span n = {(uint32_t)a, (uint32_t)b};
        h.span = cred_doc_raw_span(doc, n);
        h.sentence = sentence_of_norm(doc, a);
        break;
    }
    case CRED_TARGET_RAW:
        h.span = (cred_span){(uint32_t)a, (uint32_t)b};
        h.sentence = sentence_of_raw(s, a);
        break;
    case CRED_TARGET_STEMS: {
        size_t t1 = stem_token(s, a), t2 = stem_token(s, b > a ? b - 1 : a);
        cred_span n = {doc->tokens[t1].start, doc->tokens[t2].start + doc->tokens[t2].len};
        h.span = cred_doc_raw_span(doc, n);
        h.sentence = doc->tokens[t1].sentence;
        break;
    }
    case CRED_TARGET_URLS:
    case CRED_TARGET_DOMAINS:
        h.span = doc->links[item].raw;
        h.sentence = link_sentence(doc, &doc->links[item]);
        break;
    default:
        h.span = (cred_span){(uint32_t)a, (uint32_t)b};
        h.quote = subj + a;
        h.quote_len = (uint32_t)(b - a);
        return h;
    }
    if (h.span.end > doc->raw_len)
        h.span.end = (uint32_t)doc->raw_len;
    if (h.span.start > h.span.end)
        h.span.start = h.span.end;
    h.quote = doc->raw + h.span.start;
    h.quote_len = h.span.end - h.span.start;
    return h;
}

static void run_pcre(cred_scanner *s, const rclause *c, const char *subj, size_t len, size_t item, uint32_t first)
{
    size_t off = 0;
    bool one = c->target == CRED_TARGET_URLS || c->target == CRED_TARGET_DOMAINS;
    while (off <= len) {
        int rc = match_at(s, c->re, s->jit[c->id] & JIT_RE, subj, len, off);
        if (rc < 0) {
            if (rc != PCRE2_ERROR_NOMATCH && s->error == 0)
                s->error = CRED_ELIMIT;
            return;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
        size_t a = ov[0], b = ov[1];
        if (b > a && (!add_hit(s, first, make_hit(s, c, subj, a, b, item)) || one))
            return;
        if (b > a) {
            off = b;
        } else {
            off = b + 1;
            while (off < len && ((unsigned char)subj[off] & 0xC0) == 0x80)
                off++;
        }
    }
}

/* Whether the byte before (at) or at (end) a list hit is a PCRE2 word character: 1 yes, 0 no, -1 unknown
 * (a non-ASCII character, whose class only PCRE2's Unicode tables know). */
static int ascii_word(const char *subj, size_t len, size_t i, bool before)
{
    if (before ? i == 0 : i >= len)
        return 0;
    unsigned char c = (unsigned char)subj[before ? i - 1 : i];
    if (c >= 0x80)
        return -1;
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int cmp_scand(const void *a, const void *b)
{
    const struct scand *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->rank != y->rank ? (x->rank < y->rank ? -1 : 1) : 0;
}

/*
 * A som list clause: the entries that end where vectorscan found their last words, read backwards to
 * their only possible start (rx__entry_start), taken by ascending start at or after the end of the
 * previous hit. At one start the list regex, anchored, takes the first of its alternatives (longest
 * first: ent_rank) that matches with its \b; every alternative that matches there is among these
 * entries, ending where the backward read says (a white-space run of an entry takes the whole run of
 * \s characters, as PCRE2's greedy \s+ must). So the hit is the first of them by rank whose \b hold,
 * checked here when the neighbouring characters are ASCII; otherwise the anchored regex decides. PCRE2
 * alone finds exactly these matches: each of them starts at one of those starts.
 */
static void run_ends(cred_scanner *s, const rclause *c, const char *subj, size_t len, uint32_t first)
{
    size_t n = 0;
    bool caseless = c->rflags & RF_CASELESS;
    for (uint32_t i = s->end_head[c->id]; i != UINT32_MAX; i = s->ends[i].next) {
        size_t end = s->ends[i].end;
        uint32_t t = s->ends[i].tail;
        if (end > len)
            continue;
        for (uint32_t k = 0; k < c->tail_count[t]; k++) {
            uint32_t e = c->tail_ents[c->tail_first[t] + k];
            long at;
            if (c->ent_bounds[e] & RX_B_SPACE)
                at = rx__entry_start(c->entries[e], c->ent_len[e], subj, end, caseless);
            else /* one word: its bytes right before the end */
                at = c->ent_len[e] <= end &&
                             rx__entry_tail_eq(c->entries[e], c->ent_len[e], subj + end - c->ent_len[e], caseless)
                         ? (long)(end - c->ent_len[e])
                         : -1;
            if (at < 0)
                continue;
            if (CRED_GROW(s->scand, s->cap_scand, n + 1) < 0) {
                s->error = CRED_ENOMEM;
                return;
            }
            s->scand[n++] = (struct scand){(uint32_t)at, c->ent_rank[e], (uint32_t)end, e};
        }
    }
    struct scand *sc = s->scand;
    if (n > 1) {
        if (n <= 16) {
            for (size_t i = 1; i < n; i++) {
                struct scand x = sc[i];
                size_t j = i;
                for (; j > 0 && cmp_scand(&sc[j - 1], &x) > 0; j--)
                    sc[j] = sc[j - 1];
                sc[j] = x;
            }
        } else {
            qsort(sc, n, sizeof *sc, cmp_scand);
        }
    }
    size_t off = 0;
    for (size_t i = 0; i < n;) {
        size_t at = sc[i].at, j = i;
        while (j < n && sc[j].at == at)
            j++;
        size_t from = i;
        i = j;
        if (at < off)
            continue;
        size_t a = 0, b = 0;
        bool found = false, ask = false;
        for (size_t k = from; k < j && !found && !ask; k++) {
            uint8_t bnd = c->ent_bounds[sc[k].ent];
            int before = bnd & RX_B_START ? ascii_word(subj, len, at, true) : 0;
            int after = bnd & RX_B_END ? ascii_word(subj, len, sc[k].end, false) : 0;
            if (before < 0 || after < 0)
                ask = true; /* a non-ASCII neighbour: PCRE2 decides at this start */
            else if (!before && !after) {
                found = true;
                a = at;
                b = sc[k].end;
            }
        }
        if (ask) {
            int rc = match_at(s, c->re_at, s->jit[c->id] & JIT_RE_AT, subj, len, at);
            if (rc == PCRE2_ERROR_NOMATCH)
                continue;
            if (rc < 0) {
                if (s->error == 0)
                    s->error = CRED_ELIMIT;
                return;
            }
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
            a = ov[0];
            b = ov[1];
            found = true;
        }
        if (found && b > a) {
            if (!add_hit(s, first, make_hit(s, c, subj, a, b, 0)))
                return;
            off = b;
        }
    }
}

static bool domain_listed(const rlist *l, const char *host)
{
    if (!l->hashes)
        return false;
    for (const char *h = host; h && *h;) {
        uint64_t x = cred_hash64(h, strlen(h), 0);
        size_t lo = 0, hi = l->n_entries;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (l->hashes[mid] < x)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < l->n_entries && l->hashes[lo] == x)
            return true;
        h = strchr(h, '.');
        if (h)
            h++;
    }
    return false;
}

static void confirm(cred_scanner *s, const rclause *c, uint32_t first)
{
    const cred_doc *doc = s->doc;
    if (c->kind == CL_LIST && c->target == CRED_TARGET_DOMAINS) {
        const rlist *l = &s->rules->lists[c->list];
        for (size_t i = 0; i < doc->n_links; i++)
            if (domain_listed(l, doc->links[i].host ? doc->links[i].host : doc->links[i].domain))
                add_hit(s, first, make_hit(s, c, NULL, 0, 0, i));
        return;
    }
    if (!s->cand[c->id] || !c->re)
        return;
    s->stats[c->rule].confirms++;
    if (c->som && !(s->cand[c->id] & CAND_FULL)) {
        const char *subj = c->target == CRED_TARGET_NORM  ? doc->norm
                           : c->target == CRED_TARGET_RAW ? doc->raw
                                                          : s->stems.ptr;
        size_t len = c->target == CRED_TARGET_NORM ? doc->norm_len
                     : c->target == CRED_TARGET_RAW ? doc->raw_len
                                                    : s->stems.len;
        run_ends(s, c, subj, len, first);
        return;
    }
    switch (c->target) {
    case CRED_TARGET_NORM: run_pcre(s, c, doc->norm, doc->norm_len, 0, first); break;
    case CRED_TARGET_RAW: run_pcre(s, c, doc->raw, doc->raw_len, 0, first); break;
    case CRED_TARGET_STEMS: run_pcre(s, c, s->stems.ptr, s->stems.len, 0, first); break;
    case CRED_TARGET_URLS:
    case CRED_TARGET_DOMAINS:
        for (size_t i = 0; i < doc->n_links; i++) {
            const char *v = c->target == CRED_TARGET_URLS ? doc->links[i].url : doc->links[i].domain;
            if (v)
                run_pcre(s, c, v, strlen(v), i, first);
        }
        break;
    default: {
        const char *v = meta_field(s->post, c->target);
        if (v)
            run_pcre(s, c, v, strlen(v), 0, first);
    }
    }
}

/* ---- scopes and combinations -------------------------------------------------------------------- */

typedef struct window {
    bool all;
    uint32_t lo, hi;
} window;

static size_t count_in(const cred_scanner *s, int rule, window w)
{
    if (rule < 0)
        return 0;
    const ihit *h = s->hits + s->first[rule];
    size_t n = s->count[rule];
    if (w.all)
        return n;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (h[i].sentence == CRED_NO_SENTENCE || (h[i].sentence >= w.lo && h[i].sentence <= w.hi))
            k++;
    return k;
}

static bool eval(const cred_scanner *s, const rexpr *e, window w)
{
    switch (e->op) {
    case EX_REF: return count_in(s, e->refs[0], w) > 0;
    case EX_NOT: return !eval(s, e->a, w);
    case EX_AND: return eval(s, e->a, w) && eval(s, e->b, w);
    case EX_OR: return eval(s, e->a, w) || eval(s, e->b, w);
    case EX_COUNT: {
        long n = (long)count_in(s, e->refs[0], w);
        switch (e->cmp) {
        case CMP_GE: return n >= e->n;
        case CMP_GT: return n > e->n;
        case CMP_LE: return n <= e->n;
        case CMP_LT: return n < e->n;
        default: return n == e->n;
        }
    }
    case EX_NOF: {
        long k = 0;
        for (size_t i = 0; i < e->n_names; i++)
            k += count_in(s, e->refs[i], w) > 0;
        return k >= e->n;
    }
    }
    return false;
}

static bool passes(const cred_scanner *s, const rrule *r, const ihit *h)
{
    for (size_t i = 0; i < r->n_filters; i++) {
        const rfilter *f = &r->filters[i];
        window w = {true, 0, 0};
        if (f->scope == SC_WITHIN && h->sentence != CRED_NO_SENTENCE) {
            w.all = false;
            uint32_t at = h->sentence;
            w.lo = f->dir > 0 ? at : at >= f->n ? at - f->n : 0;
            w.hi = f->dir < 0 ? at : at + f->n;
        }
        if (eval(s, f->e, w) == f->unless)
            return false;
    }
    return true;
}

static int cmp_hit(const void *a, const void *b)
{
    const ihit *x = a, *y = b;
    if (x->span.start != y->span.start)
        return x->span.start < y->span.start ? -1 : 1;
    if (x->span.end != y->span.end)
        return x->span.end < y->span.end ? -1 : 1;
    return (int)x->target - (int)y->target;
}

/* The post's language bit for the rules' masks (all ones: unknown language, every rule applies). */
static uint64_t post_lang_bit(const cred_scanner *s, const cred_doc *doc)
{
    if (!doc->lang || strcmp(doc->lang, "und") == 0)
        return UINT64_MAX;
    for (size_t k = 0; k < s->n_langs; k++)
        if (strcmp(s->langs[k], doc->lang) == 0)
            return (uint64_t)1 << k;
    return 0;
}

static bool lang_applies(const cred_scanner *s, size_t ri)
{
    uint64_t m = s->rule_langs[ri];
    if (m == 0 || s->post_lang == UINT64_MAX)
        return true;
    if (m != UINT64_MAX)
        return (m & s->post_lang) != 0;
    const rrule *r = &s->rules->rules[ri]; /* a set naming more than 64 languages */
    for (size_t i = 0; i < r->n_langs; i++)
        if (strcmp(r->langs[i], s->doc->lang) == 0)
            return true;
    return false;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void evaluate_rule(cred_scanner *s, uint32_t ri)
{
    const rrule *r = &s->rules->rules[ri];
    uint32_t first = (uint32_t)s->n_hits;
    s->first[ri] = first;
    s->count[ri] = 0;
    if (!lang_applies(s, ri))
        return;
    uint32_t base = r->n_clauses ? r->clauses[0].id : 0;
    for (size_t i = 0; i < r->n_clauses; i++) {
        uint8_t k = s->ckind[base + i]; /* no look at the clause itself unless it can hit */
        if (k == CK_DEAD || (k == CK_CAND && !s->cand[base + i]))
            continue;
        const rclause *c = &r->clauses[i];
        if (k == CK_REF) {
            size_t n = s->count[c->ref], from = s->first[c->ref];
            for (size_t j = 0; j < n; j++)
                if (!add_hit(s, first, s->hits[from + j]))
                    break;
        } else {
            confirm(s, c, first);
        }
    }
    size_t n = s->n_hits - first;
    ihit *h = n ? s->hits + first : NULL; /* hits is NULL until the first hit */
    if (n > 1) {
        if (n <= 16) { /* insertion sort: no allocation, and hits mostly come in order */
            for (size_t i = 1; i < n; i++) {
                ihit x = h[i];
                size_t j = i;
                for (; j > 0 && cmp_hit(&h[j - 1], &x) > 0; j--)
                    h[j] = h[j - 1];
                h[j] = x;
            }
        } else {
            qsort(h, n, sizeof *h, cmp_hit);
        }
        size_t w = 1;
        for (size_t i = 1; i < n; i++)
            if (cmp_hit(&h[i], &h[w - 1]) != 0)
                h[w++] = h[i];
        n = w;
    }
    if (r->n_filters) {
        size_t w = 0;
        for (size_t i = 0; i < n; i++)
            if (passes(s, r, &h[i]))
                h[w++] = h[i];
        n = w;
    }
    s->n_hits = first + n;
    s->count[ri] = (uint32_t)n;
    if (n) {
        s->stats[ri].posts++;
        s->stats[ri].hits += n;
    }
}

int rs__evaluate(cred_scanner *s, const cred_doc *doc, const cred_post *post)
{
    const cred_rules *rs = s->rules;
    s->doc = doc;
    s->post = post;
    s->error = 0;
    s->n_hits = 0;
    s->sent_raw_ok = false;
    for (size_t i = 0; i < s->n_cand; i++)
        s->cand[s->cand_set[i]] = 0;
    s->n_cand = 0;
    memset(s->todo, 0, s->n_words * sizeof *s->todo);
    memset(s->hit_rules, 0, s->n_words * sizeof *s->hit_rules);
    /* rules that cannot hit are not evaluated: no hits (first 0 keeps rs__rule_hits in bounds) */
    memset(s->first, 0, (rs->n_rules ? rs->n_rules : 1) * sizeof *s->first);
    memset(s->count, 0, (rs->n_rules ? rs->n_rules : 1) * sizeof *s->count);
    s->n_ends = 0;
    s->post_lang = post_lang_bit(s, doc);
    int rc = prefilter(s);
    if (rc < 0)
        return rc;
    if (doc->n_links)
        for (size_t i = 0; i < s->n_domain_rules; i++)
            s->todo[s->pos_of[s->domain_rules[i]] / 64] |= (uint64_t)1 << (s->pos_of[s->domain_rules[i]] % 64);
    bool prof = s->flags & CRED_SCANNER_PROFILE;
    for (size_t w = 0; w < s->n_words; w++) {
        while (s->todo[w]) { /* re-read: a hit sets the bits of later rules, maybe in this word */
            unsigned b = (unsigned)__builtin_ctzll(s->todo[w]);
            s->todo[w] &= s->todo[w] - 1;
            uint32_t ri = rs->order[w * 64 + b];
            uint64_t t0 = prof ? now_ns() : 0;
            evaluate_rule(s, ri);
            if (prof)
                s->stats[ri].ns += now_ns() - t0;
            if (!s->count[ri])
                continue;
            s->hit_rules[ri / 64] |= (uint64_t)1 << (ri % 64);
            for (uint32_t i = s->refby_first[ri]; i < s->refby_first[ri + 1]; i++) {
                uint32_t p = s->pos_of[s->refby[i]];
                if (p > w * 64 + b) /* references come first in the order; a later one could not see this */
                    s->todo[p / 64] |= (uint64_t)1 << (p % 64);
            }
        }
    }
    if (s->error == CRED_ENOMEM)
        return cred__error_nomem();
    if (s->error == CRED_ELIMIT)
        return cred__error(CRED_ELIMIT, "a pattern reached the match limit (%u)", CRED_LIMIT_REGEX_MATCH);
    if (s->error)
        return cred__error(CRED_ERROR, "vectorscan scan failed");
    return 0;
}

const ihit *rs__rule_hits(const cred_scanner *s, size_t r, size_t *n)
{
    *n = s->count[r];
    return s->hits + s->first[r];
}

/* ---- scoring ------------------------------------------------------------------------------------ */

static int render(cred_buf *b, const rrule *r, const ihit *h)
{
    const char *t = r->explain ? r->explain : r->info.describe;
    int rc = 0;
    for (const char *p = t; *p && rc == 0; p++) {
        size_t run = strcspn(p, "{"); /* the text up to the next brace in one piece */
        if (run > 0) {
            rc = cred_buf_put(b, p, run);
            p += run - 1;
            continue;
        }
        if (*p == '{') {
            if (strncmp(p, "{match}", 7) == 0) {
                rc = cred_buf_put(b, h->quote, h->quote_len);
                p += 6;
                continue;
            }
            if (strncmp(p, "{rule}", 6) == 0) {
                rc = cred_buf_puts(b, r->info.id);
                p += 5;
                continue;
            }
            if (strncmp(p, "{describe}", 10) == 0) {
                rc = cred_buf_puts(b, r->info.describe);
                p += 9;
                continue;
            }
        }
        rc = cred_buf_putc(b, *p);
    }
    return rc < 0 ? rc : cred_buf_putc(b, '\0');
}

int cred_scanner_scan(cred_scanner *s, const cred_scan_result **out, const cred_doc *doc, const cred_post *post)
{
    if (!s || !out || !doc)
        return cred__error(CRED_EINVAL, "cred_scanner_scan: NULL argument");
    *out = NULL;
    int rc = rs__evaluate(s, doc, post);
    if (rc < 0 && rc != CRED_ELIMIT)
        return rc;
    const cred_rules *rs = s->rules;
    size_t n_out = 0;
    double total = 0;
    size_t suppressed = 0;
    cred_buf_clear(&s->text);
    memset(s->gpos, 0, (rs->n_groups ? rs->n_groups : 1) * sizeof *s->gpos);
    memset(s->gneg, 0, (rs->n_groups ? rs->n_groups : 1) * sizeof *s->gneg);
    for (size_t w = 0; w < s->n_words; w++) {
        for (uint64_t bits = s->hit_rules[w]; bits; bits &= bits - 1) { /* the rules with hits, in index order */
            size_t ri = w * 64 + (size_t)__builtin_ctzll(bits);
            const rrule *r = &rs->rules[ri];
            if (s->count[ri] == 0 || r->info.weight == 0)
                continue;
            const ihit *h = s->hits + s->first[ri];
            for (size_t j = 0; j < s->count[ri]; j++) {
                if (CRED_GROW(s->out, s->cap_out, n_out + 1) < 0 ||
                    CRED_GROW(s->explain_off, s->cap_explain_off, n_out + 1) < 0)
                    return cred__error_nomem();
                cred_rule_hit *o = &s->out[n_out];
                o->rule = &r->info;
                o->rule_index = (uint32_t)ri;
                o->target = (cred_rule_target)h[j].target;
                o->span = h[j].span;
                o->sentence = h[j].sentence;
                o->raw_points = r->info.weight;
                o->points = r->info.weight;
                o->flags = 0;
                o->quote = h[j].quote;
                o->quote_len = h[j].quote_len;
                if (j >= r->info.cap) {
                    o->points = 0;
                    o->flags |= CRED_HIT_CAPPED;
                } else if (r->group >= 0) {
                    const rgroup *g = &rs->groups[r->group];
                    if (o->points > 0 && g->has_max) {
                        double left = g->max - s->gpos[r->group];
                        if (o->points > left) {
                            o->points = left > 0 ? left : 0;
                            o->flags |= CRED_HIT_GROUP_LIMITED;
                        }
                        s->gpos[r->group] += o->points;
                    } else if (o->points < 0 && g->has_min) {
                        double left = g->min - s->gneg[r->group];
                        if (o->points < left) {
                            o->points = left < 0 ? left : 0;
                            o->flags |= CRED_HIT_GROUP_LIMITED;
                        }
                        s->gneg[r->group] += o->points;
                    }
                }
                if (o->flags)
                    suppressed++;
                total += o->points;
                s->explain_off[n_out] = s->text.len;
                if (render(&s->text, r, &h[j]) < 0)
                    return cred__error_nomem();
                n_out++;
            }
        }
    }
    for (size_t i = 0; i < n_out; i++)
        s->out[i].explain = s->text.ptr + s->explain_off[i];
    s->result.hits = s->out;
    s->result.n_hits = n_out;
    s->result.total = total;
    s->result.suppressed = suppressed;
    *out = &s->result;
    return rc;
}
