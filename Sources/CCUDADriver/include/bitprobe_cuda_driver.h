// bitprobe CUDA driver shim: the CUDA driver API (libcuda) opened at run time with dlopen.
//
// Why at run time: one binary must run on CPU-only nodes (no libcuda at all) and on GPU nodes, and
// it must build without the CUDA toolkit. So nothing here includes cuda.h: the few types and
// constants bitprobe uses are declared below with the numeric values of the CUDA driver API, and
// every entry point is looked up by name into a table of typed function pointers.
//
// Versioned names: where the driver exports a `_v2` symbol (64-bit sizes, newer semantics) the
// table holds that one; the un-versioned names of those calls are the legacy 32-bit ABI and must
// not be called. A few `_v2` symbols are newer than the driver floor (cuDeviceGetUuid_v2,
// cuEventElapsedTime_v2): the shim prefers them and falls back to the old name, and records which
// symbol it resolved so errors can name the call exactly.
#ifndef BITPROBE_CUDA_DRIVER_H
#define BITPROBE_CUDA_DRIVER_H

#include <stddef.h>

typedef int bp_cu_result;
typedef int bp_cu_device;
typedef unsigned long long bp_cu_deviceptr;
typedef struct bp_cu_context_s *bp_cu_context;
typedef struct bp_cu_module_s *bp_cu_module;
typedef struct bp_cu_function_s *bp_cu_function;
typedef struct bp_cu_event_s *bp_cu_event;
typedef struct bp_cu_stream_s *bp_cu_stream;
typedef struct { unsigned char bytes[16]; } bp_cu_uuid;

// CUresult values bitprobe names or classifies (CUDA driver API, cuda.h).
enum {
    BP_CUDA_SUCCESS = 0,
    BP_CUDA_ERROR_INVALID_VALUE = 1,
    BP_CUDA_ERROR_OUT_OF_MEMORY = 2,
    BP_CUDA_ERROR_NOT_INITIALIZED = 3,
    BP_CUDA_ERROR_DEINITIALIZED = 4,
    BP_CUDA_ERROR_DEVICE_UNAVAILABLE = 46,
    BP_CUDA_ERROR_NO_DEVICE = 100,
    BP_CUDA_ERROR_INVALID_DEVICE = 101,
    BP_CUDA_ERROR_INVALID_CONTEXT = 201,
    BP_CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    BP_CUDA_ERROR_ECC_UNCORRECTABLE = 214,
    BP_CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    BP_CUDA_ERROR_NOT_FOUND = 500,
    BP_CUDA_ERROR_NOT_READY = 600,  // cuEventQuery: the work before the event has not completed
    BP_CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    BP_CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    BP_CUDA_ERROR_LAUNCH_TIMEOUT = 702,
    BP_CUDA_ERROR_CONTEXT_IS_DESTROYED = 709,
    BP_CUDA_ERROR_ASSERT = 710,
    BP_CUDA_ERROR_HARDWARE_STACK_ERROR = 714,
    BP_CUDA_ERROR_ILLEGAL_INSTRUCTION = 715,
    BP_CUDA_ERROR_MISALIGNED_ADDRESS = 716,
    BP_CUDA_ERROR_INVALID_ADDRESS_SPACE = 717,
    BP_CUDA_ERROR_INVALID_PC = 718,
    BP_CUDA_ERROR_LAUNCH_FAILED = 719,
    BP_CUDA_ERROR_UNKNOWN = 999,
};

// CUdevice_attribute values bitprobe reads.
enum {
    BP_CU_DEVICE_ATTRIBUTE_CLOCK_RATE = 13,               // kHz
    BP_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    BP_CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36,        // kHz
    BP_CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37,  // bits
    BP_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    BP_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
};

// CUevent_flags / CUstream_flags values. Events are created with the default flags: the host
// waits for them by polling cuEventQuery with short sleeps (CUDAEvent.wait), never by
// cuEventSynchronize, so CU_EVENT_BLOCKING_SYNC would change nothing.
enum {
    BP_CU_EVENT_DEFAULT = 0,
    BP_CU_STREAM_NON_BLOCKING = 1,
};

