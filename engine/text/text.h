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
#else
#define CRED_TEXT_INLINE static inline
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

#endif
