/* Prompt templates, the step history and the request body, without any
 * network: template lookup order, placeholder substitution, the reference
 * prompt texts, reply rewriting (Reflection, box tokens), message order,
 * the history_images window and the max_request_bytes cap. Expected bodies
 * are written out by hand from UITARS-FORMAT section 1. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "agent/config/config_internal.h"
#include "test.h"
#include "agent/base/base64.h"
#include "agent/model/prompt.h"

/* bytedance/UI-TARS codes/prompts.py COMPUTER_USE, as Python evaluates the
 * literal (its "\\'" is the two characters \'). */
static const char computer_use_reference[] =
    "You are a GUI agent. You are given a task and your action history, with screenshots. You "
    "need to perform the next action to complete the task.\n"
    "\n"
    "## Output Format\n"
    "```\n"
    "Thought: ...\n"
    "Action: ...\n"
    "```\n"
    "\n"
    "## Action Space\n"
    "\n"
    "click(start_box='<|box_start|>(x1,y1)<|box_end|>')\n"
    "left_double(start_box='<|box_start|>(x1,y1)<|box_end|>')\n"
    "right_single(start_box='<|box_start|>(x1,y1)<|box_end|>')\n"
    "drag(start_box='<|box_start|>(x1,y1)<|box_end|>', end_box='<|box_start|>(x3,y3)<|box_end|>')\n"
    "hotkey(key='')\n"
    "type(content='xxx') # Use escape characters \\', \\\", and \\n in content part to ensure we "
    "can parse the content in normal python string format. If you want to submit your input, use "
    "\\n at the end of content. \n"
    "scroll(start_box='<|box_start|>(x1,y1)<|box_end|>', direction='down or up or right or left')\n"
    "wait() #Sleep for 5s and take a screenshot to check for any changes.\n"
    "finished(content='xxx') # Use escape characters \\', \\\", and \\n in content part to ensure "
    "we can parse the content in normal python string format.\n"
    "\n"
    "\n"
    "## Note\n"
    "- Use {language} in `Thought` part.\n"
    "- Write a small plan and finally summarize your next action (with its target element) in one "
    "sentence in `Thought` part.\n"
    "\n"
    "## User Instruction\n"
    "{instruction}\n";

/* GROUNDING from the same file: a literal with \n escapes and no final newline. */
static const char grounding_reference[] =
    "You are a GUI agent. You are given a task and your action history, with screenshots. You "
    "need to perform the next action to complete the task. \n\n## Output Format\n\nAction: "
    "...\n\n\n## Action Space\nclick(start_box='<|box_start|>(x1,y1)<|box_end|>')\n\n## User "
    "Instruction\n{instruction}";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
}

static char *load(const char *name, const char *dir, xtars_err expect, char *err)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_prompt_load(name, dir, &b, err), expect);
    return xtars_buf_detach(&b, NULL);
}

static char *render(const char *tmpl, const char *language, const char *instruction)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_prompt_render(tmpl, language, instruction, &b), XTARS_OK);
    return xtars_buf_detach(&b, NULL);
}

