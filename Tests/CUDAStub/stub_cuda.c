// A stand-in for libcuda.so.1 so the CUDA backend's control flow runs on machines without a GPU.
// Tests build it with `cc -shared -fPIC -o libcuda-stub.so stub_cuda.c` and point
// BITPROBE_CUDA_LIBRARY at it (docs/cuda.md). Build with -DBP_STUB_OMIT_LAUNCH for a variant
// that lacks cuLaunchKernel, to test the missing-symbol error.
//
// Behaviour comes from BITPROBE_CUDA_STUB, read once at cuInit: comma-separated settings
//   devices=N     N fake GPUs (default 1, at most 8); 0 makes cuInit fail with CUDA_ERROR_NO_DEVICE
//   init=fail     cuInit fails with CUDA_ERROR_UNKNOWN (999); init=N fails with CUresult N
//   alloc=fail    cuMemAlloc_v2 and cuMemAllocHost_v2 fail with CUDA_ERROR_OUT_OF_MEMORY
//   launch=fail   cuLaunchKernel fails with CUDA_ERROR_LAUNCH_FAILED and the context stays broken
//                 (sticky, as on a real GPU); launch=resources fails with
//                 CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES once, not sticky
//   lost=cudaN    device N answers discovery (name, attributes) but every call in its context
//                 fails with CUDA_ERROR_ILLEGAL_ADDRESS (sticky)
//   memory=BYTES  total memory of every device (default: 4 GiB for cuda0, 2 GiB for the others)
//   control=PATH  a file re-read whenever its contents change (checked at every call that uses a
//                 context): it holds alloc=, launch=, lost=, module=, errors= and hang= settings in
//                 the same syntax, which replace the current ones (an empty file clears them all).
//                 Tests use it to break and heal a device while the agent runs; a reset
//                 (cuDevicePrimaryCtxReset_v2) is still needed to clear a context broken by a
//                 failed launch or a hung kernel.
//   module=fail   cuModuleLoadData fails with CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222), as a
//                 driver older than the fatbin's CUDA 13.0 does; module=N fails with CUresult N
//   errors=unknown  every launch, copy and memset fails with CUDA_ERROR_UNKNOWN (999);
//                 errors=unavailable with CUDA_ERROR_DEVICE_UNAVAILABLE (46). Not sticky: memory
//                 queries, module loads and context resets still work
//   hang=NAME     a launch of kernel NAME never completes: it and every event recorded after it
//                 stay pending (cuEventQuery answers CUDA_ERROR_NOT_READY) until the context is
//                 reset. cuEventSynchronize, cuStreamSynchronize, cuCtxSynchronize, cuMemFree_v2
//                 and cuMemFreeHost wait as on a GPU, but give up after 5 s with
//                 CUDA_ERROR_LAUNCH_TIMEOUT so a test that wrongly waits fails instead of hanging
//   launch_log=PATH  every launch is appended to PATH as one line, before it is checked:
//                 `NAME grid=X,Y,Z block=X,Y,Z smem=BYTES args=S1,S2,...`, the argument sizes read
//                 from the trailer bitprobe's marshaller puts after the parameter pointers (a NULL,
//                 then each size; bitprobe_cuda_driver.h)
//   kernels=noop  a kernel the stub has no host version of launches successfully and does nothing
//                 (its outputs stay poisoned, so the probe fails verification) instead of failing
//                 with CUDA_ERROR_NOT_SUPPORTED: launch sequences run to the end for the log
//   kernel_us=N   a virtual clock for events: each launch takes exactly N microseconds and nothing
//                 else takes time, so event timings are known exactly (default: CLOCK_MONOTONIC)
//
// Device memory is host memory (malloc); copies are memcpy; events are CLOCK_MONOTONIC stamps;
// streams are tokens. cuModuleLoadData accepts a fatbin (magic 0xBA55ED50) or an ELF cubin and
// refuses anything else with CUDA_ERROR_INVALID_IMAGE. cuLaunchKernel runs a host C version of
// the kernel found by the name given to cuModuleGetFunction, synchronously, for the kernels listed
// in `kernels[]` below (elementwise add/multiply f32 and f16, matmul f32); any other name loads
// but fails to launch with CUDA_ERROR_NOT_SUPPORTED, which the tests expect. As the driver, it
// refuses (CUDA_ERROR_INVALID_VALUE) a launch with more than 48 KiB of dynamic shared memory
// unless cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) raised the kernel's limit.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

