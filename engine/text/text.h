/*
 * Internal interface between the files of engine/text/. The public face is cred_text_* in credence.h.
 *
 *   normalize.c  UTF-8 repair, NFKC + case fold (utf8proc, per-code-point cache, ASCII fast path),
 *                Arabic-script folding, digit and space mapping, control removal; sparse offset map.
 *   tokenize.c   tokens (words, numbers, URLs, e-mails, @mentions, #hashtags, emoji) and sentences.
 *   url.c        URL recognition in normalised text, canonical form, host, registrable domain (libpsl).
 *   lang.c       language identification: script first, then stop-word / n-gram profiles.
 *   stem.c       Snowball stemmers (libstemmer) per language with a surface-form cache.
 *   analyse.c    cred_text: owns the arena and caches, runs the pipeline, builds cred_doc.
 */
#ifndef CRED_TEXT_H
#define CRED_TEXT_H

#include "util/util.h"

#if defined(__GNUC__) || defined(__clang__)
#define CRED_TEXT_INLINE static inline __attribute__((always_inline))
#define CRED_TEXT_NOINLINE __attribute__((noinline)) /* a cold path kept out of an inlined hot one */
#else
#define CRED_TEXT_INLINE static inline
#define CRED_TEXT_NOINLINE
#endif

/**
 * cred_utf8_decode(), same contract and results, always inlined: the hot loops of this module call it
 * once per non-ASCII code point, and compilers keep the util.h version out of line there.
 */
CRED_TEXT_INLINE int cred_text__utf8_decode(const unsigned char *s, size_t len, int32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    if (c >= 0xC2 && c < 0xE0 && len >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = (int32_t)(((c & 0x1Fu) << 6) | (s[1] & 0x3Fu));
        return 2;
    }
    if (c >= 0xE0 && c < 0xF0 && len >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        !(c == 0xE0 && s[1] < 0xA0) && !(c == 0xED && s[1] >= 0xA0)) {
        *cp = (int32_t)(((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu));
        return 3;
    }
    return cred_utf8_decode(s, len, cp); /* 4-byte and invalid sequences */
}

/**
 * Length in bytes of a URL that starts exactly at s[pos] in normalised (lower-case) text, or 0 when no
 * URL starts there. Recognises scheme URLs (http, https, and obfuscated hxxp/hxxps, h**p), `www.` hosts,
 * scheme-less `domain.tld/path` and bare `domain.tld` where tld is a real public suffix, and `[.]` / `(.)`
 * dot obfuscation. Trailing sentence punctuation and unbalanced closing brackets are not included.
 * Must be cheap to call at every word start (quick rejection).
 */
size_t cred_text__url_len(const char *s, size_t len, size_t pos);

/**
 * Parse a URL as written in the raw text into a cred_link (url, host, domain strings allocated in
 * arena; raw and token fields are left for the caller). @return 0, CRED_EINVAL when not a URL, CRED_ENOMEM.
 */
int cred_text__link_parse(cred_arena *arena, const char *raw, size_t len, cred_link *out);

/* ---- language evidence (lang.c) ----------------------------------------------------------------
 * cred_lang_detect() reads raw text in one pass. The pipeline reaches the same decision from what it
 * already has: the evidence of each distinct word form of the normalised text (computed once, cached
 * with the form's stem), plus the few raw letters that normalisation folds away, counted by the
 * normaliser (¿ ¡ ß ẞ, and Arabic ي ى ك ة which become the Persian ی ک and ه).
 */

#define CRED_LANG_SCAN_BYTES 4096 /* both readings look at the first 4 KiB only */

/** Evidence summed over some text: scores per language, letters per script. Zero it to start. */
typedef struct cred_lang_ev {
    float score[16];     /* per profiled language (13 used) */
    uint32_t script[12]; /* letters per script (11 used) */
    uint32_t letters, al_words, urdu, pad_;
} cred_lang_ev;

/**
 * Evidence of one word form: `letters` letters of one script, `al_words`, at most CRED_LANG_WEV_SCORES
 * scores; or (full != NULL, rare: several scripts, Urdu letters, many scores) anything.
 */
#define CRED_LANG_WEV_SCORES 3
typedef struct cred_lang_wev {
    const cred_lang_ev *full;
    uint16_t letters;
    uint8_t script;
    uint8_t n;                            /* scores used */
    uint8_t lang[CRED_LANG_WEV_SCORES];   /* index into cred_lang_ev.score */
    uint8_t al_words;
    float score[CRED_LANG_WEV_SCORES];
} cred_lang_wev;

/** Raw code points the normaliser counts for the pipeline's language decision (index). */
enum { CRED_LANGCP_INVERTED, CRED_LANGCP_SHARP_S, CRED_LANGCP_AR_YEH_KAF, CRED_LANGCP_TEH_MARBUTA, CRED_LANGCP_N };

/** Index of cp in CRED_LANGCP_*, or -1 (cheap; the normaliser flags these code points in its cache). */
static inline int cred_text__langcp(int32_t cp)
{
    switch (cp) {
    case 0xBF: case 0xA1: return CRED_LANGCP_INVERTED;                       /* ¿ ¡ */
    case 0xDF: case 0x1E9E: return CRED_LANGCP_SHARP_S;                      /* ß ẞ */
    case 0x64A: case 0x649: case 0x643: return CRED_LANGCP_AR_YEH_KAF;       /* ي ى ك */
    case 0x629: return CRED_LANGCP_TEH_MARBUTA;                              /* ة */
    default: return -1;
    }
}

/** Add the evidence of normalised text s[0..n) (a token) to ev, as cred_lang_detect() reads words. */
void cred_text__lang_eval(cred_lang_ev *ev, const char *s, size_t n);

/**
 * Evidence of one normalised word form into *out; the full record, when needed, is allocated in
 * arena. @return 0 or CRED_ENOMEM.
 */
int cred_text__lang_word(cred_lang_wev *out, cred_arena *arena, const char *w, size_t n);

/** Add raw letter counts (CRED_LANGCP_*) that normalisation folded away. */
void cred_text__lang_raw_letters(cred_lang_ev *ev, const uint32_t counts[CRED_LANGCP_N]);

/** The decision of cred_lang_detect() for summed evidence. */
const char *cred_text__lang_decide(const cred_lang_ev *ev, float *confidence);

/** Add a word form's evidence. */
static inline void cred_text__lang_add(cred_lang_ev *ev, const cred_lang_wev *w)
{
    if (w->full) {
        const cred_lang_ev *f = w->full;
        for (int i = 0; i < 16; i++)
            ev->score[i] += f->score[i];
        for (int i = 0; i < 12; i++)
            ev->script[i] += f->script[i];
        ev->letters += f->letters;
        ev->al_words += f->al_words;
        ev->urdu += f->urdu;
    } else {
        ev->script[w->script] += w->letters;
        ev->letters += w->letters;
        ev->al_words += w->al_words;
        for (unsigned i = 0; i < w->n; i++)
            ev->score[w->lang[i]] += w->score[i];
    }
}

#endif
