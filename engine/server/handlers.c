/*
 * The endpoints. Every pool thread keeps one srv_worker: a cred_text (arena and caches), a scanner and
 * a scorer for the engine snapshot it last saw (rebuilt when a reload installed a new one), a jsonl
 * writer without a stream that renders each record in memory (cred_out_render(): /v1/score returns
 * byte for byte the record `credence score --output jsonl` writes), and the store's lookup scratch.
 * A request allocates its reader, its body and its reply; everything else is reused.
 *
 * With --index, /v1/score also asks the corpus for an earlier stored copy when the near-duplicate
 * store has none (a post stored before a restart, or by `credence index`): the record's "duplicate"
 * then names that copy, its cluster's origin, size, sources and first and last sighting.
 *
 * Request bodies are post records as the jsonl reader reads them (`credence parse` documents the
 * fields): /v1/score takes one JSON object (pretty-printed or not), /v1/posts takes JSON lines or one
 * JSON array of objects.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"

struct srv_worker {
    srv_worker *next;       /* registry link: must stay the first member (cred_server_free) */
    cred_server *server;
    cred_text *text;
    srv_engine *eng;        /* the snapshot scanner and scorer were made for (one reference) */
    cred_scanner *scanner;
    cred_scorer *scorer;
    cred_out *out;          /* jsonl, no stream: cred_out_render() */
    const char *rendered;   /* the last record rendered (owned by out) */
    size_t rendered_len;
    srv_dup dup;
};

static _Thread_local srv_worker *tl_worker;

void srv_worker_free(srv_worker *w)
{
    if (!w)
        return;
    cred_out_free(w->out);
    cred_scanner_free(w->scanner);
    cred_scorer_free(w->scorer);
    srv_engine_put(w->eng);
    cred_text_free(w->text);
    cred_buf_free(&w->dup.strings);
    free(w);
}

srv_worker *srv_worker_get(cred_server *s)
{
    srv_worker *w = tl_worker;
    if (!w || w->server != s) {
        w = calloc(1, sizeof *w);
        if (!w)
            return NULL;
        w->server = s;
        if (cred_text_new(&w->text, NULL) < 0 || cred_out_new(&w->out, NULL, CRED_OUT_JSONL) < 0) {
            srv_worker_free(w);
            return NULL;
        }
        pthread_mutex_lock(&s->workers_mu);
        w->next = s->workers;
        s->workers = w;
        pthread_mutex_unlock(&s->workers_mu);
        tl_worker = w;
    }
    if (w->eng && w->eng->gen == atomic_load(&s->engine_gen))
        return w; /* the snapshot this thread holds is the current one: no lock */
    srv_engine *e = srv_engine_get(s);
    if (e == w->eng) {
        srv_engine_put(e);
        return w;
    }
    /* a reload installed a new snapshot: rebuild what depends on it */
    cred_scanner_free(w->scanner);
    cred_scorer_free(w->scorer);
    w->scanner = NULL;
    w->scorer = NULL;
    srv_engine_put(w->eng);
    w->eng = e;
    if (cred_scanner_new(&w->scanner, e->rules, 0) < 0 || cred_scorer_new(&w->scorer, e->model) < 0) {
        cred_scanner_free(w->scanner);
        cred_scorer_free(w->scorer);
        w->scanner = NULL;
        w->scorer = NULL;
        srv_engine_put(w->eng);
        w->eng = NULL;
        return NULL;
    }
    return w;
}

/* ---- bodies into post records --------------------------------------------------------------------- */

/*
 * Put every record of a body on its own line, in place: one object (newlines between tokens become
 * spaces; JSON strings cannot hold raw newlines), or a JSON array (its brackets become spaces and
 * the commas between its elements newlines). JSON lines are left alone.
 * @return 0; -1 when an array is not closed or something follows it.
 */
