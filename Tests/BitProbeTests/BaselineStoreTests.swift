import Testing

@testable import BitProbe

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory per test, removed with its files afterwards.
final class ScratchDirectory {
    let path = "/tmp/bitprobe-baselines-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    func write(_ name: String, _ text: String) throws {
        mkdir(path, 0o755)
        try AtomicFile.write(Array(text.utf8), to: "\(path)/\(name)")
    }

    func files() -> [String] {
        guard let stream = opendir(path) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    deinit {
        for name in files() { unlink("\(path)/\(name)") }
        rmdir(path)
    }
}

@Suite struct BaselineStoreTests {
    typealias F = RegressionFixtures

    func sample() -> Baseline {
        F.baseline([F.result(F.matmul, [0.001, 0.0011, 0.0012]), F.result(F.add, [], outcome: .timeout, detail: "too slow")])
    }

    @Test func saveLoadRoundTrip() throws {
        let scratch = ScratchDirectory()
        let store = BaselineStore(directory: scratch.path + "/nested/baselines")
        defer { rmdir(scratch.path + "/nested/baselines"); rmdir(scratch.path + "/nested") }
        try store.save(sample(), overwrite: false)
        let loaded = try store.load("main")
        #expect(loaded.name == "main")
        #expect(loaded.description == "fixture")
        #expect(loaded.fingerprint == F.fingerprint)
        #expect(loaded.rounds == 10)
        #expect(loaded.results.map(\.samples) == [[0.001, 0.0011, 0.0012], []])
        #expect(loaded.results.map(\.outcome) == [.ok, .timeout])
        #expect(loaded.results[1].detail == "too slow")
        #expect(loaded.results[0].statistics == SampleStatistics([0.001, 0.0011, 0.0012]))
        unlink(store.path(for: "main"))
    }

    @Test func fileNamesTheKindSchemaAndNullGPUFields() throws {
        let text = String(decoding: try sample().json(), as: UTF8.self)
        #expect(text.contains("\"kind\" : \"bitprobe-baseline\""))
        #expect(text.contains("\"schema_version\" : 2"))
        #expect(text.contains("\"gpu_name\" : null"))
        #expect(text.contains("\"gpu_driver_version\" : null"))
        #expect(text.contains("\"available_cpus\" : 2"))
        #expect(!text.contains("fault_injection"))
    }

    @Test func existingNameNeedsOverwrite() throws {
        let scratch = ScratchDirectory()
        let store = BaselineStore(directory: scratch.path)
        try store.save(sample(), overwrite: false)
        #expect(throws: BaselineError.alreadyExists(name: "main", path: "\(scratch.path)/main.json")) { try store.save(sample(), overwrite: false) }
        #expect(throws: BaselineError.alreadyExists(name: "main", path: "\(scratch.path)/main.json")) { try store.checkSavable(name: "main", overwrite: false) }
        var changed = sample()
        changed.description = "second"
        try store.save(changed, overwrite: true)
        #expect(try store.load("main").description == "second")
        // The atomic write leaves no temporary file behind.
        #expect(scratch.files() == ["main.json"])
    }

