/* history.c: the step history and the chat-completions request body built
 * from it (UITARS-FORMAT section 1: prompt as the first user message, each
 * screenshot its own user message, replies as assistant messages). Images
 * are base64-encoded straight into the body buffer, once. Pure: no network,
 * no display, never prints. */
#include "agent/config/config_internal.h"
#include "agent/model/prompt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/base64.h"
#include "agent/base/json.h"

struct step {
    unsigned char *image;  /* NULL: no screenshot, or freed as too old */
    size_t image_len;
    int format;            /* enum xtars_image_format */
    int had_image;         /* a screenshot was added, even if since freed */
    char *reply;           /* NULL until the model answered */
    int label_step;        /* the trajectory's step number, 0 when not labelled */
    char image_name[64];   /* the screenshot's file name in the trajectory, or "" */
};

/* How a body is written: as sent, or as the trajectory records it. */
struct body_mode {
    int record;            /* screenshots by file name, labelled replies by step */
};

/* Texts longer than this are cut in the recorded request. */
#define RECORD_TEXT_KEEP (16u << 10)

struct xtars_history {
    struct step *steps;
    int count, cap;
    int keep_images;
};

static const char image_head[] =
    ",{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:";
static const char image_mid[] = ";base64,";
static const char image_tail[] = "\"}}]}";

const char *xtars_history_mime(int format)
{
    return format == XTARS_IMAGE_JPEG ? "image/jpeg" : "image/png";
}

xtars_err xtars_history_new(int keep_images, struct xtars_history **out)
{
    *out = NULL;
    if (keep_images < 1)
        return XTARS_EINVAL;
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return XTARS_ENOMEM;
    (*out)->keep_images = keep_images;
    return XTARS_OK;
}

void xtars_history_free(struct xtars_history *h)
{
    if (h == NULL)
        return;
    for (int i = 0; i < h->count; i++) {
        free(h->steps[i].image);
        free(h->steps[i].reply);
    }
    free(h->steps);
    free(h);
}

int xtars_history_steps(const struct xtars_history *h)
{
    return h->count;
}

static xtars_err new_step(struct xtars_history *h)
{
    if (h->count == h->cap) {
        int cap = h->cap ? h->cap * 2 : 16;
        struct step *grown = realloc(h->steps, (size_t)cap * sizeof *grown);
        if (grown == NULL)
            return XTARS_ENOMEM;
        h->steps = grown;
        h->cap = cap;
    }
    memset(&h->steps[h->count++], 0, sizeof h->steps[0]);
    return XTARS_OK;
}

/* Frees the bytes of screenshots older than the newest keep_images: they can
 * never be sent again, and a long run must not hold every screenshot. */
static void forget_old_images(struct xtars_history *h)
{
    int kept = 0;

    for (int i = h->count - 1; i >= 0; i--) {
        if (h->steps[i].image == NULL)
            continue;
        if (++kept > h->keep_images) {
            free(h->steps[i].image);
            h->steps[i].image = NULL;
        }
    }
}

xtars_err xtars_history_add_image(struct xtars_history *h, const void *image, size_t len,
                                  int format)
{
    unsigned char *copy;
    struct step *s;

    if (image == NULL || len == 0 || (format != XTARS_IMAGE_PNG && format != XTARS_IMAGE_JPEG))
        return XTARS_EINVAL;
    copy = malloc(len);
    if (copy == NULL)
        return XTARS_ENOMEM;
    if (new_step(h) != XTARS_OK) {
        free(copy);
        return XTARS_ENOMEM;
    }
    memcpy(copy, image, len);
    s = &h->steps[h->count - 1];
    s->image = copy;
    s->image_len = len;
    s->format = format;
    s->had_image = 1;
    forget_old_images(h);
    return XTARS_OK;
}

xtars_err xtars_history_set_reply(struct xtars_history *h, const char *text)
{
    char *copy = strdup(text ? text : "");

    if (copy == NULL)
        return XTARS_ENOMEM;
    if (h->count == 0 && new_step(h) != XTARS_OK) {
        free(copy);
        return XTARS_ENOMEM;
    }
    free(h->steps[h->count - 1].reply);
    h->steps[h->count - 1].reply = copy;
    return XTARS_OK;
}

xtars_err xtars_history_label(struct xtars_history *h, int step, const char *image_name)
{
    struct step *s;

    if (h->count == 0 || step < 1)
        return XTARS_EINVAL;
    s = &h->steps[h->count - 1];
    s->label_step = step;
    snprintf(s->image_name, sizeof s->image_name, "%s", image_name ? image_name : "");
    return XTARS_OK;
}

/* ---- reply rewriting ---- */

