/* The xtars executable's frame: help, version, exit codes, and errors for
 * unknown commands and flags, run as a user would run them. */
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
