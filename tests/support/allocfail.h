/* allocfail.h: allocation failure injection and leak counting for unit
 * tests. A test executable linked with the wrap options in
 * tests/CMakeLists.txt (xtars_add_allocfail_test) has every malloc, calloc,
 * realloc, strdup and free of its own code and of the xtars libraries routed
 * through here; cJSON's allocations are routed here by xt_alloc_hook_cjson().
 * Allocations made inside libc or other shared libraries (regcomp, libpng)
 * are not seen. */
#ifndef XTARS_TEST_ALLOCFAIL_H
#define XTARS_TEST_ALLOCFAIL_H

/* Starts counting allocations; the fail_at-th one (1-based) fails and so
 * does every later one (0: none fails). Every allocation made from now on is
 * remembered until freed. */
void xt_alloc_start(long fail_at);

/* Stops; returns how many allocations were asked for, and in *live how many
 * of those are still not freed (a leak, once the code under test returned
 * and its results were freed). */
long xt_alloc_stop(long *live);

/* While paused, allocations neither count nor fail (for the test's own
 * bookkeeping between the code under test and the comparison). */
void xt_alloc_pause(int paused);

/* Makes cJSON allocate through the wrapped functions. Call once, before any
 * cJSON allocation. */
void xt_alloc_hook_cjson(void);

/* Runs fn with allocation n failing, for n = 1, 2, ... until fn no longer
 * meets a failure, asserting after each run that nothing it allocated is
 * still live. fn must free everything it got. Returns the number of
 * allocations of the run without failure. */
long xt_alloc_each(void (*fn)(void *ctx), void *ctx);

#endif
