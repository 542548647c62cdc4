/*
 * Seeded generator of forward chains for the dedup benchmark (bench/gen_forwards.c).
 * Posts are returned in date order; truth fields name the true origin and template family.
 */
#ifndef GEN_FORWARDS_H
#define GEN_FORWARDS_H

#include <stddef.h>
#include <stdint.h>

typedef struct gen_post {
    char *id;             /* "p<index>" (with a prefix per call) */
    char *text;
    size_t len;
    char *source;         /* group or channel */
    int64_t date;         /* UTC seconds */
    uint32_t origin;      /* index of the true origin (itself for an origin) */
    int32_t family;       /* template family of a sibling bulletin, -1 otherwise */
    uint8_t is_short;     /* text shorter than 100 bytes */
    uint8_t lang;         /* 0 en, 1 pt, 2 es, 3 fa, 4 ar */
} gen_post;

typedef struct gen_options {
    uint64_t seed;
    size_t posts;         /* about this many posts */
    unsigned viral;       /* clusters of thousands (default: 1 per 40k posts) */
    int64_t start;        /* date of the first origin */
    const char *prefix;   /* id prefix (default "p") */
    unsigned shuffle_pct; /* percent of neighbouring posts swapped in the output order (file order) */
} gen_options;

/** Generate. @return 0, or -1 when out of memory. Free with gen_free(). */
int gen_forwards(gen_post **out, size_t *n, const gen_options *o);
void gen_free(gen_post *p, size_t n);

extern const char *const gen_lang_names[5];

#endif
