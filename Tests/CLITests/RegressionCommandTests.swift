import BitProbe
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A baseline directory per test, removed afterwards with everything in it.
final class BaselineDirectory {
    let path = "/tmp/bitprobe-cli-baselines-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    deinit { _ = system("rm -rf '\(path)'") }

    func write(_ name: String, _ text: String) {
        mkdir(path, 0o755)
        let file = fopen("\(path)/\(name)", "w")!
        fputs(text, file)
        fclose(file)
    }
}

/// Tiny probes and quick settings: these tests check the plumbing; the statistics are tested in
/// BitProbeTests and their power on real timings by scripts/regress-power.
let tinySuite = [
    "--op", "matmul,add", "--dtype", "f32", "--shape", "16x16x16", "--shape", "1024",
    "--rounds", "5", "--warmup", "2", "--iterations", "30", "--min-time", "0.01",
]

@Suite(.serialized) struct BaselineCommandTests {
    @Test func createListShowRegressDelete() throws {
        let directory = BaselineDirectory()
        let dir = ["--baseline-dir", directory.path]

        let created = try BinaryRun.run(
            ["baseline", "create", "--max-quiet-wait", "0", "tiny", "--description", "CI run 42", "--duration", "0"] + dir + tinySuite)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasSuffix("\nsaved baseline 'tiny' (2 probes) to \(directory.path)/tiny.json\n"))

        let list = try BinaryRun.run(["baseline", "list"] + dir)
        #expect(list.status == 0)
        let rows = list.stdout.split(separator: "\n")
        #expect(rows.count == 2)
        #expect(rows[0].hasPrefix("NAME  CREATED"))
        #expect(rows[1].hasPrefix("tiny  20"))
        #expect(rows[1].contains("  2       CI run 42  "))
        #expect(rows[1].contains(", 1 thread, bitprobe "))

