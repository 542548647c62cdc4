/* Fuzz the YouTube timed-text readers: every input is read both as json3 and as srv3/srv1 XML. */
#include "transcript_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_transcript(data, size, CRED_FORMAT_JSON3, 30.0);
    fuzz_transcript(data, size, CRED_FORMAT_SRV3, 30.0);
    return 0;
}
