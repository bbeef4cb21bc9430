import ArgumentParser
import BitProbe

#if canImport(Glibc)
import Glibc
#endif

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run verified probes once and print their timings and throughput.",
        discussion: """
            Without --op, --dtype or --shape, runs the default suite of the backend (CPU: under 30 s
            on two cores; CUDA: GPU-sized shapes, docs/cuda.md).
            Lists accept repeated flags or commas: --op matmul,add --shape 1024x1024x1024.
            --backend cuda probes one GPU: --device cudaN, or the first GPU that is up.
            Exit status: 0 every probe ok; 1 a probe failed, timed out or computed a wrong result;
            3 could not run (not enough memory, unwritable output, no CUDA device); 64 bad flag value.
            """
    )

    @Option(help: "Backend to probe.")
    var backend: Choice<BackendKind> = Choice(.cpu)

    @Option(help: "GPU to probe with --backend cuda (default: the first GPU that is up).")
    var device: String?

    @OptionGroup var probes: ProbeRunOptions

    @Option(help: "Seconds after which a probe ends as 'timeout'.")
    var timeout: Double = BenchmarkConfig().timeoutSeconds

    @Option(help: "Force a SIMD path (default: the widest this CPU has).")
    var simd: Choice<SIMDPath>?

    @Option(help: "Seed of the probe inputs.")
    var seed: UInt64 = BenchmarkConfig().seed

    @Option(name: [.customLong("format"), .customLong("output-format")], help: "Output format.")
    var format: OutputFormat = .table

    @Option(help: "Write the output to this file (atomically) instead of stdout.")
    var output: String?

    /// Set by `baseline create` for its children (ParentLifeline).
    @Flag(name: .customLong("exit-when-stdin-closes"), help: .hidden)
    var exitWhenStandardInputCloses = false

    func validate() throws {
        if backend.value == .cpu, let device, device != "cpu0" { throw ValidationError("--device \(device): the cpu backend has one device, cpu0") }
        if backend.value == .cuda, simd != nil { throw ValidationError("--simd applies to the cpu backend only") }
    }

    func run() throws {
        if exitWhenStandardInputCloses { ParentLifeline.exitWhenStandardInputCloses() }
        var config = try probes.benchmarkConfig(command: "bench")
        config.timeoutSeconds = timeout
        config.seed = seed
        if let problem = config.validationErrors().first { throw fail("bench", problem, status: ExitStatus.usage) }
        let backendKind = backend.value
        // Validated before the driver is opened, so a typo is a usage error on any machine.
        _ = try probes.specs(command: "bench", backend: backendKind, device: backendKind == .cpu ? "cpu0" : "cuda0")
        let devices: DeviceSet
        do {
            devices = try DeviceSet.open(
                cpu: backendKind == .cpu, threads: probes.threads, simd: simd?.value,
                gpus: backendKind == .cuda ? .one(device: device) : .none)
        } catch { throw error.exit("bench") }
        defer { devices.close() }
        let probeBackend: any ProbeBackend
        if let cpu = devices.cpu?.backend {
            probeBackend = cpu
        } else if let gpu = devices.gpus.first?.backend {
            probeBackend = gpu
        } else {
            preconditionFailure("DeviceSet.open gives the CPU or a GPU with its backend loaded")
        }
        let specs = try probes.specs(command: "bench", backend: backendKind, device: probeBackend.device)
        let host = HostInfo.read()
        try requireMemory(for: specs, host: host, command: "bench")
        if let output {
            do { try AtomicFile.checkWritable(output) } catch { throw fail("bench", error.description, status: ExitStatus.couldNotRun) }
        }

        let showProgress = isatty(2) == 1
        let results: [ProbeResult]
        do {
            results = try devices.run(specs, config: config) { done, total, spec in
                if showProgress { writeStandardError("[\(done)/\(total)] \(spec)\n") }
            }
        } catch { throw error.exit("bench") }

        let rendered: [UInt8]
        switch format {
        case .table: rendered = Array(ResultTable.text(results).utf8)
        case .csv: rendered = Array(ResultTable.csv(results).utf8)
        case .json:
            rendered = try BenchReport(bitprobeVersion: BitProbeVersion.version, host: host, backend: probeBackend, config: config, results: results).json()
        }
        if let output {
            do { try AtomicFile.write(rendered, to: output) } catch { throw fail("bench", error.description, status: ExitStatus.couldNotRun) }
        } else {
            writeStandardOutput(String(decoding: rendered, as: UTF8.self))
        }
        if results.contains(where: { $0.outcome != .ok }) { throw ExitCode(ExitStatus.probeNotOK) }
    }
}
