/* The report in a real browser (Debian's headless chromium): `xtars import`
 * (a UI-TARS-desktop export) and `xtars report` write a report, and a harness page (outside it, so the
 * report's own CSP stays as it is) loads it in a frame, checks that the
 * deep link #step-2 shows step 2 alone, presses j, k, End and m as a user
 * would and reads what the page shows, checks that every image decoded,
 * and that nothing was logged to the console (a CSP violation, a script
 * error) and no script error was counted by the page. The same for a
 * batch's index.html: sorting by a column heading and filtering by status
 * and text. And a report that is still arriving (served over HTTP, held
 * halfway until the harness lets it go): the steps that have arrived are
 * shown and the keys work, a step asked for early is shown when it comes. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/run/batch.h"
#include "run.h"
#include "test.h"
#include "xtars/buf.h"

/* A harness page: the page under test (src) in a frame and, once it has
 * loaded, check(frame), which says what it finds; the title then reads
 * "done k=v k=v ...". */
#define HARNESS(src)                                                                      \
    "<!DOCTYPE html><html><head><title>pending</title></head><body>"                      \
    "<iframe id=\"f\" width=\"1366\" height=\"768\" src=\"" src "\"></iframe>"            \
    "<script>\n"                                                                          \
    "var out = [];\n"                                                                     \
    "function say(k, v) { out.push(k + '=' + v); }\n"                                     \
    "document.getElementById('f').addEventListener('load', function () {\n"               \
    "  try { check(this); } catch (e) { document.title = 'done harness error ' + e; }\n"  \
    "});\n"                                                                               \
    "function check(frame) {\n"

static const char harness[] =
    HARNESS("report.html#step-2")
    "  var w = frame.contentWindow, d = w.document, html = d.documentElement;\n"
    "  function key(k) { d.dispatchEvent(new w.KeyboardEvent('keydown', {key: k, bubbles: true})); }\n"
    "  function shown() {\n"
    "    return Array.prototype.filter.call(d.querySelectorAll('section.step'), function (s) {\n"
    "      return w.getComputedStyle(s).display !== 'none'; }).map(function (s) { return s.getAttribute('data-id'); }).join(',');\n"
    "  }\n"
    "  function marks() {\n"
    "    var m = d.querySelector('section.current svg.marks');\n"
    "    return m ? w.getComputedStyle(m).display : 'absent';\n"
    "  }\n"
    "  say('js', html.classList.contains('js'));\n"
    "  say('deeplink', shown());\n"
    "  say('marks', marks());\n"
    "  key('j'); say('j', shown());\n"
    "  key('ArrowRight'); say('right', shown());\n"
    "  key('k'); key('k'); key('ArrowLeft'); say('back', shown());\n"
    "  key('End'); say('end', shown());\n"
    "  key('Home'); say('home', shown());\n"
    "  say('marks_before', marks());\n"
    "  key('m'); say('marks_off', marks());\n"
    "  say('box', d.getElementById('markers').checked);\n"
    "  key('m'); say('marks_on', marks());\n"
    "  var film = d.querySelector('nav.film a.current');\n"
    "  say('film', film ? film.getAttribute('href') : 'none');\n"
    "  var im = Array.prototype.slice.call(d.images), polls = 0;\n"
    "  im.forEach(function (i) { i.loading = 'eager'; });\n"
    "  (function wait() {\n"
    "    var loaded = im.filter(function (i) { return i.complete; }).length;\n"
    "    if (loaded < im.length && ++polls < 600) { setTimeout(wait, 50); return; }\n"
    "    say('images', im.length);\n"
    "    say('decoded', im.filter(function (i) { return i.naturalWidth > 0; }).length);\n"
    "    say('errors', html.getAttribute('data-js-errors') || 0);\n"
    "    same(d, function () { document.title = 'done ' + out.join(' '); });\n"
    "  })();\n"
    "}\n"
    "/* each screenshot shown, byte for byte the file its caption names (read\n"
    "   beside the report: the harness is in the trajectory directory) */\n"
    "function same(d, then) {\n"
    "  var shots = Array.prototype.slice.call(d.querySelectorAll('figure.shot')), equal = 0, left = shots.length;\n"
    "  if (!left) { say('same', 0); then(); return; }\n"
    "  shots.forEach(function (f) {\n"
    "    var name = /\\((step-[0-9]+\\.png),/.exec(f.querySelector('figcaption').textContent)[1];\n"
    "    var x = new XMLHttpRequest();\n"
    "    x.open('GET', name); x.responseType = 'arraybuffer';\n"
    "    x.onloadend = function () {\n"
    "      var bytes = new Uint8Array(x.response || new ArrayBuffer(0)), text = '';\n"
    "      for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);\n"
    "      var src = f.querySelector('img.full').getAttribute('src');\n"
    "      if (bytes.length && src === 'data:image/png;base64,' + btoa(text)) equal++;\n"
    "      if (--left === 0) { say('same', equal + '/' + shots.length); then(); }\n"
    "    };\n"
    "    x.send();\n"
    "  });\n"
    "}\n"
    "</script></body></html>\n";

