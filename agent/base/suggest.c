/* suggest.c: edit distance and nearest-name suggestions for error messages
 * (suggest.h). Never allocates; words over 100 bytes suggest nothing. */
#include "agent/base/suggest.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

int xtars_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[101];

    if (la > 100 || lb > 100)
        return 100;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void xtars_nearest_init(struct xtars_nearest *n, const char *word)
{
    n->word = word;
    n->best = NULL;
    n->distance = 100;
}

void xtars_nearest_offer(struct xtars_nearest *n, const char *candidate)
{
    int d;

    if (candidate == NULL || n->word == NULL)
        return;
    d = xtars_edit_distance(n->word, candidate);
    if (d < n->distance) {
        n->distance = d;
        n->best = candidate;
    }
}

const char *xtars_nearest_get(const struct xtars_nearest *n)
{
    int len = n->word ? (int)strlen(n->word) : 0, limit = len / 3 + 1;

    if (limit < 2)
        limit = 2;
    if (n->best == NULL || n->distance > limit || n->distance >= len)
        return NULL;
    return n->best;
}

const char *xtars_suggest(const char *word, const char *const *names)
{
    struct xtars_nearest n;

    xtars_nearest_init(&n, word);
    for (size_t i = 0; names && names[i]; i++)
        xtars_nearest_offer(&n, names[i]);
    return xtars_nearest_get(&n);
}
