/* fuzz_image_decode: libFuzzer target for the image decoders (PNG through
 * libpng, JPEG through libjpeg-turbo), which read untrusted files: replays,
 * imported trajectories. Any input must give an image or an error, never a
 * crash, a leak or an exit. A decoded image is then resized and PNG-encoded
 * on the fast path and must decode back to the same pixels. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xtars/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct xtars_image *img)
{
    struct xtars_image resized, back;
    struct xtars_buf png;
    char err[XTARS_ERRLEN];

    xtars_image_init(&resized);
    xtars_image_init(&back);
    xtars_buf_init(&png, 64 << 20);
    if (xtars_image_resize(img, img->width / 2 + 1, img->height / 3 + 1, &resized, err) != XTARS_OK ||
        xtars_image_encode_png_resized(img, resized.width, resized.height, 1, &png, err) != XTARS_OK ||
        xtars_image_decode_png(png.data, png.len, &back, err) != XTARS_OK)
        abort();
    for (int y = 0; y < back.height; y++)
        for (int x = 0; x < back.width; x++)
            if (memcmp(back.pixels + (size_t)y * back.stride + 4 * (size_t)x,
                       resized.pixels + (size_t)y * resized.stride + 4 * (size_t)x, 3) != 0)
                abort();
    xtars_buf_cleanup(&png);
    xtars_image_cleanup(&resized);
    xtars_image_cleanup(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xtars_image img;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    if (xtars_image_decode(data, size, &img, err) == XTARS_OK) {
        if (img.pixels == NULL || img.width < 1 || img.height < 1 || img.capacity == 0)
            abort();
        if ((long)img.width * img.height <= 1 << 20)
            check_round_trip(&img);
    } else if (img.pixels != NULL) {
        abort(); /* a failed decode leaves the image empty */
    }
    xtars_image_cleanup(&img);
    return 0;
}
