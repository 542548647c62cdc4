/* Fuzz format detection plus whichever reader it picks, over arbitrary bytes. */
#include "credence.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cred_format f = cred_format_detect(data, size);
    cred_reader *r;
    int rc = cred_reader_open_memory(&r, "fuzz", data, size, NULL);
    if (rc < 0) {
        if (size == 0 || cred_error_last()->code != rc || !cred_error_last()->message[0])
            abort(); /* empty input always opens; failures are described */
        return 0;
    }
    if (size > 0 && cred_reader_format(r) != f)
        abort(); /* detection agrees with the public probe */
    const cred_post *p;
    uint64_t n = 0;
    while ((rc = cred_reader_next(r, &p)) == 1) {
        if (!p->id || !p->text || p->text[p->text_len] != '\0' || p->text_len > CRED_LIMIT_POST_BYTES ||
            (unsigned)p->kind > CRED_KIND_WINDOW)
            abort();
        n++;
    }
    if (rc > 0 || cred_reader_stats_get(r)->posts != n)
        abort();
    cred_reader_free(r);
    return 0;
}
