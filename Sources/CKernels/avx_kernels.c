/* SwiftPM builds for baseline x86-64 (SSE2, two doubles per instruction); the CPUs the
 * benchmarks run on have AVX (four). These two kernels, the inner loops of every linear model's
 * minibatch gradient, are compiled for AVX only (target attribute, no -march flag) and called
 * only when the CPU has it, so the binary still runs anywhere.
 *
 * Bit-identical to the Swift kernels: the same four partial sums in the same order, each
 * product rounded before its addition. The target is "avx", not "avx2,fma": with FMA the
 * compiler could fuse a multiply and an add, changing the last bit. So results are the same
 * with or without AVX, on any machine, for any --jobs. */
#include "avx_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int exprun_kernels_avx(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx");
}

__attribute__((target("avx"))) double exprun_dot_avx(const double *a, const double *b, long n) {
    __m256d acc = _mm256_setzero_pd();
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d p = _mm256_mul_pd(_mm256_loadu_pd(a + j), _mm256_loadu_pd(b + j));
        acc = _mm256_add_pd(acc, p);
    }
    double s[4];
    _mm256_storeu_pd(s, acc);
    for (; j < n; j++) {
        double p = a[j] * b[j];
        s[0] = s[0] + p;
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

__attribute__((target("avx"))) void exprun_axpy_avx(double alpha, const double *x, double *y, long n) {
    __m256d al = _mm256_set1_pd(alpha);
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d p = _mm256_mul_pd(al, _mm256_loadu_pd(x + j));
        _mm256_storeu_pd(y + j, _mm256_add_pd(_mm256_loadu_pd(y + j), p));
    }
    for (; j < n; j++) {
        double p = alpha * x[j];
        y[j] = y[j] + p;
    }
}
#else
int exprun_kernels_avx(void) { return 0; }
double exprun_dot_avx(const double *a, const double *b, long n) { (void)a; (void)b; (void)n; return 0; }
void exprun_axpy_avx(double alpha, const double *x, double *y, long n) { (void)alpha; (void)x; (void)y; (void)n; }
#endif
