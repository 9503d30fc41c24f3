/* suggest.h: the one "did you mean" of xtars: edit distance and the nearest
 * of a set of names, with one rule for when a name is near enough to suggest.
 * Used by config keys, command-line options and commands, task-file keys and
 * format names. Pure functions on the caller's strings; nothing is kept or
 * freed. */
#ifndef XTARS_BASE_SUGGEST_H
#define XTARS_BASE_SUGGEST_H

/* Edit distance between a and b (bytes, ASCII case ignored), capped at 100. */
int xtars_edit_distance(const char *a, const char *b);

/* Collects the candidate nearest to `word`: init, offer each candidate, then
 * get. The strings must outlive the struct. */
struct xtars_nearest {
    const char *word;
    const char *best;
    int distance;
};

void xtars_nearest_init(struct xtars_nearest *n, const char *word);
void xtars_nearest_offer(struct xtars_nearest *n, const char *candidate);

/* The nearest candidate when it is close enough to be what was meant (at most
 * a third of the word's length plus one edits, at least 2, and fewer edits
 * than the word has bytes, so "-V" never suggests "run"), else NULL. */
const char *xtars_nearest_get(const struct xtars_nearest *n);

/* The nearest of a NULL-terminated list, by the same rule. */
const char *xtars_suggest(const char *word, const char *const *names);

#endif
