/*
 * The Redis backend of the near-duplicate store, so that several `credence serve` instances behind a
 * load balancer share one memory of what was forwarded where (the way rspamd's fuzzy storage shares
 * hashes). Keys, all with a TTL (ttl_seconds, refreshed on every write):
 *
 *   cred:x:<key>          exact key (XXH3-128 of the dedup text) -> id of the first post with that text
 *   cred:p:<id>           post record: 128-byte MinHash signature, date, origin id, source
 *   cred:b:<band>:<hash>  LSH bucket (a set of post ids), 32 bands of 4 signature bytes
 *   cred:cz:<origin>      cluster size (INCR)
 *   cred:cs:<origin>      cluster sources (a set; SCARD)
 *   cred:n                posts stored (INCR)
 *
 * A lookup is at most three pipelined round trips: GET of the exact key with SMEMBERS of the 32
 * buckets; MGET of the candidates' records; GET/SCARD of the cluster counters. A write (?remember=1,
 * /v1/posts) is one MULTI/EXEC. Signatures and keys are those of cred_dedup (engine/dedup/dedup.h), so
 * a post found here is what the embedded store would find, short of the transcript windows.
 *
 * Connections come from a small pool (hiredis contexts are not thread-safe). When Redis cannot be
 * reached (connect or command timeout 250 ms), the lookup degrades to the embedded store, the failure
 * is counted, and a new connection is tried at most every 500 ms: requests never wait on a dead Redis.
 */
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup/dedup.h"
#include "server/server_int.h"

#define POOL 16
#define BANDS 32
#define ROWS 4
#define MAX_CANDIDATES 64

typedef struct redis_store {
    srv_store base;
    char host[256];
    int port;
    double threshold;
    unsigned int ttl;
    srv_store *fallback;
    pthread_mutex_t mu;         /* pool, retry clock */
    redisContext *pool[POOL];
    int n_pool;
    double retry_after;         /* no connection attempt before this time */
    atomic_llong failures;
    struct rscratch *scratches; /* every thread's scratch, freed with the store */
} redis_store;

typedef struct rscratch {       /* per thread: dedup preparation and shingles */
    struct rscratch *next;
    redis_store *owner;
    dd_prep prep;
    uint64_t *sh;
    size_t cap_sh;
} rscratch;

static _Thread_local rscratch *tl_scratch;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static redisContext *take(redis_store *r)
{
    pthread_mutex_lock(&r->mu);
    redisContext *c = r->n_pool ? r->pool[--r->n_pool] : NULL;
    bool may_connect = mono() >= r->retry_after;
    pthread_mutex_unlock(&r->mu);
    if (c || !may_connect)
        return c;
    struct timeval tv = {0, 250000};
    c = redisConnectWithTimeout(r->host, r->port, tv);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        pthread_mutex_lock(&r->mu);
        r->retry_after = mono() + 0.5;
        pthread_mutex_unlock(&r->mu);
        return NULL;
    }
    redisSetTimeout(c, tv);
    return c;
}

/* Return a context to the pool, or drop it when it failed. */
static void give(redis_store *r, redisContext *c, bool ok)
{
    if (!c)
        return;
    pthread_mutex_lock(&r->mu);
    if (ok && !c->err && r->n_pool < POOL) {
        r->pool[r->n_pool++] = c;
        c = NULL;
    } else if (!ok)
        r->retry_after = mono() + 0.5;
    pthread_mutex_unlock(&r->mu);
    if (c)
        redisFree(c);
}

static rscratch *scratch(redis_store *r)
{
    if (tl_scratch && tl_scratch->owner == r)
        return tl_scratch;
    rscratch *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->owner = r;
    pthread_mutex_lock(&r->mu);
    sc->next = r->scratches;
    r->scratches = sc;
    pthread_mutex_unlock(&r->mu);
    return tl_scratch = sc;
}

typedef struct sigkey {
    dd_sig sig;
    char key[40];
} sigkey;

static int sign(redis_store *r, sigkey *out, const cred_doc *doc)
{
    rscratch *sc = scratch(r);
    if (!sc)
        return CRED_ENOMEM;
    int rc = cred_dedup__prep_doc(&sc->prep, doc);
    if (rc < 0)
        return rc;
    dd_key k = cred_dedup__key(sc->prep.text.ptr ? sc->prep.text.ptr : "", sc->prep.text.len);
    snprintf(out->key, sizeof out->key, "%016llx%016llx", (unsigned long long)k.hi, (unsigned long long)k.lo);
    long n = cred_dedup__shingle_chars(&sc->sh, &sc->cap_sh, sc->prep.text.ptr ? sc->prep.text.ptr : "",
                                       sc->prep.text.len);
    if (n < 0)
        return (int)n;
    cred_dedup__sign(&out->sig, sc->sh, (size_t)n);
    return 0;
}

