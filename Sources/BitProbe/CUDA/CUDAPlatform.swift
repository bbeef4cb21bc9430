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
        /// The device's primary context; nil when it could not be retained or was torn down.
        public var context: CUDAContext?
        /// The CUdevice handle; nil when the device could not even be named (no recovery then).
        public var handle: Int32?
        /// While down: when the next recovery attempt is due (nil when none will be made).
        public var recovery: CUDARecoveryBackoff?
        /// After a recovery: when it happened and the failed attempts it continues from, should
        /// the device go down again within `CUDARecoveryBackoff.maximumDelay`.
        public var lastRecovery: (at: Double, failures: Int)?
    }

    public let mode: CUDAMode
    public let library: String
    public let status: Status
    /// "13.0", once the driver is initialised.
    public let driverVersion: String?
    public private(set) var devices: [Device]
    /// The loaded driver, when the platform got that far.
    public let driver: CUDADriver?

    private init(mode: CUDAMode, library: String, status: Status, driverVersion: String?, devices: [Device], driver: CUDADriver? = nil) {
        self.mode = mode
        self.library = library
        self.status = status
        self.driverVersion = driverVersion
        self.devices = devices
        self.driver = driver
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
        let platform = CUDAPlatform(mode: mode, library: library, status: .up, driverVersion: version, devices: devices, driver: driver)
        platform.refreshMemory()
        let now = MonotonicClock.seconds()
        for index in platform.devices.indices where !platform.devices[index].up && platform.devices[index].handle != nil {
            platform.devices[index].recovery = platform.devices[index].recovery ?? CUDARecoveryBackoff(downAt: now)
        }
        return platform
    }

    private static func openDevice(driver: CUDADriver, ordinal: Int) -> Device {
        let placeholder = CUDADeviceInfo(
            device: "cuda\(ordinal)", ordinal: ordinal, name: "", uuid: "", computeCapability: "",
            multiprocessors: 0, memoryTotalBytes: 0)
        let info: CUDADeviceInfo
        let handle: Int32
        do { (info, handle) = try CUDADeviceInfo.read(driver: driver, ordinal: ordinal) } catch {
            return Device(info: placeholder, up: false, reason: error.description)
        }
        do {
            let context = try CUDAContext(driver: driver, device: handle)
            return Device(info: info, up: true, reason: "", memoryTotalBytes: info.memoryTotalBytes, context: context, handle: handle)
        } catch {
            return Device(info: info, up: false, reason: error.description, memoryTotalBytes: info.memoryTotalBytes, handle: handle)
        }
    }

    /// Reads free and total memory of every device that is up, in its context. A sticky error
    /// marks the device down with the error as reason (its context is unusable); another error
    /// leaves it up without a free-memory reading this time. Returns the devices it marked down
    /// (their contexts reset and released, a recovery attempt scheduled).
    /// `only`: the one device to read (its runner's), nil for every device.
    @discardableResult
    public func refreshMemory(only: Int? = nil) -> [Device] {
        var markedDown: [Device] = []
        for index in devices.indices where devices[index].up && (only == nil || only == index) {
            guard let context = devices[index].context else { continue }
            do {
                let (free, total) = try context.memoryInfo()
                devices[index].memoryFreeBytes = free
                devices[index].memoryTotalBytes = total
            } catch {
                devices[index].memoryFreeBytes = nil
                if error.kind == .sticky {
                    markDown(index, reason: error.description)
                    markedDown.append(devices[index])
                }
            }
        }
        return markedDown
    }

    /// Takes a device out of service (a sticky error, a hung kernel, kernels that do not load,
    /// repeated lost-device errors): its context is reset
    /// (cuDevicePrimaryCtxReset_v2: every allocation, module and stream in it is gone) and
    /// released, and a recovery attempt is scheduled (`CUDARecoveryBackoff`).
    public func markDown(_ index: Int, reason: String, now: Double = MonotonicClock.seconds()) {
        if let context = devices[index].context {
            _ = try? context.reset()
            context.release()
        }
        devices[index].context = nil
        devices[index].up = false
        devices[index].reason = reason
        devices[index].memoryFreeBytes = nil
        guard devices[index].handle != nil else { return }
        var failures = 0
        if let last = devices[index].lastRecovery, now - last.at < CUDARecoveryBackoff.maximumDelay { failures = last.failures }
        devices[index].recovery = CUDARecoveryBackoff(downAt: now, failures: failures)
    }

    /// Tries to bring back every down device whose attempt is due: reset the primary context,
    /// retain it again, read its memory, then `prepare` (the agent loads the kernels there, so a
    /// driver that cannot load them keeps the device down and backing off). Returns what
    /// happened to each device tried: nil when it is back up, else why not (the device's new
    /// reason; the next attempt is later).
    /// `only`: the one device to try (its runner's), nil for every device.
    @discardableResult
    public func recoverDue(
        now: Double = MonotonicClock.seconds(), only: Int? = nil,
        prepare: (_ device: Device, _ context: CUDAContext) throws -> Void = { _, _ in }
    ) -> [(device: String, error: String?)] {
        guard let driver else { return [] }
        var tried: [(device: String, error: String?)] = []
        for index in devices.indices where !devices[index].up && (only == nil || only == index) {
            guard let handle = devices[index].handle, let backoff = devices[index].recovery, backoff.isDue(at: now) else { continue }
            var context: CUDAContext?
            do {
                try driver.check(driver.table.cuDevicePrimaryCtxReset(handle), "cuDevicePrimaryCtxReset_v2")
                let fresh = try CUDAContext(driver: driver, device: handle)
                context = fresh
                let (free, total) = try fresh.memoryInfo()
                try prepare(devices[index], fresh)
                devices[index].context = fresh
                devices[index].up = true
                devices[index].reason = ""
                devices[index].recovery = nil
                devices[index].lastRecovery = (now, backoff.attempts + 1)
                devices[index].memoryFreeBytes = free
                devices[index].memoryTotalBytes = total
                tried.append((devices[index].info.device, nil))
            } catch {
                context?.release()
                devices[index].reason = "\(error)"
                devices[index].recovery?.failed(at: now)
                tried.append((devices[index].info.device, "\(error)"))
            }
        }
        return tried
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