enum {
    SUCCESS = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NOT_INITIALIZED = 3, NO_DEVICE = 100,
    INVALID_DEVICE = 101, INVALID_IMAGE = 200, INVALID_CONTEXT = 201, NO_BINARY_FOR_GPU = 209,
    UNSUPPORTED_PTX_VERSION = 222, NOT_FOUND = 500, NOT_READY = 600, ILLEGAL_ADDRESS = 700,
    LAUNCH_OUT_OF_RESOURCES = 701, LAUNCH_TIMEOUT = 702, LAUNCH_FAILED = 719, NOT_SUPPORTED = 801,
    DEVICE_UNAVAILABLE = 46, UNKNOWN = 999,
};

// The driver's default limit of dynamic shared memory per launch, without the opt-in.
#define DEFAULT_DYNAMIC_SMEM 49152

#define MAX_DEVICES 8

struct stub_device {
    int ordinal;
    int retained;          // primary context reference count
    int lost;              // every call in the context fails with ILLEGAL_ADDRESS
    CUresult sticky;       // set by a failed launch: every later call returns it
    int hung;              // a hang= kernel was launched: later events never complete until a reset
    size_t total_bytes;
    size_t allocated_bytes;
};

static struct {
    int initialized;
    int device_count;
    CUresult init_result;
    int alloc_fails;
    int launch_mode;       // 0 ok, 1 sticky failure, 2 out of resources once
    int launch_failed_once;
    size_t memory_override;
    int lost[MAX_DEVICES];
    struct stub_device devices[MAX_DEVICES];
    CUresult module_result;  // what cuModuleLoadData returns (module=)
    CUresult work_result;    // what launches, copies and memsets return (errors=)
    char hang_kernel[128];   // hang=
    int noop_kernels;        // kernels=noop
    long long kernel_ns;     // kernel_us= (virtual clock), 0 = real clock
    long long virtual_ns;
    char launch_log[256];
    char control_path[256];
    char control_text[512];
} stub;

// The context stack of this thread (push/pop); contexts are pointers to the devices.
static __thread struct stub_device *context_stack[16];
static __thread int context_depth;

// Allocation headers keep the size so free can return it to the device's count.
struct allocation { struct stub_device *device; size_t bytes; };

// Applies the settings that may change while running (alloc, launch, lost).
static int apply_dynamic(const char *item, const char *value) {
    if (strcmp(item, "alloc") == 0) {
        stub.alloc_fails = strcmp(value, "fail") == 0;
    } else if (strcmp(item, "launch") == 0) {
        stub.launch_mode = strcmp(value, "fail") == 0 ? 1 : strcmp(value, "resources") == 0 ? 2 : 0;
        stub.launch_failed_once = 0;
    } else if (strcmp(item, "lost") == 0 && strncmp(value, "cuda", 4) == 0) {
        int n = atoi(value + 4);
        if (n >= 0 && n < MAX_DEVICES) stub.lost[n] = 1;
    } else if (strcmp(item, "module") == 0) {
        stub.module_result = strcmp(value, "fail") == 0 ? UNSUPPORTED_PTX_VERSION : atoi(value);
    } else if (strcmp(item, "errors") == 0) {
        stub.work_result = strcmp(value, "unknown") == 0 ? UNKNOWN : strcmp(value, "unavailable") == 0 ? DEVICE_UNAVAILABLE : SUCCESS;
    } else if (strcmp(item, "hang") == 0) {
        snprintf(stub.hang_kernel, sizeof stub.hang_kernel, "%s", value);
    } else {
        return 0;
    }
    return 1;
}

