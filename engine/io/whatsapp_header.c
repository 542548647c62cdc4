/*
 * WhatsApp message headers and the per-file day/month decision.
 *
 * A header is recognised by shape alone, with a hand-written scanner rather than a regex: it runs on
 * the first bytes of every line of exports that reach gigabytes, and rejects a continuation line at
 * its first byte in the common case. Whether "3/6/18" is the 3rd of June or March 6th is not decided
 * here but per file (cred_wa__decide) from the evidence of all its headers.
 */
#include "whatsapp.h"

static inline unsigned char at(const char *s, size_t i)
{
    return (unsigned char)s[i];
}

size_t cred_wa__skip_marks(const char *s, size_t n, size_t i)
{
    for (;;) {
        if (i + 2 < n && at(s, i) == 0xE2) {
            unsigned b1 = at(s, i + 1), b2 = at(s, i + 2);
            if ((b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F || (b2 >= 0xAA && b2 <= 0xAE))) ||
                (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9)) {
                i += 3;
                continue;
            }
        } else if (i + 1 < n && at(s, i) == 0xD8 && at(s, i + 1) == 0x9C) {
            i += 2;
            continue;
        } else if (i + 2 < n && at(s, i) == 0xEF && at(s, i + 1) == 0xBB && at(s, i + 2) == 0xBF) {
            i += 3;
            continue;
        }
        return i;
    }
}

/* Spaces as exports write them: ' ', tab, U+00A0, U+2009 (thin), U+202F (narrow no-break); and marks. */
static size_t skip_spaces(const char *s, size_t n, size_t i)
{
    for (;;) {
        if (i < n && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        } else if (i + 1 < n && at(s, i) == 0xC2 && at(s, i + 1) == 0xA0) {
            i += 2;
        } else if (i + 2 < n && at(s, i) == 0xE2 && at(s, i + 1) == 0x80 &&
                   (at(s, i + 2) == 0xAF || at(s, i + 2) == 0x89)) {
            i += 3;
        } else {
            size_t j = cred_wa__skip_marks(s, n, i);
            if (j == i)
                return i;
            i = j;
        }
    }
}

/* One digit at s[i]: ASCII, Arabic-Indic (U+0660..) or Extended Arabic-Indic (U+06F0..). Bytes used. */
static inline int digit(const char *s, size_t n, size_t i, int *v)
{
    unsigned c = i < n ? at(s, i) : 0;
    if (c - '0' < 10) {
        *v = (int)(c - '0');
        return 1;
    }
    if (i + 1 < n && (c == 0xD9 || c == 0xDB)) {
        unsigned d = at(s, i + 1);
        unsigned base = c == 0xD9 ? 0xA0 : 0xB0;
        if (d - base < 10) {
            *v = (int)(d - base);
            return 2;
        }
    }
    return 0;
}

/* 1..max digits at s[*i], then any bidi marks (Arabic exports put U+200F after numbers). */
static bool number(const char *s, size_t n, size_t *i, int max, int *v, int *nd)
{
    int val = 0, k = 0, d, w;
    size_t j = *i;
    while (k < max && (w = digit(s, n, j, &d)) > 0) {
        val = val * 10 + d;
        j += (size_t)w;
        k++;
    }
    if (k == 0 || digit(s, n, j, &d) > 0)
        return false; /* no digit, or more digits than allowed */
    *v = val;
    *nd = k;
    *i = cred_wa__skip_marks(s, n, j);
    return true;
}

/* Does a token end at s[j]? Spaces, brackets, separators; digits too for prefix tokens (午後3:04). */
static bool boundary(const char *s, size_t n, size_t j, bool digits_ok)
{
    if (j >= n)
        return true;
    unsigned c = at(s, j);
    if (c == ' ' || c == '\t' || c == ']' || c == '-' || c == ',')
        return true;
    if (c == 0xC2 && j + 1 < n && at(s, j + 1) == 0xA0)
        return true;
    if (c == 0xE2 && j + 1 < n && (at(s, j + 1) == 0x80 || at(s, j + 1) == 0x81))
        return true;
    int d;
    return digits_ok && digit(s, n, j, &d) > 0;
}

