/* Errors: every code has a message and a name; the helper keeps one line. */
#include "test.h"
#include "xtars/error.h"

TEST(every_code_has_message_and_name)
{
    for (int e = 0; e < XTARS_ERR_COUNT; e++) {
        ASSERT(xtars_strerror((xtars_err)e) != NULL);
        ASSERT(strcmp(xtars_strerror((xtars_err)e), "unknown error") != 0);
        ASSERT(xtars_err_name((xtars_err)e)[0] == 'E' || e == XTARS_OK);
    }
    ASSERT_STR_EQ(xtars_strerror(XTARS_OK), "success");
    ASSERT_STR_EQ(xtars_strerror(XTARS_ENOMEM), "out of memory");
    ASSERT_STR_EQ(xtars_err_name(XTARS_ECONFIG), "ECONFIG");
    ASSERT_STR_EQ(xtars_err_name(XTARS_OK), "OK");
}

TEST(out_of_range_code)
{
    ASSERT_STR_EQ(xtars_strerror((xtars_err)9999), "unknown error");
    ASSERT_STR_EQ(xtars_strerror((xtars_err)-1), "unknown error");
    ASSERT_STR_EQ(xtars_err_name((xtars_err)9999), "EUNKNOWN");
}

TEST(error_formats_one_line_and_returns_code)
{
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_error(err, XTARS_EIO, "read %s:\nline %d", "a.json", 3), XTARS_EIO);
    ASSERT_STR_EQ(err, "read a.json: line 3");
    ASSERT_EQ(xtars_error(NULL, XTARS_EPARSE, "dropped"), XTARS_EPARSE);
}

TEST(error_truncates_to_buffer)
{
    char err[XTARS_ERRLEN];
    char big[2000];

    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    xtars_error(err, XTARS_EINVAL, "%s", big);
    ASSERT_EQ(strlen(err), XTARS_ERRLEN - 1);
}
