import Testing

@testable import BitProbe

/// Every rule with inputs that trigger it and inputs that do not.
@Suite struct RecommendationRuleTests {
    typealias F = ReportFixtures

    @Test func aWrongResultIsAHighPriorityCorrectnessFinding() {
        let advice = RecommendationRules.wrongResults([F.result(.add, .f32, [1024], median: 1e-5, outcome: .mismatch)])
        #expect(advice.count == 1)
        #expect(advice[0].category == .correctness && advice[0].priority == .high)
        #expect(advice[0].title == "Investigate cpu0 add f32 1024: it computed a wrong result")
        #expect(advice[0].detail.hasPrefix("3 of 100 checked values were outside the tolerance (first: c[0,1] = 2 (expected 1))"))
        #expect(RecommendationRules.wrongResults([F.result(.add, .f32, [1024], median: 1e-5)]).isEmpty)
        #expect(
            RecommendationRules.wrongResults([F.result(.add, .f32, [1024], median: 1e-5, outcome: .timeout)])[0].title == "Probe cpu0 add f32 1024 timed out")
    }

    @Test func halfPrecisionThatCostsNoSpeedIsRecommendedWithItsSavings() {
        let f32 = F.result(.add, .f32, [1 << 20], median: 1e-3)
        let f16 = F.result(.add, .f16, [1 << 20], median: 0.5e-3)
        let advice = RecommendationRules.halfPrecision([f32, f16])
        #expect(advice.count == 1)
        #expect(advice[0].title == "Use f16 for add 1048576 on cpu0")
        #expect(advice[0].potentialSavingsBytes == 6 << 20)  // 3 streams x 2 bytes saved per element
        #expect(advice[0].potentialSpeedup == 2)
        #expect(advice[0].priority == .medium)
        // 3 % slower: still within the tolerance, recommended for memory alone.
        let nearly = RecommendationRules.halfPrecision([f32, F.result(.add, .f16, [1 << 20], median: 1.03e-3)])
        #expect(nearly.count == 1 && nearly[0].priority == .low && nearly[0].potentialSpeedup == nil)
        // Twice as slow: keep f32.
        let slower = RecommendationRules.halfPrecision([f32, F.result(.add, .f16, [1 << 20], median: 2e-3)])
        #expect(slower.map(\.title) == ["Keep f32 for add 1048576 on cpu0 where speed matters"])
        // Different shapes are not compared.
        #expect(RecommendationRules.halfPrecision([f32, F.result(.add, .f16, [1 << 10], median: 1e-6)]).isEmpty)
    }

    @Test func ternaryIsComparedWithTheFastestFloatOfTheSameShape() {
        let results = [
            F.result(.matmul, .f32, [1, 4096, 4096], median: 4e-3), F.result(.matmul, .f16, [1, 4096, 4096], median: 2e-3),
            F.result(.ternaryMatmul, .i8Ternary, [1, 4096, 4096], median: 2e-4),
        ]
        let advice = RecommendationRules.ternaryAgainstFloat(results)
        #expect(advice.count == 1)
        #expect(advice[0].potentialSpeedup == 10)  // against f16, the faster float
        #expect(advice[0].priority == .high)
        #expect(advice[0].potentialSavingsBytes == 4096 * 4096 * 2 - 4096 * 1024)
        #expect(advice[0].detail.contains("matmul f16"))
        let slower = RecommendationRules.ternaryAgainstFloat([
            F.result(.matmul, .f32, [1, 4096, 4096], median: 1e-4),
            F.result(.ternaryMatmul, .i8Ternary, [1, 4096, 4096], median: 2e-4),
        ])
        #expect(slower.count == 1 && slower[0].potentialSpeedup == nil && slower[0].title.hasPrefix("Ternary is not faster"))
        #expect(RecommendationRules.ternaryAgainstFloat([F.result(.ternaryMatmul, .i8Ternary, [1, 4096, 4096], median: 2e-4)]).isEmpty)
    }

    @Test func threadScalingNeedsOneAndSeveralThreadsOfTheSameProbe() {
        let one = F.result(.add, .f32, [1 << 22], median: 1e-3, threads: 1)
        let poor = RecommendationRules.threadScaling([one, F.result(.add, .f32, [1 << 22], median: 0.8e-3, threads: 4)])
        #expect(poor.count == 1 && poor[0].detail.hasPrefix("4 threads made it 1.25x faster than 1 thread (31% parallel efficiency)"))
        #expect(RecommendationRules.threadScaling([one, F.result(.add, .f32, [1 << 22], median: 0.3e-3, threads: 4)]).isEmpty)
        #expect(RecommendationRules.threadScaling([one]).isEmpty)
    }

    @Test func noisyProbesAskForALongerMeasurement() {
        let noisy = RecommendationRules.noisyProbes([F.result(.copy, .bytes, [4096], median: 1e-6, spread: 0.5)])
        #expect(noisy.count == 1 && noisy[0].category == .measurement)
        #expect(RecommendationRules.noisyProbes([F.result(.copy, .bytes, [4096], median: 1e-6, spread: 0.05)]).isEmpty)
    }

    @Test func deviceSelectionFollowsTheMeasuredCrossover() {
        let sweep = DeviceComparison.Sweep(op: .matmul, dtype: .f16, sizes: [64, 256, 1024])
        let cpu = [1e-5, 1e-3, 1e-1].map { F.result(.matmul, .f16, [64, 64, 64], median: $0) }
        let gpu = [1e-4, 1e-4, 1e-3].map { F.result(.matmul, .f16, [64, 64, 64], median: $0, device: "cuda0", backend: .cuda) }
        let comparison = DeviceComparison(sweeps: [sweep], cpu: "cpu0", gpus: ["cuda0"], results: ["cpu0": cpu, "cuda0": gpu])
        let advice = RecommendationRules.deviceSelection(comparison)
        #expect(advice.map(\.title) == ["Run matmul f16 from size 256 on cuda0"])
        #expect(advice[0].potentialSpeedup == 100 && advice[0].priority == .high)
        let cpuOnly = DeviceComparison(sweeps: [sweep], cpu: "cpu0", gpus: [], results: ["cpu0": cpu], note: "no CUDA device")
        #expect(RecommendationRules.deviceSelection(cpuOnly).isEmpty)
        let cpuWins = DeviceComparison(
            sweeps: [sweep], cpu: "cpu0", gpus: ["cuda0"],
            results: ["cpu0": cpu, "cuda0": cpu.map { _ in F.result(.matmul, .f16, [64, 64, 64], median: 1, device: "cuda0", backend: .cuda) }])
        #expect(RecommendationRules.deviceSelection(cpuWins).map(\.title) == ["Keep matmul f16 on cpu0"])
    }

    @Test func bandwidthBoundProbesNearTheCopyCeilingAreCalledSo() throws {
        let near = try #require(
            Roofline(results: [
                F.result(.copy, .bytes, [1 << 26], median: Double(2 << 26) / 20e9),
                F.result(.add, .f32, [1 << 22], median: 12.0 * Double(1 << 22) / 18e9),
            ]))
        let advice = RecommendationRules.bandwidthBound(near)
        #expect(advice.map(\.title) == ["cpu0 add f32 4194304 is bandwidth-bound"])
        let far = try #require(
            Roofline(results: [
                F.result(.copy, .bytes, [1 << 26], median: Double(2 << 26) / 20e9),
                F.result(.add, .f32, [1 << 22], median: 12.0 * Double(1 << 22) / 5e9),
            ]))
        #expect(RecommendationRules.bandwidthBound(far).isEmpty)
    }

    @Test func memoryRulesCoverIdlePoolBuffersAndLeaks() {
        #expect(MemoryReport.poolRetention(idleBytes: 240 << 20, peak: 128 << 20).first?.potentialSavingsBytes == 240 << 20)
        #expect(MemoryReport.poolRetention(idleBytes: 32 << 20, peak: 128 << 20).isEmpty)
        #expect(MemoryReport.poolRetention(idleBytes: 100 << 20, peak: 0).isEmpty)
        let host = HostMemoryStatus(
            totalBytes: 1 << 34, availableBytes: 1 << 33, cgroupLimitBytes: nil, cgroupCurrentBytes: nil,
            pressureSomeAvg10: 0, pressureFullAvg10: 0)
        let leak = MemoryLeak(device: "cpu0", probe: "cpu0 add f32 64", bytes: 4096, allocations: 2)
        let advice = MemoryReport.recommend(host: host, level: .low, largestProbe: nil, poolIdleBytes: 0, peak: 0, leaks: [leak])
        #expect(advice.map(\.title) == ["Probe cpu0 add f32 64 leaked memory"] && advice[0].priority == .high)
        #expect(MemoryReport.recommend(host: host, level: .low, largestProbe: nil, poolIdleBytes: 0, peak: 0, leaks: []).isEmpty)
    }

    @Test func prioritiesSortHighFirstThenByGain() {
        func advice(_ priority: Recommendation.Priority, _ title: String, speedup: Double? = nil) -> Recommendation {
            Recommendation(category: .performance, priority: priority, title: title, detail: "", evidence: [], potentialSpeedup: speedup)
        }
        let sorted = Recommendation.prioritised([advice(.low, "a"), advice(.high, "b", speedup: 2), advice(.high, "c", speedup: 5), advice(.medium, "d")])
        #expect(sorted.map(\.title) == ["c", "b", "d", "a"])
    }
}

