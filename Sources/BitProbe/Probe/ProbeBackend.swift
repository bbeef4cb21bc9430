/// A backend turns a probe spec into buffers filled with seeded inputs, runs the kernel, and
/// checks the output. The runner owns timing policy (warmup, iterations, deadlines); the backend
/// owns how one iteration is timed, because only it knows when its work is complete.
public protocol ProbeBackend: AnyObject, Sendable {
    var kind: BackendKind { get }
    var device: String { get }
    /// The SIMD path or device architecture, as reported with every result.
    var kernelPath: String { get }
    var threads: Int { get }

    /// Allocates and fills the probe's buffers. Throws `ProbeRunError` on failure.
    func prepare(_ spec: ProbeSpec, seed: UInt64) throws(ProbeRunError) -> any PreparedProbe

    /// Asks the work in flight to stop; safe from any thread. The iteration then throws `.cancelled`.
    func cancel()
    /// Clears a cancellation before the next probe.
    func resetCancellation()
}

/// A probe with its buffers allocated and inputs filled.
public protocol PreparedProbe: AnyObject {
    /// Runs the kernel once and returns the seconds it took, measured only after the work completed.
    func runIteration() throws(ProbeRunError) -> Double
    /// Compares the last iteration's output with a float64 / int64 reference. Throws only when the
    /// output cannot be read (a GPU's copy back failed); a wrong output is a failed report.
    func verify() throws(ProbeRunError) -> VerificationReport
    /// Returns the buffers to the backend's pool.
    func release()
    /// How many back-to-back iterations each sample of `runIteration` averages, when the backend
    /// repeats short work inside one timed span (GPU kernels; docs/cuda.md); nil: one iteration.
    var iterationsPerSample: Int? { get }
}

extension PreparedProbe {
    public var iterationsPerSample: Int? { nil }
}

/// Why a probe iteration could not run.
public enum ProbeRunError: Error, Equatable, Sendable, CustomStringConvertible {
    case cancelled
    case allocationFailed(bytes: Int)
    case kernelFailed(String)
    /// A GPU driver call failed (the CUDAError's one line).
    case deviceFailed(CUDAError)
    /// A device (or pinned host) allocation did not fit; the text says what and where.
    case outOfMemory(String)

    public var description: String {
        switch self {
        case .cancelled: "cancelled"
        case .allocationFailed(let bytes): "could not allocate \(ByteCount.format(bytes))"
        case .kernelFailed(let reason): reason
        case .deviceFailed(let error): error.description
        case .outOfMemory(let what): "oom: \(what)"
        }
    }
}