        let show = try BinaryRun.run(["baseline", "show", "tiny"] + dir)
        #expect(show.status == 0)
        #expect(show.stdout.hasPrefix("name: tiny\ndescription: CI run 42\ncreated: "))
        #expect(
            show.stdout.contains(
                "settings: at least 5 rounds per probe over at least 0 s, every round kept; each 2 warmup, at least 30 iterations and 0.01 s; seed 1592635771\n"
            ))
        #expect(show.stdout.contains("\nPROBE                     ROUNDS  MEDIAN OF ROUNDS  RANGE"))
        #expect(show.stdout.contains("\ncpu0 matmul f32 16x16x16  5       "))
        #expect(show.stdout.contains("cpu      cpu0    matmul  f32    16x16x16  ok"))

        let json = try BinaryRun.run(["baseline", "show", "tiny", "--format", "json"] + dir)
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"kind\" : \"bitprobe-baseline\""))
        #expect(json.stdout.contains("\"gpu_name\" : null"))

        // Generous thresholds: tiny probes on a shared machine are noisy, and this checks the pass path.
        let pass = try BinaryRun.run(
            ["regress", "--baseline", "tiny", "--threshold", "200", "--critical-threshold", "400", "--confirm", "0", "--max-quiet-wait", "0"] + dir)
        #expect(pass.status == 0, "\(pass.stdout)\(pass.stderr)")
        #expect(pass.stdout.contains("\nstatus: all_pass ("))
        #expect(pass.stderr.isEmpty)

        let slowed = try BinaryRun.run(
            ["regress", "--baseline", "tiny", "--confirm", "0", "--max-quiet-wait", "0", "--output-format", "json"] + dir,
            environment: ["BITPROBE_FAULT_INJECT": "op=add,dtype=f32,shape=1024,factor=3"])
        #expect(slowed.status == 1 || slowed.status == 2, "\(slowed.stdout)\(slowed.stderr)")
        let report = try RegressionReport.decode(json: Array(slowed.stdout.utf8))
        let add = try #require(report.comparisons.first { $0.spec.op == .add })
        #expect(add.verdict == .regression)
        #expect(add.medianRatio! > 1.5)
        #expect(report.faultInjection?.factor == 3)
        #expect(
            report.warnings.contains(
                "fault injection active (BITPROBE_FAULT_INJECT=op=add,dtype=f32,shape=1024,factor=3.0); matching probes were slowed on purpose"))
        #expect(
            slowed.stderr.hasPrefix(
                "bitprobe: WARNING: fault injection active (BITPROBE_FAULT_INJECT=op=add,dtype=f32,shape=1024,factor=3.0): matching probes are slowed on purpose; their timings are not real performance\n"
            ))
        #expect(slowed.stderr.hasSuffix("bitprobe regress: \(report.status.rawValue)\n"))

        // --explain: every probe's rounds on both sides and the rule that decided.
        let explained = try BinaryRun.run(
            ["regress", "--baseline", "tiny", "--threshold", "200", "--critical-threshold", "400", "--confirm", "0", "--max-quiet-wait", "0", "--explain"] + dir
        )
        #expect(explained.status == 0, "\(explained.stderr)")
        #expect(explained.stdout.contains("\ncpu0 add f32 1024:\n  baseline rounds (5): "))
        #expect(explained.stdout.contains("\n  current rounds (5): "))
        #expect(explained.stdout.contains(" over 5 current and 5 baseline rounds"))

        let tooFew = try BinaryRun.run(["regress", "--baseline", "tiny", "--rounds", "1"] + dir)
        #expect(tooFew.status == 64)
        #expect(
            tooFew.stderr
                == "bitprobe regress: error: --rounds 1 cannot show a difference at --alpha 0.01 against the 5 rounds of baseline 'tiny'; use --rounds 5 or more\n"
        )

        // A baseline from before rounds were kept (schema_version 1) loads for show, and regress names the command that replaces it.
        let path = "\(directory.path)/tiny.json"
        #expect(
            system(
                "python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); d['schema_version']=1; [r.pop('rounds') for r in d['results']]; json.dump(d, open(sys.argv[1],'w'))\" '\(path)'"
            ) == 0)
        let oldShow = try BinaryRun.run(["baseline", "show", "tiny"] + dir)
        #expect(oldShow.status == 0)
        #expect(oldShow.stdout.contains(", quietest kept (schema_version 1: record it again for regress); "))
        let old = try BinaryRun.run(["regress", "--baseline", "tiny"] + dir)
        #expect(old.status == 3)
        #expect(
            old.stderr
                == "bitprobe regress: error: baseline file '\(path)' (schema_version 1) keeps only the quietest round of each probe, and regress compares every round; record it again with 'bitprobe baseline create tiny --force' and the probe flags it was made with\n"
        )

        let deleted = try BinaryRun.run(["baseline", "delete", "tiny"] + dir)
        #expect(deleted.status == 0)
        #expect(deleted.stdout == "deleted baseline 'tiny' (\(directory.path)/tiny.json)\n")
        let empty = try BinaryRun.run(["baseline", "list"] + dir)
        #expect(empty.stdout == "no baselines in \(directory.path)\n")
    }

    @Test func junitOutputIsWellFormed() throws {
        let directory = BaselineDirectory()
        let dir = ["--baseline-dir", directory.path]
        let created = try BinaryRun.run(["baseline", "create", "--max-quiet-wait", "0", "j", "--duration", "0"] + dir + tinySuite)
        #expect(created.status == 0, "\(created.stderr)")
        let file = directory.path + "/report.xml"
        let run = try BinaryRun.run(
            ["regress", "--baseline", "j", "--confirm", "0", "--max-quiet-wait", "0", "--output-format", "junit", "--output-file", file] + dir,
            environment: ["BITPROBE_FAULT_INJECT": "op=matmul,factor=4"])
        #expect(run.status == 1 || run.status == 2, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        // An independent XML parser: every testcase, the failure on the slowed probe, the warning. (Whether
        // the tiny unslowed probe passes is up to the machine's noise, so it is not checked.)
        let check = """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            suite = root.find('testsuite')
            cases = suite.findall('testcase')
            assert root.tag == 'testsuites' and suite.get('tests') == '2', ET.tostring(root)
            assert [c.get('name') for c in cases] == ['matmul f32 16x16x16', 'add f32 1024'], [c.get('name') for c in cases]
            failure = cases[0].find('failure')
            assert failure is not None and failure.get('type').startswith('regression.'), ET.tostring(cases[0])
            assert 'slower' in failure.get('message') and 'ratio of round medians' in failure.text
            props = {p.get('name'): p.get('value') for p in suite.find('properties')}
            assert props['fault_injection'] == 'op=matmul,factor=4.0', props
            assert 'fault injection active' in suite.find('system-err').text
            print('ok')
            """
        let script = directory.path + "/check.py"
        directory.write(
            "check.py",
            check.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }.joined(
                separator: "\n"))
        let parsed = system("python3 '\(script)' '\(file)' > '\(directory.path)/check.out' 2>&1")
        #expect(parsed == 0, "\(readWhole(directory.path + "/check.out"))")
    }

    @Test func existingNameNeedsForce() throws {
        let directory = BaselineDirectory()
        let dir = ["--baseline-dir", directory.path]
        let quick = ["--op", "add", "--dtype", "f32", "--shape", "64", "--rounds", "1", "--duration", "0", "--iterations", "3", "--min-time", "0"]
        #expect(try BinaryRun.run(["baseline", "create", "--max-quiet-wait", "0", "b"] + dir + quick).status == 0)
        let again = try BinaryRun.run(["baseline", "create", "--max-quiet-wait", "0", "b"] + dir + quick)
        #expect(again.status == 3)
        #expect(again.stderr == "bitprobe baseline create: error: baseline 'b' already exists (\(directory.path)/b.json); pass --force to overwrite it\n")
        #expect(again.stdout.isEmpty)
        let forced = try BinaryRun.run(["baseline", "create", "--max-quiet-wait", "0", "b", "--force", "--description", "second"] + dir + quick)
        #expect(forced.status == 0)
        #expect(try BinaryRun.run(["baseline", "show", "b"] + dir).stdout.contains("description: second\n"))
    }

    @Test func listShowsBrokenFilesNextToGoodOnes() throws {
        let directory = BaselineDirectory()
        let dir = ["--baseline-dir", directory.path]
        #expect(
            try BinaryRun.run(
                [
                    "baseline", "create", "--max-quiet-wait", "0", "good", "--op", "add", "--dtype", "f32", "--shape", "64", "--rounds", "1", "--duration", "0",
                    "--iterations", "3", "--min-time", "0",
                ] + dir
            ).status == 0)
        directory.write("broken.json", "{")
        directory.write("package.json", "{\"name\": \"x\"}")
        let list = try BinaryRun.run(["baseline", "list"] + dir)
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[1].hasPrefix("broken ") && lines[1].contains("error: baseline file '\(directory.path)/broken.json' is corrupt: not valid JSON"))
        #expect(lines[2].hasPrefix("good ") && lines[2].contains(" 1 "))
        #expect(lines[3].hasPrefix("package ") && lines[3].contains("error: file '\(directory.path)/package.json' is not a bitprobe baseline"))
    }

    @Test func badInputGetsOneLineAndAStatus() throws {
        let directory = BaselineDirectory()
        let dir = directory.path
        directory.write("broken.json", "[1, 2")
        directory.write("foreign.json", "{\"kind\": \"something-else\"}")
        directory.write("future.json", "{\"kind\": \"bitprobe-baseline\", \"schema_version\": 3}")
        let cases: [([String], [String: String], String, Int32)] = [
            (["regress", "--baseline", "nope"], [:], "bitprobe regress: error: no baseline named 'nope' in \(dir)", 3),
            (["regress", "--baseline", "broken"], [:], "bitprobe regress: error: baseline file '\(dir)/broken.json' is corrupt: not valid JSON", 3),
            (
                ["regress", "--baseline", "foreign"], [:],
                "bitprobe regress: error: file '\(dir)/foreign.json' is not a bitprobe baseline (it has no \"kind\": \"bitprobe-baseline\")", 3
            ),
            (
                ["regress", "--baseline", "future"], [:],
                "bitprobe regress: error: baseline file '\(dir)/future.json' has schema_version 3, newer than the 2 this bitprobe reads; use a newer bitprobe",
                3
            ),
            (
                ["regress", "--baseline", ".x"], [:],
                "bitprobe regress: error: invalid baseline name '.x': use 1 to 64 of the characters A-Z a-z 0-9 . _ - and do not start with '.'", 64
            ),
            (
                ["baseline", "create", "new", "--max-quiet-wait=-1"], [:],
                "bitprobe baseline create: error: --max-quiet-wait must be a number of seconds >= 0 (got -1.0)", 64
            ),
            (
                ["regress", "--baseline", "nope", "--max-quiet-wait=-1"], [:],
                "bitprobe regress: error: --max-quiet-wait must be a number of seconds >= 0 (got -1.0)", 64
            ),
            (["regress", "--baseline", "nope", "--threshold", "0"], [:], "bitprobe regress: error: --threshold must be a finite percentage > 0 (got 0.0)", 64),
            (
                ["regress", "--baseline", "nope", "--critical-threshold", "5"], [:],
                "bitprobe regress: error: --critical-threshold must be a finite percentage above --threshold (got 5.0, threshold 10.0)", 64
            ),
            (["regress", "--baseline", "nope", "--alpha", "1.5"], [:], "bitprobe regress: error: --alpha must be between 0 and 1, exclusive (got 1.5)", 64),
            (["regress", "--baseline", "nope", "--confirm=-1"], [:], "bitprobe regress: error: --confirm must be at least 0 (got -1)", 64),
            (
                ["regress", "--baseline", "nope"], ["BITPROBE_FAULT_INJECT": "op=matmul,factor=0.5"],
                "bitprobe regress: error: BITPROBE_FAULT_INJECT: factor '0.5' must be a number greater than 1 and at most 100", 3
            ),
            (
                ["baseline", "create", "new"], ["BITPROBE_FAULT_INJECT": "op=matmul"],
                "bitprobe baseline create: error: BITPROBE_FAULT_INJECT: missing key 'factor'; expected op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F[,after=D][,for=D]",
                3
            ),
            (
                ["baseline", "create", "a/b"], [:],
                "bitprobe baseline create: error: invalid baseline name 'a/b': use 1 to 64 of the characters A-Z a-z 0-9 . _ - and do not start with '.'", 64
            ),
            (["baseline", "create", "new", "--rounds", "0"], [:], "bitprobe baseline create: error: --rounds must be at least 1 (got 0)", 64),
            (
                ["baseline", "create", "new", "--duration=-1"], [:],
                "bitprobe baseline create: error: --duration must be between 0 and 86400 seconds (got -1.0)", 64
            ),
            (
                ["baseline", "create", "new", "--op", "conv"], [:],
                "bitprobe baseline create: error: unknown op 'conv'; expected one of: add, copy, matmul, multiply, quantize_activations, quantize_weights, strided_add, ternary_matmul",
                64
            ),
            (["baseline", "show", "nope"], [:], "bitprobe baseline show: error: no baseline named 'nope' in \(dir)", 3),
            (
                ["baseline", "show", "future"], [:],
                "bitprobe baseline show: error: baseline file '\(dir)/future.json' has schema_version 3, newer than the 2 this bitprobe reads; use a newer bitprobe",
                3
            ),
            (["baseline", "delete", "nope"], [:], "bitprobe baseline delete: error: no baseline named 'nope' in \(dir)", 3),
        ]
        for (arguments, environment, message, status) in cases {
            let run = try BinaryRun.run(arguments + ["--baseline-dir", dir], environment: environment)
            #expect(run.status == status, "\(arguments)")
            #expect(run.stderr == message + "\n", "\(arguments)")
            #expect(run.stdout.isEmpty, "\(arguments)")
        }
        // Formats are choices checked while parsing (issue 13): swift-argument-parser's errors.
        let format = try BinaryRun.run(["baseline", "show", "broken", "--format", "yaml", "--baseline-dir", dir])
        #expect(format.status == 64)
        #expect(
            format.stderr.split(separator: "\n").first
                == "Error: The value 'yaml' is invalid for '--format <format>'. Please provide one of 'table', 'json' or 'csv'.")
        #expect(format.stdout.isEmpty)
        let simd = try BinaryRun.run(["baseline", "create", "new", "--simd", "sse9", "--baseline-dir", dir])
        #expect(simd.status == 64)
        #expect(
            simd.stderr.split(separator: "\n").first
                == "Error: The value 'sse9' is invalid for '--simd <simd>'. Please provide one of 'portable', 'avx2', 'avx512' or 'neon'.")
        let backend = try BinaryRun.run(["regress", "--baseline", "nope", "--backend", "tpu", "--baseline-dir", dir])
        #expect(backend.status == 64)
        #expect(
            backend.stderr.split(separator: "\n").first
                == "Error: The value 'tpu' is invalid for '--backend <backend>'. Please provide one of 'cpu' and 'cuda'.")
        let outputFormat = try BinaryRun.run(["regress", "--baseline", "nope", "--output-format", "xml", "--baseline-dir", dir])
        #expect(outputFormat.status == 64)
        #expect(
            outputFormat.stderr.split(separator: "\n").first
                == "Error: The value 'xml' is invalid for '--output-format <output-format>'. Please provide one of 'table', 'json', 'junit' or 'csv'.")
        #expect(outputFormat.stdout.isEmpty)
    }

    @Test func directoryComesFromTheEnvironment() throws {
        let directory = BaselineDirectory()
        let run = try BinaryRun.run(["baseline", "list"], environment: ["BITPROBE_BASELINE_DIR": directory.path])
        #expect(run.stdout == "no baselines in \(directory.path)\n")
        let xdg = try BinaryRun.run(["baseline", "list"], environment: ["XDG_DATA_HOME": directory.path])
        #expect(xdg.stdout == "no baselines in \(directory.path)/bitprobe/baselines\n")
        let home = try BinaryRun.run(["baseline", "list"], environment: ["HOME": directory.path, "XDG_DATA_HOME": ""])
        #expect(home.stdout == "no baselines in \(directory.path)/.local/share/bitprobe/baselines\n")
    }

    @Test func noProbeInCommonCannotRun() throws {
        let directory = BaselineDirectory()
        let dir = ["--baseline-dir", directory.path]
        #expect(
            try BinaryRun.run(
                [
                    "baseline", "create", "--max-quiet-wait", "0", "adds", "--op", "add", "--dtype", "f32", "--shape", "64", "--rounds", "1", "--duration", "0",
                    "--iterations", "3", "--min-time", "0",
                ] + dir
            ).status == 0)
        let run = try BinaryRun.run(["regress", "--baseline", "adds", "--op", "copy", "--shape", "64"] + dir)
        #expect(run.status == 3)
        #expect(run.stderr == "bitprobe regress: error: none of the 1 selected probes is in baseline 'adds' (it has 1: run 'bitprobe baseline show adds')\n")
    }

    @Test func benchJSONCarriesTheInjection() throws {
        let run = try BinaryRun.run(
            ["bench", "--op", "copy", "--shape", "4096", "--iterations", "2", "--min-time", "0", "--format", "json"],
            environment: ["BITPROBE_FAULT_INJECT": "op=copy,factor=2"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("\"fault_injection\" : {\n    \"factor\" : 2,\n    \"op\" : \"copy\"\n  }"))
        #expect(
            run.stderr
                == "bitprobe: WARNING: fault injection active (BITPROBE_FAULT_INJECT=op=copy,factor=2.0): matching probes are slowed on purpose; their timings are not real performance\n"
        )
        let malformed = try BinaryRun.run(
            ["bench", "--op", "copy", "--shape", "4096", "--iterations", "1", "--min-time", "0", "--format", "json"],
            environment: ["BITPROBE_FAULT_INJECT": "op=copy"])
        #expect(malformed.status == 0)
        #expect(!malformed.stdout.contains("fault_injection"))
        #expect(
            malformed.stderr
                == "bitprobe: WARNING: ignoring BITPROBE_FAULT_INJECT: missing key 'factor'; expected op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F[,after=D][,for=D]\n"
        )
    }
}
