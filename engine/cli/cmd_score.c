/*
 * credence score: validity 0-100, verdict, flags and reasons for every post, as jsonl, csv, a terminal
 * table or a self-contained HTML report.
 *
 * Pipeline (both cores, bounded memory, deterministic output):
 *   reader thread  reads the inputs in order and copies posts into batches (at most MAX_INFLIGHT
 *                  batches exist at once, so memory does not grow with the input);
 *   workers        analyse each post once with their own cred_text, scan it with their own
 *                  cred_scanner, sign it for near-duplicates (cred_dedup_sign()) and compute its
 *                  lexical signal when the model has one, copying all of it into the batch;
 *   main thread    takes the batches back in input order and links near-duplicates from the
 *                  signatures (cred_dedup needs one writer, and "earlier" must mean earlier in the
 *                  input), keeping each post's match, cluster and ids in the batch;
 *   writer thread  takes the linked batches in order, scores and writes them, and frees them.
 * Nothing analyses a post twice, and the two serial stages (linking, output) run side by side.
 * Near-duplicates are therefore linked in input order: a copy read before its original is the origin
 * of the cluster (Telegram and WhatsApp exports are chronological; merge several inputs in date order
 * with `credence dups` when origins across files matter).
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input.h"

#ifndef CRED_RULES_DIR
#define CRED_RULES_DIR "rules"
#endif

#define BATCH_POSTS 256
#define BATCH_BYTES (1u << 20)
#define MAX_WORKERS 16
#define MAX_INFLIGHT 12
#define BYTES_PER_POST 320    /* input bytes per post, for sizing the dedup tables (chat exports: 300-400) */
#define MAX_PRESIZE 2000000u  /* posts the tables are sized for at most up front (they grow past it) */

static const cli_option options[] = {
    CLI_INPUT_OPTIONS,
    {"rules", 'r', "PATH", "rule file or directory (default: $CREDENCE_RULES, else the shipped rules/)"},
    {"weights", 'w', "FILE", "model weights written by `credence train` (default: the built-in model)"},
    {"output", 0, "FORMAT", "jsonl (default), csv, table or html"},
    {"out", 'o', "FILE", "write to FILE instead of standard output"},
    {"top", 'n', "N", "table and html: how many of the least credible posts to list (default 25)"},
    {"threshold", 't', "J", "near-duplicate similarity threshold (default 0.45)"},
    {"threads", 'j', "N", "analysis threads (default: the number of cores)"},
    {"no-text", 0, NULL, "jsonl and csv: leave the post text out"},
    {"no-progress", 0, NULL, "never show progress (it only shows on a terminal anyway)"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

const cli_command cmd_score = {
    "score",
    "Score posts: validity 0-100, verdict, flags and the reasons (rule hits, copies, forwards).",
    "credence score [--rules PATH] [--weights FILE] [--output jsonl|csv|table|html] [-o FILE] FILE...|-",
    "Every post gets validity = round(100 * (1 - p_unreliable)), p = sigmoid(bias + rule points +\n"
    "near-duplicate evidence + forward metadata [+ learned lexical signal]), a verdict (credible, review,\n"
    "unreliable; insufficient when no evidence fired), flags (unsourced_claim, sourced, forwarded,\n"
    "near_duplicate, share_pressure, variant) and its reasons with quoted spans and byte offsets.\n"
    "jsonl and csv write one record per post in input order (fields: README, \"credence score\");\n"
    "table lists the least credible posts first; html writes one offline report file.\n"
    "Near-duplicates are linked in input order. Progress (posts/s, ETA) shows on a terminal only.\n"
    "Exit: 0 posts were scored; 1 nothing usable was read; 2 usage error, missing file, bad rules/weights.",
    options,
    run,
};

/* ---- small local helpers (the CLI uses the public API only) ----------------------------------- */

/* Grow *ptr to hold need elements of size elem. */
static bool grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *p = realloc(*ptr, c * elem);
    if (!p)
        return false;
    *ptr = p;
    *cap = c;
    return true;
}
#define GROW(ptr, cap, need) grow((void **)&(ptr), &(cap), (need), sizeof *(ptr))

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* ---- batches ------------------------------------------------------------------------------------- */

typedef struct hit_copy {
    uint32_t rule_index, sentence;
    cred_rule_target target;
    cred_span span;
    double raw_points, points;
    unsigned int flags;
    const char *explain;
} hit_copy;

typedef struct slot {
    cred_post post;
    hit_copy *hits;
    size_t n_hits;
    size_t suppressed;
    double total;
    int rc;  /* analysis or scan failure (the post is scored without hits) */
    int arc; /* analysis or signing failure (stops the run, as it did when the main thread analysed) */
    cred_dup_signature sig;   /* arrays in the batch's arena */
    cred_lexical_signal *lex; /* in the arena; NULL when the model has no lexical table */
    /* set by the main thread (linking), read by the writer */
    cred_dup_match m;
    cred_dup_cluster cl;
    bool have_cluster;
    const char *parent_id, *origin_id, *origin_source; /* in the arena */
} slot;

typedef struct batch {
    uint64_t seq;
    cli_arena arena; /* the posts' strings and hits */
    slot *posts;
    size_t n, cap, bytes;
    uint64_t bytes_done; /* input bytes read when the batch was closed */
    struct batch *next;
} batch;

typedef struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t cv_free, cv_work, cv_done;
    size_t inflight;
    batch *work_head, *work_tail;
    batch *done[MAX_INFLIGHT];
    batch *out_head, *out_tail; /* linked batches, in input order, for the writer */
    pthread_cond_t cv_out;
    bool linking_finished;
    uint64_t n_batches; /* batches made by the reader */
    bool reader_finished, abort;
    /* reader */
    const cli_args *args;
    cred_reader_options ropts;
    cli_input_totals totals;
    uint64_t total_bytes, bytes_done;
    /* workers */
    cred_rules *rules;
    const cred_model *model;
    const cred_dedup_options *dopts;
    bool lexical; /* the model has a lexical table */
    int worker_rc;
} pipeline;