@Suite struct ProfileAndCompareRuleTests {
    @Test func probesMostlyOutsideMeasurementAreNamed() {
        let heavy = ProfileSpan(
            testName: "probe cpu0 add f32 64", durationNanos: 1000,
            children: [
                ProfileSpan(testName: "prepare", durationNanos: 500), ProfileSpan(testName: "measure", durationNanos: 200),
                ProfileSpan(testName: "verify", durationNanos: 300),
            ])
        let light = ProfileSpan(
            testName: "probe cpu0 copy bytes 64", durationNanos: 1000,
            children: [
                ProfileSpan(testName: "prepare", durationNanos: 100), ProfileSpan(testName: "measure", durationNanos: 800),
            ])
        let advice = RecommendationRules.probeOverhead(
            ProfileAnalysis(traces: [ProfileSpan(testName: "cycle", durationNanos: 2000, children: [heavy, light])]))
        #expect(advice.map(\.title) == ["cpu0 add f32 64 spends most of its run outside measurement"])
        #expect(advice[0].detail.hasPrefix("80% of its 1.00 µs went to other phases (prepare 50%, verify 30%)"))
    }

    @Test func compareRecommendsF16AtTheLargestSizeOnly() {
        let sizes = [64, 128]
        let sweeps = [DType.f32, .f16].map { DeviceComparison.Sweep(op: .matmul, dtype: $0, sizes: sizes) }
        let f32 = sizes.map { ReportFixtures.result(.matmul, .f32, [$0, $0, $0], median: 1e-3) }
        let f16 = sizes.map { ReportFixtures.result(.matmul, .f16, [$0, $0, $0], median: 0.5e-3) }
        let comparison = DeviceComparison(sweeps: sweeps, cpu: "cpu0", gpus: [], results: ["cpu0": f32 + f16])
        #expect(comparison.recommendations?.map(\.title) == ["Use f16 for matmul 128x128x128 on cpu0"])
        #expect(comparison.table().contains("\nrecommendations:\n  - [medium] memory: Use f16 for matmul 128x128x128 on cpu0 — "))
        // Precisions side by side at every size, against f32.
        #expect(comparison.precision?.map(\.size) == [64, 128])
        #expect(comparison.precision?.first?.reference == .f32 && comparison.precision?.first?.speedup == ["f32": 1, "f16": 2])
        #expect(
            comparison.table().contains(
                "\nprecisions (speed-up against the widest dtype measured):\nOP      SIZE  DEVICE  F32      F16        SPEEDUP F32  SPEEDUP F16\nmatmul  64    cpu0    1.00 ms  500.00 µs  1.00x        2.00x\n"
            ))
        let single = DeviceComparison(sweeps: [sweeps[0]], cpu: "cpu0", gpus: [], results: ["cpu0": f32])
        #expect(single.precision == nil)
    }
}

