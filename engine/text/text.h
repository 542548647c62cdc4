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