static void batch_free(batch *b)
{
    if (!b)
        return;
    cli_arena_free(&b->arena);
    free(b->posts);
    free(b);
}

/* Copy a reader's borrowed post into the batch. */
static bool batch_add(batch *b, const cred_post *p)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : BATCH_POSTS;
        slot *s = realloc(b->posts, cap * sizeof *s);
        if (!s)
            return false;
        b->posts = s;
        b->cap = cap;
    }
    slot *s = &b->posts[b->n];
    memset(s, 0, sizeof *s);
    if (!cli_post_copy(&b->arena, &s->post, p))
        return false;
    b->n++;
    b->bytes += p->text_len + 64;
    return true;
}

/* Hand a full batch to the workers (blocks while MAX_INFLIGHT batches exist). */
static void submit(pipeline *pl, batch *b)
{
    pthread_mutex_lock(&pl->mu);
    b->seq = pl->n_batches++;
    b->bytes_done = pl->bytes_done;
    if (pl->work_tail)
        pl->work_tail->next = b;
    else
        pl->work_head = b;
    pl->work_tail = b;
    pthread_cond_signal(&pl->cv_work);
    pthread_mutex_unlock(&pl->mu);
}

static batch *new_batch(pipeline *pl)
{
    pthread_mutex_lock(&pl->mu);
    while (pl->inflight >= MAX_INFLIGHT && !pl->abort)
        pthread_cond_wait(&pl->cv_free, &pl->mu);
    bool abort = pl->abort;
    if (!abort)
        pl->inflight++;
    pthread_mutex_unlock(&pl->mu);
    if (abort)
        return NULL;
    return calloc(1, sizeof(batch));
}

