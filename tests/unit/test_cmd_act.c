/* `xtars act --dry-run` run as a user runs it: one JSON line per action with
 * the mapped action, what was done and the events it would send; every
 * family's coordinates; parse errors before anything is done; usage errors.
 * No display: the dry runs get --screen and an empty DISPLAY. */
#include <cjson/cJSON.h>

#include "run.h"
#include "test.h"
#include "tty.h"

static const char *const no_display[] = {"DISPLAY=", NULL};

#define ACT(...) xt_run((const char *const[]){"@xtars", "act", __VA_ARGS__, NULL}, no_display, NULL)

/* Line n (0-based) of the output as JSON. */
static cJSON *line(const char *out, int n)
{
    const char *p = out;
    char buf[16384];
    size_t len;

    for (int i = 0; i < n; i++) {
        p = strchr(p, '\n');
        ASSERT(p != NULL);
        p++;
    }
    len = strcspn(p, "\n");
    ASSERT(len < sizeof buf);
    memcpy(buf, p, len);
    buf[len] = '\0';
    {
        cJSON *json = cJSON_Parse(buf);
        if (json == NULL)
            FAIL("line %d is not JSON: %s", n, buf);
        return json;
    }
}

static const char *get_string(const cJSON *o, const char *path1, const char *path2)
{
    const cJSON *item = cJSON_GetObjectItem(o, path1);
    if (path2)
        item = cJSON_GetObjectItem(item, path2);
    return cJSON_GetStringValue(item);
}

static int get_int(const cJSON *o, const char *path1, const char *path2)
{
    const cJSON *item = cJSON_GetObjectItem(o, path1);
    if (path2)
        item = cJSON_GetObjectItem(item, path2);
    ASSERT(cJSON_IsNumber(item));
    return (int)cJSON_GetNumberValue(item);
}

static char *log_text(const cJSON *o)
{
    static char text[4096];
    const cJSON *entry;

    text[0] = '\0';
    cJSON_ArrayForEach(entry, cJSON_GetObjectItem(o, "log")) {
        strcat(text, cJSON_GetStringValue(entry));
        strcat(text, "\n");
    }
    return text;
}

TEST(dry_run_prints_each_action_and_its_events)
{
    struct xt_result r = ACT("--dry-run", "--screen", "1920x1080", "--set", "clear_modifiers=false",
                             "click(start_box='(197,525)')", "type(content='h\xc3\xa9\\n')",
                             "hotkey(key='Ctrl+Shift+T')");
    cJSON *click, *type, *hotkey;

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.err, "");
    click = line(r.out, 0);
    type = line(r.out, 1);
    hotkey = line(r.out, 2);
    /* uitars-1.5: 1920x1080 is sent as 1932x1092; 197*1920/1932 = 195.8 and
     * 525*1080/1092 = 519.2, truncated (docs/coordinates.md) */
    ASSERT_STR_EQ(get_string(click, "action", "type"), "click");
    ASSERT_EQ(get_int(click, "action", "x"), 195);
    ASSERT_EQ(get_int(click, "action", "y"), 519);
    ASSERT_STR_EQ(get_string(click, "done", NULL), "click left at (195,519)");
    ASSERT_STR_EQ(log_text(click), "move 195 519\npause 30\nbutton 1 down\nbutton 1 up\n");
    ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(click, "ends_run")));
    ASSERT(cJSON_IsNumber(cJSON_GetObjectItem(click, "duration_ms")));
    ASSERT_STR_EQ(get_string(type, "done", NULL), "type 2 characters and 1 enter");
    ASSERT_STR_EQ(log_text(type), "type \"h\xc3\xa9\"\nkey enter down\nkey enter up\n");
    ASSERT_STR_EQ(log_text(hotkey), "key ctrl down\nkey shift down\nkey t down\nkey t up\n"
                                    "key shift up\nkey ctrl up\n");
    ASSERT(strchr(r.out, '\n') && r.out[strlen(r.out) - 1] == '\n');
    cJSON_Delete(click);
    cJSON_Delete(type);
    cJSON_Delete(hotkey);
    xt_result_free(&r);
}

TEST(families_map_coordinates)
{
    struct xt_result r = ACT("--dry-run", "--screen", "1920x1080", "--family", "uitars-1.0",
                             "click(start_box='(500,500)')");
    cJSON *json;

    ASSERT_EQ(r.status, 0); /* relative 0..1000: the middle of the screen */
    json = line(r.out, 0);
    ASSERT_EQ(get_int(json, "action", "x"), 960);
    ASSERT_EQ(get_int(json, "action", "y"), 540);
    cJSON_Delete(json);
    xt_result_free(&r);
    /* a dry run sends nothing: there is no selection the drag could drop */
    r = ACT("--dry-run", "--screen", "1920x1080", "--family", "pixels",
            "drag(start_box='(10,20)', end_box='(30,40)')");
    ASSERT_EQ(r.status, 0);
    json = line(r.out, 0);
    ASSERT_STR_EQ(get_string(json, "done", NULL), "drag from (10,20) to (30,40)");
    cJSON_Delete(json);
    xt_result_free(&r);
}

