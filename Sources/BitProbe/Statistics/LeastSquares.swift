/// Ordinary least squares of one variable on another. Used for how far a probe follows its
/// co-moving peers: the slope of its log cycle medians on theirs (the agent's rolling rule).
public enum LeastSquares {
    /// The slope of the least-squares line of `y` on `x`; nil for fewer than two pairs or an `x`
    /// without spread.
    public static func slope(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2 else { return nil }
        let meanX = x.reduce(0, +) / Double(x.count)
        let meanY = y.reduce(0, +) / Double(y.count)
        var covariance = 0.0
        var variance = 0.0
        for (a, b) in zip(x, y) {
            covariance += (a - meanX) * (b - meanY)
            variance += (a - meanX) * (a - meanX)
        }
        guard variance > 0 else { return nil }
        return covariance / variance
    }
}
