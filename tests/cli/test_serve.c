/*
 * `credence serve` as a bot talks to it: endpoints, the record, auth, limits, errors, slow clients,
 * reload under load, graceful SIGTERM and SIGKILL during ingest. Loopback only; each test runs its
 * own server on a free port with the small demo rule pack.
 */
#include <pthread.h>

#include "serve_helpers.h"

static const char *POST_A = "{\"id\":\"m1\",\"text\":\"URGENT: Doctors confirmed that lemon water kills the virus. "
                            "Share before they delete it!\",\"source\":\"Family\",\"forwarded_from\":\"unknown\"}";

Test(serve, answers_health_ready_and_scores_a_post_with_reasons_and_spans)
{
    server s;
    server_start(&s, NULL);
    reply r = http(s.port, "GET", "/healthz", NULL, NULL);
    cr_expect_eq(r.status, 200);
    reply_free(&r);
    r = http(s.port, "GET", "/readyz", NULL, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "ready"));
    reply_free(&r);
    r = http(s.port, "POST", "/v1/score", NULL, POST_A);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.head, "application/json"));
    cr_expect(strstr(r.body, "\"id\":\"m1\""));
    cr_expect(strstr(r.body, "\"validity\":"));
    cr_expect(strstr(r.body, "\"verdict\":\"unreliable\""), "%s", r.body);
    cr_expect(strstr(r.body, "\"rule\":\"VAGUE_AUTHORITY\""));
    cr_expect(strstr(r.body, "\"quote\":\"Doctors confirmed\",\"start\":8,\"end\":25"), "%s", r.body);
    cr_expect(strstr(r.body, "\"duplicate\":{\"relation\":\"none\""));
    reply_free(&r);
    /* a pretty-printed body is one record too */
    r = http(s.port, "POST", "/v1/score", NULL, "{\n  \"text\": \"Meeting at 6pm\",\n  \"author\": \"Ana\"\n}\n");
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"author\":\"Ana\""));
    reply_free(&r);
    cr_expect_eq(server_stop(&s), 0);
    server_cleanup(&s);
}

Test(serve, returns_the_record_credence_score_writes)
{
    server s;
    server_start(&s, NULL);
    char path[128], cmd[2048];
    snprintf(path, sizeof path, "%s/in.jsonl", s.dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", POST_A);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s score --rules %s %s > %s/out.jsonl 2>/dev/null", getenv("CRED_BIN"), demo_rules(),
             path, s.dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/out.jsonl", s.dir);
    char *cli = t_slurp(path);
    char *line = strstr(cli, ",\"line\":1"); /* the only field an HTTP body has no use for */
    cr_assert(line);
    memmove(line, line + 9, strlen(line + 9) + 1);
    reply r = http(s.port, "POST", "/v1/score", NULL, POST_A);
    cr_assert_eq(r.status, 200);
    cr_expect_str_eq(r.body, cli);
    reply_free(&r);
    free(cli);
    server_cleanup(&s);
}

Test(serve, remembers_posts_and_reports_where_a_forward_was_seen_before)
{
    server s;
    server_start_indexed(&s, NULL);
    reply r = http(s.port, "POST", "/v1/score?remember=1", AUTH,
                   "{\"id\":\"o1\",\"text\":\"Drinking hot water every 15 minutes kills the virus in your throat, "
                   "tell your family\",\"source\":\"Group A\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    reply_free(&r);
    r = http(s.port, "POST", "/v1/score", NULL,
             "{\"id\":\"c1\",\"text\":\"Drinking hot water every 15 minutes kills the virus in your throat, "
             "tell your family!!\",\"source\":\"Group B\"}");
    cr_assert_eq(r.status, 200);
    cr_expect(strstr(r.body, "\"origin\":\"o1\""), "%s", r.body);
    cr_expect(strstr(r.body, "near_duplicate"), "%s", r.body);
    reply_free(&r);
    r = http(s.port, "GET", "/v1/clusters/o1", NULL, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "\"size\":1"), "%s", r.body);
    reply_free(&r);
    r = http(s.port, "GET", "/v1/posts/o1", NULL, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "hot water"));
    reply_free(&r);
    r = http(s.port, "GET", "/v1/search?q=throat", NULL, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"id\":\"o1\""), "%s", r.body);
    reply_free(&r);
    r = http(s.port, "GET", "/v1/posts/nope", NULL, NULL);
    cr_expect_eq(r.status, 404);
    cr_expect(strstr(r.body, "\"error\":\"not_found\""));
    reply_free(&r);
    cr_expect_eq(server_stop(&s), 0);
    server_cleanup(&s);
}

