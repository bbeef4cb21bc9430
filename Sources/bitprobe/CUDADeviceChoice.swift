import ArgumentParser
import BitProbe

/// The GPUs a CLI command probes: the driver opened as `enabled` (so a node without one says
/// why), then the named device or every device that is up. Each refusal is one line, exit 3.
struct CUDADeviceChoice {
    let platform: CUDAPlatform
    let devices: [CUDAPlatform.Device]

    /// Why no GPU can be probed, or nil when at least one can (`device` nil: every one that is up).
    static func open(device: String?) -> Result<CUDADeviceChoice, CUDAUnavailable> {
        let platform = CUDAPlatform.open(mode: .enabled)
        switch platform.status {
        case .off(let reason), .down(let reason):
            return .failure(CUDAUnavailable(reason: reason))
        case .up:
            break
        }
        let known = platform.devices.map(\.info.device)
        if let device {
            guard let found = platform.devices.first(where: { $0.info.device == device }) else {
                platform.close()
                return .failure(CUDAUnavailable(reason: "no device \(device) (devices: \(known.joined(separator: ", ")))"))
            }
            guard found.up, found.context != nil else {
                platform.close()
                return .failure(CUDAUnavailable(reason: "\(device) is down: \(found.reason)"))
            }
            return .success(CUDADeviceChoice(platform: platform, devices: [found]))
        }
        let up = platform.devices.filter { $0.up && $0.context != nil }
        guard !up.isEmpty else {
            let reasons = platform.devices.map { "\($0.info.device): \($0.reason)" }.joined(separator: "; ")
            platform.close()
            return .failure(CUDAUnavailable(reason: "every GPU is down (\(reasons))"))
        }
        return .success(CUDADeviceChoice(platform: platform, devices: up))
    }

    /// A backend on `device` with the fatbin loaded; nil and the reason when loading failed.
    static func backend(on device: CUDAPlatform.Device, tracker: MemoryTracker? = nil) -> Result<CUDABackend, CUDAUnavailable> {
        guard let context = device.context else { return .failure(CUDAUnavailable(reason: "\(device.info.device) is down: \(device.reason)")) }
        do { return .success(try CUDABackend(info: device.info, context: context, tracker: tracker)) } catch {
            return .failure(CUDAUnavailable(reason: "\(device.info.device): \(error)"))
        }
    }
}

struct CUDAUnavailable: Error {
    var reason: String
}
