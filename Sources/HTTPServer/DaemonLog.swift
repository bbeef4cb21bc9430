import CMicroHTTPD
import Glibc
import Synchronization

/// Where libmicrohttpd's messages go. While the daemon starts they are kept, because
/// MHD_start_daemon returns only NULL and these lines are the reason ("GnuTLS failed to setup
/// x509 certificate/key: ..."); once it runs they go to the configured `errorLog`.
final class DaemonLog: Sendable {
    private let sink: (@Sendable (String) -> Void)?
    private let startupMessages = Mutex<[String]?>([])

    init(sink: (@Sendable (String) -> Void)?) {
        self.sink = sink
    }

    func record(_ message: String) {
        let kept = startupMessages.withLock { messages -> Bool in
            guard messages != nil else { return false }
            messages!.append(message)
            return true
        }
        if !kept { sink?(message) }
    }

    /// Ends the start phase: returns what was logged during it and forwards from now on.
    func finishStartup() -> [String] {
        startupMessages.withLock { messages in
            defer { messages = nil }
            return messages ?? []
        }
    }

    /// The MHD_OPTION_EXTERNAL_LOGGER entry; `self` must outlive the daemon.
    var option: MHD_OptionItem {
        MHD_OptionItem(
            option: .EXTERNAL_LOGGER,
            // Options taking a function and its closure carry the function as an integer.
            value: unsafeBitCast(logCallback, to: Int.self),
            ptr_value: Unmanaged.passUnretained(self).toOpaque()
        )
    }
}

private let logCallback: MHD_LogCallback = { context, format, arguments in
    guard let context, let format, let arguments else { return }
    var buffer = [CChar](repeating: 0, count: 1024)
    vsnprintf(&buffer, buffer.count, format, arguments)
    var message = String(nulTerminated: buffer)
    while let last = message.last, last == "\n" || last == "." || last == " " { message.removeLast() }
    Unmanaged<DaemonLog>.fromOpaque(context).takeUnretainedValue().record(message)
}
