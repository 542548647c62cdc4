/* WhatsApp exports: .zip exports, bad input, limits, localised forms, forwards, streaming. */
#include "wa_helpers.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

static const char chat[] = "12/01/2024, 09:00 - Messages and calls are end-to-end encrypted.\n"
                           "13/01/2024, 09:01 - Alice: first\n"
                           "13/01/2024, 09:02 - Bob: <Media omitted>\n"
                           "13/01/2024, 09:03 - Alice: third\nsecond line\n";

/* Build a zip in memory from (name, data) pairs; returns its size. */
static size_t make_zip(char *out, size_t cap, const char *const *names, const char *const *data,
                       const size_t *lens, size_t n, bool deflate)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    if (!deflate)
        archive_write_set_options(a, "zip:compression=store");
    size_t used = 0;
    cr_assert_eq(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_size(e, (la_int64_t)lens[i]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK);
        cr_assert_eq(archive_write_data(a, data[i], lens[i]), (la_ssize_t)lens[i]);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return used;
}

static size_t chat_zip(char *out, size_t cap, const char *entry, bool deflate)
{
    static char photo[3000];
    for (size_t i = 0; i < sizeof photo; i++)
        photo[i] = (char)(i * 7 + 3);
    const char *names[] = {"00000001-PHOTO-2024-01-13-09-02-00.jpg", entry};
    const char *data[] = {photo, chat};
    size_t lens[] = {sizeof photo, strlen(chat)};
    return make_zip(out, cap, names, data, lens, 2, deflate);
}

Test(io, zip_export_gives_the_chat_posts_skips_media_and_names_the_source)
{
    static char zip[1 << 16];
    for (int deflate = 0; deflate < 2; deflate++) {
        size_t n = chat_zip(zip, sizeof zip, "_chat.txt", deflate);
        tread t = wa_read("exports/WhatsApp Chat - Família Silva.zip", zip, n, CRED_FORMAT_AUTO, 0);
        cr_assert_eq(t.open_rc, 0, "%s", t.error);
        cr_expect_eq(t.format, CRED_FORMAT_WHATSAPP);
        cr_assert_eq(t.n, 3, "deflate=%d: %zu posts", deflate, t.n);
        cr_expect_eq(t.stats.system, 1);
        cr_expect_str_eq(t.posts[0].source, "Família Silva");
        cr_expect_str_eq(t.posts[2].text, "third\nsecond line");
        cr_expect(t.posts[1].flags & CRED_POST_MEDIA);
        tread_free(&t);
    }
}

Test(io, zip_entry_name_gives_the_chat_name)
{
    static char zip[1 << 16];
    size_t n = chat_zip(zip, sizeof zip, "WhatsApp Chat with Bruno.txt", true);
    tread t = wa_read("export.zip", zip, n, CRED_FORMAT_AUTO, 0);
    cr_assert_eq(t.n, 3, "%s", t.error);
    cr_expect_str_eq(t.posts[0].source, "Bruno");
    tread_free(&t);
}

Test(io, txt_file_that_is_really_a_zip_is_read_by_its_content)
{
    static char zip[1 << 16];
    size_t n = chat_zip(zip, sizeof zip, "_chat.txt", true);
    char *path = temp_file(zip, n);
    char txt[256];
    snprintf(txt, sizeof txt, "%s.txt", path);
    cr_assert_eq(rename(path, txt), 0);
    tread t = read_path(txt, NULL);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_expect_eq(t.format, CRED_FORMAT_WHATSAPP);
    cr_expect_eq(t.n, 3);
    tread_free(&t);
    unlink(txt);
    free(path);
}

Test(io, zip_chat_under_another_name_is_found_by_its_content)
{
    static char zip[1 << 16];
    const char *names[] = {"notes.txt", "my export.txt"};
    const char *data[] = {"shopping list: eggs, milk\n", chat};
    size_t lens[] = {strlen(data[0]), strlen(chat)};
    size_t n = make_zip(zip, sizeof zip, names, data, lens, 2, true);
    tread t = wa_read("x.zip", zip, n, CRED_FORMAT_WHATSAPP, 0);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_expect_eq(t.n, 3);
    tread_free(&t);
}

