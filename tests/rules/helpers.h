/* Shared helpers of the rules tests: compile with collected diagnostics, scan a text. */
#ifndef CRED_TEST_RULES_HELPERS_H
#define CRED_TEST_RULES_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credence.h"

typedef struct tdiag {
    cred_severity sev;
    unsigned line, col;
    char msg[512];
} tdiag;

typedef struct tdiags {
    tdiag d[64];
    size_t n;
} tdiags;

static inline void tdiag_collect(const cred_diag *d, void *payload)
{
    tdiags *ds = payload;
    if (ds->n < 64) {
        tdiag *t = &ds->d[ds->n++];
        t->sev = d->severity;
        t->line = (unsigned)d->line;
        t->col = (unsigned)d->column;
        snprintf(t->msg, sizeof t->msg, "%s", d->message);
    }
}

/* Compile src with all diagnostics (lint too) collected in *ds. */
static inline int compile_ds(cred_rules **out, const char *src, unsigned flags, tdiags *ds)
{
    memset(ds, 0, sizeof *ds);
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    o.flags = flags;
    o.on_diag = tdiag_collect;
    o.diag_payload = ds;
    return cred_rules_compile(out, src, strlen(src), "t.rules", &o);
}

/* The first error diagnostic whose message contains `needle`, or NULL. */
static inline const tdiag *find_diag(const tdiags *ds, cred_severity sev, const char *needle)
{
    for (size_t i = 0; i < ds->n; i++)
        if (ds->d[i].sev == sev && strstr(ds->d[i].msg, needle))
            return &ds->d[i];
    return NULL;
}

/* Expect one error containing needle at line:col. */
#define EXPECT_ERROR_AT(src, needle, l, c)                                                              \
    do {                                                                                                \
        cred_rules *r_ = NULL;                                                                          \
        tdiags ds_;                                                                                     \
        int rc_ = compile_ds(&r_, src, 0, &ds_);                                                        \
        cr_expect_eq(rc_, CRED_ESYNTAX, "compile returned %d", rc_);                                    \
        cr_expect_null(r_);                                                                             \
        const tdiag *d_ = find_diag(&ds_, CRED_SEV_ERROR, needle);                                      \
        cr_assert_not_null(d_, "no error containing '%s' (first: %s)", needle, ds_.n ? ds_.d[0].msg : "none"); \
        cr_expect_eq(d_->line, (unsigned)(l), "line %u, expected %u (%s)", d_->line, (unsigned)(l), d_->msg); \
        cr_expect_eq(d_->col, (unsigned)(c), "column %u, expected %u (%s)", d_->col, (unsigned)(c), d_->msg); \
    } while (0)

static inline cred_rules *compile_ok(const char *src, unsigned flags)
{
    cred_rules *r = NULL;
    tdiags ds;
    int rc = compile_ds(&r, src, flags, &ds);
    cr_assert_eq(rc, 0, "compile failed: %s (%u:%u)", ds.n ? ds.d[0].msg : cred_error_last()->message,
                 ds.n ? ds.d[0].line : 0, ds.n ? ds.d[0].col : 0);
    return r;
}

/* A scanning fixture: one analyser and one scanner. */
typedef struct tscan {
    cred_rules *rules;
    cred_text *text;
    cred_scanner *sc;
} tscan;

static inline void tscan_init(tscan *t, const char *src, unsigned flags)
{
    t->rules = compile_ok(src, flags);
    cr_assert_eq(cred_text_new(&t->text, NULL), 0);
    cr_assert_eq(cred_scanner_new(&t->sc, t->rules, 0), 0);
}

static inline void tscan_fini(tscan *t)
{
    cred_scanner_free(t->sc);
    cred_text_free(t->text);
    cred_rules_free(t->rules);
}

static inline const cred_scan_result *tscan_post(tscan *t, const char *text, const cred_post *post)
{
    const cred_doc *doc;
    cr_assert_eq(cred_text_analyse(t->text, &doc, text, strlen(text), "en"), 0);
    const cred_scan_result *res;
    cr_assert_eq(cred_scanner_scan(t->sc, &res, doc, post), 0, "%s", cred_error_last()->message);
    return res;
}

static inline const cred_scan_result *tscan_text(tscan *t, const char *text) { return tscan_post(t, text, NULL); }

/* Number of scored hits of rule `id`. */
static inline size_t hits_of(const cred_scan_result *r, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_hits; i++)
        n += strcmp(r->hits[i].rule->id, id) == 0;
    return n;
}

static inline const cred_rule_hit *hit_of(const cred_scan_result *r, const char *id, size_t k)
{
    for (size_t i = 0; i < r->n_hits; i++)
        if (strcmp(r->hits[i].rule->id, id) == 0 && k-- == 0)
            return &r->hits[i];
    return NULL;
}

#endif
