/* Lexer and parser errors: every mistake is reported at its file:line:col, and parsing goes on. */
#include "rules/helpers.h"

Test(rules, unterminated_string_is_reported_where_it_starts)
{
    EXPECT_ERROR_AT("rule A {\n  describe \"oops\n}\n", "unterminated string", 2, 12);
}

Test(rules, unterminated_pattern_is_reported_where_it_starts)
{
    EXPECT_ERROR_AT("rule A {\n  match /abc\n}\n", "unterminated pattern", 2, 9);
}

Test(rules, unknown_pattern_flag_is_reported_at_the_flag)
{
    EXPECT_ERROR_AT("rule A {\n  match /abc/iq\n}\n", "unknown pattern flag 'q'", 2, 15);
}

Test(rules, unknown_key_names_the_rule_and_the_allowed_keys)
{
    EXPECT_ERROR_AT("rule A {\n  match /abc/\n  categroy claim\n}\n", "unknown key 'categroy' in rule A", 3, 3);
}

Test(rules, key_given_twice_is_an_error)
{
    EXPECT_ERROR_AT("rule A {\n  match /abc/ weight +1 describe \"d\" category claim\n  weight +2\n}\n",
                    "'weight' given twice", 3, 3);
}

Test(rules, mixed_case_names_are_rejected)
{
    EXPECT_ERROR_AT("rule Vague {\n match /abc/ }\n", "UPPER_SNAKE_CASE", 1, 6);
}

Test(rules, missing_closing_brace_is_reported_at_the_next_rule)
{
    EXPECT_ERROR_AT("rule A {\n  match /abc/\n\nrule B { match /def/ }\n", "is a '}' missing above?", 4, 1);
}

Test(rules, unknown_category_and_target_list_the_valid_ones)
{
    EXPECT_ERROR_AT("rule A {\n  match /abc/ weight 1 describe \"d\"\n  category gossip\n}\n",
                    "unknown category 'gossip' (categories: claim", 3, 12);
    EXPECT_ERROR_AT("rule A {\n  match body /abc/\n}\n", "unknown target 'body'", 2, 9);
}

Test(rules, bad_language_code_is_rejected)
{
    EXPECT_ERROR_AT("rule A { match /abc/ lang english }\n", "'english' is not a language code", 1, 27);
}

Test(rules, weight_out_of_range_and_bad_cap_are_rejected)
{
    EXPECT_ERROR_AT("rule A { match /abc/ weight +25 }\n", "out of range", 1, 29);
    EXPECT_ERROR_AT("rule A { match /abc/ cap 0 }\n", "whole number from 1 to 1000", 1, 26);
}

Test(rules, quote_in_a_nomatch_test_is_rejected)
{
    EXPECT_ERROR_AT("rule A {\n match /abc/\n test nomatch \"x\" quote \"abc\"\n}\n", "only makes sense", 3, 25);
}

Test(rules, stray_top_level_token_is_reported)
{
    EXPECT_ERROR_AT("rule A { match /abc/ }\nweight 3\n", "expected 'rule', 'nice rule', 'list' or 'group'", 2, 1);
}

Test(rules, errors_are_all_reported_in_one_run)
{
    cred_rules *r = NULL;
    tdiags ds;
    const char *src = "rule A {\n  categroy claim\n  match /abc/\n}\nrule B {\n  match /x(/\n}\nrule C {\n  weight x\n  match /y/\n}\n";
    cr_expect_eq(compile_ds(&r, src, 0, &ds), CRED_ESYNTAX);
    cr_expect_not_null(find_diag(&ds, CRED_SEV_ERROR, "categroy"));
    cr_expect_not_null(find_diag(&ds, CRED_SEV_ERROR, "missing closing parenthesis"));
    cr_expect_not_null(find_diag(&ds, CRED_SEV_ERROR, "expected a number"));
    const cred_error *e = cred_error_last();
    cr_expect_eq(e->code, CRED_ESYNTAX);
    cr_expect_str_eq(e->file, "t.rules");
    cr_expect_eq(e->line, 2);
    cr_expect_eq(e->column, 3);
}

Test(rules, comments_and_free_layout_are_accepted)
{
    cred_rules *r = compile_ok("# a comment\nrule A { match /abc/ # trailing\n describe \"d\" category claim\n"
                               "weight +1 cap 2 }\n", 0);
    cr_expect_eq(cred_rules_count(r), 1);
    const cred_rule_info *i = cred_rules_info(r, 0);
    cr_expect_str_eq(i->id, "A");
    cr_expect_str_eq(i->category, "claim");
    cr_expect_eq(i->cap, 2);
    cr_expect_eq(i->line, 2);
    cr_expect(i->weight == 1.0);
    cr_expect_null(cred_rules_info(r, 1));
    cred_rules_free(r);
}

Test(rules, empty_and_binary_input_do_not_crash)
{
    cred_rules *r = compile_ok("", 0);
    cr_expect_eq(cred_rules_count(r), 0);
    cred_rules_free(r);
    const char bin[] = "rule \x01\xff\x00 {";
    cred_rules_options o = CRED_RULES_OPTIONS_INIT;
    cr_expect_eq(cred_rules_compile(&r, bin, sizeof bin - 1, NULL, &o), CRED_ESYNTAX);
    cr_expect_null(r);
    cr_expect_eq(cred_rules_compile(NULL, "", 0, NULL, NULL), CRED_EINVAL);
    cred_rules_free(NULL);
}
