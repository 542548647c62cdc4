/* A loaded segment: structural checks, dictionary lookups, postings cursors and stored records. */
#include <stdlib.h>
#include <zstd.h>

#include "index/index.h"

static const char seg_magic[ST_MAGIC_LEN] = {'C', 'R', 'E', 'D', 'S', 'E', 'G', '\0'};

/* The frequent-pair section: terms sorted and distinct, pairs sorted and in range, doc lists inside. */
static int check_pairs(ix_segment *s)
{
    const char *p = s->f.path;
    const uint8_t *b;
    size_t len;
    int rc;
    if ((rc = st_file_raw(&s->f, IX_SEC_PAIRS, &b, &len)) < 0)
        return rc;
    uint64_t off = st_file_find(&s->f, IX_SEC_PAIRS)->off;
    if (len < 8)
        return st_corrupt(p, off, "pair section too short");
    uint32_t nf = st_get32(b), np = st_get32(b + 4);
    if (nf > IX_PAIR_TERMS || np > (uint64_t)nf * nf)
        return st_corrupt(p, off, "bad pair counts");
    s->freq = malloc((nf ? nf : 1) * sizeof *s->freq);
    if (!s->freq)
        return cred__error_nomem();
    const uint8_t *q = b + 8, *end = b + len;
    for (uint32_t i = 0; i < nf; i++) {
        if (q >= end || (size_t)(end - q) < 1u + q[0] || q[0] == 0)
            return st_corrupt(p, off + (uint64_t)(q - b), "bad pair term");
        if (i) {
            const uint8_t *o = s->freq[i - 1];
            size_t ml = CRED_MIN(o[0], q[0]);
            int c = memcmp(o + 1, q + 1, ml);
            if (c > 0 || (c == 0 && o[0] >= q[0]))
                return st_corrupt(p, off + (uint64_t)(q - b), "pair terms out of order");
        }
        s->freq[i] = q;
        q += 1u + q[0];
    }
    if ((size_t)(end - q) / sizeof(ix_pair) < np)
        return st_corrupt(p, off + (uint64_t)(q - b), "bad pair table size");
    s->pairs = (const ix_pair *)(const void *)q;
    s->pair_data = q + (size_t)np * sizeof(ix_pair);
    s->pair_data_len = (size_t)(end - s->pair_data);
    uint32_t prev = 0;
    for (uint32_t i = 0; i < np; i++) {
        ix_pair e;
        memcpy(&e, q + (size_t)i * sizeof e, sizeof e);
        uint32_t key = (uint32_t)e.a << 16 | e.b;
        if (e.a >= nf || e.b >= nf || (i && key <= prev) || e.df == 0 || e.df > s->meta.n_docs ||
            e.off > s->pair_data_len || e.len > s->pair_data_len - e.off || (e.len && e.len < e.df))
            return st_corrupt(p, off + (uint64_t)(q - b) + (uint64_t)i * sizeof e, "bad pair entry");
        prev = key;
    }
    s->n_freq = nf;
    s->n_pairs = np;
    return 0;
}

