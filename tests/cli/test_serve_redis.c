/*
 * `credence serve --store redis://...`: two instances share one memory of forwards through a real
 * redis-server on loopback (started here on a free port, no persistence), and a Redis restart in the
 * middle of the load is survived. Skipped when redis-server is not installed (CI installs it).
 */
#include <pthread.h>

#include "serve_helpers.h"

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    socklen_t n = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &n);
    close(fd);
    return ntohs(sa.sin_port);
}

/* Where the redis-server on `port` would keep its RDB file (a replica writes the one it receives). */
static void redis_rdb(char *out, size_t cap, int port)
{
    snprintf(out, cap, "cred_test_redis_%d.rdb", port);
}

/* A redis-server on loopback port `port`; a read replica of `primary` when that is not 0. Its files
 * go to /tmp, never to the working directory. */
static pid_t redis_start_replica(int port, int primary)
{
    char p[16], m[16], rdb[64];
    snprintf(p, sizeof p, "%d", port);
    snprintf(m, sizeof m, "%d", primary);
    redis_rdb(rdb, sizeof rdb, port);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        if (primary)
            execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "", "--appendonly",
                   "no", "--dir", "/tmp", "--dbfilename", rdb, "--replicaof", "127.0.0.1", m, (char *)NULL);
        else
            execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "", "--appendonly",
                   "no", "--dir", "/tmp", "--dbfilename", rdb, (char *)NULL);
        _exit(127);
    }
    for (double until = t_now() + 10; t_now() < until; t_sleep_ms(20)) {
        int fd = t_connect(port);
        if (fd >= 0) {
            close(fd);
            return pid;
        }
    }
    cr_assert_fail("redis-server did not start");
    return -1;
}

static pid_t redis_start(int port)
{
    return redis_start_replica(port, 0);
}

/* One inline command to the Redis on `port`; its whole answer (malloc'd). */
static char *redis_ask(int port, const char *cmd)
{
    int fd = t_connect(port);
    cr_assert(fd >= 0);
    char req[256];
    snprintf(req, sizeof req, "%s\r\nQUIT\r\n", cmd);
    cr_assert(t_send_all(fd, req, strlen(req)));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (ssize_t k; len + 1 < cap && (k = recv(fd, buf + len, cap - len - 1, 0)) > 0;)
        len += (size_t)k;
    buf[len] = '\0';
    close(fd);
    return buf;
}

/* Calls of one command in INFO commandstats ("cmdstat_evalsha_ro:calls=N,..."), 0 when never called. */
static long redis_calls(int port, const char *command)
{
    char *info = redis_ask(port, "INFO commandstats");
    char key[64];
    snprintf(key, sizeof key, "cmdstat_%s:calls=", command);
    const char *p = strstr(info, key);
    long n = p ? atol(p + strlen(key)) : 0;
    free(info);
    return n;
}

static void redis_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static void redis_rdb_remove(int port)
{
    char rdb[64], path[80];
    redis_rdb(rdb, sizeof rdb, port);
    snprintf(path, sizeof path, "/tmp/%s", rdb);
    unlink(path);
}

static bool have_redis(void)
{
    return system("command -v redis-server >/dev/null 2>&1") == 0;
}

