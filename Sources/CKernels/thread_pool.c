#include "kernels_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__)
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

// Workers spin this many relax iterations (tens of microseconds) before sleeping, so a kernel
// issued right after another does not pay a futex wake-up, while an idle pool costs nothing.
#define SPIN_ITERATIONS 2000

struct bp_pool {
    int threads;
    bp_scratch scratch;  // kernels' working memory, kept between calls
    size_t scratch_bytes;
    pthread_t *tids;

    pthread_mutex_t submit_mu;  // one parallel_for at a time
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    int shutdown;  // guarded by mu

    // The current job. Written by the submitter before `job` is published (release) and left
    // untouched until every participant has left it (`active` reaches 0).
    bp_task_fn fn;
    void *arg;
    int64_t ntasks;
    atomic_llong next;
    atomic_llong completed;
    atomic_int active;  // participating pool threads still inside the job
    // Generation (high 32 bits) and participant count (low 32 bits: workers with a smaller
    // index take part, the caller being 0), in one word so a worker reads both consistently.
    atomic_ullong job;

    atomic_int cancelled;
};

typedef struct {
    bp_pool *pool;
    int index;
} worker_arg;

static void run_tasks(bp_pool *p, int worker) {
    for (;;) {
        if (atomic_load_explicit(&p->cancelled, memory_order_relaxed)) return;
        const int64_t t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (t >= p->ntasks) return;
        p->fn(p->arg, t, worker);
        atomic_fetch_add_explicit(&p->completed, 1, memory_order_relaxed);
    }
}

