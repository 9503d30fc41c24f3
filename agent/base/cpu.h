/* xtars/cpu.h: what the processor offers, asked once, for the vectorised
 * paths (resize, PNG filter, base64) that fall back to portable C. */
#ifndef XTARS_CPU_H
#define XTARS_CPU_H

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the CPU runs AVX2 (x86-64 built with GCC or clang), else 0. */
int xtars_cpu_has_avx2(void);

#ifdef __cplusplus
}
#endif

#endif