Test(io, zip_without_a_chat_entry_fails_with_a_clear_error)
{
    static char zip[1 << 16];
    const char *names[] = {"IMG-20240112-WA0001.jpg", "notes.txt"};
    const char *data[] = {"\xff\xd8\xff\xe0 not really a jpeg", "shopping list: eggs, milk\n"};
    size_t lens[] = {strlen(data[0]), strlen(data[1])};
    size_t n = make_zip(zip, sizeof zip, names, data, lens, 2, true);
    tread t = wa_read("media.zip", zip, n, CRED_FORMAT_AUTO, 0);
    cr_expect_eq(t.open_rc, CRED_EFORMAT, "rc %d: %s", t.open_rc, t.error);
    cr_expect(strstr(t.error, "no WhatsApp chat") != NULL, "%s", t.error);
    cr_expect(strstr(t.error, "media.zip") != NULL, "%s", t.error);
    tread_free(&t);
}

Test(io, truncated_zip_keeps_the_messages_before_the_cut_and_reports_it)
{
    size_t cap = 1 << 20, len = 0;
    char *big = malloc(cap);
    for (int i = 0; i < 2000; i++)
        len += (size_t)snprintf(big + len, cap - len, "13/01/2024, 10:%02d - Alice: message number %d\n", i % 60, i);
    char *zip = malloc(cap);
    const char *names[] = {"_chat.txt"};
    const char *data[] = {big};
    size_t n = make_zip(zip, cap, names, data, &len, 1, false);
    tread t = wa_read("cut.zip", zip, n / 2, CRED_FORMAT_AUTO, 0);
    cr_assert_eq(t.open_rc, 0, "%s", t.error);
    cr_expect(t.n > 500 && t.n < 2000, "%zu posts", t.n);
    cr_expect_eq(t.stats.skipped, 1);
    cr_expect_geq(count_sev(&t, CRED_SEV_ERROR), 1);
    tread_free(&t);
    /* cut inside the first local header: nothing to read, an error, no crash */
    t = wa_read("cut.zip", zip, 20, CRED_FORMAT_WHATSAPP, 0);
    cr_expect_lt(t.open_rc, 0);
    cr_expect(strlen(t.error) > 0);
    tread_free(&t);
    free(zip);
    free(big);
}

Test(io, nul_bytes_inside_a_message_are_kept)
{
    static const char in[] = "13/01/2024, 09:00 - A: a\0b\n13/01/2024, 09:01 - B: next\n";
    tread t = wa_read("n.txt", in, sizeof in - 1, CRED_FORMAT_AUTO, 0);
    cr_assert_eq(t.n, 2);
    cr_expect_eq(t.posts[0].text_len, 3);
    cr_expect_eq(memcmp(t.posts[0].text, "a\0b", 3), 0);
    cr_expect_str_eq(t.posts[1].text, "next");
    tread_free(&t);
}

Test(io, latin1_bytes_do_not_stop_the_reader_and_are_kept_for_repair)
{
    tread t = wa_read_str("13/01/2024, 09:00 - Jos\xe9: ol\xe1 tudo bem\n13/01/2024, 09:01 - B: ok\n");
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].author, "Jos\xe9");
    cr_expect_str_eq(t.posts[0].text, "ol\xe1 tudo bem");
    tread_free(&t);
}

Test(io, message_of_50_mb_is_cut_at_the_post_limit_and_counted)
{
    size_t big = 50u << 20;
    const char *head = "13/01/2024, 09:00 - A: ";
    const char *tail = "\n13/01/2024, 09:01 - B: after\n";
    size_t hl = strlen(head), tl = strlen(tail);
    char *in = malloc(hl + big + tl);
    memcpy(in, head, hl);
    memset(in + hl, 'x', big);
    memcpy(in + hl + big, tail, tl);
    char *path = temp_file(in, hl + big + tl);
    tread t = read_path(path, NULL);
    cr_assert_eq(t.n, 2, "%s", t.error);
    cr_expect(t.posts[0].flags & CRED_POST_TRUNCATED);
    cr_expect_eq(t.posts[0].text_len, CRED_LIMIT_POST_BYTES);
    cr_expect_geq(t.stats.repaired, 1);
    cr_expect_str_eq(t.posts[1].text, "after");
    tread_free(&t);
    unlink(path);
    free(path);
    free(in);
}

