/*
 * The HTML report: one self-contained file that works offline. Everything a moderator needs is
 * rendered here as static HTML and inline SVG (summary counts, validity histogram, the least credible
 * posts with highlighted spans and reasons, forward clusters with origin, spread and a timeline, the
 * sources and authors with the most unsourced claims); a little hand-written JavaScript adds filters
 * and records any script error in #script-errors (the browser test reads it).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "out/out_int.h"

#define REPORT_CLUSTERS 20
#define REPORT_SOURCES 15

static const char css[] =
    ":root{--bg:#f6f7f9;--fg:#1d2330;--mut:#667085;--card:#fff;--red:#c0392b;--amber:#b7791f;--green:#2f855a;"
    "--grey:#8a94a6;--line:#e3e6ec}\n"
    "*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "background:var(--bg);color:var(--fg)}\n"
    "header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}"
    "header p{margin:4px 0 0;color:#c9d1e0}\n"
    "main{max-width:1180px;margin:0 auto;padding:20px 28px 60px}section{margin-top:28px}"
    "h2{font-size:18px;margin:0 0 10px}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:var(--card);border:1px solid var(--line);"
    "border-radius:8px;padding:12px 16px;min-width:130px}.card b{display:block;font-size:24px}"
    ".card span{color:var(--mut);font-size:13px}\n"
    ".card.unreliable b{color:var(--red)}.card.review b{color:var(--amber)}.card.credible b{color:var(--green)}"
    ".card.insufficient b{color:var(--grey)}\n"
    "svg text{font-size:11px;fill:var(--mut)}.bar{fill:#4c6ef5}.bar:hover{fill:#364fc7}\n"
    ".post{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--grey);border-radius:8px;"
    "padding:12px 16px;margin:10px 0}\n"
    ".post.unreliable{border-left-color:var(--red)}.post.review{border-left-color:var(--amber)}"
    ".post.credible{border-left-color:var(--green)}\n"
    ".meta{color:var(--mut);font-size:13px}.badge{display:inline-block;min-width:44px;text-align:center;"
    "border-radius:12px;padding:1px 8px;color:#fff;font-weight:600;margin-right:8px;background:var(--grey)}\n"
    ".unreliable .badge{background:var(--red)}.review .badge{background:var(--amber)}"
    ".credible .badge{background:var(--green)}\n"
    ".text{white-space:pre-wrap;margin:8px 0;overflow-wrap:anywhere}mark{background:#ffe08a;border-radius:3px;"
    "padding:0 1px}mark.nice{background:#b7ebc6}\n"
    ".reasons{margin:0;padding-left:18px;font-size:14px}.reasons .pts{font-variant-numeric:tabular-nums;"
    "font-weight:600}.reasons .neg{color:var(--green)}.reasons .pos{color:var(--red)}.capped{color:var(--mut)}\n"
    ".flag{display:inline-block;font-size:12px;border:1px solid var(--line);border-radius:10px;padding:0 7px;"
    "margin-left:4px;background:#eef1f6}\n"
    "table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line)}"
    "th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top;font-size:14px}"
    "th{background:#eef1f6}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".controls{display:flex;gap:8px;align-items:center;margin-bottom:6px}.controls button{border:1px solid "
    "var(--line);background:#fff;border-radius:6px;padding:4px 10px;cursor:pointer}.controls button.on{"
    "background:#1d2330;color:#fff}.controls input{padding:4px 8px;border:1px solid var(--line);border-radius:6px;"
    "flex:1;max-width:320px}\n"
    ".timeline circle{fill:#4c6ef5;opacity:.75}.timeline line{stroke:var(--line)}.excerpt{color:var(--mut);"
    "font-size:13px}#script-errors:empty{display:none}#script-errors{color:var(--red);white-space:pre-wrap}\n"
    "footer{color:var(--mut);font-size:12px;margin-top:40px}\n";

/* In <head>, before anything else runs: every script error ends up in #script-errors. */
static const char js_errors[] =
    "window.credErrors = [];\n"
    "function credError(m) { window.credErrors.push('error: ' + m);\n"
    "  var e = document.getElementById('script-errors'); if (e) e.textContent = window.credErrors.join('\\n'); }\n"
    "window.onerror = function (msg, src, line, col) { credError(msg + ' (' + line + ':' + col + ')'); return false; };\n"
    "window.addEventListener('unhandledrejection', function (e) { credError('unhandled rejection ' + e.reason); });\n";

