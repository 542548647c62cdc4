/* Fuzz the JSONL reader: any bytes read as JSONL must give well-formed posts and never crash. */
#include "credence.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const cred_post *p, size_t size)
{
    if (!p->id || !p->text || p->text[p->text_len] != '\0' || p->text_len > CRED_LIMIT_POST_BYTES ||
        p->text_len > size || p->line == 0 || (p->n_links && !p->links))
        abort();
    for (size_t i = 0; i < p->n_links; i++)
        if (!p->links[i])
            abort();
    if ((unsigned)p->kind > CRED_KIND_WINDOW)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_JSONL;
    if (size & 1) { /* renamed and joined keys on odd sizes */
        o.text_col = "text+title";
        o.label_col = "label";
        o.id_col = "text";
    }
    cred_reader *r;
    if (cred_reader_open_memory(&r, "fuzz.jsonl", data, size, &o) < 0)
        abort(); /* a forced line format always opens */
    const cred_post *p;
    uint64_t n = 0, last_line = 0;
    int rc;
    while ((rc = cred_reader_next(r, &p)) == 1) {
        check(p, size);
        if (p->line <= last_line)
            abort(); /* one post per line, in order */
        last_line = p->line;
        n++;
    }
    const cred_reader_stats *st = cred_reader_stats_get(r);
    if (rc != 0 || st->posts != n || st->bytes != size)
        abort();
    cred_reader_free(r);
    return 0;
}
