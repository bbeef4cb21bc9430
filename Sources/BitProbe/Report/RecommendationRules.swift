/// The rules that turn measured values into recommendations. Each is a pure function of results
/// (or of a comparison, a roofline, a regression report), so each is unit-tested with inputs that
/// trigger it and inputs that do not. Memory rules live with MemoryReport.
public enum RecommendationRules {
    typealias Evidence = Recommendation.Evidence

    /// A CV above this needs more samples before its median can be trusted to a few percent.
    public static let noisyCV = 0.10
    /// f16 counts as "no slower" while its median is within this factor of f32's.
    public static let halfPrecisionTolerance = 1.05
    /// A bandwidth probe at or above this share of the copy bandwidth is limited by memory, not by its kernel.
    public static let bandwidthBoundShare = 0.6
    /// Parallel efficiency (speed-up / threads) under which scaling is worth a look.
    public static let poorScaling = 0.5
    /// A probe spending more than this share of its run outside `measure` costs the agent's duty
    /// cycle more than it measures.
    public static let overheadShare = 0.5

    /// Every rule over one set of inputs, prioritised.
    public static func all(
        results: [ProbeResult], comparison: DeviceComparison? = nil, roofline: Roofline? = nil,
        regression: RegressionReport? = nil, memory: MemoryReport? = nil, profile: ProfileAnalysis? = nil
    ) -> [Recommendation] {
        var list = wrongResults(results) + halfPrecision(results) + ternaryAgainstFloat(results) + threadScaling(results) + noisyProbes(results)
        if let comparison { list += comparison.recommendations ?? [] }
        if let profile { list += probeOverhead(profile) }
        if let roofline { list += bandwidthBound(roofline) }
        if let regression { list += regressions(regression) }
        if let memory { list += memory.recommendations }
        return Recommendation.prioritised(list)
    }

    /// A probe that computed a wrong result is the most important thing a report can say.
    public static func wrongResults(_ results: [ProbeResult]) -> [Recommendation] {
        results.compactMap { result in
            switch result.outcome {
            case .mismatch:
                let v = result.verification
                return Recommendation(
                    category: .correctness, priority: .high, title: "Investigate \(result.spec): it computed a wrong result",
                    detail: "\(v?.wrongValues ?? 0) of \(v?.checkedValues ?? 0) checked values were outside the tolerance"
                        + (v?.firstMismatch.map { " (first: \($0))" } ?? "")
                        + "; suspect the hardware (silent data corruption) or the kernel path \(result.kernelPath)",
                    evidence: [
                        Evidence("wrong values", Double(v?.wrongValues ?? 0), unit: "count"),
                        Evidence("worst error / tolerance", v?.worstErrorRatio ?? 0, unit: "ratio"),
                    ])
            case .failed, .timeout:
                return Recommendation(
                    category: .measurement, priority: .high, title: "Probe \(result.spec) \(result.outcome == .failed ? "failed" : "timed out")",
                    detail: result.detail ?? "no detail was recorded",
                    evidence: [Evidence("wall time", result.wallSeconds, unit: "s")])
            case .ok, .skipped:
                return nil
            }
        }
    }

    /// The same op, shape and device verified in both f32 and f16, with both medians: what the
    /// f16 rule and the report's precision table compare.
    static func halfPrecisionPairs(_ results: [ProbeResult]) -> [(f32: ProbeResult, f16: ProbeResult, f32Median: Double, f16Median: Double)] {
        let ok = verified(results)
        return ok.filter { $0.spec.dtype == .f16 }.compactMap { f16 in
            guard
                let f32 = ok.first(where: {
                    $0.spec.dtype == .f32 && $0.spec.op == f16.spec.op && $0.spec.shape == f16.spec.shape && $0.spec.device == f16.spec.device
                }),
                let slow = f32.statistics?.median, let fast = f16.statistics?.median, fast > 0
            else { return nil }
            return (f32, f16, slow, fast)
        }
    }

