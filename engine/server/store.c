/*
 * The near-duplicate store interface and its embedded backend: one cred_dedup (which needs a single
 * writer) behind a mutex, plus the ids and sources of its doc numbers and an id -> doc map for
 * /v1/clusters/{id}. A lookup holds the mutex for one signature and one LSH probe (microseconds), so
 * the pool threads serialise only on that step; analysis, rules and scoring run in parallel.
 */
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

void srv_dup_reset(srv_dup *d)
{
    cred_buf_clear(&d->strings);
    memset(&d->m, 0, sizeof d->m);
    memset(&d->cl, 0, sizeof d->cl);
    d->m.doc = d->m.parent = d->m.origin = CRED_DUP_NO_DOC;
    d->have_cluster = false;
    d->parent_id = d->origin_id = d->origin_source = NULL;
}

size_t srv_dup_keep(srv_dup *d, const char *s)
{
    if (!s)
        return 0;
    size_t off = d->strings.len;
    if (cred_buf_put(&d->strings, s, strlen(s) + 1) < 0)
        return 0;
    return off + 1;
}

void srv_dup_fix(srv_dup *d, size_t parent, size_t origin, size_t source)
{
    d->parent_id = parent ? d->strings.ptr + parent - 1 : NULL;
    d->origin_id = origin ? d->strings.ptr + origin - 1 : NULL;
    d->origin_source = source ? d->strings.ptr + source - 1 : NULL;
}

typedef struct mem_store {
    srv_store base;
    pthread_mutex_t mu;
    cred_dedup *dedup;
    char **ids;       /* by doc number */
    char **sources;   /* by doc number (NULL: none); equal names share nothing: simple, bounded by posts */
    size_t n, cap;
    uint32_t *map;    /* open addressing: doc + 1 by id hash */
    size_t map_cap, map_n;
} mem_store;

static uint64_t id_hash(const char *id)
{
    return cred_hash64(id, strlen(id), 0x1d);
}

static int map_put(mem_store *m, const char *id, uint32_t doc)
{
    if ((m->map_n + 1) * 2 > m->map_cap) {
        size_t cap = m->map_cap ? m->map_cap * 2 : 1024;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t)
            return CRED_ENOMEM;
        for (size_t i = 0; i < m->map_cap; i++)
            if (m->map[i]) {
                size_t k = id_hash(m->ids[m->map[i] - 1]) & (cap - 1);
                while (t[k])
                    k = (k + 1) & (cap - 1);
                t[k] = m->map[i];
            }
        free(m->map);
        m->map = t;
        m->map_cap = cap;
    }
    size_t k = id_hash(id) & (m->map_cap - 1);
    while (m->map[k] && strcmp(m->ids[m->map[k] - 1], id) != 0)
        k = (k + 1) & (m->map_cap - 1);
    if (!m->map[k])
        m->map_n++;
    m->map[k] = doc + 1; /* the latest post with this id */
    return 0;
}

static uint32_t map_get(const mem_store *m, const char *id)
{
    if (!m->map_cap)
        return CRED_DUP_NO_DOC;
    size_t k = id_hash(id) & (m->map_cap - 1);
    while (m->map[k]) {
        if (strcmp(m->ids[m->map[k] - 1], id) == 0)
            return m->map[k] - 1;
        k = (k + 1) & (m->map_cap - 1);
    }
    return CRED_DUP_NO_DOC;
}

static const char *doc_id(const mem_store *m, uint32_t doc)
{
    return doc < m->n ? m->ids[doc] : NULL;
}

static int remember_doc(mem_store *m, uint32_t doc, const cred_post *p)
{
    if (doc != m->n)
        return cred__error(CRED_EINVAL, "dedup doc numbers out of step");
    if (CRED_GROW(m->ids, m->cap, m->n + 1) < 0)
        return CRED_ENOMEM;
    char **src = realloc(m->sources, m->cap * sizeof *src); /* same capacity as ids */
    if (!src)
        return CRED_ENOMEM;
    m->sources = src;
    m->ids[m->n] = strdup(p->id);
    m->sources[m->n] = p->source ? strdup(p->source) : NULL;
    if (!m->ids[m->n])
        return CRED_ENOMEM;
    m->n++;
    return map_put(m, p->id, doc);
}

