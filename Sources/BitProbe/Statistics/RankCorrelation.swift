/// Spearman's rank correlation: Pearson's correlation of the midranks of two paired samples.
/// Used to find the probes whose cycle medians rise and fall together (the agent's co-moving
/// peers); ranks make one cycle of 3x not outweigh a hundred ordinary ones.
public enum RankCorrelation {
    /// nil for fewer than 3 pairs, unequal lengths, or a sample whose values are all equal.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 3 else { return nil }
        return spearman(midranks: midranks(x), midranks(y))
    }

    /// The midranks (1-based, ties averaged) of a sample: rank once, correlate with many.
    public static func midranks(_ values: [Double]) -> [Double] {
        MannWhitneyU.midranks(values).ranks
    }

    /// Spearman's correlation from the `midranks` of two paired samples; the same nil cases.
    public static func spearman(midranks rx: [Double], _ ry: [Double]) -> Double? {
        guard rx.count == ry.count, rx.count >= 3 else { return nil }
        let mean = Double(rx.count + 1) / 2
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for i in rx.indices {
            let dx = rx[i] - mean
            let dy = ry[i] - mean
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}
