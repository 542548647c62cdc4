/*
 * The Redis backend of the near-duplicate store, so that several `credence serve` instances behind a
 * load balancer share one memory of what was forwarded where (the way rspamd's fuzzy storage shares
 * hashes across servers). Keys, all with a TTL (ttl_seconds, refreshed on every write):
 *
 *   cred:x:<key>          exact key (XXH3-128 of the dedup text) -> id of the first post with that text
 *   cred:p:<id>           post record: 128-byte MinHash signature, then "date\torigin\tsource"
 *   cred:b:<band>:<hash>  LSH bucket (a set of post ids), 32 bands of 4 signature bytes
 *   cred:cz:<origin>      cluster size (INCR)
 *   cred:cs:<origin>      cluster sources (a set; SCARD)
 *   cred:n                posts stored (INCR)
 *
 * A lookup of a message no key knows (most messages) is one pipelined round trip: EXISTS over the
 * exact key and the 32 buckets, and the post's own cluster counters. When some key exists, a second
 * round trip runs EVALSHA_RO of a read-only Lua script (loaded once per connection) that reads the
 * exact key and the union of the 32 buckets (SUNION), the candidates' records, keeps the most similar
 * earlier one (the same estimate as cred_dedup: equal signature bytes, corrected for chance) and
 * returns its cluster counters. A write (?remember=1, /v1/posts) is one more round trip: one MULTI/EXEC whose
 * replies carry the new cluster size and sources. Signatures come from the public cred_dedup_sign().
 *
 * Each thread keeps its own connections (hiredis contexts are not thread-safe; no lock on the request
 * path): one to the primary, for writes, and one to a read replica (--store-replica, repeatable; the
 * threads are spread over them), for lookups; without a reachable replica lookups go to the primary.
 * When Redis cannot be reached (connect or command timeout 250 ms), the lookup degrades to the
 * embedded store, the failure is counted, and that thread tries a new connection at most every
 * 500 ms: requests never wait on a dead Redis.
 */
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"

#define BANDS 32
#define ROWS 4
#define MAX_CANDIDATES 64
#define MAX_REPLICAS 16
#define SIG_BYTES CRED_DUP_SIG_BYTES

/*
 * KEYS[1] exact key, KEYS[2..33] the band buckets. ARGV: own id ("" when none), date ("" when
 * unknown), signature (128 bytes), threshold, max candidates.
 * Returns {relation (0 none, 1 exact, 2 near), similarity (string), best id, origin, cluster size,
 * cluster sources, origin's date (string, "" when unknown)}.
 */
static const char lookup_lua[] =
    "local own, date, sig = ARGV[1], tonumber(ARGV[2]), ARGV[3]\n"
    "local thr, maxc = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "local function rec_of(id)\n"
    "  local r = redis.call('GET', 'cred:p:' .. id)\n"
    "  if not r or #r <= 128 then return nil end\n"
    "  local rest = string.sub(r, 129)\n"
    "  local d, o = string.match(rest, '^([^\\t]*)\\t([^\\t]*)')\n"
    "  if not d then return nil end\n"
    "  return r, tonumber(d), o\n"
    "end\n"
    "local function earlier(d)\n"
    "  return date == nil or d == nil or d <= date\n"
    "end\n"
    "local rel, sim, best, borigin = 0, 0, '', ''\n"
    "local ex = redis.call('GET', KEYS[1])\n"
    "if ex and ex ~= own then\n"
    "  local r, d, o = rec_of(ex)\n"
    "  if r then rel, sim, best, borigin = 1, 1, ex, o end\n"
    "end\n"
    "if rel == 0 then\n"
    "  local m = redis.call('SUNION', unpack(KEYS, 2, #KEYS))\n"
    "  local q, n = nil, 0\n"
    "  for _, id in ipairs(m) do\n"
    "    if n < maxc and id ~= own then\n"
    "      n = n + 1\n"
    "      local r, d, o = rec_of(id)\n"
    "      if r and earlier(d) then\n"
    "        q = q or {string.byte(sig, 1, 128)}\n"
    "        local b, eq = {string.byte(r, 1, 128)}, 0\n"
    "        for j = 1, 128 do if b[j] == q[j] then eq = eq + 1 end end\n"
    "        local c = 1 / 256\n"
    "        local jac = (eq / 128 - c) / (1 - c)\n"
    "        if jac > 1 then jac = 1 end\n"
    "        if jac >= thr and jac > sim then rel, sim, best, borigin = 2, jac, id, o end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local origin = rel ~= 0 and borigin or own\n"
    "if origin == '' then origin = own end\n"
    "local size = tonumber(redis.call('GET', 'cred:cz:' .. origin) or '0')\n"
    "local sources = redis.call('SCARD', 'cred:cs:' .. origin)\n"
    "local first = ''\n"
    "if origin ~= '' then\n"
    "  local r, d = rec_of(origin)\n"
    "  if r and d then first = string.format('%.0f', d) end\n"
    "end\n"
    "return {rel, string.format('%.6f', sim), best, origin, size, sources, first}\n";

