import CKernels

/// The instruction-set path the CPU kernels run on. Detected at run time, so one binary uses the
/// widest path each machine of a fleet has; a narrower one can be forced (`--simd`).
public enum SIMDPath: String, CaseIterable, Codable, Sendable {
    case portable
    case avx2
    case avx512
    case neon

    var isa: bp_isa {
        switch self {
        case .portable: BP_ISA_PORTABLE
        case .avx2: BP_ISA_AVX2
        case .avx512: BP_ISA_AVX512
        case .neon: BP_ISA_NEON
        }
    }

    /// The widest path this CPU and OS support.
    public static var detected: SIMDPath { SIMDPath(bp_isa_detect()) }

    /// Every path this machine can run, narrowest first.
    public static var supported: [SIMDPath] { allCases.filter(\.isSupported) }

    public var isSupported: Bool { bp_isa_supported(isa) != 0 }

    init(_ isa: bp_isa) {
        switch isa {
        case BP_ISA_AVX2: self = .avx2
        case BP_ISA_AVX512: self = .avx512
        case BP_ISA_NEON: self = .neon
        default: self = .portable
        }
    }
}
