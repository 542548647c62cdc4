/* Shared input handling for subcommands that read posts: reader options from the command line,
 * diagnostics on stderr, existence checks, a per-run summary, and copies of posts that outlive their
 * reader. */
#ifndef CRED_CLI_INPUT_H
#define CRED_CLI_INPUT_H

#include "cli.h"

/** The reader options every post-reading command accepts (append to a command's option table). */
#define CLI_INPUT_OPTIONS                                                                              \
    {"format", 'f', "FMT", "input format: auto (default, from content), jsonl, csv, text, telegram, "   \
                           "whatsapp, facebook, vtt, srt, json3, srv3"},                              \
    {"text-col", 0, "NAME", "CSV column holding the text (default: text, else content/message/tweet...)"}, \
    {"id-col", 0, "NAME", "CSV id column (default: id, else the record number)"},                       \
    {"author-col", 0, "NAME", "CSV author column (default: author)"},                                   \
    {"source-col", 0, "NAME", "CSV source column (default: source)"},                                   \
    {"date-col", 0, "NAME", "CSV date column (default: date)"},                                         \
    {"delimiter", 0, "CHAR", "CSV delimiter (default: detected among , ; tab |)"},                     \
    {"date-order", 0, "ORDER", "WhatsApp day/month order: auto (default), dmy, mdy, ymd"},              \
    {"window", 0, "SECONDS", "transcript window length (default 30)"},                                  \
    {"source", 0, "NAME", "source name when the input has none (default: file name)"},                 \
    {"quiet", 'q', NULL, "do not print per-record diagnostics"}

/** Counters over all inputs of one run. */
typedef struct cli_input_totals {
    uint64_t posts, skipped, repaired, system, failed_files;
} cli_input_totals;

/** Fill reader options from the parsed arguments. Prints an error and returns false when invalid. */
bool cli_reader_options(const cli_args *a, cred_reader_options *opts);

/** Check every positional input exists (or is "-"); prints one line and returns false otherwise. */
bool cli_inputs_exist(const cli_args *a);

/** Diagnostic callback printing "file:line:col: warning|error: message" on stderr. */
void cli_print_diag(const cred_diag *d, void *payload);

/** Add a finished reader's counters to totals. */
void cli_totals_add(cli_input_totals *t, const cred_reader *r);

/** Print "credence <cmd>: N posts from F inputs (S skipped, R repaired, Y system messages left out)". */
void cli_totals_print(const cli_args *a, const cli_input_totals *t, int n_inputs);

/** A bump allocator: blocks of at least 256 KiB, all freed together. Zero-initialise it. */
typedef struct cli_arena {
    struct cli_arena_block *head;
} cli_arena;

/** n bytes aligned to 16, or NULL when out of memory. */
void *cli_arena_alloc(cli_arena *a, size_t n);
/** A NUL-terminated copy of s[0..n), or NULL when out of memory. */
char *cli_arena_strndup(cli_arena *a, const char *s, size_t n);
/** A copy of the string s; NULL when s is NULL (or out of memory). */
const char *cli_arena_strdup(cli_arena *a, const char *s);
/** Free every block; the arena is empty (and usable) again. */
void cli_arena_free(cli_arena *a);

/**
 * Copy a post borrowed from a reader (text, every string and the links) into the arena, so that it
 * outlives the reader's next call. Returns false when out of memory.
 */
bool cli_post_copy(cli_arena *a, cred_post *dst, const cred_post *src);

#endif
