/* The vectorscan database cache of cred_rules_load(): hits, misses, stale and corrupt files. */
#include <dirent.h>
#include <sys/stat.h>

#include "rules/helpers.h"

typedef struct fixture {
    char dir[64];      /* rule set */
    char cache[128];   /* XDG_CACHE_HOME */
    char file[512];    /* the one cache file, once written */
} fixture;

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void setup_fixture(fixture *fx, const char *rules)
{
    snprintf(fx->dir, sizeof fx->dir, "/tmp/cred_cache_XXXXXX");
    cr_assert_not_null(mkdtemp(fx->dir));
    snprintf(fx->cache, sizeof fx->cache, "%s/xdg", fx->dir);
    cr_assert_eq(setenv("XDG_CACHE_HOME", fx->cache, 1), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/a.rules", fx->dir);
    write_text(path, rules);
    fx->file[0] = '\0';
}

/* The path of the only cache file, or "" when there is none. */
static const char *cache_file(fixture *fx)
{
    char d[256];
    snprintf(d, sizeof d, "%s/credence", fx->cache);
    DIR *dir = opendir(d);
    fx->file[0] = '\0';
    if (!dir)
        return fx->file;
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dir)) != NULL)
        if (strstr(de->d_name, ".hsdb") && strstr(de->d_name, ".tmp") == NULL) {
            snprintf(fx->file, sizeof fx->file, "%s/%s", d, de->d_name);
            n++;
        }
    closedir(dir);
    cr_assert_leq(n, 1, "one cache file per rule-set path");
    return fx->file;
}

static void teardown_fixture(fixture *fx)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    cr_expect_eq(system(cmd), 0);
    unsetenv("XDG_CACHE_HOME");
}

static const char *const rules_v1 =
    "rule HEALTH { describe \"d\" category claim weight 1 cap 9\n"
    "  match in { \"heart attack\" \"covid\" \"\xf0\x9f\x9a\xa8\" } match /\\b(cures?|kills?) (the )?virus\\b/ }\n";

/* Hits of HEALTH in a fixed post, as "start-end " pairs. */
static void hits_text(cred_rules *r, char *out, size_t cap)
{
    cred_text *tx;
    cred_scanner *sc;
    cr_assert_eq(cred_text_new(&tx, NULL), 0);
    cr_assert_eq(cred_scanner_new(&sc, r, 0), 0);
    const char *post = "\xf0\x9f\x9a\xa8 Garlic cures the virus and stops a heart  attack. COVID!";
    const cred_doc *doc;
    const cred_scan_result *res;
    cr_assert_eq(cred_text_analyse(tx, &doc, post, strlen(post), "en"), 0);
    cr_assert_eq(cred_scanner_scan(sc, &res, doc, NULL), 0);
    out[0] = '\0';
    for (size_t i = 0; i < res->n_hits; i++) {
        size_t l = strlen(out);
        snprintf(out + l, cap - l, "%u-%u ", res->hits[i].span.start, res->hits[i].span.end);
    }
    cred_scanner_free(sc);
    cred_text_free(tx);
}

static cred_rules *load_ok(const fixture *fx, unsigned flags)
{
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    o.flags = flags;
    cred_rules *r = NULL;
    cr_assert_eq(cred_rules_load(&r, fx->dir, &o), 0, "%s", cred_error_last()->message);
    return r;
}

