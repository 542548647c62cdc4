/*
 * The corpus directory: MANIFEST (live segment numbers, flushed log generation, next seq), segment
 * files, and the write-ahead log. Durability protocol of a flush: (1) the new segment is written
 * atomically, (2) MANIFEST is rewritten atomically naming it and flushed_gen = the log's generation,
 * (3) a new empty log of the next generation replaces the old one. A crash between steps leaves an
 * unnamed segment (deleted at the next writer open) or a log whose generation is <= flushed_gen
 * (ignored), so nothing acknowledged is lost and nothing is counted twice.
 *
 * The log's records are searchable through in-memory segments (never written): a commit links its
 * posts through the segments' kept lookup tables (dups.c) and builds a small segment of them alone,
 * then the newest log segments are merged while the newest is more than half the one before, so an
 * add costs O(log n) rebuilds of itself, amortised, whatever the size of the log or the corpus
 * (deletions are marked for the new segment's ids only). Opening rebuilds the log as one segment.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index/index.h"

static const char man_magic[ST_MAGIC_LEN] = {'C', 'R', 'E', 'D', 'M', 'A', 'N', '\0'};
#define MAN_VERSION 1u
#define MAX_SEGMENTS 16

static char *path_in(const cred_corpus *c, const char *name)
{
    size_t n = strlen(c->dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", c->dir, name);
    return p;
}

static void seg_name(char *out, size_t cap, uint32_t number)
{
    snprintf(out, cap, "seg-%06u.cseg", number);
}

/* ---- manifest ------------------------------------------------------------------------------------ */

static int manifest_write(cred_corpus *c, const uint32_t *numbers, size_t n)
{
    cred_buf b = CRED_BUF_INIT;
    uint8_t h[24];
    st_put64(h, c->flushed_gen);
    st_put64(h + 8, c->next_seq);
    st_put32(h + 16, c->next_seg);
    st_put32(h + 20, (uint32_t)n);
    st_writer w;
    int rc = 0;
    char *path = path_in(c, "MANIFEST");
    CRED_TRY_ALLOC(path);
    CRED_TRY(cred_buf_put(&b, h, sizeof h));
    CRED_TRY(cred_buf_put(&b, numbers, n * 4));
    st_writer_begin(&w, man_magic, MAN_VERSION);
    rc = st_writer_add(&w, 1, b.ptr, b.len, ST_CODEC_RAW);
    if (rc == 0)
        rc = st_writer_finish(&w);
    if (rc == 0)
        rc = cred__write_file_atomic(path, w.b.ptr, w.b.len);
    st_writer_free(&w);
done:
    free(path);
    cred_buf_free(&b);
    return rc;
}

static int manifest_read(cred_corpus *c, uint32_t **numbers, size_t *n)
{
    char *path = path_in(c, "MANIFEST");
    if (!path)
        return cred__error_nomem();
    st_file f;
    int rc = st_file_open(&f, path, man_magic, MAN_VERSION);
    if (rc < 0) {
        free(path);
        return rc;
    }
    const uint8_t *p;
    size_t len;
    CRED_TRY(st_file_raw(&f, 1, &p, &len));
    if (len < 24 || (len - 24) / 4 != st_get32(p + 20) || (len - 24) % 4) {
        rc = st_corrupt(path, f.sec[0].off, "bad manifest");
        goto done;
    }
    c->flushed_gen = st_get64(p);
    c->next_seq = st_get64(p + 8);
    c->next_seg = st_get32(p + 16);
    *n = st_get32(p + 20);
    *numbers = malloc((*n ? *n : 1) * 4);
    CRED_TRY_ALLOC(*numbers);
    memcpy(*numbers, p + 24, *n * 4);
    for (size_t i = 0; i < *n; i++)
        if ((*numbers)[i] >= c->next_seg || (i && (*numbers)[i] <= (*numbers)[i - 1])) {
            rc = st_corrupt(path, f.sec[0].off + 24 + i * 4, "bad segment number in manifest");
            free(*numbers);
            *numbers = NULL;
            goto done;
        }
done:
    st_file_close(&f);
    free(path);
    return rc;
}

/* ---- records ------------------------------------------------------------------------------------- */

