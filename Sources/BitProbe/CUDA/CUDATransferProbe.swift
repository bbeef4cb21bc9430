#if canImport(Glibc)
import Glibc
#endif

/// Memory bandwidth on a GPU with the driver's synchronous copies (there are no copy kernels):
/// `copy` device to device (counted as bytes read plus bytes written, like the CPU's copy), and
/// `h2d` / `d2h` between pinned host memory and the device (counted once: the bytes that crossed
/// the bus). Timed by events on the legacy default stream, where the synchronous copies run.
final class CUDATransferProbe: CUDAPreparedProbe {
    private let backend: CUDABackend
    private let buffers: CUDAProbeBuffers
    private let timer: CUDAEventTimer
    private let op: ProbeOp
    private let bytes: Int
    /// The bytes every copy must reproduce, and host room for reading a device result back.
    private let expected: UnsafeMutablePointer<UInt8>
    private let readBack: UnsafeMutablePointer<UInt8>
    private var deviceSource: CUDADeviceBuffer?
    private var deviceDestination: CUDADeviceBuffer?
    private var pinned: CUDAHostBuffer?

    init(spec: ProbeSpec, backend: CUDABackend, random: inout SeededRandom) throws(ProbeRunError) {
        self.backend = backend
        buffers = CUDAProbeBuffers(backend: backend)
        op = spec.op
        bytes = spec.shape[0]
        do {
            timer = try CUDAEventTimer(backend: backend)
            expected = try buffers.host(UInt8.self, count: bytes)
            readBack = try buffers.host(UInt8.self, count: bytes)
            random.fill(expected, count: bytes)
            // Every destination starts as the complement of the source, so an uncopied byte fails.
            for i in 0..<bytes { readBack[i] = ~expected[i] }
            switch op {
            case .h2d:
                let source = try buffers.pinned(bytes: bytes)
                source.pointer.copyMemory(from: expected, byteCount: bytes)
                let destination = try buffers.device(bytes: bytes)
                try buffers.upload(readBack, bytes: bytes, to: destination)
                (pinned, deviceDestination) = (source, destination)
            case .d2h:
                let source = try buffers.device(bytes: bytes)
                try buffers.upload(expected, bytes: bytes, to: source)
                let destination = try buffers.pinned(bytes: bytes)
                destination.pointer.copyMemory(from: readBack, byteCount: bytes)
                (deviceSource, pinned) = (source, destination)
            default:
                let (source, destination) = (try buffers.device(bytes: bytes), try buffers.device(bytes: bytes))
                try buffers.upload(expected, bytes: bytes, to: source)
                try buffers.upload(readBack, bytes: bytes, to: destination)
                (deviceSource, deviceDestination) = (source, destination)
            }
        } catch {
            buffers.releaseAll()
            throw error
        }
    }

    func runIteration() throws(ProbeRunError) -> Double {
        let (backend, context, bytes, op) = (backend, backend.context, bytes, op)
        let (deviceSource, deviceDestination, pinned) = (deviceSource, deviceDestination, pinned)
        return try timer.time(backend) { () throws(ProbeRunError) in
            try backend.run { () throws(CUDAError) in
                switch op {
                case .h2d: try context.copy(UnsafeRawBufferPointer(start: pinned!.pointer, count: bytes), to: deviceDestination!)
                case .d2h: try context.copy(deviceSource!, to: UnsafeMutableRawBufferPointer(start: pinned!.pointer, count: bytes))
                default: try context.copy(deviceSource!, to: deviceDestination!, bytes: bytes)
                }
            }
        }
    }

    /// The copies are single synchronous driver calls, each long enough to time alone.
    var kernels: CUDAKernelRun? { nil }

    func verify() throws(ProbeRunError) -> VerificationReport {
        let got: UnsafePointer<UInt8>
        if op == .d2h {
            got = UnsafePointer(pinned!.pointer.assumingMemoryBound(to: UInt8.self))
        } else {
            try buffers.download(deviceDestination!, bytes: bytes, to: readBack)
            got = UnsafePointer(readBack)
        }
        var collector = MismatchCollector(tolerance: "byte-exact")
        if memcmp(got, expected, bytes) == 0 {
            return VerificationReport(checkedValues: bytes, wrongValues: 0, worstErrorRatio: 0, tolerance: collector.tolerance, firstMismatch: nil)
        }
        for i in 0..<bytes { collector.checkExact(got: got[i], expected: expected[i]) { "byte[\(i)]" } }
        return collector.report
    }

    func release() { buffers.releaseAll() }
}
