import CMicroHTTPD

/// What a GnuTLS priority string enables, asked of GnuTLS itself (the library libmicrohttpd hands
/// the string to), so a check cannot drift from what the server then offers.
enum GnuTLSPriorities {
    /// The TLS 1.2 and older suites `priorities` enables: IANA code point and GnuTLS's name.
    /// TLS 1.3's suites (code points 0x13xx) are left out.
    static func tls12Suites(enabledBy priorities: String) throws(HTTPServerError) -> [(code: UInt16, name: String)] {
        var cache: gnutls_priority_t?
        var errorPosition: UnsafePointer<CChar>?
        let status = gnutls_priority_init(&cache, priorities, &errorPosition)
        guard status >= 0, let cache else {
            throw .tls("GnuTLS refused the priority string '\(priorities)': \(String(cString: gnutls_strerror(status)))")
        }
        defer { gnutls_priority_deinit(cache) }
        var suites: [(code: UInt16, name: String)] = []
        var index: UInt32 = 0
        while true {
            var suiteIndex: UInt32 = 0
            let found = gnutls_priority_get_cipher_suite_index(cache, index, &suiteIndex)
            index += 1
            if found == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE { break }
            // Other errors mark entries this GnuTLS build cannot use; they are not offered.
            guard found >= 0 else { continue }
            var id: [UInt8] = [0, 0]
            guard let name = gnutls_cipher_suite_info(Int(suiteIndex), &id, nil, nil, nil, nil), id[0] != 0x13 else { continue }
            suites.append((UInt16(id[0]) << 8 | UInt16(id[1]), String(cString: name)))
        }
        return suites
    }
}
