/*
 * The daemon: a libmicrohttpd thread pool (internal epoll threads, one per core by default), the
 * request life cycle, routing, the bearer token, the limits, the per-client rate limit, JSON errors,
 * reload and the graceful stop.
 *
 * Life of a request: libmicrohttpd calls on_request() once when the headers are in (route, method,
 * token, rate limit, Content-Length and readiness are checked there, and an error is answered at once
 * without reading the body), then once per body chunk (appended up to the route's limit; the whole
 * request must arrive within request_ms), then a last time with no data: the handler runs on the pool
 * thread and the reply is queued. on_completed() records the latency and frees the request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/server_int.h"

#ifndef CRED_RULES_DIR
#define CRED_RULES_DIR "rules"
#endif

/* ---- errors and JSON ----------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int status;
} errors[E_COUNT_] = {
    [E_BAD_JSON] = {"bad_json", 400},         [E_MISSING_TEXT] = {"missing_text", 400},
    [E_UNAUTHORIZED] = {"unauthorized", 401}, [E_NOT_FOUND] = {"not_found", 404},
    [E_METHOD] = {"method_not_allowed", 405}, [E_BODY_TOO_LARGE] = {"body_too_large", 413},
    [E_TEXT_TOO_LONG] = {"text_too_long", 413}, [E_RATE_LIMITED] = {"rate_limited", 429},
    [E_NOT_READY] = {"not_ready", 503},       [E_NO_INDEX] = {"no_index", 501},
    [E_BAD_QUERY] = {"bad_query", 400},       [E_TIMEOUT] = {"request_timeout", 408},
    [E_INTERNAL] = {"internal", 500},         [E_UNAVAILABLE] = {"store_unavailable", 503},
};

const char *srv_err_name(srv_err e)
{
    return (unsigned)e < E_COUNT_ ? errors[e].name : "internal";
}

int srv_err_status(srv_err e)
{
    return (unsigned)e < E_COUNT_ ? errors[e].status : 500;
}

void srv_json_str(cred_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    cred_buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        cred_buf_put(b, s + run, i - run);
        run = i + 1;
        char e[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
        if (c == '"' || c == '\\')
            e[1] = (char)c, e[2] = 0;
        else if (c == '\n')
            e[1] = 'n', e[2] = 0;
        cred_buf_puts(b, e);
    }
    cred_buf_put(b, s + run, len - run);
    cred_buf_putc(b, '"');
}

void srv_json_kv_str(cred_buf *b, const char *key, const char *value, bool comma)
{
    if (!value)
        return;
    if (comma)
        cred_buf_putc(b, ',');
    srv_json_str(b, key, strlen(key));
    cred_buf_putc(b, ':');
    /* repair invalid UTF-8 so the body is always valid JSON */
    size_t len = strlen(value);
    if (cred_utf8_invalid_count(value, len)) {
        cred_buf tmp = CRED_BUF_INIT;
        cred_utf8_sanitize(&tmp, value, len);
        srv_json_str(b, tmp.ptr ? tmp.ptr : "", tmp.len);
        cred_buf_free(&tmp);
    } else
        srv_json_str(b, value, len);
}

void srv_json_date(cred_buf *b, const char *key, int64_t t, bool comma)
{
    char d[32];
    if (cred_date_iso(d, sizeof d, t))
        srv_json_kv_str(b, key, d, comma);
}

void srv_reply_error(srv_reply *r, srv_err e, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->status = srv_err_status(e);
    r->content_type = "application/json";
    cred_buf_clear(&r->body);
    cred_buf_puts(&r->body, "{\"error\":\"");
    cred_buf_puts(&r->body, srv_err_name(e));
    cred_buf_puts(&r->body, "\"");
    srv_json_kv_str(&r->body, "message", msg, true);
    cred_buf_puts(&r->body, "}\n");
}

/* ---- engine snapshots ------------------------------------------------------------------------------ */

void srv_engine_put(srv_engine *e)
{
    if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    cred_rules_free(e->rules);
    cred_model_free(e->model);
    free(e->hits);
    free(e);
}

srv_engine *srv_engine_get(cred_server *s)
{
    pthread_mutex_lock(&s->eng_mu);
    srv_engine *e = s->engine;
    atomic_fetch_add(&e->refs, 1);
    pthread_mutex_unlock(&s->eng_mu);
    return e;
}

