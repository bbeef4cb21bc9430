extension ProbeSpec {
    /// Refuses, before anything is allocated, a probe whose buffers exceed `availableBytes` (the
    /// host's MemAvailable now; nil when unknown, which lets it run). `bench`, `check-config` and
    /// the agent share this check, so a probe one refuses is never left to eat the host in another.
    public func requireMemory(availableBytes: Int?) throws(ProbeInputError) {
        guard let availableBytes, bufferBytes > availableBytes else { return }
        throw .insufficientMemory(probe: description, neededBytes: bufferBytes, availableBytes: availableBytes)
    }
}