static int to_lines(char *b, size_t len, bool one)
{
    size_t i = 0;
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    if (i < len && b[i] == '[') {
        b[i] = ' ';
        int depth = 1;
        bool str = false, esc = false;
        for (i++; i < len; i++) {
            char c = b[i];
            if (str) {
                if (esc)
                    esc = false;
                else if (c == '\\')
                    esc = true;
                else if (c == '"')
                    str = false;
                continue;
            }
            if (c == '"')
                str = true;
            else if (c == '\n' || c == '\r')
                b[i] = ' ';
            else if (c == '[' || c == '{')
                depth++;
            else if (c == ']' || c == '}') {
                if (--depth == 0) {
                    if (c != ']')
                        return -1;
                    b[i] = ' ';
                    for (i++; i < len; i++)
                        if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n')
                            return -1;
                    return 0;
                }
            } else if (c == ',' && depth == 1)
                b[i] = '\n';
        }
        return -1;
    }
    if (one)
        for (; i < len; i++)
            if (b[i] == '\n' || b[i] == '\r')
                b[i] = ' ';
    return 0;
}

typedef struct diag_capture {
    char message[256];
    uint64_t line;
    size_t errors;
} diag_capture;

static void on_diag(const cred_diag *d, void *payload)
{
    diag_capture *c = payload;
    if (d->severity != CRED_SEV_ERROR)
        return;
    if (!c->errors++) {
        snprintf(c->message, sizeof c->message, "%s", d->message);
        c->line = d->line;
    }
}

#define NO_SOURCE "\x01"

static bool has_key(const char *s, size_t len, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), key, k)); p++)
        if (p == s || p[-1] != '\\')
            return true;
    return false;
}

/* The post as the pipeline takes it: no invented source; a generated id when the body gave none. */
static void fix_post(cred_server *s, cred_post *p, const char *rec, size_t rec_len, char *id_buf, size_t cap)
{
    if (p->source && strcmp(p->source, NO_SOURCE) == 0)
        p->source = NULL;
    p->line = 0;
    if (!has_key(rec, rec_len, "\"id\"")) {
        snprintf(id_buf, cap, "p%llx-%llu", (unsigned long long)time(NULL),
                 (unsigned long long)atomic_fetch_add(&s->next_id, 1));
        p->id = id_buf;
    }
}

/* ---- scoring one post ------------------------------------------------------------------------------- */

typedef struct scored {
    const cred_doc *doc;
    const cred_score *score;
    bool have_dup;
} scored;

/* Strings of the corpus handle are valid until its next call: keep them in d->strings at once. */
static size_t keep_n(srv_dup *d, const char *s)
{
    return s && *s ? srv_dup_keep(d, s) : 0;
}

/*
 * The store saw no earlier copy of this post: ask the corpus (--index) for one stored before, and
 * fill w->dup with where it was seen: the copy (parent), its cluster's origin and the origin's source,
 * the cluster's size and sources (its stored posts) and its first and last sighting. false: none.
 */