TEST(finished_ends_the_run_and_scroll_shows_the_configured_amount)
{
    struct xt_result r = ACT("--dry-run", "--screen", "800x600", "--set", "scroll_amount=2",
                             "--set", "clear_modifiers=false",
                             "scroll(direction='up')", "finished(content='done')");
    cJSON *scroll, *finished;

    ASSERT_EQ(r.status, 0);
    scroll = line(r.out, 0);
    finished = line(r.out, 1);
    ASSERT_EQ(get_int(scroll, "action", "amount"), 2);
    ASSERT_STR_EQ(log_text(scroll), "button 4 down\nbutton 4 up\nbutton 4 down\nbutton 4 up\n");
    ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(finished, "ends_run")));
    ASSERT_STR_EQ(log_text(finished), "");
    cJSON_Delete(scroll);
    cJSON_Delete(finished);
    xt_result_free(&r);
}

TEST(a_bad_action_stops_everything_before_it_starts)
{
    struct xt_result r = ACT("--dry-run", "--screen", "800x600", "click(start_box='(1,2)')",
                             "clik(start_box='(1,2)')");

    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.out, ""); /* the first action was not performed either */
    ASSERT_STR_EQ(r.err, "xtars act: action 2: parse: unknown action 'clik' at column 1\n");
    xt_result_free(&r);
    r = ACT("--dry-run", "--screen", "800x600", "hotkey(key='ctrl frob-nicate')");
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "xtars act: action 1: parse: ");
    ASSERT_STR_CONTAINS(r.err, "frob-nicate");
    xt_result_free(&r);
    /* a name that could be an X keysym name passes the parser; the executor
     * (the dry one too) refuses it before sending anything */
    r = ACT("--dry-run", "--screen", "800x600", "hotkey(key='ctrl contrl')");
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "exec: unknown key 'contrl' (did you mean 'ctrl'?)");
    xt_result_free(&r);
}

TEST(usage_errors)
{
    struct xt_result r = ACT("--dry-run", "--screen", "800x600");

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars act: no action given (see 'xtars help act')\n");
    xt_result_free(&r);
    r = ACT("--dry-run", "--screen", "800", "wait()");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars act: --screen must be WxH or WxH+X+Y (e.g. 1920x1080), not '800'\n");
    xt_result_free(&r);
    r = ACT("--dry-run", "wait()"); /* no --screen and no display */
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "a dry run without a display needs --screen WxH");
    xt_result_free(&r);
    r = ACT("--dry-run", "--screen", "800x600", "--family", "uitars-2", "wait()");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "family");
    xt_result_free(&r);
}

TEST(live_run_without_a_display_fails_clearly)
{
    struct xt_result r = ACT("click(start_box='(1,2)')");

    ASSERT_EQ(r.status, 1);
    /* The same words as every other command that finds no display. */
    ASSERT_STR_EQ(r.err, "xtars act: no X display: DISPLAY is not set (give --display D, or run on "
                         "a private headless screen with 'xtars run --xvfb WxH')\n");
    xt_result_free(&r);
}

/* The configured policy applies by default; headless (stdin is not a
 * terminal: xt_run gives /dev/null or a pipe) what it wants confirmed is
 * refused: exit 1, one error line naming the rule's reason, a JSON line
 * with "error", and nothing performed (no dry-run log). */
TEST(the_policy_refuses_a_destructive_line_headless)
{
    struct xt_result r = ACT("--dry-run", "--screen", "800x600", "type(content='rm -rf ~\\n')");
    cJSON *json;

    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "xtars act: action 1: refused by the action policy: recursive forced rm "
                         "(it needs a person's yes, and stdin is not a terminal to ask); nothing "
                         "after it was performed (--no-policy skips the policy)\n");
    json = line(r.out, 0);
    ASSERT_STR_CONTAINS(get_string(json, "error", NULL), "refused by the action policy");
    ASSERT_STR_EQ(get_string(json, "done", NULL), "");
    ASSERT(cJSON_GetObjectItem(json, "log") == NULL);
    ASSERT(strchr(r.out, '\n') == r.out + strlen(r.out) - 1); /* one line */
    cJSON_Delete(json);
    xt_result_free(&r);
    r = ACT("--dry-run", "--screen", "800x600", "hotkey(key='ctrl alt delete')");
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "refused by the action policy: ctrl+alt+delete");
    xt_result_free(&r);
}

