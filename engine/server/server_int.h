/*
 * Internal interface between the files of engine/server/. The public face is cred_server_* in
 * credence.h ("Service").
 *
 *   server.c    the daemon: libmicrohttpd thread pool, request life cycle, routing, bearer token,
 *               limits, per-client rate limit, JSON errors, reload, graceful stop.
 *   handlers.c  the endpoints: per-thread scratch (cred_text, cred_scanner, cred_scorer, writer),
 *               /v1/score, /v1/posts, /v1/search, /v1/posts/{id}, /v1/clusters/{id}.
 *   metrics.c   Prometheus counters and latency histograms (lock-free atomics), /metrics text.
 *   store.c     the near-duplicate store interface and its embedded backend (cred_dedup + mutex).
 *   redis.c     the Redis backend of that interface (hiredis; a Lua lookup script, read replicas).
 *
 * Threads: libmicrohttpd calls the handlers from its pool threads. Shared state is either immutable
 * (an engine snapshot: rules + model, reference-counted, swapped under a mutex on reload), atomic
 * (metrics), or behind its own mutex (store, corpus, rate-limit buckets).
 */
#ifndef CRED_SERVER_INT_H
#define CRED_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "credence.h"
#include "util/util.h"

/* ---- engine snapshot: what a reload replaces ---------------------------------------------------- */

typedef struct srv_engine {
    atomic_int refs;
    uint64_t gen;              /* 1, 2, ... one per successful load */
    cred_rules *rules;
    cred_model *model;
    bool lexical;              /* the model has a lexical table (analysis then needs stems) */
    size_t n_rules;
    atomic_uint_fast64_t *hits; /* rule hits by rule index since this snapshot (metrics) */
} srv_engine;

void srv_engine_put(srv_engine *e);

/* ---- metrics ------------------------------------------------------------------------------------ */

enum srv_route {
    R_NONE = 0, R_SCORE, R_POSTS, R_SEARCH, R_POST_GET, R_CLUSTER, R_RELOAD, R_HEALTHZ, R_READYZ, R_METRICS,
    R_COUNT_
};

#define SRV_BUCKETS 12

typedef struct srv_metrics {
    atomic_uint_fast64_t requests[R_COUNT_][6];   /* by route and status class (index status / 100) */
    atomic_uint_fast64_t lat_bucket[R_COUNT_][SRV_BUCKETS];
    atomic_uint_fast64_t lat_count[R_COUNT_];
    atomic_uint_fast64_t lat_sum_us[R_COUNT_];
    atomic_uint_fast64_t errors[16];              /* by srv_err code */
    atomic_uint_fast64_t reloads, reload_failures, ingested, store_failures;
    atomic_int inflight;
} srv_metrics;

const char *srv_route_name(int route);
void srv_metrics_observe(srv_metrics *m, int route, int status, double seconds);

/* ---- near-duplicate store ----------------------------------------------------------------------- */

/** What the store knows about one post: its links, its cluster and the ids they name. */
typedef struct srv_dup {
    cred_dup_match m;
    cred_dup_cluster cl;
    bool have_cluster;
    const char *parent_id, *origin_id, *origin_source; /* in `strings`, or NULL */
    cred_buf strings;
} srv_dup;

typedef struct srv_store srv_store;
typedef struct srv_store_ops {
    const char *name;
    /* Look the post up (remember: and add it). 0; a negative code (the caller degrades). */
    int (*lookup)(srv_store *st, srv_dup *out, const cred_doc *doc, const cred_post *post, bool remember);
    /* The cluster of post `id`. 0; CRED_ENOTFOUND. */
    int (*cluster)(srv_store *st, srv_dup *out, const char *id);
    /* Posts held (-1 when unknown). */
    long long (*count)(srv_store *st);
    void (*free)(srv_store *st);
} srv_store_ops;

struct srv_store {
    const srv_store_ops *ops;
};

int srv_store_memory_new(srv_store **out, double threshold);
/* url: "redis://HOST:PORT" (the primary: writes, and lookups when no replica answers). replicas: NULL
 * or comma-separated "redis://HOST:PORT" read replicas for lookups. fallback: the embedded store used
 * while Redis is unreachable (borrowed). */
