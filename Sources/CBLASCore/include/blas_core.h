#ifndef EXPRUN_BLAS_CORE_H
#define EXPRUN_BLAS_CORE_H
/* Choosing OpenBLAS's kernel set ("core") from the CPU's features when the library's own
   detection falls back to a generic one (see blas_core.c). */

/* ISA levels of OpenBLAS x86-64 kernel sets: 0 SSE3, 1 AVX, 2 AVX2+FMA, 3 AVX-512; -1 unknown. */
int exprun_blas_core_level(const char *core);

/* The core exprun forces for a library that detected `detected` on a CPU whose best ISA level
   is `cpu_level` (is_amd: AMD vendor), for OpenBLAS version major.minor.patch; NULL to keep
   the library's choice. Pure: the rule under test. */
const char *exprun_blas_choose_core(const char *detected, int cpu_level, int is_amd,
                                    int major, int minor, int patch);

/* The best ISA level this CPU and OS support (cpuid and XCR0 through the compiler's
   __builtin_cpu_supports), and whether the vendor is AMD. */
int exprun_blas_cpu_level(void);
int exprun_blas_cpu_is_amd(void);

/* Re-runs OpenBLAS's dynamic-arch selection with `core` forced, as OPENBLAS_CORETYPE would at
   load time. Returns 1 when the library now runs `core`, 0 when it cannot be switched (not a
   DYNAMIC_ARCH build, unknown core name). Only safe before other threads call BLAS. */
int exprun_blas_force_core(const char *core);

/* What happened at start-up, one line: "<core> (detected by OpenBLAS)", "<core> (set by
   OPENBLAS_CORETYPE)" or "<core> (chosen by exprun from the CPU's features; OpenBLAS detected
   <generic>)". */
const char *exprun_blas_core_note(void);

/* Stops OpenBLAS's idle worker threads (they busy-wait ~0.1 s after they start and after each
   threaded call); the library starts them again when a call wants more than one thread. Call
   it only when no other thread is inside BLAS. */
void exprun_blas_stop_idle_threads(void);

#endif
