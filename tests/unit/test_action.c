/* struct xtars_action: names, copy and cleanup, and its three text forms
 * (canonical JSON out and back in, UI-TARS call text) with round trips. */
#include "test.h"
#include "xtars/action.h"
#include "agent/reply/action_json.h"
#include "xtars/config.h"
#include "xtars/parse.h"

TEST(type_names_round_trip)
{
    enum xtars_action_type t;

    for (int i = 0; i < XTARS_ACTION_TYPE_COUNT; i++) {
        ASSERT_EQ(xtars_action_type_from_name(xtars_action_type_name(i), &t), XTARS_OK);
        ASSERT_EQ(t, i);
    }
    ASSERT_STR_EQ(xtars_action_type_name(XTARS_ACTION_DOUBLE_CLICK), "double_click");
    ASSERT_STR_EQ(xtars_action_type_name(XTARS_ACTION_CALL_USER), "call_user");
    ASSERT_STR_EQ(xtars_action_type_name(XTARS_ACTION_TYPE_COUNT), "?");
    ASSERT_EQ(xtars_action_type_from_name("left_single", &t), XTARS_EINVAL); /* aliases are the parser's */
    ASSERT_STR_EQ(xtars_scroll_direction_name(XTARS_SCROLL_LEFT), "left");
    ASSERT_STR_EQ(xtars_button_name(XTARS_BUTTON_MIDDLE), "middle");
}

TEST(copy_is_deep_and_cleanup_zeroes)
{
    struct xtars_action a = {0}, b;

    a.type = XTARS_ACTION_TYPE;
    a.text = strdup("hello");
    ASSERT_EQ(xtars_action_copy(&b, &a), XTARS_OK);
    ASSERT(b.text != a.text);
    ASSERT_STR_EQ(b.text, "hello");
    xtars_action_cleanup(&a);
    ASSERT(a.text == NULL);
    ASSERT_EQ(a.type, 0);
    xtars_action_cleanup(&a);   /* twice is fine */
    xtars_action_cleanup(NULL);
    ASSERT_STR_EQ(b.text, "hello");
    xtars_action_cleanup(&b);
}

TEST(fill_defaults_only_fills_zeros)
{
    struct xtars_action s = {.type = XTARS_ACTION_SCROLL}, w = {.type = XTARS_ACTION_WAIT};
    struct xtars_action c = {.type = XTARS_ACTION_CLICK};

    xtars_action_fill_defaults(&s, 5, 5000);
    xtars_action_fill_defaults(&w, 5, 5000);
    xtars_action_fill_defaults(&c, 5, 5000);
    ASSERT_EQ(s.amount, 5);
    ASSERT_EQ(w.ms, 5000);
    ASSERT_EQ(c.amount, 0);
    ASSERT_EQ(c.ms, 0);
    s.amount = 2;
    xtars_action_fill_defaults(&s, 5, 5000);
    ASSERT_EQ(s.amount, 2);
}

static char *json_of(const struct xtars_action *a)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_action_to_json(a, &b), XTARS_OK);
    return xtars_buf_detach(&b, NULL);
}

static char *call_of(const struct xtars_action *a, unsigned flags)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_action_to_call(a, flags, &b), XTARS_OK);
    return xtars_buf_detach(&b, NULL);
}

#define EXPECT_JSON(action, want)              \
    do {                                       \
        char *xt_j = json_of(action);          \
        ASSERT_STR_EQ(xt_j, want);             \
        free(xt_j);                            \
    } while (0)

#define EXPECT_CALL(action, flags, want)       \
    do {                                       \
        char *xt_c = call_of(action, flags);   \
        ASSERT_STR_EQ(xt_c, want);             \
        free(xt_c);                            \
    } while (0)

