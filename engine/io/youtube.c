/*
 * YouTube timed text: json3 ({"events":[{"tStartMs","dDurationMs","segs":[{"utf8"}]}]}) read with yajl's
 * callback parser, and the XML flavours read with libxml2:
 *   srv3  <timedtext format="3"><body><p t="ms" d="ms">text or <s>words</s></p>...
 *   srv2  <timedtext><text t="ms" d="ms">...</text>
 *   srv1  <transcript><text start="s" dur="s">...</text>
 * YouTube escapes the caption text twice in srv1/srv3 ("we&amp;#39;re"), so after XML decoding the
 * text's HTML character references are decoded once more (cred_tr__decode_entities).
 * Events without text (window definitions, lone "\n" appends) make no cue. A document that stops
 * parsing is reported (error, with line and column) and the cues read before the problem are kept.
 */
#include "transcript.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <math.h>
#include <stdlib.h>
#include <yajl/yajl_parse.h>

static bool only_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* Start times are kept when finite, not negative and under ~31 years; durations when finite and >= 0. */
static bool time_ok(double t)
{
    return isfinite(t) && t >= 0 && t < 1e9;
}

/* ---- json3 ------------------------------------------------------------------------------------- */

enum { K_NONE, K_EVENTS, K_START, K_DUR, K_SEGS, K_UTF8 };

typedef struct j3 {
    cred_cues *out;
    cred_reader *r;
    const char *src;
    size_t src_len, line_off; /* newlines counted up to line_off */
    uint64_t line;
    yajl_handle h;
    int depth;          /* 1 = inside the top-level object */
    bool in_events;     /* inside the top-level "events" array */
    int key;            /* K_* of the value that comes next */
    double start, dur;
    uint64_t ev_line;
    cred_buf text;
    int rc;
} j3;

static void j3_track_line(j3 *j)
{
    size_t off = CRED_MIN(yajl_get_bytes_consumed(j->h), j->src_len);
    for (; j->line_off < off; j->line_off++)
        j->line += j->src[j->line_off] == '\n';
}

static int key_of(int depth, bool in_events, const unsigned char *k, size_t n)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(k, s, n) == 0)
    if (depth == 1)
        return IS("events") ? K_EVENTS : K_NONE;
    if (depth == 3 && in_events)
        return IS("tStartMs") ? K_START : IS("dDurationMs") ? K_DUR : IS("segs") ? K_SEGS : K_NONE;
    if (depth == 5 && in_events)
        return IS("utf8") ? K_UTF8 : K_NONE;
    return K_NONE;
#undef IS
}

static int j3_scalar(j3 *j, const char *s, size_t n, bool is_string)
{
    if (j->key == K_START || j->key == K_DUR) {
        char tmp[40];
        size_t k = CRED_MIN(n, sizeof tmp - 1);
        memcpy(tmp, s, k);
        tmp[k] = '\0';
        char *end;
        double v = strtod(tmp, &end);
        if (end == tmp || v != v) {
            j3_track_line(j);
            cred_tr__diag(j->r, CRED_SEV_WARNING, CRED_ESYNTAX, j->line, 0, "event time \"%s\" is not a number; read as 0",
                          tmp);
            v = 0;
        }
        *(j->key == K_START ? &j->start : &j->dur) = v / 1000.0;
    } else if (j->key == K_UTF8 && is_string) {
        if (cred_buf_put(&j->text, s, n) < 0) {
            j->rc = cred__error_nomem();
            return 0;
        }
    }
    j->key = K_NONE;
    return 1;
}

static int j3_null(void *ctx)
{
    j3 *j = ctx;
    return j3_scalar(j, "", 0, false);
}

static int j3_bool(void *ctx, int v)
{
    j3 *j = ctx;
    return j3_scalar(j, v ? "1" : "0", 1, false);
}

static int j3_number(void *ctx, const char *s, size_t n)
{
    return j3_scalar(ctx, s, n, false);
}

static int j3_string(void *ctx, const unsigned char *s, size_t n)
{
    return j3_scalar(ctx, (const char *)s, n, true);
}

static int j3_open(j3 *j)
{
    if (++j->depth > CRED_LIMIT_JSON_DEPTH) {
        j3_track_line(j);
        cred_tr__diag(j->r, CRED_SEV_ERROR, CRED_ELIMIT, j->line, 0,
                      "JSON nested deeper than %d levels; rest of the file skipped", CRED_LIMIT_JSON_DEPTH);
        j->rc = 1; /* reported */
        return 0;
    }
    return 1;
}