Test(serve, finds_an_earlier_copy_stored_in_the_corpus_after_a_restart)
{
    server s;
    server_start_indexed(&s, NULL);
    reply r = http(s.port, "POST", "/v1/posts", AUTH,
                   "{\"id\":\"k1\",\"text\":\"Gargling salt water twice a day protects you from the new flu, doctors "
                   "say, share it now\",\"source\":\"Group A\",\"date\":\"2024-03-01T08:00:00Z\"}\n"
                   "{\"id\":\"k2\",\"text\":\"Gargling salt water twice a day protects you from the new flu, doctors "
                   "say, share it now!!\",\"source\":\"Group B\",\"date\":\"2024-03-02T08:00:00Z\"}\n");
    cr_assert_eq(r.status, 200, "%s", r.body);
    reply_free(&r);
    cr_assert_eq(server_stop(&s), 0);
    /* a new process: its near-duplicate memory is empty, the corpus still knows both posts */
    server_start_in(&s, s.dir, "--index", s.idx, NULL);
    const char *copy = "{\"id\":\"k3\",\"text\":\"Gargling salt water twice a day protects you from the new flu, "
                       "doctors say. Share it now\",\"source\":\"Group C\",\"date\":\"2024-03-05T08:00:00Z\"}";
    r = http(s.port, "POST", "/v1/score", NULL, copy);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"relation\":\"exact\"") || strstr(r.body, "\"relation\":\"near\""), "%s", r.body);
    cr_expect(strstr(r.body, "\"origin\":\"k1\""), "%s", r.body);
    cr_expect(strstr(r.body, "\"parent\":\"k"), "%s", r.body);
    cr_expect(strstr(r.body, "\"cluster\":{\"id\":\"k1\",\"size\":3,\"sources\":2,"
                             "\"first_seen\":\"2024-03-01T08:00:00Z\",\"last_seen\":\"2024-03-05T08:00:00Z\"}"),
              "the cluster as stored plus this post: %s", r.body);
    reply_free(&r);
    /* dated before anything stored: nothing was seen before it */
    r = http(s.port, "POST", "/v1/score", NULL,
             "{\"id\":\"k0\",\"text\":\"Gargling salt water twice a day protects you from the new flu, doctors say, "
             "share it now\",\"date\":\"2024-01-01T08:00:00Z\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"relation\":\"none\""), "%s", r.body);
    reply_free(&r);
    cr_expect_eq(server_stop(&s), 0);
    /* without --index the corpus is not consulted */
    server_start_in(&s, s.dir, NULL);
    r = http(s.port, "POST", "/v1/score", NULL, copy);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"relation\":\"none\""), "%s", r.body);
    reply_free(&r);
    server_cleanup(&s);
}

Test(serve, reports_the_stored_cluster_of_a_post_only_the_corpus_knows)
{
    server s;
    server_start_indexed(&s, NULL);
    reply r = http(s.port, "POST", "/v1/posts", AUTH,
                   "{\"id\":\"k1\",\"text\":\"Gargling salt water twice a day protects you from the new flu, doctors "
                   "say, share it now\",\"source\":\"Group A\",\"date\":\"2024-03-01T08:00:00Z\"}\n"
                   "{\"id\":\"k2\",\"text\":\"Gargling salt water twice a day protects you from the new flu, doctors "
                   "say, share it now!!\",\"source\":\"Group B\",\"date\":\"2024-03-02T08:00:00Z\"}\n"
                   "{\"id\":\"k3\",\"text\":\"Gargling salt water twice a day protects you from the new flu, doctors "
                   "say, share it now\",\"source\":\"Group A\",\"date\":\"2024-03-04T08:00:00Z\"}\n"
                   "{\"id\":\"k4\",\"text\":\"Lemon tea in the morning is a nice habit for a calm day at the office\","
                   "\"source\":\"Group C\",\"date\":\"2024-03-03T08:00:00Z\"}\n");
    cr_assert_eq(r.status, 200, "%s", r.body);
    reply_free(&r);
    cr_assert_eq(server_stop(&s), 0);
    /* a new process: the store's memory is empty, the corpus answers with the cluster's figures */
    server_start_in(&s, s.dir, "--index", s.idx, NULL);
    r = http(s.port, "GET", "/v1/clusters/k2", NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "{\"id\":\"k1\",\"post\":\"k2\",\"relation\":\"exact\",\"size\":3,\"sources\":2,"
                             "\"origin_source\":\"Group A\",\"first_seen\":\"2024-03-01T08:00:00Z\","
                             "\"last_seen\":\"2024-03-04T08:00:00Z\"}"),
              "%s", r.body);
    reply_free(&r);
    r = http(s.port, "GET", "/v1/clusters/k4", NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "{\"id\":\"k4\",\"post\":\"k4\",\"relation\":\"none\",\"size\":1,\"sources\":1,"
                             "\"origin_source\":\"Group C\",\"first_seen\":\"2024-03-03T08:00:00Z\","
                             "\"last_seen\":\"2024-03-03T08:00:00Z\"}"),
              "%s", r.body);
    reply_free(&r);
    r = http(s.port, "GET", "/v1/clusters/nope", NULL, NULL);
    cr_expect_eq(r.status, 404, "%s", r.body);
    reply_free(&r);
    cr_expect_eq(server_stop(&s), 0);
    server_cleanup(&s);
}

