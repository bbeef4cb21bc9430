// The measurements behind scripts/bench-tracing (issue: profiler and OTLP export cost). Each mode
// prints one JSON object on stdout; the script adds the references (Python protobuf, a loopback
// receiver) and the ratios. Build it in release: debug numbers say nothing about the agent.
//
//   bitprobe-tracing-bench spans [--count N]
//   bitprobe-tracing-bench encode [--seconds S] [--write-request FILE]
//   bitprobe-tracing-bench export --endpoint URL [--cycles N] [--gzip]
//   bitprobe-tracing-bench ab --op OP --dtype DTYPE --shape SHAPE [--rounds N]
import Agent
import BitProbe
import OTLPExport

#if canImport(Glibc)
import Glibc
#endif

struct Arguments {
    let mode: String
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    init(_ arguments: [String]) {
        mode = arguments.first ?? ""
        var index = 1
        while index < arguments.count {
            let key = arguments[index]
            if index + 1 < arguments.count, !arguments[index + 1].hasPrefix("--") {
                values[key] = arguments[index + 1]
                index += 2
            } else {
                flags.insert(key)
                index += 1
            }
        }
    }

    func int(_ key: String, _ fallback: Int) -> Int { values[key].flatMap(Int.init) ?? fallback }
    func double(_ key: String, _ fallback: Double) -> Double { values[key].flatMap(Double.init) ?? fallback }
    func string(_ key: String) -> String? { values[key] }
    func flag(_ key: String) -> Bool { flags.contains(key) }
}

func fail(_ message: String) -> Never {
    StandardStream.write("bitprobe-tracing-bench: \(message)\n", to: 2)
    exit(2)
}

func median(_ values: [Double]) -> Double { SampleStatistics(values)?.median ?? 0 }

/// One cycle of the agent, profiled: the default CPU suite under a `cycle` root span, as
/// ProbeScheduler builds it. Real spans with the attributes the agent sends.
func profiledCycle() -> ProfileSpan {
    guard let backend = try? CPUBackend(threads: nil) else { fail("could not start the CPU backend") }
    guard let specs = try? ProbeSelection().resolve() else { fail("could not resolve the default suite") }
    var config = BenchmarkConfig()
    config.warmupIterations = 1
    config.measurementIterations = 3
    config.minMeasurementSeconds = 0
    let root = ProfileSpan.root("cycle", attributes: [("bitprobe.cycle", .int(1))])
    let runner = Benchmarker(config: config, backend: backend, faultInjection: nil)
    for spec in specs { _ = runner.run(spec, profile: root) }
    root.end()
    return root
}

/// ns per span: open a child, end it; with and without the attributes a probe span carries; and
/// the floor, the two clock reads every span makes. Children hang under roots of 100, like a cycle.
func spansMode(_ arguments: Arguments) {
    let count = arguments.int("--count", 1_000_000)
    let attributes: [(String, AttributeValue)] = [
        ("bitprobe.backend", .string("cpu")), ("bitprobe.device", .string("cpu0")), ("bitprobe.op", .string("matmul")),
        ("bitprobe.dtype", .string("f32")), ("bitprobe.shape", .string("512x512x512")), ("bitprobe.kernel_path", .string("avx512")),
        ("bitprobe.threads", .int(2)),
    ]
    func timed(_ body: () -> Void) -> Double {
        let start = MonotonicClock.nanoseconds()
        body()
        return Double(MonotonicClock.nanoseconds() - start) / Double(count)
    }
    var sink: UInt64 = 0
    var floor: [Double] = [], plain: [Double] = [], attributed: [Double] = []
    for _ in 0..<5 {
        floor.append(timed {
            for _ in 0..<count { sink &+= MonotonicClock.nanoseconds() &+ MonotonicClock.nanoseconds() }
        })
        plain.append(timed {
            var root = ProfileSpan.root("cycle")
            for index in 0..<count {
                if index % 100 == 0 { root.end(); root = ProfileSpan.root("cycle") }
                root.child("phase").end()
            }
        })
        attributed.append(timed {
            var root = ProfileSpan.root("cycle")
            for index in 0..<count {
                if index % 100 == 0 { root.end(); root = ProfileSpan.root("cycle") }
                let span = root.child("probe", attributes: attributes)
                span.setAttribute("bitprobe.result", .string("ok"))
                span.setAttribute("bitprobe.samples", .int(10))
                span.setAttribute("bitprobe.median_seconds", .double(0.001))
                span.end()
            }
        })
    }
    print("{\"mode\":\"spans\",\"count\":\(count),\"clock_pair_ns\":\(median(floor)),\"span_ns\":\(median(plain)),"
          + "\"span_with_10_attributes_ns\":\(median(attributed)),\"sink\":\(sink % 2)}")
}