TEST(to_json_fields_per_type)
{
    struct xtars_action click = {.type = XTARS_ACTION_CLICK, .has_point = 1, .x = 195, .y = 519,
                                 .model_x = 197, .model_y = 525};
    struct xtars_action drag = {.type = XTARS_ACTION_DRAG, .has_point = 1, .has_end = 1, .x = 1,
                                .y = 2, .x2 = 3, .y2 = 4, .model_x = 1.5, .model_y = 2,
                                .model_x2 = 3, .model_y2 = 4.25};
    struct xtars_action scroll = {.type = XTARS_ACTION_SCROLL, .direction = XTARS_SCROLL_DOWN,
                                  .amount = 5};
    struct xtars_action type = {.type = XTARS_ACTION_TYPE, .text = "a\"b\n"};
    struct xtars_action empty_type = {.type = XTARS_ACTION_TYPE};
    struct xtars_action hotkey = {.type = XTARS_ACTION_HOTKEY, .key_count = 2,
                                  .keys = {"ctrl", "c"}};
    struct xtars_action up = {.type = XTARS_ACTION_MOUSE_UP, .button = XTARS_BUTTON_RIGHT};
    struct xtars_action wait = {.type = XTARS_ACTION_WAIT, .ms = 5000};
    struct xtars_action done = {.type = XTARS_ACTION_FINISHED};

    EXPECT_JSON(&click, "{\"type\":\"click\",\"x\":195,\"y\":519,\"model_x\":197,\"model_y\":525}");
    EXPECT_JSON(&drag, "{\"type\":\"drag\",\"x\":1,\"y\":2,\"x2\":3,\"y2\":4,\"model_x\":1.5,"
                       "\"model_y\":2,\"model_x2\":3,\"model_y2\":4.25}");
    EXPECT_JSON(&scroll, "{\"type\":\"scroll\",\"direction\":\"down\",\"amount\":5}");
    EXPECT_JSON(&type, "{\"type\":\"type\",\"text\":\"a\\\"b\\n\"}");
    EXPECT_JSON(&empty_type, "{\"type\":\"type\",\"text\":\"\"}");
    EXPECT_JSON(&hotkey, "{\"type\":\"hotkey\",\"keys\":[\"ctrl\",\"c\"]}");
    EXPECT_JSON(&up, "{\"type\":\"mouse_up\",\"button\":\"right\"}");
    EXPECT_JSON(&wait, "{\"type\":\"wait\",\"ms\":5000}");
    EXPECT_JSON(&done, "{\"type\":\"finished\"}");
}

static void from_json_ok(const char *json, struct xtars_action *out)
{
    char err[XTARS_ERRLEN] = "";

    if (xtars_action_from_json(json, strlen(json), out, err) != XTARS_OK)
        FAIL("%s: %s", json, err);
}

