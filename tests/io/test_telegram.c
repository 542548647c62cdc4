/* Telegram Desktop export reader: fixtures, field mapping, repairs and bad input. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "tg_helpers.h"

#define TG "tests/fixtures/telegram/"

static const rec *find(const result *res, const char *id)
{
    for (size_t i = 0; i < res->n; i++)
        if (res->recs[i].id && strcmp(res->recs[i].id, id) == 0)
            return &res->recs[i];
    return NULL;
}

/* Every copied fixture: posts and system messages match an independent count of the `"type"` values
 * at message level in the file text, and the format is detected from the content. */
Test(io, every_telegram_fixture_parses_with_counts_matching_the_message_types_in_the_file)
{
    static const char *const files[] = {
        "innerdvations/bot.json", "innerdvations/error-unexpected.json", "innerdvations/personal.json",
        "innerdvations/private_channel.json", "innerdvations/private_group.json",
        "innerdvations/public_channel.json", "innerdvations/public_supergroup.json", "innerdvations/saved.json",
        "innerdvations/users_test.json", "chat-miner/test_batch_export.json", "chat-miner/test_single_export.json",
        "synthetic/result-single-chat-modern.json", "synthetic/result-full-export-skeleton.json",
        "synthetic/invalid-x-escape.json", "synthetic/invalid-custom-emoji-unquoted.json",
    };
    unsigned pass = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, TG "%s", files[i]);
        size_t len = 0;
        char *text = slurp(path, &len);
        cr_assert_not_null(text, "%s missing", path);
        /* message-level types; error-unexpected.json has one "ERROR:wrong_type" message */
        size_t messages = count_substr(text, "\"type\": \"message\"") + count_substr(text, "\"type\": \"ERROR:");
        size_t services = count_substr(text, "\"type\": \"service\"") + count_substr(text, "\"type\": \"unsupported\"");
        cr_expect_eq(cred_format_detect(text, len), CRED_FORMAT_TELEGRAM, "%s not detected", files[i]);
        result res = read_path(path, CRED_FORMAT_AUTO);
        cr_expect_eq(res.rc, 0, "%s: %s", files[i], res.err_msg);
        cr_expect_eq(res.format, CRED_FORMAT_TELEGRAM, "%s", files[i]);
        cr_expect_eq(res.n, messages, "%s: %zu posts, %zu messages in the file", files[i], res.n, messages);
        cr_expect_eq(res.stats.system, services, "%s: system %llu", files[i], (unsigned long long)res.stats.system);
        cr_expect_eq(res.stats.posts, res.n);
        cr_expect_eq(res.stats.bytes, len);
        if (res.rc == 0 && res.format == CRED_FORMAT_TELEGRAM && res.n == messages && res.stats.system == services)
            pass++;
        result_free(&res);
        free(text);
    }
    cr_log_info("telegram fixtures: %u/%zu pass", pass, sizeof files / sizeof files[0]);
}

