import CMicroHTTPD
import Glibc

/// The C strings libmicrohttpd's GnuTLS reads the certificate, key and protocol priorities from,
/// and the daemon options naming them. They must outlive the daemon; `free()` zeroes the key.
final class TLSMaterial {
    private let strings: [UnsafeMutablePointer<CChar>]

    init(_ settings: TLSSettings) {
        strings = [strdup(settings.certificatePEM)!, strdup(settings.privateKeyPEM)!, strdup(settings.gnutlsPriorities)!]
    }

    var options: [MHD_OptionItem] {
        [
            MHD_OptionItem(option: .HTTPS_MEM_CERT, value: 0, ptr_value: UnsafeMutableRawPointer(strings[0])),
            MHD_OptionItem(option: .HTTPS_MEM_KEY, value: 0, ptr_value: UnsafeMutableRawPointer(strings[1])),
            MHD_OptionItem(option: .HTTPS_PRIORITIES, value: 0, ptr_value: UnsafeMutableRawPointer(strings[2])),
        ]
    }

    func free() {
        for string in strings {
            // The private key must not linger in freed heap memory.
            explicit_bzero(string, strlen(string))
            Glibc.free(string)
        }
    }
}

extension HTTPServerConfig {
    /// Everything `start()` checks short of binding the port: `validate()`, then the certificate and
    /// key handed to GnuTLS as `start()` hands them, through a libmicrohttpd daemon that listens
    /// nowhere. So `check-config` finds what start-up would refuse: a certificate and key that do
    /// not match, a key given as the certificate, an encrypted key.
    public func check() throws(HTTPServerError) {
        _ = try validated()
        guard let tls else { return }
        guard MHD_is_feature_supported(.FEATURE_TLS) == .YES else { throw .tls("this libmicrohttpd was built without TLS support") }
        let log = DaemonLog(sink: nil)
        let material = TLSMaterial(tls)
        defer { material.free() }
        let options = [log.option] + material.options + [MHD_OptionItem(option: .END, value: 0, ptr_value: nil)]
        let flags = MHD_USE_NO_LISTEN_SOCKET.rawValue | MHD_USE_ERROR_LOG.rawValue | MHD_USE_TLS.rawValue
        let refuseAll: MHD_AccessHandlerCallback = { _, _, _, _, _, _, _, _ in .NO }
        guard let daemon = bitprobe_mhd_start(flags, 0, nil, nil, refuseAll, nil, options) else {
            let messages = log.finishStartup()
            throw .tls(messages.isEmpty ? "libmicrohttpd gave no reason" : messages.joined(separator: "; "))
        }
        MHD_stop_daemon(daemon)
    }
}
