/* Normalisation: NFKC + case folding, Arabic-script folding, digits, spaces, removed controls. */
#include <criterion/criterion.h>
#include <string.h>

#include "credence.h"

static cred_text *T;

static void setup(void)
{
    cr_assert_eq(cred_text_new(&T, NULL), 0);
}

static void teardown(void)
{
    cred_text_free(T);
}

TestSuite(text, .init = setup, .fini = teardown);

/* Normalise s and compare with want (both NUL-terminated). */
static void expect_norm(const char *s, const char *want)
{
    const char *out;
    size_t n;
    cr_assert_eq(cred_text_normalise(T, &out, &n, s, strlen(s)), 0);
    cr_expect_eq(n, strlen(want), "normalise(\"%s\") = \"%s\", want \"%s\"", s, out, want);
    cr_expect_str_eq(out, want);
}

Test(text, ascii_text_is_lower_cased_and_otherwise_unchanged)
{
    expect_norm("Hello, WORLD! 123 ABCdefGHIjklMNOpqrSTUvwxYZ @#$", "hello, world! 123 abcdefghijklmnopqrstuvwxyz @#$");
    expect_norm("", "");
}

Test(text, persian_text_with_arabic_yeh_and_kaf_folds_to_the_persian_form)
{
    const char *out;
    size_t n;
    char persian[64];
    cr_assert_eq(cred_text_normalise(T, &out, &n, "کتاب یک", strlen("کتاب یک")), 0);
    cr_assert_lt(n, sizeof persian);
    memcpy(persian, out, n + 1);
    expect_norm("كتاب يك", persian);
    expect_norm("مصطفى", "مصطفی");
}

Test(text, arabic_harakat_tatweel_and_hamza_alefs_are_folded)
{
    expect_norm("سَلَامٌ", "سلام");
    expect_norm("كـــتـــاب", "کتاب");
    expect_norm("أحمد إسلام آمن ٱلله", "احمد اسلام امن الله");
    expect_norm("مدرسة", "مدرسه");
    expect_norm("خانۀ", "خانه");
    expect_norm("قرآنٰ", "قران");
}

Test(text, persian_and_arabic_indic_digits_become_ascii)
{
    expect_norm("۱۲۳", "123");
    expect_norm("٤٥٦", "456");
    expect_norm("سال ۱۴۰۲", "سال 1402");
}

Test(text, space_separators_become_ascii_space)
{
    expect_norm("a\xC2\xA0" "b", "a b");          /* NBSP */
    expect_norm("a\xE2\x80\xAF" "b", "a b");      /* narrow NBSP */
    expect_norm("a\xE2\x80\x83" "b", "a b");      /* em space */
    expect_norm("a\xE3\x80\x80" "b", "a b");      /* ideographic space */
    expect_norm("a\xE2\x81\x9F" "b", "a b");      /* medium mathematical space */
    expect_norm("a\xE1\x9A\x80" "b", "a b");      /* ogham space mark */
}

Test(text, zero_width_and_bidi_controls_are_removed)
{
    expect_norm("می\xE2\x80\x8Cخواهم", "میخواهم"); /* ZWNJ */
    expect_norm("a\xE2\x80\x8B" "b\xE2\x80\x8D" "c", "abc");
    expect_norm("\xE2\x80\x8F" "abc\xE2\x80\x8E", "abc");
    expect_norm("\xE2\x80\xAE" "evil\xE2\x80\xAC", "evil");
    expect_norm("\xE2\x81\xA6" "x\xE2\x81\xA9", "x");
    expect_norm("\xEF\xBB\xBF" "bom", "bom");
    expect_norm("soft\xC2\xAD" "hyphen", "softhyphen");
    expect_norm("\xE2\x9D\xA4\xEF\xB8\x8F", "\xE2\x9D\xA4"); /* ❤️ loses its variation selector */
}

Test(text, nfkc_expands_ligatures_and_folds_fullwidth_letters)
{
    expect_norm("\xEF\xAC\x81" "nance", "finance");
    expect_norm("ＦＵＬＬ　ｗｉｄｔｈ", "full width");
    expect_norm("x\xC2\xB2", "x2");
    expect_norm("\xE2\x84\x83", "\xC2\xB0" "c");
}

Test(text, case_folding_handles_sharp_s_greek_and_cyrillic)
{
    expect_norm("Straße", "strasse");
    expect_norm("ΣΟΦΙΑ", "σοφια");
    expect_norm("МОСКВА", "москва");
    expect_norm("İstanbul", "i\xCC\x87stanbul");
    expect_norm("ÉCOLE", "école");
}

Test(text, combining_sequences_are_composed)
{
    expect_norm("e\xCC\x81" "cole", "école");
    expect_norm("E\xCC\x81", "é");
    expect_norm("a\xCC\x83o", "ão");
    /* a mark with nothing before it survives on its own */
    expect_norm("\xCC\x81", "\xCC\x81");
}

Test(text, invalid_utf8_is_replaced_and_counted)
{
    const cred_doc *d;
    const char in[] = "ok\xFF\xFE" "a\xC3" "b\xE2\x82" "\xED\xA0\x80" "z";
    cr_assert_eq(cred_text_analyse(T, &d, in, sizeof in - 1, NULL), 0);
    cr_expect_eq(d->invalid_bytes, 8);
    cr_expect_str_eq(d->norm, "ok\xEF\xBF\xBD\xEF\xBF\xBD" "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD"
                              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "z");
}

Test(text, nul_bytes_survive_into_the_normalised_text)
{
    const char *out;
    size_t n;
    cr_assert_eq(cred_text_normalise(T, &out, &n, "A\0B\0\xC3\x89", 6), 0);
    cr_assert_eq(n, 6);
    cr_expect_eq(memcmp(out, "a\0b\0\xC3\xA9", 6), 0);
    cr_expect_eq(out[6], '\0');
}

Test(text, long_mixed_text_normalises_like_its_parts)
{
    /* The ASCII fast path (8 bytes at a time) and the cached path agree with piecewise results. */
    const char *parts[] = {"The QUICK brown fox ", "ﬁnds ", "کتاب ", "Straße ", "۱۲۳ ", "e\xCC\x81t\xC3\xA9 "};
    char in[4096] = "", want[4096] = "";
    for (int r = 0; r < 20; r++)
        for (size_t i = 0; i < 6; i++) {
            const char *out;
            size_t n;
            cr_assert_eq(cred_text_normalise(T, &out, &n, parts[i], strlen(parts[i])), 0);
            strcat(want, out);
            strcat(in, parts[i]);
        }
    expect_norm(in, want);
}

Test(text, oversized_input_is_refused_with_elimit)
{
    const char *out;
    size_t n;
    cr_expect_eq(cred_text_normalise(T, &out, &n, "x", (size_t)CRED_LIMIT_POST_BYTES + 1), CRED_ELIMIT);
    cr_expect_eq(cred_text_normalise(T, &out, &n, NULL, 3), CRED_EINVAL);
    cr_expect_eq(cred_text_normalise(T, &out, &n, NULL, 0), 0);
    cr_expect_eq(n, 0);
}