/// Encoding throughput of real cycle traces (the default suite, profiled once) into OTLP protobuf.
func encodeMode(_ arguments: Arguments) {
    let seconds = arguments.double("--seconds", 3)
    let spans = CycleTraceConversion.spans(of: profiledCycle())
    let resource = OTLPResource(attributes: [("service.name", .string("bitprobe")), ("host.name", .string("bench"))])
    let scope = OTLPInstrumentationScope(name: "bitprobe", version: BitProbeVersion.version)
    let body = OTLPEncoder.encode(resource: resource, scope: scope, spans: spans)
    if let path = arguments.string("--write-request") {
        do { try AtomicFile.write(body, to: path) } catch { fail("could not write \(path): \(error)") }
    }
    var requests = 0
    var bytes = 0
    let start = MonotonicClock.nanoseconds()
    let stop = start + UInt64(seconds * 1e9)
    while MonotonicClock.nanoseconds() < stop {
        bytes &+= OTLPEncoder.encode(resource: resource, scope: scope, spans: spans).count
        requests += 1
    }
    let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
    print("{\"mode\":\"encode\",\"spans_per_request\":\(spans.count),\"bytes_per_request\":\(body.count),\"requests\":\(requests),"
          + "\"seconds\":\(elapsed),\"spans_per_second\":\(Double(requests * spans.count) / elapsed),\"checksum\":\(bytes % 7)}")
}

/// End-to-end export: real cycle traces fed to the exporter as fast as its queue takes them, with
/// the default batch settings, to a receiver; counts what the receiver acknowledged.
func exportMode(_ arguments: Arguments) {
    guard let endpoint = arguments.string("--endpoint") else { fail("export needs --endpoint URL") }
    let cycles = arguments.int("--cycles", 2000)
    let spans = CycleTraceConversion.spans(of: profiledCycle())
    var config = OTLPExporterConfig(endpoint: endpoint)
    if arguments.flag("--gzip") { config.compression = .gzip }
    let exporter = OTLPTraceExporter(config: config, resource: OTLPResource(attributes: [("service.name", .string("bitprobe"))]),
                                     scopeVersion: BitProbeVersion.version)
    do { try exporter.start() } catch { fail("could not start the exporter: \(error)") }
    let total = UInt64(cycles * spans.count)
    let start = MonotonicClock.nanoseconds()
    var sent = 0
    while sent < cycles {
        // Only as much as fits: the benchmark measures throughput, not the drop path.
        if exporter.statistics.queuedSpans + spans.count <= config.batch.maxQueueSize {
            exporter.export(spans)
            sent += 1
        } else {
            usleep(100)
        }
    }
    let finished = exporter.shutdown(deadline: .seconds(60))
    let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
    let statistics = exporter.statistics
    print("{\"mode\":\"export\",\"gzip\":\(arguments.flag("--gzip")),\"spans\":\(total),\"exported\":\(statistics.spansExported),"
          + "\"dropped\":\(statistics.spansDropped),\"failed\":\(statistics.spansFailed),\"requests\":\(statistics.exportRequests),"
          + "\"seconds\":\(elapsed),\"spans_per_second\":\(Double(statistics.spansExported) / elapsed),\"finished\":\(finished)}")
}