/* Compile the rules and load the weights into a new snapshot. Touches nothing shared. */
static int engine_load(cred_server *s, srv_engine **out)
{
    int rc = 0;
    srv_engine *e = calloc(1, sizeof *e);
    CRED_TRY_ALLOC(e);
    atomic_init(&e->refs, 1);
    cred_rules_options ro = CRED_RULES_OPTIONS_INIT;
    CRED_TRY(cred_rules_load(&e->rules, s->rules_path, &ro));
    CRED_TRY(s->weights_path ? cred_model_load(&e->model, s->weights_path) : cred_model_default(&e->model));
    if (s->opts.threshold > 0 && s->opts.threshold < 1) {
        cred_model_params mp;
        cred_model_params_get(e->model, &mp);
        mp.dup_threshold = s->opts.threshold;
        cred_model_params_set(e->model, &mp);
    }
    e->lexical = cred_model_lexical_table(e->model, NULL, NULL) != NULL;
    e->n_rules = cred_rules_count(e->rules);
    e->hits = calloc(e->n_rules + 1, sizeof *e->hits);
    CRED_TRY_ALLOC(e->hits);
    *out = e;
    return 0;
done:
    if (e) {
        cred_rules_free(e->rules);
        cred_model_free(e->model);
        free(e->hits);
        free(e);
    }
    return rc;
}

int cred_server_reload(cred_server *s)
{
    if (!s)
        return cred__error(CRED_EINVAL, "cred_server_reload: NULL server");
    pthread_mutex_lock(&s->reload_mu);
    srv_engine *e = NULL;
    int rc = engine_load(s, &e);
    if (rc == 0) {
        pthread_mutex_lock(&s->eng_mu);
        srv_engine *old = s->engine;
        e->gen = ++s->next_gen;
        /* rule-hit counters are Prometheus counters: carry them over by rule id */
        for (size_t i = 0; old && i < e->n_rules; i++) {
            const cred_rule_info *ni = cred_rules_info(e->rules, i);
            const cred_rule_info *oi = i < old->n_rules ? cred_rules_info(old->rules, i) : NULL;
            if (oi && ni && strcmp(oi->id, ni->id) == 0)
                atomic_store(&e->hits[i], atomic_load(&old->hits[i]));
        }
        s->engine = e;
        atomic_store(&s->engine_gen, e->gen);
        pthread_mutex_unlock(&s->eng_mu);
        srv_engine_put(old);
        atomic_fetch_add(&s->metrics.reloads, 1);
    } else
        atomic_fetch_add(&s->metrics.reload_failures, 1);
    pthread_mutex_unlock(&s->reload_mu);
    return rc;
}

/* ---- rate limit: a token bucket per client address ------------------------------------------------ */

typedef struct srv_bucket {
    uint64_t key;   /* 0: empty */
    double tokens;
    double t;       /* last refill, seconds */
} srv_bucket;

#define BUCKETS_CAP 8192

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t client_key(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return 1;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        return ((uint64_t)4 << 32 | in->sin_addr.s_addr) | 2;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        return cred_hash64(&in6->sin6_addr, 8, 6) | 2; /* the /64: one client, one bucket */
    }
    return 1;
}

/* Take one token from the client's bucket. false: rate limited. */
static bool rate_take(cred_server *s, uint64_t key)
{
    if (s->opts.rate < 0)
        return true;
    double t = now_s(), rate = s->opts.rate, burst = s->opts.burst;
    bool ok = true;
    pthread_mutex_lock(&s->rate_mu);
    if (s->n_buckets * 2 >= BUCKETS_CAP) { /* many clients: forget them all (each starts full again) */
        memset(s->buckets, 0, BUCKETS_CAP * sizeof *s->buckets);
        s->n_buckets = 0;
    }
    size_t i = (size_t)(cred_hash64(&key, sizeof key, 0) & (BUCKETS_CAP - 1));
    while (s->buckets[i].key && s->buckets[i].key != key)
        i = (i + 1) & (BUCKETS_CAP - 1);
    srv_bucket *b = &s->buckets[i];
    if (!b->key) {
        b->key = key;
        b->tokens = burst;
        b->t = t;
        s->n_buckets++;
    }
    b->tokens += (t - b->t) * rate;
    if (b->tokens > burst)
        b->tokens = burst;
    b->t = t;
    if (b->tokens >= 1)
        b->tokens -= 1;
    else
        ok = false;
    pthread_mutex_unlock(&s->rate_mu);
    return ok;
}