int ix_records_decode(ix_record **out, size_t *n, const cred_buf *buf)
{
    size_t cap = 0, k = 0;
    ix_record *r = NULL;
    const uint8_t *p = (const uint8_t *)buf->ptr, *end = p + buf->len;
    while (p < end) {
        uint64_t len;
        if (!ix_get_varint(&p, end, &len) || len > (uint64_t)(end - p))
            break;
        if (CRED_GROW(r, cap, k + 1) < 0) {
            free(r);
            return CRED_ENOMEM;
        }
        if (!ix_record_decode(&r[k], p, (size_t)len)) {
            free(r);
            return cred__error(CRED_ECORRUPT, "bad record in memory");
        }
        k++;
        p += len;
    }
    *out = r;
    *n = k;
    return 0;
}

static int append_rec(cred_buf *b, const ix_record *r, cred_buf *tmp)
{
    cred_buf_clear(tmp);
    int rc = ix_record_encode(tmp, r);
    if (rc < 0 || (rc = ix_put_varint(b, tmp->len)) < 0 || (rc = cred_buf_put(b, tmp->ptr, tmp->len)) < 0)
        return rc;
    return 0;
}

static int replay_one(void *payload, const uint8_t *rec, size_t len)
{
    cred_corpus *c = payload;
    ix_record r;
    if (!ix_record_decode(&r, rec, len))
        return cred__error(CRED_ECORRUPT, "%s/wal.log: undecodable record", c->dir);
    if (r.seq >= c->next_seq)
        c->next_seq = r.seq + 1;
    c->n_log++;
    if (ix_put_varint(&c->logrecs, len) < 0 || cred_buf_put(&c->logrecs, rec, len) < 0)
        return CRED_ENOMEM;
    return 0;
}

/* ---- segments and deletions ---------------------------------------------------------------------- */

static void mark_deleted(ix_segment *s, uint32_t d)
{
    if (!ix_deleted(s, d)) {
        s->deleted[d >> 3] |= (uint8_t)(1u << (d & 7));
        s->n_deleted++;
    }
}

/* Mark every doc of an older segment whose id occurs in a newer one. */
/* Mark the docs of old whose ids the newer segment nw holds (their newer versions). */
static void mark_replaced(ix_segment *old, const ix_segment *nw)
{
    for (uint64_t k = 0; k < nw->meta.n_docs; k++) {
        uint64_t h = nw->idmap[k].hash;
        for (size_t at = ix_segment_id_lower(old, h); at < old->meta.n_docs && old->idmap[at].hash == h; at++)
            mark_deleted(old, (uint32_t)old->idmap[at].doc);
    }
}

static int compute_deletions(cred_corpus *c)
{
    for (size_t i = 0; i < c->n_segs; i++) {
        ix_segment *s = c->segs[i];
        free(s->deleted);
        s->deleted = NULL;
        s->n_deleted = 0;
        if (c->n_segs > 1 || s->meta.n_docs) {
            s->deleted = calloc((size_t)(s->meta.n_docs + 8) / 8, 1);
            if (!s->deleted)
                return cred__error_nomem();
        }
    }
    for (size_t j = 1; j < c->n_segs; j++) {
        const ix_segment *nw = c->segs[j];
        for (size_t i = 0; i < j; i++)
            mark_replaced(c->segs[i], nw);
    }
    return 0;
}

static void drop_segments(cred_corpus *c)
{
    ix_dups_free(c);
    for (size_t i = 0; i < c->n_segs; i++) {
        ix_segment_free(c->segs[i]);
        free(c->segs[i]);
    }
    free(c->segs);
    c->segs = NULL;
    c->n_segs = 0;
    c->n_logsegs = 0;
}

/* Remove the newest segment (a log segment). */
static void pop_segment(cred_corpus *c)
{
    ix_dups_forget(c, c->n_segs - 1);
    ix_segment_free(c->segs[c->n_segs - 1]);
    free(c->segs[--c->n_segs]);
}

/* Deletions for a segment just pushed (the newest): its own bitmap, and the docs of older segments
   whose ids it holds. O(its docs x segments), not O(corpus). */
static int mark_newest(cred_corpus *c)
{
    ix_segment *nw = c->segs[c->n_segs - 1];
    for (size_t i = 0; i < c->n_segs; i++) {
        ix_segment *s = c->segs[i];
        if (!s->deleted) {
            s->deleted = calloc((size_t)(s->meta.n_docs + 8) / 8, 1);
            if (!s->deleted)
                return cred__error_nomem();
        }
    }
    for (size_t i = 0; i + 1 < c->n_segs; i++)
        mark_replaced(c->segs[i], nw);
    return 0;
}

