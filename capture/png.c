/* png.c: PNG encoding and decoding; the only user of libpng. */
#include "xtars/image.h"

#include <png.h>
#include <zlib.h>

const char *xtars_image_png_version(void)
{
    return png_get_libpng_ver(NULL);
}

const char *xtars_image_zlib_version(void)
{
    return zlibVersion();
}