/* ---- requests ---------------------------------------------------------------------------------------- */

typedef struct srv_req {
    int route;
    double t0;
    int status;
    bool remember;
    bool handled;
    srv_err err;        /* error found while the body arrived (E_COUNT_: none) */
    size_t limit;       /* body bytes allowed */
    cred_buf body;
} srv_req;

/* Compare a presented token with ours in time independent of where they differ. */
static bool token_ok(const cred_server *s, const char *presented)
{
    if (!s->token || !presented)
        return false;
    size_t n = strlen(presented), m = s->token_len;
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < m; i++)
        diff |= (unsigned char)(s->token[i] ^ (i < n ? presented[i] : 0));
    return diff == 0;
}

static bool authorized(cred_server *s, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    while (*h == ' ')
        h++;
    return token_ok(s, h);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, srv_req *q, srv_reply *r)
{
    size_t len = r->body.len;
    char *body = r->body.ptr;
    r->body.ptr = NULL;
    r->body.len = r->body.cap = 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body ? body : (char *)"",
                                                                body ? MHD_RESPMEM_MUST_FREE
                                                                     : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->content_type ? r->content_type : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (r->status == 429)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (r->status == 405)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                q->route == R_SCORE || q->route == R_RELOAD ? "POST"
                                : q->route == R_POSTS                     ? "POST"
                                                                          : "GET");
    q->status = r->status;
    q->handled = true;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned int)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(cred_server *s, struct MHD_Connection *c, srv_req *q, srv_err e,
                                  const char *msg)
{
    srv_reply r = {0, NULL, CRED_BUF_INIT};
    srv_reply_error(&r, e, "%s", msg);
    atomic_fetch_add(&s->metrics.errors[e], 1);
    return send_reply(c, q, &r);
}

typedef enum access_kind { A_OPEN = 0, A_READ, A_WRITE } access_kind;

static const struct {
    const char *path;   /* exact, or a prefix ending in '/' for /{id} routes */
    int route;
    const char *method;
    access_kind access;
    bool prefix;
} routes[] = {
    {"/v1/score", R_SCORE, "POST", A_READ, false},
    {"/v1/posts", R_POSTS, "POST", A_WRITE, false},
    {"/v1/posts/", R_POST_GET, "GET", A_READ, true},
    {"/v1/search", R_SEARCH, "GET", A_READ, false},
    {"/v1/clusters/", R_CLUSTER, "GET", A_READ, true},
    {"/v1/admin/reload", R_RELOAD, "POST", A_WRITE, false},
    {"/healthz", R_HEALTHZ, "GET", A_OPEN, false},
    {"/readyz", R_READYZ, "GET", A_OPEN, false},
    {"/metrics", R_METRICS, "GET", A_READ, false},
};

