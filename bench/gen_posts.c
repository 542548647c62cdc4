/*
 * gen_posts: a seeded generator of realistic short multilingual chat posts, written as JSONL
 * ({"id","text","source","author","date","forwarded_from"?}) for benchmarks and load tests.
 *
 *   gen_posts [-n N] [-seed S] > posts.jsonl        (N defaults to 1,000,000; S to 1)
 *
 * Posts mimic WhatsApp/Telegram health rumours in en, pt, es, fa, ar, ru, fr, de: claims with numbers,
 * percentages and dosages, URLs with tracking parameters, emoji, @mentions, #hashtags, forwarding
 * boilerplate, some ALL CAPS, Persian with ZWNJ, Persian digits and Arabic ي/ك variants. Lengths are
 * mostly 40-400 bytes with a tail to a few KB. The output depends only on N and the seed.
 * Prints a machine-readable summary line to stderr: posts=N bytes=B seed=S.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* xorshift64*: small, fast, and the same on every platform */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static unsigned pick(unsigned n)
{
    return (unsigned)(rnd() % n);
}
static int chance(unsigned percent)
{
    return pick(100) < percent;
}
#define ONE_OF(a) (a[pick(sizeof a / sizeof *a)])

typedef struct lang {
    const char *code;
    const char *claims[6];   /* "%s" = a subject, "%d" = a number */
    const char *subjects[5];
    const char *share[3];    /* calls to share */
    const char *forward;     /* forwarded boilerplate */
    const char *tags[3];
} lang;