/* Localised AM/PM words beyond the Latin a.m./p.m. forms. */
#define W(str, pm) {str, pm, sizeof(str) - 1}
static const struct {
    const char *s;
    bool pm;
    size_t n;
} ampm_words[] = {
    W("\xD9\x82.\xD8\xB8.", false),                                     /* fa ق.ظ. */
    W("\xD8\xA8.\xD8\xB8.", true),                                      /* fa ب.ظ. */
    W("\xD9\x82.\xD8\xB8", false),                                      /* fa ق.ظ */
    W("\xD8\xA8.\xD8\xB8", true),                                       /* fa ب.ظ */
    W("\xD9\x82\xD8\xA8\xD9\x84\xE2\x80\x8C\xD8\xA7\xD8\xB2\xD8\xB8\xD9\x87\xD8\xB1", false), /* قبل‌ازظهر */
    W("\xD8\xA8\xD8\xB9\xD8\xAF\xD8\xA7\xD8\xB2\xD8\xB8\xD9\x87\xD8\xB1", true),             /* بعدازظهر */
    W("\xD8\xB5", false),                                               /* ar ص */
    W("\xD9\x85", true),                                                /* ar م */
    W("\xE5\x8D\x88\xE5\x89\x8D", false),                               /* ja 午前 */
    W("\xE5\x8D\x88\xE5\xBE\x8C", true),                                /* ja 午後 */
    W("\xE4\xB8\x8A\xE5\x8D\x88", false),                               /* zh 上午 */
    W("\xE4\xB8\x8B\xE5\x8D\x88", true),                                /* zh 下午 */
    W("\xEC\x98\xA4\xEC\xA0\x84", false),                               /* ko 오전 */
    W("\xEC\x98\xA4\xED\x9B\x84", true),                                /* ko 오후 */
    W("\xCF\x80.\xCE\xBC.", false),                                     /* el π.μ. */
    W("\xCE\xBC.\xCE\xBC.", true),                                      /* el μ.μ. */
    W("\xCF\x80\xCE\xBC", false),                                       /* el πμ */
    W("\xCE\xBC\xCE\xBC", true),                                        /* el μμ */
    W("\xC3\x96\xC3\x96", false),                                       /* tr ÖÖ */
    W("\xC3\x96S", true),                                               /* tr ÖS */
    W("vorm.", false),                                                  /* de */
    W("nachm.", true),
    W("SA", false),                                                     /* vi */
    W("CH", true),
};

/* AM/PM at s[*i]: "AM", "pm", "a.m.", "p. m." (any spaces), or a word of ampm_words. */
static bool ampm(const char *s, size_t n, size_t *i, bool *pm, bool prefix)
{
    size_t j = *i;
    if (j >= n)
        return false;
    unsigned c = at(s, j) | 0x20;
    if (c == 'a' || c == 'p') {
        size_t k = j + 1;
        if (k < n && s[k] == '.')
            k++;
        k = skip_spaces(s, n, k);
        if (k < n && (at(s, k) | 0x20) == 'm') {
            k++;
            if (k < n && s[k] == '.')
                k++;
            if (boundary(s, n, k, prefix)) {
                *pm = c == 'p';
                *i = k;
                return true;
            }
        }
    }
    if (at(s, j) < 0x80 && c != 'v' && c != 'n' && c != 's' && c != ('c' | 0x20))
        return false; /* no word of the table starts with this ASCII letter */
    for (size_t w = 0; w < CRED_ARRAY_LEN(ampm_words); w++) {
        size_t len = ampm_words[w].n;
        if (at(s, j) != (unsigned char)ampm_words[w].s[0])
            continue;
        if (j + len <= n && memcmp(s + j, ampm_words[w].s, len) == 0 && boundary(s, n, j + len, prefix)) {
            *pm = ampm_words[w].pm;
            *i = j + len;
            return true;
        }
    }
    return false;
}