/* Route of a path; *idx receives the table entry (-1 when none). */
static int route_of(const char *url, int *idx)
{
    for (size_t i = 0; i < CRED_ARRAY_LEN(routes); i++) {
        size_t n = strlen(routes[i].path);
        if (routes[i].prefix ? strncmp(url, routes[i].path, n) == 0 && url[n]
                             : strcmp(url, routes[i].path) == 0) {
            *idx = (int)i;
            return routes[i].route;
        }
    }
    *idx = -1;
    return R_NONE;
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* Run the endpoint of a complete request. */
static enum MHD_Result dispatch(cred_server *s, struct MHD_Connection *c, const char *url, srv_req *q)
{
    srv_reply r = {200, "application/json", CRED_BUF_INIT};
    cred_buf_terminate(&q->body);
    char *body = q->body.ptr ? q->body.ptr : (char *)"";
    switch (q->route) {
    case R_SCORE: srv_handle_score(s, &r, body, q->body.len, q->remember); break;
    case R_POSTS: srv_handle_posts(s, &r, body, q->body.len); break;
    case R_SEARCH: srv_handle_search(s, &r, arg(c, "q"), arg(c, "limit")); break;
    case R_POST_GET: srv_handle_post_get(s, &r, url + strlen("/v1/posts/")); break;
    case R_CLUSTER: srv_handle_cluster(s, &r, url + strlen("/v1/clusters/")); break;
    case R_METRICS: srv_handle_metrics(s, &r); break;
    case R_HEALTHZ: cred_buf_puts(&r.body, "{\"status\":\"ok\"}\n"); break;
    case R_READYZ:
        if (atomic_load(&s->ready) && !atomic_load(&s->stopping))
            cred_buf_puts(&r.body, "{\"status\":\"ready\"}\n");
        else
            srv_reply_error(&r, E_NOT_READY, "the service is starting or stopping");
        break;
    case R_RELOAD: {
        int rc = cred_server_reload(s);
        if (rc < 0) {
            /* the message names the rule file and line, never the token or a body */
            srv_reply_error(&r, E_INTERNAL, "reload failed, the previous rules stay in use: %s",
                            cred_error_last()->message);
            r.status = 500;
        } else {
            srv_engine *e = srv_engine_get(s);
            cred_buf_printf(&r.body, "{\"reloaded\":true,\"generation\":%llu,\"rules\":%zu,\"digest\":\"%s\"}\n",
                            (unsigned long long)e->gen, e->n_rules, cred_rules_digest(e->rules));
            srv_engine_put(e);
        }
        break;
    }
    default: srv_reply_error(&r, E_NOT_FOUND, "no such endpoint"); break;
    }
    if (r.status >= 400 && r.body.ptr && strncmp(r.body.ptr, "{\"error\":\"", 10) == 0)
        for (int e = 0; e < E_COUNT_; e++) {
            size_t n = strlen(errors[e].name);
            if (strncmp(r.body.ptr + 10, errors[e].name, n) == 0 && r.body.ptr[10 + n] == '"') {
                atomic_fetch_add(&s->metrics.errors[e], 1);
                break;
            }
        }
    cred_buf_free(&q->body);
    return send_reply(c, q, &r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    cred_server *s = cls;
    srv_req *q = *con_cls;
    if (!q) { /* headers are in */
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        *con_cls = q;
        q->t0 = now_s();
        q->err = E_COUNT_;
        atomic_fetch_add(&s->metrics.inflight, 1);
        int idx;
        q->route = route_of(url, &idx);
        if (idx < 0)
            return send_error(s, c, q, E_NOT_FOUND, "no such endpoint");
        if (strcmp(method, routes[idx].method) != 0)
            return send_error(s, c, q, E_METHOD, "method not allowed on this endpoint");
        if (q->route == R_HEALTHZ || q->route == R_READYZ)
            return dispatch(s, c, url, q);
        const char *rem = arg(c, "remember");
        q->remember = q->route == R_SCORE && rem && strcmp(rem, "0") != 0 && strcmp(rem, "false") != 0;
        access_kind need = q->remember ? A_WRITE : routes[idx].access;
        if (need == A_READ && !(s->opts.flags & CRED_SERVER_AUTH_READS))
            need = A_OPEN;
        if (need != A_OPEN && !authorized(s, c))
            return send_error(s, c, q, E_UNAUTHORIZED,
                              s->token ? "a valid bearer token is required (Authorization: Bearer ...)"
                                       : "this endpoint is disabled: the service has no --token-file");
        if (q->route != R_METRICS && !rate_take(s, client_key(c)))
            return send_error(s, c, q, E_RATE_LIMITED, "too many requests from this client; retry later");
        if (!atomic_load(&s->ready) || atomic_load(&s->stopping))
            return send_error(s, c, q, E_NOT_READY, "the service is starting or stopping");
        q->limit = q->route == R_POSTS ? CRED_LIMIT_HTTP_BATCH_BYTES
                   : q->route == R_SCORE ? CRED_LIMIT_HTTP_BODY_BYTES : 0;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > q->limit)
            return send_error(s, c, q, E_BODY_TOO_LARGE, "request body larger than the endpoint accepts");
        if (q->limit == 0)
            return dispatch(s, c, url, q);
        return MHD_YES;
    }
    if (q->handled) { /* answered already: drop whatever body still comes */
        *upload_size = 0;
        return MHD_YES;
    }
    if (now_s() - q->t0 > s->opts.request_ms / 1000.0) {
        atomic_fetch_add(&s->metrics.errors[E_TIMEOUT], 1);
        q->status = 408;
        return MHD_NO; /* a request trickling in is cut off: close the connection */
    }
    if (*upload_size) {
        if (q->err == E_COUNT_) {
            if (q->body.len + *upload_size > q->limit) {
                q->err = E_BODY_TOO_LARGE;
                cred_buf_free(&q->body);
            } else if (cred_buf_put(&q->body, upload, *upload_size) < 0)
                q->err = E_INTERNAL;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->err != E_COUNT_)
        return send_error(s, c, q, q->err,
                          q->err == E_BODY_TOO_LARGE ? "request body larger than the endpoint accepts"
                                                     : "out of memory");
    return dispatch(s, c, url, q);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    cred_server *s = cls;
    srv_req *q = *con_cls;
    if (!q)
        return;
    int status = q->status ? q->status : 499; /* 499: the client went away before a reply */
    srv_metrics_observe(&s->metrics, q->route, status, now_s() - q->t0);
    cred_buf_free(&q->body);
    free(q);
    *con_cls = NULL;
    atomic_fetch_sub(&s->metrics.inflight, 1);
}

/* ---- start, stop ----------------------------------------------------------------------------------------- */

static int parse_listen(struct sockaddr_in *sa, const char *listen, bool any)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return cred__error(CRED_EINVAL, "--listen wants HOST:PORT (e.g. 127.0.0.1:8080)");
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port > 65535)
        return cred__error(CRED_EINVAL, "--listen: bad port '%s'", colon + 1);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return cred__error(CRED_EINVAL, "--listen: '%s' is not an IPv4 address", host);
    if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127 && !any)
        return cred__error(CRED_EINVAL, "--listen %s is not a loopback address: pass --public to serve on it", host);
    return 0;
}