static void *reader_main(void *arg)
{
    pipeline *pl = arg;
    const cli_args *a = pl->args;
    batch *b = new_batch(pl);
    for (int i = 0; b && i < a->npos; i++) {
        cred_reader *r;
        int rc = cred_reader_open(&r, a->pos[i], &pl->ropts);
        if (rc < 0) {
            cli_error(a, rc, "%s", a->pos[i]);
            pl->totals.failed_files++;
            continue;
        }
        uint64_t before = pl->bytes_done;
        const cred_post *p;
        while (b && (rc = cred_reader_next(r, &p)) > 0) {
            if (!batch_add(b, p)) {
                cli_error(a, CRED_ENOMEM, "%s", a->pos[i]);
                rc = 0;
                pthread_mutex_lock(&pl->mu);
                pl->abort = true;
                pthread_mutex_unlock(&pl->mu);
                break;
            }
            if (b->n >= BATCH_POSTS || b->bytes >= BATCH_BYTES) {
                pl->bytes_done = before + cred_reader_stats_get(r)->bytes;
                submit(pl, b);
                b = new_batch(pl);
            }
        }
        if (rc < 0) {
            const cred_error *e = cred_error_last();
            if (e->file && e->line)
                fprintf(stderr, "%s:%" PRIu64 ":%" PRIu64 ": error: %s\n", e->file, e->line, e->column ? e->column : 1,
                        e->message);
            else
                cli_error(a, rc, "%s", a->pos[i]);
            pl->totals.failed_files++;
        }
        pl->bytes_done = before + cred_reader_stats_get(r)->bytes;
        cli_totals_add(&pl->totals, r);
        cred_reader_free(r);
    }
    if (b && b->n)
        submit(pl, b);
    else if (b) {
        batch_free(b);
        pthread_mutex_lock(&pl->mu);
        pl->inflight--;
        pthread_mutex_unlock(&pl->mu);
    }
    pthread_mutex_lock(&pl->mu);
    pl->reader_finished = true;
    pthread_cond_broadcast(&pl->cv_work);
    pthread_cond_broadcast(&pl->cv_done);
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* ---- workers: analysis and rules ----------------------------------------------------------------- */

/* Sign doc and keep the signature (and the lexical signal) in the slot, arrays in the arena. */
static int sign_post(const pipeline *pl, batch *b, slot *s, cred_dup_signature *sig, const cred_doc *doc)
{
    int rc = cred_dedup_sign(sig, doc, pl->dopts);
    if (rc < 0)
        return rc;
    s->sig = *sig;
    s->sig.priv_ = NULL;
    size_t sb = sig->n_sigs * CRED_DUP_SIG_BYTES, fb = sig->n_facts * sizeof *sig->fact_bits;
    uint64_t *facts = fb ? cli_arena_alloc(&b->arena, fb) : NULL;
    uint8_t *sigs = sb ? cli_arena_alloc(&b->arena, sb) : NULL;
    if ((fb && !facts) || (sb && !sigs))
        return CRED_ENOMEM;
    if (fb)
        memcpy(facts, sig->fact_bits, fb);
    if (sb)
        memcpy(sigs, sig->sigs, sb);
    s->sig.fact_bits = facts;
    s->sig.sigs = sigs;
    if (pl->lexical) {
        if (!(s->lex = cli_arena_alloc(&b->arena, sizeof *s->lex)))
            return CRED_ENOMEM;
        if ((rc = cred_lexical_signal_compute(s->lex, pl->model, doc)) < 0)
            return rc;
    }
    return 0;
}

static int scan_batch(const pipeline *pl, batch *b, cred_text *text, cred_scanner *sc, cred_dup_signature *sig)
{
    for (size_t i = 0; i < b->n; i++) {
        slot *s = &b->posts[i];
        const cred_doc *doc;
        const cred_scan_result *res;
        int rc = cred_text_analyse(text, &doc, s->post.text, s->post.text_len, s->post.lang);
        if (rc == 0)
            rc = s->arc = sign_post(pl, b, s, sig, doc);
        else
            s->arc = rc;
        if (rc == 0) {
            if (!s->post.lang)
                s->post.lang = cli_arena_strdup(&b->arena, doc->lang);
            rc = cred_scanner_scan(sc, &res, doc, &s->post);
        }
        if (rc == CRED_ENOMEM)
            return rc;
        s->rc = rc;
        if (rc < 0 && rc != CRED_ELIMIT)
            continue;
        s->hits = res->n_hits ? cli_arena_alloc(&b->arena, res->n_hits * sizeof *s->hits) : NULL;
        if (res->n_hits && !s->hits)
            return CRED_ENOMEM;
        for (size_t k = 0; k < res->n_hits; k++) {
            const cred_rule_hit *h = &res->hits[k];
            hit_copy *c = &s->hits[k];
            c->rule_index = h->rule_index;
            c->sentence = h->sentence;
            c->target = h->target;
            c->span = h->span;
            c->raw_points = h->raw_points;
            c->points = h->points;
            c->flags = h->flags;
            c->explain = cli_arena_strdup(&b->arena, h->explain ? h->explain : "");
            if (!c->explain)
                return CRED_ENOMEM;
        }
        s->n_hits = res->n_hits;
        s->total = res->total;
        s->suppressed = res->suppressed;
    }
    return 0;
}

static void *worker_main(void *arg)
{
    pipeline *pl = arg;
    cred_text *text = NULL;
    cred_scanner *sc = NULL;
    cred_dup_signature sig = CRED_DUP_SIGNATURE_INIT;
    int rc = cred_text_new(&text, NULL);
    if (rc == 0)
        rc = cred_scanner_new(&sc, pl->rules, 0);
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (!pl->work_head && !pl->reader_finished && !pl->abort)
            pthread_cond_wait(&pl->cv_work, &pl->mu);
        batch *b = pl->abort ? NULL : pl->work_head;
        if (b) {
            pl->work_head = b->next;
            if (!pl->work_head)
                pl->work_tail = NULL;
        }
        pthread_mutex_unlock(&pl->mu);
        if (!b)
            break;
        if (rc == 0)
            rc = scan_batch(pl, b, text, sc, &sig);
        pthread_mutex_lock(&pl->mu);
        if (rc < 0) {
            pl->worker_rc = rc;
            pl->abort = true;
            pthread_cond_broadcast(&pl->cv_free);
            pthread_cond_broadcast(&pl->cv_work);
        }
        pl->done[b->seq % MAX_INFLIGHT] = b;
        pthread_cond_broadcast(&pl->cv_done);
        pthread_mutex_unlock(&pl->mu);
    }
    cred_dup_signature_free(&sig);
    cred_scanner_free(sc);
    cred_text_free(text);
    return NULL;
}

