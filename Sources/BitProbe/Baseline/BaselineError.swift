/// Why a baseline could not be named, found, read, written or deleted. Every message is one line and
/// names the baseline or file.
public enum BaselineError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidName(String)
    case notFound(name: String, directory: String)
    case alreadyExists(name: String, path: String)
    /// Not JSON, or JSON that claims to be a baseline but does not decode as one.
    case corrupt(path: String, reason: String)
    /// Valid JSON, but not a bitprobe baseline (no `"kind": "bitprobe-baseline"`).
    case foreign(path: String)
    case newerSchema(path: String, version: Int)
    /// An older baseline that keeps one round per probe where the gate compares every round.
    case withoutRounds(path: String, name: String, version: Int)
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case undeletable(path: String, reason: String)
    case cannotCreateDirectory(path: String, reason: String)
    case noDirectory

    public var description: String {
        switch self {
        case .invalidName(let name):
            "invalid baseline name '\(name)': use 1 to 64 of the characters A-Z a-z 0-9 . _ - and do not start with '.'"
        case .notFound(let name, let directory):
            "no baseline named '\(name)' in \(directory)"
        case .alreadyExists(let name, let path):
            "baseline '\(name)' already exists (\(path)); pass --force to overwrite it"
        case .corrupt(let path, let reason):
            "baseline file '\(path)' is corrupt: \(reason)"
        case .foreign(let path):
            "file '\(path)' is not a bitprobe baseline (it has no \"kind\": \"\(Baseline.kind)\")"
        case .newerSchema(let path, let version):
            "baseline file '\(path)' has schema_version \(version), newer than the \(Baseline.schemaVersion) this bitprobe reads; use a newer bitprobe"
        case .withoutRounds(let path, let name, let version):
            "baseline file '\(path)' (schema_version \(version)) keeps only the quietest round of each probe, and regress compares every round; "
                + "record it again with 'bitprobe baseline create \(name) --force' and the probe flags it was made with"
        case .unreadable(let path, let reason):
            "cannot read baseline file '\(path)': \(reason)"
        case .unwritable(let path, let reason):
            "cannot write baseline file '\(path)': \(reason)"
        case .undeletable(let path, let reason):
            "cannot delete baseline file '\(path)': \(reason)"
        case .cannotCreateDirectory(let path, let reason):
            "cannot create baseline directory '\(path)': \(reason)"
        case .noDirectory:
            "no baseline directory: pass --baseline-dir, or set BITPROBE_BASELINE_DIR, XDG_DATA_HOME or HOME"
        }
    }
}
