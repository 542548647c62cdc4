/* Language identification (cred_lang_detect) on raw, WhatsApp-style messages. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <string.h>

#include "credence.h"

static void expect_all(const char *lang, const char *const *texts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float conf = -1.0f;
        const char *got = cred_lang_detect(texts[i], strlen(texts[i]), &conf);
        cr_expect_str_eq(got, lang, "expected %s, got %s for: %s", lang, got, texts[i]);
        cr_expect(conf > 0.0f && conf <= 1.0f, "confidence %f for: %s", (double)conf, texts[i]);
    }
}

#define EXPECT_ALL(lang, arr) expect_all(lang, arr, sizeof(arr) / sizeof(arr[0]))

static const char *const en[] = {
    "URGENT!!! Doctors say drinking hot water every 15 minutes kills the virus in your throat. Share with your family",
    "This is not a joke, my cousin works at the hospital and they are hiding the real numbers from us",
    "The vaccine changes your DNA and they don't want you to know. Please forward to everyone you love",
    "Gargling with salt water and vinegar will protect you from the infection, it was confirmed by a nurse",
    "Do not go out tomorrow, the army will spray disinfectant from helicopters over the whole city at night",
    "5G towers are spreading the disease, that is why the cities with 5G have more cases than the villages",
    "My friend who is a doctor said that holding your breath for 10 seconds is a test for the virus",
    "Garlic and lemon boiled together cured 300 people in China, the WHO is keeping this secret from the public",
    "Please read before it gets deleted: the government is planning to close all the banks next week",
};

static const char *const pt[] = {
    "URGENTE!!! Médicos confirmam que beber água quente a cada 15 minutos mata o vírus na garganta. Repassem para todos",
    "Isso não é brincadeira, minha prima trabalha no hospital e eles estão escondendo os números verdadeiros",
    "A vacina altera o seu DNA e eles não querem que você saiba. Encaminhe para todos os grupos",
    "Gargarejo com água morna e sal elimina o vírus antes de chegar aos pulmões, foi o que disse o médico",
    "Atenção: amanhã vão passar aviões jogando veneno na cidade, fiquem em casa com as janelas fechadas",
    "O chá de alho com limão curou mais de 300 pessoas na China e a mídia não fala nada sobre isso",
    "Gente, o governo vai confiscar a poupança de todo mundo na semana que vem, tirem o dinheiro do banco",
    "Minha vizinha é enfermeira e disse que os hospitais estão vazios, é tudo uma farsa para assustar a população",
    "Prezados, segundo o Ministério da Saúde a cloroquina tem eficácia comprovada. Divulguem essa informação!",
};

static const char *const es[] = {
    "¡¡URGENTE!! Los médicos dicen que beber agua caliente cada 15 minutos mata el virus en la garganta. Compártelo",
    "Esto no es broma, mi prima trabaja en el hospital y nos están ocultando los números reales",
    "La vacuna cambia tu ADN y no quieren que lo sepas. Reenvía este mensaje a toda tu familia",
    "Hacer gárgaras con agua tibia y sal elimina el virus antes de que llegue a los pulmones",
    "Mañana van a pasar avionetas fumigando la ciudad por la noche, no salgan de sus casas",
    "El té de ajo con limón curó a más de 300 personas en China y los medios no dicen nada",
    "¿Sabían que el gobierno va a cerrar todos los bancos la próxima semana? Saquen su dinero ya",
    "Mi vecina es enfermera y dice que los hospitales están vacíos, todo es un montaje para asustarnos",
    "Según el ministerio, la vitamina C en dosis altas cura la enfermedad en tres días. Difundan esta información",
};

static const char *const fr[] = {
    "URGENT !!! Les médecins disent que boire de l'eau chaude toutes les 15 minutes tue le virus dans la gorge",
    "Ce n'est pas une blague, ma cousine travaille à l'hôpital et ils nous cachent les vrais chiffres",
    "Le vaccin modifie votre ADN et ils ne veulent pas que vous le sachiez. Partagez avec tous vos contacts",
    "Se gargariser avec de l'eau tiède et du sel élimine le virus avant qu'il n'atteigne les poumons",
    "Demain soir des avions vont pulvériser un produit sur toute la ville, restez chez vous et fermez les fenêtres",
    "Une tisane d'ail et de citron a guéri plus de 300 personnes en Chine et les médias n'en parlent pas",
    "Le gouvernement va bloquer tous les comptes bancaires la semaine prochaine, retirez votre argent",
    "Ma voisine est infirmière et elle dit que les hôpitaux sont vides, c'est une mise en scène pour nous faire peur",
};

static const char *const de[] = {
    "DRINGEND!!! Ärzte sagen, dass heißes Wasser alle 15 Minuten das Virus im Hals abtötet. Bitte teilen",
    "Das ist kein Witz, meine Cousine arbeitet im Krankenhaus und sie verheimlichen uns die echten Zahlen",
    "Die Impfung verändert eure DNA und das soll keiner wissen. Leitet das an alle weiter",
    "Gurgeln mit warmem Salzwasser tötet das Virus, bevor es in die Lunge kommt, hat ein Arzt gesagt",
    "Morgen Nacht wird die ganze Stadt aus Hubschraubern mit Desinfektionsmittel besprüht, bleibt zu Hause",
    "Knoblauch mit Zitrone hat in China mehr als 300 Menschen geheilt und die Medien schweigen darüber",
    "Die Regierung wird nächste Woche alle Konten sperren, hebt euer Geld ab solange es noch geht",
    "Meine Nachbarin ist Krankenschwester und sagt, die Krankenhäuser sind leer, alles nur Panikmache",
};

static const char *const ru[] = {
    "СРОЧНО!!! Врачи говорят, что горячая вода каждые 15 минут убивает вирус в горле. Перешлите всем",
    "Это не шутка, моя двоюродная сестра работает в больнице, и от нас скрывают настоящие цифры",
    "Вакцина меняет вашу ДНК, и они не хотят, чтобы вы об этом знали. Отправьте всем знакомым",
    "Полоскание горла тёплой водой с солью убивает вирус, пока он не попал в лёгкие",
    "Завтра ночью с вертолётов будут распылять дезинфекцию над всем городом, не выходите из дома",
    "Чеснок с лимоном вылечил больше 300 человек в Китае, а СМИ об этом молчат",
    "Правительство на следующей неделе заморозит все банковские счета, снимайте деньги пока не поздно",
    "Моя соседка медсестра, она говорит что больницы пустые и всё это сделано чтобы нас запугать",
};

static const char *const fa[] = {
    "فوری!!! پزشکان می‌گویند نوشیدن آب گرم هر ۱۵ دقیقه ویروس را در گلو از بین می‌برد. برای همه بفرستید",
    "این شوخی نیست، دخترخاله‌ام در بیمارستان کار می‌کند و آمار واقعی را از ما پنهان می‌کنند",
    "واکسن DNA شما را تغییر می‌دهد و نمی‌خواهند که شما بدانید. این پیام را به همه گروه‌ها بفرستید",
    "غرغره کردن با آب نمک گرم ویروس را قبل از رسیدن به ریه‌ها می‌کشد، این را یک دکتر گفت",
    "فردا شب با هلیکوپتر روی کل شهر سم پاشی می‌کنند، از خانه بیرون نروید و پنجره‌ها را ببندید",
    "دمنوش سیر و لیمو در چین بیش از ۳۰۰ نفر را درمان کرده و رسانه‌ها چیزی نمی‌گویند",
    "دولت هفته آینده همه حساب‌های بانکی را مسدود می‌کند، پول خود را از بانک بیرون بیاورید",
    "همسایه ما پرستار است و می‌گوید بیمارستان‌ها خالی هستند، همه این‌ها برای ترساندن مردم است",
};

static const char *const ar[] = {
    "عاجل!!! يقول الأطباء إن شرب الماء الساخن كل 15 دقيقة يقتل الفيروس في الحلق. انشروها للجميع",
    "هذا ليس مزاحا، ابنة خالتي تعمل في المستشفى وهم يخفون عنا الأرقام الحقيقية",
    "اللقاح يغير الحمض النووي الخاص بك ولا يريدونك أن تعرف ذلك. أرسل هذه الرسالة إلى كل المجموعات",
    "الغرغرة بالماء الدافئ والملح تقتل الفيروس قبل أن يصل إلى الرئتين، هذا ما قاله الطبيب",
    "غدا في الليل سيتم رش المدينة كلها بالمبيدات من الطائرات، لا تخرجوا من منازلكم",
    "شاي الثوم مع الليمون عالج أكثر من 300 شخص في الصين والإعلام لا يتحدث عن ذلك",
    "الحكومة ستقوم بتجميد جميع الحسابات البنكية الأسبوع القادم، اسحبوا أموالكم من البنوك",
    "جارتي ممرضة وتقول إن المستشفيات فارغة، وهذه كلها مسرحية لتخويف الناس",
};

Test(lang, detects_english_messages) { EXPECT_ALL("en", en); }
Test(lang, detects_portuguese_messages) { EXPECT_ALL("pt", pt); }
Test(lang, detects_spanish_messages) { EXPECT_ALL("es", es); }
Test(lang, detects_french_messages) { EXPECT_ALL("fr", fr); }
Test(lang, detects_german_messages) { EXPECT_ALL("de", de); }
Test(lang, detects_russian_messages) { EXPECT_ALL("ru", ru); }
Test(lang, detects_persian_messages) { EXPECT_ALL("fa", fa); }
Test(lang, detects_arabic_messages) { EXPECT_ALL("ar", ar); }

Test(lang, detects_other_profiled_latin_and_cyrillic_languages)
{
    static const char *const it[] = {"Questo non è uno scherzo, mia cugina lavora in ospedale e ci nascondono i numeri veri"};
    static const char *const nl[] = {"Dit is geen grap, mijn nicht werkt in het ziekenhuis en ze verbergen de echte cijfers voor ons"};
    static const char *const tr[] = {"Bu bir şaka değil, kuzenim hastanede çalışıyor ve gerçek rakamları bizden saklıyorlar"};
    static const char *const id[] = {"Ini bukan lelucon, sepupu saya bekerja di rumah sakit dan mereka menyembunyikan angka yang sebenarnya dari kita"};
    static const char *const uk[] = {"Це не жарт, моя сестра працює в лікарні, і від нас приховують справжні цифри. Перешліть усім"};
    EXPECT_ALL("it", it);
    EXPECT_ALL("nl", nl);
    EXPECT_ALL("tr", tr);
    EXPECT_ALL("id", id);
    EXPECT_ALL("uk", uk);
}

Test(lang, separates_persian_from_arabic_on_the_same_subject)
{
    /* same meaning; the letters ی ک گ پ vs ي ك ة and the function words decide */
    const char *pairs[][2] = {
        {"این ویروس در گرمای تابستان از بین می‌رود", "هذا الفيروس يموت في حرارة الصيف"},
        {"لطفا این پیام را برای همه بفرستید", "من فضلك أرسل هذه الرسالة إلى الجميع"},
        {"سیر خوردن از کرونا جلوگیری می‌کند", "أكل الثوم يحمي من الكورونا"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        cr_expect_str_eq(cred_lang_detect(pairs[i][0], strlen(pairs[i][0]), NULL), "fa", "%s", pairs[i][0]);
        cr_expect_str_eq(cred_lang_detect(pairs[i][1], strlen(pairs[i][1]), NULL), "ar", "%s", pairs[i][1]);
    }
}