Test(serve_redis, two_instances_share_one_memory_of_forwards)
{
    if (!have_redis())
        cr_skip_test("redis-server is not installed");
    int rp = free_port();
    pid_t redis = redis_start(rp);
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", rp);
    server a, b;
    server_start(&a, "--store", url, NULL);
    server_start(&b, "--store", url, NULL);
    reply r = http(a.port, "POST", "/v1/score?remember=1", AUTH,
                   "{\"id\":\"r1\",\"text\":\"Boil garlic in milk for ten minutes and the fever is gone by "
                   "morning, pass it on\",\"source\":\"Group A\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    reply_free(&r);
    r = http(b.port, "POST", "/v1/score", NULL,
             "{\"id\":\"r2\",\"text\":\"Boil garlic in milk for ten minutes and the fever is gone by morning, "
             "pass it on!!\",\"source\":\"Group B\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"origin\":\"r1\""), "instance b did not see what a stored: %s", r.body);
    cr_expect(strstr(r.body, "near_duplicate"), "%s", r.body);
    reply_free(&r);
    r = http(b.port, "GET", "/v1/clusters/r1", NULL, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    reply_free(&r);
    r = http(b.port, "GET", "/metrics", NULL, NULL);
    cr_expect(strstr(r.body, "credence_dup_store_posts{store=\"redis\"} 1"), "%s", r.body);
    reply_free(&r);
    server_cleanup(&a);
    server_cleanup(&b);
    redis_stop(redis);
}

typedef struct load {
    int port;
    volatile int stop;
    int ok, failed, n;
} load;

static void *load_main(void *arg)
{
    load *l = arg;
    while (!l->stop) {
        char body[256];
        snprintf(body, sizeof body, "{\"text\":\"Doctors confirm message number %d about the water\"}",
                 __atomic_add_fetch(&l->n, 1, __ATOMIC_RELAXED));
        reply r = http(l->port, "POST", "/v1/score?remember=1", AUTH, body);
        if (r.status == 200)
            __atomic_add_fetch(&l->ok, 1, __ATOMIC_RELAXED);
        else
            __atomic_add_fetch(&l->failed, 1, __ATOMIC_RELAXED);
        reply_free(&r);
    }
    return NULL;
}

Test(serve_redis, survives_a_redis_restart_under_load)
{
    if (!have_redis())
        cr_skip_test("redis-server is not installed");
    int rp = free_port();
    pid_t redis = redis_start(rp);
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", rp);
    server s;
    server_start(&s, "--store", url, "--rate", "0", NULL);
    load l = {s.port, 0, 0, 0, 0};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, load_main, &l);
    t_sleep_ms(400);
    redis_stop(redis); /* requests degrade to the local store */
    t_sleep_ms(600);
    redis = redis_start(rp);
    t_sleep_ms(1000); /* and go back to Redis */
    l.stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    cr_expect_eq(l.failed, 0, "%d of %d requests failed", l.failed, l.ok + l.failed);
    reply r = http(s.port, "GET", "/metrics", NULL, NULL);
    const char *p = strstr(r.body, "credence_dup_store_posts{store=\"redis\"} ");
    cr_expect(p && atoi(p + strlen("credence_dup_store_posts{store=\"redis\"} ")) > 0,
              "nothing reached the restarted Redis: %s", r.body);
    reply_free(&r);
    server_cleanup(&s);
    redis_stop(redis);
}

