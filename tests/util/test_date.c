/* cred_date_iso: the one ISO 8601 formatter of every output, checked against gmtime_r + strftime. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "credence.h"

static void expect_like_libc(int64_t t)
{
    char got[32], want[32];
    time_t tt = (time_t)t;
    struct tm tm;
    cr_assert(gmtime_r(&tt, &tm));
    size_t wn = strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t n = cred_date_iso(got, sizeof got, t);
    cr_assert_eq(n, wn, "%lld: length %zu, libc %zu", (long long)t, n, wn);
    cr_assert_str_eq(got, want, "%lld", (long long)t);
}

Test(date, known_dates)
{
    char s[32];
    cr_assert_eq(cred_date_iso(s, sizeof s, 0), 20);
    cr_assert_str_eq(s, "1970-01-01T00:00:00Z");
    cr_assert_eq(cred_date_iso(s, sizeof s, 1583020832), 20);
    cr_assert_str_eq(s, "2020-03-01T00:00:32Z");
    cr_assert_eq(cred_date_iso(s, sizeof s, 951782400), 20); /* a leap day of a century leap year */
    cr_assert_str_eq(s, "2000-02-29T00:00:00Z");
    cr_assert_eq(cred_date_iso(s, sizeof s, -1), 20);
    cr_assert_str_eq(s, "1969-12-31T23:59:59Z");
}

Test(date, agrees_with_libc_across_the_fast_range_and_beyond)
{
    static const int64_t edges[] = {-30610224000LL, -30610224001LL, 253402300799LL, 253402300800LL,
                                    -62135596800LL, -86400, -86401, 86399, 86400, 4102444800LL};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        expect_like_libc(edges[i]);
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        expect_like_libc((int64_t)(x % 290000000000ULL) - 32000000000LL);
    }
}

Test(date, unknown_or_no_room_gives_nothing)
{
    char s[32] = "x";
    cr_assert_eq(cred_date_iso(s, sizeof s, CRED_DATE_UNKNOWN), 0);
    cr_assert_str_eq(s, "");
    char small[20] = "x";
    cr_assert_eq(cred_date_iso(small, sizeof small, 0), 0);
    cr_assert_str_eq(small, "");
    cr_assert_eq(cred_date_iso(s, 0, 0), 0);
}
