/* A labelled data set from n texts (no quotes or backslashes in them), through a JSONL temp file. */
#ifndef CRED_TESTS_LEARN_JSONL_DATA_H
#define CRED_TESTS_LEARN_JSONL_DATA_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "credence.h"

static cred_dataset *load_lines(const char *const *text, const int *label, size_t n)
{
    char tmpl[] = "/tmp/cred_learn_XXXXXX";
    int fd = mkstemp(tmpl);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "{\"text\":\"%s\",\"label\":%d}\n", text[i], label[i]);
    fclose(f);
    cred_dataset_options o = CRED_DATASET_OPTIONS_INIT;
    o.format = CRED_DATASET_JSONL;
    cred_dataset *ds;
    cr_assert_eq(cred_dataset_load(&ds, tmpl, &o), 0, "%s", cred_error_last()->message);
    unlink(tmpl);
    return ds;
}

#endif