/* Loads url in headless Chromium (with a virtual time budget unless
 * budget_ms is 0) and returns what it dumped: the harness reports in its
 * <title> ("done ..."). Fails on any console message (a CSP violation, a
 * script error) and when the harness did not finish. */
static struct xt_result run_chromium(const char *url, const char *profile_name, int budget_ms)
{
    char profile[900], budget[64] = "--v=0";
    struct xt_result r;

    snprintf(profile, sizeof profile, "--user-data-dir=%s/%s", xt_tmpdir(), profile_name);
    if (budget_ms > 0)
        snprintf(budget, sizeof budget, "--virtual-time-budget=%d", budget_ms);
    r = xt_run((const char *const[]){"chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                     "--no-first-run", "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync",
                                     "--allow-file-access-from-files", "--enable-logging=stderr",
                                     "--v=0", budget, profile, "--dump-dom", url, NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    if (strstr(r.err, ":CONSOLE"))
        FAIL("the page logged to the console:\n%s", r.err);
    if (!strstr(r.out, "<title>done "))
        FAIL("the harness did not finish:\n%s\n%s", r.out, r.err);
    return r;
}

/* Writes the harness page to path and loads it (run_chromium). */
static struct xt_result run_harness(const char *path, const char *page, const char *profile_name,
                                    int budget_ms)
{
    char url[1000];

    xt_write_text(path, page);
    snprintf(url, sizeof url, "file://%s", path);
    return run_chromium(url, profile_name, budget_ms);
}

TEST(keys_deep_links_markers_and_images_work_in_chromium)
{
    char dir[700], src[800], page[900];
    struct xt_result r;

    if (access("/usr/bin/chromium", X_OK) != 0)
        SKIP("/usr/bin/chromium is not installed (make deps installs it)");
    snprintf(dir, sizeof dir, "%s/run", xt_tmpdir());
    snprintf(src, sizeof src, "%s/tests/data/import/uitars-desktop/basic.json", XT_SOURCE_DIR);
    r = xt_run((const char *const[]){"@xtars", "import", "--from", "uitars-desktop", src, "-o", dir, NULL},
               NULL, NULL);
    if (r.status != 0)
        FAIL("xtars import exited %d:\n%s", r.status, r.err);
    xt_result_free(&r);
    snprintf(src, sizeof src, "%s//", dir); /* as a shell completes it, and one more */
    r = xt_run((const char *const[]){"@xtars", "report", src, NULL}, NULL, NULL);
    if (r.status != 0)
        FAIL("xtars report exited %d:\n%s", r.status, r.err);
    snprintf(page, sizeof page, "%s/report.html\n", dir);
    ASSERT_STR_EQ(r.out, page); /* no "//" in the path it prints */
    xt_result_free(&r);

    snprintf(page, sizeof page, "%s/harness.html", dir);
    r = run_harness(page, harness, "chromium-profile", 30000);
    /* basic.json imports as 3 steps: click, type, hotkey + finished */
    ASSERT_STR_CONTAINS(r.out, "js=true deeplink=step-2 marks=absent");
    ASSERT_STR_CONTAINS(r.out, " j=step-3 right=step-3 back=step-1 end=step-3 home=step-1 ");
    ASSERT_STR_CONTAINS(r.out, " box=false ");
    ASSERT_STR_CONTAINS(r.out, " film=#step-1 ");
    /* and each screenshot is the recorded file, byte for byte */
    ASSERT_STR_CONTAINS(r.out, " errors=0 same=3/3</title>");
    {
        /* every image decoded: thumbnails and screenshots */
        const char *p = strstr(r.out, " images=");
        int images = 0, decoded = -1;
        ASSERT(p != NULL);
        ASSERT_EQ(sscanf(p, " images=%d decoded=%d", &images, &decoded), 2);
        ASSERT_EQ(images, 6); /* 3 thumbnails, 3 screenshots */
        ASSERT_EQ(decoded, images);
    }
    /* step 2 (typed text) has no marker; step 1 (a click) has, m hides and shows it */
    ASSERT_STR_CONTAINS(r.out, " marks_before=block marks_off=none box=false marks_on=block ");
    xt_result_free(&r);
}

static const char index_harness[] =
    HARNESS("index.html")
    "  var w = frame.contentWindow, d = w.document, html = d.documentElement;\n"
    "  var heads = d.querySelectorAll('thead th');\n"
    "  function ids() {\n"
    "    return Array.prototype.filter.call(d.querySelector('tbody').rows, function (r) {\n"
    "      return w.getComputedStyle(r).display !== 'none'; })\n"
    "      .map(function (r) { return r.cells[1].textContent; }).join(',');\n"
    "  }\n"
    "  function set(id, value, type) {\n"
    "    var el = d.getElementById(id); el.value = value;\n"
    "    el.dispatchEvent(new w.Event(type, {bubbles: true}));\n"
    "  }\n"
    "  say('js', html.classList.contains('js'));\n"
    "  say('controls', w.getComputedStyle(d.querySelector('.controls')).display);\n"
    "  say('initial', ids());\n"
    "  heads[4].click(); say('time_up', ids());\n"
    "  heads[4].click(); say('time_down', ids() + '/' + heads[4].getAttribute('aria-sort'));\n"
    "  heads[1].click(); say('id_up', ids());\n"
    "  heads[3].click(); say('steps_up', ids());\n"
    "  set('status', 'fail', 'change'); say('failed', ids());\n"
    "  set('status', 'pass', 'change'); say('passed', ids());\n"
    "  set('status', '', 'change'); set('filter', 'BETA', 'input'); say('text', ids());\n"
    "  say('shown', d.getElementById('shown').textContent.replace(/ /g, '_'));\n"
    "  set('filter', '', 'input'); say('all', ids());\n"
    "  say('errors', html.getAttribute('data-js-errors') || 0);\n"
    "  document.title = 'done ' + out.join(' ');\n"
    "}\n"
    "</script></body></html>\n";

static void row(struct xtars_batch_result *r, int index, const char *id, const char *status,
                int passed, int steps, double seconds, const char *task)
{
    memset(r, 0, sizeof *r);
    r->index = index, r->line = index + 1;
    snprintf(r->id, sizeof r->id, "%s", id);
    snprintf(r->status, sizeof r->status, "%s", status);
    r->passed = passed, r->steps = steps, r->duration_s = seconds;
    r->exit_code = strcmp(status, "pending") == 0 ? -1 : passed ? 0 : 4;
    r->task = (char *)task;
}

TEST(batch_index_sorts_and_filters_in_chromium)
{
    struct xtars_batch_result rows[4];
    struct xtars_buf page;
    char dir[800], path[900];
    struct xt_result r;
    FILE *f;

    if (access("/usr/bin/chromium", X_OK) != 0)
        SKIP("/usr/bin/chromium is not installed (make deps installs it)");
    /* the page as `xtars batch` writes it (the command itself: test_batch_run.c) */
    row(&rows[0], 0, "delta", "finished", 1, 12, 3.5, "open the editor");
    row(&rows[1], 1, "alpha", "max_steps", 0, 5, 10.0, "save the file </td><b>");
    row(&rows[2], 2, "charlie", "pending", 0, 0, 0, "not run yet");
    row(&rows[3], 3, "beta", "finished", 1, 2, 1.25, "fill the Beta form");
    xtars_buf_init(&page, 1 << 20);
    ASSERT_EQ(xtars_batch_index_html(rows, 4, "batch \"x\" <y>", &page), XTARS_OK);
    snprintf(dir, sizeof dir, "%s/batch", xt_tmpdir());
    ASSERT(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof path, "%s/index.html", dir);
    f = fopen(path, "w");
    ASSERT(f != NULL);
    fwrite(page.data, 1, page.len, f);
    fclose(f);
    xtars_buf_cleanup(&page);
    snprintf(path, sizeof path, "%s/harness.html", dir);
    r = run_harness(path, index_harness, "chromium-profile-batch", 10000);
    ASSERT_STR_CONTAINS(r.out, "js=true controls=flex initial=delta,alpha,charlie,beta ");
    /* a task that did not run has no time or steps: last, either way */
    ASSERT_STR_CONTAINS(r.out, " time_up=beta,delta,alpha,charlie "
                               "time_down=alpha,delta,beta,charlie/descending ");
    ASSERT_STR_CONTAINS(r.out, " id_up=alpha,beta,charlie,delta steps_up=beta,alpha,delta,charlie ");
    ASSERT_STR_CONTAINS(r.out, " failed=alpha passed=beta,delta ");
    ASSERT_STR_CONTAINS(r.out, " text=beta shown=1_of_4_shown all=beta,alpha,delta,charlie ");
    ASSERT_STR_CONTAINS(r.out, " errors=0</title>");
    xt_result_free(&r);
}

/* A tiny HTTP server on 127.0.0.1 for the arriving report: /harness.html,
 * /report.html (the first `first` bytes at once, the rest when /release
 * has been asked for, or after 30 s so a broken harness cannot hang the
 * test) and /release. One thread per connection. */
struct gate {
    int fd, port;
    const char *harness, *report;
    size_t report_len, first;
    atomic_int released, open;
    pthread_t thread;
};

struct conn {
    struct gate *g;
    int fd;
};

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n, len -= (size_t)n;
    }
}

