/* csv reader (work in progress, i1). */
#include "io.h"

static int probe(const char *head, size_t len)
{
    CRED_UNUSED(head);
    CRED_UNUSED(len);
    return 0;
}

static int next(cred_reader *r, cred_post *post)
{
    CRED_UNUSED(r);
    CRED_UNUSED(post);
    return 0;
}

const cred_io_driver cred_io__csv = {CRED_FORMAT_CSV, probe, NULL, next, NULL};
