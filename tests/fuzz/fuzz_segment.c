/*
 * Fuzz segment loading: any bytes loaded as a segment must give 0 or CRED_ECORRUPT / CRED_EVERSION /
 * CRED_EFORMAT, never a crash. Random damage rarely survives the checksums, so each input is also
 * loaded a second time with its checksums recomputed: that reaches the structural checks, the
 * dictionary, postings, positions and text blocks, which are then walked (as verify does) and queried.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index/index.h"

static void walk(ix_segment *s)
{
    (void)ix_segment_verify(s);
    static const char *const terms[] = {"garlic", "the", "virus", "\x01lpt", "vitamin"};
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++) {
        ix_term t;
        if (ix_segment_term(s, &t, terms[i], strlen(terms[i])) != 1)
            continue;
        ix_cursor c;
        ix_cursor_init(&c, s, &t);
        uint32_t pos[64];
        for (uint32_t target = 0; c.doc != IX_END; target += 3) {
            float fm;
            (void)ix_cursor_block_bound(&c, target, &fm);
            if (ix_cursor_seek(&c, target) == IX_END)
                break;
            if (c.tf <= 64)
                (void)ix_cursor_positions(&c, pos);
        }
        ix_cursor_free(&c);
    }
    /* the frequent-pair index: every pair of frequent terms looked up, stored doc lists decoded */
    for (uint32_t a = 0; a < s->n_freq; a++)
        for (uint32_t b = 0; b < s->n_freq; b++) {
            ix_pair pe;
            if (ix_pair_find(s, a + 1, b + 1, &pe) != 1 || !pe.len)
                continue;
            uint32_t *docs = malloc(pe.df * sizeof *docs);
            if (docs)
                (void)ix_pair_docs(s, &pe, docs);
            free(docs);
        }
    (void)ix_pair_rank(s, "the", 3);
    for (uint32_t d = 0; d < s->meta.n_docs && d < 64; d++) {
        ix_record r;
        (void)ix_segment_record(s, &r, d);
    }
}

static void load(const uint8_t *data, size_t size, bool reseal)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return;
    memcpy(copy, data, size);
    if (reseal)
        st_reseal(copy, size);
    ix_segment s;
    int rc = ix_segment_load_memory(&s, copy, size, "fuzz.cseg"); /* takes copy */
    if (rc == 0) {
        walk(&s);
        ix_segment_free(&s);
    } else if (rc != CRED_ECORRUPT && rc != CRED_EVERSION && rc != CRED_EFORMAT && rc != CRED_ENOMEM) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size, false);
    load(data, size, true);
    return 0;
}
