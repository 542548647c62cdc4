/* Fuzz the SubRip reader (encodings, lenient cue boundaries, times, tag stripping). */
#include "transcript_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_transcript(data, size, CRED_FORMAT_SRT, 30.0);
    return 0;
}