// Re-reads the control file when its contents changed: its settings replace the dynamic ones.
static void poll_control(void) {
    if (!stub.control_path[0]) return;
    FILE *file = fopen(stub.control_path, "r");
    if (!file) return;
    char text[512];
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = '\0';
    for (char *end = text + length; end > text && (end[-1] == '\n' || end[-1] == ' '); end--) end[-1] = '\0';
    if (strcmp(text, stub.control_text) == 0) return;
    snprintf(stub.control_text, sizeof stub.control_text, "%s", text);
    stub.alloc_fails = 0;
    stub.launch_mode = 0;
    stub.module_result = SUCCESS;
    stub.work_result = SUCCESS;
    stub.hang_kernel[0] = '\0';
    memset(stub.lost, 0, sizeof stub.lost);
    char copy[512];
    snprintf(copy, sizeof copy, "%s", text);
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *value = strchr(item, '=');
        if (!value) continue;
        *value++ = '\0';
        apply_dynamic(item, value);
    }
    for (int i = 0; i < MAX_DEVICES; i++) stub.devices[i].lost = stub.lost[i];
}

static void configure(void) {
    stub.device_count = 1;
    stub.init_result = SUCCESS;
    const char *text = getenv("BITPROBE_CUDA_STUB");
    char copy[512];
    snprintf(copy, sizeof copy, "%s", text ? text : "");
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *value = strchr(item, '=');
        if (!value) continue;
        *value++ = '\0';
        if (apply_dynamic(item, value)) continue;
        if (strcmp(item, "control") == 0) {
            snprintf(stub.control_path, sizeof stub.control_path, "%s", value);
        } else if (strcmp(item, "devices") == 0) {
            stub.device_count = atoi(value);
            if (stub.device_count > MAX_DEVICES) stub.device_count = MAX_DEVICES;
            if (stub.device_count < 0) stub.device_count = 0;
        } else if (strcmp(item, "init") == 0) {
            stub.init_result = strcmp(value, "fail") == 0 ? UNKNOWN : atoi(value);
        } else if (strcmp(item, "memory") == 0) {
            stub.memory_override = (size_t)strtoull(value, NULL, 10);
        } else if (strcmp(item, "launch_log") == 0) {
            snprintf(stub.launch_log, sizeof stub.launch_log, "%s", value);
        } else if (strcmp(item, "kernels") == 0) {
            stub.noop_kernels = strcmp(value, "noop") == 0;
        } else if (strcmp(item, "kernel_us") == 0) {
            stub.kernel_ns = strtoll(value, NULL, 10) * 1000;
        }
    }
    if (stub.device_count == 0 && stub.init_result == SUCCESS) stub.init_result = NO_DEVICE;
    for (int i = 0; i < MAX_DEVICES; i++) {
        stub.devices[i].ordinal = i;
        stub.devices[i].lost = stub.lost[i];
        stub.devices[i].total_bytes = stub.memory_override ? stub.memory_override : (i == 0 ? (size_t)4 << 30 : (size_t)2 << 30);
    }
    poll_control();
}

CUresult cuInit(unsigned int flags) {
    if (flags != 0) return INVALID_VALUE;
    if (!stub.initialized) {
        configure();
        stub.initialized = 1;
    }
    return stub.init_result;
}

#define REQUIRE_INIT() do { if (!stub.initialized || stub.init_result != SUCCESS) return NOT_INITIALIZED; } while (0)

static struct stub_device *device_at(int ordinal) {
    return ordinal >= 0 && ordinal < stub.device_count ? &stub.devices[ordinal] : NULL;
}

// The current context's device, or an error: not initialised, no context, lost, or sticky.
static CUresult current(struct stub_device **device) {
    REQUIRE_INIT();
    if (context_depth == 0) return INVALID_CONTEXT;
    poll_control();
    struct stub_device *d = context_stack[context_depth - 1];
    if (d->lost) return ILLEGAL_ADDRESS;
    if (d->sticky) return d->sticky;
    *device = d;
    return SUCCESS;
}

CUresult cuDriverGetVersion(int *version) {
    if (!version) return INVALID_VALUE;
    *version = 13000;
    return SUCCESS;
}

