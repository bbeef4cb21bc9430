#if canImport(Glibc)
import Glibc
#endif

/// Starts a detached OS thread running `body`. The probe loop needs a thread of its own (not a
/// Dispatch or Swift-concurrency worker) because it blocks for whole probe cycles.
func spawnThread(name: String, _ body: @escaping @Sendable () -> Void) {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { context in
        Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
        return nil
    }, box)
    precondition(created == 0, "could not start thread \(name): \(String(cString: strerror(created)))")
    pthread_detach(thread)
}
