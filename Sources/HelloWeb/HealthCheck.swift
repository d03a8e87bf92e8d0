import CPOSIX

/// `HelloWeb --healthcheck`: a scratch image has no curl, so the binary probes itself.
enum HealthCheck {
    /// Sends `GET /` to the server on this machine; true when it answers `200` in time.
    static func run(host: String?, port: Int, timeoutMilliseconds: Int32 = 2000) -> Bool {
        var family = AF_INET
        var address: [UInt8] = [127, 0, 0, 1]
        if let host, !host.isEmpty {
            var bytes = [UInt8](repeating: 0, count: 16)
            let name = host.utf8.first == UInt8(ascii: "[") ? String(decoding: Array(host.utf8.dropFirst().dropLast()), as: UTF8.self) : host
            if name.withCString({ text in bytes.withUnsafeMutableBytes { inet_pton(AF_INET, text, $0.baseAddress) == 1 } }) {
                if bytes[0..<4] != [0, 0, 0, 0] { address = Array(bytes[0..<4]) }
            } else if name.withCString({ text in bytes.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) == 1 } }) {
                family = AF_INET6
                address = bytes
                if bytes.allSatisfy({ $0 == 0 }) { address[15] = 1 }  // [::] -> [::1]
            }
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // SO_SNDTIMEO also bounds connect(2) on Linux.
        guard cposix_set_io_timeout_ms(fd, timeoutMilliseconds) == 0 else { return false }
        let connected = address.withUnsafeBufferPointer { cposix_connect(fd, family, $0.baseAddress, UInt16(port)) }
        guard connected == 0 else { return false }
        let request: StaticString = "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: HelloWeb-healthcheck\r\nConnection: close\r\n\r\n"
        guard send(fd, request.utf8Start, request.utf8CodeUnitCount, Int32(MSG_NOSIGNAL)) == request.utf8CodeUnitCount else { return false }
        var response = [UInt8](repeating: 0, count: 512)
        var received = 0
        while received < 12 {
            let count = response.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, $0.count - received, 0) }
            guard count > 0 else { return false }
            received += count
        }
        let statusLine = Array("HTTP/1.1 200".utf8)
        let statusLine10 = Array("HTTP/1.0 200".utf8)
        let start = Array(response[0..<12])
        return start == statusLine || start == statusLine10
    }
}
