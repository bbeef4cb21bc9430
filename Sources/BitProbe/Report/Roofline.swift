/// A roofline drawn from this machine's own measurements: the copy probe's bandwidth and the best
/// matrix product's op/s are the ceilings (all measured here, not datasheet peaks). Float products
/// (matmul) and integer ones (ternary_matmul: int8 x ternary, int32 accumulate) run on different
/// units, so each has its own compute ceiling. Each probe then reads as bandwidth- or
/// compute-bound, and its efficiency is achieved / attainable.
public struct Roofline: Codable, Sendable, Equatable {
    public enum Bound: String, Codable, Sendable {
        case bandwidth, compute
    }

    public struct Ceiling: Codable, Sendable, Equatable {
        /// The probe that set it, e.g. "cpu0 copy bytes 67108864".
        public var probe: String
        public var value: Double
    }

    public struct Point: Codable, Sendable, Equatable {
        public var probe: String
        /// Counted operations per counted byte; nil for probes that count bytes only.
        public var intensity: Double?
        public var achievedOpsPerSecond: Double?
        public var achievedBytesPerSecond: Double?
        public var bound: Bound
        /// Achieved / attainable under the measured ceilings (can exceed 1 when a working set fits
        /// in a cache the copy probe's does not).
        public var efficiency: Double
    }

    public var bandwidth: Ceiling
    /// The best float matmul's FLOP/s.
    public var compute: Ceiling?
    /// The best ternary_matmul's integer op/s.
    public var integerCompute: Ceiling?
    public var points: [Point]

    /// nil without a verified copy probe (no bandwidth ceiling to read against).
    public init?(results: [ProbeResult]) {
        let ok = results.filter { $0.outcome == .ok }
        guard let copy = ok.filter({ $0.spec.op == .copy && $0.bytesPerSecond != nil }).max(by: { $0.bytesPerSecond! < $1.bytesPerSecond! }),
            let bandwidth = copy.bytesPerSecond, bandwidth > 0
        else { return nil }
        self.bandwidth = Ceiling(probe: copy.spec.description, value: bandwidth)
        func best(_ op: ProbeOp) -> Ceiling? {
            ok.filter { $0.spec.op == op && $0.operationsPerSecond != nil }.max { $0.operationsPerSecond! < $1.operationsPerSecond! }
                .map { Ceiling(probe: $0.spec.description, value: $0.operationsPerSecond!) }
        }
        compute = best(.matmul)
        integerCompute = best(.ternaryMatmul)
        var points: [Point] = []
        for result in ok where result.spec.op != .copy {
            let ceiling = result.spec.op == .ternaryMatmul ? integerCompute : compute
            if let ops = result.operationsPerSecond, let operations = result.spec.operationsPerIteration, let compute = ceiling {
                let intensity = operations / result.spec.bytesPerIteration
                let memoryRoof = intensity * bandwidth
                let attainable = min(compute.value, memoryRoof)
                points.append(
                    Point(
                        probe: result.spec.description, intensity: intensity, achievedOpsPerSecond: ops,
                        achievedBytesPerSecond: result.bytesPerSecond, bound: memoryRoof < compute.value ? .bandwidth : .compute,
                        efficiency: ops / attainable))
            } else if let bytes = result.bytesPerSecond {
                points.append(
                    Point(
                        probe: result.spec.description, intensity: nil, achievedOpsPerSecond: result.operationsPerSecond,
                        achievedBytesPerSecond: bytes, bound: .bandwidth, efficiency: bytes / bandwidth))
            }
        }
        self.points = points
    }

    /// The intensity at which the bandwidth roof meets the float compute roof (op/B): below it a
    /// float kernel is bandwidth-bound.
    public var ridgeIntensity: Double? { compute.map { $0.value / bandwidth.value } }
}
