import Glibc

/// The listening socket, created here rather than by libmicrohttpd: binding it ourselves turns
/// `bind`'s errno into an exact message ("Address already in use") where libmicrohttpd only
/// returns NULL, and lets us choose IPV6_V6ONLY per address form. The descriptor is handed to
/// libmicrohttpd with MHD_OPTION_LISTEN_SOCKET, which owns and closes it from then on.
struct ListeningSocket {
    let descriptor: Int32
    let port: Int

    /// - Parameter display: the address as the user wrote it, for error messages.
    static func open(_ address: ListenAddress, display: String) throws(HTTPServerError) -> ListeningSocket {
        do {
            let descriptor = try openDescriptor(address)
            return ListeningSocket(descriptor: descriptor, port: localPort(descriptor))
        } catch {
            throw .listen(display, errno: error.code)
        }
    }

    private struct SystemCallFailure: Error {
        let code: Int32
    }

    private static func openDescriptor(_ address: ListenAddress) throws(SystemCallFailure) -> Int32 {
        switch address.host {
        case .ipv4(let text):
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = in_port_t(address.port).bigEndian
            inet_pton(AF_INET, text, &socketAddress.sin_addr)
            return try bound(family: AF_INET, v6Only: nil, &socketAddress)
        case .ipv6(let text):
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = in_port_t(address.port).bigEndian
            inet_pton(AF_INET6, text, &socketAddress.sin6_addr)
            return try bound(family: AF_INET6, v6Only: true, &socketAddress)
        case .allInterfaces:
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = in_port_t(address.port).bigEndian
            socketAddress.sin6_addr = in6addr_any
            do {
                return try bound(family: AF_INET6, v6Only: false, &socketAddress)
            } catch  where error.code == EAFNOSUPPORT {
                // A kernel without IPv6 still serves ":port" on every IPv4 interface, as Go does.
                var ipv4 = sockaddr_in()
                ipv4.sin_family = sa_family_t(AF_INET)
                ipv4.sin_port = in_port_t(address.port).bigEndian
                ipv4.sin_addr.s_addr = INADDR_ANY
                return try bound(family: AF_INET, v6Only: nil, &ipv4)
            }
        }
    }

    private static func bound<Address>(
        family: Int32, v6Only: Bool?, _ socketAddress: inout Address
    ) throws(SystemCallFailure) -> Int32 {
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw SystemCallFailure(code: errno) }
        // SO_REUSEADDR lets a restarted agent bind while old connections sit in TIME_WAIT; it does
        // not let two listeners share a port on Linux (that would be SO_REUSEPORT).
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if let v6Only {
            var value: Int32 = v6Only ? 1 : 0
            setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &value, socklen_t(MemoryLayout<Int32>.size))
        }
        let bindResult = withUnsafePointer(to: &socketAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
        guard bindResult == 0, Glibc.listen(descriptor, SOMAXCONN) == 0 else {
            let code = errno
            close(descriptor)
            throw SystemCallFailure(code: code)
        }
        return descriptor
    }

    private static func localPort(_ descriptor: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return SocketAddressText.port(of: storage)
    }
}