/* ---- main thread: duplicates, scores, output ------------------------------------------------------ */

typedef struct doc_info {
    uint64_t id_off;
    uint32_t source; /* interned source + 1, 0 for none */
} doc_info;

typedef struct consumer {
    cred_dedup *dedup;
    cred_scorer *scorer;
    cred_out *out;
    cred_rules *rules;
    const cli_args *args;
    doc_info *docs;
    size_t n_docs, cap_docs;
    char *ids;
    size_t ids_len, ids_cap;
    char **sources; /* interned, by index */
    size_t n_sources, cap_sources;
    uint32_t *src_slots; /* open addressing: index + 1 */
    size_t src_cap;
    cred_rule_hit *hits;
    size_t cap_hits;
    uint64_t posts;
    int rc;
} consumer;

static uint32_t intern_source(consumer *c, const char *s)
{
    if (!s)
        return 0;
    if ((c->n_sources + 1) * 2 > c->src_cap) {
        size_t cap = c->src_cap ? c->src_cap * 2 : 1024;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t)
            return 0;
        for (size_t i = 0; i < c->src_cap; i++)
            if (c->src_slots[i]) {
                const char *name = c->sources[c->src_slots[i] - 1];
                size_t k = hash_str(name) & (cap - 1);
                while (t[k])
                    k = (k + 1) & (cap - 1);
                t[k] = c->src_slots[i];
            }
        free(c->src_slots);
        c->src_slots = t;
        c->src_cap = cap;
    }
    size_t k = hash_str(s) & (c->src_cap - 1);
    while (c->src_slots[k]) {
        if (strcmp(c->sources[c->src_slots[k] - 1], s) == 0)
            return c->src_slots[k];
        k = (k + 1) & (c->src_cap - 1);
    }
    char *copy = strdup(s);
    if (!copy || !GROW(c->sources, c->cap_sources, c->n_sources + 1)) {
        free(copy);
        return 0;
    }
    c->sources[c->n_sources++] = copy;
    c->src_slots[k] = (uint32_t)c->n_sources;
    return (uint32_t)c->n_sources;
}

