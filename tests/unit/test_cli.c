/* The xtars executable's frame: help, version, exit codes, and errors for
 * unknown commands and flags, run as a user would run them. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"
#include "test.h"

#define RUN(...) xt_run((const char *const[]){"@xtars", __VA_ARGS__, NULL}, NULL, NULL)

TEST(help_lists_commands_and_exit_codes)
{
    struct xt_result r = RUN("help");

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "Usage: xtars <command> [options]");
    ASSERT_STR_CONTAINS(r.out, "  config ");
    ASSERT_STR_CONTAINS(r.out, "  version ");
    ASSERT_STR_CONTAINS(r.out, "4  task not completed");
    xt_result_free(&r);
}

TEST(no_arguments_is_usage_error)
{
    struct xt_result r = xt_run((const char *const[]){"@xtars", NULL}, NULL, NULL);

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "Usage: xtars");
    xt_result_free(&r);
}

TEST(unknown_command_suggests)
{
    struct xt_result r = RUN("confg");

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars: unknown command 'confg' (did you mean 'config'?)\n");
    xt_result_free(&r);
    r = RUN("frobnicate");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars: unknown command 'frobnicate' (see 'xtars help')\n");
    xt_result_free(&r);
}

TEST(unknown_flag_suggests)
{
    struct xt_result r = RUN("config", "--sorces");

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars config: unknown option '--sorces' (did you mean '--sources'?)\n");
    xt_result_free(&r);
    r = RUN("config", "--config");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars config: option '--config' needs a value (see 'xtars help config')\n");
    xt_result_free(&r);
    r = RUN("config", "-x");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars config: unknown option '-x' (see 'xtars help config')\n");
    xt_result_free(&r);
}

TEST(help_for_each_command_and_dash_dash_help)
{
    const char *names[] = {"help", "version", "config", "parse", "model-check", "screenshot",
                           "act", "batch", "replay", "import", "export"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct xt_result a = RUN("help", names[i]);
        struct xt_result b = RUN(names[i], "--help");
        ASSERT_EQ(a.status, 0);
        ASSERT_EQ(b.status, 0);
        ASSERT_STR_CONTAINS(a.out, "Usage: xtars ");
        ASSERT_STR_EQ(a.out, b.out);
        xt_result_free(&a);
        xt_result_free(&b);
    }
}

TEST(version_names_libraries)
{
    struct xt_result r = RUN("version");

    ASSERT_EQ(r.status, 0);
    ASSERT(strncmp(r.out, "xtars 0.", 8) == 0);
    ASSERT_STR_CONTAINS(r.out, "\nlibcurl 7.");
    ASSERT_STR_CONTAINS(r.out, "\nlibpng 1.6");
    ASSERT_STR_CONTAINS(r.out, "\nzlib 1.");
    ASSERT_STR_CONTAINS(r.out, "\ncJSON 1.");
    ASSERT_STR_CONTAINS(r.out, "\nlibjpeg-turbo 2.");
    ASSERT_STR_CONTAINS(r.out, "\nISA-L ");
    xt_result_free(&r);
}

TEST(config_print_precedence_and_sources)
{
    const char *env[] = {"XTARS_MAX_STEPS=9", "XTARS_MODEL=env-model", NULL};
    char path[512];
    FILE *f;
    struct xt_result r;

    snprintf(path, sizeof path, "%s/c.json", xt_tmpdir());
    f = fopen(path, "w");
    fputs("{\"max_steps\": 7, \"retries\": 1, \"model\": \"file-model\"}", f);
    fclose(f);
    r = xt_run((const char *const[]){"@xtars", "config", "--sources", "--config", path, "--set",
                                     "retries=5", NULL},
               env, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"max_steps\": {\"value\": 9, \"source\": \"env\"}");
    ASSERT_STR_CONTAINS(r.out, "\"retries\": {\"value\": 5, \"source\": \"flag\"}");
    ASSERT_STR_CONTAINS(r.out, "\"model\": {\"value\": \"env-model\", \"source\": \"env\"}");
    ASSERT_STR_CONTAINS(r.out, "\"wait_ms\": {\"value\": 5000, \"source\": \"default\"}");
    xt_result_free(&r);
}

TEST(config_errors_exit_2_with_one_line)
{
    struct xt_result r = RUN("config", "--set", "max_step=3");

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err,
                  "xtars config: unknown key 'max_step' (command line) (did you mean "
                  "'max_steps'?)\n");
    xt_result_free(&r);
    r = RUN("config", "--config", "/nonexistent.json");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars config: /nonexistent.json: No such file or directory\n");
    xt_result_free(&r);
}

TEST(report_of_a_directory_that_is_not_a_trajectory)
{
    struct xt_result r = RUN("report", "/");

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars report: / is not a trajectory directory (it has no run.json)\n");
    xt_result_free(&r);
}

/* A trajectory whose run.json or steps.jsonl is a FIFO (or a directory) is a
 * bad input file: exit 2 and one line naming the file, from report and
 * replay alike; before, it was exit 1 (a runtime error). */
