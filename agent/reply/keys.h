/* agent/reply/keys.h: key names. The model writes keys many ways ("Control",
 * "arrowleft", "page_down", "cmd", "ctrl+c", "XF86AudioMute"); the parser
 * turns every spelling it knows into one canonical name, and keeps any other
 * name that could be an X keysym name as written, for the executor to
 * resolve (this layer does not depend on X).
 *
 * The canonical set (an executor must handle every one of these):
 *   ctrl shift alt super
 *   enter esc tab backspace delete space
 *   up down left right home end pageup pagedown insert
 *   capslock printscreen
 *   f1 f2 ... f24
 *   any single character, as its UTF-8 bytes (ASCII letters in lowercase:
 *   "A" names the same key as "a"; use "shift a" or type() for a capital)
 *   an X keysym name (Num_Lock, Menu, XF86AudioMute, KP_1): letters, digits
 *   and '_', 2 to XTARS_KEY_NAME_LEN - 1 bytes, as written; the executor
 *   refuses names X does not know (actions/keysym.h)
 *
 * Pure functions over caller buffers; nothing is allocated. See docs/parser.md
 * for the full list of accepted spellings.
 */
#ifndef XTARS_KEYS_H
#define XTARS_KEYS_H

#include <stddef.h>

#include "xtars/action.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Canonical name of the key spelled by name[0..len) (not NUL-terminated; no
 * surrounding spaces), known spellings only: matched without regard to case,
 * '_' and '-' ("Page_Down", "page-down", "PageDown" are "pagedown"; "numlock"
 * is "Num_Lock"). For names people configure (policy rules), where a typo must
 * be an error. EINVAL for an unknown or empty name (out is then ""). */
xtars_err xtars_key_canonical(const char *name, size_t len, char out[XTARS_KEY_NAME_LEN]);

/* Like xtars_key_canonical(), and any other name made of keysym-name
 * characters is kept as written ("XF86AudioMute", "KP_1"): for names a model
 * writes and for recorded actions; the executor resolves or refuses them.
 * EINVAL for an empty name or one that cannot be a key. */
xtars_err xtars_key_name(const char *name, size_t len, char out[XTARS_KEY_NAME_LEN]);

/* Splits a key combination ("ctrl c", "ctrl+c", "Ctrl + Shift + T", "ctrl++")
 * into names as xtars_key_name() gives them, in order. Keys are separated by whitespace and/or one
 * '+'; a '+' where a key is expected (first, or right after a '+' separator)
 * or left over at the end ("ctrl+") is the plus key itself.
 * Errors: EINVAL when a name is unknown or there are no keys at all:
 * *bad_at and *bad_len locate the offending name in text (bad_len 0 when
 * there is none); ERANGE when there are more than max_keys keys (*bad_at is
 * the first extra name). *count is the number of keys stored. */
xtars_err xtars_key_split(const char *text, size_t len, char keys[][XTARS_KEY_NAME_LEN],
                          int max_keys, int *count, size_t *bad_at, size_t *bad_len);

#ifdef __cplusplus
}
#endif
#endif