static int push_segment(cred_corpus *c, ix_segment *s)
{
    ix_segment **v = realloc(c->segs, (c->n_segs + 1) * sizeof *v);
    if (!v)
        return cred__error_nomem();
    c->segs = v;
    c->segs[c->n_segs++] = s;
    return 0;
}

static int build_opts(cred_corpus *c, ix_build_opts *o, size_t n_older)
{
    o->threads = c->opts.threads;
    o->threshold = c->opts.threshold;
    o->older = (const ix_segment *const *)c->segs;
    o->n_older = n_older;
    return 0;
}

/* Load a built image as the newest (log) segment. Takes img's memory. */
static int push_image(cred_corpus *c, cred_buf *img)
{
    int rc = 0;
    ix_segment *s = calloc(1, sizeof *s);
    char *name = path_in(c, "wal.log");
    if (!s || !name) {
        free(s);
        free(name);
        return cred__error_nomem();
    }
    rc = ix_segment_load_memory(s, img->ptr, img->len, name);
    free(name);
    img->ptr = NULL;
    img->len = img->cap = 0;
    if (rc == 0 && (rc = push_segment(c, s)) == 0) {
        c->n_logsegs++;
        return mark_newest(c);
    }
    ix_segment_free(s);
    free(s);
    return rc;
}

/* Rebuild the in-memory segments of the log records as one (at open): linked against the segments. */
static int refresh_logseg(cred_corpus *c)
{
    while (c->n_logsegs) {
        pop_segment(c);
        c->n_logsegs--;
    }
    int rc = 0;
    ix_record *recs = NULL;
    size_t n = 0;
    cred_buf img = CRED_BUF_INIT;
    if (c->n_log == 0)
        return compute_deletions(c);
    CRED_TRY(ix_records_decode(&recs, &n, &c->logrecs));
    ix_build_opts o;
    build_opts(c, &o, c->n_segs);
    CRED_TRY(ix_build(&img, recs, n, &o));
    CRED_TRY(push_image(c, &img));
    rc = compute_deletions(c);
done:
    cred_buf_free(&img);
    free(recs);
    return rc;
}

/* Append the live records of segments [from, to) to *all (tmp: scratch); with links, each keeps the
   link its segment holds, so that a build takes it as it is. */
static int append_live(cred_corpus *c, size_t from, size_t to, bool links, cred_buf *all, cred_buf *tmp)
{
    int rc = 0;
    for (size_t i = from; i < to; i++) {
        ix_segment *s = c->segs[i];
        for (uint32_t d = 0; d < s->meta.n_docs; d++) {
            if (ix_deleted(s, d))
                continue;
            ix_record r;
            CRED_TRY(ix_segment_record(s, &r, d));
            if (links) {
                r.linked = true;
                r.relation = s->links[d].relation;
                r.similarity = s->links[d].similarity;
                r.parent = s->links[d].parent;
                r.origin = s->links[d].origin;
            }
            CRED_TRY(append_rec(all, &r, tmp));
        }
    }
done:
    return rc;
}

/* Merge the two newest log segments into one, from their live records (links kept). */
static int merge_two(cred_corpus *c)
{
    int rc = 0;
    cred_buf all = CRED_BUF_INIT, img = CRED_BUF_INIT, tmp = CRED_BUF_INIT;
    ix_record *recs = NULL;
    size_t n = 0;
    CRED_TRY(append_live(c, c->n_segs - 2, c->n_segs, true, &all, &tmp));
    CRED_TRY(ix_records_decode(&recs, &n, &all));
    ix_build_opts o;
    build_opts(c, &o, 0); /* every record is linked */
    CRED_TRY(ix_build(&img, recs, n, &o));
    for (int k = 0; k < 2; k++) {
        pop_segment(c);
        c->n_logsegs--;
    }
    rc = push_image(c, &img);
done:
    cred_buf_free(&all);
    cred_buf_free(&img);
    cred_buf_free(&tmp);
    free(recs);
    return rc;
}

/* Index newly logged records (varint-length-prefixed) as a log segment of their own, then merge while
   the newest is more than half the size of the one before: sizes halve from the oldest log segment on,
   so there are O(log n) of them and a post is rebuilt O(log n) times. */
