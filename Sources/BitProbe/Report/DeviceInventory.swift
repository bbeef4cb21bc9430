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
        /// MemAvailable for the CPU, cuMemGetInfo's free bytes for a GPU.
        public var memoryAvailableBytes: Int?
        /// GPU identity (CUDA backend; docs/cuda.md).
        public var uuid: String?
        public var computeCapability: String?
        public var multiprocessors: Int?
        public var clockMhz: Int?
        public var memoryClockMhz: Int?
        public var memoryBusWidthBits: Int?
        public var driverVersion: String?
        /// Why the device (or, for device `cuda`, the whole CUDA backend) cannot run probes.
        public var reason: String?
    }

    public var devices: [Device]

    /// The CPU, then the GPUs the CUDA driver reports (BITPROBE_CUDA_LIBRARY names the driver), or
    /// one `cuda` row with the reason there are none. Mode `enabled` is used so a node without a
    /// driver says so rather than showing nothing.
    public static func discover(
        procRoot: String = "/proc", cudaMode: CUDAMode = .enabled,
        cudaLibrary: String = CUDADriver.configuredLibrary
    ) -> DeviceInventory {
        let host = HostInfo.read(procRoot: procRoot)
        let cpu = Device(
            backend: .cpu, device: "cpu0", name: host.cpuModel, up: true, cores: host.availableCPUs,
            simdPath: SIMDPath.detected.rawValue, simdPathsAvailable: SIMDPath.supported.map(\.rawValue),
            memoryTotalBytes: host.memoryTotalBytes, memoryAvailableBytes: host.memoryAvailableBytes)
        let platform = CUDAPlatform.open(mode: cudaMode, library: cudaLibrary)
        defer { platform.close() }
        return DeviceInventory(devices: [cpu] + cudaDevices(platform))
    }

    static func cudaDevices(_ platform: CUDAPlatform) -> [Device] {
        switch platform.status {
        case .off:
            return []
        case .down(let reason):
            return [Device(backend: .cuda, device: "cuda", name: "", up: false, driverVersion: platform.driverVersion, reason: reason)]
        case .up:
            return platform.devices.map { d in
                Device(
                    backend: .cuda, device: d.info.device, name: d.info.name, up: d.up, memoryTotalBytes: d.memoryTotalBytes,
                    memoryAvailableBytes: d.memoryFreeBytes, uuid: d.info.uuid, computeCapability: d.info.computeCapability,
                    multiprocessors: d.info.multiprocessors, clockMhz: d.info.clockMhz, memoryClockMhz: d.info.memoryClockMhz,
                    memoryBusWidthBits: d.info.memoryBusWidthBits, driverVersion: platform.driverVersion, reason: d.up ? nil : d.reason)
            }
        }
    }

    /// One row a device. CORES/SIMD are the CPU's; CC/SMS a GPU's; DETAIL has a GPU's UUID,
    /// driver and clocks, or why a device is down.
    public func table() -> String {
        let header = ["BACKEND", "DEVICE", "NAME", "UP", "CORES", "SIMD", "SIMD AVAILABLE", "CC", "SMS", "MEMORY", "DETAIL"]
        let rows = devices.map { d in
            [
                d.backend.rawValue, d.device, d.name.isEmpty ? "-" : d.name, d.up ? "yes" : "no", d.cores.map(String.init) ?? "-",
                d.simdPath ?? "-", d.simdPathsAvailable?.joined(separator: ",") ?? "-",
                d.computeCapability ?? "-", d.multiprocessors.map(String.init) ?? "-",
                d.memoryTotalBytes.map { ByteCount.format($0) } ?? "-", d.detail,
            ]
        }
        let all = [header] + rows
        return alignedColumns(all).joined(separator: "\n") + "\n"
    }

    public func json() throws -> [UInt8] {
        try ProjectJSON.file(self)
    }
}

extension DeviceInventory.Device {
    /// The reason when down; for a GPU its UUID, driver, clocks and bus width; else "-".
    var detail: String {
        if let reason, !reason.isEmpty { return reason }
        guard let uuid else { return "-" }
        var parts = [uuid]
        if let driverVersion { parts.append("driver \(driverVersion)") }
        if let clockMhz { parts.append("\(clockMhz) MHz") }
        if let memoryClockMhz, let memoryBusWidthBits { parts.append("memory \(memoryClockMhz) MHz \(memoryBusWidthBits)-bit") }
        return parts.joined(separator: ", ")
    }
}
