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

static pid_t redis_start(int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               (char *)NULL);
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

static void redis_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
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