static int add_logseg(cred_corpus *c, const cred_buf *buf)
{
    int rc = 0;
    ix_record *recs = NULL;
    size_t n = 0;
    cred_buf img = CRED_BUF_INIT;
    CRED_TRY(ix_records_decode(&recs, &n, buf));
    if (n == 0)
        goto done;
    CRED_TRY(ix_dups_link(c, recs, n, c->n_segs));
    ix_build_opts o;
    build_opts(c, &o, 0); /* linked above, through the segments' own tables */
    CRED_TRY(ix_build(&img, recs, n, &o));
    CRED_TRY(push_image(c, &img));
    while (c->n_logsegs >= 2 &&
           2 * c->segs[c->n_segs - 1]->meta.n_docs > c->segs[c->n_segs - 2]->meta.n_docs)
        CRED_TRY(merge_two(c));
done:
    cred_buf_free(&img);
    free(recs);
    return rc;
}

static int load_segments(cred_corpus *c, const uint32_t *numbers, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char name[64];
        seg_name(name, sizeof name, numbers[i]);
        char *path = path_in(c, name);
        ix_segment *s = calloc(1, sizeof *s);
        if (!path || !s) {
            free(path);
            free(s);
            return cred__error_nomem();
        }
        int rc = ix_segment_load(s, path, name, numbers[i]);
        free(path);
        if (rc == CRED_ENOTFOUND)
            rc = cred__error(CRED_ECORRUPT, "%s/%s: segment named in MANIFEST is missing", c->dir, name);
        if (rc < 0 || (rc = push_segment(c, s)) < 0) {
            free(s);
            return rc;
        }
    }
    return 0;
}

static void remove_orphans(cred_corpus *c, const uint32_t *numbers, size_t n)
{
    DIR *d = opendir(c->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned num;
        char tail[8];
        bool orphan = false;
        if (strstr(e->d_name, ".tmp."))
            orphan = true;
        else if (sscanf(e->d_name, "seg-%u.cse%1[g]", &num, tail) == 2) {
            orphan = true;
            for (size_t i = 0; i < n; i++)
                orphan = orphan && numbers[i] != num;
        }
        if (orphan) {
            char *p = path_in(c, e->d_name);
            if (p)
                unlink(p);
            free(p);
        }
    }
    closedir(d);
}

static int open_log(cred_corpus *c, uint64_t gen, uint64_t valid_end)
{
    char *path = path_in(c, "wal.log");
    if (!path)
        return cred__error_nomem();
    int rc = 0;
    st_wal_close(&c->wal);
    if (gen <= c->flushed_gen || valid_end == 0) {
        gen = c->flushed_gen + 1;
        CRED_TRY(st_wal_create(path, gen));
        valid_end = ST_WAL_HEADER_LEN;
    }
    rc = st_wal_open_append(&c->wal, path, gen, valid_end);
done:
    free(path);
    return rc;
}

