/*
 * Fuzz target for URL recognition and canonicalisation. Invariants checked (abort on violation):
 *  - cred_text__url_len never reaches past the input;
 *  - every recognised URL canonicalises (or is cut with CRED_ELIMIT), NUL-terminated within cap;
 *  - canonical form is idempotent: canonical(canonical(x)) == canonical(x);
 *  - cred_text__link_parse agrees with cred_url_canonical, and its domain is a suffix of its host;
 *  - cred_url_domain output is NUL-terminated within cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

#define CHECK(c)         \
    do {                 \
        if (!(c))        \
            abort();     \
    } while (0)

static void check_canonical(const char *s, size_t n)
{
    char a[512], b[512];
    memset(a, 'X', sizeof(a));
    int rc = cred_url_canonical(a, sizeof(a), s, n);
    CHECK(rc == 0 || rc == CRED_EINVAL || rc == CRED_ELIMIT);
    CHECK(memchr(a, '\0', sizeof(a)) != NULL);
    if (rc != 0)
        return;
    size_t an = strlen(a);
    int rc2 = cred_url_canonical(b, sizeof(b), a, an);
    CHECK(rc2 == 0 || rc2 == CRED_ELIMIT);
    if (rc2 == 0)
        CHECK(strcmp(a, b) == 0);

    cred_arena arena;
    cred_arena_init(&arena, 4096);
    cred_link link;
    CHECK(cred_text__link_parse(&arena, s, n, &link) == 0);
    CHECK(strcmp(link.url, a) == 0);
    size_t hl = strlen(link.host), dl = strlen(link.domain);
    CHECK(dl <= hl && strcmp(link.host + hl - dl, link.domain) == 0);
    cred_arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    /* recognition at every start position (bounded so a replay stays fast) */
    size_t limit = size < 4096 ? size : 4096;
    for (size_t pos = 0; pos < limit; pos++) {
        size_t n = cred_text__url_len(s, size, pos);
        CHECK(n <= size - pos);
        if (n > 0)
            check_canonical(s + pos, n);
    }
    check_canonical(s, size);

    char dom[64];
    int rc = cred_url_domain(dom, sizeof(dom), s, size);
    CHECK(rc == 0 || rc == CRED_EINVAL || rc == CRED_ELIMIT);
    if (rc != CRED_EINVAL)
        CHECK(memchr(dom, '\0', sizeof(dom)) != NULL);
    return 0;
}