static const struct { CUresult code; const char *name; const char *text; } errors[] = {
    {SUCCESS, "CUDA_SUCCESS", "no error"},
    {INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {NO_DEVICE, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {UNSUPPORTED_PTX_VERSION, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "the provided PTX was compiled with an unsupported toolchain."},
    {NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {DEVICE_UNAVAILABLE, "CUDA_ERROR_DEVICE_UNAVAILABLE", "CUDA-capable device(s) is/are busy or unavailable"},
    {LAUNCH_TIMEOUT, "CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"},
    {ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

static int error_index(CUresult code) {
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) if (errors[i].code == code) return (int)i;
    return -1;
}

// Like the driver: an unknown code gives CUDA_ERROR_INVALID_VALUE and a NULL string.
CUresult cuGetErrorName(CUresult code, const char **name) {
    int i = error_index(code);
    *name = i < 0 ? NULL : errors[i].name;
    return i < 0 ? INVALID_VALUE : SUCCESS;
}

CUresult cuGetErrorString(CUresult code, const char **text) {
    int i = error_index(code);
    *text = i < 0 ? NULL : errors[i].text;
    return i < 0 ? INVALID_VALUE : SUCCESS;
}

CUresult cuDeviceGetCount(int *count) {
    REQUIRE_INIT();
    *count = stub.device_count;
    return SUCCESS;
}

CUresult cuDeviceGet(int *device, int ordinal) {
    REQUIRE_INIT();
    if (!device_at(ordinal)) return INVALID_DEVICE;
    *device = ordinal;
    return SUCCESS;
}

CUresult cuDeviceGetName(char *name, int length, int device) {
    REQUIRE_INIT();
    if (!device_at(device) || length <= 0) return INVALID_VALUE;
    snprintf(name, (size_t)length, "bitprobe stub GPU %d", device);
    return SUCCESS;
}

// UUID of device N: b17b0be0-0000-4000-8000-00000000000N.
static CUresult get_uuid(unsigned char bytes[16], int device) {
    REQUIRE_INIT();
    if (!device_at(device)) return INVALID_DEVICE;
    static const unsigned char base[16] = {0xb1, 0x7b, 0x0b, 0xe0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0};
    memcpy(bytes, base, 16);
    bytes[15] = (unsigned char)device;
    return SUCCESS;
}

CUresult cuDeviceGetUuid(unsigned char bytes[16], int device) { return get_uuid(bytes, device); }
CUresult cuDeviceGetUuid_v2(unsigned char bytes[16], int device) { return get_uuid(bytes, device); }

CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
    REQUIRE_INIT();
    if (!device_at(device)) return INVALID_DEVICE;
    int first = device == 0;
    switch (attribute) {
    case 13: *value = first ? 1980000 : 1410000; break;   // CLOCK_RATE, kHz
    case 16: *value = first ? 132 : 108; break;           // MULTIPROCESSOR_COUNT
    case 36: *value = first ? 3201000 : 1593000; break;   // MEMORY_CLOCK_RATE, kHz
    case 37: *value = 5120; break;                        // GLOBAL_MEMORY_BUS_WIDTH
    case 75: *value = first ? 9 : 8; break;               // COMPUTE_CAPABILITY_MAJOR
    case 76: *value = 0; break;                           // COMPUTE_CAPABILITY_MINOR
    default: *value = 0; break;
    }
    return SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, int device) {
    REQUIRE_INIT();
    struct stub_device *d = device_at(device);
    if (!d) return INVALID_DEVICE;
    *bytes = d->total_bytes;
    return SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
    REQUIRE_INIT();
    struct stub_device *d = device_at(device);
    if (!d) return INVALID_DEVICE;
    d->retained++;
    *context = d;
    return SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(int device) {
    REQUIRE_INIT();
    struct stub_device *d = device_at(device);
    if (!d) return INVALID_DEVICE;
    if (d->retained == 0) return INVALID_CONTEXT;
    d->retained--;
    return SUCCESS;
}

// A reset clears a sticky launch failure and a hung kernel (a lost device stays lost).
CUresult cuDevicePrimaryCtxReset_v2(int device) {
    REQUIRE_INIT();
    struct stub_device *d = device_at(device);
    if (!d) return INVALID_DEVICE;
    d->sticky = SUCCESS;
    d->hung = 0;
    d->allocated_bytes = 0;
    return SUCCESS;
}

CUresult cuCtxPushCurrent_v2(void *context) {
    REQUIRE_INIT();
    if (!context || context_depth == 16) return INVALID_CONTEXT;
    context_stack[context_depth++] = context;
    return SUCCESS;
}

CUresult cuCtxPopCurrent_v2(void **context) {
    REQUIRE_INIT();
    if (context_depth == 0) return INVALID_CONTEXT;
    struct stub_device *d = context_stack[--context_depth];
    if (context) *context = d;
    return SUCCESS;
}

// What waiting for all of a context's work does when a kernel hangs: wait (another thread may
// reset the context), then give up with LAUNCH_TIMEOUT after 5 s instead of blocking a test forever.
static CUresult wait_if_hung(struct stub_device *d) {
    for (int i = 0; i < 5000 && d->hung; i++) usleep(1000);
    return d->hung ? LAUNCH_TIMEOUT : SUCCESS;
}

CUresult cuCtxSynchronize(void) {
    struct stub_device *d;
    CUresult status = current(&d);
    return status ? status : wait_if_hung(d);
}

CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total_bytes) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    *free_bytes = d->total_bytes - d->allocated_bytes;
    *total_bytes = d->total_bytes;
    return SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (bytes == 0) return INVALID_VALUE;
    if (stub.alloc_fails || bytes > d->total_bytes - d->allocated_bytes) return OUT_OF_MEMORY;
    struct allocation *block = malloc(sizeof(struct allocation) + bytes);
    if (!block) return OUT_OF_MEMORY;
    block->device = d;
    block->bytes = bytes;
    d->allocated_bytes += bytes;
    *pointer = (CUdeviceptr)(uintptr_t)(block + 1);
    return SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr pointer) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (pointer == 0) return SUCCESS;
    // cuMemFree waits for the device's work, like the runtime's cudaFree.
    if ((status = wait_if_hung(d))) return status;
    struct allocation *block = (struct allocation *)(uintptr_t)pointer - 1;
    block->device->allocated_bytes -= block->bytes;
    free(block);
    return SUCCESS;
}

CUresult cuMemAllocHost_v2(void **pointer, size_t bytes) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (stub.alloc_fails) return OUT_OF_MEMORY;
    *pointer = malloc(bytes ? bytes : 1);
    return *pointer ? SUCCESS : OUT_OF_MEMORY;
}