static int j3_start_map(void *ctx)
{
    j3 *j = ctx;
    j->key = K_NONE;
    if (!j3_open(j))
        return 0;
    if (j->depth == 3 && j->in_events) {
        j->start = j->dur = 0;
        j->text.len = 0;
        j3_track_line(j);
        j->ev_line = j->line;
    }
    return 1;
}

static int j3_map_key(void *ctx, const unsigned char *k, size_t n)
{
    j3 *j = ctx;
    j->key = key_of(j->depth, j->in_events, k, n);
    return 1;
}

static int j3_end_map(void *ctx)
{
    j3 *j = ctx;
    if (j->depth == 3 && j->in_events && j->text.len && !only_space(j->text.ptr, j->text.len) &&
        !time_ok(j->start)) {
        cred_tr__diag(j->r, CRED_SEV_ERROR, CRED_ESYNTAX, j->ev_line, 0, "event start time out of range; skipped");
    } else if (j->depth == 3 && j->in_events && j->text.len && !only_space(j->text.ptr, j->text.len)) {
        if (!time_ok(j->dur))
            j->dur = 0;
        int rc = cred_cues_add(j->out, NULL, j->start, j->start + j->dur, j->text.ptr, j->text.len, j->text.ptr,
                               j->text.len, NULL, j->ev_line);
        if (rc < 0) {
            j->rc = rc;
            return 0;
        }
    }
    j->depth--;
    j->key = K_NONE;
    return 1;
}

static int j3_start_array(void *ctx)
{
    j3 *j = ctx;
    if (j->depth == 1 && j->key == K_EVENTS)
        j->in_events = true;
    j->key = K_NONE;
    if (!j3_open(j))
        return 0;
    return 1;
}

static int j3_end_array(void *ctx)
{
    j3 *j = ctx;
    j->depth--;
    if (j->depth == 1)
        j->in_events = false;
    j->key = K_NONE;
    return 1;
}

static const yajl_callbacks j3_callbacks = {
    j3_null, j3_bool, NULL, NULL, j3_number, j3_string,
    j3_start_map, j3_map_key, j3_end_map, j3_start_array, j3_end_array,
};

int cred_json3__parse(cred_cues *out, const char *s, size_t n, cred_reader *r)
{
    j3 j = {.out = out, .r = r, .src = s, .src_len = n, .line = 1};
    j.h = yajl_alloc(&j3_callbacks, NULL, &j);
    if (!j.h)
        return cred__error_nomem();
    yajl_config(j.h, yajl_dont_validate_strings, 1);
    yajl_status st = yajl_parse(j.h, (const unsigned char *)s, n);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(j.h);
    if (st != yajl_status_ok && j.rc == 0) {
        size_t off = CRED_MIN(yajl_get_bytes_consumed(j.h), n);
        uint64_t line = 1, col = 1;
        for (size_t i = 0; i < off; i++, col++)
            if (s[i] == '\n')
                line++, col = 0;
        unsigned char *e = yajl_get_error(j.h, 0, (const unsigned char *)s, n);
        char why[160] = "syntax error";
        if (e) {
            snprintf(why, sizeof why, "%s", (const char *)e);
            why[strcspn(why, "\n")] = '\0';
            yajl_free_error(j.h, e);
        }
        cred_tr__diag(r, CRED_SEV_ERROR, CRED_ESYNTAX, line, col, "json3: %s; rest of the file skipped", why);
    }
    yajl_free(j.h);
    cred_buf_free(&j.text);
    return j.rc < 0 ? j.rc : 0;
}

/* ---- srv3 / srv2 / srv1 ------------------------------------------------------------------------ */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

