/* xtars/prompt.h: what the model sees. Prompt templates (files in
 * configs/prompts/), the step history (screenshots and the model's replies),
 * and the builder that writes one chat-completions request body.
 *
 * Ownership: template text and request bodies are appended to caller-owned
 * xtars_bufs. A struct xtars_history owns copies of everything added to it
 * (screenshot bytes, reply texts) and frees them in xtars_history_free().
 * Nothing here touches the network or the display; the layout of the
 * messages follows docs/model.md (UITARS-FORMAT section 1).
 */
#ifndef XTARS_PROMPT_H
#define XTARS_PROMPT_H

#include <stddef.h>

#include "xtars/buf.h"
#include "xtars/config.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest template file accepted. */
#define XTARS_PROMPT_MAX_BYTES (256 * 1024)

/* Appends the template `name` to out. A name containing '/' or ending in
 * ".txt" is a file path; any other name is looked up as <name>.txt in, in
 * order: prompt_dir (may be NULL or ""), $XTARS_DATA_DIR/prompts, the source
 * tree's configs/prompts (baked in at build time), and the installed
 * <datadir>/xtars/prompts. The file is used byte for byte. Errors: ECONFIG
 * naming the template and every directory tried, EIO, ETOOBIG. */
xtars_err xtars_prompt_load(const char *name, const char *prompt_dir, struct xtars_buf *out,
                            char *err);

/* Appends template with every "{language}" and "{instruction}" replaced (one
 * pass: text inside the substituted values is not substituted again). A
 * template without "{instruction}" gets the instruction appended at its end,
 * which is how the UI-TARS-desktop prompts are used. ENOMEM, ETOOBIG. */
xtars_err xtars_prompt_render(const char *template_text, const char *language,
                              const char *instruction, struct xtars_buf *out);

struct xtars_history;

/* Creates an empty history that keeps the bytes of at most keep_images
 * screenshots (older ones are freed; their reply texts are kept). keep_images
 * must be >= 1. ENOMEM, EINVAL. */
xtars_err xtars_history_new(int keep_images, struct xtars_history **out);
void xtars_history_free(struct xtars_history *h);

/* Starts a new step with a copy of an encoded screenshot (PNG or JPEG bytes,
 * format an enum xtars_image_format). EINVAL for an empty image, ENOMEM. */
xtars_err xtars_history_add_image(struct xtars_history *h, const void *image, size_t len,
                                  int format);

/* Sets the model's reply for the newest step (replacing any earlier one), or
 * starts a step without a screenshot when there is none yet. ENOMEM. */
xtars_err xtars_history_set_reply(struct xtars_history *h, const char *text);

/* Names the newest step as the trajectory does: its step number and its
 * screenshot's file name (may be NULL). Only xtars_request_build_recorded()
 * uses them. EINVAL when there is no step or step < 1. */
xtars_err xtars_history_label(struct xtars_history *h, int step, const char *image_name);

/* Number of steps added so far. */
int xtars_history_steps(const struct xtars_history *h);

/* Rewrites one earlier reply the way it is sent back as an assistant message:
 * drops a "Reflection:" section (up to the next Action_Summary:, Thought: or
 * Action: header) and, for family uitars-1.5, wraps coordinate values such as
 * start_box='(x,y)' as start_box='<|box_start|>(x,y)<|box_end|>' unless they
 * are wrapped already. Appends the result to out. ENOMEM, ETOOBIG. */
xtars_err xtars_history_rewrite_reply(const char *text, int family, struct xtars_buf *out);

/* What xtars_request_build() put in a body, for logs and tests. */
struct xtars_request_stats {
    int images_sent;
    int images_dropped_window;  /* older than the history_images window */
    int images_dropped_cap;     /* dropped to fit max_request_bytes */
    int assistant_messages;
    size_t image_bytes;         /* encoded screenshot bytes sent (before base64) */
};

/* Writes the complete chat-completions request body to out (which is reset
 * first): model, messages, temperature, top_p, max_tokens and, when
 * cfg->stream, "stream": true with usage reporting requested.
 * Messages: one user message with `prompt_text` (the rendered template), then
 * per step a user message with the screenshot as one image_url data URL and
 * an assistant message with the rewritten reply; only the newest
 * cfg->history_images screenshots are sent, and older ones are dropped first
 * until the body fits cfg->max_request_bytes. `extra_text` (may be NULL) is
 * sent as a last user text message (a note from the loop to the model).
 * Errors: ETOOBIG when even the newest screenshot alone does not fit (err
 * names both sizes), ENOMEM. stats may be NULL. */
xtars_err xtars_request_build(const struct xtars_config *cfg, const char *prompt_text,
                              const struct xtars_history *h, const char *extra_text,
                              struct xtars_buf *out, struct xtars_request_stats *stats,
                              char *err);

/* The same, and into record (reset first; may be NULL) the request as the
 * trajectory keeps it (docs/trajectory.md, "model_request"): the same JSON body
 * except that each screenshot's image_url is its file name (from
 * xtars_history_label(); "" when unlabelled), each labelled earlier reply is
 * {"role":"assistant","reply_of_step":N} (the trajectory holds its text),
 * and texts over 16 KiB are cut with a marker. A record that would pass its
 * buffer's cap is left empty; it never fails the request. */
xtars_err xtars_request_build_recorded(const struct xtars_config *cfg, const char *prompt_text,
                                       const struct xtars_history *h, const char *extra_text,
                                       struct xtars_buf *out, struct xtars_buf *record,
                                       struct xtars_request_stats *stats, char *err);

/* MIME type of an image format: "image/png" or "image/jpeg". */
const char *xtars_history_mime(int format);

#ifdef __cplusplus
}
#endif
#endif
