
/// The backends and devices found on this machine, for `bitprobe devices`.
public struct DeviceInventory: Codable, Sendable {
    public struct Device: Codable, Sendable {
        public var backend: BackendKind
        public var device: String
        public var name: String
        public var up: Bool
        /// CPUs usable by this process (CPU backend).
        public var cores: Int?
        /// The SIMD path the kernels use by default, and every path this CPU can run.
        public var simdPath: String?
        public var simdPathsAvailable: [String]?
        public var memoryTotalBytes: Int?
        public var memoryAvailableBytes: Int?
    }

    public var devices: [Device]

    public static func discover(procRoot: String = "/proc") -> DeviceInventory {
        let host = HostInfo.read(procRoot: procRoot)
        let cpu = Device(backend: .cpu, device: "cpu0", name: host.cpuModel, up: true, cores: host.availableCPUs,
                         simdPath: SIMDPath.detected.rawValue, simdPathsAvailable: SIMDPath.supported.map(\.rawValue),
                         memoryTotalBytes: host.memoryTotalBytes, memoryAvailableBytes: host.memoryAvailableBytes)
        return DeviceInventory(devices: [cpu])
    }

    public func table() -> String {
        let header = ["BACKEND", "DEVICE", "NAME", "UP", "CORES", "SIMD", "SIMD AVAILABLE", "MEMORY"]
        let rows = devices.map { d in
            [d.backend.rawValue, d.device, d.name, d.up ? "yes" : "no", d.cores.map(String.init) ?? "-",
             d.simdPath ?? "-", d.simdPathsAvailable?.joined(separator: ",") ?? "-",
             d.memoryTotalBytes.map { ByteCount.format($0) } ?? "-"]
        }
        let all = [header] + rows
        return alignedColumns(all).joined(separator: "\n") + "\n"
    }

    public func json() throws -> [UInt8] {
        try ProjectJSON.file(self)
    }
}