/* Append the text of node's descendants (text and CDATA only: entity references stay unexpanded). */
static int collect_text(cred_buf *b, xmlNode *node)
{
    for (xmlNode *c = node->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            if (cred_buf_puts(b, (const char *)c->content) < 0)
                return cred__error_nomem();
        } else if (c->type == XML_ELEMENT_NODE) {
            if (xmlStrEqual(c->name, (const xmlChar *)"br") && cred_buf_putc(b, '\n') < 0)
                return cred__error_nomem();
            int rc = collect_text(b, c);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static double attr_num(xmlNode *n, const char *name, double scale, bool *found)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        return 0;
    char *end;
    double d = strtod((const char *)v, &end);
    *found = end != (char *)v && d == d;
    xmlFree(v);
    return *found ? d * scale : 0;
}

/* Cues from the <p> (srv3) and <text> (srv1, srv2) elements under node. */
static int walk(cred_cues *out, cred_reader *r, xmlNode *node, cred_buf *raw, cred_buf *txt, int depth)
{
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        bool p = xmlStrEqual(c->name, (const xmlChar *)"p"), text = xmlStrEqual(c->name, (const xmlChar *)"text");
        if (!p && !text) {
            if (depth < 8) {
                int rc = walk(out, r, c, raw, txt, depth + 1);
                if (rc < 0)
                    return rc;
            }
            continue;
        }
        bool ok_t = false, ok_d = false;
        double start, dur;
        if (xmlHasProp(c, (const xmlChar *)"start")) {
            start = attr_num(c, "start", 1.0, &ok_t);
            dur = attr_num(c, "dur", 1.0, &ok_d);
        } else {
            start = attr_num(c, "t", 0.001, &ok_t);
            dur = attr_num(c, "d", 0.001, &ok_d);
        }
        uint64_t line = (uint64_t)CRED_MAX(xmlGetLineNo(c), 0);
        raw->len = txt->len = 0;
        int rc = collect_text(raw, c);
        if (rc < 0)
            return rc;
        if (raw->len == 0 || only_space(raw->ptr, raw->len))
            continue;
        if (!ok_t || !time_ok(start)) {
            cred_tr__diag(r, CRED_SEV_ERROR, CRED_ESYNTAX, line, 0, "<%s> without a usable start time; skipped",
                          (const char *)c->name);
            continue;
        }
        if (ok_d && !time_ok(dur))
            ok_d = false, dur = 0;
        if (!ok_d)
            cred_tr__diag(r, CRED_SEV_WARNING, CRED_ESYNTAX, line, 0, "<%s> without a duration; read as 0",
                          (const char *)c->name);
        if ((rc = cred_tr__decode_entities(txt, raw->ptr, raw->len)) < 0)
            return rc;
        if ((rc = cred_cues_add(out, NULL, start, start + dur, raw->ptr, raw->len, txt->ptr, txt->len, NULL,
                                line)) < 0)
            return rc;
    }
    return 0;
}

int cred_srv3__parse(cred_cues *out, const char *s, size_t n, cred_reader *r)
{
    pthread_once(&xml_once, xml_init);
    if (n > (size_t)INT32_MAX)
        return cred__error(CRED_ELIMIT, "XML document too large");
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return cred__error_nomem();
    cred_buf raw = CRED_BUF_INIT, txt = CRED_BUF_INIT;
    int rc = 0;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, s, (int)n, r ? r->name : NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_RECOVER);
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    if (e && e->level >= XML_ERR_ERROR) {
        char why[200];
        snprintf(why, sizeof why, "%s", e->message ? e->message : "malformed XML");
        why[strcspn(why, "\n")] = '\0';
        cred_tr__diag(r, CRED_SEV_ERROR, CRED_ESYNTAX, (uint64_t)CRED_MAX(e->line, 0), (uint64_t)CRED_MAX(e->int2, 0),
                      "XML: %s; kept what could be recovered", why);
    }
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root)
        rc = walk(out, r, root, &raw, &txt, 0);
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    cred_buf_free(&raw);
    cred_buf_free(&txt);
    return rc;
}

/* ---- probes and drivers ------------------------------------------------------------------------ */

static const char *skip_space(const char *s, size_t *n)
{
    s = cred_tr__skip_bom(s, n);
    while (*n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        (*n)--;
    }
    return s;
}

static int probe_json3(const char *head, size_t len)
{
    head = skip_space(head, &len);
    if (!len || head[0] != '{' || !memmem(head, len, "\"events\"", 8))
        return 0;
    return memmem(head, len, "\"tStartMs\"", 10) || memmem(head, len, "\"wireMagic\"", 11) ? 95 : 0;
}

static int probe_srv3(const char *head, size_t len)
{
    head = skip_space(head, &len);
    if (!len || head[0] != '<')
        return 0;
    size_t lim = CRED_MIN(len, 4096);
    return memmem(head, lim, "<timedtext", 10) || memmem(head, lim, "<transcript>", 12) ||
                   memmem(head, lim, "<transcript ", 12)
               ? 95
               : 0;
}

static int open_json3(cred_reader *r)
{
    return cred_tr__open(r, cred_json3__parse);
}

static int open_srv3(cred_reader *r)
{
    return cred_tr__open(r, cred_srv3__parse);
}

const cred_io_driver cred_io__json3 = {CRED_FORMAT_JSON3, probe_json3, open_json3, cred_tr__next, cred_tr__close};
const cred_io_driver cred_io__srv3 = {CRED_FORMAT_SRV3, probe_srv3, open_srv3, cred_tr__next, cred_tr__close};