static void *worker_main(void *raw) {
    worker_arg wa = *(worker_arg *)raw;
    free(raw);
    bp_pool *p = wa.pool;
    uint32_t seen = 0;
    for (;;) {
        uint64_t job = atomic_load_explicit(&p->job, memory_order_acquire);
        for (int i = 0; (uint32_t)(job >> 32) == seen && i < SPIN_ITERATIONS; i++) {
            CPU_RELAX();
            job = atomic_load_explicit(&p->job, memory_order_acquire);
        }
        if ((uint32_t)(job >> 32) == seen) {
            pthread_mutex_lock(&p->mu);
            while ((uint32_t)((job = atomic_load_explicit(&p->job, memory_order_acquire)) >> 32) ==
                       seen &&
                   !p->shutdown)
                pthread_cond_wait(&p->work_cv, &p->mu);
            const int stop = p->shutdown;
            pthread_mutex_unlock(&p->mu);
            if (stop) return NULL;
        }
        seen = (uint32_t)(job >> 32);
        // A job is only replaced after all its participants left it, so a worker counted in the
        // job it read still finds that job's fields in place; one not counted skips it (and
        // may skip whole generations, which did not wait for it).
        if ((uint32_t)wa.index >= (uint32_t)job) continue;
        run_tasks(p, wa.index);
        if (atomic_fetch_sub_explicit(&p->active, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

bp_pool *bp_pool_create(int threads) {
    if (threads < 1) return NULL;
    bp_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = threads;
    atomic_init(&p->next, 0);
    atomic_init(&p->completed, 0);
    atomic_init(&p->active, 0);
    atomic_init(&p->job, 0);
    atomic_init(&p->cancelled, 0);
    pthread_mutex_init(&p->submit_mu, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    if (threads > 1) {
        p->tids = calloc((size_t)threads - 1, sizeof *p->tids);
        if (!p->tids) {
            p->threads = 1;
            bp_pool_destroy(p);
            return NULL;
        }
        for (int i = 1; i < threads; i++) {
            worker_arg *wa = malloc(sizeof *wa);
            if (wa) {
                wa->pool = p;
                wa->index = i;
            }
            if (!wa || pthread_create(&p->tids[i - 1], NULL, worker_main, wa) != 0) {
                free(wa);
                p->threads = i;  // destroy joins the i - 1 threads already running
                bp_pool_destroy(p);
                return NULL;
            }
        }
    }
    return p;
}

void *bp_pool_scratch(bp_pool *pool, size_t bytes) {
    if (pool->scratch_bytes >= bytes) return pool->scratch.ptr;
    bp_pool_release_scratch(pool);
    if (!bp_scratch_alloc(&pool->scratch, bytes)) return NULL;
    pool->scratch_bytes = bytes;
    return pool->scratch.ptr;
}

void bp_pool_release_scratch(bp_pool *pool) {
    if (!pool || !pool->scratch_bytes) return;
    bp_scratch_free(&pool->scratch);
    pool->scratch_bytes = 0;
}

void bp_pool_destroy(bp_pool *pool) {
    if (!pool) return;
    bp_pool_release_scratch(pool);
    if (pool->tids) {
        pthread_mutex_lock(&pool->mu);
        pool->shutdown = 1;
        pthread_cond_broadcast(&pool->work_cv);
        pthread_mutex_unlock(&pool->mu);
        for (int i = 1; i < pool->threads; i++) pthread_join(pool->tids[i - 1], NULL);
        free(pool->tids);
    }
    pthread_cond_destroy(&pool->done_cv);
    pthread_cond_destroy(&pool->work_cv);
    pthread_mutex_destroy(&pool->mu);
    pthread_mutex_destroy(&pool->submit_mu);
    free(pool);
}

int bp_pool_threads(const bp_pool *pool) { return pool ? pool->threads : 0; }

void bp_pool_cancel(bp_pool *pool) {
    if (pool) atomic_store_explicit(&pool->cancelled, 1, memory_order_relaxed);
}

void bp_pool_reset_cancel(bp_pool *pool) {
    if (pool) atomic_store_explicit(&pool->cancelled, 0, memory_order_relaxed);
}

int bp_pool_is_cancelled(const bp_pool *pool) {
    return pool ? atomic_load_explicit(&((bp_pool *)pool)->cancelled, memory_order_relaxed) : 0;
}

int bp_parallel_for(bp_pool *pool, int64_t ntasks, bp_task_fn fn, void *arg) {
    if (ntasks <= 0) return BP_OK;
    if (!pool || pool->threads == 1 || ntasks == 1) {
        for (int64_t t = 0; t < ntasks; t++) {
            if (bp_pool_is_cancelled(pool)) return BP_CANCELLED;
            fn(arg, t, 0);
        }
        return BP_OK;
    }
    pthread_mutex_lock(&pool->submit_mu);
    pool->fn = fn;
    pool->arg = arg;
    pool->ntasks = ntasks;
    const uint32_t participants = ntasks < pool->threads ? (uint32_t)ntasks : (uint32_t)pool->threads;
    atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
    atomic_store_explicit(&pool->completed, 0, memory_order_relaxed);
    atomic_store_explicit(&pool->active, (int)participants - 1, memory_order_relaxed);
    const uint64_t old = atomic_load_explicit(&pool->job, memory_order_relaxed);
    const uint32_t gen = (uint32_t)(old >> 32) + 1;
    pthread_mutex_lock(&pool->mu);
    atomic_store_explicit(&pool->job, (uint64_t)gen << 32 | participants, memory_order_release);
    pthread_cond_broadcast(&pool->work_cv);
    pthread_mutex_unlock(&pool->mu);

    run_tasks(pool, 0);

    int spins = 0;
    while (atomic_load_explicit(&pool->active, memory_order_acquire) != 0 &&
           spins++ < SPIN_ITERATIONS)
        CPU_RELAX();
    if (atomic_load_explicit(&pool->active, memory_order_acquire) != 0) {
        pthread_mutex_lock(&pool->mu);
        while (atomic_load_explicit(&pool->active, memory_order_acquire) != 0)
            pthread_cond_wait(&pool->done_cv, &pool->mu);
        pthread_mutex_unlock(&pool->mu);
    }
    const int64_t done = atomic_load_explicit(&pool->completed, memory_order_relaxed);
    pthread_mutex_unlock(&pool->submit_mu);
    return done == ntasks ? BP_OK : BP_CANCELLED;
}

int bp_ctx_workers(const bp_ctx *ctx) {
    return ctx->pool ? ctx->pool->threads : 1;
}

int64_t bp_task_count(const bp_ctx *ctx, int64_t units, int64_t min_units) {
    int64_t tasks = units / (min_units > 0 ? min_units : 1);
    const int64_t most = 16 * (int64_t)bp_ctx_workers(ctx);
    if (tasks > most) tasks = most;
    return tasks < 1 ? 1 : tasks;
}

int bp_ctx_ok(const bp_ctx *ctx) {
    return ctx && bp_isa_supported(ctx->isa);
}