    /// Each verified ternary_matmul with the faster float matmul of the same shape and device, and
    /// float median / ternary median: what the ternary rule and the executive summary compare.
    static func ternaryPairs(_ results: [ProbeResult]) -> [(ternary: ProbeResult, float: ProbeResult, speedup: Double)] {
        let ok = verified(results)
        return ok.filter { $0.spec.op == .ternaryMatmul }.compactMap { ternary in
            let floats = ok.filter { $0.spec.op == .matmul && $0.spec.shape == ternary.spec.shape && $0.spec.device == ternary.spec.device }
            guard let float = floats.min(by: { ($0.statistics?.median ?? .infinity) < ($1.statistics?.median ?? .infinity) }),
                let t = ternary.statistics?.median, let f = float.statistics?.median, t > 0
            else { return nil }
            return (ternary, float, f / t)
        }
    }

    /// Where f16 runs as fast as f32 for the same op, shape and device, it halves the bytes.
    public static func halfPrecision(_ results: [ProbeResult]) -> [Recommendation] {
        var list: [Recommendation] = []
        for (f32, f16, slow, fast) in halfPrecisionPairs(results) {
            let speedup = slow / fast
            let name = "\(f16.spec.op.rawValue) \(f16.spec.shape) on \(f16.spec.device)"
            let evidence = [Evidence("f32 median", slow, unit: "s"), Evidence("f16 median", fast, unit: "s"), Evidence("f32 / f16", speedup, unit: "ratio")]
            if speedup * halfPrecisionTolerance >= 1 {
                let saved = f32.spec.bufferBytes - f16.spec.bufferBytes
                list.append(
                    Recommendation(
                        category: .memory, priority: speedup > halfPrecisionTolerance ? .medium : .low,
                        title: "Use f16 for \(name)",
                        detail:
                            "f16 took \(formatDuration(fast)) against \(formatDuration(slow)) for f32 (\(formatFixed(speedup, decimals: 2))x) and needs \(ByteCount.format(saved)) less for the probe's buffers",
                        evidence: evidence, potentialSavingsBytes: saved, potentialSpeedup: speedup > 1 ? speedup : nil))
            } else {
                list.append(
                    Recommendation(
                        category: .performance, priority: .low, title: "Keep f32 for \(name) where speed matters",
                        detail:
                            "f16 is \(formatFixed(1 / speedup, decimals: 2))x slower than f32 here (\(formatDuration(fast)) against \(formatDuration(slow))): its conversions cost more than the bytes it saves",
                        evidence: evidence))
            }
        }
        return list
    }

    /// Ternary W1.58A8 against the float matmul of the same shape on the same device.
    public static func ternaryAgainstFloat(_ results: [ProbeResult]) -> [Recommendation] {
        var list: [Recommendation] = []
        for (ternary, float, speedup) in ternaryPairs(results) {
            let (t, f) = (ternary.statistics!.median, float.statistics!.median)
            let (n, k) = (ternary.spec.shape[1], ternary.spec.shape[2])
            let floatWeights = n * k * float.spec.dtype.floatElementBytes
            let packedWeights = n * ternaryRowBytes(k: k)
            let evidence = [
                Evidence("\(float.spec.dtype.rawValue) median", f, unit: "s"), Evidence("ternary median", t, unit: "s"),
                Evidence("speed-up", speedup, unit: "ratio"), Evidence("weight bytes saved", Double(floatWeights - packedWeights), unit: "B"),
            ]
            let shape = "\(ternary.spec.shape) on \(ternary.spec.device)"
            if speedup > 1 {
                list.append(
                    Recommendation(
                        category: .performance, priority: speedup >= 2 ? .high : .medium,
                        title: "Use ternary W1.58A8 weights for \(shape)",
                        detail:
                            "ternary_matmul took \(formatDuration(t)) against \(formatDuration(f)) for matmul \(float.spec.dtype.rawValue) (\(formatFixed(speedup, decimals: 1))x faster), with \(ByteCount.format(packedWeights)) of packed weights instead of \(ByteCount.format(floatWeights))",
                        evidence: evidence, potentialSavingsBytes: floatWeights - packedWeights, potentialSpeedup: speedup))
            } else {
                list.append(
                    Recommendation(
                        category: .performance, priority: .medium, title: "Ternary is not faster than \(float.spec.dtype.rawValue) for \(shape)",
                        detail:
                            "ternary_matmul took \(formatDuration(t)) against \(formatDuration(f)) for matmul \(float.spec.dtype.rawValue): at this shape the packed weights save memory (\(ByteCount.format(floatWeights - packedWeights))) but not time",
                        evidence: evidence, potentialSavingsBytes: floatWeights - packedWeights))
            }
        }
        return list
    }

