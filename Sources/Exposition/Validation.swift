// The renderer writes whatever it is given, because it runs on every scrape; validation runs once,
// where the families are built, and rejects what Prometheus or an OpenMetrics parser would reject.

extension MetricFamily {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, not starting with `__` (reserved for Prometheus itself).
    public static func isValidName(_ name: String) -> Bool {
        var bytes = name.utf8.makeIterator()
        guard let first = bytes.next(), first.isMetricNameInitial else { return false }
        if name.utf8.starts(with: "__".utf8) { return false }
        while let byte = bytes.next() {
            guard byte.isMetricNameInitial || byte.isASCIIDigit else { return false }
        }
        return true
    }

    /// Checks this family on its own: name, help, unit, and every series' value and labels.
    public func validate() throws(ExpositionError) {
        guard MetricFamily.isValidName(name) else { throw .invalidMetricName(name) }
        if let suffix = type.appendedSuffix, name.hasSuffix(suffix) {
            throw .familyNameHasSuffix(family: name, type: type, suffix: suffix)
        }
        guard !help.isEmpty else { throw .emptyHelp(family: name) }
        if let unit {
            guard !unit.isEmpty, unit.utf8.allSatisfy({ $0.isMetricNameInitial || $0.isASCIIDigit }) else {
                throw .invalidUnit(family: name, unit: unit)
            }
            guard type != .info else { throw .unitNotAllowed(family: name, type: type) }
            guard name.hasSuffix("_" + unit) else { throw .unitNotSuffix(family: name, unit: unit) }
        }
        var seen = Set<Labels>()
        for metric in metrics {
            try validate(metric)
            guard seen.insert(metric.labels).inserted else {
                throw .duplicateLabelSet(family: name, labels: metric.labels)
            }
        }
    }

    /// Checks each family, and that no two families share a name or a sample name (a histogram
    /// `foo` owns `foo_count`, so a gauge `foo_count` next to it would be ambiguous).
    public static func validate(_ families: [MetricFamily]) throws(ExpositionError) {
        var familyNames = Set<String>()
        var sampleOwners: [String: String] = [:]
        for family in families {
            try family.validate()
            guard familyNames.insert(family.name).inserted else { throw .duplicateFamily(family.name) }
            for suffix in family.type.sampleSuffixes {
                let sample = family.name + suffix
                if let owner = sampleOwners[sample] {
                    throw .clashingSampleName(sample: sample, family: family.name, other: owner)
                }
                sampleOwners[sample] = family.name
            }
        }
    }

    private func validate(_ metric: Metric) throws(ExpositionError) {
        switch (type, metric.value) {
        case (.counter, .counter(let value, let created)):
            guard value >= 0 else { throw .invalidCounterValue(family: name, labels: metric.labels, value: value) }
            if let created, !created.isFinite {
                throw .invalidCreated(family: name, labels: metric.labels, value: created)
            }
        case (.gauge, .gauge), (.unknown, .gauge), (.info, .info):
            break
        case (.histogram, .histogram(let histogram)):
            if metric.labels["le"] != nil { throw .reservedLabel(family: name, label: "le") }
            if let created = histogram.created, !created.isFinite {
                throw .invalidCreated(family: name, labels: metric.labels, value: created)
            }
            if let reason = histogram.shapeProblem {
                throw .invalidHistogram(family: name, labels: metric.labels, reason: reason)
            }
        default:
            throw .valueDoesNotMatchType(family: name, type: type, labels: metric.labels)
        }
    }
}

extension MetricType {
    /// The suffix the renderer appends to the family name, which the name itself must therefore lack.
    var appendedSuffix: String? {
        switch self {
        case .counter: "_total"
        case .info: "_info"
        case .gauge, .histogram, .unknown: nil
        }
    }

    /// Sample names a family of this type owns, as OpenMetrics counts them for clashes.
    var sampleSuffixes: [String] {
        switch self {
        case .counter: ["", "_total", "_created"]
        case .gauge, .unknown: [""]
        case .histogram: ["", "_bucket", "_count", "_sum", "_created"]
        case .info: ["", "_info"]
        }
    }
}

extension HistogramValue {
    /// Why this histogram cannot be exposed, or nil when it can.
    var shapeProblem: String? {
        for (index, bound) in upperBounds.enumerated() {
            guard bound.isFinite else {
                return "upper bound \(bound.expositionText) at index \(index) is not finite"
            }
            if index > 0, bound <= upperBounds[index - 1] {
                return "upper bound \(bound.expositionText) at index \(index) does not exceed the previous bound \(upperBounds[index - 1].expositionText)"
            }
        }
        guard bucketCounts.count == upperBounds.count + 1 else {
            return "has \(bucketCounts.count) bucket counts for \(upperBounds.count) upper bounds; expected \(upperBounds.count + 1) (one more for +Inf)"
        }
        guard exemplars.count == bucketCounts.count else {
            return "has \(exemplars.count) exemplar slots for \(bucketCounts.count) buckets"
        }
        guard !sum.isNaN else { return "sum is NaN" }
        if sum < 0, !(upperBounds.first.map { $0 < 0 } ?? false) {
            return "sum \(sum.expositionText) is negative, which OpenMetrics allows only when a bucket bound is negative"
        }
        for (index, exemplar) in exemplars.enumerated() {
            guard let exemplar else { continue }
            let upper = index < upperBounds.count ? upperBounds[index] : .infinity
            let lower = index > 0 ? upperBounds[index - 1] : -.infinity
            guard exemplar.value > lower, exemplar.value <= upper else {
                return "exemplar value \(exemplar.value.expositionText) does not belong to the bucket with upper bound \(upper.expositionText)"
            }
            if let timestamp = exemplar.timestamp, !timestamp.isFinite {
                return "exemplar timestamp \(timestamp.expositionText) is not finite"
            }
        }
        return nil
    }
}

extension UInt8 {
    var isMetricNameInitial: Bool { isASCIILetter || self == UInt8(ascii: "_") || self == UInt8(ascii: ":") }
}
