/* suggest.c: edit distance and the closest of a set of names, for the "did
 * you mean" hints of config keys, options, commands and key names. Bounded
 * stack memory, never allocates, never prints. */
#include "agent/base/suggest.h"

#include <string.h>

static int lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

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
            int best = diag + (lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]));
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

void xtars_suggest_offer(struct xtars_suggest *s, const char *candidate)
{
    int d = xtars_edit_distance(s->word, candidate);

    if (s->best == NULL || d < s->distance) {
        s->best = candidate;
        s->distance = d;
    }
}

const char *xtars_suggest_result(const struct xtars_suggest *s)
{
    int limit = (int)strlen(s->word) / 3 + 1;

    if (limit < 2)
        limit = 2;
    return s->best && s->distance <= limit ? s->best : NULL;
}