static void iso_utc(char *out, size_t cap, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* `s` without spaces. */
static void squeeze(char *out, const char *s)
{
    for (; *s; s++)
        if (*s != ' ')
            *out++ = *s;
    *out = '\0';
}

/* chat-miner's target.json joins entity parts with a space; Telegram's parts are consecutive pieces of
 * the message, so credence concatenates them as written ("Link:https://..."). Compared without spaces,
 * plus the exact concatenation. */
Test(io, chat_miner_exports_match_its_target_timestamps_authors_and_texts)
{
    size_t len = 0;
    char *target = slurp(TG "chat-miner/target.json", &len);
    cr_assert_not_null(target);
    char err[128];
    yajl_val tree = yajl_tree_parse(target, err, sizeof err);
    cr_assert_not_null(tree, "%s", err);
    cr_assert(YAJL_IS_ARRAY(tree));
    static const char *const files[] = {TG "chat-miner/test_single_export.json", TG "chat-miner/test_batch_export.json"};
    unsigned pass = 0;
    for (size_t f = 0; f < 2; f++) {
        result res = read_path(files[f], CRED_FORMAT_AUTO);
        cr_assert_eq(res.rc, 0, "%s", res.err_msg);
        cr_assert_eq(res.n, YAJL_GET_ARRAY(tree)->len);
        bool ok = true;
        for (size_t i = 0; i < res.n; i++) {
            yajl_val item = YAJL_GET_ARRAY(tree)->values[i];
            const char *ts_path[] = {"timestamp", NULL}, *au_path[] = {"author", NULL}, *msg_path[] = {"message", NULL};
            const char *ts = YAJL_GET_STRING(yajl_tree_get(item, ts_path, yajl_t_string));
            const char *au = YAJL_GET_STRING(yajl_tree_get(item, au_path, yajl_t_string));
            const char *msg = YAJL_GET_STRING(yajl_tree_get(item, msg_path, yajl_t_string));
            char iso[32], a[256], b[256];
            iso_utc(iso, sizeof iso, res.recs[i].date);
            squeeze(a, msg);
            squeeze(b, res.recs[i].text);
            cr_expect_str_eq(iso, ts);
            cr_expect_str_eq(res.recs[i].author, au);
            cr_expect_str_eq(b, a);
            ok &= strcmp(iso, ts) == 0 && strcmp(res.recs[i].author, au) == 0 && strcmp(a, b) == 0;
        }
        cr_expect_str_eq(res.recs[1].text, "Link:https://telegram.org/");
        cr_expect_eq(res.recs[1].n_links, 1);
        cr_expect_str_eq(res.recs[1].links[0], "https://telegram.org/");
        /* the single export has no chat name: the file name stands in */
        cr_expect_str_eq(res.recs[0].source, f == 0 ? "test_single_export.json" : "Chatname");
        pass += ok;
        result_free(&res);
    }
    cr_log_info("chat-miner: %u/2 exports match target.json", pass);
    yajl_tree_free(tree);
    free(target);
}

Test(io, a_modern_channel_export_maps_every_message_field)
{
    result res = read_path(TG "synthetic/result-single-chat-modern.json", CRED_FORMAT_TELEGRAM);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 5);
    cr_expect_eq(res.stats.system, 3); /* two service messages and one "unsupported" */
    const rec *m2 = find(&res, "1234567890:2"), *m3 = find(&res, "1234567890:3"), *m4 = find(&res, "1234567890:4");
    const rec *m5 = find(&res, "1234567890:5"), *m6 = find(&res, "1234567890:6");
    cr_assert(m2 && m3 && m4 && m5 && m6);
    cr_expect_str_eq(m2->source, "Example News Channel");
    cr_expect_str_eq(m2->author, "Example News Channel");
    cr_expect_str_eq(m2->author_id, "channel1234567890");
    cr_expect_eq(m2->date, 1709283910);
    cr_expect_str_eq(m2->date_text, "2024-03-01T09:05:10");
    cr_expect_eq(m2->line, 18);
    cr_expect_eq(m2->kind, CRED_KIND_MESSAGE);
    cr_expect_eq(m2->flags, 0);
    cr_expect_str_eq(m3->text, "BREAKING: claim without source see this article and https://example.org/raw #tag "
                               "@someone Nameless Person \xF0\x9F\x94\xA5\nquoted part");
    cr_expect_str_eq(m3->forwarded_from, "Some Other Channel");
    cr_expect(m3->flags & CRED_POST_EDITED);
    cr_assert_eq(m3->n_links, 2);
    cr_expect_str_eq(m3->links[0], "https://example.org/a?b=1");
    cr_expect_str_eq(m3->links[1], "https://example.org/raw");
    cr_expect_str_eq(m4->reply_to, "1234567890:3");
    cr_expect_str_eq(m4->media, "photo");
    cr_expect(m4->flags & CRED_POST_MEDIA);
    cr_expect_str_eq(m4->text, "caption of a photo");
    cr_expect_null(m5->author); /* "from": null */
    cr_expect_str_eq(m5->author_id, "user111");
    cr_expect_str_eq(m5->forwarded_from, "unknown"); /* "forwarded_from": null: deleted account */
    cr_expect_str_eq(m5->media, "video_file");
    cr_expect_eq(m5->text_len, 0);
    cr_expect_str_eq(m6->media, "poll");
    result_free(&res);
}

