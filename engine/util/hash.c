/* Hashing goes through xxHash (XXH3) everywhere. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "util.h"

uint64_t cred_hash64(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}
