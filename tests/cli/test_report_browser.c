/* The HTML report as a moderator sees it: rendered by headless Chromium (Debian `chromium`), its DOM
 * checked for the summary, the histogram, the worst post's highlighted span, a cluster's origin, and
 * the absence of script errors. Skipped only when chromium is not installed (CI installs it). */
#include "run_helpers.h"

static const char *find_chromium(void)
{
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome"};
    const char *env = getenv("CRED_CHROMIUM");
    if (env && *env)
        return env;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", names[i]);
        if (system(cmd) == 0)
            return names[i];
    }
    return NULL;
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Text of the element with id="id" up to its first child tag (enough for counters). */
static const char *after(const char *dom, const char *needle)
{
    const char *p = strstr(dom, needle);
    return p ? p + strlen(needle) : NULL;
}

Test(report_browser, chromium_renders_what_a_moderator_sees, .timeout = 300)
{
    const char *chromium = find_chromium();
    if (!chromium)
        cr_skip("chromium is not installed (apt-get install chromium)");
    const char *bin = getenv("CRED_BIN");
    cr_assert(bin, "CRED_BIN must name the built credence binary");
    char dir[] = "/tmp/cred_browserXXXXXX";
    cr_assert(mkdtemp(dir));
    char cmd[4096], html[256], dom_path[256];
    snprintf(html, sizeof html, "%s/report.html", dir);
    snprintf(dom_path, sizeof dom_path, "%s/dom.html", dir);
    snprintf(cmd, sizeof cmd, "%s score --output html -o %s datasets/sample/health-groups.jsonl 2>/dev/null", bin,
             html);
    cr_assert_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "timeout 240 %s --headless --no-sandbox --disable-gpu --disable-background-networking "
             "--disable-component-update --disable-sync --no-first-run --user-data-dir=%s/profile "
             "--virtual-time-budget=5000 --dump-dom file://%s >%s 2>/dev/null",
             chromium, dir, html, dom_path);
    cr_assert_eq(sh(cmd), 0, "chromium failed: %s", cmd);
    char *dom = t_read_file(dom_path);
    cr_assert(strlen(dom) > 1000, "empty DOM: %s", dom);

    /* the page's scripts ran, and recorded no error */
    cr_expect(strstr(dom, "data-ready=\"1\""), "the report's script did not finish");
    cr_expect(strstr(dom, "<div id=\"script-errors\"></div>"), "script errors: %.400s",
              after(dom, "id=\"script-errors\">") ? after(dom, "id=\"script-errors\">") : "(element missing)");
    cr_expect(strstr(dom, "20 of 20 shown"), "the filter script did not count the posts");
    /* summary counts */
    cr_expect(strstr(dom, "id=\"count-posts\"><b>20</b>"));
    const char *unrel = after(dom, "id=\"count-unreliable\"><b>");
    cr_expect(unrel && atoi(unrel) > 0, "unreliable posts are counted");
    /* histogram bars */
    int bars = 0;
    for (const char *p = dom; (p = strstr(p, "class=\"bar\"")); p++)
        bars++;
    cr_expect_eq(bars, 10);
    cr_expect(strstr(dom, "data-count=\""));
    /* the worst post comes first, with its claim highlighted in the text */
    const char *worst = strstr(dom, "<article class=\"post unreliable\"");
    cr_assert(worst, "no unreliable post listed");
    cr_expect(strncmp(worst, "<article class=\"post unreliable\" data-verdict=\"unreliable\" data-id=\"s", 69) == 0);
    const char *mark = strstr(worst, "data-rule=\"PT_DEBUNKED\"");
    cr_expect(mark && strstr(mark, ">alho cura</mark>") == strchr(mark, '>'),
              "the worst post's claim is highlighted: %.200s", mark ? mark : "");
    /* a forward cluster with its origin and source */
    const char *cl = strstr(dom, "<tr class=\"cluster\">");
    cr_assert(cl, "no forward cluster");
    cr_expect(strstr(cl, "<b>s1</b>") || strstr(cl, "<b>s12</b>"), "cluster origin: %.300s", cl);
    cr_expect(strstr(cl, "<circle"), "the cluster has a timeline");
    /* sources with the most unsourced claims */
    const char *src = strstr(dom, "id=\"sources\"");
    cr_expect(src && strstr(src, "Health Talk BR"));
    free(dom);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}
