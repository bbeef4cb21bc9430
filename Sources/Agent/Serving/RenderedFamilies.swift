import Exposition

/// Families rendered once, in both formats, for many scrapes. At scrape time they are merged with
/// the few families that change per scrape (process_*, HTTP counters), keeping name order.
struct RenderedFamilies: Sendable {
    struct Entry: Sendable {
        var name: String
        var text: [UInt8]
        var openMetrics: [UInt8]
    }

    let entries: [Entry]

    init(_ families: [MetricFamily]) {
        entries = families.sorted { $0.name < $1.name }.map { family in
            var text: [UInt8] = []
            var openMetrics: [UInt8] = []
            ExpositionRenderer.renderFamily(family, as: .prometheusText, into: &text)
            ExpositionRenderer.renderFamily(family, as: .openMetrics, into: &openMetrics)
            return Entry(name: family.name, text: text, openMetrics: openMetrics)
        }
    }

    /// The whole exposition document: these entries and `dynamic` merged by family name.
    func document(with dynamic: [MetricFamily], as format: ExpositionFormat) -> [UInt8] {
        let extra = dynamic.sorted { $0.name < $1.name }
        var body: [UInt8] = []
        body.reserveCapacity(entries.reduce(4096) { $0 + $1.text.count + $1.openMetrics.count / 2 })
        var i = 0
        var j = 0
        while i < entries.count || j < extra.count {
            if j == extra.count || (i < entries.count && entries[i].name < extra[j].name) {
                body.append(contentsOf: format == .openMetrics ? entries[i].openMetrics : entries[i].text)
                i += 1
            } else {
                ExpositionRenderer.renderFamily(extra[j], as: format, into: &body)
                j += 1
            }
        }
        ExpositionRenderer.finishDocument(as: format, into: &body)
        return body
    }
}
