/* Shared body of the JSON-export fuzz targets (Telegram, Facebook/Instagram): the first byte chooses
 * the forced format or detection; the rest is the input.
 * Invariants: no crash, every post well-formed, counters consistent, only documented error codes. */
#ifndef CRED_FUZZ_JSON_EXPORT_H
#define CRED_FUZZ_JSON_EXPORT_H

#include "credence.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_json_export(const uint8_t *data, size_t size, cred_format fmt)
{
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = fmt;
    if (size > 0) {
        if (data[0] & 1)
            o.format = CRED_FORMAT_AUTO;
        data++;
        size--;
    }
    cred_reader *r;
    int rc = cred_reader_open_memory(&r, "fuzz.json", data, size, &o);
    if (rc < 0) {
        /* forced, these readers' open cannot fail on content; detection may pick another reader
         * (a zip, a transcript) whose open reports the content */
        if (o.format != CRED_FORMAT_AUTO || rc == CRED_EINVAL || rc == CRED_ENOMEM || rc == CRED_EIO)
            abort();
        return;
    }
    bool mine = cred_reader_format(r) == fmt;
    const cred_post *p;
    uint64_t n = 0, last_line = 0;
    while ((rc = cred_reader_next(r, &p)) == 1) {
        if (!p->id || !p->text || p->text[p->text_len] != '\0' || p->text_len > CRED_LIMIT_POST_BYTES)
            abort();
        if (mine && (p->line < last_line || (p->n_links && !p->links) || ((p->flags & CRED_POST_MEDIA) && !p->media)))
            abort();
        for (size_t i = 0; i < p->n_links; i++)
            if (!p->links[i])
                abort();
        last_line = p->line;
        n++;
    }
    const cred_reader_stats *st = cred_reader_stats_get(r);
    if (st->posts != n)
        abort();
    if (mine && rc < 0 && rc != CRED_ESYNTAX && rc != CRED_ELIMIT && rc != CRED_EFORMAT)
        abort();
    if (mine && rc == 0 && st->bytes != size)
        abort();
    cred_reader_free(r);
}

#endif
