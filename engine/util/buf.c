/* Growable byte buffers. */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

int cred_buf_reserve(cred_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return cred__error_nomem();
    return CRED_GROW(b->ptr, b->cap, b->len + extra + 1);
}

int cred_buf_put(cred_buf *b, const void *data, size_t n)
{
    if (n == 0)
        return 0;
    int rc = cred_buf_reserve(b, n);
    if (rc < 0)
        return rc;
    memcpy(b->ptr + b->len, data, n);
    b->len += n;
    return 0;
}

int cred_buf_putc(cred_buf *b, char c)
{
    if (b->len + 1 >= b->cap) {
        int rc = cred_buf_reserve(b, 1);
        if (rc < 0)
            return rc;
    }
    b->ptr[b->len++] = c;
    return 0;
}

int cred_buf_puts(cred_buf *b, const char *s)
{
    return cred_buf_put(b, s, strlen(s));
}

int cred_buf_printf(cred_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return cred__error(CRED_EINVAL, "bad format string");
    int rc = cred_buf_reserve(b, (size_t)n);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int cred_buf_terminate(cred_buf *b)
{
    int rc = cred_buf_reserve(b, 0);
    if (rc < 0)
        return rc;
    b->ptr[b->len] = '\0';
    return 0;
}

void cred_buf_clear(cred_buf *b)
{
    b->len = 0;
}

void cred_buf_free(cred_buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}
