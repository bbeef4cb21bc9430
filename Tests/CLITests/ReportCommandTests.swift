import BitProbe
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Tiny probes with quick settings: the plumbing of `bitprobe report`, end to end through the binary.
let reportProbes = ["--op", "matmul,add,copy,ternary_matmul", "--shape", "1x256x256", "--shape", "65536", "--iterations", "3", "--min-time", "0"]

@Suite(.serialized) struct ReportCommandTests {
    func scratch() -> String {
        let path = "/tmp/bitprobe-report-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(path, 0o755)
        return path
    }

    func write(_ text: String, to path: String) {
        let file = fopen(path, "w")!
        fputs(text, file)
        fclose(file)
    }

    @Test func jsonReportOfARunParsesBack() throws {
        let run = try BinaryRun.run(["report", "--format", "json", "--output", "-", "--no-compare"] + reportProbes)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("bitprobe report: probe 1/"))
        let report = try PerformanceReport.decode(json: Array(run.stdout.utf8))
        #expect(report.kind == "bitprobe-report" && report.source == "bitprobe report")
        #expect(report.probes.count == 6 && report.summary.verified == 6)
        #expect(report.summary.sentences[0] == "6 of 6 probes verified.")
        #expect(report.deviceComparison == nil)
        #expect(report.roofline?.bandwidth.probe == "cpu0 copy bytes 65536")
        // A real tracker and a real profile, not empty ones.
        let cpu = try #require(report.memory?.devices.first { $0.device == "cpu0" })
        #expect(cpu.peakBytes > 0 && (cpu.events["allocate"] ?? 0) > 0 && cpu.trackedBytes == 0)
        #expect((report.memory?.events?.count ?? 0) > 0)
        #expect(report.profile?.nodes.first?.path == ["report"] && report.profile?.nodes.contains { $0.path.last == "measure" } == true)
        #expect(
            report.recommendations.contains { $0.title == "Use ternary W1.58A8 weights for 1x256x256 on cpu0" }
                || report.recommendations.contains { $0.title.hasPrefix("Ternary is not faster") })
    }

    @Test func htmlReportIsWrittenAtomicallyWithTheSweep() throws {
        let directory = scratch()
        defer { _ = system("rm -rf '\(directory)'") }
        let run = try BinaryRun.run([
            "report", "--output", "\(directory)/r.html", "--op", "add", "--dtype", "f32", "--shape", "4096", "--iterations", "2", "--min-time", "0",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("bitprobe report: comparing devices across sizes\n"))
        #expect(run.stderr.hasSuffix("bitprobe report: wrote \(directory)/r.html (" + run.stderr.split(separator: "(").last!))
        let html = try #require(SystemFile.readText("\(directory)/r.html"))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<section id=\"comparisons\">") && html.contains("Selection guide"))
    }

    @Test func fromRendersSavedBenchAndCompareFiles() throws {
        let directory = scratch()
        defer { _ = system("rm -rf '\(directory)'") }
        let bench = try BinaryRun.run([
            "bench", "--format", "json", "--output", "\(directory)/bench.json", "--op", "add,copy", "--shape", "65536", "--iterations", "2", "--min-time", "0",
        ])
        #expect(bench.status == 0, "\(bench.stderr)")
        let compare = try BinaryRun.run(["compare", "--op", "add", "--sizes", "4096,65536", "--iterations", "2", "--min-time", "0", "--format", "json"])
        #expect(compare.status == 0, "\(compare.stderr)")
        write(compare.stdout, to: "\(directory)/compare.json")

        let run = try BinaryRun.run(["report", "--from", "\(directory)/bench.json", "\(directory)/compare.json", "--format", "json", "--output", "-"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try PerformanceReport.decode(json: Array(run.stdout.utf8))
        #expect(report.source == "bitprobe report --from")
        #expect(report.probes.map(\.probe) == ["cpu0 add f32 65536", "cpu0 add f16 65536", "cpu0 copy bytes 65536"])
        #expect(report.deviceComparison?.rows.map(\.size) == [4096, 65536])
        #expect(report.environment.cpuModel != nil)
        #expect(report.profile == nil && report.memory == nil)

        // A report read back renders again as it was.
        write(run.stdout, to: "\(directory)/report.json")
        let again = try BinaryRun.run(["report", "--from", "\(directory)/report.json", "--format", "markdown", "--output", "-"])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("# bitprobe performance report\n\nGenerated "))
        #expect(again.stdout.contains("| cpu0 copy bytes 65536 | ok |"))
    }

    @Test func fromRendersASavedRegressFile() throws {
        let directory = BaselineDirectory()
        let dir = ["--baseline-dir", directory.path]
        let created = try BinaryRun.run(["baseline", "create", "--max-quiet-wait", "0", "tiny", "--duration", "0"] + dir + tinySuite)
        #expect(created.status == 0, "\(created.stderr)")
        let regress = try BinaryRun.run(
            [
                "regress", "--baseline", "tiny", "--threshold", "200", "--critical-threshold", "400", "--confirm", "0",
                "--max-quiet-wait", "0", "--output-format", "json",
            ] + dir)
        #expect(regress.status == 0, "\(regress.stderr)")
        directory.write("regress.json", regress.stdout)
        let run = try BinaryRun.run(["report", "--from", "\(directory.path)/regress.json", "--format", "markdown", "--output", "-"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("No regression against baseline 'tiny' (2 probes compared)."))
        #expect(run.stdout.contains("## Regression against 'tiny': all_pass\n"))
    }

    @Test(
        arguments: [
            (["--format", "pdf"], "Error: The value 'pdf' is invalid for '--format <format>'. Please provide one of 'html', 'markdown' or 'json'.", 64),
            (["--from", "/nonexistent/b.json"], "bitprobe report: error: --from /nonexistent/b.json: No such file or directory", 3),
            (["--from", "/tmp"], "bitprobe report: error: --from /tmp: not a regular file", 3),
            (["--from", "/etc/hostname"], "bitprobe report: error: --from /etc/hostname: not a JSON object (The given data was not valid JSON)", 3),
            (
                ["--output", "/nonexistent-dir/r.html"],
                "bitprobe report: error: cannot write output file '/nonexistent-dir/r.html': No such file or directory", 3
            ),
            (
                ["--from", "a.json", "--baseline", "main"],
                "Error: --baseline measures; --from renders files without measuring: give a regress file to --from instead", 64
            ),
            (["--from", "a.json", "--op", "add"], "Error: --op, --dtype and --shape select probes to run; --from runs nothing", 64),
            (
                ["--baseline", "no-such-baseline", "--baseline-dir", "/tmp/bitprobe-no-baselines-here", "--op", "add", "--shape", "1024", "--no-compare"],
                "bitprobe report: error: no baseline named 'no-such-baseline' in /tmp/bitprobe-no-baselines-here", 3
            ),
            (
                ["--op", "sort"],
                "bitprobe report: error: unknown op 'sort'; expected one of: add, copy, matmul, multiply, quantize_activations, quantize_weights, strided_add, ternary_matmul",
                64
            ),
        ] as [([String], String, Int32)])
    func badInputsNameTheInput(arguments: [String], message: String, status: Int32) throws {
        let run = try BinaryRun.run(["report"] + arguments + (arguments.contains("--output") ? [] : ["--output", "-"]))
        #expect(run.status == status, "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").first.map(String.init) == message)
    }

    @Test func fromRefusesAFileOfAnotherKind() throws {
        let directory = scratch()
        defer { _ = system("rm -rf '\(directory)'") }
        write("{\"groups\": []}\n", to: "\(directory)/rules.json")
        write("{\"results\": 3, \"backend\": {}, \"host\": {}}\n", to: "\(directory)/broken-bench.json")
        let other = try BinaryRun.run(["report", "--from", "\(directory)/rules.json", "--output", "-"])
        #expect(other.status == 3)
        #expect(
            other.stderr
                == "bitprobe report: error: --from \(directory)/rules.json: not a file bitprobe wrote (expected the JSON of bench, compare, regress, memory, a baseline or a report)\n"
        )
        let broken = try BinaryRun.run(["report", "--from", "\(directory)/broken-bench.json", "--output", "-"])
        #expect(broken.status == 3)
        #expect(broken.stderr.hasPrefix("bitprobe report: error: --from \(directory)/broken-bench.json: not a valid bench file: "))
    }
}
