/* `xtars parse` run as a user runs it: reply on stdin or in a file, options,
 * exit codes, the error line, and --jsonl over several replies. */
#include <stdio.h>

#include "run.h"
#include "test.h"

#define PARSE(stdin_text, ...) \
    xt_run((const char *const[]){"@xtars", "parse", __VA_ARGS__, NULL}, NULL, stdin_text)

static const char *const reply_197 = "Thought: open it\nAction: click(start_box='(197,525)')\n";

TEST(reply_on_stdin)
{
    struct xt_result r = PARSE(reply_197, "--screen", "1920x1080");

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "{\"thought\":\"open it\",\"reflection\":null,\"actions\":[{\"type\":"
                         "\"click\",\"x\":195,\"y\":519,\"model_x\":197,\"model_y\":525}]}\n");
    ASSERT_STR_EQ(r.err, "");
    xt_result_free(&r);
}

TEST(reply_in_a_file)
{
    char path[1024];
    FILE *f;
    struct xt_result r;

    snprintf(path, sizeof path, "%s/reply.txt", xt_tmpdir());
    f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("Action: scroll(direction='down')", f);
    fclose(f);
    r = PARSE(NULL, path);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "{\"thought\":null,\"reflection\":null,\"actions\":[{\"type\":\"scroll\","
                         "\"direction\":\"down\",\"amount\":5}]}\n");
    xt_result_free(&r);
}

/* Scroll amount and wait time come from the config when the reply has none. */
TEST(defaults_come_from_the_config)
{
    struct xt_result r = PARSE("Action: scroll(direction='up')\n\nwait()", "--set",
                               "scroll_amount=2", "--set", "wait_ms=750");

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"amount\":2");
    ASSERT_STR_CONTAINS(r.out, "\"ms\":750");
    xt_result_free(&r);
}

/* uitars-1.0 on 1920x1080: (500,500) -> (960,540); doubao from the
 * environment gives the same; --family wins over XTARS_FAMILY. */
TEST(family_from_flag_and_environment)
{
    const char *env[] = {"XTARS_FAMILY=doubao", NULL};
    struct xt_result r = PARSE("Action: click(start_box='(500,500)')", "--family", "uitars-1.0",
                               "--screen", "1920x1080");
    struct xt_result e = xt_run((const char *const[]){"@xtars", "parse", "--screen", "1920x1080",
                                                      NULL}, env, "Action: click(point='<point>500 500</point>')");
    struct xt_result both = xt_run((const char *const[]){"@xtars", "parse", "--family", "pixels",
                                                         "--screen", "1920x1080", NULL},
                                   env, "Action: click(start_box='(500,500)')");

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"x\":960,\"y\":540");
    ASSERT_EQ(e.status, 0);
    ASSERT_STR_CONTAINS(e.out, "\"x\":960,\"y\":540");
    ASSERT_EQ(both.status, 0);
    ASSERT_STR_CONTAINS(both.out, "\"x\":500,\"y\":500");
    xt_result_free(&r);
    xt_result_free(&e);
    xt_result_free(&both);
}

/* --max-pixels 1058400 (1350*28*28) makes 1920x1080 send 1344x756:
 * 672*1920/1344 = 960; --sent overrides smart_resize; +X+Y offsets. */
TEST(sent_size_and_offsets)
{
    struct xt_result a = PARSE("Action: click(start_box='(672,378)')", "--screen", "1920x1080",
                               "--max-pixels", "1058400");
    struct xt_result b = PARSE("Action: click(start_box='(480,270)')", "--screen", "1920x1080",
                               "--sent", "960x540");
    struct xt_result c = PARSE("Action: click(start_box='(197,525)')", "--screen",
                               "1920x1080+1920+0");

    ASSERT_STR_CONTAINS(a.out, "\"x\":960,\"y\":540");
    ASSERT_STR_CONTAINS(b.out, "\"x\":960,\"y\":540");
    ASSERT_STR_CONTAINS(c.out, "\"x\":2115,\"y\":519");
    xt_result_free(&a);
    xt_result_free(&b);
    xt_result_free(&c);
}

