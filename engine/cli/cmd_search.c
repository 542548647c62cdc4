/* credence search DIR QUERY: ranked posts of a corpus with highlighted snippets. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "cli.h"

static const cli_option options[] = {
    {"limit", 'n', "N", "hits to print (default 10)"},
    {"output", 'o', "FORMAT", "table (default) or jsonl"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

const cli_command cmd_search = {
    "search",
    "Search a corpus: words, \"phrases\", prefix*, AND/OR/NOT, source: author: lang: after: before: ...",
    "credence search DIR QUERY [--limit N] [--output table|jsonl]",
    "Words match any inflection (Snowball stems); =word matches the exact form; \"a b\" is a phrase;\n"
    "vacc* a prefix; terms are ANDed unless joined by OR; NOT or - excludes; parentheses group.\n"
    "Filters: source:NAME author:NAME lang:CODE flag:NAME cluster:ID after:DATE before:DATE\n"
    "validity<N (also <=, >, >=). Hits are ranked by BM25; snippets mark matches with [ ].\n"
    "jsonl prints {\"id\",\"score\",\"date\",\"source\",\"author\",\"snippet\",\"highlights\"} per hit.\n"
    "A query that does not parse is reported with its column (exit 2).",
    options,
    run,
};

static void gen_str(yajl_gen g, const char *s)
{
    if (s)
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
    else
        yajl_gen_null(g);
}

static void date_str(char *buf, size_t cap, int64_t d)
{
    if (!cred_date_iso(buf, cap, d))
        snprintf(buf, cap, "-");
}

static void print_marked(const cred_search_hit *h)
{
    size_t at = 0;
    for (size_t k = 0; k < h->n_highlights; k++) {
        cred_span s = h->highlights[k];
        if (s.start < at)
            continue;
        for (size_t i = at; i < s.start; i++)
            putchar(h->snippet[i] == '\n' ? ' ' : h->snippet[i]);
        putchar('[');
        fwrite(h->snippet + s.start, 1, s.end - s.start, stdout);
        putchar(']');
        at = s.end;
    }
    for (size_t i = at; i < h->snippet_len; i++)
        putchar(h->snippet[i] == '\n' ? ' ' : h->snippet[i]);
}

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_search, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    int exit_code = 2;
    cred_corpus *c = NULL;
    double limit = 10;
    const char *fmt = cli_get(&a, "output", "table");
    if (a.npos != 2) {
        cli_error(&a, 0, "expected DIR and QUERY");
        goto done;
    }
    if (!cli_get_double(&a, "limit", 10, 1, CRED_LIMIT_SEARCH_RESULTS, &limit))
        goto done;
    if (strcmp(fmt, "table") && strcmp(fmt, "jsonl")) {
        cli_error(&a, 0, "unknown output format '%s' (table, jsonl)", fmt);
        goto done;
    }
    if ((rc = cred_corpus_open(&c, a.pos[0], NULL)) < 0) {
        cli_error(&a, rc, "cannot open the corpus '%s'", a.pos[0]);
        goto done;
    }
    cred_search_options so = CRED_SEARCH_OPTIONS_INIT;
    so.limit = (size_t)limit;
    const cred_search_result *res;
    const char *q = a.pos[1];
    if ((rc = cred_corpus_search(c, &res, q, strlen(q), &so)) < 0) {
        const cred_error *e = cred_error_last();
        if (rc == CRED_ESYNTAX && e->column) {
            fprintf(stderr, "credence search: %s\n  %s\n  %*s^\n", e->message, q, (int)(e->column - 1), "");
        } else {
            cli_error(&a, rc, "search failed");
            exit_code = rc == CRED_ECORRUPT ? 1 : 2;
        }
        goto done;
    }
    yajl_gen g = NULL;
    if (strcmp(fmt, "jsonl") == 0) {
        g = yajl_gen_alloc(NULL);
        if (!g)
            goto done;
        yajl_gen_config(g, yajl_gen_validate_utf8, 0);
    }
    for (size_t i = 0; i < res->n_hits; i++) {
        const cred_search_hit *h = &res->hits[i];
        char date[40];
        date_str(date, sizeof date, h->post.post.date);
        if (!g) {
            printf("%2zu. %-12s %7.3f  %s  %s\n    ", i + 1, h->post.post.id, h->score, date,
                   h->post.post.source ? h->post.post.source : "-");
            print_marked(h);
            putchar('\n');
            continue;
        }
        yajl_gen_map_open(g);
        gen_str(g, "id"), gen_str(g, h->post.post.id);
        gen_str(g, "score");
        char num[32];
        int n = snprintf(num, sizeof num, "%.4f", h->score);
        yajl_gen_number(g, num, (size_t)n);
        gen_str(g, "date"), gen_str(g, h->post.post.date == CRED_DATE_UNKNOWN ? NULL : date);
        gen_str(g, "source"), gen_str(g, h->post.post.source);
        gen_str(g, "author"), gen_str(g, h->post.post.author);
        gen_str(g, "cluster"), gen_str(g, h->post.origin_id);
        gen_str(g, "snippet");
        yajl_gen_string(g, (const unsigned char *)h->snippet, h->snippet_len);
        gen_str(g, "highlights");
        yajl_gen_array_open(g);
        for (size_t k = 0; k < h->n_highlights; k++) {
            yajl_gen_array_open(g);
            yajl_gen_integer(g, h->highlights[k].start);
            yajl_gen_integer(g, h->highlights[k].end);
            yajl_gen_array_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        fwrite(buf, 1, len, stdout);
        fputc('\n', stdout);
        yajl_gen_clear(g);
        yajl_gen_reset(g, NULL);
    }
    if (g)
        yajl_gen_free(g);
    else
        printf("%zu shown of %" PRIu64 " matching\n", res->n_hits, res->matches);
    exit_code = 0;
done:
    cred_corpus_free(c);
    free(a.pos);
    return exit_code;
}
