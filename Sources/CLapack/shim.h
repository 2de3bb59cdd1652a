// C glue for OpenBLAS (CBLAS) and LAPACKE. Not a public API: only NumericKernels imports it.
#ifndef TUNEKIT_CLAPACK_SHIM_H
#define TUNEKIT_CLAPACK_SHIM_H
#define FORCE_OPENBLAS_COMPLEX_STRUCT 1
#define HAVE_LAPACK_CONFIG_H 1
#define LAPACK_COMPLEX_STRUCTURE 1
#include <cblas.h>
#include <lapacke.h>
#endif
