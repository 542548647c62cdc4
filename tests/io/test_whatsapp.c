/* WhatsApp exports: the fixture sets (synthetic, chat-miner, pustur) against their expected outputs,
 * and the localised forms the driver promises. Each fixture test prints its pass count. */
#include "wa_helpers.h"

/* ---- synthetic: expected.json (CC0) ------------------------------------------------------------- */

static const char *expected_media(const char *m)
{
    if (!m)
        return NULL;
    if (strcmp(m, "image") == 0)
        return "photo";
    if (strcmp(m, "document") == 0)
        return "file";
    return m;
}

/* Compare one post with one expected non-system record; describe the first mismatch in why. */
static bool synthetic_record_ok(const tpost *p, yajl_val rec, char *why, size_t cap)
{
    yajl_val line = wa_get(rec, "line");
    const char *ts = wa_str(rec, "ts"), *author = wa_str(rec, "author"), *kind = wa_str(rec, "kind");
    const char *text = wa_str(rec, "text"), *media = expected_media(wa_str(rec, "media"));
    const char *fwd = wa_str(rec, "pasted_forward_from");
    yajl_val edited = wa_get(rec, "edited");
    if (line && (uint64_t)YAJL_GET_INTEGER(line) != p->line)
        return snprintf(why, cap, "line %llu", (unsigned long long)p->line), false;
    if (ts && !wa_date_is(p->date, ts))
        return snprintf(why, cap, "date of line %llu", (unsigned long long)p->line), false;
    if (author && (!p->author || strcmp(author, p->author) != 0))
        return snprintf(why, cap, "author of line %llu", (unsigned long long)p->line), false;
    if (text && !wa_same_trimmed(text, p->text))
        return snprintf(why, cap, "text of line %llu: '%s'", (unsigned long long)p->line, p->text), false;
    bool want_media = kind && (strcmp(kind, "media_omitted") == 0 || strcmp(kind, "attachment") == 0);
    if (want_media != !!(p->flags & CRED_POST_MEDIA))
        return snprintf(why, cap, "media flag of line %llu", (unsigned long long)p->line), false;
    if (want_media && !text && p->text_len != 0)
        return snprintf(why, cap, "placeholder left in line %llu", (unsigned long long)p->line), false;
    if (media && (!p->media || strcmp(media, p->media) != 0))
        return snprintf(why, cap, "media type of line %llu", (unsigned long long)p->line), false;
    bool want_deleted = kind && strcmp(kind, "deleted") == 0;
    if (want_deleted != !!(p->flags & CRED_POST_DELETED) || (want_deleted && p->text_len))
        return snprintf(why, cap, "deleted flag of line %llu", (unsigned long long)p->line), false;
    if ((edited && YAJL_IS_TRUE(edited)) != !!(p->flags & CRED_POST_EDITED))
        return snprintf(why, cap, "edited flag of line %llu", (unsigned long long)p->line), false;
    if (fwd && (!p->forwarded_from || strcmp(fwd, p->forwarded_from) != 0))
        return snprintf(why, cap, "forwarded_from of line %llu", (unsigned long long)p->line), false;
    return true;
}

Test(io, synthetic_exports_give_the_records_of_their_expected_json)
{
    yajl_val exp = wa_json(WA_FIXTURES "/synthetic/expected.json");
    int pass = 0, total = 0;
    for (size_t f = 0; f < exp->u.object.len; f++) {
        const char *file = exp->u.object.keys[f];
        if (file[0] == '_')
            continue;
        yajl_val recs = wa_get(exp->u.object.values[f], "records");
        char path[512];
        snprintf(path, sizeof path, WA_FIXTURES "/synthetic/%s", file);
        tread t = read_path(path, NULL);
        cr_assert_eq(t.open_rc, 0, "%s: %s", file, t.error);
        cr_expect_eq(t.format, CRED_FORMAT_WHATSAPP, "%s detected as %d", file, t.format);
        size_t k = 0, systems = 0;
        for (size_t i = 0; i < recs->u.array.len; i++) {
            yajl_val rec = recs->u.array.values[i];
            const char *kind = wa_str(rec, "kind");
            total++;
            if (kind && strcmp(kind, "system") == 0) {
                systems++;
                pass++; /* checked below through stats.system */
                continue;
            }
            char why[256] = "missing";
            if (k < t.n && synthetic_record_ok(&t.posts[k], rec, why, sizeof why))
                pass++;
            else
                cr_log_error("synthetic %s: %s", file, why);
            k++;
        }
        cr_expect_eq(k, t.n, "%s: %zu posts for %zu records", file, t.n, k);
        cr_expect_eq(t.stats.system, systems, "%s: %llu system messages, expected %zu", file,
                     (unsigned long long)t.stats.system, systems);
        cr_expect_eq(t.stats.skipped, 0);
        tread_free(&t);
    }
    fprintf(stderr, "whatsapp fixtures: synthetic records %d/%d\n", pass, total);
    cr_expect_eq(pass, total);
    yajl_tree_free(exp);
}