static bool corpus_copy(cred_server *s, srv_worker *w, const cred_doc *doc, const cred_post *p)
{
    srv_dup *d = &w->dup;
    cred_corpus_post cp;
    bool found = false;
    pthread_mutex_lock(&s->corpus_mu);
    if (!s->corpus || cred_corpus_find_copy(s->corpus, &cp, doc, p->date) < 0 || cp.relation == CRED_DUP_NONE ||
        !cp.post.id || !*cp.post.id || (p->id && strcmp(cp.post.id, p->id) == 0))
        goto done;
    srv_dup_reset(d);
    d->m.relation = cp.relation;
    d->m.similarity = cp.similarity;
    size_t po = keep_n(d, cp.post.id);
    size_t oo = keep_n(d, cp.origin_id && *cp.origin_id ? cp.origin_id : cp.post.id);
    size_t so = keep_n(d, cp.post.source);
    int64_t first = cp.post.date, last = cp.post.date;
    srv_dup_fix(d, po, oo, so);
    if (!po || !oo)
        goto done; /* out of memory: nothing seen */
    found = true;
    d->have_cluster = true;
    d->cl.origin = CRED_DUP_NO_DOC;
    d->cl.size = 1;
    d->cl.sources = cp.post.source ? 1 : 0;
    char origin[512], parent[512]; /* d->strings may move as more is kept; cp's strings are the
                                      handle's, gone at its next call */
    snprintf(origin, sizeof origin, "%s", d->strings.ptr + oo - 1);
    snprintf(parent, sizeof parent, "%s", d->strings.ptr + po - 1);
    /* the cluster's stored posts: size, sources, first and last sighting (cred_corpus_cluster) */
    cred_corpus_cluster_info cl;
    if (cred_corpus_cluster(s->corpus, &cl, parent, 0) == 0 && cl.size) {
        d->cl.size = (uint32_t)CRED_MIN(cl.size, (uint64_t)UINT32_MAX);
        d->cl.sources = (uint32_t)CRED_MIN(cl.sources, (uint64_t)UINT32_MAX);
        if (cl.first_seen != CRED_DATE_UNKNOWN)
            first = cl.first_seen;
        if (cl.last_seen != CRED_DATE_UNKNOWN)
            last = cl.last_seen;
    }
    cred_corpus_post op;
    if (strcmp(origin, parent) != 0 && cred_corpus_get(s->corpus, &op, origin) == 0)
        so = keep_n(d, op.post.source);
    /* the cluster as it would be with this post in it */
    d->cl.size++;
    if (p->date != CRED_DATE_UNKNOWN && (last == CRED_DATE_UNKNOWN || p->date > last))
        last = p->date;
    d->cl.first_seen = first;
    d->cl.last_seen = last;
    srv_dup_fix(d, po, oo, so);
done:
    pthread_mutex_unlock(&s->corpus_mu);
    return found;
}

static int score_post(cred_server *s, srv_worker *w, cred_post *p, bool remember, bool consult_corpus,
                      scored *out)
{
    const cred_scan_result *res = NULL;
    int rc = cred_text_analyse(w->text, &out->doc, p->text, p->text_len, p->lang);
    if (rc < 0)
        return rc;
    if (!p->lang)
        p->lang = out->doc->lang;
    rc = cred_scanner_scan(w->scanner, &res, out->doc, p);
    if (rc < 0 && rc != CRED_ELIMIT)
        return rc;
    for (size_t i = 0; i < res->n_hits; i++)
        if (res->hits[i].rule_index < w->eng->n_rules)
            atomic_fetch_add_explicit(&w->eng->hits[res->hits[i].rule_index], 1, memory_order_relaxed);
    out->have_dup = s->store->ops->lookup(s->store, &w->dup, out->doc, p, remember) == 0;
    if (!out->have_dup)
        atomic_fetch_add(&s->metrics.store_failures, 1);
    if (consult_corpus && s->corpus && (!out->have_dup || w->dup.m.relation == CRED_DUP_NONE) &&
        corpus_copy(s, w, out->doc, p))
        out->have_dup = true;
    cred_score_input in = {p, out->doc, res, out->have_dup ? &w->dup.m : NULL,
                           out->have_dup && w->dup.have_cluster ? &w->dup.cl : NULL};
    return cred_scorer_score(w->scorer, &out->score, &in);
}

static int render(srv_worker *w, const cred_post *p, const scored *sc)
{
    cred_scored_post rec = {p,
                            sc->doc,
                            sc->score,
                            sc->have_dup ? &w->dup.m : NULL,
                            sc->have_dup && w->dup.have_cluster ? &w->dup.cl : NULL,
                            sc->have_dup ? w->dup.parent_id : NULL,
                            sc->have_dup ? w->dup.origin_id : NULL,
                            sc->have_dup ? w->dup.origin_source : NULL};
    return cred_out_render(w->out, &rec, &w->rendered, &w->rendered_len);
}

static void flags_text(char *out, size_t cap, unsigned int flags)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned b = 0; b < CRED_FLAG_COUNT_; b++)
        if (flags & (1u << b))
            n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? " " : "", cred_flag_name(1u << b));
}

