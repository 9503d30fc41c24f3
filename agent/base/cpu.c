/* cpu.c: processor features, detected once. */
#include "agent/base/cpu.h"

int xtars_cpu_has_avx2(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static volatile int cpu = -1; /* racing first calls all store the same value */

    if (cpu < 0) {
        __builtin_cpu_init();
        cpu = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return cpu;
#else
    return 0;
#endif
}