TEST(a_trajectory_file_that_is_not_a_regular_file_is_exit_2)
{
    static const char *const names[] = {"steps.jsonl", "run.json"};
    char path[900], want[1000];
    struct xt_result r;

    for (int i = 0; i < 2; i++) {
        const char *dir = xt_tmp_path(i ? "fifo-run" : "fifo-steps");
        r = RUN("import", "--from", "uitars-desktop", xt_data_path("import/uitars-desktop/basic.json"),
                "--out", dir);
        ASSERT_EQ(r.status, 0);
        xt_result_free(&r);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        ASSERT_EQ(unlink(path), 0);
        ASSERT_EQ(mkfifo(path, 0600), 0);
        snprintf(want, sizeof want, "xtars report: %s: not a regular file\n", path);
        r = RUN("report", dir);
        ASSERT_EQ(r.status, 2);
        ASSERT_STR_EQ(r.err, want);
        xt_result_free(&r);
        snprintf(want, sizeof want, "xtars replay: %s: not a regular file\n", path);
        r = RUN("replay", "--dry-run", dir);
        ASSERT_EQ(r.status, 2);
        ASSERT_STR_EQ(r.err, want);
        xt_result_free(&r);
        /* a directory in its place is the same mistake */
        ASSERT_EQ(unlink(path), 0);
        ASSERT_EQ(mkdir(path, 0700), 0);
        r = RUN("report", dir);
        ASSERT_EQ(r.status, 2);
        ASSERT_STR_CONTAINS(r.err, "not a regular file\n");
        xt_result_free(&r);
    }
}

/* ---- every command on each kind of bad input: exit code and message ---- */

struct bad_input {
    const char *argv[12];   /* after "xtars" */
    int status;
    const char *message;    /* a part of stderr that names the thing */
};

static void run_table(const struct bad_input *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *argv[16] = {"@xtars"};
        struct xt_result r;
        int n = 1;

        for (int k = 0; rows[i].argv[k]; k++)
            argv[n++] = rows[i].argv[k];
        argv[n] = NULL;
        r = xt_run(argv, (const char *const[]){"DISPLAY=", NULL}, "");
        if (r.status != rows[i].status || strstr(r.err, rows[i].message) == NULL)
            FAIL("xtars %s %s ...: exit %d (want %d), stderr: %s(want it to contain: %s)",
                 rows[i].argv[0], rows[i].argv[1] ? rows[i].argv[1] : "", r.status, rows[i].status,
                 r.err, rows[i].message);
        xt_result_free(&r);
    }
}

TEST(every_command_rejects_an_unknown_option_and_takes_dash_h)
{
    const char *names[] = {"run", "task", "report", "help", "version", "config", "parse",
                           "model-check", "screenshot", "act", "batch", "replay", "import",
                           "export"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct bad_input rows[] = {
            {{names[i], "--bogus-option", NULL}, 2, "unknown option '--bogus-option'"},
            {{names[i], "-h", NULL}, 0, ""},
        };
        struct xt_result r;
        char usage[64];

        if (strcmp(names[i], "help") != 0)
            run_table(rows, 1);
        r = RUN(names[i], "-h");
        snprintf(usage, sizeof usage, "Usage: xtars %s", names[i]);
        ASSERT_EQ(r.status, 0);
        ASSERT_STR_CONTAINS(r.out, usage);
        xt_result_free(&r);
    }
}