static const lang langs[] = {
    {"en",
     {"BREAKING: %s cures the virus in %d hours, doctors confirm", "Take %d mg of %s every morning to stay safe",
      "%d%% of patients who used %s recovered, the WHO is hiding it", "Hospitals are full, %s does not work, %d dead today",
      "My cousin is a nurse: drink %s every %d minutes to kill the virus", "Scientists found that %s blocks %d%% of infections"},
     {"garlic", "vitamin C", "hot water", "hydroxychloroquine", "ivermectin"},
     {"Share with everyone you love!", "Forward to 10 groups before they delete it", "PLEASE SHARE"},
     "Forwarded many times", {"#covid19", "#health", "#truth"}},
    {"pt",
     {"URGENTE: %s cura o vírus em %d horas, confirmam médicos", "Tome %d mg de %s todas as manhãs",
      "%d%% dos pacientes que usaram %s se recuperaram", "Médico revela: %s mata o vírus em %d minutos",
      "O ministro da saúde confirmou que %s funciona em %d%% dos casos", "Gargarejo com %s a cada %d horas protege"},
     {"alho", "vitamina C", "água quente", "hidroxicloroquina", "nitazoxanida"},
     {"REPASSEM para todos os grupos!", "Compartilhe antes que apaguem", "Se você enviar para apenas 20 contatos..."},
     "Encaminhada com frequência", {"#coronavirus", "#saude", "#verdade"}},
    {"es",
     {"ÚLTIMA HORA: %s cura el virus en %d horas", "Tome %d mg de %s cada mañana",
      "El %d%% de los pacientes que tomaron %s se curaron", "Los médicos ocultan que %s elimina el virus en %d minutos",
      "Mi tía es enfermera: %s cada %d horas y listo", "Estudio confirma que %s reduce contagios en un %d%%"},
     {"ajo", "vitamina C", "agua caliente", "dióxido de cloro", "limón"},
     {"¡Compártelo con todos!", "Reenvía a tus grupos antes de que lo borren", "DIFUNDE"},
     "Reenviado muchas veces", {"#covid", "#salud", "#verdad"}},
    {"fa",
     {"فوری: %s ویروس را در %d ساعت از بین می‌برد", "روزی %d میلی‌گرم %s بخورید",
      "%d درصد بیماران با %s درمان شدند", "پزشکان می‌گویند %s هر %d دقیقه",
      "وزارت بهداشت تایید کرد که %s در %d درصد موارد موثر است", "دانشمندان کشف کردند %s ویروس را می‌کشد، %d نفر درمان شدند"},
     {"سیر", "ویتامین سی", "آب گرم", "دمنوش زنجبیل", "عرق نعناع"},
     {"برای همه بفرستید!", "این پیام را به ۱۰ گروه ارسال کنید", "لطفا منتشر کنید"},
     "هدایت شده", {"#کرونا", "#سلامت", "#ویروس‌کرونا"}},
    {"ar",
     {"عاجل: %s يقضي على الفيروس خلال %d ساعة", "تناول %d ملغ من %s كل صباح",
      "%d%% من المرضى الذين استخدموا %s شفوا", "الأطباء يخفون أن %s يقتل الفيروس في %d دقيقة",
      "وزارة الصحة تؤكد أن %s فعال بنسبة %d%%", "اشرب %s كل %d دقيقة لتحمي نفسك"},
     {"الثوم", "فيتامين سي", "الماء الساخن", "الزنجبيل", "الليمون"},
     {"انشرها لكل من تحب!", "أرسلها إلى ١٠ مجموعات", "شارك قبل الحذف"},
     "تمت إعادة توجيهه كثيرًا", {"#كورونا", "#صحة", "#الحقيقة"}},
    {"ru",
     {"СРОЧНО: %s убивает вирус за %d часов", "Принимайте %d мг %s каждое утро",
      "%d%% пациентов, принимавших %s, выздоровели", "Врачи скрывают: %s каждые %d минут спасает",
      "Минздрав подтвердил, что %s эффективен в %d%% случаев", "Учёные доказали: %s защищает, %d человек здоровы"},
     {"чеснок", "витамин С", "горячая вода", "имбирь", "водка"},
     {"Перешлите всем!", "Отправьте в 10 групп, пока не удалили", "РАСПРОСТРАНИТЕ"},
     "Переслано", {"#коронавирус", "#здоровье", "#правда"}},
    {"fr",
     {"URGENT : %s guérit le virus en %d heures", "Prenez %d mg de %s chaque matin",
      "%d %% des patients ayant pris %s ont guéri", "Les médecins cachent que %s tue le virus en %d minutes",
      "Le ministère confirme que %s marche dans %d %% des cas", "Ma voisine infirmière : %s toutes les %d heures"},
     {"l'ail", "la vitamine C", "l'eau chaude", "la chloroquine", "le citron"},
     {"Partagez à tous vos contacts !", "Transférez avant que ce soit supprimé", "FAITES TOURNER"},
     "Transféré plusieurs fois", {"#covid", "#santé", "#vérité"}},
    {"de",
     {"EILMELDUNG: %s heilt das Virus in %d Stunden", "Nehmen Sie jeden Morgen %d mg %s",
      "%d %% der Patienten mit %s wurden gesund", "Ärzte verschweigen: %s tötet das Virus in %d Minuten",
      "Das Ministerium bestätigt: %s wirkt in %d %% der Fälle", "Meine Schwester ist Ärztin: alle %d Stunden %s"},
     {"Knoblauch", "Vitamin C", "heißes Wasser", "Ingwer", "Zitrone"},
     {"Bitte an alle weiterleiten!", "Leite es an 10 Gruppen weiter", "TEILEN"},
     "Häufig weitergeleitet", {"#corona", "#gesundheit", "#wahrheit"}},
};

static const char *const emoji[] = {"😱", "⚠️", "🙏", "‼️", "🔥", "👇", "✅", "❌", "💉", "🦠", "📢", "❤️"};
static const char *const domains[] = {"bit.ly/3xYz", "youtu.be/dQw4w9", "www.facebook.com/watch", "t.me/healthnews",
                                      "example-news.com/2020/03/cure", "www.who.int/news", "saude.gov.br/noticias",
                                      "instagram.com/p/B9x", "aparat.com/v/abc", "rt.com/news/4812"};
static const char *const tracking[] = {"utm_source=whatsapp", "utm_medium=social", "fbclid=IwAR3xk",
                                       "igshid=1x2y3z", "si=AbCdEf", "ref=share"};