    @Test func errorMessages() throws {
        let scratch = ScratchDirectory()
        let store = BaselineStore(directory: scratch.path)
        let dir = scratch.path
        try scratch.write("garbage.json", "{\"kind\": \"bitprobe-baseline\", ")
        try scratch.write("empty.json", "")
        try scratch.write("foreign.json", "{\"name\": \"package.json of something else\"}")
        try scratch.write("array.json", "[1, 2, 3]")
        try scratch.write("future.json", "{\"kind\": \"bitprobe-baseline\", \"schema_version\": 7, \"anything\": true}")
        try scratch.write("noversion.json", "{\"kind\": \"bitprobe-baseline\"}")
        try scratch.write("partial.json", "{\"kind\": \"bitprobe-baseline\", \"schema_version\": 1, \"name\": \"partial\"}")
        var bad = String(decoding: try sample().json(), as: UTF8.self)
        bad = bad.replacingAll("\"shape\" : \"64x64x64\"", with: "\"shape\" : \"0x64x64\"")
        try scratch.write("badshape.json", bad)
        let wrongType = String(decoding: try sample().json(), as: UTF8.self).replacingAll("\"threads\" : 1\n  }", with: "\"threads\" : \"one\"\n  }")

        let cases: [(String, String)] = [
            ("nothere", "no baseline named 'nothere' in \(dir)"),
            ("garbage", "baseline file '\(dir)/garbage.json' is corrupt: not valid JSON"),
            ("empty", "baseline file '\(dir)/empty.json' is corrupt: not valid JSON"),
            ("foreign", "file '\(dir)/foreign.json' is not a bitprobe baseline (it has no \"kind\": \"bitprobe-baseline\")"),
            ("array", "file '\(dir)/array.json' is not a bitprobe baseline (it has no \"kind\": \"bitprobe-baseline\")"),
            ("future", "baseline file '\(dir)/future.json' has schema_version 7, newer than the 2 this bitprobe reads; use a newer bitprobe"),
            ("noversion", "baseline file '\(dir)/noversion.json' is corrupt: schema_version is missing or not an integer"),
            ("partial", "baseline file '\(dir)/partial.json' is corrupt: missing key 'created_at' at the top level"),
            (
                "badshape",
                "baseline file '\(dir)/badshape.json' is corrupt: invalid value at results[0].spec.shape: shape '0x64x64' has a dimension that is not positive"
            ),
            ("../etc/passwd", "invalid baseline name '../etc/passwd': use 1 to 64 of the characters A-Z a-z 0-9 . _ - and do not start with '.'"),
        ]
        for (name, message) in cases {
            do {
                _ = try store.load(name)
                Issue.record("'\(name)' loaded")
            } catch {
                #expect(error.description == message)
            }
        }
        #expect(wrongType != String(decoding: try sample().json(), as: UTF8.self))
        do {
            _ = try Baseline.decode(json: Array(wrongType.utf8), path: "x.json")
            Issue.record("a string thread count decoded")
        } catch {
            #expect(error.description == "baseline file 'x.json' is corrupt: expected an integer at fingerprint.threads")
        }
        #expect(throws: BaselineError.notFound(name: "nothere", directory: dir)) { try store.delete("nothere") }
    }

    @Test(arguments: ["main", "v1.2.3", "pre-release_2", String(repeating: "a", count: 64), "A.B-c_9"])
    func validNames(name: String) throws {
        try BaselineStore.validate(name: name)
    }

    @Test(arguments: ["", ".hidden", ".", "..", "a/b", "a b", "naïve", String(repeating: "a", count: 65), "x\n", "tab\tname"])
    func invalidNames(name: String) {
        #expect(throws: BaselineError.invalidName(name)) { try BaselineStore.validate(name: name) }
    }