static void band_key(char *out, size_t cap, const dd_sig *s, int b)
{
    const uint8_t *v = s->v + b * ROWS;
    snprintf(out, cap, "cred:b:%d:%02x%02x%02x%02x", b, v[0], v[1], v[2], v[3]);
}

/* A stored record: 128 signature bytes, then "date\torigin\tsource". */
static bool parse_record(const redisReply *rep, dd_sig *sig, long long *date, char *origin, size_t ocap)
{
    if (!rep || rep->type != REDIS_REPLY_STRING || rep->len < DD_K + 1)
        return false;
    memcpy(sig->v, rep->str, DD_K);
    const char *p = rep->str + DD_K, *end = rep->str + rep->len;
    *date = strtoll(p, NULL, 10);
    const char *t = memchr(p, '\t', (size_t)(end - p));
    if (!t)
        return false;
    t++;
    const char *t2 = memchr(t, '\t', (size_t)(end - t));
    size_t n = (size_t)((t2 ? t2 : end) - t);
    if (n >= ocap)
        return false;
    memcpy(origin, t, n);
    origin[n] = '\0';
    return true;
}

static int do_lookup(redis_store *r, redisContext *c, srv_dup *out, const sigkey *sk, const cred_post *p,
                     bool remember)
{
    redisReply *rep = NULL;
    char key[128];
    /* round trip 1: exact key and the 32 buckets */
    snprintf(key, sizeof key, "cred:x:%s", sk->key);
    redisAppendCommand(c, "GET %s", key);
    for (int b = 0; b < BANDS; b++) {
        band_key(key, sizeof key, &sk->sig, b);
        redisAppendCommand(c, "SMEMBERS %s", key);
    }
    char *exact = NULL;
    char *cand[MAX_CANDIDATES];
    int n_cand = 0, rc = 0;
    for (int i = 0; i <= BANDS; i++) {
        if (redisGetReply(c, (void **)&rep) != REDIS_OK || !rep)
            return CRED_EIO;
        if (i == 0 && rep->type == REDIS_REPLY_STRING)
            exact = strndup(rep->str, rep->len);
        if (i > 0 && rep->type == REDIS_REPLY_ARRAY)
            for (size_t k = 0; k < rep->elements && n_cand < MAX_CANDIDATES; k++) {
                const redisReply *e = rep->element[k];
                bool dup = false;
                for (int j = 0; j < n_cand && !dup; j++)
                    dup = strlen(cand[j]) == e->len && memcmp(cand[j], e->str, e->len) == 0;
                if (!dup && !(p->id && strlen(p->id) == e->len && memcmp(p->id, e->str, e->len) == 0))
                    cand[n_cand++] = strndup(e->str, e->len);
            }
        freeReplyObject(rep);
    }
    /* round trip 2: the candidates' records (MGET), best earlier match */
    const char *best = NULL;
    double best_sim = 0;
    char best_origin[512] = "";
    if (exact && !(p->id && strcmp(exact, p->id) == 0)) {
        snprintf(key, sizeof key, "cred:p:%.100s", exact);
        redisReply *er = redisCommand(c, "GET %s", key);
        if (!er) {
            rc = CRED_EIO;
            goto done;
        }
        dd_sig sig;
        long long date;
        if (parse_record(er, &sig, &date, best_origin, sizeof best_origin)) {
            best = exact;
            best_sim = 1;
        }
        freeReplyObject(er);
    }
    if (!best && n_cand) {
        const char **argv = malloc((size_t)(n_cand + 1) * sizeof *argv);
        size_t *lens = malloc((size_t)(n_cand + 1) * sizeof *lens);
        char **keys = malloc((size_t)n_cand * sizeof *keys);
        if (!argv || !lens || !keys) {
            free(argv), free(lens), free(keys);
            rc = CRED_ENOMEM;
            goto done;
        }
        argv[0] = "MGET";
        lens[0] = 4;
        for (int i = 0; i < n_cand; i++) {
            size_t n = strlen(cand[i]) + 8;
            keys[i] = malloc(n);
            snprintf(keys[i], n, "cred:p:%s", cand[i]);
            argv[i + 1] = keys[i];
            lens[i + 1] = strlen(keys[i]);
        }
        rep = redisCommandArgv(c, n_cand + 1, argv, lens);
        for (int i = 0; i < n_cand; i++)
            free(keys[i]);
        free(keys), free(argv), free(lens);
        if (!rep) {
            rc = CRED_EIO;
            goto done;
        }
        for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements && i < (size_t)n_cand; i++) {
            dd_sig sig;
            long long date;
            char origin[512];
            if (!parse_record(rep->element[i], &sig, &date, origin, sizeof origin))
                continue; /* expired */
            if (p->date != CRED_DATE_UNKNOWN && date != CRED_DATE_UNKNOWN && date > p->date)
                continue; /* not earlier */
            double sim = cred_dedup__estimate(&sk->sig, &sig);
            if (sim >= r->threshold && sim > best_sim) {
                best_sim = sim;
                best = cand[i];
                snprintf(best_origin, sizeof best_origin, "%s", origin);
            }
        }
        freeReplyObject(rep);
    }
    const char *origin = best ? best_origin : p->id;
    /* the write: one MULTI/EXEC */
    if (remember) {
        char rec[DD_K + 600];
        memcpy(rec, sk->sig.v, DD_K);
        int n = snprintf(rec + DD_K, sizeof rec - DD_K, "%lld\t%.250s\t%.250s", (long long)p->date, origin,
                         p->source ? p->source : "");
        size_t rec_len = DD_K + (size_t)n;
        redisAppendCommand(c, "MULTI");
        redisAppendCommand(c, "SET cred:x:%s %s NX EX %u", sk->key, p->id, r->ttl);
        redisAppendCommand(c, "SET cred:p:%s %b EX %u", p->id, rec, rec_len, r->ttl);
        int cmds = 3;
        for (int b = 0; b < BANDS; b++) {
            band_key(key, sizeof key, &sk->sig, b);
            redisAppendCommand(c, "SADD %s %s", key, p->id);
            redisAppendCommand(c, "EXPIRE %s %u", key, r->ttl);
            cmds += 2;
        }
        redisAppendCommand(c, "INCR cred:cz:%s", origin);
        redisAppendCommand(c, "EXPIRE cred:cz:%s %u", origin, r->ttl);
        redisAppendCommand(c, "SADD cred:cs:%s %s", origin, p->source ? p->source : "");
        redisAppendCommand(c, "EXPIRE cred:cs:%s %u", origin, r->ttl);
        redisAppendCommand(c, "INCR cred:n");
        redisAppendCommand(c, "EXEC");
        cmds += 6;
        for (int i = 0; i < cmds; i++) {
            if (redisGetReply(c, (void **)&rep) != REDIS_OK || !rep) {
                rc = CRED_EIO;
                goto done;
            }
            freeReplyObject(rep);
        }
    }
    /* round trip 3: the cluster */
    redisAppendCommand(c, "GET cred:cz:%s", origin);
    redisAppendCommand(c, "SCARD cred:cs:%s", origin);
    redisAppendCommand(c, "GET cred:p:%s", origin);
    long long size = 0, sources = 0, first = CRED_DATE_UNKNOWN;
    for (int i = 0; i < 3; i++) {
        if (redisGetReply(c, (void **)&rep) != REDIS_OK || !rep) {
            rc = CRED_EIO;
            goto done;
        }
        if (i == 0 && rep->type == REDIS_REPLY_STRING)
            size = strtoll(rep->str, NULL, 10);
        if (i == 1 && rep->type == REDIS_REPLY_INTEGER)
            sources = rep->integer;
        if (i == 2 && rep->type == REDIS_REPLY_STRING && rep->len > DD_K)
            first = strtoll(rep->str + DD_K, NULL, 10);
        freeReplyObject(rep);
    }
    if (!remember) /* the cluster as it would be with this post */
        size++, sources = sources ? sources : (p->source != NULL);
    out->m.relation = best ? (best_sim >= 1 && exact && strcmp(best, exact) == 0 ? CRED_DUP_EXACT : CRED_DUP_NEAR)
                           : CRED_DUP_NONE;
    out->m.similarity = best ? best_sim : 0;
    out->have_cluster = true;
    out->cl.origin = CRED_DUP_NO_DOC;
    out->cl.size = (uint32_t)(size > 0 ? size : 1);
    out->cl.sources = (uint32_t)sources;
    out->cl.first_seen = first == 0 && !best ? p->date : first;
    out->cl.last_seen = p->date != CRED_DATE_UNKNOWN ? p->date : out->cl.first_seen;
    size_t po = best ? srv_dup_keep(out, best) : 0;
    size_t oo = srv_dup_keep(out, origin);
    srv_dup_fix(out, po, oo, 0);
