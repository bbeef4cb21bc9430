import CMicroHTTPD
import Dispatch
import Glibc
import Synchronization

/// Closes a connection whose request head (request line and headers, after the TLS handshake) has
/// not arrived whole within `seconds` of its opening. libmicrohttpd's own timeout is an idle
/// timeout that every received byte renews, so clients trickling one header line every few seconds
/// held their connections, and 64 of them every connection slot, for as long as they liked.
///
/// libmicrohttpd cannot close a connection from another thread, so an expired one is shut down
/// (`shutdown(2)`): its thread then reads end-of-file and closes it. The descriptor is shut down
/// only while its connection is known open (libmicrohttpd reports the close before it closes the
/// descriptor, under the same lock), so a reused descriptor number is never touched.
final class RequestHeadDeadline: Sendable {
    private struct Waiting {
        var descriptor: Int32
        var deadline: UInt64
    }

    private let nanoseconds: UInt64
    /// Connections still waiting for their head, by address.
    private let waiting = Mutex<[UInt: Waiting]>([:])
    private let queue = DispatchQueue(label: "bitprobe.http.head-deadline")
    private let stopRequested = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    init(seconds: Int) {
        nanoseconds = UInt64(seconds) * 1_000_000_000
    }

    /// The MHD_OPTION_NOTIFY_CONNECTION entry; `self` must outlive the daemon.
    var option: MHD_OptionItem {
        MHD_OptionItem(option: .NOTIFY_CONNECTION, value: unsafeBitCast(notifyCallback, to: Int.self),
                       ptr_value: Unmanaged.passUnretained(self).toOpaque())
    }

    /// Starts checking, four times per second: a head is late by at most a quarter second more.
    func start() {
        queue.async { [self] in
            while stopRequested.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
                expire(now: MonotonicNanoseconds.now())
            }
            stopped.signal()
        }
    }

    /// After the daemon has stopped (every connection closed).
    func stop() {
        stopRequested.signal()
        stopped.wait()
    }

    func opened(_ connection: OpaquePointer) {
        let descriptor = bitprobe_mhd_connection_fd(connection)
        guard descriptor >= 0 else { return }
        waiting.withLock { $0[UInt(bitPattern: connection)] = Waiting(descriptor: descriptor, deadline: MonotonicNanoseconds.now() + nanoseconds) }
    }

    /// The access handler runs: the head is in.
    func headReceived(_ connection: OpaquePointer) {
        _ = waiting.withLock { $0.removeValue(forKey: UInt(bitPattern: connection)) }
    }

    func closed(_ connection: OpaquePointer) {
        _ = waiting.withLock { $0.removeValue(forKey: UInt(bitPattern: connection)) }
    }

    func expire(now: UInt64) {
        waiting.withLock { waiting in
            for (key, entry) in waiting where entry.deadline <= now {
                shutdown(entry.descriptor, Int32(SHUT_RDWR))
                waiting[key] = nil
            }
        }
    }
}

private let notifyCallback: MHD_NotifyConnectionCallback = { context, connection, _, code in
    guard let context, let connection else { return }
    let deadline = Unmanaged<RequestHeadDeadline>.fromOpaque(context).takeUnretainedValue()
    switch code {
    case .CONNECTION_NOTIFY_STARTED: deadline.opened(connection)
    case .CONNECTION_NOTIFY_CLOSED: deadline.closed(connection)
    default: break
    }
}

enum MonotonicNanoseconds {
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