static int read_token(cred_server *s, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    int rc = cred__read_file(&data, &len, path, CRED_LIMIT_HTTP_TOKEN_BYTES + 2);
    if (rc < 0)
        return rc;
    size_t n = strcspn(data, "\r\n");
    while (n && (data[n - 1] == ' ' || data[n - 1] == '\t'))
        n--;
    if (n == 0 || n > CRED_LIMIT_HTTP_TOKEN_BYTES) {
        free(data);
        return cred__error(CRED_EINVAL, "token file %s: the first line must hold a token of 1 to %u bytes", path,
                           CRED_LIMIT_HTTP_TOKEN_BYTES);
    }
    data[n] = '\0';
    s->token = data;
    s->token_len = n;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int cred_server_start(cred_server **out, const cred_server_options *opts)
{
    int rc = 0;
    if (!out)
        return cred__error(CRED_EINVAL, "cred_server_start: NULL out");
    *out = NULL;
    cred_server *s = calloc(1, sizeof *s);
    CRED_TRY_ALLOC(s);
    cred_server_options def = CRED_SERVER_OPTIONS_INIT;
    s->opts = opts ? *opts : def;
    if (!s->opts.listen)
        s->opts.listen = "127.0.0.1:8080";
    if (!s->opts.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s->opts.threads = n > 0 ? (unsigned)n : 2;
    }
    if (s->opts.threads > 64)
        s->opts.threads = 64;
    if (s->opts.rate == 0)
        s->opts.rate = 1000;
    if (s->opts.burst <= 0)
        s->opts.burst = s->opts.rate > 0 ? 2 * s->opts.rate : 1;
    if (!s->opts.idle_seconds)
        s->opts.idle_seconds = CRED_LIMIT_HTTP_IDLE_SECONDS;
    if (!s->opts.request_ms)
        s->opts.request_ms = CRED_LIMIT_HTTP_REQUEST_MS;
    if (!(s->opts.threshold > 0 && s->opts.threshold <= 1))
        s->opts.threshold = 0.45;
    pthread_mutex_init(&s->eng_mu, NULL);
    pthread_mutex_init(&s->reload_mu, NULL);
    pthread_mutex_init(&s->corpus_mu, NULL);
    pthread_mutex_init(&s->workers_mu, NULL);
    pthread_mutex_init(&s->rate_mu, NULL);
    pthread_mutex_init(&s->stop_mu, NULL);
    s->buckets = calloc(BUCKETS_CAP, sizeof *s->buckets);
    CRED_TRY_ALLOC(s->buckets);
    atomic_init(&s->next_id, 1);

    struct sockaddr_in sa;
    CRED_TRY(parse_listen(&sa, s->opts.listen, s->opts.flags & CRED_SERVER_ANY_ADDRESS));
    s->rules_path = strdup(s->opts.rules ? s->opts.rules : CRED_RULES_DIR);
    s->weights_path = dup_or_null(s->opts.weights);
    s->index_dir = dup_or_null(s->opts.index_dir);
    s->store_url = dup_or_null(s->opts.store);
    s->store_replicas = dup_or_null(s->opts.store_replicas);
    CRED_TRY_ALLOC(s->rules_path);
    if (s->opts.token_file)
        CRED_TRY(read_token(s, s->opts.token_file));
    CRED_TRY(engine_load(s, &s->engine));
    s->engine->gen = ++s->next_gen;
    atomic_store(&s->engine_gen, s->engine->gen);
    CRED_TRY(srv_store_memory_new(&s->memory, s->opts.threshold));
    s->store = s->memory;
    if (s->store_url && strcmp(s->store_url, "memory") != 0) {
        if (strncmp(s->store_url, "redis://", 8) != 0) {
            rc = cred__error(CRED_EINVAL, "--store wants memory or redis://HOST:PORT");
            goto done;
        }
        CRED_TRY(srv_store_redis_new(&s->store, s->store_url, s->store_replicas, s->opts.threshold,
                                     s->opts.ttl_seconds ? s->opts.ttl_seconds : 30u * 86400u, s->memory));
    } else if (s->store_replicas && *s->store_replicas) {
        rc = cred__error(CRED_EINVAL, "--store-replica needs --store redis://HOST:PORT (the primary)");
        goto done;
    }
    if (s->index_dir) {
        cred_corpus_options co = CRED_CORPUS_OPTIONS_INIT;
        co.flags = CRED_CORPUS_WRITE | CRED_CORPUS_CREATE;
        co.threshold = s->opts.threshold;
        CRED_TRY(cred_corpus_open(&s->corpus, s->index_dir, &co));
    }
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0, NULL, NULL, on_request, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)s->opts.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->opts.idle_seconds, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)CRED_LIMIT_HTTP_CONNECTIONS, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        /* 16 KiB per connection (default 32): room for a 4 KiB token and the headers; libmicrohttpd
           clears the pool at every request of a kept-alive connection, and that was 4% of the CPU */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->daemon) {
        rc = cred__error(CRED_EIO, "cannot listen on %s: %s", s->opts.listen, strerror(errno));
        goto done;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : ntohs(sa.sin_port);
    atomic_store(&s->ready, true);
    *out = s;
    return 0;
done:
    cred_server_free(s);
    return rc;
}

