/* agent/reply/shell.h: what a typed line would run if a POSIX shell (bash,
 * zsh) read it, for the policy's command rules (docs/policy.md).
 *
 * xtars_shell_parse() never fails on syntax: any text is words and commands
 * (prose too), with quoting and escapes removed, split on ; & && || | and
 * newlines and at $(...), `...`, <(...) and (...), wrappers such as sudo, env,
 * nohup or xargs stripped, and the command name reduced to its basename.
 * What it cannot work out is marked (XTARS_SHELL_LINE_OBFUSCATED), never
 * guessed. Ownership: the line returned is freed with xtars_shell_line_free()
 * (accepts NULL); every string and array in it belongs to the line.
 */
#ifndef XTARS_SHELL_H
#define XTARS_SHELL_H

#include <stddef.h>

#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longer text is not analysed: the line is only marked obfuscated (bounded
 * work; nobody types 64 KiB of shell). */
#define XTARS_SHELL_MAX_INPUT (64 * 1024)
/* Nesting of (...), $(...), `...`, sh -c, eval beyond this marks the line
 * obfuscated. */
#define XTARS_SHELL_MAX_DEPTH 16
/* Longest single alternative the matching functions below compare. */
#define XTARS_SHELL_ALT_MAX 255

/* word flags */
#define XTARS_SHELL_WORD_SUBST   0x01u /* holds $(...)/`...` output not worked out */
#define XTARS_SHELL_WORD_PROCSUB 0x02u /* is a <(...) or >(...) */
#define XTARS_SHELL_WORD_VAR     0x04u /* holds a parameter expansion of unknown value */
#define XTARS_SHELL_WORD_DECODED 0x08u /* holds a substitution worked out here (echo, printf, base64 -d) */
#define XTARS_SHELL_WORD_INPUT   0x10u /* redirection target read from (<, <<<, <>) */

/* command flags */
#define XTARS_SHELL_PIPE_IN    0x01u /* reads a pipe (also inside a group the pipe feeds) */
#define XTARS_SHELL_PIPE_OUT   0x02u
#define XTARS_SHELL_BACKGROUND 0x04u
#define XTARS_SHELL_NAME_GLOB  0x08u /* name is an unquoted glob (r? for rm): matched as a pattern */

/* line flags */
#define XTARS_SHELL_LINE_OBFUSCATED 0x01u /* a command name is computed ($(...), $VAR), or the
                                             text is too long or nests too deep to analyse */
#define XTARS_SHELL_LINE_FORK_BOMB  0x02u /* a function that runs itself twice piped or in the
                                             background, whatever its name */

struct xtars_shell_word {
    const char *text; /* unquoted */
    unsigned flags;   /* XTARS_SHELL_WORD_* */
};

struct xtars_shell_command {
    const char *name; /* basename of what runs ("rm" for "/bin/r\m"); "" for a command of
                         only assignments and redirections */
    const char *via;  /* the wrappers it runs under, outermost first, space-separated
                         ("sudo env", "find" for find -exec, "sh" for sh -c); "" */
    const struct xtars_shell_word *args;      /* the words after the name */
    int arg_count;
    const struct xtars_shell_word *redirects; /* redirection targets, in order */
    int redirect_count;
    unsigned flags;   /* XTARS_SHELL_PIPE_IN ... */
};

struct xtars_shell_arena;

struct xtars_shell_line {
    struct xtars_shell_command *commands; /* in the order they appear, inner ones first */
    int count;
    unsigned flags; /* XTARS_SHELL_LINE_* */
    struct xtars_shell_arena *arena;
};

/* Analyses text[0..len) (need not be NUL-terminated). Errors: ENOMEM only. */
xtars_err xtars_shell_parse(const char *text, size_t len, struct xtars_shell_line **out,
                            char *err);

void xtars_shell_line_free(struct xtars_shell_line *line);

/* The tests below take alternatives separated by '|' ("r|R|recursive"). */

/* The command's name matches one of the glob patterns ("mkfs|mkfs.*"); a name
 * that is itself a glob (XTARS_SHELL_NAME_GLOB) matches an alternative it
 * could expand to. */
int xtars_shell_name_matches(const struct xtars_shell_command *cmd, const char *alternatives);

/* One of the options is given, in any spelling: a one-character
 * alternative is a short option (alone or bundled: -rf, -v -r -f), a longer
 * one a long option (--recursive, or an unambiguous-looking prefix --rec),
 * before or after the operands, but not after "--". */
int xtars_shell_has_option(const struct xtars_shell_command *cmd, const char *alternatives);

/* Some argument matches one of the glob patterns (fnmatch, '*' crosses '/');
 * absolute paths are also tried lexically normalised (//etc/./ is /etc). */
int xtars_shell_has_arg(const struct xtars_shell_command *cmd, const char *alternatives);

/* Some output redirection target matches one of the glob patterns. */
int xtars_shell_has_redirect(const struct xtars_shell_command *cmd, const char *alternatives);

/* The command runs under one of these wrappers (see via). */
int xtars_shell_runs_via(const struct xtars_shell_command *cmd, const char *alternatives);

/* An argument or input comes from a substitution or a variable: code or
 * data the line does not show. */
int xtars_shell_is_generated(const struct xtars_shell_command *cmd);

#ifdef __cplusplus
}
#endif
#endif
