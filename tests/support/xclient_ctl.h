/* xclient_ctl.h: drive the xclient test program (tests/support/xclient.c)
 * from an x11 test or a benchmark: start it on the current DISPLAY, collect the
 * events it recorded up to a sync point, stop it. Every function aborts the
 * test on failure (with the reason), so callers need no error handling. */
#ifndef XTARS_XCLIENT_CTL_H
#define XTARS_XCLIENT_CTL_H

#include <X11/Xlib.h>
#include <cjson/cJSON.h>
#include <sys/types.h>

struct xt_client {
    pid_t pid;
    char out_path[512];
    Window window;
    Display *dpy;       /* the caller's own connection: sync messages, queries */
    long serial;
    long read_offset;   /* bytes of the event file already returned */
};

/* Starts xclient with --geometry (NULL: its default) and waits for "ready".
 * The xclient path comes from $XTARS_XCLIENT or the build tree. */
void xt_client_start(struct xt_client *c, const char *geometry);

/* Sends XTARS_SYNC and waits (up to 20 s) until the client has written it;
 * returns the events recorded since the previous call (a cJSON array the
 * caller frees with cJSON_Delete), sync lines excluded. */
cJSON *xt_client_events(struct xt_client *c);

/* Text of the key_press events in order, with "\r" (Return) as "\n";
 * malloc'd. */
char *xt_events_text(const cJSON *events);

/* Number of events of a type ("button_press", ...). */
int xt_events_count(const cJSON *events, const char *type);

/* The n-th (0-based) event of a type, or NULL. */
const cJSON *xt_events_nth(const cJSON *events, const char *type, int n);

/* Integer member of an event (aborts when missing). */
long xt_event_int(const cJSON *event, const char *name);

/* Asks the client to quit and reaps it; closes c->dpy. */
void xt_client_stop(struct xt_client *c);

#endif
