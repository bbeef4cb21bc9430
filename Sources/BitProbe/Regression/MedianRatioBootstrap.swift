/// A percentile-bootstrap confidence interval for the ratio of two medians, current / baseline.
///
/// Each resample draws both samples again with replacement (independently, with their own sizes)
/// and takes the ratio of their medians; the interval is the (1 - confidence) / 2 and
/// (1 + confidence) / 2 percentiles of those ratios (type 7, as `SampleStatistics`). The draws come
/// from `SeededRandom`, so the same inputs and seed always give the same interval.
///
/// ```swift
/// let interval = MedianRatioBootstrap.interval(current: slow, baseline: fast, resamples: 2000, confidence: 0.95, seed: 1)
/// // interval.lower > 1: current is slower with 95 % confidence
/// ```
public enum MedianRatioBootstrap {
    public struct Interval: Codable, Equatable, Sendable {
        public var lower: Double
        public var upper: Double
    }

    /// nil when either sample is empty or a resampled baseline median is not positive.
    public static func interval(current: [Double], baseline: [Double], resamples: Int, confidence: Double, seed: UInt64) -> Interval? {
        precondition(resamples > 0 && confidence > 0 && confidence < 1)
        guard !current.isEmpty, !baseline.isEmpty else { return nil }
        var random = SeededRandom(seed: seed)
        var ratios: [Double] = []
        ratios.reserveCapacity(resamples)
        var currentDraw = current
        var baselineDraw = baseline
        for _ in 0..<resamples {
            redraw(&currentDraw, from: current, using: &random)
            redraw(&baselineDraw, from: baseline, using: &random)
            let denominator = median(&baselineDraw)
            guard denominator > 0 else { return nil }
            ratios.append(median(&currentDraw) / denominator)
        }
        ratios.sort()
        return Interval(lower: SampleStatistics.percentile(sorted: ratios, (1 - confidence) / 2),
                        upper: SampleStatistics.percentile(sorted: ratios, (1 + confidence) / 2))
    }

    /// Fills `draw` with `source.count` values of `source` chosen uniformly with replacement. The index
    /// is the high half of a 64 x 64-bit product (Lemire), unbiased enough for any sample count here
    /// and defined by the generator alone, so intervals do not change with the standard library.
    static func redraw(_ draw: inout [Double], from source: [Double], using random: inout SeededRandom) {
        let count = UInt64(source.count)
        for i in draw.indices {
            draw[i] = source[Int(random.next().multipliedFullWidth(by: count).high)]
        }
    }

    /// The type-7 median of `values`, which it reorders. Quickselect, because a bootstrap takes
    /// thousands of medians and a sort each time would dominate the cost for long sample lists.
    static func median(_ values: inout [Double]) -> Double {
        let n = values.count
        let middle = (n - 1) / 2
        select(&values, k: middle)
        guard n % 2 == 0 else { return values[middle] }
        // After selection everything right of `middle` is >= it; the next order statistic is their minimum.
        var next = values[middle + 1]
        for i in (middle + 2)..<n where values[i] < next { next = values[i] }
        return (values[middle] + next) / 2
    }

    /// Reorders `values` so that index k holds the value a sort would put there, smaller values left of it.
    static func select(_ values: inout [Double], k: Int) {
        var low = 0
        var high = values.count - 1
        while low < high {
            // Median of three as pivot keeps sorted and reversed inputs linear.
            let mid = low + (high - low) / 2
            if values[mid] < values[low] { values.swapAt(mid, low) }
            if values[high] < values[low] { values.swapAt(high, low) }
            if values[high] < values[mid] { values.swapAt(high, mid) }
            let pivot = values[mid]
            var i = low
            var j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                return
            }
        }
    }
}
