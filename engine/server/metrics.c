/*
 * Prometheus metrics: relaxed atomic counters updated by every pool thread (no lock on the request
 * path) and rendered as text format 0.0.4 by GET /metrics. Latencies are histograms per endpoint,
 * from the moment the headers arrived to the moment the reply was sent.
 */
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

static const double bounds[SRV_BUCKETS] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                           0.05,   0.1,   0.25,  0.5,   1,    5};

static const char *const route_names[R_COUNT_] = {
    [R_NONE] = "other",      [R_SCORE] = "score",     [R_POSTS] = "posts",     [R_SEARCH] = "search",
    [R_POST_GET] = "post",   [R_CLUSTER] = "cluster", [R_RELOAD] = "reload",   [R_HEALTHZ] = "healthz",
    [R_READYZ] = "readyz",   [R_METRICS] = "metrics",
};

const char *srv_route_name(int route)
{
    return route >= 0 && route < R_COUNT_ ? route_names[route] : "other";
}

void srv_metrics_observe(srv_metrics *m, int route, int status, double seconds)
{
    if (route < 0 || route >= R_COUNT_)
        route = R_NONE;
    int cls = status / 100;
    if (cls < 1 || cls > 5)
        cls = 0; /* 0: no reply (client gone, request cut off) */
    atomic_fetch_add_explicit(&m->requests[route][cls], 1, memory_order_relaxed);
    for (int b = 0; b < SRV_BUCKETS; b++)
        if (seconds <= bounds[b]) {
            atomic_fetch_add_explicit(&m->lat_bucket[route][b], 1, memory_order_relaxed);
            break;
        }
    atomic_fetch_add_explicit(&m->lat_count[route], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->lat_sum_us[route], (uint64_t)(seconds * 1e6), memory_order_relaxed);
}

static unsigned long long ld(atomic_uint_fast64_t *a)
{
    return (unsigned long long)atomic_load_explicit(a, memory_order_relaxed);
}

void srv_handle_metrics(cred_server *s, srv_reply *r)
{
    srv_metrics *m = &s->metrics;
    cred_buf *b = &r->body;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    static const char *const classes[6] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    cred_buf_puts(b, "# HELP credence_http_requests_total HTTP requests by endpoint and status class.\n"
                     "# TYPE credence_http_requests_total counter\n");
    for (int rt = 0; rt < R_COUNT_; rt++)
        for (int c = 0; c < 6; c++)
            if (ld(&m->requests[rt][c]))
                cred_buf_printf(b, "credence_http_requests_total{endpoint=\"%s\",code=\"%s\"} %llu\n",
                                route_names[rt], classes[c], ld(&m->requests[rt][c]));
    cred_buf_puts(b, "# HELP credence_http_request_duration_seconds Time from headers received to reply sent.\n"
                     "# TYPE credence_http_request_duration_seconds histogram\n");
    for (int rt = 0; rt < R_COUNT_; rt++) {
        unsigned long long n = ld(&m->lat_count[rt]), cum = 0;
        if (!n)
            continue;
        for (int k = 0; k < SRV_BUCKETS; k++) {
            cum += ld(&m->lat_bucket[rt][k]);
            cred_buf_printf(b, "credence_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                            route_names[rt], bounds[k], cum);
        }
        cred_buf_printf(b, "credence_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                        route_names[rt], n);
        cred_buf_printf(b, "credence_http_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", route_names[rt],
                        (double)ld(&m->lat_sum_us[rt]) / 1e6);
        cred_buf_printf(b, "credence_http_request_duration_seconds_count{endpoint=\"%s\"} %llu\n", route_names[rt], n);
    }
    cred_buf_puts(b, "# HELP credence_http_errors_total Error replies by stable error code.\n"
                     "# TYPE credence_http_errors_total counter\n");
    for (int e = 0; e < E_COUNT_; e++)
        cred_buf_printf(b, "credence_http_errors_total{error=\"%s\"} %llu\n", srv_err_name((srv_err)e),
                        ld(&m->errors[e]));
    cred_buf_printf(b, "# TYPE credence_http_in_flight gauge\ncredence_http_in_flight %d\n",
                    atomic_load(&m->inflight) - 1);
    cred_buf_printf(b, "# TYPE credence_reloads_total counter\ncredence_reloads_total %llu\n", ld(&m->reloads));
    cred_buf_printf(b, "# TYPE credence_reload_failures_total counter\ncredence_reload_failures_total %llu\n",
                    ld(&m->reload_failures));
    cred_buf_printf(b, "# TYPE credence_posts_ingested_total counter\ncredence_posts_ingested_total %llu\n",
                    ld(&m->ingested));
    cred_buf_printf(b, "# TYPE credence_store_failures_total counter\ncredence_store_failures_total %llu\n",
                    ld(&m->store_failures));
    long long held = s->store->ops->count(s->store);
    cred_buf_printf(b, "# HELP credence_dup_store_posts Posts held by the near-duplicate store.\n"
                       "# TYPE credence_dup_store_posts gauge\ncredence_dup_store_posts{store=\"%s\"} %lld\n",
                    s->store->ops->name, held);
    if (s->corpus) {
        cred_corpus_stats cs;
        memset(&cs, 0, sizeof cs);
        pthread_mutex_lock(&s->corpus_mu);
        int rc = s->corpus ? cred_corpus_stats_get(s->corpus, &cs) : -1;
        pthread_mutex_unlock(&s->corpus_mu);
        if (rc == 0)
            cred_buf_printf(b, "# HELP credence_corpus_posts Live posts in the corpus.\n"
                               "# TYPE credence_corpus_posts gauge\ncredence_corpus_posts %llu\n"
                               "# TYPE credence_corpus_segments gauge\ncredence_corpus_segments %llu\n"
                               "# TYPE credence_corpus_log_posts gauge\ncredence_corpus_log_posts %llu\n",
                            (unsigned long long)cs.posts, (unsigned long long)cs.segments,
                            (unsigned long long)cs.log_posts);
    }
    srv_engine *e = srv_engine_get(s);
    cred_buf_printf(b, "# TYPE credence_rules_generation gauge\ncredence_rules_generation %llu\n"
                       "# TYPE credence_rules gauge\ncredence_rules %zu\n",
                    (unsigned long long)e->gen, e->n_rules);
    cred_buf_puts(b, "# HELP credence_rule_hits_total Scored hits per rule.\n# TYPE credence_rule_hits_total counter\n");
    for (size_t i = 0; i < e->n_rules; i++) {
        unsigned long long n = ld(&e->hits[i]);
        const cred_rule_info *ri = cred_rules_info(e->rules, i);
        if (n && ri)
            cred_buf_printf(b, "credence_rule_hits_total{rule=\"%s\"} %llu\n", ri->id, n);
    }
    srv_engine_put(e);
}
