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

    /// The memory tracker's name for host memory.
    static let hostDevice = "cpu0"

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
            // Pinned memory is host memory: its failure is the host's (cpu0), not the GPU's.
            backend.tracker?.record(.allocationFailure, device: CUDAProbeBuffers.hostDevice, bytes: size)
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
    /// memory already) still counts as freed: the bytes are gone either way. After a hung kernel
    /// nothing is handed to the driver: cuMemFree and cuMemFreeHost wait for the device's work,
    /// which never ends, and the context reset that follows frees it all.
    func releaseAll() {
        let hung = backend.isHung
        for buffer in deviceBuffers {
            if !hung { _ = try? backend.context.free(buffer) }
            backend.tracker?.record(.free, device: backend.device, bytes: buffer.bytes, held: -buffer.bytes)
        }
        for buffer in pinnedBuffers where !hung { _ = try? backend.context.free(buffer) }
        for raw in hostBuffers { bp_aligned_free(raw) }
        deviceBuffers.removeAll()
        pinnedBuffers.removeAll()
        hostBuffers.removeAll()
    }
}

/// Times queued work with a pair of CUDA events: start recorded, the work queued, end recorded,
/// and the host waits for the end event, so the interval is the GPU's, measured after it finished.
/// The wait polls the event and gives up when the probe is cancelled (its timeout, or shutdown):
/// the work is then taken as hung and the backend unusable (`CUDABackend.faultReason`).
final class CUDAEventTimer {
    private let start: CUDAEvent
    private let end: CUDAEvent

    init(backend: CUDABackend) throws(ProbeRunError) {
        (start, end) = try backend.run { () throws(CUDAError) in (try CUDAEvent(context: backend.context), try CUDAEvent(context: backend.context)) }
    }

    /// `repetitions` passes over `launches` on the backend's stream; returns seconds per pass.
    /// Everything between the events is launches: the functions were resolved and the arguments
    /// marshalled beforehand, and the context is pushed once around records and launches.
    func time(_ backend: CUDABackend, launches: [CUDAPreparedLaunch], repetitions: Int) throws(ProbeRunError) -> Double {
        if backend.isCancelled { throw .cancelled }
        let (start, end, stream) = (start, end, backend.stream)
        try backend.run { () throws(CUDAError) in
            try backend.context.withCurrent { () throws(CUDAError) in
                try start.recordCurrent(on: stream)
                for _ in 0..<repetitions {
                    for launch in launches { try launch.enqueueCurrent(on: stream) }
                }
                try end.recordCurrent(on: stream)
            }
        }
        let kernels = launches.map(\.function.name).joined(separator: ", ")
        return try elapsed(backend, work: kernels) / Double(repetitions)
    }

    /// Synchronous driver copies, which run on the legacy default stream, so the events are
    /// recorded there.
    func time(_ backend: CUDABackend, copy body: () throws(ProbeRunError) -> Void) throws(ProbeRunError) -> Double {
        if backend.isCancelled { throw .cancelled }
        let (start, end) = (start, end)
        try backend.run { () throws(CUDAError) in try start.record(on: nil) }
        try body()
        try backend.run { () throws(CUDAError) in try end.record(on: nil) }
        return try elapsed(backend, work: "the copy")
    }

    private func elapsed(_ backend: CUDABackend, work: String) throws(ProbeRunError) -> Double {
        let (start, end) = (start, end)
        let completed = try backend.run { () throws(CUDAError) -> Bool in try end.wait(isCancelled: { backend.isCancelled }) }
        guard completed else {
            backend.markHung(work)
            throw .cancelled
        }
        return try backend.run { () throws(CUDAError) -> Double in try end.seconds(since: start) }
    }
}

/// The timed part of a kernel probe: its launches, resolved and marshalled once in prepare, and
/// how many passes over them make one sample.
///
/// A pass that takes only a few microseconds is dominated by the events' own resolution and the
/// launch latency, so `calibrate()` (in prepare) times one pass and sets `repetitions` to the
/// passes needed for a timed span of at least 50 µs, at most 64; each sample is then the span
/// divided by `repetitions`, and the result reports it (`iterations_per_sample`). Repeating is
/// sound because every kernel sequence the probes run is idempotent: it overwrites its outputs
/// from inputs it never writes (docs/cuda.md), so the output verified is that of one pass.
final class CUDAKernelRun {
    static let minimumTimedSeconds = 50e-6
    static let maximumRepetitions = 64

    private let backend: CUDABackend
    private let timer: CUDAEventTimer
    let launches: [CUDAPreparedLaunch]
    private(set) var repetitions = 1

    init(backend: CUDABackend, _ launches: [(kernel: String, shape: CUDALaunchShape, arguments: [CUDAKernelArgument])]) throws(ProbeRunError) {
        self.backend = backend
        timer = try CUDAEventTimer(backend: backend)
        var prepared: [CUDAPreparedLaunch] = []
        for launch in launches {
            prepared.append(CUDAPreparedLaunch(try backend.function(launch.kernel), shape: launch.shape, arguments: launch.arguments))
        }
        self.launches = prepared
    }

    /// Two passes: the first absorbs one-time costs (the driver loads a kernel lazily at its first
    /// launch), the second is timed to choose `repetitions`.
    func calibrate() throws(ProbeRunError) {
        _ = try timer.time(backend, launches: launches, repetitions: 1)
        repetitions = Self.repetitions(forPass: try timer.time(backend, launches: launches, repetitions: 1))
    }

    /// Seconds per pass, over `repetitions` passes.
    func run() throws(ProbeRunError) -> Double {
        try timer.time(backend, launches: launches, repetitions: repetitions)
    }

    /// Passes for a timed span of at least `minimumTimedSeconds`, capped at `maximumRepetitions`.
    /// A span within 0.1 % of the minimum counts as reaching it: event times are single-precision
    /// milliseconds, so 5 passes of a 10 µs kernel may read as 5.0000001 needed.
    static func repetitions(forPass seconds: Double) -> Int {
        guard seconds > 0 else { return maximumRepetitions }
        let needed = (minimumTimedSeconds / seconds - 1e-3).rounded(.up)
        return needed >= Double(maximumRepetitions) ? maximumRepetitions : max(1, Int(needed))
    }
}

/// A prepared GPU probe; kernel probes have a `CUDAKernelRun`, the copies none.
protocol CUDAPreparedProbe: PreparedProbe {
    var kernels: CUDAKernelRun? { get }
}

extension CUDAPreparedProbe {
    var iterationsPerSample: Int? { kernels?.repetitions }
}

/// A GPU probe whose iteration is its prepared kernel launches: one timed `CUDAKernelRun`.
protocol CUDAKernelProbe: CUDAPreparedProbe {
    var kernelRun: CUDAKernelRun { get }
}

extension CUDAKernelProbe {
    var kernels: CUDAKernelRun? { kernelRun }

    func runIteration() throws(ProbeRunError) -> Double { try kernelRun.run() }
}

/// Grid sizes from the launch contracts (bitprobe_cuda_kernels.h).
enum CUDAGrid {
    static func blocks(_ count: Int, per size: Int) -> Int { (count + size - 1) / size }

    /// A 1-D launch of `count` blocks of `block` threads (at least one block).
    static func linear(_ count: Int, block: Int, sharedBytes: Int = 0) -> CUDALaunchShape {
        CUDALaunchShape(grid: (UInt32(max(1, count)), 1, 1), block: (UInt32(block), 1, 1), sharedBytes: UInt32(sharedBytes))
    }
}