Test(io, a_full_account_export_reads_chats_list_and_left_chats)
{
    result res = read_path(TG "synthetic/result-full-export-skeleton.json", CRED_FORMAT_AUTO);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 1);
    cr_expect_str_eq(res.recs[0].id, "100000001:10");
    cr_expect_str_eq(res.recs[0].source, "Saved Messages");
    cr_expect_str_eq(res.recs[0].forwarded_from, "Other Person");
    cr_expect_str_eq(res.recs[0].author_id, "user100000001");
    cr_expect_str_eq(res.recs[0].text, "saved-from example (note: saved_messages has no \"name\")");
    result_free(&res);
}

Test(io, old_exports_with_numeric_from_id_local_dates_and_saved_from_are_read)
{
    result res = read_path(TG "innerdvations/saved.json", CRED_FORMAT_AUTO);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    const rec *m = find(&res, "9999999999:173430");
    cr_assert_not_null(m);
    cr_expect_str_eq(m->author_id, "9999999999");
    cr_expect_eq(m->date, 1596319309); /* 2020-08-01T22:01:49 read as UTC */
    cr_expect_str_eq(m->date_text, "2020-08-01T22:01:49");
    cr_expect_str_eq(m->text, "bold italic strikethrough underline @person http://google.com monospace "
                              "http://mystery.knightlab.com/");
    cr_assert_eq(m->n_links, 2);
    cr_expect_str_eq(m->links[0], "http://google.com/");
    const rec *s = find(&res, "9999999999:323662");
    cr_assert_not_null(s);
    cr_expect_str_eq(s->forwarded_from, "ForwardedFrom Person");
    const rec *sticker = find(&res, "9999999999:278329");
    cr_assert_not_null(sticker);
    cr_expect_str_eq(sticker->media, "sticker");
    cr_expect_str_eq(sticker->text, "DoNotChange");
    result_free(&res);
}

Test(io, x_escapes_are_repaired_with_a_warning_each)
{
    result res = read_path(TG "synthetic/invalid-x-escape.json", CRED_FORMAT_AUTO);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 1);
    cr_expect_str_eq(res.recs[0].text, "bell\x07 and vt\x0B inside");
    cr_expect_eq(res.stats.repaired, 5);
    cr_expect_eq(res.warnings, 5);
    cr_expect(strstr(res.first_diag, "invalid-x-escape.json:13:21") != NULL, "%s", res.first_diag);
    result_free(&res);
}

Test(io, an_unquoted_document_id_is_read_as_a_string_with_a_warning)
{
    result res = read_path(TG "synthetic/invalid-custom-emoji-unquoted.json", CRED_FORMAT_AUTO);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 1);
    cr_expect_str_eq(res.recs[0].text, "\xF0\x9F\x98\xAE");
    cr_expect_eq(res.stats.repaired, 1);
    cr_expect(strstr(res.first_diag, "video_files/sticker (2).webm") != NULL, "%s", res.first_diag);
    result_free(&res);
}

Test(io, a_missing_comma_is_a_syntax_error_with_line_and_column)
{
    result res = read_path(TG "innerdvations/error.json", CRED_FORMAT_AUTO);
    cr_expect_eq(res.n, 0);
    cr_assert_eq(res.rc, CRED_ESYNTAX);
    cr_expect_eq(res.err.line, 5);
    cr_expect_geq(res.err.column, 3);
    cr_expect(strstr(res.err_msg, "error.json:5:") != NULL, "%s", res.err_msg);
    result_free(&res);
}

