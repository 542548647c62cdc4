/*
 * credence serve: the HTTP API for group bots (README "Service"). The server runs on its own thread
 * pool; this thread only waits for signals: SIGHUP reloads rules and weights, SIGTERM and SIGINT stop
 * gracefully (no new connection, requests in flight finish, the corpus log is closed).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef CRED_RULES_DIR
#define CRED_RULES_DIR "rules"
#endif

static const cli_option options[] = {
    {"listen", 'l', "HOST:PORT", "address to serve on (default 127.0.0.1:8080; port 0 picks a free one)"},
    {"index", 'i', "DIR", "corpus directory for /v1/posts, search and ?remember=1 (created when absent)"},
    {"rules", 'r', "PATH", "rule file or directory (default: $CREDENCE_RULES, else the shipped rules/)"},
    {"weights", 'w', "FILE", "model weights written by `credence train` (default: the built-in model)"},
    {"token-file", 0, "FILE", "file holding the bearer token for write and admin endpoints"},
    {"auth-reads", 0, NULL, "read endpoints (score, search, posts/{id}, clusters, metrics) need the token too"},
    {"threads", 'j', "N", "HTTP worker threads (default: the number of cores)"},
    {"store", 0, "URL", "near-duplicate store: memory (default) or redis://HOST:PORT (the primary)"},
    {"store-replica", 0, "URL", "Redis read replica for lookups, redis://HOST:PORT (repeatable; writes go to --store)"},
    {"rate", 0, "N", "requests per second allowed per client address (default 1000; 0: no limit)"},
    {"burst", 0, "N", "burst of that limit (default 2 x rate)"},
    {"idle-timeout", 0, "S", "close connections silent for S seconds (default 5)"},
    {"threshold", 't', "J", "near-duplicate similarity threshold (default 0.45)"},
    {"ttl", 0, "S", "Redis store: expiry of stored keys in seconds (default 30 days)"},
    {"grace", 0, "MS", "on SIGTERM, wait at most MS milliseconds for requests in flight (default 10000)"},
    {"public", 0, NULL, "allow a listen address other than loopback"},
    {NULL, 0, NULL, NULL},
};

static int run(int argc, char **argv);

/* Every --store-replica value (the option is repeatable), comma-separated; NULL when none. */
static char *replicas_of(int argc, char **argv)
{
    size_t cap = 1;
    for (int i = 1; i < argc; i++)
        cap += strlen(argv[i]) + 1;
    char *out = calloc(1, cap);
    if (!out)
        return NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--store-replica") == 0 && i + 1 < argc)
            v = argv[++i];
        else if (strncmp(argv[i], "--store-replica=", 16) == 0)
            v = argv[i] + 16;
        if (v && *v) {
            if (*out)
                strcat(out, ",");
            strcat(out, v);
        }
    }
    if (!*out) {
        free(out);
        return NULL;
    }
    return out;
}

const cli_command cmd_serve = {
    "serve",
    "Serve the scoring API over HTTP (JSON in and out) for group bots.",
    "credence serve --listen 127.0.0.1:8080 [--index DIR] [--rules PATH] [--weights FILE] [--token-file F] [--threads N]",
    "Endpoints: POST /v1/score[?remember=1], POST /v1/posts, GET /v1/search?q=, GET /v1/posts/{id},\n"
    "GET /v1/clusters/{id}, POST /v1/admin/reload, GET /healthz, GET /readyz, GET /metrics.\n"
    "The token is read from a file, never from the command line. SIGHUP reloads rules and weights;\n"
    "SIGTERM stops gracefully. Exit: 0 after a clean stop; 2 bad options, rules, weights or address.",
    options,
    run,
};

static int run(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, &cmd_serve, argc, argv);
    if (rc) {
        free(a.pos);
        return rc == 1 ? 0 : 2;
    }
    int exit_code = 2;
    cred_server *srv = NULL;
    char *replicas = NULL;
    cred_server_options o = CRED_SERVER_OPTIONS_INIT;
    double threads = 0, rate = 1000, burst = 0, idle = 5, ttl = 30 * 86400.0, grace = 10000;
    if (a.npos) {
        cli_error(&a, 0, "unexpected argument '%s'", a.pos[0]);
        goto done;
    }
    if (!cli_get_double(&a, "threads", 0, 0, 64, &threads) || !cli_get_double(&a, "rate", 1000, 0, 1e9, &rate) ||
        !cli_get_double(&a, "burst", 0, 0, 1e9, &burst) || !cli_get_double(&a, "idle-timeout", 5, 1, 3600, &idle) ||
        !cli_get_double(&a, "threshold", 0.45, 0.05, 1.0, &o.threshold) ||
        !cli_get_double(&a, "ttl", ttl, 1, 1e9, &ttl) || !cli_get_double(&a, "grace", grace, 0, 3.6e6, &grace))
        goto done;
    o.listen = cli_get(&a, "listen", "127.0.0.1:8080");
    o.index_dir = cli_get(&a, "index", NULL);
    o.rules = cli_get(&a, "rules", NULL);
    if (!o.rules)
        o.rules = getenv("CREDENCE_RULES");
    if (!o.rules || !*o.rules)
        o.rules = CRED_RULES_DIR;
    o.weights = cli_get(&a, "weights", NULL);
    o.token_file = cli_get(&a, "token-file", NULL);
    o.store = cli_get(&a, "store", NULL);
    o.store_replicas = replicas = replicas_of(argc, argv);
    o.threads = (unsigned)threads;
    o.rate = rate > 0 ? rate : -1;
    o.burst = burst;
    o.idle_seconds = (unsigned)idle;
    o.ttl_seconds = (unsigned)ttl;
    if (cli_has(&a, "auth-reads"))
        o.flags |= CRED_SERVER_AUTH_READS;
    if (cli_has(&a, "public"))
        o.flags |= CRED_SERVER_ANY_ADDRESS;

    /* signals go to this thread only: block them before the pool threads start (they inherit the mask) */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = cred_server_start(&srv, &o)) < 0) {
        const cred_error *e = cred_error_last();
        if (e->file && e->line)
            fprintf(stderr, "%s:%llu:%llu: error: %s\n", e->file, (unsigned long long)e->line,
                    (unsigned long long)e->column, e->message);
        else
            cli_error(&a, rc, "cannot start");
        goto done;
    }
    fprintf(stderr, "credence serve: listening on http://%.*s:%u\n",
            (int)(strrchr(o.listen, ':') - o.listen), o.listen, cred_server_port(srv));
    fflush(stderr);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if ((rc = cred_server_reload(srv)) < 0)
                cli_error(&a, rc, "reload failed; the previous rules stay in use");
            else
                fprintf(stderr, "credence serve: rules and weights reloaded\n");
            continue;
        }
        fprintf(stderr, "credence serve: stopping\n");
        cred_server_stop(srv, (unsigned)grace);
        break;
    }
    exit_code = 0;
done:
    cred_server_free(srv);
    free(replicas);
    free(a.pos);
    return exit_code;
}
