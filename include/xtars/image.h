/* xtars/image.h: image encoding. The PNG encoder is the only user of libpng;
 * no libpng or zlib type appears here. */
#ifndef XTARS_IMAGE_H
#define XTARS_IMAGE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Versions of the libpng and zlib this process runs with (static strings). */
const char *xtars_image_png_version(void);
const char *xtars_image_zlib_version(void);

#ifdef __cplusplus
}
#endif
#endif
