/* `cmake --install` yields a usable SDK: a C program that includes the public
 * headers and links through pkg-config builds and runs. */
#include <stdio.h>

#include "run.h"
#include "test.h"

TEST(installed_headers_library_and_pkg_config_work)
{
    char script[4096], source[512];
    struct xt_result r;
    FILE *f;

    snprintf(source, sizeof source, "%s/embed.c", xt_tmpdir());
    f = fopen(source, "w");
    ASSERT(f != NULL);
    fputs("#include <stdio.h>\n#include <xtars/config.h>\n#include <xtars/version.h>\n"
          "int main(void) {\n    struct xtars_config c;\n    xtars_config_defaults(&c);\n"
          "    printf(\"%s %d\\n\", XTARS_VERSION, c.max_steps);\n    return 0;\n}\n", f);
    fclose(f);
    snprintf(script, sizeof script,
             "set -e; d='%s'; cmake --install '%s' --prefix \"$d/p\" >/dev/null; "
             "export PKG_CONFIG_PATH=$(dirname $(find \"$d/p\" -name xtars.pc)); "
             "cc %s \"$d/embed.c\" -o \"$d/embed\" $(pkg-config --cflags --libs xtars); \"$d/embed\"",
             xt_tmpdir(), XT_BINARY_DIR, XT_BUILD_CFLAGS);
    r = xt_run((const char *const[]){"sh", "-c", script, NULL}, NULL, NULL);
    if (r.status != 0)
        FAIL("install check failed (%d): %s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.out, " 100\n");
    ASSERT(strncmp(r.out, "0.", 2) == 0);
    xt_result_free(&r);
}
