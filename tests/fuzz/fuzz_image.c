/* fuzz_image.c: libFuzzer target for the PNG and JPEG decoders
 * (xtars_image_decode): screenshots read back from trajectories and images
 * given on the command line are untrusted files. A decoded image must be
 * within the size caps, every pixel readable, and must survive a lossless
 * round trip through our own PNG encoder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xtars/image.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void round_trip(const struct xtars_image *img)
{
    struct xtars_image back;
    struct xtars_buf png;
    char err[XTARS_ERRLEN];

    xtars_image_init(&back);
    xtars_buf_init(&png, 64u << 20);
    if (xtars_image_encode_png(img, 1, &png, err) != XTARS_OK ||
        xtars_image_decode(png.data, png.len, &back, err) != XTARS_OK) {
        fprintf(stderr, "re-encoding a decoded image failed: %s\n", err);
        abort();
    }
    if (back.width != img->width || back.height != img->height)
        abort();
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++)
            if (memcmp(back.pixels + (size_t)y * back.stride + 4 * (size_t)x,
                       img->pixels + (size_t)y * img->stride + 4 * (size_t)x, 3) != 0)
                abort();
    xtars_image_cleanup(&back);
    xtars_buf_cleanup(&png);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct xtars_image img;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    if (xtars_image_decode(data, size, &img, err) != XTARS_OK) {
        if (img.pixels != NULL || strchr(err, '\n') != NULL)
            abort(); /* "On failure out is empty" */
        return 0;
    }
    if (img.width < 1 || img.height < 1 || img.stride < 4 * img.width ||
        (long)img.width * img.height > XTARS_IMAGE_MAX_PIXELS)
        abort();
    (void)xtars_image_fingerprint(&img);
    if (xtars_image_diff(&img, &img) != 0.0) /* reads every row */
        abort();
    /* Small images only: the round trip is the slow part. */
    if ((long)img.width * img.height <= 1 << 16)
        round_trip(&img);
    xtars_image_cleanup(&img);
    return 0;
}
