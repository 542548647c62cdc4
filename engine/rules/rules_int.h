/*
 * Internal interface of the rules engine, shared by its files:
 *   lex.c      tokens with file:line:col
 *   parse.c    rule files -> rule/list/group records (one compile context for a whole set)
 *   check.c    references, cycles, weights, lists, templates; lint warnings; evaluation order
 *   regex.c    list entries -> regex, pattern heuristics (literals, catastrophic nesting)
 *   compile.c  PCRE2 + vectorscan compilation, cred_rules lifetime, public entry points
 *   scan.c     cred_scanner: targets, prefilter, confirmation, scopes, caps and groups
 *   rtest.c    inline tests, reload slot
 */
#ifndef CRED_RULES_INT_H
#define CRED_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>
#include <stdatomic.h>

#include "util/util.h"

/* ---- positions and diagnostics ----------------------------------------------------------------- */

typedef struct rpos {
    const char *file; /* interned in the context arena */
    uint32_t line, col, off;
} rpos;

/* ---- tokens ------------------------------------------------------------------------------------- */

typedef enum tok_kind {
    T_EOF = 0,
    T_WORD,   /* lower-case identifier: keyword, category, target, language code */
    T_NAME,   /* UPPER_SNAKE_CASE identifier */
    T_STRING, /* "..." (text holds the unescaped value) */
    T_REGEX,  /* /.../flags (text = pattern between the slashes, flags in `flags`) */
    T_NUMBER,
    T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN, T_COMMA,
    T_GE, T_GT, T_LE, T_LT, T_EQ,
    T_ERROR
} tok_kind;

typedef struct token {
    tok_kind kind;
    rpos pos;
    const char *text; /* borrowed from the source (WORD, NAME, REGEX, NUMBER) or the arena (STRING) */
    size_t len;
    char flags[8];    /* regex flags as written */
    double num;
    bool has_sign, is_int;
} token;

typedef struct lexer {
    const char *src, *end, *p;
    const char *file;
    uint32_t line;
    const char *line_start;
    cred_arena *arena;
} lexer;

struct rctx;
void rl__init(lexer *lx, const char *src, size_t len, const char *file, cred_arena *arena);
/** Next token; on a lexical error the token is T_ERROR and the message was reported. */
token rl__next(lexer *lx, struct rctx *cx);

/* ---- the rule model ----------------------------------------------------------------------------- */

enum { RF_CASELESS = 1, RF_DOTALL = 2, RF_MULTILINE = 4, RF_EXTENDED = 8 };

typedef enum clause_kind { CL_PATTERN, CL_LIST, CL_RULE } clause_kind;
typedef enum hs_mode { HSM_NORMAL, HSM_PREFILTER, HSM_PCRE_ONLY, HSM_NONE } hs_mode;

typedef struct rclause {
    clause_kind kind;
    cred_rule_target target;
    rpos pos;             /* position of the pattern / list / name token */
    const char *pattern;  /* CL_PATTERN: as written; after compile: the regex run (lists too) */
    size_t pattern_len;
    unsigned int rflags;  /* RF_* */
    int list;             /* CL_LIST: index in ctx lists */
    const char *ref_name; /* CL_RULE */
    int ref;              /* CL_RULE: rule index */
    /* compiled */
    pcre2_code *re;
    pcre2_code *re_at;    /* som clauses: the same regex anchored, run at each start vectorscan reports */
    const char **entries; /* CL_LIST: entries transformed for the target (arena) */
    size_t n_entries;
    bool som;             /* list found from its entries' last words (see hsdb.c) */
    /* som clauses: the distinct last words, and the entries ending with each (arena, from hsdb.c) */
    uint32_t n_tails;
    uint32_t *tail_first, *tail_count; /* per last word: its range in tail_ents */
    uint32_t *tail_ents;               /* entry indices grouped by last word */
    uint32_t *ent_len;                 /* per entry: its length in bytes */
    uint32_t *ent_rank;                /* per entry: its place in the list regex (longest first) */
    uint8_t *ent_bounds;               /* per entry: RX_B_* (the \b the list regex puts around it) */
    hs_mode hsm;
    bool dead;            /* empty list: never matches */
    uint32_t id;          /* global clause index */
    uint32_t rule;        /* owning rule */
} rclause;