    @Test func listShowsCorruptFilesWithoutHidingOthers() throws {
        let scratch = ScratchDirectory()
        let store = BaselineStore(directory: scratch.path)
        try store.save(sample(), overwrite: false)
        var second = sample()
        second.name = "zeta"
        try store.save(second, overwrite: false)
        try scratch.write("broken.json", "not json")
        try scratch.write("other.json", "{}")
        try scratch.write("notes.txt", "ignored: not .json")
        try scratch.write(".main.json.tmp-1-2", "ignored: a temporary file")
        let entries = try store.list()
        #expect(entries.map(\.name) == ["broken", "main", "other", "zeta"])
        #expect((try? entries[1].baseline.get())?.name == "main")
        #expect((try? entries[3].baseline.get())?.name == "zeta")
        let lines = BaselineTable.list(entries).split(separator: "\n").map {
            $0.split(separator: "  ", omittingEmptySubsequences: true).map { $0.trimmingWhitespace() }
        }
        #expect(
            lines == [
                ["NAME", "CREATED", "PROBES", "DESCRIPTION", "FINGERPRINT"],
                ["broken", "-", "-", "error: baseline file '\(scratch.path)/broken.json' is corrupt: not valid JSON", "-"],
                ["main", "2026-11-28 16:00:00 UTC", "2", "fixture", "Test CPU, avx512, 1 thread, bitprobe 1.0.0 (abc1234)"],
                ["other", "-", "-", "error: file '\(scratch.path)/other.json' is not a bitprobe baseline (it has no \"kind\": \"bitprobe-baseline\")", "-"],
                ["zeta", "2026-11-28 16:00:00 UTC", "2", "fixture", "Test CPU, avx512, 1 thread, bitprobe 1.0.0 (abc1234)"],
            ])
    }

    /// A created_at of 1e20 trapped `baseline list`, `show` and `regress` converting it to a date.
    @Test func anImpossibleCreationTimeIsACorruptFileNotATrap() throws {
        let scratch = ScratchDirectory()
        let store = BaselineStore(directory: scratch.path)
        var future = sample()
        future.createdAt = 1e20
        try scratch.write("main.json", String(decoding: try future.json(), as: UTF8.self))
        #expect(throws: BaselineError.corrupt(path: store.path(for: "main"), reason: "created_at 1e+20 is not a time between 1970 and 9999")) {
            try store.load("main")
        }
        let entries = try store.list()
        #expect(
            BaselineTable.list(entries).contains(
                "error: baseline file '\(scratch.path)/main.json' is corrupt: created_at 1e+20 is not a time between 1970 and 9999"))
    }

    /// Opening a FIFO for reading waits for a writer: `baseline list` and the agent hung on one.
    @Test func aFIFONamedLikeABaselineIsListedWithItsErrorWithoutBlocking() throws {
        let scratch = ScratchDirectory()
        let store = BaselineStore(directory: scratch.path)
        try store.save(sample(), overwrite: false)
        #expect(mkfifo(scratch.path + "/pipe.json", 0o600) == 0)
        let entries = try store.list()
        #expect(entries.map(\.name) == ["main", "pipe"])
        #expect(throws: BaselineError.unreadable(path: store.path(for: "pipe"), reason: "not a regular file")) { try entries[1].baseline.get() }
    }

    @Test func escapeSequencesInADescriptionAreShownNotSent() throws {
        let scratch = ScratchDirectory()
        let store = BaselineStore(directory: scratch.path)
        var sneaky = sample()
        sneaky.description = "fine\u{1B}]0;pwned\u{07}\u{1B}[2J"
        try store.save(sneaky, overwrite: false)
        let listed = BaselineTable.list(try store.list())
        #expect(!listed.contains("\u{1B}"))
        #expect(listed.contains("fine\\u{1B}]0;pwned\\u{7}\\u{1B}[2J"))
        #expect(BaselineTable.show(try store.load("main")).contains("description: fine\\u{1B}]0;pwned\\u{7}\\u{1B}[2J\n"))
    }

    @Test func missingDirectoryListsNothing() throws {
        #expect(try BaselineStore(directory: "/tmp/bitprobe-no-such-dir-\(getpid())").list().isEmpty)
    }

    @Test func deleteRemovesTheFile() throws {
        let scratch = ScratchDirectory()
        let store = BaselineStore(directory: scratch.path)
        try store.save(sample(), overwrite: false)
        try store.delete("main")
        #expect(scratch.files().isEmpty)
        #expect(throws: BaselineError.notFound(name: "main", directory: scratch.path)) { try store.load("main") }
    }

    @Test func unwritableDirectoryIsNamed() {
        let store = BaselineStore(directory: "/proc/bitprobe")
        #expect(throws: BaselineError.cannotCreateDirectory(path: "/proc/bitprobe", reason: "No such file or directory")) {
            try store.save(sample(), overwrite: false)
        }
    }

    @Test(
        arguments: [
            (["BITPROBE_BASELINE_DIR": "/b", "XDG_DATA_HOME": "/x", "HOME": "/h"], "/b"),
            (["BITPROBE_BASELINE_DIR": "", "XDG_DATA_HOME": "/x", "HOME": "/h"], "/x/bitprobe/baselines"),
            (["XDG_DATA_HOME": "relative", "HOME": "/h"], "/h/.local/share/bitprobe/baselines"),
            (["HOME": "/root"], "/root/.local/share/bitprobe/baselines"),
        ] as [([String: String], String)])
    func defaultDirectory(environment: [String: String], directory: String) throws {
        #expect(try BaselineStore.defaultDirectory(environment: environment) == directory)
    }

    @Test func noDirectoryWithoutHome() {
        #expect(throws: BaselineError.noDirectory) { try BaselineStore.defaultDirectory(environment: [:]) }
        #expect(BaselineError.noDirectory.description == "no baseline directory: pass --baseline-dir, or set BITPROBE_BASELINE_DIR, XDG_DATA_HOME or HOME")
    }
}
