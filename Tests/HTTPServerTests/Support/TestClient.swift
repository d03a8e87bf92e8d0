import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A parsed HTTP response as a client sees it.
struct ReceivedResponse {
    var status: Int
    var statusLine: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// Every byte of the response, head and body.
    var raw: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

struct ClientError: Error, CustomStringConvertible {
    var description: String
}

/// A blocking TCP client over a raw socket, with a receive timeout on every read.
final class TestClient {
    let fd: Int32
    private var buffered: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw ClientError(description: "connect to port \(port): errno \(code)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setTimeout(2.0)
    }

    deinit { close(fd) }

    func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ClientError(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads more bytes into the buffer; returns 0 on EOF, throws on timeout or reset.
    @discardableResult
    private func fill() throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { throw ClientError(description: "timed out waiting for data") }
            throw ClientError(description: "recv failed: errno \(code)\(code == ECONNRESET ? " (connection reset)" : "")")
        }
        buffered.append(contentsOf: chunk[0..<count])
        return count
    }

    /// Reads exactly `count` bytes.
    func readBytes(_ count: Int) throws -> [UInt8] {
        while buffered.count < count {
            if try fill() == 0 { throw ClientError(description: "connection closed after \(buffered.count) of \(count) bytes") }
        }
        let result = Array(buffered[0..<count])
        buffered.removeFirst(count)
        return result
    }

    /// Reads one response; `isHead` responses have no body whatever Content-Length says.
    func readResponse(isHead: Bool = false) throws -> ReceivedResponse {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int? = nil
        while headEnd == nil {
            if let range = findSubsequence(buffered, terminator) {
                headEnd = range + 4
                break
            }
            if try fill() == 0 {
                throw ClientError(description: "connection closed before a response head (got \(buffered.count) bytes: \(String(decoding: buffered, as: UTF8.self)))")
            }
        }
        let head = Array(buffered[0..<headEnd!])
        buffered.removeFirst(headEnd!)
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard let statusLine = lines.first else { throw ClientError(description: "empty response head") }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw ClientError(description: "bad status line: \(statusLine)")
        }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw ClientError(description: "bad header line: \(line)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = ReceivedResponse(status: status, statusLine: statusLine, headers: headers, body: [], raw: head)
        if !isHead && status >= 200, let lengthText = response.header("Content-Length"), let length = Int(lengthText) {
            response.body = try readBytes(length)
            response.raw += response.body
        }
        return response
    }

    /// True when the server closes the connection (EOF) within `timeout`, after any
    /// remaining bytes. A reset or a timeout is false.
    func waitForClose(timeout: Double = 2.0) -> Bool {
        setTimeout(timeout)
        while true {
            do {
                if try fill() == 0 { return true }
            } catch {
                return false
            }
        }
    }

    /// True when a byte (or EOF) can be read within `timeout` seconds.
    func isReadable(within timeout: Double = 0) -> Bool {
        if !buffered.isEmpty { return true }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, Int32(timeout * 1000)) > 0
    }

    /// Bytes received but not consumed by `readResponse`.
    var unreadBytes: [UInt8] { buffered }
}

func findSubsequence(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    var index = 0
    while index + needle.count <= haystack.count {
        if haystack[index] == needle[0] && Array(haystack[index..<index + needle.count]) == needle { return index }
        index += 1
    }
    return nil
}
