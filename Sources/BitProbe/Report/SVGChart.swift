#if canImport(Glibc)
import Glibc
#endif

/// Small inline-SVG charts for the HTML report: no script, no external resource, colours from the
/// page's CSS variables (so light and dark schemes both work), a <title> and aria-label on each.
enum SVGChart {
    /// An axis mapping data to pixels, linear or logarithmic (base 10).
    struct Axis {
        var low: Double
        var high: Double
        var logarithmic: Bool
        var pixelLow: Double
        var pixelHigh: Double

        init(values: [Double], logarithmic: Bool, pixels: (Double, Double), includeZero: Bool = false) {
            let usable = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }
            var low = usable.min() ?? 1, high = usable.max() ?? 10
            if includeZero && !logarithmic { low = min(low, 0) }
            if logarithmic {
                low = pow10(floorLog10(low))
                high = pow10(ceilLog10(high))
                if high <= low { high = low * 10 }
            } else {
                if high <= low { high = low + 1 }
                // Round the ends out to a "nice" step (1, 2 or 5 times a power of ten) so ticks read well.
                let step = Self.niceStep((high - low) / 4)
                low = (low / step).rounded(.down) * step
                high = (high / step).rounded(.up) * step
            }
            self.low = low
            self.high = high
            self.logarithmic = logarithmic
            pixelLow = pixels.0
            pixelHigh = pixels.1
        }

        func map(_ value: Double) -> Double {
            let fraction: Double
            if logarithmic {
                let v = max(value, low)
                fraction = (Glibc.log10(v) - Glibc.log10(low)) / (Glibc.log10(high) - Glibc.log10(low))
            } else {
                fraction = (value - low) / (high - low)
            }
            return pixelLow + fraction * (pixelHigh - pixelLow)
        }

        /// Decades on a log axis; multiples of a nice step on a linear one.
        var ticks: [Double] {
            var ticks: [Double] = []
            if logarithmic {
                var value = low
                while value <= high * 1.0001 { ticks.append(value); value *= 10 }
                return ticks
            }
            let step = Self.niceStep((high - low) / 4)
            var value = low
            while value <= high + step * 1e-9 { ticks.append(value); value += step }
            return ticks
        }

