/*
 * cred_scorer: one post's contributions, z, probability, validity, verdict and flags (the formula is
 * in credence.h, "Scores"). Linear in the hits; no allocation once the contribution buffer has grown.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "score/score_int.h"

struct cred_scorer {
    const cred_model *m;
    cred_contribution *c;
    size_t cap;
    lex_scratch lx;
    cred_lexical_term terms[CRED_SCORE_TERMS];
    cred_score score;
    char explain_dup[256];
    char explain_fwd[256];
    char explain_lex[64];
};

int cred_scorer_new(cred_scorer **out, const cred_model *m)
{
    if (!out || !m)
        return cred__error(CRED_EINVAL, "cred_scorer_new: NULL argument");
    cred_scorer *s = calloc(1, sizeof *s);
    if (!s)
        return cred__error_nomem();
    s->m = m;
    *out = s;
    return 0;
}

void cred_scorer_free(cred_scorer *s)
{
    if (!s)
        return;
    free(s->c);
    free(s->lx.terms);
    free(s);
}

/* Duplicate evidence of a copy (see credence.h): grows from dup_base at the threshold. */
static double dup_points(const cred_model_params *p, const cred_dup_match *d, const cred_dup_cluster *c)
{
    double t = p->dup_threshold;
    double strength = (d->similarity - t) / (1.0 - t);
    if (!(strength > 0))
        strength = 0;
    if (strength > 1)
        strength = 1;
    double ev = p->dup_base + p->dup_similarity * strength;
    if (c) {
        double size = c->size > 1 ? c->size : 2; /* this post and its parent at least */
        double sources = c->sources > 1 ? c->sources : 1;
        if (sources > size)
            sources = size;
        ev += p->dup_per_source * log(sources) + p->dup_per_repeat * log(size / sources);
    }
    if (ev > p->dup_max)
        ev = p->dup_max;
    return ev;
}

