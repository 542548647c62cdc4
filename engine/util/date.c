/* Dates as every output writes them: ISO 8601 UTC. */
#include <time.h>

#include "util/util.h"

size_t cred_date_iso(char *out, size_t cap, int64_t t)
{
    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (t == CRED_DATE_UNKNOWN || cap < 21)
        return 0;
    if (t < -30610224000LL || t > 253402300799LL) { /* outside 1000-01-01 .. 9999-12-31 */
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm))
            return 0;
        size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (!n)
            out[0] = '\0';
        return n;
    }
    /* days to civil date (Hinnant's algorithm): no gmtime_r, no locale, on the output's hot path */
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int y = (int)(yoe + era * 400 + (m <= 2));
    int hh = (int)(sec / 3600), mm = (int)(sec / 60 % 60), ss = (int)(sec % 60);
    char *p = out;
    p[0] = (char)('0' + y / 1000), p[1] = (char)('0' + y / 100 % 10), p[2] = (char)('0' + y / 10 % 10);
    p[3] = (char)('0' + y % 10), p[4] = '-', p[5] = (char)('0' + m / 10), p[6] = (char)('0' + m % 10);
    p[7] = '-', p[8] = (char)('0' + d / 10), p[9] = (char)('0' + d % 10), p[10] = 'T';
    p[11] = (char)('0' + hh / 10), p[12] = (char)('0' + hh % 10), p[13] = ':';
    p[14] = (char)('0' + mm / 10), p[15] = (char)('0' + mm % 10), p[16] = ':';
    p[17] = (char)('0' + ss / 10), p[18] = (char)('0' + ss % 10), p[19] = 'Z', p[20] = '\0';
    return 20;
}
