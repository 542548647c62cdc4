/* Shared input handling for the post-reading subcommands. */
#include "input.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool cli_reader_options(const cli_args *a, cred_reader_options *opts)
{
    cred_reader_options defaults = CRED_READER_OPTIONS_INIT;
    *opts = defaults;
    const char *fmt = cli_get(a, "format", "auto");
    if (cred_format_parse(&opts->format, fmt) < 0) {
        cli_error(a, 0, "unknown format '%s' (see --help)", fmt);
        return false;
    }
    opts->text_col = cli_get(a, "text-col", NULL);
    opts->id_col = cli_get(a, "id-col", NULL);
    opts->author_col = cli_get(a, "author-col", NULL);
    opts->source_col = cli_get(a, "source-col", NULL);
    opts->date_col = cli_get(a, "date-col", NULL);
    opts->source = cli_get(a, "source", NULL);
    const char *delim = cli_get(a, "delimiter", NULL);
    if (delim) {
        if (strcmp(delim, "tab") == 0 || strcmp(delim, "\\t") == 0)
            delim = "\t";
        if (strlen(delim) != 1) {
            cli_error(a, 0, "--delimiter takes one character, not '%s'", delim);
            return false;
        }
        opts->csv_delimiter = delim[0];
    }
    const char *order = cli_get(a, "date-order", "auto");
    static const char *const orders[] = {"auto", "dmy", "mdy", "ymd"};
    bool found = false;
    for (int i = 0; i < 4; i++)
        if (strcmp(order, orders[i]) == 0) {
            opts->date_order = (cred_date_order)i;
            found = true;
        }
    if (!found) {
        cli_error(a, 0, "--date-order must be auto, dmy, mdy or ymd, not '%s'", order);
        return false;
    }
    if (!cli_get_double(a, "window", 30, 1, 86400, &opts->window_seconds))
        return false;
    if (!cli_has(a, "quiet"))
        opts->on_diag = cli_print_diag;
    return true;
}

bool cli_inputs_exist(const cli_args *a)
{
    if (a->npos == 0) {
        cli_error(a, 0, "no input given (a FILE, or - for standard input; see --help)");
        return false;
    }
    for (int i = 0; i < a->npos; i++) {
        struct stat st;
        if (strcmp(a->pos[i], "-") == 0)
            continue;
        if (stat(a->pos[i], &st) < 0) {
            cli_error(a, 0, "cannot open '%s': %s", a->pos[i], strerror(errno));
            return false;
        }
        if (S_ISDIR(st.st_mode)) {
            cli_error(a, 0, "'%s' is a directory, not a file", a->pos[i]);
            return false;
        }
    }
    return true;
}

void cli_print_diag(const cred_diag *d, void *payload)
{
    (void)payload;
    static const char *const sev[] = {"note", "warning", "error"};
    if (d->line)
        fprintf(stderr, "%s:%" PRIu64 ":%" PRIu64 ": %s: %s\n", d->file, d->line, d->column ? d->column : 1,
                sev[d->severity], d->message);
    else
        fprintf(stderr, "%s: %s: %s (byte %" PRIu64 ")\n", d->file, sev[d->severity], d->message, d->offset);
}

void cli_totals_add(cli_input_totals *t, const cred_reader *r)
{
    const cred_reader_stats *s = cred_reader_stats_get(r);
    t->posts += s->posts;
    t->skipped += s->skipped;
    t->repaired += s->repaired;
    t->system += s->system;
}

void cli_totals_print(const cli_args *a, const cli_input_totals *t, int n_inputs)
{
    fprintf(stderr,
            "credence %s: %" PRIu64 " posts from %d input%s (%" PRIu64 " skipped, %" PRIu64 " repaired, %" PRIu64
            " system messages left out%s)\n",
            a->cmd->name, t->posts, n_inputs, n_inputs == 1 ? "" : "s", t->skipped, t->repaired, t->system,
            t->failed_files ? ", some inputs could not be read to the end" : "");
}

struct cli_arena_block {
    struct cli_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

void *cli_arena_alloc(cli_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct cli_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > (256u << 10) ? n : (256u << 10);
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

char *cli_arena_strndup(cli_arena *a, const char *s, size_t n)
{
    char *d = cli_arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

const char *cli_arena_strdup(cli_arena *a, const char *s)
{
    return s ? cli_arena_strndup(a, s, strlen(s)) : NULL;
}

void cli_arena_free(cli_arena *a)
{
    while (a->head) {
        struct cli_arena_block *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

bool cli_post_copy(cli_arena *a, cred_post *dst, const cred_post *src)
{
    *dst = *src;
    dst->text = cli_arena_strndup(a, src->text, src->text_len);
    dst->id = cli_arena_strdup(a, src->id);
    dst->source = cli_arena_strdup(a, src->source);
    dst->author = cli_arena_strdup(a, src->author);
    dst->author_id = cli_arena_strdup(a, src->author_id);
    dst->date_text = cli_arena_strdup(a, src->date_text);
    dst->forwarded_from = cli_arena_strdup(a, src->forwarded_from);
    dst->url = cli_arena_strdup(a, src->url);
    dst->lang = cli_arena_strdup(a, src->lang);
    dst->reply_to = cli_arena_strdup(a, src->reply_to);
    dst->media = cli_arena_strdup(a, src->media);
    dst->label = cli_arena_strdup(a, src->label);
    dst->links = NULL;
    dst->n_links = 0;
    if (src->n_links) {
        const char **l = cli_arena_alloc(a, src->n_links * sizeof *l);
        if (!l)
            return false;
        for (size_t i = 0; i < src->n_links; i++)
            if (!(l[i] = cli_arena_strdup(a, src->links[i])))
                return false;
        dst->links = l;
        dst->n_links = src->n_links;
    }
    return dst->text && dst->id;
}