/* Queue a scored post in the corpus (the caller holds corpus_mu). */
static int corpus_add(cred_server *s, const cred_post *p, const cred_score *score)
{
    char flags[160];
    flags_text(flags, sizeof flags, score->flags);
    cred_corpus_score cs = {score->validity, flags};
    return cred_corpus_add(s->corpus, p, &cs);
}

void srv_handle_score(cred_server *s, srv_reply *r, char *body, size_t len, bool remember)
{
    srv_worker *w = srv_worker_get(s);
    if (!w) {
        srv_reply_error(r, E_INTERNAL, "out of memory");
        return;
    }
    if (!has_key(body, len, "\"text\"")) {
        srv_reply_error(r, E_MISSING_TEXT, "the post needs a \"text\" string");
        return;
    }
    size_t lead = strspn(body, " \t\r\n");
    if (lead < len && body[lead] == '[') {
        srv_reply_error(r, E_BAD_JSON, "one post per request (use POST /v1/posts for batches)");
        return;
    }
    to_lines(body, len, true); /* one line: a second object on it is a syntax error */
    diag_capture dc;
    memset(&dc, 0, sizeof dc);
    cred_reader_options ro = CRED_READER_OPTIONS_INIT;
    ro.format = CRED_FORMAT_JSONL;
    ro.source = NO_SOURCE;
    ro.on_diag = on_diag;
    ro.diag_payload = &dc;
    cred_reader *rd = NULL;
    const cred_post *bp = NULL;
    int rc = cred_reader_open_memory(&rd, "request", body, len, &ro);
    int n = rc == 0 ? cred_reader_next(rd, &bp) : rc;
    if (n != 1 || dc.errors) {
        srv_reply_error(r, n == CRED_ENOMEM ? E_INTERNAL : E_BAD_JSON, "the body is not one JSON post record: %s",
                        dc.errors ? dc.message : n == 0 ? "no record" : cred_error_last()->message);
        goto done;
    }
    if (bp->text_len > CRED_LIMIT_HTTP_TEXT_BYTES) {
        srv_reply_error(r, E_TEXT_TOO_LONG, "text longer than %u bytes", CRED_LIMIT_HTTP_TEXT_BYTES);
        goto done;
    }
    cred_post p = *bp;
    char id[64];
    fix_post(s, &p, body, len, id, sizeof id);
    scored sc;
    if ((rc = score_post(s, w, &p, remember, true, &sc)) < 0 || (rc = render(w, &p, &sc)) < 0) {
        srv_reply_error(r, E_INTERNAL, "scoring failed: %s", cred_strerror(rc));
        goto done;
    }
    if (remember && s->corpus) {
        pthread_mutex_lock(&s->corpus_mu);
        rc = s->corpus ? corpus_add(s, &p, sc.score) : CRED_EINVAL;
        if (rc == 0)
            rc = cred_corpus_commit(s->corpus);
        pthread_mutex_unlock(&s->corpus_mu);
        if (rc < 0) {
            srv_reply_error(r, E_INTERNAL, "the post could not be stored: %s", cred_strerror(rc));
            goto done;
        }
        atomic_fetch_add(&s->metrics.ingested, 1);
    }
    r->status = 200;
    cred_buf_put(&r->body, w->rendered, w->rendered_len);
done:
    cred_reader_free(rd);
}

/* ---- batches ------------------------------------------------------------------------------------------ */

