import CKernels

/// The memory of one prepared GPU probe: device buffers, pinned host buffers (transfers) and
/// plain host buffers (inputs kept for verification, outputs copied back), freed together.
///
/// Device allocations are tracked per device (`cudaN`) in the memory tracker: `allocate` and
/// `free` with the bytes held, `allocation_failure` on out of memory, and the staging copies of
/// prepare and verify as `transfer_h2d` / `transfer_d2h` (the timed copies of the h2d/d2h probes
/// are not events: they would count iterations, not memory).
final class CUDAProbeBuffers {
    let backend: CUDABackend
    private var deviceBuffers: [CUDADeviceBuffer] = []
    private var pinnedBuffers: [CUDAHostBuffer] = []
    private var hostBuffers: [UnsafeMutableRawPointer] = []

    init(backend: CUDABackend) { self.backend = backend }

    /// cuMemAlloc; out of memory is `oom: could not allocate 1.00 GiB on cuda0: cuMemAlloc_v2 failed: …`.
    func device(bytes: Int) throws(ProbeRunError) -> CUDADeviceBuffer {
        let size = max(bytes, 1)
        do {
            let buffer = try backend.context.allocate(bytes: size)
            deviceBuffers.append(buffer)
            backend.tracker?.record(.allocate, device: backend.device, bytes: size, held: size)
            return buffer
        } catch {
            guard error.kind == .outOfMemory else { throw backend.failure(error) }
            backend.tracker?.record(.allocationFailure, device: backend.device, bytes: size)
            throw .outOfMemory("could not allocate \(ByteCount.format(size)) on \(backend.device): \(error)")
        }
    }

    /// cuMemAllocHost: page-locked host memory, so transfers run at full bus speed.
    func pinned(bytes: Int) throws(ProbeRunError) -> CUDAHostBuffer {
        let size = max(bytes, 1)
        do {
            let buffer = try backend.context.allocateHost(bytes: size)
            pinnedBuffers.append(buffer)
            return buffer
        } catch {
            guard error.kind == .outOfMemory else { throw backend.failure(error) }
            backend.tracker?.record(.allocationFailure, device: backend.device, bytes: size)
            throw .outOfMemory("could not allocate \(ByteCount.format(size)) of pinned host memory for \(backend.device): \(error)")
        }
    }

    /// 64-byte-aligned host memory (not pooled: GPU probes keep host copies only while they run).
    func host<T>(_ type: T.Type, count: Int) throws(ProbeRunError) -> UnsafeMutablePointer<T> {
        let bytes = max(count * MemoryLayout<T>.stride, 64)
        guard let raw = bp_aligned_alloc(bytes) else { throw .allocationFailed(bytes: bytes) }
        hostBuffers.append(raw)
        return raw.bindMemory(to: type, capacity: count)
    }

    /// Copies `bytes` from host memory to the start of `destination` (cuMemcpyHtoD).
    func upload(_ source: UnsafeRawPointer, bytes: Int, to destination: CUDADeviceBuffer) throws(ProbeRunError) {
        try backend.run { () throws(CUDAError) in
            try backend.context.copy(UnsafeRawBufferPointer(start: source, count: bytes), to: destination)
        }
        backend.tracker?.record(.transferToDevice, device: backend.device, bytes: bytes)
    }

    /// Copies the first `bytes` of `source` into host memory (cuMemcpyDtoH).
    func download(_ source: CUDADeviceBuffer, bytes: Int, to destination: UnsafeMutableRawPointer) throws(ProbeRunError) {
        try backend.run { () throws(CUDAError) in
            try backend.context.copy(source, to: UnsafeMutableRawBufferPointer(start: destination, count: bytes))
        }
        backend.tracker?.record(.transferToHost, device: backend.device, bytes: bytes)
    }

    /// Frees everything. A free that fails (the context broke, or was reset, which freed the
    /// memory already) still counts as freed: the bytes are gone either way.
    func releaseAll() {
        for buffer in deviceBuffers {
            _ = try? backend.context.free(buffer)
            backend.tracker?.record(.free, device: backend.device, bytes: buffer.bytes, held: -buffer.bytes)
        }
        for buffer in pinnedBuffers { _ = try? backend.context.free(buffer) }
        for raw in hostBuffers { bp_aligned_free(raw) }
        deviceBuffers.removeAll()
        pinnedBuffers.removeAll()
        hostBuffers.removeAll()
    }
}

/// Times queued work with a pair of CUDA events: start recorded, the work queued, end recorded,
/// and the host waits for the end event, so the interval is the GPU's, measured after it finished.
final class CUDAEventTimer {
    private let start: CUDAEvent
    private let end: CUDAEvent

    init(backend: CUDABackend) throws(ProbeRunError) {
        (start, end) = try backend.run { () throws(CUDAError) in (try CUDAEvent(context: backend.context), try CUDAEvent(context: backend.context)) }
    }

    /// `stream` nil is the legacy default stream, where the synchronous driver memcpys run.
    func time(_ backend: CUDABackend, stream: CUDAStream?, _ body: () throws(ProbeRunError) -> Void) throws(ProbeRunError) -> Double {
        if backend.isCancelled { throw .cancelled }
        try backend.run { () throws(CUDAError) in try start.record(on: stream) }
        try body()
        return try backend.run { () throws(CUDAError) -> Double in
            try end.record(on: stream)
            try end.synchronize()
            return try end.seconds(since: start)
        }
    }
}

/// Grid sizes from the launch contracts (bitprobe_cuda_kernels.h).
enum CUDAGrid {
    static func blocks(_ count: Int, per size: Int) -> Int { (count + size - 1) / size }

    /// A 1-D launch of `count` blocks of `block` threads (at least one block).
    static func linear(_ count: Int, block: Int, sharedBytes: Int = 0) -> CUDALaunchShape {
        CUDALaunchShape(grid: (UInt32(max(1, count)), 1, 1), block: (UInt32(block), 1, 1), sharedBytes: UInt32(sharedBytes))
    }
}
