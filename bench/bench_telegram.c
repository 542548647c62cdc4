/*
 * Telegram reader benchmark: open a result.json with the reader (format detection, repair filter,
 * yajl callbacks, message assembly, cred_post records) and read every post, on one core. The peer in
 * the same run is yajl alone with no callbacks over the same bytes in the same 1 MiB chunks: the
 * ceiling the reader can approach.
 *
 *   bench_telegram FILE              (e.g. gen_telegram -size-mb 1024 > /tmp/big.json)
 * Prints: bench=telegram bytes=... posts=... seconds=... mb_per_s=... cpu_seconds=... mb_per_cpu_s=...
 *         peak_rss_mb=...   and   bench=yajl_no_callbacks bytes=... seconds=... mb_per_s=... (likewise)
 * mb_per_s is wall time; mb_per_cpu_s (user + system CPU time) is the per-core figure on a busy machine.
 * Peak RSS is measured after the reader run, before the peer (which uses a fixed 1 MiB buffer).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "credence.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds (user + system) used so far: on a shared machine this, not wall time, is "per core". */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static int yajl_peer(const char *path, unsigned long long *bytes)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    yajl_handle h = yajl_alloc(NULL, NULL, NULL);
    yajl_config(h, yajl_dont_validate_strings, 1);
    static unsigned char buf[1 << 20];
    ssize_t n;
    int rc = 0;
    *bytes = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        *bytes += (unsigned long long)n;
        if (yajl_parse(h, buf, (size_t)n) != yajl_status_ok) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && yajl_complete_parse(h) != yajl_status_ok)
        rc = -1;
    yajl_free(h);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_telegram FILE\n");
        return 2;
    }
    double t0 = now(), c0 = cpu_seconds();
    cred_reader *r;
    int rc = cred_reader_open(&r, argv[1], NULL);
    if (rc < 0) {
        fprintf(stderr, "bench_telegram: %s\n", cred_error_last()->message);
        return 1;
    }
    const cred_post *p;
    unsigned long long posts = 0, text_bytes = 0, links = 0;
    while ((rc = cred_reader_next(r, &p)) == 1) {
        posts++;
        text_bytes += p->text_len;
        links += p->n_links;
    }
    double secs = now() - t0, cpu = cpu_seconds() - c0;
    if (rc < 0) {
        fprintf(stderr, "bench_telegram: %s\n", cred_error_last()->message);
        return 1;
    }
    const cred_reader_stats *st = cred_reader_stats_get(r);
    printf("bench=telegram format=%s bytes=%llu posts=%llu system=%llu text_bytes=%llu links=%llu seconds=%.3f "
           "mb_per_s=%.1f cpu_seconds=%.3f mb_per_cpu_s=%.1f peak_rss_mb=%.1f\n",
           cred_format_name(cred_reader_format(r)), (unsigned long long)st->bytes, posts,
           (unsigned long long)st->system, text_bytes, links, secs, (double)st->bytes / secs / 1e6, cpu,
           (double)st->bytes / cpu / 1e6, peak_rss_mb());
    cred_reader_free(r);
    unsigned long long bytes;
    t0 = now();
    c0 = cpu_seconds();
    if (yajl_peer(argv[1], &bytes) < 0) {
        fprintf(stderr, "bench_telegram: yajl could not parse %s\n", argv[1]);
        return 1;
    }
    secs = now() - t0;
    cpu = cpu_seconds() - c0;
    printf("bench=yajl_no_callbacks bytes=%llu seconds=%.3f mb_per_s=%.1f cpu_seconds=%.3f mb_per_cpu_s=%.1f\n", bytes,
           secs, (double)bytes / secs / 1e6, cpu, (double)bytes / cpu / 1e6);
    return 0;
}