TEST(no_policy_performs_it)
{
    struct xt_result r = ACT("--dry-run", "--screen", "800x600", "--no-policy",
                             "type(content='rm -rf ~\\n')");
    cJSON *json;

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.err, "");
    json = line(r.out, 0);
    ASSERT_STR_EQ(get_string(json, "done", NULL), "type 8 characters and 1 enter");
    cJSON_Delete(json);
    xt_result_free(&r);
    /* policy=none in the config does the same */
    r = ACT("--dry-run", "--screen", "800x600", "--set", "policy=none", "type(content='rm -rf ~\\n')");
    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
}

/* One state for the call: "rm -r" then "f ~\n" is the line "rm -rf ~"; the
 * first is performed, the second refused. Two separate calls are two
 * streams, each harmless alone. */
TEST(the_state_carries_across_the_actions_of_one_call)
{
    struct xt_result r = ACT("--dry-run", "--screen", "800x600", "type(content='rm -r')",
                             "type(content='f ~\\n')", "type(content='echo after\\n')");
    cJSON *json;

    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "xtars act: action 2: refused by the action policy: recursive forced "
                               "rm (in the line this would submit)");
    json = line(r.out, 0);
    ASSERT_STR_EQ(get_string(json, "done", NULL), "type 5 characters");
    cJSON_Delete(json);
    json = line(r.out, 1);
    ASSERT_STR_CONTAINS(get_string(json, "error", NULL), "(in the line this would submit)");
    cJSON_Delete(json);
    ASSERT(strstr(r.out, "echo after\\n\"}, \"done\"") == NULL); /* the third never ran */
    ASSERT_EQ(strchr(strchr(r.out, '\n') + 1, '\n') - r.out + 1, (long)strlen(r.out));
    xt_result_free(&r);
    r = ACT("--dry-run", "--screen", "800x600", "type(content='f ~\\n')");
    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
}

TEST(a_policy_file_that_cannot_be_loaded_is_a_config_error)
{
    struct xt_result r = ACT("--dry-run", "--screen", "800x600", "--set",
                             "policy=/nonexistent/policy.json", "wait()");

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars act: policy: /nonexistent/policy.json: No such file or directory\n");
    ASSERT(strstr(r.out, "\"done\"") == NULL);
    xt_result_free(&r);
}

/* On a terminal the policy asks instead of refusing: the question names
 * the action's text whole, with its newlines as the return symbol (text
 * typed by a model cannot draw lines of its own under the question), and
 * says who wants it. "n" refuses, "y" performs. */
TEST(on_a_terminal_the_policy_asks_and_the_answer_counts)
{
    static const char *const attack[] = {
        "@xtars", "act", "--dry-run", "--screen", "800x600",
        "type(content='ls\\nxtars: checked, safe\\nrm -rf ~\\n')", NULL};
    static const char *const env[] = {"DISPLAY=", NULL};
    struct xt_tty tty;

    xt_tty_start(&tty, attack, env);
    xt_tty_expect(&tty, "xtars: about to type 'ls\xe2\x8f\x8extars: checked, safe\xe2\x8f\x8erm -rf "
                        "~\xe2\x8f\x8e' (recursive forced rm");
    xt_tty_expect(&tty, "Allow? [y/N] ");
    xt_tty_type(&tty, "n\n");
    ASSERT_EQ(xt_tty_finish(&tty), 1);
    ASSERT_STR_CONTAINS(tty.seen.data, "\"done\": \"\", \"duration_ms\": 0.000, \"pause_ms\": 0.000, "
                                       "\"events\": 0");
    ASSERT_STR_CONTAINS(tty.seen.data, "refused by the action policy: recursive forced rm (it needs a "
                                       "person's yes, and none was given)");
    xtars_buf_cleanup(&tty.seen);

    xt_tty_start(&tty, attack, env);
    xt_tty_expect(&tty, "Allow? [y/N] ");
    xt_tty_type(&tty, "y\n");
    ASSERT_EQ(xt_tty_finish(&tty), 0);
    ASSERT_STR_CONTAINS(tty.seen.data, "\"done\": \"type ");
    ASSERT(strstr(tty.seen.data, "refused") == NULL);
    xtars_buf_cleanup(&tty.seen);
}

/* A long text is cut in the question, and the cut says how much it hid. */
TEST(the_question_says_how_much_of_a_long_text_it_left_out)
{
    char action[1200], *p = action;
    struct xt_tty tty;

    p += sprintf(p, "type(content='");
    for (int i = 0; i < 100; i++)
        p += sprintf(p, "echo ");
    sprintf(p, "; rm -rf ~\\n')");
    xt_tty_start(&tty, (const char *const[]){"@xtars", "act", "--dry-run", "--screen", "800x600",
                                             action, NULL},
                 (const char *const[]){"DISPLAY=", NULL});
    xt_tty_expect(&tty, "echo echo ' and 111 more bytes (recursive forced rm");
    xt_tty_type(&tty, "n\n");
    ASSERT_EQ(xt_tty_finish(&tty), 1);
    xtars_buf_cleanup(&tty.seen);
}
