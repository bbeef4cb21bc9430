/// Whether the agent and `bitprobe devices` use the CUDA backend (`backends.cuda`, docs/cuda.md).
public enum CUDAMode: String, CaseIterable, Sendable {
    /// Use the GPUs when a driver is installed; a node without one exports no CUDA series at all.
    case auto
    /// A GPU node: no driver is an error, shown as the backend down with its reason.
    case enabled
    /// Never touch the driver.
    case disabled
}

/// The CUDA driver, its devices and one primary context per device: what the backend stands on.
///
/// Opening never throws: every failure becomes a status with a reason, because a driver problem
/// must never take the agent down. Not thread-safe: one thread (the probe scheduler, or a CLI
/// command) owns it; the contexts it hands out may be used from any thread.
public final class CUDAPlatform {
    public enum Status: Equatable, Sendable {
        /// No CUDA series: disabled, or `auto` on a node without a driver (the reason says which).
        case off(reason: String)
        /// The backend cannot run anything: driver missing (`enabled`), broken, failing cuInit, or no devices.
        case down(reason: String)
        /// Devices were found; each has its own up/down state.
        case up
    }

    /// One GPU and whether probes can run on it.
    public struct Device: Sendable {
        public var info: CUDADeviceInfo
        public var up: Bool
        /// Why the device is down ("" when up).
        public var reason: String
        public var memoryFreeBytes: Int?
        public var memoryTotalBytes: Int?
        /// The device's primary context; nil when it could not be retained.
        public var context: CUDAContext?
    }

    public let mode: CUDAMode
    public let library: String
    public let status: Status
    /// "13.0", once the driver is initialised.
    public let driverVersion: String?
    public private(set) var devices: [Device]

    private init(mode: CUDAMode, library: String, status: Status, driverVersion: String?, devices: [Device]) {
        self.mode = mode
        self.library = library
        self.status = status
        self.driverVersion = driverVersion
        self.devices = devices
    }

    /// Loads the driver, initialises it, reads every device and retains its primary context.
    public static func open(mode: CUDAMode, library: String = CUDADriver.configuredLibrary) -> CUDAPlatform {
        func ended(_ status: Status, version: String? = nil) -> CUDAPlatform {
            CUDAPlatform(mode: mode, library: library, status: status, driverVersion: version, devices: [])
        }
        if mode == .disabled { return ended(.off(reason: "disabled in the config (backends.cuda)")) }
        let driver: CUDADriver
        do { driver = try CUDADriver.load(path: library) } catch {
            if mode == .auto && error.kind == .libraryMissing { return ended(.off(reason: error.message)) }
            return ended(.down(reason: error.message))
        }
        do { try driver.initialize() } catch {
            if error.code == CUDAError.noDeviceCode { return ended(.down(reason: "no CUDA devices: \(error)")) }
            return ended(.down(reason: error.description))
        }
        let version = try? driver.version()
        var count: CInt = 0
        if let error = driver.failure(driver.table.cuDeviceGetCount(&count), "cuDeviceGetCount") {
            return ended(.down(reason: error.description), version: version)
        }
        if count == 0 { return ended(.down(reason: "no CUDA devices: cuDeviceGetCount found 0"), version: version) }
        var devices: [Device] = []
        for ordinal in 0..<Int(count) {
            devices.append(openDevice(driver: driver, ordinal: ordinal))
        }
        let platform = CUDAPlatform(mode: mode, library: library, status: .up, driverVersion: version, devices: devices)
        platform.refreshMemory()
        return platform
    }

    private static func openDevice(driver: CUDADriver, ordinal: Int) -> Device {
        let placeholder = CUDADeviceInfo(device: "cuda\(ordinal)", ordinal: ordinal, name: "", uuid: "", computeCapability: "",
                                         multiprocessors: 0, memoryTotalBytes: 0)
        let info: CUDADeviceInfo
        let handle: Int32
        do { (info, handle) = try CUDADeviceInfo.read(driver: driver, ordinal: ordinal) } catch {
            return Device(info: placeholder, up: false, reason: error.description)
        }
        do {
            let context = try CUDAContext(driver: driver, device: handle)
            return Device(info: info, up: true, reason: "", memoryTotalBytes: info.memoryTotalBytes, context: context)
        } catch {
            return Device(info: info, up: false, reason: error.description, memoryTotalBytes: info.memoryTotalBytes)
        }
    }

    /// Reads free and total memory of every device that is up, in its context. A sticky error
    /// marks the device down with the error as reason (its context is unusable); another error
    /// leaves it up without a free-memory reading this time. Returns the devices it marked down.
    @discardableResult
    public func refreshMemory() -> [Device] {
        var markedDown: [Device] = []
        for index in devices.indices where devices[index].up {
            guard let context = devices[index].context else { continue }
            do {
                let (free, total) = try context.memoryInfo()
                devices[index].memoryFreeBytes = free
                devices[index].memoryTotalBytes = total
            } catch {
                devices[index].memoryFreeBytes = nil
                if error.kind == .sticky {
                    devices[index].up = false
                    devices[index].reason = error.description
                    markedDown.append(devices[index])
                }
            }
        }
        return markedDown
    }

    /// Releases every primary context. Idempotent; the platform then reports no devices up.
    public func close() {
        for index in devices.indices {
            devices[index].context?.release()
            devices[index].context = nil
            if devices[index].up {
                devices[index].up = false
                devices[index].reason = "closed"
            }
        }
    }
}
