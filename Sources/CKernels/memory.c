#include "kernels_internal.h"

#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#include <pthread.h>

// glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB), after
// which probe buffers come from the heap and stay in the process when freed: an agent that frees
// its buffers after every cycle would still keep hundreds of MiB resident. Fixing the threshold
// turns that adjustment off, so every buffer of 256 KiB or more is its own mapping and goes back
// to the system on free.
static pthread_once_t malloc_tuned = PTHREAD_ONCE_INIT;
static void tune_malloc(void) { mallopt(M_MMAP_THRESHOLD, 256 * 1024); }
#endif

void *bp_aligned_alloc(size_t bytes) {
#if defined(__GLIBC__)
    pthread_once(&malloc_tuned, tune_malloc);
#endif
    // Round up so the whole last cache line belongs to the caller (vector tails may touch it).
    const size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded < bytes) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) return NULL;
    return p;
}

void bp_aligned_free(void *p) { free(p); }

#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)

void *bp_scratch_alloc(bp_scratch *s, size_t bytes) {
    s->ptr = s->map = NULL;
    s->map_len = 0;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= HUGE_PAGE) {
        const size_t used = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        const size_t len = used + HUGE_PAGE;  // slack to start on a huge-page boundary
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED) {
            char *p = (char *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
            madvise(p, used, MADV_HUGEPAGE);  // only advice: small pages still work without it
            s->map = m;
            s->map_len = len;
            s->ptr = p;
            return p;
        }
    }
#endif
    s->ptr = bp_aligned_alloc(bytes);
    return s->ptr;
}

void bp_scratch_free(bp_scratch *s) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (s->map) {
        munmap(s->map, s->map_len);
        return;
    }
#endif
    bp_aligned_free(s->ptr);
}
