/* Config: defaults, the shipped default.json, precedence, and every kind of
 * bad value with a message that names the key, file and line. */
#include <stdio.h>

#include "agent/config/config_internal.h"
#include "test.h"
#include "xtars/config.h"

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", xt_tmpdir(), name);
    f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
    return path;
}

TEST(defaults_match_the_brief)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];

    xtars_config_defaults(&c);
    ASSERT_STR_EQ(c.endpoint, "http://127.0.0.1:8000/v1");
    ASSERT_STR_EQ(c.api_key_env, "XTARS_API_KEY");
    ASSERT_EQ(c.family, XTARS_FAMILY_UITARS15);
    ASSERT_EQ(c.max_pixels, 12845056);
    ASSERT_EQ(c.min_pixels, 78400);
    ASSERT_EQ(c.image_format, XTARS_IMAGE_PNG);
    ASSERT_EQ(c.history_images, 5);
    ASSERT_EQ(c.max_steps, 100);
    ASSERT_NEAR(c.temperature, 0.0, 0);
    ASSERT_NEAR(c.top_p, 0.7, 1e-12);
    ASSERT_EQ(c.max_tokens, 1000);
    ASSERT_EQ(c.timeout_ms, 60000);
    ASSERT_EQ(c.retries, 3);
    ASSERT_STR_EQ(c.language, "English");
    ASSERT_STR_EQ(c.prompt, "computer_use");
    ASSERT_STR_EQ(c.display, "");
    ASSERT_STR_EQ(c.monitor, "");
    ASSERT_EQ(c.wait_ms, 5000);
    ASSERT_STR_EQ(c.out_dir, "runs");
    ASSERT_EQ(c.log_level, 2);
    for (int i = 0; i < xtars_config_field_count(); i++)
        ASSERT_EQ(c.source[i], XTARS_SOURCE_DEFAULT);
    ASSERT_EQ(xtars_config_validate(&c, err), XTARS_OK);
}

TEST(shipped_default_json_has_every_key_with_its_default)
{
    struct xtars_config defaults, loaded;
    struct xtars_buf a, b;
    char path[1024], err[XTARS_ERRLEN];

    snprintf(path, sizeof path, "%s/configs/default.json", XT_SOURCE_DIR);
    xtars_config_defaults(&defaults);
    xtars_config_defaults(&loaded);
    if (xtars_config_load_file(&loaded, path, err) != XTARS_OK)
        FAIL("%s", err);
    for (int i = 0; i < xtars_config_field_count(); i++)
        if (loaded.source[i] != XTARS_SOURCE_FILE)
            FAIL("configs/default.json lacks key '%s'", xtars_config_field_name(i));
    xtars_buf_init(&a, 1 << 16);
    xtars_buf_init(&b, 1 << 16);
    xtars_config_to_json(&defaults, 0, &a);
    xtars_config_to_json(&loaded, 0, &b);
    ASSERT_STR_EQ(b.data, a.data);
    xtars_buf_cleanup(&a);
    xtars_buf_cleanup(&b);
}

TEST(precedence_file_then_env_then_flag)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];
    const char *path = write_file("p.json", "{\"max_steps\": 7, \"model\": \"from-file\", \"top_p\": 0.5}");

    xtars_config_defaults(&c);
    ASSERT_EQ(xtars_config_load_file(&c, path, err), XTARS_OK);
    ASSERT_EQ(c.max_steps, 7);
    setenv("XTARS_MAX_STEPS", "9", 1);
    setenv("XTARS_MODEL", "from-env", 1);
    ASSERT_EQ(xtars_config_load_env(&c, err), XTARS_OK);
    ASSERT_EQ(c.max_steps, 9);
    ASSERT_STR_EQ(c.model, "from-env");
    ASSERT_EQ(xtars_config_set_from(&c, "max_steps", "11", XTARS_SOURCE_FLAG, err), XTARS_OK);
    ASSERT_EQ(c.max_steps, 11);
    ASSERT_NEAR(c.top_p, 0.5, 1e-12);
    ASSERT_EQ(c.source[xtars_config_field_index("max_steps")], XTARS_SOURCE_FLAG);
    ASSERT_EQ(c.source[xtars_config_field_index("model")], XTARS_SOURCE_ENV);
    ASSERT_EQ(c.source[xtars_config_field_index("top_p")], XTARS_SOURCE_FILE);
    ASSERT_EQ(c.source[xtars_config_field_index("retries")], XTARS_SOURCE_DEFAULT);
}