CUresult cuMemFreeHost(void *pointer) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if ((status = wait_if_hung(d))) return status;
    free(pointer);
    return SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr destination, const void *source, size_t bytes) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (stub.work_result) return stub.work_result;
    memcpy((void *)(uintptr_t)destination, source, bytes);
    return SUCCESS;
}

CUresult cuMemcpyDtoH_v2(void *destination, CUdeviceptr source, size_t bytes) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (stub.work_result) return stub.work_result;
    memcpy(destination, (const void *)(uintptr_t)source, bytes);
    return SUCCESS;
}

CUresult cuMemcpyDtoD_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (stub.work_result) return stub.work_result;
    memmove((void *)(uintptr_t)destination, (const void *)(uintptr_t)source, bytes);
    return SUCCESS;
}

CUresult cuMemsetD8_v2(CUdeviceptr destination, unsigned char value, size_t count) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (stub.work_result) return stub.work_result;
    memset((void *)(uintptr_t)destination, value, count);
    return SUCCESS;
}

// ---- Kernels: host versions of the fatbin's kernels, run synchronously at launch ---------------
// Each takes cuLaunchKernel's parameter array (pointers to the argument values, in the order of
// bitprobe_cuda_kernels.h) and computes the kernel's whole result whatever the grid.

typedef void (*stub_kernel)(void **parameters);

#define ARG(type, index) (*(type *)parameters[index])
#define PTR(type, index) ((type *)(uintptr_t)ARG(CUdeviceptr, index))

static void add_f32(void **parameters) {
    const float *a = PTR(const float, 0), *b = PTR(const float, 1);
    float *c = PTR(float, 2);
    unsigned long long n = ARG(unsigned long long, 3);
    for (unsigned long long i = 0; i < n; i++) c[i] = a[i] + b[i];
}

static void mul_f32(void **parameters) {
    const float *a = PTR(const float, 0), *b = PTR(const float, 1);
    float *c = PTR(float, 2);
    unsigned long long n = ARG(unsigned long long, 3);
    for (unsigned long long i = 0; i < n; i++) c[i] = a[i] * b[i];
}

