/* Fuzz the Telegram Desktop export reader (result.json): json_export_fuzz.h. */
#include "json_export_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_json_export(data, size, CRED_FORMAT_TELEGRAM);
    return 0;
}