Test(io, ambiguous_day_month_order_is_reported_once_and_a_hint_decides_it)
{
    size_t len;
    char *data = wa_slurp(WA_FIXTURES "/synthetic/android-24h-ddmmyyyy.txt", &len);
    cr_assert(data);
    tread t = wa_read("a.txt", data, len, CRED_FORMAT_AUTO, CRED_DATE_ORDER_AUTO);
    size_t ambiguous = 0;
    for (size_t i = 0; i < t.nd; i++)
        ambiguous += strstr(t.diags[i].message, "ambiguous") != NULL && t.diags[i].sev == CRED_SEV_WARNING;
    cr_expect_eq(ambiguous, 1);
    cr_expect(wa_date_is(t.posts[0].date, "2024-01-12T09:02")); /* default: day first */
    tread_free(&t);
    t = wa_read("a.txt", data, len, CRED_FORMAT_AUTO, CRED_DATE_ORDER_MDY);
    cr_expect(wa_date_is(t.posts[0].date, "2024-12-01T09:02"));
    for (size_t i = 0; i < t.nd; i++)
        cr_expect_null(strstr(t.diags[i].message, "ambiguous"));
    tread_free(&t);
    free(data);
}

/* ---- chat-miner: five date styles of one chat, target.json newest first (MIT) ----------------- */

Test(io, chat_miner_date_styles_give_the_messages_of_target_json)
{
    static const char *files[] = {"test_[mmddyy]_24hrs.txt", "test_ddmmyy_24hrs.txt", "test_mmddyy_24hrs.txt",
                                  "test_mmddyyyy_12hrs.txt", "test_yyyymmdd_24hrs.txt"};
    yajl_val target = wa_json(WA_FIXTURES "/chat-miner/test/whatsapp/target.json");
    size_t nt = target->u.array.len;
    int pass = 0, total = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[512];
        snprintf(path, sizeof path, WA_FIXTURES "/chat-miner/test/whatsapp/%s", files[f]);
        tread t = read_path(path, NULL);
        cr_assert_eq(t.open_rc, 0, "%s: %s", files[f], t.error);
        cr_expect_eq(t.format, CRED_FORMAT_WHATSAPP);
        cr_expect_eq(t.n, nt, "%s: %zu posts", files[f], t.n);
        for (size_t i = 0; i < nt; i++) {
            yajl_val m = target->u.array.values[nt - 1 - i]; /* target is newest first */
            total++;
            /* chat-miner joins continuation lines with a space, credence with "\n": compare words */
            if (i < t.n && wa_date_is(t.posts[i].date, wa_str(m, "timestamp")) &&
                strcmp(t.posts[i].author, wa_str(m, "author")) == 0 &&
                wa_same_words(t.posts[i].text, wa_str(m, "message")))
                pass++;
            else
                cr_log_error("chat-miner %s: message %zu differs", files[f], i);
        }
        tread_free(&t);
    }
    fprintf(stderr, "whatsapp fixtures: chat-miner messages %d/%d\n", pass, total);
    cr_expect_eq(pass, total);
    yajl_tree_free(target);
}

/* ---- pustur: header cases and the short chat (MIT) ---------------------------------------------- */

Test(io, pustur_header_cases_give_their_datetime_author_and_message)
{
    yajl_val doc = wa_json(WA_FIXTURES "/pustur-derived/pustur-cases.json");
    yajl_val cases = wa_get(doc, "header_cases");
    int pass = 0, total = 0;
    for (size_t i = 0; i < cases->u.array.len; i++) {
        yajl_val c = cases->u.array.values[i];
        const char *line = wa_str(c, "line");
        tread t = wa_read_str(line);
        total++;
        if (t.format == CRED_FORMAT_WHATSAPP && t.n == 1 &&
            wa_date_is(t.posts[0].date, wa_str(c, "expected_local_datetime")) &&
            strcmp(t.posts[0].author, wa_str(c, "author")) == 0 && strcmp(t.posts[0].text, wa_str(c, "message")) == 0)
            pass++;
        else
            cr_log_error("pustur case %zu '%s': %zu posts", i, line, t.n);
        tread_free(&t);
    }
    fprintf(stderr, "whatsapp fixtures: pustur header cases %d/%d\n", pass, total);
    cr_expect_eq(pass, total);
    yajl_tree_free(doc);
}

