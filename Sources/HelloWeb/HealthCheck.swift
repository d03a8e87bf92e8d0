import CPOSIX
import HTTPServer

/// `HelloWeb --healthcheck`: a scratch image has no curl, so the binary probes itself.
enum HealthCheck {
    /// Where to probe: the server's own address, with the wildcard addresses mapped to loopback.
    struct Target {
        var family: Int32
        var address: [UInt8]
        var display: String
    }

    /// The address `--host` names (already validated by `Options`), for probing.
    static func target(host: String?, port: Int) -> Target {
        guard let host, var address = IPAddress(host) else {
            return Target(family: AF_INET, address: [127, 0, 0, 1], display: "127.0.0.1:\(port)")
        }
        if address.isUnspecified {  // 0.0.0.0 -> 127.0.0.1, [::] -> [::1]
            address.bytes[address.bytes.count - 1] = 1
            if address.family == .ipv4 { address.bytes[0] = 127 }
        }
        return Target(family: address.family == .ipv4 ? AF_INET : AF_INET6, address: address.bytes, display: "\(address.display):\(port)")
    }

    /// Sends `GET /` and reads the status line, all within one deadline of `timeoutMilliseconds`.
    /// Returns nil when the server answered `HTTP/1.1 200 `, else a one-line reason.
    static func run(host: String?, port: Int, timeoutMilliseconds: Int) -> String? {
        let target = target(host: host, port: port)
        let deadline = cposix_monotonic_precise_ms() + Int64(timeoutMilliseconds)
        let fd = socket(target.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return "cannot create a socket (error \(cposix_errno()))" }
        defer { close(fd) }
        let timedOut = "no answer from \(target.display) within \(seconds(timeoutMilliseconds))"

        let connected = target.address.withUnsafeBufferPointer { cposix_connect(fd, target.family, $0.baseAddress, UInt16(port)) }
        if connected != 0 {
            let code = cposix_errno()
            guard code == EINPROGRESS else { return "cannot connect to \(target.display): \(describe(code))" }
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return timedOut }
            let error = cposix_socket_error(fd)
            guard error == 0 else { return "cannot connect to \(target.display): \(describe(error))" }
        }

        let request: StaticString = "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: HelloWeb-healthcheck\r\nConnection: close\r\n\r\n"
        var sent = 0
        while sent < request.utf8CodeUnitCount {
            let count = send(fd, request.utf8Start + sent, request.utf8CodeUnitCount - sent, Int32(MSG_NOSIGNAL))
            if count > 0 { sent += count; continue }
            let code = cposix_errno()
            guard count < 0, code == EAGAIN || code == EINTR else { return "cannot send the request to \(target.display): \(describe(code))" }
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return timedOut }
        }

        let expected: StaticString = "HTTP/1.1 200 "
        var response = [UInt8](repeating: 0, count: 64)
        var received = 0
        while received < expected.utf8CodeUnitCount {
            let count = response.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, $0.count - received, 0) }
            if count > 0 { received += count; continue }
            if count == 0 {
                return "\(target.display) closed the connection before a status line (got \(received) bytes)"
            }
            let code = cposix_errno()
            guard code == EAGAIN || code == EINTR else { return "cannot read the answer from \(target.display): \(describe(code))" }
            guard wait(fd, for: Int16(POLLIN), until: deadline) else { return timedOut }
        }
        for index in 0..<expected.utf8CodeUnitCount where response[index] != expected.utf8Start[index] {
            return "\(target.display) answered '\(printable(response[0..<received]))', not 'HTTP/1.1 200 <reason>'"
        }
        return nil
    }

    /// Waits for `events` on `fd` until the monotonic `deadline`; false when it passed first.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: Int64) -> Bool {
        while true {
            let remaining = deadline - cposix_monotonic_precise_ms()
            if remaining <= 0 { return false }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            // `--timeout` allows a year, more milliseconds than poll's Int32 takes: wait in slices.
            let ready = poll(&descriptor, 1, Int32(min(remaining, Int64(Int32.max))))
            if ready > 0 { return true }
            if ready < 0 && cposix_errno() != EINTR { return false }
        }
    }

    private static func describe(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused (is the server running on this port?)"
        case ECONNRESET: return "connection reset"
        case ENETUNREACH, EHOSTUNREACH: return "address unreachable"
        case EADDRNOTAVAIL: return "address not available on this machine"
        case EAFNOSUPPORT: return "address family not supported"
        default: return "error \(code)"
        }
    }

    /// The first line of an answer, control bytes shown as `?`.
    private static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        var text: [UInt8] = []
        for byte in bytes {
            if byte == 0x0D || byte == 0x0A { break }
            text.append(byte >= 0x20 && byte < 0x7F ? byte : UInt8(ascii: "?"))
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func seconds(_ milliseconds: Int) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}