TEST(bad_input_exit_codes_name_the_thing)
{
    const char *empty = xt_tmp_path("not-a-trajectory");
    const char *conf = xt_tmp_path("bad.json");

    xt_write_text(conf, "{\"max_steps\": \"many\"}");
    ASSERT_EQ(mkdir(empty, 0755), 0);
    {
        const struct bad_input rows[] = {
            /* a missing argument or value */
            {{"run", NULL}, 2, "needs exactly one INSTRUCTION"},
            {{"run", "--model", NULL}, 2, "option '--model' needs a value"},
            {{"task", NULL}, 2, "needs at least one task FILE.json"},
            {{"report", NULL}, 2, "needs exactly one trajectory DIR"},
            {{"replay", NULL}, 2, "needs exactly one trajectory DIR"},
            {{"batch", NULL}, 2, "needs --out DIR"},
            {{"act", NULL}, 2, "no action given"},
            {{"import", "--from", "osworld", NULL}, 2, "needs the PATH to import and --out DIR"},
            {{"export", "--to", "osworld", NULL}, 2, "needs the trajectory DIR and --out OUTDIR"},
            {{"screenshot", "a.png", "b.png", NULL}, 2, "unexpected argument 'b.png'"},
            {{"config", "extra", NULL}, 2, "unexpected argument 'extra'"},
            /* values that are not one of the valid ones: the valid ones are named */
            {{"export", "--to", "webarena", empty, "--out", empty, NULL}, 2, "(valid: osworld)"},
            {{"import", "--from", "osword", empty, "--out", empty, NULL}, 2,
             "did you mean 'osworld'? valid: osworld, uitars-desktop"},
            {{"config", "--log-level", "loud", NULL}, 2, "error, warn, info or debug"},
            /* a file or directory that does not exist */
            {{"task", "/nonexistent/t.json", NULL}, 2, "/nonexistent/t.json"},
            {{"report", "/nonexistent/run", NULL}, 2, "/nonexistent/run: no such directory"},
            {{"replay", "/nonexistent/run", NULL}, 2, "/nonexistent/run: no such directory"},
            {{"export", "--to", "osworld", "/nonexistent/run", "--out", empty, NULL}, 2,
             "/nonexistent/run: no such directory"},
            {{"import", "--from", "uitars-desktop", "/nonexistent/u.json", "--out", empty, NULL}, 2,
             "/nonexistent/u.json: no such file"},
            {{"parse", "/nonexistent/reply.txt", NULL}, 2, "/nonexistent/reply.txt: no such file"},
            {{"batch", "--out", empty, "/nonexistent/l.jsonl", NULL}, 2, "/nonexistent/l.jsonl"},
            {{"config", "--config", "/nonexistent/c.json", NULL}, 2, "/nonexistent/c.json"},
            {{"model-check", "--image", "/nonexistent/i.png", NULL}, 2, "/nonexistent/i.png"},
            /* a directory that is not a trajectory (or an OSWorld result) */
            {{"report", empty, NULL}, 2, "is not a trajectory directory (it has no run.json)"},
            {{"replay", empty, NULL}, 2, "is not a trajectory directory (it has no run.json)"},
            {{"export", "--to", "osworld", empty, "--out", xt_tmp_path("o"), NULL}, 2,
             "is not a trajectory directory (it has no run.json)"},
            {{"import", "--from", "osworld", empty, "--out", xt_tmp_path("i"), NULL}, 2,
             "is not an OSWorld result directory (it has no traj.jsonl)"},
            {{"import", "--from", "uitars-desktop", empty, "--out", xt_tmp_path("i"), NULL}, 2,
             "is a directory, not a file"},
            {{"task", empty, NULL}, 2, "not-a-trajectory"},
            /* a bad configuration value, from a flag or a file */
            {{"run", "--set", "max_steps=abc", "x", NULL}, 2, "'max_steps' (command line) must be"},
            {{"task", "--config", conf, "t.json", NULL}, 2, "max_steps"},
            {{"batch", "--set", "family=uitars-9", "--out", empty, "l.jsonl", NULL}, 2, "family"},
            {{"replay", "--set", "max_stepz=3", empty, NULL}, 2, "did you mean 'max_steps'?"},
            {{"model-check", "--set", "retries=-1", NULL}, 2, "retries"},
            {{"screenshot", "--set", "png_level=99", NULL}, 2, "png_level"},
            {{"config", "--model", "", "--set", "max_steps=0", NULL}, 2, "max_steps"},
            /* no display */
            {{"screenshot", "-o", "/dev/null", NULL}, 1, "no X display: DISPLAY is not set"},
            {{"act", "click(start_box='(1,2)')", NULL}, 1, "no X display: DISPLAY is not set"},
            {{"run", "--endpoint", "http://127.0.0.1:1", "x", NULL}, 1,
             "no X display: DISPLAY is not set"},
            /* an endpoint that is not there (a refused connection is quick) */
            {{"model-check", "--endpoint", "http://127.0.0.1:1", "--set", "retries=0", NULL}, 3,
             "connection refused"},
        };
        run_table(rows, sizeof rows / sizeof rows[0]);
    }
}

/* run and mcp take the session options (--display, --monitor, --xvfb,
 * --launch, --out, --dry-run, --endpoint, --model) through one helper: the
 * same mistakes get the same errors. */
