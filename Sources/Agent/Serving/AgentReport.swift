import BitProbe

/// The agent's /report: the same PerformanceReport as `bitprobe report`, built from the state the
/// agent already holds (the latest published cycle, its alerts, the recent cycles' profiles and
/// medians, the memory tracker), so a request never waits for a probe.
enum AgentReport {
    static func build(_ state: AgentState) -> PerformanceReport {
        let snapshot = state.current()
        var inputs = PerformanceReport.Inputs(generatedAt: WallClock.unixSeconds(), results: snapshot.results)
        inputs.title = "bitprobe agent report" + (snapshot.host.map { ": \($0.cpuModel)" } ?? "")
        inputs.source = snapshot.cycle == 0 ? "the agent (no cycle has finished yet)" : "the agent, cycle \(snapshot.cycle)"
        inputs.host = snapshot.host
        inputs.cpuPressureShare = snapshot.cpuPressureShare
        let traces = state.recentProfiles()
        if !traces.isEmpty { inputs.profile = ProfileAnalysis(traces: traces) }
        inputs.memory = snapshot.memoryReport(tracker: state.memory, recentEvents: state.memory.capacity)
        inputs.alerts = snapshot.alerts.map { alert in
            let labels = alert.labels
            let probe = [labels["device"], labels["op"], labels["dtype"], labels["shape"]].compactMap { $0 }.joined(separator: " ")
            return PerformanceReport.AlertEntry(
                name: labels["alertname"] ?? "", severity: labels["severity"] ?? "", state: alert.state.rawValue,
                probe: probe.isEmpty ? nil : probe, activeAt: alert.activeAt, value: alert.value)
        }
        inputs.history = state.recentMedians(of: snapshot.results.map(\.spec)).map {
            PerformanceReport.History(probe: $0.spec.description, medianSeconds: $0.medians)
        }
        return PerformanceReport(inputs)
    }
}