Test(lang, persian_typed_with_an_arabic_keyboard_is_still_persian)
{
    /* ي and ك instead of ی and ک, but Persian words and letters پ گ */
    const char *s = "اين پيام را براي همه گروه ها بفرستيد چون دولت مي خواهد آن را پنهان كند";
    cr_assert_str_eq(cred_lang_detect(s, strlen(s), NULL), "fa");
}

Test(lang, other_scripts_are_identified_by_script)
{
    struct { const char *text, *lang; } cases[] = {
        {"זה לא בדיחה, הבת דודה שלי עובדת בבית חולים", "he"},
        {"Αυτό δεν είναι αστείο, η ξαδέρφη μου δουλεύει στο νοσοκομείο", "el"},
        {"यह मज़ाक नहीं है, मेरी बहन अस्पताल में काम करती है", "hi"},
        {"这不是玩笑，我的表妹在医院工作，他们隐瞒了真实数字", "zh"},
        {"これは冗談ではありません。いとこは病院で働いています", "ja"},
        {"이것은 농담이 아닙니다. 제 사촌은 병원에서 일합니다", "ko"},
        {"นี่ไม่ใช่เรื่องตลก ลูกพี่ลูกน้องของฉันทำงานที่โรงพยาบาล", "th"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_str_eq(cred_lang_detect(cases[i].text, strlen(cases[i].text), NULL), cases[i].lang, "%s",
                         cases[i].text);
}

Test(lang, short_or_ambiguous_text_is_und)
{
    const char *und[] = {"", "ok", "kkkkkkk", "👍👍👍", "12345 678", "https://bit.ly/3xYz", "Olá",
                         "Maria", "COVID-19", "www.example.com/page", "sim", "..."};
    for (size_t i = 0; i < sizeof(und) / sizeof(und[0]); i++) {
        float conf = -1.0f;
        cr_expect_str_eq(cred_lang_detect(und[i], strlen(und[i]), &conf), "und", "%s", und[i]);
        cr_expect_eq(conf, 0.0f, "%s", und[i]);
    }
    cr_assert_str_eq(cred_lang_detect(NULL, 0, NULL), "und");
}

Test(lang, mixed_script_text_follows_the_majority_script_with_lower_confidence)
{
    const char *pure = "Moja sestra: это не шутка, моя сестра работает в больнице и от нас скрывают цифры";
    const char *even = "this is the text это не текст";
    float c1 = 0, c2 = 0;
    cr_assert_str_eq(cred_lang_detect(pure, strlen(pure), &c1), "ru");
    const char *ru_only = "это не шутка, моя сестра работает в больнице и от нас скрывают цифры";
    cr_assert_str_eq(cred_lang_detect(ru_only, strlen(ru_only), &c2), "ru");
    cr_assert_lt(c1, c2);
    /* a Persian message carrying an English link and hashtag is still Persian */
    const char *fa_link = "این پیام را برای همه بفرستید https://www.example.com/news/health #corona";
    cr_assert_str_eq(cred_lang_detect(fa_link, strlen(fa_link), NULL), "fa");
    const char *r = cred_lang_detect(even, strlen(even), NULL);
    cr_assert(strcmp(r, "en") == 0 || strcmp(r, "ru") == 0 || strcmp(r, "und") == 0);
}

Test(lang, urdu_is_not_mistaken_for_persian)
{
    const char *s = "یہ مذاق نہیں ہے، میری بہن ہسپتال میں کام کرتی ہے اور وہ اصل تعداد چھپا رہے ہیں";
    cr_assert_str_neq(cred_lang_detect(s, strlen(s), NULL), "fa");
}

Test(lang, invalid_utf8_and_nul_bytes_do_not_crash)
{
    const char s[] = "Isso n\xe3o \xff\xfe \0 \xc3 \xe2\x82 é verdade, a vacina não \xf0\x9f funciona para todos os casos";
    const char *r = cred_lang_detect(s, sizeof(s) - 1, NULL);
    cr_assert_not_null(r);
    cr_assert_str_eq(r, "pt");
}

Test(lang, only_the_first_4_kib_are_read)
{
    /* 4 KiB of Portuguese followed by a long English tail: still Portuguese */
    static char buf[16384];
    size_t n = 0;
    const char *p = pt[1], *e = en[0];
    while (n + strlen(p) + 1 < 4096) {
        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
        buf[n++] = ' ';
    }
    while (n + strlen(e) + 1 < sizeof(buf)) {
        memcpy(buf + n, e, strlen(e));
        n += strlen(e);
        buf[n++] = ' ';
    }
    cr_assert_str_eq(cred_lang_detect(buf, n, NULL), "pt");
}

static void *detect_many(void *arg)
{
    const char *const *texts = arg;
    for (int round = 0; round < 200; round++)
        for (size_t i = 0; i < 8; i++)
            if (strcmp(cred_lang_detect(texts[i], strlen(texts[i]), NULL), "und") == 0)
                return (void *)1;
    return NULL;
}

Test(lang, is_thread_safe)
{
    pthread_t t[4];
    const char *const *sets[4] = {en, pt, fa, ru};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, detect_many, (void *)sets[i]), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_expect_null(r);
    }
}