static const char js[] =
    "(function(){\n"
    "  document.getElementById('script-errors').textContent = window.credErrors.join('\\n');\n"
    "  var posts = Array.prototype.slice.call(document.querySelectorAll('#worst .post'));\n"
    "  var buttons = Array.prototype.slice.call(document.querySelectorAll('#worst .controls button'));\n"
    "  var search = document.getElementById('search');\n"
    "  var shown = document.getElementById('shown');\n"
    "  var verdict = 'all';\n"
    "  function apply() {\n"
    "    var q = search.value.trim().toLowerCase(), n = 0;\n"
    "    posts.forEach(function (p) {\n"
    "      var ok = (verdict === 'all' || p.getAttribute('data-verdict') === verdict) &&\n"
    "               (!q || p.textContent.toLowerCase().indexOf(q) >= 0);\n"
    "      p.style.display = ok ? '' : 'none'; if (ok) n++; });\n"
    "    shown.textContent = n + ' of ' + posts.length + ' shown';\n"
    "  }\n"
    "  buttons.forEach(function (b) { b.addEventListener('click', function () {\n"
    "    verdict = b.getAttribute('data-verdict');\n"
    "    buttons.forEach(function (o) { o.classList.toggle('on', o === b); }); apply(); }); });\n"
    "  search.addEventListener('input', apply);\n"
    "  Array.prototype.slice.call(document.querySelectorAll('.bar')).forEach(function (r) {\n"
    "    r.addEventListener('click', function () { search.value = ''; verdict = 'all'; apply(); }); });\n"
    "  apply();\n"
    "  document.body.setAttribute('data-ready', '1');\n"
    "})();\n";

/* ---- escaping ------------------------------------------------------------------------------------- */

static void esc(cred_buf *b, const char *s, size_t len)
{
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        const char *r = NULL;
        switch (s[i]) {
        case '&': r = "&amp;"; break;
        case '<': r = "&lt;"; break;
        case '>': r = "&gt;"; break;
        case '"': r = "&quot;"; break;
        case '\'': r = "&#39;"; break;
        case '\0': r = "\xEF\xBF\xBD"; break;
        default: break;
        }
        if (r) {
            cred_buf_put(b, s + from, i - from);
            cred_buf_puts(b, r);
            from = i + 1;
        }
    }
    cred_buf_put(b, s + from, len - from);
}

/* Escaped, with invalid UTF-8 replaced. */
static void esc_text(cred_out *o, const char *s, size_t len)
{
    if (cred_utf8_invalid_count(s, len) == 0) {
        esc(&o->buf, s, len);
        return;
    }
    cred_buf t = CRED_BUF_INIT;
    if (cred_utf8_sanitize(&t, s, len) >= 0)
        esc(&o->buf, t.ptr ? t.ptr : "", t.len);
    else
        o->failed = true;
    cred_buf_free(&t);
}

static void esc_str(cred_out *o, const char *s)
{
    if (s)
        esc_text(o, s, strlen(s));
}

static void day(char *out, size_t cap, int64_t t, const char *fmt)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t == CRED_DATE_UNKNOWN || !gmtime_r(&tt, &tm) || !strftime(out, cap, fmt, &tm))
        snprintf(out, cap, "unknown");
}

/* ---- sections ------------------------------------------------------------------------------------- */

static void card(cred_buf *b, const char *id, const char *cls, uint64_t n, const char *label)
{
    cred_buf_printf(b, "<div class=\"card %s\" id=\"%s\"><b>%" PRIu64 "</b><span>%s</span></div>\n", cls, id, n,
                    label);
}

