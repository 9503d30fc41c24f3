/* xtars/replay.h: the pure parts of replaying a recorded run (docs/replay.md):
 * mapping recorded points onto a live screen of another size, comparing the
 * live screen with the recorded screenshot, and composing the side-by-side
 * image shown when they differ. The loop that performs the steps is in
 * agent.h (xtars_agent_replay).
 *
 * Ownership: nothing here keeps a pointer. Images are caller-owned; the diff
 * image goes into a caller's initialized struct xtars_image (owned pixels,
 * free with xtars_image_cleanup()). Pure C over memory: no X, no codecs.
 */
#ifndef XTARS_REPLAY_H
#define XTARS_REPLAY_H

#include "xtars/action.h"
#include "xtars/config.h"
#include "xtars/coords.h"
#include "xtars/error.h"
#include "xtars/image.h"
#include "xtars/trajectory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- mapping recorded coordinates ---- */

/* Maps pixel (x, y) of the recorded target rectangle `from` onto `to`: the
 * live pixel that contains the scaled centre of the recorded pixel,
 *   x' = to.x + floor(((x - from.x) + 0.5) * to.width / from.width)
 * (exact integer arithmetic), and likewise for y, clamped into `to`. With
 * equal sizes this is a pure translation by the origins' difference, so a
 * replay on the same screen clicks exactly where the recording did.
 * EINVAL for an empty rectangle (*out_x, *out_y are then x, y). */
XTARS_API
xtars_err xtars_replay_map_point(const struct xtars_rect *from, const struct xtars_rect *to, int x,
                                 int y, int *out_x, int *out_y);

/* Maps every point of an action (x, y and, for drags, x2, y2) in place.
 * Model numbers are kept: they belong to the recording's model space.
 * EINVAL for an empty rectangle (action unchanged). */
XTARS_API
xtars_err xtars_replay_map_action(const struct xtars_rect *from, const struct xtars_rect *to,
                                  struct xtars_action *action);

/* ---- the recording's timing ---- */

/* A replay waits and paces as the run it replays did: the timing keys the
 * recording's run.json "config" holds (wait_ms, click_delay_ms, key_delay_ms,
 * action_delay_ms, double_click_ms, scroll_amount, settle_timeout_ms) are set
 * in cfg, except those the user set (from a file, the environment or a flag:
 * theirs win). Call before xtars_agent_new(). `applied` gets the keys changed
 * ("wait_ms=1500 click_delay_ms=0"), "" for none; a recording without a
 * config changes nothing. Errors: EFORMAT (a recorded value out of range:
 * err names it). Defined in the loop (it is not pure like the rest). */
XTARS_API
xtars_err xtars_replay_use_recorded_timing(struct xtars_config *cfg, const struct xtars_traj_run *run,
                                           char applied[static XTARS_ERRLEN],
                                           char err[static XTARS_ERRLEN]);

/* ---- comparing screens ---- */

/* The measure: both images are reduced (area average, xtars_image_resize)
 * to a grid of cells XTARS_REPLAY_CELL pixels square in the recorded image
 * (ceil(width / CELL) x ceil(height / CELL) cells), each cell to its luma
 * (0.299 R + 0.587 G + 0.114 B, 0..255). A cell differs when the two lumas
 * differ by more than XTARS_REPLAY_TOLERANCE. Two figures come of it:
 *   - the similarity, the fraction of cells that do not differ: it catches
 *     changes spread over the screen;
 *   - the largest changed region, the bounding box of the largest group of
 *     differing cells at most one cell apart: it catches a change that is
 *     a small part of the screen but not small in itself. One changed line of
 *     text on a text-heavy 1280x720 screen is 0.3% of the cells (similarity
 *     0.997, above any useful threshold) but a region hundreds of pixels wide.
 * A step diverged (xtars_replay_diverged) when the similarity is below the
 * threshold or the largest region is wider or taller than
 * XTARS_REPLAY_SMALL_CHANGE pixels. What stays under that is tolerated: a
 * blinking caret (one cell wide), a clock's digits, the pointer; averaging
 * over cells absorbs JPEG noise and anti-aliasing, the tolerance small colour
 * shifts. A change of a few characters (a short word) stays under it too:
 * that is the price of tolerating a clock. */
#define XTARS_REPLAY_CELL 8
#define XTARS_REPLAY_TOLERANCE 16
#define XTARS_REPLAY_SMALL_CHANGE 64
#define XTARS_REPLAY_DEFAULT_THRESHOLD 0.99

struct xtars_replay_compare {
    double similarity;        /* cells that match / cells, 0..1 */
    double mean_difference;   /* mean absolute luma difference of the cells / 255, 0..1 */
    int cells_x, cells_y;     /* grid size */
    int differing;            /* cells that differ */
    struct xtars_rect changed;/* bounding box of all the differing cells in the recorded image's
                                 pixels; width and height 0 when none differ */
    struct xtars_rect largest;/* bounding box of the largest region of differing cells at most
                                 one cell apart (largest by its longer side); 0 x 0 when none
                                 differ */
};

/* 1 when the comparison says the screen is not the recorded one: the
 * similarity is below threshold, or the largest changed region is wider or
 * taller than XTARS_REPLAY_SMALL_CHANGE pixels. */
XTARS_API
int xtars_replay_diverged(const struct xtars_replay_compare *cmp, double threshold);

/* Compares live with recorded (any sizes: live is reduced to the recorded
 * image's grid). Errors: EINVAL (an empty image), ENOMEM; *out is zeroed on
 * failure. err may be NULL. */
XTARS_API
xtars_err xtars_replay_compare(const struct xtars_image *recorded, const struct xtars_image *live,
                               struct xtars_replay_compare *out, char err[static XTARS_ERRLEN]);

/* Layout of the side-by-side diff image: three panels of the recorded
 * image's size, XTARS_REPLAY_DIFF_GAP pixels apart, below a band of
 * XTARS_REPLAY_DIFF_BAND pixels for captions (left blank: the caller writes
 * them), on a dark grey background. */
#define XTARS_REPLAY_DIFF_GAP 8
#define XTARS_REPLAY_DIFF_BAND 24

/* Composes recorded | live (resized to the recorded size) | difference (the
 * live image in dim grey with every differing cell tinted red and the
 * bounding box of the differing cells outlined) into *out, which must be
 * initialized. Width 3 * W + 2 * GAP, height BAND + H. Errors: EINVAL,
 * ETOOBIG (larger than XTARS_IMAGE_MAX_PIXELS), ENOMEM. */
XTARS_API
xtars_err xtars_replay_diff_image(const struct xtars_image *recorded, const struct xtars_image *live,
                                  struct xtars_image *out, char err[static XTARS_ERRLEN]);

/* x of the left edge of panel i (0, 1, 2) in a diff image of a recorded
 * image `width` pixels wide, for placing captions. */
XTARS_API
int xtars_replay_diff_panel_x(int width, int panel);

#ifdef __cplusplus
}
#endif
#endif
