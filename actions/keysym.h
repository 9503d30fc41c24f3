/* actions/keysym.h: private to actions/: canonical key names and characters
 * to X keysyms, and UTF-8 decoding (keys.c), shared by both executors so a
 * dry run refuses exactly the keys a real run would. Not installed. */
#ifndef XTARS_ACTIONS_KEYSYM_H
#define XTARS_ACTIONS_KEYSYM_H

#include <stddef.h>

#include "xtars/error.h"

/* Key names. Canonical names (docs/actions.md): ctrl shift alt super enter
 * esc tab backspace delete space up down left right home end pageup pagedown
 * insert capslock printscreen f1..f24, exactly one UTF-8 character (ASCII
 * letters are taken in lower case: "A" is the key a; list shift for capitals),
 * or an X keysym name (XStringToKeysym's spelling, else the one that differs
 * only in case: "XF86AudioMute", "num_lock"). Sets *keysym to the X keysym.
 * EINVAL "exec: unknown key 'contrl' (did you mean 'ctrl'?)" otherwise (the
 * hint only when a name is close). */
xtars_err xtars_exec_key_keysym(const char *name, unsigned long *keysym,
                                char err[static XTARS_ERRLEN]);

/* The X keysym that types Unicode code point cp: Latin-1 keysyms are the code
 * point, other characters 0x01000000 + cp, and the control characters
 * backspace, tab, newline, return, escape and delete their function keysyms.
 * 0 for other control characters, surrogates and values above U+10FFFF. */
unsigned long xtars_exec_char_keysym(unsigned long cp);

/* Decodes one UTF-8 character at s (n bytes available). Returns its length
 * (1-4) and sets *cp, or 0 for an invalid, overlong or truncated sequence. */
int xtars_utf8_decode(const char *s, size_t n, unsigned long *cp);

#endif
