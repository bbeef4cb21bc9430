/// Writes metric families as Prometheus text 0.0.4 or OpenMetrics 1.0.0.
///
/// Output is deterministic: families sorted by name, series within a family by label set (UTF-8
/// bytes, see `Labels.<`), so the same families give the same bytes. Families are rendered as given;
/// check them once with `MetricFamily.validate(_:)` where they are built, not on every scrape.
///
/// Families that change once per probe cycle can be rendered once into `RenderedFamily` values and
/// merged with the few families that change per scrape:
///
/// ```swift
/// let cached = probeFamilies.map(RenderedFamily.init)                    // once per cycle
/// let body = ExpositionRenderer.render(scrapeFamilies, merging: cached, as: format)   // per scrape
/// ```
public enum ExpositionRenderer {
    /// A complete exposition of `families` and the already rendered `cached` ones, merged in name
    /// order, with OpenMetrics' `# EOF` terminator when `format` needs one.
    public static func render(
        _ families: [MetricFamily],
        merging cached: [RenderedFamily] = [],
        as format: ExpositionFormat
    ) -> [UInt8] {
        let byName = { (lhs: MetricFamily, rhs: MetricFamily) in precedes(lhs.name, rhs.name) }
        let live = families.isSorted(by: byName) ? families : families.sorted(by: byName)
        let byCachedName = { (lhs: RenderedFamily, rhs: RenderedFamily) in precedes(lhs.name, rhs.name) }
        let ready = cached.isSorted(by: byCachedName) ? cached : cached.sorted(by: byCachedName)

        var buffer: [UInt8] = []
        buffer.reserveCapacity(
            live.reduce(16) { $0 + estimatedSize(of: $1) } + ready.reduce(0) { $0 + $1.bytes(in: format).count }
        )
        var liveIndex = 0
        var readyIndex = 0
        while liveIndex < live.count || readyIndex < ready.count {
            if readyIndex == ready.count
                || (liveIndex < live.count && precedes(live[liveIndex].name, ready[readyIndex].name))
            {
                renderFamily(live[liveIndex], as: format, into: &buffer)
                liveIndex += 1
            } else {
                buffer.append(contentsOf: ready[readyIndex].bytes(in: format))
                readyIndex += 1
            }
        }
        finishDocument(as: format, into: &buffer)
        return buffer
    }

    /// Appends one family: its metadata lines, then its series sorted by label set.
    public static func renderFamily(_ family: MetricFamily, as format: ExpositionFormat, into buffer: inout [UInt8]) {
        let metrics = family.metrics.isSortedByLabels ? family.metrics : family.metrics.sortedByLabels()
        var name = family.name
        name.withUTF8 { name in
            var writer = FamilyWriter(name: name, type: family.type, format: format)
            writer.writeMetadata(help: family.help, unit: family.unit, into: &buffer)
            metrics.withUnsafeBufferPointer { metrics in
                for metric in metrics {
                    writer.write(metric, into: &buffer)
                }
            }
        }
    }

    /// Ends a document: `# EOF\n` for OpenMetrics, nothing for text 0.0.4.
    public static func finishDocument(as format: ExpositionFormat, into buffer: inout [UInt8]) {
        if format == .openMetrics { buffer.append(contentsOf: "# EOF\n".utf8) }
    }

    /// About what the family will take, judged from its first series so that estimating stays O(1);
    /// an estimate that falls short costs one reallocation.
    static func estimatedSize(of family: MetricFamily) -> Int {
        let nameLength = family.name.utf8.count
        let header = 2 * nameLength + family.help.utf8.count + 64
        guard let first = family.metrics.first else { return header }
        let line = nameLength + first.labels.renderedCount + 48
        let linesPerSeries: Int =
            switch first.value {
            case .histogram(let histogram): histogram.bucketCounts.count + 3
            case .counter: 2
            case .gauge, .info: 1
            }
        return header + family.metrics.count * linesPerSeries * (line + 8)
    }

    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}

/// One family rendered in both formats, to reuse across scrapes until the family changes.
public struct RenderedFamily: Sendable {
    public let name: String
    public let prometheusText: [UInt8]
    public let openMetrics: [UInt8]