/* Cut the modern export at every byte: never a crash; the posts returned are those whose message
 * closed before the cut, in order; a cut inside the document is an error with a position. */
Test(io, a_truncated_export_returns_every_complete_message_then_an_error)
{
    size_t len = 0;
    char *full = slurp(TG "synthetic/result-single-chat-modern.json", &len);
    cr_assert_not_null(full);
    result all = read_mem(full, len, CRED_FORMAT_TELEGRAM);
    cr_assert_eq(all.rc, 0);
    size_t last_close = len;
    while (last_close > 0 && full[last_close - 1] != '}')
        last_close--;
    for (size_t cut = 1; cut < last_close; cut++) {
        char *part = malloc(cut);
        memcpy(part, full, cut);
        result res = read_mem(part, cut, CRED_FORMAT_TELEGRAM);
        cr_assert_lt(res.rc, 0, "cut at %zu read cleanly", cut);
        cr_assert_leq(res.n, all.n);
        for (size_t i = 0; i < res.n; i++)
            cr_assert_str_eq(res.recs[i].id, all.recs[i].id);
        if (res.rc == CRED_ESYNTAX)
            cr_assert_gt(res.err.line, 0);
        result_free(&res);
        free(part);
    }
    /* cut right after message 4's closing brace: messages 2, 3 and 4 come back */
    const char *end4 = strstr(full, "\"text_entities\": [{\"type\": \"plain\", \"text\": \"caption of a photo\"}]");
    cr_assert_not_null(end4);
    end4 = strchr(end4, '}');
    end4 = strchr(end4 + 1, '}');
    size_t cut = (size_t)(end4 - full) + 1;
    result res = read_mem(full, cut, CRED_FORMAT_TELEGRAM);
    cr_expect_eq(res.n, 3);
    cr_expect_eq(res.rc, CRED_ESYNTAX);
    cr_expect(strstr(res.err_msg, "premature EOF") != NULL, "%s", res.err_msg);
    cr_expect_eq(res.err.offset, cut);
    result_free(&res);
    result_free(&all);
    free(full);
}

Test(io, nul_bytes_are_kept_in_text_and_dropped_outside_strings)
{
    static const char doc[] = "{\"name\":\"c\",\"type\":\"private_group\",\"id\":7,\"messages\":[\0"
                              "{\"id\":1,\"type\":\"message\",\"from\":\"A\",\"text\":\"a\0b\"}]}";
    result res = read_mem(doc, sizeof doc - 1, CRED_FORMAT_TELEGRAM);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 1);
    cr_expect_eq(res.recs[0].text_len, 3);
    cr_expect_eq(memcmp(res.recs[0].text, "a\0b", 3), 0);
    cr_expect_eq(res.stats.repaired, 2);
    result_free(&res);
}

static char *deep_doc(size_t depth, size_t *len)
{
    const char *head = "{\"name\":\"c\",\"type\":\"private_group\",\"id\":7,\"messages\":[{\"id\":1,\"type\":\"message\","
                       "\"text\":\"before\"},{\"id\":2,\"text\":";
    size_t h = strlen(head);
    char *doc = malloc(h + 2 * depth + 8);
    memcpy(doc, head, h);
    memset(doc + h, '[', depth);
    memset(doc + h + depth, ']', depth);
    memcpy(doc + h + 2 * depth, "}]}", 4);
    *len = h + 2 * depth + 3;
    return doc;
}

