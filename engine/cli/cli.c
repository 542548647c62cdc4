/* Table-driven option parsing and --help for every subcommand. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_help(const cli_command *cmd, FILE *fp)
{
    fprintf(fp, "usage: %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->options && cmd->options[0].name) {
        fprintf(fp, "\noptions:\n");
        for (const cli_option *o = cmd->options; o->name; o++) {
            char left[64];
            if (o->short_name)
                snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                         o->arg ? o->arg : "");
            else
                snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
            fprintf(fp, "  %-28s %s\n", left, o->help);
        }
    }
    fprintf(fp, "  %-28s %s\n", "-h, --help", "show this help");
    if (cmd->details)
        fprintf(fp, "\n%s\n", cmd->details);
}

static int find_long(const cli_command *cmd, const char *name, size_t len)
{
    for (int i = 0; cmd->options && cmd->options[i].name; i++)
        if (strlen(cmd->options[i].name) == len && memcmp(cmd->options[i].name, name, len) == 0)
            return i;
    return -1;
}

static int find_short(const cli_command *cmd, char c)
{
    for (int i = 0; cmd->options && cmd->options[i].name; i++)
        if (cmd->options[i].short_name == c)
            return i;
    return -1;
}

/* Parse argv into *a: 0, 1 once --help is printed, 2 on a usage error (reported). */
static int parse_args(cli_args *a, const cli_command *cmd, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    if (!a->pos) {
        fprintf(stderr, "credence %s: out of memory\n", cmd->name);
        return 2;
    }
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0) {
            a->pos[a->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_help(cmd, stdout);
            return 1;
        }
        int idx;
        const char *inline_val = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            idx = find_long(cmd, name, eq ? (size_t)(eq - name) : strlen(name));
            if (eq)
                inline_val = eq + 1;
        } else {
            idx = arg[2] == '\0' ? find_short(cmd, arg[1]) : -1;
        }
        if (idx < 0) {
            fprintf(stderr, "credence %s: unknown option '%s' (see 'credence %s --help')\n", cmd->name, arg,
                    cmd->name);
            return 2;
        }
        const cli_option *o = &cmd->options[idx];
        if (o->arg) {
            if (!inline_val) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "credence %s: option '--%s' needs a value %s\n", cmd->name, o->name, o->arg);
                    return 2;
                }
                inline_val = argv[++i];
            }
            a->value[idx] = inline_val;
        } else if (inline_val) {
            fprintf(stderr, "credence %s: option '--%s' takes no value\n", cmd->name, o->name);
            return 2;
        }
        a->set[idx] = true;
    }
    return 0;
}

/* On a non-zero return a->pos is released (and NULL), so that commands may simply return. */
int cli_parse(cli_args *a, const cli_command *cmd, int argc, char **argv)
{
    int rc = parse_args(a, cmd, argc, argv);
    if (rc) {
        free(a->pos);
        a->pos = NULL;
    }
    return rc;
}

const char *cli_get(const cli_args *a, const char *name, const char *def)
{
    int idx = find_long(a->cmd, name, strlen(name));
    return idx >= 0 && a->value[idx] ? a->value[idx] : def;
}

bool cli_has(const cli_args *a, const char *name)
{
    int idx = find_long(a->cmd, name, strlen(name));
    return idx >= 0 && a->set[idx];
}

bool cli_get_double(const cli_args *a, const char *name, double def, double min, double max, double *out)
{
    const char *v = cli_get(a, name, NULL);
    if (!v) {
        *out = def;
        return true;
    }
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < min || d > max) {
        fprintf(stderr, "credence %s: --%s must be a number from %g to %g, not '%s'\n", a->cmd->name, name, min,
                max, v);
        return false;
    }
    *out = d;
    return true;
}

void cli_error(const cli_args *a, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "credence %s: ", a->cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (code < 0) {
        const cred_error *e = cred_error_last();
        if (e->code == code && e->message[0])
            fprintf(stderr, ": %s", e->message);
        else
            fprintf(stderr, ": %s", cred_strerror(code));
    }
    fputc('\n', stderr);
}
