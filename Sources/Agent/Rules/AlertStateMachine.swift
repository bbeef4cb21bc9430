/// Alert states with Prometheus's semantics, for alerts the agent evaluates in-process.
///
/// A rule's condition is evaluated every cycle and yields the label sets for which it holds.
/// - A label set that starts holding becomes **pending** (`activeAt` = now); with `for` = 0 it
///   fires at once.
/// - A pending alert whose condition held for `for` becomes **firing**. A pending alert whose
///   condition stops holding is dropped.
/// - A firing alert whose condition stops holding keeps firing for `keep_firing_for`, then is
///   **resolved** (`resolvedAt`); if the condition returns meanwhile, it simply keeps firing.
/// - Resolved alerts are kept for `resolvedRetention` so notifiers can send their end.
struct AlertStateMachine {
    enum State: String, Sendable { case pending, firing, inactive }

    struct Instance: Sendable, Equatable {
        var labels: [String: String]
        var annotations: [String: String]
        var state: State
        var activeAt: Double
        var firedAt: Double?
        var resolvedAt: Double?
        /// When the condition last stopped holding while firing (keep_firing_for clock).
        var conditionLostAt: Double?
        var value: Double
        var lastSentAt: Double?
    }

    let forSeconds: Double
    let keepFiringForSeconds: Double
    let resolvedRetention: Double
    private(set) var instances: [[String: String]: Instance] = [:]

    init(forSeconds: Double, keepFiringForSeconds: Double, resolvedRetention: Double = 15 * 60) {
        self.forSeconds = forSeconds
        self.keepFiringForSeconds = keepFiringForSeconds
        self.resolvedRetention = resolvedRetention
    }

    /// Applies one evaluation: `active` maps each label set for which the condition holds now to
    /// its value and annotations.
    mutating func evaluate(active: [[String: String]: (value: Double, annotations: [String: String])], at now: Double) {
        for (labels, sample) in active {
            if var instance = instances[labels], instance.state != .inactive {
                instance.value = sample.value
                instance.annotations = sample.annotations
                instance.conditionLostAt = nil
                if instance.state == .pending, now - instance.activeAt >= forSeconds {
                    instance.state = .firing
                    instance.firedAt = now
                }
                instances[labels] = instance
            } else {
                var instance = Instance(
                    labels: labels, annotations: sample.annotations, state: .pending, activeAt: now,
                    firedAt: nil, resolvedAt: nil, conditionLostAt: nil, value: sample.value, lastSentAt: nil)
                if forSeconds <= 0 {
                    instance.state = .firing
                    instance.firedAt = now
                }
                instances[labels] = instance
            }
        }
        for (labels, var instance) in instances where active[labels] == nil {
            switch instance.state {
            case .pending:
                instances[labels] = nil
            case .firing:
                let lostAt = instance.conditionLostAt ?? now
                if now - lostAt >= keepFiringForSeconds {
                    instance.state = .inactive
                    instance.resolvedAt = now
                    instance.conditionLostAt = nil
                } else {
                    instance.conditionLostAt = lostAt
                }
                instances[labels] = instance
            case .inactive:
                if let resolved = instance.resolvedAt, now - resolved >= resolvedRetention { instances[labels] = nil }
            }
        }
    }

    mutating func markSent(_ labels: [String: String], at time: Double) {
        instances[labels]?.lastSentAt = time
    }

    /// Pending and firing alerts (what `bitprobe_alerts` and /api/v1/alerts show).
    var activeInstances: [Instance] {
        instances.values.filter { $0.state != .inactive }.sorted {
            $0.labels.sorted { $0.key < $1.key }.lexicographicallyPrecedes($1.labels.sorted { $0.key < $1.key }) { ($0.key, $0.value) < ($1.key, $1.value) }
        }
    }

    /// Firing and recently resolved alerts (what Alertmanager is told).
    var notifiableInstances: [Instance] {
        instances.values.filter { $0.state == .firing || $0.resolvedAt != nil }
    }
}
