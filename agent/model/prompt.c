/* prompt.c: prompt templates: finding a template file by name and filling in
 * {language} and {instruction}. Templates are data (configs/prompts/); this
 * file never edits their text beyond the two placeholders. Never prints. */
#include "agent/model/prompt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef XTARS_SOURCE_PROMPT_DIR
#define XTARS_SOURCE_PROMPT_DIR ""
#endif
#ifndef XTARS_INSTALL_PROMPT_DIR
#define XTARS_INSTALL_PROMPT_DIR ""
#endif

#define MAX_DIRS 4

static int is_path(const char *name)
{
    size_t n = strlen(name);

    return strchr(name, '/') != NULL || (n > 4 && strcmp(name + n - 4, ".txt") == 0);
}

static int is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The lookup order of docs/model.md; empty entries are skipped. */
static int search_dirs(const char *prompt_dir, char dirs[MAX_DIRS][1024])
{
    const char *data_dir = getenv("XTARS_DATA_DIR");
    int n = 0;

    if (prompt_dir && *prompt_dir)
        snprintf(dirs[n++], 1024, "%s", prompt_dir);
    if (data_dir && *data_dir)
        snprintf(dirs[n++], 1024, "%s/prompts", data_dir);
    if (*XTARS_SOURCE_PROMPT_DIR)
        snprintf(dirs[n++], 1024, "%s", XTARS_SOURCE_PROMPT_DIR);
    if (*XTARS_INSTALL_PROMPT_DIR)
        snprintf(dirs[n++], 1024, "%s", XTARS_INSTALL_PROMPT_DIR);
    return n;
}

static xtars_err read_template(const char *path, struct xtars_buf *out, char *err)
{
    struct xtars_buf text;
    char reason[XTARS_ERRLEN];
    xtars_err rc;

    rc = xtars_buf_read_file(&text, path, XTARS_PROMPT_MAX_BYTES, reason);
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "prompt: %s", reason);
    rc = xtars_buf_append(out, text.data, text.len);
    xtars_buf_cleanup(&text);
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "prompt: %s: %s", path, xtars_strerror(rc));
    return XTARS_OK;
}

xtars_err xtars_prompt_load(const char *name, const char *prompt_dir, struct xtars_buf *out,
                            char *err)
{
    char dirs[MAX_DIRS][1024], path[1100];
    struct xtars_buf tried;
    int count;

    if (name == NULL || *name == '\0')
        return xtars_error(err, XTARS_ECONFIG, "prompt: no template name given");
    if (is_path(name))
        return read_template(name, out, err);
    if (strlen(name) > 200)
        return xtars_error(err, XTARS_ECONFIG, "prompt: template name '%.40s...' is too long", name);
    count = search_dirs(prompt_dir, dirs);
    for (int i = 0; i < count; i++) {
        int n = snprintf(path, sizeof path, "%s/%s.txt", dirs[i], name);
        if (n > 0 && (size_t)n < sizeof path && is_file(path))
            return read_template(path, out, err);
    }
    xtars_buf_init(&tried, 4096);
    for (int i = 0; i < count; i++)
        xtars_buf_printf(&tried, "%s%s", i ? ", " : "", dirs[i]);
    xtars_error(err, XTARS_ECONFIG, "prompt: template '%s' not found (looked for %s.txt in %s)",
                name, name, tried.data ? tried.data : "no directory");
    xtars_buf_cleanup(&tried);
    return XTARS_ECONFIG;
}

xtars_err xtars_prompt_render(const char *template_text, const char *language,
                              const char *instruction, struct xtars_buf *out)
{
    static const char lang_mark[] = "{language}", instr_mark[] = "{instruction}";
    const char *cursor = template_text;
    int used_instruction = 0;
    xtars_err rc = XTARS_OK;

    while (rc == XTARS_OK && *cursor) {
        const char *brace = strchr(cursor, '{');
        if (brace == NULL)
            brace = cursor + strlen(cursor);
        rc = xtars_buf_append(out, cursor, (size_t)(brace - cursor));
        cursor = brace;
        if (rc != XTARS_OK || *cursor == '\0')
            break;
        if (strncmp(cursor, lang_mark, sizeof lang_mark - 1) == 0) {
            rc = xtars_buf_puts(out, language);
            cursor += sizeof lang_mark - 1;
        } else if (strncmp(cursor, instr_mark, sizeof instr_mark - 1) == 0) {
            rc = xtars_buf_puts(out, instruction);
            cursor += sizeof instr_mark - 1;
            used_instruction = 1;
        } else {
            rc = xtars_buf_putc(out, '{');
            cursor++;
        }
    }
    if (rc == XTARS_OK && !used_instruction)
        rc = xtars_buf_puts(out, instruction);
    return rc;
}