Test(io, pustur_attachment_cases_are_media_with_the_placeholder_removed)
{
    yajl_val doc = wa_json(WA_FIXTURES "/pustur-derived/pustur-cases.json");
    yajl_val cases = wa_get(doc, "attachment_cases");
    int pass = 0, total = 0;
    for (size_t i = 0; i < cases->u.array.len; i++) {
        const char *msg = wa_str(cases->u.array.values[i], "message");
        const char *file = wa_str(cases->u.array.values[i], "fileName");
        tread t = wa_read_str(msg);
        total++;
        const char *nl = strchr(msg, '\n'); /* a caption on the next line stays */
        if (t.n == 1 && (t.posts[0].flags & CRED_POST_MEDIA) && !strstr(t.posts[0].text, file) &&
            strcmp(t.posts[0].text, nl ? nl + 1 : "") == 0 && t.posts[0].media)
            pass++;
        else
            cr_log_error("pustur attachment case %zu: '%s'", i, t.n ? t.posts[0].text : "(none)");
        tread_free(&t);
    }
    fprintf(stderr, "whatsapp fixtures: pustur attachment cases %d/%d\n", pass, total);
    cr_expect_eq(pass, total);
    yajl_tree_free(doc);
}

Test(io, pustur_misc_cases_keep_system_lines_out_and_multiline_text_in)
{
    yajl_val doc = wa_json(WA_FIXTURES "/pustur-derived/pustur-cases.json");
    yajl_val misc = wa_get(doc, "misc");
    int pass = 0, total = 5;

    tread t = wa_read_str(wa_str(wa_get(misc, "system_line"), "line"));
    pass += t.n == 0 && t.stats.system == 1;
    tread_free(&t);

    t = wa_read_str(wa_str(wa_get(misc, "empty_message"), "line"));
    pass += t.n == 1 && strcmp(t.posts[0].author, "Luke") == 0 && t.posts[0].text_len == 0 && t.stats.system == 0;
    tread_free(&t);

    yajl_val ml = wa_get(misc, "multiline_with_datetime_lookalike");
    yajl_val lines = wa_get(ml, "lines");
    char buf[512] = "";
    for (size_t i = 0; i < lines->u.array.len; i++) {
        const char *l = YAJL_GET_STRING(lines->u.array.values[i]);
        strcat(buf, l ? l : "");
        strcat(buf, "\n");
    }
    t = wa_read_str(buf);
    pass += t.n == 1 && strcmp(t.posts[0].text, wa_str(ml, "expected_message")) == 0;
    tread_free(&t);

    yajl_val i237 = wa_get(misc, "issue_237_daysfirst_from_later_line");
    t = wa_read_str(wa_str(i237, "text"));
    yajl_val dates = wa_get(i237, "expected");
    pass += t.n == 2 && wa_date_is(t.posts[0].date, YAJL_GET_STRING(dates->u.array.values[0])) &&
            wa_date_is(t.posts[1].date, YAJL_GET_STRING(dates->u.array.values[1]));
    tread_free(&t);

    /* Pustur keeps the final "\n" as an empty last line; credence reads it as the line terminator */
    yajl_val kb = wa_get(misc, "keep_blank_lines");
    t = wa_read_str(wa_str(kb, "text"));
    pass += t.n == 1 && wa_same_trimmed(t.posts[0].text, wa_str(kb, "expected_message")) &&
            strstr(t.posts[0].text, "?\n\nIs") != NULL;
    tread_free(&t);

    fprintf(stderr, "whatsapp fixtures: pustur misc cases %d/%d\n", pass, total);
    cr_expect_eq(pass, total);
    yajl_tree_free(doc);
}

Test(io, pustur_short_chat_gives_three_messages_and_two_system_lines)
{
    tread t = read_path(WA_FIXTURES "/pustur/short-chat.txt.2018", NULL);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_assert_eq(t.n, 3);
    cr_expect_eq(t.stats.system, 2);
    cr_expect_str_eq(t.posts[0].author, "Sample User");
    cr_expect_str_eq(t.posts[2].author, "+410123456789");
    cr_expect_str_eq(t.posts[2].text, "How are you?\n\nIs everything alright?");
    cr_expect_str_eq(t.posts[2].id, "5");
    /* 06/03 → 08/05 → 09/04: only month-first keeps these dates in order */
    cr_expect(wa_date_is(t.posts[2].date, "2017-09-04T01:50"));
    tread_free(&t);
}

Test(io, pustur_not_a_chat_file_is_not_read_as_whatsapp)
{
    tread t = read_path(WA_FIXTURES "/pustur/not-a-whatsapp-chat.txt", NULL);
    cr_expect_neq(t.format, CRED_FORMAT_WHATSAPP);
    cr_expect_eq(t.n, 0);
    tread_free(&t);
}

Test(io, shared_fixture_folder_matches_the_copies_in_the_repository)
{
    const char *shared = getenv("CRED_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/whatsapp/synthetic/expected.json", shared ? shared : "");
    size_t a_len, b_len;
    char *a = shared ? wa_slurp(path, &a_len) : NULL;
    if (!a)
        cr_skip_test("CRED_SHARED_DIR fixtures absent");
    char *b = wa_slurp(WA_FIXTURES "/synthetic/expected.json", &b_len);
    cr_expect(b && a_len == b_len && memcmp(a, b, a_len) == 0, "copy of the shared fixtures is stale");
    free(a);
    free(b);
}