    /// The same probe measured with one thread and with several: how well it scales.
    public static func threadScaling(_ results: [ProbeResult]) -> [Recommendation] {
        var list: [Recommendation] = []
        let ok = verified(results)
        for single in ok where single.threads == 1 {
            guard let many = ok.filter({ $0.spec == single.spec && $0.threads > 1 }).max(by: { $0.threads < $1.threads }),
                let t1 = single.statistics?.median, let tn = many.statistics?.median, tn > 0
            else { continue }
            let speedup = t1 / tn
            let efficiency = speedup / Double(many.threads)
            guard efficiency < poorScaling else { continue }
            list.append(
                Recommendation(
                    category: .performance, priority: .medium, title: "\(single.spec) scales poorly across threads",
                    detail:
                        "\(many.threads) threads made it \(formatFixed(speedup, decimals: 2))x faster than 1 thread (\(formatFixed(efficiency * 100, decimals: 0))% parallel efficiency): it is likely bandwidth-bound; give its threads to other work",
                    evidence: [
                        Evidence("1-thread median", t1, unit: "s"), Evidence("\(many.threads)-thread median", tn, unit: "s"),
                        Evidence("parallel efficiency", efficiency, unit: "ratio"),
                    ]))
        }
        return list
    }

    /// A probe whose samples spread widely needs a longer measurement before its median is trusted.
    public static func noisyProbes(_ results: [ProbeResult]) -> [Recommendation] {
        verified(results).compactMap { result in
            guard let stats = result.statistics, stats.cv > noisyCV else { return nil }
            return Recommendation(
                category: .measurement, priority: .low, title: "Measure \(result.spec) for longer",
                detail:
                    "its samples vary with a CV of \(formatFixed(stats.cv * 100, decimals: 1))% over \(stats.count) iterations; raise --min-time (or the suite's min_time) so its median settles",
                evidence: [Evidence("cv", stats.cv, unit: "ratio"), Evidence("samples", Double(stats.count), unit: "count")])
        }
    }

    /// Which device to run each op on, from the measured crossover of `compare`.
    public static func deviceSelection(_ comparison: DeviceComparison) -> [Recommendation] {
        guard !comparison.gpus.isEmpty else { return [] }
        return comparison.guide.map { guide in
            let rows = comparison.rows.filter { $0.op == guide.op && $0.dtype == guide.dtype }
            let name = "\(guide.op.rawValue) \(guide.dtype.rawValue)"
            guard let device = guide.device, let size = guide.crossoverSize else {
                return Recommendation(
                    category: .device, priority: .low, title: "Keep \(name) on \(comparison.cpu)",
                    detail: "no GPU beat \(comparison.cpu) at the largest size tried", evidence: [])
            }
            let largest = rows.last?.speedup[device] ?? 1
            return Recommendation(
                category: .device, priority: largest >= 2 ? .high : .medium, title: "Run \(name) from size \(size) on \(device)",
                detail:
                    "\(device) was faster than \(comparison.cpu) at every size from \(size) up; \(formatFixed(largest, decimals: 1))x at size \(rows.last?.size ?? size)",
                evidence: [Evidence("crossover size", Double(size), unit: "elements"), Evidence("speed-up at largest size", largest, unit: "ratio")],
                potentialSpeedup: largest)
        }
    }

