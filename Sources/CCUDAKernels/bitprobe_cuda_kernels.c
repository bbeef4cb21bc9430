// Accessors for the generated fatbin (bitprobe_cuda_fatbin.c), for callers such as Swift that
// cannot use an extern array of unknown size.
#include "bitprobe_cuda_kernels.h"

const void *bp_cuda_fatbin_data(void) { return bp_cuda_fatbin; }

unsigned long long bp_cuda_fatbin_bytes(void) { return bp_cuda_fatbin_size; }