void srv_handle_posts(cred_server *s, srv_reply *r, char *body, size_t len)
{
    if (!s->corpus) {
        srv_reply_error(r, E_NO_INDEX, "this service keeps no corpus: start it with --index DIR");
        return;
    }
    srv_worker *w = srv_worker_get(s);
    if (!w) {
        srv_reply_error(r, E_INTERNAL, "out of memory");
        return;
    }
    if (to_lines(body, len, false) < 0) {
        srv_reply_error(r, E_BAD_JSON, "the body is neither JSON lines nor one JSON array of post records");
        return;
    }
    /* line starts, to tell records that carry their own id */
    size_t n_lines = 1;
    for (size_t i = 0; i < len; i++)
        n_lines += body[i] == '\n';
    size_t *starts = malloc((n_lines + 1) * sizeof *starts);
    if (!starts) {
        srv_reply_error(r, E_INTERNAL, "out of memory");
        return;
    }
    starts[0] = 0;
    for (size_t i = 0, k = 1; i < len; i++)
        if (body[i] == '\n')
            starts[k++] = i + 1;
    starts[n_lines] = len + 1;
    diag_capture dc;
    memset(&dc, 0, sizeof dc);
    cred_reader_options ro = CRED_READER_OPTIONS_INIT;
    ro.format = CRED_FORMAT_JSONL;
    ro.source = NO_SOURCE;
    ro.on_diag = on_diag;
    ro.diag_payload = &dc;
    cred_reader *rd = NULL;
    const cred_post *bp;
    size_t accepted = 0, too_long = 0;
    cred_buf ids = CRED_BUF_INIT;
    int rc = cred_reader_open_memory(&rd, "request", body, len, &ro);
    pthread_mutex_lock(&s->corpus_mu);
    while (rc == 0 && s->corpus && cred_reader_next(rd, &bp) == 1) {
        if (accepted + too_long >= CRED_LIMIT_HTTP_BATCH_POSTS) {
            rc = CRED_ELIMIT;
            break;
        }
        if (bp->text_len > CRED_LIMIT_HTTP_TEXT_BYTES) {
            too_long++;
            continue;
        }
        cred_post p = *bp;
        uint64_t line = bp->line;
        char id[64];
        size_t a = line && line <= n_lines ? starts[line - 1] : 0;
        size_t b = line && line <= n_lines ? starts[line] - 1 : len;
        fix_post(s, &p, body + a, b - a, id, sizeof id);
        scored sc;
        if ((rc = score_post(s, w, &p, true, false, &sc)) < 0 || (rc = corpus_add(s, &p, sc.score)) < 0)
            break;
        srv_json_str(&ids, p.id, strlen(p.id));
        cred_buf_putc(&ids, ',');
        accepted++;
    }
    if (rc == 0 && accepted)
        rc = s->corpus ? cred_corpus_commit(s->corpus) : CRED_EINVAL; /* durable before we say so */
    pthread_mutex_unlock(&s->corpus_mu);
    cred_reader_free(rd);
    free(starts);
    if (rc == CRED_ELIMIT)
        srv_reply_error(r, E_BODY_TOO_LARGE, "more than %u posts in one batch", CRED_LIMIT_HTTP_BATCH_POSTS);
    else if (rc < 0)
        srv_reply_error(r, E_INTERNAL, "the batch could not be stored (nothing of it is acknowledged): %s",
                        cred_strerror(rc));
    else if (!accepted)
        srv_reply_error(r, E_BAD_JSON, "no post record could be read%s%s", dc.errors ? ": " : "",
                        dc.errors ? dc.message : "");
    else {
        atomic_fetch_add(&s->metrics.ingested, accepted);
        if (ids.len)
            ids.len--; /* the last comma */
        cred_buf_printf(&r->body, "{\"accepted\":%zu,\"rejected\":%zu,\"durable\":true,\"ids\":[", accepted,
                        dc.errors + too_long);
        cred_buf_put(&r->body, ids.ptr, ids.len);
        cred_buf_puts(&r->body, "]");
        if (dc.errors) {
            cred_buf_printf(&r->body, ",\"first_error\":{\"line\":%llu", (unsigned long long)dc.line);
            srv_json_kv_str(&r->body, "message", dc.message, true);
            cred_buf_puts(&r->body, "}");
        }
        cred_buf_puts(&r->body, "}\n");
    }
    cred_buf_free(&ids);
}

/* ---- reads ---------------------------------------------------------------------------------------------- */

