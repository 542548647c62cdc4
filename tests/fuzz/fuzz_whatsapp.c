/*
 * Fuzz the WhatsApp reader (plain exports and .zip exports). The first byte picks the date order and
 * whether the format is forced or detected; the rest is the input.
 * Invariants: no crash, records well formed, lines strictly increasing, text within the post limit,
 * the only open failures are the documented ones.
 */
#include "credence.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_WHATSAPP;
    if (size > 0) {
        o.date_order = (cred_date_order)(data[0] & 3);
        if (data[0] & 4)
            o.format = CRED_FORMAT_AUTO;
        data++;
        size--;
    }
    cred_reader *r;
    int rc = cred_reader_open_memory(&r, "WhatsApp Chat with fuzz.txt", data, size, &o);
    if (rc < 0) {
        if (o.format == CRED_FORMAT_WHATSAPP && rc != CRED_EFORMAT && rc != CRED_ECORRUPT && rc != CRED_ELIMIT)
            abort();
        return 0;
    }
    bool whatsapp = cred_reader_format(r) == CRED_FORMAT_WHATSAPP;
    const cred_post *p;
    uint64_t n = 0, last_line = 0;
    while ((rc = cred_reader_next(r, &p)) == 1) {
        if (!p->id || !p->text || p->text[p->text_len] != '\0' || p->text_len > CRED_LIMIT_POST_BYTES)
            abort();
        if (whatsapp && (p->line <= last_line || !p->author || !p->date_text || !p->source))
            abort();
        last_line = p->line;
        n++;
    }
    const cred_reader_stats *st = cred_reader_stats_get(r);
    if (rc < 0 && whatsapp)
        abort();
    if (st->posts != n)
        abort();
    cred_reader_free(r);
    return 0;
}
