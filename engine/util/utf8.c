/* UTF-8 validation and repair. */
#include "util.h"

size_t cred_utf8_invalid_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, bad = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        int32_t cp;
        int n = cred_utf8_decode(p + i, len - i, &cp);
        bad += cp < 0;
        i += (size_t)n;
    }
    return bad;
}

long cred_utf8_sanitize(cred_buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    long bad = 0;
    if (cred_buf_reserve(b, len) < 0)
        return CRED_ENOMEM;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        int32_t cp;
        int n = cred_utf8_decode(p + i, len - i, &cp);
        if (cp < 0) {
            if (cred_buf_put(b, s + run, i - run) < 0 || cred_buf_put(b, "\xEF\xBF\xBD", 3) < 0)
                return CRED_ENOMEM;
            bad++;
            run = i + 1;
        }
        i += (size_t)n;
    }
    if (cred_buf_put(b, s + run, len - run) < 0)
        return CRED_ENOMEM;
    return bad;
}
