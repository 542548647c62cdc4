/*
 * bench_whatsapp FILE...: read WhatsApp exports through cred_reader_* and print, per file,
 *   bench=whatsapp file=... bytes=... posts=... system=... seconds=... mb_per_s=... cpu_seconds=...
 *   mb_per_cpu_s=... peak_rss_mb=...   (mb_per_cpu_s: per core, fair on a loaded machine)
 * and, as the ceiling of the same run, bench=whatsapp_baseline (read + memchr line count of the file).
 * Make an input with gen_whatsapp (-style android|ios); keep it in /tmp.
 */
#include "credence.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static int baseline(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    static char buf[1 << 20];
    double t0 = now();
    unsigned long long bytes = 0, lines = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        bytes += (unsigned long long)n;
        for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))) != NULL; p++)
            lines++;
    }
    close(fd);
    double dt = now() - t0;
    printf("bench=whatsapp_baseline file=%s bytes=%llu lines=%llu seconds=%.3f mb_per_s=%.1f\n", path, bytes, lines,
           dt, (double)bytes / 1048576.0 / dt);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_whatsapp FILE...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        baseline(argv[i]);
        cred_reader *r;
        double t0 = now(), c0 = cpu_seconds();
        if (cred_reader_open(&r, argv[i], NULL) < 0) {
            fprintf(stderr, "%s\n", cred_error_last()->message);
            return 1;
        }
        const cred_post *p;
        int rc;
        unsigned long long text = 0;
        while ((rc = cred_reader_next(r, &p)) == 1)
            text += p->text_len;
        double dt = now() - t0, ct = cpu_seconds() - c0;
        const cred_reader_stats *st = cred_reader_stats_get(r);
        printf("bench=whatsapp file=%s format=%s bytes=%llu posts=%llu system=%llu skipped=%llu text_bytes=%llu "
               "seconds=%.3f mb_per_s=%.1f cpu_seconds=%.3f mb_per_cpu_s=%.1f peak_rss_mb=%.1f\n",
               argv[i], cred_format_name(cred_reader_format(r)), (unsigned long long)st->bytes,
               (unsigned long long)st->posts, (unsigned long long)st->system, (unsigned long long)st->skipped, text,
               dt, (double)st->bytes / 1048576.0 / dt, ct, (double)st->bytes / 1048576.0 / ct, peak_rss_mb());
        cred_reader_free(r);
        if (rc < 0)
            return 1;
    }
    return 0;
}