static void summary(cred_out *o, const out_summary *s)
{
    cred_buf *b = &o->buf;
    cred_buf_puts(b, "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">\n");
    card(b, "count-posts", "", s->posts, "posts scored");
    card(b, "count-unreliable", "unreliable", s->verdicts[CRED_VERDICT_UNRELIABLE], "unreliable");
    card(b, "count-review", "review", s->verdicts[CRED_VERDICT_REVIEW], "to review");
    card(b, "count-credible", "credible", s->verdicts[CRED_VERDICT_CREDIBLE], "credible");
    card(b, "count-insufficient", "insufficient", s->verdicts[CRED_VERDICT_INSUFFICIENT], "insufficient evidence");
    cred_buf_puts(b, "</div><div class=\"cards\" style=\"margin-top:12px\">\n");
    static const char *const labels[CRED_FLAG_COUNT_] = {"unsourced claims", "cite a source", "forwarded",
                                                         "near-duplicates", "pressure to share", "template variants"};
    for (unsigned f = 0; f < CRED_FLAG_COUNT_; f++) {
        char id[48];
        snprintf(id, sizeof id, "flag-%s", cred_flag_name(1u << f));
        card(b, id, "", s->flags[f], labels[f]);
    }
    cred_buf_printf(b, "</div><p class=\"meta\">Mean validity <b id=\"mean-validity\">%.0f</b> / 100.</p></section>\n",
                    s->posts ? s->validity_sum / (double)s->posts : 0.0);
}

static void histogram(cred_out *o, const out_summary *s)
{
    cred_buf *b = &o->buf;
    uint64_t max = 1;
    for (int i = 0; i < OUT_HIST_BINS; i++)
        max = CRED_MAX(max, s->hist[i]);
    const int W = 640, H = 200, left = 40, bottom = 30, top = 10;
    double bw = (double)(W - left - 10) / OUT_HIST_BINS;
    cred_buf_printf(b, "<section id=\"histogram\"><h2>Validity of all posts</h2>\n<svg role=\"img\" "
                       "aria-label=\"histogram of validity\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
                    W, H, W, H);
    cred_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", left, H - bottom, W - 10,
                    H - bottom);
    cred_buf_printf(b, "<text x=\"4\" y=\"%d\">%" PRIu64 "</text><text x=\"4\" y=\"%d\">0</text>\n", top + 10, max,
                    H - bottom);
    for (int i = 0; i < OUT_HIST_BINS; i++) {
        double h = (double)(H - bottom - top) * (double)s->hist[i] / (double)max;
        int lo = i * 100 / OUT_HIST_BINS, hi = (i + 1) * 100 / OUT_HIST_BINS - (i + 1 < OUT_HIST_BINS);
        cred_buf_printf(b,
                        "<rect class=\"bar\" data-bin=\"%d-%d\" data-count=\"%" PRIu64 "\" x=\"%.1f\" y=\"%.1f\" "
                        "width=\"%.1f\" height=\"%.1f\"><title>validity %d–%d: %" PRIu64 " posts</title></rect>\n",
                        lo, hi, s->hist[i], left + i * bw + 2, H - bottom - h, bw - 4, h, lo, hi, s->hist[i]);
        cred_buf_printf(b, "<text x=\"%.1f\" y=\"%d\">%d</text>\n", left + i * bw + 2, H - bottom + 14, lo);
    }
    cred_buf_printf(b, "<text x=\"%d\" y=\"%d\">100</text><text x=\"%d\" y=\"%d\">validity →</text></svg></section>\n",
                    W - 30, H - bottom + 14, W / 2 - 30, H - 2);
}

typedef struct mark_span {
    uint32_t start, end;
    const out_reason *r;
} mark_span;

static int cmp_span(const void *a, const void *b)
{
    const mark_span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end < y->end) - (x->end > y->end); /* longer first */
}

/* The post's text with the spans of its reasons highlighted (overlaps: the first, longest wins). */
static void marked_text(cred_out *o, const out_post *p)
{
    mark_span m[OUT_REASONS];
    size_t n = 0;
    for (size_t i = 0; i < p->n_reasons; i++) {
        const out_reason *r = &p->reasons[i];
        if (r->in_text && r->end > r->start)
            m[n++] = (mark_span){r->start, r->end, r};
    }
    qsort(m, n, sizeof *m, cmp_span);
    uint32_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (m[i].start < at)
            continue;
        esc_text(o, p->text + at, m[i].start - at);
        cred_buf_printf(&o->buf, "<mark class=\"%s\" data-rule=\"%s\" title=\"%s %+.2f\">",
                        m[i].r->points < 0 ? "nice" : "hit", m[i].r->rule, m[i].r->rule, m[i].r->points);
        esc_text(o, p->text + m[i].start, m[i].end - m[i].start);
        cred_buf_puts(&o->buf, "</mark>");
        at = m[i].end;
    }
    esc_text(o, p->text + at, p->text_len - at);
    if (p->full_len > p->text_len)
        cred_buf_puts(&o->buf, "…");
}