// f16 as the GPU does it: to f32, compute, round once to f16 (nearest even).
static void add_f16(void **parameters) {
    const _Float16 *a = PTR(const _Float16, 0), *b = PTR(const _Float16, 1);
    _Float16 *c = PTR(_Float16, 2);
    unsigned long long n = ARG(unsigned long long, 3);
    for (unsigned long long i = 0; i < n; i++) c[i] = (_Float16)((float)a[i] + (float)b[i]);
}

static void mul_f16(void **parameters) {
    const _Float16 *a = PTR(const _Float16, 0), *b = PTR(const _Float16, 1);
    _Float16 *c = PTR(_Float16, 2);
    unsigned long long n = ARG(unsigned long long, 3);
    for (unsigned long long i = 0; i < n; i++) c[i] = (_Float16)((float)a[i] * (float)b[i]);
}

static void matmul_f32(void **parameters) {
    const float *a = PTR(const float, 0), *b = PTR(const float, 1);
    float *c = PTR(float, 2);
    int m = ARG(int, 3), n = ARG(int, 4), k = ARG(int, 5);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            float sum = 0;
            for (int p = 0; p < k; p++) sum += a[(size_t)i * k + p] * b[(size_t)p * n + j];
            c[(size_t)i * n + j] = sum;
        }
    }
}

static const struct { const char *name; stub_kernel run; } kernels[] = {
    {"bp_add_f32", add_f32}, {"bp_mul_f32", mul_f32}, {"bp_add_f16", add_f16}, {"bp_mul_f16", mul_f16},
    {"bp_matmul_f32", matmul_f32},
};

// A function handle: the kernel's name, its host version (NULL: not implemented in the stub) and
// its dynamic shared memory limit (raised by cuFuncSetAttribute).
struct stub_function { char name[128]; stub_kernel run; int max_dynamic_smem; };

// Modules are tokens; an image must look like a fatbin or an ELF cubin, as the driver checks.
CUresult cuModuleLoadData(void **module, const void *image) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (stub.module_result) return stub.module_result;
    if (!image) return INVALID_VALUE;
    const unsigned char *bytes = image;
    int fatbin = bytes[0] == 0x50 && bytes[1] == 0xed && bytes[2] == 0x55 && bytes[3] == 0xba;
    int elf = bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F';
    if (!fatbin && !elf) return INVALID_IMAGE;
    *module = malloc(1);
    return SUCCESS;
}

CUresult cuModuleUnload(void *module) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    free(module);
    return SUCCESS;
}

// Any name resolves (the real fatbin has every bitprobe kernel); handles are never freed, as a
// module's functions live as long as the process in these tests.
CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (!module || !name || !*name) return NOT_FOUND;
    struct stub_function *f = calloc(1, sizeof *f);
    if (!f) return OUT_OF_MEMORY;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->max_dynamic_smem = DEFAULT_DYNAMIC_SMEM;
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
        if (strcmp(kernels[i].name, name) == 0) f->run = kernels[i].run;
    }
    *function = f;
    return SUCCESS;
}

// Only the dynamic shared memory limit (attribute 8) can be set, up to 227 KiB as on sm_90.
CUresult cuFuncSetAttribute(void *function, int attribute, int value) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (!function || attribute != 8 || value < 0 || value > 232448) return INVALID_VALUE;
    ((struct stub_function *)function)->max_dynamic_smem = value;
    return SUCCESS;
}

#ifndef BP_STUB_OMIT_LAUNCH
// One line per launch for launch_log=: the argument sizes come from the marshaller's trailer
// (after the parameter pointers, a NULL, then one size per argument).
static void log_launch(const struct stub_function *f, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                       unsigned block_x, unsigned block_y, unsigned block_z, unsigned shared_bytes, void **parameters) {
    FILE *log = fopen(stub.launch_log, "a");
    if (!log) return;
    fprintf(log, "%s grid=%u,%u,%u block=%u,%u,%u smem=%u args=", f->name, grid_x, grid_y, grid_z, block_x, block_y, block_z, shared_bytes);
    if (parameters) {
        int count = 0;
        while (parameters[count]) count++;
        for (int i = 0; i < count; i++) fprintf(log, "%s%zu", i ? "," : "", (size_t)(uintptr_t)parameters[count + 1 + i]);
    }
    fputc('\n', log);
    fclose(log);
}

