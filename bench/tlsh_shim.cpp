// C entry points to the Debian TLSH library (C++ only), for bench_dedup's peer measurements.
#include <tlsh.h>

extern "C" int tlsh_shim_hash(char *out, const unsigned char *data, unsigned len)
{
    Tlsh t;
    t.update(data, len);
    t.final();
    const char *h = t.getHash(out, TLSH_STRING_BUFFER_LEN);
    return h && h[0] ? 0 : -1;
}

extern "C" int tlsh_shim_diff(const char *a, const char *b)
{
    Tlsh x, y;
    if (x.fromTlshStr(a) != 0 || y.fromTlshStr(b) != 0)
        return -1;
    return x.totalDiff(&y);
}
