internal import CPOSIX

/// An address to listen on, as raw network-order bytes.
struct ListenAddress {
    typealias Family = IPAddress.Family
    var family: Family
    var bytes: [UInt8]
    /// Skipped silently when it cannot be bound (IPv6 on a machine without it).
    var optional: Bool
    var display: String

    /// The addresses for `host`: nil means all IPv4 plus all IPv6 (where available).
    static func resolve(_ host: String?) throws(ServerError) -> [ListenAddress] {
        guard let host else {
            return [
                ListenAddress(family: .ipv4, bytes: [0, 0, 0, 0], optional: false, display: "0.0.0.0"),
                ListenAddress(family: .ipv6, bytes: [UInt8](repeating: 0, count: 16), optional: true, display: "[::]"),
            ]
        }
        guard let address = IPAddress(host) else { throw .invalidHost(host) }
        return [ListenAddress(family: address.family, bytes: address.bytes, optional: false, display: address.display)]
    }
}

/// Creating, binding and listening sockets.
enum Listener {
    enum Outcome {
        case bound(fd: Int32, port: Int)
        case failed(code: Int32)
    }

    /// Opens a non-blocking socket bound to `address` and `port`. With `listen`, it also
    /// listens (with `SO_REUSEPORT`, so every worker can have its own socket on the port).
    static func open(_ address: ListenAddress, port: Int, reusePort: Bool, listen shouldListen: Bool) -> Outcome {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(code: cposix_errno()) }
        _ = cposix_set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        if reusePort { _ = cposix_set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
        if address.family == .ipv6 { _ = cposix_set_int_option(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
        // Accepted sockets inherit TCP_NODELAY on Linux: set once here, not per connection.
        _ = cposix_set_int_option(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        // The kernel hands a connection over only once its first bytes arrive (a silent client
        // is handed over after about a second): the first read after accept finds the request,
        // and a connection that never speaks costs no descriptor meanwhile (nginx's `deferred`).
        _ = cposix_set_int_option(fd, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, 1)
        // Accepted sockets inherit it too: the kernel takes no more output while 32 KiB of it
        // are unsent (send returns EAGAIN) and reports EPOLLOUT only below that. A client that
        // pipelines requests and never reads cannot make the kernel queue megabytes for it.
        _ = cposix_set_int_option(fd, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT, Int32(ConnectionStateMachine.kernelUnsentBound))
        let result = address.bytes.withUnsafeBufferPointer { bytes -> Int32 in
            address.family == .ipv4
                ? cposix_bind_ipv4(fd, bytes.baseAddress, UInt16(port))
                : cposix_bind_ipv6(fd, bytes.baseAddress, UInt16(port))
        }
        if result != 0 || (shouldListen && listen(fd, 4096) != 0) {
            let code = cposix_errno()
            Descriptor.close(fd)
            return .failed(code: code)
        }
        return .bound(fd: fd, port: Int(cposix_local_port(fd)))
    }

    /// Opens `workerCount` sets of listening sockets, one socket per address per worker.
    /// Returns the sockets per worker and the port (learned from the first bind when 0).
    static func openAll(addresses: [ListenAddress], port requestedPort: Int, workerCount: Int) throws(ServerError) -> (sockets: [[Int32]], port: Int) {
        guard requestedPort >= 0 && requestedPort <= 65535 else {
            throw .invalidConfiguration("port \(requestedPort) is out of range: use 0...65535")
        }
        var opened: [Int32] = []
        func closeAll() { for fd in opened { Descriptor.close(fd) } }

        // SO_REUSEPORT would let us silently share a port with another server run by the same
        // user; a plain bind first tells us whether anyone holds the port.
        if requestedPort != 0 {
            for address in addresses {
                switch open(address, port: requestedPort, reusePort: false, listen: false) {
                case .bound(let fd, _):
                    Descriptor.close(fd)
                case .failed(let code):
                    if code == EADDRINUSE { throw .portInUse(port: requestedPort) }
                    if address.optional { continue }
                    throw .bindFailed(host: address.display, port: requestedPort, code: code)
                }
            }
        }

        var port = requestedPort
        var usable: [ListenAddress] = []
        var sockets: [[Int32]] = []
        for worker in 0..<workerCount {
            var mine: [Int32] = []
            for address in (worker == 0 ? addresses : usable) {
                switch open(address, port: port, reusePort: true, listen: true) {
                case .bound(let fd, let boundPort):
                    opened.append(fd)
                    mine.append(fd)
                    port = boundPort
                    if worker == 0 { usable.append(address) }
                case .failed(let code):
                    if worker == 0 && address.optional { continue }
                    closeAll()
                    if code == EADDRINUSE { throw .portInUse(port: port) }
                    if code == EMFILE || code == ENFILE { throw .resourceUnavailable(what: "listening socket", code: code) }
                    throw .bindFailed(host: address.display, port: port, code: code)
                }
            }
            sockets.append(mine)
        }
        return (sockets, port)
    }
}