static int check(ix_segment *s)
{
    const char *p = s->f.path;
    const uint8_t *b;
    size_t len;
    int rc;
    if ((rc = st_file_raw(&s->f, IX_SEC_META, &b, &len)) < 0)
        return rc;
    if (len != sizeof s->meta)
        return st_corrupt(p, 0, "bad meta section");
    memcpy(&s->meta, b, sizeof s->meta);
    const ix_meta *m = &s->meta;
    if (m->n_docs > UINT32_MAX - 1)
        return st_corrupt(p, 0, "too many docs");
    if (s->f.version != IX_SEG_VERSION)
        return cred__error_at(CRED_EVERSION, p, 0, 0, 8, "%s: segment format version %u (this build reads %u)", p,
                              s->f.version, IX_SEG_VERSION);
#define SEC(kind, ptr, size, count, what)                                                          \
    do {                                                                                           \
        if ((rc = st_file_raw(&s->f, kind, &b, &len)) < 0)                                         \
            return rc;                                                                             \
        if ((count) > len / (size) || len != (size_t)(count) * (size))                              \
            return st_corrupt(p, st_file_find(&s->f, kind)->off, "bad " what " section size");      \
        ptr = (const void *)b;                                                                     \
    } while (0)
    SEC(IX_SEC_LINKS, s->links, sizeof(ix_link), m->n_docs, "links");
    SEC(IX_SEC_IDMAP, s->idmap, sizeof(ix_idmap), m->n_docs, "id map");
    SEC(IX_SEC_TEXTDIR, s->textdir, sizeof(ix_textblk), m->n_text_blocks, "text directory");
    SEC(IX_SEC_SIGS, s->sigs, sizeof(ix_sig), m->n_sigs, "signature");
#undef SEC
    {
        /* the doc table: after the links, which bound n_docs by the file size; 6 to 19 bytes a doc */
        const st_section *ds = st_file_find(&s->f, IX_SEC_DOCS);
        if (!ds)
            return st_corrupt(p, s->f.len, "missing docs section");
        if (ds->codec != ST_CODEC_ZSTD || ds->raw_len > m->n_docs * 19 || ds->raw_len < m->n_docs * 6)
            return st_corrupt(p, ds->off, "bad docs section size");
        if (st_xxh64(s->f.base + ds->off, (size_t)ds->len) != ds->xxh)
            return st_corrupt(p, ds->off, "docs section checksum mismatch");
        uint8_t *raw;
        size_t raw_len;
        if ((rc = st_file_inflate(&s->f, IX_SEC_DOCS, &raw, &raw_len)) < 0)
            return rc;
        s->docs_mem = malloc((m->n_docs ? m->n_docs : 1) * sizeof *s->docs_mem);
        bool ok = s->docs_mem && ix_docs_decode(s->docs_mem, (size_t)m->n_docs, raw, raw_len);
        free(raw);
        if (!s->docs_mem)
            return cred__error_nomem();
        if (!ok)
            return st_corrupt(p, ds->off, "bad docs section");
        s->docs = s->docs_mem;
        if (!(s->lens = malloc((m->n_docs ? m->n_docs : 1) * sizeof *s->lens)))
            return cred__error_nomem();
        for (uint64_t i = 0; i < m->n_docs; i++)
            s->lens[i] = (uint16_t)CRED_MIN(s->docs[i].len, UINT16_MAX);
    }
    if ((rc = st_file_raw(&s->f, IX_SEC_TEXT, &s->text, &s->text_len)) < 0 ||
        (rc = st_file_raw(&s->f, IX_SEC_DICT, &s->dict, &s->dict_len)) < 0 ||
        (rc = st_file_raw(&s->f, IX_SEC_POST, &s->post, &s->post_len)) < 0 ||
        (rc = st_file_raw(&s->f, IX_SEC_POS, &s->pos, &s->pos_len)) < 0)
        return rc;
    uint64_t doff = st_file_find(&s->f, IX_SEC_DICT)->off;
    if (s->dict_len < 4)
        return st_corrupt(p, doff, "dictionary too short");
    uint32_t nb = st_get32(s->dict);
    if (nb != m->n_dict_blocks || (uint64_t)nb * 4 + 4 > s->dict_len ||
        m->n_dict_blocks != (m->n_terms + IX_DICT_BLOCK - 1) / IX_DICT_BLOCK)
        return st_corrupt(p, doff, "bad dictionary block count");
    s->dict_blocks = (const uint32_t *)(s->dict + 4);
    s->dict_entries = s->dict + 4 + (size_t)nb * 4;
    size_t elen = s->dict_len - 4 - (size_t)nb * 4;
    for (uint32_t i = 0; i < nb; i++)
        if (s->dict_blocks[i] >= elen || (i && s->dict_blocks[i] <= s->dict_blocks[i - 1]))
            return st_corrupt(p, doff + 4 + (uint64_t)i * 4, "bad dictionary block offset");
    for (uint64_t i = 0; i < m->n_docs; i++) {
        const ix_doc *d = &s->docs[i];
        const ix_link *l = &s->links[i];
        if (l->text_block >= m->n_text_blocks || l->relation > CRED_DUP_VARIANT || d->len > CRED_LIMIT_TOKENS_PER_POST ||
            (i && (d->date < s->docs[i - 1].date)))
            return st_corrupt(p, st_file_find(&s->f, IX_SEC_DOCS)->off + i * sizeof(ix_doc), "bad doc record");
    }
    for (uint64_t i = 0; i < m->n_text_blocks; i++) {
        const ix_textblk *t = &s->textdir[i];
        if (t->off > s->text_len || t->len > s->text_len - t->off || t->raw_len > (64u << 20) ||
            t->first_doc > m->n_docs || t->n_docs > m->n_docs - t->first_doc)
            return st_corrupt(p, st_file_find(&s->f, IX_SEC_TEXTDIR)->off + i * sizeof(ix_textblk), "bad text block entry");
    }
    for (uint64_t i = 0; i < m->n_docs; i++)
        if (s->idmap[i].doc >= m->n_docs || (i && s->idmap[i].hash < s->idmap[i - 1].hash))
            return st_corrupt(p, st_file_find(&s->f, IX_SEC_IDMAP)->off + i * sizeof(ix_idmap), "bad id map entry");
    for (uint64_t i = 0; i < m->n_sigs; i++)
        if (s->sigs[i].doc >= m->n_docs || (i && s->sigs[i].doc <= s->sigs[i - 1].doc))
            return st_corrupt(p, st_file_find(&s->f, IX_SEC_SIGS)->off + i * sizeof(ix_sig), "bad signature entry");
    return check_pairs(s);
}