static const char *doc_id(const consumer *c, uint32_t doc)
{
    return doc < c->n_docs ? c->ids + c->docs[doc].id_off : NULL;
}

static const char *hit_quote(const cred_post *p, const hit_copy *h, size_t *len)
{
    const char *field = p->text;
    size_t flen = p->text_len;
    if (h->target == CRED_TARGET_FORWARDED_FROM || h->target == CRED_TARGET_AUTHOR ||
        h->target == CRED_TARGET_SOURCE) {
        field = h->target == CRED_TARGET_FORWARDED_FROM ? p->forwarded_from
                : h->target == CRED_TARGET_AUTHOR       ? p->author
                                                        : p->source;
        flen = field ? strlen(field) : 0;
    }
    if (!field || h->span.end > flen || h->span.start > h->span.end) {
        *len = 0;
        return NULL;
    }
    *len = h->span.end - h->span.start;
    return field + h->span.start;
}

/* Main thread: link the post into the near-duplicate index and keep what its record needs. */
static int link_post(consumer *c, cli_arena *arena, slot *s)
{
    const cred_post *p = &s->post;
    int rc = s->arc;
    if (rc < 0)
        return rc;
    if ((rc = cred_dedup_add_signed(c->dedup, &s->m, &s->sig, p->date, p->source)) < 0)
        return rc;
    s->have_cluster = cred_dedup_cluster(c->dedup, &s->cl, s->m.doc) == 0;
    /* remember the id and source of this doc number */
    if (!GROW(c->docs, c->cap_docs, c->n_docs + 1))
        return CRED_ENOMEM;
    c->docs[c->n_docs].id_off = c->ids_len;
    c->docs[c->n_docs].source = intern_source(c, p->source);
    c->n_docs++;
    size_t id_len = strlen(p->id) + 1;
    if (!GROW(c->ids, c->ids_cap, c->ids_len + id_len))
        return CRED_ENOMEM;
    memcpy(c->ids + c->ids_len, p->id, id_len);
    c->ids_len += id_len;
    uint32_t origin = s->have_cluster ? s->cl.origin : s->m.origin;
    const char *origin_source = NULL;
    if (origin < c->n_docs && c->docs[origin].source)
        origin_source = c->sources[c->docs[origin].source - 1];
    /* copies: c->ids moves as it grows, and the writer reads them later */
    const char *parent = s->m.parent == CRED_DUP_NO_DOC ? NULL : doc_id(c, s->m.parent);
    const char *oid = doc_id(c, origin);
    s->parent_id = parent ? cli_arena_strdup(arena, parent) : NULL;
    s->origin_id = oid && origin == s->m.doc ? p->id : oid ? cli_arena_strdup(arena, oid) : NULL;
    s->origin_source = origin_source ? cli_arena_strdup(arena, origin_source) : NULL;
    if ((parent && !s->parent_id) || (oid && !s->origin_id) || (origin_source && !s->origin_source))
        return CRED_ENOMEM;
    return 0;
}

/* Writer thread: score the linked post and write its record. */
static int write_post(consumer *c, slot *s)
{
    const cred_post *p = &s->post;
    int rc;
    if (!GROW(c->hits, c->cap_hits, s->n_hits + 1))
        return CRED_ENOMEM;
    for (size_t k = 0; k < s->n_hits; k++) {
        const hit_copy *h = &s->hits[k];
        cred_rule_hit *o = &c->hits[k];
        o->rule = cred_rules_info(c->rules, h->rule_index);
        o->rule_index = h->rule_index;
        o->target = h->target;
        o->span = h->span;
        o->sentence = h->sentence;
        o->raw_points = h->raw_points;
        o->points = h->points;
        o->flags = h->flags;
        o->quote = hit_quote(p, h, &o->quote_len);
        o->explain = h->explain;
    }
    cred_scan_result scan = {c->hits, s->n_hits, s->total, s->suppressed};
    /* the lexical signal comes from the worker (s->lex), so the scorer needs no doc */
    cred_score_input in = {p, NULL, &scan, &s->m, s->have_cluster ? &s->cl : NULL};
    const cred_score *score;
    if ((rc = cred_scorer_score_lexical(c->scorer, &score, &in, s->lex)) < 0)
        return rc;
    cred_scored_post rec = {p,
                            NULL, /* the worker set p->lang, the only thing output takes from doc */
                            score,
                            &s->m,
                            s->have_cluster ? &s->cl : NULL,
                            s->parent_id,
                            s->origin_id,
                            s->origin_source};
    return cred_out_score(c->out, &rec);
}