TEST(bad_reply_exits_1_with_the_column)
{
    struct xt_result r = PARSE("Action: clik(start_box='(1,2)')", "--screen", "1920x1080");

    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.out, "");
    ASSERT_STR_EQ(r.err, "xtars parse: unknown action 'clik' at column 9\n");
    xt_result_free(&r);
}

TEST(coordinates_without_screen_exit_1)
{
    struct xt_result r = PARSE("Action: click(start_box='(1,2)')", "--family", "doubao");

    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "xtars parse: coordinates need a screen size at column 25 (give --screen WxH, or run "
                         "where a display is)\n");
    xt_result_free(&r);
}

TEST(usage_errors_exit_2)
{
    struct xt_result a = PARSE("", "--screen", "1920");
    struct xt_result b = PARSE("", "--sent", "10x10+1+1", "--screen", "100x100");
    struct xt_result c = PARSE("", "--sent", "10x10");
    struct xt_result d = PARSE("", "--family", "uitars-2");
    struct xt_result e = PARSE("", "a", "b");
    struct xt_result f = PARSE("", "--screan", "1x1");
    struct xt_result g = PARSE("", "--screen", "20000x10");

    ASSERT_EQ(a.status, 2);
    ASSERT_STR_EQ(a.err, "xtars parse: --screen must be WxH or WxH+X+Y (e.g. 1920x1080), not '1920'\n");
    ASSERT_EQ(b.status, 2);
    ASSERT_STR_CONTAINS(b.err, "--sent must be WxH");
    ASSERT_EQ(c.status, 2);
    ASSERT_STR_EQ(c.err, "xtars parse: --sent needs --screen\n");
    ASSERT_EQ(d.status, 2);
    ASSERT_STR_CONTAINS(d.err, "family");
    ASSERT_EQ(e.status, 2);
    ASSERT_STR_EQ(e.err, "xtars parse: unexpected argument 'b'\n");
    ASSERT_EQ(f.status, 2);
    ASSERT_STR_CONTAINS(f.err, "did you mean '--screen'?");
    ASSERT_EQ(g.status, 2);
    ASSERT_STR_CONTAINS(g.err, "cannot smart_resize a 20000x10 screen");
    xt_result_free(&a);
    xt_result_free(&b);
    xt_result_free(&c);
    xt_result_free(&d);
    xt_result_free(&e);
    xt_result_free(&f);
    xt_result_free(&g);
}

TEST(missing_file_is_a_usage_error)
{
    struct xt_result r = PARSE(NULL, "/nonexistent/reply.txt");

    ASSERT_EQ(r.status, 2); /* as for every command: the named input does not exist */
    ASSERT_STR_EQ(r.err, "xtars parse: /nonexistent/reply.txt: no such file\n");
    xt_result_free(&r);
}

/* One result per input line, errors in place, exit 0. */
TEST(jsonl_one_result_per_line)
{
    const char *input =
        "\"Action: click(start_box='(500,500)')\"\n"
        "\"Thought: t\\nAction: hotkey(key='ctrl c')\"\n"
        "\"Action: clik()\"\n"
        "not json\n"
        "\n"
        "42\n"
        "\"Action: type(content='a\\\\nb\\n')\"";
    struct xt_result r = PARSE(input, "--jsonl", "--family", "doubao", "--screen", "1000x1000");

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out,
        "{\"thought\":null,\"reflection\":null,\"actions\":[{\"type\":\"click\",\"x\":500,"
        "\"y\":500,\"model_x\":500,\"model_y\":500}]}\n"
        "{\"thought\":\"t\",\"reflection\":null,\"actions\":[{\"type\":\"hotkey\",\"keys\":"
        "[\"ctrl\",\"c\"]}]}\n"
        "{\"error\":\"parse: unknown action 'clik' at column 9\"}\n"
        "{\"error\":\"parse: line is not a JSON string\"}\n"
        "{\"error\":\"parse: line is not a JSON string\"}\n"
        "{\"error\":\"parse: line is not a JSON string\"}\n"
        "{\"thought\":null,\"reflection\":null,\"actions\":[{\"type\":\"type\",\"text\":"
        "\"a\\nb\\n\"}]}\n");
    xt_result_free(&r);
}

TEST(jsonl_empty_input_prints_nothing)
{
    struct xt_result r = PARSE("", "--jsonl");

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "");
    xt_result_free(&r);
}
