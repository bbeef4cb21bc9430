/// One device after a cycle: whether probes can run on it and why not, its identity, its memory.
public struct DeviceStatus: Sendable {
    public var backend: BackendKind
    /// cpu0, cuda0, …; `cuda` alone when the CUDA platform is down as a whole.
    public var device: String
    public var name: String
    public var up: Bool
    /// Why the device is down; empty when up.
    public var reason: String
    /// Backend-specific identity (the CPU's SIMD path and threads, a GPU's UUID, …), name-sorted.
    public var extraInfo: [(String, String)]
    public var memoryFreeBytes: Int?
    public var memoryTotalBytes: Int?

    public init(
        backend: BackendKind, device: String, name: String, up: Bool, reason: String, extraInfo: [(String, String)],
        memoryFreeBytes: Int?, memoryTotalBytes: Int?
    ) {
        self.backend = backend
        self.device = device
        self.name = name
        self.up = up
        self.reason = reason
        self.extraInfo = extraInfo
        self.memoryFreeBytes = memoryFreeBytes
        self.memoryTotalBytes = memoryTotalBytes
    }
}
