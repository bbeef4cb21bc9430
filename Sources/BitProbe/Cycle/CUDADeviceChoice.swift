/// The GPUs a one-shot command probes: the driver opened as `enabled` (so a node without one says
/// why), then the named device or every device that is up. Each refusal is one line.
public struct CUDADeviceChoice {
    public let platform: CUDAPlatform
    /// Indices into `platform.devices`, in device order.
    public let indices: [Int]

    /// Why no GPU can be probed, or nil when at least one can (`device` nil: every one that is up).
    public static func open(device: String?) -> Result<CUDADeviceChoice, CUDAUnavailable> {
        let platform = CUDAPlatform.open(mode: .enabled)
        switch platform.status {
        case .off(let reason), .down(let reason):
            return .failure(CUDAUnavailable(reason: reason))
        case .up:
            break
        }
        let known = platform.devices.map(\.info.device)
        if let device {
            guard let index = platform.devices.firstIndex(where: { $0.info.device == device }) else {
                platform.close()
                return .failure(CUDAUnavailable(reason: "no device \(device) (devices: \(known.joined(separator: ", ")))"))
            }
            let found = platform.devices[index]
            guard found.up, found.context != nil else {
                platform.close()
                return .failure(CUDAUnavailable(reason: "\(device) is down: \(found.reason)"))
            }
            return .success(CUDADeviceChoice(platform: platform, indices: [index]))
        }
        let up = platform.devices.indices.filter { platform.devices[$0].up && platform.devices[$0].context != nil }
        guard !up.isEmpty else {
            let reasons = platform.devices.map { "\($0.info.device): \($0.reason)" }.joined(separator: "; ")
            platform.close()
            return .failure(CUDAUnavailable(reason: "every GPU is down (\(reasons))"))
        }
        return .success(CUDADeviceChoice(platform: platform, indices: up))
    }
}

/// Why no GPU can be probed, in one line.
public struct CUDAUnavailable: Error, Sendable {
    public var reason: String

    public init(reason: String) { self.reason = reason }
}