Test(io, json_nested_100000_deep_is_a_limit_error_without_recursion)
{
    size_t len = 0;
    char *doc = deep_doc(100000, &len);
    result res = read_mem(doc, len, CRED_FORMAT_TELEGRAM);
    cr_expect_eq(res.rc, CRED_ELIMIT, "%d %s", res.rc, res.err_msg);
    cr_expect_eq(res.n, 1); /* the message before the deep one */
    cr_expect(strstr(res.err_msg, "deeper than 64") != NULL, "%s", res.err_msg);
    result_free(&res);
    free(doc);
    /* at the top level too */
    char *arr = malloc(100000);
    memset(arr, '[', 100000);
    res = read_mem(arr, 100000, CRED_FORMAT_TELEGRAM);
    cr_expect_lt(res.rc, 0);
    cr_expect_eq(res.n, 0);
    result_free(&res);
    free(arr);
    /* object, messages array and message take 3 levels: 3 + (limit - 3) is exactly the limit */
    doc = deep_doc(CRED_LIMIT_JSON_DEPTH - 3, &len);
    res = read_mem(doc, len, CRED_FORMAT_TELEGRAM);
    cr_expect_eq(res.rc, 0, "%s", res.err_msg);
    cr_expect_eq(res.n, 2);
    result_free(&res);
    free(doc);
    doc = deep_doc(CRED_LIMIT_JSON_DEPTH - 2, &len);
    res = read_mem(doc, len, CRED_FORMAT_TELEGRAM);
    cr_expect_eq(res.rc, CRED_ELIMIT);
    result_free(&res);
    free(doc);
}

Test(io, an_empty_file_yields_no_post_and_no_error)
{
    result res = read_mem("", 0, CRED_FORMAT_TELEGRAM);
    cr_expect_eq(res.rc, 0);
    cr_expect_eq(res.n, 0);
    result_free(&res);
    res = read_mem(" \n\n ", 4, CRED_FORMAT_TELEGRAM);
    cr_expect_eq(res.rc, 0);
    cr_expect_eq(res.n, 0);
    result_free(&res);
}

Test(io, json_that_is_not_a_telegram_export_is_not_claimed_and_fails_when_forced)
{
    static const char arr[] = "[{\"id\": 1, \"text\": \"hello\"}, {\"id\": 2, \"text\": \"world\"}]";
    cr_expect_neq(cred_format_detect(arr, sizeof arr - 1), CRED_FORMAT_TELEGRAM);
    result res = read_mem(arr, sizeof arr - 1, CRED_FORMAT_TELEGRAM);
    cr_expect_eq(res.rc, CRED_EFORMAT, "%d", res.rc);
    cr_expect_eq(res.n, 0);
    cr_expect(strstr(res.err_msg, "not a Telegram export") != NULL, "%s", res.err_msg);
    result_free(&res);
    static const char obj[] = "{\"users\": [{\"name\": \"a\"}]}";
    cr_expect_neq(cred_format_detect(obj, sizeof obj - 1), CRED_FORMAT_TELEGRAM);
    res = read_mem(obj, sizeof obj - 1, CRED_FORMAT_TELEGRAM);
    cr_expect_eq(res.rc, CRED_EFORMAT);
    result_free(&res);
    /* and the Facebook samples are not Telegram exports */
    size_t len = 0;
    char *fb = slurp("tests/fixtures/facebook/group_posts.json", &len);
    cr_assert_not_null(fb);
    cr_expect_neq(cred_format_detect(fb, len), CRED_FORMAT_TELEGRAM);
    free(fb);
}

Test(io, a_message_with_5_mb_of_text_is_cut_at_the_post_limit_and_reading_goes_on)
{
    size_t big = 5u << 20;
    const char *head = "{\"name\":\"c\",\"type\":\"public_channel\",\"id\":7,\"messages\":[{\"id\":1,\"type\":\"message\",\"text\":\"";
    const char *tail = "\"},{\"id\":2,\"type\":\"message\",\"text\":\"after\"}]}";
    size_t h = strlen(head), t = strlen(tail);
    char *doc = malloc(h + big + t);
    memcpy(doc, head, h);
    for (size_t i = 0; i < big; i += 2)
        memcpy(doc + h + i, "\xC3\xA9", 2); /* é: the cut must not split it */
    memcpy(doc + h + big, tail, t);
    result res = read_mem(doc, h + big + t, CRED_FORMAT_TELEGRAM);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, 2);
    cr_expect_leq(res.recs[0].text_len, CRED_LIMIT_POST_BYTES);
    cr_expect_geq(res.recs[0].text_len, CRED_LIMIT_POST_BYTES - 4);
    cr_expect_eq(res.recs[0].text_len % 2, 0);
    cr_expect(res.recs[0].flags & CRED_POST_TRUNCATED);
    cr_expect_eq(res.stats.repaired, 1);
    cr_expect_str_eq(res.recs[1].text, "after");
    result_free(&res);
    free(doc);
}

