/* allocfail.c: the wrapped allocator behind allocfail.h. The linker's --wrap
 * turns calls to malloc into calls to __wrap_malloc, and __real_malloc into
 * the real one (ASan's when it is on, so LeakSanitizer still sees
 * everything). Live allocations are kept in an open-addressing table; it
 * never allocates itself. */
#include "allocfail.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <string.h>

#include "test.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
void __wrap_free(void *p);

#define TABLE_SIZE (1 << 18)
#define TOMBSTONE ((void *)1)

static int active, paused;
static long fail_at, calls, live_count;
static void *table[TABLE_SIZE];

static size_t slot_of(const void *p)
{
    return (size_t)(((uintptr_t)p >> 4) * 2654435761u) & (TABLE_SIZE - 1);
}

static void remember(void *p)
{
    size_t i = slot_of(p);

    while (table[i] != NULL && table[i] != TOMBSTONE)
        i = (i + 1) & (TABLE_SIZE - 1);
    table[i] = p;
    live_count++;
    if (live_count > TABLE_SIZE / 2)
        FAIL("allocfail: more than %d live allocations", TABLE_SIZE / 2);
}

static void forget(const void *p)
{
    for (size_t i = slot_of(p); table[i] != NULL; i = (i + 1) & (TABLE_SIZE - 1)) {
        if (table[i] == p) {
            table[i] = TOMBSTONE;
            live_count--;
            return;
        }
    }
}

/* 1 if this allocation is to fail. */
static int should_fail(void)
{
    if (!active || paused)
        return 0;
    calls++;
    return fail_at > 0 && calls >= fail_at;
}

void *__wrap_malloc(size_t size)
{
    void *p;

    if (should_fail())
        return NULL;
    p = __real_malloc(size);
    if (p && active && !paused)
        remember(p);
    return p;
}

void *__wrap_calloc(size_t count, size_t size)
{
    void *p;

    if (should_fail())
        return NULL;
    p = __real_calloc(count, size);
    if (p && active && !paused)
        remember(p);
    return p;
}

void *__wrap_realloc(void *old, size_t size)
{
    void *p;

    if (should_fail())
        return NULL; /* old stays valid, as with a real failure */
    p = __real_realloc(old, size);
    if (p && old)
        forget(old);
    if (p && active && !paused)
        remember(p);
    return p;
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = __wrap_malloc(n);

    if (p)
        memcpy(p, s, n);
    return p;
}

void __wrap_free(void *p)
{
    if (p)
        forget(p);
    __real_free(p);
}

void xt_alloc_pause(int pause)
{
    paused = pause;
}

void xt_alloc_start(long fail)
{
    paused = 0;
    memset(table, 0, sizeof table);
    live_count = 0;
    calls = 0;
    fail_at = fail;
    active = 1;
}

long xt_alloc_stop(long *live)
{
    active = 0;
    *live = live_count;
    return calls;
}

static void *hook_malloc(size_t size) { return __wrap_malloc(size); }
static void hook_free(void *p) { __wrap_free(p); }

void xt_alloc_hook_cjson(void)
{
    cJSON_Hooks hooks = {hook_malloc, hook_free};
    cJSON_InitHooks(&hooks);
}

long xt_alloc_each(void (*fn)(void *ctx), void *ctx)
{
    for (long n = 1; n < 1000000; n++) {
        long live, made;

        xt_alloc_start(n);
        fn(ctx);
        made = xt_alloc_stop(&live);
        if (live != 0)
            FAIL("allocation %ld failing leaked %ld allocation%s", n, live, live == 1 ? "" : "s");
        if (made < n)
            return made; /* this run met no failure: every point has been tried */
    }
    FAIL("allocfail: no end after a million allocations");
}