CUresult cuLaunchKernel(void *function, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                        unsigned block_x, unsigned block_y, unsigned block_z, unsigned shared_bytes,
                        void *stream, void **parameters, void **extra) {
    (void)stream; (void)extra;
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (!function) return INVALID_VALUE;
    struct stub_function *f = function;
    if (stub.launch_log[0]) log_launch(f, grid_x, grid_y, grid_z, block_x, block_y, block_z, shared_bytes, parameters);
    if (!grid_x || !grid_y || !grid_z || !block_x || !block_y || !block_z) return INVALID_VALUE;
    if (block_x * block_y * block_z > 1024 || grid_y > 65535 || grid_z > 65535) return INVALID_VALUE;
    if (shared_bytes > (unsigned)f->max_dynamic_smem) return INVALID_VALUE;
    if (stub.work_result) return stub.work_result;
    if (stub.launch_mode == 1) {
        d->sticky = LAUNCH_FAILED;
        return LAUNCH_FAILED;
    }
    if (stub.launch_mode == 2 && !stub.launch_failed_once) {
        stub.launch_failed_once = 1;
        return LAUNCH_OUT_OF_RESOURCES;
    }
    if (stub.hang_kernel[0] && strcmp(f->name, stub.hang_kernel) == 0) {
        d->hung = 1;
        return SUCCESS;
    }
    if (!f->run && !stub.noop_kernels) return NOT_SUPPORTED;
    if (!parameters) return INVALID_VALUE;
    if (f->run) f->run(parameters);
    stub.virtual_ns += stub.kernel_ns;
    return SUCCESS;
}
#endif

// `pending`: recorded after a hung kernel, so it never completes.
struct stub_event { double seconds; int recorded; int pending; };

static double now_seconds(void) {
    if (stub.kernel_ns) return (double)stub.virtual_ns * 1e-9;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

CUresult cuEventCreate(void **event, unsigned int flags) {
    (void)flags;
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    *event = calloc(1, sizeof(struct stub_event));
    return *event ? SUCCESS : OUT_OF_MEMORY;
}

CUresult cuEventRecord(void *event, void *stream) {
    (void)stream;
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    struct stub_event *e = event;
    e->seconds = now_seconds();
    e->recorded = 1;
    e->pending = d->hung;
    return SUCCESS;
}

CUresult cuEventQuery(void *event) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (!event) return INVALID_VALUE;
    return ((struct stub_event *)event)->pending ? NOT_READY : SUCCESS;
}

CUresult cuEventSynchronize(void *event) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    if (!event) return INVALID_VALUE;
    return ((struct stub_event *)event)->pending ? wait_if_hung(d) : SUCCESS;
}

static CUresult elapsed(float *milliseconds, void *start, void *end) {
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    struct stub_event *a = start, *b = end;
    if (!a || !b || !a->recorded || !b->recorded) return INVALID_VALUE;
    if (a->pending || b->pending) return NOT_READY;
    *milliseconds = (float)((b->seconds - a->seconds) * 1000.0);
    return SUCCESS;
}

CUresult cuEventElapsedTime(float *milliseconds, void *start, void *end) { return elapsed(milliseconds, start, end); }
CUresult cuEventElapsedTime_v2(float *milliseconds, void *start, void *end) { return elapsed(milliseconds, start, end); }

CUresult cuEventDestroy_v2(void *event) {
    REQUIRE_INIT();
    free(event);
    return SUCCESS;
}

CUresult cuStreamCreate(void **stream, unsigned int flags) {
    (void)flags;
    struct stub_device *d;
    CUresult status = current(&d);
    if (status) return status;
    *stream = malloc(1);
    return SUCCESS;
}

CUresult cuStreamSynchronize(void *stream) {
    (void)stream;
    struct stub_device *d;
    CUresult status = current(&d);
    return status ? status : wait_if_hung(d);
}

CUresult cuStreamDestroy_v2(void *stream) {
    REQUIRE_INIT();
    free(stream);
    return SUCCESS;
}
