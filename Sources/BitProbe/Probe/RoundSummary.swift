/// One round of a probe measured in rounds: one process, its median iteration time and how many
/// samples that median is of. The regression gate's unit of evidence (`RoundRatio`).
public struct RoundSummary: Codable, Equatable, Sendable {
    /// Unix time (seconds) the round's probe run started.
    public var startedAt: Double
    public var medianSeconds: Double
    public var sampleCount: Int
    /// Wall time of the round's probe run: allocation, inputs, warmup, measurement, verification.
    public var wallSeconds: Double

    public init(startedAt: Double, medianSeconds: Double, sampleCount: Int, wallSeconds: Double) {
        self.startedAt = startedAt
        self.medianSeconds = medianSeconds
        self.sampleCount = sampleCount
        self.wallSeconds = wallSeconds
    }

    /// The summary of an `ok` result; nil for any other (it has no timing to compare).
    public init?(_ result: ProbeResult) {
        guard result.outcome == .ok, let median = result.statistics?.median else { return nil }
        self.init(startedAt: result.startedAt, medianSeconds: median, sampleCount: result.samples.count, wallSeconds: result.wallSeconds)
    }
}

extension ProbeResult {
    /// The medians the gate compares: every round's, or the result's own median as one round when
    /// it was not measured in rounds (a bench result, an agent cycle).
    public var roundMedians: [Double] {
        if let rounds { return rounds.map(\.medianSeconds) }
        return statistics.map { [$0.median] } ?? []
    }
}