    public init(_ family: MetricFamily) {
        name = family.name
        var text: [UInt8] = []
        text.reserveCapacity(ExpositionRenderer.estimatedSize(of: family))
        ExpositionRenderer.renderFamily(family, as: .prometheusText, into: &text)
        var openMetrics: [UInt8] = []
        openMetrics.reserveCapacity(text.count + text.count / 4)
        ExpositionRenderer.renderFamily(family, as: .openMetrics, into: &openMetrics)
        prometheusText = text
        self.openMetrics = openMetrics
    }

    public func bytes(in format: ExpositionFormat) -> [UInt8] {
        switch format {
        case .prometheusText: prometheusText
        case .openMetrics: openMetrics
        }
    }
}

/// The per-family state of rendering: the name's bytes, and the `le` texts of the last histogram
/// bounds seen (series of one family nearly always share their bounds).
private struct FamilyWriter {
    let name: UnsafeBufferPointer<UInt8>
    let type: MetricType
    let format: ExpositionFormat
    private var leBounds: [Double] = []
    private var leTexts: [[UInt8]] = []

    init(name: UnsafeBufferPointer<UInt8>, type: MetricType, format: ExpositionFormat) {
        self.name = name
        self.type = type
        self.format = format
    }

    func writeMetadata(help: String, unit: String?, into buffer: inout [UInt8]) {
        switch format {
        case .prometheusText:
            // Text 0.0.4 has no info type and names counters by their sample name, as client_golang does.
            let typeName: String =
                switch type {
                case .counter: "counter"
                case .gauge, .info: "gauge"
                case .histogram: "histogram"
                case .unknown: "untyped"
                }
            if !help.isEmpty {
                buffer.append(contentsOf: "# HELP ".utf8)
                appendSampleName(into: &buffer)
                buffer.append(UInt8(ascii: " "))
                buffer.appendEscapedHelp(help, for: format)
                buffer.append(UInt8(ascii: "\n"))
            }
            buffer.append(contentsOf: "# TYPE ".utf8)
            appendSampleName(into: &buffer)
            buffer.append(UInt8(ascii: " "))
            buffer.append(contentsOf: typeName.utf8)
            buffer.append(UInt8(ascii: "\n"))
        case .openMetrics:
            buffer.append(contentsOf: "# TYPE ".utf8)
            buffer.append(contentsOf: name)
            buffer.append(UInt8(ascii: " "))
            buffer.append(contentsOf: type.rawValue.utf8)
            buffer.append(UInt8(ascii: "\n"))
            if let unit, !unit.isEmpty {
                buffer.append(contentsOf: "# UNIT ".utf8)
                buffer.append(contentsOf: name)
                buffer.append(UInt8(ascii: " "))
                buffer.append(contentsOf: unit.utf8)
                buffer.append(UInt8(ascii: "\n"))
            }
            if !help.isEmpty {
                buffer.append(contentsOf: "# HELP ".utf8)
                buffer.append(contentsOf: name)
                buffer.append(UInt8(ascii: " "))
                buffer.appendEscapedHelp(help, for: format)
                buffer.append(UInt8(ascii: "\n"))
            }
        }
    }