Test(io, line_over_the_line_limit_is_skipped_counted_and_later_messages_read)
{
    size_t big = CRED_LIMIT_LINE_BYTES + 1000;
    const char *head = "13/01/2024, 09:00 - A: kept\n";
    const char *tail = "\nalso kept\n13/01/2024, 09:01 - B: after\n";
    size_t hl = strlen(head), tl = strlen(tail);
    char *in = malloc(hl + big + tl);
    memcpy(in, head, hl);
    memset(in + hl, 'y', big);
    memcpy(in + hl + big, tail, tl);
    char *path = temp_file(in, hl + big + tl);
    tread t = read_path(path, NULL);
    cr_assert_eq(t.n, 2, "%s", t.error);
    cr_expect_str_eq(t.posts[0].text, "kept\nalso kept");
    cr_expect_str_eq(t.posts[1].text, "after");
    cr_expect_str_eq(t.posts[1].id, "4");
    cr_expect_eq(t.stats.skipped, 1);
    cr_assert_geq(t.nd, 1);
    cr_expect_eq(t.diags[0].line, 2);
    cr_expect_eq(t.diags[0].code, CRED_ELIMIT);
    tread_free(&t);
    unlink(path);
    free(path);
    free(in);
}

Test(io, empty_input_gives_no_post_and_no_error)
{
    tread t = wa_read("e.txt", "", 0, CRED_FORMAT_WHATSAPP, 0);
    cr_expect_eq(t.open_rc, 0);
    cr_expect_eq(t.rc, 0);
    cr_expect_eq(t.n, 0);
    tread_free(&t);
}