int cred_corpus_open(cred_corpus **out, const char *dir, const cred_corpus_options *opts)
{
    int rc = 0;
    uint32_t *numbers = NULL;
    size_t n_numbers = 0;
    char *path = NULL;
    *out = NULL;
    cred_corpus *c = calloc(1, sizeof *c);
    CRED_TRY_ALLOC(c);
    cred_corpus_options def = CRED_CORPUS_OPTIONS_INIT;
    c->opts = opts ? *opts : def;
    if (!c->opts.threads)
        c->opts.threads = 2;
    if (!c->opts.flush_posts)
        c->opts.flush_posts = 4096;
    if (!(c->opts.threshold > 0 && c->opts.threshold <= 1))
        c->opts.threshold = 0.45;
    c->flags = c->opts.flags;
    if (c->flags & CRED_CORPUS_CREATE)
        c->flags |= CRED_CORPUS_WRITE;
    c->lock_fd = -1;
    c->wal.fd = -1;
    c->dir = strdup(dir);
    CRED_TRY_ALLOC(c->dir);
    if ((c->flags & CRED_CORPUS_CREATE) && mkdir(dir, 0755) < 0 && errno != EEXIST) {
        rc = cred__error_os("cannot create", dir);
        goto done;
    }
    if (c->flags & CRED_CORPUS_WRITE) {
        path = path_in(c, "LOCK");
        CRED_TRY_ALLOC(path);
        c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (c->lock_fd < 0) {
            rc = errno == ENOENT ? cred__error(CRED_ENOTFOUND, "%s: no such corpus directory", dir)
                                 : cred__error_os("cannot open", path);
            goto done;
        }
        if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
            rc = cred__error(CRED_EIO, "%s: locked by another writer", dir);
            goto done;
        }
    }
    rc = manifest_read(c, &numbers, &n_numbers);
    if (rc == CRED_ENOTFOUND) {
        if (!(c->flags & CRED_CORPUS_CREATE)) {
            rc = cred__error(CRED_ENOTFOUND, "%s: not a corpus (no MANIFEST)", dir);
            goto done;
        }
        c->flushed_gen = 0;
        c->next_seq = 0;
        c->next_seg = 1;
        CRED_TRY(manifest_write(c, NULL, 0));
        rc = 0;
    } else if (rc < 0) {
        goto done;
    }
    /* a writer may compact between our reading MANIFEST and opening its segments: read it again */
    for (int attempt = 0;; attempt++) {
        rc = load_segments(c, numbers, n_numbers);
        if (rc != CRED_ECORRUPT || attempt == 3 || (c->flags & CRED_CORPUS_WRITE))
            break;
        int code = cred_error_last()->code;
        const char *msg = cred_error_last()->message;
        if (code != CRED_ECORRUPT || !strstr(msg, "is missing"))
            break;
        drop_segments(c);
        free(numbers);
        numbers = NULL;
        usleep(1000);
        if ((rc = manifest_read(c, &numbers, &n_numbers)) < 0)
            goto done;
    }
    if (rc < 0)
        goto done;
    for (size_t i = 0; i < c->n_segs; i++)
        if (c->segs[i]->meta.n_docs && c->segs[i]->meta.max_seq >= c->next_seq)
            c->next_seq = c->segs[i]->meta.max_seq + 1;
    free(path);
    path = path_in(c, "wal.log");
    CRED_TRY_ALLOC(path);
    uint64_t gen = 0, valid_end = 0;
    {
        cred_buf tmp = c->logrecs;
        c->logrecs = (cred_buf)CRED_BUF_INIT;
        cred_buf_free(&tmp);
    }
    rc = st_wal_replay(path, &gen, &valid_end, replay_one, c);
    if (rc < 0)
        goto done;
    if (gen <= c->flushed_gen) { /* already in the segments */
        cred_buf_clear(&c->logrecs);
        c->n_log = 0;
    }
    if (c->flags & CRED_CORPUS_WRITE) {
        remove_orphans(c, numbers, n_numbers);
        CRED_TRY(open_log(c, gen, valid_end));
    }
    CRED_TRY(refresh_logseg(c));
    *out = c;
    c = NULL;
done:
    free(numbers);
    free(path);
    cred_corpus_free(c);
    return rc;
}

void cred_corpus_free(cred_corpus *c)
{
    if (!c)
        return;
    drop_segments(c);
    st_wal_close(&c->wal);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    cred_buf_free(&c->pend);
    cred_buf_free(&c->logrecs);
    cred_buf_free(&c->strs);
    free(c->members);
    cred_text_free(c->qt);
    for (size_t i = 0; i < c->n_langs; i++)
        free(c->langs[i]);
    free(c->langs);
    ix_search_free(c->search);
    free(c->dir);
    free(c);
}

/* ---- adding -------------------------------------------------------------------------------------- */

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

int cred_corpus_add(cred_corpus *c, const cred_post *p, const cred_corpus_score *score)
{
    if (!(c->flags & CRED_CORPUS_WRITE))
        return cred__error(CRED_EINVAL, "%s: corpus opened read-only", c->dir);
    if (p->text_len > CRED_LIMIT_POST_BYTES)
        return cred__error(CRED_ELIMIT, "post %s: text of %zu bytes exceeds CRED_LIMIT_POST_BYTES", p->id, p->text_len);
    ix_record r;
    memset(&r, 0, sizeof r);
    r.seq = c->next_seq++;
    r.date = p->date;
    r.id = p->id, r.id_len = slen(p->id);
    r.text = p->text ? p->text : "", r.text_len = p->text ? p->text_len : 0;
    r.source = p->source, r.source_len = slen(p->source);
    r.author = p->author, r.author_len = slen(p->author);
    r.author_id = p->author_id, r.author_id_len = slen(p->author_id);
    r.date_text = p->date_text, r.date_text_len = slen(p->date_text);
    r.forwarded_from = p->forwarded_from, r.fwd_len = slen(p->forwarded_from);
    r.url = p->url, r.url_len = slen(p->url);
    r.lang = p->lang, r.lang_len = slen(p->lang);
    r.kind = p->kind;
    r.post_flags = p->flags;
    r.validity = score ? score->validity : NAN;
    if (score && score->flags && *score->flags)
        r.flags = score->flags, r.flags_len = strlen(score->flags);
    r.parent = r.origin = IX_NO_SEQ;
    cred_buf tmp = CRED_BUF_INIT;
    int rc = append_rec(&c->pend, &r, &tmp);
    cred_buf_free(&tmp);
    if (rc < 0)
        return rc;
    c->n_pend++;
    return 0;
}

