/*
 * gen_whatsapp [-size MB] [-seed S] [-style android|ios] > chat.txt
 * A seeded, realistic WhatsApp export of about `size` MB (default 1024): Android 24-hour headers
 * ("12/01/2024, 09:00 - Author: text") or iOS bracketed 12-hour ones with U+202F and U+200E
 * ("[12/01/24, 9:00:05 PM] Author: text"); multi-line messages, media placeholders, deleted and
 * edited messages, forwards, system lines; Portuguese, English and Persian text. Dates move forward
 * through the months (so day/month order is decided early, as in real chats).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static const char *const authors[] = {"Ana Souza", "Bruno", "+55 11 98765-4321", "Carla 🌻", "Dr. Pedro",
                                      "Reza", "\xd9\x85\xd8\xb1\xdb\x8c\xd9\x85", "John Smith", "Tia Lúcia"};
static const char *const texts[] = {
    "Bom dia a todos! 🙏",
    "Alguém sabe se a vacina tem mesmo chip? Minha vizinha disse que sim",
    "URGENTE: compartilhem antes que apaguem!!! https://bit.ly/3xYz",
    "Isso é fake, já foi desmentido pela agência Lupa: https://lupa.uol.com.br/jornalismo/2021/checagem",
    "Good morning, did anyone see the news about the election results?",
    "The WHO said this is false, see https://www.who.int/news-room/fact-sheets",
    "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 \xd8\xaf\xd9\x88\xd8\xb3\xd8\xaa\xd8\xa7\xd9\x86\xd8\x8c \xd8\xa7\xdb\x8c\xd9\x86 "
    "\xd8\xae\xd8\xa8\xd8\xb1 \xd8\xb1\xd8\xa7 \xd8\xa8\xd8\xae\xd9\x88\xd8\xa7\xd9\x86\xdb\x8c\xd8\xaf",
    "kkkkkkk",
    "Amém 🙏🙏🙏",
    "Segundo o Ministério da Saúde, 87% dos casos foram registrados em 2020.",
};
static const char *const lines2[] = {"Repassem para todos os grupos", "Fonte: minha prima que é enfermeira",
                                     "", "Veja o vídeo completo no link acima", "2016-04-29 10:30:00"};

int main(int argc, char **argv)
{
    double mb = 1024;
    uint64_t seed = 42;
    int ios = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-size") == 0)
            mb = atof(argv[i + 1]);
        else if (strcmp(argv[i], "-seed") == 0)
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-style") == 0)
            ios = strcmp(argv[i + 1], "ios") == 0;
    }
    rng = seed * 2654435761u + 88172645463325252ull;
    uint64_t target = (uint64_t)(mb * 1048576.0), written = 0;
    static char out[1 << 16];
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    int year = 2019, month = 1, day = 1, minute = 0;
    while (written < target) {
        minute += (int)(next_rand() % 7);
        if (minute >= 24 * 60) {
            minute -= 24 * 60;
            if (++day > 28) {
                day = 1;
                if (++month > 12) {
                    month = 1;
                    year++;
                }
            }
        }
        int h = minute / 60, m = minute % 60, s = (int)(next_rand() % 60);
        char hdr[128];
        if (ios) {
            int h12 = h % 12 ? h % 12 : 12;
            snprintf(hdr, sizeof hdr, "[%02d/%02d/%02d, %d:%02d:%02d\xe2\x80\xaf%s] ", day, month, year % 100, h12, m,
                     s, h < 12 ? "AM" : "PM");
        } else {
            snprintf(hdr, sizeof hdr, "%02d/%02d/%04d, %02d:%02d - ", day, month, year, h, m);
        }
        const char *author = authors[next_rand() % (sizeof authors / sizeof *authors)];
        uint32_t kind = next_rand() % 100;
        int n;
        if (kind < 3) {
            n = snprintf(out, sizeof out, "%s%s added %s\n", ios ? hdr : hdr, author, authors[next_rand() % 5]);
            if (ios)
                n = snprintf(out, sizeof out, "%sGrupo Família: \xe2\x80\x8e%s added Bruno\n", hdr, author);
        } else if (kind < 10) {
            n = snprintf(out, sizeof out, "%s%s: %s\n", hdr, author,
                         ios ? "\xe2\x80\x8eimage omitted" : "<Media omitted>");
        } else if (kind < 12) {
            n = snprintf(out, sizeof out, "%s%s: %s\n", hdr, author,
                         ios ? "\xe2\x80\x8eThis message was deleted." : "This message was deleted");
        } else if (kind < 14) {
            n = snprintf(out, sizeof out, "%s%s: IMG-2020%04u-WA%04u.jpg (file attached)\n%s\n", hdr, author,
                         next_rand() % 10000, next_rand() % 10000, texts[next_rand() % 10]);
        } else if (kind < 20) {
            n = snprintf(out, sizeof out, "%s%s: *Encaminhada com frequência*\n%s\n%s\n%s\n", hdr, author,
                         texts[next_rand() % 10], lines2[next_rand() % 5], texts[next_rand() % 10]);
        } else if (kind < 35) {
            n = snprintf(out, sizeof out, "%s%s: %s\n%s\n", hdr, author, texts[next_rand() % 10],
                         lines2[next_rand() % 5]);
        } else if (kind < 37) {
            n = snprintf(out, sizeof out, "%s%s: %s <This message was edited>\n", hdr, author, texts[next_rand() % 10]);
        } else {
            n = snprintf(out, sizeof out, "%s%s: %s\n", hdr, author, texts[next_rand() % 10]);
        }
        fwrite(out, 1, (size_t)n, stdout);
        written += (uint64_t)n;
    }
    return 0;
}
