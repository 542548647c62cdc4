/* credence parse: read inputs in any format and print normalised post records as JSONL. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

static const cli_option options[] = {
    CLI_INPUT_OPTIONS,
    {"output", 'o', "FILE", "write records to FILE instead of standard output"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

const cli_command cmd_parse = {
    "parse",
    "Read posts (any input format) and print them as normalised JSONL records with lang and links.",
    "credence parse [options] FILE...|-",
    "Each output line is one post: id, text, source, author, author_id, date (UTC, ISO 8601), date_text,\n"
    "forwarded_from, url, reply_to, media, kind, start/end (transcripts), edited/deleted/truncated,\n"
    "lang (declared by the input, else detected), links (canonical URLs) and line.\n"
    "Problems in the input are reported as FILE:LINE:COL on stderr and counted; the exit code is 0\n"
    "when posts were read, 1 when nothing usable was read, 2 for usage errors and missing files.",
    options,
    run,
};

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_parse, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    int exit_code = 2;
    cred_reader_options ropts;
    cred_text *text = NULL;
    cred_out *out = NULL;
    FILE *fp = stdout;
    cli_input_totals totals = {0};
    if (!cli_reader_options(&a, &ropts) || !cli_inputs_exist(&a))
        goto done;
    const char *path = cli_get(&a, "output", NULL);
    if (path && !(fp = fopen(path, "w"))) {
        cli_error(&a, 0, "cannot write '%s': %s", path, strerror(errno));
        fp = stdout;
        goto done;
    }
    if ((rc = cred_text_new(&text, NULL)) < 0 || (rc = cred_out_new(&out, fp, CRED_OUT_JSONL)) < 0) {
        cli_error(&a, rc, "cannot start");
        goto done;
    }
    exit_code = 0;
    for (int i = 0; i < a.npos; i++) {
        cred_reader *r;
        if ((rc = cred_reader_open(&r, a.pos[i], &ropts)) < 0) {
            cli_error(&a, rc, "%s", a.pos[i]);
            totals.failed_files++;
            continue;
        }
        const cred_post *p;
        bool write_failed = false;
        while ((rc = cred_reader_next(r, &p)) > 0) {
            const cred_doc *doc;
            if (cred_text_analyse(text, &doc, p->text, p->text_len, p->lang) < 0)
                doc = NULL;
            if ((rc = cred_out_post(out, p, doc)) < 0) {
                write_failed = true;
                break;
            }
        }
        if (write_failed) {
            cli_error(&a, rc, "cannot write output");
            cred_reader_free(r);
            exit_code = 2;
            goto done;
        }
        if (rc < 0) {
            const cred_error *e = cred_error_last();
            if (e->file && e->line)
                fprintf(stderr, "%s:%llu:%llu: error: %s\n", e->file, (unsigned long long)e->line,
                        (unsigned long long)(e->column ? e->column : 1), e->message);
            else
                cli_error(&a, rc, "%s", a.pos[i]);
            totals.failed_files++;
        }
        cli_totals_add(&totals, r);
        cred_reader_free(r);
    }
    if ((rc = cred_out_flush(out)) < 0) {
        cli_error(&a, rc, "cannot write output");
        exit_code = 2;
    }
    cli_totals_print(&a, &totals, a.npos);
    if (totals.posts == 0 && (totals.skipped || totals.failed_files))
        exit_code = 1;
done:
    cred_out_free(out);
    cred_text_free(text);
    if (fp != stdout)
        fclose(fp);
    free(a.pos);
    return exit_code;
}
