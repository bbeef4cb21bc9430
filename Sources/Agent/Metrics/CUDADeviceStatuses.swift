import BitProbe

extension AgentFamilies {
    /// The CUDA rows of the device families (docs/cuda.md): none when the backend is off, one
    /// `device="cuda"` row when it is down as a whole, else one row per GPU.
    ///
    /// CUDA rows of `bitprobe_device_info` carry uuid, compute_capability, sms and driver where the
    /// CPU's carry simd_path and threads; every CUDA row has the same label names, empty when unknown.
    static func cudaStatuses(_ platform: CUDAPlatform?) -> [DeviceStatus] {
        guard let platform else { return [] }
        let driver = platform.driverVersion ?? ""
        func extra(_ info: CUDADeviceInfo?) -> [(String, String)] {
            [("compute_capability", info?.computeCapability ?? ""), ("driver", driver),
             ("sms", info.map { String($0.multiprocessors) } ?? ""), ("uuid", info?.uuid ?? "")]
        }
        switch platform.status {
        case .off:
            return []
        case .down(let reason):
            return [DeviceStatus(backend: .cuda, device: "cuda", name: "", up: false, reason: reason, extraInfo: extra(nil),
                                 memoryFreeBytes: nil, memoryTotalBytes: nil)]
        case .up:
            return platform.devices.map { device in
                DeviceStatus(backend: .cuda, device: device.info.device, name: device.info.name, up: device.up, reason: device.reason,
                             extraInfo: extra(device.info), memoryFreeBytes: device.memoryFreeBytes, memoryTotalBytes: device.memoryTotalBytes)
            }
        }
    }
}
