/* x11_convert.h: private to capture/ (and its tests): turning an XImage
 * whose pixels are not B,G,R,X bytes (other channel masks, 24 bits per
 * pixel, the other byte order) into B,G,R,X. Not installed. */
#ifndef XTARS_CAPTURE_X11_CONVERT_H
#define XTARS_CAPTURE_X11_CONVERT_H

#include <X11/Xlib.h>
#include <stddef.h>

#include "xtars/error.h"

/* Converts im (8-bit channels at any positions given by its masks) into
 * *buf, growing it (and *size) when needed; rows are 4 * width bytes.
 * ENOMEM. */
xtars_err xtars_x11_convert(XImage *im, unsigned char **buf, size_t *size, char *err);

#endif