TEST(unknown_key_names_file_line_and_suggests)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];
    const char *path = write_file("typo.json", "{\n  \"model\": \"m\",\n  \"max_step\": 20\n}\n");

    xtars_config_defaults(&c);
    ASSERT_EQ(xtars_config_load_file(&c, path, err), XTARS_ECONFIG);
    ASSERT_STR_CONTAINS(err, "unknown key 'max_step'");
    ASSERT_STR_CONTAINS(err, "typo.json line 3");
    ASSERT_STR_CONTAINS(err, "(did you mean 'max_steps'?)");
}

TEST(unknown_key_without_close_match)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];

    xtars_config_defaults(&c);
    ASSERT_EQ(xtars_config_set_from(&c, "zzzzzzzzzzzz", "1", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: unknown key 'zzzzzzzzzzzz' (command line)");
    ASSERT_STR_EQ(xtars_config_suggest("temprature"), "temperature");
    ASSERT_STR_EQ(xtars_config_suggest("histroy_images"), "history_images");
}

TEST(wrong_types)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];
    const char *text;

    xtars_config_defaults(&c);
    text = "{\"max_steps\": \"ten\"}";
    ASSERT_EQ(xtars_config_load_text(&c, "t.json", text, strlen(text), err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'max_steps' in t.json line 1 must be a number");
    text = "{\"model\": 5}";
    ASSERT_EQ(xtars_config_load_text(&c, "t.json", text, strlen(text), err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'model' in t.json line 1 must be a string");
    text = "{\"stream\": 1}";
    ASSERT_EQ(xtars_config_load_text(&c, "t.json", text, strlen(text), err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'stream' in t.json line 1 must be true or false");
    text = "{\"max_steps\": 2.5}";
    ASSERT_EQ(xtars_config_load_text(&c, "t.json", text, strlen(text), err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'max_steps' in t.json line 1 must be a whole number");
    text = "[1, 2]";
    ASSERT_EQ(xtars_config_load_text(&c, "t.json", text, strlen(text), err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: t.json: top level must be a JSON object");
}

TEST(ranges_and_enums)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];

    xtars_config_defaults(&c);
    ASSERT_EQ(xtars_config_set_from(&c, "top_p", "1.5", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'top_p' (command line) must be between 0 and 1");
    ASSERT_EQ(xtars_config_set_from(&c, "max_steps", "0", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'max_steps' (command line) must be between 1 and 100000");
    ASSERT_EQ(xtars_config_set_from(&c, "max_steps", "12abc", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'max_steps' (command line) must be a number, not '12abc'");
    ASSERT_EQ(xtars_config_set_from(&c, "family", "uitars-2", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'family' (command line) must be one of uitars-1.5, uitars-1.0, "
                       "doubao, pixels, not 'uitars-2'");
    ASSERT_EQ(xtars_config_set_from(&c, "family", "doubao", XTARS_SOURCE_FLAG, err), XTARS_OK);
    ASSERT_EQ(c.family, XTARS_FAMILY_DOUBAO);
    ASSERT_EQ(xtars_config_set_from(&c, "stream", "true", XTARS_SOURCE_FLAG, err), XTARS_OK);
    ASSERT_EQ(c.stream, 1);
    ASSERT_EQ(xtars_config_set_from(&c, "stream", "maybe", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_EQ(c.policy_mode, 0);
    ASSERT_EQ(xtars_config_set_from(&c, "policy_mode", "paranoid", XTARS_SOURCE_FLAG, err),
              XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'policy_mode' (command line) must be one of default, strict, not "
                       "'paranoid'");
    ASSERT_EQ(xtars_config_set_from(&c, "policy_mode", "strict", XTARS_SOURCE_FLAG, err), XTARS_OK);
    ASSERT_EQ(c.policy_mode, 1);
    ASSERT_EQ(c.max_steps, 100); /* failed sets changed nothing */
    ASSERT_NEAR(c.top_p, 0.7, 1e-12);
}

TEST(env_value_errors_name_the_variable)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];

    xtars_config_defaults(&c);
    setenv("XTARS_RETRIES", "-1", 1);
    ASSERT_EQ(xtars_config_load_env(&c, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'retries' (from $XTARS_RETRIES) must be between 0 and 20");
}

TEST(syntax_error_position)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];
    const char *text = "{\n  \"model\": \"m\",\n  \"retries\": ,\n}";

    xtars_config_defaults(&c);
    ASSERT_EQ(xtars_config_load_text(&c, "s.json", text, strlen(text), err), XTARS_ECONFIG);
    ASSERT_STR_CONTAINS(err, "s.json line 3");
    ASSERT_STR_CONTAINS(err, "not valid JSON");
}

TEST(long_string_rejected)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN], value[600];

    xtars_config_defaults(&c);
    memset(value, 'a', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    ASSERT_EQ(xtars_config_set_from(&c, "endpoint", value, XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_STR_CONTAINS(err, "'endpoint' (command line) is longer than 511 bytes");
    ASSERT_STR_EQ(c.endpoint, "http://127.0.0.1:8000/v1");
}

TEST(validate_relations)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];

    xtars_config_defaults(&c);
    c.min_pixels = c.max_pixels + 1;
    ASSERT_EQ(xtars_config_validate(&c, err), XTARS_ECONFIG);
    ASSERT_STR_CONTAINS(err, "min_pixels");
    xtars_config_defaults(&c);
    strcpy(c.endpoint, "ftp://x");
    ASSERT_EQ(xtars_config_validate(&c, err), XTARS_ECONFIG);
    ASSERT_STR_CONTAINS(err, "endpoint 'ftp://x' must start with http:// or https://");
}

TEST(json_output_with_sources)
{
    struct xtars_config c;
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    xtars_config_defaults(&c);
    xtars_config_set_from(&c, "model", "m\"q", XTARS_SOURCE_FLAG, err);
    xtars_buf_init(&b, 1 << 16);
    ASSERT_EQ(xtars_config_to_json(&c, 1, &b), XTARS_OK);
    ASSERT_STR_CONTAINS(b.data, "\"model\": {\"value\": \"m\\\"q\", \"source\": \"flag\"}");
    ASSERT_STR_CONTAINS(b.data, "\"top_p\": {\"value\": 0.7, \"source\": \"default\"}");
    ASSERT_STR_CONTAINS(b.data, "\"family\": {\"value\": \"uitars-1.5\", \"source\": \"default\"}");
    xtars_buf_cleanup(&b);
}

/* README.md's config table must be exactly what the field table generates. */
TEST(readme_table_matches_field_table)
{
    struct xtars_buf readme, table;
    char path[1024], err[XTARS_ERRLEN];
    const char *begin, *end;
    const char *open_mark = "<!-- config-table:begin (generated by `xtars config --markdown`) -->\n";

    snprintf(path, sizeof path, "%s/README.md", XT_SOURCE_DIR);
    if (xtars_buf_read_file(&readme, path, 1 << 20, err) != XTARS_OK)
        FAIL("%s", err);
    begin = strstr(readme.data, open_mark);
    end = strstr(readme.data, "<!-- config-table:end -->");
    ASSERT(begin != NULL && end != NULL && end > begin);
    begin += strlen(open_mark);
    xtars_buf_init(&table, 1 << 16);
    xtars_config_markdown(&table);
    if ((size_t)(end - begin) != table.len || memcmp(begin, table.data, table.len) != 0)
        FAIL("README.md config table is stale: regenerate it with `build/xtars config --markdown`");
    xtars_buf_cleanup(&readme);
    xtars_buf_cleanup(&table);
}

/* extra_headers: a JSON object in files and on the command line, stored as
 * "Name: value" lines, printed back as the same object. */
TEST(extra_headers_object)
{
    struct xtars_config c;
    struct xtars_buf b;
    char err[XTARS_ERRLEN];
    const char *text = "{\n  \"extra_headers\": {\"X-Team\": \"ui\", \"api-key\": \"${AZ_KEY}\"}\n}";

    xtars_config_defaults(&c);
    ASSERT_STR_EQ(c.extra_headers, "");
    ASSERT_EQ(xtars_config_load_text(&c, "h.json", text, strlen(text), err), XTARS_OK);
    ASSERT_STR_EQ(c.extra_headers, "X-Team: ui\napi-key: ${AZ_KEY}\n");
    xtars_buf_init(&b, 1 << 16);
    ASSERT_EQ(xtars_config_to_json(&c, 0, &b), XTARS_OK);
    ASSERT_STR_CONTAINS(b.data, "\"extra_headers\": {\"X-Team\": \"ui\", \"api-key\": \"${AZ_KEY}\"},\n");
    xtars_buf_cleanup(&b);
    ASSERT_EQ(xtars_config_set_from(&c, "extra_headers", "{}", XTARS_SOURCE_FLAG, err), XTARS_OK);
    ASSERT_STR_EQ(c.extra_headers, "");

    text = "{\"extra_headers\": \"X-Team: ui\"}";
    ASSERT_EQ(xtars_config_load_text(&c, "h.json", text, strlen(text), err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'extra_headers' in h.json line 1 must be a JSON object of header "
                       "name to value");
    text = "{\"extra_headers\": {\"X-N\": 5}}";
    ASSERT_EQ(xtars_config_load_text(&c, "h.json", text, strlen(text), err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'extra_headers' in h.json line 1: header 'X-N' must have a "
                       "one-line UTF-8 string value");
    ASSERT_EQ(xtars_config_set_from(&c, "extra_headers", "{\"Bad Name\": \"v\"}", XTARS_SOURCE_FLAG,
                                    err),
              XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'extra_headers' (command line): 'Bad Name' is not a usable header "
                       "name");
    ASSERT_EQ(xtars_config_set_from(&c, "extra_headers", "{\"X\": \"a\\r\\nInjected: 1\"}",
                                    XTARS_SOURCE_FLAG, err),
              XTARS_ECONFIG);
    ASSERT_EQ(xtars_config_set_from(&c, "extra_headers", "{\"Content-Length\": \"9\"}",
                                    XTARS_SOURCE_FLAG, err),
              XTARS_ECONFIG);
    ASSERT_EQ(xtars_config_set_from(&c, "extra_headers", "X-A: b", XTARS_SOURCE_FLAG, err),
              XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'extra_headers' (command line) must be a JSON object such as "
                       "{\"X-Name\": \"value\"}");
}

/* Found by fuzz_config: a string with bytes that are not UTF-8 loaded, but
 * `xtars config` printed it with U+FFFD (3 bytes each), so the printed file
 * no longer loaded ("longer than 511 bytes"). Such strings are refused. */
TEST(strings_must_be_utf8_so_printed_configs_load_back)
{
    struct xtars_config c;
    struct xtars_buf printed;
    char err[XTARS_ERRLEN];
    const char *bad = "{\"model\": \"ui\xda\xffx\"}";
    const char *good = "{\"model\": \"mod\xc3\xa8le-\xe2\x82\xac\"}";
    const char *header = "{\"extra_headers\": {\"X-A\": \"\xff\"}}";

    xtars_config_defaults(&c);
    ASSERT_EQ(xtars_config_load_text(&c, "u.json", bad, strlen(bad), err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'model' in u.json line 1 is not valid UTF-8");
    ASSERT_STR_EQ(c.model, "ui-tars-1.5-7b");
    ASSERT_EQ(xtars_config_set_from(&c, "language", "\xc3(", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'language' (command line) is not valid UTF-8");
    ASSERT_EQ(xtars_config_load_text(&c, "h.json", header, strlen(header), err), XTARS_ECONFIG);
    ASSERT_STR_CONTAINS(err, "header 'X-A' must have a one-line UTF-8 string value");
    /* valid multi-byte text is kept byte for byte and prints back the same */
    ASSERT_EQ(xtars_config_load_text(&c, "g.json", good, strlen(good), err), XTARS_OK);
    ASSERT_STR_EQ(c.model, "mod\xc3\xa8le-\xe2\x82\xac");
    xtars_buf_init(&printed, 1 << 20);
    ASSERT_EQ(xtars_config_to_json(&c, 0, &printed), XTARS_OK);
    ASSERT_STR_CONTAINS(printed.data, "\"model\": \"mod\xc3\xa8le-\xe2\x82\xac\"");
    xtars_buf_cleanup(&printed);
}

/* Found by fuzz_config: the line number of a bad key was searched for with
 * strstr(), past the end of text that is not NUL-terminated (a SEGV under
 * ASan). Here the key is written with an escape, so its quoted form appears
 * only after the length given: it must not be found there. */
TEST(key_search_stays_inside_the_given_length)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];
    const char *text = "{\"max_st\\u0065p\": 1}\n\n\"max_step\"";

    xtars_config_defaults(&c);
    ASSERT_EQ(xtars_config_load_text(&c, "t.json", text, strlen("{\"max_st\\u0065p\": 1}"), err),
              XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: unknown key 'max_step' in t.json (did you mean 'max_steps'?)");
}

/* redact: names only, comma-separated or (in files) a JSON list; printed as
 * the comma-separated string, which loads back. */
TEST(redact_is_a_list_of_variable_names)
{
    struct xtars_config c;
    char err[XTARS_ERRLEN];
    const char *list = "{\"redact\": [\"DB_PASSWORD\", \"GITHUB_TOKEN\"]}";
    const char *bad_list = "{\"redact\": [\"DB_PASSWORD\", 5]}";

    xtars_config_defaults(&c);
    ASSERT_STR_EQ(c.redact, "");
    ASSERT_EQ(xtars_config_load_text(&c, "r.json", list, strlen(list), err), XTARS_OK);
    ASSERT_STR_EQ(c.redact, "DB_PASSWORD,GITHUB_TOKEN");
    ASSERT_EQ(xtars_config_set_from(&c, "redact", "A, B_2,_c", XTARS_SOURCE_FLAG, err), XTARS_OK);
    ASSERT_STR_EQ(c.redact, "A, B_2,_c");
    ASSERT_EQ(xtars_config_load_text(&c, "r.json", bad_list, strlen(bad_list), err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'redact' in r.json line 1 must be a list of variable names");
    ASSERT_EQ(xtars_config_set_from(&c, "redact", "A,,B", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'redact' (command line) must be environment variable names "
                       "separated by commas, not 'A,,B'");
    ASSERT_EQ(xtars_config_set_from(&c, "redact", "sk-12345", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_EQ(xtars_config_set_from(&c, "redact", "A,", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_EQ(xtars_config_set_from(&c, "redact", "9LIVES", XTARS_SOURCE_FLAG, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(c.redact, "A, B_2,_c");
}

/* ---- the opaque API of xtars/config.h, as an embedder uses it ---- */

TEST(opaque_config_set_and_typed_getters)
{
    struct xtars_config *cfg;
    char err[XTARS_ERRLEN];
    const char *text;
    double number;
    long whole;

    ASSERT_EQ(xtars_config_new(&cfg), XTARS_OK);
    ASSERT_EQ(xtars_config_get_int(cfg, "max_steps", &whole, err), XTARS_OK);
    ASSERT_EQ(whole, 100);
    ASSERT_EQ(xtars_config_set(cfg, "max_steps", "7", err), XTARS_OK);
    ASSERT_EQ(xtars_config_get_int(cfg, "max_steps", &whole, err), XTARS_OK);
    ASSERT_EQ(whole, 7);
    ASSERT_EQ(xtars_config_get_int(cfg, "max_pixels", &whole, err), XTARS_OK);
    ASSERT_EQ(whole, 16384L * 28 * 28);
    ASSERT_EQ(xtars_config_get_int(cfg, "clear_modifiers", &whole, err), XTARS_OK);
    ASSERT_EQ(whole, 1);
    ASSERT_EQ(xtars_config_set(cfg, "family", "doubao", err), XTARS_OK);
    ASSERT_EQ(xtars_config_get_int(cfg, "family", &whole, err), XTARS_OK);
    ASSERT_EQ(whole, XTARS_FAMILY_DOUBAO);
    ASSERT_EQ(xtars_config_get_string(cfg, "family", &text, err), XTARS_OK);
    ASSERT_STR_EQ(text, "doubao");
    ASSERT_EQ(xtars_config_set(cfg, "top_p", "0.25", err), XTARS_OK);
    ASSERT_EQ(xtars_config_get_double(cfg, "top_p", &number, err), XTARS_OK);
    ASSERT(number == 0.25);
    ASSERT_EQ(xtars_config_get_double(cfg, "max_steps", &number, err), XTARS_OK);
    ASSERT(number == 7.0);
    ASSERT_EQ(xtars_config_set(cfg, "endpoint", "http://127.0.0.1:9/v1", err), XTARS_OK);
    ASSERT_EQ(xtars_config_get_string(cfg, "endpoint", &text, err), XTARS_OK);
    ASSERT_STR_EQ(text, "http://127.0.0.1:9/v1");
    ASSERT_EQ(xtars_config_validate(cfg, err), XTARS_OK);
    xtars_config_free(cfg);
    xtars_config_free(NULL);
}

TEST(opaque_config_errors_name_the_key_and_change_nothing)
{
    struct xtars_config *cfg;
    char err[XTARS_ERRLEN];
    const char *text = "untouched";
    long whole = -5;

    ASSERT_EQ(xtars_config_new(&cfg), XTARS_OK);
    ASSERT_EQ(xtars_config_set(cfg, "max_step", "3", err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: unknown key 'max_step' (did you mean 'max_steps'?)");
    ASSERT_EQ(xtars_config_set(cfg, "max_steps", "0", err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'max_steps' must be between 1 and 100000");
    ASSERT_EQ(xtars_config_set(cfg, "model", "", err), XTARS_OK);
    ASSERT_EQ(xtars_config_validate(cfg, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: model must not be empty");
    ASSERT_EQ(xtars_config_get_int(cfg, "max_steps", &whole, err), XTARS_OK);
    ASSERT_EQ(whole, 100);
    ASSERT_EQ(xtars_config_get_int(cfg, "model", &whole, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'model' is of type string, not an integer");
    ASSERT_EQ(whole, 100);
    ASSERT_EQ(xtars_config_get_string(cfg, "retries", &text, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'retries' is of type integer, not a string");
    ASSERT_STR_EQ(text, "untouched");
    ASSERT_EQ(xtars_config_get_int(cfg, "nope", &whole, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: unknown key 'nope'");
    xtars_config_free(cfg);
}

/* get_text gives every key in the form set takes: copying every key of a
 * changed config through text gives the same printed config. */
TEST(opaque_config_get_text_round_trips_every_key)
{
    struct xtars_config *from, *to;
    struct xtars_buf value, a, b;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_config_new(&from), XTARS_OK);
    ASSERT_EQ(xtars_config_new(&to), XTARS_OK);
    ASSERT_EQ(xtars_config_set(from, "extra_headers", "{\"X-Team\": \"ui\", \"K\": \"${V}\"}", err),
              XTARS_OK);
    ASSERT_EQ(xtars_config_set(from, "redact", "A,B", err), XTARS_OK);
    ASSERT_EQ(xtars_config_set(from, "temperature", "0.3", err), XTARS_OK);
    ASSERT_EQ(xtars_config_set(from, "stream", "true", err), XTARS_OK);
    ASSERT_EQ(xtars_config_set(from, "image_format", "jpeg", err), XTARS_OK);
    ASSERT_EQ(xtars_config_set(from, "max_request_bytes", "100000", err), XTARS_OK);
    xtars_buf_init(&value, 1 << 16);
    for (int i = 0; i < xtars_config_field_count(); i++) {
        const char *key = xtars_config_field_name(i);
        xtars_buf_reset(&value);
        ASSERT_EQ(xtars_config_get_text(from, key, &value, err), XTARS_OK);
        if (xtars_config_set(to, key, value.data, err) != XTARS_OK)
            FAIL("%s = '%s': %s", key, value.data, err);
    }
    ASSERT(xtars_config_field_name(xtars_config_field_count()) == NULL);
    xtars_buf_reset(&value);
    ASSERT_EQ(xtars_config_get_text(from, "extra_headers", &value, err), XTARS_OK);
    ASSERT_STR_EQ(value.data, "{\"X-Team\": \"ui\", \"K\": \"${V}\"}");
    xtars_buf_init(&a, 1 << 20);
    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_config_to_json(from, 0, &a), XTARS_OK);
    ASSERT_EQ(xtars_config_to_json(to, 0, &b), XTARS_OK);
    ASSERT_STR_EQ(b.data, a.data);
    ASSERT_STR_CONTAINS(a.data, "\"temperature\": 0.3,\n");
    ASSERT_STR_CONTAINS(a.data, "\"image_format\": \"jpeg\",\n");
    xtars_buf_cleanup(&a);
    xtars_buf_cleanup(&b);
    xtars_buf_cleanup(&value);
    xtars_config_free(from);
    xtars_config_free(to);
}

/* Set through the API, the source reads "flag" (set by the caller), and
 * messages carry no "(command line)": there may be no command line. */
TEST(opaque_config_set_counts_as_flag_without_command_line_wording)
{
    struct xtars_config *cfg;
    struct xtars_buf out;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_config_new(&cfg), XTARS_OK);
    ASSERT_EQ(xtars_config_set(cfg, "retries", "1", err), XTARS_OK);
    ASSERT_EQ(xtars_config_set(cfg, "stream", "maybe", err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: 'stream' must be true or false, not 'maybe'");
    xtars_buf_init(&out, 1 << 20);
    ASSERT_EQ(xtars_config_to_json(cfg, 1, &out), XTARS_OK);
    ASSERT_STR_CONTAINS(out.data, "\"retries\": {\"value\": 1, \"source\": \"flag\"},\n");
    ASSERT_STR_CONTAINS(out.data, "\"stream\": {\"value\": false, \"source\": \"default\"},\n");
    xtars_buf_cleanup(&out);
    xtars_config_free(cfg);
}
