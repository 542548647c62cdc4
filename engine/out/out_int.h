/*
 * Internal interface between the files of engine/out/. The public face is cred_out_* in credence.h.
 *
 *   out.c          the writer object, JSON helpers, parsed post records (`credence parse`).
 *   score_out.c    scored post records: jsonl and csv streamed; the bounded summary behind the table
 *                  and the html report (worst posts, counts, histogram, clusters, sources); the table.
 *   report_html.c  the self-contained HTML report: template, inline CSS, vanilla JS and SVG.
 */
#ifndef CRED_OUT_INT_H
#define CRED_OUT_INT_H

#include <yajl/yajl_gen.h>

#include "util/util.h"

#define FLUSH_BYTES (64u << 10)

typedef struct out_summary out_summary;

struct cred_out {
    FILE *fp;
    cred_out_format format;
    cred_out_options opts;
    yajl_gen g;
    cred_buf buf;     /* pending output */
    cred_buf scratch; /* UTF-8 repair */
    bool failed;
    bool header_done; /* csv header row written */
    out_summary *sum; /* table and html */
};

/* Append bytes to the pending output (the yajl_gen print callback). */
void cred_out__raw(void *ctx, const char *s, size_t len);
void cred_out__put_key(cred_out *o, const char *key);
/* A JSON string of s (invalid UTF-8 repaired). */
void cred_out__put_bytes(cred_out *o, const char *s, size_t len);
/* "key": value, nothing when value is NULL. */
void cred_out__put_str(cred_out *o, const char *key, const char *value);
/* "key": ISO 8601 UTC date, nothing when unknown. */
void cred_out__put_date(cred_out *o, const char *key, int64_t t);
/* Write pending output when it holds at least threshold bytes. 0; CRED_EIO; CRED_ENOMEM. */
int cred_out__flush_if(cred_out *o, size_t threshold);

/* ---- the summary kept for table and html (score_out.c) ----------------------------------------- */

#define OUT_REASONS 8      /* reasons kept per listed post */
#define OUT_EXCERPT 600    /* bytes of text kept per listed post */
#define OUT_TIMELINE 24    /* dated posts kept per cluster */
#define OUT_MAX_CLUSTERS 50000
#define OUT_MAX_SOURCES 50000
#define OUT_HIST_BINS 10

typedef struct out_reason {
    char *rule, *category, *explain, *quote;
    double points, raw_points;
    unsigned int hit_flags;
    int has_span, in_text;  /* in_text: span indexes the post text (kept excerpt when < OUT_EXCERPT) */
    uint32_t start, end;
} out_reason;

typedef struct out_post {
    char *id, *source, *author, *text; /* text: the first OUT_EXCERPT bytes (whole characters) */
    size_t text_len, full_len;
    int64_t date;
    int validity;
    double z;
    cred_verdict verdict;
    unsigned int flags;
    out_reason reasons[OUT_REASONS];
    size_t n_reasons;
    uint64_t seq;
} out_post;

typedef struct out_cluster {
    char *origin_id, *origin_source, *excerpt;
    uint64_t key;
    uint32_t size, sources, copies;
    int64_t first_seen, last_seen;
    int64_t dates[OUT_TIMELINE];
    char *date_sources[OUT_TIMELINE];
    size_t n_dates;
} out_cluster;

typedef struct out_source {
    char *name;
    uint64_t key;
    uint64_t posts, unsourced, unreliable, copies;
} out_source;

typedef struct out_map {
    void **slots;  /* open addressing on the entries' key */
    size_t n, cap;
} out_map;

struct out_summary {
    uint64_t posts, verdicts[4], flags[CRED_FLAG_COUNT_], hist[OUT_HIST_BINS];
    uint64_t clusters_dropped, sources_dropped;
    double validity_sum;
    out_post *worst; /* a max-heap on (validity, -z, seq): the best of the worst at the root */
    size_t n_worst, cap_worst;
    out_map clusters, sources, authors;
    uint64_t seq;
};

void cred_out__summary_free(out_summary *s);

/* The listed posts, worst first (sorts s->worst in place; the heap is gone afterwards). */
void cred_out__summary_sort(out_summary *s);

/* Entries of a map as an array sorted by cmp (malloc'd; caller frees the array, not the entries). */
void **cred_out__map_sorted(const out_map *m, int (*cmp)(const void *, const void *));

/* Write the html report of a summary (report_html.c). 0; CRED_ENOMEM. */
int cred_out__html(cred_out *o, out_summary *s);

#endif
