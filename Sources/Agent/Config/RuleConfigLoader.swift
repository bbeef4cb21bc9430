import BitProbe
import ConfigFile

/// Reads the `rules:` list of the agent config.
enum RuleConfigLoader {
    static let kinds = ["memory_pressure", "node_slowdown", "probe_budget", "probe_failing", "probe_mismatch", "probe_stale", "regression"]

    static func read(_ nodes: [YAMLNode], path: String) throws(ConfigError) -> [AlertRule] {
        var rules: [AlertRule] = []
        for (index, node) in nodes.enumerated() {
            var entry = try ConfigMapping(node, path: "\(path)[\(index)]")
            guard let name = try entry.string("alert"), !name.isEmpty else {
                throw ConfigError(location: node.location, keyPath: entry.keyPath("alert"), message: "required: the alert's name")
            }
            guard name.first!.isLetter || name.first! == "_", name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ConfigError(
                    location: node.location, keyPath: entry.keyPath("alert"), message: "'\(name)' is not a valid alert name ([a-zA-Z_][a-zA-Z0-9_]*)")
            }
            if rules.contains(where: { $0.name == name }) {
                throw ConfigError(location: node.location, keyPath: entry.keyPath("alert"), message: "duplicate alert name '\(name)'")
            }
            guard let kindNode = entry.node("kind"), case .scalar(let kindText, _, _) = kindNode else {
                throw ConfigError(location: node.location, keyPath: entry.keyPath("kind"), message: "required: one of \(kinds.joined(separator: ", "))")
            }
            let kind: AlertRule.Kind
            var maxCPUPressure = AlertRule.defaultMaxCPUPressure
            var maxPeerSlowdown = AlertRule.defaultMaxPeerSlowdownPercent
            var noiseMultiple = AlertRule.defaultNoiseMultiple
            switch kindText {
            case "probe_failing": kind = .probeFailing
            case "probe_mismatch": kind = .probeMismatch
            case "probe_stale": kind = .probeStale(maxAgeSeconds: try entry.duration("max_age", minimum: 1) ?? 900)
            case "probe_budget":
                let budget = AlertRule.ProbeBudget(
                    maxSeconds: try entry.duration("max_duration"),
                    minOpsPerSecond: try entry.double("min_ops_per_second", range: 0...1e21),
                    minBytesPerSecond: try entry.double("min_bytes_per_second", range: 0...1e21))
                if budget.maxSeconds == nil && budget.minOpsPerSecond == nil && budget.minBytesPerSecond == nil {
                    throw ConfigError(
                        location: node.location, keyPath: entry.path, message: "a probe_budget needs max_duration, min_ops_per_second or min_bytes_per_second")
                }
                if budget.maxSeconds == 0 {
                    throw entry.error("max_duration", at: entry.node("max_duration")!, "must be more than 0s")
                }
                kind = .probeBudget(budget)
            case "memory_pressure":
                let levelText = try entry.string("level") ?? "high"
                guard let level = MemoryPressureLevel.allCases.first(where: { $0.name == levelText }) else {
                    throw entry.error("level", at: entry.node("level")!, "expected one of: low, medium, high, critical, got '\(levelText)'")
                }
                kind = .memoryPressure(minimum: level)
            case "regression":
                let window = try entry.int("window", range: 2...10_000)
                let baseline = try entry.string("baseline")
                if window != nil, baseline != nil {
                    throw ConfigError(location: node.location, keyPath: entry.path, message: "give either window or baseline, not both")
                }
                if let baseline {
                    do { try BaselineStore.validate(name: baseline) } catch {
                        throw entry.error("baseline", at: entry.node("baseline")!, error.description)
                    }
                }
                let reference: AlertRule.RegressionReference = baseline.map { .baseline(name: $0) } ?? .window(cycles: window ?? AlertRule.defaultWindowCycles)
                kind = .regression(
                    reference: reference, thresholdPercent: try entry.double("threshold", range: 0...10_000) ?? 10,
                    alpha: try entry.double("alpha", range: 1e-12...0.5) ?? AlertRule.defaultAlpha)
                maxCPUPressure = try entry.double("max_cpu_pressure", range: 0...1) ?? maxCPUPressure
                if case .window = reference {
                    maxPeerSlowdown = try entry.double("max_peer_slowdown", range: 0...10_000) ?? maxPeerSlowdown
                    noiseMultiple = try entry.double("noise_multiple", range: 0...100) ?? noiseMultiple
                }
            case "node_slowdown":
                kind = .nodeSlowdown(
                    thresholdPercent: try entry.double("threshold", range: 0...10_000) ?? 20,
                    window: try entry.int("window", range: 2...10_000) ?? AlertRule.defaultWindowCycles)
                maxCPUPressure = try entry.double("max_cpu_pressure", range: 0...1) ?? maxCPUPressure
            default:
                throw entry.error("kind", at: kindNode, "expected one of: \(kinds.joined(separator: ", ")), got '\(kindText)'")
            }
            var rule = AlertRule(name: name, kind: kind, severity: try entry.string("severity") ?? "warning")
            rule.forSeconds = try entry.duration("for") ?? 0
            rule.keepFiringForSeconds = try entry.duration("keep_firing_for") ?? 0
            rule.summary = try entry.string("summary")
            rule.maxCPUPressure = maxCPUPressure
            rule.maxPeerSlowdownPercent = maxPeerSlowdown
            rule.noiseMultiple = noiseMultiple
            if var match = try entry.mapping("match") {
                for key in ["backend", "device", "op", "dtype", "shape"] {
                    if let value = try match.string(key) { rule.match[key] = value }
                }
                try match.finish()
            }
            try entry.finish()
            rules.append(rule)
        }
        return rules
    }
}