static void from_json_fails(const char *json, const char *want)
{
    struct xtars_action a;
    char err[XTARS_ERRLEN] = "";

    ASSERT_EQ(xtars_action_from_json(json, strlen(json), &a, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, want);
    ASSERT(a.text == NULL);
    ASSERT_EQ(a.type, 0);
}

TEST(from_json_reads_every_field)
{
    struct xtars_action a;

    from_json_ok("{\"type\":\"drag\",\"x\":1,\"y\":2,\"x2\":3,\"y2\":4,\"model_x\":1.5,"
                 "\"model_y\":2,\"model_x2\":3,\"model_y2\":4.25}", &a);
    ASSERT_EQ(a.type, XTARS_ACTION_DRAG);
    ASSERT(a.has_point && a.has_end);
    ASSERT_EQ(a.x + a.y * 10 + a.x2 * 100 + a.y2 * 1000, 4321);
    ASSERT_NEAR(a.model_x, 1.5, 0);
    ASSERT_NEAR(a.model_y2, 4.25, 0);
    xtars_action_cleanup(&a);
    from_json_ok(" {\"keys\":[\"Control\",\"arrowleft\"],\"type\":\"key_down\"}\n", &a);
    ASSERT_EQ(a.type, XTARS_ACTION_KEY_DOWN);
    ASSERT_EQ(a.key_count, 2);
    ASSERT_STR_EQ(a.keys[0], "ctrl");
    ASSERT_STR_EQ(a.keys[1], "left");
    from_json_ok("{\"type\":\"mouse_down\"}", &a);
    ASSERT_EQ(a.button, XTARS_BUTTON_LEFT);
    ASSERT_EQ(a.has_point, 0);
    from_json_ok("{\"type\":\"call_user\",\"text\":null}", &a);
    ASSERT(a.text == NULL);
    from_json_ok("{\"type\":\"scroll\",\"direction\":\"left\",\"x\":0,\"y\":32767}", &a);
    ASSERT_EQ(a.direction, XTARS_SCROLL_LEFT);
    ASSERT_EQ(a.amount, 0);
    ASSERT_EQ(a.y, 32767);
}

TEST(from_json_is_strict)
{
    from_json_fails("[]", "action: expected a JSON object");
    from_json_fails("{\"x\":1}", "action: missing 'type'");
    from_json_fails("{\"type\":\"clik\"}", "action: unknown type 'clik'");
    from_json_fails("{\"type\":3}", "action: unknown type (not a string)");
    from_json_fails("{\"type\":\"click\",\"type\":\"click\",\"x\":1,\"y\":1}",
                    "action: duplicate field 'type'");
    from_json_fails("{\"type\":\"click\",\"x\":1,\"x\":2,\"y\":1}", "action: duplicate field 'x'");
    from_json_fails("{\"type\":\"click\",\"x\":1}", "action: click needs 'y'");
    from_json_fails("{\"type\":\"click\",\"x\":1,\"y\":1,\"z\":1}", "action: unknown field 'z'");
    from_json_fails("{\"type\":\"click\",\"x\":1,\"y\":1,\"text\":\"a\"}",
                    "action: 'text' does not apply to click");
    from_json_fails("{\"type\":\"click\",\"x\":1.5,\"y\":1}",
                    "action: 'x' must be an integer from 0 to 32767");
    from_json_fails("{\"type\":\"click\",\"x\":-1,\"y\":1}",
                    "action: 'x' must be an integer from 0 to 32767");
    from_json_fails("{\"type\":\"click\",\"x\":\"1\",\"y\":1}",
                    "action: 'x' must be an integer from 0 to 32767");
    from_json_fails("{\"type\":\"click\",\"x\":1,\"y\":1,\"model_x\":1}",
                    "action: 'model_x' and 'model_y' go together");
    from_json_fails("{\"type\":\"scroll\"}", "action: scroll needs 'direction'");
    from_json_fails("{\"type\":\"scroll\",\"direction\":\"sideways\"}",
                    "action: 'direction' must be \"up\", \"down\", \"left\" or \"right\"");
    from_json_fails("{\"type\":\"hotkey\",\"keys\":[]}", "action: 'keys' must be an array of 1 to 8 names");
    from_json_fails("{\"type\":\"hotkey\",\"keys\":[\"ctrl\",\"hy-per\"]}",
                    "action: unknown key 'hy-per' in 'keys'"); /* no key, no keysym name */
    from_json_fails("{\"type\":\"type\",\"text\":null}", "action: 'text' must be a string");
    from_json_fails("{\"type\":\"type\"}", "action: type needs 'text'");
    from_json_fails("{\"type\":\"type\",\"text\":\"a\\u0000b\"}", "action: NUL characters are not allowed");
    from_json_fails("{\"type\":\"wait\",\"ms\":1e9}", "action: 'ms' must be an integer from 0 to 3600000");
    from_json_fails("{\"type\":\"wait\"} x", "action: trailing text after the JSON object");
}

TEST(from_json_reports_invalid_json_and_size)
{
    struct xtars_action a;
    char err[XTARS_ERRLEN] = "";
    static char big[XTARS_ACTION_JSON_MAX + 2];

    ASSERT_EQ(xtars_action_from_json("{\"type\":\"wait\"", 14, &a, err), XTARS_EPARSE);
    ASSERT_STR_CONTAINS(err, "action: invalid JSON near byte ");
    ASSERT_EQ(xtars_action_from_json("", 0, &a, err), XTARS_EPARSE);
    ASSERT_EQ(xtars_action_from_json("{\"type\":\"wait\"}\0", 16, &a, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "action: NUL characters are not allowed");
    /* Only len bytes are read: the text need not be NUL-terminated. */
    ASSERT_EQ(xtars_action_from_json("{\"type\":\"wait\"}garbage", 15, &a, err), XTARS_OK);
    memset(big, ' ', sizeof big);
    ASSERT_EQ(xtars_action_from_json(big, sizeof big - 1, &a, err), XTARS_ETOOBIG);
}

/* to_json then from_json gives the same action, for one action of each type. */
TEST(json_round_trip_every_type)
{
    const char *const jsons[] = {
        "{\"type\":\"click\",\"x\":195,\"y\":519,\"model_x\":197,\"model_y\":525}",
        "{\"type\":\"double_click\",\"x\":0,\"y\":0,\"model_x\":0.25,\"model_y\":0}",
        "{\"type\":\"right_click\",\"x\":10,\"y\":20}",
        "{\"type\":\"middle_click\",\"x\":10,\"y\":20,\"model_x\":1,\"model_y\":2}",
        "{\"type\":\"hover\",\"x\":10,\"y\":20,\"model_x\":1,\"model_y\":2}",
        "{\"type\":\"drag\",\"x\":1,\"y\":2,\"x2\":3,\"y2\":4,\"model_x\":5,\"model_y\":6,"
        "\"model_x2\":7,\"model_y2\":8}",
        "{\"type\":\"scroll\",\"x\":5,\"y\":6,\"model_x\":5,\"model_y\":6,\"direction\":\"up\","
        "\"amount\":3}",
        "{\"type\":\"type\",\"text\":\"h\\u00e9llo\\n\\t\\\"x\\\"\"}",
        "{\"type\":\"hotkey\",\"keys\":[\"ctrl\",\"shift\",\"f24\"]}",
        "{\"type\":\"key_down\",\"keys\":[\"super\"]}",
        "{\"type\":\"key_up\",\"keys\":[\"+\"]}",
        "{\"type\":\"mouse_down\",\"x\":1,\"y\":1,\"model_x\":1,\"model_y\":1,\"button\":\"middle\"}",
        "{\"type\":\"mouse_up\",\"button\":\"left\"}",
        "{\"type\":\"wait\",\"ms\":250}",
        "{\"type\":\"finished\",\"text\":\"done\"}",
        "{\"type\":\"call_user\"}",
    };
    ASSERT_EQ((int)(sizeof jsons / sizeof jsons[0]), XTARS_ACTION_TYPE_COUNT);
    for (size_t i = 0; i < sizeof jsons / sizeof jsons[0]; i++) {
        struct xtars_action a, b;
        char *first, *second;
        from_json_ok(jsons[i], &a);
        ASSERT_EQ(a.type, (int)i);
        first = json_of(&a);
        from_json_ok(first, &b);
        second = json_of(&b);
        ASSERT_STR_EQ(first, second);
        free(first);
        free(second);
        xtars_action_cleanup(&a);
        xtars_action_cleanup(&b);
    }
}

TEST(to_call_uses_the_prompt_names)
{
    struct xtars_action a = {.type = XTARS_ACTION_CLICK, .has_point = 1, .model_x = 197,
                             .model_y = 525};

    EXPECT_CALL(&a, 0, "click(start_box='(197,525)')");
    EXPECT_CALL(&a, XTARS_CALL_BOX_TOKENS, "click(start_box='<|box_start|>(197,525)<|box_end|>')");
    a.type = XTARS_ACTION_DOUBLE_CLICK;
    a.model_x = 196.72;
    EXPECT_CALL(&a, 0, "left_double(start_box='(196.72,525)')");
    EXPECT_CALL(&a, XTARS_CALL_ROUND, "left_double(start_box='(197,525)')");
    a.type = XTARS_ACTION_RIGHT_CLICK;
    a.model_x = 0.4;
    EXPECT_CALL(&a, XTARS_CALL_ROUND, "right_single(start_box='(0,525)')");
    a.type = XTARS_ACTION_DRAG;
    a.has_end = 1;
    a.model_x = 1, a.model_x2 = 3, a.model_y2 = 4;
    EXPECT_CALL(&a, XTARS_CALL_BOX_TOKENS, "drag(start_box='<|box_start|>(1,525)<|box_end|>', "
                                           "end_box='<|box_start|>(3,4)<|box_end|>')");
}

TEST(to_call_other_types)
{
    struct xtars_action scroll = {.type = XTARS_ACTION_SCROLL, .direction = XTARS_SCROLL_RIGHT};
    struct xtars_action type = {.type = XTARS_ACTION_TYPE, .text = "It's C:\\tmp\n"};
    struct xtars_action keys = {.type = XTARS_ACTION_HOTKEY, .key_count = 2, .keys = {"ctrl", "'"}};
    struct xtars_action down = {.type = XTARS_ACTION_KEY_DOWN, .key_count = 1, .keys = {"shift"}};
    struct xtars_action up = {.type = XTARS_ACTION_KEY_UP, .key_count = 1, .keys = {"shift"}};
    struct xtars_action mouse = {.type = XTARS_ACTION_MOUSE_DOWN, .button = XTARS_BUTTON_LEFT};
    struct xtars_action wait = {.type = XTARS_ACTION_WAIT};
    struct xtars_action done = {.type = XTARS_ACTION_FINISHED, .text = "ok"};
    struct xtars_action ask = {.type = XTARS_ACTION_CALL_USER};

    EXPECT_CALL(&scroll, 0, "scroll(direction='right')");
    scroll.has_point = 1, scroll.model_x = 5, scroll.model_y = 6, scroll.amount = 3;
    EXPECT_CALL(&scroll, 0, "scroll(start_box='(5,6)', direction='right', amount='3')");
    EXPECT_CALL(&type, 0, "type(content='It\\'s C:\\\\tmp\\n')");
    EXPECT_CALL(&keys, 0, "hotkey(key='ctrl \\'')");
    keys.keys[1][0] = '+';
    EXPECT_CALL(&keys, 0, "hotkey(key='ctrl plus')");
    EXPECT_CALL(&down, 0, "keydown(key='shift')");
    EXPECT_CALL(&up, 0, "keyup(key='shift')");
    EXPECT_CALL(&mouse, 0, "mouse_down(button='left')");
    EXPECT_CALL(&wait, 0, "wait()");
    wait.ms = 300;
    EXPECT_CALL(&wait, 0, "wait(ms='300')");
    EXPECT_CALL(&done, 0, "finished(content='ok')");
    EXPECT_CALL(&ask, 0, "call_user()");
}

/* Call text read back with xtars_parse_action gives the same action (its
 * JSON compared), for every type, with and without box tokens. */
TEST(call_text_round_trips_through_the_parser)
{
    const char *const jsons[] = {
        "{\"type\":\"click\",\"x\":195,\"y\":519,\"model_x\":197,\"model_y\":525}",
        "{\"type\":\"double_click\",\"x\":960,\"y\":540,\"model_x\":966,\"model_y\":546}",
        "{\"type\":\"right_click\",\"x\":0,\"y\":0,\"model_x\":0,\"model_y\":0}",
        "{\"type\":\"middle_click\",\"x\":1919,\"y\":1079,\"model_x\":1932,\"model_y\":1092}",
        "{\"type\":\"hover\",\"x\":480,\"y\":270,\"model_x\":483,\"model_y\":273}",
        "{\"type\":\"drag\",\"x\":195,\"y\":519,\"x2\":960,\"y2\":540,\"model_x\":197,"
        "\"model_y\":525,\"model_x2\":966,\"model_y2\":546}",
        "{\"type\":\"scroll\",\"x\":960,\"y\":540,\"model_x\":966,\"model_y\":546,"
        "\"direction\":\"down\",\"amount\":7}",
        "{\"type\":\"type\",\"text\":\"It's \\\"quoted\\\" C:\\\\x\\n\\ttab\"}",
        "{\"type\":\"hotkey\",\"keys\":[\"ctrl\",\"+\",\"'\",\"\\\\\"]}",
        "{\"type\":\"key_down\",\"keys\":[\"shift\",\"a\"]}",
        "{\"type\":\"key_up\",\"keys\":[\"f1\"]}",
        "{\"type\":\"mouse_down\",\"button\":\"right\"}",
        "{\"type\":\"mouse_up\",\"x\":960,\"y\":540,\"model_x\":966,\"model_y\":546,"
        "\"button\":\"left\"}",
        "{\"type\":\"wait\",\"ms\":1500}",
        "{\"type\":\"finished\",\"text\":\"all 'done'\"}",
        "{\"type\":\"call_user\",\"text\":\"help\"}",
    };
    struct xtars_coord_space space = {XTARS_FAMILY_UITARS15, 1932, 1092, {0, 0, 1920, 1080}};
    char err[XTARS_ERRLEN];

    for (size_t i = 0; i < sizeof jsons / sizeof jsons[0]; i++) {
        for (unsigned flags = 0; flags <= XTARS_CALL_BOX_TOKENS; flags++) {
            struct xtars_action a, b;
            char *call, *json;
            from_json_ok(jsons[i], &a);
            call = call_of(&a, flags);
            if (xtars_parse_action(call, strlen(call), &space, &b, err) != XTARS_OK)
                FAIL("%s: %s", call, err);
            json = json_of(&b);
            ASSERT_STR_EQ(json, jsons[i]);
            free(call);
            free(json);
            xtars_action_cleanup(&a);
            xtars_action_cleanup(&b);
        }
    }
}

TEST(reply_to_json_shape)
{
    struct xtars_action actions[2] = {{.type = XTARS_ACTION_WAIT, .ms = 5000},
                                      {.type = XTARS_ACTION_CALL_USER}};
    struct xtars_reply reply = {.thought = "t", .reflection = NULL, .actions = actions,
                                .action_count = 2};
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 16);
    ASSERT_EQ(xtars_reply_to_json(&reply, &b), XTARS_OK);
    ASSERT_STR_EQ(b.data, "{\"thought\":\"t\",\"reflection\":null,\"actions\":[{\"type\":\"wait\","
                          "\"ms\":5000},{\"type\":\"call_user\"}]}");
    xtars_buf_cleanup(&b);
    xtars_buf_init(&b, 20);
    ASSERT_EQ(xtars_reply_to_json(&reply, &b), XTARS_ETOOBIG);
    xtars_buf_cleanup(&b);
}

/* Found by fuzz_parse: a tiny coordinate was written back as 1.72024618e-08
 * (JSON's shortest form), which the call grammar refuses (no exponents):
 * the history sent to the model, and `xtars parse --calls`, could not be
 * read back. Calls now carry plain decimals. */
TEST(tiny_coordinates_are_written_without_exponents)
{
    const char *reply = "click(start_box='(12.277774999999991,0.00000001720246180)')";
    struct xtars_coord_space space = {XTARS_FAMILY_UITARS10, 1932, 1092, {0, 0, 1920, 1080}};
    struct xtars_action a, b;
    char err[XTARS_ERRLEN], *call, *first, *second;

    if (xtars_parse_action(reply, strlen(reply), &space, &a, err) != XTARS_OK)
        FAIL("%s", err);
    for (unsigned flags = 0; flags <= XTARS_CALL_BOX_TOKENS; flags++) {
        call = call_of(&a, flags);
        ASSERT_STR_CONTAINS(call, "12.277774999999991,0.0000000172024618)");
        if (xtars_parse_action(call, strlen(call), &space, &b, err) != XTARS_OK)
            FAIL("%s: %s", call, err);
        first = json_of(&a);
        second = json_of(&b);
        ASSERT_STR_EQ(second, first);
        free(first);
        free(second);
        free(call);
        xtars_action_cleanup(&b);
    }
    xtars_action_cleanup(&a);
}