        static func niceStep(_ rough: Double) -> Double {
            guard rough > 0, rough.isFinite else { return 1 }
            let magnitude = pow10(floorLog10(rough))
            let fraction = rough / magnitude
            return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
        }
    }

    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    static let width = 760.0
    static let height = 300.0
    static let margin = (left: 76.0, right: 16.0, top: 16.0, bottom: 44.0)

    /// Opens an accessible SVG element with its title.
    static func open(title: String, width: Double = width, height: Double = height) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(Markup.number(width)) \(Markup.number(height))\" width=\"\(Markup.number(width))\" height=\"\(Markup.number(height))\" role=\"img\" aria-label=\"\(Markup.escape(title))\"><title>\(Markup.escape(title))</title>"
    }

    static func axes(x: Axis, y: Axis, xLabel: String, yLabel: String, xFormat: (Double) -> String, yFormat: (Double) -> String) -> String {
        var svg = "<g class=\"axis\">"
        svg += line(x.pixelLow, y.pixelLow, x.pixelHigh, y.pixelLow) + line(x.pixelLow, y.pixelLow, x.pixelLow, y.pixelHigh)
        for tick in x.ticks {
            let px = x.map(tick)
            svg += line(px, y.pixelLow, px, y.pixelHigh, cssClass: "grid")
            svg += text(px, y.pixelLow + 14, xFormat(tick), anchor: "middle")
        }
        for tick in y.ticks {
            let py = y.map(tick)
            svg += line(x.pixelLow, py, x.pixelHigh, py, cssClass: "grid")
            svg += text(x.pixelLow - 4, py + 4, yFormat(tick), anchor: "end")
        }
        svg += text((x.pixelLow + x.pixelHigh) / 2, y.pixelLow + 32, xLabel, anchor: "middle")
        svg +=
            "<text x=\"12\" y=\"\(Markup.number((y.pixelLow + y.pixelHigh) / 2))\" transform=\"rotate(-90 12 \(Markup.number((y.pixelLow + y.pixelHigh) / 2)))\" text-anchor=\"middle\">\(Markup.escape(yLabel))</text>"
        return svg + "</g>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cssClass: String? = nil) -> String {
        "<line x1=\"\(Markup.number(x1))\" y1=\"\(Markup.number(y1))\" x2=\"\(Markup.number(x2))\" y2=\"\(Markup.number(y2))\"\(cssClass.map { " class=\"\($0)\"" } ?? "")/>"
    }

    static func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "start", cssClass: String? = nil) -> String {
        "<text x=\"\(Markup.number(x))\" y=\"\(Markup.number(y))\" text-anchor=\"\(anchor)\"\(cssClass.map { " class=\"\($0)\"" } ?? "")>\(Markup.escape(content))</text>"
    }

    /// Lines with markers, one colour per series (`s0`..`s5` in the page's CSS), a legend, and
    /// optional vertical markers (e.g. the measured crossover sizes).
    /// `steps`: the value holds until the next point (a level that changes at events, like bytes held).
    static func lines(
        title: String, series: [Series], xLabel: String, yLabel: String, logX: Bool, logY: Bool,
        xFormat: (Double) -> String, yFormat: (Double) -> String, markers: [(x: Double, label: String)] = [],
        steps: Bool = false
    ) -> String {
        let xs = series.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let ys = series.flatMap { $0.points.map(\.y) }
        let x = Axis(values: xs, logarithmic: logX, pixels: (margin.left, width - margin.right))
        let y = Axis(values: ys, logarithmic: logY, pixels: (height - margin.bottom, margin.top), includeZero: true)
        var svg = open(title: title) + axes(x: x, y: y, xLabel: xLabel, yLabel: yLabel, xFormat: xFormat, yFormat: yFormat)
        for marker in markers {
            let px = x.map(marker.x)
            svg += line(px, y.pixelLow, px, y.pixelHigh, cssClass: "marker") + text(px + 3, margin.top + 10, marker.label, cssClass: "marker-label")
        }
        for (index, entry) in series.enumerated() {
            let colour = "s\(index % 6)"
            var drawn: [(x: Double, y: Double)] = []
            for point in entry.points {
                if steps, let last = drawn.last { drawn.append((point.x, last.y)) }
                drawn.append(point)
            }
            let path = drawn.map { "\(Markup.number(x.map($0.x))),\(Markup.number(y.map($0.y)))" }.joined(separator: " ")
            svg += "<g class=\"\(colour)\"><polyline points=\"\(path)\" fill=\"none\"/>"
            for point in entry.points {
                svg +=
                    "<circle cx=\"\(Markup.number(x.map(point.x)))\" cy=\"\(Markup.number(y.map(point.y)))\" r=\"3\"><title>\(Markup.escape("\(entry.name): \(xFormat(point.x)), \(yFormat(point.y))"))</title></circle>"
            }
            svg += "<rect x=\"\(Markup.number(margin.left + 8 + Double(index) * 150))\" y=\"\(Markup.number(height - 12))\" width=\"10\" height=\"10\"/>"
            svg += text(margin.left + 22 + Double(index) * 150, height - 3, entry.name) + "</g>"
        }
        return svg + "</svg>"
    }

    /// Horizontal box plots on one shared (log) time axis: whiskers min..max, box q1..q3, median line.
    static func boxPlots(title: String, entries: [PerformanceReport.ProbeEntry]) -> String {
        let rows = entries.filter { $0.medianSeconds != nil }
        let labelWidth = 300.0, rowHeight = 22.0
        let chartHeight = margin.top + Double(rows.count) * rowHeight + 40
        // The right end leaves room for the last tick's label, centred on it.
        let x = Axis(values: rows.flatMap { [$0.minSeconds!, $0.maxSeconds!] }, logarithmic: true, pixels: (labelWidth, width - 36))
        var svg = open(title: title, height: chartHeight) + "<g class=\"axis\">"
        let bottom = margin.top + Double(rows.count) * rowHeight
        for tick in x.ticks {
            svg += line(x.map(tick), margin.top, x.map(tick), bottom, cssClass: "grid") + text(x.map(tick), bottom + 14, formatDuration(tick), anchor: "middle")
        }
        svg += text((labelWidth + width) / 2, bottom + 32, "seconds per iteration (log scale)", anchor: "middle") + "</g>"
        for (index, row) in rows.enumerated() {
            let cy = margin.top + Double(index) * rowHeight + rowHeight / 2
            let tip =
                "\(row.probe): median \(formatDuration(row.medianSeconds!)), q1 \(formatDuration(row.q1Seconds!)), q3 \(formatDuration(row.q3Seconds!)), min \(formatDuration(row.minSeconds!)), max \(formatDuration(row.maxSeconds!)), \(row.samples) samples"
            svg += "<g class=\"box\"><title>\(Markup.escape(tip))</title>"
            svg += text(labelWidth - 6, cy + 4, row.probe, anchor: "end", cssClass: "label")
            svg += line(x.map(row.minSeconds!), cy, x.map(row.maxSeconds!), cy, cssClass: "whisker")
            let left = x.map(row.q1Seconds!), right = max(x.map(row.q3Seconds!), left + 1)
            svg += "<rect x=\"\(Markup.number(left))\" y=\"\(Markup.number(cy - 6))\" width=\"\(Markup.number(right - left))\" height=\"12\"/>"
            svg += line(x.map(row.medianSeconds!), cy - 7, x.map(row.medianSeconds!), cy + 7, cssClass: "median") + "</g>"
        }
        return svg + "</svg>"
    }

    /// Horizontal bars from a reference value (e.g. 1.0 = "as fast as f32"), labelled with their value.
    static func bars(title: String, rows: [(label: String, value: Double)], reference: Double, axisLabel: String, format: (Double) -> String) -> String {
        let labelWidth = 300.0, rowHeight = 22.0
        let bottom = margin.top + Double(rows.count) * rowHeight
        let x = Axis(values: rows.map(\.value) + [reference, 0], logarithmic: false, pixels: (labelWidth, width - margin.right - 50))
        var svg = open(title: title, height: bottom + 40) + "<g class=\"axis\">"
        for tick in x.ticks {
            svg += line(x.map(tick), margin.top, x.map(tick), bottom, cssClass: "grid") + text(x.map(tick), bottom + 14, format(tick), anchor: "middle")
        }
        svg += line(x.map(reference), margin.top, x.map(reference), bottom, cssClass: "marker")
        svg += text((labelWidth + width) / 2, bottom + 32, axisLabel, anchor: "middle") + "</g>"
        for (index, row) in rows.enumerated() {
            let top = margin.top + Double(index) * rowHeight + 4
            let start = x.map(min(reference, row.value)), end = x.map(max(reference, row.value))
            svg += "<g class=\"\(row.value >= reference ? "bar-good" : "bar-bad")\"><title>\(Markup.escape("\(row.label): \(format(row.value))"))</title>"
            svg += text(labelWidth - 6, top + 12, row.label, anchor: "end", cssClass: "label")
            svg += "<rect x=\"\(Markup.number(start))\" y=\"\(Markup.number(top))\" width=\"\(Markup.number(max(end - start, 1)))\" height=\"14\"/>"
            svg += text(end + 4, top + 12, format(row.value), cssClass: "label") + "</g>"
        }
        return svg + "</svg>"
    }

    /// The roofline: the measured bandwidth roof rising to each measured compute roof (float and
    /// integer), and each probe with counted operations as a point at its intensity and achieved op/s.
    static func roofline(_ roofline: Roofline) -> String? {
        let roofs = [roofline.compute.map { ($0, "float") }, roofline.integerCompute.map { ($0, "integer") }].compactMap { $0 }
        let points = roofline.points.filter { $0.intensity != nil && $0.achievedOpsPerSecond != nil }
        guard !roofs.isEmpty, !points.isEmpty else { return nil }
        let ridges = roofs.map { $0.0.value / roofline.bandwidth.value }
        let intensities = points.map { $0.intensity! } + ridges
        let x = Axis(values: intensities.map { $0 / 4 } + intensities.map { $0 * 4 }, logarithmic: true, pixels: (margin.left, width - margin.right))
        let y = Axis(
            values: points.map { $0.achievedOpsPerSecond! } + roofs.map { $0.0.value * 1.5 } + [x.low * roofline.bandwidth.value],
            logarithmic: true, pixels: (height - margin.bottom, margin.top))
        var svg = open(title: "Roofline: achieved op/s against arithmetic intensity, under the bandwidth and compute measured on this machine")
        svg += axes(
            x: x, y: y, xLabel: "arithmetic intensity (counted op per counted byte, log)", yLabel: "op/s (log)",
            xFormat: { Markup.number($0) }, yFormat: { formatSI($0, unit: "") })
        let start = max(x.low, y.low / roofline.bandwidth.value)
        for (ceiling, kind) in roofs {
            let ridge = ceiling.value / roofline.bandwidth.value
            svg +=
                "<g class=\"roof\"><title>\(Markup.escape("measured ceilings: \(formatSI(roofline.bandwidth.value, unit: "B/s")) (\(roofline.bandwidth.probe)), \(kind) \(formatSI(ceiling.value, unit: "op/s")) (\(ceiling.probe))"))</title>"
            svg +=
                "<polyline fill=\"none\" points=\"\(Markup.number(x.map(start))),\(Markup.number(y.map(start * roofline.bandwidth.value))) \(Markup.number(x.map(ridge))),\(Markup.number(y.map(ceiling.value))) \(Markup.number(x.pixelHigh)),\(Markup.number(y.map(ceiling.value)))\"/>"
            svg += text(
                x.pixelHigh - 4, y.map(ceiling.value) - 4, "\(kind): \(formatSI(ceiling.value, unit: "op/s")) (measured)", anchor: "end", cssClass: "label")
            svg += "</g>"
        }
        svg +=
            "<g class=\"roof\">"
            + text(
                x.map(start) + 4, y.map(start * roofline.bandwidth.value) - 6, "copy: \(formatSI(roofline.bandwidth.value, unit: "B/s")) (measured)",
                cssClass: "label") + "</g>"
        for (index, point) in points.enumerated() {
            let tip =
                "\(point.probe): \(formatSI(point.achievedOpsPerSecond!, unit: "op/s")) at \(Markup.number(point.intensity!)) op/B, \(point.bound.rawValue)-bound, \(formatFixed(point.efficiency * 100, decimals: 0))% of attainable"
            let (cx, cy) = (x.map(point.intensity!), y.map(point.achievedOpsPerSecond!))
            svg +=
                "<g class=\"s\(index % 6)\"><circle cx=\"\(Markup.number(cx))\" cy=\"\(Markup.number(cy))\" r=\"5\"><title>\(Markup.escape(tip))</title></circle>"
            svg += text(cx + 7, cy + 4, String(index + 1), cssClass: "label") + "</g>"
        }
        return svg + "</svg>"
    }

    /// A tiny line of recent values (no axes), for tables.
    static func sparkline(_ values: [Double], label: String) -> String {
        let w = 120.0, h = 24.0
        guard values.count > 1, let low = values.min(), let high = values.max() else { return "" }
        let span = high > low ? high - low : 1
        let points = values.enumerated().map { i, v in
            "\(Markup.number(Double(i) / Double(values.count - 1) * (w - 2) + 1)),\(Markup.number(h - 2 - (v - low) / span * (h - 4)))"
        }.joined(separator: " ")
        return open(title: label, width: w, height: h).replacingAll("class=\"chart\"", with: "class=\"spark\"")
            + "<polyline fill=\"none\" points=\"\(points)\"/></svg>"
    }
}

func pow10(_ exponent: Double) -> Double { Glibc.pow(10, exponent) }
/// Decade bounds, nudged so that an exact power of ten is its own floor and ceiling.
func floorLog10(_ value: Double) -> Double { Glibc.log10(value * (1 + 1e-12)).rounded(.down) }
func ceilLog10(_ value: Double) -> Double { Glibc.log10(value * (1 - 1e-12)).rounded(.up) }
