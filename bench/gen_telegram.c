/*
 * Generate a large Telegram Desktop export (result.json) for bench_telegram, in the exporter's own
 * layout (one-space indentation, text plus text_entities). Seeded, so the same flags give the same file.
 *
 *   gen_telegram [-size-mb N] [-seed S] > big.json      (default 64 MB, seed 1)
 *
 * Message mix per 100: 40 plain texts, 20 entity arrays (bold, mention, link, text_link), 10 forwards
 * (1 in 8 from a deleted account: null), 8 service messages, 10 media (photo, video, voice, sticker,
 * some with captions), 12 replies; 1 in 10 edited. Texts mix English, Russian, Persian and emoji.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 1;

static uint64_t rnd(void)
{
    uint64_t x = rng_state; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static unsigned pick(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static const char *const words[] = {
    "the", "vaccine", "government", "hidden", "truth", "share", "before", "deleted", "doctors", "report",
    "water", "5G", "towers", "study", "shows", "breaking", "urgent", "miracle", "cure", "official",
    "\xD0\xBF\xD1\x80\xD0\xB0\xD0\xB2\xD0\xB4\xD0\xB0", "\xD1\x81\xD1\x80\xD0\xBE\xD1\x87\xD0\xBD\xD0\xBE",
    "\xD0\xB2\xD0\xB0\xD0\xBA\xD1\x86\xD0\xB8\xD0\xBD\xD0\xB0", "\xD8\xAE\xD8\xA8\xD8\xB1",
    "\xD9\x81\xD9\x88\xD8\xB1\xDB\x8C", "\xD8\xAF\xD9\x88\xD9\x84\xD8\xAA", "\xF0\x9F\x98\xB1", "\xF0\x9F\x94\xA5",
    "\xE2\x9A\xA0\xEF\xB8\x8F", "news", "people", "everyone", "must", "know", "this", "now", "video", "proof",
};
static const char *const names[] = {"Alice", "Bob", "\xD0\x98\xD0\xB2\xD0\xB0\xD0\xBD", "Maryam", "Carlos",
                                    "News Daily", "Truth Seeker", "\xD9\x85\xD8\xAD\xD9\x85\xD8\xAF"};
static const char *const hosts[] = {"example.org", "news.example.com", "t.me", "youtu.be", "bit.ly"};

typedef struct out {
    char *buf;
    size_t len, cap;
    unsigned long long total;
} out;

static void flush(out *o)
{
    fwrite(o->buf, 1, o->len, stdout);
    o->total += o->len;
    o->len = 0;
}

static void put(out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n > o->cap)
        flush(o);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void putf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void putf(out *o, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(o, tmp);
}

static void sentence(char *dst, size_t cap, unsigned nwords)
{
    size_t len = 0;
    dst[0] = '\0';
    for (unsigned i = 0; i < nwords; i++) {
        const char *w = words[pick(sizeof words / sizeof words[0])];
        size_t n = strlen(w);
        if (len + n + 2 >= cap)
            break;
        if (i)
            dst[len++] = ' ';
        memcpy(dst + len, w, n);
        len += n;
        dst[len] = '\0';
    }
}

static void date_fields(out *o, long long t)
{
    long long d = t / 86400, s = t % 86400;
    /* civil from days (Hinnant) */
    long long z = d + 719468, era = z / 146097, doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, y = yoe + era * 400;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    y += month <= 2;
    putf(o, "   \"date\": \"%04lld-%02lld-%02lldT%02lld:%02lld:%02lld\",\n   \"date_unixtime\": \"%lld\",\n", y, month,
         day, s / 3600, s / 60 % 60, s % 60, t);
}

