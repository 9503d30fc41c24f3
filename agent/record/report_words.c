/* report_words.c: a step's actions as the report shows them: in words
 * ("click at (560, 318)"), as an SVG overlay on the clean screenshot, and
 * what kind of step it was and how it went. Pure text building; never
 * prints, never touches files. */
#include "agent/record/report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/record/html.h"

void report_html(struct xtars_buf *b, const char *text)
{
    xtars_html_text(b, text, (size_t)-1);
}

const char *report_kind_name(enum report_kind kind)
{
    static const char *const names[] = {"model", "action", "replay", "check", "wait", "question"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "step";
}

const char *report_outcome_name(enum report_outcome outcome)
{
    static const char *const names[] = {"pass", "fail", "note"};
    return (unsigned)outcome < sizeof names / sizeof names[0] ? names[outcome] : "note";
}

/* A task's check or wait is recorded (xtars_agent_record_note) as a step
 * with no screenshot, no model call, no action and the one note
 * "<kind> passed|failed: <subject>". */
static int note_step(const struct xtars_traj_step *s, const char *kind, int *passed,
                     const char **subject)
{
    size_t n = strlen(kind);
    const char *note;

    if (s->model_called || s->action_count || s->screenshot || s->note_count < 1)
        return 0;
    note = s->notes[0];
    if (strncmp(note, kind, n) != 0 || note[n] != ' ')
        return 0;
    if (strncmp(note + n + 1, "passed: ", 8) == 0)
        *passed = 1;
    else if (strncmp(note + n + 1, "failed: ", 8) == 0)
        *passed = 0;
    else
        return 0;
    *subject = note + n + 9;
    return 1;
}

void report_classify(const struct xtars_traj_run *run, const struct xtars_traj_step *s,
                     struct report_class *out)
{
    int passed = 1, failed = 0;

    memset(out, 0, sizeof *out);
    if (note_step(s, "check", &passed, &out->subject)) {
        out->kind = REPORT_CHECK;
        out->outcome = passed ? REPORT_PASS : REPORT_FAIL;
        return;
    }
    if (note_step(s, "wait", &passed, &out->subject)) {
        out->kind = REPORT_WAIT;
        out->outcome = passed ? REPORT_PASS : REPORT_FAIL;
        return;
    }
    if (s->judge) { /* the verdict note: "assert holds: ...", "query failed: ..." */
        const char *verdict = s->note_count ? s->notes[0] : "";
        out->kind = REPORT_QUESTION;
        out->subject = verdict;
        out->outcome = strstr(verdict, " holds: ") || strstr(verdict, " passed: ") ? REPORT_PASS
                       : strcmp(s->judge, "wait_until") == 0 && strstr(verdict, " does not hold: ")
                           ? REPORT_NOTE
                           : REPORT_FAIL;
        return;
    }
    if (s->model_called || (s->thought && !s->recorded_step))
        out->kind = REPORT_MODEL;
    else if (s->recorded_step > 0 || (run->source && strcmp(run->source, "replay") == 0))
        out->kind = REPORT_REPLAY;
    else
        out->kind = REPORT_ACTION;
    for (int i = 0; i < s->action_count; i++)
        failed |= !s->action_ok[i] || s->action_errors[i] != NULL;
    if (s->parse_error || failed || !s->replayable)
        out->outcome = REPORT_FAIL;
    else if (s->note_count > 0)
        out->outcome = REPORT_NOTE;
    else
        out->outcome = REPORT_PASS;
}

/* The words without the point's title: plain text, bounded. */
void report_action_text(const struct xtars_action *a, char *out, size_t size)
{
    static const char *const verbs[] = {
        [XTARS_ACTION_CLICK] = "click", [XTARS_ACTION_DOUBLE_CLICK] = "double-click",
        [XTARS_ACTION_RIGHT_CLICK] = "right-click", [XTARS_ACTION_MIDDLE_CLICK] = "middle-click",
        [XTARS_ACTION_HOVER] = "move the pointer", [XTARS_ACTION_MOUSE_DOWN] = "press the",
        [XTARS_ACTION_MOUSE_UP] = "release the"};
    const char *text = a->text ? a->text : "";
    size_t len = strlen(text), used = 0;
    int enter = len > 0 && text[len - 1] == '\n';

    out[0] = '\0';
    switch (a->type) {
    case XTARS_ACTION_CLICK: case XTARS_ACTION_DOUBLE_CLICK: case XTARS_ACTION_RIGHT_CLICK:
    case XTARS_ACTION_MIDDLE_CLICK:
        snprintf(out, size, a->has_point ? "%s at (%d, %d)" : "%s", verbs[a->type], a->x, a->y);
        break;
    case XTARS_ACTION_HOVER:
        snprintf(out, size, "move the pointer to (%d, %d)", a->x, a->y);
        break;
    case XTARS_ACTION_MOUSE_DOWN: case XTARS_ACTION_MOUSE_UP:
        snprintf(out, size, a->has_point ? "%s %s button at (%d, %d)" : "%s %s button",
                 verbs[a->type], xtars_button_name(a->button), a->x, a->y);
        break;
    case XTARS_ACTION_DRAG:
        snprintf(out, size, "drag (%d, %d) -> (%d, %d)", a->x, a->y, a->x2, a->y2);
        break;
    case XTARS_ACTION_SCROLL:
        used = (size_t)snprintf(out, size, "scroll %s", xtars_scroll_direction_name(a->direction));
        if (a->amount > 0 && used < size)
            used += (size_t)snprintf(out + used, size - used, " %d", a->amount);
        if (a->has_point && used < size)
            snprintf(out + used, size - used, " at (%d, %d)", a->x, a->y);
        break;
    case XTARS_ACTION_TYPE:
        snprintf(out, size, "type '%.*s'%s", (int)(enter ? len - 1 : len), text, enter ? " \u23ce" : "");
        break;
    case XTARS_ACTION_HOTKEY: case XTARS_ACTION_KEY_DOWN: case XTARS_ACTION_KEY_UP:
        used = (size_t)snprintf(out, size, "%s ", a->type == XTARS_ACTION_HOTKEY ? "hotkey"
                                                  : a->type == XTARS_ACTION_KEY_DOWN ? "hold"
                                                                                     : "release");
        for (int i = 0; i < a->key_count && i < XTARS_ACTION_MAX_KEYS && used < size; i++)
            used += (size_t)snprintf(out + used, size - used, "%s%.*s", i ? "+" : "",
                                     XTARS_KEY_NAME_LEN, a->keys[i]);
        break;
    case XTARS_ACTION_WAIT:
        snprintf(out, size, a->ms > 0 ? "wait %d ms" : "wait", a->ms);
        break;
    case XTARS_ACTION_FINISHED:
        snprintf(out, size, len ? "finished: %s" : "finished", text);
        break;
    case XTARS_ACTION_CALL_USER:
        snprintf(out, size, len ? "ask the user: %s" : "ask the user", text);
        break;
    default:
        snprintf(out, size, "%s", xtars_action_type_name(a->type));
    }
}

void report_action_words(struct xtars_buf *b, const struct xtars_action *a)
{
    char text[2048];

    report_action_text(a, text, sizeof text);
    if (a->has_point) {
        xtars_buf_printf(b, "<span class=\"words\" title=\"model coordinates (%g, %g)", a->model_x,
                         a->model_y);
        if (a->type == XTARS_ACTION_DRAG && a->has_end)
            xtars_buf_printf(b, " -> (%g, %g)", a->model_x2, a->model_y2);
        xtars_buf_puts(b, "\">");
    } else {
        xtars_buf_puts(b, "<span class=\"words\">");
    }
    report_html(b, text);
    if (a->type == XTARS_ACTION_TYPE && a->text && strlen(a->text) > sizeof text - 32)
        xtars_buf_puts(b, " (cut; the raw reply has it whole)");
    xtars_buf_puts(b, "</span>");
}

/* Screen pixels to screenshot pixels. */
static void to_image(const struct xtars_traj_run *run, int width, int height, int sx, int sy,
                     double *ix, double *iy)
{
    double w = run->target_width > 0 ? run->target_width : width;
    double h = run->target_height > 0 ? run->target_height : height;

    *ix = (sx - run->target_x) * (double)width / w;
    *iy = (sy - run->target_y) * (double)height / h;
}

int report_action_point(const struct xtars_traj_run *run, const struct xtars_traj_step *s,
                        double *x_pct, double *y_pct)
{
    for (int i = 0; i < s->action_count; i++) {
        const struct xtars_action *a = &s->actions[i];
        double x, y;
        if (!a->has_point)
            continue;
        to_image(run, 1000, 1000, a->x, a->y, &x, &y);
        *x_pct = fmin(100, fmax(0, x / 10));
        *y_pct = fmin(100, fmax(0, y / 10));
        return 1;
    }
    return 0;
}

/* One action's marks, in the screenshot's pixels; unit scales the strokes
 * to the image (a 1280 px screenshot gets 3 px lines). */
static void overlay_action(struct xtars_buf *b, const struct xtars_traj_run *run,
                           const struct xtars_action *a, int number, int width, int height)
{
    double unit = fmax(1, width / 400.0), x, y, x2, y2;
    char words[256];

    report_action_text(a, words, sizeof words);
    if (a->type == XTARS_ACTION_SCROLL && !a->has_point) {
        x = width / 2.0, y = height / 2.0;
    } else if (!a->has_point) {
        return;
    } else {
        to_image(run, width, height, a->x, a->y, &x, &y);
    }
    xtars_buf_printf(b, "<g class=\"mark %s\"><title>", xtars_action_type_name(a->type));
    report_html(b, words);
    xtars_buf_puts(b, "</title>");
    if (a->type == XTARS_ACTION_DRAG && a->has_end) {
        to_image(run, width, height, a->x2, a->y2, &x2, &y2);
        xtars_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            "stroke-width=\"%.1f\" marker-end=\"url(#xt-arrow)\"/>"
                            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>",
                         x, y, x2, y2, unit * 1.5, x, y, unit * 4);
    } else if (a->type == XTARS_ACTION_SCROLL) {
        double dx = a->direction == XTARS_SCROLL_LEFT ? -1 : a->direction == XTARS_SCROLL_RIGHT ? 1 : 0;
        double dy = a->direction == XTARS_SCROLL_UP ? -1 : a->direction == XTARS_SCROLL_DOWN ? 1 : 0;
        xtars_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            "stroke-width=\"%.1f\" marker-end=\"url(#xt-arrow)\"/>"
                            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>",
                         x, y, x + dx * unit * 25, y + dy * unit * 25, unit * 1.5, x, y, unit * 3);
    } else {
        xtars_buf_printf(b, "<circle class=\"ring\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" "
                            "stroke-width=\"%.1f\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>",
                         x, y, unit * 7, unit * 1.2, x, y, unit * 1.6);
    }
    if (number > 0)
        xtars_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\">%d</text>",
                         x + unit * 8, y - unit * 8, unit * 7, number);
    xtars_buf_puts(b, "</g>");
}

void report_overlay(struct xtars_buf *b, const struct xtars_traj_run *run,
                    const struct xtars_traj_step *s, int width, int height)
{
    int marks = 0;

    for (int i = 0; i < s->action_count; i++)
        marks += s->actions[i].has_point || s->actions[i].type == XTARS_ACTION_SCROLL;
    if (marks == 0 || width <= 0 || height <= 0)
        return;
    xtars_buf_printf(b, "<svg class=\"marks\" viewBox=\"0 0 %d %d\" preserveAspectRatio=\"none\" "
                        "aria-hidden=\"true\">", width, height);
    for (int i = 0; i < s->action_count; i++)
        overlay_action(b, run, &s->actions[i], s->action_count > 1 ? i + 1 : 0, width, height);
    xtars_buf_puts(b, "</svg>");
}