/* Start of a "Reflection:" header at the start of a line, or NULL. */
static const char *find_reflection(const char *text)
{
    const char *p = text;

    while ((p = strstr(p, "Reflection:")) != NULL) {
        const char *q = p;
        while (q > text && (q[-1] == ' ' || q[-1] == '\t'))
            q--;
        if (q == text || q[-1] == '\n')
            return q;
        p += 11;
    }
    return NULL;
}

/* The earliest header after a Reflection: section, or the end of text. */
static const char *reflection_end(const char *from)
{
    static const char *const headers[] = {"Action_Summary:", "Thought:", "Action:"};
    const char *best = from + strlen(from);

    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        const char *hit = strstr(from, headers[i]);
        if (hit && hit < best)
            best = hit;
    }
    return best;
}

static int is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* If p starts a coordinate argument such as start_box='(1,2)' (not preceded
 * by an identifier character), returns the length up to and including the
 * opening quote and sets *paren_len to the length of "(...)". */
static size_t match_box_arg(const char *text, const char *p, size_t *paren_len)
{
    static const char *const keys[] = {"start_box", "end_box", "point", "start_point", "end_point"};
    const char *q, *close;

    if (p > text && is_ident(p[-1]))
        return 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t n = strlen(keys[i]);
        if (strncmp(p, keys[i], n) != 0 || is_ident(p[n]))
            continue;
        q = p + n;
        while (*q == ' ')
            q++;
        if (*q++ != '=')
            return 0;
        while (*q == ' ')
            q++;
        if ((*q != '\'' && *q != '"') || q[1] != '(')
            return 0;
        close = q + 2 + strspn(q + 2, "0123456789.,- ");
        if (*close != ')' || close[1] != *q)
            return 0;
        *paren_len = (size_t)(close + 1 - (q + 1));
        return (size_t)(q + 1 - p);
    }
    return 0;
}

static xtars_err wrap_boxes(const char *text, size_t len, struct xtars_buf *out)
{
    const char *p = text, *end = text + len, *copied = text;
    xtars_err rc = XTARS_OK;

    while (rc == XTARS_OK && p < end) {
        size_t paren_len = 0, head = match_box_arg(text, p, &paren_len);
        if (head == 0 || p + head + paren_len > end) {
            p++;
            continue;
        }
        rc = xtars_buf_append(out, copied, (size_t)(p + head - copied));
        if (rc == XTARS_OK)
            rc = xtars_buf_puts(out, "<|box_start|>");
        if (rc == XTARS_OK)
            rc = xtars_buf_append(out, p + head, paren_len);
        if (rc == XTARS_OK)
            rc = xtars_buf_puts(out, "<|box_end|>");
        p += head + paren_len;
        copied = p;
    }
    if (rc == XTARS_OK)
        rc = xtars_buf_append(out, copied, (size_t)(end - copied));
    return rc;
}

xtars_err xtars_history_rewrite_reply(const char *text, int family, struct xtars_buf *out)
{
    struct xtars_buf kept;
    const char *cursor = text, *refl;
    xtars_err rc = XTARS_OK;

    xtars_buf_init(&kept, out->max);
    while (rc == XTARS_OK && (refl = find_reflection(cursor)) != NULL) {
        rc = xtars_buf_append(&kept, cursor, (size_t)(refl - cursor));
        cursor = reflection_end(refl + 11);
    }
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(&kept, cursor);
    if (rc == XTARS_OK && family == XTARS_FAMILY_UITARS15)
        rc = wrap_boxes(kept.data, kept.len, out);
    else if (rc == XTARS_OK)
        rc = xtars_buf_append(out, kept.data, kept.len);
    xtars_buf_cleanup(&kept);
    return rc;
}

/* ---- request body ---- */

static size_t image_message_size(const struct step *s)
{
    return sizeof image_head - 1 + strlen(xtars_history_mime(s->format)) + sizeof image_mid - 1 +
           xtars_base64_encoded_len(s->image_len) + sizeof image_tail - 1;
}

static xtars_err put_image(struct xtars_buf *out, const struct step *s)
{
    size_t need = image_message_size(s);
    xtars_err rc = xtars_buf_reserve(out, need);

    /* Reserved up front so a cap failure cannot leave half a message. */
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, image_head);
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, xtars_history_mime(s->format));
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, image_mid);
    if (rc == XTARS_OK)
        rc = xtars_base64_encode(out, s->image, s->image_len);
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, image_tail);
    return rc;
}

/* A JSON string of text, cut (at a UTF-8 boundary, with a marker saying how
 * much was left out) when recording and longer than RECORD_TEXT_KEEP. */
