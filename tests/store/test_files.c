/* Block files and the write-ahead log: round trips, torn tails, and damage reported with its offset. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static const char magic[ST_MAGIC_LEN] = {'T', 'E', 'S', 'T', 'F', 'I', 'L', '\0'};

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/cred_store_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static void make_file(cred_buf *out)
{
    st_writer w;
    st_writer_begin(&w, magic, 1);
    char big[5000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 7);
    cr_assert_eq(st_writer_add(&w, 1, "hello", 5, ST_CODEC_RAW), 0);
    cr_assert_eq(st_writer_add(&w, 2, big, sizeof big, ST_CODEC_ZSTD), 0);
    cr_assert_eq(st_writer_finish(&w), 0);
    *out = w.b;
}

Test(store, block_file_round_trips_raw_and_compressed_sections, .init = setup, .fini = teardown)
{
    cred_buf b;
    make_file(&b);
    char path[128];
    snprintf(path, sizeof path, "%s/f", dir);
    cr_assert_eq(cred__write_file_atomic(path, b.ptr, b.len), 0);
    st_file f;
    cr_assert_eq(st_file_open(&f, path, magic, 1), 0);
    const uint8_t *p;
    size_t len;
    cr_assert_eq(st_file_raw(&f, 1, &p, &len), 0);
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(p, "hello", 5), 0);
    uint8_t *z;
    cr_assert_eq(st_file_inflate(&f, 2, &z, &len), 0);
    cr_assert_eq(len, 5000);
    cr_assert_eq(z[4999], 'a' + 4999 % 7);
    cr_assert_lt(st_file_find(&f, 2)->len, 200, "zstd section should be compressed");
    cr_assert_eq(st_file_verify(&f), 0);
    free(z);
    st_file_close(&f);
    cred_buf_free(&b);
}

Test(store, every_flipped_byte_is_reported_as_corrupt_with_an_offset)
{
    cred_buf b;
    make_file(&b);
    for (size_t i = ST_MAGIC_LEN; i < b.len; i++) {
        if (i >= 8 && i < 12)
            continue; /* the version field: checked below */
        uint8_t *copy = malloc(b.len);
        memcpy(copy, b.ptr, b.len);
        copy[i] ^= 0x20;
        st_file f;
        int rc = st_file_open_memory(&f, copy, b.len, "mem", magic, 1, false);
        cr_assert_eq(rc, CRED_ECORRUPT, "byte %zu: rc %d", i, rc);
        cr_assert_str_eq(cred_error_last()->file, "mem");
        cr_assert_leq(cred_error_last()->offset, b.len);
        free(copy);
    }
    st_file f;
    uint8_t *copy = malloc(b.len);
    memcpy(copy, b.ptr, b.len);
    copy[8] = 9;
    cr_assert_eq(st_file_open_memory(&f, copy, b.len, "mem", magic, 1, false), CRED_EVERSION);
    copy[0] = 'X';
    cr_assert_eq(st_file_open_memory(&f, copy, b.len, "mem", magic, 1, false), CRED_EFORMAT);
    for (size_t cut = 0; cut < b.len; cut += 7)
        cr_assert_neq(st_file_open_memory(&f, b.ptr, cut, "mem", magic, 1, false), 0, "truncated at %zu", cut);
    free(copy);
    cred_buf_free(&b);
}

typedef struct seen {
    int n;
    char last[64];
} seen;

static int collect(void *payload, const uint8_t *rec, size_t len)
{
    seen *s = payload;
    s->n++;
    snprintf(s->last, sizeof s->last, "%.*s", (int)len, (const char *)rec);
    return 0;
}

Test(store, log_replays_synced_records_and_truncates_a_torn_tail, .init = setup, .fini = teardown)
{
    char path[128];
    snprintf(path, sizeof path, "%s/wal.log", dir);
    cr_assert_eq(st_wal_create(path, 7), 0);
    st_wal w;
    cr_assert_eq(st_wal_open_append(&w, path, 7, ST_WAL_HEADER_LEN), 0);
    cr_assert_eq(st_wal_append(&w, "one", 3), 0);
    cr_assert_eq(st_wal_append(&w, "two", 3), 0);
    cr_assert_eq(st_wal_sync(&w), 0);
    uint64_t good = w.size;
    st_wal_close(&w);
    /* a torn record: header and half a payload */
    FILE *f = fopen(path, "ab");
    uint8_t h[ST_WAL_RECORD_HEAD] = {0};
    st_put32(h, 10);
    fwrite(h, 1, sizeof h, f);
    fwrite("three", 1, 5, f);
    fclose(f);
    uint64_t gen, end;
    seen s = {0, ""};
    cr_assert_eq(st_wal_replay(path, &gen, &end, collect, &s), 0);
    cr_assert_eq(gen, 7);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.last, "two");
    cr_assert_eq(end, good);
    cr_assert_eq(st_wal_open_append(&w, path, gen, end), 0);
    cr_assert_eq(st_wal_append(&w, "four", 4), 0);
    cr_assert_eq(st_wal_sync(&w), 0);
    st_wal_close(&w);
    seen s2 = {0, ""};
    cr_assert_eq(st_wal_replay(path, &gen, &end, collect, &s2), 0);
    cr_assert_eq(s2.n, 3);
    cr_assert_str_eq(s2.last, "four");
}

Test(store, log_damage_before_the_tail_is_corrupt_not_silently_dropped, .init = setup, .fini = teardown)
{
    char path[128];
    snprintf(path, sizeof path, "%s/wal.log", dir);
    cr_assert_eq(st_wal_create(path, 1), 0);
    st_wal w;
    cr_assert_eq(st_wal_open_append(&w, path, 1, ST_WAL_HEADER_LEN), 0);
    cr_assert_eq(st_wal_append(&w, "alpha", 5), 0);
    cr_assert_eq(st_wal_append(&w, "beta", 4), 0);
    cr_assert_eq(st_wal_sync(&w), 0);
    st_wal_close(&w);
    FILE *f = fopen(path, "r+b");
    fseek(f, ST_WAL_HEADER_LEN + ST_WAL_RECORD_HEAD + 1, SEEK_SET); /* inside "alpha" */
    fputc('X', f);
    fclose(f);
    uint64_t gen, end;
    seen s = {0, ""};
    cr_assert_eq(st_wal_replay(path, &gen, &end, collect, &s), CRED_ECORRUPT);
    cr_assert_eq(cred_error_last()->offset, ST_WAL_HEADER_LEN);
    cr_assert_str_eq(cred_error_last()->file, path);
}
