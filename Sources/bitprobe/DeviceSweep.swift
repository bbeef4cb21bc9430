import ArgumentParser
import BitProbe

/// Runs probes on the CPU and every GPU that is up (or one named GPU): the size sweeps that
/// `compare` prints and `report` charts, and the batch study of `compare --batch`.
enum DeviceSweep {
    /// The CPU and the GPUs to compare; `close()` releases the CUDA driver.
    struct Backends {
        var cpu: CPUBackend
        var all: [any ProbeBackend]
        /// Why there is no GPU, when there is none.
        var note: String?
        var platform: CUDAPlatform?

        func close() { platform?.close() }
    }

    /// `device`: one GPU to compare (nil: every GPU that is up; no GPU at all is a note, not an error).
    static func open(threads: Int?, device: String?, command: String) throws -> Backends {
        let cpu: CPUBackend
        do { cpu = try CPUBackend(threads: threads) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
        var backends = Backends(cpu: cpu, all: [cpu])
        switch CUDADeviceChoice.open(device: device) {
        case .success(let choice):
            backends.platform = choice.platform
            for gpu in choice.devices {
                switch CUDADeviceChoice.backend(on: gpu) {
                case .success(let backend): backends.all.append(backend)
                case .failure(let error):
                    backends.close()
                    throw fail(command, ProbeInputError.backendUnavailable(.cuda, reason: error.reason).description, status: ExitStatus.couldNotRun)
                }
            }
        case .failure(let error):
            // A named GPU that is not there is a mistake; no GPU at all is what this node is.
            if device != nil { throw fail(command, ProbeInputError.backendUnavailable(.cuda, reason: error.reason).description, status: ExitStatus.couldNotRun) }
            backends.note = "no CUDA device: \(error.reason)"
        }
        return backends
    }

    /// Runs each probe on each backend it can run on, refusing one that does not fit in memory
    /// before it allocates; `progress(done, total, spec)` is called before each probe runs.
    static func measure(_ plan: [(any ProbeBackend, ProbeSpec)], config: BenchmarkConfig, command: String,
                        progress: (Int, Int, ProbeSpec) -> Void) throws -> [ProbeResult] {
        let host = HostInfo.read()
        var results: [ProbeResult] = []
        for (index, (backend, spec)) in plan.enumerated() {
            try requireMemory(for: [spec], host: host, command: command)
            progress(index + 1, plan.count, spec)
            results.append(Benchmarker(config: config, backend: backend).run(spec))
        }
        return results
    }

    /// The size sweeps on every backend, as a comparison.
    static func run(sweeps: [DeviceComparison.Sweep], config: BenchmarkConfig, threads: Int?, device: String?, command: String,
                    progress: (Int, Int, ProbeSpec) -> Void) throws -> DeviceComparison {
        let backends = try open(threads: threads, device: device, command: command)
        defer { backends.close() }
        var plan: [(any ProbeBackend, ProbeSpec)] = []
        for sweep in sweeps {
            for size in sweep.sizes {
                for backend in backends.all {
                    do {
                        plan.append((backend, try ProbeSpec(backend: backend.kind, device: backend.device, op: sweep.op, dtype: sweep.dtype,
                                                            shape: DeviceComparison.Sweep.shape(op: sweep.op, size: size))))
                    } catch { throw fail(command, error.description, status: ExitStatus.usage) }
                }
            }
        }
        let results = try measure(plan, config: config, command: command, progress: progress)
        return DeviceComparison(sweeps: sweeps, cpu: backends.cpu.device, gpus: backends.all.dropFirst().map(\.device),
                                results: Dictionary(grouping: results, by: \.spec.device), note: backends.note)
    }
}