Test(serve, ingests_json_lines_and_arrays_and_acknowledges_durable_posts)
{
    server s;
    server_start_indexed(&s, NULL);
    reply r = http(s.port, "POST", "/v1/posts", AUTH,
                   "{\"id\":\"b1\",\"text\":\"Vaccines are tested in three phases\"}\n{\"id\":\"b2\",\"text\":\"x\"}\nnot json\n");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"accepted\":2,\"rejected\":1,\"durable\":true"), "%s", r.body);
    reply_free(&r);
    r = http(s.port, "POST", "/v1/posts", AUTH, "[{\"id\":\"b3\",\"text\":\"one, two [x]\"},\n {\"id\":\"b4\",\"text\":\"y\"}]");
    cr_expect(strstr(r.body, "\"accepted\":2,\"rejected\":0"), "%s", r.body);
    reply_free(&r);
    r = http(s.port, "POST", "/v1/posts", NULL, "{\"text\":\"x\"}");
    cr_expect_eq(r.status, 401);
    reply_free(&r);
    r = http(s.port, "GET", "/v1/posts/b3", NULL, NULL);
    cr_expect_eq(r.status, 200);
    reply_free(&r);
    r = http(s.port, "GET", "/metrics", NULL, NULL);
    cr_expect(strstr(r.body, "credence_corpus_posts 4"), "%s", r.body);
    cr_expect(strstr(r.body, "credence_http_request_duration_seconds_bucket{endpoint=\"posts\",le=\"+Inf\"} 3"));
    cr_expect(strstr(r.head, "text/plain"));
    reply_free(&r);
    server_cleanup(&s);
}

Test(serve, answers_errors_as_json_with_stable_codes)
{
    server s;
    server_start(&s, NULL);
    static const struct {
        const char *method, *path, *headers, *body;
        int status;
        const char *code;
    } cases[] = {
        {"GET", "/nope", NULL, NULL, 404, "not_found"},
        {"GET", "/v1/score", NULL, NULL, 405, "method_not_allowed"},
        {"POST", "/v1/score", NULL, "{\"text\":\"unterminated", 400, "bad_json"},
        {"POST", "/v1/score", NULL, "[{\"text\":\"a\"}]", 400, "bad_json"},
        {"POST", "/v1/score", NULL, "{\"author\":\"x\"}", 400, "missing_text"},
        {"POST", "/v1/score", "Content-Length: 5000000\r\n", NULL, 413, "body_too_large"},
        {"POST", "/v1/posts", AUTH, "{\"text\":\"x\"}", 501, "no_index"},
        {"GET", "/v1/search?q=x", NULL, NULL, 501, "no_index"},
        {"POST", "/v1/admin/reload", NULL, NULL, 401, "unauthorized"},
        {"POST", "/v1/admin/reload", "Authorization: Bearer wrong-token-0123456789\r\n", NULL, 401, "unauthorized"},
        {"POST", "/v1/score?remember=1", NULL, "{\"text\":\"x\"}", 401, "unauthorized"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        reply r = http(s.port, cases[i].method, cases[i].path, cases[i].headers, cases[i].body);
        cr_expect_eq(r.status, cases[i].status, "%s %s: %d %s", cases[i].method, cases[i].path, r.status, r.body);
        char want[64];
        snprintf(want, sizeof want, "{\"error\":\"%s\",\"message\":", cases[i].code);
        cr_expect(strncmp(r.body, want, strlen(want)) == 0, "%s %s: %s", cases[i].method, cases[i].path, r.body);
        cr_expect(!strstr(r.body, TOKEN) && !strstr(r.body, "wrong-token"), "a token was echoed");
        reply_free(&r);
    }
    /* a text longer than the limit, in a body within it */
    size_t n = (64u << 10) + 10;
    char *big = malloc(n + 32);
    strcpy(big, "{\"text\":\"");
    memset(big + 9, 'a', n);
    strcpy(big + 9 + n, "\"}");
    reply r = http(s.port, "POST", "/v1/score", NULL, big);
    cr_expect_eq(r.status, 413);
    cr_expect(strstr(r.body, "text_too_long"));
    reply_free(&r);
    free(big);
    r = http(s.port, "POST", "/v1/admin/reload", AUTH, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"generation\":2"));
    reply_free(&r);
    char *log = t_slurp(s.log);
    cr_expect(!strstr(log, TOKEN));
    free(log);
    server_cleanup(&s);
}