TEST(shipped_templates_are_the_reference_texts)
{
    char err[XTARS_ERRLEN];
    char *text;

    unsetenv("XTARS_DATA_DIR");
    text = load("computer_use", NULL, XTARS_OK, err);
    ASSERT_STR_EQ(text, computer_use_reference);
    free(text);
    text = load("grounding", NULL, XTARS_OK, err);
    ASSERT_STR_EQ(text, grounding_reference);
    free(text);
    text = load("doubao", NULL, XTARS_OK, err);
    ASSERT_STR_CONTAINS(text, "\nclick(point='<point>x1 y1</point>')\n");
    ASSERT_STR_CONTAINS(text, "\nhotkey(key='ctrl c') # Split keys with a space and use lowercase.");
    ASSERT_STR_CONTAINS(text, "- Use {language} in `Thought` part.\n");
    free(text);
    text = load("computer_use_desktop", NULL, XTARS_OK, err);
    ASSERT_STR_CONTAINS(text, "\ncall_user() # Submit the task and call the user when the task is "
                              "unsolvable, or when you need the user's help.\n");
    free(text);
    /* omni-tars prompt_t5.ts, gui mode: three system prompts in one text */
    text = load("seed_gui", NULL, XTARS_OK, err);
    ASSERT(strncmp(text, "You should first think about the reasoning process in the mind", 62) == 0);
    ASSERT_STR_CONTAINS(text, "<thinkt> reasoning process here </thinkt> answer here\n\n");
    ASSERT_STR_CONTAINS(text, "\n<seed:cot_budget_reflect>\n</seed:cot_budget_reflect>\n\n");
    ASSERT_STR_CONTAINS(text, "{\"type\": \"function\", \"name\": \"click\", \"parameters\": "
                              "{\"type\": \"object\", \"properties\": {\"point\": {\"type\": "
                              "\"string\", \"description\": \"Click coordinates. The format is: "
                              "<point>x y</point>\"}}");
    ASSERT_STR_CONTAINS(text, "- Function calls must begin with <function= and end with </function>.\n");
    ASSERT(strstr(text, "navigate") == NULL); /* browser functions xtars cannot perform */
    ASSERT(strstr(text, "{instruction}") == NULL); /* the instruction is appended */
    free(text);
}

TEST(render_computer_use_like_the_reference)
{
    char err[XTARS_ERRLEN];
    char *tmpl, *text;
    const char *tail = "- Use English in `Thought` part.\n"
                       "- Write a small plan and finally summarize your next action (with its "
                       "target element) in one sentence in `Thought` part.\n"
                       "\n"
                       "## User Instruction\n"
                       "Open the {language} settings\n";

    unsetenv("XTARS_DATA_DIR");
    tmpl = load("computer_use", NULL, XTARS_OK, err);
    /* {language} inside the instruction is the user's text: not substituted. */
    text = render(tmpl, "English", "Open the {language} settings");
    ASSERT_EQ(strlen(text), strlen(computer_use_reference) - strlen("{language}") +
                                strlen("English") - strlen("{instruction}") +
                                strlen("Open the {language} settings"));
    ASSERT(strlen(text) > strlen(tail));
    ASSERT_STR_EQ(text + strlen(text) - strlen(tail), tail);
    free(tmpl);
    free(text);
}

TEST(render_placeholders)
{
    char *text = render("Use {language}. {other} {} {instruction}{", "Chinese", "do it");

    ASSERT_STR_EQ(text, "Use Chinese. {other} {} do it{");
    free(text);
    /* Desktop-style template: the instruction follows "## User Instruction". */
    text = render("## User Instruction\n", "English", "go");
    ASSERT_STR_EQ(text, "## User Instruction\ngo");
    free(text);
    text = render("{instruction}|{instruction}", "x", "a");
    ASSERT_STR_EQ(text, "a|a");
    free(text);
}

TEST(lookup_order_prompt_dir_then_data_dir_then_source)
{
    char dir_a[600], dir_data[600], path[700], err[XTARS_ERRLEN];
    char *text;

    snprintf(dir_a, sizeof dir_a, "%s/a", xt_tmpdir());
    snprintf(dir_data, sizeof dir_data, "%s/data", xt_tmpdir());
    mkdir(dir_a, 0700);
    mkdir(dir_data, 0700);
    snprintf(path, sizeof path, "%s/prompts", dir_data);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/x.txt", dir_a);
    write_file(path, "from prompt dir");
    snprintf(path, sizeof path, "%s/prompts/x.txt", dir_data);
    write_file(path, "from data dir");
    setenv("XTARS_DATA_DIR", dir_data, 1);

    text = load("x", dir_a, XTARS_OK, err);
    ASSERT_STR_EQ(text, "from prompt dir");
    free(text);
    text = load("x", NULL, XTARS_OK, err);
    ASSERT_STR_EQ(text, "from data dir");
    free(text);
    text = load("x", "", XTARS_OK, err);
    ASSERT_STR_EQ(text, "from data dir");
    free(text);
    /* Not in either: the source tree's configs/prompts. */
    text = load("grounding", dir_a, XTARS_OK, err);
    ASSERT_STR_EQ(text, grounding_reference);
    free(text);
    /* A path is used as it is. */
    snprintf(path, sizeof path, "%s/x.txt", dir_a);
    text = load(path, NULL, XTARS_OK, err);
    ASSERT_STR_EQ(text, "from prompt dir");
    free(text);
}