static void worst(cred_out *o, out_summary *s)
{
    cred_buf *b = &o->buf;
    cred_out__summary_sort(s);
    cred_buf_printf(b, "<section id=\"worst\"><h2>The %zu least credible posts</h2>\n", s->n_worst);
    cred_buf_puts(b, "<div class=\"controls\"><button class=\"on\" data-verdict=\"all\">all</button>"
                     "<button data-verdict=\"unreliable\">unreliable</button><button data-verdict=\"review\">review"
                     "</button><button data-verdict=\"credible\">credible</button><input id=\"search\" "
                     "type=\"search\" placeholder=\"filter by text, source, rule…\"><span id=\"shown\" class=\"meta\">"
                     "</span></div>\n");
    for (size_t i = 0; i < s->n_worst; i++) {
        const out_post *p = &s->worst[i];
        const char *v = cred_verdict_name(p->verdict);
        char date[40];
        day(date, sizeof date, p->date, "%Y-%m-%d %H:%M UTC");
        cred_buf_printf(b, "<article class=\"post %s\" data-verdict=\"%s\" data-id=\"", v, v);
        esc_str(o, p->id);
        cred_buf_printf(b, "\"><div><span class=\"badge\" title=\"validity\">%d</span><b>%s</b> · ", p->validity, v);
        esc_str(o, p->id);
        cred_buf_puts(b, " <span class=\"meta\">");
        if (p->source) {
            cred_buf_puts(b, "in <bdi>");
            esc_str(o, p->source);
            cred_buf_puts(b, "</bdi>");
        }
        if (p->author) {
            cred_buf_puts(b, " by <bdi>");
            esc_str(o, p->author);
            cred_buf_puts(b, "</bdi>");
        }
        cred_buf_printf(b, " · %s</span>", date);
        for (unsigned f = 0; f < CRED_FLAG_COUNT_; f++)
            if (p->flags & (1u << f))
                cred_buf_printf(b, "<span class=\"flag\">%s</span>", cred_flag_name(1u << f));
        cred_buf_puts(b, "</div>\n<div class=\"text\" dir=\"auto\">");
        marked_text(o, p);
        cred_buf_puts(b, "</div>\n<ul class=\"reasons\">\n");
        for (size_t k = 0; k < p->n_reasons; k++) {
            const out_reason *r = &p->reasons[k];
            bool sup = r->hit_flags & (CRED_HIT_CAPPED | CRED_HIT_GROUP_LIMITED);
            cred_buf_printf(b, "<li data-rule=\"%s\"><span class=\"pts %s\">%+.2f</span> <b>%s</b> "
                               "<span class=\"meta\">%s</span> — ",
                            r->rule, r->points < 0 ? "neg" : "pos", r->points, r->rule, r->category);
            esc_str(o, r->explain);
            if (r->quote && !r->in_text) {
                cred_buf_puts(b, " «");
                esc_str(o, r->quote);
                cred_buf_puts(b, "»");
            }
            if (sup)
                cred_buf_printf(b, " <span class=\"capped\">(%s: %+.2f of %+.2f)</span>",
                                (r->hit_flags & CRED_HIT_CAPPED) ? "capped" : "group limit", r->points, r->raw_points);
            cred_buf_puts(b, "</li>\n");
        }
        cred_buf_puts(b, "</ul></article>\n");
        if (cred_out__flush_if(o, FLUSH_BYTES) < 0)
            return;
    }
    cred_buf_puts(b, "</section>\n");
}

static int cmp_cluster(const void *a, const void *b)
{
    const out_cluster *x = *(out_cluster *const *)a, *y = *(out_cluster *const *)b;
    if (x->sources != y->sources)
        return x->sources > y->sources ? -1 : 1;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return strcmp(x->origin_id, y->origin_id);
}

static void timeline(cred_buf *b, const out_cluster *c)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < c->n_dates; i++)
        if (c->dates[i] != CRED_DATE_UNKNOWN) {
            lo = CRED_MIN(lo, c->dates[i]);
            hi = CRED_MAX(hi, c->dates[i]);
        }
    cred_buf_puts(b, "<svg class=\"timeline\" width=\"220\" height=\"24\" viewBox=\"0 0 220 24\">"
                     "<line x1=\"6\" y1=\"12\" x2=\"214\" y2=\"12\"/>");
    if (lo != INT64_MAX) {
        for (size_t i = 0; i < c->n_dates; i++) {
            if (c->dates[i] == CRED_DATE_UNKNOWN)
                continue;
            double x = hi > lo ? 6 + 208.0 * (double)(c->dates[i] - lo) / (double)(hi - lo) : 110;
            char d[40];
            day(d, sizeof d, c->dates[i], "%Y-%m-%d %H:%M");
            cred_buf_printf(b, "<circle cx=\"%.1f\" cy=\"12\" r=\"4\"><title>%s ", x, d);
            if (c->date_sources[i])
                esc(b, c->date_sources[i], strlen(c->date_sources[i]));
            cred_buf_puts(b, "</title></circle>");
        }
    }
    cred_buf_puts(b, "</svg>");
}

