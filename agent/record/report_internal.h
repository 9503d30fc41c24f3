/* report_internal.h: the pieces of the HTML report (report.c: the page,
 * report_step.c: one step, report_words.c: actions in words,
 * report_assets.c: the inline style and script). Private to the record layer
 * and its tests.
 *
 * Everything appends to a caller's xtars_buf; text that came from a
 * trajectory is untrusted and goes through report_html() (or a function
 * that calls it), never straight into the page.
 */
#ifndef XTARS_REPORT_INTERNAL_H
#define XTARS_REPORT_INTERNAL_H

#include "xtars/action.h"
#include "xtars/buf.h"
#include "xtars/trajectory.h"

/* What a step is: a model turn, a literal action of a task file, a step
 * replayed from a recorded trajectory, or a task's check or wait (recorded
 * as a step with one note and nothing else), or a task's question to a
 * model (assert, query, wait_until: "judge" in the step). */
enum report_kind { REPORT_MODEL, REPORT_ACTION, REPORT_REPLAY, REPORT_CHECK, REPORT_WAIT,
                   REPORT_QUESTION };

/* How it went: passed, failed, passed with something worth reading (a
 * note: no visible change, a policy note), or nothing to judge. */
enum report_outcome { REPORT_PASS, REPORT_FAIL, REPORT_NOTE };

struct report_class {
    enum report_kind kind;
    enum report_outcome outcome;
    const char *subject;   /* check: the command; wait: "1000 ms"; question: its verdict;
                              else NULL (borrowed) */
};

/* The screenshot of a step as the report needs it: its size in pixels
 * (0 when it could not be decoded) and a small JPEG for the step list. */
struct report_shot {
    int width, height;
    int present;           /* the file was read */
    int prompt_shown;      /* the step whose request shows this step's prompt in full
                              (this one's own number when it does), 0: none recorded */
};

/* A step list thumbnail (report_thumbs.c): a small JPEG of a screenshot,
 * ok 0 when the file is missing or does not decode. */
struct report_thumb {
    struct xtars_buf jpeg;
    int ok;
};

/* Reads, decodes and shrinks dir/names[i] for every i < count (a NULL name:
 * no screenshot) on a few threads, filling shots[i] (size, present) and
 * thumbs[i]. */
void report_thumbs_make(const char *dir, const char *const *names, int count,
                        struct report_shot *shots, struct report_thumb *thumbs);
/* The thumbnail as an <img>, or why there is none. */
void report_thumb_html(struct xtars_buf *b, const struct report_shot *shot,
                       const struct report_thumb *thumb);
/* Frees thumbs (calloc'd, count of them) and their images. */
void report_thumbs_free(struct report_thumb *thumbs, int count);

/* HTML-escapes text (NULL: nothing) into b: & < > " ' become entities, so
 * the result is safe in element content and in quoted attributes. */
void report_html(struct xtars_buf *b, const char *text);

/* Classifies a step of run (source "replay" makes steps without a model
 * call replays). */
void report_classify(const struct xtars_traj_run *run, const struct xtars_traj_step *s,
                     struct report_class *out);

const char *report_kind_name(enum report_kind kind);
const char *report_outcome_name(enum report_outcome outcome);

/* Appends the action as a person would say it ("click at (560, 318)",
 * "type 'Ada Lovelace' ⏎"), HTML-escaped, with the model's coordinates in
 * a title attribute when the action has a point. */
void report_action_words(struct xtars_buf *b, const struct xtars_action *a);

/* The same as plain text (not escaped), bounded, for the step list. */
void report_action_text(const struct xtars_action *a, char *out, size_t size);

/* Appends the <svg> that overlays a screenshot of width x height with the
 * step's actions (click points, drag paths, scroll arrows); nothing when no
 * action has a point. */
void report_overlay(struct xtars_buf *b, const struct xtars_traj_run *run,
                    const struct xtars_traj_step *s, int width, int height);

/* Where the first action with a point lands on the screenshot, in percent
 * of its width and height; 0 when none has a point. */
int report_action_point(const struct xtars_traj_run *run, const struct xtars_traj_step *s,
                        double *x_pct, double *y_pct);

/* Appends one step's <section>: header, screenshot with overlay, words,
 * notes, model facts, request, raw reply. shots (one per step) from the
 * first pass; steps are appended in order, and each fills in its
 * prompt_shown for the next; history_images from the run's config (0:
 * unknown). */
void report_step_section(struct xtars_buf *b, const struct xtars_traj_run *run, int index,
                         struct report_shot *shots, int history_images);

/* Embeds data as an <img> when it is a PNG or JPEG that decodes (`decoded`:
 * the caller has decoded it already); else says so. 1 when embedded. */
int report_embed_bytes(struct xtars_buf *b, const void *data, size_t len, const char *attrs,
                       int decoded);

/* The page's inline style and script, and their CSP hashes. */
extern const char report_css[];
extern const char report_js[];

/* Appends "'sha256-BASE64'" for text. */
void report_csp_hash(struct xtars_buf *b, const char *text);

#endif
