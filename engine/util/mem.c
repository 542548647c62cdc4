/* Growable arrays, string copies and the bump arena. */
#include "util.h"

#include <stdlib.h>
#include <sys/mman.h>

int cred__grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return cred__error_nomem();
        n *= 2;
    }
    void *p = realloc(*ptr, n * elem);
    if (!p)
        return cred__error_nomem();
    *ptr = p;
    *cap = n;
    return 0;
}

void *cred__alloc_table(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    if (bytes < 4 * huge)
        return aligned_alloc(64, bytes ? (bytes + 63) / 64 * 64 : 64);
    size_t len = (bytes + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, len);
#ifdef MADV_HUGEPAGE
    if (p)
        (void)madvise(p, len, MADV_HUGEPAGE);
#endif
    return p;
}

char *cred__strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

struct cred_arena_block {
    cred_arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void cred_arena_init(cred_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used_total = 0;
}

void *cred_arena_alloc(cred_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    cred_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > a->block_size ? n : a->block_size;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used_total += n;
    return p;
}

char *cred_arena_strndup(cred_arena *a, const char *s, size_t n)
{
    char *p = cred_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Keeps the most recent block (the largest working set usually fits in it) and frees the rest. */
void cred_arena_reset(cred_arena *a)
{
    cred_arena_block *b = a->head;
    if (!b)
        return;
    cred_arena_block *rest = b->next;
    while (rest) {
        cred_arena_block *next = rest->next;
        free(rest);
        rest = next;
    }
    b->next = NULL;
    b->used = 0;
    a->used_total = 0;
}

void cred_arena_free(cred_arena *a)
{
    cred_arena_block *b = a->head;
    while (b) {
        cred_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
}
