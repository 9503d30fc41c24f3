/* The model client under `xtars batch`'s request limit: with
 * $XTARS_INFLIGHT_DIR set, no request goes out without a slot, the slot is
 * held until the reply has arrived, and a stop ends the wait for one. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent/config/config_internal.h"
#include "mserver.h"
#include "test.h"
#include "agent/model/inflight.h"
#include "xtars/model.h"

static const char body[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

static struct xtars_model *model_for(const char *endpoint)
{
    struct xtars_config cfg;
    struct xtars_model *m;
    char err[XTARS_ERRLEN];

    setenv("no_proxy", "127.0.0.1", 1);
    setenv("NO_PROXY", "127.0.0.1", 1);
    xtars_config_defaults(&cfg);
    snprintf(cfg.endpoint, sizeof cfg.endpoint, "%s", endpoint);
    cfg.retries = 0;
    if (xtars_model_new(&cfg, &m, err) != XTARS_OK)
        FAIL("%s", err);
    return m;
}

static int request_count(const struct xt_mserver *s)
{
    cJSON *requests = xt_mserver_requests(s);
    int n = cJSON_GetArraySize(requests);

    cJSON_Delete(requests);
    return n;
}

struct stopper {
    atomic_int *flag;
};

static void *stop_soon(void *arg)
{
    struct stopper *st = arg;

    usleep(300 * 1000);
    *st->flag = 1;
    return NULL;
}

TEST(no_request_without_a_slot)
{
    struct xt_mserver s;
    struct xtars_inflight *holder;
    struct xtars_model *m;
    struct xtars_model_reply reply;
    atomic_int stop = 0;
    struct stopper st = {&stop};
    char dir[600], err[XTARS_ERRLEN], want[700];
    pthread_t thread;

    xt_mserver_start(&s, "[{\"reply\": \"Action: wait()\", \"repeat\": 3}]", NULL);
    ASSERT_EQ(xtars_inflight_create(xt_tmpdir(), 1, dir, sizeof dir, err), XTARS_OK);
    setenv(XTARS_INFLIGHT_ENV, dir, 1);
    m = model_for(s.endpoint);
    xtars_model_set_stop(m, &stop);
    ASSERT_EQ(xtars_inflight_open(dir, &holder, err), XTARS_OK);
    ASSERT_EQ(xtars_inflight_acquire(holder, NULL, NULL, err), XTARS_OK);
    /* The only slot is taken: the client waits until it is told to stop. */
    ASSERT_EQ(pthread_create(&thread, NULL, stop_soon, &st), 0);
    ASSERT_EQ(xtars_model_complete(m, body, strlen(body), &reply, err), XTARS_ESTOPPED);
    pthread_join(thread, NULL);
    snprintf(want, sizeof want, "model: stopped while waiting to ask %s", s.url);
    ASSERT_STR_EQ(err, want);
    xtars_model_reply_cleanup(&reply);
    ASSERT_EQ(request_count(&s), 0);
    /* Freed, it goes. */
    stop = 0;
    xtars_inflight_release(holder);
    ASSERT_EQ(xtars_model_complete(m, body, strlen(body), &reply, err), XTARS_OK);
    ASSERT_STR_EQ(reply.text, "Action: wait()");
    xtars_model_reply_cleanup(&reply);
    ASSERT_EQ(request_count(&s), 1);
    xtars_model_free(m);
    xtars_inflight_free(holder);
    xt_mserver_stop(&s);
    xtars_inflight_remove(dir);
}

/* Whether the server has logged a whole request line (it may be writing one). */
static int logged(const struct xt_mserver *s)
{
    char buf[1 << 16];
    FILE *f = fopen(s->log, "r");
    size_t n;

    if (f == NULL)
        return 0;
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return memchr(buf, '\n', n) != NULL;
}

struct prober {
    const struct xt_mserver *s;
    const char *dir;
    int slot_free_during_request;   /* -1: never saw the request */
};

/* Waits for the delayed request to reach the server, then tries the slot. */
static void *probe(void *arg)
{
    struct prober *p = arg;
    struct xtars_inflight *inf;
    atomic_int give_up = 1;
    char err[XTARS_ERRLEN];

    for (int i = 0; i < 500 && !logged(p->s); i++)
        usleep(10000);
    if (!logged(p->s) || xtars_inflight_open(p->dir, &inf, err) != XTARS_OK)
        return NULL;
    p->slot_free_during_request = xtars_inflight_acquire(inf, &give_up, NULL, err) == XTARS_OK;
    xtars_inflight_free(inf);
    return NULL;
}

TEST(the_slot_is_held_until_the_reply_arrives)
{
    struct xt_mserver s;
    struct xtars_model *m;
    struct xtars_model_reply reply;
    struct xtars_inflight *after;
    struct prober p = {NULL, NULL, -1};
    char dir[600], err[XTARS_ERRLEN];
    pthread_t thread;

    xt_mserver_start(&s, "[{\"reply\": \"Action: wait()\", \"delay_ms\": 1500}]", NULL);
    ASSERT_EQ(xtars_inflight_create(xt_tmpdir(), 1, dir, sizeof dir, err), XTARS_OK);
    setenv(XTARS_INFLIGHT_ENV, dir, 1);
    m = model_for(s.endpoint);
    p.s = &s;
    p.dir = dir;
    ASSERT_EQ(pthread_create(&thread, NULL, probe, &p), 0);
    ASSERT_EQ(xtars_model_complete(m, body, strlen(body), &reply, err), XTARS_OK);
    pthread_join(thread, NULL);
    ASSERT_EQ(p.slot_free_during_request, 0);
    xtars_model_reply_cleanup(&reply);
    ASSERT_EQ(xtars_inflight_open(dir, &after, err), XTARS_OK);
    ASSERT_EQ(xtars_inflight_acquire(after, NULL, NULL, err), XTARS_OK);
    xtars_inflight_free(after);
    xtars_model_free(m);
    xt_mserver_stop(&s);
    xtars_inflight_remove(dir);
}

TEST(a_bad_slot_directory_is_a_config_error)
{
    struct xtars_config cfg;
    struct xtars_model *m;
    char err[XTARS_ERRLEN];

    setenv(XTARS_INFLIGHT_ENV, "/nonexistent-xtars-slots", 1);
    xtars_config_defaults(&cfg);
    ASSERT_EQ(xtars_model_new(&cfg, &m, err), XTARS_ECONFIG);
    ASSERT(m == NULL);
    ASSERT_STR_EQ(err, "model: inflight: /nonexistent-xtars-slots/slot-0: No such file or directory "
                       "(is $XTARS_INFLIGHT_DIR a directory made by xtars batch?)");
    /* Unset or empty: no limit. */
    setenv(XTARS_INFLIGHT_ENV, "", 1);
    ASSERT_EQ(xtars_model_new(&cfg, &m, err), XTARS_OK);
    xtars_model_free(m);
}
