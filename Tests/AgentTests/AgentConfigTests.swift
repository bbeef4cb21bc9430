import BitProbe
import Testing

@testable import Agent

@Suite struct AgentConfigTests {
    @Test func embeddedConfigIsTheDefault() throws {
        #expect(try AgentConfigLoader.parse(EmbeddedConfig.yaml, file: "<embedded>") == AgentConfig())
    }

    @Test func emptyFileIsTheDefault() throws {
        #expect(try AgentConfigLoader.parse("", file: "a.yml") == AgentConfig())
    }

    @Test func everyKeyIsRead() throws {
        let config = try AgentConfigLoader.parse(
            """
            interval: 2s
            jitter: 0s
            duty_cycle_budget: 0.5
            probes:
              threads: 1
              simd: portable
              warmup_iterations: 0
              measurement_iterations: 3
              min_measurement_time: 0s
              timeout: 5s
              suite:
                - op: [matmul, add]
                  dtype: f32
                  shape: [8x8x8, "100"]
            web:
              listen_address: 127.0.0.1:0
              telemetry_path: /probe-metrics
              max_requests: 3
              connection_timeout: 2s
            backends:
              cuda: disabled
            benchmark:
              synthetic_series: 1000
            """, file: "a.yml")
        #expect(config.interval == 2 && config.jitter == 0 && config.dutyCycleBudget == 0.5)
        #expect(config.probes.threads == 1 && config.probes.simd == .portable)
        #expect(config.probes.warmupIterations == 0 && config.probes.measurementIterations == 3)
        #expect(try config.probes.resolvedSuite().map(\.description) == ["cpu0 matmul f32 8x8x8", "cpu0 add f32 100"])
        #expect(config.web.listenAddress == "127.0.0.1:0" && config.web.telemetryPath == "/probe-metrics")
        #expect(config.web.maxRequests == 3 && config.web.connectionTimeout == 2)
        #expect(config.syntheticSeries == 1000)
        #expect(config.backends.cuda == .disabled)
    }

    @Test func suiteEntriesChooseTheirBackendAndDevice() throws {
        let config = try AgentConfigLoader.parse(
            """
            probes:
              suite:
                - op: add
                  dtype: f32
                  shape: ["100"]
                - backend: cuda
                  op: [h2d]
                  shape: ["4096"]
                - backend: cuda
                  device: cuda1
                  op: matmul
                  dtype: bf16
                  shape: [64x64x64]
            """, file: "a.yml")
        #expect(try config.probes.resolvedSuite().map(\.description) == ["cpu0 add f32 100"])
        #expect(try config.probes.cudaSuite(device: "cuda0").map(\.description) == ["cuda0 h2d bytes 4096"])
        #expect(try config.probes.cudaSuite(device: "cuda1").map(\.description) == ["cuda1 h2d bytes 4096", "cuda1 matmul bf16 64x64x64"])
        // No suite: the CPU default on cpu0 and the CUDA default on every GPU.
        let defaults = AgentConfig().probes
        #expect(try defaults.cudaSuite(device: "cuda2") == ProbeSelection(backend: .cuda, device: "cuda2").resolve())
        #expect(try defaults.resolvedSuite() == ProbeSelection().resolve())
    }

