/* threads.c — one thread count for OpenMP and OpenBLAS, so the two never oversubscribe. */
#include "kernels/kernels.h"

#include <omp.h>

void openblas_set_num_threads(int num_threads);

void kernels_set_threads(int n) {
    if (n <= 0) return;
    if (n > KERNELS_MAX_THREADS) n = KERNELS_MAX_THREADS;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int kernels_get_threads(void) {
    return omp_get_max_threads();
}
