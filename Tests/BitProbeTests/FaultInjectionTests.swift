import Testing

@testable import BitProbe

@Suite struct FaultInjectionTests {
    @Test func parsesEveryField() throws {
        let injection = try FaultInjection(parsing: "op=matmul,dtype=f32,shape=512x512x512,factor=1.15")
        #expect(injection.op == .matmul)
        #expect(injection.dtype == .f32)
        #expect(injection.shape == ProbeShape([512, 512, 512]))
        #expect(injection.factor == 1.15)
        #expect(injection.description == "op=matmul,dtype=f32,shape=512x512x512,factor=1.15")
    }

    @Test func dtypeAndShapeAreOptional() throws {
        let injection = try FaultInjection(parsing: "factor=3,op=add")
        #expect(injection.description == "op=add,factor=3.0")
        #expect(injection.matches(try ProbeSpec(op: .add, dtype: .f16, shape: ProbeShape([7]))))
        #expect(injection.matches(try ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([9]))))
        #expect(!injection.matches(try ProbeSpec(op: .multiply, dtype: .f32, shape: ProbeShape([9]))))
        let narrow = try FaultInjection(parsing: "op=add,dtype=f16,shape=7,factor=2")
        #expect(narrow.matches(try ProbeSpec(op: .add, dtype: .f16, shape: ProbeShape([7]))))
        #expect(!narrow.matches(try ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([7]))))
        #expect(!narrow.matches(try ProbeSpec(op: .add, dtype: .f16, shape: ProbeShape([8]))))
    }

    @Test(arguments: [
        ("op=matmul", "BITPROBE_FAULT_INJECT: missing key 'factor'; expected op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F[,after=D][,for=D]"),
        ("factor=2", "BITPROBE_FAULT_INJECT: missing key 'op'; expected op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F[,after=D][,for=D]"),
        ("op=matmul,factor", "BITPROBE_FAULT_INJECT: 'factor' is not key=value; expected op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F[,after=D][,for=D]"),
        ("op=matmul,,factor=2", "BITPROBE_FAULT_INJECT: '' is not key=value; expected op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F[,after=D][,for=D]"),
        ("op=matmul,=2", "BITPROBE_FAULT_INJECT: '=2' is not key=value; expected op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F[,after=D][,for=D]"),
        ("op=matmul,speed=2", "BITPROBE_FAULT_INJECT: unknown key 'speed'; expected one of: op, dtype, shape, factor, after, for"),
        ("op=matmul,op=add,factor=2", "BITPROBE_FAULT_INJECT: key 'op' is given twice"),
        (
            "op=conv,factor=2",
            "BITPROBE_FAULT_INJECT: unknown op 'conv'; expected one of: add, copy, matmul, multiply, quantize_activations, quantize_weights, strided_add, ternary_matmul"
        ),
        ("op=matmul,dtype=f64,factor=2", "BITPROBE_FAULT_INJECT: unknown dtype 'f64'; expected one of: bf16, bytes, f16, f32, i8_ternary"),
        ("op=matmul,dtype=bytes,factor=2", "BITPROBE_FAULT_INJECT: op 'matmul' does not support dtype 'bytes' on backend cpu; supported: f32, f16"),
        ("op=matmul,shape=4by4,factor=2", "BITPROBE_FAULT_INJECT: malformed shape '4by4'; expected positive integers joined by 'x', such as 1024x1024x1024"),
        ("op=matmul,shape=64x64,factor=2", "BITPROBE_FAULT_INJECT: no --shape fits op 'matmul', which needs 3 dimension(s) (MxNxK); given: 64x64"),
        ("op=matmul,factor=fast", "BITPROBE_FAULT_INJECT: factor 'fast' must be a number greater than 1 and at most 100"),
        ("op=matmul,factor=1", "BITPROBE_FAULT_INJECT: factor '1' must be a number greater than 1 and at most 100"),
        ("op=matmul,factor=0.5", "BITPROBE_FAULT_INJECT: factor '0.5' must be a number greater than 1 and at most 100"),
        ("op=matmul,factor=101", "BITPROBE_FAULT_INJECT: factor '101' must be a number greater than 1 and at most 100"),
        ("op=matmul,factor=nan", "BITPROBE_FAULT_INJECT: factor 'nan' must be a number greater than 1 and at most 100"),
        ("op=matmul,factor=inf", "BITPROBE_FAULT_INJECT: factor 'inf' must be a number greater than 1 and at most 100"),
        ("op=matmul,factor=2,after=soon", "BITPROBE_FAULT_INJECT: after 'soon' must be a duration in seconds, optionally with an s, m or h suffix"),
        ("op=matmul,factor=2,for=-1s", "BITPROBE_FAULT_INJECT: for '-1s' must be a duration in seconds, optionally with an s, m or h suffix"),
    ])
    func parseErrorsNameTheVariableAndThePart(text: String, message: String) {
        do {
            _ = try FaultInjection(parsing: text)
            Issue.record("'\(text)' parsed")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func windowOpensAfterAndClosesAfterFor() throws {
        let later = try FaultInjection(parsing: "op=add,factor=2,after=1h")
        #expect(later.startAfterSeconds == 3600)
        #expect(later.description == "op=add,factor=2.0,after=3600.0s")
        #expect(!later.isInWindow)
        #expect(!later.matches(try ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([7]))))
        let over = try FaultInjection(parsing: "op=add,factor=2,after=0,for=0")
        #expect(!over.isInWindow)
        let open = try FaultInjection(parsing: "op=add,factor=2,for=1.5m")
        #expect(open.durationSeconds == 90)
        #expect(open.isInWindow)
    }

    @Test func environmentValue() throws {
        #expect(try FaultInjection.parseEnvironment(nil).get() == nil)
        #expect(try FaultInjection.parseEnvironment("").get() == nil)
        #expect(try FaultInjection.parseEnvironment("op=copy,factor=2").get() == (try FaultInjection(parsing: "op=copy,factor=2")))
        #expect(throws: FaultInjectionError.unknownKey("x")) { try FaultInjection.parseEnvironment("x=1").get() }
    }

    @Test func spinWaitsForRealAndReportsTheWait() throws {
        let injection = try FaultInjection(parsing: "op=add,factor=3")
        let start = MonotonicClock.nanoseconds()
        let waited = injection.spin(afterKernelSeconds: 0.002)
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        #expect(waited >= 0.004)
        #expect(elapsed >= waited)
    }

    @Test func benchmarkerSlowsOnlyMatchingProbes() throws {
        let slowed = try ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([16]))
        let other = try ProbeSpec(op: .copy, dtype: .bytes, shape: ProbeShape([16]))
        var config = BenchmarkConfig()
        config.warmupIterations = 1
        config.measurementIterations = 5
        config.minMeasurementSeconds = 0
        let runner = Benchmarker(
            config: config, backend: ScriptedBackend(.fixed(seconds: 0.002)),
            faultInjection: try FaultInjection(parsing: "op=add,factor=1.5"))
        let start = MonotonicClock.nanoseconds()
        let results = runner.run([slowed, other])
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        // The scripted kernel reports 2 ms without taking it; the 1 ms per sample added is real time.
        #expect(results[0].samples.count == 5)
        #expect(results[0].samples.allSatisfy { $0 >= 0.003 && $0 < 0.1 })
        #expect(elapsed >= 0.005)
        #expect(results[1].samples == [Double](repeating: 0.002, count: 5))
        #expect(
            BenchReport(
                bitprobeVersion: "1", host: HostInfo.read(), backend: runner.backend, config: config, results: results,
                faultInjection: runner.faultInjection
            ).faultInjection?.op == .add)
    }

