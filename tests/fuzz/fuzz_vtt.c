/* Fuzz the WebVTT reader (file parser, cue text tokenizer, rolling-caption collapse, windows). */
#include "transcript_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_transcript(data, size, CRED_FORMAT_VTT, 30.0);
    fuzz_transcript(data, size, CRED_FORMAT_VTT, 0.5);
    return 0;
}
