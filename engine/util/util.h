/* Library-internal helpers shared by every module: errors, memory, buffers, hashing. */
#ifndef CRED_UTIL_H
#define CRED_UTIL_H

#include "credence.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CRED_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CRED_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CRED_MAX(a, b) ((a) > (b) ? (a) : (b))
#define CRED_UNUSED(x) ((void)(x))
#if defined(__GNUC__)
#define CRED_LIKELY(x) __builtin_expect(!!(x), 1)
#define CRED_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CRED_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CRED_LIKELY(x) (x)
#define CRED_UNLIKELY(x) (x)
#define CRED_PRINTF(a, b)
#endif

/* ---- errors ------------------------------------------------------------------------------------ */

/** Set the thread's last error and return code (so `return cred__error(...)` works). */
int cred__error(int code, const char *fmt, ...) CRED_PRINTF(2, 3);
/** Same, with an input position. */
int cred__error_at(int code, const char *file, uint64_t line, uint64_t column, uint64_t offset,
                   const char *fmt, ...) CRED_PRINTF(6, 7);
/** Set CRED_EIO with "<what> <path>: <strerror(errno)>". */
int cred__error_os(const char *what, const char *path);
/** Set CRED_ENOMEM. */
int cred__error_nomem(void);

/** Evaluate expr; on a negative result, store it in `rc` and jump to `done`. */
#define CRED_TRY(expr)            \
    do {                          \
        rc = (expr);              \
        if (CRED_UNLIKELY(rc < 0)) \
            goto done;            \
    } while (0)

/** Jump to `done` with CRED_ENOMEM when ptr is NULL. */
#define CRED_TRY_ALLOC(ptr)              \
    do {                                 \
        if (CRED_UNLIKELY((ptr) == NULL)) { \
            rc = cred__error_nomem();    \
            goto done;                   \
        }                                \
    } while (0)

/* ---- memory ------------------------------------------------------------------------------------ */

/** Grow *ptr (element size `elem`) so that it holds at least `need` elements. 0 or CRED_ENOMEM. */
int cred__grow(void **ptr, size_t *cap, size_t need, size_t elem);
/* Memory for a large table read at random (hash tables, signatures): 64-byte aligned and, from 8 MiB
   on, in transparent huge pages where the system allows (lookups there are bound by cache and TLB
   misses). Released with free(); NULL when out of memory. */
void *cred__alloc_table(size_t bytes);

#define CRED_GROW(ptr, cap, need) cred__grow((void **)&(ptr), &(cap), (need), sizeof(*(ptr)))

char *cred__strndup(const char *s, size_t n);

/**
 * A bump allocator. Allocation is a pointer increment; everything is released at once by reset
 * (which keeps the first block for reuse) or free.
 */
typedef struct cred_arena_block cred_arena_block;
typedef struct cred_arena {
    cred_arena_block *head;
    size_t block_size;
    size_t used_total;
} cred_arena;

void cred_arena_init(cred_arena *a, size_t block_size);
void *cred_arena_alloc(cred_arena *a, size_t n); /* 8-byte aligned; NULL on ENOMEM */
char *cred_arena_strndup(cred_arena *a, const char *s, size_t n);
void cred_arena_reset(cred_arena *a);
void cred_arena_free(cred_arena *a);

/* ---- byte buffers ------------------------------------------------------------------------------ */

typedef struct cred_buf {
    char *ptr;
    size_t len;
    size_t cap;
} cred_buf;

#define CRED_BUF_INIT {NULL, 0, 0}

int cred_buf_reserve(cred_buf *b, size_t extra);
int cred_buf_put(cred_buf *b, const void *data, size_t n);
int cred_buf_putc(cred_buf *b, char c);
int cred_buf_puts(cred_buf *b, const char *s);
int cred_buf_printf(cred_buf *b, const char *fmt, ...) CRED_PRINTF(2, 3);
/** Make ptr NUL-terminated without counting the NUL in len. */
int cred_buf_terminate(cred_buf *b);
void cred_buf_clear(cred_buf *b);
void cred_buf_free(cred_buf *b);

/* ---- hashing ----------------------------------------------------------------------------------- */

uint64_t cred_hash64(const void *data, size_t len, uint64_t seed);

/* ---- files ------------------------------------------------------------------------------------- */

/** Read a whole file ("-" = stdin) into a malloc'd buffer (NUL-terminated, NUL not counted). */
int cred__read_file(char **out, size_t *out_len, const char *path, size_t max_len);
/** Write a file atomically: temp file in the same directory, fsync, rename, fsync the directory. */
int cred__write_file_atomic(const char *path, const void *data, size_t len);

/* ---- UTF-8 ------------------------------------------------------------------------------------- */

/**
 * Decode one code point at s[0..len). Returns the number of bytes consumed (1..4) and stores the code
 * point in *cp; an invalid or truncated sequence consumes 1 byte and yields -1.
 */
static inline int cred_utf8_decode(const unsigned char *s, size_t len, int32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    if (c < 0xC2 || c > 0xF4)
        goto bad;
    if (c < 0xE0) {
        if (len < 2 || (s[1] & 0xC0) != 0x80)
            goto bad;
        *cp = (int32_t)(((c & 0x1Fu) << 6) | (s[1] & 0x3Fu));
        return 2;
    }
    if (c < 0xF0) {
        if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            goto bad;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))
            goto bad; /* overlong or surrogate */
        *cp = (int32_t)(((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu));
        return 3;
    }
    if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
        goto bad;
    if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
        goto bad;
    *cp = (int32_t)(((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu));
    return 4;
bad:
    *cp = -1;
    return 1;
}

/** Encode cp (must be valid) into out (≥ 4 bytes); returns the byte count. */
static inline int cred_utf8_encode(int32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/** Count invalid bytes in s (0 means valid UTF-8). */
size_t cred_utf8_invalid_count(const char *s, size_t len);

/** Copy s into b replacing each invalid byte by U+FFFD; returns the count replaced (or <0 ENOMEM). */
long cred_utf8_sanitize(cred_buf *b, const char *s, size_t len);

#endif