static int finish_load(ix_segment *s, const char *name, uint32_t number)
{
    s->name = strdup(name ? name : "");
    s->number = number;
    for (size_t i = 0; i < IX_TEXT_CACHE; i++)
        s->tcache[i].block = UINT32_MAX;
    if (!s->name)
        return cred__error_nomem();
    return check(s);
}

void ix_segment_seqmap(ix_segment *s)
{
    /* seqs of a segment are nearly dense: a direct map, built once in O(docs) */
    uint64_t span = s->meta.max_seq - s->meta.min_seq + 1;
    if (s->seqmap || !s->meta.n_docs || span > 4 * s->meta.n_docs + 1024)
        return;
    s->seqmap = calloc((size_t)span, sizeof *s->seqmap);
    if (!s->seqmap)
        return;
    s->seqmap_len = (size_t)span;
    for (uint64_t d = 0; d < s->meta.n_docs; d++) {
        uint64_t q = s->links[d].seq;
        if (q >= s->meta.min_seq && q <= s->meta.max_seq)
            s->seqmap[q - s->meta.min_seq] = (uint32_t)d + 1;
    }
}

int ix_segment_load(ix_segment *s, const char *path, const char *name, uint32_t number)
{
    memset(s, 0, sizeof *s);
    int rc = st_file_open(&s->f, path, seg_magic, IX_SEG_VERSION);
    if (rc == 0 && (rc = finish_load(s, name, number)) < 0)
        ix_segment_free(s);
    /* every search's hits look their cluster links up by seq: build the map now rather than in the
       first search (a 1M-doc segment's map is 4 MB: about 1,000 page faults, ~5 ms) */
    if (rc == 0)
        ix_segment_seqmap(s);
    return rc;
}

int ix_segment_load_memory(ix_segment *s, void *data, size_t len, const char *name)
{
    memset(s, 0, sizeof *s);
    int rc = st_file_open_memory(&s->f, data, len, name, seg_magic, IX_SEG_VERSION, true);
    if (rc < 0) {
        free(data);
        return rc;
    }
    if ((rc = finish_load(s, name, 0)) < 0)
        ix_segment_free(s);
    return rc;
}

void ix_segment_free(ix_segment *s)
{
    if (!s || !s->name)
        return;
    st_file_close(&s->f);
    free(s->name);
    free(s->deleted);
    free(s->docs_mem);
    free(s->lens);
    free(s->freq);
    for (size_t i = 0; i < IX_TEXT_CACHE; i++)
        free(s->tcache[i].buf);
    free(s->text_ok);
    ZSTD_freeDCtx(s->dctx);
    free(s->seqmap);
    ix_isect_free(s->isect);
    memset(s, 0, sizeof *s);
}

