/* agent/base/suggest.h: "did you mean ...?" for every place that refuses a
 * name (config keys, options, commands, key names): an edit distance and a
 * running best match over candidates. Pure functions, no allocation: a
 * suggestion points at the caller's candidate string. */
#ifndef XTARS_BASE_SUGGEST_H
#define XTARS_BASE_SUGGEST_H

/* Edit distance (insertions, deletions, substitutions) between a and b,
 * ASCII case ignored; capped at 100 (strings over 100 bytes give 100). */
int xtars_edit_distance(const char *a, const char *b);

/* The closest candidate seen so far for a word. Start with
 * {word, NULL, 100}, offer each candidate, then read the answer. */
struct xtars_suggest {
    const char *word;
    const char *best;   /* closest candidate so far, NULL before any */
    int distance;
};

/* Considers one candidate (the first of equally close ones is kept). */
void xtars_suggest_offer(struct xtars_suggest *s, const char *candidate);

/* The best candidate when it is close enough to be a likely typo (at most
 * a third of the word's length plus one edits, and at least 2 allowed), or
 * NULL. */
const char *xtars_suggest_result(const struct xtars_suggest *s);

#endif