int main(int argc, char **argv)
{
    unsigned long long size_mb = 64;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-size-mb") == 0)
            size_mb = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-seed") == 0)
            rng_state = strtoull(argv[i + 1], NULL, 10) * 2654435761u + 1;
        else {
            fprintf(stderr, "usage: gen_telegram [-size-mb N] [-seed S] > result.json\n");
            return 2;
        }
    }
    unsigned long long target = size_mb << 20;
    out o = {malloc(1 << 20), 0, 1 << 20, 0};
    put(&o, "{\n \"name\": \"Bench Channel\",\n \"type\": \"public_supergroup\",\n \"id\": 1234567890,\n \"messages\": [\n");
    long long t = 1600000000;
    unsigned long long id = 1;
    char a[1024], b[1024];
    while (o.total + o.len < target) {
        unsigned kind = pick(100);
        t += 1 + pick(300);
        put(&o, id == 1 ? "  {\n" : ",\n  {\n");
        putf(&o, "   \"id\": %llu,\n", id);
        if (kind < 8) { /* service */
            put(&o, "   \"type\": \"service\",\n");
            date_fields(&o, t);
            const char *who = names[pick(8)];
            putf(&o, "   \"actor\": \"%s\",\n   \"actor_id\": \"user%u\",\n   \"action\": \"%s\",\n", who, 1000 + pick(500),
                 pick(2) ? "pin_message" : "invite_members");
            put(&o, "   \"text\": \"\",\n   \"text_entities\": []\n  }");
            id++;
            continue;
        }
        put(&o, "   \"type\": \"message\",\n");
        date_fields(&o, t);
        if (pick(10) == 0)
            putf(&o, "   \"edited\": \"2024-01-01T00:00:00\",\n   \"edited_unixtime\": \"%lld\",\n", t + 60);
        unsigned who = pick(8);
        putf(&o, "   \"from\": \"%s\",\n   \"from_id\": \"user%u\",\n", names[who], 1000 + who);
        if (kind >= 8 && kind < 18) {
            if (pick(8) == 0)
                put(&o, "   \"forwarded_from\": null,\n");
            else
                putf(&o, "   \"forwarded_from\": \"%s\",\n", names[pick(8)]);
        }
        if (kind >= 18 && kind < 30 && id > 1)
            putf(&o, "   \"reply_to_message_id\": %llu,\n", id - 1 - pick((unsigned)(id - 1 < 50 ? id - 1 : 50)));
        if (kind >= 30 && kind < 40) {
            switch (pick(4)) {
            case 0: put(&o, "   \"photo\": \"photos/photo_1@01-01-2024_00-00-00.jpg\",\n   \"width\": 1280,\n   \"height\": 720,\n"); break;
            case 1: put(&o, "   \"file\": \"video_files/video.mp4\",\n   \"thumbnail\": \"video_files/video.mp4_thumb.jpg\",\n"
                            "   \"media_type\": \"video_file\",\n   \"mime_type\": \"video/mp4\",\n   \"duration_seconds\": 31,\n"
                            "   \"width\": 640,\n   \"height\": 360,\n"); break;
            case 2: put(&o, "   \"file\": \"voice_messages/audio.ogg\",\n   \"media_type\": \"voice_message\",\n"
                            "   \"mime_type\": \"audio/ogg\",\n   \"duration_seconds\": 9,\n"); break;
            default: put(&o, "   \"file\": \"stickers/sticker.webp\",\n   \"media_type\": \"sticker\",\n   \"sticker_emoji\": \"\xF0\x9F\x98\x82\",\n"
                             "   \"width\": 512,\n   \"height\": 512,\n"); break;
            }
            if (pick(2)) {
                put(&o, "   \"text\": \"\",\n   \"text_entities\": []\n  }");
                id++;
                continue;
            }
        }
        if (kind >= 40 && kind < 60) { /* entity array */
            sentence(a, sizeof a, 4 + pick(10));
            sentence(b, sizeof b, 3 + pick(8));
            const char *host = hosts[pick(5)];
            unsigned path = pick(100000);
            putf(&o, "   \"text\": [\n    \"%s \",\n    {\n     \"type\": \"bold\",\n     \"text\": \"%s\"\n    },\n"
                     "    \" see \",\n    {\n     \"type\": \"link\",\n     \"text\": \"https://%s/a/%u\"\n    },\n"
                     "    \" and \",\n    {\n     \"type\": \"text_link\",\n     \"text\": \"this\",\n"
                     "     \"href\": \"https://%s/b?id=%u\"\n    },\n    {\n     \"type\": \"mention\",\n     \"text\": \"@chan%u\"\n    }\n   ],\n",
                 a, b, host, path, hosts[pick(5)], path + 1, pick(100));
            putf(&o, "   \"text_entities\": [\n    {\n     \"type\": \"plain\",\n     \"text\": \"%s \"\n    },\n"
                     "    {\n     \"type\": \"bold\",\n     \"text\": \"%s\"\n    },\n    {\n     \"type\": \"plain\",\n     \"text\": \" see \"\n    },\n"
                     "    {\n     \"type\": \"link\",\n     \"text\": \"https://%s/a/%u\"\n    }\n   ]\n  }",
                 a, b, host, path);
        } else {
            sentence(a, sizeof a, 3 + pick(pick(10) == 0 ? 120 : 25));
            if (pick(6) == 0) /* a quoted line and a newline, escaped as the exporter does */
                putf(&o, "   \"text\": \"\\\"%s\\\"\\n%s\",\n   \"text_entities\": [\n    {\n     \"type\": \"plain\",\n"
                         "     \"text\": \"\\\"%s\\\"\\n%s\"\n    }\n   ]\n  }", a, "source: trust me", a, "source: trust me");
            else
                putf(&o, "   \"text\": \"%s\",\n   \"text_entities\": [\n    {\n     \"type\": \"plain\",\n     \"text\": \"%s\"\n    }\n   ]\n  }",
                     a, a);
        }
        id++;
    }
    put(&o, "\n ]\n}\n");
    flush(&o);
    free(o.buf);
    fprintf(stderr, "gen_telegram: %llu bytes, %llu messages\n", o.total, id - 1);
    return 0;
}
