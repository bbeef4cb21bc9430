import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Ties a child `bench` process to the `baseline create` that started it. The parent holds the
/// write end of a pipe that is the child's standard input; when the parent exits, however it exits
/// (SIGKILL included), the kernel closes that end, the child reads end-of-file and exits at once.
/// Without it a killed `baseline create` left its `bench` child probing on (18 of 20 times), and
/// PR_SET_PDEATHSIG would need a C shim and fires on the exit of the spawning thread, not the process.
enum ParentLifeline {
    /// The child side: returns at once; a background thread ends the process when stdin closes.
    static func exitWhenStandardInputCloses() {
        DispatchQueue.global().async {
            var byte: UInt8 = 0
            while true {
                let n = read(0, &byte, 1)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { _exit(ExitStatus.couldNotRun) }
            }
        }
    }
}