    /// Bandwidth probes running near the measured copy bandwidth: their kernel is not the limit.
    public static func bandwidthBound(_ roofline: Roofline) -> [Recommendation] {
        roofline.points.compactMap { point in
            guard point.intensity == nil, point.efficiency >= bandwidthBoundShare, let bytes = point.achievedBytesPerSecond else { return nil }
            return Recommendation(
                category: .performance, priority: .low, title: "\(point.probe) is bandwidth-bound",
                detail:
                    "it moves \(formatSI(bytes, unit: "B/s")), \(formatFixed(point.efficiency * 100, decimals: 0))% of the copy bandwidth measured here (\(formatSI(roofline.bandwidth.value, unit: "B/s"))): fuse it with its neighbours or keep it off the critical path; a faster kernel will not help",
                evidence: [Evidence("achieved bytes/s", bytes, unit: "B/s"), Evidence("copy bandwidth", roofline.bandwidth.value, unit: "B/s")])
        }
    }

    /// Regressions against a baseline, with their measured ratio.
    public static func regressions(_ report: RegressionReport) -> [Recommendation] {
        report.comparisons.compactMap { comparison in
            guard comparison.verdict == .regression, let ratio = comparison.medianRatio else { return nil }
            let critical = comparison.severity == .critical
            return Recommendation(
                category: .performance, priority: critical || ratio >= 1.25 ? .high : .medium,
                title: "Find what slowed \(comparison.spec) since baseline '\(report.baseline.name)'",
                detail:
                    "its median went from \(comparison.baselineMedianSeconds.map(formatDuration) ?? "-") to \(comparison.currentMedianSeconds.map(formatDuration) ?? "-") (\(formatFixed(ratio, decimals: 2))x)",
                evidence: [Evidence("median ratio", ratio, unit: "ratio")], potentialSpeedup: ratio)
        }
    }

    /// Probes whose run is mostly preparation and verification rather than measurement, from the
    /// profile (`probe <spec>` spans and their phases).
    public static func probeOverhead(_ analysis: ProfileAnalysis) -> [Recommendation] {
        analysis.nodes.compactMap { node in
            guard let name = node.path.last, name.hasPrefix("probe "), node.totalNanos > 0,
                let measure = analysis.nodes.first(where: { $0.path == node.path + ["measure"] })
            else { return nil }
            let outside = 1 - Double(measure.totalNanos) / Double(node.totalNanos)
            guard outside > overheadShare else { return nil }
            let phases = analysis.nodes.filter { $0.path.count == node.path.count + 1 && $0.path.starts(with: node.path) && $0.path.last != "measure" }
                .sorted { $0.totalNanos > $1.totalNanos }
            let breakdown = phases.prefix(2).map { "\($0.path.last!) \(formatFixed(Double($0.totalNanos) / Double(node.totalNanos) * 100, decimals: 0))%" }
            let probe = String(name.dropFirst("probe ".count))
            return Recommendation(
                category: .measurement, priority: .low, title: "\(probe) spends most of its run outside measurement",
                detail:
                    "\(formatFixed(outside * 100, decimals: 0))% of its \(formatDuration(Double(node.totalNanos) / 1e9)) went to other phases (\(breakdown.joined(separator: ", "))): in the agent that is duty-cycle time without samples; a longer min_time shifts the balance toward samples",
                evidence: [
                    Evidence("probe run", Double(node.totalNanos) / 1e9, unit: "s"), Evidence("measure", Double(measure.totalNanos) / 1e9, unit: "s"),
                    Evidence("share outside measure", outside, unit: "ratio"),
                ])
        }
    }

    private static func verified(_ results: [ProbeResult]) -> [ProbeResult] { results.filter { $0.outcome == .ok } }
}