int srv_store_redis_new(srv_store **out, const char *url, const char *replicas, double threshold,
                        unsigned int ttl_seconds, srv_store *fallback);
void srv_dup_reset(srv_dup *d);
/* Copy a string into d->strings; returns the offset + 1 (0 for NULL), resolved by srv_dup_fix(). */
size_t srv_dup_keep(srv_dup *d, const char *s);
void srv_dup_fix(srv_dup *d, size_t parent, size_t origin, size_t source);

/* ---- the server ----------------------------------------------------------------------------------- */

typedef struct srv_worker srv_worker;

struct cred_server {
    cred_server_options opts;
    char *rules_path, *weights_path, *index_dir, *store_url, *store_replicas;
    char *token;
    size_t token_len;
    struct MHD_Daemon *daemon;
    unsigned int port;
    atomic_bool ready, stopping, stopped;
    pthread_mutex_t stop_mu;

    pthread_mutex_t eng_mu;     /* guards `engine` and `next_gen` */
    srv_engine *engine;
    uint64_t next_gen;
    atomic_uint_fast64_t engine_gen; /* engine->gen, read without the lock (a thread's snapshot is current) */
    pthread_mutex_t reload_mu;  /* one reload at a time */

    srv_store *memory;          /* embedded store (always present: the Redis fallback) */
    srv_store *store;           /* the store in use (memory or Redis) */

    pthread_mutex_t corpus_mu;  /* a corpus handle is used by one thread at a time */
    cred_corpus *corpus;

    pthread_mutex_t workers_mu;
    srv_worker *workers;        /* every thread's scratch, freed after the daemon stopped */

    pthread_mutex_t rate_mu;
    struct srv_bucket *buckets; /* open addressing by client address */
    size_t n_buckets, cap_buckets;

    atomic_uint_fast64_t next_id;
    srv_metrics metrics;
};

/** Stable error codes, written as {"error":"<name>","message":"..."}. */
typedef enum srv_err {
    E_BAD_JSON = 0, E_MISSING_TEXT, E_UNAUTHORIZED, E_NOT_FOUND, E_METHOD, E_BODY_TOO_LARGE, E_TEXT_TOO_LONG,
    E_RATE_LIMITED, E_NOT_READY, E_NO_INDEX, E_BAD_QUERY, E_TIMEOUT, E_INTERNAL, E_UNAVAILABLE, E_COUNT_
} srv_err;

const char *srv_err_name(srv_err e);
int srv_err_status(srv_err e);

/** A response being built by a handler. */
typedef struct srv_reply {
    int status;
    const char *content_type;  /* default application/json */
    cred_buf body;
} srv_reply;

/* Fill r with an error body (and its status). message: plain text, never echoing the request. */
void srv_reply_error(srv_reply *r, srv_err e, const char *fmt, ...) CRED_PRINTF(3, 4);

/* JSON helpers for hand-built bodies. */
void srv_json_str(cred_buf *b, const char *s, size_t len);
void srv_json_kv_str(cred_buf *b, const char *key, const char *value, bool comma);
void srv_json_date(cred_buf *b, const char *key, int64_t t, bool comma);

/* Engine snapshot with a new reference (never NULL once started). */
srv_engine *srv_engine_get(cred_server *s);

/* The calling thread's scratch for s (made at first use). NULL on ENOMEM. */
srv_worker *srv_worker_get(cred_server *s);
void srv_worker_free(srv_worker *w);

/* Endpoints (handlers.c). body is writable and NUL-terminated (len excludes the NUL). */
void srv_handle_score(cred_server *s, srv_reply *r, char *body, size_t len, bool remember);
void srv_handle_posts(cred_server *s, srv_reply *r, char *body, size_t len);
void srv_handle_search(cred_server *s, srv_reply *r, const char *q, const char *limit);
void srv_handle_post_get(cred_server *s, srv_reply *r, const char *id);
void srv_handle_cluster(cred_server *s, srv_reply *r, const char *id);
void srv_handle_metrics(cred_server *s, srv_reply *r);

#endif
