/*
 * Internal interface of the text pipeline proper (normalize.c, tokenize.c, stem.c, analyse.c).
 * text.h holds the narrower interface shared with url.c and lang.c.
 */
#ifndef CRED_TEXT_PIPELINE_H
#define CRED_TEXT_PIPELINE_H

#include "text/text.h"

/* ---- code-point properties (normalize.c) ------------------------------------------------------ */

/** Character classes, as the tokeniser sees code points of the normalised text. */
enum {
    CRED_CLS_OTHER = 0, /* punctuation, symbols */
    CRED_CLS_SPACE,     /* space separators, tab */
    CRED_CLS_NEWLINE,   /* \n \r \v \f */
    CRED_CLS_LETTER,    /* L* (and Nl) */
    CRED_CLS_MARK,      /* M* */
    CRED_CLS_DIGIT,     /* Nd */
    CRED_CLS_EMOJI,     /* Extended_Pictographic-ish */
    CRED_CLS_EMOJI_MOD, /* skin-tone modifiers U+1F3FB..U+1F3FF */
    CRED_CLS_REGIONAL,  /* regional indicators (flag halves) */
    CRED_CLS_TERM,      /* sentence terminators other than ASCII . ! ? */
    CRED_CLS_CLOSE      /* closing quotes and brackets */
};

/** Property flags. */
enum {
    CRED_CPF_UPPER = 1u << 0, /* upper or title case (Lu, Lt) in the raw text */
    CRED_CPF_LOWER = 1u << 1, /* lower case (Ll) */
    CRED_CPF_MARK = 1u << 2,  /* continues a cluster: combining class > 0, M*, Hangul V/T jamo */
    CRED_CPF_SAME = 1u << 3,  /* normalises to exactly one code point of the same UTF-8 length */
    CRED_CPF_DROP = 1u << 4,  /* normalises to nothing, whatever surrounds it */
    CRED_CPF_LONG = 1u << 5,  /* output longer than cred_cpinfo.out: recompute when needed */
    CRED_CPF_LANG = 1u << 6,  /* noted for language identification: cred_text__langcp() >= 0, or a
                                 removed code point that separates words (ZWNJ, soft hyphen, ...) */
    CRED_CPF_FILLED = 1u << 7 /* cache slot computed */
};

#define CRED_NORM_SPLITS 64

/** What one code point normalises to in isolation, and its classes. */
typedef struct cred_cpinfo {
    uint8_t n;     /* output length in bytes (0: removed) */
    uint8_t flags; /* CRED_CPF_* */
    uint8_t cls;   /* CRED_CLS_* of the code point itself */
    uint8_t pad_;
    char out[12];  /* output bytes, valid when !(flags & CRED_CPF_LONG) */
} cred_cpinfo;

/** One breakpoint of the sparse offset map: a segment of norm starting at `norm` came from raw. */
typedef struct cred_map_entry {
    uint32_t norm;    /* first norm byte of the segment */
    uint32_t raw;     /* first raw byte it came from */
    uint32_t raw_end; /* CRED_MAP_IDENTITY: byte-for-byte; else the raw end of a replaced segment */
} cred_map_entry;
#define CRED_MAP_IDENTITY UINT32_MAX

/** The normaliser: output buffer, offset map and per-code-point cache, reused call after call. */
typedef struct cred_norm {
    cred_buf out;           /* normalised text, NUL-terminated */
    cred_map_entry *map;
    size_t map_len, map_cap;
    size_t invalid;         /* invalid bytes replaced by U+FFFD in the last call */
    uint32_t lang_cps[CRED_LANGCP_N]; /* CRED_LANGCP_* code points in the first CRED_LANG_SCAN_BYTES */
    uint32_t splits[CRED_NORM_SPLITS]; /* norm offsets where such a removed code point separated words */
    uint32_t n_splits;                 /* (the first CRED_NORM_SPLITS of them, in order) */
    cred_cpinfo *bmp;       /* 65,536 lazily filled slots, allocated on first non-ASCII text */
    struct { int32_t cp; cred_cpinfo info; } astral[256]; /* direct-mapped cache above the BMP */
    cred_cpinfo scratch;    /* answer when the BMP table cannot be allocated */
} cred_norm;

/** CRED_CLS_* of each ASCII byte. */
extern const uint8_t cred_text__ascii_cls[128];

void cred_text__norm_init(cred_norm *n);
void cred_text__norm_free(cred_norm *n);

