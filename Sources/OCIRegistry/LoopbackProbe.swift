import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether a loopback registry speaks plain HTTP, asked with one credential-free `GET /v2/` over a
/// raw socket. Why not a TLS handshake that fails, as before: libcurl and OpenSSL spend ~20 ms of CPU
/// setting it up (the CA bundle), a third of a whole push of a built layout. What it decides is the
/// same: only a registry's own answer to `/v2/` (200, or 401 asking for credentials) counts as plain
/// HTTP; a TLS server's "plain HTTP request sent to an HTTPS port" (400), a TLS alert, a reset or
/// silence all say "not plain", and the client goes on over HTTPS.
enum LoopbackProbe {
    /// `host` as `getaddrinfo` takes it (`127.0.0.1`, `::1`, `localhost`); `hostHeader` as the request names it.
    static func answersPlainHTTP(host: String, port: Int, hostHeader: String, timeoutMilliseconds: Int = 2000) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else { return false }
        defer { freeaddrinfo(first) }
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next {
            next = address.pointee.ai_next
            let socket = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.ai_protocol)
            guard socket >= 0 else { continue }
            defer { close(socket) }
            // On Linux the send timeout bounds connect too.
            setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard connect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else { continue }
            return ask(socket, hostHeader: hostHeader)
        }
        return false
    }

    private static func ask(_ socket: Int32, hostHeader: String) -> Bool {
        let request = Array("GET /v2/ HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: containertool\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        var received = 0
        while received < 12 {
            let count = reply.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + received, $0.count - received, 0) }
            if count > 0 { received += count } else if count < 0 && errno == EINTR { continue } else { break }
        }
        return isRegistryAnswer(Array(reply[0..<received]))
    }

    /// `HTTP/1.x 200` or `HTTP/1.x 401`: what a registry answers to `/v2/`. Pure.
    static func isRegistryAnswer(_ start: [UInt8]) -> Bool {
        let text = String(decoding: start.prefix(12), as: UTF8.self)
        return ["HTTP/1.1 200", "HTTP/1.0 200", "HTTP/1.1 401", "HTTP/1.0 401"].contains(text)
    }
}