TEST(missing_template_names_every_place_tried)
{
    char err[XTARS_ERRLEN], expect[2048];
    char *text;

    unsetenv("XTARS_DATA_DIR");
    text = load("computer_us", "/nonexistent/dir", XTARS_ECONFIG, err);
    free(text);
    snprintf(expect, sizeof expect,
             "prompt: template 'computer_us' not found (looked for computer_us.txt in "
             "/nonexistent/dir, %s/configs/prompts",
             XT_SOURCE_DIR);
    if (strncmp(err, expect, strlen(expect)) != 0)
        FAIL("%s\nvs\n%s", err, expect);
    text = load("/nonexistent/p.txt", NULL, XTARS_EIO, err);
    free(text);
    ASSERT_STR_EQ(err, "prompt: /nonexistent/p.txt: No such file or directory");
    text = load("", NULL, XTARS_ECONFIG, err);
    free(text);
}

static char *rewrite(const char *reply, int family)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_history_rewrite_reply(reply, family, &b), XTARS_OK);
    return xtars_buf_detach(&b, NULL);
}

#define ASSERT_REWRITE(reply, family, expect)                                        \
    do {                                                                             \
        char *xt_got = rewrite(reply, family);                                       \
        ASSERT_STR_EQ(xt_got, expect);                                               \
        free(xt_got);                                                                \
    } while (0)

TEST(box_tokens_for_uitars15_only)
{
    const int v15 = XTARS_FAMILY_UITARS15;

    ASSERT_REWRITE("Thought: the OK button\nAction: click(start_box='(100,200)')", v15,
                   "Thought: the OK button\nAction: click(start_box='<|box_start|>(100,200)<|box_end|>')");
    ASSERT_REWRITE("Action: drag(start_box=\"(1, 2)\", end_box='(3,4)')", v15,
                   "Action: drag(start_box=\"<|box_start|>(1, 2)<|box_end|>\", "
                   "end_box='<|box_start|>(3,4)<|box_end|>')");
    ASSERT_REWRITE("Action: click(start_box='(10,20,30,40)')", v15,
                   "Action: click(start_box='<|box_start|>(10,20,30,40)<|box_end|>')");
    ASSERT_REWRITE("Action: scroll(start_box = '(5.5,6)', direction='down')", v15,
                   "Action: scroll(start_box = '<|box_start|>(5.5,6)<|box_end|>', direction='down')");
    /* Already wrapped, other value forms, look-alike names: unchanged. */
    ASSERT_REWRITE("Action: click(start_box='<|box_start|>(1,2)<|box_end|>')", v15,
                   "Action: click(start_box='<|box_start|>(1,2)<|box_end|>')");
    ASSERT_REWRITE("Action: click(start_box='[1, 2, 3, 4]')", v15,
                   "Action: click(start_box='[1, 2, 3, 4]')");
    ASSERT_REWRITE("Action: click(mystart_box='(1,2)')", v15, "Action: click(mystart_box='(1,2)')");
    ASSERT_REWRITE("Action: click(start_box='(a,b)')", v15, "Action: click(start_box='(a,b)')");
    ASSERT_REWRITE("Action: click(start_box='(1,2)\")", v15, "Action: click(start_box='(1,2)\")");
    ASSERT_REWRITE("Action: click(start_box='(1,2", v15, "Action: click(start_box='(1,2");
    /* Other families get the text as it was. */
    ASSERT_REWRITE("Action: click(start_box='(100,200)')", XTARS_FAMILY_UITARS10,
                   "Action: click(start_box='(100,200)')");
    ASSERT_REWRITE("Action: click(point='<point>1 2</point>')", XTARS_FAMILY_DOUBAO,
                   "Action: click(point='<point>1 2</point>')");
}