static int mem_lookup(srv_store *st, srv_dup *out, const cred_doc *doc, const cred_post *p, bool remember)
{
    mem_store *m = (mem_store *)st;
    srv_dup_reset(out);
    pthread_mutex_lock(&m->mu);
    int rc;
    if (remember) {
        rc = cred_dedup_add(m->dedup, &out->m, doc, p->date, p->source);
        if (rc == 0)
            rc = remember_doc(m, out->m.doc, p);
        if (rc == 0)
            out->have_cluster = cred_dedup_cluster(m->dedup, &out->cl, out->m.doc) == 0;
    } else {
        rc = cred_dedup_query(m->dedup, &out->m, doc, p->date);
        if (rc == 0 && (out->m.relation == CRED_DUP_EXACT || out->m.relation == CRED_DUP_NEAR) &&
            cred_dedup_cluster(m->dedup, &out->cl, out->m.parent) == 0) {
            out->have_cluster = true; /* the cluster as it would be with this post in it */
            out->cl.size++;
            if (p->date != CRED_DATE_UNKNOWN && (out->cl.last_seen == CRED_DATE_UNKNOWN || p->date > out->cl.last_seen))
                out->cl.last_seen = p->date;
        }
    }
    size_t po = 0, oo = 0, so = 0;
    if (rc == 0) {
        uint32_t origin = out->have_cluster ? out->cl.origin : out->m.origin;
        if (out->m.parent != CRED_DUP_NO_DOC)
            po = srv_dup_keep(out, doc_id(m, out->m.parent));
        if (origin < m->n) {
            oo = srv_dup_keep(out, doc_id(m, origin));
            so = srv_dup_keep(out, m->sources[origin]);
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (rc == 0 && !oo && !remember) { /* a post that copies nothing heads its own (would-be) cluster */
        oo = srv_dup_keep(out, p->id);
        so = srv_dup_keep(out, p->source);
        out->have_cluster = true;
        out->cl.origin = CRED_DUP_NO_DOC;
        out->cl.size = 1;
        out->cl.sources = p->source ? 1 : 0;
        out->cl.first_seen = out->cl.last_seen = p->date;
    }
    srv_dup_fix(out, po, oo, so);
    return rc;
}

static int mem_cluster(srv_store *st, srv_dup *out, const char *id)
{
    mem_store *m = (mem_store *)st;
    srv_dup_reset(out);
    int rc = CRED_ENOTFOUND;
    size_t oo = 0, so = 0;
    pthread_mutex_lock(&m->mu);
    uint32_t doc = map_get(m, id);
    if (doc != CRED_DUP_NO_DOC && cred_dedup_get(m->dedup, &out->m, doc) == 0 &&
        cred_dedup_cluster(m->dedup, &out->cl, doc) == 0) {
        out->have_cluster = true;
        oo = srv_dup_keep(out, doc_id(m, out->cl.origin));
        so = out->cl.origin < m->n ? srv_dup_keep(out, m->sources[out->cl.origin]) : 0;
        rc = 0;
    }
    pthread_mutex_unlock(&m->mu);
    srv_dup_fix(out, 0, oo, so);
    return rc;
}

static long long mem_count(srv_store *st)
{
    mem_store *m = (mem_store *)st;
    pthread_mutex_lock(&m->mu);
    long long n = (long long)m->n;
    pthread_mutex_unlock(&m->mu);
    return n;
}

static void mem_free(srv_store *st)
{
    mem_store *m = (mem_store *)st;
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->ids[i]);
        free(m->sources[i]);
    }
    free(m->ids);
    free(m->sources);
    free(m->map);
    cred_dedup_free(m->dedup);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static const srv_store_ops mem_ops = {"memory", mem_lookup, mem_cluster, mem_count, mem_free};

int srv_store_memory_new(srv_store **out, double threshold)
{
    mem_store *m = calloc(1, sizeof *m);
    if (!m)
        return cred__error_nomem();
    m->base.ops = &mem_ops;
    pthread_mutex_init(&m->mu, NULL);
    cred_dedup_options o = CRED_DEDUP_OPTIONS_INIT;
    o.threshold = threshold;
    int rc = cred_dedup_new(&m->dedup, &o);
    if (rc < 0) {
        mem_free(&m->base);
        return rc;
    }
    *out = &m->base;
    return 0;
}
