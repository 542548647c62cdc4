/* Shared body of the transcript fuzz targets: read any bytes in a forced transcript format and check
 * that every post is well formed (whole transcript first, then windows in time order). */
#ifndef CRED_FUZZ_TRANSCRIPT_H
#define CRED_FUZZ_TRANSCRIPT_H

#include "credence.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_transcript(const uint8_t *data, size_t size, cred_format fmt, double window)
{
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = fmt;
    o.window_seconds = window;
    cred_reader *r;
    int rc = cred_reader_open_memory(&r, "fuzz", data, size, &o);
    if (rc < 0) {
        if (rc != CRED_ENOMEM && rc != CRED_ELIMIT)
            abort(); /* a forced transcript format opens whatever the bytes */
        return;
    }
    const cred_post *p;
    uint64_t n = 0;
    double last_start = -1;
    while ((rc = cred_reader_next(r, &p)) == 1) {
        if (!p->id || !p->text || p->text[p->text_len] != '\0' || p->text_len > CRED_LIMIT_POST_BYTES ||
            p->text_len > 4 * size + 16 || p->text_len == 0)
            abort();
        if (p->kind != (n == 0 ? CRED_KIND_TRANSCRIPT : CRED_KIND_WINDOW))
            abort();
        if (!(p->start <= p->end) || p->start < 0)
            abort();
        if (n > 0) {
            if (p->start < last_start)
                abort(); /* windows in time order */
            last_start = p->start;
        }
        n++;
    }
    if (rc != 0 || cred_reader_stats_get(r)->posts != n || n == 1)
        abort(); /* a transcript with text has at least one window */
    cred_reader_free(r);
}

#endif
