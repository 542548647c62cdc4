/* Inline rule tests (`test match` / `test nomatch`) and the reload slot. */
#include "rules/rules_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void run_one(cred_scanner *sc, cred_text *tx, const rrule *r, size_t ri, const rtest *t, cred_buf *msg,
                    cred_rule_test_fn fn, void *payload, size_t *failed)
{
    const char *lang = t->meta[META_LANG] ? t->meta[META_LANG] : r->n_langs ? r->langs[0] : NULL;
    cred_post post;
    memset(&post, 0, sizeof post);
    post.id = "test";
    post.text = t->text;
    post.text_len = t->len;
    post.forwarded_from = t->meta[META_FORWARDED_FROM];
    post.author = t->meta[META_AUTHOR];
    post.source = t->meta[META_SOURCE];
    post.lang = lang;
    post.date = CRED_DATE_UNKNOWN;
    post.start = post.end = -1;
    cred_rule_test_result res = {r->info.id, t->pos.file, t->pos.line, t->pos.col, t->expect, 0, t->text, NULL, ""};
    const cred_doc *doc = NULL;
    cred_buf_clear(msg);
    int rc = cred_text_analyse(tx, &doc, t->text, t->len, lang);
    if (rc == 0)
        rc = rs__evaluate(sc, doc, &post);
    if (rc < 0) {
        cred_buf_printf(msg, "%s: cannot run the test: %s", r->info.id, cred_error_last()->message);
    } else {
        size_t n;
        const ihit *h = rs__rule_hits(sc, ri, &n);
        size_t quote_at = 0;
        if (n) {
            cred_buf_put(msg, h[0].quote, h[0].quote_len);
            cred_buf_putc(msg, '\0');
            quote_at = msg->len;
        }
        if (t->expect && n == 0)
            cred_buf_printf(msg, "%s: expected a match in \"%s\"", r->info.id, t->text);
        else if (!t->expect && n > 0)
            cred_buf_printf(msg, "%s: unexpected match «%.*s» in \"%s\"", r->info.id, (int)h[0].quote_len,
                            h[0].quote, t->text);
        else if (t->quote && (h[0].quote_len != t->quote_len || memcmp(h[0].quote, t->quote, t->quote_len) != 0))
            cred_buf_printf(msg, "%s: first hit quotes «%.*s», expected «%s» in \"%s\"", r->info.id,
                            (int)h[0].quote_len, h[0].quote, t->quote, t->text);
        else
            res.passed = 1;
        cred_buf_terminate(msg);
        if (msg->ptr) {
            res.matched = n ? msg->ptr : NULL;
            res.message = res.passed ? "" : msg->ptr + quote_at;
        }
    }
    if (rc < 0 && msg->ptr)
        res.message = msg->ptr;
    if (!res.passed)
        (*failed)++;
    if (fn)
        fn(&res, payload);
}

int cred_rules_test(size_t *failed, const cred_rules *rules, cred_rule_test_fn fn, void *payload)
{
    if (!rules)
        return cred__error(CRED_EINVAL, "cred_rules_test: NULL rules");
    size_t nfail = 0;
    cred_text *tx = NULL;
    cred_scanner *sc = NULL;
    cred_buf msg = CRED_BUF_INIT;
    int rc = 0;
    CRED_TRY(cred_text_new(&tx, NULL));
    CRED_TRY(cred_scanner_new(&sc, (cred_rules *)rules, 0));
    for (size_t i = 0; i < rules->n_rules; i++) {
        const rrule *r = &rules->rules[i];
        for (size_t j = 0; j < r->n_tests; j++)
            run_one(sc, tx, r, i, &r->tests[j], &msg, fn, payload, &nfail);
    }
done:
    if (failed)
        *failed = nfail;
    cred_buf_free(&msg);
    cred_scanner_free(sc);
    cred_text_free(tx);
    return rc;
}

/* ---- reload slot -------------------------------------------------------------------------------- */

struct cred_rules_slot {
    pthread_mutex_t lock;
    cred_rules *cur;
};

int cred_rules_slot_new(cred_rules_slot **out, cred_rules *initial)
{
    cred_rules_slot *s = calloc(1, sizeof *s);
    if (!s)
        return cred__error_nomem();
    pthread_mutex_init(&s->lock, NULL);
    s->cur = initial;
    *out = s;
    return 0;
}

cred_rules *cred_rules_slot_get(cred_rules_slot *slot)
{
    pthread_mutex_lock(&slot->lock);
    cred_rules *r = cred_rules_ref(slot->cur);
    pthread_mutex_unlock(&slot->lock);
    return r;
}

void cred_rules_slot_swap(cred_rules_slot *slot, cred_rules *rules)
{
    pthread_mutex_lock(&slot->lock);
    cred_rules *old = slot->cur;
    slot->cur = rules;
    pthread_mutex_unlock(&slot->lock);
    cred_rules_free(old);
}

void cred_rules_slot_free(cred_rules_slot *slot)
{
    if (!slot)
        return;
    cred_rules_free(slot->cur);
    pthread_mutex_destroy(&slot->lock);
    free(slot);
}
