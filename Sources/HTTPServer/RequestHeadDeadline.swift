import CMicroHTTPD
import Dispatch
import Glibc
import Synchronization

/// Closes a connection whose request head (request line and headers, after the TLS handshake) has
/// not arrived whole within `seconds` of its opening, or, on a kept-alive connection, of the first
/// byte after the previous response. libmicrohttpd's own timeout is an idle timeout that every
/// received byte renews, so clients trickling one header line every few seconds held their
/// connections, and 64 of them every connection slot, for as long as they liked.
///
/// Between requests a kept connection is idle: libmicrohttpd's idle timeout closes it when no byte
/// comes. libmicrohttpd does not say when the next request begins, so the kernel does: the
/// socket's `TCP_INFO` gives the time of the last byte received, and once that moves past the one
/// recorded when the previous head was in, the next head is on its way and gets its own deadline
/// from that byte. Part of a next request that came with the previous one (one segment, one receive
/// time) goes unseen: that connection is bounded by the idle timeout, or, once the client closes its
/// side, by a head deadline from then.
///
/// libmicrohttpd cannot close a connection from another thread, so an expired one is shut down
/// (`shutdown(2)`): its thread then reads end-of-file and closes it. A descriptor is touched
/// (shut down, or asked for `TCP_INFO`) only under the lock and only while its connection is in
/// the table. libmicrohttpd reports a connection closed before it closes the descriptor, and the
/// report takes the entry out under the same lock, so a reused descriptor number is never
/// touched. Other notifications only change entries that are still in the table, so their order
/// relative to the close does not matter.
final class RequestHeadDeadline: Sendable {
    private enum Phase {
        /// The head must be in by `deadline`.
        case head(deadline: UInt64)
        /// The head is in, and the kernel's last receive time was `lastReceived` (milliseconds,
        /// monotonic) then; the request is being answered.
        case answering(lastReceived: UInt64?)
        /// The response was sent and the connection kept; bytes received after `lastReceived`
        /// belong to the next request (a GET or HEAD here has no body).
        case idle(lastReceived: UInt64?)
    }

    private struct Connection {
        var descriptor: Int32
        var phase: Phase
    }

    private let nanoseconds: UInt64
    /// Open connections, by address.
    private let connections = Mutex<[UInt: Connection]>([:])
    private let queue = DispatchQueue(label: "bitprobe.http.head-deadline")
    private let stopRequested = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    /// A receive this much later than the recorded one is a new one: TCP_INFO counts in jiffies
    /// (up to 10 ms) and is read at a slightly different moment than the monotonic clock.
    private static let receiveToleranceMilliseconds: UInt64 = 50

    init(seconds: Int) {
        nanoseconds = UInt64(seconds) * 1_000_000_000
    }

    /// The MHD_OPTION_NOTIFY_CONNECTION and MHD_OPTION_NOTIFY_COMPLETED entries; `self` must
    /// outlive the daemon.
    var options: [MHD_OptionItem] {
        let context = Unmanaged.passUnretained(self).toOpaque()
        return [
            MHD_OptionItem(option: .NOTIFY_CONNECTION, value: unsafeBitCast(notifyConnection, to: Int.self), ptr_value: context),
            MHD_OptionItem(option: .NOTIFY_COMPLETED, value: unsafeBitCast(notifyCompleted, to: Int.self), ptr_value: context),
        ]
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
        let entry = Connection(descriptor: descriptor, phase: .head(deadline: MonotonicNanoseconds.now() + nanoseconds))
        connections.withLock { $0[UInt(bitPattern: connection)] = entry }
    }

    /// The access handler runs, on the connection's own thread (so its descriptor is open): the
    /// head is in.
    func headReceived(_ connection: OpaquePointer) {
        connections.withLock { connections in
            let key = UInt(bitPattern: connection)
            guard let entry = connections[key] else { return }
            connections[key]?.phase = .answering(lastReceived: Self.tcpInfo(entry.descriptor).map(Self.lastReceived))
        }
    }

    /// A request ended (its response sent, or the connection failing); on a kept connection the
    /// next one may follow.
    func requestCompleted(_ connection: OpaquePointer) {
        connections.withLock { connections in
            let key = UInt(bitPattern: connection)
            guard case .answering(let lastReceived) = connections[key]?.phase else { return }
            connections[key]?.phase = .idle(lastReceived: lastReceived)
        }
    }

    func closed(_ connection: OpaquePointer) {
        _ = connections.withLock { $0.removeValue(forKey: UInt(bitPattern: connection)) }
    }

    func expire(now: UInt64) {
        connections.withLock { connections in
            for (key, entry) in connections {
                switch entry.phase {
                case .head(let deadline) where deadline <= now:
                    shutdown(entry.descriptor, Int32(SHUT_RDWR))
                    connections[key] = nil
                case .idle(let recorded):
                    guard let info = Self.tcpInfo(entry.descriptor) else { continue }
                    let received = Self.lastReceived(info)
                    let deadline: UInt64
                    if received > (recorded ?? 0) + Self.receiveToleranceMilliseconds {
                        deadline = received * 1_000_000 + nanoseconds
                    } else if info.tcpi_state == UInt8(TCP_CLOSE_WAIT) {
                        // The client has closed its side: no byte will follow, so what it sent
                        // with the last request (part of a next one, which libmicrohttpd 0.9.75
                        // then sometimes waits on) has the head deadline from now.
                        deadline = now + nanoseconds
                    } else {
                        continue
                    }
                    if deadline <= now {
                        shutdown(entry.descriptor, Int32(SHUT_RDWR))
                        connections[key] = nil
                    } else {
                        connections[key]?.phase = .head(deadline: deadline)
                    }
                default:
                    continue
                }
            }
        }
    }

    /// The socket's TCP_INFO; nil when the kernel does not say (not a TCP socket).
    private static func tcpInfo(_ descriptor: Int32) -> tcp_info? {
        var info = tcp_info()
        var length = socklen_t(MemoryLayout<tcp_info>.size)
        return getsockopt(descriptor, Int32(IPPROTO_TCP), Int32(TCP_INFO), &info, &length) == 0 ? info : nil
    }

    /// When the socket last received data, in monotonic milliseconds.
    private static func lastReceived(_ info: tcp_info) -> UInt64 {
        let now = MonotonicNanoseconds.now() / 1_000_000
        let ago = UInt64(info.tcpi_last_data_recv)
        return now > ago ? now - ago : 0
    }
}

private let notifyConnection: MHD_NotifyConnectionCallback = { context, connection, _, code in
    guard let context, let connection else { return }
    let deadline = Unmanaged<RequestHeadDeadline>.fromOpaque(context).takeUnretainedValue()
    switch code {
    case .CONNECTION_NOTIFY_STARTED: deadline.opened(connection)
    case .CONNECTION_NOTIFY_CLOSED: deadline.closed(connection)
    default: break
    }
}

private let notifyCompleted: MHD_RequestCompletedCallback = { context, connection, _, _ in
    guard let context, let connection else { return }
    Unmanaged<RequestHeadDeadline>.fromOpaque(context).takeUnretainedValue().requestCompleted(connection)
}

enum MonotonicNanoseconds {
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