TEST(reflection_is_dropped)
{
    const int v10 = XTARS_FAMILY_UITARS10;

    ASSERT_REWRITE("Reflection: the click missed\nAction_Summary: click OK again\n"
                   "Action: click(start_box='(5,6)')",
                   XTARS_FAMILY_UITARS15,
                   "Action_Summary: click OK again\n"
                   "Action: click(start_box='<|box_start|>(5,6)<|box_end|>')");
    ASSERT_REWRITE("Reflection: it worked. Thought: next, save\nAction: hotkey(key='ctrl s')", v10,
                   "Thought: next, save\nAction: hotkey(key='ctrl s')");
    ASSERT_REWRITE("<think>hm</think>\n  Reflection: x\nThought: y\nAction: wait()", v10,
                   "<think>hm</think>\nThought: y\nAction: wait()");
    /* Only a header at the start of a line counts. */
    ASSERT_REWRITE("Thought: no Reflection: here\nAction: wait()", v10,
                   "Thought: no Reflection: here\nAction: wait()");
    ASSERT_REWRITE("Reflection: nothing else", v10, "");
    ASSERT_REWRITE("", v10, "");
}

static void test_config(struct xtars_config *cfg)
{
    xtars_config_defaults(cfg);
    snprintf(cfg->model, sizeof cfg->model, "m");
}

