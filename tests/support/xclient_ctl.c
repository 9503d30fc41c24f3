/* xclient_ctl.c: start, sync with and stop the xclient recorder. The sync
 * point is a client message sent after the input under test: the server
 * delivers it after every event the input produced, so once xclient has
 * written the sync line, every earlier event is in its file. */
#include "xclient_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "xtars/buf.h"

static const char *xclient_path(void)
{
    const char *env = getenv("XTARS_XCLIENT");
    return env && env[0] ? env : XT_XCLIENT_PATH;
}

static void read_ready(struct xt_client *c, int fd)
{
    char line[128];
    size_t len = 0;
    struct pollfd pfd = {fd, POLLIN, 0};

    while (len < sizeof line - 1) {
        ssize_t n;
        if (poll(&pfd, 1, 20000) <= 0)
            FAIL("xclient: no 'ready' within 20 s");
        n = read(fd, line + len, 1);
        if (n <= 0)
            FAIL("xclient: exited before 'ready'");
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    if (sscanf(line, "ready %lu", &c->window) != 1)
        FAIL("xclient: unexpected first line '%s'", line);
}

void xt_client_start(struct xt_client *c, const char *geometry)
{
    static int started; /* each client of a test its own file */
    int out[2];

    memset(c, 0, sizeof *c);
    snprintf(c->out_path, sizeof c->out_path, "%s/xclient-%d-%d.jsonl", xt_tmpdir(), (int)getpid(),
             ++started);
    if (pipe(out) != 0)
        FAIL("pipe: %s", strerror(errno));
    c->pid = fork();
    if (c->pid < 0)
        FAIL("fork: %s", strerror(errno));
    if (c->pid == 0) {
        const char *argv[8] = {xclient_path(), "--out", c->out_path, NULL, NULL, NULL};
        if (geometry) {
            argv[3] = "--geometry";
            argv[4] = geometry;
        }
        dup2(out[1], 1);
        close(out[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    read_ready(c, out[0]);
    close(out[0]);
    c->dpy = XOpenDisplay(NULL);
    if (c->dpy == NULL)
        FAIL("xclient: cannot open the display");
}

static void send_message(struct xt_client *c, const char *atom, long value)
{
    XEvent event;

    memset(&event, 0, sizeof event);
    event.xclient.type = ClientMessage;
    event.xclient.window = c->window;
    event.xclient.message_type = XInternAtom(c->dpy, atom, False);
    event.xclient.format = 32;
    event.xclient.data.l[0] = value;
    XSendEvent(c->dpy, c->window, False, NoEventMask, &event);
    XSync(c->dpy, False);
}

/* Reads the event file from c->read_offset; returns the lines up to the sync
 * with c->serial as a cJSON array, or NULL when it is not there yet. */
static cJSON *collect(struct xt_client *c)
{
    struct xtars_buf file;
    cJSON *events;
    char *line, *next, reason[XTARS_ERRLEN];

    if (xtars_buf_read_file(&file, c->out_path, 64u << 20, reason) != XTARS_OK || file.data == NULL)
        return NULL;
    events = cJSON_CreateArray();
    for (line = file.data + c->read_offset; line < file.data + file.len; line = next) {
        cJSON *event;
        char *end = strchr(line, '\n');
        if (end == NULL)
            break; /* a line still being written */
        *end = '\0';
        next = end + 1;
        event = cJSON_Parse(line);
        if (event == NULL)
            FAIL("xclient wrote a line that is not JSON: %s", line);
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(event, "type")), "sync") == 0) {
            long serial = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(event, "serial"));
            cJSON_Delete(event);
            if (serial == c->serial) {
                c->read_offset = (long)(next - file.data);
                xtars_buf_cleanup(&file);
                return events;
            }
            continue;
        }
        cJSON_AddItemToArray(events, event);
    }
    cJSON_Delete(events);
    xtars_buf_cleanup(&file);
    return NULL;
}

cJSON *xt_client_events(struct xt_client *c)
{
    struct timespec pause = {0, 5 * 1000 * 1000};

    send_message(c, "XTARS_SYNC", ++c->serial);
    for (int i = 0; i < 4000; i++) {
        cJSON *events = collect(c);
        if (events)
            return events;
        nanosleep(&pause, NULL);
    }
    FAIL("xclient: sync %ld not seen within 20 s", c->serial);
}

char *xt_events_text(const cJSON *events)
{
    struct xtars_buf text;
    const cJSON *event;

    xtars_buf_init(&text, 16u << 20);
    xtars_buf_puts(&text, "");
    cJSON_ArrayForEach(event, events) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(event, "type"));
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(event, "text"));
        if (strcmp(type, "key_press") != 0 || s == NULL)
            continue;
        xtars_buf_puts(&text, strcmp(s, "\r") == 0 ? "\n" : s);
    }
    return xtars_buf_detach(&text, NULL);
}

int xt_events_count(const cJSON *events, const char *type)
{
    const cJSON *event;
    int count = 0;

    cJSON_ArrayForEach(event, events)
        count += strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(event, "type")), type) == 0;
    return count;
}

const cJSON *xt_events_nth(const cJSON *events, const char *type, int n)
{
    const cJSON *event;

    cJSON_ArrayForEach(event, events)
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(event, "type")), type) == 0 && n-- == 0)
            return event;
    return NULL;
}

long xt_event_int(const cJSON *event, const char *name)
{
    const cJSON *item = event ? cJSON_GetObjectItem(event, name) : NULL;

    if (!cJSON_IsNumber(item))
        FAIL("event has no number '%s'", name);
    return (long)cJSON_GetNumberValue(item);
}

void xt_client_stop(struct xt_client *c)
{
    int status;

    if (c->pid <= 0)
        return;
    send_message(c, "XTARS_QUIT", 0);
    XCloseDisplay(c->dpy);
    c->dpy = NULL;
    for (int i = 0; i < 400 && waitpid(c->pid, &status, WNOHANG) == 0; i++)
        usleep(5000);
    if (waitpid(c->pid, &status, WNOHANG) == 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, &status, 0);
    }
    c->pid = 0;
}