done:
    free(exact);
    for (int i = 0; i < n_cand; i++)
        free(cand[i]);
    return rc;
}

static int r_lookup(srv_store *st, srv_dup *out, const cred_doc *doc, const cred_post *p, bool remember)
{
    redis_store *r = (redis_store *)st;
    sigkey sk;
    int rc = sign(r, &sk, doc);
    redisContext *c = rc == 0 ? take(r) : NULL;
    if (c) {
        srv_dup_reset(out);
        rc = do_lookup(r, c, out, &sk, p, remember);
        give(r, c, rc == 0);
        if (rc == 0)
            return 0;
    }
    /* Redis is away: degrade to this instance's own memory, and say so in the metrics */
    atomic_fetch_add(&r->failures, 1);
    return r->fallback->ops->lookup(r->fallback, out, doc, p, remember);
}

static int r_cluster(srv_store *st, srv_dup *out, const char *id)
{
    redis_store *r = (redis_store *)st;
    redisContext *c = take(r);
    if (!c)
        return r->fallback->ops->cluster(r->fallback, out, id);
    srv_dup_reset(out);
    int rc = CRED_ENOTFOUND;
    redisReply *rep = redisCommand(c, "GET cred:p:%s", id);
    char origin[512];
    dd_sig sig;
    long long date;
    bool ok = rep != NULL;
    if (rep && parse_record(rep, &sig, &date, origin, sizeof origin)) {
        freeReplyObject(rep);
        rep = redisCommand(c, "GET cred:cz:%s", origin);
        redisReply *rs = redisCommand(c, "SCARD cred:cs:%s", origin);
        ok = rep && rs;
        if (ok) {
            out->have_cluster = true;
            out->cl.size = rep->type == REDIS_REPLY_STRING ? (uint32_t)strtoul(rep->str, NULL, 10) : 1;
            out->cl.sources = rs->type == REDIS_REPLY_INTEGER ? (uint32_t)rs->integer : 0;
            out->cl.first_seen = out->cl.last_seen = CRED_DATE_UNKNOWN;
            out->m.relation = strcmp(origin, id) == 0 ? CRED_DUP_NONE : CRED_DUP_NEAR;
            srv_dup_fix(out, 0, srv_dup_keep(out, origin), 0);
            rc = 0;
        }
        if (rs)
            freeReplyObject(rs);
    }
    if (rep)
        freeReplyObject(rep);
    give(r, c, ok);
    return rc;
}