static void reply(int fd, const char *status, const char *body, size_t len, size_t first)
{
    char head[200];

    snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                                "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, len);
    send_all(fd, head, strlen(head));
    send_all(fd, body, first);
}

static void *serve(void *arg)
{
    struct conn *c = arg;
    struct gate *g = c->g;
    char req[2048] = "";
    size_t got = 0;
    ssize_t n;

    while (got < sizeof req - 1 && !strstr(req, "\r\n\r\n") &&
           (n = recv(c->fd, req + got, sizeof req - 1 - got, 0)) > 0)
        req[got += (size_t)n] = '\0';
    if (strncmp(req, "GET /harness.html ", 18) == 0) {
        reply(c->fd, "200 OK", g->harness, strlen(g->harness), strlen(g->harness));
    } else if (strncmp(req, "GET /report.html", 16) == 0) {
        reply(c->fd, "200 OK", g->report, g->report_len, g->first);
        for (int i = 0; i < 3000 && !atomic_load(&g->released); i++)
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        send_all(c->fd, g->report + g->first, g->report_len - g->first);
    } else if (strncmp(req, "GET /release ", 13) == 0) {
        atomic_store(&g->released, 1);
        reply(c->fd, "200 OK", "released", 8, 8);
    } else {
        reply(c->fd, "404 Not Found", "", 0, 0);
    }
    close(c->fd);
    free(c);
    atomic_fetch_sub(&g->open, 1);
    return NULL;
}

