/* credence rules check|test PATH...: lint rule files and run their inline tests. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_option options[] = {
    {"verbose", 'v', NULL, "test: also print the tests that pass"},
    {"no-prefilter", 0, NULL, "compile without vectorscan (PCRE2 alone), e.g. to compare both matchers"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

const cli_command cmd_rules = {
    "rules",
    "Check rule files (errors and lint warnings) or run their inline tests.",
    "credence rules check|test [options] PATH...",
    "PATH is a .rules file or a directory (its *.rules files form one rule set; see rules/README.md).\n"
    "Every problem is one line on standard output: FILE:LINE:COL: error|warning: message.\n"
    "check: exit 0 when clean, 1 when there are warnings, 2 when there are errors.\n"
    "test:  exit 0 when every inline test passes, 1 when some fail, 2 when the rules do not compile.",
    options,
    run,
};

typedef struct diag_state {
    size_t errors, warnings;
} diag_state;

static void print_diag(const cred_diag *d, void *payload)
{
    diag_state *st = payload;
    if (d->severity == CRED_SEV_ERROR)
        st->errors++;
    else
        st->warnings++;
    printf("%s:%llu:%llu: %s: %s\n", d->file ? d->file : "<rules>", (unsigned long long)d->line,
           (unsigned long long)d->column, d->severity == CRED_SEV_ERROR ? "error" : "warning", d->message);
}

typedef struct test_state {
    bool verbose;
    size_t run;
} test_state;

static void print_test(const cred_rule_test_result *r, void *payload)
{
    test_state *st = payload;
    st->run++;
    if (!r->passed)
        printf("%s:%u:%u: error: %s\n", r->file, r->line, r->column, r->message);
    else if (st->verbose)
        printf("%s:%u:%u: ok: %s %s \"%s\"%s%s%s\n", r->file, r->line, r->column, r->rule,
               r->expect_match ? "match" : "nomatch", r->input, r->matched ? " «" : "",
               r->matched ? r->matched : "", r->matched ? "»" : "");
}

/* Compile one PATH; prints its problems. Returns the set, or NULL (and sets *exit_code to 2). */
static cred_rules *load(const char *path, unsigned int flags, diag_state *st, int *exit_code)
{
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    o.flags = flags;
    o.on_diag = print_diag;
    o.diag_payload = st;
    cred_rules *rules = NULL;
    size_t before = st->errors;
    int rc = cred_rules_load(&rules, path, &o);
    if (rc < 0) {
        if (st->errors == before) { /* not reported through on_diag (I/O, limits) */
            const cred_error *e = cred_error_last();
            printf("%s:%llu:%llu: error: %s\n", e->file ? e->file : path, (unsigned long long)e->line,
                   (unsigned long long)e->column, e->message);
            st->errors++;
        }
        *exit_code = 2;
        return NULL;
    }
    return rules;
}

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_rules, argc, argv);
    if (rc) {
        free(a.pos);
        return rc == 1 ? 0 : 2;
    }
    int exit_code = 0;
    bool check = a.npos > 0 && strcmp(a.pos[0], "check") == 0;
    bool test = a.npos > 0 && strcmp(a.pos[0], "test") == 0;
    if ((!check && !test) || a.npos < 2) {
        fprintf(stderr, "credence rules: usage: %s (see 'credence rules --help')\n", cmd_rules.usage);
        free(a.pos);
        return 2;
    }
    unsigned int flags = cli_has(&a, "no-prefilter") ? CRED_RULES_NO_PREFILTER : 0;
    diag_state st = {0, 0};
    test_state ts = {cli_has(&a, "verbose"), 0};
    size_t failed_total = 0, rules_total = 0;
    for (int i = 1; i < a.npos; i++) {
        cred_rules *rules = load(a.pos[i], flags | (check ? CRED_RULES_LINT : 0), &st, &exit_code);
        if (!rules)
            continue;
        rules_total += cred_rules_count(rules);
        if (test) {
            size_t failed = 0;
            if ((rc = cred_rules_test(&failed, rules, print_test, &ts)) < 0) {
                cli_error(&a, rc, "%s", a.pos[i]);
                exit_code = 2;
            }
            failed_total += failed;
        }
        cred_rules_free(rules);
    }
    fflush(stdout);
    if (check) {
        fprintf(stderr, "credence rules check: %zu rules, %zu errors, %zu warnings\n", rules_total, st.errors,
                st.warnings);
        if (exit_code == 0 && st.errors)
            exit_code = 2;
        if (exit_code == 0 && st.warnings)
            exit_code = 1;
    } else {
        fprintf(stderr, "credence rules test: %zu rules, %zu tests, %zu failed\n", rules_total, ts.run, failed_total);
        if (exit_code == 0 && failed_total)
            exit_code = 1;
    }
    free(a.pos);
    return exit_code;
}
