import BitProbe
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct BenchCommandTests {
    @Test func jsonOutputParsesBackWithEveryProbeVerified() throws {
        let run = try BinaryRun.run([
            "bench", "--op", "matmul,ternary_matmul,add,copy", "--dtype", "f32,i8_ternary,bytes",
            "--shape", "33x17x65", "--shape", "4097", "--iterations", "3", "--min-time", "0", "--format", "json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try BenchReport.decode(json: Array(run.stdout.utf8))
        #expect(report.schemaVersion == 1)
        #expect(
            report.results.map(\.spec.description) == [
                "cpu0 matmul f32 33x17x65", "cpu0 ternary_matmul i8_ternary 33x17x65", "cpu0 add f32 4097", "cpu0 copy bytes 4097",
            ])
        for result in report.results {
            #expect(result.outcome == .ok)
            #expect(result.samples.count >= 3)
            #expect(result.verification?.passed == true)
            #expect((result.bytesPerSecond ?? 0) > 0)
        }
        #expect(report.results[0].operationsPerSecond != nil)
        #expect(report.backend.kernelPath == SIMDPath.detected.rawValue)
    }

    @Test func jsonUsesSnakeCaseKeys() throws {
        let run = try BinaryRun.run(["bench", "--op", "add", "--dtype", "f16", "--shape", "100", "--iterations", "1", "--min-time", "0", "--format", "json"])
        #expect(run.status == 0)
        for key in [
            "\"schema_version\"", "\"bitprobe_version\"", "\"kernel_path\"", "\"bytes_per_second\"", "\"samples\"", "\"warmup_iterations\"",
            "\"checked_values\"",
        ] {
            #expect(run.stdout.contains(key), "missing \(key)")
        }
    }

    @Test func csvHasHeaderAndOneRowPerProbe() throws {
        let run = try BinaryRun.run(["bench", "--op", "quantize_weights", "--shape", "17x129", "--iterations", "2", "--min-time", "0", "--format", "csv"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\r\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("backend,device,op,dtype,shape,result,iterations,min_seconds"))
        #expect(lines[1].hasPrefix("cpu,cpu0,quantize_weights,f32,17x129,ok,"))
        #expect(lines[2].hasPrefix("cpu,cpu0,quantize_weights,f16,17x129,ok,"))
    }

    @Test func tableHasAHeaderAndTheProbe() throws {
        let run = try BinaryRun.run(["bench", "--op", "multiply", "--shape", "1000", "--dtype", "f32", "--iterations", "1", "--min-time", "0"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("BACKEND  DEVICE  OP"))
        #expect(run.stdout.contains("cpu      cpu0    multiply  f32    1000   ok"))
    }

    @Test func outputFileIsWritten() throws {
        let path = "/tmp/bitprobe-bench-\(getpid()).json"
        defer { unlink(path) }
        let run = try BinaryRun.run(["bench", "--op", "copy", "--shape", "4096", "--iterations", "1", "--min-time", "0", "--format", "json", "--output", path])
        #expect(run.status == 0)
        #expect(run.stdout.isEmpty)
        let file = try #require(fopen(path, "r"))
        fclose(file)
    }

    @Test func forcedPortablePathIsReported() throws {
        let run = try BinaryRun.run([
            "bench", "--op", "add", "--dtype", "f32", "--shape", "1000", "--iterations", "1", "--min-time", "0", "--simd", "portable", "--threads", "1",
            "--format", "json",
        ])
        #expect(run.status == 0)
        let report = try BenchReport.decode(json: Array(run.stdout.utf8))
        #expect(report.results[0].kernelPath == "portable")
        #expect(report.results[0].threads == 1)
    }

    @Test(
        arguments: [
            (
                ["--op", "conv"],
                "unknown op 'conv'; expected one of: add, copy, matmul, multiply, quantize_activations, quantize_weights, strided_add, ternary_matmul", 64
            ),
            (["--dtype", "f64"], "unknown dtype 'f64'; expected one of: bf16, bytes, f16, f32, i8_ternary", 64),
            (["--op", "matmul", "--dtype", "i8_ternary"], "op 'matmul' does not support dtype 'i8_ternary' on backend cpu; supported: f32, f16", 64),
            (["--op", "matmul", "--shape", "0x4x4"], "shape '0x4x4' has a dimension that is not positive", 64),
            (["--op", "matmul", "--shape=-4x4x4"], "shape '-4x4x4' has a dimension that is not positive", 64),
            (["--op", "matmul", "--shape", "4by4"], "malformed shape '4by4'; expected positive integers joined by 'x', such as 1024x1024x1024", 64),
            (["--op", "matmul", "--shape", "4x4"], "shape '4x4' fits none of the selected ops (matmul)", 64),
            (["--iterations", "0"], "--iterations must be at least 1 (got 0)", 64),
            (["--warmup=-1"], "--warmup must be at least 0 (got -1)", 64),
            (["--timeout", "0"], "--timeout must be a finite number of seconds > 0 (got 0.0)", 64),
            (["--threads", "0"], "--threads must be at least 1 (got 0)", 64),
            (["--op", "add", "--output", "/nonexistent-dir/out.json"], "cannot write output file '/nonexistent-dir/out.json': No such file or directory", 3),
            (["--op", "add", "--output", "/tmp"], "cannot write output file '/tmp': Is a directory", 3),
        ] as [([String], String, Int32)])
    func badInputGetsOneLineAndAStatus(arguments: [String], message: String, status: Int32) throws {
        let run = try BinaryRun.run(["bench"] + arguments)
        #expect(run.status == status)
        #expect(run.stderr == "bitprobe bench: error: \(message)\n")
        #expect(run.stdout.isEmpty)
    }

    /// The output format is a choice swift-argument-parser checks while parsing (issue 13), under
    /// either of its names.
    @Test(arguments: [("--format", "xml"), ("--output-format", "yaml")])
    func anUnknownFormatIsTheParsersError(flag: String, value: String) throws {
        let run = try BinaryRun.run(["bench", flag, value])
        #expect(run.status == 64)
        #expect(
            run.stderr.split(separator: "\n").first
                == "Error: The value '\(value)' is invalid for '\(flag) <format>'. Please provide one of 'table', 'json' or 'csv'.")
        #expect(run.stdout.isEmpty)
    }

    /// --backend and --simd are choices the parser checks (issue 13): its error names the flag and
    /// lists the choices.
    @Test(arguments: [
        (["--simd", "sse9"], "Error: The value 'sse9' is invalid for '--simd <simd>'. Please provide one of 'portable', 'avx2', 'avx512' or 'neon'."),
        (["--backend", "tpu"], "Error: The value 'tpu' is invalid for '--backend <backend>'. Please provide one of 'cpu' and 'cuda'."),
    ])
    func anUnknownChoiceIsTheParsersError(arguments: [String], message: String) throws {
        let run = try BinaryRun.run(["bench"] + arguments)
        #expect(run.status == 64)
        #expect(run.stderr.split(separator: "\n").first.map(String.init) == message)
        #expect(run.stdout.isEmpty)
    }

    /// Flags that contradict each other are refused by validate() before anything runs, with the
    /// usage after the message.
    @Test(arguments: [
        (["--device", "cuda0"], "Error: --device cuda0: the cpu backend has one device, cpu0"),
        (["--backend", "cuda", "--simd", "avx2"], "Error: --simd applies to the cpu backend only"),
    ])
    func contradictingFlagsAreAValidationError(arguments: [String], message: String) throws {
        let run = try BinaryRun.run(["bench"] + arguments)
        #expect(run.status == 64)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == message)
        #expect(lines.dropFirst().first?.hasPrefix("Usage: bitprobe bench") == true)
        #expect(run.stdout.isEmpty)
    }

    @Test func oversizedShapeIsRefusedBeforeAllocating() throws {
        let run = try BinaryRun.run(["bench", "--op", "matmul", "--dtype", "f32", "--shape", "1000000x1000000x1000000"])
        #expect(run.status == 3)
        #expect(run.stderr.hasPrefix("bitprobe bench: error: probe cpu0 matmul f32 1000000x1000000x1000000 needs 10.91 TiB of buffers but only "))
        #expect(run.stderr.hasSuffix(" of memory is available\n"))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test func unsupportedSIMDPathIsNamed() throws {
        let run = try BinaryRun.run(["bench", "--op", "add", "--simd", "neon"])
        #expect(run.status == 3)
        #expect(run.stderr.hasPrefix("bitprobe bench: error: backend cpu is not available: SIMD path 'neon' is not supported by this CPU (supported: portable"))
    }
}

@Suite struct DevicesCommandTests {
    @Test func listsTheCPU() throws {
        let run = try BinaryRun.run(["devices"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("BACKEND  DEVICE  NAME"))
        #expect(run.stdout.contains("cpu      cpu0"))
        #expect(run.stdout.contains(SIMDPath.detected.rawValue))
    }

    @Test func jsonNamesTheSIMDPath() throws {
        let run = try BinaryRun.run(["devices", "--format", "json"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("\"simd_path\" : \"\(SIMDPath.detected.rawValue)\""))
    }
}

@Suite struct ProfileCommandTests {
    @Test func treeViewShowsEveryPhase() throws {
        let run = try BinaryRun.run(["profile", "--op", "add", "--dtype", "f32", "--shape", "1000", "--iterations", "2", "--min-time", "0", "--view", "tree"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("TOTAL       SELF        CALLS   SHARE   SPAN\n"))
        for phase in ["profile", "probe cpu0 add f32 1000", "prepare", "warmup", "measure", "verify", "release"] {
            #expect(run.stdout.contains(phase), "missing \(phase)")
        }
    }

    @Test func foldedStacksAreFlamegraphInput() throws {
        let run = try BinaryRun.run(["profile", "--op", "copy", "--shape", "4096", "--iterations", "2", "--min-time", "0", "--view", "folded"])
        #expect(run.status == 0)
        for line in run.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            #expect(line.hasPrefix("profile") && Int(parts.last!) != nil, "bad folded line \(line)")
        }
    }

    @Test func unknownViewIsRefused() throws {
        let run = try BinaryRun.run(["profile", "--view", "flame"])
        #expect(run.status == 64)
        #expect(
            run.stderr.split(separator: "\n").first
                == "Error: The value 'flame' is invalid for '--view <view>'. Please provide one of 'hotspots', 'tree', 'folded' or 'flamegraph'.")
    }
}