/// Does profiling move what a probe measures? Rounds of the same probe without and with a profile
/// span tree, in ABBA order so drift and order effects cancel; compares the medians.
func abMode(_ arguments: Arguments) {
    guard let op = arguments.string("--op"), let dtype = arguments.string("--dtype"), let shape = arguments.string("--shape") else {
        fail("ab needs --op, --dtype and --shape")
    }
    let rounds = arguments.int("--rounds", 20)
    let specs: [ProbeSpec]
    do { specs = try ProbeSelection(ops: [op], dtypes: [dtype], shapes: [shape]).resolve() } catch { fail(error.description) }
    guard specs.count == 1, let spec = specs.first else { fail("the selection names \(specs.count) probes, expected 1") }
    guard let backend = try? CPUBackend(threads: nil) else { fail("could not start the CPU backend") }
    let runner = Benchmarker(config: BenchmarkConfig(), backend: backend, faultInjection: nil)
    var plain: [Double] = [], profiled: [Double] = []
    func measure(profiling: Bool) -> Double {
        let root = profiling ? ProfileSpan.root("cycle") : nil
        let result = runner.run(spec, profile: root)
        root?.end()
        guard result.outcome == .ok, let median = result.statistics?.median else {
            fail("probe \(spec) ended \(result.outcome.rawValue): \(result.detail ?? "")")
        }
        return median
    }
    // A pair measured while other tasks waited for the CPUs (Linux CPU pressure above 10 % of its
    // time) says more about them than about profiling: it is measured again, up to 10 tries a round.
    var contendedPairs = 0
    var round = 0
    while round < rounds && contendedPairs < rounds * 10 {
        let profiledFirst = round % 2 == 1
        let stallBefore = CPUPressure.someTotalMicroseconds()
        let start = MonotonicClock.nanoseconds()
        let first = measure(profiling: profiledFirst)
        let second = measure(profiling: !profiledFirst)
        let seconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        if let stallBefore, let stallAfter = CPUPressure.someTotalMicroseconds(), Double(stallAfter &- stallBefore) / 1e6 / seconds > 0.10 {
            contendedPairs += 1
            continue
        }
        profiled.append(profiledFirst ? first : second)
        plain.append(profiledFirst ? second : first)
        round += 1
    }
    guard round == rounds else { fail("only \(round) of \(rounds) rounds ran without CPU contention in \(contendedPairs) tries") }
    let ratio = median(profiled) / median(plain)
    // Paired too: the two runs of a round share the pooled buffers and the machine's state of that
    // moment, so their ratio leaves out what changes from round to round.
    let paired = zip(profiled, plain).map { $0 / $1 }
    // Rounds alternate which run goes first; split by order, a difference between the two medians
    // is an order effect (the second run of a pair meeting a warmer or busier machine), not profiling.
    let profiledFirstRatios = paired.indices.filter { $0 % 2 == 1 }.map { paired[$0] }
    let plainFirstRatios = paired.indices.filter { $0 % 2 == 0 }.map { paired[$0] }
    var random = SeededRandom(seed: 42)
    var resampledMedians: [Double] = []
    for _ in 0..<2000 {
        resampledMedians.append(median((0..<paired.count).map { _ in paired[Int.random(in: 0..<paired.count, using: &random)] }))
    }
    resampledMedians.sort()
    let pairedLower = resampledMedians[Int(0.025 * Double(resampledMedians.count))]
    let pairedUpper = resampledMedians[Int(0.975 * Double(resampledMedians.count)) - 1]
    // The regression gate's interval for a ratio of round medians (Hodges-Lehmann, 95 %).
    guard let interval = RoundRatio(current: profiled, baseline: plain, alpha: 0.05)?.interval else {
        fail("no confidence interval: too few rounds, or a median was not positive")
    }
    print("{\"mode\":\"ab\",\"probe\":\"\(spec)\",\"rounds\":\(rounds),\"contended_pairs_discarded\":\(contendedPairs),\"median_plain_seconds\":\(median(plain)),"
          + "\"median_profiled_seconds\":\(median(profiled)),\"ratio\":\(ratio),"
          + "\"ci_lower\":\(interval.lower),\"ci_upper\":\(interval.upper),\"paired_ratio\":\(median(paired)),"
          + "\"paired_ci_lower\":\(pairedLower),\"paired_ci_upper\":\(pairedUpper),"
          + "\"paired_ratio_profiled_first\":\(median(profiledFirstRatios)),\"paired_ratio_plain_first\":\(median(plainFirstRatios))}")
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
switch arguments.mode {
case "spans": spansMode(arguments)
case "encode": encodeMode(arguments)
case "export": exportMode(arguments)
case "ab": abMode(arguments)
default: fail("unknown mode '\(arguments.mode)'; expected one of: spans, encode, export, ab")
}