static void clusters(cred_out *o, const out_summary *s)
{
    cred_buf *b = &o->buf;
    cred_buf_printf(b, "<section id=\"clusters\"><h2>Forward clusters</h2><p class=\"meta\">%zu clusters of copies"
                       "%s; the widest spread first.</p>\n",
                    s->clusters.n, s->clusters_dropped ? " (more were not tracked)" : "");
    if (!s->clusters.n) {
        cred_buf_puts(b, "<p>No copies found.</p></section>\n");
        return;
    }
    void **v = cred_out__map_sorted(&s->clusters, cmp_cluster);
    if (!v) {
        o->failed = true;
        return;
    }
    cred_buf_puts(b, "<table><thead><tr><th>origin</th><th>size</th><th>sources</th><th>first seen</th>"
                     "<th>last seen</th><th>timeline</th><th>text</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < s->clusters.n && i < REPORT_CLUSTERS; i++) {
        const out_cluster *c = v[i];
        char first[40], last[40];
        day(first, sizeof first, c->first_seen, "%Y-%m-%d %H:%M");
        day(last, sizeof last, c->last_seen, "%Y-%m-%d %H:%M");
        cred_buf_puts(b, "<tr class=\"cluster\"><td class=\"origin\"><b>");
        esc_str(o, c->origin_id);
        cred_buf_puts(b, "</b><br><span class=\"meta\">");
        esc_str(o, c->origin_source);
        cred_buf_printf(b, "</span></td><td class=\"n\">%" PRIu32 "</td><td class=\"n\">%" PRIu32 "</td><td>%s</td>"
                           "<td>%s</td><td>",
                        c->size, c->sources, first, last);
        timeline(b, c);
        cred_buf_puts(b, "</td><td class=\"excerpt\" dir=\"auto\">");
        esc_str(o, c->excerpt);
        cred_buf_puts(b, "</td></tr>\n");
    }
    cred_buf_puts(b, "</tbody></table></section>\n");
    free(v);
}

static int cmp_source(const void *a, const void *b)
{
    const out_source *x = *(out_source *const *)a, *y = *(out_source *const *)b;
    if (x->unsourced != y->unsourced)
        return x->unsourced > y->unsourced ? -1 : 1;
    if (x->posts != y->posts)
        return x->posts > y->posts ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void sources(cred_out *o, const out_map *m, const char *id, const char *title, const char *what)
{
    cred_buf *b = &o->buf;
    cred_buf_printf(b, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
    void **v = cred_out__map_sorted(m, cmp_source);
    if (!v) {
        o->failed = true;
        return;
    }
    cred_buf_printf(b, "<table><thead><tr><th>%s</th><th>posts</th><th>unsourced claims</th><th>unreliable</th>"
                       "<th>copies</th></tr></thead><tbody>\n", what);
    for (size_t i = 0; i < m->n && i < REPORT_SOURCES; i++) {
        const out_source *e = v[i];
        cred_buf_puts(b, "<tr><td>");
        esc_str(o, e->name);
        cred_buf_printf(b, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%"
                           PRIu64 "</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
                        e->posts, e->unsourced, e->unreliable, e->copies);
    }
    cred_buf_puts(b, "</tbody></table></section>\n");
    free(v);
}

int cred_out__html(cred_out *o, out_summary *s)
{
    cred_buf *b = &o->buf;
    const char *title = o->opts.title ? o->opts.title : "credence report";
    cred_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                     "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\"><title>");
    esc_str(o, title);
    cred_buf_printf(b, "</title>\n<script>\n%s</script>\n<style>\n%s</style></head>\n<body>\n<header><h1>",
                    js_errors, css);
    esc_str(o, title);
    cred_buf_printf(b, "</h1><p>%" PRIu64 " posts scored by credence %s: validity 0 (unreliable) to 100 (credible), "
                       "with the reasons.</p></header>\n<main>\n<div id=\"script-errors\"></div>\n",
                    s->posts, cred_version());
    summary(o, s);
    histogram(o, s);
    worst(o, s);
    clusters(o, s);
    sources(o, &s->sources, "sources", "Sources with the most unsourced claims", "source (channel, group)");
    sources(o, &s->authors, "authors", "Authors with the most unsourced claims", "author");
    cred_buf_printf(b, "<footer>Generated offline by credence %s. Scores are evidence for a moderator, not a "
                       "verdict on truth.</footer>\n</main>\n<script>\n%s</script>\n</body></html>\n",
                    cred_version(), js);
    return o->failed ? cred__error_nomem() : 0;
}
