/*
 * Internal interface of engine/store/: the durable building blocks of a corpus directory.
 *
 *   file.c  block files: magic, format version, sections (raw or zstd) each with an XXH64 checksum,
 *           a section table and a footer with a whole-file checksum; written into memory and then
 *           atomically to disk (temp, fsync, rename, directory fsync); read through mmap (or from a
 *           caller's buffer) with every offset and checksum checked before anything is trusted.
 *   wal.c   the write-ahead log: a header (magic, version, generation) and records each with its
 *           length and XXH64; appends are durable after st_wal_sync(); replay stops at a torn tail
 *           (which a writer truncates) and reports damage before the tail as CRED_ECORRUPT.
 *
 * Every integer is little-endian on disk (the engine supports little-endian hosts only).
 */
#ifndef CRED_STORE_H
#define CRED_STORE_H

#include "util/util.h"

#define ST_MAGIC_LEN 8
#define ST_HEADER_LEN 16    /* magic, u32 version, u32 reserved */
#define ST_FOOTER_LEN 40    /* u64 table_off, u32 n_sections, u32 reserved, u64 table_xxh, u64 file_xxh, magic */
#define ST_CODEC_RAW 0u
#define ST_CODEC_ZSTD 1u
#define ST_MAX_SECTIONS 64u

/** One section as recorded in the table (40 bytes on disk). */
typedef struct st_section {
    uint32_t kind;     /* caller-defined section kind */
    uint32_t codec;    /* ST_CODEC_* */
    uint64_t off;      /* from the start of the file; 8-byte aligned */
    uint64_t len;      /* stored bytes */
    uint64_t raw_len;  /* bytes after decompression (== len for raw) */
    uint64_t xxh;      /* XXH64 (seed 0) of the stored bytes */
} st_section;

/** A block file being assembled in memory. */
typedef struct st_writer {
    cred_buf b;
    st_section sec[ST_MAX_SECTIONS];
    uint32_t n;
} st_writer;

void st_writer_begin(st_writer *w, const char magic[ST_MAGIC_LEN], uint32_t version);
/** Append a section (compressing it with zstd level 3 when codec is ST_CODEC_ZSTD). 0 or CRED_ENOMEM. */
int st_writer_add(st_writer *w, uint32_t kind, const void *data, size_t len, uint32_t codec);
/** Write the table and footer; w->b then holds the whole file. 0 or CRED_ENOMEM. */
int st_writer_finish(st_writer *w);
void st_writer_free(st_writer *w);

/** An opened block file. */
typedef struct st_file {
    const uint8_t *base;
    size_t len;
    bool mapped;        /* munmap on close */
    bool owned;         /* free(base) on close */
    char *path;
    uint32_t version;
    st_section sec[ST_MAX_SECTIONS];
    uint32_t n;
} st_file;

/**
 * Open and check a block file: magic (else CRED_EFORMAT), version (CRED_EVERSION when above
 * max_version), footer, section table bounds and checksum, and the whole-file checksum (which covers
 * every section). Damage gives CRED_ECORRUPT naming the file and the offset.
 */
int st_file_open(st_file *f, const char *path, const char magic[ST_MAGIC_LEN], uint32_t max_version);
/** Same over a buffer; take_ownership makes st_file_close() free() it. */
int st_file_open_memory(st_file *f, const void *data, size_t len, const char *name,
                        const char magic[ST_MAGIC_LEN], uint32_t max_version, bool take_ownership);
void st_file_close(st_file *f);

/** The section of a kind (NULL when absent). */
const st_section *st_file_find(const st_file *f, uint32_t kind);
/** A raw section's bytes; CRED_ECORRUPT when absent or compressed. */
int st_file_raw(const st_file *f, uint32_t kind, const uint8_t **p, size_t *len);
/** A zstd section decompressed into a malloc'd buffer (raw sections are copied). */
int st_file_inflate(const st_file *f, uint32_t kind, uint8_t **out, size_t *len);
/** Re-check every section checksum (st_file_open checked the whole file once). */
int st_file_verify(const st_file *f);

/** Recompute every checksum of a block file image in place (fuzzing and tests: lets damaged
 *  structure reach the checks behind the checksums). */
void st_reseal(uint8_t *b, size_t len);

/** CRED_ECORRUPT with "<path>: <msg> at offset N". */
int st_corrupt(const char *path, uint64_t off, const char *msg);

/** zstd helpers for caller-managed blocks. */
int st_zstd_compress(cred_buf *out, const void *src, size_t len, int level);
/** Decompress exactly raw_len bytes; CRED_ECORRUPT (with path/off) when the frame is bad. */
int st_zstd_decompress(void *dst, size_t raw_len, const void *src, size_t len, const char *path, uint64_t off);
uint64_t st_xxh64(const void *p, size_t len);

/* ---- write-ahead log ----------------------------------------------------------------------------- */

#define ST_WAL_HEADER_LEN 24   /* magic, u32 version, u32 reserved, u64 generation */
#define ST_WAL_RECORD_HEAD 16  /* u32 len, u32 reserved, u64 xxh64(payload) */
#define ST_WAL_MAX_RECORD (256u << 20)

typedef struct st_wal {
    int fd;
    char *path;
    uint64_t gen;
    uint64_t size;     /* bytes durable in the file */
    cred_buf pending;  /* appended, not yet written */
} st_wal;

typedef int (*st_wal_fn)(void *payload, const uint8_t *rec, size_t len);

/**
 * Read a log: calls fn for each complete record in order. A torn tail (a last record that runs past
 * the end or fails its checksum while reaching the end) ends the replay quietly; *valid_end receives
 * the offset after the last good record. A missing file is an empty log of generation 0.
 * @return 0; CRED_ECORRUPT for a bad header or damage followed by more data; CRED_EIO; fn's error.
 */
int st_wal_replay(const char *path, uint64_t *gen, uint64_t *valid_end, st_wal_fn fn, void *payload);

/** Create (replace) the log with an empty one of generation gen, durably. */
int st_wal_create(const char *path, uint64_t gen);

/** Open an existing log for appending after truncating it to valid_end (fsynced). */
int st_wal_open_append(st_wal *w, const char *path, uint64_t gen, uint64_t valid_end);
int st_wal_append(st_wal *w, const void *rec, size_t len);
/** Write pending records and fdatasync: once this returns 0 they survive a crash. */
int st_wal_sync(st_wal *w);
void st_wal_close(st_wal *w);

/* little-endian helpers */
static inline void st_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void st_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint32_t st_get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t st_get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

#endif
