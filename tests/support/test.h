/* test.h: the xtars test harness.
 *
 * A test file defines cases with TEST(name) { ... }. Each case runs in its own
 * process: ctest calls `test_FILE NAME` once per case (tests/CMakeLists.txt
 * finds the names by scanning for TEST(). Without arguments the executable
 * runs every case in order, each in a forked child, which is handy by hand.
 * Assertions print both sides with file and line, then abort. Exit 77 means
 * skipped, with the reason printed by SKIP().
 */
#ifndef XTARS_TEST_H
#define XTARS_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xt_register(const char *name, void (*fn)(void));

#define TEST(name)                                                                   \
    static void name(void);                                                          \
    __attribute__((constructor)) static void xt_register_##name(void)               \
    {                                                                                \
        xt_register(#name, name);                                                    \
    }                                                                                \
    static void name(void)

#define XT_FAIL_HERE(...)                                                            \
    do {                                                                             \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                              \
        fprintf(stderr, __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                         \
        fflush(NULL);                                                                \
        abort();                                                                     \
    } while (0)

#define FAIL(...) XT_FAIL_HERE(__VA_ARGS__)

#define SKIP(...)                                                                    \
    do {                                                                             \
        printf("SKIP: ");                                                            \
        printf(__VA_ARGS__);                                                         \
        printf("\n");                                                                \
        fflush(NULL);                                                                \
        exit(77);                                                                    \
    } while (0)

#define ASSERT(cond)                                                                 \
    do {                                                                             \
        if (!(cond))                                                                 \
            XT_FAIL_HERE("assertion failed: %s", #cond);                             \
    } while (0)

#define ASSERT_INT_OP(a, op, b)                                                      \
    do {                                                                             \
        int64_t xt_a = (int64_t)(a), xt_b = (int64_t)(b);                            \
        if (!(xt_a op xt_b))                                                         \
            XT_FAIL_HERE("expected %s %s %s: %" PRId64 " vs %" PRId64, #a, #op, #b,   \
                         xt_a, xt_b);                                                \
    } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP(a, >=, b)

#define ASSERT_NEAR(a, b, eps)                                                       \
    do {                                                                             \
        double xt_a = (double)(a), xt_b = (double)(b);                               \
        if (!(fabs(xt_a - xt_b) <= (eps)))                                           \
            XT_FAIL_HERE("expected %s ~= %s: %.9g vs %.9g", #a, #b, xt_a, xt_b);      \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                          \
    do {                                                                             \
        const char *xt_a = (a), *xt_b = (b);                                         \
        if (xt_a == NULL || xt_b == NULL || strcmp(xt_a, xt_b) != 0)                 \
            XT_FAIL_HERE("expected %s == %s:\n  \"%s\"\n  \"%s\"", #a, #b,           \
                         xt_a ? xt_a : "(null)", xt_b ? xt_b : "(null)");            \
    } while (0)

#define ASSERT_STR_CONTAINS(hay, needle)                                             \
    do {                                                                             \
        const char *xt_h = (hay), *xt_n = (needle);                                  \
        if (xt_h == NULL || strstr(xt_h, xt_n) == NULL)                              \
            XT_FAIL_HERE("expected %s to contain \"%s\":\n  \"%s\"", #hay, xt_n,     \
                         xt_h ? xt_h : "(null)");                                    \
    } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                       \
    do {                                                                             \
        const unsigned char *xt_a = (const void *)(a), *xt_b = (const void *)(b);    \
        size_t xt_n = (n);                                                           \
        for (size_t xt_i = 0; xt_i < xt_n; xt_i++)                                   \
            if (xt_a[xt_i] != xt_b[xt_i])                                            \
                XT_FAIL_HERE("%s and %s differ at byte %zu: 0x%02x vs 0x%02x", #a,   \
                             #b, xt_i, xt_a[xt_i], xt_b[xt_i]);                      \
    } while (0)

/* Path of a file in the source tree's tests/data (set by CMake). */
const char *xt_data_path(const char *relative);

/* Path of a scratch directory private to this test process (created on first
 * use, removed at exit unless XTARS_KEEP_TMP is set). */
const char *xt_tmpdir(void);

/* The whole file at path, NUL-terminated (malloc'd; the caller frees);
 * fails the test when it cannot be read. */
char *xt_slurp(const char *path);
/* "xt_tmpdir()/name", in one of 64 slots kept for the whole test, so the
 * paths can be held; aborts the test when the slots run out. */
const char *xt_tmp_path(const char *name);

/* Writes text to path (created or truncated); aborts the test on failure. */
void xt_write_text(const char *path, const char *text);

#endif