typedef struct endpoint {
    char host[256];
    int port;
} endpoint;

typedef struct rconn rconn;

typedef struct redis_store {
    srv_store base;
    uint64_t serial;            /* tells stores apart in the threads' caches */
    endpoint primary;
    endpoint replicas[MAX_REPLICAS];
    int n_replicas;
    double threshold;
    unsigned int ttl;
    srv_store *fallback;
    char sha[48];               /* SHA1 of lookup_lua */
    pthread_mutex_t mu;         /* the registry of per-thread connections (first use only) */
    rconn *conns;
    atomic_uint next_thread;
    atomic_llong failures;
} redis_store;

struct rconn {                  /* one thread's connections and scratch */
    rconn *next;
    pthread_t thread;
    redisContext *primary, *replica;
    double primary_retry, replica_retry; /* no connection attempt before these times */
    unsigned int replica_ix;
    cred_dup_signature sig;
};

static atomic_uint_fast64_t store_serial = 1;

#define TL_SLOTS 4
static _Thread_local struct {
    uint64_t serial;
    rconn *conn;
} tl_conns[TL_SLOTS];

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The calling thread's connections to r (made at first use). NULL on ENOMEM. */
static rconn *conn_of(redis_store *r)
{
    for (int i = 0; i < TL_SLOTS; i++)
        if (tl_conns[i].serial == r->serial)
            return tl_conns[i].conn;
    pthread_t self = pthread_self();
    pthread_mutex_lock(&r->mu);
    rconn *c = r->conns;
    while (c && !pthread_equal(c->thread, self))
        c = c->next;
    if (!c && (c = calloc(1, sizeof *c))) {
        c->thread = self;
        c->replica_ix = atomic_fetch_add(&r->next_thread, 1);
        cred_dup_signature init = CRED_DUP_SIGNATURE_INIT;
        c->sig = init;
        c->next = r->conns;
        r->conns = c;
    }
    pthread_mutex_unlock(&r->mu);
    if (c) {
        int slot = (int)(r->serial % TL_SLOTS);
        tl_conns[slot].serial = r->serial;
        tl_conns[slot].conn = c;
    }
    return c;
}

/* Connect to e and load the lookup script. NULL when unreachable. */
static redisContext *dial(redis_store *r, const endpoint *e)
{
    struct timeval tv = {0, 250000};
    redisContext *c = redisConnectWithTimeout(e->host, e->port, tv);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    redisReply *rep = redisCommand(c, "SCRIPT LOAD %s", lookup_lua);
    bool ok = rep && rep->type == REDIS_REPLY_STRING && strcmp(rep->str, r->sha) == 0;
    if (rep)
        freeReplyObject(rep);
    if (!ok) {
        redisFree(c);
        return NULL;
    }
    return c;
}

/* The thread's connection to the primary (for writes), connecting when allowed. */
static redisContext *primary(redis_store *r, rconn *rc)
{
    if (!rc->primary && mono() >= rc->primary_retry && !(rc->primary = dial(r, &r->primary)))
        rc->primary_retry = mono() + 0.5;
    return rc->primary;
}

/* The thread's connection for lookups: its replica, else the primary. */
static redisContext *reader(redis_store *r, rconn *rc, bool *is_replica)
{
    *is_replica = false;
    if (r->n_replicas) {
        if (!rc->replica && mono() >= rc->replica_retry &&
            !(rc->replica = dial(r, &r->replicas[rc->replica_ix % (unsigned)r->n_replicas])))
            rc->replica_retry = mono() + 0.5;
        if (rc->replica) {
            *is_replica = true;
            return rc->replica;
        }
    }
    return primary(r, rc);
}