/* cred_text_analyse() decides from its own tokens and cached word forms; it must reach the same language. */
static void expect_pipeline_agrees(cred_text *t, const char *text, size_t len)
{
    const cred_doc *d;
    float conf = 0.0f;
    const char *raw = cred_lang_detect(text, len, &conf);
    cr_assert_eq(cred_text_analyse(t, &d, text, len, NULL), 0);
    cr_expect_str_eq(d->lang, raw, "pipeline %s, raw text %s for: %.*s", d->lang, raw, (int)len, text);
    if (strcmp(d->lang, raw) == 0)
        cr_expect(d->lang_confidence > conf - 0.15f && d->lang_confidence < conf + 0.15f,
                  "confidence %f, raw text %f for: %.*s", (double)d->lang_confidence, (double)conf, (int)len, text);
}

Test(lang, the_pipeline_reaches_the_same_language_from_its_tokens)
{
    static const char *const *sets[] = {en, pt, es, fr, de, ru, fa, ar};
    static const size_t sizes[] = {sizeof en / sizeof *en, sizeof pt / sizeof *pt, sizeof es / sizeof *es,
                                   sizeof fr / sizeof *fr, sizeof de / sizeof *de, sizeof ru / sizeof *ru,
                                   sizeof fa / sizeof *fa, sizeof ar / sizeof *ar};
    static const char *const others[] = {
        "Questo non è uno scherzo, mia cugina lavora in ospedale e ci nascondono i numeri veri",
        "Dit is geen grap, mijn nicht werkt in het ziekenhuis en ze verbergen de echte cijfers voor ons",
        "Bu bir şaka değil, kuzenim hastanede çalışıyor ve gerçek rakamları bizden saklıyorlar",
        "Це не жарт, моя сестра працює в лікарні, і від нас приховують справжні цифри. Перешліть усім",
        "این ویروس در گرمای تابستان از بین می‌رود", "هذا الفيروس يموت في حرارة الصيف",
        "لطفا این پیام را برای همه بفرستید", "من فضلك أرسل هذه الرسالة إلى الجميع",
        "سیر خوردن از کرونا جلوگیری می‌کند", "أكل الثوم يحمي من الكورونا",
        "اين پيام را براي همه گروه ها بفرستيد چون دولت مي خواهد آن را پنهان كند",
        "זה לא בדיחה, הבת דודה שלי עובדת בבית חולים", "这不是玩笑，我的表妹在医院工作，他们隐瞒了真实数字",
        "これは冗談ではありません。いとこは病院で働いています", "이것은 농담이 아닙니다. 제 사촌은 병원에서 일합니다",
        "ok", "kkkkkkk", "👍👍👍", "12345 678", "https://bit.ly/3xYz", "Olá", "COVID-19", "www.example.com/page",
        "Moja sestra: это не шутка, моя сестра работает в больнице и от нас скрывают цифры",
        "این پیام را برای همه بفرستید https://www.example.com/news/health #corona",
        "یہ مذاق نہیں ہے، میری بہن ہسپتال میں کام کرتی ہے اور وہ اصل تعداد چھپا رہے ہیں",
        "Heißes Wasser tötet das Virus nicht, sagt die Straße", "¿Es verdad? ¡No lo creo! Dicen que sí",
        "Tome 500mg de vitamina C, pois ajuda, veja em g1.globo.com/saude e mande para joao@gmail.com",
    };
    cred_text *t;
    cr_assert_eq(cred_text_new(&t, NULL), 0);
    for (size_t s = 0; s < sizeof sets / sizeof *sets; s++)
        for (size_t i = 0; i < sizes[s]; i++)
            expect_pipeline_agrees(t, sets[s][i], strlen(sets[s][i]));
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        expect_pipeline_agrees(t, others[i], strlen(others[i]));
    const char bad[] = "Isso n\xe3o \xff\xfe \0 \xc3 \xe2\x82 é verdade, a vacina não \xf0\x9f funciona para todos os casos";
    expect_pipeline_agrees(t, bad, sizeof bad - 1);
    cred_text_free(t);
}
