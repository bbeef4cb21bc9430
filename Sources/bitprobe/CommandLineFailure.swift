import ArgumentParser
import BitProbe

#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses shared by the subcommands (documented in docs/cli.md).
enum ExitStatus {
    /// A probe did not end `ok` (failed, timeout, mismatch, skipped).
    static let probeNotOK: Int32 = 1
    /// The command could not run: not enough memory, an unwritable output, no backend.
    static let couldNotRun: Int32 = 3
    /// A flag value is wrong (the status swift-argument-parser uses for its own usage errors).
    static let usage: Int32 = 64
}

/// Prints `bitprobe <command>: error: <message>` as one line on stderr and exits with `status`.
func fail(_ command: String, _ message: String, status: Int32) -> ExitCode {
    writeStandardError("bitprobe \(command): error: \(message)\n")
    return ExitCode(status)
}

func writeStandardError(_ text: String) { StandardStream.write(text, to: 2) }

/// Output that cannot be written (a full disk, a closed descriptor) ends the command with status 3:
/// a job that redirects `bench --format json` to a file must not get status 0 and an empty file.
func writeStandardOutput(_ text: String) {
    guard let reason = StandardStream.write(text, to: 1) else { return }
    writeStandardError("bitprobe: error: cannot write standard output: \(reason)\n")
    exit(ExitStatus.couldNotRun)
}

/// Splits repeatable list options that also accept commas: `--op matmul,add --op copy`.
func splitList(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",").map(String.init) }
}

extension DeviceSet.Refusal {
    /// The refusal as the command's one error line: a bad selection is a usage error, a machine
    /// that cannot run the probes status 3.
    func exit(_ command: String) -> ExitCode {
        switch self {
        case .usage(let message): fail(command, message, status: ExitStatus.usage)
        case .couldNotRun(let message): fail(command, message, status: ExitStatus.couldNotRun)
        }
    }
}
