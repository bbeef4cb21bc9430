import CCUDADriver

/// Device memory allocated in a context; freed with `CUDAContext.free`.
public struct CUDADeviceBuffer: Sendable, Equatable {
    /// The CUdeviceptr.
    public var address: UInt64
    public var bytes: Int
}

/// Page-locked host memory (cuMemAllocHost_v2), for transfers at full PCIe speed.
public struct CUDAHostBuffer: @unchecked Sendable {
    // @unchecked: a plain address; whoever allocated it decides who touches the bytes.
    public var pointer: UnsafeMutableRawPointer
    public var bytes: Int
}

extension CUDAContext {
    /// cuMemAlloc_v2. Out of memory is a `CUDAError` whose `kind` is `.outOfMemory`.
    public func allocate(bytes: Int) throws(CUDAError) -> CUDADeviceBuffer {
        try withCurrent { () throws(CUDAError) -> CUDADeviceBuffer in
            var address: bp_cu_deviceptr = 0
            try driver.check(driver.table.cuMemAlloc(&address, bytes), "cuMemAlloc_v2")
            return CUDADeviceBuffer(address: address, bytes: bytes)
        }
    }

    public func free(_ buffer: CUDADeviceBuffer) throws(CUDAError) {
        try withCurrent { () throws(CUDAError) in try driver.check(driver.table.cuMemFree(buffer.address), "cuMemFree_v2") }
    }

    public func allocateHost(bytes: Int) throws(CUDAError) -> CUDAHostBuffer {
        try withCurrent { () throws(CUDAError) -> CUDAHostBuffer in
            var pointer: UnsafeMutableRawPointer?
            try driver.check(driver.table.cuMemAllocHost(&pointer, bytes), "cuMemAllocHost_v2")
            return CUDAHostBuffer(pointer: pointer!, bytes: bytes)
        }
    }

    public func free(_ buffer: CUDAHostBuffer) throws(CUDAError) {
        try withCurrent { () throws(CUDAError) in try driver.check(driver.table.cuMemFreeHost(buffer.pointer), "cuMemFreeHost") }
    }

    /// Synchronous host-to-device copy of `source` to the start of `destination`.
    public func copy(_ source: UnsafeRawBufferPointer, to destination: CUDADeviceBuffer) throws(CUDAError) {
        precondition(source.count <= destination.bytes, "copy larger than the device buffer")
        try withCurrent { () throws(CUDAError) in
            try driver.check(driver.table.cuMemcpyHtoD(destination.address, source.baseAddress, source.count), "cuMemcpyHtoD_v2")
        }
    }

    /// Synchronous device-to-host copy of the start of `source` into `destination`.
    public func copy(_ source: CUDADeviceBuffer, to destination: UnsafeMutableRawBufferPointer) throws(CUDAError) {
        precondition(destination.count <= source.bytes, "copy larger than the device buffer")
        try withCurrent { () throws(CUDAError) in
            try driver.check(driver.table.cuMemcpyDtoH(destination.baseAddress, source.address, destination.count), "cuMemcpyDtoH_v2")
        }
    }

    public func copy(_ source: CUDADeviceBuffer, to destination: CUDADeviceBuffer, bytes: Int) throws(CUDAError) {
        precondition(bytes <= source.bytes && bytes <= destination.bytes, "copy larger than a device buffer")
        try withCurrent { () throws(CUDAError) in
            try driver.check(driver.table.cuMemcpyDtoD(destination.address, source.address, bytes), "cuMemcpyDtoD_v2")
        }
    }

    public func fill(_ buffer: CUDADeviceBuffer, byte: UInt8) throws(CUDAError) {
        try withCurrent { () throws(CUDAError) in
            try driver.check(driver.table.cuMemsetD8(buffer.address, byte, buffer.bytes), "cuMemsetD8_v2")
        }
    }
}
