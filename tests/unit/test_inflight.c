/* The cross-process request limit (include/xtars/inflight.h): never more
 * holders than slots, across processes; a stop ends a wait; a killed holder
 * frees its slot. */
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "agent/model/inflight.h"

static void open_or_fail(const char *dir, struct xtars_inflight **inf)
{
    char err[XTARS_ERRLEN];

    if (xtars_inflight_open(dir, inf, err) != XTARS_OK)
        FAIL("%s", err);
}

TEST(slots_in_one_process)
{
    struct xtars_inflight *a, *b, *c;
    atomic_int stop = 1;
    char dir[600], err[XTARS_ERRLEN];
    struct stat st;
    double waited;

    ASSERT_EQ(xtars_inflight_create(xt_tmpdir(), 2, dir, sizeof dir, err), XTARS_OK);
    ASSERT_EQ(strncmp(dir, xt_tmpdir(), strlen(xt_tmpdir())), 0);
    open_or_fail(dir, &a);
    open_or_fail(dir, &b);
    open_or_fail(dir, &c);
    ASSERT_EQ(xtars_inflight_slots(a), 2);
    ASSERT_EQ(xtars_inflight_acquire(a, NULL, &waited, err), XTARS_OK);
    ASSERT_EQ(xtars_inflight_acquire(a, NULL, NULL, err), XTARS_EINVAL);
    ASSERT_EQ(xtars_inflight_acquire(b, NULL, NULL, err), XTARS_OK);
    /* Both slots held (flock locks belong to each open file, so the handles of
     * one process compete like processes do): c can only wait, and stops. */
    ASSERT_EQ(xtars_inflight_acquire(c, &stop, &waited, err), XTARS_ESTOPPED);
    ASSERT_STR_EQ(err, "inflight: stopped while waiting for a request slot");
    xtars_inflight_release(a);
    xtars_inflight_release(a); /* nothing held: no effect */
    ASSERT_EQ(xtars_inflight_acquire(c, &stop, NULL, err), XTARS_OK);
    xtars_inflight_free(a);
    xtars_inflight_free(b); /* releases b's slot: a new handle gets it at once */
    open_or_fail(dir, &a);
    ASSERT_EQ(xtars_inflight_acquire(a, &stop, NULL, err), XTARS_OK);
    xtars_inflight_free(a);
    xtars_inflight_free(c);
    xtars_inflight_free(NULL);
    xtars_inflight_remove(dir);
    ASSERT(stat(dir, &st) != 0);
}

TEST(bad_directories_and_counts)
{
    struct xtars_inflight *inf;
    char dir[600], err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_inflight_create(xt_tmpdir(), 0, dir, sizeof dir, err), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "inflight: 0 slots (want 1 to 1024)");
    ASSERT_EQ(xtars_inflight_create("/nonexistent-xtars", 1, dir, sizeof dir, err), XTARS_EIO);
    ASSERT_STR_CONTAINS(err, "cannot create a directory under /nonexistent-xtars");
    ASSERT_EQ(xtars_inflight_open(xt_tmpdir(), &inf, err), XTARS_EIO);
    ASSERT(inf == NULL);
    ASSERT_STR_CONTAINS(err, "/slot-0: No such file or directory (is $XTARS_INFLIGHT_DIR a "
                             "directory made by xtars batch?)");
}

struct shared {
    atomic_int inside, most, entries;
};

static void worker(const char *dir, struct shared *s)
{
    struct xtars_inflight *inf;
    char err[XTARS_ERRLEN];

    open_or_fail(dir, &inf);
    for (int i = 0; i < 25; i++) {
        int now;
        if (xtars_inflight_acquire(inf, NULL, NULL, err) != XTARS_OK)
            _exit(1);
        now = atomic_fetch_add(&s->inside, 1) + 1;
        for (int most = atomic_load(&s->most); now > most;)
            if (atomic_compare_exchange_weak(&s->most, &most, now))
                break;
        atomic_fetch_add(&s->entries, 1);
        usleep(500);
        atomic_fetch_sub(&s->inside, 1);
        xtars_inflight_release(inf);
    }
    xtars_inflight_free(inf);
    _exit(0);
}

TEST(never_more_holders_than_slots_across_processes)
{
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char dir[600], err[XTARS_ERRLEN];
    pid_t pids[6];

    ASSERT(s != MAP_FAILED);
    memset(s, 0, sizeof *s);
    ASSERT_EQ(xtars_inflight_create(NULL, 2, dir, sizeof dir, err), XTARS_OK);
    for (int i = 0; i < 6; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            worker(dir, s);
        ASSERT(pids[i] > 0);
    }
    for (int i = 0; i < 6; i++) {
        int status;
        ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
        ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ASSERT_EQ(atomic_load(&s->entries), 150);
    ASSERT_LE(atomic_load(&s->most), 2);
    ASSERT_GE(atomic_load(&s->most), 1);
    xtars_inflight_remove(dir);
}

TEST(a_killed_holder_frees_its_slot)
{
    struct xtars_inflight *inf;
    atomic_int stop = 1;
    char dir[600], err[XTARS_ERRLEN];
    int ready[2], status;
    pid_t pid;
    char byte;

    ASSERT_EQ(xtars_inflight_create(xt_tmpdir(), 1, dir, sizeof dir, err), XTARS_OK);
    ASSERT_EQ(pipe(ready), 0);
    pid = fork();
    if (pid == 0) {
        open_or_fail(dir, &inf);
        if (xtars_inflight_acquire(inf, NULL, NULL, err) != XTARS_OK)
            _exit(1);
        (void)!write(ready[1], "x", 1);
        pause();
        _exit(0);
    }
    ASSERT_EQ(read(ready[0], &byte, 1), 1);
    open_or_fail(dir, &inf);
    ASSERT_EQ(xtars_inflight_acquire(inf, &stop, NULL, err), XTARS_ESTOPPED);
    kill(pid, SIGKILL);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_EQ(xtars_inflight_acquire(inf, &stop, NULL, err), XTARS_OK);
    xtars_inflight_free(inf);
    xtars_inflight_remove(dir);
}