Test(rules, cache_miss_writes_a_file_and_a_hit_gives_the_same_hits)
{
    fixture fx;
    setup_fixture(&fx, rules_v1);
    char cold[256], warm[256], none[256];
    cred_rules *r = load_ok(&fx, CRED_RULES_NO_CACHE);
    hits_text(r, none, sizeof none);
    cred_rules_free(r);
    cr_expect_str_eq(cache_file(&fx), "", "CRED_RULES_NO_CACHE writes nothing");
    r = load_ok(&fx, 0);
    hits_text(r, cold, sizeof cold);
    cred_rules_free(r);
    cr_assert_str_neq(cache_file(&fx), "", "a miss writes the cache");
    struct stat st1, st2;
    cr_assert_eq(stat(fx.file, &st1), 0);
    r = load_ok(&fx, 0);
    hits_text(r, warm, sizeof warm);
    cred_rules_free(r);
    cr_assert_eq(stat(cache_file(&fx), &st2), 0);
    cr_expect_eq(st1.st_ino, st2.st_ino, "a hit does not rewrite the file");
    cr_expect_str_eq(cold, none);
    cr_expect_str_eq(warm, none);
    cr_expect_eq(strlen(none) > 0, 1);
    /* compile() never uses the cache */
    cred_rules *c = compile_ok(rules_v1, 0);
    cred_rules_free(c);
    teardown_fixture(&fx);
}

Test(rules, changed_rules_miss_the_cache_and_rewrite_it)
{
    fixture fx;
    setup_fixture(&fx, rules_v1);
    cred_rules_free(load_ok(&fx, 0));
    struct stat st1, st2;
    cr_assert_eq(stat(cache_file(&fx), &st1), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/a.rules", fx.dir);
    write_text(path, "rule HEALTH { describe \"d\" category claim weight 1 cap 9 match in { \"garlic\" } }\n");
    cred_rules *r = load_ok(&fx, 0);
    char got[256];
    hits_text(r, got, sizeof got);
    cred_rules_free(r);
    cr_expect_str_eq(got, "5-11 ", "the new rules are used, not the cached database");
    cr_assert_eq(stat(cache_file(&fx), &st2), 0);
    cr_expect_neq(st1.st_ino, st2.st_ino, "the stale file was replaced (atomically: a new inode)");
    teardown_fixture(&fx);
}

Test(rules, corrupt_or_truncated_cache_files_are_ignored_and_rewritten)
{
    fixture fx;
    setup_fixture(&fx, rules_v1);
    char want[256], got[256];
    cred_rules *r = load_ok(&fx, CRED_RULES_NO_CACHE);
    hits_text(r, want, sizeof want);
    cred_rules_free(r);
    cred_rules_free(load_ok(&fx, 0));
    cr_assert_str_neq(cache_file(&fx), "");
    char *buf = NULL;
    size_t len = 0;
    {
        FILE *f = fopen(fx.file, "rb");
        cr_assert_not_null(f);
        fseek(f, 0, SEEK_END);
        len = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(len);
        cr_assert_eq(fread(buf, 1, len, f), len);
        fclose(f);
    }
    size_t flips[] = {0, 9, 20, len / 2, len - 1};
    for (size_t k = 0; k < sizeof flips / sizeof *flips + 2; k++) {
        FILE *f = fopen(fx.file, "wb");
        cr_assert_not_null(f);
        if (k < sizeof flips / sizeof *flips) { /* one flipped bit */
            buf[flips[k]] ^= 0x10;
            fwrite(buf, 1, len, f);
            buf[flips[k]] ^= 0x10;
        } else if (k == sizeof flips / sizeof *flips) { /* truncated */
            fwrite(buf, 1, len / 3, f);
        } /* else: empty */
        fclose(f);
        r = load_ok(&fx, 0);
        hits_text(r, got, sizeof got);
        cred_rules_free(r);
        cr_expect_str_eq(got, want, "damage %zu: same hits as without a cache", k);
        struct stat st;
        cr_assert_eq(stat(cache_file(&fx), &st), 0);
        cr_expect_eq((size_t)st.st_size, len, "damage %zu: the file was rewritten", k);
    }
    free(buf);
    teardown_fixture(&fx);
}

Test(rules, an_unwritable_cache_directory_is_not_an_error)
{
    fixture fx;
    setup_fixture(&fx, rules_v1);
    write_text(fx.cache, "a file where the cache directory should be");
    cred_rules *r = load_ok(&fx, 0);
    char got[256];
    hits_text(r, got, sizeof got);
    cr_expect_eq(strlen(got) > 0, 1);
    cred_rules_free(r);
    teardown_fixture(&fx);
}
