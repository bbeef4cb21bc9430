import CCUDADriver

/// What the driver says about one GPU, read once when the backend starts.
public struct CUDADeviceInfo: Codable, Sendable, Equatable {
    /// `cudaN`, N the driver's ordinal (CUDA_VISIBLE_DEVICES applies, as for every CUDA program).
    public var device: String
    public var ordinal: Int
    public var name: String
    /// As nvidia-smi prints it: `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    public var uuid: String
    /// `major.minor`, e.g. `9.0` for an H100/H200.
    public var computeCapability: String
    public var multiprocessors: Int
    /// Peak clocks in MHz and the memory bus width in bits; nil where the driver does not report them.
    public var clockMhz: Int?
    public var memoryClockMhz: Int?
    public var memoryBusWidthBits: Int?
    public var memoryTotalBytes: Int

    /// Reads device `ordinal` through `driver` (initialised).
    static func read(driver: CUDADriver, ordinal: Int) throws(CUDAError) -> (CUDADeviceInfo, handle: Int32) {
        let table = driver.table
        var device: bp_cu_device = 0
        try driver.check(table.cuDeviceGet(&device, CInt(ordinal)), "cuDeviceGet")
        var nameBytes = [CChar](repeating: 0, count: 256)
        try driver.check(table.cuDeviceGetName(&nameBytes, CInt(nameBytes.count), device), "cuDeviceGetName")
        var uuid = bp_cu_uuid()
        if let error = driver.failure(table.cuDeviceGetUuid(&uuid, device), String(cString: table.device_get_uuid_symbol)) { throw error }
        var totalBytes = 0
        try driver.check(table.cuDeviceTotalMem(&totalBytes, device), "cuDeviceTotalMem_v2")
        func attribute(_ attribute: Int) throws(CUDAError) -> Int {
            var value: CInt = 0
            try driver.check(table.cuDeviceGetAttribute(&value, CInt(attribute), device), "cuDeviceGetAttribute")
            return Int(value)
        }
        // Clocks are informational and some drivers stopped reporting them: 0 or an error is "unknown".
        func optionalAttribute(_ attribute: Int) -> Int? {
            var value: CInt = 0
            return table.cuDeviceGetAttribute(&value, CInt(attribute), device) == 0 && value > 0 ? Int(value) : nil
        }
        let major = try attribute(Int(BP_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR))
        let minor = try attribute(Int(BP_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR))
        let info = CUDADeviceInfo(
            device: "cuda\(ordinal)", ordinal: ordinal,
            name: nameBytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) },
            uuid: formatUUID(withUnsafeBytes(of: uuid.bytes) { Array($0) }),
            computeCapability: "\(major).\(minor)",
            multiprocessors: try attribute(Int(BP_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)),
            clockMhz: optionalAttribute(Int(BP_CU_DEVICE_ATTRIBUTE_CLOCK_RATE)).map { $0 / 1000 },
            memoryClockMhz: optionalAttribute(Int(BP_CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE)).map { $0 / 1000 },
            memoryBusWidthBits: optionalAttribute(Int(BP_CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH)),
            memoryTotalBytes: totalBytes)
        return (info, device)
    }

    /// 16 bytes as `GPU-` and 8-4-4-4-12 lowercase hex digits, the form nvidia-smi -L prints.
    public static func formatUUID(_ bytes: [UInt8]) -> String {
        precondition(bytes.count == 16)
        let digits = Array("0123456789abcdef")
        var text = "GPU-"
        for (index, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(index) { text.append("-") }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xf)])
        }
        return text
    }
}
