/* Semantic checks and lint warnings: nothing in a rule file is silently ignored. */
#include <sys/stat.h>
#include <unistd.h>

#include "rules/helpers.h"

Test(rules, undefined_rule_reference_is_an_error)
{
    EXPECT_ERROR_AT("rule A {\n  match /abc/\n  unless MISSING within sentence\n}\n", "undefined rule MISSING", 3, 10);
    EXPECT_ERROR_AT("rule A {\n  match NOPE\n}\n", "undefined rule NOPE", 2, 9);
}

Test(rules, list_used_as_rule_and_rule_used_as_list_are_errors)
{
    EXPECT_ERROR_AT("list L { \"a\" }\nrule A {\n  match L\n}\n", "L is a list: write 'match in L'", 3, 9);
    EXPECT_ERROR_AT("rule B { match /b/ }\nrule A {\n  match in B\n}\n", "B is a rule, not a list", 3, 12);
}

Test(rules, reference_cycles_are_errors_naming_the_cycle)
{
    EXPECT_ERROR_AT("rule A { match B }\nrule B { match /x/ require C }\nrule C { match A }\n",
                    "reference cycle: A -> B -> C -> A", 1, 6);
    EXPECT_ERROR_AT("rule A { match /x/ unless A }\n", "refers to itself", 1, 27);
}

Test(rules, nice_rule_with_positive_weight_is_an_error)
{
    EXPECT_ERROR_AT("nice rule N {\n  describe \"d\" category source match /x/\n  weight +1.5\n}\n",
                    "nice rule N has weight +1.5", 3, 3);
    EXPECT_ERROR_AT("rule P {\n  describe \"d\" category source match /x/\n  weight -1\n}\n",
                    "write 'nice rule P'", 3, 3);
}

Test(rules, missing_list_file_is_an_error_at_the_file_name)
{
    EXPECT_ERROR_AT("list L from \"lists/no_such_file.txt\"\nrule A { match in L }\n", "cannot read list file", 1, 13);
}

Test(rules, duplicate_ids_point_at_the_first_definition)
{
    EXPECT_ERROR_AT("rule A { match /x/ }\n\nrule A { match /y/ }\n", "duplicate rule id A (first defined at t.rules:1:6)", 3, 6);
    EXPECT_ERROR_AT("list A { \"x\" }\nrule A { match /y/ }\n", "has the name of the list", 2, 6);
}

Test(rules, invalid_pattern_is_reported_at_the_offending_character)
{
    /* PCRE2 reports the offset of the unmatched ')' */
    EXPECT_ERROR_AT("rule A {\n  match /ab)c/\n}\n", "invalid pattern in rule A", 2, 12);
}

Test(rules, pattern_that_matches_the_empty_string_is_an_error)
{
    EXPECT_ERROR_AT("rule A {\n  match /x*/\n}\n", "can match the empty string", 2, 9);
}

Test(rules, upper_case_literal_on_folded_text_is_an_error)
{
    EXPECT_ERROR_AT("rule A {\n  match /doctors Say/\n}\n", "upper-case 'S' can never match", 2, 18);
    /* accepted: with the i flag, on raw text, inside classes, escapes and (?i) */
    cred_rules_free(compile_ok("rule A { match /Doctors/i match raw /Doctors/ match /[A-Z]\\Bx\\p{Lu}/ "
                               "match /(?i)Doctors/ }", 0));
}

Test(rules, unknown_template_field_is_an_error)
{
    EXPECT_ERROR_AT("rule A {\n  describe \"d\" category claim match /x/ weight 1\n  explain \"see {quote}\"\n}\n",
                    "unknown field '{quote}'", 3, 3);
}

Test(rules, weighted_rule_needs_describe_and_category)
{
    EXPECT_ERROR_AT("rule A { match /x/ weight 1 category claim }\n", "no 'describe'", 1, 6);
    EXPECT_ERROR_AT("rule A { match /x/ weight 1 describe \"d\" }\n", "no 'category'", 1, 6);
    EXPECT_ERROR_AT("rule A { describe \"d\" }\n", "has no 'match' clause", 1, 6);
    EXPECT_ERROR_AT("rule A { match /x/ group G }\ngroup G { max 1 }\n", "weight 0", 1, 20);
    EXPECT_ERROR_AT("rule A { match /x/ weight 1 describe \"d\" category claim group G }\n", "undefined group G", 1, 63);
}

