/* agent/base/term.h: making untrusted text safe to show on a terminal.
 * Model replies, server bodies and trajectory text can carry escape
 * sequences (OSC 52 writes the clipboard, OSC 0 retitles the window, CSI
 * moves the cursor or clears the screen, bracketed-paste markers fake a
 * paste); written raw to stdout or stderr they would act on the operator's
 * terminal. Implemented in log.c, whose text lines go through it.
 *
 * The escaping (docs/reliability.md, "Terminal safety"): newline and tab
 * pass; every other C0 control, DEL and every C1 control (U+0080-U+009F,
 * 0x9b is a one-byte CSI) is shown as \xHH with its code, as Python's repr()
 * does; each byte of invalid UTF-8 (a raw 0x9b too) is shown as \xHH of the
 * byte. Everything else, backslashes included, is copied unchanged, so the
 * text stays readable. */
#ifndef XTARS_BASE_TERM_H
#define XTARS_BASE_TERM_H

#include <stddef.h>

#include "xtars/buf.h"

/* Appends the n bytes at s to out, escaped as above. Errors of the buffer
 * (ENOMEM, ETOOBIG); out is then left with a prefix of the result. */
xtars_err xtars_term_escape(struct xtars_buf *out, const char *s, size_t n);

/* A newly allocated copy of text (NULL reads as "") with every registered
 * secret redacted, then escaped as above: what a print site writes. NULL
 * when out of memory (the caller shows "[withheld]", never the raw text). */
char *xtars_term_clean(const char *text);

#endif