    @Test(arguments: [
        ("intervall: 60s\n", "a.yml:1:1: intervall: unknown key"),
        ("interval: 60\n", "a.yml:1:11: interval: expected a duration such as 30s, 5m or 1h30m, got '60'"),
        ("interval: 10ms\n", "a.yml:1:11: interval: must be at least 100ms, got 10ms"),
        // Durations past 365 days overflowed the agent's integer timer conversions (a trap, exit 132).
        ("interval: 10000000000y\n", "a.yml:1:11: interval: must be at most 365d, got 10000000000y"),
        ("jitter: 10000000000y\n", "a.yml:1:9: jitter: must be at most 365d, got 10000000000y"),
        ("interval: 366d\n", "a.yml:1:11: interval: must be at most 365d, got 366d"),
        ("probes:\n  timeout: 53w\n", "a.yml:2:12: probes.timeout: must be at most 365d, got 53w"),
        ("probes:\n  min_measurement_time: 2y\n", "a.yml:2:25: probes.min_measurement_time: must be at most 365d, got 2y"),
        ("web:\n  connection_timeout: 9999999999s\n", "a.yml:2:23: web.connection_timeout: must be at most 365d, got 9999999999s"),
        ("alertmanager:\n  resend_interval: 400d\n", "a.yml:2:20: alertmanager.resend_interval: must be at most 365d, got 400d"),
        ("alertmanager:\n  timeout: 1000000y\n", "a.yml:2:12: alertmanager.timeout: must be at most 365d, got 1000000y"),
        (
            "rules:\n  - alert: A\n    kind: probe_failing\n    for: 99999999999999999999y\n",
            "a.yml:4:10: rules[0].for: must be at most 365d, got 99999999999999999999y"
        ),
        ("duty_cycle_budget: 5\n", "a.yml:1:20: duty_cycle_budget: must be between 0.001 and 1.0, got 5"),
        ("probes:\n  threads: -1\n", "a.yml:2:12: probes.threads: must be between 0 and 4096, got -1"),
        ("probes:\n  simd: sse9\n", "a.yml:2:9: probes.simd: expected auto or one of: portable, avx2, avx512, neon"),
        ("probes:\n  measurement_iterations: 0\n", "a.yml:2:27: probes.measurement_iterations: must be between 1 and 100000, got 0"),
        (
            "probes:\n  suite:\n    - op: conv\n",
            "a.yml:3:7: probes.suite[0]: unknown op 'conv'; expected one of: add, copy, matmul, multiply, quantize_activations, quantize_weights, strided_add, ternary_matmul"
        ),
        ("probes:\n  suite:\n    - op: matmul\n      shape: 0x1x1\n", "a.yml:3:7: probes.suite[0]: shape '0x1x1' has a dimension that is not positive"),
        ("probes:\n  suite:\n    - ops: matmul\n", "a.yml:3:7: probes.suite[0].ops: unknown key"),
        ("probes:\n  suite: matmul\n", "a.yml:2:10: probes.suite: expected a list, got 'matmul'"),
        ("probes:\n  suite: []\n", "a.yml:2:10: probes.suite: lists no probe; leave suite out for the default suite"),
        ("probes:\n  suite:\n    - backend: rocm\n", "a.yml:3:16: probes.suite[0].backend: expected one of: cpu, cuda"),
        ("probes:\n  suite:\n    - backend: cuda\n      device: gpu0\n", "a.yml:4:15: probes.suite[0].device: expected a GPU as cudaN (cuda0, cuda1, ...)"),
        ("probes:\n  suite:\n    - device: cpu1\n", "a.yml:3:15: probes.suite[0].device: the cpu backend has one device, cpu0"),
        ("probes:\n  suite:\n    - op: h2d\n", "a.yml:3:7: probes.suite[0]: op 'h2d' does not run on backend cpu; it runs on: cuda"),
        ("web:\n  telemetry_path: metrics\n", "a.yml:2:19: web.telemetry_path: must be a path starting with '/' (not '/' itself)"),
        ("web:\n  max_requests: 0\n", "a.yml:2:17: web.max_requests: must be between 1 and 100000, got 0"),
        ("web: [1]\n", "a.yml:1:6: web: expected a mapping, got a list"),
        ("backends:\n  cuda: yes\n", "a.yml:2:9: backends.cuda: expected one of: auto, enabled, disabled"),
        ("backends:\n  rocm: auto\n", "a.yml:2:3: backends.rocm: unknown key"),
        ("- 1\n", "a.yml:1:1: expected a mapping, got a list"),
        ("interval: [\n", "a.yml:2:1: invalid YAML: did not find expected node content"),
    ])
    func badConfigsAreRejectedWithPlaceAndKey(text: String, message: String) {
        do {
            _ = try AgentConfigLoader.parse(text, file: "a.yml")
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func missingFileIsNamed() {
        #expect(throws: (any Error).self) { try AgentConfigLoader.load(path: "/nonexistent/agent.yml") }
        do { _ = try AgentConfigLoader.load(path: "/nonexistent/agent.yml") } catch {
            #expect(error.description == "cannot read config file '/nonexistent/agent.yml': No such file or directory")
        }
    }
}