typedef enum expr_op { EX_REF, EX_NOT, EX_AND, EX_OR, EX_COUNT, EX_NOF } expr_op;
typedef enum cmp_op { CMP_GE, CMP_GT, CMP_LE, CMP_LT, CMP_EQ } cmp_op;

typedef struct rexpr {
    expr_op op;
    rpos pos;
    struct rexpr *a, *b;    /* NOT: a; AND/OR: a, b */
    const char **names;     /* REF/COUNT: 1 name; NOF: n names */
    rpos *name_pos;
    int *refs;              /* resolved rule indices */
    size_t n_names;
    cmp_op cmp;
    long n;                 /* COUNT: the number compared; NOF: how many of */
} rexpr;

typedef enum scope_kind { SC_POST, SC_WITHIN } scope_kind;

typedef struct rfilter {
    bool unless;
    rexpr *e;
    scope_kind scope;
    uint32_t n;    /* sentences */
    int dir;       /* 0 both ways, -1 before only, +1 after only */
    rpos pos;
} rfilter;

enum { META_FORWARDED_FROM, META_AUTHOR, META_SOURCE, META_LANG, META_COUNT };

typedef struct rtest {
    bool expect;
    rpos pos;
    const char *text;
    size_t len;
    const char *meta[META_COUNT];
    const char *quote;
    size_t quote_len;
} rtest;

/* keys a rule may give once */
enum { K_DESCRIBE, K_CATEGORY, K_LANG, K_GROUP, K_TARGET, K_WEIGHT, K_CAP, K_EXPLAIN, K_COUNT };

typedef struct rrule {
    cred_rule_info info;
    rpos pos;         /* of the name */
    rpos key_pos[K_COUNT];
    bool has[K_COUNT];
    const char **langs;
    size_t n_langs;
    int group;        /* -1 none */
    rpos group_pos;
    const char *group_name;
    cred_rule_target target;
    rclause *clauses;
    size_t n_clauses, cap_clauses;
    rfilter *filters;
    size_t n_filters, cap_filters;
    rtest *tests;
    size_t n_tests, cap_tests;
    const char *explain;
    bool referenced;
} rrule;

typedef struct rlist {
    const char *name; /* NULL for inline lists */
    rpos pos;
    const char *path; /* `from` file as written, or NULL */
    rpos path_pos;
    const char **entries;
    size_t n_entries;
    bool used;
    bool loaded;
    /* domain lookups: sorted hashes of the entries */
    uint64_t *hashes;
} rlist;

typedef struct rgroup {
    const char *name;
    rpos pos;
    const char *describe;
    double max, min;
    bool has_max, has_min;
} rgroup;

/* A compile context: everything parsed from one or more files, then checked and compiled. */
typedef struct rctx {
    cred_arena *arena;
    const char *base_dir;      /* from options, or NULL */
    unsigned int flags;        /* CRED_RULES_* */
    cred_diag_fn on_diag;
    void *diag_payload;
    size_t n_errors, n_warnings;
    cred_error first_error;    /* copy of the first error's fields */
    char first_message[512];
    char first_file[256];
    rrule *rules;
    size_t n_rules, cap_rules;
    rlist *lists;
    size_t n_lists, cap_lists;
    rgroup *groups;
    size_t n_groups, cap_groups;
    uint64_t digest;           /* running hash of sources */
    int oom;
} rctx;

/** Report a problem at pos. Errors are counted (and the first kept); warnings only with LINT. */
void rc__diag(rctx *cx, cred_severity sev, const rpos *pos, const char *fmt, ...) CRED_PRINTF(4, 5);

/** Parse one file's text into the context (problems are reported; parsing goes on after them). */
void rc__parse(rctx *cx, const char *src, size_t len, const char *file);

/** Check the whole context: resolve names, load list files, detect cycles, lint; compute order. */
void rc__check(rctx *cx, uint32_t **order_out);

/** Names of targets and categories. */
int rc__target_parse(const char *s, size_t n);
int rc__category_parse(const char *s, size_t n);
extern const char *const rc__categories[];

/* ---- regex helpers (regex.c) -------------------------------------------------------------------- */

/** Build the regex of a list clause from its (already transformed) entries. NULL when no entry. */
char *rx__list_regex(cred_arena *a, const char *const *entries, size_t n, size_t *len_out);
/**
 * Whether a list entry can be found from its last word (see hsdb.c): no surrounding white space and,
 * when caseless, only ASCII without k or s (which PCRE2 also folds to the Kelvin sign and long s).
 */
