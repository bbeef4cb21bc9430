import CCUDAKernels

#if canImport(Glibc)
import Glibc
#endif

/// The tensor-core matmul kernels of the fatbin (cuda-kernels.md): 128x128 tiles with 3 stages
/// (48 KiB, no opt-in), the same with 4 stages (64 KiB), and 128x256 tiles with 4 stages (96 KiB).
/// Which is fastest depends on the GPU and is for a GPU run to measure, so the safe 3-stage kernel
/// is the default and `BITPROBE_CUDA_MATMUL_KERNEL=s3|s4|wide` chooses another (tuning, gpu-check).
public enum CUDAMatmulVariant: String, CaseIterable, Sendable {
    case s3, s4, wide

    public static let environmentVariable = "BITPROBE_CUDA_MATMUL_KERNEL"

    /// The variable's value when it names a variant, else `s3`.
    public static var configured: CUDAMatmulVariant {
        guard let value = getenv(environmentVariable) else { return .s3 }
        return CUDAMatmulVariant(rawValue: String(cString: value)) ?? .s3
    }

    func kernel(bf16: Bool) -> String {
        switch self {
        case .s3: bf16 ? BP_CUDA_KERNEL_MATMUL_BF16 : BP_CUDA_KERNEL_MATMUL_F16
        case .s4: bf16 ? BP_CUDA_KERNEL_MATMUL_BF16_S4 : BP_CUDA_KERNEL_MATMUL_F16_S4
        case .wide: bf16 ? BP_CUDA_KERNEL_MATMUL_BF16_WIDE : BP_CUDA_KERNEL_MATMUL_F16_WIDE
        }
    }

    var tileN: Int { self == .wide ? Int(BP_CUDA_MATMUL_TC_TILE_N_WIDE) : Int(BP_CUDA_MATMUL_TC_TILE_N) }

    var sharedBytes: Int {
        switch self {
        case .s3: Int(BP_CUDA_MATMUL_TC_SMEM)
        case .s4: Int(BP_CUDA_MATMUL_TC_SMEM_S4)
        case .wide: Int(BP_CUDA_MATMUL_TC_SMEM_WIDE)
        }
    }
}
