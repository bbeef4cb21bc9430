import ArgumentParser
import BitProbe

/// `--max-quiet-wait` of the commands whose measurements are judged later (`regress`, `baseline
/// create`): before measuring, wait while Linux CPU pressure shows other work competing for the
/// CPUs (QuietCPUWait, docs/regression.md), and tell the person watching the job why it pauses.
struct QuietWaitOptions: ParsableArguments {
    @Option(
        name: .customLong("max-quiet-wait"),
        help: "Before measuring, wait up to this many seconds while other work keeps the CPUs busy (Linux CPU pressure); 0 does not wait.")
    var maxQuietWait: Double = QuietCPUWait().maxWaitSeconds

    func validate(command: String) throws {
        guard maxQuietWait.isFinite, maxQuietWait >= 0 else {
            throw fail(command, "--max-quiet-wait must be a number of seconds >= 0 (got \(maxQuietWait))", status: ExitStatus.usage)
        }
    }

    func waitForQuietCPU(command: String) {
        guard maxQuietWait > 0 else { return }
        var wait = QuietCPUWait()
        wait.maxWaitSeconds = maxQuietWait
        let outcome = wait.wait { share in
            writeStandardError(
                "bitprobe \(command): other work keeps the CPUs busy (a task waited for a CPU \(Int((share * 100).rounded()))% of the time); waiting up to \(Int(maxQuietWait)) s before measuring\n"
            )
        }
        switch outcome {
        case .quiet(let waited) where waited > 0:
            writeStandardError("bitprobe \(command): quiet after \(Int(waited)) s; measuring\n")
        case .busy(let share):
            writeStandardError("bitprobe \(command): warning: still busy after \(Int(maxQuietWait)) s (\(Int((share * 100).rounded()))%); measuring anyway\n")
        default:
            break
        }
    }
}
