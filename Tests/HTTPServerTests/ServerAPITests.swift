import XCTest
@testable import HTTPServer

/// The library API the tests (and embedders) use in-process.
final class ServerAPITests: XCTestCase {
    func testEphemeralPortShutdownAndWait() throws {
        let server = try HTTPServer.start(ServerConfiguration(host: "127.0.0.1", port: 0, threads: 2, lingerTimeoutMilliseconds: 300))
        XCTAssertGreaterThan(server.port, 0)
        XCTAssertEqual(server.threadCount, 2)
        XCTAssertEqual(server.addresses, ["127.0.0.1"])
        var client: TestClient? = try TestClient(port: server.port)
        try client!.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(try client!.readResponse().status, 200)
        let start = Date()
        server.shutdown()
        // The idle connection gets a FIN after its last call (the linger time, 300 ms here);
        // the server then lingers until the client closes.
        XCTAssertTrue(client!.waitForClose(timeout: 1))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.25, "the FIN came before the last call ended")
        client = nil
        server.wait()
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)
    }

    func testPortInUseIsATypedError() throws {
        let first = try HTTPServer.start(ServerConfiguration(port: 0, threads: 1))
        defer { first.shutdown(); first.wait() }
        do {
            let second = try HTTPServer.start(ServerConfiguration(port: first.port, threads: 1))
            second.shutdown()
            second.wait()
            XCTFail("second server started on a used port")
        } catch {
            guard case .portInUse(let port) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(port, first.port)
            XCTAssertTrue(error.description.contains("port \(first.port)"))
        }
    }

    func testInvalidConfigurationIsRejected() {
        XCTAssertThrowsError(try HTTPServer.start(ServerConfiguration(host: "300.1.1.1", port: 0, threads: 1)))
        XCTAssertThrowsError(try HTTPServer.start(ServerConfiguration(port: 0, threads: 0)))
        XCTAssertThrowsError(try HTTPServer.start(ServerConfiguration(port: 70_000, threads: 1)))
    }

    func testIPv6LoopbackIsServedWhenAvailable() throws {
        let server = try HTTPServer.start(ServerConfiguration(port: 0, threads: 1))
        defer { server.shutdown(); server.wait() }
        guard server.addresses.contains("[::]") else {
            throw XCTSkip("this machine has no IPv6: the server bound only \(server.addresses)")
        }
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = in_port_t(UInt16(server.port).bigEndian)
        address.sin6_addr = in6addr_loopback
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        XCTAssertEqual(result, 0)
        let request = Array("GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        XCTAssertTrue(String(decoding: buffer[0..<max(0, count)], as: UTF8.self).hasSuffix("Hello world!"))
    }

    func testCgroupCPUQuotaParsing() {
        func parse(_ text: String) -> Int? {
            Array(text.utf8).withUnsafeBufferPointer { SystemResources.parseCPUMax($0) }
        }
        XCTAssertNil(parse("max 100000\n"))
        XCTAssertEqual(parse("150000 100000\n"), 2)
        XCTAssertEqual(parse("50000 100000\n"), 1)
        XCTAssertEqual(parse("400000 100000"), 4)
        XCTAssertNil(parse("garbage"))
    }

    func testProcessorCountIsPositive() {
        XCTAssertGreaterThanOrEqual(SystemResources.availableProcessorCount(), 1)
    }
}
