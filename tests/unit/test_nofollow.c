/* Trajectory and output directories are read and written without following
 * symbolic links, and the report embeds only files that decode as images:
 * a crafted trajectory cannot make xtars copy another file into a report or
 * write through a link it planted (issue 16, point 6). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "agent/base/files.h"
#include "agent/record/report.h"
#include "agent/record/traj_file.h"
#include "agent/record/traj_write.h"
#include "xtars/image.h"
#include "xtars/trajectory.h"

#define SECRET_TEXT "top-secret-file-contents-4471"

/* A 2x2 PNG, written by the encoder under test elsewhere. */
static void write_png(const char *path)
{
    struct xtars_image img;
    struct xtars_buf png;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    ASSERT_EQ(xtars_image_alloc(&img, 2, 2, err), XTARS_OK);
    memset(img.pixels, 0x80, (size_t)img.stride * 2);
    xtars_buf_init(&png, 1 << 20);
    ASSERT_EQ(xtars_image_encode_png(&img, 1, &png, err), XTARS_OK);
    ASSERT_EQ(xtars_write_file_atomic(path, png.data, png.len, err), XTARS_OK);
    xtars_buf_cleanup(&png);
    xtars_image_cleanup(&img);
}

/* A one-step trajectory in dir whose step names screenshot `shot`. */
static void write_run(const char *dir, const char *shot)
{
    char run_json[1024], step[512];

    mkdir(dir, 0755);
    snprintf(run_json, sizeof run_json,
             "{\"format\": \"xtars-trajectory\", \"version\": 1, \"status\": \"finished\", "
             "\"screen\": {\"width\": 2, \"height\": 2}, \"sent\": {\"width\": 2, \"height\": 2}, "
             "\"steps\": 1}");
    snprintf(step, sizeof step, "{\"step\": 1, \"screenshot\": \"%s\", \"actions\": []}\n", shot);
    {
        char path[700];
        snprintf(path, sizeof path, "%s/run.json", dir);
        xt_write_text(path, run_json);
        snprintf(path, sizeof path, "%s/steps.jsonl", dir);
        xt_write_text(path, step);
    }
}

static char *report_of(const char *dir)
{
    char err[XTARS_ERRLEN], path[700];

    if (xtars_report_write(dir, NULL, NULL, err) != XTARS_OK)
        FAIL("report: %s", err);
    snprintf(path, sizeof path, "%s/report.html", dir);
    return xt_slurp(path);
}

TEST(reading_refuses_a_symbolic_link)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN];
    const char *target = xt_tmp_path("secret.txt"), *link = xt_tmp_path("link.png");

    xt_write_text(target, SECRET_TEXT);
    ASSERT_EQ(symlink(target, link), 0);
    /* a link or a FIFO where a file belongs is a bad input (EFORMAT), not I/O */
    ASSERT_EQ(xtars_buf_read_file_nofollow(&b, link, 1 << 20, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "is a symbolic link");
    ASSERT_EQ(xtars_buf_read_file_nofollow(&b, target, 1 << 20, err), XTARS_OK);
    ASSERT_STR_EQ(b.data, SECRET_TEXT);
    xtars_buf_cleanup(&b);
    ASSERT_EQ(mkfifo(xt_tmp_path("fifo"), 0600), 0);
    ASSERT_EQ(xtars_buf_read_file_nofollow(&b, xt_tmp_path("fifo"), 1 << 20, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "not a regular file");
}

TEST(the_report_embeds_no_linked_screenshot)
{
    const char *dir = xt_tmp_path("linked"), *real = xt_tmp_path("elsewhere.png");
    char link[700], *html;

    write_png(real);
    write_run(dir, "step-0001.png");
    snprintf(link, sizeof link, "%s/step-0001.png", dir);
    ASSERT_EQ(symlink(real, link), 0);
    html = report_of(dir);
    ASSERT(strstr(html, "data:image/png") == NULL);
    ASSERT_STR_CONTAINS(html, "is a symbolic link");
    free(html);
}

TEST(the_report_embeds_only_files_that_decode)
{
    const char *dir = xt_tmp_path("crafted");
    char path[700], *html;

    write_run(dir, "step-0001.png");
    snprintf(path, sizeof path, "%s/step-0001.png", dir);
    /* PNG magic, then something else entirely */
    xt_write_text(path, "\x89PNG\r\n\x1a\n<html>" SECRET_TEXT "</html>");
    html = report_of(dir);
    ASSERT(strstr(html, "data:image/png") == NULL);
    ASSERT_STR_CONTAINS(html, "not a PNG or JPEG image that decodes");
    free(html);
    /* the same run with a real PNG is embedded: the check can pass */
    write_png(path);
    html = report_of(dir);
    ASSERT_STR_CONTAINS(html, "data:image/png");
    free(html);
}

TEST(the_reader_refuses_linked_steps)
{
    const char *dir = xt_tmp_path("steps-linked"), *elsewhere = xt_tmp_path("other-steps.jsonl");
    struct xtars_traj_run run;
    char path[700], err[XTARS_ERRLEN];

    write_run(dir, "step-0001.png");
    snprintf(path, sizeof path, "%s/steps.jsonl", dir);
    ASSERT_EQ(rename(path, elsewhere), 0);
    ASSERT_EQ(symlink(elsewhere, path), 0);
    ASSERT(xtars_traj_load(dir, &run, err) != XTARS_OK);
    ASSERT_STR_CONTAINS(err, "is a symbolic link");
}

TEST(writing_goes_through_no_planted_link)
{
    const char *dir = xt_tmp_path("planted"), *victim = xt_tmp_path("victim.txt");
    struct xtars_traj *traj;
    char path[700], tmp[760], err[XTARS_ERRLEN], *text;

    xt_write_text(victim, "untouched");
    mkdir(dir, 0755);
    /* steps.jsonl planted as a link: opening the trajectory fails */
    snprintf(path, sizeof path, "%s/steps.jsonl", dir);
    ASSERT_EQ(symlink(victim, path), 0);
    ASSERT(xtars_traj_open(dir, &traj, err) != XTARS_OK);
    unlink(path);
    /* a link planted at an atomic write's temp name is replaced, not followed */
    snprintf(path, sizeof path, "%s/run.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    ASSERT_EQ(symlink(victim, tmp), 0);
    ASSERT_EQ(xtars_write_file_atomic(path, "{}", 2, err), XTARS_OK);
    text = xt_slurp(victim);
    ASSERT_STR_EQ(text, "untouched");
    free(text);
    text = xt_slurp(path);
    ASSERT_STR_EQ(text, "{}");
    free(text);
}
