import ArgumentParser
import BitProbe

/// `--output FILE` of the commands that render a result: written atomically (a regular file is
/// replaced whole, so a reader never sees half of it), or standard output without the flag.
struct OutputFileOption: ParsableArguments {
    @Option(help: "Write the output to this file (atomically) instead of standard output.")
    var output: String?

    /// Refuses an unwritable destination before any work is done.
    func checkWritable(command: String) throws {
        guard let output else { return }
        do { try AtomicFile.checkWritable(output) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
    }

    func write(_ text: String, command: String) throws {
        guard let output else { return writeStandardOutput(text) }
        do { try AtomicFile.write(Array(text.utf8), to: output) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
    }
}