@Suite struct BatchComparisonTests {
    func series(_ medians: [Double]) -> [ProbeResult] {
        zip([1, 2, 4, 8, 16], medians).map { m, median in ReportFixtures.result(.ternaryMatmul, .i8Ternary, [m, 1024, 1024], median: median) }
    }

    @Test func saturationIsTheBatchAfterWhichThroughputStopsGrowing() throws {
        // Throughput per batch: 1, 2, 4, 4.2, 4.3 (x 2*1024*1024 / 1e-3): grows to 4, then by under 10 %.
        let medians = [1e-3, 1e-3, 1e-3, 8 / 4.2 * 1e-3, 16 / 4.3 * 1e-3]
        let comparison = BatchComparison(n: 1024, k: 1024, batches: [1, 2, 4, 8, 16], results: series(medians))
        let only = try #require(comparison.series.first)
        #expect(only.saturationBatch == 4)
        #expect(only.rows.map(\.growth).compactMap { $0 }.map { ($0 * 100).rounded() / 100 } == [2, 2, 1.05, 1.02])
        #expect(comparison.recommendations.map(\.title) == ["Batch ternary_matmul i8_ternary on cpu0 up to 4 rows"])
        #expect(comparison.table().contains("  throughput stops growing: from batch 4\n"))
        let csv = comparison.csv().split(separator: "\r\n")
        #expect(csv[0] == "device,op,dtype,batch,shape,result,median_seconds,ops_per_second,growth,saturation_batch")
        #expect(csv.count == 6 && csv[3].hasPrefix("cpu0,ternary_matmul,i8_ternary,4,4x1024x1024,ok,0.001,"))
    }

