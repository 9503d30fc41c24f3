/* Credentials inside config values: the endpoint URL's user information and
 * query values, literal credential headers. Expected strings written by hand. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "agent/base/redact.h"
#include "agent/config/config_internal.h"
#include "xtars/buf.h"
#include "xtars/log.h"

static void url_shown(const char *url, const char *expected)
{
    char out[256];

    xtars_redact_url(url, out, sizeof out);
    ASSERT_STR_EQ(out, expected);
}

TEST(url_loses_user_information_query_and_fragment)
{
    url_shown("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1");
    url_shown("https://ada:s3cretpass@api.example/v1", "https://api.example/v1");
    url_shown("https://api.example/v1?api-version=2024&token=tok_abcdef", "https://api.example/v1");
    url_shown("https://u@h/p#frag", "https://h/p");
    /* an '@' after the path is not user information */
    url_shown("http://h/v1/a@b", "http://h/v1/a@b");
    url_shown("", "");
}

/* A password with a raw '@' (or a '@' in the query): the user information
 * runs to the last '@' before the path, as URL parsers read it, so no piece
 * of the password is shown as if it were the host. */
TEST(url_user_information_ends_at_the_last_at_sign)
{
    char *shown;

    url_shown("https://ada:p@ssw0rd@api.example/v1", "https://api.example/v1");
    url_shown("http://h?x=a@b/c", "http://h");
    ASSERT_EQ(xtars_redact_add_url("https://ada:p@ssw0rd@api.example/v1"), XTARS_OK);
    shown = xtars_log_redact("connect to https://ada:p@ssw0rd@api.example/v1 failed");
    ASSERT(strstr(shown, "ssw0rd") == NULL);
    ASSERT_STR_CONTAINS(shown, "api.example/v1");
    free(shown);
    xtars_log_cleanup();
}

TEST(url_credentials_are_redacted_wherever_they_appear)
{
    char *shown;

    ASSERT_EQ(xtars_redact_add_url("https://ada:s3cretpass@api.example/v1?k=tok_abcdef&v=1"),
              XTARS_OK);
    shown = xtars_log_redact("curl: (7) https://ada:s3cretpass@api.example/v1?k=tok_abcdef failed");
    ASSERT(strstr(shown, "s3cretpass") == NULL);
    ASSERT(strstr(shown, "tok_abcdef") == NULL);
    ASSERT(strstr(shown, "ada:") == NULL);
    ASSERT_STR_CONTAINS(shown, "api.example/v1");
    free(shown);
    xtars_log_cleanup();
}

TEST(credential_headers_are_known_by_name)
{
    static const char *const yes[] = {"Authorization", "proxy-authorization", "Cookie", "api-key",
                                      "X-API-Key", "X-Goog-Api-Key", "X-Auth-Token", "Client-Secret"};
    static const char *const no[] = {"X-Request-Id", "Accept", "OpenAI-Organization", "User-Agent"};

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        ASSERT_EQ(xtars_redact_is_credential_header(yes[i], strlen(yes[i])), 1);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        ASSERT_EQ(xtars_redact_is_credential_header(no[i], strlen(no[i])), 0);
}

TEST(literal_header_values_are_redacted_and_shown_as_stars)
{
    struct xtars_config *cfg;
    struct xtars_buf json;
    char err[XTARS_ERRLEN], *shown;

    ASSERT_EQ(xtars_config_new(&cfg), XTARS_OK);
    ASSERT_EQ(xtars_config_set(cfg, "extra_headers",
                               "{\"X-Api-Key\": \"literal-key-998877\", \"Authorization\": "
                               "\"Bearer ${XT_TOKEN}\", \"X-Trace\": \"visible-123\"}",
                               err),
              XTARS_OK);
    ASSERT_EQ(xtars_config_set(cfg, "endpoint", "http://ada:s3cretpass@127.0.0.1:9/v1?t=tok_qwerty",
                               err),
              XTARS_OK);
    xtars_buf_init(&json, 1 << 20);
    ASSERT_EQ(xtars_config_to_json(cfg, 0, &json), XTARS_OK);
    ASSERT(strstr(json.data, "literal-key-998877") == NULL);
    ASSERT_STR_CONTAINS(json.data, "\"X-Api-Key\": \"***\"");
    ASSERT_STR_CONTAINS(json.data, "\"Authorization\": \"Bearer ${XT_TOKEN}\""); /* a reference */
    ASSERT_STR_CONTAINS(json.data, "\"X-Trace\": \"visible-123\"");
    ASSERT_STR_CONTAINS(json.data, "\"endpoint\": \"http://127.0.0.1:9/v1\"");
    ASSERT(strstr(json.data, "s3cretpass") == NULL && strstr(json.data, "tok_qwerty") == NULL);

    ASSERT_EQ(xtars_redact_add_headers("X-Api-Key: literal-key-998877\nAuthorization: Bearer "
                                       "sk-abcdef123456\nX-Trace: visible-123\n"),
              XTARS_OK);
    shown = xtars_log_redact("sent literal-key-998877 and sk-abcdef123456 with visible-123");
    ASSERT_STR_EQ(shown, "sent [redacted] and [redacted] with visible-123");
    free(shown);
    xtars_log_cleanup();
    xtars_buf_cleanup(&json);
    xtars_config_free(cfg);
}
