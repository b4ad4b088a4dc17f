/* OpenBLAS kernel selection that matches the CPU without the user doing anything.
 *
 * Debian's OpenBLAS 0.3.21 is a DYNAMIC_ARCH build: at load time it maps the CPU's model number
 * to a kernel set, and a model it does not know (any CPU newer than the library) gets the
 * generic Prescott (SSE3) kernels, 3-4x slower for dgemm on an AVX-512 machine. The library
 * exports its own re-selection (gotoblas_dynamic_quit / gotoblas_dynamic_init, the path
 * OPENBLAS_CORETYPE takes), so a constructor here, which runs after the library's own
 * constructor and before main or any BLAS call, upgrades a generic fallback to the kernel set
 * of the CPU's ISA level. A user's OPENBLAS_CORETYPE is never overridden.
 *
 * Correctness: AVX-512 (SkylakeX) kernels are chosen only from OpenBLAS 0.3.19 on: older
 * DYNAMIC_ARCH builds compute wrong DGEMM results on SkylakeX (OpenBLAS issues #2986, #3454,
 * fixed by #3469 in 0.3.19); there the choice is capped at the AVX2 (Haswell) kernels.
 */
#include "blas_core.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char note[192];

const char *exprun_blas_core_note(void) { return note; }

int exprun_blas_core_level(const char *core) {
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", "Zen4", 0};
    static const char *const avx2[] = {"Haswell", "Zen", "Excavator", 0};
    static const char *const avx[] = {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller", 0};
    static const char *const sse3[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom",
                                       "Nano", "Opteron", "Opteron(SSE3)", "Opteron_SSE3", "Barcelona",
                                       "Bobcat", "Katmai", "Coppermine", "Northwood", "Banias", "Athlon", 0};
    static const char *const *const levels[] = {sse3, avx, avx2, avx512};
    if (!core) return -1;
    for (int level = 0; level < 4; level++)
        for (const char *const *name = levels[level]; *name; name++)
            if (strcasecmp(core, *name) == 0) return level;
    return -1;
}

const char *exprun_blas_choose_core(const char *detected, int cpu_level, int is_amd,
                                    int major, int minor, int patch) {
    (void)patch;
    int have = exprun_blas_core_level(detected);
    if (have < 0) return NULL; /* a core we do not know: the library knows better */
    int target = cpu_level;
    int avx512_safe = major > 0 || (major == 0 && minor > 3) || (major == 0 && minor == 3 && patch >= 19);
    if (target >= 3 && !avx512_safe) target = 2;
    if (target <= have) return NULL;
    switch (target) {
    case 3: return "SkylakeX";
    case 2: return is_amd ? "Zen" : "Haswell";
    case 1: return "Sandybridge";
    default: return NULL;
    }
}

int exprun_blas_cpu_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512cd"))
        return 3;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 2;
    if (__builtin_cpu_supports("avx")) return 1;
    return 0;
#else
    return -1;
#endif
}

int exprun_blas_cpu_is_amd(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_is("amd");
#else
    return 0;
#endif
}

typedef char *(*corename_fn)(void);
typedef void (*void_fn)(void);

static const char *current_core(void) {
    corename_fn corename = (corename_fn)dlsym(RTLD_DEFAULT, "openblas_get_corename");
    return corename ? corename() : NULL;
}

int exprun_blas_force_core(const char *core) {
    void_fn quit = (void_fn)dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void_fn init = (void_fn)dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (!quit || !init || exprun_blas_core_level(core) < 0) return 0;
    /* gotoblas_dynamic_init reads OPENBLAS_CORETYPE; the environment is restored afterwards so
       child processes (and our own check of a user's setting) see what the user set. */
    const char *previous = getenv("OPENBLAS_CORETYPE");
    char saved[64] = {0};
    if (previous) snprintf(saved, sizeof saved, "%s", previous);
    setenv("OPENBLAS_CORETYPE", core, 1);
    quit();
    init();
    if (previous) setenv("OPENBLAS_CORETYPE", saved, 1); else unsetenv("OPENBLAS_CORETYPE");
    const char *now = current_core();
    return now && strcasecmp(now, core) == 0;
}

static void parse_version(int *major, int *minor, int *patch) {
    *major = *minor = *patch = 0;
    corename_fn config = (corename_fn)dlsym(RTLD_DEFAULT, "openblas_get_config");
    const char *text = config ? config() : NULL;
    if (text) sscanf(text, "OpenBLAS %d.%d.%d", major, minor, patch);
}

/* OpenBLAS starts its worker threads at load time (and again in openblas_set_num_threads), and
   each one busy-waits (sched_yield in a loop) for about 2^28 cycles (~0.1 s) before it sleeps,
   and again after each threaded call. A parallel sweep runs one BLAS thread per run, so those
   spinning threads only take CPU from the sweep's workers (22% of the samples of a one-run
   sweep). OpenBLAS starts them again by itself at the first call that wants more than one. */
void exprun_blas_stop_idle_threads(void) {
    void_fn shutdown = (void_fn)dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (shutdown) shutdown();
}

__attribute__((constructor)) static void exprun_blas_select_core(void) {
    exprun_blas_stop_idle_threads();
    const char *detected = current_core();
    if (!detected) { snprintf(note, sizeof note, "not OpenBLAS"); return; }
    const char *user = getenv("OPENBLAS_CORETYPE");
    if (user && *user) {
        snprintf(note, sizeof note, "%s (set by OPENBLAS_CORETYPE)", detected);
        return;
    }
    char original[48];
    snprintf(original, sizeof original, "%s", detected);
    int major, minor, patch;
    parse_version(&major, &minor, &patch);
    const char *choice = exprun_blas_choose_core(original, exprun_blas_cpu_level(), exprun_blas_cpu_is_amd(),
                                                 major, minor, patch);
    if (choice && exprun_blas_force_core(choice)) {
        snprintf(note, sizeof note, "%s (chosen by exprun from the CPU's features; OpenBLAS detected %s)",
                 choice, original);
    } else {
        if (choice) exprun_blas_force_core(original); /* a failed switch goes back to the library's pick */
        snprintf(note, sizeof note, "%s (detected by OpenBLAS)", current_core() ? current_core() : original);
    }
}