typedef struct writer_ctx {
    pipeline *pl;
    consumer *c;
    uint64_t posts; /* written */
    int rc;
} writer_ctx;

/* Takes the linked batches in order, scores and writes them, frees them (making room for the reader). */
static void *writer_main(void *arg)
{
    writer_ctx *w = arg;
    pipeline *pl = w->pl;
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (!pl->out_head && !pl->linking_finished && !pl->abort)
            pthread_cond_wait(&pl->cv_out, &pl->mu);
        batch *b = pl->abort ? NULL : pl->out_head;
        if (b) {
            pl->out_head = b->next;
            if (!pl->out_head)
                pl->out_tail = NULL;
        }
        pthread_mutex_unlock(&pl->mu);
        if (!b)
            break;
        int rc = 0;
        for (size_t i = 0; i < b->n && rc == 0; i++)
            rc = write_post(w->c, &b->posts[i]);
        if (rc == 0)
            w->posts += b->n;
        batch_free(b);
        pthread_mutex_lock(&pl->mu);
        pl->inflight--;
        if (rc < 0) {
            w->rc = rc;
            pl->abort = true;
            pthread_cond_broadcast(&pl->cv_done);
        }
        pthread_cond_broadcast(&pl->cv_free);
        pthread_cond_broadcast(&pl->cv_work);
        pthread_mutex_unlock(&pl->mu);
        if (rc < 0)
            break;
    }
    return NULL;
}

/* ---- progress ------------------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(double start, uint64_t posts, uint64_t bytes, uint64_t total, bool last)
{
    double el = now_s() - start;
    double rate = el > 0 ? (double)posts / el : 0;
    char eta[32] = "";
    if (total && bytes && bytes <= total && el > 0.5) {
        double left = el * (double)(total - bytes) / (double)bytes;
        snprintf(eta, sizeof eta, ", %2.0f%%, ETA %d:%02d", 100.0 * (double)bytes / (double)total, (int)(left / 60),
                 (int)left % 60);
    }
    fprintf(stderr, "\r\033[Kcredence score: %" PRIu64 " posts, %.0f posts/s%s", posts, rate, eta);
    if (last)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* ---- run ------------------------------------------------------------------------------------------ */