static void put_corpus_post(cred_buf *b, const cred_corpus_post *cp, bool text)
{
    const cred_post *p = &cp->post;
    cred_buf_puts(b, "{");
    srv_json_kv_str(b, "id", p->id, false);
    srv_json_kv_str(b, "source", p->source, true);
    srv_json_kv_str(b, "author", p->author, true);
    srv_json_date(b, "date", p->date, true);
    srv_json_kv_str(b, "lang", p->lang, true);
    srv_json_kv_str(b, "forwarded_from", p->forwarded_from, true);
    if (!isnan(cp->validity))
        cred_buf_printf(b, ",\"validity\":%d", (int)lround(cp->validity));
    cred_buf_puts(b, ",\"flags\":[");
    const char *f = cp->flags ? cp->flags : "";
    for (bool first = true; *f;) {
        size_t n = strcspn(f, " ");
        if (n) {
            if (!first)
                cred_buf_putc(b, ',');
            srv_json_str(b, f, n);
            first = false;
        }
        f += n;
        while (*f == ' ')
            f++;
    }
    cred_buf_puts(b, "]");
    if (cp->relation != CRED_DUP_NONE || cp->origin_id) {
        cred_buf_puts(b, ",\"duplicate\":{");
        srv_json_kv_str(b, "relation", cred_dup_relation_name(cp->relation), false);
        srv_json_kv_str(b, "parent", cp->parent_id, true);
        srv_json_kv_str(b, "origin", cp->origin_id, true);
        cred_buf_printf(b, ",\"similarity\":%.3f}", cp->similarity);
    }
    if (text) {
        cred_buf_puts(b, ",\"text\":");
        cred_buf tmp = CRED_BUF_INIT;
        cred_utf8_sanitize(&tmp, p->text, p->text_len);
        srv_json_str(b, tmp.ptr ? tmp.ptr : "", tmp.len);
        cred_buf_free(&tmp);
    }
    cred_buf_puts(b, "}");
}

void srv_handle_post_get(cred_server *s, srv_reply *r, const char *id)
{
    if (!s->corpus) {
        srv_reply_error(r, E_NO_INDEX, "this service keeps no corpus: start it with --index DIR");
        return;
    }
    cred_corpus_post cp;
    pthread_mutex_lock(&s->corpus_mu);
    int rc = s->corpus ? cred_corpus_get(s->corpus, &cp, id) : CRED_ENOTFOUND;
    if (rc == 0) {
        put_corpus_post(&r->body, &cp, true);
        cred_buf_putc(&r->body, '\n');
    }
    pthread_mutex_unlock(&s->corpus_mu);
    if (rc == CRED_ENOTFOUND)
        srv_reply_error(r, E_NOT_FOUND, "no stored post has this id");
    else if (rc < 0)
        srv_reply_error(r, E_INTERNAL, "lookup failed: %s", cred_strerror(rc));
}

