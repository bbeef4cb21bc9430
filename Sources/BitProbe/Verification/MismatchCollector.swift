/// Accumulates comparisons of output values against a reference into a `VerificationReport`.
struct MismatchCollector {
    let tolerance: String
    private(set) var checked = 0
    private(set) var wrong = 0
    private(set) var worstRatio = 0.0
    private(set) var firstMismatch: String?

    init(tolerance: String) { self.tolerance = tolerance }

    /// Records one value; `describe` is only called for the first wrong value.
    mutating func check(got: Double, expected: Double, allowed: Double, describe: () -> String) {
        checked += 1
        let error = abs(got - expected)
        let ratio: Double
        if error.isNaN || got.isNaN != expected.isNaN {
            ratio = .infinity
        } else if error <= allowed {
            ratio = allowed > 0 ? error / allowed : 0
        } else {
            ratio = allowed > 0 ? error / allowed : .infinity
        }
        worstRatio = max(worstRatio, ratio)
        guard ratio > 1 || (ratio.isInfinite && error != 0) || got.isNaN else { return }
        wrong += 1
        if firstMismatch == nil {
            firstMismatch = "\(describe()) = \(got), expected \(expected) ± \(allowed)"
        }
    }

    /// Records an exact comparison.
    mutating func checkExact<T: Equatable>(got: T, expected: T, describe: () -> String) {
        checked += 1
        guard got != expected else { return }
        wrong += 1
        worstRatio = .infinity
        if firstMismatch == nil {
            firstMismatch = "\(describe()) = \(got), expected \(expected)"
        }
    }

    var report: VerificationReport {
        VerificationReport(
            checkedValues: checked, wrongValues: wrong, worstErrorRatio: worstRatio,
            tolerance: tolerance, firstMismatch: firstMismatch)
    }
}

/// Which rows or columns of a large output the verifier checks: the first, the last, and evenly
/// spaced ones between, so edge tiles and the interior are both covered.
enum SampledIndices {
    static func evenly(count: Int, limit: Int) -> [Int] {
        guard count > limit else { return Array(0..<count) }
        precondition(limit >= 2)
        var indices = (0..<limit).map { $0 * (count - 1) / (limit - 1) }
        indices[limit - 1] = count - 1
        return indices
    }
}