Test(serve_redis, looks_up_on_a_read_replica_and_writes_to_the_primary)
{
    if (!have_redis())
        cr_skip_test("redis-server is not installed");
    int pp = free_port();
    pid_t primary = redis_start(pp);
    int rp = free_port();
    pid_t replica = redis_start_replica(rp, pp);
    char *role = NULL;
    for (double until = t_now() + 10; t_now() < until; t_sleep_ms(50)) { /* the replica has synced */
        free(role);
        role = redis_ask(rp, "INFO replication");
        if (strstr(role, "master_link_status:up"))
            break;
    }
    cr_assert(strstr(role, "master_link_status:up"), "the replica did not sync: %s", role);
    free(role);
    char url[64], rurl[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", pp);
    snprintf(rurl, sizeof rurl, "--store-replica=redis://127.0.0.1:%d", rp);
    server a, b;
    server_start(&a, "--store", url, rurl, NULL);
    server_start(&b, "--store", url, rurl, NULL);
    reply r = http(a.port, "POST", "/v1/score?remember=1", AUTH,
                   "{\"id\":\"q1\",\"text\":\"Put an onion in your sock at night and it pulls the flu out of your "
                   "body, my aunt swears by it\",\"source\":\"Group A\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    reply_free(&r);
    cr_expect_gt(redis_calls(pp, "exec"), 0, "the write went to the primary");
    /* instance b reads from the replica */
    bool seen = false;
    for (double until = t_now() + 5; !seen && t_now() < until; t_sleep_ms(50)) {
        r = http(b.port, "POST", "/v1/score", NULL,
                 "{\"id\":\"q2\",\"text\":\"Put an onion in your sock at night and it pulls the flu out of your "
                 "body, my aunt swears by it!!\",\"source\":\"Group B\"}");
        cr_assert_eq(r.status, 200, "%s", r.body);
        seen = strstr(r.body, "\"origin\":\"q1\"") != NULL;
        reply_free(&r);
    }
    cr_expect(seen, "instance b never saw what a stored");
    cr_expect_gt(redis_calls(rp, "evalsha_ro"), 0, "no lookup reached the replica");
    cr_expect_eq(redis_calls(pp, "evalsha_ro"), 0, "a lookup went to the primary while the replica was up");
    server_cleanup(&a);
    server_cleanup(&b);
    /* a replica that cannot be reached: lookups go to the primary */
    server c;
    server_start(&c, "--store", url, "--store-replica", "redis://127.0.0.1:1", NULL);
    r = http(c.port, "POST", "/v1/score", NULL,
             "{\"id\":\"q3\",\"text\":\"Put an onion in your sock at night and it pulls the flu out of your "
             "body, my aunt swears by it\",\"source\":\"Group C\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"origin\":\"q1\""), "%s", r.body);
    reply_free(&r);
    cr_expect_gt(redis_calls(pp, "evalsha_ro"), 0, "the primary did not answer for the missing replica");
    server_cleanup(&c);
    /* a bad replica address is an error at start */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s serve --listen 127.0.0.1:0 --store %s --store-replica http://x 2>/dev/null",
             getenv("CRED_BIN"), url);
    int st = system(cmd);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d", st);
    snprintf(cmd, sizeof cmd, "%s serve --listen 127.0.0.1:0 --store-replica %s 2>/dev/null", getenv("CRED_BIN"),
             url);
    st = system(cmd);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2, "a replica without a Redis primary: status %d", st);
    redis_stop(replica);
    redis_stop(primary);
    redis_rdb_remove(rp);
    redis_rdb_remove(pp);
}

Test(serve_redis, a_new_message_costs_one_probe_and_a_copy_runs_the_script)
{
    if (!have_redis())
        cr_skip_test("redis-server is not installed");
    int rp = free_port();
    pid_t redis = redis_start(rp);
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", rp);
    server s;
    server_start(&s, "--store", url, NULL);
    const char *t1 = "Boil garlic in milk for ten minutes and the fever is gone by morning, pass it on";
    char body[512];
    snprintf(body, sizeof body, "{\"id\":\"s1\",\"text\":\"%s\",\"source\":\"Group A\"}", t1);
    reply r = http(s.port, "POST", "/v1/score?remember=1", AUTH, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    reply_free(&r);
    /* a message nothing resembles: the pipelined probe answers, the script never runs */
    r = http(s.port, "POST", "/v1/score", NULL,
             "{\"id\":\"n1\",\"text\":\"The study group meets on Thursday at six in room 4, bring the notes\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"relation\":\"none\""), "%s", r.body);
    cr_expect(strstr(r.body, "\"cluster\":{\"id\":\"n1\",\"size\":1"), "%s", r.body);
    reply_free(&r);
    cr_expect_eq(redis_calls(rp, "evalsha_ro"), 0, "the script ran for messages no key knows");
    cr_expect_geq(redis_calls(rp, "exists"), 2);
    /* the stored post's id with a new text: no copy, and its own cluster's counters (1 + this one) */
    r = http(s.port, "POST", "/v1/score", NULL,
             "{\"id\":\"s1\",\"text\":\"Completely different words about a football match on Sunday evening\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"cluster\":{\"id\":\"s1\",\"size\":2"), "%s", r.body);
    reply_free(&r);
    cr_expect_eq(redis_calls(rp, "evalsha_ro"), 0);
    /* a copy: the keys exist, so the script compares the candidates */
    snprintf(body, sizeof body, "{\"id\":\"c1\",\"text\":\"%s!!\",\"source\":\"Group B\"}", t1);
    r = http(s.port, "POST", "/v1/score", NULL, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"origin\":\"s1\""), "%s", r.body);
    reply_free(&r);
    cr_expect_eq(redis_calls(rp, "evalsha_ro"), 1);
    server_cleanup(&s);
    redis_stop(redis);
}