Test(io, text_that_is_not_a_chat_is_not_detected_as_whatsapp)
{
    static const char *inputs[] = {
        "On 12/01/2024, 09:00 we met the minister.\nHe said nothing new.\nThe end.\n",
        "date,author,text\n12/01/2024 09:00,alice,hello\n13/01/2024 10:00,bob,bye\n",
        "{\"id\":1,\"text\":\"12/01/2024, 09:00 - A: x\"}\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++)
        cr_expect_neq(cred_format_detect(inputs[i], strlen(inputs[i])), CRED_FORMAT_WHATSAPP, "input %zu", i);
    cr_expect_eq(cred_format_detect(chat, strlen(chat)), CRED_FORMAT_WHATSAPP);
}

Test(io, forced_whatsapp_on_text_that_is_not_a_chat_reports_the_skipped_lines)
{
    tread t = wa_read("p.txt", "just prose\nmore prose\n", 22, CRED_FORMAT_WHATSAPP, 0);
    cr_expect_eq(t.open_rc, 0);
    cr_expect_eq(t.n, 0);
    cr_expect_eq(t.stats.skipped, 1);
    cr_assert_eq(t.nd, 1);
    cr_expect_eq(t.diags[0].line, 1);
    tread_free(&t);
}

Test(io, localised_headers_give_the_right_local_time)
{
    static const struct {
        const char *line, *date, *author;
    } cases[] = {
        /* Arabic-Indic digits, U+200F after numbers, ص/م */
        {"\xd9\xa1\xd9\xa4\xe2\x80\x8f/\xd9\xa0\xd9\xa3\xe2\x80\x8f/\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa0\xd8\x8c "
         "\xd9\xa1\xd9\xa0:\xd9\xa3\xd9\xa0 \xd9\x85 - Ahmad: hi",
         "2020-03-14T22:30", "Ahmad"},
        /* Persian digits, ب.ظ. */
        {"\xdb\xb2\xdb\xb0\xdb\xb2\xdb\xb3/\xdb\xb0\xdb\xb1/\xdb\xb1\xdb\xb5\xd8\x8c \xdb\xb1\xdb\xb0:\xdb\xb3\xdb\xb0 "
         "\xd8\xa8.\xd8\xb8. - Ali: salam",
         "2023-01-15T22:30", "Ali"},
        {"2020/01/13 \xe5\x8d\x88\xe5\xbe\x8c" "3:04 - Taro: konnichiwa", "2020-01-13T15:04", "Taro"}, /* 午後 */
        {"2020. 1. 13. \xec\x98\xa4\xed\x9b\x84 3:04 - Minsu: hi", "2020-01-13T15:04", "Minsu"},        /* 오후 */
        {"13.6.2018 klo 21.25.15 - Aino: moi", "2018-06-13T21:25:15", "Aino"},
        {"[13/06/2018, 09:25:15 a. m.] Pilar: hola", "2018-06-13T09:25:15", "Pilar"},
        {"13-06-2018 21:25 - Jan: hoi", "2018-06-13T21:25", "Jan"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tread t = wa_read_str(cases[i].line);
        cr_expect_eq(t.format, CRED_FORMAT_WHATSAPP, "case %zu", i);
        if (t.n != 1) {
            cr_expect_fail("case %zu: %zu posts", i, t.n);
        } else {
            cr_expect(wa_date_is(t.posts[0].date, cases[i].date), "case %zu: date %lld", i, (long long)t.posts[0].date);
            cr_expect_str_eq(t.posts[0].author, cases[i].author, "case %zu", i);
        }
        tread_free(&t);
    }
}

Test(io, localised_deleted_media_edited_and_system_lines_are_recognised)
{
    tread t = wa_read_str("13/01/2024 09:00 - Ana: Esta mensagem foi apagada\n"
                          "13/01/2024 09:01 - Ana: <M\xc3\xad" "dia oculta>\n"
                          "13/01/2024 09:02 - Ana: corrigido <Esta mensagem foi editada>\n"
                          "13/01/2024 09:03 - Pepe: Se elimin\xc3\xb3 este mensaje.\n"
                          "13/01/2024 09:04 - Reza: \xd8\xa7\xdb\x8c\xd9\x86 \xd9\xbe\xdb\x8c\xd8\xa7\xd9\x85 \xd8\xad\xd8\xb0\xd9\x81 \xd8\xb4\xd8\xaf\n"
                          "13/01/2024 09:05 - Omar: \xd8\xaa\xd9\x85 \xd8\xad\xd8\xb0\xd9\x81 \xd9\x87\xd8\xb0\xd9\x87 \xd8\xa7\xd9\x84\xd8\xb1\xd8\xb3\xd8\xa7\xd9\x84\xd8\xa9\n"
                          "13/01/2024 09:06 - Ana criou o grupo \"Not\xc3\xad" "cias: hoje\"\n"
                          "13/01/2024 09:07 - Ana adicionou Bruno\n"
                          "13/01/2024 09:08 - Ana: a normal message that says image omitted in passing\n");
    cr_assert_eq(t.n, 7);
    cr_expect_eq(t.stats.system, 2);
    cr_expect(t.posts[0].flags & CRED_POST_DELETED);
    cr_expect(t.posts[1].flags & CRED_POST_MEDIA);
    cr_expect_eq(t.posts[1].text_len, 0);
    cr_expect(t.posts[2].flags & CRED_POST_EDITED);
    cr_expect_str_eq(t.posts[2].text, "corrigido");
    for (int i = 3; i < 6; i++)
        cr_expect(t.posts[i].flags & CRED_POST_DELETED, "post %d", i);
    cr_expect_eq(t.posts[6].flags, 0);
    tread_free(&t);
}

Test(io, ios_system_notices_under_the_chat_name_are_left_out)
{
    tread t = wa_read_str("[13/01/2024, 09:00:00] Grupo: \xe2\x80\x8e" "Alice added Bob\n"
                          "[13/01/2024, 09:00:01] Grupo: \xe2\x80\x8eMessages and calls are end-to-end encrypted.\n"
                          "[13/01/2024, 09:00:02] Alice: \xe2\x80\x8eimage omitted\n"
                          "[13/01/2024, 09:00:03] Bob: I added the link below\n");
    cr_assert_eq(t.n, 2);
    cr_expect_eq(t.stats.system, 2);
    cr_expect_str_eq(t.posts[0].media, "photo");
    cr_expect_str_eq(t.posts[1].text, "I added the link below");
    tread_free(&t);
}

Test(io, forward_boilerplate_marks_the_post_forwarded_from_unknown)
{
    static const struct {
        const char *body;
        const char *from;
    } cases[] = {
        {"Forwarded as received\nVaccines contain chips", "unknown"},
        {"*Encaminhada com frequ\xc3\xaancia*\nA vacina tem chip", "unknown"},
        {"\xe2\x8f\xa9 Forwarded\nsomething", "unknown"},
        {"Reenviado muchas veces\nalgo", "unknown"},
        {"\xd8\xa8\xd8\xa7\xd8\xb2\xd8\xa7\xd8\xb1\xd8\xb3\xd8\xa7\xd9\x84 \xd8\xb4\xd8\xaf\xd9\x87\nmatn", "unknown"},
        {"text\n[Forwarded from Canal Verdade]\nmore", "Canal Verdade"},
        {"o documento foi encaminhado ao juiz ontem", NULL},
        {"I forwarded it to you yesterday", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char in[512];
        snprintf(in, sizeof in, "13/01/2024 09:00 - Ana: %s\n", cases[i].body);
        tread t = wa_read_str(in);
        cr_assert_eq(t.n, 1, "case %zu", i);
        if (cases[i].from)
            cr_expect(t.posts[0].forwarded_from && strcmp(t.posts[0].forwarded_from, cases[i].from) == 0,
                      "case %zu: %s", i, t.posts[0].forwarded_from ? t.posts[0].forwarded_from : "(null)");
        else
            cr_expect_null(t.posts[0].forwarded_from, "case %zu", i);
        cr_expect(strstr(cases[i].body, t.posts[0].text) == cases[i].body, "case %zu: text kept", i);
        tread_free(&t);
    }
}

Test(io, lookalike_lines_in_another_style_stay_in_the_message)
{
    tread t = wa_read_str("13/01/2024, 09:00 - Ana: look\n"
                          "[13/01/2024, 09:00:00] Bob: quoted from an iPhone export\n"
                          "2016-04-29 10:30:00 was the time\n"
                          "13/01/2024, 09:01 - Bob: next\n");
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.posts[0].text, "look\n[13/01/2024, 09:00:00] Bob: quoted from an iPhone export\n"
                                      "2016-04-29 10:30:00 was the time");
    cr_expect_str_eq(t.posts[1].id, "4");
    tread_free(&t);
}

Test(io, timestamps_that_go_backwards_are_kept_in_file_order_with_one_note)
{
    tread t = wa_read_str("13/01/2024, 09:00 - A: 1\n13/01/2024, 08:00 - A: 2\n13/01/2024, 07:00 - A: 3\n");
    cr_assert_eq(t.n, 3);
    cr_expect(t.posts[1].date < t.posts[0].date && t.posts[2].date < t.posts[1].date);
    cr_expect_eq(count_sev(&t, CRED_SEV_NOTE), 1);
    cr_expect_eq(t.stats.repaired, 0);
    tread_free(&t);
}

Test(io, file_read_in_chunks_gives_the_same_posts_as_memory)
{
    size_t cap = 6u << 20, len = 0;
    char *in = malloc(cap);
    for (int i = 0; len + 200 < cap; i++)
        len += (size_t)snprintf(in + len, cap - len, "%02d/01/2024, 10:%02d - User %d: message %d\ncontinued %d\n",
                                1 + i % 28, i % 60, i % 7, i, i);
    tread m = wa_read("big.txt", in, len, CRED_FORMAT_AUTO, 0);
    char *path = temp_file(in, len);
    tread f = read_path(path, NULL);
    cr_assert_eq(f.n, m.n);
    cr_assert_gt(m.n, 50000);
    for (size_t i = 0; i < m.n; i += 997)
        cr_expect(strcmp(m.posts[i].text, f.posts[i].text) == 0 && m.posts[i].date == f.posts[i].date &&
                  m.posts[i].line == f.posts[i].line, "post %zu", i);
    cr_expect_str_eq(f.posts[f.n - 1].text, m.posts[m.n - 1].text);
    tread_free(&m);
    tread_free(&f);
    unlink(path);
    free(path);
    free(in);
}

Test(io, order_guessed_at_the_scan_limit_flips_when_a_later_date_proves_it_wrong)
{
    size_t cap = CRED_LIMIT_DATE_SCAN_BYTES + (2u << 20), len = 0;
    char *in = malloc(cap);
    while (len < CRED_LIMIT_DATE_SCAN_BYTES + (1u << 20))
        len += (size_t)snprintf(in + len, cap - len, "01/02/2020, 10:00 - A: same day\n");
    len += (size_t)snprintf(in + len, cap - len, "01/13/2020, 10:00 - A: only month-first\n");
    tread t = wa_read("flip.txt", in, len, CRED_FORMAT_AUTO, 0);
    cr_assert_gt(t.n, 1);
    cr_expect(wa_date_is(t.posts[0].date, "2020-02-01")); /* guessed day-first */
    cr_expect(wa_date_is(t.posts[t.n - 1].date, "2020-01-13"));
    size_t flips = 0;
    for (size_t i = 0; i < t.nd; i++)
        flips += strstr(t.diags[i].message, "from here on") != NULL;
    cr_expect_eq(flips, 1);
    tread_free(&t);
    free(in);
}