/* Drop a connection that failed; the thread reconnects at most every 500 ms. */
static void drop(rconn *rc, bool replica)
{
    redisContext **c = replica ? &rc->replica : &rc->primary;
    if (*c)
        redisFree(*c);
    *c = NULL;
    *(replica ? &rc->replica_retry : &rc->primary_retry) = mono() + 0.5;
}

static const char hexdigits[] = "0123456789abcdef";

static void hex_key(char *out, size_t cap, const cred_dup_signature *sig)
{
    if (cap < 33)
        return;
    for (int i = 0; i < 16; i++) {
        out[i] = hexdigits[(sig->key_hi >> (60 - 4 * i)) & 15];
        out[16 + i] = hexdigits[(sig->key_lo >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

/* "cred:b:<band>:<8 hex digits of the band's 4 signature bytes>" */
static void band_key(char *out, size_t cap, const uint8_t *v, int b)
{
    if (cap < 20)
        return;
    v += b * ROWS;
    char *p = out;
    memcpy(p, "cred:b:", 7), p += 7;
    if (b >= 10)
        *p++ = (char)('0' + b / 10);
    *p++ = (char)('0' + b % 10);
    *p++ = ':';
    for (int i = 0; i < ROWS; i++) {
        *p++ = hexdigits[v[i] >> 4];
        *p++ = hexdigits[v[i] & 15];
    }
    *p = '\0';
}

typedef struct found {
    int relation;
    double similarity;
    char best[256], origin[256];
    long long size, sources, first;
} found;

static bool str_of(const redisReply *e, char *out, size_t cap)
{
    if (!e || e->type != REDIS_REPLY_STRING || e->len >= cap)
        return false;
    memcpy(out, e->str, e->len);
    out[e->len] = '\0';
    return true;
}

typedef char lookup_keys[1 + BANDS][48]; /* the exact key, then the band buckets */

static void keys_of(lookup_keys keys, const cred_dup_signature *sig)
{
    char hex[40];
    hex_key(hex, sizeof hex, sig);
    snprintf(keys[0], sizeof keys[0], "cred:x:%s", hex);
    for (int b = 0; b < BANDS; b++)
        band_key(keys[1 + b], sizeof keys[0], sig->sigs, b);
}

/* The date field of a post record ("sig(128) date \t origin \t source"); CRED_DATE_UNKNOWN when absent. */
static long long record_date(const redisReply *e)
{
    if (!e || e->type != REDIS_REPLY_STRING || e->len <= SIG_BYTES)
        return CRED_DATE_UNKNOWN;
    const char *d = e->str + SIG_BYTES, *end = e->str + e->len, *tab = memchr(d, '\t', (size_t)(end - d));
    if (!tab || tab == d)
        return CRED_DATE_UNKNOWN;
    char num[32];
    size_t n = (size_t)(tab - d);
    if (n >= sizeof num)
        return CRED_DATE_UNKNOWN;
    memcpy(num, d, n);
    num[n] = '\0';
    char *stop;
    long long v = strtoll(num, &stop, 10);
    return *stop ? CRED_DATE_UNKNOWN : v;
}

/*
 * The first round trip, pipelined: EXISTS over the exact key and the 32 buckets, and the counters of
 * the post's own cluster. Most messages are new: when no key exists, this is the whole answer (what
 * the script would return, without running it). *more is set when the script must look further.
 */
static int lookup_probe(redisContext *c, found *f, lookup_keys keys, const cred_post *p, bool *more)
{
    const char *argv[1 + 1 + BANDS];
    size_t lens[1 + 1 + BANDS];
    int n = 0;
    argv[n] = "EXISTS", lens[n++] = 6;
    for (int k = 0; k <= BANDS; k++)
        argv[n] = keys[k], lens[n++] = strlen(keys[k]);
    const char *own = p->id ? p->id : "";
    redisAppendCommandArgv(c, n, argv, lens);
    redisAppendCommand(c, "GET cred:cz:%s", own);
    redisAppendCommand(c, "SCARD cred:cs:%s", own);
    if (own[0])
        redisAppendCommand(c, "GET cred:p:%s", own);
    redisReply *rep[4] = {NULL, NULL, NULL, NULL};
    int rc = 0, want = own[0] ? 4 : 3;
    for (int i = 0; i < want; i++)
        if (redisGetReply(c, (void **)&rep[i]) != REDIS_OK || !rep[i])
            rc = CRED_EIO;
    if (rc == 0 && (rep[0]->type != REDIS_REPLY_INTEGER || rep[2]->type != REDIS_REPLY_INTEGER ||
                    (rep[1]->type != REDIS_REPLY_STRING && rep[1]->type != REDIS_REPLY_NIL)))
        rc = CRED_EIO;
    if (rc == 0) {
        *more = rep[0]->integer > 0;
        f->relation = 0;
        f->similarity = 0;
        f->best[0] = '\0';
        snprintf(f->origin, sizeof f->origin, "%s", own);
        f->size = rep[1]->type == REDIS_REPLY_STRING ? strtoll(rep[1]->str, NULL, 10) : 0;
        f->sources = rep[2]->integer;
        f->first = own[0] ? record_date(rep[3]) : CRED_DATE_UNKNOWN;
    }
    for (int i = 0; i < want; i++)
        if (rep[i])
            freeReplyObject(rep[i]);
    return rc;
}

/* The lookup script, when some key exists. 0; CRED_EIO. */
static int lookup_script(redis_store *r, redisContext *c, found *f, lookup_keys keys, const cred_dup_signature *sig,
                         const cred_post *p)
{
    char date[32], thr[32], maxc[16];
    const char *argv[3 + 1 + BANDS + 5];
    size_t lens[3 + 1 + BANDS + 5];
    int n = 0;
    argv[n] = "EVALSHA_RO", lens[n++] = 10;
    argv[n] = r->sha, lens[n++] = strlen(r->sha);
    argv[n] = "33", lens[n++] = 2;
    for (int k = 0; k <= BANDS; k++)
        argv[n] = keys[k], lens[n++] = strlen(keys[k]);
    if (p->date != CRED_DATE_UNKNOWN)
        snprintf(date, sizeof date, "%lld", (long long)p->date);
    else
        date[0] = '\0';
    snprintf(thr, sizeof thr, "%.6f", r->threshold);
    snprintf(maxc, sizeof maxc, "%d", MAX_CANDIDATES);
    argv[n] = p->id ? p->id : "", lens[n++] = p->id ? strlen(p->id) : 0;
    argv[n] = date, lens[n++] = strlen(date);
    argv[n] = (const char *)sig->sigs, lens[n++] = SIG_BYTES;
    argv[n] = thr, lens[n++] = strlen(thr);
    argv[n] = maxc, lens[n++] = strlen(maxc);
    redisReply *rep = redisCommandArgv(c, n, argv, lens);
    if (!rep)
        return CRED_EIO;
    int rc = 0;
    char num[64];
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 7 || rep->element[0]->type != REDIS_REPLY_INTEGER ||
        !str_of(rep->element[1], num, sizeof num) || !str_of(rep->element[2], f->best, sizeof f->best) ||
        !str_of(rep->element[3], f->origin, sizeof f->origin) || rep->element[4]->type != REDIS_REPLY_INTEGER ||
        rep->element[5]->type != REDIS_REPLY_INTEGER)
        rc = CRED_EIO; /* an error reply (e.g. a replica without the script): treated as unreachable */
    else {
        f->relation = (int)rep->element[0]->integer;
        f->similarity = strtod(num, NULL);
        f->size = rep->element[4]->integer;
        f->sources = rep->element[5]->integer;
        f->first = CRED_DATE_UNKNOWN;
        if (str_of(rep->element[6], num, sizeof num) && num[0])
            f->first = strtoll(num, NULL, 10);
    }
    freeReplyObject(rep);
    return rc;
}

/* A lookup: one round trip for a message no key knows, two when the script must compare candidates. */
static int lookup_once(redis_store *r, redisContext *c, found *f, const cred_dup_signature *sig, const cred_post *p)
{
    lookup_keys keys;
    keys_of(keys, sig);
    bool more = false;
    int rc = lookup_probe(c, f, keys, p, &more);
    return rc < 0 || !more ? rc : lookup_script(r, c, f, keys, sig, p);
}

/* One round trip: the write as one MULTI/EXEC; f's cluster counters become those after it. */
static int write_once(redis_store *r, redisContext *c, found *f, const cred_dup_signature *sig, const cred_post *p)
{
    const char *origin = f->origin[0] ? f->origin : p->id;
    const char *source = p->source ? p->source : "";
    char rec[SIG_BYTES + 600], hex[40], key[64];
    memcpy(rec, sig->sigs, SIG_BYTES);
    char date[32] = ""; /* empty when unknown */
    if (p->date != CRED_DATE_UNKNOWN)
        snprintf(date, sizeof date, "%lld", (long long)p->date);
    int n = snprintf(rec + SIG_BYTES, sizeof rec - SIG_BYTES, "%s\t%.250s\t%.250s", date, origin, source);
    size_t rec_len = SIG_BYTES + (size_t)n;
    hex_key(hex, sizeof hex, sig);
    redisAppendCommand(c, "MULTI");
    redisAppendCommand(c, "SET cred:x:%s %s NX EX %u", hex, p->id, r->ttl);
    redisAppendCommand(c, "SET cred:p:%s %b EX %u", p->id, rec, rec_len, r->ttl);
    int queued = 2;
    for (int b = 0; b < BANDS; b++) {
        band_key(key, sizeof key, sig->sigs, b);
        redisAppendCommand(c, "SADD %s %s", key, p->id);
        redisAppendCommand(c, "EXPIRE %s %u", key, r->ttl);
        queued += 2;
    }
    redisAppendCommand(c, "INCR cred:cz:%s", origin);
    redisAppendCommand(c, "EXPIRE cred:cz:%s %u", origin, r->ttl);
    redisAppendCommand(c, "SADD cred:cs:%s %s", origin, source);
    redisAppendCommand(c, "EXPIRE cred:cs:%s %u", origin, r->ttl);
    redisAppendCommand(c, "SCARD cred:cs:%s", origin);
    redisAppendCommand(c, "INCR cred:n");
    redisAppendCommand(c, "EXEC");
    queued += 6;
    int rc = 0;
    redisReply *rep;
    for (int i = 0; i <= queued + 1; i++) { /* MULTI's OK, the QUEUED replies, then EXEC's array */
        if (redisGetReply(c, (void **)&rep) != REDIS_OK || !rep)
            return CRED_EIO;
        if (i == queued + 1) {
            if (rep->type != REDIS_REPLY_ARRAY || rep->elements != (size_t)queued)
                rc = CRED_EIO;
            else {
                const redisReply *sz = rep->element[queued - 6], *sc = rep->element[queued - 2];
                if (sz->type == REDIS_REPLY_INTEGER)
                    f->size = sz->integer;
                if (sc->type == REDIS_REPLY_INTEGER)
                    f->sources = sc->integer;
            }
        }
        freeReplyObject(rep);
    }
    return rc;
}

static int r_lookup(srv_store *st, srv_dup *out, const cred_doc *doc, const cred_post *p, bool remember)
{
    redis_store *r = (redis_store *)st;
    rconn *rc = conn_of(r);
    int err = rc ? cred_dedup_sign(&rc->sig, doc, NULL) : CRED_ENOMEM;
    if (err == 0 && (rc->sig.empty || !rc->sig.n_sigs))
        err = CRED_EINVAL; /* no dedup text: nothing to share; the embedded store answers */
    found f;
    memset(&f, 0, sizeof f);
    bool ok = false;
    if (err == 0) {
        bool replica;
        redisContext *c = reader(r, rc, &replica);
        if (c && lookup_once(r, c, &f, &rc->sig, p) < 0) {
            drop(rc, replica);
            c = replica ? primary(r, rc) : NULL; /* a replica failed: the primary answers this one */
            if (c && lookup_once(r, c, &f, &rc->sig, p) < 0) {
                drop(rc, false);
                c = NULL;
            }
        }
        ok = c != NULL;
        if (ok && remember) {
            c = primary(r, rc);
            if (!c || write_once(r, c, &f, &rc->sig, p) < 0) {
                if (c)
                    drop(rc, false);
                ok = false;
            }
        }
    }
    if (!ok) { /* Redis is away: degrade to this instance's own memory, and say so in the metrics */
        if (err != CRED_EINVAL)
            atomic_fetch_add(&r->failures, 1);
        return r->fallback->ops->lookup(r->fallback, out, doc, p, remember);
    }
    srv_dup_reset(out);
    bool seen = f.relation == 1 || f.relation == 2;
    if (!remember) /* the cluster as it would be with this post */
        f.size++, f.sources = f.sources ? f.sources : (p->source != NULL);
    out->m.relation = !seen ? CRED_DUP_NONE : f.relation == 1 ? CRED_DUP_EXACT : CRED_DUP_NEAR;
    out->m.similarity = seen ? f.similarity : 0;
    out->have_cluster = true;
    out->cl.origin = CRED_DUP_NO_DOC;
    out->cl.size = (uint32_t)(f.size > 0 ? f.size : 1);
    out->cl.sources = (uint32_t)f.sources;
    out->cl.first_seen = !seen && f.first == CRED_DATE_UNKNOWN ? p->date : f.first;
    out->cl.last_seen = p->date != CRED_DATE_UNKNOWN ? p->date : out->cl.first_seen;
    size_t po = seen ? srv_dup_keep(out, f.best) : 0;
    size_t oo = srv_dup_keep(out, seen && f.origin[0] ? f.origin : p->id);
    srv_dup_fix(out, po, oo, 0);
    return 0;
}

/* Commands outside the request path (clusters, counts) use the thread's primary connection too. */
static int r_cluster(srv_store *st, srv_dup *out, const char *id)
{
    redis_store *r = (redis_store *)st;
    rconn *rc = conn_of(r);
    redisContext *c = rc ? primary(r, rc) : NULL;
    if (!c)
        return r->fallback->ops->cluster(r->fallback, out, id);
    srv_dup_reset(out);
    int ret = CRED_ENOTFOUND;
    redisReply *rep = redisCommand(c, "GET cred:p:%s", id);
    bool ok = rep != NULL;
    if (rep && rep->type == REDIS_REPLY_STRING && rep->len > SIG_BYTES) {
        char origin[512];
        const char *t = memchr(rep->str + SIG_BYTES, '\t', rep->len - SIG_BYTES);
        size_t n = 0;
        if (t) {
            t++;
            const char *end = rep->str + rep->len, *t2 = memchr(t, '\t', (size_t)(end - t));
            n = (size_t)((t2 ? t2 : end) - t);
        }
        if (t && n < sizeof origin) {
            memcpy(origin, t, n);
            origin[n] = '\0';
            freeReplyObject(rep);
            rep = redisCommand(c, "GET cred:cz:%s", origin);
            redisReply *rs = rep ? redisCommand(c, "SCARD cred:cs:%s", origin) : NULL;
            ok = rep && rs;
            if (ok) {
                out->have_cluster = true;
                out->cl.size = rep->type == REDIS_REPLY_STRING ? (uint32_t)strtoul(rep->str, NULL, 10) : 1;
                out->cl.sources = rs->type == REDIS_REPLY_INTEGER ? (uint32_t)rs->integer : 0;
                out->cl.first_seen = out->cl.last_seen = CRED_DATE_UNKNOWN;
                out->m.relation = strcmp(origin, id) == 0 ? CRED_DUP_NONE : CRED_DUP_NEAR;
                srv_dup_fix(out, 0, srv_dup_keep(out, origin), 0);
                ret = 0;
            }
            if (rs)
                freeReplyObject(rs);
        }
    }
    if (rep)
        freeReplyObject(rep);
    if (!ok)
        drop(rc, false);
    return ret;
}

static long long r_count(srv_store *st)
{
    redis_store *r = (redis_store *)st;
    rconn *rc = conn_of(r);
    redisContext *c = rc ? primary(r, rc) : NULL;
    if (!c)
        return -1;
    redisReply *rep = redisCommand(c, "GET cred:n");
    long long n = rep && rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : rep ? 0 : -1;
    if (rep)
        freeReplyObject(rep);
    else
        drop(rc, false);
    return n;
}

static void r_free(srv_store *st)
{
    redis_store *r = (redis_store *)st;
    while (r->conns) {
        rconn *n = r->conns->next;
        if (r->conns->primary)
            redisFree(r->conns->primary);
        if (r->conns->replica)
            redisFree(r->conns->replica);
        cred_dup_signature_free(&r->conns->sig);
        free(r->conns);
        r->conns = n;
    }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static const srv_store_ops redis_ops = {"redis", r_lookup, r_cluster, r_count, r_free};

/* "redis://HOST[:PORT]" (PORT default 6379). */
static int parse_url(endpoint *e, const char *url, size_t len, const char *what)
{
    if (len < 8 || strncmp(url, "redis://", 8) != 0)
        return cred__error(CRED_EINVAL, "%s: bad Redis address '%.*s' (redis://HOST:PORT)", what, (int)len, url);
    const char *hp = url + 8, *end = url + len;
    const char *colon = memchr(hp, ':', (size_t)(end - hp));
    size_t hl = (size_t)((colon ? colon : end) - hp);
    long port = 6379;
    if (colon) {
        char digits[8];
        size_t dl = (size_t)(end - colon - 1);
        char *stop;
        if (dl == 0 || dl >= sizeof digits)
            return cred__error(CRED_EINVAL, "%s: bad Redis port in '%.*s'", what, (int)len, url);
        memcpy(digits, colon + 1, dl);
        digits[dl] = '\0';
        port = strtol(digits, &stop, 10);
        if (*stop || port < 1 || port > 65535)
            return cred__error(CRED_EINVAL, "%s: bad Redis port in '%.*s'", what, (int)len, url);
    }
    if (hl == 0 || hl >= sizeof e->host)
        return cred__error(CRED_EINVAL, "%s: bad Redis address '%.*s' (redis://HOST:PORT)", what, (int)len, url);
    memcpy(e->host, hp, hl);
    e->host[hl] = '\0';
    e->port = (int)port;
    return 0;
}

int srv_store_redis_new(srv_store **out, const char *url, const char *replicas, double threshold,
                        unsigned int ttl_seconds, srv_store *fallback)
{
    redis_store *r = calloc(1, sizeof *r);
    if (!r)
        return cred__error_nomem();
    pthread_mutex_init(&r->mu, NULL);
    r->base.ops = &redis_ops;
    r->serial = atomic_fetch_add(&store_serial, 1);
    r->threshold = threshold;
    r->ttl = ttl_seconds;
    r->fallback = fallback;
    int rc = parse_url(&r->primary, url, strlen(url), "--store");
    for (const char *s = replicas; rc == 0 && s && *s;) {
        size_t n = strcspn(s, ",");
        if (n && r->n_replicas == MAX_REPLICAS)
            rc = cred__error(CRED_EINVAL, "--store-replica: at most %d replicas", MAX_REPLICAS);
        else if (n)
            rc = parse_url(&r->replicas[r->n_replicas++], s, n, "--store-replica");
        s += n + (s[n] == ',');
    }
    if (rc < 0) {
        r_free(&r->base);
        return rc;
    }
    /* a first connection now: a wrong address or a Redis without scripting is an error at start, a
       Redis restart later is not. The primary computes the script's SHA1 for everybody. */
    struct timeval tv = {0, 250000};
    redisContext *c = redisConnectWithTimeout(r->primary.host, r->primary.port, tv);
    redisReply *rep = c && !c->err ? redisCommand(c, "SCRIPT LOAD %s", lookup_lua) : NULL;
    if (rep && rep->type == REDIS_REPLY_STRING && rep->len < sizeof r->sha)
        memcpy(r->sha, rep->str, rep->len);
    if (rep)
        freeReplyObject(rep);
    /* EVALSHA_RO (read-only scripts, which replicas run) came with Redis 7.0 */
    rep = r->sha[0] ? redisCommand(c, "COMMAND INFO EVALSHA_RO") : NULL;
    bool ro = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
              rep->element[0]->type == REDIS_REPLY_ARRAY;
    if (rep)
        freeReplyObject(rep);
    if (c)
        redisFree(c);
    if (!r->sha[0] || !ro) {
        r_free(&r->base);
        return cred__error(CRED_EIO, "%s %s", !r->sha[0] ? "cannot connect to Redis (or load a Lua script) at"
                                                          : "Redis 7.0 or later is needed (EVALSHA_RO) at", url);
    }
    *out = &r->base;
    return 0;
}
