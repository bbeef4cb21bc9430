#if canImport(Glibc)
import Glibc
#endif

/// Starts a detached OS thread running `body`. The probe loop needs a thread of its own (not a
/// Dispatch or Swift-concurrency worker) because it blocks for whole probe cycles. `name` shows in
/// `top -H`, `ps -L` and debuggers; Linux keeps at most 15 bytes of it.
func spawnThread(name: String, _ body: @escaping @Sendable () -> Void) {
    precondition(name.utf8.count <= 15, "thread name '\(name)' is over Linux's 15 bytes")
    final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, _ body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let box = Unmanaged.passRetained(Box(name: name, body)).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(
        &thread, nil,
        { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            // Named from inside, so the name is set before any of the body runs. pthread_setname_np is
            // a GNU extension that Glibc's Swift module leaves out; this file is what it writes.
            let fd = open("/proc/thread-self/comm", O_WRONLY)
            if fd >= 0 {
                _ = box.name.withCString { write(fd, $0, strlen($0)) }
                close(fd)
            }
            box.body()
            return nil
        }, box)
    precondition(created == 0, "could not start thread \(name): \(String(cString: strerror(created)))")
    pthread_detach(thread)
}