static const char *const first_names[] = {"Ana", "João", "Maria", "Ali", "Reza", "Fatemeh", "Olga", "Ivan", "Pierre",
                                          "Claire", "Hans", "Lena", "John", "Mary", "Carlos", "Lucía", "Omar", "Layla"};

static char channels[200][48];

static void make_channels(void)
{
    static const char *const a[] = {"Health", "Saude", "Salud", "Sante", "Gesundheit", "Zdorovye", "Salamat",
                                    "Sehha", "Truth", "Verdade", "News", "Noticias", "Family", "Familia"};
    static const char *const b[] = {"Group", "Channel", "Info", "Alerts", "Daily", "Brasil", "Iran", "Mundo",
                                    "Club", "Official"};
    for (int i = 0; i < 200; i++)
        snprintf(channels[i], sizeof channels[i], "%s %s %d", a[i % 14], b[(i / 14) % 10], i);
}

/* ---- text building ----------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            perror("gen_posts");
            exit(1);
        }
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Replace ASCII digits by Persian (U+06F0..) or Arabic-Indic (U+0660..) digits. */
static void localise_digits(sbuf *b, size_t from, int persian)
{
    sbuf o = {0};
    for (size_t i = from; i < b->len; i++) {
        if (b->p[i] >= '0' && b->p[i] <= '9') {
            unsigned cp = (persian ? 0x06F0u : 0x0660u) + (unsigned)(b->p[i] - '0');
            char u[2] = {(char)(0xC0 | (cp >> 6)), (char)(0x80 | (cp & 0x3F))};
            put(&o, u, 2);
        } else {
            put(&o, b->p + i, 1);
        }
    }
    b->len = from;
    put(b, o.p ? o.p : "", o.len);
    free(o.p);
}

/* Persian text: swap Persian ی/ک for their Arabic forms ي/ك (as many keyboards produce). */
static void arabic_variants(sbuf *b, size_t from)
{
    for (size_t i = from; i + 1 < b->len; i++) {
        unsigned char c0 = (unsigned char)b->p[i], c1 = (unsigned char)b->p[i + 1];
        if (c0 == 0xDB && c1 == 0x8C) { /* ی U+06CC → ي U+064A */
            b->p[i] = (char)0xD9;
            b->p[i + 1] = (char)0x8A;
        } else if (c0 == 0xDA && c1 == 0xA9) { /* ک U+06A9 → ك U+0643 */
            b->p[i] = (char)0xD9;
            b->p[i + 1] = (char)0x83;
        }
    }
}

static void upper_ascii(sbuf *b, size_t from)
{
    for (size_t i = from; i < b->len; i++)
        b->p[i] = (char)toupper((unsigned char)b->p[i]);
}

static void sentence(sbuf *b, const lang *L)
{
    char tmp[512];
    const char *claim = L->claims[pick(6)];
    const char *subj = L->subjects[pick(5)];
    bool percent = strstr(claim, "%%") || strstr(claim, "درصد");
    int num = percent ? (int)pick(99) + 1 : chance(75) ? (int)pick(60) + 1 : (int)pick(2000) + 1;
    /* the claims take (%s, %d) or (%d, %s) in some order: find which comes first */
    const char *ps = strstr(claim, "%s"), *pd = strstr(claim, "%d");
    if (ps && pd && ps < pd)
        snprintf(tmp, sizeof tmp, claim, subj, num);
    else
        snprintf(tmp, sizeof tmp, claim, num, subj);
    size_t at = b->len;
    puts_(b, tmp);
    if (chance(8))
        upper_ascii(b, at);
    puts_(b, chance(30) ? "!!! " : ". ");
}