static xtars_err put_text(struct xtars_buf *out, const char *text, size_t len,
                          const struct body_mode *mode)
{
    size_t keep = RECORD_TEXT_KEEP;
    char marker[80];
    xtars_err rc;

    if (!mode->record || len <= RECORD_TEXT_KEEP)
        return xtars_json_put_stringn(out, text, len);
    while (keep > 0 && ((unsigned char)text[keep] & 0xC0) == 0x80)
        keep--;
    /* the marker goes inside the string: write it unquoted, then close */
    rc = xtars_json_put_stringn(out, text, keep);
    if (rc == XTARS_OK && out->len > 0 && out->data[out->len - 1] == '"') {
        out->data[--out->len] = '\0';
        snprintf(marker, sizeof marker, " [... %zu more bytes not recorded]\"", len - keep);
        rc = xtars_buf_puts(out, marker);
    }
    return rc;
}

static xtars_err put_text_message(struct xtars_buf *out, const char *role, const char *text,
                                  size_t len, const struct body_mode *mode)
{
    xtars_err rc = xtars_buf_printf(out, ",{\"role\":\"%s\",\"content\":", role);

    if (rc == XTARS_OK)
        rc = put_text(out, text, len, mode);
    if (rc == XTARS_OK)
        rc = xtars_buf_putc(out, '}');
    return rc;
}

/* A screenshot as the trajectory records it: by its file name. */
static xtars_err put_image_reference(struct xtars_buf *out, const struct step *s)
{
    xtars_err rc = xtars_buf_puts(out, ",{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                                       "\"image_url\":{\"url\":");

    if (rc == XTARS_OK)
        rc = xtars_json_put_string(out, s->image_name);
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, "}}]}");
    return rc;
}

static xtars_err put_assistant(struct xtars_buf *out, const struct step *s, int family,
                               const struct body_mode *mode)
{
    struct xtars_buf text;
    xtars_err rc;

    /* The trajectory has this reply already: recorded by its step, not again. */
    if (mode->record && s->label_step > 0)
        return xtars_buf_printf(out, ",{\"role\":\"assistant\",\"reply_of_step\":%d}",
                                s->label_step);
    xtars_buf_init(&text, out->max);
    rc = xtars_history_rewrite_reply(s->reply, family, &text);
    if (rc == XTARS_OK)
        rc = put_text_message(out, "assistant", text.data ? text.data : "", text.len, mode);
    xtars_buf_cleanup(&text);
    return rc;
}

static xtars_err put_params(struct xtars_buf *out, const struct xtars_config *cfg)
{
    xtars_err rc = xtars_buf_puts(out, "],\"temperature\":");

    if (rc == XTARS_OK)
        rc = xtars_json_put_number(out, cfg->temperature);
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, ",\"top_p\":");
    if (rc == XTARS_OK)
        rc = xtars_json_put_number(out, cfg->top_p);
    if (rc == XTARS_OK)
        rc = xtars_buf_printf(out, ",\"max_tokens\":%d", cfg->max_tokens);
    if (rc == XTARS_OK && cfg->seed >= 0)
        rc = xtars_buf_printf(out, ",\"seed\":%d", cfg->seed);
    /* include_usage: without it streaming servers (vLLM, OpenAI) report no
     * token counts. */
    if (rc == XTARS_OK && cfg->stream)
        rc = xtars_buf_puts(out, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    if (rc == XTARS_OK)
        rc = xtars_buf_putc(out, '}');
    return rc;
}

/* One body with the images flagged in `send`. */
static xtars_err write_body(const struct xtars_config *cfg, const char *prompt_text,
                            const struct xtars_history *h, const char *extra_text,
                            const unsigned char *send, const struct body_mode *mode,
                            struct xtars_buf *out)
{
    xtars_err rc = xtars_buf_puts(out, "{\"model\":");

    if (rc == XTARS_OK)
        rc = xtars_json_put_string(out, cfg->model);
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, ",\"messages\":[{\"role\":\"user\",\"content\":");
    if (rc == XTARS_OK)
        rc = put_text(out, prompt_text, strlen(prompt_text), mode);
    if (rc == XTARS_OK)
        rc = xtars_buf_putc(out, '}');
    for (int i = 0; rc == XTARS_OK && i < h->count; i++) {
        if (send[i])
            rc = mode->record ? put_image_reference(out, &h->steps[i]) : put_image(out, &h->steps[i]);
        if (rc == XTARS_OK && h->steps[i].reply)
            rc = put_assistant(out, &h->steps[i], cfg->family, mode);
    }
    if (rc == XTARS_OK && extra_text)
        rc = put_text_message(out, "user", extra_text, strlen(extra_text), mode);
    if (rc == XTARS_OK)
        rc = put_params(out, cfg);
    return rc;
}

