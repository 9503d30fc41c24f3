/* fuzz_common.h: how the parse fuzzer reads its input, shared with the seed
 * writer so seeds land on the same coordinate spaces. The first two bytes
 * choose the space, the rest is the reply. */
#ifndef XTARS_FUZZ_COMMON_H
#define XTARS_FUZZ_COMMON_H

#include "xtars/config.h"
#include "xtars/coords.h"

#define FUZZ_HEADER 2
#define FUZZ_NO_SPACE 0x80  /* header[0]: parse with a NULL space */

/* header[1] % 4 picks one of these targets; header[0] % 4 the family. */
static const struct xtars_rect fuzz_targets[4] = {
    {0, 0, 1920, 1080}, {1920, 0, 1366, 768}, {0, 0, 224, 224}, {100, 50, 5120, 2880}};

/* Returns NULL for FUZZ_NO_SPACE. */
static inline const struct xtars_coord_space *fuzz_space(const unsigned char *header,
                                                         struct xtars_coord_space *space)
{
    if (header[0] & FUZZ_NO_SPACE)
        return NULL;
    space->family = header[0] % 4;
    space->target = fuzz_targets[header[1] % 4];
    if (xtars_smart_resize(space->target.width, space->target.height, XTARS_DEFAULT_MIN_PIXELS,
                           XTARS_DEFAULT_MAX_PIXELS, &space->sent_width,
                           &space->sent_height) != XTARS_OK)
        return NULL;
    return space;
}

#endif
