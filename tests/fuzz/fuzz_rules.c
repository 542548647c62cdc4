/*
 * Fuzz target for the rule compiler: arbitrary text is compiled (with lint); when it compiles, its
 * inline tests run and a few posts are scanned. Invariants (abort on violation): compile returns 0 or
 * CRED_ESYNTAX/CRED_ELIMIT; every diagnostic has a position inside the input; hits have spans inside
 * the post and points no larger than their weight.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "credence.h"

#define CHECK(c)         \
    do {                 \
        if (!(c))        \
            abort();     \
    } while (0)

static size_t input_len;

static void on_diag(const cred_diag *d, void *payload)
{
    (void)payload;
    CHECK(d->message != NULL);
    CHECK(d->offset <= input_len);
    CHECK(d->line >= 1 && d->column >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    o.flags = CRED_RULES_LINT;
    o.base_dir = "/nonexistent-credence-fuzz"; /* never read list files from the machine */
    o.on_diag = on_diag;
    input_len = size;
    cred_rules *r = NULL;
    int rc = cred_rules_compile(&r, (const char *)data, size, "fuzz.rules", &o);
    CHECK(rc == 0 || rc == CRED_ESYNTAX || rc == CRED_ELIMIT || rc == CRED_ENOMEM);
    CHECK((rc == 0) == (r != NULL));
    if (!r)
        return 0;
    size_t failed;
    cred_rules_test(&failed, r, NULL, NULL);
    cred_text *tx;
    cred_scanner *sc;
    if (cred_text_new(&tx, NULL) == 0 && cred_scanner_new(&sc, r, 0) == 0) {
        static const char *const posts[] = {"Doctors say garlic cures covid. Share now! https://bit.ly/x",
                                            "Médicos confirmam: 90% \xff dos casos", ""};
        cred_post p;
        memset(&p, 0, sizeof p);
        p.forwarded_from = "unknown";
        p.author = "Dr. X";
        for (size_t i = 0; i < 3; i++) {
            const cred_doc *doc;
            const cred_scan_result *res;
            size_t n = strlen(posts[i]);
            if (cred_text_analyse(tx, &doc, posts[i], n, NULL) < 0)
                continue;
            if (cred_scanner_scan(sc, &res, doc, &p) < 0)
                continue;
            for (size_t h = 0; h < res->n_hits; h++) {
                const cred_rule_hit *x = &res->hits[h];
                CHECK(x->span.start <= x->span.end);
                CHECK(x->target >= CRED_TARGET_FORWARDED_FROM || x->span.end <= n);
                CHECK(x->raw_points > 0 ? x->points <= x->raw_points : x->points >= x->raw_points);
                CHECK(x->explain != NULL);
            }
        }
        cred_scanner_free(sc);
    }
    cred_text_free(tx);
    cred_rules_free(r);
    return 0;
}
