extension CUDAPlatform {
    /// The GPUs as device rows (docs/cuda.md): none when the backend is off, one `device="cuda"`
    /// row when it is down as a whole, else one row per GPU.
    ///
    /// CUDA rows carry uuid, compute_capability, sms and driver where the CPU's carry simd_path and
    /// threads; every CUDA row has the same names, empty when unknown.
    public var deviceStatuses: [DeviceStatus] {
        switch status {
        case .off:
            return []
        case .down(let reason):
            return [
                DeviceStatus(
                    backend: .cuda, device: "cuda", name: "", up: false, reason: reason, extraInfo: Self.extraInfo(nil, driver: driverVersion ?? ""),
                    memoryFreeBytes: nil, memoryTotalBytes: nil)
            ]
        case .up:
            return devices.indices.map(deviceStatus)
        }
    }

    /// One GPU's row, as its runner reports it.
    public func deviceStatus(_ index: Int) -> DeviceStatus {
        let device = devices[index]
        return DeviceStatus(
            backend: .cuda, device: device.info.device, name: device.info.name, up: device.up, reason: device.reason,
            extraInfo: Self.extraInfo(device.info, driver: driverVersion ?? ""), memoryFreeBytes: device.memoryFreeBytes,
            memoryTotalBytes: device.memoryTotalBytes)
    }

    private static func extraInfo(_ info: CUDADeviceInfo?, driver: String) -> [(String, String)] {
        [
            ("compute_capability", info?.computeCapability ?? ""), ("driver", driver),
            ("sms", info.map { String($0.multiprocessors) } ?? ""), ("uuid", info?.uuid ?? ""),
        ]
    }
}
