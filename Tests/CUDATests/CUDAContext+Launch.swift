@testable import BitProbe

// The driver tests launch kernels one at a time; the probes prepare theirs once
// (CUDAPreparedLaunch), so this one-call form lives with the tests that use it.
extension CUDAContext {
    /// cuLaunchKernel: queues `function` on `stream` (the legacy default stream when nil). A
    /// launch returns before the kernel runs; errors of the kernel itself show at the next
    /// synchronisation.
    func launch(
        _ function: CUDAFunction, shape: CUDALaunchShape, stream: CUDAStream? = nil,
        arguments: [CUDAKernelArgument]
    ) throws(CUDAError) {
        let launch = CUDAPreparedLaunch(function, shape: shape, arguments: arguments)
        try withCurrent { () throws(CUDAError) in try launch.enqueueCurrent(on: stream) }
    }
}
