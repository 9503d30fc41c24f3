/* xtars/clock.h: the few time helpers every module needs: a monotonic
 * millisecond clock for durations and deadlines, a sleep, and the UTC
 * timestamps written in trajectories and results. No allocation. */
#ifndef XTARS_CLOCK_H
#define XTARS_CLOCK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Milliseconds on the monotonic clock (unrelated to the wall clock). */
double xtars_clock_ms(void);

/* Sleeps ms milliseconds (a signal may end it early; callers re-check). */
void xtars_clock_sleep_ms(int ms);

/* The current UTC time as "2026-11-29T08:46:37.387Z" (needs 25 bytes). */
void xtars_clock_iso(char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
