extension CUDAPlatform {
    /// The GPUs as device rows (docs/cuda.md): none when the backend is off, one `device="cuda"`
    /// row when it is down as a whole, else one row per GPU.
    ///
    /// CUDA rows carry uuid, compute_capability, sms and driver where the CPU's carry simd_path and
    /// threads; every CUDA row has the same names, empty when unknown.
    public var deviceStatuses: [DeviceStatus] {
        let driver = driverVersion ?? ""
        func extra(_ info: CUDADeviceInfo?) -> [(String, String)] {
            [("compute_capability", info?.computeCapability ?? ""), ("driver", driver),
             ("sms", info.map { String($0.multiprocessors) } ?? ""), ("uuid", info?.uuid ?? "")]
        }
        switch status {
        case .off:
            return []
        case .down(let reason):
            return [DeviceStatus(backend: .cuda, device: "cuda", name: "", up: false, reason: reason, extraInfo: extra(nil),
                                 memoryFreeBytes: nil, memoryTotalBytes: nil)]
        case .up:
            return devices.map { device in
                DeviceStatus(backend: .cuda, device: device.info.device, name: device.info.name, up: device.up, reason: device.reason,
                             extraInfo: extra(device.info), memoryFreeBytes: device.memoryFreeBytes, memoryTotalBytes: device.memoryTotalBytes)
            }
        }
    }
}
