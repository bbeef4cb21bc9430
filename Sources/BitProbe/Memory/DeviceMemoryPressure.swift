extension MemoryPressureLevel {
    /// GPU memory pressure from cuMemGetInfo's free and total bytes (docs/memory.md):
    ///
    /// | level | free share of total |
    /// |---|---|
    /// | critical (3) | < 2 % |
    /// | high (2) | < 5 % |
    /// | medium (1) | < 10 % |
    /// | low (0) | otherwise, or no reading |
    ///
    /// Lower than the host's cut-offs on purpose: inference servers reserve most of a GPU's
    /// memory up front by design (vLLM's default gpu_memory_utilization is 0.9), so 10 % free is a
    /// normal steady state there, and only the last few percent mean the next allocation may fail.
    public static func assessDevice(freeBytes: Int?, totalBytes: Int?) -> MemoryPressureLevel {
        guard let free = freeBytes, let total = totalBytes, total > 0 else { return .low }
        let share = Double(free) / Double(total)
        if share < 0.02 { return .critical }
        if share < 0.05 { return .high }
        if share < 0.10 { return .medium }
        return .low
    }
}