/**
 * Normalise raw[0..len) into n->out and rebuild n->map. Linear in len; no allocation once the buffers
 * have grown. @return 0 or CRED_ENOMEM.
 */
int cred_text__normalise(cred_norm *n, const char *raw, size_t len);

/** Properties of a code point (valid, 0..0x10FFFF); computed once and cached. Never NULL. */
const cred_cpinfo *cred_text__cpinfo(cred_norm *n, int32_t cp);

/** cred_text__cpinfo() with the common case (a filled BMP slot) inlined. */
static inline const cred_cpinfo *cred_text__cpinfo_fast(cred_norm *n, int32_t cp)
{
    if (CRED_LIKELY(cp < 0x10000 && n->bmp && (n->bmp[cp].flags & CRED_CPF_FILLED)))
        return &n->bmp[cp];
    return cred_text__cpinfo(n, cp);
}

/** Map a norm offset to the raw offset of the character that produced it (span start). */
size_t cred_text__map_start(const cred_map_entry *map, size_t map_len, size_t norm_len, size_t raw_len,
                            size_t off);
/** Map a norm end offset (> 0) to the raw offset just after the character producing byte end-1. */
size_t cred_text__map_end(const cred_map_entry *map, size_t map_len, size_t norm_len, size_t raw_len,
                          size_t end);

/* ---- tokens and sentences (tokenize.c) --------------------------------------------------------- */

/** Growable outputs of the tokeniser, owned by cred_text. */
typedef struct cred_tok_out {
    cred_token *tokens;
    size_t n_tokens, cap_tokens;
    cred_span *sents;
    size_t n_sents, cap_sents;
} cred_tok_out;

/**
 * Tokenise norm[0..len) and split it into sentences. Flags UPPER/TITLE are read from the raw text
 * through the map held in `n` (which must describe this norm). Stops adding tokens at
 * CRED_LIMIT_TOKENS_PER_POST. @return 0 or CRED_ENOMEM.
 */
int cred_text__tokenise(cred_tok_out *o, cred_norm *n, const char *raw, size_t raw_len);

/* ---- stems (stem.c) ---------------------------------------------------------------------------- */

typedef struct cred_stemmer cred_stemmer;

/** A stemmer set with a surface-form cache bounded by `cache_bytes` (0: default). */
int cred_text__stemmer_new(cred_stemmer **out, size_t cache_bytes);
void cred_text__stemmer_free(cred_stemmer *s);

/** Clear the cache if it is over budget. Call between documents only (stems stay valid until then). */
void cred_text__stemmer_trim(cred_stemmer *s);

/** Words longer than this (bytes) are neither cached nor stemmed. */
#define CRED_STEM_MAX_INPUT 128

/** A cached word form: the word, its stem, its language evidence. Valid until the next trim. */
typedef struct cred_form {
    const char *word;  /* NUL-terminated copy */
    uint32_t word_len;
    uint32_t key;      /* 0: the form's own entry; li + 1: its stem in a second language */
    const char *stem;  /* NULL until stemmed */
    uint32_t stem_len;
    uint32_t stem_li;  /* stemmer index + 1 of `stem` */
    cred_lang_wev ev;  /* valid when ev_done */
    bool ev_done;
} cred_form;

/**
 * The cache entry of word form word[0..len), created when missing (one hash lookup).
 * @return the entry; NULL when len > CRED_STEM_MAX_INPUT, or on ENOMEM (error set).
 */
cred_form *cred_text__form(cred_stemmer *s, const char *word, size_t len);

const cred_lang_wev *cred_text__form_fill_evidence(cred_stemmer *s, cred_form *f);

/** Language evidence of a form, computed on first use. NULL on ENOMEM. */
static inline const cred_lang_wev *cred_text__form_evidence(cred_stemmer *s, cred_form *f)
{
    return CRED_LIKELY(f->ev_done) ? &f->ev : cred_text__form_fill_evidence(s, f);
}

/**
 * Stem every WORD token of `tokens` (which index norm) for language `lang` (ISO 639-1, or a tag such
 * as "pt-BR"); other tokens and languages without a stemmer get stem = surface. forms, when not NULL,
 * holds the entry of each token already looked up (or NULL). Stems stay valid until the next
 * cred_text__stemmer_trim(). @return 0 or CRED_ENOMEM.
 */
int cred_text__stem_tokens(cred_stemmer *s, const char *lang, const char *norm, cred_token *tokens,
                           size_t n_tokens, cred_form *const *forms);

#endif