Test(rules, lint_warnings_are_reported_only_when_asked)
{
    const char *src = "list UNUSED { \"a\" }\nlist EMPTY { }\nrule A {\n  match /(a+)+b/\n  match /\\d+/\n match in EMPTY\n}\n";
    cred_rules *r = NULL;
    tdiags ds;
    cr_assert_eq(compile_ds(&r, src, 0, &ds), 0);
    cr_expect_eq(ds.n, 0, "warnings without CRED_RULES_LINT: %s", ds.n ? ds.d[0].msg : "");
    cred_rules_free(r);
    cr_assert_eq(compile_ds(&r, src, CRED_RULES_LINT, &ds), 0);
    cr_expect_not_null(find_diag(&ds, CRED_SEV_WARNING, "list UNUSED is never used"));
    cr_expect_not_null(find_diag(&ds, CRED_SEV_WARNING, "list EMPTY is empty"));
    cr_expect_not_null(find_diag(&ds, CRED_SEV_WARNING, "rule A has no tests"));
    cr_expect_not_null(find_diag(&ds, CRED_SEV_WARNING, "weight 0 and no rule refers to it"));
    const tdiag *d = find_diag(&ds, CRED_SEV_WARNING, "catastrophically");
    cr_assert_not_null(d);
    cr_expect_eq(d->line, 4);
    cr_expect_eq(d->col, 10);
    d = find_diag(&ds, CRED_SEV_WARNING, "no literal of 3");
    cr_assert_not_null(d);
    cr_expect_eq(d->line, 4, "the first slow pattern is on line 4");
    cred_rules_free(r);
}

Test(rules, patterns_with_long_literals_are_not_flagged_as_slow)
{
    cred_rules *r = NULL;
    tdiags ds;
    cr_assert_eq(compile_ds(&r, "rule A {\n match /\\b(doctors|scientists) (say|show)\\b/\n match /vacc?ine/\n"
                                " test match \"doctors say\" test nomatch \"x\" }\nrule B { match A weight 1 describe \"d\" category claim "
                                "test match \"doctors say\" test nomatch \"y\" }\n", CRED_RULES_LINT, &ds), 0);
    cr_expect_eq(ds.n, 0, "unexpected warning: %s", ds.n ? ds.d[0].msg : "");
    cred_rules_free(r);
}

Test(rules, literal_length_for_the_slow_warning_counts_bytes)
{
    cred_rules *r = NULL;
    tdiags ds;
    /* two 4-byte emoji, two 2-byte Arabic letters: 8 and 4 bytes for vectorscan, not 2 characters */
    cr_assert_eq(compile_ds(&r, "rule A {\n match /\xf0\x9f\x9a\xa8\xf0\x9f\x9a\xa8/\n match /\xd9\x84\xd8\xa7/\n"
                                " match /\\x{1f6a8}/\n test match \"x\" test nomatch \"y\" }\n"
                                "rule B { match A weight 1 describe \"d\" category claim test match \"x\" test nomatch \"y\" }\n",
                            CRED_RULES_LINT, &ds), 0);
    const tdiag *d = find_diag(&ds, CRED_SEV_WARNING, "no literal of 3");
    cr_expect_null(d, "unexpected warning: %s", d ? d->msg : "");
    cred_rules_free(r);
}

Test(rules, list_files_are_read_relative_to_the_rule_file)
{
    char dir[] = "/tmp/cred_rules_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/lists", dir);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/lists/words.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("# comment\n  garlic water  \n\nlemon\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/a.rules", dir);
    f = fopen(path, "w");
    fputs("list CURES from \"lists/words.txt\"\nrule CURE { match in CURES test match \"Garlic  Water!\" }\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/b.rules", dir);
    f = fopen(path, "w");
    fputs("rule USES_CURE { describe \"d\" category claim match CURE weight +1 test match \"lemon\" }\n", f);
    fclose(f);
    cred_rules *r = NULL;
    cr_assert_eq(cred_rules_load(&r, dir, NULL), 0, "%s", cred_error_last()->message);
    cr_expect_eq(cred_rules_count(r), 2, "both files of the directory form one set");
    size_t failed = 99;
    cr_expect_eq(cred_rules_test(&failed, r, NULL, NULL), 0);
    cr_expect_eq(failed, 0);
    cred_rules_free(r);
    /* a duplicate id across files names the first file */
    snprintf(path, sizeof path, "%s/c.rules", dir);
    f = fopen(path, "w");
    fputs("rule CURE { match /x/ }\n", f);
    fclose(f);
    cr_expect_eq(cred_rules_load(&r, dir, NULL), CRED_ESYNTAX);
    cr_expect(strstr(cred_error_last()->message, "a.rules:2:6") != NULL, "%s", cred_error_last()->message);
    cr_expect_eq(cred_rules_load(&r, "/nonexistent/x.rules", NULL), CRED_EIO);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(rules, digest_depends_on_the_rule_text)
{
    cred_rules *a = compile_ok("rule A { match /x/ }", 0), *b = compile_ok("rule A { match /x/ }", 0),
               *c = compile_ok("rule A { match /y/ }", 0);
    cr_expect_str_eq(cred_rules_digest(a), cred_rules_digest(b));
    cr_expect_str_neq(cred_rules_digest(a), cred_rules_digest(c));
    cr_expect_eq(strlen(cred_rules_digest(a)), 16);
    cred_rules_free(a);
    cred_rules_free(b);
    cred_rules_free(c);
}