int cred_wa__year_pos(const wa_header *h)
{
    for (int k = 0; k < 3; k++)
        if (h->ndig[k] >= 3 || h->comp[k] > 31)
            return k;
    return -1;
}

bool cred_wa__header(const char *s, size_t n, wa_header *h)
{
    size_t i = 0;
    /* fast reject: a header starts with a digit, '[', a mark or the BOM */
    if (n < 8)
        return false;
    unsigned c0 = at(s, 0);
    if (!(c0 - '0' < 10 || c0 == '[' || c0 == 0xE2 || c0 == 0xD9 || c0 == 0xDB || c0 == 0xD8 || c0 == 0xEF))
        return false;
    i = cred_wa__skip_marks(s, n, 0);
    bool bracket = i < n && s[i] == '[';
    if (bracket)
        i = cred_wa__skip_marks(s, n, i + 1);
    h->dt_start = i;

    int nd;
    for (int k = 0; k < 3; k++) {
        if (!number(s, n, &i, 4, &h->comp[k], &nd))
            return false;
        h->ndig[k] = (uint8_t)nd;
        if (k < 2) {
            if (i >= n || (s[i] != '/' && s[i] != '.' && s[i] != '-'))
                return false;
            i = skip_spaces(s, n, i + 1);
        }
    }
    /* at most one year; day and month within 1..31 */
    int yp = cred_wa__year_pos(h);
    int small = 0;
    for (int k = 0; k < 3; k++) {
        if (k == yp)
            continue;
        if (h->ndig[k] >= 3 || h->comp[k] > 31 || h->comp[k] == 0)
            return false;
        small += h->comp[k] <= 12;
    }
    if (small == 0)
        return false;

    /* the gap: ". ", ", ", "، ", " klo ", " 午後" ... */
    size_t g = i;
    if (i < n && s[i] == '.')
        i++;
    i = skip_spaces(s, n, i);
    if (i < n && s[i] == ',')
        i++;
    else if (i + 1 < n && at(s, i) == 0xD8 && at(s, i + 1) == 0x8C) /* Arabic comma */
        i += 2;
    i = skip_spaces(s, n, i);
    bool has_ampm = false, pm = false;
    int d;
    if (digit(s, n, i, &d) == 0) {
        if (ampm(s, n, &i, &pm, true)) {
            has_ampm = true;
        } else {
            size_t w = i; /* one short word: Finnish "klo", German "um", ... */
            while (i < n && i - w < 8 && s[i] != ' ' && s[i] != ':' && s[i] != '-' && s[i] != ']' &&
                   digit(s, n, i, &d) == 0)
                i++;
            if (i == w || i >= n || s[i] != ' ')
                return false;
        }
        i = skip_spaces(s, n, i);
    }
    if (i == g)
        return false;

    /* the time */
    int hour, min, sec = 0;
    if (!number(s, n, &i, 2, &hour, &nd) || i >= n || (s[i] != ':' && s[i] != '.'))
        return false;
    i++;
    if (!number(s, n, &i, 2, &min, &nd) || nd != 2)
        return false;
    if (i + 1 < n && (s[i] == ':' || s[i] == '.') && digit(s, n, i + 1, &d) > 0) {
        i++;
        if (!number(s, n, &i, 2, &sec, &nd) || nd != 2)
            return false;
    }
    h->dt_end = i;
    size_t j = skip_spaces(s, n, i);
    if (!has_ampm && ampm(s, n, &j, &pm, false)) {
        has_ampm = true;
        i = h->dt_end = j;
    }
    if (has_ampm ? hour > 12 : hour > 23)
        return false;
    if (min > 59 || sec > 60)
        return false;
    if (has_ampm) {
        if (hour == 12)
            hour = 0;
        if (pm)
            hour += 12;
    }
    h->hour = hour;
    h->min = min;
    h->sec = sec;

    /* the separator */
    i = cred_wa__skip_marks(s, n, i);
    if (bracket) {
        if (i >= n || s[i] != ']')
            return false;
        h->style = WA_SEP_BRACKET;
        h->rest = skip_spaces(s, n, i + 1);
        return h->rest > i + 1 || h->rest == n;
    }
    j = skip_spaces(s, n, i);
    if (j < n && s[j] == '-') {
        j++;
    } else if (j + 2 < n && at(s, j) == 0xE2 && at(s, j + 1) == 0x80 && at(s, j + 2) == 0x93) {
        j += 3; /* en dash */
    } else if (j == i && j < n && s[j] == ':' && (j + 1 == n || s[j + 1] == ' ')) {
        h->style = WA_SEP_COLON;
        h->rest = skip_spaces(s, n, j + 1);
        return true;
    } else if (j > i && j < n) {
        h->style = WA_SEP_SPACE;
        h->rest = j;
        return true;
    } else {
        return false;
    }
    if (j < n && s[j] != ' ' && at(s, j) != 0xC2 && at(s, j) != 0xE2)
        return false;
    h->style = WA_SEP_DASH;
    h->rest = skip_spaces(s, n, j);
    return true;
}