Test(serve, refuses_a_non_loopback_address_unless_told)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s serve --listen 0.0.0.0:0 --rules %s 2>/dev/null", getenv("CRED_BIN"), demo_rules());
    int st = system(cmd);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

Test(serve, limits_the_rate_per_client)
{
    server s;
    server_start(&s, "--rate", "5", "--burst", "5", NULL);
    int ok = 0, limited = 0;
    for (int i = 0; i < 15; i++) {
        reply r = http(s.port, "POST", "/v1/score", NULL, "{\"text\":\"hello\"}");
        ok += r.status == 200;
        if (r.status == 429) {
            limited++;
            cr_expect(strstr(r.body, "\"error\":\"rate_limited\""));
            cr_expect(strstr(r.head, "Retry-After"));
        }
        reply_free(&r);
    }
    cr_expect(ok >= 5 && ok <= 8, "%d ok", ok);
    cr_expect(limited >= 7, "%d limited", limited);
    reply r = http(s.port, "GET", "/healthz", NULL, NULL); /* health checks are never limited */
    cr_expect_eq(r.status, 200);
    reply_free(&r);
    server_cleanup(&s);
}

Test(serve, cuts_off_a_slowloris_client_while_others_get_answers)
{
    server s;
    server_start(&s, "--idle-timeout", "1", NULL);
    int slow = t_connect(s.port);
    cr_assert(slow >= 0);
    const char *req = "POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    double start = t_now(), cut = 0, worst = 0;
    for (size_t i = 0; req[i] && !cut; i++) {
        if (!t_send_all(slow, req + i, 1)) {
            cut = t_now() - start;
            break;
        }
        /* meanwhile another client is served quickly */
        double t = t_now();
        reply r = http(s.port, "GET", "/healthz", NULL, NULL);
        cr_expect_eq(r.status, 200);
        reply_free(&r);
        if (t_now() - t > worst)
            worst = t_now() - t;
        t_sleep_ms(1500 - (int)((t_now() - t) * 1000));
        char c;
        struct timeval tv = {0, 1000};
        setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (recv(slow, &c, 1, MSG_DONTWAIT) == 0)
            cut = t_now() - start;
    }
    cr_expect(cut > 0 && cut < 6, "the slow client was not cut off (%.1f s)", cut);
    cr_expect(worst < 0.5, "a concurrent client waited %.3f s", worst);
    close(slow);
    server_cleanup(&s);
}

typedef struct load {
    int port;
    volatile int stop;
    int ok, failed;
} load;

static void *load_main(void *arg)
{
    load *l = arg;
    while (!l->stop) {
        reply r = http(l->port, "POST", "/v1/score", NULL, POST_A);
        if (r.status == 200 && strstr(r.body, "\"validity\""))
            __atomic_add_fetch(&l->ok, 1, __ATOMIC_RELAXED);
        else
            __atomic_add_fetch(&l->failed, 1, __ATOMIC_RELAXED);
        reply_free(&r);
    }
    return NULL;
}