static void format_day(char *out, size_t cap, int64_t date)
{
    time_t t = (time_t)date;
    struct tm tm;
    if (date == CRED_DATE_UNKNOWN || !gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%d", &tm))
        snprintf(out, cap, "an unknown date");
}

static cred_contribution *push(cred_scorer *s, cred_contrib_kind kind)
{
    cred_score *r = &s->score;
    if (CRED_GROW(s->c, s->cap, r->n_contribs + 1) < 0)
        return NULL;
    r->contribs = s->c;
    cred_contribution *c = &s->c[r->n_contribs++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->explain = "";
    return c;
}

int cred_scorer_score(cred_scorer *s, const cred_score **out, const cred_score_input *in)
{
    return cred_scorer_score_lexical(s, out, in, NULL);
}

int cred_scorer_score_lexical(cred_scorer *s, const cred_score **out, const cred_score_input *in,
                              const cred_lexical_signal *lex)
{
    if (!s || !out || !in || !in->post)
        return cred__error(CRED_EINVAL, "cred_scorer_score: NULL argument");
    const cred_model *m = s->m;
    const cred_model_params *p = &m->p;
    cred_score *r = &s->score;
    memset(r, 0, sizeof *r);
    r->contribs = s->c;
    r->terms = s->terms;
    r->bias = p->bias;
    int evidence = 0;
    unsigned int flags = 0;

    for (size_t i = 0; in->scan && i < in->scan->n_hits; i++) {
        const cred_rule_hit *h = &in->scan->hits[i];
        const cred_rule_info *ri = h->rule;
        double scale = 1;
        const model_rule *o = m->n_rules ? cred_model__rule(m, ri->id) : NULL;
        if (o && h->raw_points != 0)
            scale = o->w / h->raw_points;
        cred_contribution *c = push(s, CRED_CONTRIB_RULE);
        if (!c)
            return cred__error_nomem();
        c->rule = ri->id;
        c->category = ri->category;
        c->points = h->points * scale;
        c->raw_points = h->raw_points * scale;
        c->hit_flags = h->flags;
        c->has_span = 1;
        c->span = h->span;
        c->target = h->target;
        c->quote = h->quote;
        c->quote_len = h->quote_len;
        c->explain = h->explain ? h->explain : ri->describe;
        r->rules += c->points;
        if (c->points != 0)
            evidence = 1;
        if (h->flags & (CRED_HIT_CAPPED | CRED_HIT_GROUP_LIMITED)) {
            r->suppressed++;
            r->suppressed_points += c->raw_points - c->points;
        }
        const char *cat = ri->category ? ri->category : "";
        if (strcmp(cat, "claim") == 0 && c->raw_points > 0)
            flags |= CRED_FLAG_UNSOURCED_CLAIM;
        else if (strcmp(cat, "source") == 0 && c->raw_points < 0)
            flags |= CRED_FLAG_SOURCED;
        else if (strcmp(cat, "pressure") == 0)
            flags |= CRED_FLAG_SHARE_PRESSURE;
        else if (strcmp(cat, "forward") == 0)
            flags |= CRED_FLAG_FORWARDED;
    }

    const cred_dup_match *d = in->dup;
    if (d && (d->relation == CRED_DUP_EXACT || d->relation == CRED_DUP_NEAR)) {
        flags |= CRED_FLAG_NEAR_DUPLICATE;
        double ev = dup_points(p, d, in->cluster);
        cred_contribution *c = push(s, CRED_CONTRIB_DUPLICATE);
        if (!c)
            return cred__error_nomem();
        char day[32];
        format_day(day, sizeof day, in->cluster ? in->cluster->first_seen : CRED_DATE_UNKNOWN);
        if (in->cluster)
            snprintf(s->explain_dup, sizeof s->explain_dup,
                     "%s copy (similarity %.2f) of a message seen %" PRIu32 " times in %" PRIu32
                     " source%s since %s",
                     d->relation == CRED_DUP_EXACT ? "Exact" : "Edited", d->similarity, in->cluster->size,
                     in->cluster->sources, in->cluster->sources == 1 ? "" : "s", day);
        else
            snprintf(s->explain_dup, sizeof s->explain_dup, "%s copy (similarity %.2f) of an earlier message",
                     d->relation == CRED_DUP_EXACT ? "Exact" : "Edited", d->similarity);
        c->rule = "NEAR_DUPLICATE";
        c->category = "duplicate";
        c->points = c->raw_points = ev;
        c->explain = s->explain_dup;
        r->duplicate = ev;
        if (ev != 0)
            evidence = 1;
    } else if (d && d->relation == CRED_DUP_VARIANT) {
        flags |= CRED_FLAG_VARIANT;
    }

    const char *fw = in->post->forwarded_from;
    if (fw) {
        flags |= CRED_FLAG_FORWARDED;
        bool unknown = strcmp(fw, "unknown") == 0;
        double pts = unknown ? p->forwarded_unknown : p->forwarded;
        if (pts != 0) {
            cred_contribution *c = push(s, CRED_CONTRIB_FORWARD);
            if (!c)
                return cred__error_nomem();
            if (unknown)
                snprintf(s->explain_fwd, sizeof s->explain_fwd, "Forwarded; the original sender is unknown");
            else
                snprintf(s->explain_fwd, sizeof s->explain_fwd, "Forwarded from %.200s", fw);
            c->rule = "FORWARD_METADATA";
            c->category = "forward";
            c->points = c->raw_points = pts;
            c->target = CRED_TARGET_FORWARDED_FROM;
            c->explain = s->explain_fwd;
            r->forward = pts;
            evidence = 1;
        }
    }

    if (m->table && (lex || in->doc)) {
        double z = 0;
        if (lex) {
            z = lex->z;
            r->n_terms = lex->n_terms < CRED_SCORE_TERMS ? lex->n_terms : CRED_SCORE_TERMS;
            if (r->n_terms)
                memcpy(s->terms, lex->terms, r->n_terms * sizeof *s->terms);
        } else {
            int rc = cred_score__lexical(&s->lx, &z, s->terms, CRED_SCORE_TERMS, &r->n_terms, m, in->doc);
            if (rc < 0)
                return rc;
        }
        r->lexical = z;
        if (z != 0) {
            cred_contribution *c = push(s, CRED_CONTRIB_LEXICAL);
            if (!c)
                return cred__error_nomem();
            snprintf(s->explain_lex, sizeof s->explain_lex, "Wording learned from labelled posts (%zu terms shown)",
                     r->n_terms);
            c->rule = "LEXICAL";
            c->category = "lexical";
            c->points = c->raw_points = z;
            c->explain = s->explain_lex;
            if (r->n_terms) {
                c->has_span = 1;
                c->span = r->terms[0].raw;
                c->target = CRED_TARGET_RAW;
                if (c->span.end <= in->post->text_len) {
                    c->quote = in->post->text + c->span.start;
                    c->quote_len = c->span.end - c->span.start;
                }
            }
        }
        if (fabs(z) >= p->lexical_min && z != 0)
            evidence = 1;
    }

    r->z = p->bias + r->rules + r->duplicate + r->forward + r->lexical;
    r->p_unreliable = cred_model_probability(m, r->z);
    r->validity = cred_validity(r->p_unreliable);
    r->verdict = cred_model_verdict(m, r->validity, evidence);
    r->flags = flags;
    *out = r;
    return 0;
}