    private func appendSampleName(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: name)
        if let suffix = type.appendedSuffix { buffer.append(contentsOf: suffix.utf8) }
    }

    mutating func write(_ metric: Metric, into buffer: inout [UInt8]) {
        let labels = metric.labels
        switch metric.value {
        case .counter(let value, let created):
            startSample("_total", labels, into: &buffer)
            buffer.appendNumber(value, .value)
            buffer.append(UInt8(ascii: "\n"))
            if let created, format == .openMetrics {
                startSample("_created", labels, into: &buffer)
                buffer.appendNumber(created, .timestamp)
                buffer.append(UInt8(ascii: "\n"))
            }
        case .gauge(let value):
            startSample("", labels, into: &buffer)
            buffer.appendNumber(value, .value)
            buffer.append(UInt8(ascii: "\n"))
        case .info:
            startSample("_info", labels, into: &buffer)
            buffer.append(contentsOf: "1\n".utf8)
        case .histogram(let histogram):
            write(histogram, labels, into: &buffer)
        }
    }

    private mutating func write(_ histogram: HistogramValue, _ labels: Labels, into buffer: inout [UInt8]) {
        if leTexts.isEmpty || leBounds != histogram.upperBounds {
            let style: NumberStyle = format == .openMetrics ? .canonicalLabel : .goLabel
            leBounds = histogram.upperBounds
            leTexts =
                histogram.upperBounds.map { bound in
                    var text: [UInt8] = []
                    text.appendNumber(bound, style)
                    return text
                } + [Array("+Inf".utf8)]
        }
        var cumulative: UInt64 = 0
        for (index, count) in histogram.bucketCounts.enumerated() {
            cumulative += count
            buffer.append(contentsOf: name)
            buffer.append(contentsOf: "_bucket{".utf8)
            if !labels.isEmpty {
                labels.appendRendered(to: &buffer)
                buffer.append(UInt8(ascii: ","))
            }
            buffer.append(contentsOf: #"le=""#.utf8)
            buffer.append(contentsOf: leTexts[Swift.min(index, leTexts.count - 1)])
            buffer.append(contentsOf: #""} "#.utf8)
            buffer.appendInteger(cumulative)
            if format == .openMetrics, index < histogram.exemplars.count, let exemplar = histogram.exemplars[index],
                exemplar.fitsOpenMetricsLimit
            {
                buffer.append(contentsOf: " # {".utf8)
                exemplar.labels.appendRendered(to: &buffer)
                buffer.append(contentsOf: "} ".utf8)
                buffer.appendNumber(exemplar.value, .value)
                if let timestamp = exemplar.timestamp {
                    buffer.append(UInt8(ascii: " "))
                    buffer.appendNumber(timestamp, .timestamp)
                }
            }
            buffer.append(UInt8(ascii: "\n"))
        }
        // OpenMetrics forbids a sum when a bound is negative, and its parsers want _count only with
        // _sum; the +Inf bucket still carries the count.
        if format == .prometheusText || !(histogram.upperBounds.first.map { $0 < 0 } ?? false) {
            startSample("_sum", labels, into: &buffer)
            buffer.appendNumber(histogram.sum, .value)
            buffer.append(UInt8(ascii: "\n"))
            startSample("_count", labels, into: &buffer)
            buffer.appendInteger(cumulative)
            buffer.append(UInt8(ascii: "\n"))
        }
        if let created = histogram.created, format == .openMetrics {
            startSample("_created", labels, into: &buffer)
            buffer.appendNumber(created, .timestamp)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// `name<suffix>{labels} ` — everything before the value.
    private func startSample(_ suffix: StaticString, _ labels: Labels, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: name)
        suffix.withUTF8Buffer { buffer.append(contentsOf: $0) }
        if !labels.isEmpty {
            buffer.append(UInt8(ascii: "{"))
            labels.appendRendered(to: &buffer)
            buffer.append(UInt8(ascii: "}"))
        }
        buffer.append(UInt8(ascii: " "))
    }
}

extension [Metric] {
    /// Written out rather than through `isSorted(by:)`, whose closure would copy each whole series.
    var isSortedByLabels: Bool {
        var index = 1
        while index < count {
            if self[index].labels < self[index - 1].labels { return false }
            index += 1
        }
        return true
    }

    /// Sorts positions by the label sets' raw sort keys, then gathers the series once: comparing
    /// `Metric`s directly would count references on every comparison and move whole series around.
    func sortedByLabels() -> [Metric] {
        withExtendedLifetime(self) {
            let keys = map { $0.labels.sortKey }
            let order = keys.indices.sorted { Labels.precedes(keys[$0], keys[$1]) }
            return order.map { self[$0] }
        }
    }
}

extension Array {
    /// Checking is linear and allocates nothing, so callers sort only input that needs it.
    func isSorted(by areInIncreasingOrder: (Element, Element) -> Bool) -> Bool {
        var index = 1
        while index < count {
            if areInIncreasingOrder(self[index], self[index - 1]) { return false }
            index += 1
        }
        return true
    }
}
