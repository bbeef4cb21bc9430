// Opens libcuda with dlopen and fills the typed entry-point table (see bitprobe_cuda_driver.h).
#include "bitprobe_cuda_driver.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

// One table slot: the symbol to look up, an older name to fall back to (or NULL), and where the
// pointer goes. POSIX guarantees a data pointer from dlsym converts to a function pointer, which
// is what storing through `void **` at the field's offset relies on.
struct entry_point {
    const char *symbol;
    const char *fallback;
    size_t offset;
    size_t resolved_name_offset;  // offset of a `const char *` naming the symbol used; 0 = none
};

#define SLOT(field, symbol) {symbol, NULL, offsetof(bp_cuda_driver, field), 0}
#define SLOT_FALLBACK(field, symbol, fallback, name_field) \
    {symbol, fallback, offsetof(bp_cuda_driver, field), offsetof(bp_cuda_driver, name_field)}

static const struct entry_point entry_points[] = {
    SLOT(cuInit, "cuInit"),
    SLOT(cuDriverGetVersion, "cuDriverGetVersion"),
    SLOT(cuGetErrorName, "cuGetErrorName"),
    SLOT(cuGetErrorString, "cuGetErrorString"),
    SLOT(cuDeviceGetCount, "cuDeviceGetCount"),
    SLOT(cuDeviceGet, "cuDeviceGet"),
    SLOT(cuDeviceGetName, "cuDeviceGetName"),
    SLOT_FALLBACK(cuDeviceGetUuid, "cuDeviceGetUuid_v2", "cuDeviceGetUuid", device_get_uuid_symbol),
    SLOT(cuDeviceGetAttribute, "cuDeviceGetAttribute"),
    SLOT(cuDeviceTotalMem, "cuDeviceTotalMem_v2"),
    SLOT(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
    SLOT(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"),
    SLOT(cuDevicePrimaryCtxReset, "cuDevicePrimaryCtxReset_v2"),
    SLOT(cuCtxPushCurrent, "cuCtxPushCurrent_v2"),
    SLOT(cuCtxPopCurrent, "cuCtxPopCurrent_v2"),
    SLOT(cuCtxSynchronize, "cuCtxSynchronize"),
    SLOT(cuMemGetInfo, "cuMemGetInfo_v2"),
    SLOT(cuMemAlloc, "cuMemAlloc_v2"),
    SLOT(cuMemFree, "cuMemFree_v2"),
    SLOT(cuMemAllocHost, "cuMemAllocHost_v2"),
    SLOT(cuMemFreeHost, "cuMemFreeHost"),
    SLOT(cuMemcpyHtoD, "cuMemcpyHtoD_v2"),
    SLOT(cuMemcpyDtoH, "cuMemcpyDtoH_v2"),
    SLOT(cuMemcpyDtoD, "cuMemcpyDtoD_v2"),
    SLOT(cuMemsetD8, "cuMemsetD8_v2"),
    SLOT(cuModuleLoadData, "cuModuleLoadData"),
    SLOT(cuModuleUnload, "cuModuleUnload"),
    SLOT(cuModuleGetFunction, "cuModuleGetFunction"),
    SLOT(cuLaunchKernel, "cuLaunchKernel"),
    SLOT(cuFuncSetAttribute, "cuFuncSetAttribute"),
    SLOT(cuEventCreate, "cuEventCreate"),
    SLOT(cuEventRecord, "cuEventRecord"),
    SLOT(cuEventQuery, "cuEventQuery"),
    SLOT_FALLBACK(cuEventElapsedTime, "cuEventElapsedTime_v2", "cuEventElapsedTime", event_elapsed_time_symbol),
    SLOT(cuEventDestroy, "cuEventDestroy_v2"),
    SLOT(cuStreamCreate, "cuStreamCreate"),
    SLOT(cuStreamSynchronize, "cuStreamSynchronize"),
    SLOT(cuStreamDestroy, "cuStreamDestroy_v2"),
};

int bp_cuda_driver_open(const char *path, bp_cuda_driver *driver, char *message, size_t message_size) {
    memset(driver, 0, sizeof *driver);
    if (message_size > 0) message[0] = '\0';
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(message, message_size, "cannot load the CUDA driver %s: %s", path, reason ? reason : "unknown dlopen error");
        return BP_CUDA_OPEN_NO_LIBRARY;
    }
    for (size_t i = 0; i < sizeof entry_points / sizeof entry_points[0]; i++) {
        const struct entry_point *entry = &entry_points[i];
        const char *used = entry->symbol;
        dlerror();
        void *address = dlsym(library, used);
        if (address == NULL && entry->fallback != NULL) {
            used = entry->fallback;
            dlerror();
            address = dlsym(library, used);
        }
        if (address == NULL) {
            const char *reason = dlerror();
            // Name the symbol the driver must have: the older one when there is a fallback.
            snprintf(message, message_size, "the CUDA driver %s lacks %s: %s", path, used, reason ? reason : "symbol is NULL");
            dlclose(library);
            memset(driver, 0, sizeof *driver);
            return BP_CUDA_OPEN_MISSING_SYMBOL;
        }
        memcpy((char *)driver + entry->offset, &address, sizeof address);
        if (entry->resolved_name_offset != 0) {
            memcpy((char *)driver + entry->resolved_name_offset, &used, sizeof used);
        }
    }
    driver->library = library;
    return BP_CUDA_OPEN_OK;
}