static char *build(const struct xtars_config *cfg, const char *prompt,
                   const struct xtars_history *h, const char *extra,
                   struct xtars_request_stats *st)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    xtars_buf_init(&b, 1u << 30);
    if (xtars_request_build(cfg, prompt, h, extra, &b, st, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

/* The request as a trajectory step records it: the same body with the
 * screenshots by file name (never base64), labelled replies by step, the
 * window of history_images kept, long texts cut with a marker. */
TEST(recorded_request_names_images_and_replies)
{
    struct xtars_config cfg;
    struct xtars_history *h;
    struct xtars_buf body, record;
    char err[XTARS_ERRLEN], *long_note = malloc(20000);

    ASSERT(long_note != NULL);
    memset(long_note, 'n', 19999);
    long_note[19999] = '\0';
    long_note[16383] = '\xc3', long_note[16384] = '\xa9'; /* a 2-byte character at the cut */
    test_config(&cfg);
    cfg.history_images = 1;
    ASSERT_EQ(xtars_history_new(5, &h), XTARS_OK);
    ASSERT_EQ(xtars_history_label(h, 1, "x.png"), XTARS_EINVAL); /* no step yet */
    ASSERT_EQ(xtars_history_add_image(h, "abc", 3, XTARS_IMAGE_PNG), XTARS_OK);
    ASSERT_EQ(xtars_history_label(h, 4, "step-0004.png"), XTARS_OK);
    ASSERT_EQ(xtars_history_set_reply(h, "Action: click(start_box='(1,2)')"), XTARS_OK);
    ASSERT_EQ(xtars_history_add_image(h, "hello", 5, XTARS_IMAGE_JPEG), XTARS_OK);
    ASSERT_EQ(xtars_history_label(h, 5, "step-0005.jpg\"<"), XTARS_OK);
    xtars_buf_init(&body, 1 << 20);
    xtars_buf_init(&record, 1 << 20);
    ASSERT_EQ(xtars_request_build_recorded(&cfg, "P", h, NULL, &body, &record, NULL, err),
              XTARS_OK);
    ASSERT_STR_CONTAINS(body.data, "base64,aGVsbG8=");
    ASSERT_STR_EQ(record.data,
                  "{\"model\":\"m\",\"messages\":["
                  "{\"role\":\"user\",\"content\":\"P\"},"
                  "{\"role\":\"assistant\",\"reply_of_step\":4},"
                  "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                  "{\"url\":\"step-0005.jpg\\\"<\"}}]}"
                  "],\"temperature\":0,\"top_p\":0.7,\"max_tokens\":1000}");
    /* a long note is cut before the character it would split */
    ASSERT_EQ(xtars_request_build_recorded(&cfg, "P", h, long_note, &body, &record, NULL, err),
              XTARS_OK);
    ASSERT_STR_CONTAINS(record.data, "nnn [... 3616 more bytes not recorded]\"}]");
    ASSERT(strstr(record.data, "base64") == NULL);
    /* a record past its cap is left empty; the request still goes out */
    record.max = 64;
    ASSERT_EQ(xtars_request_build_recorded(&cfg, "P", h, NULL, &body, &record, NULL, err),
              XTARS_OK);
    ASSERT_EQ(record.len, 0);
    ASSERT_STR_CONTAINS(body.data, "base64,aGVsbG8=");
    xtars_buf_cleanup(&body);
    xtars_buf_cleanup(&record);
    xtars_history_free(h);
    free(long_note);
}

TEST(request_body_exact)
{
    struct xtars_config cfg;
    struct xtars_history *h;
    struct xtars_request_stats st;
    char *body;

    test_config(&cfg);
    ASSERT_EQ(xtars_history_new(5, &h), XTARS_OK);
    ASSERT_EQ(xtars_history_add_image(h, "abc", 3, XTARS_IMAGE_PNG), XTARS_OK);
    ASSERT_EQ(xtars_history_set_reply(h, "Thought: \"q\"\nAction: click(start_box='(1,2)')"),
              XTARS_OK);
    ASSERT_EQ(xtars_history_add_image(h, "hello", 5, XTARS_IMAGE_JPEG), XTARS_OK);
    ASSERT_EQ(xtars_history_steps(h), 2);
    body = build(&cfg, "P\n", h, NULL, &st);
    ASSERT_STR_EQ(body,
                  "{\"model\":\"m\",\"messages\":["
                  "{\"role\":\"user\",\"content\":\"P\\n\"},"
                  "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                  "{\"url\":\"data:image/png;base64,YWJj\"}}]},"
                  "{\"role\":\"assistant\",\"content\":\"Thought: \\\"q\\\"\\nAction: "
                  "click(start_box='<|box_start|>(1,2)<|box_end|>')\"},"
                  "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                  "{\"url\":\"data:image/jpeg;base64,aGVsbG8=\"}}]}"
                  "],\"temperature\":0,\"top_p\":0.7,\"max_tokens\":1000}");
    ASSERT_EQ(st.images_sent, 2);
    ASSERT_EQ(st.assistant_messages, 1);
    ASSERT_EQ(st.image_bytes, 8);
    ASSERT_EQ(st.images_dropped_window + st.images_dropped_cap, 0);
    free(body);

    /* The loop's note and streaming. */
    cfg.stream = 1;
    cfg.temperature = 0.25;
    cfg.max_tokens = 1500;
    body = build(&cfg, "P", h, "Your last action had no visible effect.", &st);
    ASSERT_STR_CONTAINS(body, "aGVsbG8=\"}}]},{\"role\":\"user\",\"content\":\"Your last action had "
                              "no visible effect.\"}],\"temperature\":0.25,\"top_p\":0.7,"
                              "\"max_tokens\":1500,\"stream\":true,"
                              "\"stream_options\":{\"include_usage\":true}}");
    free(body);
    xtars_history_free(h);
}

/* Decodes the data URL of an image message; returns the MIME type's start. */
static void expect_image(const cJSON *msg, const void *bytes, size_t len, const char *mime)
{
    const cJSON *content = cJSON_GetObjectItem(msg, "content");
    const cJSON *part = cJSON_GetArrayItem(content, 0);
    const char *url;
    char prefix[64], err[XTARS_ERRLEN];
    struct xtars_buf raw;

    ASSERT_STR_EQ(cJSON_GetObjectItem(msg, "role")->valuestring, "user");
    ASSERT_EQ(cJSON_GetArraySize(content), 1);
    ASSERT_STR_EQ(cJSON_GetObjectItem(part, "type")->valuestring, "image_url");
    url = cJSON_GetObjectItem(cJSON_GetObjectItem(part, "image_url"), "url")->valuestring;
    snprintf(prefix, sizeof prefix, "data:%s;base64,", mime);
    ASSERT(strncmp(url, prefix, strlen(prefix)) == 0);
    xtars_buf_init(&raw, 1 << 26);
    ASSERT_EQ(xtars_base64_decode(&raw, url + strlen(prefix), strlen(url + strlen(prefix)), err),
              XTARS_OK);
    ASSERT_EQ(raw.len, len);
    ASSERT_MEM_EQ(raw.data, bytes, len);
    xtars_buf_cleanup(&raw);
}

static void expect_text(const cJSON *msg, const char *role, const char *text)
{
    ASSERT_STR_EQ(cJSON_GetObjectItem(msg, "role")->valuestring, role);
    ASSERT_STR_EQ(cJSON_GetObjectItem(msg, "content")->valuestring, text);
}

/* Five steps, history_images 2: the last two screenshots are sent, every
 * earlier reply is kept, in step order. */
TEST(history_window_keeps_texts)
{
    struct xtars_config cfg;
    struct xtars_history *h;
    struct xtars_request_stats st;
    unsigned char images[5][300];
    char *body;
    cJSON *root, *msgs;

    test_config(&cfg);
    cfg.history_images = 2;
    cfg.family = XTARS_FAMILY_UITARS10;
    ASSERT_EQ(xtars_history_new(3, &h), XTARS_OK);
    for (int i = 0; i < 5; i++) {
        char reply[32];
        for (int j = 0; j < 300; j++)
            images[i][j] = (unsigned char)(i * 31 + j * 7);
        ASSERT_EQ(xtars_history_add_image(h, images[i], 300, XTARS_IMAGE_PNG), XTARS_OK);
        snprintf(reply, sizeof reply, "Action: r%d", i + 1);
        if (i < 4)
            ASSERT_EQ(xtars_history_set_reply(h, reply), XTARS_OK);
    }
    body = build(&cfg, "prompt", h, NULL, &st);
    root = cJSON_Parse(body);
    ASSERT(root != NULL);
    msgs = cJSON_GetObjectItem(root, "messages");
    ASSERT_EQ(cJSON_GetArraySize(msgs), 7);
    expect_text(cJSON_GetArrayItem(msgs, 0), "user", "prompt");
    expect_text(cJSON_GetArrayItem(msgs, 1), "assistant", "Action: r1");
    expect_text(cJSON_GetArrayItem(msgs, 2), "assistant", "Action: r2");
    expect_text(cJSON_GetArrayItem(msgs, 3), "assistant", "Action: r3");
    expect_image(cJSON_GetArrayItem(msgs, 4), images[3], 300, "image/png");
    expect_text(cJSON_GetArrayItem(msgs, 5), "assistant", "Action: r4");
    expect_image(cJSON_GetArrayItem(msgs, 6), images[4], 300, "image/png");
    ASSERT_EQ(st.images_sent, 2);
    ASSERT_EQ(st.images_dropped_window, 3);
    ASSERT_EQ(st.images_dropped_cap, 0);
    ASSERT_EQ(st.assistant_messages, 4);
    cJSON_Delete(root);
    free(body);
    xtars_history_free(h);
}

/* Three 30000-byte screenshots are 40000 base64 characters each: with
 * max_request_bytes 100000 two fit beside the text, not three; with 65536
 * only the newest does; a 60000-byte newest screenshot (80000 characters)
 * cannot fit at all. */
TEST(byte_cap_drops_oldest_first)
{
    struct xtars_config cfg;
    struct xtars_history *h;
    struct xtars_request_stats st;
    struct xtars_buf b;
    unsigned char *img = malloc(60000);
    char *body, err[XTARS_ERRLEN];
    cJSON *root, *msgs;

    test_config(&cfg);
    for (int j = 0; j < 60000; j++)
        img[j] = (unsigned char)(j * 13 + 1);
    ASSERT_EQ(xtars_history_new(5, &h), XTARS_OK);
    for (int i = 0; i < 3; i++) {
        img[0] = (unsigned char)i;
        ASSERT_EQ(xtars_history_add_image(h, img, 30000, XTARS_IMAGE_PNG), XTARS_OK);
        if (i < 2)
            ASSERT_EQ(xtars_history_set_reply(h, i ? "Action: b" : "Action: a"), XTARS_OK);
    }
    body = build(&cfg, "p", h, NULL, &st);
    ASSERT_EQ(st.images_sent, 3);
    ASSERT_GT(strlen(body), 120000);
    free(body);

    cfg.max_request_bytes = 100000;
    body = build(&cfg, "p", h, NULL, &st);
    ASSERT_EQ(st.images_sent, 2);
    ASSERT_EQ(st.images_dropped_cap, 1);
    ASSERT_LE(strlen(body), 100000);
    root = cJSON_Parse(body);
    msgs = cJSON_GetObjectItem(root, "messages");
    ASSERT_EQ(cJSON_GetArraySize(msgs), 5); /* prompt, a, image 2, b, image 3 */
    expect_text(cJSON_GetArrayItem(msgs, 1), "assistant", "Action: a");
    img[0] = 1;
    expect_image(cJSON_GetArrayItem(msgs, 2), img, 30000, "image/png");
    img[0] = 2;
    expect_image(cJSON_GetArrayItem(msgs, 4), img, 30000, "image/png");
    cJSON_Delete(root);
    free(body);

    cfg.max_request_bytes = 65536;
    body = build(&cfg, "p", h, NULL, &st);
    ASSERT_EQ(st.images_sent, 1);
    ASSERT_EQ(st.images_dropped_cap, 2);
    ASSERT_EQ(st.assistant_messages, 2);
    free(body);

    ASSERT_EQ(xtars_history_add_image(h, img, 60000, XTARS_IMAGE_PNG), XTARS_OK);
    xtars_buf_init(&b, 1u << 30);
    ASSERT_EQ(xtars_request_build(&cfg, "p", h, NULL, &b, &st, err), XTARS_ETOOBIG);
    ASSERT_STR_CONTAINS(err, "with only the newest screenshot (60000 bytes as PNG/JPEG), more "
                             "than max_request_bytes=65536");
    ASSERT_EQ(st.images_sent, 0);
    xtars_buf_cleanup(&b);
    xtars_history_free(h);
    free(img);
}

TEST(history_edge_cases)
{
    struct xtars_config cfg;
    struct xtars_history *h;
    char *body;

    test_config(&cfg);
    ASSERT_EQ(xtars_history_new(0, &h), XTARS_EINVAL);
    ASSERT(h == NULL);
    ASSERT_EQ(xtars_history_new(1, &h), XTARS_OK);
    ASSERT_EQ(xtars_history_add_image(h, "", 0, XTARS_IMAGE_PNG), XTARS_EINVAL);
    ASSERT_EQ(xtars_history_add_image(h, "x", 1, 7), XTARS_EINVAL);
    ASSERT_EQ(xtars_history_steps(h), 0);
    /* No screenshot at all: prompt only. A reply replaces the previous one. */
    body = build(&cfg, "p", h, NULL, NULL);
    ASSERT_STR_EQ(body, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"p\"}],"
                        "\"temperature\":0,\"top_p\":0.7,\"max_tokens\":1000}");
    free(body);
    ASSERT_EQ(xtars_history_set_reply(h, "first"), XTARS_OK);
    ASSERT_EQ(xtars_history_set_reply(h, "second"), XTARS_OK);
    ASSERT_EQ(xtars_history_steps(h), 1);
    body = build(&cfg, "p", h, NULL, NULL);
    ASSERT_STR_CONTAINS(body, "{\"role\":\"assistant\",\"content\":\"second\"}]");
    free(body);
    ASSERT_STR_EQ(xtars_history_mime(XTARS_IMAGE_JPEG), "image/jpeg");
    ASSERT_STR_EQ(xtars_history_mime(XTARS_IMAGE_PNG), "image/png");
    xtars_history_free(h);
    xtars_history_free(NULL);
}
