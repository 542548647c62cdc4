/* Test helpers for the WhatsApp driver: named memory inputs, files, JSON expectations, dates. */
#ifndef CRED_TEST_IO_WA_HELPERS_H
#define CRED_TEST_IO_WA_HELPERS_H

#include "collect.h"

#include <ctype.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#define WA_FIXTURES "tests/fixtures/whatsapp"

/* Read memory under a name (the name gives the chat name); fmt may be AUTO. */
static inline tread wa_read(const char *name, const char *data, size_t len, cred_format fmt,
                            cred_date_order order)
{
    tread t;
    memset(&t, 0, sizeof t);
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = fmt;
    o.date_order = order;
    o.on_diag = on_diag;
    o.diag_payload = &t;
    cred_reader *r = NULL;
    t.open_rc = cred_reader_open_memory(&r, name, data, len, &o);
    if (t.open_rc < 0) {
        snprintf(t.error, sizeof t.error, "%s", cred_error_last()->message);
        return t;
    }
    drain(&t, r);
    cred_reader_free(r);
    return t;
}

static inline tread wa_read_str(const char *data)
{
    return wa_read("chat.txt", data, strlen(data), CRED_FORMAT_AUTO, CRED_DATE_ORDER_AUTO);
}

/* A whole file into a malloc'd NUL-terminated buffer (NULL when absent). */
static inline char *wa_slurp(const char *path, size_t *len)
{
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    if (len)
        *len = got;
    return buf;
}

static inline yajl_val wa_json(const char *path)
{
    char *text = wa_slurp(path, NULL);
    cr_assert(text, "cannot read %s", path);
    char err[256];
    yajl_val v = yajl_tree_parse(text, err, sizeof err);
    free(text);
    cr_assert(v, "%s: %s", path, err);
    return v;
}

static inline yajl_val wa_get(yajl_val obj, const char *key)
{
    if (!obj || !YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

static inline const char *wa_str(yajl_val obj, const char *key)
{
    yajl_val v = wa_get(obj, key);
    return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

/* "YYYY-MM-DDTHH:MM:SS" of UTC seconds. */
static inline void wa_iso(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* Does the post's date match an expected local "YYYY-MM-DDTHH:MM[:SS]"? */
static inline bool wa_date_is(int64_t t, const char *expected)
{
    if (t == CRED_DATE_UNKNOWN)
        return false;
    char iso[32];
    wa_iso(t, iso);
    return strncmp(iso, expected, strlen(expected)) == 0;
}

/* Equal modulo whitespace runs (and whitespace at the ends). */
static inline bool wa_same_words(const char *a, const char *b)
{
    for (;;) {
        while (*a && isspace((unsigned char)*a))
            a++;
        while (*b && isspace((unsigned char)*b))
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        while (*a && *b && !isspace((unsigned char)*a) && *a == *b)
            a++, b++;
        bool ea = !*a || isspace((unsigned char)*a), eb = !*b || isspace((unsigned char)*b);
        if (!(ea && eb))
            return false;
    }
}

/* Equal after trailing whitespace is removed from both. */
static inline bool wa_same_trimmed(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    while (na && isspace((unsigned char)a[na - 1]))
        na--;
    while (nb && isspace((unsigned char)b[nb - 1]))
        nb--;
    return na == nb && memcmp(a, b, na) == 0;
}

#endif
