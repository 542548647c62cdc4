/* A fresh directory under /tmp for each test (fixture setup), removed after it (teardown). */
#ifndef CRED_TESTS_INDEX_TMPDIR_H
#define CRED_TESTS_INDEX_TMPDIR_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static char dir[64];

static void dir_make(const char *name)
{
    snprintf(dir, sizeof dir, "/tmp/%s_XXXXXX", name);
    cr_assert_not_null(mkdtemp(dir));
}

static void dir_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

#endif
