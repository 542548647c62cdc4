/* Fuzz the CSV reader; the first byte picks the delimiter, the columns, header and quoting options. */
#include "credence.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cred_reader_options o = CRED_READER_OPTIONS_INIT;
    o.format = CRED_FORMAT_CSV;
    if (size > 0) {
        static const char delims[] = {0, ',', ';', '\t', '|', '"', '\n', 0};
        o.csv_delimiter = delims[data[0] & 7];
        if (data[0] & 8)
            o.text_col = "b";
        if (data[0] & 16)
            o.id_col = "a";
        if (data[0] & 32) {
            o.csv_no_header = 1;
            o.text_col = data[0] & 8 ? "#2+#1" : "#2";
            o.label_col = "#3";
            o.id_col = NULL;
        } else if (data[0] & 128) {
            o.text_col = "a+b";
            o.label_col = "c";
        }
        if (data[0] & 64)
            o.csv_no_quotes = 1;
        data++;
        size--;
    }
    cred_reader *r;
    int rc = cred_reader_open_memory(&r, "fuzz.csv", data, size, &o);
    if (rc < 0) {
        if (rc != CRED_ENOTFOUND && rc != CRED_ESYNTAX && rc != CRED_ELIMIT)
            abort();
        return 0;
    }
    const cred_post *p;
    uint64_t n = 0, last_line = 0;
    while ((rc = cred_reader_next(r, &p)) == 1) {
        if (!p->id || !p->text || p->text[p->text_len] != '\0' || p->text_len > 2 * size || p->line <= last_line)
            abort();
        last_line = p->line;
        n++;
    }
    const cred_reader_stats *st = cred_reader_stats_get(r);
    if (rc != 0 || st->posts != n || st->bytes != size)
        abort();
    cred_reader_free(r);
    return 0;
}
