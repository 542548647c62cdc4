/* credence index build|add|stats|verify|compact: the persistent corpus. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "input.h"

static const cli_option options[] = {
    CLI_INPUT_OPTIONS,
    {"threads", 'j', "N", "analysis threads when writing segments (default 2)"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

const cli_command cmd_index = {
    "index",
    "Keep a persistent, searchable corpus of posts: build, add, stats, verify, compact.",
    "credence index build|add DIR FILE...   |   credence index stats|verify|compact DIR",
    "build creates the corpus directory DIR (it must not hold a corpus yet) from the inputs; add\n"
    "adds posts to an existing one (a post whose id is stored replaces the older version). An add is\n"
    "durable when the command returns. stats prints figures as key=value lines; verify checks every\n"
    "checksum and record (exit 1 when something is damaged, naming the file and byte offset);\n"
    "compact rewrites all live posts into one segment.",
    options,
    run,
};

static void print_date(const char *key, int64_t d)
{
    char buf[32];
    printf("%s=%s\n", key, cred_date_iso(buf, sizeof buf, d) ? buf : "-");
}

static int add_files(cli_args *a, cred_corpus *c, const cred_reader_options *ropts, int first)
{
    cli_input_totals totals = {0};
    int rc = 0;
    for (int i = first; i < a->npos; i++) {
        cred_reader *r;
        if ((rc = cred_reader_open(&r, a->pos[i], ropts)) < 0) {
            cli_error(a, rc, "%s", a->pos[i]);
            totals.failed_files++;
            continue;
        }
        const cred_post *p;
        while ((rc = cred_reader_next(r, &p)) > 0)
            if ((rc = cred_corpus_add(c, p, NULL)) < 0) {
                cli_error(a, rc, "%s: post %s", a->pos[i], p->id);
                break;
            }
        if (rc < 0)
            totals.failed_files++;
        cli_totals_add(&totals, r);
        cred_reader_free(r);
    }
    if ((rc = cred_corpus_commit(c)) < 0) {
        cli_error(a, rc, "cannot store the posts");
        return 2;
    }
    cli_totals_print(a, &totals, a->npos - first);
    return totals.failed_files ? 1 : 0;
}

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_index, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    int exit_code = 2;
    cred_corpus *c = NULL;
    cred_reader_options ropts;
    if (a.npos < 2) {
        cli_error(&a, 0, "expected an action and a directory (see --help)");
        goto done;
    }
    const char *act = a.pos[0], *dir = a.pos[1];
    bool build = strcmp(act, "build") == 0, add = strcmp(act, "add") == 0;
    if (!build && !add && strcmp(act, "stats") && strcmp(act, "verify") && strcmp(act, "compact")) {
        cli_error(&a, 0, "unknown action '%s' (build, add, stats, verify, compact)", act);
        goto done;
    }
    if ((build || add) && a.npos < 3) {
        cli_error(&a, 0, "%s needs input files", act);
        goto done;
    }
    if (!build && !add && a.npos != 2) {
        cli_error(&a, 0, "%s takes only the directory", act);
        goto done;
    }
    if (!cli_reader_options(&a, &ropts))
        goto done;
    for (int i = 2; i < a.npos; i++) {
        struct stat st;
        if (strcmp(a.pos[i], "-") && stat(a.pos[i], &st) < 0) {
            cli_error(&a, 0, "cannot read '%s': %s", a.pos[i], strerror(errno));
            goto done;
        }
    }
    cred_corpus_options co = CRED_CORPUS_OPTIONS_INIT;
    double threads = 2;
    if (!cli_get_double(&a, "threads", 2, 1, 64, &threads))
        goto done;
    co.threads = (unsigned)threads;
    if (build) {
        char man[4096];
        snprintf(man, sizeof man, "%s/MANIFEST", dir);
        struct stat st;
        if (stat(man, &st) == 0) {
            cli_error(&a, 0, "'%s' already holds a corpus (use 'credence index add')", dir);
            goto done;
        }
        co.flags = CRED_CORPUS_CREATE;
        co.flush_posts = 1; /* straight to a segment */
    } else if (add || strcmp(act, "compact") == 0) {
        co.flags = CRED_CORPUS_WRITE;
    }
    if ((rc = cred_corpus_open(&c, dir, &co)) < 0) {
        cli_error(&a, rc, "cannot open the corpus '%s'", dir);
        exit_code = rc == CRED_ECORRUPT || rc == CRED_EVERSION ? 1 : 2;
        goto done;
    }
    if (build || add) {
        exit_code = add_files(&a, c, &ropts, 2);
    } else if (strcmp(act, "compact") == 0) {
        if ((rc = cred_corpus_compact(c)) < 0) {
            cli_error(&a, rc, "cannot compact");
            goto done;
        }
        exit_code = 0;
    } else if (strcmp(act, "verify") == 0) {
        if ((rc = cred_corpus_verify(c)) < 0) {
            cli_error(&a, rc, "damaged");
            exit_code = 1;
            goto done;
        }
        printf("ok\n");
        exit_code = 0;
    } else {
        cred_corpus_stats s;
        cred_corpus_stats_get(c, &s);
        printf("posts=%" PRIu64 "\nreplaced=%" PRIu64 "\nsegments=%" PRIu64 "\nlog_posts=%" PRIu64
               "\nterms=%" PRIu64 "\nclusters=%" PRIu64 "\nindex_bytes=%" PRIu64 "\nstore_bytes=%" PRIu64 "\ntext_bytes=%" PRIu64
               "\ndedup_bytes=%" PRIu64 "\nfile_bytes=%" PRIu64 "\n",
               s.posts, s.replaced, s.segments, s.log_posts, s.terms, s.clusters, s.index_bytes, s.store_bytes, s.text_bytes,
               s.dedup_bytes, s.file_bytes);
        print_date("first_date", s.first_date);
        print_date("last_date", s.last_date);
        exit_code = 0;
    }
done:
    cred_corpus_free(c);
    free(a.pos);
    return exit_code;
}