TEST(run_and_mcp_share_the_session_options)
{
    const char *const commands[] = {"run", "mcp"};

    for (size_t c = 0; c < 2; c++) {
        const char *cmd = commands[c];
        const char *operand = strcmp(cmd, "run") == 0 ? "x" : NULL; /* run's INSTRUCTION */
        const char *argv[40] = {"@xtars", cmd};
        struct bad_input rows[] = {
            {{cmd, "--launch", NULL}, 2, "option '--launch' needs a value"},
            {{cmd, "--dry-runn", operand, NULL}, 2, "unknown option '--dry-runn' (did you mean '--dry-run'?)"},
            {{cmd, "--outt", "d", operand, NULL}, 2, "did you mean '--out'?"},
            {{cmd, "--xvfb", "12", "--dry-run", operand, NULL}, 2,
             "--xvfb needs WIDTHxHEIGHT such as 1280x800, not '12'"},
            {{cmd, "--endpoint", "http://127.0.0.1:1", "--set", "max_steps=abc", operand, NULL}, 2,
             "'max_steps' (command line) must be"},
        };
        struct xt_result r;
        int n = 2;

        run_table(rows, sizeof rows / sizeof rows[0]);
        for (int i = 0; i <= 16; i++) { /* one --launch too many */
            argv[n++] = "--launch";
            argv[n++] = "true";
        }
        argv[n++] = operand;
        argv[n] = NULL;
        r = xt_run(argv, (const char *const[]){"DISPLAY=", NULL}, "");
        ASSERT_EQ(r.status, 2);
        ASSERT_STR_CONTAINS(r.err, "at most 16 --launch commands");
        xt_result_free(&r);
    }
}

TEST(json_commands_fail_with_a_json_error_object)
{
    struct xt_result r;

    r = RUN("model-check", "--json", "--endpoint", "http://127.0.0.1:1", "--model", "m", "--set",
            "retries=0");
    ASSERT_EQ(r.status, 3);
    ASSERT(strncmp(r.out, "{\"error\": {\"command\": \"model-check\", \"code\": 3, \"message\": \"model: ",
                   67) == 0);
    ASSERT_STR_CONTAINS(r.out, "connection refused");
    xt_result_free(&r);
    /* An option error before --json is seen still answers in JSON. */
    r = RUN("version", "--bogus", "--json");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.out, "{\"error\": {\"command\": \"version\", \"code\": 2, \"message\": "
                         "\"unknown option '--bogus' (see 'xtars help version')\"}}\n");
    xt_result_free(&r);
    /* import and export always print JSON: errors too. */
    r = RUN("export", "--to", "webarena", "x", "--out", "y");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.out, "{\"error\": {\"command\": \"export\", \"code\": 2, \"message\": "
                         "\"--to: unknown value 'webarena' (valid: osworld)\"}}\n");
    xt_result_free(&r);
    /* Without --json, stdout stays empty. */
    r = RUN("model-check", "--endpoint", "http://127.0.0.1:1", "--set", "retries=0");
    ASSERT_EQ(r.status, 3);
    ASSERT_STR_EQ(r.out, "");
    xt_result_free(&r);
}

TEST(version_flags_and_top_level_options)
{
    struct xt_result r = RUN("-V");

    ASSERT_EQ(r.status, 0);
    ASSERT(strncmp(r.out, "xtars 0.", 8) == 0);
    xt_result_free(&r);
    r = RUN("--version", "--json");
    ASSERT_EQ(r.status, 0);
    ASSERT(strncmp(r.out, "{\"xtars\": \"0.", 13) == 0);
    xt_result_free(&r);
    /* An option before the command is not mistaken for a command name. */
    r = RUN("-x");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars: unknown option '-x' before the command (see 'xtars help')\n");
    xt_result_free(&r);
    r = RUN("help", "-h");
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "Usage: xtars help");
    xt_result_free(&r);
}

TEST(model_check_and_config_take_endpoint_and_model)
{
    struct xt_result r = RUN("config", "--endpoint", "http://10.0.0.1:8000/v1", "--model", "m-1");

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"endpoint\": \"http://10.0.0.1:8000/v1\"");
    ASSERT_STR_CONTAINS(r.out, "\"model\": \"m-1\"");
    xt_result_free(&r);
    /* Flags win over the environment, as --set does. */
    r = xt_run((const char *const[]){"@xtars", "config", "--sources", "--model", "flag-model", NULL},
               (const char *const[]){"XTARS_MODEL=env-model", NULL}, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"model\": {\"value\": \"flag-model\", \"source\": \"flag\"}");
    xt_result_free(&r);
}
