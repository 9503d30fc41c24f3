/* clock.c: monotonic milliseconds, sleeping, and ISO 8601 UTC timestamps.
 * Never prints. */
#include "agent/base/clock.h"

#include <stdio.h>
#include <time.h>

double xtars_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void xtars_clock_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    if (ms > 0)
        nanosleep(&ts, NULL);
}

void xtars_clock_iso(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    char base[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    if (strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        base[0] = '\0';
    snprintf(out, size, "%.19s.%03dZ", base, (int)(ts.tv_nsec / 1000000L) % 1000);
}
