/* xtars/import.h: runs recorded by other tools, in and out (docs/replay.md):
 *   - the pyautogui subset OSWorld records, translated to xtars actions and
 *     written back from them;
 *   - OSWorld result directories (traj.jsonl + PNGs) and UI-TARS-desktop
 *     GUIAgentData JSON files, read into a normal xtars trajectory;
 *   - xtars trajectories written out as OSWorld result directories.
 *
 * Everything read here is untrusted: sizes are capped, names are checked,
 * and malformed input is an error with a message (or, for an action outside
 * the subset, a step kept and marked "replayable": false), never a crash.
 *
 * Ownership: a struct xtars_pyautogui owns the text of its actions; free
 * them with xtars_pyautogui_cleanup(). Importers and the exporter write
 * files and keep nothing.
 */
#ifndef XTARS_IMPORT_H
#define XTARS_IMPORT_H

#include <stddef.h>

#include "xtars/action.h"
#include "xtars/buf.h"
#include "xtars/coords.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pyautogui ---- */

#define XTARS_PYAUTOGUI_MAX_CODE (64 * 1024)  /* bytes of code in one action string */
#define XTARS_PYAUTOGUI_MAX_ACTIONS 64        /* actions one action string may become */
#define XTARS_PYAUTOGUI_MAX_REPEAT 100        /* press(presses=N), click(clicks=N) */

/* Where pyautogui's pointer is, carried from one action string to the next
 * (moveTo() then dragTo() may be two OSWorld actions). Zero: unknown. */
struct xtars_pyautogui_state {
    int has_pointer;
    int x, y;
};

struct xtars_pyautogui {
    struct xtars_action actions[XTARS_PYAUTOGUI_MAX_ACTIONS];
    int action_count;
};

/* Translates one pyautogui code string (the subset listed in docs/replay.md:
 * pyautogui.click, doubleClick, tripleClick, rightClick, middleClick,
 * leftClick, moveTo, moveRel/move, dragTo, dragRel/drag, mouseDown, mouseUp,
 * scroll, vscroll, hscroll, write, typewrite, press, hotkey, keyDown, keyUp,
 * time.sleep, imports, comments and string-literal statements, and the
 * clipboard idiom pyperclip.copy(TEXT) + pyautogui.hotkey('ctrl', 'v'))
 * into actions in the pixels of `screen` (pyautogui coordinates are screen
 * pixels; fractions are truncated toward zero as pyautogui's int() does).
 * `state` is updated as the pointer moves. Errors: EPARSE when the code is
 * malformed or leaves the subset (err names the statement, by number, and
 * why: "statement 2: 'pyautogui.locateOnScreen' is not in the replayable
 * subset"), ENOMEM. *out is empty on failure; cleanup is harmless. */
xtars_err xtars_pyautogui_translate(const char *code, size_t len, const struct xtars_rect *screen,
                                    struct xtars_pyautogui_state *state, struct xtars_pyautogui *out,
                                    char *err);

/* Frees the actions' text and empties out. Accepts NULL. */
void xtars_pyautogui_cleanup(struct xtars_pyautogui *out);

/* Appends one action as pyautogui code (one or two statements separated by
 * "\n"), its points shifted by (-origin_x, -origin_y). finished and
 * call_user have no pyautogui form (OSWorld writes DONE / FAIL lines for
 * them): EINVAL. A wait of 0 ms (the executor's default) is written with
 * default_wait_ms, a scroll of 0 notches with default_scroll. Strings are
 * Python literals that xtars_pyautogui_translate() reads back to the same
 * text. ENOMEM, ETOOBIG. */
xtars_err xtars_pyautogui_from_action(const struct xtars_action *action, int origin_x, int origin_y,
                                      int default_wait_ms, int default_scroll,
                                      struct xtars_buf *out);

/* ---- importing ---- */

/* The note an imported OSWorld step carries when its "response" was a JSON
 * object rather than text (newer OSWorld agents): its reply holds the
 * object's JSON, and the exporter writes it back as an object. */
#define XTARS_IMPORT_RESPONSE_OBJECT "OSWorld recorded this response as a JSON object"

struct xtars_import_stats {
    int steps;                 /* steps written */
    int not_replayable;        /* of which marked "replayable": false */
    int screenshots;           /* screenshots written */
    int width, height;         /* screen size used */
    char warning[XTARS_ERRLEN];/* "" or the first problem that did not stop the import
                                  (a bad line, a missing screenshot) */
};

struct xtars_import_options {
    const char *instruction;   /* run.json instruction; NULL: the source's, else a description */
    int width, height;         /* screen size when no screenshot gives it; 0: none */
};

/* Reads an OSWorld result directory (dir/traj.jsonl, the step PNGs, and
 * result.txt when present) and writes the trajectory out_dir, which must
 * not hold a run yet. One xtars step per traj.jsonl line; each step gets the
 * screenshot taken before its action (OSWorld's line k-1 file; step 1 has
 * none unless dir holds step_0*.png), and a last step without actions keeps
 * the screen after the final action. A bad traj.jsonl line ends the lines
 * read (stats->warning names it). Errors: EFORMAT (no traj.jsonl lines, no
 * screen size), EIO, ENOMEM. */
xtars_err xtars_import_osworld(const char *dir, const char *out_dir,
                               const struct xtars_import_options *opts,
                               struct xtars_import_stats *stats, char *err);

/* Reads a UI-TARS-desktop GUIAgentData JSON file (version "v1" or none) and
 * writes the trajectory out_dir. One step per assistant ("gpt") message
 * with its predictionParsed actions; its screenshot is the latest human
 * message's screenshotBase64. Errors: EFORMAT (not GUIAgentData, another
 * version: the message names it), EIO, ENOMEM. */
xtars_err xtars_import_uitars_desktop(const char *file, const char *out_dir,
                                      const struct xtars_import_options *opts,
                                      struct xtars_import_stats *stats, char *err);

/* The parsing halves of the importers, on memory (for the fuzz targets and
 * tests): they read and translate without writing anything. */
xtars_err xtars_import_osworld_check(const char *traj_jsonl, size_t len, int width, int height,
                                     struct xtars_import_stats *stats, char *err);
xtars_err xtars_import_uitars_desktop_check(const char *json, size_t len,
                                            struct xtars_import_stats *stats, char *err);

/* Width and height of a PNG or JPEG from its header, without decoding it.
 * EFORMAT when data is neither or is truncated before the size. */
xtars_err xtars_image_probe(const void *data, size_t len, int *width, int *height, int *is_jpeg);

/* ---- exporting ---- */

struct xtars_export_stats {
    int lines;                 /* traj.jsonl lines written */
    int screenshots;           /* PNGs written */
    char warning[XTARS_ERRLEN];
};

/* Writes the trajectory in dir as an OSWorld result directory out_dir
 * (created; must not hold a traj.jsonl yet): traj.jsonl with one line per
 * step that acted (its actions as pyautogui code; finished() as DONE,
 * call_user() as FAIL, a lone default wait() as WAIT; a step that is not
 * replayable keeps its recorded OSWorld code or becomes a comment), and the
 * PNG after each action (the next step's screenshot, resized to the target
 * size, as OSWorld screenshots are screen-sized). Coordinates are relative
 * to the recorded target. Defined in the xtars_agent library (it decodes
 * and encodes images). Errors: those of xtars_traj_load(), EIO, ENOMEM. */
xtars_err xtars_export_osworld(const char *dir, const char *out_dir,
                               struct xtars_export_stats *stats, char *err);

#ifdef __cplusplus
}
#endif
#endif
