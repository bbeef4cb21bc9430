#include "kernels_internal.h"

#include <stdlib.h>

void *bp_aligned_alloc(size_t bytes) {
    // Round up so the whole last cache line belongs to the caller (vector tails may touch it).
    const size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded < bytes) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) return NULL;
    return p;
}

void bp_aligned_free(void *p) { free(p); }
