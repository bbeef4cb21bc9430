import ArgumentParser
import BitProbe

/// Runs sweeps of sizes on the CPU and every GPU that is up (or one named GPU) and builds the
/// comparison: what `compare` prints and `report` charts.
enum DeviceSweep {
    /// `device`: one GPU to compare (nil: every GPU that is up; no GPU at all is a note, not an error).
    /// `progress(done, total, spec)` is called before each probe runs.
    static func run(sweeps: [DeviceComparison.Sweep], config: BenchmarkConfig, threads: Int?, device: String?, command: String,
                    progress: (Int, Int, ProbeSpec) -> Void) throws -> DeviceComparison {
        let cpu: CPUBackend
        do { cpu = try CPUBackend(threads: threads) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
        var backends: [any ProbeBackend] = [cpu]
        var note: String?
        var platform: CUDAPlatform?
        defer { platform?.close() }
        switch CUDADeviceChoice.open(device: device) {
        case .success(let choice):
            platform = choice.platform
            for gpu in choice.devices {
                switch CUDADeviceChoice.backend(on: gpu) {
                case .success(let backend): backends.append(backend)
                case .failure(let error): throw fail(command, ProbeInputError.backendUnavailable(.cuda, reason: error.reason).description, status: ExitStatus.couldNotRun)
                }
            }
        case .failure(let error):
            // A named GPU that is not there is a mistake; no GPU at all is what this node is.
            if device != nil { throw fail(command, ProbeInputError.backendUnavailable(.cuda, reason: error.reason).description, status: ExitStatus.couldNotRun) }
            note = "no CUDA device: \(error.reason)"
        }

        let host = HostInfo.read()
        var results: [String: [ProbeResult]] = [:]
        let total = sweeps.reduce(0) { $0 + $1.sizes.count } * backends.count
        var done = 0
        for sweep in sweeps {
            for size in sweep.sizes {
                for backend in backends {
                    let spec: ProbeSpec
                    do {
                        spec = try ProbeSpec(backend: backend.kind, device: backend.device, op: sweep.op, dtype: sweep.dtype,
                                             shape: DeviceComparison.Sweep.shape(op: sweep.op, size: size))
                    } catch { throw fail(command, error.description, status: ExitStatus.usage) }
                    try requireMemory(for: [spec], host: host, command: command)
                    done += 1
                    progress(done, total, spec)
                    results[backend.device, default: []].append(Benchmarker(config: config, backend: backend).run(spec))
                }
            }
        }
        return DeviceComparison(sweeps: sweeps, cpu: cpu.device, gpus: backends.dropFirst().map(\.device), results: results, note: note)
    }
}