void srv_handle_search(cred_server *s, srv_reply *r, const char *q, const char *limit)
{
    if (!s->corpus) {
        srv_reply_error(r, E_NO_INDEX, "this service keeps no corpus: start it with --index DIR");
        return;
    }
    if (!q || !*q) {
        srv_reply_error(r, E_BAD_QUERY, "give a query: /v1/search?q=...");
        return;
    }
    cred_search_options so = CRED_SEARCH_OPTIONS_INIT;
    if (limit) {
        long l = strtol(limit, NULL, 10);
        so.limit = l < 1 ? 1 : l > 100 ? 100 : (size_t)l;
    }
    const cred_search_result *res;
    pthread_mutex_lock(&s->corpus_mu);
    int rc = s->corpus ? cred_corpus_search(s->corpus, &res, q, strlen(q), &so) : CRED_EINVAL;
    if (rc == 0) {
        cred_buf *b = &r->body;
        cred_buf_printf(b, "{\"matches\":%llu,\"hits\":[", (unsigned long long)res->matches);
        for (size_t i = 0; i < res->n_hits; i++) {
            const cred_search_hit *h = &res->hits[i];
            if (i)
                cred_buf_putc(b, ',');
            put_corpus_post(b, &h->post, false);
            b->len--; /* reopen the object */
            cred_buf_printf(b, ",\"score\":%.4f,\"snippet\":", h->score);
            cred_buf tmp = CRED_BUF_INIT;
            cred_utf8_sanitize(&tmp, h->snippet ? h->snippet : "", h->snippet ? h->snippet_len : 0);
            srv_json_str(b, tmp.ptr ? tmp.ptr : "", tmp.len);
            cred_buf_free(&tmp);
            cred_buf_puts(b, "}");
        }
        cred_buf_puts(b, "]}\n");
    }
    char msg[200];
    snprintf(msg, sizeof msg, "%s", cred_error_last()->message);
    pthread_mutex_unlock(&s->corpus_mu);
    if (rc == CRED_ESYNTAX || rc == CRED_ELIMIT)
        srv_reply_error(r, E_BAD_QUERY, "%s", msg);
    else if (rc < 0)
        srv_reply_error(r, E_INTERNAL, "search failed: %s", cred_strerror(rc));
}

void srv_handle_cluster(cred_server *s, srv_reply *r, const char *id)
{
    srv_worker *w = srv_worker_get(s);
    if (!w) {
        srv_reply_error(r, E_INTERNAL, "out of memory");
        return;
    }
    srv_dup *d = &w->dup;
    int rc = s->store->ops->cluster(s->store, d, id);
    cred_buf *b = &r->body;
    if (rc == 0) {
        cred_buf_puts(b, "{");
        srv_json_kv_str(b, "id", d->origin_id ? d->origin_id : id, false);
        srv_json_kv_str(b, "post", id, true);
        srv_json_kv_str(b, "relation", cred_dup_relation_name(d->m.relation), true);
        cred_buf_printf(b, ",\"size\":%u,\"sources\":%u", d->cl.size, d->cl.sources);
        srv_json_kv_str(b, "origin_source", d->origin_source, true);
        srv_json_date(b, "first_seen", d->cl.first_seen, true);
        srv_json_date(b, "last_seen", d->cl.last_seen, true);
        cred_buf_puts(b, "}\n");
        return;
    }
    if (s->corpus) { /* not in the store's memory (e.g. stored before a restart): ask the corpus */
        cred_corpus_post cp;
        pthread_mutex_lock(&s->corpus_mu);
        rc = s->corpus ? cred_corpus_get(s->corpus, &cp, id) : CRED_ENOTFOUND;
        if (rc == 0) {
            cred_buf_puts(b, "{");
            srv_json_kv_str(b, "id", cp.origin_id ? cp.origin_id : id, false);
            srv_json_kv_str(b, "post", id, true);
            srv_json_kv_str(b, "relation", cred_dup_relation_name(cp.relation), true);
            /* the stored cluster (the strings of cp are gone after the next corpus call) */
            char origin[512];
            snprintf(origin, sizeof origin, "%s", cp.origin_id ? cp.origin_id : id);
            cred_corpus_cluster_info cl;
            if (cred_corpus_cluster(s->corpus, &cl, id, 0) == 0) {
                cred_buf_printf(b, ",\"size\":%llu,\"sources\":%llu", (unsigned long long)cl.size,
                                (unsigned long long)cl.sources);
                cred_corpus_post op;
                if (cred_corpus_get(s->corpus, &op, origin) == 0)
                    srv_json_kv_str(b, "origin_source", op.post.source, true);
                srv_json_date(b, "first_seen", cl.first_seen, true);
                srv_json_date(b, "last_seen", cl.last_seen, true);
            }
            cred_buf_puts(b, "}\n");
        }
        pthread_mutex_unlock(&s->corpus_mu);
        if (rc == 0)
            return;
    }
    srv_reply_error(r, E_NOT_FOUND, "no remembered post has this id");
}
