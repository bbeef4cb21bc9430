/// The config `bitprobe agent` uses without --config.file; docs/config.md shows the same text.
/// A test checks that it loads to `AgentConfig()` exactly, so the two cannot drift apart.
public enum EmbeddedConfig {
    public static let yaml = """
        # bitprobe agent: embedded default configuration.
        interval: 60s
        jitter: 5s
        duty_cycle_budget: 0.05
        probes:
          warmup_iterations: 2
          measurement_iterations: 5
          min_measurement_time: 50ms
          timeout: 30s
          # threads: 8          # default: every CPU this process may use
          # simd: avx2          # default: the widest the CPU supports
          # suite:              # default: the CPU default suite (docs/probes.md)
          #   - op: matmul
          #     dtype: [f32, f16]
          #     shape: [1024x1024x1024]
        backends:
          cuda: auto            # auto | enabled | disabled (docs/cuda.md)
        web:
          listen_address: ":9961"
          telemetry_path: /metrics
          max_requests: 40
          connection_timeout: 10s
          # config_file: /etc/bitprobe/web.yml   # TLS and basic auth (exporter-toolkit format)

        """
}
