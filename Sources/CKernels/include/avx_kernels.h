#ifndef EXPRUN_AVX_KERNELS_H
#define EXPRUN_AVX_KERNELS_H
/* The dot and axpy of VectorKernels in 256-bit AVX, chosen at run time (see avx_kernels.c). */

/* Whether this CPU and OS run the AVX versions (the answer is fixed for the process). */
int exprun_kernels_avx(void);

/* Bit-identical to VectorKernels.dot: four accumulators (lane k sums elements j = k mod 4),
   multiply then add (no FMA), tail into accumulator 0, result (s0 + s1) + (s2 + s3). */
double exprun_dot_avx(const double *a, const double *b, long n);

/* Bit-identical to VectorKernels.axpy: y[j] += alpha * x[j], multiply then add. */
void exprun_axpy_avx(double alpha, const double *x, double *y, long n);

#endif