/* Write records (log + given) as a new segment, name it in MANIFEST, start a new log. */
static int flush(cred_corpus *c, const cred_buf *extra, bool compact)
{
    int rc = 0;
    cred_buf all = CRED_BUF_INIT, img = CRED_BUF_INIT, tmp = CRED_BUF_INIT;
    ix_record *recs = NULL;
    size_t n = 0;
    uint32_t *numbers = NULL;
    char *path = NULL;
    size_t n_old = c->n_segs - c->n_logsegs;
    if (compact)
        CRED_TRY(append_live(c, 0, n_old, false, &all, &tmp));
    if (!compact && c->logrecs.len == 0 && extra) {
        CRED_TRY(ix_records_decode(&recs, &n, extra)); /* no copy of a large batch */
    } else {
        CRED_TRY(cred_buf_put(&all, c->logrecs.ptr, c->logrecs.len));
        if (extra)
            CRED_TRY(cred_buf_put(&all, extra->ptr, extra->len));
        CRED_TRY(ix_records_decode(&recs, &n, &all));
    }
    ix_build_opts o;
    build_opts(c, &o, compact ? 0 : n_old);
    if (!compact) {
        /* a batch small next to the stored posts (the log's flush) is linked through the segments'
           kept tables rather than a table the builder would make over every stored signature */
        uint64_t sigs = 0;
        for (size_t i = 0; i < n_old; i++)
            sigs += c->segs[i]->meta.n_sigs;
        if ((uint64_t)n * 32 < sigs) {
            CRED_TRY(ix_dups_link(c, recs, n, n_old));
            build_opts(c, &o, 0);
        }
    }
    CRED_TRY(ix_build(&img, recs, n, &o));
    uint32_t number = c->next_seg;
    char name[64];
    seg_name(name, sizeof name, number);
    path = path_in(c, name);
    CRED_TRY_ALLOC(path);
    CRED_TRY(cred__write_file_atomic(path, img.ptr, img.len));
    numbers = malloc((n_old + 1) * sizeof *numbers);
    CRED_TRY_ALLOC(numbers);
    size_t k = 0;
    if (!compact)
        for (size_t i = 0; i < n_old; i++)
            numbers[k++] = c->segs[i]->number;
    numbers[k++] = number;
    c->next_seg++;
    c->flushed_gen = c->wal.gen;
    CRED_TRY(manifest_write(c, numbers, k));
    /* from here the posts are durable in the segment */
    cred_buf_clear(&c->logrecs);
    c->n_log = 0;
    CRED_TRY(open_log(c, 0, 0));
    if (compact) {
        for (size_t i = 0; i < n_old; i++) {
            char old[64];
            seg_name(old, sizeof old, c->segs[i]->number);
            char *op = path_in(c, old);
            if (op)
                unlink(op);
            free(op);
        }
    }
    if (compact) {
        drop_segments(c);
        CRED_TRY(load_segments(c, numbers, k));
        rc = compute_deletions(c);
    } else {
        /* the older segments stay loaded (with their lookup tables); the log's give way to the new one */
        while (c->n_logsegs) {
            pop_segment(c);
            c->n_logsegs--;
        }
        CRED_TRY(load_segments(c, numbers + k - 1, 1));
        rc = mark_newest(c);
    }
done:
    cred_buf_free(&all);
    cred_buf_free(&img);
    cred_buf_free(&tmp);
    free(recs);
    free(numbers);
    free(path);
    return rc;
}

int cred_corpus_commit(cred_corpus *c)
{
    if (!(c->flags & CRED_CORPUS_WRITE))
        return cred__error(CRED_EINVAL, "%s: corpus opened read-only", c->dir);
    if (c->n_pend == 0)
        return 0;
    int rc = 0;
    if (c->n_pend + c->n_log >= c->opts.flush_posts) {
        rc = flush(c, &c->pend, false);
    } else {
        const uint8_t *p = (const uint8_t *)c->pend.ptr, *end = p + c->pend.len;
        while (p < end && rc == 0) {
            uint64_t len;
            if (!ix_get_varint(&p, end, &len))
                return cred__error(CRED_ERROR, "bad pending record");
            rc = st_wal_append(&c->wal, p, (size_t)len);
            p += len;
        }
        if (rc == 0)
            rc = st_wal_sync(&c->wal);
        if (rc == 0) {
            rc = cred_buf_put(&c->logrecs, c->pend.ptr, c->pend.len);
            c->n_log += c->n_pend;
            if (rc == 0)
                rc = add_logseg(c, &c->pend);
        }
    }
    if (rc < 0)
        return rc;
    cred_buf_clear(&c->pend);
    c->n_pend = 0;
    if (c->n_segs - c->n_logsegs > MAX_SEGMENTS)
        rc = flush(c, NULL, true);
    return rc;
}