/* ---- dictionary -------------------------------------------------------------------------------- */

typedef struct dict_it {
    const ix_segment *s;
    const uint8_t *p, *end;
    uint64_t i;                /* term index */
    char key[1024];
    size_t klen;
    ix_term t;
    uint64_t post_off, pos_off;
} dict_it;

static int dict_seek_block(dict_it *it, const ix_segment *s, uint32_t b)
{
    it->s = s;
    size_t elen = s->dict_len - 4 - (size_t)s->meta.n_dict_blocks * 4;
    it->p = s->dict_entries + s->dict_blocks[b];
    it->end = s->dict_entries + elen;
    it->i = (uint64_t)b * IX_DICT_BLOCK;
    it->klen = 0;
    if (!ix_get_varint(&it->p, it->end, &it->post_off) || !ix_get_varint(&it->p, it->end, &it->pos_off))
        return st_corrupt(s->f.path, (uint64_t)(it->p - s->f.base), "bad dictionary block");
    return 0;
}

/* Decode the next entry of the block; 1 ok, 0 at the end of the dictionary, <0 corrupt. */
static int dict_next(dict_it *it)
{
    const ix_segment *s = it->s;
    if (it->i >= s->meta.n_terms)
        return 0;
    if (it->i % IX_DICT_BLOCK == 0 && it->klen) {
        int rc = dict_seek_block(it, s, (uint32_t)(it->i / IX_DICT_BLOCK));
        if (rc < 0)
            return rc;
        uint64_t save = it->i;
        it->i = save;
    }
    uint64_t shared, suf, v[4];
    if (!ix_get_varint(&it->p, it->end, &shared) || !ix_get_varint(&it->p, it->end, &suf) ||
        shared > it->klen || suf > sizeof it->key - shared || suf > (uint64_t)(it->end - it->p))
        goto bad;
    memcpy(it->key + shared, it->p, (size_t)suf);
    it->p += suf;
    it->klen = (size_t)(shared + suf);
    for (int k = 0; k < 4; k++)
        if (!ix_get_varint(&it->p, it->end, &v[k]))
            goto bad;
    it->t.df = v[0];
    it->t.post_off = it->post_off;
    it->t.post_len = v[1];
    it->t.pos_off = it->pos_off;
    it->t.pos_len = v[2];
    uint32_t fb = (uint32_t)v[3];
    memcpy(&it->t.fmax, &fb, 4);
    if (v[3] > UINT32_MAX || !(it->t.fmax >= 0 && it->t.fmax <= 1.001f))
        goto bad;
    if (it->t.df == 0 || it->t.df > s->meta.n_docs || it->post_off > s->post_len ||
        v[1] > s->post_len - it->post_off || it->pos_off > s->pos_len || v[2] > s->pos_len - it->pos_off)
        goto bad;
    it->post_off += v[1];
    it->pos_off += v[2];
    it->i++;
    return 1;
bad:
    return st_corrupt(s->f.path, (uint64_t)(it->p - s->f.base), "bad dictionary entry");
}

static int key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, CRED_MIN(al, bl));
    return c ? c : (al < bl ? -1 : al > bl);
}