/* Marks the newest history_images screenshots; counts the others. */
static void choose_window(const struct xtars_config *cfg, const struct xtars_history *h,
                          unsigned char *send, struct xtars_request_stats *st)
{
    int chosen = 0;

    for (int i = h->count - 1; i >= 0; i--) {
        const struct step *s = &h->steps[i];
        if (s->image && chosen < cfg->history_images) {
            send[i] = 1;
            chosen++;
        } else if (s->had_image) {
            st->images_dropped_window++;
        }
    }
}

/* Drops the oldest chosen screenshots until text_len plus the images fit. */
static xtars_err fit_cap(const struct xtars_config *cfg, const struct xtars_history *h,
                         size_t text_len, unsigned char *send, struct xtars_request_stats *st,
                         char *err)
{
    size_t cap = (size_t)cfg->max_request_bytes, total = text_len;
    int newest = -1;

    for (int i = 0; i < h->count; i++) {
        if (send[i]) {
            total += image_message_size(&h->steps[i]);
            newest = i;
        }
    }
    for (int i = 0; i < h->count && total > cap; i++) {
        if (!send[i] || i == newest)
            continue;
        send[i] = 0;
        total -= image_message_size(&h->steps[i]);
        st->images_dropped_cap++;
    }
    if (total > cap && newest < 0)
        return xtars_error(err, XTARS_ETOOBIG,
                           "prompt: the request text alone needs %zu bytes, more than "
                           "max_request_bytes=%ld", total, cfg->max_request_bytes);
    if (total > cap)
        return xtars_error(err, XTARS_ETOOBIG,
                           "prompt: the request needs %zu bytes with only the newest screenshot "
                           "(%zu bytes as PNG/JPEG), more than max_request_bytes=%ld",
                           total, h->steps[newest].image_len,
                           cfg->max_request_bytes);
    return XTARS_OK;
}

static void count_sent(const struct xtars_history *h, const unsigned char *send,
                       struct xtars_request_stats *st)
{
    for (int i = 0; i < h->count; i++) {
        if (send[i]) {
            st->images_sent++;
            st->image_bytes += h->steps[i].image_len;
        }
        if (h->steps[i].reply)
            st->assistant_messages++;
    }
}

xtars_err xtars_request_build(const struct xtars_config *cfg, const char *prompt_text,
                              const struct xtars_history *h, const char *extra_text,
                              struct xtars_buf *out, struct xtars_request_stats *stats,
                              char *err)
{
    return xtars_request_build_recorded(cfg, prompt_text, h, extra_text, out, NULL, stats, err);
}

xtars_err xtars_request_build_recorded(const struct xtars_config *cfg, const char *prompt_text,
                                       const struct xtars_history *h, const char *extra_text,
                                       struct xtars_buf *out, struct xtars_buf *record,
                                       struct xtars_request_stats *stats, char *err)
{
    static const struct body_mode as_sent = {0}, recorded = {1};
    struct xtars_request_stats st = {0};
    unsigned char *send = calloc((size_t)h->count + 1, 1);
    xtars_err rc;

    if (send == NULL)
        return xtars_error(err, XTARS_ENOMEM, "prompt: out of memory");
    xtars_buf_reset(out);
    choose_window(cfg, h, send, &st);
    /* First pass without images measures the text; images have known sizes. */
    {
        unsigned char *none = calloc((size_t)h->count + 1, 1);
        rc = none ? write_body(cfg, prompt_text, h, extra_text, none, &as_sent, out) : XTARS_ENOMEM;
        free(none);
    }
    if (rc == XTARS_OK)
        rc = fit_cap(cfg, h, out->len, send, &st, err);
    else
        xtars_error(err, rc, "prompt: the request text does not fit: %s", xtars_strerror(rc));
    if (rc == XTARS_OK) {
        xtars_buf_reset(out);
        rc = write_body(cfg, prompt_text, h, extra_text, send, &as_sent, out);
        if (rc != XTARS_OK)
            xtars_error(err, rc, "prompt: cannot build the request body (%zu bytes so far): %s",
                        out->len, xtars_strerror(rc));
    }
    if (record) { /* past its cap it is left empty: the request still goes out */
        xtars_buf_reset(record);
        if (rc != XTARS_OK ||
            write_body(cfg, prompt_text, h, extra_text, send, &recorded, record) != XTARS_OK)
            xtars_buf_reset(record);
    }
    if (rc == XTARS_OK)
        count_sent(h, send, &st);
    if (stats)
        *stats = rc == XTARS_OK ? st : (struct xtars_request_stats){0};
    free(send);
    return rc;
}
