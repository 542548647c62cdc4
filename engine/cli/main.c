/* credence: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Every subcommand, in the order `credence --help` lists them. */
static const cli_command *const commands[] = {
    &cmd_score,
    &cmd_train,
    &cmd_eval,
    &cmd_parse,
    &cmd_rules,
    &cmd_dups,
    &cmd_serve,
    &cmd_index,
    &cmd_search,
    &cmd_bench,
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: credence <command> [options]\n\n"
                "credence reads shared posts and transcripts, finds forwarded duplicates and unsourced\n"
                "claims, and gives each post a validity score with the reasons.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(fp, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(fp, "\n'credence <command> --help' describes a command; 'credence --version' prints the version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("credence %s\n", cred_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "credence: unknown command '%s' (see 'credence --help')\n", name);
    return 2;
}