    @Test func benchReportJSONCarriesTheInjection() throws {
        let backend = ScriptedBackend(.fixed(seconds: 0.001))
        let injection = try FaultInjection(parsing: "op=matmul,dtype=f32,factor=2")
        let report = BenchReport(
            bitprobeVersion: "1", host: HostInfo.read(), backend: backend, config: BenchmarkConfig(), results: [],
            faultInjection: injection)
        let text = String(decoding: try report.json(), as: UTF8.self)
        #expect(text.contains("\"fault_injection\" : {\n    \"dtype\" : \"f32\",\n    \"factor\" : 2,\n    \"op\" : \"matmul\"\n  }"))
        #expect(try BenchReport.decode(json: try report.json()).faultInjection == injection)
        let clean = BenchReport(bitprobeVersion: "1", host: HostInfo.read(), backend: backend, config: BenchmarkConfig(), results: [], faultInjection: nil)
        #expect(!String(decoding: try clean.json(), as: UTF8.self).contains("fault_injection"))
    }
}

@Suite struct RoundMeasurementTests {
    typealias F = RegressionFixtures

    @Test func keepsEveryRoundAndTheTypicalOnesSamples() {
        let rounds = [F.result(F.add, [3, 3, 3]), F.result(F.add, [1, 2.5, 9]), F.result(F.add, [2, 2, 2]), F.result(F.add, [4, 4])]
        let combined = RoundMeasurement.combine(rounds)
        // Round medians 3, 2.5, 2, 4: the lower median of them is 2.5.
        #expect(combined.samples == [1, 2.5, 9])
        #expect(combined.roundMedians == [3, 2.5, 2, 4])
        #expect(combined.rounds?.map(\.sampleCount) == [3, 3, 3, 2])
        #expect(combined.wallSeconds == 2.0)
    }

    @Test func aRoundThatFailedWins() {
        let rounds = [F.result(F.add, [1, 1]), F.result(F.add, [], outcome: .mismatch, detail: "wrong"), F.result(F.add, [], outcome: .timeout)]
        let combined = RoundMeasurement.combine(rounds)
        #expect(combined.outcome == .mismatch)
        #expect(combined.detail == "wrong")
        #expect(combined.roundMedians == [1])
    }

    @Test func roundsGoRoundRobinUntilCountAndDurationAreMet() throws {
        var order: [String] = []
        let results = RoundMeasurement.measure([F.add, F.copy], rounds: 3) { spec, round in
            order.append("\(round) \(spec.op.rawValue)")
            return F.result(spec, [Double(3 - round), 5])
        }
        #expect(order == ["0 add", "0 copy", "1 add", "1 copy", "2 add", "2 copy"])
        #expect(results.map(\.spec) == [F.add, F.copy])
        #expect(results.map(\.roundMedians) == [[4, 3.5, 3], [4, 3.5, 3]])

        var rounds = 0
        let start = MonotonicClock.nanoseconds()
        _ = RoundMeasurement.measure([F.add], rounds: 1, duration: 0.05) { spec, round in
            rounds = round + 1
            return F.result(spec, [1])
        }
        #expect(Double(MonotonicClock.nanoseconds() - start) / 1e9 >= 0.05)
        #expect(rounds > 1)
    }

    @Test func anErrorStopsTheRounds() {
        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) {
            _ = try RoundMeasurement.measure([F.add, F.copy], rounds: 3) { _, _ in
                calls += 1
                throw Stop()
            }
        }
        #expect(calls == 1)
    }
}