/* The last block whose first term is <= key (0 when none). */
static int find_block(const ix_segment *s, const char *key, size_t len, uint32_t *out)
{
    uint32_t lo = 0, hi = (uint32_t)s->meta.n_dict_blocks;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        dict_it it;
        int rc = dict_seek_block(&it, s, mid);
        if (rc < 0 || (rc = dict_next(&it)) < 0)
            return rc;
        if (key_cmp(it.key, it.klen, key, len) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    *out = lo;
    return 0;
}

int ix_segment_term(const ix_segment *s, ix_term *out, const char *term, size_t len)
{
    if (!s->meta.n_terms)
        return 0;
    uint32_t b;
    int rc = find_block(s, term, len, &b);
    if (rc < 0)
        return rc;
    dict_it it;
    if ((rc = dict_seek_block(&it, s, b)) < 0)
        return rc;
    for (int k = 0; k < IX_DICT_BLOCK; k++) {
        if ((rc = dict_next(&it)) <= 0)
            return rc;
        int c = key_cmp(it.key, it.klen, term, len);
        if (c == 0) {
            *out = it.t;
            return 1;
        }
        if (c > 0)
            return 0;
    }
    return 0;
}

int ix_segment_prefix(const ix_segment *s, const char *prefix, size_t len, size_t max, ix_term_fn fn, void *payload)
{
    if (!s->meta.n_terms)
        return 0;
    uint32_t b;
    int rc = find_block(s, prefix, len, &b);
    if (rc < 0)
        return rc;
    dict_it it;
    if ((rc = dict_seek_block(&it, s, b)) < 0)
        return rc;
    for (size_t seen = 0; seen < max;) {
        if ((rc = dict_next(&it)) <= 0)
            return rc;
        int c = key_cmp(it.key, CRED_MIN(it.klen, len), prefix, len);
        if (c < 0 || it.klen < len)
            continue;
        if (c > 0)
            return 0;
        seen++;
        if ((rc = fn(payload, it.key, it.klen, &it.t)) != 0)
            return rc < 0 ? rc : 0;
    }
    return 0;
}

/* ---- cursors ----------------------------------------------------------------------------------- */
/* A posting list is a skip table (lists of more than one block) and blocks of up to IX_BLOCK docs:
 * the doc gaps minus one, then the tf minus one, each as a patched frame of reference (ix_pfor_pack).
 * Positions are a separate stream with, per block, the first position of each doc in as many bits as
 * its length - 1 needs (ix_pack_widths), then the later gaps minus one of all its docs as one patched
 * frame of reference (absent when every tf is 1). */

/* Skip entries follow variable-length lists, so they are not aligned: read them by copy. */
static inline ix_skip skip_get(const ix_cursor *c, uint32_t b)
{
    ix_skip e;
    memcpy(&e, (const uint8_t *)c->skip + (size_t)b * sizeof e, sizeof e);
    return e;
}

static uint32_t fail(ix_cursor *c)
{
    c->corrupt = true;
    c->doc = IX_END;
    c->read = c->t.df;
    return IX_END;
}

/* Decode the block starting at p (docs after prev); false when corrupt. */
static bool block_start(ix_cursor *c, const uint8_t *p, const uint8_t *pos)
{
    uint64_t left = c->t.df - (uint64_t)c->block * IX_BLOCK;
    uint32_t n = (uint32_t)CRED_MIN(left, IX_BLOCK);
    if (p > c->end || !ix_pfor_unpack(&p, c->end, c->bdocs, n) || !ix_pfor_unpack(&p, c->end, c->btf, n))
        return false;
    int64_t prev = c->prev;
    for (uint32_t i = 0; i < n; i++) {
        prev += (int64_t)c->bdocs[i] + 1;
        if (prev >= (int64_t)c->seg->meta.n_docs || c->btf[i] == UINT32_MAX)
            return false;
        c->bdocs[i] = (uint32_t)prev;
        c->btf[i] += 1;
    }
    c->n_in_block = n;
    c->in_block = 0;
    c->p = p;
    c->block_pos = pos;
    c->pos_ready = false;
    return true;
}

void ix_cursor_init(ix_cursor *c, const ix_segment *s, const ix_term *t)
{
    memset(c, 0, sizeof *c);
    c->seg = s;
    c->t = *t;
    c->n_blocks = (uint32_t)((t->df + IX_BLOCK - 1) / IX_BLOCK);
    const uint8_t *base = s->post + t->post_off;
    size_t skip_bytes = c->n_blocks > 1 ? (size_t)c->n_blocks * sizeof(ix_skip) : 0;
    if (skip_bytes > t->post_len) {
        fail(c);
        return;
    }
    c->skip = skip_bytes ? (const ix_skip *)base : NULL;
    c->stream = base + skip_bytes;
    c->end = base + t->post_len;
    c->pos_base = s->pos + t->pos_off;
    c->prev = -1;
    if (!block_start(c, c->stream, c->pos_base)) {
        fail(c);
        return;
    }
    ix_cursor_next(c);
}

void ix_cursor_free(ix_cursor *c)
{
    free(c->pos);
    c->pos = NULL;
    c->pos_cap = 0;
}

uint32_t ix_cursor_next(ix_cursor *c)
{
    if (c->read >= c->t.df) {
        c->doc = IX_END;
        return IX_END;
    }
    if (c->in_block == c->n_in_block) {
        c->block++;
        if (!c->skip || c->block >= c->n_blocks || skip_get(c, c->block).pos_off > c->t.pos_len)
            return fail(c);
        c->prev = c->bdocs[c->n_in_block - 1];
        if (!block_start(c, c->p, c->pos_base + skip_get(c, c->block).pos_off))
            return fail(c);
    }
    c->doc = c->bdocs[c->in_block];
    c->tf = c->btf[c->in_block];
    c->in_block++;
    c->read++;
    return c->doc;
}

uint32_t ix_cursor_seek(ix_cursor *c, uint32_t target)
{
    if (c->doc >= target)
        return c->doc;
    if (c->skip && skip_get(c, c->block).last_doc < target) {
        uint32_t b = c->block;
        if (c->hint > b && c->hint < c->n_blocks && skip_get(c, c->hint - 1).last_doc < target)
            b = c->hint;
        while (b + 1 < c->n_blocks && skip_get(c, b).last_doc < target)
            b++;
        if (skip_get(c, b).last_doc < target) {
            c->doc = IX_END;
            c->read = c->t.df;
            return IX_END;
        }
        if (skip_get(c, b).doc_off > (size_t)(c->end - c->stream) || skip_get(c, b).pos_off > c->t.pos_len)
            return fail(c);
        c->block = b;
        c->prev = b ? (int64_t)skip_get(c, b - 1).last_doc : -1;
        c->read = (uint64_t)b * IX_BLOCK;
        if (!block_start(c, c->stream + skip_get(c, b).doc_off, c->pos_base + skip_get(c, b).pos_off))
            return fail(c);
        ix_cursor_next(c);
    }
    if (c->doc < target && c->doc != IX_END) {
        /* within the decoded block: scan its doc array */
        uint32_t i = c->in_block;
        while (i < c->n_in_block && c->bdocs[i] < target)
            i++;
        if (i < c->n_in_block) {
            c->read += i + 1 - c->in_block;
            c->in_block = i + 1;
            c->doc = c->bdocs[i];
            c->tf = c->btf[i];
            return c->doc;
        }
    }
    while (c->doc < target)
        ix_cursor_next(c);
    return c->doc;
}

uint32_t ix_cursor_block_bound(ix_cursor *c, uint32_t target, float *fmax)
{
    if (!c->skip) {
        *fmax = c->t.fmax;
        return c->doc == IX_END ? IX_END : (uint32_t)(c->seg->meta.n_docs - 1);
    }
    uint32_t b = c->block;
    /* probes move forward (shallow skipping reads many blocks ahead without decoding them): resume
       from the last probe when every block before it ends before target */
    if (c->hint > b && c->hint < c->n_blocks && skip_get(c, c->hint - 1).last_doc < target)
        b = c->hint;
    while (b + 1 < c->n_blocks && skip_get(c, b).last_doc < target)
        b++;
    c->hint = b;
    if (skip_get(c, b).last_doc < target) {
        *fmax = 0;
        return IX_END;
    }
    float f = skip_get(c, b).fmax;
    *fmax = f >= 0 && f <= 1.001f ? f : 1.001f; /* a damaged bound only costs speed */
    return skip_get(c, b).last_doc;
}

bool ix_cursor_positions(ix_cursor *c, uint32_t *out)
{
    if (c->in_block == 0 || c->doc == IX_END)
        return false;
    if (!c->pos_ready) {
        /* pos: the block's first positions (n), then the later gaps - 1 of all its docs;
           poff[i]: where doc i's gaps start among them */
        size_t total = 0;
        uint8_t w[IX_BLOCK] = {0};
        for (uint32_t i = 0; i < c->n_in_block; i++) {
            uint32_t len = ix_doc_len(c->seg, c->bdocs[i]);
            if (c->btf[i] > len)
                return false; /* more occurrences than the doc has tokens */
            c->poff[i] = (uint32_t)total;
            total += c->btf[i] - 1;
            w[i] = (uint8_t)ix_bits(len - 1);
        }
        c->poff[c->n_in_block] = (uint32_t)total;
        size_t need = total + c->n_in_block;
        const uint8_t *end = c->pos_base + c->t.pos_len, *p = c->block_pos;
        if (p > end)
            return false;
        if (need > c->pos_cap) {
            uint32_t *v = realloc(c->pos, need * sizeof *v);
            if (!v)
                return false;
            c->pos = v;
            c->pos_cap = need;
        }
        if (!ix_unpack_widths(&p, end, c->pos, w, c->n_in_block) ||
            (total && !ix_pfor_unpack(&p, end, c->pos + c->n_in_block, total)))
            return false;
        c->pos_ready = true;
    }
    uint32_t i = c->in_block - 1;
    const uint32_t *g = c->pos + c->n_in_block + c->poff[i];
    uint32_t pos = c->pos[i];
    out[0] = pos;
    for (uint32_t k = 1; k < c->tf; k++) {
        pos += g[k - 1] + 1;
        out[k] = pos;
    }
    return true;
}

/* ---- records ----------------------------------------------------------------------------------- */

int ix_segment_record(ix_segment *s, ix_record *out, uint32_t doc)
{
    if (doc >= s->meta.n_docs)
        return cred__error(CRED_ENOTFOUND, "no doc %u", doc);
    uint32_t b = s->links[doc].text_block;
    const ix_textblk *t = &s->textdir[b];
    if (doc < t->first_doc || doc >= t->first_doc + t->n_docs)
        return st_corrupt(s->f.path, st_file_find(&s->f, IX_SEC_LINKS)->off + (uint64_t)doc * sizeof(ix_link), "doc outside its text block");
    uint64_t toff = st_file_find(&s->f, IX_SEC_TEXT)->off + t->off;
    struct ix_text_slot *slot = NULL, *victim = &s->tcache[0];
    for (size_t i = 0; i < IX_TEXT_CACHE; i++) {
        struct ix_text_slot *e = &s->tcache[i];
        if (e->block == b) {
            slot = e;
            break;
        }
        if (e->used < victim->used) /* empty slots have used 0 */
            victim = e;
    }
    if (!slot) {
        /* each block's checksum is checked once per load (the first time it is read) */
        if (!s->text_ok && !(s->text_ok = calloc((size_t)(s->meta.n_text_blocks / 8 + 1), 1)))
            return cred__error_nomem();
        if (!(s->text_ok[b >> 3] >> (b & 7) & 1)) {
            if (st_xxh64(s->text + t->off, (size_t)t->len) != t->xxh)
                return st_corrupt(s->f.path, toff, "text block checksum mismatch");
            s->text_ok[b >> 3] |= (uint8_t)(1u << (b & 7));
        }
        slot = victim;
        slot->block = UINT32_MAX;
        if (t->raw_len > slot->cap) {
            uint8_t *c = realloc(slot->buf, (size_t)t->raw_len);
            if (!c)
                return cred__error_nomem();
            slot->buf = c;
            slot->cap = (size_t)t->raw_len;
        }
        /* one context per segment: ZSTD_decompress would set up (and allocate) a new one each time */
        if (!s->dctx && !(s->dctx = ZSTD_createDCtx()))
            return cred__error_nomem();
        size_t got = ZSTD_decompressDCtx(s->dctx, slot->buf, (size_t)t->raw_len, s->text + t->off, (size_t)t->len);
        if (ZSTD_isError(got) || got != t->raw_len)
            return st_corrupt(s->f.path, toff, "bad compressed block");
        slot->block = b;
    }
    slot->used = ++s->tcache_tick;
    const uint8_t *p = slot->buf, *end = slot->buf + t->raw_len;
    for (uint32_t i = t->first_doc;; i++) {
        uint64_t n;
        if (!ix_get_varint(&p, end, &n) || n > (uint64_t)(end - p))
            return st_corrupt(s->f.path, toff, "bad record in text block");
        if (i == doc) {
            if (!ix_record_decode(out, p, (size_t)n))
                return st_corrupt(s->f.path, toff, "bad record in text block");
            const ix_link *d = &s->links[doc];
            out->linked = true;
            out->relation = d->relation;
            out->similarity = d->similarity;
            out->parent = d->parent;
            out->origin = d->origin;
            return 0;
        }
        p += n;
    }
}

size_t ix_segment_id_lower(const ix_segment *s, uint64_t h)
{
    size_t lo = 0, hi = (size_t)s->meta.n_docs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->idmap[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int ix_segment_verify(ix_segment *s)
{
    int rc = st_file_verify(&s->f);
    if (rc < 0)
        return rc;
    for (uint64_t d = 0; d < s->meta.n_docs; d++) {
        ix_record r;
        if ((rc = ix_segment_record(s, &r, (uint32_t)d)) < 0)
            return rc;
        uint64_t h = ix_id_hash(r.id, r.id_len);
        bool found = false;
        for (size_t at = ix_segment_id_lower(s, h); at < s->meta.n_docs && s->idmap[at].hash == h && !found; at++)
            found = s->idmap[at].doc == d;
        if (!found)
            return st_corrupt(s->f.path, st_file_find(&s->f, IX_SEC_IDMAP)->off, "id map does not match the records");
    }
    /* every term's postings decode */
    dict_it it;
    if (s->meta.n_terms && (rc = dict_seek_block(&it, s, 0)) < 0)
        return rc;
    for (uint64_t i = 0; i < s->meta.n_terms; i++) {
        if ((rc = dict_next(&it)) < 0)
            return rc;
        if (rc == 0)
            return st_corrupt(s->f.path, 0, "dictionary ends early");
        ix_cursor c;
        ix_cursor_init(&c, s, &it.t);
        uint64_t n = 0;
        uint32_t pos[64];
        while (c.doc != IX_END) {
            n++;
            if (it.key[0] > 3 && c.tf <= 64 && !ix_cursor_positions(&c, pos)) {
                ix_cursor_free(&c);
                return st_corrupt(s->f.path, st_file_find(&s->f, IX_SEC_POS)->off + it.t.pos_off, "bad positions");
            }
            ix_cursor_next(&c);
        }
        ix_cursor_free(&c);
        if (c.corrupt || n != it.t.df)
            return st_corrupt(s->f.path, st_file_find(&s->f, IX_SEC_POST)->off + it.t.post_off, "bad postings");
    }
    return 0;
}

unsigned ix_pair_rank(const ix_segment *s, const char *term, size_t len)
{
    size_t lo = 0, hi = s->n_freq;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const uint8_t *f = s->freq[mid];
        size_t ml = CRED_MIN((size_t)f[0], len);
        int c = memcmp(f + 1, term, ml);
        if (c == 0)
            c = f[0] < len ? -1 : f[0] > len;
        if (c == 0)
            return (unsigned)mid + 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int ix_pair_find(const ix_segment *s, unsigned a, unsigned b, ix_pair *out)
{
    if (!a || !b || a > s->n_freq || b > s->n_freq)
        return 0;
    uint32_t key = (uint32_t)(a - 1) << 16 | (b - 1);
    size_t lo = 0, hi = s->n_pairs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        ix_pair e;
        memcpy(&e, (const uint8_t *)s->pairs + mid * sizeof e, sizeof e);
        uint32_t k = (uint32_t)e.a << 16 | e.b;
        if (k == key) {
            *out = e;
            return 1;
        }
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

bool ix_pair_docs(const ix_segment *s, const ix_pair *e, uint32_t *out)
{
    const uint8_t *q = s->pair_data + e->off, *end = q + e->len;
    uint64_t d = 0;
    for (uint32_t i = 0; i < e->df; i++) {
        uint64_t g;
        if (!ix_get_varint(&q, end, &g) || g == 0 || g > s->meta.n_docs - d)
            return false;
        d += g; /* doc + 1 */
        out[i] = (uint32_t)(d - 1);
    }
    return q == end;
}
