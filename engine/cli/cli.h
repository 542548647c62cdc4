/*
 * The credence command line: one file per subcommand (cmd_<name>.c), each with an option table that
 * also prints its --help. Subcommands use only the public API in credence.h.
 *
 * Exit codes: 0 success; 1 the command ran but found failures (e.g. failing rule tests) or read
 * nothing usable; 2 usage error, unreadable file or unknown option (one clear line on stderr).
 */
#ifndef CRED_CLI_H
#define CRED_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "credence.h"

#define CLI_MAX_OPTIONS 48

/** One option: --name [ARG] (short form -c when short_name is set). arg NULL means a flag. */
typedef struct cli_option {
    const char *name;
    char short_name;
    const char *arg;  /**< placeholder shown in --help, e.g. "FILE"; NULL for flags */
    const char *help;
} cli_option;

/** A subcommand: name, one-line summary, usage line, options (NULL-name terminated), entry point. */
typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage;      /**< e.g. "credence parse [options] FILE...|-" */
    const char *details;    /**< extra --help text after the options, or NULL */
    const cli_option *options;
    int (*run)(int argc, char **argv);
} cli_command;

/** Parsed command line. Values are borrowed from argv. Repeated options keep the last value. */
typedef struct cli_args {
    const cli_command *cmd;
    const char *value[CLI_MAX_OPTIONS];
    bool set[CLI_MAX_OPTIONS];
    char **pos;   /**< positional arguments */
    int npos;
} cli_args;

/**
 * Parse argv (argv[0] is the subcommand name) against cmd's option table.
 * Supports --name VALUE, --name=VALUE, -c VALUE, flags, and "--" to end options.
 * @return 0 to go on; 1 when --help was printed (exit 0); 2 after printing a usage error (exit 2).
 *         On 1 and 2, a->pos is already freed (and NULL).
 */
int cli_parse(cli_args *a, const cli_command *cmd, int argc, char **argv);

/** Value of option `name`, or def when not given. */
const char *cli_get(const cli_args *a, const char *name, const char *def);
/** Whether flag or option `name` was given. */
bool cli_has(const cli_args *a, const char *name);
/** Parse option `name` as a number in [min, max]; prints an error and returns false when invalid. */
bool cli_get_double(const cli_args *a, const char *name, double def, double min, double max, double *out);

/** Print "credence <cmd>: <message>" (and the last library error, when code < 0) on stderr. */
void cli_error(const cli_args *a, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Print the --help of a command to fp. */
void cli_help(const cli_command *cmd, FILE *fp);

/* Subcommands: each file defines one of these. */
extern const cli_command cmd_parse;
extern const cli_command cmd_rules;
extern const cli_command cmd_dups;
extern const cli_command cmd_index;
extern const cli_command cmd_search;
extern const cli_command cmd_score;
extern const cli_command cmd_train;
extern const cli_command cmd_eval;
extern const cli_command cmd_serve;
extern const cli_command cmd_bench;

#endif
