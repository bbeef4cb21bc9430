#if canImport(Glibc)
import Glibc
#endif

/// The directory of baseline files, one `NAME.json` each.
///
/// ```swift
/// let store = BaselineStore(directory: try BaselineStore.defaultDirectory(environment: ["HOME": "/home/ci"]))
/// try store.save(baseline, overwrite: false)   // /home/ci/.local/share/bitprobe/baselines/NAME.json
/// let again = try store.load(baseline.name)
/// ```
public struct BaselineStore: Sendable {
    public var directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// `$BITPROBE_BASELINE_DIR`, else `$XDG_DATA_HOME/bitprobe/baselines` (XDG base directories: only
    /// an absolute XDG_DATA_HOME counts), else `$HOME/.local/share/bitprobe/baselines`.
    public static func defaultDirectory(environment: [String: String]) throws(BaselineError) -> String {
        if let directory = environment["BITPROBE_BASELINE_DIR"], !directory.isEmpty { return directory }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/bitprobe/baselines" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.local/share/bitprobe/baselines" }
        throw .noDirectory
    }

    /// 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with '.': safe as a file name everywhere, never
    /// hidden, never `.` or `..`, and never one of the store's own temporary files.
    public static func validate(name: String) throws(BaselineError) {
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }
        guard allowed, (1...64).contains(name.utf8.count), !name.hasPrefix(".") else { throw .invalidName(name) }
    }

    public func path(for name: String) -> String { "\(directory)/\(name).json" }

    /// Writes `baseline` as `NAME.json` atomically (temporary file, fsync, rename), creating the
    /// directory on first use. Without `overwrite`, an existing baseline of that name is an error.
    public func save(_ baseline: Baseline, overwrite: Bool) throws(BaselineError) {
        try Self.validate(name: baseline.name)
        let path = path(for: baseline.name)
        if !overwrite, access(path, F_OK) == 0 { throw .alreadyExists(name: baseline.name, path: path) }
        try createDirectory(directory)
        let bytes: [UInt8]
        do { bytes = try baseline.json() } catch { throw .unwritable(path: path, reason: "\(error)") }
        do { try AtomicFile.write(bytes, to: path) } catch { throw .unwritable(path: path, reason: error.reason) }
    }

    /// Checks, before any probe runs, that `save` could write `name`.
    public func checkSavable(name: String, overwrite: Bool) throws(BaselineError) {
        try Self.validate(name: name)
        let path = path(for: name)
        if !overwrite, access(path, F_OK) == 0 { throw .alreadyExists(name: name, path: path) }
        try createDirectory(directory)
        do { try AtomicFile.checkWritable(path) } catch { throw .unwritable(path: path, reason: error.reason) }
    }

    public func load(_ name: String) throws(BaselineError) -> Baseline {
        try Self.validate(name: name)
        let path = path(for: name)
        return try Baseline.decode(json: try readFile(path, name: name), path: path)
    }

    public func delete(_ name: String) throws(BaselineError) {
        try Self.validate(name: name)
        let path = path(for: name)
        guard unlink(path) == 0 else {
            if errno == ENOENT { throw .notFound(name: name, directory: directory) }
            throw .undeletable(path: path, reason: lastErrorText())
        }
    }

    /// One entry per `*.json` file whose name is a valid baseline name, sorted by name. A file that
    /// does not load is listed with its error, so one bad file never hides the others.
    public struct Entry: Sendable {
        public var name: String
        public var baseline: Result<Baseline, BaselineError>
    }

    /// Every baseline in the directory; none when the directory does not exist yet.
    public func list() throws(BaselineError) -> [Entry] {
        guard let stream = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw .unreadable(path: directory, reason: lastErrorText())
        }
        var names: [String] = []
        while let entry = readdir(stream) {
            let fileName = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard fileName.hasSuffix(".json") else { continue }
            let name = String(fileName.dropLast(".json".count))
            if (try? Self.validate(name: name)) != nil { names.append(name) }
        }
        closedir(stream)
        return names.sorted().map { name in
            do throws(BaselineError) { return Entry(name: name, baseline: .success(try load(name))) } catch {
                return Entry(name: name, baseline: .failure(error))
            }
        }
    }

    /// Like `mkdir -p`.
    private func createDirectory(_ path: String) throws(BaselineError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw .cannotCreateDirectory(path: path, reason: lastErrorText())
            }
        }
    }

    /// Largest baseline file read. Samples add up (a default baseline is well under 1 MiB), so the
    /// bound is generous; it only keeps a stray huge file from taking the process's memory.
    public static let maxFileBytes = 256 << 20

    /// The whole file; a FIFO or device named like a baseline is refused rather than read (reading
    /// one would block `baseline list` and the agent forever).
    private func readFile(_ path: String, name: String) throws(BaselineError) -> [UInt8] {
        do { return try RegularFile.read(path, limit: Self.maxFileBytes) } catch {
            if error.code == ENOENT { throw .notFound(name: name, directory: directory) }
            throw .unreadable(path: path, reason: error.reason)
        }
    }
}