/* ---- day/month evidence -------------------------------------------------------------------------- */

void cred_wa__evidence_init(wa_evidence *e)
{
    memset(e, 0, sizeof *e);
    e->ypos = -1;
}

void cred_wa__evidence_add(wa_evidence *e, const wa_header *h)
{
    int yp = cred_wa__year_pos(h);
    if (e->ypos < 0 && yp >= 0)
        e->ypos = yp;
    int ey = e->ypos >= 0 ? e->ypos : 2;
    for (int k = 0; k < 3; k++)
        if (h->comp[k] > 12)
            e->over12[k] = true;
    if (e->prev_ok && e->prev[ey] == h->comp[ey])
        for (int k = 0; k < 3; k++)
            if (k != ey && h->comp[k] < e->prev[k])
                e->decreased[k] = true;
    memcpy(e->prev, h->comp, sizeof e->prev);
    e->prev_ok = true;
    e->headers++;
}

static void others(int ypos, int *p, int *q)
{
    *p = ypos == 0 ? 1 : 0;
    *q = ypos == 2 ? 1 : 2;
}

bool cred_wa__decisive(const wa_evidence *e)
{
    int p, q;
    others(e->ypos >= 0 ? e->ypos : 2, &p, &q);
    return e->over12[p] != e->over12[q];
}

wa_order cred_wa__decide(const wa_evidence *e, cred_date_order hint, int *how)
{
    wa_order o;
    o.ypos = hint == CRED_DATE_ORDER_YMD ? 0 : e->ypos >= 0 ? e->ypos : 2;
    int p, q;
    others(o.ypos, &p, &q);
    bool day_first; /* is the first non-year component the day? */
    if (hint != CRED_DATE_ORDER_AUTO) {
        day_first = hint == CRED_DATE_ORDER_DMY;
        *how = 0;
    } else if (e->over12[p] != e->over12[q]) {
        day_first = e->over12[p];
        *how = 1;
    } else if (e->decreased[p] != e->decreased[q]) {
        /* dates run forward, so within a year the component that goes down is the day (Pustur's
         * checkDecreasing): 1/4/23 then 2/2/23 is January 4th then February 2nd */
        day_first = e->decreased[p];
        *how = 2;
    } else {
        day_first = o.ypos != 0; /* D/M/Y as most locales write it; Y/M/D after a leading year */
        *how = 3;
    }
    o.dpos = day_first ? p : q;
    o.mpos = day_first ? q : p;
    return o;
}

int cred_wa__date(const wa_header *h, wa_order o, int64_t *out)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = h->comp[o.ypos], m = h->comp[o.mpos], d = h->comp[o.dpos];
    if (h->ndig[o.ypos] <= 2)
        y += 2000;
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return -1;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    *out = cred_io__timegm(y, m, d, h->hour, h->min, h->sec);
    return 0;
}
