extension ProbeSpec {
    /// The probe's identity as the labels of the metric catalogue (docs/metrics.md), in the order
    /// they are written: what the metrics, the alert rules and their `match` all name a probe by.
    public var labels: [(name: String, value: String)] {
        [("backend", backend.rawValue), ("device", device), ("op", op.rawValue), ("dtype", dtype.rawValue), ("shape", shape.description)]
    }
}