int cred_corpus_compact(cred_corpus *c)
{
    if (!(c->flags & CRED_CORPUS_WRITE))
        return cred__error(CRED_EINVAL, "%s: corpus opened read-only", c->dir);
    int rc = cred_corpus_commit(c);
    return rc < 0 ? rc : flush(c, NULL, true);
}

/* ---- stats, verify, lookups ---------------------------------------------------------------------- */

int cred_corpus_stats_get(const cred_corpus *c, cred_corpus_stats *out)
{
    memset(out, 0, sizeof *out);
    out->first_date = out->last_date = CRED_DATE_UNKNOWN;
    for (size_t i = 0; i < c->n_segs; i++) {
        const ix_segment *s = c->segs[i];
        bool log = i >= c->n_segs - c->n_logsegs;
        uint64_t live = s->meta.n_docs - s->n_deleted;
        out->posts += live;
        out->replaced += s->n_deleted;
        out->terms += s->meta.n_terms;
        if (log) {
            out->log_posts += live;
            continue;
        }
        out->segments++;
        out->file_bytes += s->f.len;
        static const uint32_t idx[] = {IX_SEC_DICT, IX_SEC_POST, IX_SEC_POS, IX_SEC_DOCS, IX_SEC_META, IX_SEC_PAIRS};
        for (size_t k = 0; k < CRED_ARRAY_LEN(idx); k++)
            out->index_bytes += st_file_find(&s->f, idx[k])->len;
        out->text_bytes += st_file_find(&s->f, IX_SEC_TEXT)->len + st_file_find(&s->f, IX_SEC_TEXTDIR)->len;
        out->store_bytes += st_file_find(&s->f, IX_SEC_IDMAP)->len + st_file_find(&s->f, IX_SEC_LINKS)->len;
        out->dedup_bytes += st_file_find(&s->f, IX_SEC_SIGS)->len;
        out->dict_bytes += st_file_find(&s->f, IX_SEC_DICT)->len;
        out->postings_bytes += st_file_find(&s->f, IX_SEC_POST)->len;
        out->positions_bytes += st_file_find(&s->f, IX_SEC_POS)->len;
        out->doc_table_bytes += st_file_find(&s->f, IX_SEC_DOCS)->len;
        out->pairs_bytes += st_file_find(&s->f, IX_SEC_PAIRS)->len;
    }
    for (size_t i = 0; i < c->n_segs; i++) {
        const ix_segment *s = c->segs[i];
        for (uint64_t d = 0; d < s->meta.n_docs; d++) {
            if (ix_deleted(s, (uint32_t)d))
                continue;
            const ix_doc *doc = &s->docs[d];
            out->clusters += s->links[d].relation == CRED_DUP_NONE || s->links[d].relation == CRED_DUP_VARIANT;
            if (doc->date != CRED_DATE_UNKNOWN) {
                if (out->first_date == CRED_DATE_UNKNOWN || doc->date < out->first_date)
                    out->first_date = doc->date;
                if (out->last_date == CRED_DATE_UNKNOWN || doc->date > out->last_date)
                    out->last_date = doc->date;
            }
        }
    }
    return 0;
}

static int ignore_rec(void *payload, const uint8_t *rec, size_t len)
{
    ix_record r;
    (void)payload;
    return ix_record_decode(&r, rec, len) ? 0 : cred__error(CRED_ECORRUPT, "undecodable log record");
}

int cred_corpus_verify(cred_corpus *c)
{
    for (size_t i = 0; i < c->n_segs; i++) {
        int rc = ix_segment_verify(c->segs[i]);
        if (rc < 0)
            return rc;
    }
    char *path = path_in(c, "wal.log");
    if (!path)
        return cred__error_nomem();
    uint64_t gen, end;
    int rc = st_wal_replay(path, &gen, &end, ignore_rec, NULL);
    free(path);
    return rc;
}

