#ifndef EXPRUN_COPENBLAS_SHIM_H
#define EXPRUN_COPENBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS's cblas.h on Debian; restated so the module map stays self-describing. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
#endif
