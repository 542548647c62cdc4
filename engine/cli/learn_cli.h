/* Shared by `credence train` and `credence eval`: labelled-data options, the data set registry,
 * rule loading, and the evaluation report (json or table). */
#ifndef CRED_CLI_LEARN_H
#define CRED_CLI_LEARN_H

#include "cli.h"

/** Options naming a labelled file and its columns (append to a command's option table). */
#define CLI_DATA_OPTIONS                                                                                   \
    {"data", 'd', "FILE", "labelled file: CSV, TSV or JSONL (with --dataset: instead of the registered one)"}, \
    {"dataset", 0, "NAME", "registered data set (datasets/registry.json): files and columns need no flags"},  \
    {"data-dir", 0, "DIR", "where registered data sets are (default ../shared/datasets)"},                  \
    {"registry", 0, "FILE", "data set registry (default: $CREDENCE_REGISTRY, else the shipped one)"},        \
    {"split", 0, "NAME", "file of the registered data set: train, val, test or all"},                      \
    {"format", 'f', "FMT", "csv, tsv or jsonl (default: from the file name)"},                             \
    {"text-col", 0, "COL", "text column; \"#N\" is the N-th; a+b joins columns (default text)"},             \
    {"label-col", 0, "COL", "label column (default label)"},                                               \
    {"positive", 0, "V,...", "label values meaning unreliable (default 1)"},                               \
    {"negative", 0, "V,...", "label values meaning reliable (default: every other value)"},                \
    {"id-col", 0, "COL", "id column (default id, else the row number)"},                                   \
    {"lang-col", 0, "COL", "declared language column (default: detect)"},                                   \
    {"no-header", 0, NULL, "CSV/TSV: the first row is data (name columns #1, #2, ...)"},                    \
    {"rules", 'r', "PATH", "rule file or directory (default: $CREDENCE_RULES, else the shipped rules/)"},    \
    {"quiet", 'q', NULL, "no progress or checksum notes on stderr"}

/** A labelled data source resolved from the command line. */
typedef struct learn_source {
    cred_registry *registry;            /* when --dataset was given */
    const cred_registry_entry *entry;
    cred_dataset_options opts;          /* registry mapping overridden by flags */
    char name[256];                     /* data set name or file name, for reports */
} learn_source;

/** Resolve --dataset/--registry/--data-dir and the column flags. Prints an error and returns false. */
bool learn_source_open(const cli_args *a, learn_source *src);
void learn_source_close(learn_source *src);

/**
 * Load a labelled file: `path` when not NULL, else the registered file of `split` (its checksum is
 * checked; a mismatch is a warning). Prints an error and returns NULL on failure, or when `split` is
 * not registered and required is true (then "all" is tried first); NULL silently when not required.
 */
cred_dataset *learn_load(const cli_args *a, learn_source *src, const char *split, const char *path, bool required);

/** Load the rule set named by --rules, $CREDENCE_RULES or the shipped rules/. NULL after an error. */
cred_rules *learn_rules(const cli_args *a);

/** Per-language figures. */
typedef struct learn_lang {
    char lang[8];
    cred_metrics m;
} learn_lang;

/** Per-rule counts: posts where the rule scored, and how many of them were unreliable. */
typedef struct learn_rule {
    const char *id;
    double weight;          /* effective weight (override or rule file) */
    size_t posts, positives;
} learn_rule;

/** Metrics per language (sorted by count, descending). Returns the number of languages, or -1. */
long learn_by_lang(learn_lang **out, const double *p, const unsigned char *y, const char *const *lang, size_t n,
                   double threshold);

/** Print the report: JSON (one object, keys of the contract first) or a table. */
void learn_report(FILE *fp, bool json, const char *name, const char *model, const cred_metrics *m,
                  const learn_lang *langs, size_t n_langs, const learn_rule *rules, size_t n_rules,
                  double mean_rules, double mean_lexical);

#endif