static int load_rules(const cli_args *a, cred_rules **out)
{
    const char *path = cli_get(a, "rules", NULL);
    if (!path)
        path = getenv("CREDENCE_RULES");
    if (!path || !*path)
        path = CRED_RULES_DIR;
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    int rc = cred_rules_load(out, path, &o);
    if (rc < 0) {
        const cred_error *e = cred_error_last();
        if (e->file && e->line)
            fprintf(stderr, "%s:%" PRIu64 ":%" PRIu64 ": error: %s\n", e->file, e->line, e->column, e->message);
        else
            cli_error(a, rc, "cannot load rules from '%s'", path);
    }
    return rc;
}

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_score, argc, argv);
    if (rc) {
        free(a.pos);
        return rc == 1 ? 0 : 2;
    }
    int exit_code = 2;
    pipeline pl;
    memset(&pl, 0, sizeof pl);
    consumer c;
    memset(&c, 0, sizeof c);
    cred_model *model = NULL;
    FILE *fp = stdout;
    pthread_t reader, writer, workers[MAX_WORKERS];
    int n_workers = 0;
    bool reader_started = false, writer_started = false;
    writer_ctx wctx = {&pl, &c, 0, 0};
    cred_out_format fmt;
    cred_out_options oo = CRED_OUT_OPTIONS_INIT;
    cred_dedup_options dopts = CRED_DEDUP_OPTIONS_INIT;
    double top = 25, threads = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cred_out_format_parse(&fmt, cli_get(&a, "output", "jsonl")) < 0) {
        cli_error(&a, 0, "--output must be jsonl, csv, table or html, not '%s'", cli_get(&a, "output", ""));
        goto done;
    }
    if (!cli_get_double(&a, "top", 25, 1, 100000, &top) ||
        !cli_get_double(&a, "threshold", dopts.threshold, 0.05, 1.0, &dopts.threshold) ||
        !cli_get_double(&a, "threads", cores > 0 ? (double)cores : 2, 1, MAX_WORKERS, &threads) ||
        !cli_reader_options(&a, &pl.ropts) || !cli_inputs_exist(&a))
        goto done;
    const char *weights = cli_get(&a, "weights", NULL);
    rc = weights ? cred_model_load(&model, weights) : cred_model_default(&model);
    if (rc < 0) {
        cli_error(&a, rc, "cannot load weights '%s'", weights ? weights : "(built-in)");
        goto done;
    }
    if (cli_has(&a, "threshold")) { /* duplicate evidence starts where copies start */
        cred_model_params mp;
        cred_model_params_get(model, &mp);
        mp.dup_threshold = dopts.threshold < 1 ? dopts.threshold : 0.99;
        cred_model_params_set(model, &mp);
    }
    if (load_rules(&a, &pl.rules) < 0)
        goto done;
    const char *path = cli_get(&a, "out", NULL);
    if (path && !(fp = fopen(path, "w"))) {
        cli_error(&a, 0, "cannot write '%s': %s", path, strerror(errno));
        fp = stdout;
        goto done;
    }
    oo.top = (size_t)top;
    if (cli_has(&a, "no-text"))
        oo.flags |= CRED_OUT_NO_TEXT;
    if (fmt == CRED_OUT_TABLE && isatty(fileno(fp)) && !getenv("NO_COLOR"))
        oo.flags |= CRED_OUT_COLOR;
    pl.model = model;
    pl.dopts = &dopts;
    pl.lexical = cred_model_lexical_table(model, NULL, NULL) != NULL;
    for (int i = 0; i < a.npos; i++) {
        struct stat st;
        if (strcmp(a.pos[i], "-") != 0 && stat(a.pos[i], &st) == 0)
            pl.total_bytes += (uint64_t)st.st_size;
    }
    /* size the near-duplicate tables once from the files' size (standard input alone grows them); a
     * lookup's result does not depend on the tables' size, only the growth work is saved */
    uint64_t expect = pl.total_bytes / BYTES_PER_POST;
    dopts.capacity = (size_t)(expect < MAX_PRESIZE ? expect : MAX_PRESIZE);
    if ((rc = cred_out_open(&c.out, fp, fmt, &oo)) < 0 || (rc = cred_dedup_new(&c.dedup, &dopts)) < 0 || (rc = cred_scorer_new(&c.scorer, model)) < 0) {
        cli_error(&a, rc, "cannot start");
        goto done;
    }
    c.rules = pl.rules;
    c.args = &a;
    pl.args = &a;
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv_free, NULL);
    pthread_cond_init(&pl.cv_work, NULL);
    pthread_cond_init(&pl.cv_done, NULL);
    pthread_cond_init(&pl.cv_out, NULL);
    if (pthread_create(&reader, NULL, reader_main, &pl) != 0) {
        cli_error(&a, 0, "cannot start a thread");
        goto done;
    }
    reader_started = true;
    if (pthread_create(&writer, NULL, writer_main, &wctx) != 0) {
        cli_error(&a, 0, "cannot start a thread");
        goto done;
    }
    writer_started = true;
    for (; n_workers < (int)threads; n_workers++)
        if (pthread_create(&workers[n_workers], NULL, worker_main, &pl) != 0)
            break;
    bool show = !cli_has(&a, "no-progress") && isatty(STDERR_FILENO) && fp != stderr;
    double start = now_s(), last_shown = start;
    uint64_t bytes_seen = 0;
    int out_rc = 0;
    for (uint64_t seq = 0;; seq++) {
        pthread_mutex_lock(&pl.mu);
        batch *b;
        while (!(b = pl.done[seq % MAX_INFLIGHT]) && !(pl.reader_finished && seq >= pl.n_batches) && !pl.abort)
            pthread_cond_wait(&pl.cv_done, &pl.mu);
        if (b && b->seq == seq)
            pl.done[seq % MAX_INFLIGHT] = NULL;
        else
            b = NULL;
        pthread_mutex_unlock(&pl.mu);
        if (!b)
            break;
        for (size_t i = 0; i < b->n && out_rc == 0; i++)
            out_rc = link_post(&c, &b->arena, &b->posts[i]);
        bytes_seen = b->bytes_done;
        c.posts += b->n;
        pthread_mutex_lock(&pl.mu);
        b->next = NULL;
        if (out_rc < 0) {
            batch_free(b);
            pl.inflight--;
            pl.abort = true;
            pthread_cond_broadcast(&pl.cv_free);
            pthread_cond_broadcast(&pl.cv_work);
            pthread_cond_broadcast(&pl.cv_out);
        } else {
            if (pl.out_tail)
                pl.out_tail->next = b;
            else
                pl.out_head = b;
            pl.out_tail = b;
            pthread_cond_signal(&pl.cv_out);
        }
        pthread_mutex_unlock(&pl.mu);
        if (out_rc < 0)
            break;
        if (show && now_s() - last_shown > 0.25) {
            progress(start, c.posts, bytes_seen, pl.total_bytes, false);
            last_shown = now_s();
        }
    }
    pthread_mutex_lock(&pl.mu);
    pl.linking_finished = true;
    pthread_cond_broadcast(&pl.cv_out);
    pthread_mutex_unlock(&pl.mu);
    pthread_join(writer, NULL);
    writer_started = false;
    if (wctx.rc < 0 && out_rc == 0)
        out_rc = wctx.rc;
    c.posts = wctx.posts;
    pthread_join(reader, NULL);
    reader_started = false;
    for (int i = 0; i < n_workers; i++)
        pthread_join(workers[i], NULL);
    n_workers = 0;
    if (show)
        progress(start, c.posts, bytes_seen, pl.total_bytes, true);
    if (pl.worker_rc < 0 || out_rc < 0) {
        cli_error(&a, pl.worker_rc < 0 ? pl.worker_rc : out_rc, "scoring stopped");
        goto done;
    }
    if ((rc = cred_out_finish(c.out)) < 0) {
        cli_error(&a, rc, "cannot write output");
        goto done;
    }
    cli_totals_print(&a, &pl.totals, a.npos);
    exit_code = c.posts == 0 && (pl.totals.skipped || pl.totals.failed_files) ? 1 : 0;
