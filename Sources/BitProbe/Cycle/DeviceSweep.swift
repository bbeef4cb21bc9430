extension DeviceSet {
    /// Every device probed, as the backend and device its probes name.
    public var devices: [(backend: BackendKind, device: String)] {
        (cpu.map { _ in [(BackendKind.cpu, "cpu0")] } ?? []) + gpus.map { (.cuda, $0.device) }
    }

    /// The size sweeps (`compare`, `report`) on every device, as a comparison.
    public func sweep(
        _ sweeps: [DeviceComparison.Sweep], config: BenchmarkConfig,
        progress: @escaping (Int, Int, ProbeSpec) -> Void = { _, _, _ in }
    ) throws(Refusal) -> DeviceComparison {
        var specs: [ProbeSpec] = []
        for (backend, device) in devices {
            for sweep in sweeps {
                for size in sweep.sizes {
                    do {
                        specs.append(
                            try ProbeSpec(
                                backend: backend, device: device, op: sweep.op, dtype: sweep.dtype,
                                shape: DeviceComparison.Sweep.shape(op: sweep.op, size: size)))
                    } catch { throw .usage(error.description) }
                }
            }
        }
        let results = try run(specs, config: config, progress: progress)
        return DeviceComparison(
            sweeps: sweeps, cpu: "cpu0", gpus: gpus.map(\.device), results: Dictionary(grouping: results, by: \.spec.device),
            note: note)
    }
}