unsigned int cred_server_port(const cred_server *s)
{
    return s ? s->port : 0;
}

void cred_server_stop(cred_server *s, unsigned int grace_ms)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->stop_mu);
    if (atomic_load(&s->stopped)) {
        pthread_mutex_unlock(&s->stop_mu);
        return;
    }
    atomic_store(&s->stopping, true);
    if (s->daemon) {
        /* stop accepting; requests already in flight run to their end */
        MHD_socket fd = MHD_quiesce_daemon(s->daemon);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
        double until = now_s() + grace_ms / 1000.0;
        while (atomic_load(&s->metrics.inflight) > 0 && now_s() < until) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
    }
    pthread_mutex_lock(&s->corpus_mu); /* every acknowledged post was committed; this makes it final */
    cred_corpus_free(s->corpus);
    s->corpus = NULL;
    pthread_mutex_unlock(&s->corpus_mu);
    atomic_store(&s->stopped, true);
    pthread_mutex_unlock(&s->stop_mu);
}

void cred_server_free(cred_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        cred_server_stop(s, 5000);
    cred_corpus_free(s->corpus);
    while (s->workers) {
        srv_worker *w = s->workers;
        s->workers = *(srv_worker **)w; /* the registry link is the worker's first member */
        srv_worker_free(w);
    }
    if (s->store && s->store != s->memory)
        s->store->ops->free(s->store);
    if (s->memory)
        s->memory->ops->free(s->memory);
    srv_engine_put(s->engine);
    if (s->token) {
        explicit_bzero(s->token, s->token_len);
        free(s->token);
    }
    free(s->rules_path);
    free(s->weights_path);
    free(s->index_dir);
    free(s->store_url);
    free(s->store_replicas);
    free(s->buckets);
    pthread_mutex_destroy(&s->eng_mu);
    pthread_mutex_destroy(&s->reload_mu);
    pthread_mutex_destroy(&s->corpus_mu);
    pthread_mutex_destroy(&s->workers_mu);
    pthread_mutex_destroy(&s->rate_mu);
    pthread_mutex_destroy(&s->stop_mu);
    free(s);
}
