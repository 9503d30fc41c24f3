/* cpu.c: processor features, detected once. */
#include "agent/base/cpu.h"

#include <stdatomic.h>

int xtars_cpu_has_avx2(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static atomic_int cpu = -1; /* racing first calls all store the same value */
    int known = atomic_load_explicit(&cpu, memory_order_relaxed);

    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
        atomic_store_explicit(&cpu, known, memory_order_relaxed);
    }
    return known;
#else
    return 0;
#endif
}
