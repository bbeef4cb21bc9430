import BitProbe
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Builds Tests/CUDAStub/stub_cuda.c into shared libraries once per test process, and sets
/// BITPROBE_CUDA_STUB for the test that needs a behaviour.
///
/// The stub reads BITPROBE_CUDA_STUB once, at its first cuInit, and a library stays loaded for
/// the life of the process; so every behaviour gets its own copy of the library (a distinct path
/// is a distinct dlopen), built once and copied per behaviour.
enum StubDriver {
    private static let built = Mutex<[String: String]>([:])
    private static let directory: String = {
        let path = "/tmp/bitprobe-cuda-stub-\(getpid())"
        mkdir(path, 0o700)
        return path
    }()

    static var source: String {
        let file = #filePath
        let root = file.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        return root + "/Tests/CUDAStub/stub_cuda.c"
    }

    /// The path of a stub library behaving as `behaviour` says (BITPROBE_CUDA_STUB syntax).
    /// `missingLaunch` builds the variant without cuLaunchKernel.
    static func library(_ behaviour: String, missingLaunch: Bool = false) throws -> String {
        let key = (missingLaunch ? "missing-launch:" : "") + behaviour
        return try built.withLock { cache throws -> String in
            if let path = cache[key] { return path }
            let path = "\(directory)/libcuda-\(cache.count).so"
            let command = "cc -shared -fPIC -O1 \(missingLaunch ? "-DBP_STUB_OMIT_LAUNCH " : "")-o '\(path)' '\(source)' 2>&1"
            let status = system(command)
            guard status == 0 else { throw StubBuildError(command: command, status: status) }
            cache[key] = path
            return path
        }
    }

    /// Opens the platform on the copy for `behaviour`, under a lock while BITPROBE_CUDA_STUB says
    /// so: that copy's first cuInit, inside `open`, reads it.
    static func open(_ behaviour: String, mode: CUDAMode = .auto) throws -> CUDAPlatform {
        let path = try library(behaviour)
        return environmentLock.withLock { _ in
            setenv("BITPROBE_CUDA_STUB", behaviour, 1)
            return CUDAPlatform.open(mode: mode, library: path)
        }
    }

    static let environmentLock = Mutex(())

    /// A path in this process's stub directory, unique per call (for launch logs and control files).
    static func temporaryPath(_ name: String) -> String {
        let serial = counter.withLock { value -> Int in
            value += 1
            return value
        }
        return "\(directory)/\(name)-\(serial)"
    }

    private static let counter = Mutex(0)

    /// The lines of the file at `path` (none when it does not exist).
    static func lines(_ path: String) throws -> [String] {
        (SystemFile.readText(path) ?? "").split(separator: "\n").map(String.init)
    }

    /// Empties the file at `path`.
    static func truncate(_ path: String) {
        if let file = fopen(path, "w") { fclose(file) }
    }
}

struct StubBuildError: Error, CustomStringConvertible {
    var command: String
    var status: Int32
    var description: String { "building the stub driver failed (\(status)): \(command)" }
}