Test(serve, reloads_under_load_without_dropping_a_request)
{
    server s;
    server_start(&s, "--rate", "0", NULL);
    load l = {s.port, 0, 0, 0};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, load_main, &l);
    for (int i = 0; i < 4; i++) {
        t_sleep_ms(150);
        reply r = http(s.port, "POST", "/v1/admin/reload", AUTH, NULL);
        cr_expect_eq(r.status, 200, "%s", r.body);
        reply_free(&r);
        t_sleep_ms(100);
        kill(s.pid, SIGHUP); /* the signal reloads too */
    }
    t_sleep_ms(200);
    l.stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    cr_expect_eq(l.failed, 0, "%d of %d requests failed", l.failed, l.ok + l.failed);
    cr_expect(l.ok > 20, "%d requests", l.ok);
    reply r = http(s.port, "GET", "/metrics", NULL, NULL);
    cr_expect(strstr(r.body, "credence_reloads_total 8"), "%s", r.body);
    cr_expect(strstr(r.body, "credence_rule_hits_total{rule=\"VAGUE_AUTHORITY\"}"));
    reply_free(&r);
    cr_expect_eq(server_stop(&s), 0);
    server_cleanup(&s);
}

Test(serve, finishes_a_request_in_flight_on_sigterm)
{
    server s;
    server_start(&s, NULL);
    int fd = t_connect(s.port);
    cr_assert(fd >= 0);
    size_t n = strlen(POST_A);
    char head[256];
    int h = snprintf(head, sizeof head,
                     "POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n", n);
    t_send_all(fd, head, (size_t)h);
    t_send_all(fd, POST_A, n / 2);
    t_sleep_ms(200);
    kill(s.pid, SIGTERM);
    t_sleep_ms(300);
    int other = t_connect(s.port); /* no new connection is accepted while stopping */
    cr_expect(other < 0, "a new connection was accepted while stopping");
    if (other >= 0)
        close(other);
    t_send_all(fd, POST_A + n / 2, n - n / 2);
    reply r = t_read_reply(fd);
    close(fd);
    cr_expect_eq(r.status, 200, "the request in flight got %d", r.status);
    cr_expect(strstr(r.body, "\"id\":\"m1\""));
    reply_free(&r);
    int st;
    double until = t_now() + 10;
    while (waitpid(s.pid, &st, WNOHANG) != s.pid && t_now() < until)
        t_sleep_ms(10);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    s.pid = 0;
    server_cleanup(&s);
}

typedef struct ingest {
    int port;
    volatile int stop;
    char acked[4096][16];
    int n_acked;
} ingest;

static void *ingest_main(void *arg)
{
    ingest *g = arg;
    for (int b = 0; !g->stop && g->n_acked + 10 < 4096; b++) {
        char body[4096];
        size_t n = 0;
        for (int k = 0; k < 10; k++)
            n += (size_t)snprintf(body + n, sizeof body - n,
                                  "{\"id\":\"k%d-%d\",\"text\":\"post %d of batch %d about vaccines and water\"}\n", b, k,
                                  k, b);
        reply r = http(g->port, "POST", "/v1/posts", AUTH, body);
        if (r.status == 200 && strstr(r.body, "\"durable\":true"))
            for (int k = 0; k < 10; k++)
                snprintf(g->acked[g->n_acked++], 16, "k%d-%d", b, k);
        reply_free(&r);
        if (r.status == 0)
            break;
    }
    return NULL;
}

Test(serve, loses_no_acknowledged_post_when_killed_during_ingest)
{
    server s;
    server_start_indexed(&s, "--rate", "0", NULL);
    ingest *g = calloc(1, sizeof *g);
    g->port = s.port;
    pthread_t th;
    pthread_create(&th, NULL, ingest_main, g);
    t_sleep_ms(800);
    kill(s.pid, SIGKILL);
    int st;
    waitpid(s.pid, &st, 0);
    g->stop = 1;
    pthread_join(th, NULL);
    cr_assert(g->n_acked > 0, "nothing was acknowledged before the kill");
    server_start_in(&s, s.dir, "--index", s.idx, "--rate", "0", NULL);
    int missing = 0;
    for (int i = 0; i < g->n_acked; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/posts/%s", g->acked[i]);
        reply r = http(s.port, "GET", path, NULL, NULL);
        missing += r.status != 200;
        reply_free(&r);
    }
    cr_expect_eq(missing, 0, "%d of %d acknowledged posts lost", missing, g->n_acked);
    free(g);
    server_cleanup(&s);
}
