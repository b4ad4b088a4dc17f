#ifndef EXPRUN_COPENBLAS_SHIM_H
#define EXPRUN_COPENBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS's cblas.h on Debian; restated so the module map stays self-describing. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
/* LAPACK's thin SVD (Debian's OpenBLAS bundles LAPACK). Fortran convention: every argument by
   reference, column-major, hidden character lengths appended at the end (gfortran ABI). */
#include <stddef.h>
void dgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a, const int* lda,
             double* s, double* u, const int* ldu, double* vt, const int* ldvt, double* work,
             const int* lwork, int* info, size_t jobu_len, size_t jobvt_len);
/* LAPACK's symmetric eigenvalues (the spectral gap of a token walk's base chain); same ABI. */
void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
            double* work, const int* lwork, int* info, size_t jobz_len, size_t uplo_len);
#endif