static long long r_count(srv_store *st)
{
    redis_store *r = (redis_store *)st;
    redisContext *c = take(r);
    if (!c)
        return -1;
    redisReply *rep = redisCommand(c, "GET cred:n");
    long long n = rep && rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : rep ? 0 : -1;
    if (rep)
        freeReplyObject(rep);
    give(r, c, rep != NULL);
    return n;
}

static void r_free(srv_store *st)
{
    redis_store *r = (redis_store *)st;
    for (int i = 0; i < r->n_pool; i++)
        redisFree(r->pool[i]);
    while (r->scratches) {
        rscratch *n = r->scratches->next;
        cred_dedup__prep_free(&r->scratches->prep);
        free(r->scratches->sh);
        free(r->scratches);
        r->scratches = n;
    }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static const srv_store_ops redis_ops = {"redis", r_lookup, r_cluster, r_count, r_free};

int srv_store_redis_new(srv_store **out, const char *url, double threshold, unsigned int ttl_seconds,
                        srv_store *fallback)
{
    const char *hp = url + strlen("redis://");
    const char *colon = strrchr(hp, ':');
    redis_store *r = calloc(1, sizeof *r);
    if (!r)
        return cred__error_nomem();
    size_t hl = colon ? (size_t)(colon - hp) : strlen(hp);
    if (hl == 0 || hl >= sizeof r->host) {
        free(r);
        return cred__error(CRED_EINVAL, "--store: bad Redis address (redis://HOST:PORT)");
    }
    memcpy(r->host, hp, hl);
    r->port = colon ? atoi(colon + 1) : 6379;
    r->threshold = threshold;
    r->ttl = ttl_seconds;
    r->fallback = fallback;
    r->base.ops = &redis_ops;
    pthread_mutex_init(&r->mu, NULL);
    /* a first connection now: a wrong address is an error at start, a Redis restart later is not */
    redisContext *c = take(r);
    if (!c) {
        r_free(&r->base);
        return cred__error(CRED_EIO, "cannot connect to Redis at %s", url);
    }
    give(r, c, true);
    *out = &r->base;
    return 0;
}