static void make_text(sbuf *b, const lang *L, int persian)
{
    b->len = 0;
    if (chance(15)) {
        puts_(b, L->forward);
        puts_(b, "\n");
    }
    if (chance(40)) {
        for (unsigned k = pick(3) + 1; k; k--)
            puts_(b, ONE_OF(emoji));
        puts_(b, " ");
    }
    /* lengths: usually 1-3 sentences; 3% are long chains of 5 to 44 */
    unsigned n = chance(3) ? pick(40) + 5 : pick(3) + 1;
    size_t body = b->len;
    for (unsigned i = 0; i < n; i++) {
        sentence(b, L);
        if (chance(10))
            puts_(b, "\n");
    }
    if (persian) {
        if (chance(50))
            localise_digits(b, body, 1);
        if (chance(30))
            arabic_variants(b, body);
    } else if (!strcmp(L->code, "ar") && chance(40)) {
        localise_digits(b, body, 0);
    }
    if (chance(35)) {
        char url[160];
        int w = snprintf(url, sizeof url, "https://%s", ONE_OF(domains));
        if (chance(60))
            w += snprintf(url + w, sizeof url - (size_t)w, "?%s", ONE_OF(tracking));
        if (chance(30))
            snprintf(url + w, sizeof url - (size_t)w, "&%s", ONE_OF(tracking));
        puts_(b, url);
        puts_(b, " ");
    }
    if (chance(15)) {
        puts_(b, "@");
        puts_(b, ONE_OF(first_names));
        puts_(b, "_");
        char d[8];
        snprintf(d, sizeof d, "%u ", pick(99));
        puts_(b, d);
    }
    if (chance(40)) {
        puts_(b, L->tags[pick(3)]);
        puts_(b, " ");
    }
    if (chance(45))
        puts_(b, L->share[pick(3)]);
    while (b->len && (b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\n'))
        b->len--;
    b->p[b->len] = '\0';
}

/* JSON string escaping for the handful of characters the texts may hold. */
static void json_str(sbuf *b, const char *s)
{
    put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(b, esc, 2);
        } else if (c == '\n') {
            put(b, "\\n", 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(b, esc, 6);
        } else {
            put(b, s, 1);
        }
    }
    put(b, "\"", 1);
}

int main(int argc, char **argv)
{
    unsigned long long n = 1000000, seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if ((!strcmp(argv[i], "-seed") || !strcmp(argv[i], "--seed")) && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: gen_posts [-n N] [-seed S] > posts.jsonl\n");
            return 2;
        }
    }
    rng_state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (!rng_state)
        rng_state = 1;
    make_channels();
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    sbuf text = {0}, line = {0};
    long long date = 1583020800; /* 2020-03-01T00:00:00Z */
    unsigned long long bytes = 0;
    for (unsigned long long i = 1; i <= n; i++) {
        unsigned li = pick(100);
        /* mix: en 25, pt 20, es 12, fa 13, ar 10, ru 8, fr 6, de 6 */
        static const unsigned cut[] = {25, 45, 57, 70, 80, 88, 94, 100};
        unsigned k = 0;
        while (li >= cut[k])
            k++;
        const lang *L = &langs[k];
        make_text(&text, L, !strcmp(L->code, "fa"));
        date += 1 + pick(120);
        char head[64], date_s[32];
        time_t t = (time_t)date;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(date_s, sizeof date_s, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(head, sizeof head, "{\"id\":\"p%llu\",\"text\":", i);
        line.len = 0;
        puts_(&line, head);
        json_str(&line, text.p);
        puts_(&line, ",\"source\":");
        json_str(&line, channels[pick(200)]);
        puts_(&line, ",\"author\":");
        char author[64];
        snprintf(author, sizeof author, "%s %c.", ONE_OF(first_names), 'A' + (int)pick(26));
        json_str(&line, author);
        puts_(&line, ",\"date\":\"");
        puts_(&line, date_s);
        puts_(&line, "\"");
        if (chance(20)) {
            puts_(&line, ",\"forwarded_from\":");
            json_str(&line, chance(70) ? channels[pick(200)] : ONE_OF(first_names));
        }
        puts_(&line, "}\n");
        fwrite(line.p, 1, line.len, stdout);
        bytes += line.len;
    }
    if (fflush(stdout) != 0) {
        perror("gen_posts: write");
        return 1;
    }
    fprintf(stderr, "posts=%llu bytes=%llu seed=%llu\n", n, bytes, seed);
    free(text.p);
    free(line.p);
    return 0;
}