done:
    if (reader_started || writer_started) {
        pthread_mutex_lock(&pl.mu);
        pl.abort = true;
        pthread_cond_broadcast(&pl.cv_free);
        pthread_cond_broadcast(&pl.cv_work);
        pthread_cond_broadcast(&pl.cv_out);
        pthread_mutex_unlock(&pl.mu);
        if (reader_started)
            pthread_join(reader, NULL);
        if (writer_started)
            pthread_join(writer, NULL);
    }
    for (int i = 0; i < n_workers; i++)
        pthread_join(workers[i], NULL);
    for (size_t i = 0; i < MAX_INFLIGHT; i++)
        batch_free(pl.done[i]);
    while (pl.work_head) {
        batch *n = pl.work_head->next;
        batch_free(pl.work_head);
        pl.work_head = n;
    }
    while (pl.out_head) {
        batch *n = pl.out_head->next;
        batch_free(pl.out_head);
        pl.out_head = n;
    }
    cred_out_free(c.out);
    cred_scorer_free(c.scorer);
    cred_dedup_free(c.dedup);
    for (size_t i = 0; i < c.n_sources; i++)
        free(c.sources[i]);
    free(c.sources);
    free(c.src_slots);
    free(c.docs);
    free(c.hits);
    free(c.ids);
    cred_rules_free(pl.rules);
    cred_model_free(model);
    if (fp != stdout && fclose(fp) != 0 && exit_code == 0) {
        cli_error(&a, 0, "cannot write '%s': %s", cli_get(&a, "out", ""), strerror(errno));
        exit_code = 2;
    }
    free(a.pos);
    return exit_code;
}
