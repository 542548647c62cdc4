/* The query tree (query.c parses, search.c evaluates). */
#ifndef CRED_INDEX_QUERY_H
#define CRED_INDEX_QUERY_H

#include "util/util.h"

typedef enum q_kind { Q_WORD, Q_PREFIX, Q_PHRASE, Q_FIELD, Q_DATE, Q_VALIDITY, Q_AND, Q_OR, Q_NOT } q_kind;

typedef struct q_node {
    q_kind kind;
    size_t col;          /* 0-based byte offset in the query */
    char *text;          /* word, prefix, phrase or field value (NUL-terminated) */
    size_t len;
    bool exact;          /* =word */
    char field;          /* 's','a','l','f','c' fields; '>' after, '<' before */
    int64_t date;
    int op;              /* validity: -2 <=, -1 <, 1 >, 2 >= */
    double num;
    struct q_node **kids;
    size_t n_kids;
} q_node;

/** Parse a query; CRED_ESYNTAX with the column in cred_error_last(); CRED_ELIMIT. */
int q_parse(q_node **out, const char *s, size_t len);
void q_free(q_node *n);

#endif