bool rx__entry_rigid(const char *entry, bool caseless);
/**
 * The entry's last words that vectorscan looks for (*tail and its length): the last word, with the
 * words before it while they hold fewer than RX_TAIL_MIN bytes (a lone "a" or "to" is everywhere).
 */
#define RX_TAIL_MIN 4
size_t rx__entry_tail(const char *entry, const char **tail);
/** Whether the list regex puts \b before (RX_B_START) and after (RX_B_END) each entry: out[i] for entries[i]. */
enum { RX_B_START = 1, RX_B_END = 2, RX_B_SPACE = 4 /* and the entry holds white space */ };
void rx__entry_bounds(const char *const *entries, size_t n, uint8_t *out);
/** The vectorscan expression of a tail (malloc'd): its words literally, white space as [^a-zA-Z0-9_]+. */
char *rx__tail_expr(const char *tail, size_t len);
/** Whether the len bytes at `at` are the word `tail` (ASCII-caseless when asked). */
bool rx__entry_tail_eq(const char *tail, size_t len, const char *at, bool caseless);
/** A vectorscan expression matching exactly these bytes (malloc'd, NUL-terminated), or NULL. */
char *rx__literal_expr(const char *s, size_t len);
/**
 * Where entry (elen bytes) starts when it ends at subj[end], read backwards: its words byte for byte
 * (ASCII-caseless when asked), each white-space run of the entry as a run of PCRE2 \s characters.
 * Words hold no white space, so the start is unique; -1 when the entry does not end there.
 */
long rx__entry_start(const char *entry, size_t elen, const char *subj, size_t end, bool caseless);
/** Longest run of literal bytes every match must contain (heuristic, for the "slow" warning). */
size_t rx__min_literal(const char *pat, size_t len);
/** Offset of a quantified group that contains an unbounded quantifier, or -1. */
long rx__nested_quantifier(const char *pat, size_t len);
/** The vectorscan expression of a pattern (malloc'd, NUL-terminated): \b and \B removed. */
char *rx__prefilter_expr(const char *pat, size_t len, bool extended);
/** Offset of an upper-case literal letter (outside classes/escapes), or -1. */
long rx__uppercase_literal(const char *pat, size_t len);

/* ---- the compiled set --------------------------------------------------------------------------- */

typedef struct rtarget_db {
    hs_database_t *db;
    uint32_t *clause_of;  /* hs id -> clause */
    uint32_t *tail_of;    /* hs id -> last-word index in a som clause, or UINT32_MAX for a regex */
    size_t n_ids;
    uint32_t *always;     /* clauses confirmed without prefilter */
    size_t n_always;
    size_t n_clauses;     /* clauses on this target */
} rtarget_db;

struct cred_rules {
    atomic_int refs;
    cred_arena arena;
    unsigned int flags;
    rrule *rules;
    size_t n_rules;
    rlist *lists;
    size_t n_lists;
    rgroup *groups;
    size_t n_groups;
    rclause **clauses;    /* by global clause id */
    size_t n_clauses;
    uint32_t *order;      /* evaluation order (references first) */
    rtarget_db tgt[CRED_TARGET_COUNT_];
    bool uses_target[CRED_TARGET_COUNT_];
    char digest[17];
};

/** Rule hits of one post, before scoring: what inline tests and the scorer both use. */
typedef struct ihit {
    cred_span span;       /* raw offsets (or in the metadata field) */
    uint32_t sentence;
    uint8_t target;
    const char *quote;
    uint32_t quote_len;
} ihit;

/** Scan and evaluate every rule; per-rule hits are then in s->hits[first[r] .. first[r]+count[r]). */
int rs__evaluate(cred_scanner *s, const cred_doc *doc, const cred_post *post);
/** Hits of rule r after rs__evaluate(). */
const ihit *rs__rule_hits(const cred_scanner *s, size_t r, size_t *n);

/**
 * Build the vectorscan databases of every target (hsdb.c). With cache_key != NULL the result is read
 * from, or written to, the database cache (see cred_rules_load); any cache problem means compiling.
 */
int rh__build(cred_rules *rs, rctx *cx, const char *cache_key);

/** Compile from already-read sources (used by load and compile). */
int rc__compile_sources(cred_rules **out, const char *const *srcs, const size_t *lens,
                        const char *const *names, size_t n, const cred_rules_options *opts,
                        const char *cache_key);

#endif