/* Build a file whose 1 MiB chunk boundary falls inside a \xNN escape and inside an unquoted value,
 * read it from disk (so the core streams it in chunks) and check repairs, texts and line numbers. */
Test(io, repairs_and_line_numbers_hold_across_chunk_boundaries)
{
    char path[] = "/tmp/cred_tg_chunks_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\n\"name\": \"big\",\n\"type\": \"private_supergroup\",\n\"id\": 9,\n\"messages\": [\n", f);
    long pos = ftell(f);
    unsigned line = 6, n = 0;
    const long boundary = 1L << 20;
    bool split_escape = false, split_bare = false;
    while (pos < 3 * boundary) {
        char msg[512];
        int len = snprintf(msg, sizeof msg, "{\n\"id\": %u,\n\"type\": \"message\",\n\"from\": \"A\",\n\"text\": \"m%u ", n, n);
        long text_at = pos + len; /* where the padding starts */
        long next_boundary = (pos / boundary + 1) * boundary;
        int pad = 40;
        const char *special = "";
        if (!split_escape && next_boundary - text_at < 200) {
            pad = (int)(next_boundary - text_at) - 2; /* the boundary falls after "\x" */
            special = "\\x07";
            split_escape = true;
        } else if (split_escape && !split_bare && next_boundary - text_at < 200 && next_boundary > 2 * boundary - 1) {
            pad = -1; /* handled below */
        }
        if (pad < 0) {
            /* a message whose unquoted value straddles the boundary */
            len = snprintf(msg, sizeof msg, "{\n\"id\": %u,\n\"type\": \"message\",\n\"text\": \"m%u\",\n\"document_id\": ", n, n);
            long v_at = pos + len;
            int vpad = (int)(next_boundary - v_at) - 3;
            if (vpad < 0) {
                pad = 40;
            } else {
                fputs(msg, f);
                fputs("doc", f);
                for (int i = 0; i < vpad; i++)
                    fputc('x', f);
                fputs("yz.webm\n},\n", f);
                n++;
                line += 6;
                pos = ftell(f);
                split_bare = true;
                continue;
            }
        }
        fputs(msg, f);
        for (int i = 0; i < pad; i++)
            fputc('p', f);
        fputs(special, f);
        fputs("\"\n},\n", f);
        n++;
        line += 6;
        pos = ftell(f);
    }
    fprintf(f, "{\n\"id\": %u,\n\"type\": \"message\",\n\"text\": \"last\"\n}\n]\n}\n", n);
    unsigned last_line = line;
    n++;
    fclose(f);
    cr_assert(split_escape && split_bare);
    result res = read_path(path, CRED_FORMAT_AUTO);
    unlink(path);
    cr_assert_eq(res.rc, 0, "%s", res.err_msg);
    cr_assert_eq(res.n, n);
    cr_expect_eq(res.stats.repaired, 2);
    cr_expect_eq(res.recs[0].line, 6);
    cr_expect_eq(res.recs[n - 1].line, last_line);
    size_t with_bell = 0;
    for (size_t i = 0; i < res.n; i++) {
        char want[32];
        snprintf(want, sizeof want, "9:%zu", i);
        cr_assert_str_eq(res.recs[i].id, want);
        with_bell += res.recs[i].text_len && res.recs[i].text[res.recs[i].text_len - 1] == '\x07';
    }
    cr_expect_eq(with_bell, 1);
    result_free(&res);
}