    @Test func stillGrowingAtTheLargestBatchHasNoSaturation() {
        let growing = BatchComparison(n: 1024, k: 1024, batches: [1, 2, 4, 8, 16], results: series([1e-3, 1e-3, 1e-3, 1e-3, 1e-3]))
        #expect(growing.series[0].saturationBatch == nil && growing.recommendations.isEmpty)
        var failed = series([1e-3, 1e-3, 1e-3, 1e-3, 1e-3])
        failed[2] = ReportFixtures.result(.ternaryMatmul, .i8Ternary, [4, 1024, 1024], median: 1e-3, outcome: .timeout)
        #expect(BatchComparison(n: 1024, k: 1024, batches: [1, 2, 4, 8, 16], results: failed).series[0].saturationBatch == nil)
    }
}

@Suite struct LayoutComparisonTests {
    @Test func slowdownIsAgainstStrideOneAndTheFirstCostlyStrideIsNamed() throws {
        let runs = [(1, 1e-3), (2, 1.5e-3), (4, 3e-3), (16, 9e-3)].map { stride, median in
            ReportFixtures.result(.stridedAdd, .f32, [1 << 20, stride], median: median)
        }
        let layout = LayoutComparison(elements: 1 << 20, results: runs.reversed())
        #expect(layout.rows.map(\.stride) == [1, 2, 4, 16])
        #expect(layout.rows.map(\.slowdown) == [1, 1.5, 3, 9])
        #expect(layout.recommendations.map(\.title) == ["Keep hot tensors contiguous: stride 4 costs 3.0x"])
        #expect(layout.recommendations.first?.priority == .high && layout.recommendations.first?.potentialSpeedup == 9)
        let cheap = LayoutComparison(
            elements: 1 << 20,
            results: [
                ReportFixtures.result(.stridedAdd, .f32, [1 << 20, 1], median: 1e-3),
                ReportFixtures.result(.stridedAdd, .f32, [1 << 20, 8], median: 1.2e-3),
            ])
        #expect(cheap.recommendations.isEmpty)
        let csv = layout.csv().split(separator: "\r\n")
        #expect(csv[0] == "stride,shape,result,median_seconds,bytes_per_second,slowdown_vs_contiguous" && csv[4].hasSuffix(",9.0"))
    }

    @Test func stridedAddVerifiesAtEveryStride() throws {
        let backend = try CPUBackend(threads: 2)
        var config = BenchmarkConfig()
        config.measurementIterations = 2
        config.minMeasurementSeconds = 0
        for stride in [1, 3, 16] {
            let result = Benchmarker(config: config, backend: backend).run(try LayoutStudy.spec(elements: 100_003, stride: stride))
            #expect(result.outcome == .ok, "stride \(stride): \(result.detail ?? "")")
            #expect(result.verification?.checkedValues ?? 0 > 0 && result.bytesPerSecond == 12 * 100_003 / result.statistics!.median)
        }
        #expect(try LayoutStudy.spec(elements: 1000, stride: 16).bufferBytes == 4 * (2 * (999 * 16 + 1) + 1000))
    }
}