// The resolved entry points. Field names are the CUDA names without the version suffix; the
// comment says which symbol fills the field.
typedef struct bp_cuda_driver {
    void *library;
    // Symbols resolved for the fields that have a newer and an older name (for error messages).
    const char *device_get_uuid_symbol;
    const char *event_elapsed_time_symbol;

    bp_cu_result (*cuInit)(unsigned int flags);
    bp_cu_result (*cuDriverGetVersion)(int *version);
    bp_cu_result (*cuGetErrorName)(bp_cu_result error, const char **name);
    bp_cu_result (*cuGetErrorString)(bp_cu_result error, const char **text);

    bp_cu_result (*cuDeviceGetCount)(int *count);
    bp_cu_result (*cuDeviceGet)(bp_cu_device *device, int ordinal);
    bp_cu_result (*cuDeviceGetName)(char *name, int length, bp_cu_device device);
    bp_cu_result (*cuDeviceGetUuid)(bp_cu_uuid *uuid, bp_cu_device device);       // _v2 when present
    bp_cu_result (*cuDeviceGetAttribute)(int *value, int attribute, bp_cu_device device);
    bp_cu_result (*cuDeviceTotalMem)(size_t *bytes, bp_cu_device device);          // _v2

    bp_cu_result (*cuDevicePrimaryCtxRetain)(bp_cu_context *context, bp_cu_device device);
    bp_cu_result (*cuDevicePrimaryCtxRelease)(bp_cu_device device);               // _v2
    bp_cu_result (*cuDevicePrimaryCtxReset)(bp_cu_device device);                 // _v2
    bp_cu_result (*cuCtxPushCurrent)(bp_cu_context context);                      // _v2
    bp_cu_result (*cuCtxPopCurrent)(bp_cu_context *context);                      // _v2
    bp_cu_result (*cuCtxSynchronize)(void);

    bp_cu_result (*cuMemGetInfo)(size_t *free_bytes, size_t *total_bytes);         // _v2
    bp_cu_result (*cuMemAlloc)(bp_cu_deviceptr *pointer, size_t bytes);            // _v2
    bp_cu_result (*cuMemFree)(bp_cu_deviceptr pointer);                            // _v2
    bp_cu_result (*cuMemAllocHost)(void **pointer, size_t bytes);                  // _v2
    bp_cu_result (*cuMemFreeHost)(void *pointer);
    bp_cu_result (*cuMemcpyHtoD)(bp_cu_deviceptr destination, const void *source, size_t bytes); // _v2
    bp_cu_result (*cuMemcpyDtoH)(void *destination, bp_cu_deviceptr source, size_t bytes);       // _v2
    bp_cu_result (*cuMemcpyDtoD)(bp_cu_deviceptr destination, bp_cu_deviceptr source, size_t bytes); // _v2
    bp_cu_result (*cuMemsetD8)(bp_cu_deviceptr destination, unsigned char value, size_t count); // _v2

    bp_cu_result (*cuModuleLoadData)(bp_cu_module *module, const void *image);
    bp_cu_result (*cuModuleUnload)(bp_cu_module module);
    bp_cu_result (*cuModuleGetFunction)(bp_cu_function *function, bp_cu_module module, const char *name);
    // `parameters` holds one pointer per kernel parameter; bitprobe's marshaller (CUDAPreparedLaunch)
    // appends a NULL and then each argument's byte size as a pointer-sized integer. The driver reads
    // only as many entries as the kernel has parameters, so the trailer is invisible to it; the
    // stub driver logs it to check launches against the contracts (docs/cuda.md, "Stub driver").
    bp_cu_result (*cuLaunchKernel)(bp_cu_function function,
                                   unsigned int grid_x, unsigned int grid_y, unsigned int grid_z,
                                   unsigned int block_x, unsigned int block_y, unsigned int block_z,
                                   unsigned int shared_bytes, bp_cu_stream stream, void **parameters, void **extra);
    // Raises a kernel's dynamic shared memory limit (attribute 8) for the kernels that use more than 48 KiB.
    bp_cu_result (*cuFuncSetAttribute)(bp_cu_function function, int attribute, int value);

    bp_cu_result (*cuEventCreate)(bp_cu_event *event, unsigned int flags);
    bp_cu_result (*cuEventRecord)(bp_cu_event event, bp_cu_stream stream);
    // CUDA_SUCCESS when the event has completed, CUDA_ERROR_NOT_READY while work before it runs:
    // polled instead of cuEventSynchronize, which would block forever on a hung kernel.
    bp_cu_result (*cuEventQuery)(bp_cu_event event);
    bp_cu_result (*cuEventElapsedTime)(float *milliseconds, bp_cu_event start, bp_cu_event end); // _v2 when present
    bp_cu_result (*cuEventDestroy)(bp_cu_event event);                            // _v2

    bp_cu_result (*cuStreamCreate)(bp_cu_stream *stream, unsigned int flags);
    bp_cu_result (*cuStreamSynchronize)(bp_cu_stream stream);
    bp_cu_result (*cuStreamDestroy)(bp_cu_stream stream);                         // _v2
} bp_cuda_driver;

// How opening the driver ended.
enum {
    BP_CUDA_OPEN_OK = 0,
    // dlopen failed: no driver installed at that path (or it cannot be loaded at all).
    BP_CUDA_OPEN_NO_LIBRARY = 1,
    // The library loaded but lacks an entry point bitprobe needs (a driver too old, or not libcuda).
    BP_CUDA_OPEN_MISSING_SYMBOL = 2,
};

// Opens `path` (RTLD_NOW | RTLD_LOCAL) and resolves every entry point into `driver`. On failure
// returns BP_CUDA_OPEN_NO_LIBRARY or BP_CUDA_OPEN_MISSING_SYMBOL, leaves nothing open, and writes a
// message naming the path or symbol and dlerror()'s text into `message` (NUL-terminated,
// truncated to `message_size`). The library is never closed on success: drivers do not support
// being unloaded, and the table lives as long as the process.
int bp_cuda_driver_open(const char *path, bp_cuda_driver *driver, char *message, size_t message_size);

#endif