static void *accept_loop(void *arg)
{
    struct gate *g = arg;
    int fd;

    while ((fd = accept(g->fd, NULL, NULL)) >= 0) {
        struct conn *c = malloc(sizeof *c);
        pthread_t t;

        ASSERT(c != NULL);
        c->g = g, c->fd = fd;
        atomic_fetch_add(&g->open, 1);
        ASSERT_EQ(pthread_create(&t, NULL, serve, c), 0);
        pthread_detach(t);
    }
    return NULL;
}

static void gate_start(struct gate *g)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;

    g->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT(g->fd >= 0);
    ASSERT_EQ(bind(g->fd, (struct sockaddr *)&a, sizeof a), 0);
    ASSERT_EQ(listen(g->fd, 16), 0);
    ASSERT_EQ(getsockname(g->fd, (struct sockaddr *)&a, &len), 0);
    g->port = ntohs(a.sin_port);
    ASSERT_EQ(pthread_create(&g->thread, NULL, accept_loop, g), 0);
}

static void gate_stop(struct gate *g)
{
    shutdown(g->fd, SHUT_RDWR);
    pthread_join(g->thread, NULL);
    close(g->fd);
    atomic_store(&g->released, 1);
    for (int i = 0; i < 500 && atomic_load(&g->open) > 0; i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
}

/* Two frames: A opens #step-6, which has not arrived when the harness looks;
 * B is used with the keys while the report is held after step 3 (step 4 has
 * begun: its image is cut in the middle). Then /release, and both again. */
static const char arriving_harness[] =
    "<!DOCTYPE html><html><head><title>pending</title></head><body>"
    "<iframe id=\"a\" width=\"1200\" height=\"700\" src=\"report.html#step-6\"></iframe>"
    "<iframe id=\"b\" width=\"1200\" height=\"700\" src=\"report.html\"></iframe>\n<script>\n"
    "var out = [], loads = 0, polls = 0;\n"
    "function say(k, v) { out.push(k + '=' + v); }\n"
    "function doc(id) { var w = document.getElementById(id).contentWindow; return w && w.document; }\n"
    "function shown(d) {\n"
    "  var s = d.querySelector('section.step.current');\n"
    "  return s ? s.getAttribute('data-id') : 'none';\n"
    "}\n"
    "function pos(d) { return d.getElementById('position').textContent.replace(/ /g, '_'); }\n"
    "function key(d, k) { d.dispatchEvent(new d.defaultView.KeyboardEvent('keydown', {key: k, bubbles: true})); }\n"
    "function early() {\n"
    "  var a = doc('a'), b = doc('b');\n"
    "  var ready = [a, b].every(function (d) {\n"
    "    return d && d.getElementsByTagName('section').length >= 4 && d.getElementById('position'); });\n"
    "  if (!ready) { if (++polls < 1500) setTimeout(early, 20); else document.title = 'done never arrived'; return; }\n"
    "  say('state', a.readyState + '/' + b.readyState);\n"
    "  say('js', a.documentElement.classList.contains('js'));\n"
    "  say('a_shown', shown(a)); say('a_pos', pos(a));\n"
    "  say('b_shown', shown(b)); say('b_pos', pos(b));\n"
    "  key(b, 'j'); key(b, 'j'); say('b_jj', shown(b));\n"
    "  key(b, 'j'); say('b_jjj', shown(b) + '/' + pos(b));\n"
    "  key(b, 'Home'); say('b_home', shown(b));\n"
    "  key(b, 'End'); say('b_end', shown(b) + '/' + pos(b));\n"
    "  key(b, 'k'); say('b_end_k', pos(b));\n"
    "  key(b, 'End');\n"
    "  fetch('/release');\n"
    "}\n"
    "function loaded() {\n"
    "  if (++loads < 2) return;\n"
    "  var a = doc('a'), b = doc('b');\n"
    "  say('a_after', shown(a) + '/' + pos(a)); say('b_after', shown(b) + '/' + pos(b));\n"
    "  say('errors', (a.documentElement.getAttribute('data-js-errors') || 0) + '/' +\n"
    "      (b.documentElement.getAttribute('data-js-errors') || 0));\n"
    "  document.title = 'done ' + out.join(' ');\n"
    "}\n"
    "document.getElementById('a').addEventListener('load', loaded);\n"
    "document.getElementById('b').addEventListener('load', loaded);\n"
    "early();\n"
    "</script></body></html>\n";

/* An imported UI-TARS-desktop run of n click steps (basic.json's first
 * screenshot and click, n times), written to dir/run.json's input. */
static void write_click_run(const char *json_path, int n)
{
    char *text = xt_slurp(xt_data_path("import/uitars-desktop/basic.json"));
    cJSON *root = cJSON_Parse(text), *conv = cJSON_GetObjectItem(root, "conversations");
    cJSON *shot = cJSON_Duplicate(cJSON_GetArrayItem(conv, 1), 1);
    cJSON *click = cJSON_Duplicate(cJSON_GetArrayItem(conv, 2), 1);
    char *out;

    ASSERT(shot != NULL && click != NULL);
    while (cJSON_GetArraySize(conv) > 1)
        cJSON_DeleteItemFromArray(conv, 1);
    for (int i = 0; i < n; i++) {
        cJSON_AddItemToArray(conv, cJSON_Duplicate(shot, 1));
        cJSON_AddItemToArray(conv, cJSON_Duplicate(click, 1));
    }
    out = cJSON_PrintUnformatted(root);
    xt_write_text(json_path, out);
    free(out);
    free(text);
    cJSON_Delete(shot);
    cJSON_Delete(click);
    cJSON_Delete(root);
}

TEST(a_report_still_arriving_is_already_usable)
{
    struct gate g = {.harness = arriving_harness};
    char dir[700], src[800], url[900];
    const char *step4, *cut;
    char *report;
    struct xt_result r;

    if (access("/usr/bin/chromium", X_OK) != 0)
        SKIP("/usr/bin/chromium is not installed (make deps installs it)");
    snprintf(src, sizeof src, "%s/eight.json", xt_tmpdir());
    write_click_run(src, 8);
    snprintf(dir, sizeof dir, "%s/run", xt_tmpdir());
    r = xt_run((const char *const[]){"@xtars", "import", "--from", "uitars-desktop", src, "-o", dir, NULL},
               NULL, NULL);
    if (r.status != 0)
        FAIL("xtars import exited %d:\n%s", r.status, r.err);
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "report", dir, NULL}, NULL, NULL);
    if (r.status != 0)
        FAIL("xtars report exited %d:\n%s", r.status, r.err);
    xt_result_free(&r);
    snprintf(src, sizeof src, "%s/report.html", dir);
    report = xt_slurp(src);
    /* held in the middle of step 4's screenshot: steps 1-3 have arrived whole */
    step4 = strstr(report, "id=\"step-4\"");
    ASSERT(step4 != NULL);
    cut = strstr(step4, "base64,");
    ASSERT(cut != NULL && strstr(report, "id=\"step-8\"") != NULL && strstr(report, "id=\"step-9\"") == NULL);
    g.report = report, g.report_len = strlen(report), g.first = (size_t)(cut - report) + 100;

    gate_start(&g);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/harness.html", g.port);
    /* real time: the harness waits on the network */
    r = run_chromium(url, "chromium-profile-gate", 0);
    gate_stop(&g);
    /* both were still loading, with the script running and steps 1-3 in */
    ASSERT_STR_CONTAINS(r.out, "state=loading/loading js=true ");
    /* the deep link waits for its step instead of showing another */
    ASSERT_STR_CONTAINS(r.out, " a_shown=none a_pos=-_/_8_(loading) ");
    ASSERT_STR_CONTAINS(r.out, " b_shown=step-1 b_pos=1_/_8 ");
    /* step 4 has begun but not ended: it is not shown half-parsed */
    ASSERT_STR_CONTAINS(r.out, " b_jj=step-3 b_jjj=step-3/3_/_8_(step_4_is_loading) ");
    ASSERT_STR_CONTAINS(r.out, " b_home=step-1 b_end=step-1/1_/_8_(step_8_is_loading) "
                               "b_end_k=1_/_8_(step_7_is_loading) ");
    /* once everything is in: each frame shows the step it was asked for */
    ASSERT_STR_CONTAINS(r.out, " a_after=step-6/6_/_8 b_after=step-8/8_/_8 errors=0/0</title>");
    xt_result_free(&r);
    free(report);
}
