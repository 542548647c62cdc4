/* One compiled set shared by threads, each with its own scanner; reload by swapping sets. */
#include <pthread.h>

#include "rules/helpers.h"

static const char *const src =
    "rule V { describe \"d\" category attribution match /\\b(doctors|experts) (say|confirm)\\b/ weight +1 cap 9 }\n"
    "rule S { describe \"d\" category pressure match in { \"share\" \"forward\" } weight +0.5 cap 9 }\n";

typedef struct job {
    cred_rules *rules;
    int seed;
    size_t hits;
    int failed;
} job;

static void *scan_many(void *arg)
{
    job *j = arg;
    cred_text *tx;
    cred_scanner *sc;
    if (cred_text_new(&tx, NULL) < 0 || cred_scanner_new(&sc, j->rules, 0) < 0) {
        j->failed = 1;
        return NULL;
    }
    const char *posts[] = {"Doctors say share this", "experts confirm: forward now", "nothing here"};
    for (int i = 0; i < 1998; i++) {
        const char *p = posts[(i + j->seed) % 3];
        const cred_doc *doc;
        const cred_scan_result *res;
        if (cred_text_analyse(tx, &doc, p, strlen(p), "en") < 0 || cred_scanner_scan(sc, &res, doc, NULL) < 0) {
            j->failed = 1;
            break;
        }
        j->hits += res->n_hits;
    }
    cred_scanner_free(sc);
    cred_text_free(tx);
    return NULL;
}

Test(rules, two_threads_scan_with_one_compiled_set)
{
    cred_rules *r = compile_ok(src, 0);
    job a = {r, 0, 0, 0}, b = {r, 1, 0, 0};
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&ta, NULL, scan_many, &a), 0);
    cr_assert_eq(pthread_create(&tb, NULL, scan_many, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_expect_eq(a.failed, 0);
    cr_expect_eq(b.failed, 0);
    /* 2 hits in two of every three posts, whatever the thread starts with */
    cr_expect_eq(a.hits, b.hits);
    cr_expect_eq(a.hits, 666 * 4);
    cred_rules_free(r);
}

Test(rules, reload_swaps_sets_and_frees_the_old_one_after_its_last_user)
{
    cred_rules *v1 = compile_ok(src, 0);
    cred_rules_slot *slot;
    cr_assert_eq(cred_rules_slot_new(&slot, v1), 0);
    /* a worker takes the current set and makes its scanner */
    cred_rules *mine = cred_rules_slot_get(slot);
    cr_assert_eq(mine, v1);
    cred_scanner *sc;
    cr_assert_eq(cred_scanner_new(&sc, mine, 0), 0);
    cred_rules_free(mine); /* the scanner holds its own reference */
    /* reload: a new set replaces the old one */
    cred_rules *v2 = compile_ok("rule N { describe \"d\" category style match \"new\" weight 1 }\n", 0);
    cred_rules_slot_swap(slot, v2);
    cred_rules *now = cred_rules_slot_get(slot);
    cr_expect_eq(now, v2);
    cr_expect_eq(cred_rules_count(now), 1);
    /* the old set still works for the scanner that uses it (ASan would catch a use after free) */
    cred_text *tx;
    cr_assert_eq(cred_text_new(&tx, NULL), 0);
    const cred_doc *doc;
    const cred_scan_result *res;
    cr_assert_eq(cred_text_analyse(tx, &doc, "doctors say new", 15, "en"), 0);
    cr_assert_eq(cred_scanner_scan(sc, &res, doc, NULL), 0);
    cr_expect_eq(res->n_hits, 1);
    cr_expect_str_eq(res->hits[0].rule->id, "V");
    cred_scanner_free(sc); /* last user of v1: freed here */
    cred_scanner *sc2;
    cr_assert_eq(cred_scanner_new(&sc2, now, 0), 0);
    cr_assert_eq(cred_scanner_scan(sc2, &res, doc, NULL), 0);
    cr_expect_eq(res->n_hits, 1);
    cr_expect_str_eq(res->hits[0].rule->id, "N");
    cred_scanner_free(sc2);
    cred_rules_free(now);
    cred_text_free(tx);
    cred_rules_slot_free(slot);
}

static void *reloader(void *arg)
{
    cred_rules_slot *slot = arg;
    for (int i = 0; i < 20; i++) {
        cred_rules *r = NULL;
        if (cred_rules_compile(&r, src, strlen(src), "r.rules", NULL) < 0)
            return (void *)1;
        cred_rules_slot_swap(slot, r);
    }
    return NULL;
}

static void *reader(void *arg)
{
    cred_rules_slot *slot = arg;
    cred_text *tx;
    if (cred_text_new(&tx, NULL) < 0)
        return (void *)1;
    void *ret = NULL;
    for (int i = 0; i < 500 && !ret; i++) {
        cred_rules *r = cred_rules_slot_get(slot);
        cred_scanner *sc;
        const cred_doc *doc;
        const cred_scan_result *res;
        if (cred_scanner_new(&sc, r, 0) < 0 || cred_text_analyse(tx, &doc, "experts say", 11, "en") < 0 ||
            cred_scanner_scan(sc, &res, doc, NULL) < 0 || res->n_hits != 1)
            ret = (void *)1;
        cred_scanner_free(sc);
        cred_rules_free(r);
    }
    cred_text_free(tx);
    return ret;
}

Test(rules, readers_never_see_a_freed_set_while_another_thread_reloads)
{
    cred_rules_slot *slot;
    cr_assert_eq(cred_rules_slot_new(&slot, compile_ok(src, 0)), 0);
    pthread_t tr, tw;
    void *rr, *rw;
    cr_assert_eq(pthread_create(&tr, NULL, reader, slot), 0);
    cr_assert_eq(pthread_create(&tw, NULL, reloader, slot), 0);
    pthread_join(tr, &rr);
    pthread_join(tw, &rw);
    cr_expect_null(rr);
    cr_expect_null(rw);
    cred_rules_slot_free(slot);
    cred_rules_slot_free(NULL);
}