bool ix_find_id(cred_corpus *c, const char *id, size_t len, size_t *seg, uint32_t *doc)
{
    uint64_t h = ix_id_hash(id, len);
    for (size_t i = c->n_segs; i-- > 0;) {
        const ix_segment *s = c->segs[i];
        for (size_t at = ix_segment_id_lower(s, h); at < s->meta.n_docs && s->idmap[at].hash == h; at++) {
            uint32_t d = (uint32_t)s->idmap[at].doc;
            if (!ix_deleted(s, d)) {
                *seg = i;
                *doc = d;
                return true;
            }
        }
    }
    return false;
}

bool ix_find_seq(cred_corpus *c, uint64_t seq, size_t *seg, uint32_t *doc)
{
    for (size_t i = c->n_segs; i-- > 0;) {
        ix_segment *s = c->segs[i];
        if (!s->meta.n_docs || seq < s->meta.min_seq || seq > s->meta.max_seq)
            continue;
        ix_segment_seqmap(s); /* when not built yet */
        if (!s->seqmap)
            goto scan;
        uint32_t v = s->seqmap[seq - s->meta.min_seq];
        if (v) {
            *seg = i;
            *doc = v - 1;
            return true;
        }
        continue;
    scan:
        for (uint64_t d = 0; d < s->meta.n_docs; d++)
            if (s->links[d].seq == seq) {
                *seg = i;
                *doc = (uint32_t)d;
                return true;
            }
    }
    return false;
}

/* Strings are appended to c->strs as offsets first, then turned into pointers (the buffer moves). */
typedef struct str_slot {
    const char **dst;
    size_t off;
} str_slot;

int ix_post_from(cred_corpus *c, cred_corpus_post *out, const ix_record *r)
{
    memset(out, 0, sizeof *out);
    str_slot slots[16];
    size_t n = 0;
    const char *src[] = {r->id, r->text, r->source, r->author, r->author_id, r->date_text,
                         r->forwarded_from, r->url, r->lang, r->flags};
    size_t len[] = {r->id_len, r->text_len, r->source_len, r->author_len, r->author_id_len,
                    r->date_text_len, r->fwd_len, r->url_len, r->lang_len, r->flags_len};
    const char **dst[] = {&out->post.id, &out->post.text, &out->post.source, &out->post.author,
                          &out->post.author_id, &out->post.date_text, &out->post.forwarded_from,
                          &out->post.url, &out->post.lang, &out->flags};
    for (size_t i = 0; i < CRED_ARRAY_LEN(src); i++) {
        if (!src[i] && i != 9)
            continue;
        slots[n].dst = dst[i];
        slots[n].off = c->strs.len;
        n++;
        if ((len[i] && cred_buf_put(&c->strs, src[i], len[i]) < 0) || cred_buf_putc(&c->strs, '\0') < 0)
            return CRED_ENOMEM;
    }
    /* parent and origin ids */
    const char **links[2] = {&out->parent_id, &out->origin_id};
    uint64_t seqs[2] = {r->parent, r->origin};
    for (int k = 0; k < 2; k++) {
        size_t si;
        uint32_t d;
        if (seqs[k] == IX_NO_SEQ)
            continue;
        if (seqs[k] == r->seq) {
            slots[n].dst = links[k];
            slots[n].off = slots[0].off; /* own id */
            n++;
            continue;
        }
        if (!ix_find_seq(c, seqs[k], &si, &d))
            continue;
        ix_record pr;
        if (ix_segment_record(c->segs[si], &pr, d) < 0)
            continue;
        slots[n].dst = links[k];
        slots[n].off = c->strs.len;
        n++;
        if (cred_buf_put(&c->strs, pr.id, pr.id_len) < 0 || cred_buf_putc(&c->strs, '\0') < 0)
            return CRED_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        *slots[i].dst = c->strs.ptr + slots[i].off;
    out->post.text_len = r->text_len;
    out->post.date = r->date;
    out->post.kind = (cred_post_kind)r->kind;
    out->post.flags = r->post_flags;
    out->post.start = out->post.end = -1;
    out->seq = r->seq;
    out->validity = r->validity;
    out->relation = (cred_dup_relation)r->relation;
    out->similarity = r->similarity;
    return 0;
}

int cred_corpus_get(cred_corpus *c, cred_corpus_post *out, const char *id)
{
    size_t si;
    uint32_t d;
    if (!ix_find_id(c, id, strlen(id), &si, &d))
        return cred__error(CRED_ENOTFOUND, "no post with id %s", id);
    ix_record r;
    int rc = ix_segment_record(c->segs[si], &r, d);
    if (rc < 0)
        return rc;
    cred_buf_clear(&c->strs);
    return ix_post_from(c, out, &r);
}
